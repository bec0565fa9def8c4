package okrs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// reviewRows counts every table a review writes or carries into.
func (f fixture) reviewRows(t *testing.T) [6]int64 {
	t.Helper()
	r := f.rows(t)
	return [6]int64{r[0], r[1], r[2], r[3], count(t, f.db, "okr_reviews", "T1"), count(t, f.db, "okr_learned", "T1")}
}

// Carrying a key result over continues it in the next cycle: same title,
// kind, target, unit, decimals, weight and owner, starting from the final
// value, linked to the original, its history beginning with a carry-over
// entry of the final value and confidence. Submitting again replaces the
// review and finds the carried key result and objective again: a key
// result is carried once, and a second one joins the same continued
// objective.
func TestSubmitReviewCarriesOverOnce(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.create(t, objective(f.q1.ID))
		kr1, kr2 := o.KeyResults[0], o.KeyResults[1]
		if _, err := f.s.AddUpdates(ctx, "T1", "UK", false, []okrs.Update{{KeyResultID: kr1.ID, Value: 52, Confidence: okrs.AtRisk}}, okrs.SourceForm, at); err != nil {
			t.Fatal(err)
		}
		day := f.q1.End.AddDays(1)
		first := okrs.Review{CycleID: f.q1.ID, KeyResults: []okrs.KeyResultReview{{KeyResultID: kr1.ID, Grade: 0.6, Decision: okrs.DecisionCarryOver}},
			Learned: []okrs.Learned{{ObjectiveID: o.ID, Note: "  Ask <@U1> earlier  "}}}
		res, err := f.s.SubmitReview(ctx, "T1", first, "UK", false, day, at)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Carried) != 1 || res.Carried[0].From != kr1.ID || res.Carried[0].CycleID != f.q2.ID {
			t.Fatalf("carried %+v, want kr %d into cycle %d", res.Carried, kr1.ID, f.q2.ID)
		}
		next, err := f.s.Objective(ctx, "T1", res.Carried[0].ObjectiveID)
		if err != nil {
			t.Fatal(err)
		}
		if next.CycleID != f.q2.ID || next.Title != o.Title || next.Owner != o.Owner || next.Team != o.Team || next.Visibility != o.Visibility {
			t.Errorf("continued objective %+v, want %+v in cycle %d", next, o, f.q2.ID)
		}
		want := kr1
		want.ID, want.ObjectiveID, want.Start, want.CarriedFrom = next.KeyResults[0].ID, next.ID, 52, kr1.ID
		if len(next.KeyResults) != 1 || next.KeyResults[0].ID == kr1.ID || !sameCarried(next.KeyResults[0], want) {
			t.Errorf("carried key result %+v, want %+v", next.KeyResults, want)
		}
		hist, err := f.s.History(ctx, "T1", next.KeyResults[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 1 || hist[0].Source != okrs.SourceCarryOver || hist[0].Value != 52 || hist[0].Confidence != okrs.AtRisk || hist[0].Author != "UK" {
			t.Errorf("history of the carried key result %+v, want one carry-over entry of 52, at risk", hist)
		}

		// Again, by the objective's owner, with the milestone too.
		again := okrs.Review{CycleID: f.q1.ID, KeyResults: []okrs.KeyResultReview{
			{KeyResultID: kr1.ID, Grade: 0.7, Decision: okrs.DecisionCarryOver},
			{KeyResultID: kr2.ID, Grade: 0, Decision: okrs.DecisionCarryOver},
		}}
		before := f.reviewRows(t)
		res, err = f.s.SubmitReview(ctx, "T1", again, "UO", false, day.AddDays(3), at)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Carried) != 1 || res.Carried[0].From != kr2.ID || res.Carried[0].ObjectiveID != next.ID {
			t.Errorf("second submit carried %+v, want only kr %d into objective %d", res.Carried, kr2.ID, next.ID)
		}
		after := f.reviewRows(t)
		if after[0] != before[0] || after[1] != before[1]+1 || after[3] != before[3]+1 || after[4] != 2 {
			t.Errorf("rows %v → %v: want no new objective, one key result, one update, two reviews", before, after)
		}
		next, _ = f.s.Objective(ctx, "T1", next.ID)
		if len(next.KeyResults) != 2 || next.KeyResults[1].CarriedFrom != kr2.ID || next.KeyResults[1].Kind != okrs.Milestone {
			t.Errorf("continued objective's key results %+v", next.KeyResults)
		}
		reviews, notes, err := f.s.CycleReviews(ctx, "T1", f.q1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(reviews) != 2 || reviews[0].KeyResultID != kr1.ID || reviews[0].Grade != 0.7 || reviews[0].ReviewedBy != "UO" {
			t.Errorf("reviews %+v, want kr %d's replaced by UO's 0.7", reviews, kr1.ID)
		}
		if len(notes) != 1 || notes[0].Note != "Ask <@U1> earlier" || notes[0].Author != "UK" {
			t.Errorf("notes %+v, want UK's, trimmed and kept when UO wrote none", notes)
		}
		cont, err := f.s.Continuations(ctx, "T1", []int64{kr1.ID, kr2.ID})
		if err != nil || len(cont) != 2 {
			t.Errorf("Continuations = %v, %v; want both", cont, err)
		}

		// A carried key result keeps "carry over".
		drop := okrs.Review{CycleID: f.q1.ID, KeyResults: []okrs.KeyResultReview{{KeyResultID: kr1.ID, Grade: 0.7, Decision: okrs.DecisionDrop}}}
		_, err = f.s.SubmitReview(ctx, "T1", drop, "UO", false, day, at)
		problemOn(t, "dropping a carried key result", err, okrs.FieldDecision, 1)
		if got := f.reviewRows(t); got != after {
			t.Errorf("a refused review changed rows %v → %v", after, got)
		}
	})
}

