package okrs

import (
	"math"
	"strconv"
)

// Progress is how far value has brought k toward its target, a fraction in
// [0, 1]:
//
//   - IncreaseTo and DecreaseTo move linearly from 0 at Start to 1 at Target;
//     a value short of Start is 0 and one past Target is 1.
//   - StayAtOrAbove is 1 when value >= Target, else 0; StayAtOrBelow is 1
//     when value <= Target, else 0. A threshold is kept or it is not: a
//     partial score would need a second bound (how far below is "half
//     kept"?) nobody set, and Start, the baseline, says nothing about it.
//   - Milestone is 1 when value >= 1 (done), else 0.
//
// A value that is not a finite number, or a key result whose Start and
// Target leave no room to move (invalid by Validate), gives 0.
func (k KeyResult) Progress(value float64) float64 {
	if !finite(value) {
		return 0
	}
	switch k.Kind {
	case IncreaseTo, DecreaseTo:
		span := k.Target - k.Start
		if span == 0 || !finite(span) {
			return 0
		}
		return clamp01((value - k.Start) / span)
	case StayAtOrAbove:
		return met(value >= k.Target)
	case StayAtOrBelow:
		return met(value <= k.Target)
	case Milestone:
		return met(value >= 1)
	}
	return 0
}

// Reading is a key result with its current value, what an objective's
// progress is computed from.
type Reading struct {
	KeyResult KeyResult
	Value     float64
}

// ObjectiveProgress is the weighted average of the readings' progress, a
// fraction in [0, 1]; a key result without a weight counts 1. With no
// readings or a zero total weight it is 0. Weights that are negative or not
// finite (invalid by Validate) count 0.
func ObjectiveProgress(readings []Reading) float64 {
	var sum, total float64
	for _, r := range readings {
		w := r.KeyResult.EffectiveWeight()
		if !finite(w) || w <= 0 {
			continue
		}
		sum += w * r.KeyResult.Progress(r.Value)
		total += w
	}
	if total == 0 {
		return 0
	}
	return clamp01(sum / total)
}

// clamp01 keeps f in [0, 1]; NaN is 0.
func clamp01(f float64) float64 {
	switch {
	case math.IsNaN(f) || f <= 0:
		return 0 // also turns -0 into 0
	case f >= 1:
		return 1
	}
	return f
}

// met is 1 for true and 0 for false.
func met(ok bool) float64 {
	if ok {
		return 1
	}
	return 0
}

// format writes v with decimals digits after the point.
func format(v float64, decimals int) string {
	return strconv.FormatFloat(v, 'f', max(0, min(decimals, MaxDecimals)), 64)
}

// Percent is progress (a fraction in [0, 1]) as a whole percent, rounded
// down: 99.6 % shows as 99 %, so 100 % is shown only once the target is
// met. A value outside [0, 1] is clamped and one that is not a number is
// 0. Every surface that shows progress as a percent shows this number.
func Percent(progress float64) int {
	switch {
	case math.IsNaN(progress) || progress <= 0:
		return 0
	case progress >= 1:
		return 100
	}
	// A tiny margin keeps 0.29 (28.999… in binary) at 29 %.
	return min(int(math.Floor(progress*100+1e-9)), 99)
}
