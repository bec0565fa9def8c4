package calendar

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Weekdays is a set of days of the week, one bit per time.Weekday.
type Weekdays uint8

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool { return w&(1<<uint(d)) != 0 }

// With returns the set with d added.
func (w Weekdays) With(d time.Weekday) Weekdays { return w | 1<<uint(d) }

// MonFri is Monday to Friday.
const MonFri Weekdays = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// String writes the set the way a person types it: "mon-fri", "sun-thu",
// "tue,thu,sat". A run of three or more days becomes a range.
func (w Weekdays) String() string {
	if w == 0 {
		return "none"
	}
	// Start a scan at a day that is not in the set so that a wrapping run
	// such as sat-mon stays one range.
	start := 0
	for i := 0; i < 7; i++ {
		if !w.Has(time.Weekday(i)) {
			start = (i + 1) % 7
			break
		}
	}
	if w == 0x7f {
		return "every day"
	}
	var parts []string
	for i := 0; i < 7; {
		d := (start + i) % 7
		if !w.Has(time.Weekday(d)) {
			i++
			continue
		}
		j := i
		for j+1 < 7 && w.Has(time.Weekday((start+j+1)%7)) {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, dayNames[d]+"-"+dayNames[(start+j)%7])
		case j == i:
			parts = append(parts, dayNames[d])
		default:
			parts = append(parts, dayNames[d], dayNames[(start+j)%7])
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// ParseWeekdays reads "mon-fri", "sun-thu", "tue,thu,sat", "weekdays",
// "every day" or "daily". Ranges may wrap ("fri-mon").
func ParseWeekdays(s string) (Weekdays, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "weekdays":
		return MonFri, nil
	case "every day", "everyday", "daily", "all":
		return 0x7f, nil
	case "weekends":
		return 1<<time.Saturday | 1<<time.Sunday, nil
	case "":
		return 0, fmt.Errorf("%w: no days given", ErrInvalidDays)
	}
	var w Weekdays
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		from, to, isRange := strings.Cut(part, "-")
		a, ok := dayIndex(from)
		if !ok {
			return 0, fmt.Errorf("%w: %q is not a day (use mon, tue, wed, thu, fri, sat, sun)", ErrInvalidDays, from)
		}
		if !isRange {
			w = w.With(time.Weekday(a))
			continue
		}
		b, ok := dayIndex(to)
		if !ok {
			return 0, fmt.Errorf("%w: %q is not a day (use mon, tue, wed, thu, fri, sat, sun)", ErrInvalidDays, to)
		}
		for d := a; ; d = (d + 1) % 7 {
			w = w.With(time.Weekday(d))
			if d == b {
				break
			}
		}
	}
	return w, nil
}

func dayIndex(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 3 {
		return 0, false
	}
	for i, n := range dayNames {
		if strings.HasPrefix(s, n) && strings.HasPrefix(longDayNames[i], s) {
			return i, true
		}
	}
	return 0, false
}

var longDayNames = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// TimeOfDay is minutes after local midnight, 0 to 1439.
type TimeOfDay int

// ParseTimeOfDay reads "09:00", "9:30", "17:30", "9am", "5:30pm", "24:00" is
// not accepted (use 00:00).
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	suffix := ""
	for _, x := range []string{"am", "pm"} {
		if strings.HasSuffix(s, x) {
			suffix, s = x, strings.TrimSpace(strings.TrimSuffix(s, x))
		}
	}
	hs, ms, hasMin := strings.Cut(s, ":")
	h, err := strconv.Atoi(hs)
	if err != nil || len(hs) == 0 || len(hs) > 2 || !digits(hs) {
		return 0, fmt.Errorf("%w: %q", ErrInvalidTime, s)
	}
	m := 0
	if hasMin {
		if len(ms) != 2 || !digits(ms) {
			return 0, fmt.Errorf("%w: %q", ErrInvalidTime, s)
		}
		if m, err = strconv.Atoi(ms); err != nil || m < 0 || m > 59 {
			return 0, fmt.Errorf("%w: %q", ErrInvalidTime, s)
		}
	} else if suffix == "" {
		return 0, fmt.Errorf("%w: %q", ErrInvalidTime, s)
	}
	switch suffix {
	case "am", "pm":
		if h < 1 || h > 12 {
			return 0, fmt.Errorf("%w: %q", ErrInvalidTime, s)
		}
		h %= 12
		if suffix == "pm" {
			h += 12
		}
	default:
		if h < 0 || h > 23 {
			return 0, fmt.Errorf("%w: %q", ErrInvalidTime, s)
		}
	}
	return TimeOfDay(h*60 + m), nil
}

