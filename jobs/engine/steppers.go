package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Stepper is other time-driven work that runs with the engine's ticks:
// the check-ins' round closing and channel posts. Tick runs it once it has
// planned, beside its own deliveries, and RunUntil also stops at the
// instants it is due.
type Stepper interface {
	// NextDue is when the stepper next has work.
	NextDue(ctx context.Context) (time.Time, bool, error)
	// Tick does the work due at now.
	Tick(ctx context.Context, now time.Time) error
}

// StepperSpec is a Stepper with its name, for logs, metrics and
// refusals, and its time budget.
type StepperSpec struct {
	// Name is unique among an engine's steppers ("checkins").
	Name string
	// Budget bounds each run: its context ends then, and the tick waits
	// for it no longer. Keep it under a minute, so that a tick is never
	// held into the next one. DefaultStepBudget when zero.
	Budget  time.Duration
	Stepper Stepper
}

// DefaultStepBudget is a stepper's budget when its spec gives none.
const DefaultStepBudget = 50 * time.Second

// ErrDuplicate is wrapped by the error of a registration refused because
// its composer kind or stepper name is taken.
var ErrDuplicate = errors.New("engine: registered twice")

// steppers runs an engine's steppers, each isolated from the others: each
// run has its own goroutine and its own deadline (the stepper's budget);
// one that fails, panics or runs long is logged and counted and keeps no
// other from its runs. A stepper still running from an earlier tick is not
// started again until it returns.
type steppers struct {
	log     *slog.Logger
	metrics *Metrics

	mu   sync.RWMutex
	list []*stepper
}

// stepper is one registered stepper and whether a run of it is under way.
type stepper struct {
	StepperSpec
	// running is true while a run is under way. It changes only under mu,
	// together with run (see begin and end), and may be read without it.
	running atomic.Bool

	mu sync.Mutex
	// run is closed when the latest run returns; nil before the first.
	run chan struct{}
}

// begin marks a run under way and returns the channel its end closes, or
// false when a run is under way already. The run's channel is in place
// before anyone can see running true, so drain never waits on the channel
// of a run that is over while a newer one is under way.
func (st *stepper) begin() (chan struct{}, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.running.Load() {
		return nil, false
	}
	done := make(chan struct{})
	st.run = done
	st.running.Store(true)
	return done, true
}

// end marks the run begin returned done for over: done is closed before
// running is false, so that a run started next (and the channel drain
// reads) never comes before the end of this one is visible.
func (st *stepper) end(done chan struct{}) {
	st.mu.Lock()
	defer st.mu.Unlock()
	close(done)
	st.running.Store(false)
}

// lastRun is the channel closed when the stepper's latest run returns.
func (st *stepper) lastRun() chan struct{} {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.run
}

// add registers spec; a name already taken is refused.
func (s *steppers) add(spec StepperSpec) error {
	if spec.Name == "" || spec.Stepper == nil {
		return errors.New("engine: a stepper needs a name and a Stepper")
	}
	if spec.Budget <= 0 {
		spec.Budget = DefaultStepBudget
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.list {
		if st.Name == spec.Name {
			return fmt.Errorf("%w: stepper %q", ErrDuplicate, spec.Name)
		}
	}
	s.list = append(s.list, &stepper{StepperSpec: spec})
	return nil
}

func (s *steppers) all() []*stepper {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.list
}

// start starts a run of every stepper not still running, each at now on
// its own goroutine with a context ending at its budget, and returns a
// wait that returns once each run has returned or reached its budget.
// A run past its budget is left to finish on its own; when ctx ends
// first, wait waits for every run to return. When ctx has ended already
// (shutdown), nothing is started.
func (s *steppers) start(ctx context.Context, now time.Time) (wait func()) {
	if ctx.Err() != nil {
		return func() {}
	}
	var waits sync.WaitGroup
	for _, st := range s.all() {
		done, ok := st.begin()
		if !ok {
			s.log.WarnContext(ctx, "stepper still running from an earlier tick; not started again", "stepper", st.Name)
			s.metrics.step(st.Name, "skipped")
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, st.Budget)
		go func() {
			// Last in, first out: the run is marked over (done closed),
			// then its context is let go.
			defer cancel()
			defer st.end(done)
			s.runOne(sctx, st, now)
		}()
		waits.Go(func() {
			select {
			case <-done:
				return
			case <-sctx.Done():
			}
			select {
			case <-done:
			default:
				if ctx.Err() != nil {
					// The tick itself is stopping (shutdown): the stepper
					// saw it too, and is waited for, so nothing it does
					// outlives the tick.
					<-done
					return
				}
				s.log.ErrorContext(ctx, "stepper ran past its budget; the tick goes on without it", "stepper", st.Name, "budget", st.Budget)
				s.metrics.step(st.Name, "overran")
			}
		})
	}
	return waits.Wait
}

// drain waits for every stepper run under way, one left running past its
// budget included, to return, or for ctx to end; then it names the
// steppers still running.
func (s *steppers) drain(ctx context.Context) error {
	var still []string
	for _, st := range s.all() {
		run := st.lastRun()
		if run == nil {
			continue
		}
		select {
		case <-run:
		case <-ctx.Done():
			select {
			case <-run:
			default:
				still = append(still, st.Name)
			}
		}
	}
	if len(still) > 0 {
		return fmt.Errorf("engine: steppers %s still running: %w", strings.Join(still, ", "), ctx.Err())
	}
	return nil
}

// runOne runs one stepper once, logging and counting how it ended.
func (s *steppers) runOne(ctx context.Context, st *stepper, now time.Time) {
	outcome := "ok"
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				outcome = "panic"
				err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			}
		}()
		return st.Stepper.Tick(ctx, now)
	}()
	if err != nil {
		if outcome == "ok" {
			outcome = "error"
		}
		s.log.ErrorContext(ctx, "stepper failed", "stepper", st.Name, "now", now, "err", err)
	}
	s.metrics.step(st.Name, outcome)
}

// nextDue is the earliest instant a stepper has work. A stepper that
// cannot tell, failing or panicking, is logged and left out, so it does not
// hide the others.
func (s *steppers) nextDue(ctx context.Context) (time.Time, bool) {
	var at time.Time
	var ok bool
	for _, st := range s.all() {
		t, sok, err := func() (t time.Time, ok bool, err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
				}
			}()
			return st.Stepper.NextDue(ctx)
		}()
		if err != nil {
			s.log.WarnContext(ctx, "stepper could not say when it is next due", "stepper", st.Name, "err", err)
			continue
		}
		if sok && (!ok || t.Before(at)) {
			at, ok = t, true
		}
	}
	return at, ok
}
