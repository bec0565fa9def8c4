package okrs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// summaryObjectives are n objectives of five key results each, graded,
// with notes, all titled title.
func summaryObjectives(n int, title, unit string) []SummaryObjective {
	var out []SummaryObjective
	for range n {
		o := SummaryObjective{Title: title, Learned: []string{title, title, title, title}}
		for j, l := range reviewLines(5, title, unit) {
			k := SummaryKR{KeyResult: l.KeyResult, Final: l.Final, Grade: 0.7}
			k.Carried = j == 1
			o.KeyResults = append(o.KeyResults, k)
		}
		out = append(out, o)
	}
	return out
}

// A summary shows as many objectives as fit its budget and counts the
// rest, keeps Slack's limits, says what carries over and to which cycle.
func TestReviewSummaryShape(t *testing.T) {
	long := strings.Repeat("&<>", okrs.MaxTitleLen/3)
	c := cycle(date(2027, 1, 1), date(2027, 3, 31))
	c.Name = strings.Repeat("&", okrs.MaxNameLen)
	for _, n := range []int{1, 3, 10, 60} {
		for _, title := range []string{"Grow", long} {
			in := SummaryInput{Cycle: c, Objectives: summaryObjectives(n, title, "%"), Next: "Q2"}
			msg := ReviewSummaryMessage(in)
			where := fmt.Sprintf("%d objectives titled %.10q", n, title)
			blockkittest.CheckBlockLimits(t, where, msg.Blocks, mrkdwn.MaxMessageBlocks)
			for _, p := range blockkit.Check(blockkit.Message, msg.Blocks) {
				t.Errorf("%s: %s", where, p)
			}
			text := mrkdwnText(t, msg.Blocks)
			shown := strings.Count(text, "•") / 5
			if shown == 0 || shown > n {
				t.Errorf("%s: %d objectives shown", where, shown)
			}
			if got := strings.Contains(text, fmt.Sprintf("…and %d more", n-shown)); got != (shown < n) {
				t.Errorf("%s: counts the rest: %v", where, got)
			}
			if want := fmt.Sprintf("%d key results carry over to “Q2”", n); n > 1 && !strings.Contains(text, want) {
				t.Errorf("%s: lacks %q", where, want)
			}
			if strings.Count(text, "What we learned") != shown*summaryNotes {
				t.Errorf("%s: %d notes quoted, want %d", where, strings.Count(text, "What we learned"), shown*summaryNotes)
			}
		}
	}
	// Every key result shows a grade, and no decision but a carry-over.
	one := SummaryInput{Cycle: c, Objectives: summaryObjectives(1, "Grow", "")}
	text := mrkdwnText(t, ReviewSummaryMessage(one).Blocks)
	if got := strings.Count(text, "grade "); got != 5 {
		t.Errorf("%d grades shown, want one per key result, 5: %s", got, text)
	}
	for _, never := range []string{"not graded", "not reviewed", "<@", "missing", "→ done", "→ dropped"} {
		if strings.Contains(text, never) {
			t.Errorf("summary says %q: %s", never, text)
		}
	}
}

// Text a person typed is escaped and bounded in the summary.
func TestReviewSummaryHostileText(t *testing.T) {
	surfaces := func(v string) []blockkittest.Surface {
		c := cycle(date(2027, 1, 1), date(2027, 3, 31))
		c.Name = blockkittest.Stored(v, okrs.MaxNameLen)
		objs := summaryObjectives(4, blockkittest.Stored(v, okrs.MaxTitleLen), blockkittest.Stored(v, okrs.MaxUnitLen))
		for i := range objs {
			objs[i].Learned = []string{blockkittest.Stored(v, okrs.MaxLearnedLen)}
		}
		msg := ReviewSummaryMessage(SummaryInput{Cycle: c, Objectives: objs, Next: blockkittest.Stored(v, okrs.MaxNameLen)})
		return []blockkittest.Surface{{Name: "summary", Kind: blockkit.Message, V: msg.Blocks, Text: msg.Text}}
	}
	blockkittest.CheckHostileText(t, surfaces)
	blockkittest.CheckTextShown(t, surfaces("<!channel>"))
}

