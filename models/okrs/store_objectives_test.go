package okrs_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// fixture is a store with a Q1 and a Q2 cycle in T1.
type fixture struct {
	s      *okrs.Store
	db     *models.DB
	q1, q2 okrs.Cycle
}

func newFixture(t *testing.T, db *models.DB) fixture {
	t.Helper()
	ctx := context.Background()
	f := fixture{s: okrs.NewStore(db), db: db}
	var err error
	if f.q1, err = f.s.CreateCycle(ctx, "T1", cycle(t, "Q1 2027", "", "2027-01-01", "2027-03-31"), "UA"); err != nil {
		t.Fatal(err)
	}
	if f.q2, err = f.s.CreateCycle(ctx, "T1", cycle(t, "Q2 2027", "", "2027-04-01", "2027-06-30"), "UA"); err != nil {
		t.Fatal(err)
	}
	return f
}

// objective is an objective of UO in cycle with two key results: one of
// UK's, one without an owner (so UO's).
func objective(cycle int64) okrs.Objective {
	w := 2.0
	return okrs.Objective{CycleID: cycle, Title: "Make onboarding effortless", Owner: "UO", Team: "C1", Visibility: okrs.VisibleTeam,
		KeyResults: []okrs.KeyResult{
			{Title: "Activation from 40 to 60 %", Owner: "UK", Kind: okrs.IncreaseTo, Start: 40, Target: 60, Unit: "%", Decimals: 1, Weight: &w},
			{Title: "Setup guide shipped", Kind: okrs.Milestone},
		}}
}

func (f fixture) create(t *testing.T, o okrs.Objective) okrs.Objective {
	t.Helper()
	got, err := f.s.CreateObjective(context.Background(), "T1", o, "UO")
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// rows counts the rows of every OKR table holding objectives, for
// "nothing stored".
func (f fixture) rows(t *testing.T) [4]int64 {
	t.Helper()
	return [4]int64{count(t, f.db, "okr_objectives", "T1"), count(t, f.db, "okr_key_results", "T1"),
		count(t, f.db, "okr_parents", "T1"), count(t, f.db, "okr_updates", "T1")}
}

// problemOn fails unless err is a *ValidationError with a problem on
// field (at item, when item > 0).
func problemOn(t *testing.T, what string, err error, field string, item int) {
	t.Helper()
	var ve *okrs.ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("%s: error %v, want a *ValidationError on %s", what, err, field)
		return
	}
	for _, p := range ve.On(field) {
		if item == 0 || p.Item == item {
			return
		}
	}
	t.Errorf("%s: problems %+v, want one on %s #%d", what, ve.Problems, field, item)
}

