package peers

import (
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

// Anchor is the day a network's rounds count from: the first weekday on
// or after created (a network made on a Wednesday that meets on Mondays
// starts its first round the Monday after).
func Anchor(created calendar.Date, weekday time.Weekday) calendar.Date {
	return created.AddDays((int(weekday) - int(created.Weekday()) + 7) % 7)
}

// RoundStart is the first day of round n (from 0) of a network whose
// rounds last periodDays days from anchor.
func RoundStart(anchor calendar.Date, periodDays, n int) calendar.Date {
	return anchor.AddDays(n * periodDays)
}

// RoundLast is the last day of round n: the day before the next starts.
func RoundLast(anchor calendar.Date, periodDays, n int) calendar.Date {
	return RoundStart(anchor, periodDays, n+1).AddDays(-1)
}

// RoundOn returns the round that day falls in, and false before the
// first round. periodDays must be positive.
func RoundOn(anchor calendar.Date, periodDays int, day calendar.Date) (int, bool) {
	if day.Before(anchor) || periodDays <= 0 {
		return 0, false
	}
	return daysBetween(anchor, day) / periodDays, true
}

// TermStart is the first day of term k (from 0) of terms termMonths
// calendar months long from anchor. A month from a day the target month
// lacks lands on that month's last day.
func TermStart(anchor calendar.Date, termMonths, k int) calendar.Date {
	return addMonths(anchor, k*termMonths)
}

// TermOn returns the term that day falls in, and false before the first.
func TermOn(anchor calendar.Date, termMonths int, day calendar.Date) (int, bool) {
	if day.Before(anchor) || termMonths <= 0 {
		return 0, false
	}
	k := ((day.Year-anchor.Year)*12 + int(day.Month) - int(anchor.Month)) / termMonths
	for k > 0 && TermStart(anchor, termMonths, k).After(day) {
		k--
	}
	for !TermStart(anchor, termMonths, k+1).After(day) {
		k++
	}
	return k, true
}

// daysBetween counts the days from a to b (negative when b is before a).
func daysBetween(a, b calendar.Date) int {
	return int(b.In(time.UTC).Sub(a.In(time.UTC)).Hours() / 24)
}

// addMonths adds n calendar months to d, clamping to the month's last day.
func addMonths(d calendar.Date, n int) calendar.Date {
	first := time.Date(d.Year, d.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	day := d.Day
	if day > last {
		day = last
	}
	return calendar.Date{Year: first.Year(), Month: first.Month(), Day: day}
}
