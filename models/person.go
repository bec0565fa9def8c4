package models

import (
	"regexp"
	"strings"
	"time"
)

// Status is a person's Slack status.
type Status struct {
	Text       string
	Emoji      string
	Expiration time.Time // zero: no expiry
}

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
	Hours *WorkingHours
	// HolidayRegion is a region code from the holidays package; empty means
	// the workspace's region, "none" means no public holidays.
	HolidayRegion string
	IsAdmin       bool
	Status        Status
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
	loc, err := LoadLocation(p.TimeZone())
	if err != nil {
		return time.UTC
	}
	return loc
}

// WorkingHoursIn returns the person's hours, or the workspace default.
func (p Person) WorkingHoursIn(ws Workspace) WorkingHours {
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
	First       Date
	Last        Date
	Note        string
	CreatedAt   time.Time
}

// Covers reports whether d falls in the period.
func (a AwayPeriod) Covers(d Date) bool { return !d.Before(a.First) && !d.After(a.Last) }

// awayEmoji are status emoji that mean "not working": vacation, illness,
// travel, leave. Slack sends them with colons.
var awayEmoji = map[string]bool{
	":palm_tree:":              true,
	":desert_island:":          true,
	":beach_with_umbrella:":    true,
	":face_with_thermometer:":  true,
	":thermometer:":            true,
	":mask:":                   true,
	":sneezing_face:":          true,
	":face_with_head_bandage:": true,
	":baby:":                   true,
	":baby_bottle:":            true,
	":airplane:":               true,
	":no_entry:":               true,
	// The same as characters, for statuses set with them.
	"🌴": true, "🏝": true, "🏖": true, "🤒": true, "🌡": true, "😷": true,
	"🤧": true, "🤕": true, "👶": true, "🍼": true, "✈": true, "⛔": true,
}

// emojiKey reduces an emoji to its awayEmoji key: lower case, without a skin
// tone (":baby::skin-tone-2:", "👶🏽") or a variation selector ("✈️").
func emojiKey(e string) string {
	e = strings.ToLower(strings.TrimSpace(e))
	if i := strings.Index(e, "::skin-tone-"); i >= 0 {
		e = e[:i+1]
	}
	return strings.Map(func(r rune) rune {
		if r == '\ufe0f' || (r >= 0x1F3FB && r <= 0x1F3FF) {
			return -1
		}
		return r
	}, e)
}

// awayText matches status text that says the person is out.
// Bare words such as "holiday" or "sick" are not enough ("Holiday party
// planning", "sick of meetings"): the phrase must say the person is out.
var awayText = regexp.MustCompile(`(?i)\b(ooo|out of (the )?office|on vacation|vacationing|on (a )?holidays?|on leave|(parental|maternity|paternity|sick|annual|medical) leave|off sick|out sick|sick today|sick day|pto|time off|day off|off today|away until)\b`)

// StatusAway says whether a Slack status means the person is away at now,
// and until when (zero Until: until they change their status).
func StatusAway(s Status, now time.Time) (away bool, until time.Time) {
	if !s.Expiration.IsZero() && !now.Before(s.Expiration) {
		return false, time.Time{}
	}
	if awayEmoji[emojiKey(s.Emoji)] || awayText.MatchString(s.Text) {
		return true, s.Expiration
	}
	return false, time.Time{}
}
