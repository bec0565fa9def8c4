package cadence

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/trellis-bot/trellis/models/calendar"
)

// AcceptedForms lists the cadence forms Parse understands, for help text.
const AcceptedForms = `"weekdays at 09:30", "every day at 08:00", "mondays at 10:00", ` +
	`"tue,thu at 16:00", "every 2 weeks on tue at 10:00", ` +
	`"monthly on the first monday at 09:00" (first, second, third, fourth, last), ` +
	`"monthly on day 15 at 11:00", "last friday of the month at 15:00", ` +
	`or 5-field cron such as "30 9 * * 1-5"`

// ParseError says which part of a cadence could not be read.
type ParseError struct {
	Text    string // the whole cadence as given
	Part    string // the offending part
	Problem string // what is wrong with it
	Err     error  // underlying cause, if any
}

// Error names the offending part and lists the accepted forms.
func (e *ParseError) Error() string {
	return fmt.Sprintf("cadence %q: %q %s; accepted forms: %s", e.Text, e.Part, e.Problem, AcceptedForms)
}

// Unwrap returns the underlying cause.
func (e *ParseError) Unwrap() error { return e.Err }

type kind int

const (
	kindWeekly      kind = iota + 1 // on some days of every week
	kindEveryNWeeks                 // on some days of every n-th week
	kindNthWeekday                  // the first..fourth or last weekday of a month
	kindMonthDay                    // a day number of every month
	kindCron                        // standard 5-field cron
)

// Cadence is a parsed recurring schedule. The zero Cadence has no
// occurrences. A Cadence has no zone: it is evaluated in the recipient's.
type Cadence struct {
	kind     kind
	days     calendar.Weekdays  // kindWeekly, kindEveryNWeeks
	at       calendar.TimeOfDay // all friendly kinds
	interval int                // kindEveryNWeeks: weeks between occurrences
	anchor   calendar.Date      // kindEveryNWeeks: Monday of the anchor week
	nth      int                // kindNthWeekday: 1..4, or -1 for last
	weekday  time.Weekday       // kindNthWeekday
	monthDay int                // kindMonthDay: 1..31
	spec     *cron.SpecSchedule
	cronText string // kindCron: normalised fields
}

// IsZero reports whether c is the zero Cadence.
func (c Cadence) IsZero() bool { return c.kind == 0 }