// A team's summary is posted once in its channel when the review period
// is over, whatever the number of replicas planning and sending it; it
// shows the grades, what carried over and the notes, and names nobody.
func TestReviewSummaryPostedOnce(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			start := time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
			w := newReviewWorld(t, dialect, 3, start)
			a := w.person("aiko", "Asia/Tokyo", "")
			b := w.person("ben", "Europe/London", "")
			ch, err := w.env.Slack.Control.CreateChannel(w.ctx, slacksim.NewChannel{Name: "growth", Members: []string{a, b}})
			if err != nil {
				t.Fatal(err)
			}
			q1, err := w.store.CreateCycle(w.ctx, testenv.Team, okrs.Cycle{Name: "Q1", Start: calendar.Date{Year: 2027, Month: 1, Day: 1},
				End: calendar.Date{Year: 2027, Month: 3, Day: 31}}, "UA")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.store.CreateCycle(w.ctx, testenv.Team, okrs.Cycle{Name: "Q2", Start: calendar.Date{Year: 2027, Month: 4, Day: 1},
				End: calendar.Date{Year: 2027, Month: 6, Day: 30}}, "UA"); err != nil {
				t.Fatal(err)
			}
			o, err := w.store.CreateObjective(w.ctx, testenv.Team, okrs.Objective{CycleID: q1.ID, Title: "Grow", Owner: a, Team: ch.ID,
				KeyResults: []okrs.KeyResult{
					{Title: "Teams", Kind: okrs.IncreaseTo, Start: 40, Target: 60},
					{Title: "Guide", Owner: b, Kind: okrs.Milestone},
				}}, a)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.store.AddUpdates(w.ctx, testenv.Team, a, false, []okrs.Update{{KeyResultID: o.KeyResults[0].ID, Value: 50, Confidence: okrs.AtRisk}}, okrs.SourceForm, start); err != nil {
				t.Fatal(err)
			}
			review := okrs.Review{CycleID: q1.ID, KeyResults: []okrs.KeyResultReview{{KeyResultID: o.KeyResults[0].ID, Grade: 0.5, Decision: okrs.DecisionCarryOver}},
				Learned: []okrs.Learned{{ObjectiveID: o.ID, Note: "Talk to <!here> sooner"}}}
			if _, err := w.store.SubmitReview(w.ctx, testenv.Team, review, a, false, q1.End.AddDays(1), start); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			total := 0
			for range 2 {
				var wg sync.WaitGroup
				for i, e := range w.engines {
					wg.Go(func() {
						n, err := PlanReviewSummaries(w.ctx, e, okrs.NewStore(w.env.DBs[i]), testenv.Team, q1, "Europe/Berlin")
						if err != nil {
							t.Errorf("PlanReviewSummaries on replica %d: %v", i, err)
						}
						mu.Lock()
						total += n
						mu.Unlock()
					})
				}
				wg.Wait()
			}
			if total != 1 {
				t.Errorf("planned %d summaries, want 1", total)
			}
			w.runAll(time.Date(2027, 4, 20, 0, 0, 0, 0, time.UTC))
			msgs, err := w.env.Slack.Control.Messages(w.ctx, ch.ID, a)
			if err != nil {
				t.Fatal(err)
			}
			var posts []slacksim.Message
			for _, m := range msgs {
				if m.BotID != "" {
					posts = append(posts, m)
				}
			}
			if len(posts) != 1 {
				t.Fatalf("%d posts in the team's channel, want 1", len(posts))
			}
			berlin, _ := time.LoadLocation("Europe/Berlin")
			var secs int64
			fmt.Sscanf(posts[0].TS, "%d", &secs)
			if got := time.Unix(secs, 0).In(berlin); got.Day() != 15 || got.Month() != time.April || got.Hour() != 10 {
				t.Errorf("posted at %s, want 15 April 10:00 in Berlin (the day after the review, 14 days after the end)", got)
			}
			var blocks slack.Blocks
			if err := blocks.UnmarshalJSON(posts[0].Blocks); err != nil {
				t.Fatal(err)
			}
			text := mrkdwnText(t, blocks.BlockSet)
			for _, want := range []string{"Review of “Q1”", "*Grow*", "grade 0.5", "carried over", "1 key result carries over to “Q2”", "Talk to &lt;!here&gt; sooner", "not done yet"} {
				if !strings.Contains(text, want) {
					t.Errorf("summary %q lacks %q", text, want)
				}
			}
			if strings.Contains(text, a) || strings.Contains(text, b) {
				t.Errorf("summary names someone: %q", text)
			}
		})
	}
}

