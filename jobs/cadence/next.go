package cadence

import (
	"math/bits"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

// nextHorizonDays bounds the search for the next occurrence. Nine years
// covers every friendly form and cron's rarest day (29 February across a
// skipped leap year such as 2100).
const nextHorizonDays = 9 * 366

// Next returns the first nominal instant of c strictly after after, with c
// evaluated on loc's wall clock. A wall time in a spring-forward gap gives the
// transition instant (rule 1); a repeated wall time gives its first
// occurrence only (rule 2); see LocalInstant. Several wall times that resolve
// to one instant (cron minutes inside a gap) are one occurrence. Next returns
// the zero Time if c has no occurrence within nine years (the zero Cadence).
//
// Dates are iterated here rather than with robfig's Schedule.Next, whose
// behaviour around DST transitions differs from the rules above.
func (c Cadence) Next(after time.Time, loc *time.Location) time.Time {
	if c.kind == 0 {
		return time.Time{}
	}
	// Start a day early: a gap that crosses midnight can move an occurrence
	// of the previous date onto after's date.
	start := calendar.DateOf(after.In(loc)).AddDays(-1)
	for i := 0; i <= nextHorizonDays; i++ {
		d := start.AddDays(i)
		if c.kind == kindCron {
			if t, ok := c.nextCronOn(d, after, loc); ok {
				return t
			}
			continue
		}
		if !c.fallsOn(d) {
			continue
		}
		if t := LocalInstant(d, c.at, loc); t.After(after) {
			return t
		}
	}
	return time.Time{}
}

// fallsOn reports whether a friendly cadence has an occurrence on d.
func (c Cadence) fallsOn(d calendar.Date) bool {
	switch c.kind {
	case kindWeekly:
		return c.days.Has(d.Weekday())
	case kindEveryNWeeks:
		if !c.days.Has(d.Weekday()) {
			return false
		}
		weeks := daysBetween(c.anchor, mondayOf(d)) / 7
		return ((weeks%c.interval)+c.interval)%c.interval == 0
	case kindMonthDay:
		return d.Day == c.monthDay
	case kindNthWeekday:
		if d.Weekday() != c.weekday {
			return false
		}
		if c.nth > 0 {
			return (d.Day-1)/7+1 == c.nth
		}
		return d.AddDays(7).Month != d.Month
	}
	return false
}

// nextCronOn returns the first occurrence on date d strictly after after.
func (c Cadence) nextCronOn(d calendar.Date, after time.Time, loc *time.Location) (time.Time, bool) {
	s := c.spec
	if s.Month&(1<<uint(d.Month)) == 0 {
		return time.Time{}, false
	}
	// Standard cron: when both day fields are restricted, either matches.
	domMatch := s.Dom&(1<<uint(d.Day)) != 0
	dowMatch := s.Dow&(1<<uint(d.Weekday())) != 0
	const star = 1 << 63
	if s.Dom&star != 0 || s.Dow&star != 0 {
		if !domMatch || !dowMatch {
			return time.Time{}, false
		}
	} else if !domMatch && !dowMatch {
		return time.Time{}, false
	}
	off, uniform := uniformOffset(d, loc)
	midnight := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix()
	for hs := s.Hour &^ star; hs != 0; hs &= hs - 1 {
		h := bits.TrailingZeros64(hs)
		if h > 23 {
			break
		}
		for ms := s.Minute &^ star; ms != 0; ms &= ms - 1 {
			m := bits.TrailingZeros64(ms)
			if m > 59 {
				break
			}
			if uniform {
				// No transition near d: every wall time has one instant.
				if u := midnight + int64(h*3600+m*60) - off; u > after.Unix() {
					return time.Unix(u, 0).In(loc), true
				}
				continue
			}
			if t := LocalInstant(d, calendar.TimeOfDay(h*60+m), loc); t.After(after) {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// uniformOffset reports whether every wall time of date d in loc maps to
// exactly one instant with a single UTC offset, and that offset. It is a
// fast path for cron minutes; near a transition it reports false and
// LocalInstant decides.
func uniformOffset(d calendar.Date, loc *time.Location) (offset int64, ok bool) {
	midnight := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix()
	probe := time.Unix(midnight, 0).In(loc)
	_, off := probe.Zone()
	start, end := probe.ZoneBounds()
	// The day's instants are [midnight-off, midnight+24h-off). Requiring the
	// period to start 26h earlier (more than any offset difference) rules
	// out an earlier period showing the same wall time (rule 2).
	lo := midnight - int64(off) - 26*3600
	hi := midnight + 24*3600 - int64(off)
	if (!start.IsZero() && start.Unix() > lo) || (!end.IsZero() && end.Unix() <= hi) {
		return 0, false
	}
	return int64(off), true
}

// daysBetween is the number of calendar days from a to b.
func daysBetween(a, b calendar.Date) int {
	ua := time.Date(a.Year, a.Month, a.Day, 0, 0, 0, 0, time.UTC)
	ub := time.Date(b.Year, b.Month, b.Day, 0, 0, 0, 0, time.UTC)
	return int(ub.Sub(ua).Hours() / 24)
}
