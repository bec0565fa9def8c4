package okrs

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// IgnoredToHalve is how many nudges in a row, each followed by no update,
// halve a person's nudges.
const IgnoredToHalve = 3

// State is what is remembered of one person's nudges, between them. The
// zero State is a person never nudged, at the default cadence. Its
// transitions are Observe (a nudge is written), Updated (the person
// updated a key result) and SetCadence (the person chose a cadence); Decide
// says which one a nudge occurrence makes.
type State struct {
	// Cadence is the person's own setting: SettingDefault, SettingWeekly,
	// SettingBiweekly or SettingOff.
	Cadence string
	// IgnoredInRow counts the nudges in a row that had no update after
	// them, up to the last one written.
	IgnoredInRow int
	// Halved is set once IgnoredInRow reaches IgnoredToHalve: nudges come
	// half as often until the person updates a key result or picks a
	// cadence.
	Halved bool
	// ToldHalved is set once the person has been told, in a nudge, that
	// their nudges were halved; they are told once, ever. It is set by the
	// transition after the nudge that told them, so that writing that
	// nudge again (the engine composes it again after a send it handed
	// back) still carries the line: see TellHalved.
	ToldHalved bool
	// LastNudgedAt is the nominal instant of the last nudge written, or
	// nil before the first.
	LastNudgedAt *time.Time
}

// TellHalved reports whether the nudge written with state s (the state
// Observe returned for it) carries the one-time line saying that nudges
// were halved and how to change them.
func (s State) TellHalved() bool { return s.Halved && !s.ToldHalved }

// settled is s with a halving already told marked so: any transition from
// a halved state comes after the nudge that carried the line.
func (s State) settled() State {
	if s.Halved {
		s.ToldHalved = true
	}
	return s
}

// judged is s with its last nudge judged: updated says whether the person
// updated a key result after it. An update resets the count and the
// halving; none counts the nudge as ignored, and the IgnoredToHalve-th in
// a row halves the nudges. Before any nudge there is nothing to judge.
func (s State) judged(updated bool) State {
	s = s.settled()
	switch {
	case s.LastNudgedAt == nil:
	case updated:
		s.IgnoredInRow, s.Halved = 0, false
	default:
		s.IgnoredInRow++
		if s.IgnoredInRow >= IgnoredToHalve {
			s.Halved = true
		}
	}
	return s
}

// Observe is the bookkeeping of a nudge written at the nominal instant at:
// the previous nudge is judged (updatedSinceLastNudge: did the person
// update a key result after it?) and at becomes the last nudge. A nudge
// whose instant is not after the last one's is one already observed (the
// engine composing it again) or an older one: s is returned unchanged, so
// observing twice counts once.
//
// Un-halving on an update is deliberate: halving is for someone the
// nudges do not reach, and an update shows they do again, so the normal
// cadence returns; a person who wants fewer nudges says so with a setting,
// which stays.
func Observe(s State, updatedSinceLastNudge bool, at time.Time) State {
	if s.LastNudgedAt != nil && !at.After(*s.LastNudgedAt) {
		return s
	}
	s = s.judged(updatedSinceLastNudge)
	s.LastNudgedAt = &at
	return s
}

// Updated is s after the person updated a key result (a "no change"
// included): the nudges in a row are no longer ignored, and halved nudges
// return to their cadence. It may be applied any number of times.
func Updated(s State) State {
	s = s.settled()
	s.IgnoredInRow, s.Halved = 0, false
	return s
}

// SetCadence is s after the person chose setting (ParseSetting): an
// explicit choice replaces the automatic halving and starts the count
// again.
func SetCadence(s State, setting string) State {
	s = Updated(s)
	s.Cadence = setting
	return s
}

// KRStatus is one of the person's key results as a nudge reads it.
type KRStatus struct {
	KeyResult okrs.KeyResult
	// Objective is the title of the key result's objective.
	Objective string
	// Cycle is the cycle of the key result's objective.
	Cycle okrs.Cycle
	// Current is the key result's effective state (okrs.Current).
	Current okrs.Effective
	// Created is when the key result was set up.
	Created time.Time
}

// Touched is when the owner last acted on the key result: its last
// check-in ("no change" included), or its creation when it has none.
func (k KRStatus) Touched() time.Time {
	if k.Current.Updates > 0 {
		return k.Current.LastAt
	}
	return k.Created
}

// Policy is what a nudge's cadence depends on besides the person's own
// setting: the cycle it follows and the team's setting (see Weeks).
type Policy struct {
	Cycle       okrs.Cycle
	TeamSetting string
}

// Decision is what Decide says of one nudge occurrence.
type Decision struct {
	// Send says a nudge goes out, listing Stale.
	Send bool
	// Stale are the key results the nudge lists, the longest untouched
	// first.
	Stale []KRStatus
	// Reason says, for a person, why nothing is sent.
	Reason string
	// TellHalved says the nudge carries the one-time line that nudges
	// were halved.
	TellHalved bool
	// Halved and Weeks are the person's nudges as of this decision: the
	// schedule's cadence should be CadenceFor(…, Halved), anchored by
	// Anchor(…, Next.LastNudgedAt, …).
	Halved bool
	Weeks  int
	// Next is the state to store, whatever the decision.
	Next State
}

