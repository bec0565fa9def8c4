package peers

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// An intros round, as the stepper opens it (docs/peers-intros-draft.md):
//
//   - The schedule's round k (rounds.go counts from 0) runs from its
//     first day to the day before the next round's, in the network's
//     zone, and is opened at 00:00 of its first day — or at the first
//     tick after, should no replica run then. Only the round containing
//     today is ever opened: a network paused for weeks, or a Trellis down
//     for weeks, opens the current round, never a backlog. It is stored
//     as the round after the last stored one, and opens only when it
//     starts after that one's last day (stepIntros): an edited cadence or
//     weekday takes effect at its next round start.
//   - A person paused on the day the round opens (in the network's zone)
//     is out of the whole round, however soon the pause ends.
//   - Each person's windows are their working windows over their own
//     local days of the round: the matching reads windows over the round
//     widened by a day each side (so a zone ahead of or behind the
//     network's keeps its Monday and its Friday), cut to the person's
//     first day 00:00 to the day after their last 00:00, and never before
//     the opening: a time already gone is not suggested.
//   - One transaction saves the round (once: a second replica finds it
//     saved and plans nothing) and plans every message the round already
//     knows: the intros, the notes to those left out, the follow-ups and
//     the counts post. It also settles the previous round's silence.

// HistoryRounds is how many earlier rounds the matching reads to prefer
// new partners.
const HistoryRounds = 50

// noteHour is the local hour the unmatched notes, the pause checks and the
// counts post are nominally sent at; the engine moves a DM into the
// person's working hours.
const noteHour = 10

// stepIntros opens the round of intros network n that contains today in
// its zone, if no replica has, reads teams ahead of the next round
// (warmTeams), and returns when it next has work.
//
// A round is known by its first day, not by a number worked out from the
// anchor and the cadence, so an edit of the cadence or the weekday never
// stops rounds: the round the network's current schedule has today opens
// when it starts after the last stored round's last day (rounds never
// overlap), numbered one after it. Two replicas opening it at once save it
// once: the number is unique per network.
func (s *Service) stepIntros(ctx context.Context, ws string, n peers.Network, now time.Time, batch func() *WarmBatch) (time.Time, error) {
	period := n.Cadence.Period()
	if period <= 0 || n.Anchor.IsZero() {
		return time.Time{}, nil
	}
	k, ok := peers.RoundOn(n.Anchor, period, today(n, now))
	if !ok {
		return s.warmTeams(ctx, ws, n, dayStart(n, n.Anchor), now, batch), nil
	}
	next := dayStart(n, peers.RoundStart(n.Anchor, period, k+1))
	first, last := roundDays(n, k)
	latest, has, err := s.store.LatestRound(ctx, ws, n.ID, peers.RoundRound)
	if err != nil {
		return time.Time{}, err
	}
	if !has || first.After(latest.EndsOn) {
		number := 1
		var prev *peers.Round
		if has {
			number, prev = latest.Number+1, &latest
		}
		if err := s.openRound(ctx, ws, n, first, last, number, prev, now); err != nil {
			return time.Time{}, fmt.Errorf("open round %d: %w", number, err)
		}
	}
	return s.warmTeams(ctx, ws, n, next, now, batch), nil
}

// warmMinute is how soon the stepper runs again while teams are left to
// read ahead.
const warmMinute = time.Minute

// warmTeams reads ahead, within the workspace's batch, the teams of n's
// participants that the round opening at opens would not find kept, and
// returns when the stepper should next look at n: opens when nothing is
// left to read (or n's teams come from no profile field), the start of
// the read-ahead before it, or a minute on while some are still missing.
// A failure is logged and left to the hourly recheck: the round reads
// what it still lacks itself.
func (s *Service) warmTeams(ctx context.Context, ws string, n peers.Network, opens, now time.Time, batch func() *WarmBatch) time.Time {
	if _, ok := n.TeamField(); !ok || s.warm == nil {
		return opens
	}
	if from := opens.Add(-WarmAhead); now.Before(from) {
		return from
	}
	parts, err := s.store.Participants(ctx, ws, n.ID)
	if err != nil {
		s.log.WarnContext(ctx, "peers: could not read teams ahead", "network", n.ID, "err", err)
		return opens
	}
	var users []string
	for _, p := range parts {
		if !p.Left {
			users = append(users, p.User)
		}
	}
	slices.Sort(users)
	missing, err := s.warm(ctx, ws, n, users, opens, batch())
	switch {
	case err != nil:
		s.log.WarnContext(ctx, "peers: could not read teams ahead", "network", n.ID, "err", err)
		return opens
	case missing > 0 && now.Add(warmMinute).Before(opens):
		return now.Add(warmMinute)
	}
	return opens
}

