package views

import (
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/mrkdwn"
)

// Text a person typed — names of check-ins and holidays, questions,
// answers, time-off notes, Slack display names and statuses, anything a
// later feature adds — reaches Block Kit only through the functions below,
// which are package mrkdwn's (the check-ins' messages in jobs/checkins call
// mrkdwn directly), so it is shown as text and never becomes a live
// mention, broadcast or link:
//
//   - in mrkdwn, Mrkdwn(s, n): escaped, so "<!channel>" or "<@U1>" is shown,
//     never sent, and cut to the n characters its field allows;
//   - in plain_text, Plain(s, n): cut to n characters (plain text is never
//     parsed for mentions);
//   - Code(s) to echo a command's argument back as inline code;
//   - Escape(s) when the caller bounds the whole line itself.
//
// Every mrkdwn text object is verbatim (text below), so Slack does not turn
// a typed address or channel name into a link either. Mentions Trellis
// means to make are built from checked ids, never from typed text.
// Cuts never split a character or an escape, and end in "…".

// text is a mrkdwn text object. It is verbatim: Slack's own parsing would
// link a bare address or "#channel" a person typed; the mentions Trellis
// builds ("<@U1>") still work.
func text(s string) *slack.TextBlockObject { return mrkdwn.Text(s) }

// plain is a plain_text text object.
func plain(s string) *slack.TextBlockObject { return mrkdwn.PlainText(s) }

// Escape makes text a person typed safe inside mrkdwn: "&", "<" and ">"
// become entities, so links and mentions ("<!channel>") are shown, not
// sent. It does not bound the text; Mrkdwn does both. It is mrkdwn.Escape,
// the path every layer shares.
func Escape(s string) string { return mrkdwn.Escape(s) }

// Mrkdwn is text a person typed, for a mrkdwn field that holds n
// characters: escaped, and cut to n characters once escaped (which is
// what Slack counts), ending in "…" when cut (mrkdwn.Bound).
func Mrkdwn(s string, n int) string { return mrkdwn.Bound(s, n) }

// Plain is text a person typed, for a plain_text field that holds n
// characters: cut to n characters, ending in "…" when cut.
func Plain(s string, n int) string { return mrkdwn.Plain(s, n) }

// maxCode bounds what a reply echoes back of a command.
const maxCode = 100

// Code echoes what a person typed (a command's argument) as inline code in
// mrkdwn: escaped, bounded, and with its backticks made quotes so it stays
// one code span.
func Code(s string) string {
	return "`" + Mrkdwn(strings.ReplaceAll(s, "`", "'"), maxCode) + "`"
}

// clip cuts s to at most n characters, without a mark: for a value Slack
// would refuse if longer (an input's initial_value, its max_length), which
// must stay what was stored.
func clip(s string, n int) string { return mrkdwn.Clip(s, n) }