var ordinals = map[string]int{"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1}

var ordinalNames = map[int]string{1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}

var weekdayNames = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// Parse reads a cadence, case-insensitively. anchor fixes the phase of "every
// n weeks" cadences: they fire in the week (Monday to Sunday) containing
// anchor and every n-th week before and after it. Text that starts with a
// digit, "*" or "@" and has no " at " is read as standard cron (robfig/cron
// v3); descriptors without a wall-clock meaning (@every) and CRON_TZ=/TZ=
// prefixes are rejected, because the zone always comes from the recipient.
// Errors are *ParseError.
//
// "monthly on day N" skips months that have no day N (day 31 fires in seven
// months a year), as cron does.
func Parse(text string, anchor calendar.Date) (Cadence, error) {
	norm := strings.Join(strings.Fields(strings.ToLower(text)), " ")
	if norm == "" {
		return Cadence{}, &ParseError{Text: text, Part: text, Problem: "is empty"}
	}
	if strings.HasPrefix(norm, "cron_tz=") || strings.HasPrefix(norm, "tz=") {
		part, _, _ := strings.Cut(norm, " ")
		return Cadence{}, &ParseError{Text: text, Part: part, Problem: "is not allowed: the time zone comes from the recipient"}
	}
	// Cron never contains " at "; "1st monday of the month at 09:00" is
	// friendly even though it starts with a digit.
	if c := norm[0]; (c >= '0' && c <= '9' || c == '*' || c == '@') && !strings.Contains(norm, " at ") {
		return parseCron(text, norm)
	}

	i := strings.LastIndex(norm, " at ")
	if i < 0 {
		return Cadence{}, &ParseError{Text: text, Part: norm, Problem: `has no time: end it with "at HH:MM"`}
	}
	head, clock := norm[:i], norm[i+len(" at "):]
	at, err := calendar.ParseTimeOfDay(clock)
	if err != nil {
		return Cadence{}, &ParseError{Text: text, Part: clock, Problem: "is not a time of day like 09:30", Err: err}
	}
	c, perr := parseHead(head, anchor)
	if perr != nil {
		perr.Text = text
		return Cadence{}, perr
	}
	c.at = at
	return c, nil
}

// parseHead reads everything before " at HH:MM".
func parseHead(head string, anchor calendar.Date) (Cadence, *ParseError) {
	switch head {
	case "weekdays", "every weekday", "on weekdays":
		return Cadence{kind: kindWeekly, days: calendar.MonFri}, nil
	case "every day", "daily", "everyday":
		return Cadence{kind: kindWeekly, days: 0x7f}, nil
	}

	if rest, ok := strings.CutPrefix(head, "monthly on "); ok {
		if n, ok := strings.CutPrefix(rest, "day "); ok {
			d, err := strconv.Atoi(n)
			if err != nil || d < 1 || d > 31 {
				return Cadence{}, &ParseError{Part: n, Problem: "is not a day of the month (1 to 31)"}
			}
			return Cadence{kind: kindMonthDay, monthDay: d}, nil
		}
		return parseNth(strings.TrimPrefix(rest, "the "))
	}
	if rest, ok := strings.CutSuffix(head, " of the month"); ok {
		return parseNth(strings.TrimPrefix(rest, "the "))
	}
	if rest, ok := strings.CutSuffix(head, " of every month"); ok {
		return parseNth(strings.TrimPrefix(rest, "the "))
	}

	if rest, ok := strings.CutPrefix(head, "every "); ok {
		if n, days, ok := parseEveryWeeks(rest); ok {
			if n < 1 || n > 52 {
				return Cadence{}, &ParseError{Part: rest, Problem: "needs a number of weeks from 1 to 52"}
			}
			if days == "" {
				return Cadence{}, &ParseError{Part: rest, Problem: `needs the days, like "every 2 weeks on tue"`}
			}
			w, perr := parseDays(days)
			if perr != nil {
				return Cadence{}, perr
			}
			if n == 1 {
				return Cadence{kind: kindWeekly, days: w}, nil
			}
			return Cadence{kind: kindEveryNWeeks, days: w, interval: n, anchor: mondayOf(anchor)}, nil
		}
		head = rest // "every monday at 10:00"
	}
	w, perr := parseDays(strings.TrimPrefix(head, "on "))
	if perr != nil {
		return Cadence{}, perr
	}
	return Cadence{kind: kindWeekly, days: w}, nil
}

// parseEveryWeeks reads "2 weeks on tue", "other week on tue" and "week on
// tue" (after "every "), returning the interval and the days part.
func parseEveryWeeks(s string) (n int, days string, ok bool) {
	count, rest, found := strings.Cut(s, " ")
	switch {
	case count == "week" && found:
		return 1, strings.TrimPrefix(rest, "on "), true
	case count == "other" && found:
		n = 2
	case found:
		v, err := strconv.Atoi(count)
		if err != nil {
			return 0, "", false
		}
		n = v
	default:
		return 0, "", false
	}
	rest = strings.TrimSpace(rest)
	unit, days, _ := strings.Cut(rest, " ")
	if unit != "week" && unit != "weeks" {
		return 0, "", false
	}
	return n, strings.TrimPrefix(days, "on "), true
}

// parseNth reads "first monday", "last friday".
func parseNth(s string) (Cadence, *ParseError) {
	ord, day, _ := strings.Cut(s, " ")
	n, ok := ordinals[ord]
	if !ok {
		return Cadence{}, &ParseError{Part: ord, Problem: "is not one of first, second, third, fourth, last"}
	}
	wd, ok := weekdayOf(day)
	if !ok {
		return Cadence{}, &ParseError{Part: day, Problem: "is not a day of the week"}
	}
	return Cadence{kind: kindNthWeekday, nth: n, weekday: wd}, nil
}

// weekdayOf reads "mon", "monday" or "mondays".
func weekdayOf(s string) (time.Weekday, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 3 && strings.HasSuffix(s, "s") {
		s = strings.TrimSuffix(s, "s")
	}
	if len(s) < 3 {
		return 0, false
	}
	for i, n := range weekdayNames {
		if strings.HasPrefix(n, s) {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// parseDays reads "mondays", "tue,thu", "mon-fri", "weekends".
func parseDays(s string) (calendar.Weekdays, *ParseError) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, ", ", ","), " and ", ",")
	switch s {
	case "weekdays":
		return calendar.MonFri, nil
	case "weekends":
		return 1<<time.Saturday | 1<<time.Sunday, nil
	case "day":
		return 0x7f, nil
	}
	var w calendar.Weekdays
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, ok := weekdayOf(from)
		if !ok {
			return 0, &ParseError{Part: from, Problem: "is not a day of the week (mon, tue, wed, thu, fri, sat, sun)"}
		}
		if !isRange {
			w = w.With(a)
			continue
		}
		b, ok := weekdayOf(to)
		if !ok {
			return 0, &ParseError{Part: to, Problem: "is not a day of the week (mon, tue, wed, thu, fri, sat, sun)"}
		}
		for d := a; ; d = (d + 1) % 7 {
			w = w.With(d)
			if d == b {
				break
			}
		}
	}
	return w, nil
}

