package models

import (
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

// The calendar values live in package calendar, which the time rules use
// without pulling in the database; these names keep the stores and their
// callers reading models.Date, models.WorkingHours and so on.

// Date is a calendar date with no time or zone; see calendar.Date.
type Date = calendar.Date

// DateOf returns the date of t in t's location; see calendar.DateOf.
func DateOf(t time.Time) Date { return calendar.DateOf(t) }

// ParseDate reads "2026-12-24"; see calendar.ParseDate.
func ParseDate(s string) (Date, error) { return calendar.ParseDate(s) }

// Weekdays is a set of days of the week; see calendar.Weekdays.
type Weekdays = calendar.Weekdays

// MonFri is Monday to Friday.
const MonFri = calendar.MonFri

// ParseWeekdays reads "mon-fri", "sun-thu", ...; see calendar.ParseWeekdays.
func ParseWeekdays(s string) (Weekdays, error) { return calendar.ParseWeekdays(s) }

// TimeOfDay is minutes after local midnight; see calendar.TimeOfDay.
type TimeOfDay = calendar.TimeOfDay

// ParseTimeOfDay reads "09:00", "5:30pm", ...; see calendar.ParseTimeOfDay.
func ParseTimeOfDay(s string) (TimeOfDay, error) { return calendar.ParseTimeOfDay(s) }

// WorkingHours are the days and daily window in which a person may be
// contacted; see calendar.WorkingHours.
type WorkingHours = calendar.WorkingHours

// DefaultWorkingHours is the workspace default until an admin changes it.
var DefaultWorkingHours = calendar.DefaultWorkingHours

// ParseWorkingHours reads "mon-fri 09:00-17:30"; see calendar.ParseWorkingHours.
func ParseWorkingHours(s string) (WorkingHours, error) { return calendar.ParseWorkingHours(s) }

// Errors for malformed boundaries; they are calendar's, so errors.Is matches
// either name.
var (
	ErrInvalidDays  = calendar.ErrInvalidDays
	ErrInvalidTime  = calendar.ErrInvalidTime
	ErrInvalidHours = calendar.ErrInvalidHours
	ErrZeroLength   = calendar.ErrZeroLength
)

// LoadLocation is time.LoadLocation with a cache; see calendar.LoadLocation.
func LoadLocation(name string) (*time.Location, error) { return calendar.LoadLocation(name) }

// Status is a person's Slack status; see calendar.Status.
type Status = calendar.Status

// StatusAway says whether a Slack status means the person is away at now,
// and until when; see calendar.StatusAway.
func StatusAway(s Status, now time.Time) (away bool, until time.Time) {
	return calendar.StatusAway(s, now)
}