// sameCarried compares every field of two key results, the link too.
func sameCarried(a, b okrs.KeyResult) bool {
	return sameKR(a, b) && a.ObjectiveID == b.ObjectiveID && a.CarriedFrom == b.CarriedFrom
}

// Every refused review stores nothing — no review, note, objective, key
// result or update — and says why on the field and entry at fault.
func TestSubmitReviewAllOrNothing(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.create(t, objective(f.q1.ID))
		kr1, kr2 := o.KeyResults[0].ID, o.KeyResults[1].ID
		later := f.create(t, objective(f.q2.ID))
		atTarget := f.create(t, okrs.Objective{CycleID: f.q1.ID, Title: "Reach it", Owner: "UO",
			KeyResults: []okrs.KeyResult{{Title: "Ten customers", Kind: okrs.IncreaseTo, Start: 0, Target: 10}}})
		if _, err := f.s.AddUpdates(ctx, "T1", "UO", false, []okrs.Update{{KeyResultID: atTarget.KeyResults[0].ID, Value: 10, Confidence: okrs.OnTrack}}, okrs.SourceForm, at); err != nil {
			t.Fatal(err)
		}
		// A cycle of a team with no next cycle, its own or the workspace's.
		alone, err := f.s.CreateCycle(ctx, "T1", cycle(t, "Team Q3", "C9", "2027-07-01", "2027-09-30"), "UA")
		if err != nil {
			t.Fatal(err)
		}
		teamObj := f.create(t, okrs.Objective{CycleID: alone.ID, Title: "Team goal", Owner: "UO", Team: "C9", KeyResults: []okrs.KeyResult{{Title: "Ship", Kind: okrs.Milestone}}})

		good := okrs.KeyResultReview{KeyResultID: kr2, Grade: 1, Decision: okrs.DecisionDone}
		day := f.q1.End.AddDays(1)
		tests := []struct {
			name   string
			cycle  int64
			bad    okrs.KeyResultReview
			notes  []okrs.Learned
			today  string
			field  string
			item   int
			author string
		}{
			{name: "a grade above 1", bad: okrs.KeyResultReview{KeyResultID: kr1, Grade: 1.5, Decision: okrs.DecisionDone}, field: okrs.FieldGrade, item: 2},
			{name: "a negative grade", bad: okrs.KeyResultReview{KeyResultID: kr1, Grade: -0.1, Decision: okrs.DecisionDone}, field: okrs.FieldGrade, item: 2},
			{name: "no decision", bad: okrs.KeyResultReview{KeyResultID: kr1, Grade: 0.5}, field: okrs.FieldDecision, item: 2},
			{name: "the same key result twice", bad: good, field: okrs.FieldKeyResult, item: 2},
			{name: "an unknown key result", bad: okrs.KeyResultReview{KeyResultID: 9999, Grade: 0.5, Decision: okrs.DecisionDone}, field: okrs.FieldKeyResult, item: 2},
			{name: "a key result of another cycle", bad: okrs.KeyResultReview{KeyResultID: later.KeyResults[0].ID, Grade: 0.5, Decision: okrs.DecisionDone}, field: okrs.FieldKeyResult, item: 2},
			{name: "a note too long", bad: okrs.KeyResultReview{KeyResultID: kr1, Grade: 0.5, Decision: okrs.DecisionCarryOver},
				notes: []okrs.Learned{{ObjectiveID: o.ID, Note: strings.Repeat("é", okrs.MaxLearnedLen+1)}}, field: okrs.FieldLearned, item: 1},
			{name: "a note on an objective of another cycle", bad: okrs.KeyResultReview{KeyResultID: kr1, Grade: 0.5, Decision: okrs.DecisionDone},
				notes: []okrs.Learned{{ObjectiveID: later.ID, Note: "x"}}, field: okrs.FieldLearned, item: 1},
			{name: "the cycle still running", bad: okrs.KeyResultReview{KeyResultID: kr1, Grade: 0.5, Decision: okrs.DecisionDone}, today: "2027-03-31", field: okrs.FieldCycle},
			{name: "the review closed", bad: okrs.KeyResultReview{KeyResultID: kr1, Grade: 0.5, Decision: okrs.DecisionDone}, today: "2027-04-15", field: okrs.FieldCycle},
			{name: "a key result at its target carried over", bad: okrs.KeyResultReview{KeyResultID: atTarget.KeyResults[0].ID, Grade: 1, Decision: okrs.DecisionCarryOver}, field: okrs.FieldDecision, item: 2},
			{name: "no next cycle", cycle: alone.ID, bad: okrs.KeyResultReview{KeyResultID: teamObj.KeyResults[0].ID, Grade: 0, Decision: okrs.DecisionCarryOver}, today: "2027-10-01", field: okrs.FieldDecision, item: 1},
			{name: "an unknown cycle", cycle: 9999, bad: okrs.KeyResultReview{KeyResultID: kr1, Grade: 0.5, Decision: okrs.DecisionDone}, field: okrs.FieldCycle},
		}
		before := f.reviewRows(t)
		for _, tt := range tests {
			r := okrs.Review{CycleID: f.q1.ID, KeyResults: []okrs.KeyResultReview{good, tt.bad}, Learned: tt.notes}
			if tt.cycle != 0 {
				r.CycleID, r.KeyResults = tt.cycle, []okrs.KeyResultReview{tt.bad}
			}
			today := day
			if tt.today != "" {
				today = date(t, tt.today)
			}
			_, err := f.s.SubmitReview(ctx, "T1", r, "UO", false, today, at)
			problemOn(t, tt.name, err, tt.field, tt.item)
			if strings.Contains(tt.name, "no next cycle") {
				var ve *okrs.ValidationError
				if errors.As(err, &ve) && !strings.Contains(ve.Error(), "an admin has to create the next cycle first") {
					t.Errorf("no next cycle: %v, want it to say an admin creates the next cycle", err)
				}
			}
			if got := f.reviewRows(t); got != before {
				t.Errorf("%s: rows %v → %v, want nothing stored", tt.name, before, got)
			}
		}
		// Another workspace finds nothing of T1.
		_, err = f.s.SubmitReview(ctx, "T2", okrs.Review{CycleID: f.q1.ID, KeyResults: []okrs.KeyResultReview{good}}, "UO", true, day, at)
		problemOn(t, "another workspace", err, okrs.FieldCycle, 0)
		if got := f.reviewRows(t); got != before {
			t.Errorf("another workspace: rows %v → %v", before, got)
		}
	})
}

