package okrs

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// blocksJSON is blocks as Slack receives them.
func blocksJSON(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// mrkdwnText is every text of blocks, joined, as Slack reads it.
func mrkdwnText(t *testing.T, blocks []slack.Block) string {
	return blockkittest.ReportMrkdwn(t, "", blocks)
}

// actionIDs are the action ids of every button in blocks, in order.
func actionIDs(t *testing.T, blocks []slack.Block) []string {
	t.Helper()
	var out []string
	for _, b := range blockkittest.ReportBlocks(t, blocks) {
		if b["type"] != "actions" {
			continue
		}
		for _, e := range blockkittest.Elements(b) {
			out = append(out, blockkittest.Str(e["action_id"]))
		}
	}
	return out
}

// stale is a stale key result of each kind, with its objective and value.
func staleKR(id int64, kind okrs.Kind, title, objective, unit string, start, target float64, cur *float64, lastAt time.Time, conf okrs.Confidence) KRStatus {
	k := KRStatus{
		KeyResult: okrs.KeyResult{ID: id, Owner: "U1", Title: title, Kind: kind, Start: start, Target: target, Unit: unit},
		Objective: objective,
		Cycle:     cycle(date(2027, 3, 1), date(2027, 4, 25)),
		Created:   at(2027, 2, 26, 9),
	}
	if cur != nil {
		k.Current = okrs.Effective{HasValue: true, Value: *cur, Confidence: conf, Updates: 2, LastAt: lastAt}
	}
	return k
}

func num(f float64) *float64 { return &f }

// TestNudgeMessageLines: each kind of key result shows its value against
// its target, its progress, its confidence and when it was last updated,
// in the person's days.
func TestNudgeMessageLines(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 3, 23, 10, 0, 0, 0, tokyo)
	tests := []struct {
		name string
		k    KRStatus
		want []string
		not  []string
	}{
		{"increase, 12 days ago", staleKR(1, okrs.IncreaseTo, "Weekly active teams", "Grow usage", "teams", 40, 60, num(47), now.AddDate(0, 0, -12), okrs.AtRisk),
			[]string{"*Weekly active teams*", "Grow usage", "47 teams (target 60 teams)", "35%", "at risk", "last update 12 days ago"}, nil},
		{"decrease with decimals and percent", staleKR(2, okrs.DecreaseTo, "Churn", "Keep customers", "%", 5, 3, num(4.5), now.Add(-2*time.Hour), okrs.OnTrack),
			[]string{"4.5% (target 3%)", "25%", "on track", "last update today"}, []string{"4.5 %"}},
		{"yesterday by the person's calendar", staleKR(3, okrs.IncreaseTo, "Calls", "", "", 0, 10, num(2), time.Date(2027, 3, 22, 23, 30, 0, 0, tokyo), ""),
			[]string{"2 (target 10)", "20%", "last update yesterday"}, []string{"·  \n", "on track"}},
		{"threshold met", staleKR(4, okrs.StayAtOrBelow, "p95 latency", "Fast", "ms", 180, 150, num(140), now.AddDate(0, 0, -3), okrs.OnTrack),
			[]string{"140 ms (stay at or below 150 ms)", "met", "3 days ago"}, []string{"not met"}},
		{"threshold not met", staleKR(5, okrs.StayAtOrAbove, "NPS", "Love", "", 30, 40, num(35), now.AddDate(0, 0, -3), okrs.OffTrack),
			[]string{"35 (stay at or above 40)", "not met", "off track"}, nil},
		{"milestone not done, never updated", staleKR(6, okrs.Milestone, "Launch v2", "Ship", "", 0, 1, nil, time.Time{}, ""),
			[]string{"*Launch v2*", "not done yet", "no update yet"}, []string{"%", "target"}},
		{"never updated: at its start", staleKR(7, okrs.IncreaseTo, "Signups", "Grow", "", 100, 200, nil, time.Time{}, ""),
			[]string{"100 (target 200)", "0%", "no update yet"}, nil},
		{"a huge value stays short", staleKR(8, okrs.IncreaseTo, "Stars", "Reach", "", 0, 1e300, num(1e299), now, ""),
			[]string{"1e+299 (target 1e+300)", "10%"}, nil},
		{"negative zero is zero; the percent is rounded down", staleKR(9, okrs.IncreaseTo, "Delta", "Balance", "", -1, 1, num(-0.00001), now, ""),
			[]string{"0 (target 1)", "49%"}, []string{"-0"}},
	}
	for _, tt := range tests {
		msg := NudgeMessage(NudgeInput{Stale: []KRStatus{tt.k}, Now: now, Loc: tokyo})
		text := mrkdwnText(t, msg.Blocks)
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the nudge does not say %q:\n%s", tt.name, w, text)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(text, n) {
				t.Errorf("%s: the nudge says %q:\n%s", tt.name, n, text)
			}
		}
	}
}

