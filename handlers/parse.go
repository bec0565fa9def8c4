package handlers

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

// errPastDate is returned for an away period that ends before today.
var errPastDate = errors.New("date in the past")

// errBadAway is returned for away text that cannot be read.
var errBadAway = errors.New("unreadable away period")

// parseAway reads what follows "/trellis away": "until 2026-12-24", "3d",
// "2w", "tomorrow", "today", "friday", "2026-12-20 to 2026-12-31" and
// "from 2026-12-20 until 2026-12-31". today is the person's local date. The
// period is whole days, both ends inclusive.
func parseAway(text string, today calendar.Date) (first, last calendar.Date, err error) {
	words := strings.Fields(strings.ToLower(text))
	if len(words) == 0 {
		return first, last, fmt.Errorf("%w: no period given", errBadAway)
	}
	if words[0] == "from" {
		words = words[1:]
	}
	// "A to B", "A until B", "A - B".
	for i, w := range words {
		if i > 0 && (w == "to" || w == "until" || w == "-" || w == "through") && i+1 < len(words) {
			first, err = parseDay(strings.Join(words[:i], " "), today)
			if err != nil {
				return first, last, err
			}
			last, err = parseDay(strings.Join(words[i+1:], " "), today)
			if err != nil {
				return first, last, err
			}
			return checkPeriod(first, last, today)
		}
	}
	switch {
	case words[0] == "until" || words[0] == "till" || words[0] == "through":
		if len(words) < 2 {
			return first, last, fmt.Errorf("%w: until when?", errBadAway)
		}
		last, err = parseDay(strings.Join(words[1:], " "), today)
		if err != nil {
			return first, last, err
		}
		return checkPeriod(today, last, today)
	case len(words) == 1 && isSpan(words[0]):
		n, unit := words[0][:len(words[0])-1], words[0][len(words[0])-1]
		count, err := strconv.Atoi(n)
		if err != nil || count < 1 || count > 366 {
			return first, last, fmt.Errorf("%w: %q is not a number of days between 1 and 366", errBadAway, words[0])
		}
		if unit == 'w' {
			count *= 7
		}
		return checkPeriod(today, today.AddDays(count-1), today)
	}
	day, err := parseDay(strings.Join(words, " "), today)
	if err != nil {
		return first, last, err
	}
	return checkPeriod(day, day, today)
}

func isSpan(w string) bool {
	if len(w) < 2 {
		return false
	}
	if u := w[len(w)-1]; u != 'd' && u != 'w' {
		return false
	}
	for _, r := range w[:len(w)-1] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func checkPeriod(first, last, today calendar.Date) (calendar.Date, calendar.Date, error) {
	if last.Before(today) {
		return first, last, fmt.Errorf("%w: %s is before today (%s)", errPastDate, last, today)
	}
	if first.Before(today) {
		return first, last, fmt.Errorf("%w: %s is before today (%s)", errPastDate, first, today)
	}
	if last.Before(first) {
		return first, last, fmt.Errorf("%w: %s ends before it starts (%s)", errBadAway, last, first)
	}
	if last.After(today.AddDays(2 * 366)) {
		return first, last, fmt.Errorf("%w: %s is more than two years away", errBadAway, last)
	}
	return first, last, nil
}

// parseDay reads one day: an ISO date, "today", "tomorrow", or a weekday
// name meaning its next occurrence after today.
func parseDay(s string, today calendar.Date) (calendar.Date, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "today":
		return today, nil
	case "tomorrow":
		return today.AddDays(1), nil
	}
	if d, err := calendar.ParseDate(s); err == nil {
		return d, nil
	}
	for i, name := range []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"} {
		if len(s) >= 3 && strings.HasPrefix(name, s) {
			ahead := (i - int(today.Weekday()) + 7) % 7
			if ahead == 0 {
				ahead = 7
			}
			return today.AddDays(ahead), nil
		}
	}
	return calendar.Date{}, fmt.Errorf("%w: %q is not a date I can read", errBadAway, s)
}

// localToday is the person's date at now in loc.
func localToday(now time.Time, loc *time.Location) calendar.Date {
	return calendar.DateOf(now.In(loc))
}

// SplitCommand separates the first word (the subcommand) from the rest.
func SplitCommand(text string) (sub, rest string) {
	text = strings.TrimSpace(text)
	sub, rest, _ = strings.Cut(text, " ")
	return strings.ToLower(sub), strings.TrimSpace(rest)
}