// An objective reads back as created, its key results in order with
// their owners (the objective's where none was given), and Objectives
// filters by cycle, owner (of the objective or of a key result) and team.
func TestCreateObjectiveAndRead(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		in := objective(f.q1.ID)
		o := f.create(t, in)
		if o.ID == 0 || o.Title != in.Title || o.Owner != "UO" || o.Team != "C1" || o.Visibility != okrs.VisibleTeam || o.CycleID != f.q1.ID || !o.ClosedAt.IsZero() {
			t.Fatalf("created %+v", o)
		}
		if len(o.KeyResults) != 2 {
			t.Fatalf("key results = %+v", o.KeyResults)
		}
		for i, k := range o.KeyResults {
			w := in.KeyResults[i]
			if w.Owner == "" {
				w.Owner = "UO"
			}
			w.ID, w.ObjectiveID = k.ID, o.ID
			if k.ID == 0 || k.Owner != w.Owner || k.Title != w.Title || k.Kind != w.Kind || k.Start != w.Start || k.Target != w.Target ||
				k.Unit != w.Unit || k.Decimals != w.Decimals || k.EffectiveWeight() != w.EffectiveWeight() || k.ObjectiveID != o.ID {
				t.Errorf("key result %d = %+v, want %+v", i+1, k, w)
			}
		}
		got, err := f.s.Objective(ctx, "T1", o.ID)
		if err != nil || got.ID != o.ID || len(got.KeyResults) != 2 || got.KeyResults[0].ID != o.KeyResults[0].ID {
			t.Errorf("Objective = %+v, %v", got, err)
		}

		child := objective(f.q2.ID)
		child.Title, child.Owner, child.Team, child.Visibility = "Grow", "UX", "", ""
		child.KeyResults = child.KeyResults[1:]
		child.Parents = []okrs.Ref{{Kind: okrs.RefKeyResult, ID: o.KeyResults[0].ID}, {Kind: okrs.RefObjective, ID: o.ID}}
		c := f.create(t, child)
		if !slices.Equal(c.Parents, child.Parents) || c.Visibility != okrs.VisibleWorkspace || c.KeyResults[0].Owner != "UX" {
			t.Errorf("child = %+v", c)
		}

		ids := func(list []okrs.Objective, err error) []int64 {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, o := range list {
				out = append(out, o.ID)
			}
			return out
		}
		for _, tt := range []struct {
			f    okrs.Filter
			want []int64
		}{
			{okrs.Filter{}, []int64{o.ID, c.ID}},
			{okrs.Filter{CycleID: f.q1.ID}, []int64{o.ID}},
			{okrs.Filter{CycleID: f.q2.ID}, []int64{c.ID}},
			{okrs.Filter{Owner: "UK"}, []int64{o.ID}},
			{okrs.Filter{Owner: "UO"}, []int64{o.ID}},
			{okrs.Filter{Owner: "UX"}, []int64{c.ID}},
			{okrs.Filter{Owner: "UZ"}, nil},
			{okrs.Filter{Team: "C1"}, []int64{o.ID}},
			{okrs.Filter{Team: "C1", CycleID: f.q2.ID}, nil},
		} {
			if got := ids(f.s.Objectives(ctx, "T1", tt.f)); !slices.Equal(got, tt.want) {
				t.Errorf("Objectives(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		}
		if list, err := f.s.Objectives(ctx, "T1", okrs.Filter{}); err != nil || len(list[0].KeyResults) != 2 || len(list[1].Parents) != 2 {
			t.Errorf("Objectives come without their key results or parents: %+v, %v", list, err)
		}
	})
}

// Whatever is wrong, a new objective stores nothing: an invalid key
// result, an unknown cycle, a parent in a later-ending cycle, a parent
// that is not there.
func TestCreateObjectiveRefusesAndStoresNothing(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		q2obj := f.create(t, objective(f.q2.ID))
		before := f.rows(t)
		tests := []struct {
			name   string
			change func(*okrs.Objective)
			field  string
			item   int
		}{
			{"a key result with its target at its start", func(o *okrs.Objective) { o.KeyResults[0].Target = 40 }, okrs.FieldTarget, 1},
			{"a key result with no title", func(o *okrs.Objective) { o.KeyResults[1].Title = " " }, okrs.FieldTitle, 2},
			{"a value that is not a number", func(o *okrs.Objective) { o.KeyResults[0].Start = math.NaN() }, okrs.FieldStart, 1},
			{"six key results", func(o *okrs.Objective) {
				for len(o.KeyResults) < 6 {
					o.KeyResults = append(o.KeyResults, o.KeyResults[1])
				}
			}, okrs.FieldKeyResults, 0},
			{"no cycle", func(o *okrs.Objective) { o.CycleID = 0 }, okrs.FieldCycle, 0},
			{"an unknown cycle", func(o *okrs.Objective) { o.CycleID = 999 }, okrs.FieldCycle, 0},
			{"a parent in a later cycle", func(o *okrs.Objective) { o.Parents = []okrs.Ref{{Kind: okrs.RefObjective, ID: q2obj.ID}} }, okrs.FieldParents, 0},
			{"an unknown parent", func(o *okrs.Objective) { o.Parents = []okrs.Ref{{Kind: okrs.RefKeyResult, ID: 999}} }, okrs.FieldParents, 0},
			{"carried from nowhere", func(o *okrs.Objective) { o.KeyResults[1].CarriedFrom = 999 }, okrs.FieldKeyResults, 2},
			{"no owner", func(o *okrs.Objective) { o.Owner = "" }, okrs.FieldOwner, 0},
		}
		for _, tt := range tests {
			o := objective(f.q1.ID)
			tt.change(&o)
			_, err := f.s.CreateObjective(ctx, "T1", o, "UO")
			problemOn(t, tt.name, err, tt.field, tt.item)
			if after := f.rows(t); after != before {
				t.Errorf("%s: rows %v, want %v", tt.name, after, before)
			}
		}
	})
}

