package checkins_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/checkins/checkinstest"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// anonCheckin is a check-in with a free-text question, an anonymous 1–5
// scale, an identified choice, an anonymous choice and a blocked question.
func anonCheckin(people ...string) checkins.Checkin {
	c := checkins.NewCheckin()
	c.WorkspaceID, c.ChannelID, c.OwnerID = "T1", "C1", "UOWNER"
	c.Name, c.Cadence = "Pulse", "weekdays at 09:30"
	c.Participants, c.People = checkins.ParticipantsChosen, people
	c.Questions = []checkins.Question{
		{Kind: checkins.KindText, Prompt: "What did you do?", Required: true},
		{Kind: checkins.KindScale, Prompt: "How much say did you have?", Options: []string{"none", "all"}, Anonymous: true, Required: true},
		{Kind: checkins.KindChoice, Prompt: "Where did you work?", Options: []string{"office", "home"}, Required: true},
		{Kind: checkins.KindChoice, Prompt: "Do you trust the plan?", Options: []string{"yes", "somewhat", "no"}, Anonymous: true, Required: true},
		{Kind: checkins.KindBlocked, Prompt: "Are you blocked?", Required: true},
	}
	return c
}

// anonRound stores anonCheckin asking people and opens its round on
// 2026-12-07.
func anonRound(t *testing.T, db *models.DB, people ...string) (*checkins.Store, checkins.Checkin, checkins.Round) {
	t.Helper()
	s := checkins.NewStore(db)
	c, err := s.Create(context.Background(), anonCheckin(people...), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, c, openRound(t, s, c, "2026-12-07")
}

// anonAnswers answers anonCheckin c by question id.
func anonAnswers(c checkins.Checkin, text, say, where, trust, blocked string) checkins.Submission {
	id := func(i int) int { return int(c.Questions[i].ID) }
	return checkins.Submission{
		Answers:   map[int]string{id(0): text, id(2): where, id(4): blocked},
		Anonymous: map[int]string{id(1): say, id(3): trust},
	}
}

// Editing a check-in never relabels, re-aggregates or reveals answers
// already given, whatever the edit: answers belong to the exact question
// they were given to. The property is checked over every kind of edit
// (reorder, reword, change options, change kind, drop anon, add anon),
// each against a round answered before it.
func TestEditKeepsAnswersWithTheirQuestions(t *testing.T) {
	people := []string{"U1", "U2", "U3", "U4", "U5"}
	edits := []struct {
		name string
		// edit changes question i of the old list; newID says whether it
		// keeps its id (its meaning is unchanged).
		edit  func(qs []checkins.Question) []checkins.Question
		index int
		newID bool
	}{
		{"reorder", func(qs []checkins.Question) []checkins.Question {
			return []checkins.Question{qs[2], qs[1], qs[0], qs[3], qs[4]}
		}, 0, false},
		{"required only", func(qs []checkins.Question) []checkins.Question { qs[0].Required = false; return qs }, 0, false},
		{"reword text", func(qs []checkins.Question) []checkins.Question { qs[0].Prompt = "What did you ship?"; return qs }, 0, true},
		{"reword anonymous", func(qs []checkins.Question) []checkins.Question { qs[1].Prompt = "How much say?"; return qs }, 1, true},
		{"drop anon", func(qs []checkins.Question) []checkins.Question { qs[1].Anonymous = false; return qs }, 1, true},
		{"drop anon choice", func(qs []checkins.Question) []checkins.Question { qs[3].Anonymous = false; return qs }, 3, true},
		{"add anon", func(qs []checkins.Question) []checkins.Question { qs[2].Anonymous = true; return qs }, 2, true},
		{"change options", func(qs []checkins.Question) []checkins.Question {
			qs[2].Options = []string{"office", "home", "train"}
			return qs
		}, 2, true},
		{"change kind", func(qs []checkins.Question) []checkins.Question {
			qs[2].Kind, qs[2].Options = checkins.KindText, nil
			return qs
		}, 2, true},
		{"remove", func(qs []checkins.Question) []checkins.Question { return append(qs[:1:1], qs[2:]...) }, 1, true},
	}
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		for _, tt := range edits {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				s, c, r := anonRound(t, db, people...)
				for i, u := range people {
					sub := anonAnswers(c, "Work of "+u, fmt.Sprint(1+i%2), "home", "no", "no")
					if _, err := s.Answer(ctx, "T1", r.ID, u, sub); err != nil {
						t.Fatal(err)
					}
				}
				before, err := s.Aggregates(ctx, "T1", r.ID, 6)
				if err != nil {
					t.Fatal(err)
				}
				beforeExport, err := s.Export(ctx, "T1", c.ID, "")
				if err != nil {
					t.Fatal(err)
				}

				changed := c
				changed.Questions = tt.edit(append([]checkins.Question(nil), c.Questions...))
				updated, err := s.Update(ctx, changed, "UOWNER", false, nil)
				if err != nil {
					t.Fatal(err)
				}
				old := c.Questions[tt.index]
				stillThere := false
				for _, q := range updated.Questions {
					if q.ID == old.ID {
						stillThere = true
					}
				}
				if stillThere == tt.newID {
					t.Errorf("after the edit question %q is still id %d: %v, want %v", old.Prompt, old.ID, stillThere, !tt.newID)
				}

				// The round's aggregates are those of the questions as
				// answered: at a minimum group of 6, both anonymous totals
				// stay hidden, whatever the questions are now.
				after, err := s.Aggregates(ctx, "T1", r.ID, 6)
				if err != nil {
					t.Fatal(err)
				}
				for _, b := range before {
					a := checkinstest.AggregateOf(t, after, b.QuestionID)
					if a.Hidden != b.Hidden || a.Count != b.Count || a.Average != b.Average || fmt.Sprint(a.Counts) != fmt.Sprint(b.Counts) || a.Anonymous != b.Anonymous {
						t.Errorf("aggregate of question %d: before the edit %+v, after %+v", b.QuestionID, b, a)
					}
				}
				for _, a := range after {
					if !a.Hidden && a.Anonymous {
						t.Errorf("anonymous aggregate %+v shown below the minimum group", a)
					}
					isOld := false
					for _, b := range before {
						isOld = isOld || b.QuestionID == a.QuestionID
					}
					if !isOld && a.Count != 0 {
						t.Errorf("new question %d counts answers given before it existed: %+v", a.QuestionID, a)
					}
				}
				// Every identified answer reads under the question it was
				// given to, in the round's reports and in the export.
				asked, err := s.AsAnswered(ctx, updated, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				prompts := map[int]string{}
				for _, q := range asked.Questions {
					prompts[int(q.ID)] = q.Prompt
				}
				resps, err := s.Responses(ctx, "T1", r.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, resp := range resps {
					for id, v := range resp.Answers {
						var want string
						for _, q := range c.Questions {
							if int(q.ID) == id {
								want = q.Prompt
							}
						}
						if want == "" || prompts[id] != want {
							t.Errorf("%s's answer %q reads under %q, want %q", resp.UserID, v, prompts[id], want)
						}
					}
					for _, q := range c.Questions {
						if _, ok := resp.Answers[int(q.ID)]; q.Anonymous && ok {
							t.Errorf("%s has an identified answer to anonymous question %q", resp.UserID, q.Prompt)
						}
					}
				}
				// An edit of one's answer after the check-in changed
				// replaces the answers to the questions asked now and
				// keeps the one to a retired question with it.
				before1, err := s.MyResponse(ctx, "T1", r.ID, "U1")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.Answer(ctx, "T1", r.ID, "U1", fillIn(updated)); err != nil {
					t.Fatalf("edit after the check-in changed: %v", err)
				}
				after1, err := s.MyResponse(ctx, "T1", r.ID, "U1")
				if err != nil {
					t.Fatal(err)
				}
				for id, v := range before1.Answers {
					if !slices.ContainsFunc(updated.Questions, func(q checkins.Question) bool { return int(q.ID) == id }) && after1.Answers[id] != v {
						t.Errorf("U1's answer %q to retired question %d became %q", v, id, after1.Answers[id])
					}
				}
				if _, err := s.Answer(ctx, "T1", r.ID, "U1", checkins.Submission{Answers: before1.Answers, Anonymous: map[int]string{}}); err == nil && tt.newID {
					// Answers to questions no longer asked are refused.
					for id := range before1.Answers {
						if !slices.ContainsFunc(updated.Questions, func(q checkins.Question) bool { return int(q.ID) == id }) {
							t.Errorf("an answer to retired question %d was accepted", id)
						}
					}
				}
				// Put U1's first answers back for the export comparison.
				for id, v := range before1.Answers {
					if err := modelstest.Exec(ctx, db, `UPDATE checkin_answers SET value = ? WHERE round_id = ? AND user_id = 'U1' AND question_id = ?`, v, r.ID, id); err != nil {
						t.Fatal(err)
					}
				}
				if err := modelstest.Exec(ctx, db, `DELETE FROM checkin_answers WHERE round_id = ? AND user_id = 'U1' AND question_id NOT IN (?)`, r.ID, keys(before1.Answers)); err != nil {
					t.Fatal(err)
				}

				afterExport, err := s.Export(ctx, "T1", c.ID, "")
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(pairs(afterExport)) != fmt.Sprint(pairs(beforeExport)) {
					t.Errorf("export after the edit:\n%v\nwant as before:\n%v", afterExport, beforeExport)
				}
			})
		}
	})
}

