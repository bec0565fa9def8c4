package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/checkins/checkinstest"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// Migration 7 moves existing data to stable question ids: answers go to
// the question that was at their position (an answer whose position has
// no identified question any more to a retired placeholder, so nothing is
// lost), and anonymous rows become counts of the anonymous question at
// their position (rows of no anonymous question are dropped: they could
// only be shown relabelled).
func TestMigrateV7KeepsAnswersWithTheirQuestions(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db := modelstest.Open(t, modelstest.URL(t, dialect))
			if err := models.MigrateThrough(ctx, db, 6); err != nil {
				t.Fatal(err)
			}
			at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
			exec := func(sql string, args ...any) {
				t.Helper()
				if err := modelstest.Exec(ctx, db, sql, args...); err != nil {
					t.Fatalf("%s: %v", sql, err)
				}
			}
			exec(`INSERT INTO checkins (id, workspace_id, channel_id, owner_id, name, cadence, anchor, participants, destination, round_minutes, reminders, paused, created_at, updated_at)
				VALUES (1, 'T1', 'C1', 'U1', 'Pulse', 'weekdays at 09:30', '2026-12-07', 'channel', 'thread', 480, 1, FALSE, ?, ?)`, at, at)
			for _, q := range []struct {
				pos                int
				kind, prompt, opts string
				anonymous          bool
			}{
				{1, "text", "What did you do?", "[]", false},
				{2, "scale", "How much say?", `["none","all"]`, true},
				{3, "choice", "Where?", `["office","home"]`, false},
				{4, "blocked", "Blocked?", "[]", false},
			} {
				exec(`INSERT INTO checkin_questions (checkin_id, workspace_id, position, kind, prompt, options, anonymous, required) VALUES (1, 'T1', ?, ?, ?, ?, ?, TRUE)`,
					q.pos, q.kind, q.prompt, q.opts, q.anonymous)
			}
			exec(`INSERT INTO checkin_rounds (id, checkin_id, workspace_id, round_date, opened_at, closes_at, thread_ts, closed) VALUES (1, 1, 'T1', '2026-12-07', ?, ?, '', TRUE)`, at, at.Add(8*time.Hour))
			for _, u := range []string{"U1", "U2", "U3"} {
				exec(`INSERT INTO checkin_responses (round_id, workspace_id, user_id, status, anonymous_in, updated_at) VALUES (1, 'T1', ?, 'answered', TRUE, ?)`, u, at)
				for pos, v := range map[int]string{1: "Work of " + u, 3: "home", 4: "no"} {
					exec(`INSERT INTO checkin_answers (round_id, workspace_id, user_id, position, value) VALUES (1, 'T1', ?, ?, ?)`, u, pos, v)
				}
			}
			// U1 also answered a question since removed (position 6), and
			// one at position 2 from before it was made anonymous.
			exec(`INSERT INTO checkin_answers (round_id, workspace_id, user_id, position, value) VALUES (1, 'T1', 'U1', 6, 'old answer')`)
			exec(`INSERT INTO checkin_answers (round_id, workspace_id, user_id, position, value) VALUES (1, 'T1', 'U2', 2, '5')`)
			for _, a := range []struct {
				pos int
				v   string
			}{{2, "4"}, {2, "4"}, {2, "2"}, {3, "home"}, {9, "1"}} {
				exec(`INSERT INTO checkin_anonymous (round_id, workspace_id, position, value) VALUES (1, 'T1', ?, ?)`, a.pos, a.v)
			}

			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}

			s := checkins.NewStore(db)
			c, err := s.Get(ctx, "T1", 1)
			if err != nil {
				t.Fatal(err)
			}
			var prompts []string
			for _, q := range c.Questions {
				prompts = append(prompts, q.Prompt)
			}
			if got, want := fmt.Sprint(prompts), "[What did you do? How much say? Where? Blocked?]"; got != want {
				t.Errorf("questions = %s, want %s", got, want)
			}
			asked, err := s.AsAnswered(ctx, c, 1)
			if err != nil {
				t.Fatal(err)
			}
			byID := map[int]checkins.Question{}
			for _, q := range asked.Questions {
				byID[int(q.ID)] = q
			}
			resps, err := s.Responses(ctx, "T1", 1)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range resps {
				for id, v := range r.Answers {
					q, ok := byID[id]
					if !ok {
						t.Errorf("%s's answer %q is to question %d, not among the round's questions", r.UserID, v, id)
					}
					got[r.UserID+"|"+q.Prompt] = v
					if q.Anonymous {
						t.Errorf("%s's identified answer %q is to anonymous question %q", r.UserID, v, q.Prompt)
					}
				}
			}
			want := map[string]string{
				"U1|What did you do?": "Work of U1", "U1|Where?": "home", "U1|Blocked?": "no", "U1|": "old answer",
				"U2|What did you do?": "Work of U2", "U2|Where?": "home", "U2|Blocked?": "no", "U2|": "5",
				"U3|What did you do?": "Work of U3", "U3|Where?": "home", "U3|Blocked?": "no",
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("answers after the migration:\n%v\nwant\n%v", got, want)
			}
			aggs, err := s.Aggregates(ctx, "T1", 1, 3)
			if err != nil {
				t.Fatal(err)
			}
			say := checkinstest.AggregateOf(t, aggs, c.Questions[1].ID)
			if say.Hidden || say.Count != 3 || fmt.Sprintf("%.2f", say.Average) != "3.33" {
				t.Errorf("anonymous aggregate at 3 = %+v, want 3 answers averaging 3.33", say)
			}
			if where := checkinstest.AggregateOf(t, aggs, c.Questions[2].ID); where.Count != 3 || where.Counts["home"] != 3 {
				t.Errorf("identified choice = %+v, want the 3 identified answers only", where)
			}
			if aggs, _ := s.Aggregates(ctx, "T1", 1, 4); !checkinstest.AggregateOf(t, aggs, c.Questions[1].ID).Hidden {
				t.Errorf("anonymous aggregate at a minimum of 4 is shown")
			}
			for table, want := range map[string]string{
				"checkin_anonymous": "[round_id workspace_id question_id value n]",
				"checkin_answers":   "[round_id workspace_id user_id question_id value]",
			} {
				cols, _, err := modelstest.RawRows(ctx, db, "SELECT * FROM "+table+" WHERE 1 = 0")
				if err != nil || fmt.Sprint(cols) != want {
					t.Errorf("%s columns = %v (%v), want %s", table, cols, err, want)
				}
			}
		})
	}
}
