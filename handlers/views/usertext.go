package views

import (
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Text a person typed — names of check-ins and holidays, questions,
// answers, time-off notes, Slack display names and statuses, anything a
// later feature adds — reaches Block Kit only through the functions below
// (invariant 9 of the design):
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
func text(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

// plain is a plain_text text object.
func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// Escape makes text a person typed safe inside mrkdwn: "&", "<" and ">"
// become entities, so links and mentions ("<!channel>") are shown, not
// sent. It does not bound the text; Mrkdwn does both.
func Escape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Mrkdwn is text a person typed, for a mrkdwn field that holds n
// characters: escaped, and cut to n characters once escaped (which is
// what Slack counts), ending in "…" when cut.
func Mrkdwn(s string, n int) string {
	if escapedWidth(s) <= n {
		return Escape(s)
	}
	return Escape(s[:escapedCut(s, n-1, false)]) + "…"
}

// Plain is text a person typed, for a plain_text field that holds n
// characters: cut to n characters, ending in "…" when cut.
func Plain(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return clip(s, n-1) + "…"
}

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
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// escapedRuneWidth is a character's width once escaped.
func escapedRuneWidth(r rune) int {
	switch r {
	case '&':
		return 5
	case '<', '>':
		return 4
	}
	return 1
}

// escapedWidth is s's width once escaped.
func escapedWidth(s string) int {
	n := 0
	for _, r := range s {
		n += escapedRuneWidth(r)
	}
	return n
}

// escapedCut returns how many bytes of s fit in n characters once escaped.
// With nice set, it ends the piece after a line break or, failing that, a
// space in the last third, rather than in the middle of a word.
func escapedCut(s string, n int, nice bool) int {
	width, end, lastLine, lastSpace := 0, 0, 0, 0
	for i, r := range s {
		w := escapedRuneWidth(r)
		if width+w > n {
			break
		}
		width += w
		_, size := utf8.DecodeRuneInString(s[i:]) // 1 for an invalid byte
		end = i + size
		if width >= n*2/3 {
			switch r {
			case '\n':
				lastLine = end
			case ' ', '\t':
				lastSpace = end
			}
		}
	}
	switch {
	case !nice || end == len(s):
		return end
	case lastLine > 0:
		return lastLine
	case lastSpace > 0:
		return lastSpace
	}
	return end
}
