package okrs

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// The end-of-cycle review. When a cycle ends, each key result's owner
// grades it from 0 to 1 (prefilled from its progress, PrefillGrade), says
// what becomes of it (Decision) and writes, per objective, what the team
// learned. Carrying a key result over continues it in the team's next
// cycle (Store.SubmitReview).

// MaxLearnedLen is the longest "what we learned" note, in characters.
const MaxLearnedLen = 2000

// The fields a review's problems name, besides FieldKeyResult and
// FieldCycle: the grade and decision of the key result at the problem's
// Item (1-based, in Review.KeyResults), and the note at Item in
// Review.Learned.
const (
	FieldGrade    = "grade"
	FieldDecision = "decision"
	FieldLearned  = "learned"
)

// Decision is what becomes of a key result after its cycle.
type Decision string

// The decisions of a review.
const (
	// DecisionDone closes the key result with its cycle: reached, or
	// reached far enough.
	DecisionDone Decision = "done"
	// DecisionCarryOver continues the key result in the team's next
	// cycle, from its final value.
	DecisionCarryOver Decision = "carry_over"
	// DecisionDrop leaves it behind: not worth pursuing any more.
	DecisionDrop Decision = "drop"
)

// Valid reports whether d is one of the decisions above.
func (d Decision) Valid() bool {
	switch d {
	case DecisionDone, DecisionCarryOver, DecisionDrop:
		return true
	}
	return false
}

// KeyResultReview is the review of one key result: its grade, a
// fraction from 0 to 1, and its decision.
type KeyResultReview struct {
	KeyResultID int64
	Grade       float64
	Decision    Decision
}

// Learned is a "what we learned" note on an objective; a person keeps one
// per objective, and an empty note removes theirs.
type Learned struct {
	ObjectiveID int64
	Note        string
}

// Review is what one person submits for a cycle: the reviews of key
// results of it and notes on their objectives.
type Review struct {
	CycleID    int64
	KeyResults []KeyResultReview
	Learned    []Learned
}

// PrefillGrade is the grade a review form starts from for k at its
// effective state e: the progress of its effective value (its Start when
// it has none), rounded to one decimal, halves up (0.25 → 0.3, 0.849 →
// 0.8), so the grade the form shows is the progress the person saw.
func PrefillGrade(k KeyResult, e Effective) float64 {
	return RoundGrade(k.Progress(FinalValue(k, e)))
}

// RoundGrade rounds g to one decimal, halves up, inside [0, 1]. A
// progress a floating-point step short of a half (0.35 computed as
// 0.34999…) rounds as the half it stands for.
func RoundGrade(g float64) float64 {
	return clamp01(math.Floor(g*10+0.5+1e-9) / 10)
}

// FinalValue is k's effective value at e, its Start when no update gave
// one: the value a review grades and a carry-over starts from.
func FinalValue(k KeyResult, e Effective) float64 {
	if e.HasValue {
		return e.Value
	}
	return k.Start
}

// Validate checks a review as a person entered it: a cycle, at least one
// key result, each once, with a grade from 0 to 1 and a decision, and
// each objective's note once and at most MaxLearnedLen characters. It
// returns nil or a *ValidationError listing every problem, a key result's
// on its 1-based position in KeyResults and a note's on its position in
// Learned.
func (r Review) Validate() error {
	ps := problems{e: ValidationError{Subject: "review", ItemNoun: "entry"}}
	if r.CycleID == 0 {
		ps.e.Add(FieldCycle, 0, "Pick the cycle you review.")
	}
	if len(r.KeyResults) == 0 {
		ps.e.Add(FieldKeyResults, 0, "There is no key result to review.")
	}
	seen := map[int64]bool{}
	for i, k := range r.KeyResults {
		pos := i + 1
		if seen[k.KeyResultID] {
			ps.e.Add(FieldKeyResult, pos, "This key result is reviewed twice; review it once.")
		}
		seen[k.KeyResultID] = true
		if !finite(k.Grade) || k.Grade < 0 || k.Grade > 1 {
			ps.e.Add(FieldGrade, pos, "A grade is a number from 0.0 to 1.0, like 0.7.")
		}
		if !k.Decision.Valid() {
			ps.e.Add(FieldDecision, pos, "Pick what becomes of it: done, carry over or drop.")
		}
	}
	notes := map[int64]bool{}
	for i, l := range r.Learned {
		pos := i + 1
		if notes[l.ObjectiveID] {
			ps.e.Add(FieldLearned, pos, "This objective has two notes; write one.")
		}
		notes[l.ObjectiveID] = true
		if n := utf8.RuneCountInString(strings.TrimSpace(l.Note)); n > MaxLearnedLen {
			ps.e.Add(FieldLearned, pos, "That note is %d characters long; keep it to %d.", n, MaxLearnedLen)
		}
	}
	return ps.err()
}

// StoredReview is a key result's review as stored.
type StoredReview struct {
	KeyResultReview
	CycleID    int64
	ReviewedBy string
	ReviewedAt time.Time
}

// StoredLearned is a person's note on an objective as stored.
type StoredLearned struct {
	Learned
	Author    string
	WrittenAt time.Time
}

// CarriedOver is a key result carried over by a review: the original, and
// its continuation in the next cycle with that one's objective.
type CarriedOver struct {
	From, To    int64
	ObjectiveID int64
	CycleID     int64
}

// ReviewResult is what SubmitReview stored: the reviews, and each key
// result carried over, found again or created.
type ReviewResult struct {
	Reviews []StoredReview
	Carried []CarriedOver
}

// Carry is k, reviewed with its final value and carried over into the
// objective objective of the next cycle: its title, kind, target, unit,
// decimals, weight and owner stay; Start becomes the final value for the
// kinds that move (increase and decrease), while a threshold keeps its
// baseline and a milestone has none; CarriedFrom links it to k and its
// history.
func Carry(k KeyResult, final float64, objective int64) KeyResult {
	c := k
	c.ID, c.ObjectiveID, c.CarriedFrom = 0, objective, k.ID
	if k.Kind == IncreaseTo || k.Kind == DecreaseTo {
		c.Start = final
	}
	return c
}
