// Package jobs holds Trellis's time-driven work and the scheduler that runs
// it. Every replica runs the same scheduler with the same jobs, so each job
// must be safe to run on several replicas at once: the database, not the
// scheduler, decides who does what.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// RunTimeout bounds each run of a job: its context is cancelled after it.
const RunTimeout = 10 * time.Minute

// Scheduler runs jobs on cron schedules, evaluated in UTC. Each run gets its
// own context with a timeout; a run that fails or panics is logged with
// the job's name and duration, and the job runs again at its next time. A
// run still going when the next is due makes that next one skip.
type Scheduler struct {
	log     *slog.Logger
	cron    *cron.Cron
	timeout time.Duration

	mu      sync.Mutex
	started bool
	root    context.Context // parent of every run's context
	cancel  context.CancelFunc
	stopped chan struct{} // closed by Stop
	stop    sync.Once
}

// NewScheduler returns a scheduler with no jobs; add them with Add, then
// call Start.
func NewScheduler(log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clog := cronLogger{log: log}
	root, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		log: log,
		cron: cron.New(
			cron.WithLocation(time.UTC),
			cron.WithLogger(clog),
			cron.WithChain(cron.Recover(clog)),
		),
		timeout: RunTimeout,
		root:    root,
		cancel:  cancel,
		stopped: make(chan struct{}),
	}
}

// Add schedules job under name. spec is a five-field cron expression
// ("*/5 * * * *") or a descriptor ("@hourly", "@every 1m"), in UTC.
func (s *Scheduler) Add(spec, name string, job func(ctx context.Context) error) error {
	if name == "" || job == nil {
		return errors.New("add job: a job needs a name and a func")
	}
	var running atomic.Bool
	if _, err := s.cron.AddFunc(spec, func() { s.run(name, job, &running) }); err != nil {
		return fmt.Errorf("add job %s: %w", name, err)
	}
	return nil
}

// Start runs the jobs on their schedules in the background, until ctx is
// done or Stop is called; after that no new run starts. Runs take ctx's
// values but not its cancellation, so a run under way when ctx is cancelled
// (on SIGTERM, say) may finish: Stop decides how long it has. Start returns
// at once; calling it again, or after Stop, does nothing.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.stopped:
		return
	default:
	}
	if s.started {
		return
	}
	s.started = true
	s.cancel()
	s.root, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.cron.Start()
	go func() {
		select {
		case <-ctx.Done():
			s.cron.Stop()
		case <-s.stopped:
		}
	}()
}

// Stop starts no new run and waits for the runs under way to return. If
// ctx ends first, it cancels their contexts and returns ctx's error without
// waiting further.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stop.Do(func() { close(s.stopped) })
	cancel := s.cancel
	s.mu.Unlock()
	defer cancel()
	idle := s.cron.Stop()
	select {
	case <-idle.Done():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop scheduler: jobs still running: %w", ctx.Err())
	}
}

// run is one run of a job, called by cron on its own goroutine.
func (s *Scheduler) run(name string, job func(ctx context.Context) error, running *atomic.Bool) {
	if !running.CompareAndSwap(false, true) {
		s.log.Warn("job still running; skipping this run", "job", name)
		return
	}
	defer running.Store(false)

	s.mu.Lock()
	root := s.root
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(root, s.timeout)
	defer cancel()

	start := time.Now()
	err := call(ctx, job)
	elapsed := time.Since(start)
	if err != nil {
		s.log.ErrorContext(ctx, "job failed", "job", name, "duration", elapsed, "err", err)
		return
	}
	s.log.DebugContext(ctx, "job done", "job", name, "duration", elapsed)
}

// call runs job, turning a panic into an error so that it is logged with the
// job's name and the job's next run is not skipped.
func call(ctx context.Context, job func(ctx context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return job(ctx)
}

// cronLogger sends cron's own messages to slog: its routine chatter
// (wake, run, schedule) at debug level, its errors at error level.
type cronLogger struct {
	log *slog.Logger
}

func (l cronLogger) Info(msg string, keysAndValues ...any) {
	l.log.Debug("cron: "+msg, keysAndValues...)
}

func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.log.Error("cron: "+msg, append([]any{"err", err}, keysAndValues...)...)
}
