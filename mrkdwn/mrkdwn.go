// Package mrkdwn makes text a person typed safe and bounded inside Slack's
// mrkdwn: escaped, so "<!channel>" or "<@U1>" is shown and never sent, and
// cut to what a field holds, counted as Slack counts it (after escaping).
// It also holds the Block Kit text objects (Text, PlainText) and the
// message limits every layer keeps to. It depends on nothing of Trellis, so
// every layer that writes mrkdwn — handlers/views and jobs/checkins for
// Block Kit, jobs/engine for the "Why did I get this?" line — shares the
// one path: text a person typed is shown as text, never as a live mention,
// broadcast or link.
package mrkdwn

import (
	"strings"
	"unicode/utf8"
)

// Escape turns "&", "<" and ">" into entities, so links and mentions a
// person typed are shown, not sent. It does not bound the text; Bound does
// both.
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

// Bound is text a person typed, for a mrkdwn field that holds n
// characters: escaped, and cut to n characters once escaped, ending in "…"
// when cut. A cut never splits a character or an escape.
func Bound(s string, n int) string {
	if Width(s) <= n {
		return Escape(s)
	}
	return Escape(s[:Cut(s, n-1, false)]) + "…"
}

// runeWidth is a character's width once escaped.
func runeWidth(r rune) int {
	switch r {
	case '&':
		return 5
	case '<', '>':
		return 4
	}
	return 1
}

// Width is s's width once escaped: the characters Slack counts.
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// Cut returns how many bytes of s fit in n characters once escaped. With
// nice set, it ends the piece after a line break or, failing that, a space
// in the last third, rather than in the middle of a word.
func Cut(s string, n int, nice bool) int {
	w, end, lastLine, lastSpace := 0, 0, 0, 0
	for i, r := range s {
		rw := runeWidth(r)
		if w+rw > n {
			break
		}
		w += rw
		_, size := utf8.DecodeRuneInString(s[i:]) // 1 for an invalid byte
		end = i + size
		if w >= n*2/3 {
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
