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

var at = time.Date(2027, 1, 12, 9, 30, 0, 0, time.UTC)

// A batch of updates is stored whole or not at all: one invalid entry, an
// unknown key result or a correction of another key result's entry
// refuses it, each problem on its position.
func TestAddUpdatesAllOrNothing(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.create(t, objective(f.q1.ID))
		kr1, kr2 := o.KeyResults[0].ID, o.KeyResults[1].ID
		first, err := f.s.AddUpdates(ctx, "T1", "UO", false, []okrs.Update{{KeyResultID: kr2, Value: 0, Confidence: okrs.AtRisk}}, okrs.SourceForm, at)
		if err != nil {
			t.Fatal(err)
		}
		good := okrs.Update{KeyResultID: kr1, Value: 45, Confidence: okrs.OnTrack, Note: "Going well"}
		tests := []struct {
			name  string
			bad   okrs.Update
			field string
		}{
			{"a value that is not a number", okrs.Update{KeyResultID: kr1, Value: math.Inf(1), Confidence: okrs.OnTrack}, okrs.FieldValue},
			{"no confidence", okrs.Update{KeyResultID: kr1, Value: 50}, okrs.FieldConfidence},
			{"an unknown key result", okrs.Update{KeyResultID: 999, Value: 50, Confidence: okrs.OnTrack}, okrs.FieldKeyResult},
			{"a correction of another key result's entry", okrs.Update{KeyResultID: kr1, Value: 50, Confidence: okrs.OnTrack, Corrects: first[0].ID}, okrs.FieldCorrects},
			{"a correction of nothing", okrs.Update{KeyResultID: kr1, Value: 50, Confidence: okrs.OnTrack, Corrects: 999}, okrs.FieldCorrects},
			{"a correction with no change", okrs.Update{KeyResultID: kr2, NoChange: true, Corrects: first[0].ID}, okrs.FieldCorrects},
		}
		for _, tt := range tests {
			_, err := f.s.AddUpdates(ctx, "T1", "UO", false, []okrs.Update{good, tt.bad, good}, okrs.SourceForm, at)
			problemOn(t, tt.name, err, tt.field, 2)
			if n := count(t, db, "okr_updates", "T1"); n != 1 {
				t.Errorf("%s: %d updates stored, want 1", tt.name, n)
			}
		}
		if _, err := f.s.AddUpdates(ctx, "T1", "UO", false, []okrs.Update{good}, "email", at); !errors.Is(err, okrs.ErrInvalid) {
			t.Errorf("an unknown source: %v, want ErrInvalid", err)
		}
		got, err := f.s.AddUpdates(ctx, "T1", "UO", false, []okrs.Update{good, {KeyResultID: kr2, NoChange: true}}, okrs.SourceNudge, at)
		if err != nil || len(got) != 2 {
			t.Fatalf("AddUpdates = %+v, %v", got, err)
		}
		for _, u := range got {
			if u.ID == 0 || u.Author != "UO" || !u.At.Equal(at) || u.Source != okrs.SourceNudge {
				t.Errorf("stored update %+v", u)
			}
		}
	})
}

// Updates are only appended: a correction adds an entry, the history
// shows both, and Effective reads the corrected value; "no change"
// carries it forward.
func TestCorrectionsAppend(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.create(t, objective(f.q1.ID))
		kr, other := o.KeyResults[0].ID, o.KeyResults[1].ID
		add := func(u okrs.Update, when time.Time) okrs.Update {
			t.Helper()
			u.KeyResultID = kr
			got, err := f.s.AddUpdates(ctx, "T1", "UK", false, []okrs.Update{u}, okrs.SourceForm, when)
			if err != nil {
				t.Fatal(err)
			}
			return got[0]
		}
		wrong := add(okrs.Update{Value: 54, Confidence: okrs.OnTrack, Note: "typo"}, at)
		same := add(okrs.Update{NoChange: true}, at.Add(7*24*time.Hour))
		fix := add(okrs.Update{Value: 45, Confidence: okrs.AtRisk, Note: "fixed", Corrects: wrong.ID}, at.Add(8*24*time.Hour))

		history, err := f.s.History(ctx, "T1", kr)
		if err != nil {
			t.Fatal(err)
		}
		ids := []int64{}
		for _, u := range history {
			ids = append(ids, u.ID)
		}
		if want := []int64{wrong.ID, same.ID, fix.ID}; !slices.Equal(ids, want) || history[0].Value != 54 || history[2].Corrects != wrong.ID {
			t.Errorf("history = %+v, want entries %v with the wrong value kept", history, want)
		}
		eff, err := f.s.Effective(ctx, "T1", []int64{kr, other, 999})
		if err != nil {
			t.Fatal(err)
		}
		want, err := okrs.Current(history)
		if err != nil {
			t.Fatal(err)
		}
		if e := eff[kr]; e != want || !e.HasValue || e.Value != 45 || e.Confidence != okrs.AtRisk || e.Updates != 2 || e.LastID != same.ID {
			t.Errorf("Effective = %+v, want the corrected 45 at risk carried by the no-change entry (%+v)", e, want)
		}
		if e, ok := eff[other]; !ok || e != (okrs.Effective{}) {
			t.Errorf("Effective of a key result with no updates = %+v, %v; want zero", e, ok)
		}
		if _, ok := eff[999]; ok {
			t.Error("Effective has an unknown key result")
		}
	})
}

