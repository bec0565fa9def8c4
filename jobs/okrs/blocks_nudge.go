package okrs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The nudge DM: the key results that wait for an update and one button
// that opens the one form with all of them. Text a person typed (titles,
// units) reaches it only through mrkdwn.Bound, so nothing in it can
// mention, broadcast or link. Its blocks carry no block ids, which Slack
// wants unique in a message: the engine may merge two of a person's
// nudges into one DM.

// ActionUpdate is the nudge's "Update my key results" button: it opens the
// one form with all of the person's key results.
const ActionUpdate = "okr:update"

// NudgeListed is how many key results a nudge lists; the rest are counted
// ("…and 12 more"). Ten keep a nudge short and far inside Slack's limits
// (50 blocks, 12,000 characters of text) even with the longest titles,
// and leave room for other DMs merged into the same message.
const NudgeListed = 10

// nudgeTextMax bounds the notification text, in bytes (Slack allows 4000
// characters).
const nudgeTextMax = 3900

// NudgeInput is what a nudge DM shows.
type NudgeInput struct {
	// Stale are the key results to list, in order (Decision.Stale).
	Stale []KRStatus
	// Now is when the nudge is written, for "last update 12 days ago".
	Now time.Time
	// Loc is the person's zone, in which days are counted; nil is UTC.
	Loc *time.Location
	// TellHalved adds the one-time line that nudges were halved
	// (Decision.TellHalved); Weeks is the halved interval it names
	// (Decision.Weeks).
	TellHalved bool
	Weeks      int
}

// NudgeMessage is the nudge DM: a short friendly head, each stale key
// result (up to NudgeListed; the rest counted) with its objective, its
// current value and progress, its confidence and when it was last updated,
// the one-time line about halved nudges when due, and the "Update my key
// results" button.
func NudgeMessage(in NudgeInput) engine.Message {
	n := len(in.Stale)
	what := fmt.Sprintf("%d of your key results could use an update.", n)
	if n == 1 {
		what = "One of your key results could use an update."
	}
	head := "*Time for a quick OKR update*\n" + what + " One form takes them all, and “no change” is an answer too."
	blocks := []slack.Block{section("", head)}
	for i, k := range in.Stale {
		if i == NudgeListed {
			break
		}
		blocks = append(blocks, section("", krLine(k, in.Now, in.Loc)))
	}
	if more := n - NudgeListed; more > 0 {
		blocks = append(blocks, slack.NewContextBlock("",
			mrkdwn.Text(fmt.Sprintf("…and %d more. The form has them all.", more))))
	}
	if in.TellHalved {
		blocks = append(blocks, section("", halvedLine(in.Weeks)))
	}
	blocks = append(blocks, slack.NewActionBlock("",
		slack.NewButtonBlockElement(ActionUpdate, "nudge", mrkdwn.PlainText("Update my key results")).WithStyle(slack.StylePrimary)))

	text := "OKR update: " + plural(n, "key result is", "key results are") + " waiting for an update"
	if n == 1 {
		text = "OKR update: one key result is waiting for an update"
	}
	return engine.Message{Text: clipBytes(text, nudgeTextMax), Blocks: blocks}
}

// halvedLine tells a person, once and kindly, that their nudges slowed
// down and how to choose for themselves. It is theirs alone.
func halvedLine(weeks int) string {
	was := max(weeks/2, 1)
	return fmt.Sprintf("The last %d nudges went by without an update, so I'll nudge you %s instead of %s for now; "+
		"your next update brings the usual rhythm back. If another rhythm suits you better, say "+
		"`/trellis okr nudges weekly`, `/trellis okr nudges every 2 weeks` or `/trellis okr nudges off`. "+
		"Nobody else is told about this.", IgnoredToHalve, everyText(max(weeks, 2)), everyText(was))
}