// digits reports whether s is only ASCII digits (Atoi also takes "+9").
func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// String is "HH:MM".
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", int(t)/60, int(t)%60) }

// WorkingHours are the days and the daily window in which a person may be
// contacted. End before Start is a window that runs past midnight (a
// 22:00-06:00 night shift starts on a working day and ends the next morning).
type WorkingHours struct {
	Days  Weekdays
	Start TimeOfDay
	End   TimeOfDay
}

// DefaultWorkingHours is the workspace default until an admin changes it.
var DefaultWorkingHours = WorkingHours{Days: MonFri, Start: 9 * 60, End: 17*60 + 30}

// Errors for malformed boundaries; handlers turn them into friendly text.
var (
	ErrInvalidDays  = errors.New("invalid working days")
	ErrInvalidTime  = errors.New("invalid time of day")
	ErrInvalidHours = errors.New("invalid working hours")
	ErrZeroLength   = errors.New("working hours of zero length")
)

// ParseWorkingHours reads "mon-fri 09:00-17:30" (days optional; they default
// to mon-fri), "sun-thu 8:00-16:00", or "mon,tue 22:00-06:00".
func ParseWorkingHours(s string) (WorkingHours, error) {
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) == 0 {
		return WorkingHours{}, fmt.Errorf("%w: nothing given", ErrInvalidHours)
	}
	span := fields[len(fields)-1]
	days := MonFri
	if len(fields) > 1 {
		d, err := ParseWeekdays(strings.Join(fields[:len(fields)-1], " "))
		if err != nil {
			return WorkingHours{}, err
		}
		days = d
	}
	from, to, ok := strings.Cut(span, "-")
	if !ok {
		return WorkingHours{}, fmt.Errorf("%w: %q needs a start and an end like 09:00-17:30", ErrInvalidHours, span)
	}
	start, err := ParseTimeOfDay(from)
	if err != nil {
		return WorkingHours{}, err
	}
	end, err := ParseTimeOfDay(to)
	if err != nil {
		return WorkingHours{}, err
	}
	h := WorkingHours{Days: days, Start: start, End: end}
	return h, h.Validate()
}

// Validate checks that the window has a length and there is a working day.
func (h WorkingHours) Validate() error {
	if h.Days == 0 || h.Days > 0x7f {
		return fmt.Errorf("%w: no working days", ErrInvalidDays)
	}
	if h.Start < 0 || h.Start >= 24*60 || h.End < 0 || h.End >= 24*60 {
		return fmt.Errorf("%w: times must be within the day", ErrInvalidTime)
	}
	if h.Start == h.End {
		return fmt.Errorf("%w: %s-%s", ErrZeroLength, h.Start, h.End)
	}
	return nil
}

// Overnight reports whether the window runs past midnight.
func (h WorkingHours) Overnight() bool { return h.End < h.Start }

// Length is how long one day's window lasts.
func (h WorkingHours) Length() time.Duration {
	d := int(h.End) - int(h.Start)
	if d <= 0 {
		d += 24 * 60
	}
	return time.Duration(d) * time.Minute
}

// String is "mon-fri 09:00-17:30".
func (h WorkingHours) String() string {
	return fmt.Sprintf("%s %s-%s", h.Days, h.Start, h.End)
}
