package checkins

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/mrkdwn"
)

// The small pieces the check-ins' messages are built from. Text a person
// typed reaches them only through mrkdwn.Bound, mrkdwn.Plain or
// mrkdwn.Escape, so it is shown, never sent as a mention, broadcast or
// link.

// section is a section of mrkdwn text, with an optional accessory.
func section(s string, accessory *slack.Accessory) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn.Text(s), nil, accessory)
}

// button is a button with a plain-text label.
func button(actionID, label, value string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, mrkdwn.PlainText(label))
}

// count is "1 question" or "3 questions".
func count(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// localTime is t in loc, or in UTC when loc is nil.
func localTime(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc)
}

// clipBytes cuts s to at most n bytes, on a character boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
