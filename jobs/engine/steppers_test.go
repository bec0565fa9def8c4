package engine

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/trellis-bot/trellis/internal/testlog"
)

// fakeStepper records the instants it ran at and does what tick says.
type fakeStepper struct {
	mu   sync.Mutex
	ran  []time.Time
	tick func(ctx context.Context) error
}

func (f *fakeStepper) NextDue(context.Context) (time.Time, bool, error) {
	return time.Time{}, false, nil
}

func (f *fakeStepper) Tick(ctx context.Context, now time.Time) error {
	f.mu.Lock()
	f.ran = append(f.ran, now)
	f.mu.Unlock()
	if f.tick == nil {
		return nil
	}
	return f.tick(ctx)
}

func (f *fakeStepper) runs() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ran)
}

func newSteppers(t *testing.T) (*steppers, *Metrics) {
	m := NewMetrics(prometheus.NewRegistry())
	return &steppers{log: testlog.Logger(t), metrics: m}, m
}

func stepCount(m *Metrics, stepper, outcome string) int {
	return int(testutil.ToFloat64(m.Steps.WithLabelValues(stepper, outcome)))
}

// runMinutes starts the steppers at each of n minutes and waits for the
// tick's part of them, as Tick does.
func runMinutes(s *steppers, n int) {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for i := range n {
		s.start(context.Background(), t0.Add(time.Duration(i)*time.Minute))()
	}
}

// A stepper blocked past its budget is not started again while it runs,
// and keeps no other stepper from running every minute.
func TestStepperPastBudgetStarvesNoOther(t *testing.T) {
	s, m := newSteppers(t)
	release := make(chan struct{})
	blocked := &fakeStepper{tick: func(context.Context) error { <-release; return nil }} // ignores its context
	steady := &fakeStepper{}
	if err := s.add(StepperSpec{Name: "blocked", Budget: time.Millisecond, Stepper: blocked}); err != nil {
		t.Fatal(err)
	}
	if err := s.add(StepperSpec{Name: "steady", Stepper: steady}); err != nil {
		t.Fatal(err)
	}
	runMinutes(s, 5)
	if got := steady.runs(); got != 5 {
		t.Errorf("steady ran %d times in 5 minutes, want 5", got)
	}
	if got := blocked.runs(); got != 1 {
		t.Errorf("blocked started %d times, want once: it is still running", got)
	}
	if got := stepCount(m, "blocked", "overran"); got != 1 {
		t.Errorf("blocked overran counted %d, want 1", got)
	}
	if got := stepCount(m, "blocked", "skipped"); got != 4 {
		t.Errorf("blocked skipped counted %d, want 4", got)
	}
	// Once it returns it runs again at the next minute.
	close(release)
	for s.all()[0].running.Load() {
		runtime.Gosched()
	}
	runMinutes(s, 1)
	if got := blocked.runs(); got != 2 {
		t.Errorf("blocked started %d times after it returned, want 2", got)
	}
}

// A stepper that fails or panics is logged and counted each time, and
// the others run every minute.
func TestStepperFailureStarvesNoOther(t *testing.T) {
	s, m := newSteppers(t)
	fails := &fakeStepper{tick: func(context.Context) error { return errors.New("database gone") }}
	panics := &fakeStepper{tick: func(context.Context) error { panic("nil map") }}
	steady := &fakeStepper{}
	for _, spec := range []StepperSpec{{Name: "fails", Stepper: fails}, {Name: "panics", Stepper: panics}, {Name: "steady", Stepper: steady}} {
		if err := s.add(spec); err != nil {
			t.Fatal(err)
		}
	}
	runMinutes(s, 3)
	for _, tt := range []struct {
		stepper, outcome string
		want             int
	}{{"fails", "error", 3}, {"panics", "panic", 3}, {"steady", "ok", 3}} {
		if got := stepCount(m, tt.stepper, tt.outcome); got != tt.want {
			t.Errorf("%s %s counted %d, want %d", tt.stepper, tt.outcome, got, tt.want)
		}
	}
	if got := steady.runs(); got != 3 {
		t.Errorf("steady ran %d times, want 3", got)
	}
	if got := fails.runs() + panics.runs(); got != 6 {
		t.Errorf("failing steppers ran %d times, want 6: a failure does not stop a stepper's next run", got)
	}
}

