package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/trellis-bot/trellis/models"
)

// leaseKey names one claim an engine holds: a row of an outbox (the
// occurrences, or a feature's channel posts) and its id.
type leaseKey struct {
	outbox string
	id     int64
}

// occurrenceOutbox is the leaseKey outbox of occurrences.
const occurrenceOutbox = "occurrences"

func occurrenceKey(id int64) leaseKey { return leaseKey{outbox: occurrenceOutbox, id: id} }

// Renewer extends the lease of a claim on one row of an outbox to until,
// if token still holds it; otherwise it returns models.ErrLeaseLost.
// models.Occurrences.Renew is the occurrences' one.
type Renewer func(ctx context.Context, id int64, token string, until time.Time) error

// heldLease is one claim an engine holds.
type heldLease struct {
	token string
	until time.Time
	lost  bool
	renew Renewer
}

// leases is every claim an engine holds, of occurrences and of posts:
// what its heartbeat renews, and what the check before the wire reads,
// without a query, to know a claim is still its own.
type leases struct {
	mu sync.Mutex
	m  map[leaseKey]*heldLease
	// occ renews occurrences.
	occ Renewer
}

// hold records one claim, leased until until, renewed by renew.
func (l *leases) hold(k leaseKey, token string, until time.Time, renew Renewer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.m[k] = &heldLease{token: token, until: until, renew: renew}
}

// add records claims on occurrences, leased until until.
func (l *leases) add(claims []models.Claim, until time.Time) {
	for _, c := range claims {
		l.hold(occurrenceKey(c.Occurrence.ID), c.Token, until, l.occ)
	}
}

// forget forgets a claim that was settled or released. Only the claim
// token names is forgotten: a newer claim on the same row, taken by
// another sender of this engine since, stays held.
func (l *leases) forget(k leaseKey, token string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h, ok := l.m[k]; ok && h.token == token {
		delete(l.m, k)
	}
}

// drop forgets a claim on an occurrence.
func (l *leases) drop(id int64, token string) { l.forget(occurrenceKey(id), token) }

// dropAll forgets claims on occurrences, whatever became of them.
func (l *leases) dropAll(claims []models.Claim) {
	for _, c := range claims {
		l.drop(c.Occurrence.ID, c.Token)
	}
}

// renewedKey records the outcome of renewing the claim token names to
// until; the outcome of renewing an older claim on the row says nothing
// of a newer one.
func (l *leases) renewedKey(k leaseKey, token string, until time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.m[k]
	switch {
	case !ok || h.token != token:
	case err == nil:
		h.until = until
	case errors.Is(err, models.ErrLeaseLost):
		h.lost = true
	}
}

// renewed records the outcome of renewing a claim on an occurrence.
func (l *leases) renewed(id int64, token string, until time.Time, err error) {
	l.renewedKey(occurrenceKey(id), token, until, err)
}

// holdsKey reports whether the claim is held, and its lease runs past t.
func (l *leases) holdsKey(k leaseKey, t time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.m[k]
	return ok && !h.lost && h.until.After(t)
}

// holds reports whether the claim on an occurrence is held past t.
func (l *leases) holds(id int64, t time.Time) bool { return l.holdsKey(occurrenceKey(id), t) }

// snapshot lists the claims held and not lost.
func (l *leases) snapshot() map[leaseKey]heldLease {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[leaseKey]heldLease, len(l.m))
	for k, h := range l.m {
		if !h.lost {
			out[k] = *h
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

// beat counts the users of the engine's one heartbeat: a run delivering
// occurrences, and each sender of posts.
type beat struct {
	mu    sync.Mutex
	users int
	stop  func()
}

// keepAlive makes sure the heartbeat runs until the returned release is
// called (by every caller that asked): one heartbeat renews every claim the
// engine holds, whoever holds it.
func (e *Engine) keepAlive(ctx context.Context) (release func()) {
	e.beat.mu.Lock()
	defer e.beat.mu.Unlock()
	e.beat.users++
	if e.beat.users == 1 {
		// Its own context, carrying none of this caller's values (a
		// transaction, say): it outlives the caller when others hold on.
		e.beat.stop = e.heartbeat(context.Background())
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			e.beat.mu.Lock()
			e.beat.users--
			var stop func()
			if e.beat.users == 0 {
				stop, e.beat.stop = e.beat.stop, nil
			}
			e.beat.mu.Unlock()
			// Stopped outside the lock: a renewal in flight never holds up
			// another sender starting the next heartbeat.
			if stop != nil {
				stop()
			}
		})
	}
}

// heartbeat renews, every third of a lease by the engine's clock, the
// lease of every claim the engine holds — occurrences being sent and
// waiting their turn behind Slack's pace, and posts — until the returned
// stop is called. A claim another replica took over is marked lost, so it
// is not sent.
func (e *Engine) heartbeat(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	pulse, stopPulse := e.pulse()
	last := e.clock.Now()
	go func() {
		defer close(finished)
		defer stopPulse()
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
	for k, h := range e.held.snapshot() {
		wctx, cancel := WriteContext(ctx)
		err := h.renew(wctx, k.id, h.token, until)
		cancel()
		e.held.renewedKey(k, h.token, until, err)
		switch {
		case errors.Is(err, models.ErrLeaseLost):
			// Settled a moment ago by this engine, or taken over.
		case err != nil:
			e.log.WarnContext(ctx, "heartbeat could not renew a lease", "outbox", k.outbox, "id", k.id, "err", err)
		}
	}
}
