package mrkdwn

import (
	"regexp"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Limits a Slack message keeps to, shared by every layer that builds one.
const (
	// MaxMessageBlocks is the most blocks a message may carry.
	MaxMessageBlocks = 50
	// MaxSectionText is the most characters of a section's text.
	MaxSectionText = 3000
	// MaxHeaderText is the most characters of a header's text.
	MaxHeaderText = 150
	// MaxMessageText is the most characters of a message's notification
	// text.
	MaxMessageText = 4000
	// MessageTextBudget is the block text one message carries. Slack
	// refuses somewhere around 12,000 characters (msg_blocks_too_long, not
	// documented), so a message stays well below that.
	MessageTextBudget = 11000
)

// Text is a mrkdwn text object. It is verbatim: Slack's own parsing would
// link a bare address or "#channel" a person typed; the mentions Trellis
// builds ("<@U1>") still work. Its text must already be escaped (Bound).
func Text(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

// PlainText is a plain_text text object (plain text is never parsed for
// mentions).
func PlainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// Plain is text a person typed, for a plain_text field that holds n
// characters: cut to n characters, ending in "…" when cut.
func Plain(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return Clip(s, n-1) + "…"
}

// Clip cuts s to at most n characters, without a mark: for a value Slack
// would refuse if longer (an input's initial_value, its max_length), which
// must stay what was stored.
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// TextLen is the characters of text a header, section or context block
// carries, as Slack counts them against a message's total
// (MessageTextBudget).
func TextLen(b slack.Block) int {
	n := 0
	add := func(t *slack.TextBlockObject) {
		if t != nil {
			n += utf8.RuneCountInString(t.Text)
		}
	}
	switch b := b.(type) {
	case *slack.HeaderBlock:
		add(b.Text)
	case *slack.SectionBlock:
		add(b.Text)
		for _, f := range b.Fields {
			add(f)
		}
	case *slack.ContextBlock:
		for _, e := range b.ContextElements.Elements {
			if t, ok := e.(*slack.TextBlockObject); ok {
				add(t)
			}
		}
	}
	return n
}

// HeaderText is a plain_text text object whose emoji shortcodes (":tada:")
// Slack shows as emoji, for a header.
func HeaderText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// Slack ids worth a mention; anything else is shown as text or not at all.
var (
	userID    = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	channelID = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
)

// IsUserID reports whether s has the shape of a Slack user id, the only
// thing a user mention ("<@U1>") is ever built from.
func IsUserID(s string) bool { return userID.MatchString(s) }

// IsChannelID reports whether s has the shape of a Slack conversation id,
// the only thing a channel link ("<#C1>") is ever built from.
func IsChannelID(s string) bool { return channelID.MatchString(s) }