// TestNudgeMessageShape: whatever the number of stale key results, the
// nudge lists at most NudgeListed, counts the rest, has one button that
// opens the form, tells of halving only when asked, keeps every Block Kit
// limit, and says nothing of people.
func TestNudgeMessageShape(t *testing.T) {
	now := at(2027, 3, 23, 10)
	long := strings.Repeat("&<>", okrs.MaxTitleLen/3)
	for _, n := range []int{1, 2, NudgeListed, NudgeListed + 1, 25, 200} {
		for _, tell := range []bool{false, true} {
			var ks []KRStatus
			for i := range n {
				ks = append(ks, staleKR(int64(i+1), okrs.IncreaseTo, long, long, strings.Repeat("&", okrs.MaxUnitLen), -1e11, 1e11, num(-99999999999.1234), now.AddDate(0, 0, -i), okrs.AtRisk))
				ks[i].KeyResult.Decimals = okrs.MaxDecimals
			}
			msg := NudgeMessage(NudgeInput{Stale: ks, Now: now, Loc: time.UTC, TellHalved: tell, Weeks: 2})
			where := fmt.Sprintf("%d stale, tell %v", n, tell)
			blockkittest.CheckDM(t, where, msg.Text, msg.Blocks)
			for _, p := range blockkit.Check(blockkit.Message, msg.Blocks) {
				t.Errorf("%s: %s", where, p)
			}
			text := mrkdwnText(t, msg.Blocks)
			listed := strings.Count(text, "(target ")
			if want := min(n, NudgeListed); listed != want {
				t.Errorf("%s: %d key results listed, want %d", where, listed, want)
			}
			more := fmt.Sprintf("…and %d more", n-NudgeListed)
			if got := strings.Contains(text, more); got != (n > NudgeListed) {
				t.Errorf("%s: says %q: %v", where, more, got)
			}
			if got := actionIDs(t, msg.Blocks); len(got) != 1 || got[0] != ActionUpdate {
				t.Errorf("%s: buttons %v, want one %s", where, got, ActionUpdate)
			}
			for _, must := range []string{"/trellis okr nudges weekly", "/trellis okr nudges every 2 weeks", "/trellis okr nudges off", "every 2 weeks instead of every week", "Nobody else"} {
				if got := strings.Contains(text, must); got != tell {
					t.Errorf("%s: says %q: %v, want %v", where, must, got, tell)
				}
			}
			if !strings.Contains(msg.Text, fmt.Sprint(n)) && n > 1 {
				t.Errorf("%s: notification %q does not count them", where, msg.Text)
			}
		}
	}
}

// TestHalvedLine names the intervals before and after.
func TestHalvedLine(t *testing.T) {
	tests := []struct {
		weeks int
		want  string
	}{
		{2, "every 2 weeks instead of every week"},
		{4, "every 4 weeks instead of every 2 weeks"},
		{1, "every 2 weeks instead of every week"}, // not halved: read as the smallest halving
	}
	for _, tt := range tests {
		if got := halvedLine(tt.weeks); !strings.Contains(got, tt.want) {
			t.Errorf("halvedLine(%d) = %q, want it to say %q", tt.weeks, got, tt.want)
		}
	}
}

