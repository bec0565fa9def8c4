package okrs

import (
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

// summaryObjectives are n objectives of five key results each, every
// other one graded, with notes, all titled title.
func summaryObjectives(n int, title, unit string) []SummaryObjective {
	var out []SummaryObjective
	for range n {
		o := SummaryObjective{Title: title, Learned: []string{title, title, title, title}}
		for j, l := range reviewLines(5, title, unit) {
			k := SummaryKR{KeyResult: l.KeyResult, Final: l.Final}
			if j%2 == 0 {
				g := 0.7
				k.Grade, k.Decision = &g, okrs.DecisionDone
			}
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
	// Ungraded key results show their progress and nothing that marks them.
	one := SummaryInput{Cycle: c, Objectives: summaryObjectives(1, "Grow", "")}
	text := mrkdwnText(t, ReviewSummaryMessage(one).Blocks)
	if got := strings.Count(text, "grade "); got != 3 {
		t.Errorf("%d grades shown, want the 3 graded: %s", got, text)
	}
	for _, never := range []string{"not graded", "not reviewed", "<@", "missing"} {
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
