// Package okrs is what happens when a person acts on objectives and key
// results in Slack: /trellis okr and its subcommands (commands.go), the
// update, objective and review forms and the buttons of nudges, offers
// and review DMs (submit.go), the alignment picker's suggestions, the
// Home tab's OKR section (home.go), and who sees a team-limited objective
// (members.go). It plugs into Trellis as a handlers.Feature (feature.go).
//
// Its Block Kit surfaces and the parsing of what people submit in them are
// pure functions of the domain in models/okrs, with no storage and no
// Slack calls: the one update form (UpdateModal, ParseUpdate), the
// objective form (NewObjectiveModal, ParseNewObjective, AlignmentOptions),
// the /trellis okr reply (MyOKRs), the lists (ObjectiveList, Tree), the
// Home tab's section (HomeSection), the review form (ReviewModal,
// ParseReview) and the CSV export of a cycle (ExportCSV). Text a person
// typed (titles, units, notes, cycle names) reaches Block Kit only through
// handlers/views' Mrkdwn and Plain (docs/text.md).
package okrs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models/okrs"
)

// Item is one key result as the surfaces show it: with its objective, its
// effective state read from its history (okrs.Current), and its cycle.
type Item struct {
	Objective okrs.Objective
	KR        okrs.KeyResult
	Current   okrs.Effective
	Cycle     okrs.Cycle
}

// value is the key result's effective value: its Start until an update
// gave one.
func (it Item) value() float64 {
	if it.Current.HasValue {
		return it.Current.Value
	}
	if it.KR.Kind == okrs.Milestone {
		return 0
	}
	return it.KR.Start
}

// Bounds of what a surface shows of text a person typed, so that every
// line fits its block.
const (
	maxShownTitle = okrs.MaxTitleLen // a title is stored at most this long
	maxShownUnit  = okrs.MaxUnitLen
	maxShownCycle = okrs.MaxNameLen
	maxShownNote  = 300
	// barCells is the length of a text progress bar.
	barCells = 5
)

// Percent is progress as a whole percent, rounded down (okrs.Percent):
// 100 % only once the target is met.
func Percent(progress float64) int { return okrs.Percent(progress) }

// Bar is a text progress bar of barCells cells and the percent beside it,
// like "▰▰▰▱▱ 60 %". Cells are filled by whole fifths, rounded down like
// the percent.
func Bar(progress float64) string {
	p := Percent(progress)
	filled := p * barCells / 100
	return strings.Repeat("▰", filled) + strings.Repeat("▱", barCells-filled) + " " + strconv.Itoa(p) + " %"
}

// FormatNumber writes v with the key result's decimals; a value too large
// for fixed notation is written in exponent form, so it stays short.
func FormatNumber(v float64, decimals int) string {
	decimals = max(0, min(decimals, okrs.MaxDecimals))
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "?"
	}
	if math.Abs(v) >= 1e15 {
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if s == "-0" || strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return s
}

// valueText is "12 / 20 customers", "done" or "not done yet", as mrkdwn:
// the unit is escaped.
func valueText(it Item) string {
	return valueWith(it, func(u string) string { return views.Mrkdwn(u, maxShownUnit) })
}

// valuePlain is valueText as plain text, for a form's error message.
func valuePlain(it Item) string {
	return valueWith(it, func(u string) string { return views.Plain(u, maxShownUnit) })
}

// valueWith is valueText with unit written by unit.
func valueWith(it Item, unit func(string) string) string {
	if it.KR.Kind == okrs.Milestone {
		if it.value() >= 1 {
			return "done"
		}
		return "not done yet"
	}
	s := FormatNumber(it.value(), it.KR.Decimals) + " / " + FormatNumber(it.KR.Target, it.KR.Decimals)
	if u := strings.TrimSpace(it.KR.Unit); u != "" {
		s += " " + unit(u)
	}
	switch it.KR.Kind {
	case okrs.StayAtOrAbove:
		s += " (stay at or above)"
	case okrs.StayAtOrBelow:
		s += " (stay at or below)"
	}
	return s
}

// confidenceText is the confidence's emoji and word; "" for none.
func confidenceText(c okrs.Confidence) string {
	switch c {
	case okrs.OnTrack:
		return ":large_green_circle: on track"
	case okrs.AtRisk:
		return ":large_yellow_circle: at risk"
	case okrs.OffTrack:
		return ":red_circle: off track"
	}
	return ""
}

// confidenceLabel is the confidence's word for a radio button.
func confidenceLabel(c okrs.Confidence) string {
	switch c {
	case okrs.OnTrack:
		return "On track"
	case okrs.AtRisk:
		return "At risk"
	case okrs.OffTrack:
		return "Off track"
	}
	return ""
}

// ago says when the last check-in was: "updated today", "updated 3 days
// ago", or "no update yet". now and at are compared as instants, in whole
// days.
func ago(cur okrs.Effective, now time.Time) string {
	if cur.Updates == 0 || cur.LastAt.IsZero() {
		return "no update yet"
	}
	d := now.Sub(cur.LastAt)
	switch days := int(d.Hours() / 24); {
	case d < 0 || days == 0:
		return "updated today"
	case days == 1:
		return "updated yesterday"
	case days < 60:
		return fmt.Sprintf("updated %d days ago", days)
	default:
		return "updated " + cur.LastAt.Format("2 Jan 2006")
	}
}

// titleOf is a title for mrkdwn: escaped, bounded, never empty.
func titleOf(s, fallback string) string {
	if t := views.Mrkdwn(strings.TrimSpace(s), maxShownTitle); t != "" {
		return t
	}
	return fallback
}

// progressLine is one key result in a line: bar, value, confidence and
// when it was last updated.
func progressLine(it Item, now time.Time) string {
	parts := []string{Bar(it.KR.Progress(it.value())), valueText(it)}
	if c := confidenceText(it.Current.Confidence); c != "" {
		parts = append(parts, c)
	}
	parts = append(parts, ago(it.Current, now))
	return strings.Join(parts, " · ")
}