// Who reviewed cannot be read from a summary: summaries of one cycle
// whose reviews differ only in which owners reviewed — each keeping the
// grade the form started from, deciding done or drop, writing no note —
// are the same post, byte for byte, as the one with no review at all; a
// grade someone changed is shown.
func TestReviewSummaryHidesWhoReviewed(t *testing.T) {
	c := cycle(date(2027, 1, 1), date(2027, 3, 31))
	c.ID = 1
	owners := []string{"UA", "UB", "UC", "UD"}
	objs := []okrs.Objective{
		{ID: 1, Title: "Grow", KeyResults: []okrs.KeyResult{
			{ID: 11, Title: "Teams", Owner: "UA", Kind: okrs.IncreaseTo, Start: 40, Target: 60},
			{ID: 12, Title: "Churn", Owner: "UB", Kind: okrs.DecreaseTo, Start: 5, Target: 3},
			{ID: 13, Title: "Guide", Owner: "UC", Kind: okrs.Milestone},
		}},
		{ID: 2, Title: "Ship", KeyResults: []okrs.KeyResult{
			{ID: 21, Title: "Docs", Owner: "UD", Kind: okrs.IncreaseTo, Start: 0, Target: 10},
			{ID: 22, Title: "Talks", Owner: "UA", Kind: okrs.IncreaseTo, Start: 0, Target: 3},
		}},
	}
	eff := map[int64]okrs.Effective{
		11: {HasValue: true, Value: 53, Updates: 2},
		12: {HasValue: true, Value: 4.2, Updates: 1},
		13: {HasValue: true, Value: 1, Updates: 1},
		22: {HasValue: true, Value: 1, Updates: 1},
	}
	carried := map[int64]int64{12: 99}
	post := func(reviews []okrs.StoredReview) []byte {
		t.Helper()
		msg := ReviewSummaryMessage(summaryOf(c, objs, eff, reviews, nil, carried))
		b, err := json.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	none := post(nil)
	for mask := range 1 << len(owners) {
		for _, decision := range []okrs.Decision{okrs.DecisionDone, okrs.DecisionDrop} {
			var reviews []okrs.StoredReview
			for i, u := range owners {
				if mask&(1<<i) == 0 {
					continue
				}
				for _, o := range objs {
					for _, k := range o.KeyResults {
						if k.Owner == u {
							reviews = append(reviews, okrs.StoredReview{KeyResultReview: okrs.KeyResultReview{
								KeyResultID: k.ID, Grade: okrs.PrefillGrade(k, eff[k.ID]), Decision: decision}, ReviewedBy: u})
						}
					}
				}
			}
			if got := post(reviews); !bytes.Equal(got, none) {
				t.Errorf("owners %04b reviewed (%s): the summary differs from the one with no review:\n%s\n%s", mask, decision, got, none)
			}
		}
	}
	changed := post([]okrs.StoredReview{{KeyResultReview: okrs.KeyResultReview{KeyResultID: 21, Grade: 0.4, Decision: okrs.DecisionDone}, ReviewedBy: "UD"}})
	if !strings.Contains(string(changed), "grade 0.4") || bytes.Equal(changed, none) {
		t.Errorf("a changed grade is not shown: %s", changed)
	}
}