// roundDays are the first and last days of round k of n, in its zone.
func roundDays(n peers.Network, k int) (first, last calendar.Date) {
	period := n.Cadence.Period()
	return peers.RoundStart(n.Anchor, period, k), peers.RoundLast(n.Anchor, period, k)
}

// openRound matches the round of n that runs from first to last, stored
// as number (prev is the round before it, if any) and, in one
// transaction, saves it and plans its messages. Another replica having
// saved it first, it does nothing more.
func (s *Service) openRound(ctx context.Context, ws string, n peers.Network, first, last calendar.Date, number int, prev *peers.Round, now time.Time) error {
	from, to := dayStart(n, first), dayStart(n, last.AddDays(1))
	if err := s.ensureSchedule(ctx, ws, n); err != nil {
		return err
	}
	pop, err := s.population(ctx, ws, n, from.AddDate(0, 0, -1), to.AddDate(0, 0, 1), openingDay(n, first, now), now)
	if err != nil {
		return err
	}
	localRound(&pop, first, last, now)

	// The previous round's groups that were asked how it went and said
	// nothing: their members come first this round, and count one more
	// ignored follow-up. A group whose follow-up never reached it (a
	// member left or paused, no shared time) was not asked, so is not
	// silent (askedSilent).
	var silent []string
	if prev != nil {
		gs, err := s.store.Groups(ctx, ws, prev.ID)
		if err != nil {
			return err
		}
		if silent, err = s.askedSilent(ctx, ws, n, gs); err != nil {
			return err
		}
	}
	for i := range pop.candidates {
		if slices.Contains(silent, pop.candidates[i].ID) {
			pop.candidates[i].Priority = true
		}
	}

	history, err := s.store.History(ctx, ws, n.ID, peers.RoundRound, HistoryRounds)
	if err != nil {
		return err
	}
	seed, err := newSeed()
	if err != nil {
		return err
	}
	res := peers.Match(peers.MatchInput{Candidates: pop.candidates, History: history, GroupSize: n.GroupSize, Seed: seed})
	groups := make([]peers.RoundGroup, len(res.Groups))
	for i, g := range res.Groups {
		kind := peers.GroupPair
		if len(g.Members) == 3 {
			kind = peers.GroupTriple
		}
		rg := peers.RoundGroup{Kind: kind, Shared: g.Shared}
		for _, m := range g.Members {
			rg.Members = append(rg.Members, peers.GroupMember{User: m})
		}
		groups[i] = rg
	}
	unmatched := make([]peers.RoundUnmatched, len(res.Unmatched))
	for i, u := range res.Unmatched {
		unmatched[i] = peers.RoundUnmatched{User: u.ID, Reason: u.Reason.String(), Priority: firstNextRound(u.Reason)}
	}

	return s.db.Tx(ctx, func(ctx context.Context) error {
		r, created, err := s.store.SaveRound(ctx, ws, peers.Round{NetworkID: n.ID, Kind: peers.RoundRound, Number: number,
			StartsOn: first, EndsOn: last, Seed: seed}, groups, unmatched)
		if err != nil || !created {
			return err
		}
		stored, err := s.store.Groups(ctx, ws, r.ID)
		if err != nil {
			return err
		}
		if err := s.planRound(ctx, ws, n, r, stored, res.Unmatched, pop, now); err != nil {
			return err
		}
		s.log.InfoContext(ctx, "peers: round opened", "network", n.ID, "round", r.Number, "groups", len(stored), "unmatched", len(unmatched))
		return s.settleSilence(ctx, ws, n, r, silent, pop, now)
	})
}

// firstNextRound reports whether a person left out for reason comes first
// next round: those who could take part.
func firstNextRound(r peers.UnmatchedReason) bool {
	return r == peers.NoPartner || r == peers.NoOverlap
}

