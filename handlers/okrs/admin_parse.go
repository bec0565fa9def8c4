package okrs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// adminToken is one word of what an admin typed after /trellis admin okr,
// or one quoted phrase without its quotes.
type adminToken struct {
	text   string
	quoted bool
}

// errUnclosedQuote is what splitAdminArgs returns for a quote that does
// not end.
var errUnclosedQuote = errors.New("a quote is not closed")

// isOpenQuote and isCloseQuote are the quotes a phrase may be written in:
// straight ones, and the curly ones Slack's clients turn them into (“ ”),
// in either order, since some keyboards type „ or ” first.
func isOpenQuote(r rune) bool  { return r == '"' || r == '“' || r == '”' || r == '„' }
func isCloseQuote(r rune) bool { return r == '"' || r == '”' || r == '“' }

// splitAdminArgs splits text into words at white space, a phrase in
// quotes ("Q1 2027", “Q1 2027”) being one word without its quotes. A
// quote inside a word is part of it. It returns errUnclosedQuote for a
// phrase whose quote does not end.
func splitAdminArgs(text string) ([]adminToken, error) {
	var out []adminToken
	rs := []rune(text)
	for i := 0; i < len(rs); {
		switch {
		case unicode.IsSpace(rs[i]):
			i++
		case isOpenQuote(rs[i]):
			j := i + 1
			for j < len(rs) && !isCloseQuote(rs[j]) {
				j++
			}
			if j == len(rs) {
				return nil, errUnclosedQuote
			}
			out = append(out, adminToken{text: strings.TrimSpace(string(rs[i+1 : j])), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) {
				j++
			}
			out = append(out, adminToken{text: string(rs[i:j])})
			i = j
		}
	}
	return out, nil
}

// joinTokens is the tokens' texts joined by single spaces.
func joinTokens(ts []adminToken) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.text
	}
	return strings.Join(parts, " ")
}

// looksLikeChannel reports whether t is meant as a channel: a mention
// Slack made (<#C123|name>) or a name typed with #.
func looksLikeChannel(t adminToken) bool {
	return !t.quoted && (strings.HasPrefix(t.text, "<#") || strings.HasPrefix(t.text, "#"))
}

// teamChannel reads a channel token into the channel's id: a mention
// Slack made as the channel was picked ("<#C123|team>", "<#C123>"), or
// "#team" when the command was typed in #team itself (Slack sends a
// typed name as text, and only the channel the command came from is
// known without asking Slack). A direct message is no team. It returns
// a message saying what to type instead when t names no channel it can
// use.
func teamChannel(t adminToken, cmd *slack.SlashCommand) (string, string) {
	text := t.text
	if rest, ok := strings.CutPrefix(text, "<#"); ok {
		id, _, _ := strings.Cut(strings.TrimSuffix(rest, ">"), "|")
		if !strings.HasSuffix(rest, ">") || !mrkdwn.IsChannelID(id) {
			return "", fmt.Sprintf("%s isn't a channel I can read.", views.Code(text))
		}
		if strings.HasPrefix(id, "D") {
			return "", "A direct message is not a team; pick the team's channel."
		}
		return id, ""
	}
	name := strings.ToLower(strings.TrimPrefix(text, "#"))
	if cmd != nil && name != "" && strings.EqualFold(cmd.ChannelName, name) && mrkdwn.IsChannelID(cmd.ChannelID) && !strings.HasPrefix(cmd.ChannelID, "D") {
		return cmd.ChannelID, ""
	}
	return "", fmt.Sprintf("I can't tell which channel %s is from its name alone. Pick it from the list Slack shows as you type #, or run the command in that channel.", views.Code(text))
}

// takeChannel removes the one channel token of ts, if any, and returns
// the channel's id ("" for none) and the other tokens, or a message
// saying what is wrong: a channel it cannot use, or two channels.
func takeChannel(ts []adminToken, cmd *slack.SlashCommand) (string, []adminToken, string) {
	var team string
	rest := make([]adminToken, 0, len(ts))
	for _, t := range ts {
		if !looksLikeChannel(t) {
			rest = append(rest, t)
			continue
		}
		if team != "" {
			return "", nil, "Name one channel at most: the team whose setting it is."
		}
		id, problem := teamChannel(t, cmd)
		if problem != "" {
			return "", nil, problem
		}
		team = id
	}
	return team, rest, ""
}