// krLine is one key result in a nudge: its title and objective, then its
// value, progress and confidence, then when it was last updated.
func krLine(k KRStatus, now time.Time, loc *time.Location) string {
	kr := k.KeyResult
	title := mrkdwn.Bound(strings.TrimSpace(kr.Title), okrs.MaxTitleLen)
	line := "*" + title + "*"
	if o := strings.TrimSpace(k.Objective); o != "" {
		line += "  ·  " + mrkdwn.Bound(o, okrs.MaxTitleLen)
	}
	facts := []string{valueText(k)}
	if kr.Kind != okrs.Milestone {
		facts = append(facts, progressText(k))
	}
	if c := confidenceText(k.Current.Confidence); c != "" {
		facts = append(facts, c)
	}
	last := "no update yet"
	if k.Current.Updates > 0 {
		last = "last update " + dayAgo(k.Current.LastAt, now, loc)
	}
	facts = append(facts, last)
	return line + "\n" + strings.Join(facts, " · ")
}

// current is the key result's value now: its last value, or its start
// when it has none.
func current(k KRStatus) float64 {
	if k.Current.HasValue {
		return k.Current.Value
	}
	if k.KeyResult.Kind == okrs.Milestone {
		return 0
	}
	return k.KeyResult.Start
}

// valueText is the value against the target, in the key result's unit:
// "42 customers (target 60 customers)", "120 ms (stay at or below 150
// ms)", "not done yet".
func valueText(k KRStatus) string {
	kr := k.KeyResult
	v := current(k)
	unit := mrkdwn.Bound(strings.TrimSpace(kr.Unit), okrs.MaxUnitLen)
	val := withUnit(number(v, kr.Decimals), unit)
	target := withUnit(number(kr.Target, kr.Decimals), unit)
	switch kr.Kind {
	case okrs.Milestone:
		if v >= 1 {
			return "done"
		}
		return "not done yet"
	case okrs.StayAtOrAbove:
		return val + " (stay at or above " + target + ")"
	case okrs.StayAtOrBelow:
		return val + " (stay at or below " + target + ")"
	}
	return val + " (target " + target + ")"
}

// progressText is "35%", or for a threshold "met" or "not met" (a
// milestone's value says it all).
func progressText(k KRStatus) string {
	p := k.KeyResult.Progress(current(k))
	switch k.KeyResult.Kind {
	case okrs.StayAtOrAbove, okrs.StayAtOrBelow:
		if p >= 1 {
			return "met"
		}
		return "not met"
	}
	return strconv.Itoa(okrs.Percent(p)) + "%"
}

// confidenceText is a confidence in words, "" for none.
func confidenceText(c okrs.Confidence) string {
	switch c {
	case okrs.OnTrack:
		return "on track"
	case okrs.AtRisk:
		return "at risk"
	case okrs.OffTrack:
		return "off track"
	}
	return ""
}

// number writes v with at least decimals digits after the point, and more
// (up to okrs.MaxDecimals) when the value has them, so that 4.5 is not
// shown as 4; a value too large for that (absurd but valid) in short
// scientific form, so that it never floods a line.
func number(v float64, decimals int) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "?"
	case math.Abs(v) >= 1e12:
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	s := strconv.FormatFloat(v, 'f', okrs.MaxDecimals, 64)
	keep := max(0, min(decimals, okrs.MaxDecimals))
	point := strings.IndexByte(s, '.')
	end := len(s)
	for end > point+1+keep && s[end-1] == '0' {
		end--
	}
	if end == point+1 {
		end = point // no digits after the point: no point
	}
	s = s[:end]
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-") // never "-0"
	}
	return s
}

// withUnit is a number and its unit (escaped already): "42 customers",
// "35%".
func withUnit(num, unit string) string {
	switch unit {
	case "":
		return num
	case "%":
		return num + "%"
	}
	return num + " " + unit
}

// dayAgo says how many calendar days, in loc, lie between t and now:
// "today", "yesterday", "12 days ago".
func dayAgo(t, now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	from, to := calendar.DateOf(t.In(loc)), calendar.DateOf(now.In(loc))
	days := int(math.Round(to.In(time.UTC).Sub(from.In(time.UTC)).Hours() / 24))
	switch {
	case days <= 0:
		return "today"
	case days == 1:
		return "yesterday"
	}
	return fmt.Sprintf("%d days ago", days)
}

// section is a section of mrkdwn text (already escaped), with a block id
// unless id is "".
func section(id, text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn.Text(mrkdwn.Clip(text, mrkdwn.MaxSectionText)), nil, nil, slack.SectionBlockOptionBlockID(id))
}

// plural is "1 key result" or "3 key results".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// clipBytes cuts s to at most n bytes, on a character boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