// mondayOf returns the Monday of the week containing d.
func mondayOf(d calendar.Date) calendar.Date {
	back := (int(d.Weekday()) + 6) % 7
	return d.AddDays(-back)
}

// parseCron reads a standard 5-field cron spec or a descriptor with a
// wall-clock meaning (@daily, @weekly, ...).
func parseCron(text, norm string) (Cadence, error) {
	if strings.HasPrefix(norm, "@") {
		if strings.HasPrefix(norm, "@every") {
			return Cadence{}, &ParseError{Text: text, Part: norm, Problem: "has no local wall-clock meaning; use a friendly form or 5-field cron"}
		}
	} else if f := strings.Fields(norm); len(f) != 5 {
		return Cadence{}, &ParseError{Text: text, Part: norm, Problem: fmt.Sprintf("has %d fields; cron needs 5 (minute hour day-of-month month day-of-week)", len(f))}
	}
	sched, err := cron.ParseStandard(norm)
	if err != nil {
		return Cadence{}, &ParseError{Text: text, Part: norm, Problem: "is not valid cron (" + err.Error() + ")", Err: err}
	}
	spec, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return Cadence{}, &ParseError{Text: text, Part: norm, Problem: "has no local wall-clock meaning; use a friendly form or 5-field cron"}
	}
	c := Cadence{kind: kindCron, spec: spec, cronText: norm}
	if c.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC).IsZero() {
		return Cadence{}, &ParseError{Text: text, Part: norm, Problem: "never fires (no month has that day)"}
	}
	return c, nil
}

// String is the canonical friendly text of c; Parse(c.String(), anchor)
// gives c back. "every n weeks" cadences do not show their anchor.
func (c Cadence) String() string {
	at := " at " + c.at.String()
	switch c.kind {
	case kindWeekly:
		return daysText(c.days) + at
	case kindEveryNWeeks:
		return fmt.Sprintf("every %d weeks on %s%s", c.interval, c.days, at)
	case kindNthWeekday:
		return fmt.Sprintf("monthly on the %s %s%s", ordinalNames[c.nth], weekdayNames[c.weekday], at)
	case kindMonthDay:
		return fmt.Sprintf("monthly on day %d%s", c.monthDay, at)
	case kindCron:
		return c.cronText
	}
	return ""
}

func daysText(w calendar.Weekdays) string {
	switch w {
	case calendar.MonFri:
		return "weekdays"
	case 0x7f:
		return "every day"
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if w == 1<<d {
			return weekdayNames[d] + "s"
		}
	}
	return w.String()
}
