package cadence

import (
	"fmt"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

// WindowHorizonDays bounds how far DeliverAt looks for a working window.
const WindowHorizonDays = 60

// OffFunc reports whether a person is off on a local date (a holiday, time
// away) and, if so, a reason a person can read ("holiday: Thanksgiving").
type OffFunc func(calendar.Date) (bool, string)

// window is one working window: it opens on a working day at the start of
// working hours and closes, exclusively, at their end (the next day for a
// night shift). Edges inside a gap follow rule 1 (see LocalInstant).
type window struct {
	day         calendar.Date // the working day the window belongs to
	open, close time.Time
}

// windowOn returns the window belonging to day d, whether or not d is a
// working day.
func windowOn(d calendar.Date, loc *time.Location, hours calendar.WorkingHours) window {
	endDay := d
	if hours.Overnight() {
		endDay = d.AddDays(1)
	}
	return window{day: d, open: LocalInstant(d, hours.Start, loc), close: LocalInstant(endDay, hours.End, loc)}
}

// contains reports whether u lies in [open, close).
func (w window) contains(u time.Time) bool { return !u.Before(w.open) && u.Before(w.close) }

// noHours reports whether hours is the zero value: no working-window rule
// (rule 3: a channel post, or a preview without working hours).
func noHours(hours calendar.WorkingHours) bool { return hours == calendar.WorkingHours{} }

// findWindow returns the first working window, in date order, that closes
// after u (so at or after u it is open for max(open, u)).
func findWindow(u time.Time, loc *time.Location, hours calendar.WorkingHours, off OffFunc) (window, bool) {
	// Start a day early: yesterday's night shift may still be open.
	start := calendar.DateOf(u.In(loc)).AddDays(-1)
	for i := 0; i <= WindowHorizonDays+1; i++ {
		d := start.AddDays(i)
		if !hours.Days.Has(d.Weekday()) {
			continue
		}
		w := windowOn(d, loc, hours)
		// A window wholly inside a gap has no instants.
		if !w.close.After(u) || !w.close.After(w.open) {
			continue
		}
		if off != nil {
			if isOff, _ := off(d); isOff {
				continue
			}
		}
		return w, true
	}
	return window{}, false
}

// DeliverAt returns the first instant at or after nominal that lies inside
// one of the recipient's working windows (rule 4): a day in hours.Days that
// off does not report as off, from hours.Start up to, not including,
// hours.End, ending the next day when End is before Start. With the zero
// WorkingHours the nominal instant is returned unchanged (rule 3). When the
// delivery is later than nominal, reason says why; when no window opens
// within WindowHorizonDays, ok is false and reason says why.
func DeliverAt(nominal time.Time, loc *time.Location, hours calendar.WorkingHours, off OffFunc) (at time.Time, ok bool, reason string) {
	if noHours(hours) {
		return nominal, true, ""
	}
	if err := hours.Validate(); err != nil {
		return time.Time{}, false, fmt.Sprintf("working hours %s are not usable: %v", hours, err)
	}
	w, found := findWindow(nominal, loc, hours, off)
	if !found {
		return time.Time{}, false, fmt.Sprintf("no working window in the next %d days (%s)", WindowHorizonDays, hours)
	}
	if w.contains(nominal) {
		return nominal, true, ""
	}
	return w.open, true, fmt.Sprintf("%s; deferred to the next working window, %s",
		blockedReason(nominal, loc, hours, off), w.open.In(loc).Format("Mon 2 Jan 15:04 MST"))
}

// blockedReason explains why nominal is not inside a working window.
func blockedReason(nominal time.Time, loc *time.Location, hours calendar.WorkingHours, off OffFunc) string {
	today := calendar.DateOf(nominal.In(loc))
	for _, d := range []calendar.Date{today.AddDays(-1), today} {
		w := windowOn(d, loc, hours)
		if !w.contains(nominal) {
			continue
		}
		if !hours.Days.Has(d.Weekday()) {
			return fmt.Sprintf("%s is not a working day (working hours %s)", d.Format("Monday 2 Jan"), hours)
		}
		if off != nil {
			if isOff, why := off(d); isOff {
				if why == "" {
					why = "day off"
				}
				return fmt.Sprintf("%s: %s", d.Format("Mon 2 Jan"), why)
			}
		}
	}
	return fmt.Sprintf("%s is outside working hours (%s)", nominal.In(loc).Format("Mon 15:04 MST"), hours)
}

// WindowEnd returns the end (exclusive) of the working window that contains
// at, or ok false if at is in none. With the zero WorkingHours there are no
// windows and ok is false.
func WindowEnd(at time.Time, loc *time.Location, hours calendar.WorkingHours, off OffFunc) (end time.Time, ok bool) {
	if noHours(hours) || hours.Validate() != nil {
		return time.Time{}, false
	}
	w, found := findWindow(at, loc, hours, off)
	if !found || !w.contains(at) {
		return time.Time{}, false
	}
	return w.close, true
}
