// Package clock gives Trellis one notion of "now" that tests and the sandbox
// can control. Everything that decides by time takes a Clock instead of
// calling time.Now, so the sandbox can run a fortnight of check-ins in minutes.
package clock

import (
	"sync"
	"time"
)

// Clock tells the current instant.
type Clock interface {
	Now() time.Time
}

// System is the real wall clock.
type System struct{}

// Now returns time.Now().
func (System) Now() time.Time { return time.Now() }

// Sim is a controllable clock. It keeps flowing with real time from an offset
// that Set and Advance move, unless frozen, in which case it stands still
// between calls to Set and Advance. The zero value is not usable; call NewSim.
type Sim struct {
	mu     sync.Mutex
	offset time.Duration
	frozen bool
	at     time.Time // the frozen instant when frozen
	real   func() time.Time
}

// NewSim returns a flowing clock that starts at start (or at the real time
// when start is zero).
func NewSim(start time.Time) *Sim {
	s := &Sim{real: time.Now}
	if !start.IsZero() {
		s.offset = time.Until(start)
	}
	return s
}

// NewFrozen returns a clock standing still at start; only Set and Advance move it.
func NewFrozen(start time.Time) *Sim {
	return &Sim{real: time.Now, frozen: true, at: start}
}

// Now returns the simulated instant.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frozen {
		return s.at
	}
	return s.real().Add(s.offset)
}

// Set moves the clock to t.
func (s *Sim) Set(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frozen {
		s.at = t
		return
	}
	s.offset = t.Sub(s.real())
}

// Advance moves the clock forward by d (backward when d is negative).
func (s *Sim) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frozen {
		s.at = s.at.Add(d)
		return
	}
	s.offset += d
}

// Frozen reports whether the clock stands still between moves.
func (s *Sim) Frozen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frozen
}