// ensureSchedule creates n's schedule if it has none (a network made
// before its handler told the service): its one-offs hang on it.
func (s *Service) ensureSchedule(ctx context.Context, ws string, n peers.Network) error {
	_, err := s.eng.Schedules().Get(ctx, ws, ScheduleKey(n.ID))
	if errors.Is(err, models.ErrNotFound) {
		return s.putSchedule(ctx, ws, n)
	}
	return err
}

// localRound cuts each candidate's windows to their own local days of the
// round, [first 00:00, the day after last 00:00) in their zone, and to
// after now; a person with no window left who is away every one of those
// days is away.
func localRound(pop *population, first, last calendar.Date, now time.Time) {
	for i := range pop.candidates {
		c := &pop.candidates[i]
		p, ok := pop.people[c.ID]
		if !ok {
			continue
		}
		loc := p.Location()
		lo, hi := first.In(loc), last.AddDays(1).In(loc)
		if lo.Before(now) {
			lo = now
		}
		c.Windows = clip(c.Windows, lo, hi)
		c.Away = len(c.Windows) == 0 && awayThroughout(pop.away[c.ID], first.In(loc), hi, loc)
	}
}

// clip is the parts of ws inside [lo, hi).
func clip(ws []peers.Interval, lo, hi time.Time) []peers.Interval {
	var out []peers.Interval
	for _, w := range ws {
		if w.Start.Before(lo) {
			w.Start = lo
		}
		if w.End.After(hi) {
			w.End = hi
		}
		if w.End.After(w.Start) {
			out = append(out, w)
		}
	}
	return out
}

// newSeed is a random seed for a round's matching, stored with it.
func newSeed() (int64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	return int64(binary.BigEndian.Uint64(b[:]) >> 1), nil
}

// planRound plans, inside the round's transaction, every message round r
// already knows: per group its intro and its follow-up, a note to each
// person left out who could have taken part, and the counts post.
func (s *Service) planRound(ctx context.Context, ws string, n peers.Network, r peers.Round, groups []peers.RoundGroup,
	unmatched []peers.Unmatched, pop population, now time.Time) error {
	key := ScheduleKey(n.ID)
	for _, g := range groups {
		rcp, err := engine.GroupRecipient(g.Users()...)
		if err != nil {
			return fmt.Errorf("group %d: %w", g.ID, err)
		}
		intro := IntroAt(g.Shared, now)
		if _, err := s.eng.PlanOnce(ctx, ws, key, IntroDM{Group: g.ID}, rcp, intro); err != nil {
			return err
		}
		if _, err := s.eng.PlanOnce(ctx, ws, key, FollowUpDM{Group: g.ID, Ask: 1}, rcp, FollowUpAt(g.Shared, intro)); err != nil {
			return err
		}
	}
	for _, u := range unmatched {
		// The away and the paused are not written to: they chose to be
		// out, or are not there to read it.
		if !firstNextRound(u.Reason) {
			continue
		}
		loc := n.Location()
		if p, ok := pop.people[u.ID]; ok {
			loc = p.Location()
		}
		if _, err := s.eng.PlanOnce(ctx, ws, key, UnmatchedDM{Round: r.ID}, u.ID, notBefore(at(r.StartsOn, noteHour, loc), now)); err != nil {
			return err
		}
	}
	if len(groups) > 0 {
		post := notBefore(at(r.EndsOn.AddDays(1), noteHour, n.Location()), now)
		if _, err := s.eng.PlanOnce(ctx, ws, key, CountsPost{Round: r.ID}, n.Channel, post); err != nil {
			return err
		}
	}
	return nil
}