// pairs is an export as the set of who answered what to which question
// (a question's position may move; what it asked does not).
func pairs(rows []checkins.ExportRow) map[string]bool {
	out := map[string]bool{}
	for _, r := range rows {
		out[fmt.Sprintf("%s|%s|%s|%s|%s", r.Date, r.UserID, r.Status, r.Question, r.Answer)] = true
	}
	return out
}

// anonDump is one table's rows as text, every column, in the order the
// database stores them; for checkin_anonymous it adds the physical place
// of each row (SQLite rowid, Postgres ctid) and, on Postgres, the
// transaction that wrote it (xmin).
type anonDump struct {
	columns []string
	rows    [][]string
}

func dumpTable(t *testing.T, db *models.DB, table string) anonDump {
	t.Helper()
	sel := "SELECT * FROM " + table
	if db.Dialect() == models.DialectPostgres {
		sel = "SELECT xmin::text AS sys_xmin, * FROM " + table
	}
	if table == "checkin_anonymous" {
		if db.Dialect() == models.DialectPostgres {
			sel = "SELECT ctid::text AS sys_place, xmin::text AS sys_xmin, * FROM checkin_anonymous ORDER BY ctid"
		} else {
			sel = "SELECT rowid AS sys_place, * FROM checkin_anonymous ORDER BY rowid"
		}
	}
	cols, rows, err := modelstest.RawRows(context.Background(), db, sel)
	if err != nil {
		t.Fatalf("dump %s: %v", table, err)
	}
	return anonDump{columns: cols, rows: rows}
}