// TestOffTrackOffer: only a change to off track from anything else.
func TestOffTrackOffer(t *testing.T) {
	all := []okrs.Confidence{"", okrs.OnTrack, okrs.AtRisk, okrs.OffTrack}
	for _, before := range all {
		for _, after := range all {
			want := after == okrs.OffTrack && before != okrs.OffTrack
			if got := OffTrackOffer(before, after); got != want {
				t.Errorf("OffTrackOffer(%q, %q) = %v, want %v", before, after, got, want)
			}
		}
	}
}

// TestOffTrackMessage: the buttons offered follow what the owner has, each
// carries the key result's id, "no thanks" is always there, and the
// message says that only they see it.
func TestOffTrackMessage(t *testing.T) {
	k := okrs.KeyResult{ID: 42, Owner: "U1", Title: "Weekly active teams", Kind: okrs.IncreaseTo, Start: 1, Target: 2}
	tests := []struct {
		name    string
		in      OfferInput
		buttons []string
		says    []string
	}{
		{"channel and check-in", OfferInput{KeyResult: k, Channel: "C0TEAM", Checkin: "Weekly sync"},
			[]string{"okr:help_channel:42", "okr:help_checkin:42", "okr:help_no:42"}, []string{"<#C0TEAM>", "*Weekly sync*"}},
		{"no team channel", OfferInput{KeyResult: k, Checkin: "Weekly sync"},
			[]string{"okr:help_checkin:42", "okr:help_no:42"}, []string{"*Weekly sync*"}},
		{"no check-in", OfferInput{KeyResult: k, Channel: "C0TEAM"},
			[]string{"okr:help_channel:42", "okr:help_no:42"}, []string{"<#C0TEAM>"}},
		{"neither", OfferInput{KeyResult: k}, []string{"okr:help_no:42"}, nil},
		{"a channel that is not an id is not linked", OfferInput{KeyResult: k, Channel: "<!channel>"}, []string{"okr:help_no:42"}, nil},
	}
	for _, tt := range tests {
		msg := OffTrackMessage(tt.in)
		got := actionIDs(t, msg.Blocks)
		if strings.Join(got, " ") != strings.Join(tt.buttons, " ") {
			t.Errorf("%s: buttons %v, want %v", tt.name, got, tt.buttons)
		}
		for _, id := range got {
			action, krID, ok := ParseHelpAction(id)
			if !ok || krID != 42 || HelpActionID(action, krID) != id {
				t.Errorf("%s: ParseHelpAction(%q) = %q, %d, %v", tt.name, id, action, krID, ok)
			}
		}
		text := mrkdwnText(t, msg.Blocks)
		for _, w := range append(tt.says, "*Weekly active teams* off track", "Only you see this", "your manager included") {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the offer does not say %q:\n%s", tt.name, w, text)
			}
		}
		var allowed []string
		if tt.in.Channel == "C0TEAM" {
			allowed = []string{"#C0TEAM"}
		}
		for _, p := range blockkit.Check(blockkit.Message, msg.Blocks, allowed...) {
			t.Errorf("%s: %s", tt.name, p)
		}
		blockkittest.CheckDM(t, tt.name, msg.Text, msg.Blocks)
	}
}

func TestParseHelpAction(t *testing.T) {
	tests := []struct {
		id     string
		action string
		krID   int64
		ok     bool
	}{
		{"okr:help_channel:7", ActionHelpChannel, 7, true},
		{"okr:help_checkin:123456789012", ActionHelpCheckin, 123456789012, true},
		{"okr:help_no:1", ActionHelpNo, 1, true},
		{"okr:help_channel:", "", 0, false},
		{"okr:help_channel:0", "", 0, false},
		{"okr:help_channel:-3", "", 0, false},
		{"okr:help_channel:x", "", 0, false},
		{"okr:help_manager:3", "", 0, false},
		{"okr:update", "", 0, false},
		{"nothing", "", 0, false},
	}
	for _, tt := range tests {
		action, krID, ok := ParseHelpAction(tt.id)
		if action != tt.action || krID != tt.krID || ok != tt.ok {
			t.Errorf("ParseHelpAction(%q) = %q, %d, %v; want %q, %d, %v", tt.id, action, krID, ok, tt.action, tt.krID, tt.ok)
		}
	}
}

