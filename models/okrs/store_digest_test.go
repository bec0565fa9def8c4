package okrs_test

import (
	"context"
	"slices"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// Histories reads, for every key result asked about, exactly what History
// reads for it, in the same order; a key result without updates, or of
// another workspace, has none, and nothing of another workspace leaks in.
func TestHistories(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		a := f.create(t, objective(f.q1.ID))
		b := f.create(t, objective(f.q1.ID))
		kr1, kr2, kr3 := a.KeyResults[0].ID, a.KeyResults[1].ID, b.KeyResults[0].ID
		// Interleaved appends, so that id order and key result order differ.
		var corrected int64
		for i, u := range []okrs.Update{
			{KeyResultID: kr1, Value: 41, Confidence: okrs.OnTrack},
			{KeyResultID: kr3, Value: 50, Confidence: okrs.AtRisk},
			{KeyResultID: kr1, Value: 44, Confidence: okrs.AtRisk},
			{KeyResultID: kr1, NoChange: true},
		} {
			got, err := f.s.AddUpdates(ctx, "T1", "UO", false, []okrs.Update{u}, okrs.SourceForm, at.AddDate(0, 0, i))
			if err != nil {
				t.Fatal(err)
			}
			if i == 2 {
				corrected = got[0].ID
			}
		}
		if _, err := f.s.AddUpdates(ctx, "T1", "UO", false, []okrs.Update{{KeyResultID: kr1, Value: 43, Confidence: okrs.AtRisk, Corrects: corrected}},
			okrs.SourceForm, at.AddDate(0, 0, 9)); err != nil {
			t.Fatal(err)
		}
		q1b, err := f.s.CreateCycle(ctx, "T2", cycle(t, "Q1 2027", "", "2027-01-01", "2027-03-31"), "UA")
		if err != nil {
			t.Fatal(err)
		}
		o2, err := f.s.CreateObjective(ctx, "T2", objective(q1b.ID), "UO")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.AddUpdates(ctx, "T2", "UO", false, []okrs.Update{{KeyResultID: o2.KeyResults[0].ID, Value: 1, Confidence: okrs.OnTrack}},
			okrs.SourceForm, at); err != nil {
			t.Fatal(err)
		}

		ids := []int64{kr1, kr2, kr3, o2.KeyResults[0].ID, 9999}
		got, err := f.s.Histories(ctx, "T1", ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{kr1, kr2, kr3} {
			want, err := f.s.History(ctx, "T1", id)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got[id], want, func(a, b okrs.Update) bool {
				return a.ID == b.ID && a.At.Equal(b.At) && a.Value == b.Value && a.Corrects == b.Corrects
			}) {
				t.Errorf("Histories[%d] = %+v, want History's %+v", id, got[id], want)
			}
		}
		if n := len(got[kr1]); n != 4 {
			t.Errorf("key result %d has %d entries, want 4 (a correction included)", kr1, n)
		}
		if h, ok := got[o2.KeyResults[0].ID]; ok {
			t.Errorf("another workspace's key result read: %+v", h)
		}
		if h, ok := got[9999]; ok {
			t.Errorf("an unknown key result read: %+v", h)
		}
		if empty, err := f.s.Histories(ctx, "T1", nil); err != nil || len(empty) != 0 {
			t.Errorf("Histories of nothing = %v, %v", empty, err)
		}
	})
}