// A key result is reviewed by its owner, its objective's owner or an
// admin; a note is written by the objective's owner, an owner of one of
// its key results or an admin. Anyone else gets ErrNotOwner and stores
// nothing.
func TestSubmitReviewPermissions(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.create(t, objective(f.q1.ID))
		kr1, kr2 := o.KeyResults[0].ID, o.KeyResults[1].ID // UK's, UO's
		day := f.q1.End.AddDays(1)
		review := func(kr int64) []okrs.KeyResultReview {
			return []okrs.KeyResultReview{{KeyResultID: kr, Grade: 0.5, Decision: okrs.DecisionDone}}
		}
		note := []okrs.Learned{{ObjectiveID: o.ID, Note: "Start sooner"}}
		tests := []struct {
			name  string
			actor string
			admin bool
			r     okrs.Review
			ok    bool
		}{
			{"the key result's owner", "UK", false, okrs.Review{KeyResults: review(kr1)}, true},
			{"the objective's owner on another's key result", "UO", false, okrs.Review{KeyResults: review(kr1)}, true},
			{"an admin", "UX", true, okrs.Review{KeyResults: review(kr2), Learned: note}, true},
			{"a key result's owner writing the objective's note", "UK", false, okrs.Review{KeyResults: review(kr1), Learned: note}, true},
			{"a key result's owner on another key result", "UK", false, okrs.Review{KeyResults: review(kr2)}, false},
			{"someone else", "UX", false, okrs.Review{KeyResults: review(kr1)}, false},
			{"someone else writing a note beside a key result they may review", "UX", false, okrs.Review{KeyResults: review(kr1), Learned: note}, false},
			{"nobody", "", false, okrs.Review{KeyResults: review(kr1)}, false},
		}
		for _, tt := range tests {
			tt.r.CycleID = f.q1.ID
			before := f.reviewRows(t)
			_, err := f.s.SubmitReview(ctx, "T1", tt.r, tt.actor, tt.admin, day, at)
			switch {
			case tt.ok && err != nil:
				t.Errorf("%s: %v, want it stored", tt.name, err)
			case !tt.ok && !errors.Is(err, okrs.ErrNotOwner):
				t.Errorf("%s: %v, want ErrNotOwner", tt.name, err)
			case !tt.ok && f.reviewRows(t) != before:
				t.Errorf("%s: refused, yet rows changed", tt.name)
			}
		}
	})
}