// answerInOrder has people answer one round of anonCheckin in order, each
// with the anonymous values of values (by person), identified answers, an
// outbox post (thread destination) and a helper notice each, then closes
// the round.
func answerInOrder(t *testing.T, db *models.DB, order []string, values map[string][2]string) (checkins.Checkin, checkins.Round) {
	t.Helper()
	ctx := context.Background()
	s, c, r := anonRound(t, db, order...)
	for _, u := range order {
		if _, err := s.MarkAsked(ctx, "T1", r.ID, u, 0); err != nil {
			t.Fatal(err)
		}
	}
	occs := models.NewOccurrences(db)
	for i, u := range order {
		v := values[u]
		// As the check-in service does: the answer and a helper notice
		// to the next person, in one transaction.
		helper := order[(i+1)%len(order)]
		err := db.Tx(ctx, func(ctx context.Context) error {
			if _, err := s.Answer(ctx, "T1", r.ID, u, anonAnswers(c, "Work of "+u, v[0], "home", v[1], "yes")); err != nil {
				return err
			}
			_, err := occs.Plan(ctx, []models.Occurrence{{WorkspaceID: "T1", CadenceID: fmt.Sprintf("%s#helper:%d:%s:%d", checkins.ScheduleKey(c.ID), r.ID, u, c.Questions[4].ID),
				Recipient: helper, NominalAt: r.OpenedAt, DeliverAt: r.OpenedAt}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CloseDueRounds(ctx, r.ClosesAt, 10, nil); err != nil {
		t.Fatal(err)
	}
	return c, r
}

// Nothing stored links an anonymous answer to its person or to the order
// of answers: people answer in a random order, with random anonymous
// values, alongside their identified answers, responses and outbox posts;
// then every column of every table is read. The anonymous table holds
// only counts — no id, no time, no person — and is the same row for row,
// in the same physical order, whatever order people answered in and
// whoever gave which value; on Postgres every row of it was last written
// by one transaction (the round's close), which wrote nothing else.
func TestAnonymousAnswersAreUnlinkable(t *testing.T) {
	people := []string{"UANNA", "UBORIS", "UCHEN", "UDARA", "UEMIL", "UFARAH", "UGUS"}
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			seed := rand.Uint64()
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, seed))
			var dumps []anonDump
			for run := 0; run < 2; run++ {
				db := modelstest.New(t, dialect)
				order := slices.Clone(people)
				rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
				values := map[string][2]string{}
				for _, u := range people {
					values[u] = [2]string{fmt.Sprint(1 + rng.IntN(5)), []string{"yes", "somewhat", "no"}[rng.IntN(3)]}
				}
				t.Logf("run %d: order %v, values %v", run, order, values)
				c, _ := answerInOrder(t, db, order, values)
				anonIDs := map[string]bool{fmt.Sprint(c.Questions[1].ID): true, fmt.Sprint(c.Questions[3].ID): true}

				tables, err := modelstest.Tables(context.Background(), db)
				if err != nil {
					t.Fatal(err)
				}
				xmins := map[string]string{} // transaction → a row naming a person it wrote
				for _, table := range tables {
					d := dumpTable(t, db, table)
					if table == "checkin_anonymous" {
						if want := []string{"round_id", "workspace_id", "question_id", "value", "n"}; !slices.Equal(slices.DeleteFunc(slices.Clone(d.columns), func(c string) bool { return strings.HasPrefix(c, "sys_") }), want) {
							t.Errorf("checkin_anonymous columns = %v, want only %v", d.columns, want)
						}
						dumps = append(dumps, d)
						continue
					}
					for _, row := range d.rows {
						who, anon := "", false
						for i, col := range d.columns {
							if slices.Contains(people, row[i]) {
								who = row[i]
							}
							anon = anon || (col == "question_id" && anonIDs[row[i]])
						}
						if who != "" && anon {
							t.Errorf("%s row %v links %s to an anonymous question", table, row, who)
						}
						if who != "" && d.columns[0] == "sys_xmin" {
							xmins[row[0]] = fmt.Sprintf("%s %v", table, row)
						}
					}
				}
				if dialect == models.DialectPostgres {
					last := dumps[run]
					seen := map[string]bool{}
					for _, row := range last.rows {
						seen[row[1]] = true
						if other, ok := xmins[row[1]]; ok {
							t.Errorf("count row %v was last written by the transaction that wrote %s", row, other)
						}
					}
					if len(seen) != 1 {
						t.Errorf("count rows were last written by %d transactions, want 1 (the close): %v", len(seen), last.rows)
					}
				}
			}
			// Row for row, in physical order, the two rounds' anonymous
			// tables differ only in their counts (and, on Postgres, in
			// which transaction closed them).
			shape := func(d anonDump) []string {
				var out []string
				for _, row := range d.rows {
					var keep []string
					for i, col := range d.columns {
						if col != "n" && col != "sys_xmin" {
							keep = append(keep, col+"="+row[i])
						}
					}
					out = append(out, strings.Join(keep, " "))
				}
				return out
			}
			if a, b := shape(dumps[0]), shape(dumps[1]); !slices.Equal(a, b) {
				t.Errorf("the anonymous table depends on who answered what, in which order:\n%v\n%v", a, b)
			}
			for _, d := range dumps {
				col := slices.Index(d.columns, "n")
				if col < 0 {
					t.Fatalf("checkin_anonymous has no count column: %v", d.columns)
				}
				total := 0
				for _, row := range d.rows {
					n, _ := strconv.Atoi(row[col])
					total += n
				}
				if total != 2*len(people) {
					t.Errorf("counts add up to %d, want %d", total, 2*len(people))
				}
			}
		})
	}
}

