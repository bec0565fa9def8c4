package peers

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// Circles: a circles network opens a term every n.TermMonths from its
// anchor (peers.TermStart, in the network's zone) and a session of every
// circle of the current term on each round date inside it. Terms and
// sessions are known by their dates, not by numbers worked out from the
// anchor, so an edit of the cadence, the weekday or the term length never
// stops them: the schedule's term containing today opens when it starts
// after the last stored term started (numbered one after it), or, the
// last stored term being over, from the day after it ends to the
// schedule's next term; a circle's session opens on a round date it has
// no session on yet, numbered one after its last. Each opening is one
// transaction: the stored term or session (unique per network and
// number, per circle and number) and every message it already knows,
// planned on the network's schedule with PlanOnce, which joins the
// transaction. A second replica, or a restart, finds the term or session
// stored and plans nothing.

// sampleDays is how many days from a term's start the circles' working
// windows are sampled over (at least up to its first session).
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
	term, has, err := s.store.LatestRound(ctx, ws, n.ID, peers.RoundTerm)
	if err != nil {
		return time.Time{}, err
	}
	switch {
	case !has || termStart.After(term.StartsOn):
		number := 1
		if has {
			number = term.Number + 1
		}
		if term, err = s.openTerm(ctx, ws, n, number, termStart, nextTerm.AddDays(-1), now); err != nil {
			return time.Time{}, err
		}
	case day.After(term.EndsOn):
		// The term grew: the schedule's term began before the last
		// stored one, which is over. A term runs from the day after it
		// to the schedule's next.
		if term, err = s.openTerm(ctx, ws, n, term.Number+1, term.EndsOn.AddDays(1), nextTerm.AddDays(-1), now); err != nil {
			return time.Time{}, err
		}
	}
	next := dayStart(n, nextTerm)
	r, _ := peers.RoundOn(n.Anchor, period, day)
	if on := peers.RoundStart(n.Anchor, period, r); on == day && !on.Before(term.StartsOn) && !on.After(term.EndsOn) {
		if err := s.openSessions(ctx, ws, n, term, day, now); err != nil {
			return time.Time{}, err
		}
	}
	if at := dayStart(n, peers.RoundStart(n.Anchor, period, r+1)); at.Before(next) {
		next = at
	}
	return next, nil
}

// firstSession is the first round date of n on or after first: the day
// a term starting on first first meets.
func firstSession(n peers.Network, first calendar.Date) calendar.Date {
	period := n.Cadence.Period()
	r, ok := peers.RoundOn(n.Anchor, period, first)
	if !ok {
		return n.Anchor
	}
	if on := peers.RoundStart(n.Anchor, period, r); !on.Before(first) {
		return on
	}
	return peers.RoundStart(n.Anchor, period, r+1)
}

// openTerm forms and stores term number of n, which runs from first to
// last, and plans its welcome messages, in one transaction. Away and
// paused are judged by the term's first session date alone: someone back
// by then is placed; someone back later is placed at a later session
// (placeJoiners).
func (s *Service) openTerm(ctx context.Context, ws string, n peers.Network, number int, first, last calendar.Date, now time.Time) (peers.Round, error) {
	from := dayStart(n, first)
	meets := firstSession(n, first)
	end := first.AddDays(sampleDays)
	if !end.After(meets) {
		end = meets.AddDays(1)
	}
	to := dayStart(n, end)
	pop, err := s.population(ctx, ws, n, from, to, later(meets, openingDay(n, first, now)), now)
	if err != nil {
		return peers.Round{}, err
	}
	for i := range pop.candidates {
		c := &pop.candidates[i]
		c.Away = false
		if p, ok := pop.people[c.ID]; ok {
			loc := p.Location()
			c.Away = awayThroughout(pop.away[c.ID], meets.In(loc), meets.AddDays(1).In(loc), loc)
		}
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
		r, created, err := s.store.SaveRound(ctx, ws, peers.Round{NetworkID: n.ID, Kind: peers.RoundTerm, Number: number,
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
		return peers.Round{}, fmt.Errorf("open term %d: %w", number, err)
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

// later is the later of two instants, or of two dates.
func later[T interface{ After(T) bool }](a, b T) T {
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
