package models

import (
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

// Person is one member of a workspace and the boundaries they set.
type Person struct {
	WorkspaceID string
	UserID      string
	Name        string
	// SlackTZ is the IANA zone from the Slack profile, refreshed on
	// user_change. TZOverride, when set, is the person's own choice and wins.
	SlackTZ    string
	TZOverride string
	// Hours is nil while the person follows the workspace default.
	Hours *calendar.WorkingHours
	// HolidayRegion is a region code from the holidays package; empty means
	// the workspace's region, "none" means no public holidays.
	HolidayRegion string
	IsAdmin       bool
	Status        calendar.Status
	// AvatarURL is the person's Slack profile picture (https, 72 pixels),
	// or "" when Slack gave none.
	AvatarURL string
	// DailyBudget is the most proactive DMs the person wants per local
	// day; 0 follows the workspace's. A person can only lower it.
	DailyBudget int
	// DMChannel is the id of the person's DM with Trellis ("D..."), once
	// known; empty until the first DM.
	DMChannel string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DailyBudgetIn returns the person's daily budget of proactive DMs: their
// own when set and lower than the workspace's, else the workspace's.
func (p Person) DailyBudgetIn(ws Workspace) int {
	b := ws.DailyBudget
	if b <= 0 {
		b = DefaultDailyBudget
	}
	if p.DailyBudget > 0 && p.DailyBudget < b {
		return p.DailyBudget
	}
	return b
}

// TimeZone is the zone the person's time rules are evaluated in.
func (p Person) TimeZone() string {
	switch {
	case p.TZOverride != "":
		return p.TZOverride
	case p.SlackTZ != "":
		return p.SlackTZ
	}
	return "UTC"
}

// Location loads TimeZone, falling back to UTC for a zone the tz database
// does not know (which the stores never save).
func (p Person) Location() *time.Location {
	loc, err := calendar.LoadLocation(p.TimeZone())
	if err != nil {
		return time.UTC
	}
	return loc
}

// WorkingHoursIn returns the person's hours, or the workspace default.
func (p Person) WorkingHoursIn(ws Workspace) calendar.WorkingHours {
	if p.Hours != nil {
		return *p.Hours
	}
	return ws.DefaultHours
}

// HolidayRegionIn returns the region whose public holidays apply to the
// person: their own choice, else the workspace's.
func (p Person) HolidayRegionIn(ws Workspace) string {
	if p.HolidayRegion != "" {
		return p.HolidayRegion
	}
	return ws.HolidayRegion
}

// Lengths, in characters, of the text a person types into time off and
// company holidays. Longer input is refused with ErrInvalid and a message
// saying the limit, never cut silently.
const (
	// MaxAwayNoteLen bounds a time-off note (the modal's max_length).
	MaxAwayNoteLen = 100
	// MaxHolidayNameLen bounds a company holiday's name.
	MaxHolidayNameLen = 100
)

// AwayPeriod is a span of whole local days on which a person is not to be
// contacted. First and Last are inclusive, in the person's own timezone.
type AwayPeriod struct {
	ID          int64
	WorkspaceID string
	UserID      string
	First       calendar.Date
	Last        calendar.Date
	Note        string
	CreatedAt   time.Time
}

// Covers reports whether d falls in the period.
func (a AwayPeriod) Covers(d calendar.Date) bool { return !d.Before(a.First) && !d.After(a.Last) }