// Each run gets a context that ends at the stepper's budget.
func TestStepperContextEndsAtBudget(t *testing.T) {
	s, _ := newSteppers(t)
	var got error
	waits := &fakeStepper{tick: func(ctx context.Context) error {
		<-ctx.Done()
		got = ctx.Err()
		return got
	}}
	if err := s.add(StepperSpec{Name: "waits", Budget: time.Millisecond, Stepper: waits}); err != nil {
		t.Fatal(err)
	}
	runMinutes(s, 1)
	for s.all()[0].running.Load() {
		runtime.Gosched()
	}
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("stepper's context ended with %v, want its deadline", got)
	}
}

// A stepper name, or a composer kind, registered twice is refused.
func TestRegistrationRefusesDuplicates(t *testing.T) {
	s, _ := newSteppers(t)
	if err := s.add(StepperSpec{Name: "checkins", Stepper: &fakeStepper{}}); err != nil {
		t.Fatal(err)
	}
	if err := s.add(StepperSpec{Name: "checkins", Stepper: &fakeStepper{}}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("second stepper checkins: error %v, want ErrDuplicate", err)
	}
	if got := len(s.all()); got != 1 {
		t.Errorf("%d steppers registered, want 1", got)
	}
	if err := s.add(StepperSpec{Stepper: &fakeStepper{}}); err == nil {
		t.Error("a stepper without a name was taken")
	}

	e := &Engine{composers: map[string]Composer{}}
	noop := ComposerFunc(func(context.Context, Context) (Message, error) { return Message{}, nil })
	if err := e.Register("okr", noop); err != nil {
		t.Fatal(err)
	}
	if err := e.Register("okr", noop); !errors.Is(err, ErrDuplicate) {
		t.Errorf("second composer okr: error %v, want ErrDuplicate", err)
	}
	for _, bad := range []string{"", "okr:nudge", "okr#1"} {
		if err := e.Register(bad, noop); err == nil {
			t.Errorf("composer kind %q was taken", bad)
		}
	}
}