// TestHostileText: whatever a person typed as a title, an objective, a
// unit or a check-in's name, the nudge and the offer show it as text (no
// live broadcast, mention or link but the team's channel, built on
// purpose) and keep every Block Kit limit.
func TestHostileText(t *testing.T) {
	now := at(2027, 3, 23, 10)
	surfaces := func(v string) []blockkittest.Surface {
		title := blockkittest.Stored(v, okrs.MaxTitleLen)
		unit := blockkittest.Stored(v, okrs.MaxUnitLen)
		var ks []KRStatus
		for i := range 25 {
			ks = append(ks, staleKR(int64(i+1), []okrs.Kind{okrs.IncreaseTo, okrs.DecreaseTo, okrs.StayAtOrAbove, okrs.StayAtOrBelow, okrs.Milestone}[i%5],
				title, title, unit, 10, 20, num(12), now.AddDate(0, 0, -i), okrs.AtRisk))
		}
		nudge := NudgeMessage(NudgeInput{Stale: ks, Now: now, TellHalved: true, Weeks: 4})
		offer := OffTrackMessage(OfferInput{KeyResult: ks[0].KeyResult, Channel: "C0TEAM", Checkin: blockkittest.Stored(v, 80)})
		return []blockkittest.Surface{
			{Name: "nudge", Kind: blockkit.Message, V: nudge.Blocks, Text: nudge.Text},
			{Name: "offer", Kind: blockkit.Message, V: offer.Blocks, Text: offer.Text},
		}
	}
	blockkittest.CheckHostileText(t, surfaces, "#C0TEAM")
	blockkittest.CheckTextShown(t, surfaces("<!channel>"))
	for kind, v := range blockkittest.Hostile {
		for _, s := range surfaces(v) {
			blocks := s.V.([]slack.Block)
			blockkittest.CheckDM(t, s.Name+" with "+kind+" text", s.Text, blocks)
		}
	}
}

func TestNumber(t *testing.T) {
	tests := []struct {
		v        float64
		decimals int
		want     string
	}{
		{4, 0, "4"},
		{4.5, 0, "4.5"},
		{4.5, 2, "4.50"},
		{1.23456, 0, "1.2346"},
		{1.23456, 9, "1.2346"},
		{-3, 1, "-3.0"},
		{-0.00001, 0, "0"},
		{-0.00001, 2, "0.00"},
		{1e12, 0, "1e+12"},
		{-2.5e15, 3, "-2.5e+15"},
		{999999999999, 0, "999999999999"},
	}
	for _, tt := range tests {
		if got := number(tt.v, tt.decimals); got != tt.want {
			t.Errorf("number(%v, %d) = %q, want %q", tt.v, tt.decimals, got, tt.want)
		}
	}
}

// TestNudgesMerge: two nudges merged into one DM (the engine merges what a
// person is due together) keep Slack's rule of unique block ids.
func TestNudgesMerge(t *testing.T) {
	now := at(2027, 3, 23, 10)
	var ks []KRStatus
	for i := range 12 {
		ks = append(ks, staleKR(int64(i+1), okrs.IncreaseTo, "KR", "Objective", "", 0, 10, num(1), now, ""))
	}
	a := NudgeMessage(NudgeInput{Stale: ks, Now: now, TellHalved: true, Weeks: 2})
	b := NudgeMessage(NudgeInput{Stale: ks[:3], Now: now})
	blockkittest.CheckBlockLimits(t, "two nudges", append(append([]slack.Block{}, a.Blocks...), b.Blocks...), 50)
}
