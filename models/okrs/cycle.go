package okrs

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trellis-bot/trellis/models/calendar"
)

// Limits of a cycle.
const (
	// MaxNameLen is the longest cycle name, in characters.
	MaxNameLen = 80
	// MinCycleMonths and MaxCycleMonths bound a cycle's length in calendar
	// months (see MinEnd and MaxEnd).
	MinCycleMonths = 1
	MaxCycleMonths = 4
	// DefaultReviewGraceDays is how long a cycle stays in review after its
	// end when ReviewGraceDays is 0.
	DefaultReviewGraceDays = 14
	// MaxReviewGraceDays is the longest review period a cycle may ask for.
	MaxReviewGraceDays = 60
)

// Cycle is a named period of one to four months in which objectives are
// pursued, reviewed after its end. It is the workspace's, or a team's when
// Team names a channel.
type Cycle struct {
	ID   int64
	Name string // "Q1 2027", "2027 Jan–Feb"
	// Start and End are the first and the last day of the cycle, both
	// inclusive.
	Start, End calendar.Date
	// Team is the channel whose own cycle this is, or "" for the
	// workspace's.
	Team string
	// ReviewGraceDays is how many days after End the cycle is in review;
	// 0 means DefaultReviewGraceDays.
	ReviewGraceDays int
}

// CycleState is where a cycle stands on a given day.
type CycleState string

// The states of a cycle, in the order a cycle goes through them.
const (
	// CyclePlanning is before the cycle's start: objectives are drafted.
	CyclePlanning CycleState = "planning"
	// CycleActive is from the start to the end, both inclusive.
	CycleActive CycleState = "active"
	// CycleReview is the grace period after the end, when owners grade
	// their key results and decide what carries over.
	CycleReview CycleState = "review"
	// CycleClosed is after the review.
	CycleClosed CycleState = "closed"
)

// Grace is the number of days the cycle stays in review after End.
func (c Cycle) Grace() int {
	if c.ReviewGraceDays == 0 {
		return DefaultReviewGraceDays
	}
	return c.ReviewGraceDays
}

// State is the cycle's state on today, a date in the zone the caller reads
// the cycle in (the workspace's or the team channel's).
func (c Cycle) State(today calendar.Date) CycleState {
	switch {
	case today.Before(c.Start):
		return CyclePlanning
	case !today.After(c.End):
		return CycleActive
	case !today.After(c.End.AddDays(c.Grace())):
		return CycleReview
	}
	return CycleClosed
}

// MinEnd is the earliest last day of a cycle starting on start: the day
// before start plus MinCycleMonths calendar months.
func MinEnd(start calendar.Date) calendar.Date {
	return addMonths(start, MinCycleMonths).AddDays(-1)
}

// MaxEnd is the latest last day of a cycle starting on start: the day before
// start plus MaxCycleMonths calendar months.
func MaxEnd(start calendar.Date) calendar.Date {
	return addMonths(start, MaxCycleMonths).AddDays(-1)
}

// EndAfterMonths is the last day of a cycle of exactly months calendar
// months starting on start: the day before start plus months months, by
// the rule MinEnd and MaxEnd follow. A cycle starting on start lasts at
// most n months when its End is not after EndAfterMonths(start, n).
func EndAfterMonths(start calendar.Date, months int) calendar.Date {
	return addMonths(start, months).AddDays(-1)
}

// addMonths moves d by n calendar months; a day the target month lacks
// (31 January plus one month) becomes that month's last day (28 or 29
// February), so a month never spills into the next one.
func addMonths(d calendar.Date, n int) calendar.Date {
	first := time.Date(d.Year, d.Month+time.Month(n), 1, 12, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return calendar.Date{Year: first.Year(), Month: first.Month(), Day: min(d.Day, last)}
}

// realDate reports whether d is a day the calendar has (not 30 February).
func realDate(d calendar.Date) bool { return d.AddDays(0) == d }

// Validate checks a cycle's name, dates, length and review period. It
// returns nil or a *ValidationError listing every problem.
func (c Cycle) Validate() error {
	var ps problems
	name := strings.TrimSpace(c.Name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		ps.add(FieldName, 0, "Give the cycle a name, like “Q1 2027”.")
	case n > MaxNameLen:
		ps.add(FieldName, 0, "That name is %d characters long; keep it to %d, like “2027 Jan–Feb”.", n, MaxNameLen)
	case strings.ContainsAny(name, "\r\n"):
		ps.add(FieldName, 0, "A name fits on one line, like “Q1 2027”.")
	}

	startOK := !c.Start.IsZero() && realDate(c.Start)
	if !startOK {
		ps.add(FieldStart, 0, "Pick the cycle's first day.")
	}
	switch {
	case c.End.IsZero() || !realDate(c.End):
		ps.add(FieldEnd, 0, "Pick the cycle's last day.")
	case !startOK:
	case c.End.Before(MinEnd(c.Start)):
		ps.add(FieldEnd, 0, "A cycle lasts at least %d month: starting %s, it ends on %s or later.",
			MinCycleMonths, c.Start.Format("2 Jan 2006"), MinEnd(c.Start).Format("2 Jan 2006"))
	case c.End.After(MaxEnd(c.Start)):
		ps.add(FieldEnd, 0, "A cycle lasts at most %d months: starting %s, it ends on %s or earlier.",
			MaxCycleMonths, c.Start.Format("2 Jan 2006"), MaxEnd(c.Start).Format("2 Jan 2006"))
	}

	if c.ReviewGraceDays < 0 || c.ReviewGraceDays > MaxReviewGraceDays {
		ps.add(FieldReviewGrace, 0, "The review lasts between 1 and %d days after the cycle ends (%d if you leave it empty).",
			MaxReviewGraceDays, DefaultReviewGraceDays)
	}
	return ps.err()
}