// Who may do what: the objective's owner and an admin everything; a key
// result's owner the title, target and unit of their own and its updates;
// anyone else nothing. A refusal is ErrNotOwner and changes nothing.
func TestPermissions(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		type write struct {
			name string
			do   func(o okrs.Objective, actor string, admin bool) error
		}
		update := func(change func(*okrs.Objective)) func(okrs.Objective, string, bool) error {
			return func(o okrs.Objective, actor string, admin bool) error {
				change(&o)
				_, err := f.s.UpdateObjective(ctx, "T1", o, actor, admin)
				return err
			}
		}
		post := func(pos int) func(okrs.Objective, string, bool) error {
			return func(o okrs.Objective, actor string, admin bool) error {
				_, err := f.s.AddUpdates(ctx, "T1", actor, admin, []okrs.Update{{KeyResultID: o.KeyResults[pos].ID, Value: 1, Confidence: okrs.OnTrack}}, okrs.SourceForm, at)
				return err
			}
		}
		writes := []write{
			{"retitle the objective", update(func(o *okrs.Objective) { o.Title = "New title" })},
			{"change its visibility", update(func(o *okrs.Objective) { o.Visibility = okrs.VisibleWorkspace })},
			{"retarget UK's key result", update(func(o *okrs.Objective) { o.KeyResults[0].Target, o.KeyResults[0].Unit = 80, "pts" })},
			{"retitle UO's key result", update(func(o *okrs.Objective) { o.KeyResults[1].Title = "Guide live" })},
			{"give UK's key result away", update(func(o *okrs.Objective) { o.KeyResults[0].Owner = "UZ" })},
			{"reweigh UK's key result", update(func(o *okrs.Objective) { o.KeyResults[0].Weight = nil })},
			{"add a key result", update(func(o *okrs.Objective) {
				o.KeyResults = append(o.KeyResults, okrs.KeyResult{Title: "More", Kind: okrs.Milestone})
			})},
			{"post on UK's key result", post(0)},
			{"post on UO's key result", post(1)},
			{"close", func(o okrs.Objective, actor string, admin bool) error {
				return f.s.CloseObjective(ctx, "T1", o.ID, actor, admin)
			}},
			{"delete", func(o okrs.Objective, actor string, admin bool) error {
				return f.s.DeleteObjective(ctx, "T1", o.ID, actor, admin)
			}},
		}
		actors := []struct {
			name, id string
			admin    bool
			may      []string // the writes allowed; nil for all
		}{
			{"the objective's owner", "UO", false, nil},
			{"an admin", "UA", true, nil},
			{"a key result's owner", "UK", false, []string{"retarget UK's key result", "post on UK's key result"}},
			{"anyone else", "UZ", false, []string{}},
		}
		for _, a := range actors {
			for _, w := range writes {
				o := f.create(t, objective(f.q1.ID))
				before, _ := f.s.Objective(ctx, "T1", o.ID)
				updates := count(t, db, "okr_updates", "T1")
				err := w.do(o, a.id, a.admin)
				allowed := a.may == nil || slices.Contains(a.may, w.name)
				if allowed && err != nil {
					t.Errorf("%s may %s: %v", a.name, w.name, err)
				}
				if allowed {
					continue
				}
				if !errors.Is(err, okrs.ErrNotOwner) {
					t.Errorf("%s may not %s: error %v, want ErrNotOwner", a.name, w.name, err)
				}
				after, err := f.s.Objective(ctx, "T1", o.ID)
				if err != nil || after.Title != before.Title || after.Visibility != before.Visibility || !after.ClosedAt.IsZero() ||
					!slices.EqualFunc(after.KeyResults, before.KeyResults, sameKR) || count(t, db, "okr_updates", "T1") != updates {
					t.Errorf("%s may not %s, yet it changed: %+v, %v", a.name, w.name, after, err)
				}
			}
		}
	})
}

