package peers

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// joinWindow is how many days from a session its joiners' working hours
// are compared with a circle's members'.
const joinWindow = 14

// placeJoiners places, at the session on day of term, the active people
// present that day who are in no circle of the term — who joined the
// network after its circles were formed, or were away or paused on its
// first session: each into the circle with room (fewer than the
// network's maximum, and never more than a group DM holds) whose members
// share working hours with them, repeating the fewest past pairs, then
// the smallest. It returns who joins which circle (by group id), for the
// sessions' transactions to add. Someone no circle fits is told the
// reason, once a term.
func (s *Service) placeJoiners(ctx context.Context, ws string, n peers.Network, term peers.Round, circles []peers.RoundGroup,
	day calendar.Date, att attendance, now time.Time) (map[int64][]string, error) {
	in := map[string]bool{}
	for _, g := range circles {
		for _, u := range g.Users() {
			in[u] = true
		}
	}
	var out []string
	for u := range att.participants {
		if !in[u] && att.present(u, day, now) {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	slices.Sort(out)
	hist, err := s.store.History(ctx, ws, n.ID, peers.RoundTerm, 0)
	if err != nil {
		return nil, err
	}
	met := map[[2]string]int{}
	for _, m := range hist {
		met[[2]string{m.A, m.B}]++
		met[[2]string{m.B, m.A}]++
	}
	maxSize := n.MaxSize
	if maxSize == 0 {
		maxSize = peers.DefaultCircleMax
	}
	maxSize = min(maxSize, engine.MaxGroup)
	from, to := att.from, dayStart(n, day.AddDays(joinWindow))
	windows := func(u string) []peers.Interval {
		rec, ok := att.recs[u]
		if !ok {
			return nil
		}
		return WorkingWindows(rec, from, to, now)
	}
	joins := map[int64][]string{}
	for _, u := range out {
		mine := windows(u)
		type fit struct {
			g             peers.RoundGroup
			repeats, size int
		}
		var fits []fit
		full := false // a circle shares their hours but has no room
		for _, g := range circles {
			members := append(g.Users(), joins[g.ID]...)
			if !g.EndedOn.IsZero() && !g.EndedOn.After(day) || len(mine) == 0 {
				continue
			}
			all := [][]peers.Interval{mine}
			repeats := 0
			for _, m := range members {
				all = append(all, windows(m))
				repeats += met[[2]string{u, m}]
			}
			if len(peers.SharedSpans(peers.DefaultCircleMinOverlap, all...)) == 0 {
				continue
			}
			if len(members) >= maxSize {
				full = true
				continue
			}
			fits = append(fits, fit{g: g, repeats: repeats, size: len(members)})
		}
		if len(fits) > 0 {
			best := slices.MinFunc(fits, func(a, b fit) int {
				return cmp.Or(cmp.Compare(a.repeats, b.repeats), cmp.Compare(a.size, b.size), cmp.Compare(a.g.ID, b.g.ID))
			})
			joins[best.g.ID] = append(joins[best.g.ID], u)
			continue
		}
		reason := peers.CircleLeftFewShareHours
		switch {
		case len(mine) == 0:
			reason = peers.CircleLeftNoHours
		case full:
			reason = peers.CircleLeftNoFit
		}
		if err := s.tellNoCircle(ctx, ws, n, term, u, reason, later(from, now)); err != nil {
			return nil, err
		}
	}
	return joins, nil
}

// tellNoCircle records why user is in no circle of term and, unless they
// were told a reason already this term, plans the DM saying it at at.
func (s *Service) tellNoCircle(ctx context.Context, ws string, n peers.Network, term peers.Round, user string, reason peers.CircleLeftReason, at time.Time) error {
	return s.db.Tx(ctx, func(ctx context.Context) error {
		tell, err := s.store.NoteLeftOut(ctx, ws, term.ID, user, string(reason))
		if err != nil || !tell {
			return err
		}
		_, err = s.eng.PlanOnce(ctx, ws, ScheduleKey(n.ID), circleLeft{RoundID: term.ID}, user, at)
		return err
	})
}