// The store accepts a submission leaving a required anonymous question
// blank exactly when its answer would not be counted: after the person's
// anonymous answers are in, or once the round has closed. An answer given
// then changes no count.
func TestUncountedAnonymousAnswerMayBeLeftOut(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, c, r := anonRound(t, db, "U1", "U2", "U3")
		identified := func(sub checkins.Submission) checkins.Submission { return checkins.Submission{Answers: sub.Answers} }
		full := anonAnswers(c, "Work", "3", "home", "yes", "no")
		if _, err := s.Answer(ctx, "T1", r.ID, "U1", identified(full)); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("first answer in an open round without its required anonymous answers: %v, want ErrInvalid", err)
		}
		if _, err := s.Answer(ctx, "T1", r.ID, "U1", full); err != nil {
			t.Fatal(err)
		}
		count := func() int {
			aggs, err := s.Aggregates(ctx, "T1", r.ID, 3)
			if err != nil {
				t.Fatal(err)
			}
			return checkinstest.AggregateOf(t, aggs, c.Questions[1].ID).Count + checkinstest.AggregateOf(t, aggs, c.Questions[3].ID).Count
		}
		if got := count(); got != 2 {
			t.Fatalf("anonymous answers counted = %d, want 2", got)
		}
		for _, tt := range []struct {
			name, user string
			sub        checkins.Submission
		}{
			{"edit without them", "U1", identified(full)},
			{"edit with them", "U1", full},
		} {
			if _, err := s.Answer(ctx, "T1", r.ID, tt.user, tt.sub); err != nil {
				t.Errorf("%s: %v, want accepted", tt.name, err)
			}
		}
		if _, err := s.CloseDueRounds(ctx, r.ClosesAt, 10, nil); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name, user string
			sub        checkins.Submission
		}{
			{"late without them", "U2", identified(full)},
			{"late with them", "U3", full},
		} {
			res, err := s.Answer(ctx, "T1", r.ID, tt.user, tt.sub)
			if err != nil || !res.Late {
				t.Errorf("%s: %+v, %v; want accepted as late", tt.name, res, err)
			}
		}
		if got := count(); got != 2 {
			t.Errorf("anonymous answers counted after edits and late answers = %d, want still 2", got)
		}
	})
}

// fillIn is a valid answer to every question of c, by question id.
func fillIn(c checkins.Checkin) checkins.Submission {
	sub := checkins.Submission{Answers: map[int]string{}, Anonymous: map[int]string{}}
	for _, q := range c.Questions {
		v := "Edited"
		switch q.Kind {
		case checkins.KindScale:
			v = "3"
		case checkins.KindChoice:
			v = q.Options[0]
		case checkins.KindBlocked:
			v = "no"
		}
		if q.Anonymous {
			sub.Anonymous[int(q.ID)] = v
		} else {
			sub.Answers[int(q.ID)] = v
		}
	}
	return sub
}

func keys(m map[int]string) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	return out
}