// Reviews submitted at once, each carrying the same key results over,
// create each continuation once, in one continued objective.
func TestSubmitReviewAtOnce(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.create(t, objective(f.q1.ID))
		r := okrs.Review{CycleID: f.q1.ID, KeyResults: []okrs.KeyResultReview{
			{KeyResultID: o.KeyResults[0].ID, Grade: 0.5, Decision: okrs.DecisionCarryOver},
			{KeyResultID: o.KeyResults[1].ID, Grade: 0, Decision: okrs.DecisionCarryOver},
		}}
		before := f.reviewRows(t)
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				if _, err := f.s.SubmitReview(ctx, "T1", r, "UO", false, f.q1.End.AddDays(1), at); err != nil {
					t.Errorf("SubmitReview: %v", err)
				}
			})
		}
		wg.Wait()
		after := f.reviewRows(t)
		if after[0] != before[0]+1 || after[1] != before[1]+2 || after[3] != before[3]+2 {
			t.Errorf("rows %v → %v: want one continued objective with two key results, each with one update", before, after)
		}
	})
}

// A carried key result continues in its objective's team's own next
// cycle when the team has one after the reviewed cycle (even one starting
// later than the workspace's next), else in the workspace's next cycle;
// a workspace objective always in the workspace's. NextCycle says the
// same.
func TestCarryOverFollowsTheObjectivesTeam(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db) // workspace Q1 (Jan–Mar) and Q2 (Apr–Jun)
		mk := func(name, team, start, end string) okrs.Cycle {
			c, err := f.s.CreateCycle(ctx, "T1", cycle(t, name, team, start, end), "UA")
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		c1a := mk("C1 winter", "C1", "2027-01-01", "2027-03-31")
		c1b := mk("C1 summer", "C1", "2027-05-01", "2027-07-31")
		c3a := mk("C3 winter", "C3", "2027-01-01", "2027-03-31")
		tests := []struct {
			name  string
			cycle okrs.Cycle
			team  string
			want  okrs.Cycle
		}{
			{"a team with its own next cycle, from a workspace cycle", f.q1, "C1", c1b},
			{"a team with its own next cycle, from its own cycle", c1a, "C1", c1b},
			{"a team without cycles of its own", f.q1, "C2", f.q2},
			{"a team whose own cycles end with this one", c3a, "C3", f.q2},
			{"a workspace objective", f.q1, "", f.q2},
		}
		for _, tt := range tests {
			vis := okrs.VisibleTeam
			if tt.team == "" {
				vis = okrs.VisibleWorkspace
			}
			o := f.create(t, okrs.Objective{CycleID: tt.cycle.ID, Title: tt.name, Owner: "UO", Team: tt.team, Visibility: vis,
				KeyResults: []okrs.KeyResult{{Title: "Ship", Kind: okrs.Milestone}}})
			next, ok, err := f.s.NextCycle(ctx, "T1", tt.cycle, tt.team)
			if err != nil || !ok || next.ID != tt.want.ID {
				t.Errorf("%s: NextCycle = %q, %v, %v; want %q", tt.name, next.Name, ok, err, tt.want.Name)
			}
			r := okrs.Review{CycleID: tt.cycle.ID, KeyResults: []okrs.KeyResultReview{{KeyResultID: o.KeyResults[0].ID, Decision: okrs.DecisionCarryOver}}}
			res, err := f.s.SubmitReview(ctx, "T1", r, "UO", false, date(t, "2027-04-01"), at)
			if err != nil || len(res.Carried) != 1 {
				t.Fatalf("%s: SubmitReview = %+v, %v", tt.name, res, err)
			}
			if res.Carried[0].CycleID != tt.want.ID {
				t.Errorf("%s: carried into cycle %d, want %q (%d)", tt.name, res.Carried[0].CycleID, tt.want.Name, tt.want.ID)
			}
			cont, err := f.s.Objective(ctx, "T1", res.Carried[0].ObjectiveID)
			if err != nil || cont.CycleID != tt.want.ID || cont.Team != tt.team {
				t.Errorf("%s: continued objective %+v, %v", tt.name, cont, err)
			}
		}
	})
}