// An update changes, adds, reorders and removes key results and parents;
// a key result with updates keeps its kind and start and cannot be
// removed; the cycle stays; a loop in the alignment is refused; anything
// refused stores nothing.
func TestUpdateObjective(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		parent := f.create(t, objective(f.q1.ID))
		o := f.create(t, objective(f.q1.ID))
		child := objective(f.q1.ID)
		child.Parents = []okrs.Ref{{Kind: okrs.RefObjective, ID: o.ID}}
		child = f.create(t, child)
		at := time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)
		if _, err := f.s.AddUpdates(ctx, "T1", "UK", false, []okrs.Update{{KeyResultID: o.KeyResults[0].ID, Value: 45, Confidence: okrs.OnTrack}}, okrs.SourceForm, at); err != nil {
			t.Fatal(err)
		}

		// Refused, storing nothing.
		before, stored := f.rows(t), o
		tests := []struct {
			name   string
			change func(*okrs.Objective)
			field  string
			item   int
		}{
			{"the kind of a key result with updates", func(o *okrs.Objective) {
				o.KeyResults[0].Kind, o.KeyResults[0].Target = okrs.StayAtOrAbove, 50
			}, okrs.FieldKind, 1},
			{"the start of a key result with updates", func(o *okrs.Objective) { o.KeyResults[0].Start = 30 }, okrs.FieldStart, 1},
			{"removing a key result with updates", func(o *okrs.Objective) { o.KeyResults = o.KeyResults[1:] }, okrs.FieldKeyResults, 0},
			{"a key result of another objective", func(o *okrs.Objective) { o.KeyResults[1].ID = parent.KeyResults[1].ID }, okrs.FieldKeyResults, 2},
			{"the same key result twice", func(o *okrs.Objective) { o.KeyResults[1] = o.KeyResults[0] }, okrs.FieldKeyResults, 2},
			{"another cycle", func(o *okrs.Objective) { o.CycleID = f.q2.ID }, okrs.FieldCycle, 0},
			{"a loop through its child", func(o *okrs.Objective) { o.Parents = []okrs.Ref{{Kind: okrs.RefObjective, ID: child.ID}} }, okrs.FieldParents, 0},
			{"a loop through its child's key result", func(o *okrs.Objective) { o.Parents = []okrs.Ref{{Kind: okrs.RefKeyResult, ID: child.KeyResults[0].ID}} }, okrs.FieldParents, 0},
			{"itself", func(o *okrs.Objective) { o.Parents = []okrs.Ref{{Kind: okrs.RefObjective, ID: o.ID}} }, okrs.FieldParents, 0},
			{"an invalid new key result", func(o *okrs.Objective) {
				o.KeyResults = append(o.KeyResults, okrs.KeyResult{Title: "Churn down", Kind: okrs.DecreaseTo, Start: 5, Target: 8})
			}, okrs.FieldTarget, 3},
		}
		for _, tt := range tests {
			p, _ := f.s.Objective(ctx, "T1", o.ID)
			p.Title = "Changed, but refused"
			tt.change(&p)
			_, err := f.s.UpdateObjective(ctx, "T1", p, "UO", false)
			problemOn(t, tt.name, err, tt.field, tt.item)
			if after := f.rows(t); after != before {
				t.Errorf("%s: rows %v, want %v", tt.name, after, before)
			}
			if now, _ := f.s.Objective(ctx, "T1", o.ID); now.Title != stored.Title || len(now.Parents) != len(stored.Parents) {
				t.Errorf("%s: stored objective changed to %+v", tt.name, now)
			}
		}

		// Accepted: new title, team and visibility, parent, the KR with
		// updates retitled and retargeted, the milestone removed, a new
		// one added first.
		p, _ := f.s.Objective(ctx, "T1", o.ID)
		p.Title, p.Team, p.Visibility = "Onboarding in a day", "", okrs.VisibleWorkspace
		p.Parents = []okrs.Ref{{Kind: okrs.RefKeyResult, ID: parent.KeyResults[0].ID}}
		kept := p.KeyResults[0]
		kept.Title, kept.Target, kept.Owner = "Activation to 70 %", 70, "UN"
		added := okrs.KeyResult{Title: "Time to first value below 2 days", Kind: okrs.StayAtOrBelow, Target: 2, Unit: "days"}
		p.KeyResults = []okrs.KeyResult{added, kept}
		got, err := f.s.UpdateObjective(ctx, "T1", p, "UO", false)
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != p.Title || got.Team != "" || got.Visibility != okrs.VisibleWorkspace || !slices.Equal(got.Parents, p.Parents) || got.CycleID != f.q1.ID {
			t.Errorf("updated objective = %+v", got)
		}
		if len(got.KeyResults) != 2 || got.KeyResults[0].ID == 0 || got.KeyResults[0].Owner != "UO" || got.KeyResults[1].ID != kept.ID ||
			got.KeyResults[1].Title != kept.Title || got.KeyResults[1].Target != 70 || got.KeyResults[1].Owner != "UN" {
			t.Errorf("updated key results = %+v", got.KeyResults)
		}
		if h, err := f.s.History(ctx, "T1", kept.ID); err != nil || len(h) != 1 {
			t.Errorf("history of the kept key result = %+v, %v", h, err)
		}
		if _, err := f.s.Objective(ctx, "T1", o.ID); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "okr_key_results", "T1"); n != 6 {
			t.Errorf("%d key results stored, want 6 (the milestone removed, one added)", n)
		}
		// A key result without updates may change kind and start.
		p = got
		p.KeyResults[0].Kind, p.KeyResults[0].Start, p.KeyResults[0].Target = okrs.DecreaseTo, 5, 2
		if got, err := f.s.UpdateObjective(ctx, "T1", p, "UO", false); err != nil || got.KeyResults[0].Kind != okrs.DecreaseTo || got.KeyResults[0].Start != 5 {
			t.Errorf("kind change without updates = %+v, %v", got, err)
		}
	})
}