// sameKR compares key results field by field.
func sameKR(a, b okrs.KeyResult) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Owner == b.Owner && a.Kind == b.Kind && a.Start == b.Start && a.Target == b.Target &&
		a.Unit == b.Unit && a.Decimals == b.Decimals && a.EffectiveWeight() == b.EffectiveWeight() && (a.Weight == nil) == (b.Weight == nil)
}

// Another workspace's ids are not found there, and nothing of them
// changes: reading, changing, closing, deleting, posting, aligning to
// them and using their cycle.
func TestWorkspaceIsolation(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.create(t, objective(f.q1.ID))
		if _, err := f.s.AddUpdates(ctx, "T1", "UO", false, []okrs.Update{{KeyResultID: o.KeyResults[0].ID, Value: 41, Confidence: okrs.OnTrack}}, okrs.SourceForm, at); err != nil {
			t.Fatal(err)
		}
		t2q1, err := f.s.CreateCycle(ctx, "T2", cycle(t, "Q1 2027", "", "2027-01-01", "2027-03-31"), "UA")
		if err != nil {
			t.Fatal(err)
		}
		before := f.rows(t)
		notFound := map[string]error{}
		_, notFound["Objective"] = f.s.Objective(ctx, "T2", o.ID)
		changed := o
		changed.Title = "Taken over"
		_, notFound["UpdateObjective"] = f.s.UpdateObjective(ctx, "T2", changed, "UA", true)
		notFound["CloseObjective"] = f.s.CloseObjective(ctx, "T2", o.ID, "UA", true)
		notFound["DeleteObjective"] = f.s.DeleteObjective(ctx, "T2", o.ID, "UA", true)
		_, notFound["History"] = f.s.History(ctx, "T2", o.KeyResults[0].ID)
		notFound["RenameCycle"] = f.s.RenameCycle(ctx, "T2", f.q1.ID, "Mine", "UA")
		for name, err := range notFound {
			if !errors.Is(err, okrs.ErrNotFound) {
				t.Errorf("%s from T2: %v, want ErrNotFound", name, err)
			}
		}
		_, err = f.s.AddUpdates(ctx, "T2", "UA", true, []okrs.Update{{KeyResultID: o.KeyResults[0].ID, Value: 1, Confidence: okrs.OnTrack}}, okrs.SourceForm, at)
		problemOn(t, "posting on T1's key result from T2", err, okrs.FieldKeyResult, 1)
		theirs := objective(f.q1.ID)
		_, err = f.s.CreateObjective(ctx, "T2", theirs, "UO")
		problemOn(t, "T1's cycle from T2", err, okrs.FieldCycle, 0)
		theirs.CycleID = t2q1.ID
		theirs.Parents = []okrs.Ref{{Kind: okrs.RefObjective, ID: o.ID}}
		_, err = f.s.CreateObjective(ctx, "T2", theirs, "UO")
		problemOn(t, "aligning to T1's objective from T2", err, okrs.FieldParents, 0)
		theirs.Parents = nil
		theirs.KeyResults[0].CarriedFrom = o.KeyResults[0].ID
		_, err = f.s.CreateObjective(ctx, "T2", theirs, "UO")
		problemOn(t, "carrying T1's key result over in T2", err, okrs.FieldKeyResults, 1)
		if eff, err := f.s.Effective(ctx, "T2", []int64{o.KeyResults[0].ID}); err != nil || len(eff) != 0 {
			t.Errorf("Effective from T2 = %v, %v; want nothing", eff, err)
		}
		if list, err := f.s.Objectives(ctx, "T2", okrs.Filter{}); err != nil || len(list) != 0 {
			t.Errorf("Objectives(T2) = %+v, %v", list, err)
		}
		if mine, err := f.s.KeyResultsOf(ctx, "T2", "UK", nil); err != nil || len(mine) != 0 {
			t.Errorf("KeyResultsOf(T2) = %+v, %v", mine, err)
		}
		if owners, err := f.s.Owners(ctx, "T2", f.q1.ID); err != nil || len(owners) != 0 {
			t.Errorf("Owners(T2, T1's cycle) = %v, %v", owners, err)
		}
		if after := f.rows(t); after != before || count(t, db, "okr_objectives", "T2") != 0 {
			t.Errorf("rows of T1 %v, want %v; T2 stored %d objectives", after, before, count(t, db, "okr_objectives", "T2"))
		}
		if got, err := f.s.Objective(ctx, "T1", o.ID); err != nil || got.Title != o.Title || !got.ClosedAt.IsZero() {
			t.Errorf("T1's objective after T2's attempts = %+v, %v", got, err)
		}
		if c, err := f.s.Cycle(ctx, "T1", f.q1.ID); err != nil || c.Name != f.q1.Name {
			t.Errorf("T1's cycle after T2's rename = %+v, %v", c, err)
		}
	})
}

