package jobs

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor fails the test if ch does not deliver within d.
func waitFor[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("timed out after %v waiting for %s", d, what)
		var zero T
		return zero
	}
}

// TestSchedulerRunsJobs: jobs run on an "@every" schedule with a deadline
// on their context; failures and panics are logged with the job's name and
// duration, and neither stops the job's next run.
func TestSchedulerRunsJobs(t *testing.T) {
	t.Parallel()
	log, logs := newLog(t)
	s := NewScheduler(log)

	type run struct {
		deadline bool
		value    any
	}
	runs := make(chan run, 10)
	type key struct{}
	if err := s.Add("@every 1s", "tick", func(ctx context.Context) error {
		_, ok := ctx.Deadline()
		runs <- run{deadline: ok, value: ctx.Value(key{})}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var failures, panics atomic.Int32
	if err := s.Add("@every 1s", "failing", func(context.Context) error {
		failures.Add(1)
		return errors.New("boom")
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("@every 1s", "panicking", func(context.Context) error {
		panics.Add(1)
		panic("oops")
	}); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	defer cancel()
	s.Start(ctx)
	got := waitFor(t, runs, 3*time.Second, "the first run")
	if !got.deadline || got.value != "v" {
		t.Errorf("run context: deadline %v, value %v; want a deadline and Start's values", got.deadline, got.value)
	}
	waitFor(t, runs, 3*time.Second, "the second run")
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer stopCancel()
	if err := s.Stop(stopCtx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if failures.Load() < 2 || panics.Load() < 2 {
		t.Errorf("failing ran %d times, panicking %d; want each at least twice", failures.Load(), panics.Load())
	}
	if got := logs.lines("job failed", "job=failing", "duration=", "boom"); len(got) < 2 {
		t.Errorf("failure log lines = %q, want one per run with job and duration", got)
	}
	if got := logs.lines("job failed", "job=panicking", "duration=", "oops"); len(got) < 2 {
		t.Errorf("panic log lines = %q, want one per run with job and duration", got)
	}
}

// TestSchedulerStopWaits: Stop waits for a run under way, which is not
// cancelled when Start's context is; a later run is skipped while one is
// still going.
func TestSchedulerStopWaits(t *testing.T) {
	t.Parallel()
	log, logs := newLog(t)
	s := NewScheduler(log)
	started := make(chan struct{}, 10)
	release := make(chan struct{})
	var runErr atomic.Value
	if err := s.Add("@every 1s", "slow", func(ctx context.Context) error {
		started <- struct{}{}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			runErr.Store(ctx.Err())
			return ctx.Err()
		}
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	waitFor(t, started, 3*time.Second, "the run to start")
	deadline := time.Now().Add(3 * time.Second)
	for len(logs.lines("skipping", "job=slow")) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := logs.lines("skipping", "job=slow"); len(got) == 0 {
		t.Errorf("no log of the run skipped while the first was going")
	}
	cancel() // as on SIGTERM: no new runs, the one under way goes on

	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop(context.Background()) }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned %v while a job was running", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := waitFor(t, stopped, 3*time.Second, "Stop"); err != nil {
		t.Errorf("Stop = %v, want nil", err)
	}
	if err, _ := runErr.Load().(error); err != nil {
		t.Errorf("run was cancelled: %v", err)
	}
	if len(started) != 0 {
		t.Errorf("a second run started while the first was going")
	}
}

// TestSchedulerStopDeadline: when Stop's context ends first, Stop returns
// its error and the run's context is cancelled.
func TestSchedulerStopDeadline(t *testing.T) {
	t.Parallel()
	s := NewScheduler(nil)
	started := make(chan struct{}, 1)
	ended := make(chan error, 1)
	if err := s.Add("@every 1s", "stuck", func(ctx context.Context) error {
		started <- struct{}{}
		<-ctx.Done()
		ended <- ctx.Err()
		return ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	waitFor(t, started, 3*time.Second, "the run to start")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop = %v, want DeadlineExceeded", err)
	}
	if err := waitFor(t, ended, time.Second, "the run to be cancelled"); !errors.Is(err, context.Canceled) {
		t.Errorf("run ended with %v, want Canceled", err)
	}
}

// TestSchedulerRunTimeout: a run longer than the timeout is cancelled.
func TestSchedulerRunTimeout(t *testing.T) {
	t.Parallel()
	log, logs := newLog(t)
	s := NewScheduler(log)
	s.timeout = 50 * time.Millisecond
	ended := make(chan error, 1)
	if err := s.Add("@every 1s", "long", func(ctx context.Context) error {
		<-ctx.Done()
		ended <- ctx.Err()
		return ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	if err := waitFor(t, ended, 3*time.Second, "the run to time out"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("run ended with %v, want DeadlineExceeded", err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Errorf("Stop = %v", err)
	}
	if got := logs.lines("job failed", "job=long", "deadline exceeded"); len(got) != 1 {
		t.Errorf("log lines = %q, want the timeout logged", got)
	}
}

func TestSchedulerAddRefuses(t *testing.T) {
	s := NewScheduler(nil)
	job := func(context.Context) error { return nil }
	for _, tt := range []struct {
		spec, name string
		job        func(context.Context) error
	}{
		{"not a spec", "bad", job},
		{"* * * * * *", "six fields", job},
		{"@hourly", "", job},
		{"@hourly", "nil", nil},
	} {
		if err := s.Add(tt.spec, tt.name, tt.job); err == nil {
			t.Errorf("Add(%q, %q) = nil, want an error", tt.spec, tt.name)
		} else if tt.name != "" && !strings.Contains(err.Error(), tt.name) && tt.job != nil {
			t.Errorf("Add(%q, %q) = %v, want the job named", tt.spec, tt.name, err)
		}
	}
	if err := s.Add("@hourly", "retention", job); err != nil {
		t.Errorf("Add(@hourly) = %v", err)
	}
	// Stop before Start: nothing runs, and a later Start does nothing.
	if err := s.Stop(context.Background()); err != nil {
		t.Errorf("Stop before Start = %v", err)
	}
	s.Start(context.Background())
}