// settleSilence counts, inside round r's transaction, one more ignored
// follow-up for each member of the previous round's groups nobody
// answered for (silent), and plans the pause check of those whose streak
// just reached IgnoredToAsk. The transaction commits once per round, so
// each silence is counted once.
func (s *Service) settleSilence(ctx context.Context, ws string, n peers.Network, r peers.Round, silent []string, pop population, now time.Time) error {
	if len(silent) == 0 {
		return nil
	}
	if err := s.store.IncIgnored(ctx, ws, n.ID, silent); err != nil {
		return err
	}
	parts, err := s.store.Participants(ctx, ws, n.ID)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if p.Left || p.IgnoredRounds != IgnoredToAsk || !slices.Contains(silent, p.User) {
			continue
		}
		loc := n.Location()
		if person, ok := pop.people[p.User]; ok {
			loc = person.Location()
		}
		check := PauseCheckDM{Network: n.ID, Round: r.Number}
		if _, err := s.eng.PlanOnce(ctx, ws, ScheduleKey(n.ID), check, p.User, notBefore(at(r.StartsOn, noteHour, loc), now)); err != nil {
			return err
		}
	}
	return nil
}

// at is hour:00 of day in loc.
func at(day calendar.Date, hour int, loc *time.Location) time.Time {
	return day.In(loc).Add(time.Duration(hour) * time.Hour)
}

// notBefore is t, or now when t has passed.
func notBefore(t, now time.Time) time.Time {
	if t.Before(now) {
		return now
	}
	return t
}

// IntroAt is when a group's intro is sent: its first suggested time (the
// first start on the hour or half hour inside its shared spans), and
// never before now; now when they share nothing after it.
func IntroAt(shared []peers.Interval, now time.Time) time.Time {
	if ts := peers.SuggestTimes(after(shared, now), 1, peers.DefaultSlot); len(ts) > 0 {
		return ts[0]
	}
	return now
}

// FollowUpAt is when a group is asked how it went: at the start of the
// last span it shares in the round, or a day after the intro when that
// span began before it.
func FollowUpAt(shared []peers.Interval, intro time.Time) time.Time {
	if len(shared) > 0 {
		if last := shared[len(shared)-1].Start; last.After(intro) {
			return last
		}
	}
	return intro.Add(24 * time.Hour)
}

// SecondAskAt is when a group that answered "not yet" at now is asked
// again: at the start of the first span it shares starting a day or more
// later; else in the round's last shared span if an hour of it remains
// (an hour after the answer at the earliest); else never (false).
func SecondAskAt(shared []peers.Interval, now time.Time) (time.Time, bool) {
	for _, iv := range shared {
		if !iv.Start.Before(now.Add(24 * time.Hour)) {
			return iv.Start, true
		}
	}
	if len(shared) == 0 {
		return time.Time{}, false
	}
	last := shared[len(shared)-1]
	soon := now.Add(time.Hour)
	if !last.End.After(soon) {
		return time.Time{}, false
	}
	if last.Start.After(soon) {
		return last.Start, true
	}
	return soon, true
}

// after is the parts of spans from now on.
func after(spans []peers.Interval, now time.Time) []peers.Interval {
	return clip(spans, now, time.Unix(1<<40, 0))
}

// openingDay is the day a round starting on first is opened at now: its
// first day, or today when the stepper comes late. A person paused that
// day is paused for the whole round.
func openingDay(n peers.Network, first calendar.Date, now time.Time) calendar.Date {
	if d := today(n, now); d.After(first) {
		return d
	}
	return first
}

// askedSilent are the members of groups (one round's) that were asked
// how their intro went — the first follow-up reached their group DM —
// and gave no answer.
func (s *Service) askedSilent(ctx context.Context, ws string, n peers.Network, groups []peers.RoundGroup) ([]string, error) {
	ids := map[string]peers.RoundGroup{}
	var cadences []string
	for _, g := range groups {
		if g.Outcome != peers.OutcomeNone {
			continue
		}
		id := engine.OneOffID(ScheduleKey(n.ID), FollowUpDM{Group: g.ID, Ask: 1})
		ids[id] = g
		cadences = append(cadences, id)
	}
	if len(cadences) == 0 {
		return nil, nil
	}
	rows, err := models.QueryRows[struct{ CadenceID string }](ctx, s.db,
		"SELECT cadence_id FROM occurrences WHERE workspace_id = ? AND cadence_id IN ? AND status = ?",
		ws, cadences, models.OccurrenceDelivered)
	if err != nil {
		return nil, fmt.Errorf("read delivered follow-ups: %w", err)
	}
	var out []string
	for _, r := range rows {
		if g, ok := ids[r.CadenceID]; ok {
			out = append(out, g.Users()...)
			delete(ids, r.CadenceID)
		}
	}
	return out, nil
}
