package calendar

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
