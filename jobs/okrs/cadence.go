package okrs

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// The nudge settings a person or a team may choose; "" (SettingDefault)
// follows the cycle.
const (
	// SettingDefault follows the cycle: weekly for cycles up to
	// okrs.ShortCycleMonths long, every two weeks for longer ones.
	SettingDefault = string(okrs.NudgeFollowCycle)
	// SettingWeekly nudges every week.
	SettingWeekly = string(okrs.NudgeWeekly)
	// SettingBiweekly nudges every two weeks.
	SettingBiweekly = string(okrs.NudgeBiweekly)
	// SettingOff sends no nudges.
	SettingOff = string(okrs.NudgeOff)
)

// NudgeAt is the local time of day of a nudge. The engine's attention
// policy moves a DM into the person's working hours, so any time would
// arrive inside them; 10:00 is already inside the typical working day
// (09:00 to 17:00), after its first hour, so for most people the nudge
// arrives when it says, not queued at the window's opening with
// everything else of the morning. For hours starting later (or a night
// shift) the engine moves it to the start of the person's window.
const NudgeAt calendar.TimeOfDay = 10 * 60

// DefaultWeekday is the nudges' day when a team has set no check-in day.
const DefaultWeekday = time.Tuesday

// ParseSetting reads what a person types after `/trellis okr nudges`:
// "weekly" (or "every week"), "every 2 weeks" ("biweekly", "every other
// week", "fortnightly"), "off", or "default" (following the cycle). Any
// other text gets an error, naming the field, that says what is accepted.
func ParseSetting(text string) (string, error) {
	norm := strings.Join(strings.Fields(strings.ToLower(text)), " ")
	switch norm {
	case "weekly", "every week", "1 week", "every 1 week":
		return SettingWeekly, nil
	case "biweekly", "every 2 weeks", "2 weeks", "every two weeks", "every other week", "fortnightly":
		return SettingBiweekly, nil
	case "off", "stop", "none", "never":
		return SettingOff, nil
	case "default", "auto", "reset":
		return SettingDefault, nil
	}
	// What was typed is not repeated: the message is shown in Slack.
	return "", errors.New("nudges: choose `weekly`, `every 2 weeks`, `off`, or `default` to follow the cycle")
}

// SettingText is a setting in words, for a person: "every week",
// "every 2 weeks", "off", or "what the cycle suggests".
func SettingText(setting string) string {
	switch setting {
	case SettingWeekly:
		return "every week"
	case SettingBiweekly:
		return "every 2 weeks"
	case SettingOff:
		return "off"
	}
	return "what the cycle suggests"
}

// ShortCycle reports whether c lasts at most okrs.ShortCycleMonths
// calendar months (its nudges are weekly by default): the rule of
// okrs.Settings.CadenceFor.
func ShortCycle(c okrs.Cycle) bool {
	return okrs.Settings{}.CadenceFor(c) == okrs.NudgeWeekly
}

// Weeks is how many weeks apart a person's nudges are, 0 when they are
// off. The person's setting beats the team's, and the team's the cycle's
// default (okrs.Settings.CadenceFor: 1 for a ShortCycle, else 2); a
// setting this package does not know counts as none. halved doubles the
// interval.
func Weeks(c okrs.Cycle, personSetting, teamSetting string, halved bool) int {
	known := func(s string) okrs.Settings {
		if n := okrs.NudgeCadence(s); n.Valid() {
			return okrs.Settings{NudgeCadence: n}
		}
		return okrs.Settings{}
	}
	n := 0
	switch known(personSetting).Over(known(teamSetting)).CadenceFor(c) {
	case okrs.NudgeWeekly:
		n = 1
	case okrs.NudgeBiweekly:
		n = 2
	default:
		return 0
	}
	if halved {
		n *= 2
	}
	return n
}

// CadenceFor is the cadence text (jobs/cadence's friendly form) of a
// person's nudge schedule: "every week on Tuesday at 10:00", "every 2
// weeks on Tuesday at 10:00", "every 4 weeks on …", or "off" when the
// person or their team turned nudges off (no schedule then). weekday is
// the team's check-in day; one out of range is DefaultWeekday. The time is
// NudgeAt, in the person's zone (the engine evaluates every cadence there).
// An "every n weeks" cadence is anchored by the schedule: see Anchor.
func CadenceFor(c okrs.Cycle, personSetting, teamSetting string, weekday time.Weekday, halved bool) string {
	n := Weeks(c, personSetting, teamSetting, halved)
	if n == 0 {
		return SettingOff
	}
	if weekday < time.Sunday || weekday > time.Saturday {
		weekday = DefaultWeekday
	}
	day := weekday.String() // jobs/cadence reads names in any case
	if n == 1 {
		return fmt.Sprintf("every week on %s at %s", day, NudgeAt)
	}
	return fmt.Sprintf("every %d weeks on %s at %s", n, day, NudgeAt)
}

// Anchor is the date an "every n weeks" nudge schedule counts from (the
// schedule's Anchor): the week of the person's last nudge, read in loc,
// so that a slower cadence continues from it (after three weekly nudges
// were ignored, the next comes two weeks after the last, not one);
// without a last nudge, or with one before the cycle started (a nudge of
// an earlier cycle), the cycle's second week, so that nobody is nudged
// about key results they set up days ago and a new cycle starts its own
// count.
func Anchor(c okrs.Cycle, lastNudged *time.Time, loc *time.Location) calendar.Date {
	if lastNudged != nil && !lastNudged.IsZero() {
		if loc == nil {
			loc = time.UTC
		}
		if last := calendar.DateOf(lastNudged.In(loc)); !last.Before(c.Start) {
			return last
		}
	}
	return c.Start.AddDays(7)
}

// everyText is an interval in weeks in words: "every week", "every 2
// weeks".
func everyText(weeks int) string {
	if weeks == 1 {
		return "every week"
	}
	return fmt.Sprintf("every %d weeks", weeks)
}
