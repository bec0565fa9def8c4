package okrs_test

import (
	"math"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/models/okrs"
)

// The prefilled grade is the progress of the final value (the start when
// there is none) rounded to one decimal, halves up, always in [0, 1].
func TestPrefillGrade(t *testing.T) {
	inc := okrs.KeyResult{Kind: okrs.IncreaseTo, Start: 40, Target: 60}
	dec := okrs.KeyResult{Kind: okrs.DecreaseTo, Start: 100, Target: 0}
	tests := []struct {
		k    okrs.KeyResult
		e    okrs.Effective
		want float64
	}{
		{inc, okrs.Effective{}, 0},
		{inc, okrs.Effective{HasValue: true, Value: 45}, 0.3}, // 0.25 rounds up
		{inc, okrs.Effective{HasValue: true, Value: 46.98}, 0.3},
		{inc, okrs.Effective{HasValue: true, Value: 47}, 0.4}, // 0.35, computed a hair short
		{inc, okrs.Effective{HasValue: true, Value: 56.98}, 0.8},
		{inc, okrs.Effective{HasValue: true, Value: 80}, 1},
		{inc, okrs.Effective{HasValue: true, Value: 10}, 0},
		{dec, okrs.Effective{HasValue: true, Value: 35}, 0.7}, // 0.65
		{okrs.KeyResult{Kind: okrs.Milestone}, okrs.Effective{HasValue: true, Value: 1}, 1},
		{okrs.KeyResult{Kind: okrs.StayAtOrAbove, Start: 5, Target: 10}, okrs.Effective{}, 0},
		{okrs.KeyResult{Kind: okrs.StayAtOrBelow, Start: 5, Target: 10}, okrs.Effective{}, 1},
		{inc, okrs.Effective{HasValue: true, Value: math.NaN()}, 0},
	}
	for _, tt := range tests {
		got := okrs.PrefillGrade(tt.k, tt.e)
		if got != tt.want {
			t.Errorf("PrefillGrade(%s %v→%v, %+v) = %v, want %v", tt.k.Kind, tt.k.Start, tt.k.Target, tt.e, got, tt.want)
		}
		if got < 0 || got > 1 || math.Round(got*10) != got*10 {
			t.Errorf("PrefillGrade = %v: not a grade of one decimal in [0, 1]", got)
		}
	}
	for p := 0.0; p <= 1.0001; p += 0.001 {
		g := okrs.RoundGrade(p)
		if math.Abs(g-p) > 0.05+1e-9 || g < 0 || g > 1 {
			t.Errorf("RoundGrade(%v) = %v, more than half a step away", p, g)
		}
	}
}

// A carried key result keeps everything but its id, objective and link,
// and starts from the final value exactly when its kind moves.
func TestCarry(t *testing.T) {
	w := 3.0
	for _, kind := range []okrs.Kind{okrs.IncreaseTo, okrs.DecreaseTo, okrs.StayAtOrAbove, okrs.StayAtOrBelow, okrs.Milestone} {
		k := okrs.KeyResult{ID: 7, ObjectiveID: 2, Owner: "UK", Title: "T", Kind: kind, Start: 10, Target: 50, Unit: "ms", Decimals: 2, Weight: &w, CarriedFrom: 3}
		got := okrs.Carry(k, 30, 9)
		wantStart := 10.0
		if kind == okrs.IncreaseTo || kind == okrs.DecreaseTo {
			wantStart = 30
		}
		if got.ID != 0 || got.ObjectiveID != 9 || got.CarriedFrom != 7 || got.Start != wantStart || got.Target != 50 ||
			got.Owner != "UK" || got.Title != "T" || got.Kind != kind || got.Unit != "ms" || got.Decimals != 2 || got.Weight != &w {
			t.Errorf("Carry(%s) = %+v", kind, got)
		}
	}
}

// Validate names every problem on its field and entry.
func TestReviewValidate(t *testing.T) {
	ok := okrs.KeyResultReview{KeyResultID: 1, Grade: 0.5, Decision: okrs.DecisionDone}
	tests := []struct {
		name  string
		r     okrs.Review
		field string
		item  int
	}{
		{"no cycle", okrs.Review{KeyResults: []okrs.KeyResultReview{ok}}, okrs.FieldCycle, 0},
		{"nothing to review", okrs.Review{CycleID: 1}, okrs.FieldKeyResults, 0},
		{"a grade that is not a number", okrs.Review{CycleID: 1, KeyResults: []okrs.KeyResultReview{ok, {KeyResultID: 2, Grade: math.NaN(), Decision: okrs.DecisionDrop}}}, okrs.FieldGrade, 2},
		{"an unknown decision", okrs.Review{CycleID: 1, KeyResults: []okrs.KeyResultReview{ok, {KeyResultID: 2, Grade: 1, Decision: "maybe"}}}, okrs.FieldDecision, 2},
		{"two notes on one objective", okrs.Review{CycleID: 1, KeyResults: []okrs.KeyResultReview{ok}, Learned: []okrs.Learned{{ObjectiveID: 4}, {ObjectiveID: 4}}}, okrs.FieldLearned, 2},
		{"a long note", okrs.Review{CycleID: 1, KeyResults: []okrs.KeyResultReview{ok}, Learned: []okrs.Learned{{ObjectiveID: 4, Note: strings.Repeat("a", okrs.MaxLearnedLen+1)}}}, okrs.FieldLearned, 1},
	}
	for _, tt := range tests {
		problemOn(t, tt.name, tt.r.Validate(), tt.field, tt.item)
	}
	full := okrs.Review{CycleID: 1, KeyResults: []okrs.KeyResultReview{ok, {KeyResultID: 2, Grade: 0, Decision: okrs.DecisionCarryOver}},
		Learned: []okrs.Learned{{ObjectiveID: 4, Note: strings.Repeat("a", okrs.MaxLearnedLen)}}}
	if err := full.Validate(); err != nil {
		t.Errorf("a valid review: %v", err)
	}
}
