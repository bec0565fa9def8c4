package peers

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// Circles: a circles network opens a term every n.TermMonths from its
// anchor (peers.TermStart, in the network's zone) and a session of every
// circle of the current term on each round date inside it. Each opening
// is one transaction: the stored term or session (unique per network and
// number, per circle and number) and every message it already knows,
// planned on the network's schedule with PlanOnce, which joins the
// transaction. A second replica, or a restart, finds the term or session
// stored and plans nothing.

// sampleDays is how many days from a term's start the circles' working
// windows are sampled over.
const sampleDays = 14

// stepCircles opens a circles network's term and its sessions when due,
// and returns when it next has work.
func (s *Service) stepCircles(ctx context.Context, ws string, n peers.Network, now time.Time) (time.Time, error) {
	period := n.Cadence.Period()
	if period <= 0 || n.TermMonths <= 0 {
		return time.Time{}, nil
	}
	day := today(n, now)
	k, ok := peers.TermOn(n.Anchor, n.TermMonths, day)
	if !ok {
		return dayStart(n, n.Anchor), nil
	}
	termStart := peers.TermStart(n.Anchor, n.TermMonths, k)
	nextTerm := peers.TermStart(n.Anchor, n.TermMonths, k+1)
	term, err := s.store.RoundByNumber(ctx, ws, n.ID, peers.RoundTerm, k+1)
	switch {
	case errors.Is(err, models.ErrNotFound):
		if term, err = s.openTerm(ctx, ws, n, k, termStart, nextTerm.AddDays(-1), now); err != nil {
			return time.Time{}, err
		}
	case err != nil:
		return time.Time{}, err
	}
	next := dayStart(n, nextTerm)
	r, _ := peers.RoundOn(n.Anchor, period, day)
	if on := peers.RoundStart(n.Anchor, period, r); on == day && !on.Before(termStart) {
		if err := s.openSessions(ctx, ws, n, term, r, day, now); err != nil {
			return time.Time{}, err
		}
	}
	if at := dayStart(n, peers.RoundStart(n.Anchor, period, r+1)); at.Before(next) {
		next = at
	}
	return next, nil
}

// openTerm forms and stores term k (from 0) of n, which runs from first
// to last, and plans its welcome messages, in one transaction.
func (s *Service) openTerm(ctx context.Context, ws string, n peers.Network, k int, first, last calendar.Date, now time.Time) (peers.Round, error) {
	from := dayStart(n, first)
	to := dayStart(n, first.AddDays(sampleDays))
	pop, err := s.population(ctx, ws, n, from, to, first.AddDays(sampleDays-1), now)
	if err != nil {
		return peers.Round{}, err
	}
	hist, err := s.store.History(ctx, ws, n.ID, peers.RoundTerm, 0)
	if err != nil {
		return peers.Round{}, err
	}
	seed, err := randomSeed()
	if err != nil {
		return peers.Round{}, err
	}
	in := peers.CircleInput{Candidates: pop.candidates, History: hist, MinSize: n.MinSize,
		MaxSize: min(n.MaxSize, engine.MaxGroup), Seed: seed}
	res := peers.FormCircles(in)
	groups := make([]peers.RoundGroup, 0, len(res.Circles))
	for _, c := range res.Circles {
		g := peers.RoundGroup{Kind: peers.GroupCircle, Shared: c.Shared}
		for _, u := range c.Members {
			g.Members = append(g.Members, peers.GroupMember{User: u})
		}
		groups = append(groups, g)
	}
	var left []peers.RoundUnmatched
	for _, l := range res.Left {
		left = append(left, peers.RoundUnmatched{User: l.ID, Reason: string(l.Reason)})
	}
	var out peers.Round
	err = s.db.Tx(ctx, func(ctx context.Context) error {
		r, created, err := s.store.SaveRound(ctx, ws, peers.Round{NetworkID: n.ID, Kind: peers.RoundTerm, Number: k + 1,
			StartsOn: first, EndsOn: last, Seed: seed}, groups, left)
		if err != nil {
			return err
		}
		out = r
		if !created {
			return nil
		}
		saved, err := s.store.Groups(ctx, ws, r.ID)
		if err != nil {
			return err
		}
		key := ScheduleKey(n.ID)
		for _, g := range saved {
			to, err := engine.GroupRecipient(g.Users()...)
			if err != nil {
				return fmt.Errorf("circle %d: %w", g.ID, err)
			}
			if _, err := s.eng.PlanOnce(ctx, ws, key, circleWelcome{GroupID: g.ID}, to, firstShared(g.Shared, from, now)); err != nil {
				return err
			}
		}
		for _, l := range res.Left {
			if l.Reason == peers.CircleLeftPaused || l.Reason == peers.CircleLeftAway {
				continue
			}
			if _, err := s.eng.PlanOnce(ctx, ws, key, circleLeft{RoundID: r.ID}, l.ID, later(from, now)); err != nil {
				return err
			}
		}
		s.log.InfoContext(ctx, "peers: term opened", "network", n.ID, "term", r.Number, "circles", len(saved), "left", len(res.Left))
		return nil
	})
	if err != nil {
		return peers.Round{}, fmt.Errorf("open term %d: %w", k+1, err)
	}
	return out, nil
}

// randomSeed is a fresh seed for a matching, stored with its round.
func randomSeed() (int64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	return int64(binary.BigEndian.Uint64(b[:]) >> 1), nil
}

// later is the later of two instants.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// firstShared is the first instant of shared, rounded up to :00 or :30
// when that stays inside its span, not before now; from when there is
// none (the engine then waits for everyone's hours itself).
func firstShared(shared []peers.Interval, from, now time.Time) time.Time {
	for _, iv := range shared {
		if !iv.End.After(now) {
			continue
		}
		at := later(iv.Start, now)
		if up := halfHourUp(at); up.Before(iv.End) {
			at = up
		}
		return at
	}
	return later(from, now)
}

// halfHourUp rounds t up to the next :00 or :30 of its own clock.
func halfHourUp(t time.Time) time.Time {
	r := t.Truncate(30 * time.Minute)
	if r.Before(t) {
		r = r.Add(30 * time.Minute)
	}
	return r
}

// localAt is hh:00 of the date on in loc (the first instant after a gap).
func localAt(on calendar.Date, hour int, loc *time.Location) time.Time {
	return time.Date(on.Year, on.Month, on.Day, hour, 0, 0, 0, loc)
}

// acceptCircles declares the circles' one-off payloads on eng.
func acceptCircles(eng *engine.Engine) error {
	return errors.Join(
		engine.AcceptOneOff[circleWelcome](eng, Kind),
		engine.AcceptOneOff[circleLeft](eng, Kind),
		engine.AcceptOneOff[sessionMsg](eng, Kind),
		engine.AcceptOneOff[recallMsg](eng, Kind),
		engine.AcceptOneOff[commitAsk](eng, Kind),
		engine.AcceptOneOff[shareMsg](eng, Kind),
		engine.AcceptOneOff[askPost](eng, Kind),
	)
}