// When the tick's own context ends (shutdown), the tick waits for its
// steppers to return rather than leave them running.
func TestStepperWaitedForOnShutdown(t *testing.T) {
	s, m := newSteppers(t)
	stopped := make(chan struct{})
	var returned bool
	slow := &fakeStepper{tick: func(ctx context.Context) error {
		<-ctx.Done()
		<-stopped // returns only once the test lets it
		returned = true
		return ctx.Err()
	}}
	if err := s.add(StepperSpec{Name: "slow", Stepper: slow}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := s.start(ctx, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	cancel()
	waited := make(chan struct{})
	go func() { wait(); close(waited) }()
	select {
	case <-waited:
		t.Fatal("the tick stopped waiting for a stepper still running at shutdown")
	default:
	}
	close(stopped)
	<-waited
	if !returned {
		t.Error("wait returned before the stepper did")
	}
	if got := stepCount(m, "slow", "overran"); got != 0 {
		t.Errorf("a stepper stopped by shutdown was counted as overran %d times", got)
	}
}

// A stepper left running past its budget by its tick is waited for at
// shutdown (Drain), within the caller's bound: one still running then is
// named, and once it returns Drain has nothing left to wait for.
func TestDrainWaitsForARunPastItsBudget(t *testing.T) {
	s, _ := newSteppers(t)
	release := make(chan struct{})
	var returned atomic.Bool
	blocked := &fakeStepper{tick: func(context.Context) error { // ignores its context
		<-release
		returned.Store(true)
		return nil
	}}
	if err := s.add(StepperSpec{Name: "blocked", Budget: time.Millisecond, Stepper: blocked}); err != nil {
		t.Fatal(err)
	}
	if err := s.add(StepperSpec{Name: "steady", Stepper: &fakeStepper{}}); err != nil {
		t.Fatal(err)
	}
	if err := s.drain(context.Background()); err != nil {
		t.Fatalf("drain before any run: %v", err)
	}
	runMinutes(s, 1) // the tick goes on without blocked
	if returned.Load() {
		t.Fatal("the stepper returned before it was let go")
	}
	bounded, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.drain(bounded)
	if err == nil || !strings.Contains(err.Error(), "blocked") || strings.Contains(err.Error(), "steady") || !errors.Is(err, context.Canceled) {
		t.Errorf("drain with the bound passed: %v, want an error naming blocked alone", err)
	}
	drained := make(chan error, 1)
	go func() { drained <- s.drain(context.Background()) }()
	close(release)
	if err := <-drained; err != nil {
		t.Errorf("drain: %v", err)
	}
	if !returned.Load() {
		t.Error("drain returned before the stepper did")
	}
}

// A tick whose context has ended (shutdown) starts no stepper run: Drain,
// called then, has nothing started after it began to miss.
func TestStepperNotStartedOnceTheTickIsStopping(t *testing.T) {
	s, m := newSteppers(t)
	f := &fakeStepper{}
	if err := s.add(StepperSpec{Name: "f", Stepper: f}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.start(ctx, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))()
	if got := f.runs(); got != 0 {
		t.Errorf("stepper ran %d times on a stopped tick, want 0", got)
	}
	if s.all()[0].running.Load() || s.all()[0].lastRun() != nil {
		t.Error("a stepper run is marked under way on a stopped tick")
	}
	if got := stepCount(m, "f", "ok") + stepCount(m, "f", "skipped"); got != 0 {
		t.Errorf("runs counted on a stopped tick: %d, want 0", got)
	}
}

// Once a stepper is seen not running, the channel of its last run is
// closed: a run is never marked over before its end is visible to Drain,
// nor is a new one marked under way before its channel is in place.
func TestStepperRunEndsBeforeItIsMarkedOver(t *testing.T) {
	s, _ := newSteppers(t)
	if err := s.add(StepperSpec{Name: "f", Stepper: &fakeStepper{}}); err != nil {
		t.Fatal(err)
	}
	st := s.all()[0]
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for i := range 1000 {
		s.start(context.Background(), t0.Add(time.Duration(i)*time.Minute))
		for st.running.Load() {
			runtime.Gosched()
		}
		select {
		case <-st.lastRun():
		default:
			t.Fatalf("run %d: not running, but its channel is not closed", i)
		}
	}
}

// dueStepper says it is next due at due, or fails or panics saying so.
type dueStepper struct {
	fakeStepper
	nextDue func() (time.Time, bool, error)
}

func (d *dueStepper) NextDue(context.Context) (time.Time, bool, error) { return d.nextDue() }

// A stepper whose NextDue fails or panics is logged and left out; the
// others' instants still count.
func TestNextDueLeavesOutABrokenStepper(t *testing.T) {
	s, _ := newSteppers(t)
	due := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	for _, spec := range []StepperSpec{
		{Name: "panics", Stepper: &dueStepper{nextDue: func() (time.Time, bool, error) { panic("nil map") }}},
		{Name: "fails", Stepper: &dueStepper{nextDue: func() (time.Time, bool, error) { return time.Time{}, false, errors.New("database gone") }}},
		{Name: "due", Stepper: &dueStepper{nextDue: func() (time.Time, bool, error) { return due, true, nil }}},
	} {
		if err := s.add(spec); err != nil {
			t.Fatal(err)
		}
	}
	if at, ok := s.nextDue(context.Background()); !ok || !at.Equal(due) {
		t.Errorf("nextDue() = %v, %v; want %v, true", at, ok, due)
	}
}