// Deleting an objective deletes its key results and their history, and
// unlinks what aligned to it or was carried over from it; closing keeps
// it with ClosedAt set, and closing again changes nothing.
func TestDeleteAndCloseObjective(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.create(t, objective(f.q1.ID))
		child := objective(f.q1.ID)
		child.Parents = []okrs.Ref{{Kind: okrs.RefObjective, ID: o.ID}, {Kind: okrs.RefKeyResult, ID: o.KeyResults[0].ID}}
		child = f.create(t, child)
		carried := objective(f.q2.ID)
		carried.KeyResults[0].CarriedFrom = o.KeyResults[0].ID
		carried = f.create(t, carried)
		if carried.KeyResults[0].CarriedFrom != o.KeyResults[0].ID {
			t.Fatalf("CarriedFrom = %d, want %d", carried.KeyResults[0].CarriedFrom, o.KeyResults[0].ID)
		}
		at := time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)
		if _, err := f.s.AddUpdates(ctx, "T1", "UO", false, []okrs.Update{{KeyResultID: o.KeyResults[0].ID, Value: 50, Confidence: okrs.AtRisk}}, okrs.SourceForm, at); err != nil {
			t.Fatal(err)
		}

		if err := f.s.CloseObjective(ctx, "T1", child.ID, "UO", false); err != nil {
			t.Fatal(err)
		}
		closed, err := f.s.Objective(ctx, "T1", child.ID)
		if err != nil || closed.ClosedAt.IsZero() {
			t.Fatalf("closed = %+v, %v", closed, err)
		}
		if err := f.s.CloseObjective(ctx, "T1", child.ID, "UO", false); err != nil {
			t.Fatal(err)
		}
		if again, _ := f.s.Objective(ctx, "T1", child.ID); !again.ClosedAt.Equal(closed.ClosedAt) {
			t.Errorf("closing again moved ClosedAt from %v to %v", closed.ClosedAt, again.ClosedAt)
		}

		if err := f.s.DeleteObjective(ctx, "T1", o.ID, "UO", false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Objective(ctx, "T1", o.ID); !errors.Is(err, okrs.ErrNotFound) {
			t.Errorf("deleted objective: %v, want ErrNotFound", err)
		}
		if _, err := f.s.History(ctx, "T1", o.KeyResults[0].ID); !errors.Is(err, okrs.ErrNotFound) {
			t.Errorf("deleted key result's history: %v, want ErrNotFound", err)
		}
		if n := count(t, db, "okr_updates", "T1"); n != 0 {
			t.Errorf("%d updates left after deleting their objective", n)
		}
		if c, err := f.s.Objective(ctx, "T1", child.ID); err != nil || len(c.Parents) != 0 {
			t.Errorf("child after deleting its parent = %+v, %v; want no parents", c, err)
		}
		if c, err := f.s.Objective(ctx, "T1", carried.ID); err != nil || c.KeyResults[0].CarriedFrom != 0 {
			t.Errorf("carried-over key result = %+v, %v; want no link", c.KeyResults, err)
		}
		if err := f.s.DeleteObjective(ctx, "T1", o.ID, "UO", false); !errors.Is(err, okrs.ErrNotFound) {
			t.Errorf("deleting again = %v, want ErrNotFound", err)
		}
	})
}

