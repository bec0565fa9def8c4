package okrs_test

import (
	"math"
	"testing"

	"github.com/trellis-bot/trellis/models/okrs"
)

// near compares progress fractions computed with float division.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestKeyResultProgress(t *testing.T) {
	inc := okrs.KeyResult{Kind: okrs.IncreaseTo, Start: 40, Target: 60}
	incNeg := okrs.KeyResult{Kind: okrs.IncreaseTo, Start: -10, Target: 10}
	incFrac := okrs.KeyResult{Kind: okrs.IncreaseTo, Start: 0.5, Target: 1.5, Decimals: 2}
	dec := okrs.KeyResult{Kind: okrs.DecreaseTo, Start: 200, Target: 100}
	decNeg := okrs.KeyResult{Kind: okrs.DecreaseTo, Start: 0, Target: -4}
	above := okrs.KeyResult{Kind: okrs.StayAtOrAbove, Start: 99, Target: 99.5}
	below := okrs.KeyResult{Kind: okrs.StayAtOrBelow, Start: 300, Target: 250}
	belowNeg := okrs.KeyResult{Kind: okrs.StayAtOrBelow, Start: 0, Target: -2.5}
	ms := okrs.KeyResult{Kind: okrs.Milestone}
	tests := []struct {
		name  string
		kr    okrs.KeyResult
		value float64
		want  float64
	}{
		{"increase below start", inc, 30, 0},
		{"increase at start", inc, 40, 0},
		{"increase between", inc, 45, 0.25},
		{"increase at target", inc, 60, 1},
		{"increase beyond target", inc, 90, 1},
		{"increase negative value", inc, -5, 0},
		{"increase fractional", inc, 50.5, 0.525},
		{"increase across zero, negative", incNeg, -5, 0.25},
		{"increase across zero, below start", incNeg, -11, 0},
		{"increase across zero, at zero", incNeg, 0, 0.5},
		{"increase fractional bounds, between", incFrac, 0.75, 0.25},
		{"increase fractional bounds, at target", incFrac, 1.5, 1},

		{"decrease above start (worse)", dec, 250, 0},
		{"decrease at start", dec, 200, 0},
		{"decrease between", dec, 175, 0.25},
		{"decrease at target", dec, 100, 1},
		{"decrease beyond target", dec, 20, 1},
		{"decrease negative value", dec, -50, 1},
		{"decrease fractional", dec, 150.5, 0.495},
		{"decrease to negative, between", decNeg, -1, 0.25},
		{"decrease to negative, above start", decNeg, 3, 0},
		{"decrease to negative, beyond", decNeg, -7.5, 1},

		{"stay above: below start", above, 90, 0},
		{"stay above: at start, below target", above, 99, 0},
		{"stay above: between", above, 99.25, 0},
		{"stay above: at target", above, 99.5, 1},
		{"stay above: beyond target", above, 100, 1},
		{"stay above: negative", above, -1, 0},

		{"stay below: above start", below, 400, 0},
		{"stay below: at start", below, 300, 0},
		{"stay below: between", below, 260.5, 0},
		{"stay below: at target", below, 250, 1},
		{"stay below: beyond target", below, 120, 1},
		{"stay below: negative", below, -3, 1},
		{"stay below negative target: fractional above", belowNeg, -2.4, 0},
		{"stay below negative target: fractional at", belowNeg, -2.5, 1},

		{"milestone not done", ms, 0, 0},
		{"milestone done", ms, 1, 1},
		{"milestone beyond", ms, 2, 1},
		{"milestone negative", ms, -1, 0},
		{"milestone fractional is not done", ms, 0.99, 0},

		{"NaN value", inc, math.NaN(), 0},
		{"infinite value", inc, math.Inf(1), 0},
		{"unknown kind", okrs.KeyResult{Kind: "guess", Start: 0, Target: 1}, 1, 0},
		{"invalid increase with no span", okrs.KeyResult{Kind: okrs.IncreaseTo, Start: 5, Target: 5}, 5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.kr.Progress(tt.value)
			if !near(got, tt.want) {
				t.Errorf("%s %v→%v: Progress(%v) = %v, want %v", tt.kr.Kind, tt.kr.Start, tt.kr.Target, tt.value, got, tt.want)
			}
			if got < 0 || got > 1 || math.Signbit(got) {
				t.Errorf("Progress(%v) = %v, outside [0, 1]", tt.value, got)
			}
		})
	}
}

func TestObjectiveProgress(t *testing.T) {
	w := func(f float64) *float64 { return &f }
	inc := okrs.KeyResult{Kind: okrs.IncreaseTo, Start: 0, Target: 100}
	dec := okrs.KeyResult{Kind: okrs.DecreaseTo, Start: 10, Target: 5}
	above := okrs.KeyResult{Kind: okrs.StayAtOrAbove, Start: 0, Target: 95}
	ms := okrs.KeyResult{Kind: okrs.Milestone}
	with := func(k okrs.KeyResult, weight *float64) okrs.KeyResult { k.Weight = weight; return k }
	tests := []struct {
		name     string
		readings []okrs.Reading
		want     float64
	}{
		{"none", nil, 0},
		{"one", []okrs.Reading{{inc, 30}}, 0.3},
		{"mixed, default weights", []okrs.Reading{
			{inc, 50},   // 0.5
			{dec, 7.5},  // 0.5
			{above, 96}, // 1
			{ms, 0},     // 0
		}, 0.5},
		{"mixed, weights", []okrs.Reading{
			{with(inc, w(2)), 50},     // 0.5 × 2
			{with(dec, w(1)), 5},      // 1 × 1
			{with(above, w(0.5)), 90}, // 0 × 0.5
			{ms, 1},                   // 1 × default 1
		}, (1 + 1 + 0 + 1) / 4.5},
		{"beyond target does not lift the others", []okrs.Reading{{inc, 1000}, {dec, 10}}, 0.5},
		{"a zero weight leaves a key result out", []okrs.Reading{{inc, 100}, {with(ms, w(0)), 0}}, 1},
		{"zero total weight", []okrs.Reading{{with(inc, w(0)), 100}, {with(ms, w(0)), 1}}, 0},
		{"negative weight counts 0", []okrs.Reading{{with(inc, w(-1)), 100}, {ms, 0}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := okrs.ObjectiveProgress(tt.readings); !near(got, tt.want) {
				t.Errorf("ObjectiveProgress = %v, want %v", got, tt.want)
			}
		})
	}
}

// nan is a value that is not a number, as a bad parse could give.
func nan() float64 { return math.NaN() }

// TestPercent: progress shows as a whole percent rounded down, so 100 %
// only once the target is met; out-of-range values are clamped.
func TestPercent(t *testing.T) {
	for _, tt := range []struct {
		in   float64
		want int
	}{
		{0, 0}, {-0.5, 0}, {math.NaN(), 0}, {math.Inf(-1), 0},
		{0.004, 0}, {0.01, 1}, {0.29, 29}, {0.6, 60}, {0.599, 59},
		{0.995, 99}, {0.996, 99}, {0.99999999, 99},
		{1, 100}, {1.5, 100}, {math.Inf(1), 100},
	} {
		if got := okrs.Percent(tt.in); got != tt.want {
			t.Errorf("Percent(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
	for p := 0.0; p < 1; p += 0.0007 {
		if okrs.Percent(p) >= 100 {
			t.Errorf("Percent(%v) = 100 before the target is met", p)
		}
	}
}
