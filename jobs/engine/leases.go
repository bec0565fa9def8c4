package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/trellis-bot/trellis/models"
)

// heldLease is one claim an engine holds.
type heldLease struct {
	token string
	until time.Time
	lost  bool
}

// leases is every claim an engine holds: what its heartbeat renews, and
// what the check before the wire reads, without a query, to know a claim
// is still its own.
type leases struct {
	mu sync.Mutex
	m  map[int64]*heldLease
}

// add records claims, leased until until.
func (l *leases) add(claims []models.Claim, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range claims {
		l.m[c.Occurrence.ID] = &heldLease{token: c.Token, until: until}
	}
}

// drop forgets a claim that was settled or released.
func (l *leases) drop(id int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, id)
}

// dropAll forgets claims, whatever became of them.
func (l *leases) dropAll(claims []models.Claim) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range claims {
		delete(l.m, c.Occurrence.ID)
	}
}

// renewed records the outcome of renewing a claim to until.
func (l *leases) renewed(id int64, until time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.m[id]
	switch {
	case !ok:
	case err == nil:
		h.until = until
	case errors.Is(err, models.ErrLeaseLost):
		h.lost = true
	}
}

// holds reports whether the claim is held, and its lease runs past t.
func (l *leases) holds(id int64, t time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.m[id]
	return ok && !h.lost && h.until.After(t)
}

// snapshot lists the claims held and not lost.
func (l *leases) snapshot() map[int64]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[int64]string, len(l.m))
	for id, h := range l.m {
		if !h.lost {
			out[id] = h.token
		}
	}
	return out
}

// pulseEvery is how often the heartbeat looks at the engine's clock. The
// clock decides when a renewal is due (a third of the lease after the
// last); the pulse only wakes the heartbeat to look, which is why it runs
// on real time: the sandbox's clock may jump, and tests drive the pulse.
const pulseEvery = time.Second

func realPulse() (<-chan time.Time, func()) {
	t := time.NewTicker(pulseEvery)
	return t.C, t.Stop
}

// heartbeat renews, every third of a lease by the engine's clock, the
// lease of every claim the engine holds — those being sent and those
// waiting their turn behind Slack's pace — until the returned stop is
// called. A claim another replica took over is marked lost, so it is not
// sent.
func (e *Engine) heartbeat(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	pulse, stopPulse := e.pulse()
	go func() {
		defer close(finished)
		defer stopPulse()
		last := e.clock.Now()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-pulse:
			}
			now := e.clock.Now()
			if now.Sub(last) < e.lease/3 {
				continue
			}
			last = now
			e.renewHeld(ctx, now.Add(e.lease))
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// renewHeld extends every held claim's lease to until.
func (e *Engine) renewHeld(ctx context.Context, until time.Time) {
	for id, token := range e.held.snapshot() {
		err := e.occ.Renew(ctx, id, token, until)
		e.held.renewed(id, until, err)
		switch {
		case errors.Is(err, models.ErrLeaseLost):
			// Settled a moment ago by this engine, or taken over.
		case err != nil:
			e.log.WarnContext(ctx, "heartbeat could not renew a lease", "occurrence", id, "err", err)
		}
	}
}
