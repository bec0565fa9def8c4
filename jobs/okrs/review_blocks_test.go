package okrs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models/okrs"
)

// reviewLines are n key results of every kind, titled title, with unit.
func reviewLines(n int, title, unit string) []ReviewLine {
	kinds := []okrs.Kind{okrs.IncreaseTo, okrs.DecreaseTo, okrs.StayAtOrAbove, okrs.StayAtOrBelow, okrs.Milestone}
	var out []ReviewLine
	for i := range n {
		k := okrs.KeyResult{ID: int64(i + 1), Title: title, Kind: kinds[i%len(kinds)], Start: 10, Target: 20, Unit: unit, Decimals: okrs.MaxDecimals}
		if k.Kind == okrs.DecreaseTo {
			k.Start, k.Target = 20, 10
		}
		out = append(out, ReviewLine{KeyResult: k, Objective: title, Final: okrs.Effective{HasValue: true, Value: 13, Confidence: okrs.AtRisk, Updates: 1}})
	}
	return out
}

// A review DM lists up to ReviewListed key results, counts the rest, has
// one button naming its cycle, and keeps Slack's limits however many key
// results and however long their text.
func TestReviewMessageShape(t *testing.T) {
	long := strings.Repeat("&<>", okrs.MaxTitleLen/3)
	c := cycle(date(2027, 1, 1), date(2027, 3, 31))
	c.ID, c.Name = 42, strings.Repeat("&", okrs.MaxNameLen)
	for _, n := range []int{1, 2, ReviewListed, ReviewListed + 1, 200} {
		msg := ReviewMessage(ReviewInput{Cycle: c, Items: reviewLines(n, long, strings.Repeat("&", okrs.MaxUnitLen))})
		where := fmt.Sprintf("%d key results", n)
		blockkittest.CheckDM(t, where, msg.Text, msg.Blocks)
		for _, p := range blockkit.Check(blockkit.Message, msg.Blocks) {
			t.Errorf("%s: %s", where, p)
		}
		text := mrkdwnText(t, msg.Blocks)
		if got, want := strings.Count(text, "grade "), min(n, ReviewListed); got != want {
			t.Errorf("%s: %d key results listed, want %d", where, got, want)
		}
		if got := strings.Contains(text, fmt.Sprintf("…and %d more", n-ReviewListed)); got != (n > ReviewListed) {
			t.Errorf("%s: counts the rest: %v", where, got)
		}
		if got := actionIDs(t, msg.Blocks); len(got) != 1 || got[0] != "okr:review:42" {
			t.Errorf("%s: buttons %v, want okr:review:42", where, got)
		}
		if strings.Contains(blocksJSON(t, msg.Blocks), `"block_id"`) {
			t.Errorf("%s: blocks carry ids, which two merged DMs would repeat", where)
		}
	}
}

// Each line shows the final value against the target, the progress and
// the prefilled grade.
func TestReviewLine(t *testing.T) {
	tests := []struct {
		k     okrs.KeyResult
		final okrs.Effective
		want  []string
	}{
		{okrs.KeyResult{Title: "Teams", Kind: okrs.IncreaseTo, Start: 40, Target: 60}, okrs.Effective{HasValue: true, Value: 55}, []string{"55 (target 60)", "75%", "grade 0.8"}},
		{okrs.KeyResult{Title: "Teams", Kind: okrs.IncreaseTo, Start: 40, Target: 60}, okrs.Effective{}, []string{"40 (target 60)", "0%", "grade 0.0"}},
		{okrs.KeyResult{Title: "Latency", Kind: okrs.StayAtOrBelow, Start: 0, Target: 150, Unit: "ms"}, okrs.Effective{HasValue: true, Value: 120}, []string{"120 ms (stay at or below 150 ms)", "met", "grade 1.0"}},
		{okrs.KeyResult{Title: "Guide", Kind: okrs.Milestone}, okrs.Effective{}, []string{"not done yet", "grade 0.0"}},
	}
	for _, tt := range tests {
		got := reviewLine(ReviewLine{KeyResult: tt.k, Objective: "Grow", Final: tt.final})
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("reviewLine(%s) = %q, lacks %q", tt.k.Kind, got, w)
			}
		}
	}
}

// Text a person typed (the cycle's name, titles, objectives, units) is
// escaped and bounded: no live mention, broadcast or link.
func TestReviewHostileText(t *testing.T) {
	surfaces := func(v string) []blockkittest.Surface {
		c := cycle(date(2027, 1, 1), date(2027, 3, 31))
		c.ID, c.Name = 7, blockkittest.Stored(v, okrs.MaxNameLen)
		msg := ReviewMessage(ReviewInput{Cycle: c, Items: reviewLines(12, blockkittest.Stored(v, okrs.MaxTitleLen), blockkittest.Stored(v, okrs.MaxUnitLen))})
		return []blockkittest.Surface{{Name: "review", Kind: blockkit.Message, V: msg.Blocks, Text: msg.Text}}
	}
	blockkittest.CheckHostileText(t, surfaces)
	blockkittest.CheckTextShown(t, surfaces("<!channel>"))
	for kind, v := range blockkittest.Hostile {
		for _, s := range surfaces(v) {
			blockkittest.CheckDM(t, s.Name+" with "+kind+" text", s.Text, s.V.([]slack.Block))
		}
	}
}

// The review button's action id reads back as its cycle; nothing else
// reads as one.
func TestParseReviewAction(t *testing.T) {
	for _, id := range []int64{1, 42, 1 << 40} {
		if got, ok := ParseReviewAction(ReviewActionID(id)); !ok || got != id {
			t.Errorf("ParseReviewAction(%q) = %d, %v", ReviewActionID(id), got, ok)
		}
	}
	for _, s := range []string{"", "okr:review:", "okr:review:0", "okr:review:-3", "okr:review:07", "okr:review:1x", "okr:update", "okr:review:1:2"} {
		if _, ok := ParseReviewAction(s); ok {
			t.Errorf("ParseReviewAction(%q) read a cycle", s)
		}
	}
}

// The review schedule's cadence, which its "Why did I get this?" line
// shows, names the one instant its DMs are timed at, for every day of a
// year and zones on both sides of UTC, DST changes included.
func TestOnceCadence(t *testing.T) {
	for _, tz := range []string{"UTC", "Asia/Tokyo", "America/Los_Angeles", "Europe/London", "Pacific/Kiritimati"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		for d := date(2027, 1, 1); d.Year == 2027; d = d.AddDays(1) {
			c, err := cadence.Parse(onceCadence(d), d)
			if err != nil {
				t.Fatalf("onceCadence(%s) = %q: %v", d, onceCadence(d), err)
			}
			end := okrs.Cycle{End: d.AddDays(-1)}
			if got, want := c.Next(d.AddDays(-1).In(loc), loc), ReviewInstant(end, loc); !got.Equal(want) {
				t.Errorf("%s in %s: the cadence names %s, the review is timed at %s", d, tz, got, want)
			}
		}
	}
}