// parseMonths reads a length in months: "+3m", "+3", "3m", "3", "3
// months" written as one word ("3months"). It reports false for
// anything else; the range is the caller's to check.
func parseMonths(s string) (int, bool) {
	s = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "+"))
	for _, unit := range []string{"months", "month", "mo", "m"} {
		if v, ok := strings.CutSuffix(s, unit); ok {
			s = v
			break
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// parseWeekday reads a day of the week: its English name, or the first
// three letters of it or more, in any case.
func parseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSuffix(s, "s") // "tuesdays"
	if len(s) < 3 {
		return 0, false
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.HasPrefix(strings.ToLower(d.String()), s) {
			return d, true
		}
	}
	return 0, false
}

// isDate reports whether s is a date like 2027-01-01.
func isDate(s string) bool {
	_, err := calendar.ParseDate(s)
	return err == nil
}

// isConnector reports whether s is a word between a cycle's first and
// last day ("2027-01-01 to 2027-03-31").
func isConnector(s string) bool {
	switch strings.ToLower(s) {
	case "to", "until", "till", "through", "-", "–", "—", "..":
		return true
	}
	return false
}

// daysBetween is the number of days from a to b (negative when b is
// before a).
func daysBetween(a, b calendar.Date) int {
	return int(b.In(time.UTC).Sub(a.In(time.UTC)).Hours() / 24)
}

// cycleLength is a cycle's length in words: "3 months", or "2 months and
// 5 days" when it does not end on a month's boundary from its start (see
// okrs.EndAfterMonths).
func cycleLength(c okrs.Cycle) string {
	n := 0
	for k := 1; k <= okrs.MaxCycleMonths+1; k++ {
		if okrs.EndAfterMonths(c.Start, k).After(c.End) {
			break
		}
		n = k
	}
	if n == 0 {
		n := daysBetween(c.Start, c.End) + 1
		return fmt.Sprintf("%d %s", n, views.Plural(n, "day", "days"))
	}
	months := fmt.Sprintf("%d %s", n, views.Plural(n, "month", "months"))
	if extra := daysBetween(okrs.EndAfterMonths(c.Start, n), c.End); extra > 0 {
		return fmt.Sprintf("%s and %d %s", months, extra, views.Plural(extra, "day", "days"))
	}
	return months
}

// cycleState is where a cycle stands on today, in words: "planning:
// starts in 5 days", "active: 20 days left", "in review until Fri 14
// Apr", "closed".
func cycleState(c okrs.Cycle, today calendar.Date) string {
	switch c.State(today) {
	case okrs.CyclePlanning:
		n := daysBetween(today, c.Start)
		return fmt.Sprintf("planning: starts in %d %s", n, views.Plural(n, "day", "days"))
	case okrs.CycleActive:
		n := daysBetween(today, c.End) + 1
		return fmt.Sprintf("active: %d %s left", n, views.Plural(n, "day", "days"))
	case okrs.CycleReview:
		return "in review until " + c.End.AddDays(c.Grace()).Format("Mon 2 Jan")
	}
	return "closed"
}

// cycleDates is a cycle's first and last day: "1 Jan – 31 Mar 2027", or
// with both years when they differ.
func cycleDates(c okrs.Cycle) string {
	if c.Start.Year == c.End.Year {
		return c.Start.Format("2 Jan") + " – " + c.End.Format("2 Jan 2006")
	}
	return c.Start.Format("2 Jan 2006") + " – " + c.End.Format("2 Jan 2006")
}

// whose is whose cycle c is: "the workspace's" or "<#C1>'s own".
func whose(team string) string {
	if mrkdwn.IsChannelID(team) {
		return "<#" + team + ">'s own"
	}
	return "the workspace's"
}