// An objective's cycle is the workspace's or its own team's: a team's
// objective may be in a workspace cycle or one of its team's own, a
// workspace objective only in a workspace cycle. Any other is refused on
// "cycle", on create and on an edit changing the team, storing nothing.
func TestAnObjectivesCycleIsTheWorkspacesOrItsTeams(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		own, err := f.s.CreateCycle(ctx, "T1", cycle(t, "C1 winter", "C1", "2027-01-01", "2027-03-31"), "UA")
		if err != nil {
			t.Fatal(err)
		}
		in := func(c okrs.Cycle, team string) okrs.Objective {
			o := objective(c.ID)
			o.Team = team
			if team == "" {
				o.Visibility = okrs.VisibleWorkspace
			}
			return o
		}
		tests := []struct {
			name  string
			cycle okrs.Cycle
			team  string
			ok    bool
		}{
			{"a workspace objective in a workspace cycle", f.q1, "", true},
			{"a team's objective in a workspace cycle", f.q1, "C1", true},
			{"a team's objective in its own cycle", own, "C1", true},
			{"another team's objective in a team's cycle", own, "C2", false},
			{"a workspace objective in a team's cycle", own, "", false},
		}
		for _, tt := range tests {
			before := f.rows(t)
			_, err := f.s.CreateObjective(ctx, "T1", in(tt.cycle, tt.team), "UO")
			if tt.ok {
				if err != nil {
					t.Errorf("create, %s: %v", tt.name, err)
				}
				continue
			}
			problemOn(t, "create, "+tt.name, err, okrs.FieldCycle, 0)
			if after := f.rows(t); after != before {
				t.Errorf("create, %s: rows %v → %v, want nothing stored", tt.name, before, after)
			}
		}
		// Edits changing the team: from a team's own cycle the objective
		// cannot leave the team; in a workspace cycle it can.
		for _, tt := range tests {
			if tt.cycle.Team == "" {
				continue
			}
			o := f.create(t, in(own, "C1"))
			before := f.rows(t)
			moved := in(own, tt.team)
			moved.ID, moved.KeyResults = o.ID, o.KeyResults
			_, err := f.s.UpdateObjective(ctx, "T1", moved, "UO", false)
			if tt.ok {
				if err != nil {
					t.Errorf("edit, %s: %v", tt.name, err)
				}
				continue
			}
			problemOn(t, "edit, "+tt.name, err, okrs.FieldCycle, 0)
			if after := f.rows(t); after != before {
				t.Errorf("edit, %s: rows %v → %v", tt.name, before, after)
			}
			if got, _ := f.s.Objective(ctx, "T1", o.ID); got.Team != "C1" {
				t.Errorf("edit, %s: team %q stored", tt.name, got.Team)
			}
		}
		o := f.create(t, in(f.q1, "C1"))
		o.Team = "C2"
		if _, err := f.s.UpdateObjective(ctx, "T1", o, "UO", false); err != nil {
			t.Errorf("a team's objective in a workspace cycle moving to another team: %v", err)
		}
	})
}