// Decide says whether the nudge occurrence at now goes out, to a person
// with state s and key results krs, and what it lists. now is the
// occurrence's nominal instant (so that composing the same occurrence
// again decides the same), in the zone the cycles are read in (a cycle is
// active on now's date there).
//
// Only key results of active cycles are nudged about. A key result is
// stale when it was not touched (KRStatus.Touched) since the last nudge
// and within the last interval of the person's cadence (with no earlier
// nudge, or after skipped ones, the interval is what counts). Nothing is
// sent when nudges are off, when the person has no key result in an
// active cycle, when every one of them is fresh, or when the last nudge is
// too recent for the cadence (within half a week of it: after three
// ignored nudges, the next waits a doubled interval from the last, though
// the schedule was weekly when it was due). Anything the person touched
// after the last nudge, in any cycle, counts as an update.
func Decide(now time.Time, s State, p Policy, krs []KRStatus) Decision {
	last := s.LastNudgedAt
	again := last != nil && now.Equal(*last) // the nudge already observed, written again
	if last != nil && now.Before(*last) {
		return Decision{Reason: "a later nudge has already gone out", Halved: s.Halved, Weeks: Weeks(p.Cycle, s.Cadence, p.TeamSetting, s.Halved), Next: s}
	}
	updated := false
	if last != nil {
		for _, k := range krs {
			if k.Touched().After(*last) {
				updated = true
				break
			}
		}
	}
	pending := s
	if !again {
		pending = s.judged(updated)
	}
	weeks := Weeks(p.Cycle, s.Cadence, p.TeamSetting, pending.Halved)
	d := Decision{Halved: pending.Halved, Weeks: weeks, Next: s}
	if weeks == 0 {
		d.Reason = "your team turned OKR nudges off"
		if s.Cadence == SettingOff {
			d.Reason = "you turned OKR nudges off"
		}
		return d
	}

	today := calendar.DateOf(now)
	var active []KRStatus
	for _, k := range krs {
		if k.Cycle.State(today) == okrs.CycleActive {
			active = append(active, k)
		}
	}
	if len(active) == 0 {
		d.Reason = "you have no key results in an active cycle"
		return d
	}

	interval := time.Duration(weeks) * 7 * 24 * time.Hour
	if last != nil && !again && now.Sub(*last) < interval-halfWeek {
		ago := int(math.Round(now.Sub(*last).Hours() / 24))
		if pending.Halved {
			d.Reason = fmt.Sprintf("your last nudge was %s; with no update after the last %d, nudges come %s for now",
				daysAgo(ago), IgnoredToHalve, everyText(weeks))
		} else {
			d.Reason = fmt.Sprintf("your last nudge was %s, and they come %s", daysAgo(ago), everyText(weeks))
		}
		return d
	}

	// Fresh is touched after the last nudge and within the last interval
	// (after skips, the last nudge may be long ago): the longer of the
	// intervals before and after judging, so that a halving ending (or
	// beginning) does not call stale what was updated since the last
	// nudge.
	span := max(weeks, Weeks(p.Cycle, s.Cadence, p.TeamSetting, s.Halved))
	ref, since := now.Add(-time.Duration(span)*7*24*time.Hour), fmt.Sprintf("in the last %s", weeksText(span))
	if last != nil && !again && !last.Before(ref) {
		ref, since = *last, "since your last nudge"
	}
	for _, k := range active {
		if !k.Touched().After(ref) {
			d.Stale = append(d.Stale, k)
		}
	}
	if len(d.Stale) == 0 {
		d.Reason = "all your key results were set up or updated " + since
		d.Next = pending // an update reset the count: storing it twice is the same
		return d
	}
	slices.SortStableFunc(d.Stale, func(a, b KRStatus) int {
		return cmp.Or(a.Touched().Compare(b.Touched()), cmp.Compare(a.KeyResult.ID, b.KeyResult.ID))
	})
	d.Send = true
	d.Next = Observe(s, updated, now)
	d.TellHalved = d.Next.TellHalved()
	return d
}

// halfWeek is the slack of the "too soon" rule: a nudge deferred by the
// attention policy, or a team moving its day, may bring two nudges a few
// days closer than their cadence; half a week less than it is still
// enough apart.
const halfWeek = 84 * time.Hour

// daysAgo is n whole days back: "less than a day ago", "a day ago" or
// "5 days ago".
func daysAgo(n int) string {
	switch {
	case n <= 0:
		return "less than a day ago"
	case n == 1:
		return "a day ago"
	}
	return fmt.Sprintf("%d days ago", n)
}

// weeksText is "week" or "2 weeks".
func weeksText(n int) string {
	if n == 1 {
		return "week"
	}
	return fmt.Sprintf("%d weeks", n)
}