// KeyResultsOf lists a person's key results in the cycles asked, with
// their objective and effective state; Owners lists who owns a key result
// of an open objective of a cycle.
func TestKeyResultsOfAndOwners(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		a := f.create(t, objective(f.q1.ID))
		b := objective(f.q1.ID)
		b.Owner, b.Team = "UK", "C2"
		b.KeyResults[0].Owner, b.KeyResults[1].Owner = "UY", "UY"
		b = f.create(t, b)
		c := f.create(t, objective(f.q2.ID))
		if _, err := f.s.AddUpdates(ctx, "T1", "UK", false, []okrs.Update{{KeyResultID: a.KeyResults[0].ID, Value: 52, Confidence: okrs.OnTrack}}, okrs.SourceCheckin, at); err != nil {
			t.Fatal(err)
		}
		type item struct {
			kr, objective int64
		}
		list := func(person string, cycles ...int64) []item {
			t.Helper()
			got, err := f.s.KeyResultsOf(ctx, "T1", person, cycles)
			if err != nil {
				t.Fatal(err)
			}
			var out []item
			for _, g := range got {
				if g.KeyResult.Owner != person || g.KeyResult.ObjectiveID != g.Objective.ID || g.Objective.Title == "" {
					t.Errorf("KeyResultsOf(%s) has %+v", person, g)
				}
				out = append(out, item{g.KeyResult.ID, g.Objective.ID})
			}
			return out
		}
		tests := []struct {
			person string
			cycles []int64
			want   []item
		}{
			{"UK", []int64{f.q1.ID}, []item{{a.KeyResults[0].ID, a.ID}}},
			{"UK", nil, []item{{a.KeyResults[0].ID, a.ID}, {c.KeyResults[0].ID, c.ID}}},
			{"UO", []int64{f.q1.ID}, []item{{a.KeyResults[1].ID, a.ID}}},
			{"UO", []int64{f.q1.ID, f.q2.ID}, []item{{a.KeyResults[1].ID, a.ID}, {c.KeyResults[1].ID, c.ID}}},
			{"UY", nil, []item{{b.KeyResults[0].ID, b.ID}, {b.KeyResults[1].ID, b.ID}}},
			{"UZ", nil, nil},
		}
		for _, tt := range tests {
			if got := list(tt.person, tt.cycles...); !slices.Equal(got, tt.want) {
				t.Errorf("KeyResultsOf(%s, %v) = %v, want %v", tt.person, tt.cycles, got, tt.want)
			}
		}
		mine, err := f.s.KeyResultsOf(ctx, "T1", "UK", []int64{f.q1.ID})
		if err != nil || len(mine) != 1 || mine[0].Effective.Value != 52 || mine[0].Effective.Updates != 1 || mine[0].Objective.Team != "C1" {
			t.Errorf("UK's key result = %+v, %v; want its objective and its effective 52", mine, err)
		}

		owners := func(cycle int64) []string {
			t.Helper()
			got, err := f.s.Owners(ctx, "T1", cycle)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got, want := owners(f.q1.ID), []string{"UK", "UO", "UY"}; !slices.Equal(got, want) {
			t.Errorf("Owners(Q1) = %v, want %v", got, want)
		}
		if err := f.s.CloseObjective(ctx, "T1", b.ID, "UK", false); err != nil {
			t.Fatal(err)
		}
		if got, want := owners(f.q1.ID), []string{"UK", "UO"}; !slices.Equal(got, want) {
			t.Errorf("Owners(Q1) after closing UK's objective = %v, want %v", got, want)
		}
		if got, want := owners(f.q2.ID), []string{"UK", "UO"}; !slices.Equal(got, want) {
			t.Errorf("Owners(Q2) = %v, want %v", got, want)
		}
	})
}
