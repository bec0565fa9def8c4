package okrs

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of an objective and its key results.
const (
	// MaxTitleLen is the longest title of an objective or a key result, in
	// characters.
	MaxTitleLen = 150
	// MaxKeyResults is how many key results one objective has at most.
	MaxKeyResults = 5
	// MaxParents is how many objectives or key results one objective
	// aligns to at most.
	MaxParents = 3
	// MaxDecimals is the most decimals a key result's values show.
	MaxDecimals = 4
	// MaxUnitLen is the longest unit ("%", "customers", "ms"), in
	// characters.
	MaxUnitLen = 20
	// MaxWeight is the largest weight of a key result.
	MaxWeight = 100
)

// Visibility says who sees an objective.
type Visibility string

// The visibilities of an objective.
const (
	// VisibleWorkspace, the default (also meant by ""), shows the objective
	// to the whole workspace.
	VisibleWorkspace Visibility = "workspace"
	// VisibleTeam limits the objective to the members of its team's
	// channel; it needs a Team.
	VisibleTeam Visibility = "team"
)

// RefKind says what a Ref points at.
type RefKind string

// The kinds of Ref.
const (
	RefObjective RefKind = "objective"
	RefKeyResult RefKind = "key_result"
)

// Ref points at an objective or a key result an objective aligns to.
type Ref struct {
	Kind RefKind
	ID   int64
}

// Objective is a qualitative outcome someone owns in a cycle, measured by its
// key results and aligned to up to MaxParents objectives or key results.
type Objective struct {
	ID      int64
	CycleID int64
	Title   string
	Owner   string // the owner's Slack user id
	// Team is the channel of the team the objective belongs to, or "".
	Team       string
	Visibility Visibility
	Parents    []Ref
	KeyResults []KeyResult
	// ClosedAt is when the objective was closed (done with, kept for its
	// history), or zero while it is open.
	ClosedAt time.Time
}

// Kind is how a key result's value turns into progress.
type Kind string

// The kinds of key result.
const (
	// IncreaseTo moves from Start up to Target (Target > Start).
	IncreaseTo Kind = "increase_to"
	// DecreaseTo moves from Start down to Target (Target < Start).
	DecreaseTo Kind = "decrease_to"
	// StayAtOrAbove is met while the value is at least Target.
	StayAtOrAbove Kind = "stay_at_or_above"
	// StayAtOrBelow is met while the value is at most Target.
	StayAtOrBelow Kind = "stay_at_or_below"
	// Milestone is done (value 1) or not done (value 0); Start, Target,
	// Unit and Decimals do not apply.
	Milestone Kind = "milestone"
)

// KeyResult is a measurable result of an objective, with its own owner.
type KeyResult struct {
	ID          int64
	ObjectiveID int64
	Owner       string // the owner's Slack user id; may differ from the objective's
	Title       string
	Kind        Kind
	// Start is the value when the key result was set (the baseline of a
	// threshold); Target the value it aims for.
	Start, Target float64
	Unit          string
	// Decimals is how many decimals its values show, 0 to MaxDecimals.
	Decimals int
	// Weight is the key result's share in its objective's progress; nil
	// means 1.
	Weight *float64
	// CarriedFrom is the key result of an earlier cycle this one continues
	// (carried over in its review), or 0.
	CarriedFrom int64
}

// EffectiveWeight is the key result's weight, 1 when none is set.
func (k KeyResult) EffectiveWeight() float64 {
	if k.Weight == nil {
		return 1
	}
	return *k.Weight
}

// Validate checks an objective and its key results: title, owner, team and
// visibility, the number of parents and of key results, and each key result.
// Whether the parents exist and may be aligned to is CheckAlignment's. It
// returns nil or a *ValidationError listing every problem.
func (o Objective) Validate() error {
	var ps problems
	title(&ps, 0, o.Title, "“Make onboarding effortless”")
	if strings.TrimSpace(o.Owner) == "" {
		ps.add(FieldOwner, 0, "Pick who owns the objective.")
	}
	switch o.Visibility {
	case "", VisibleWorkspace:
	case VisibleTeam:
		if o.Team == "" {
			ps.add(FieldTeam, 0, "Pick the team's channel, or show the objective to the whole workspace.")
		}
	default:
		ps.add(FieldVisibility, 0, "Show the objective to the whole workspace or only to its team's channel.")
	}
	if n := len(o.Parents); n > MaxParents {
		ps.add(FieldParents, 0, "An objective aligns to at most %d objectives or key results; remove %d.", MaxParents, n-MaxParents)
	}
	if n := len(o.KeyResults); n > MaxKeyResults {
		ps.add(FieldKeyResults, 0, "There are %d key results; an objective has at most %d, so it stays focused. Remove %d.",
			n, MaxKeyResults, n-MaxKeyResults)
	}
	for i, k := range o.KeyResults {
		k.problems(&ps, i+1)
	}
	return ps.err()
}

// Validate checks one key result alone (kr 0 in its problems). It returns
// nil or a *ValidationError listing every problem.
func (k KeyResult) Validate() error {
	var ps problems
	k.problems(&ps, 0)
	return ps.err()
}

// problems adds what is wrong with k, at position pos of its objective.
func (k KeyResult) problems(ps *problems, pos int) {
	title(ps, pos, k.Title, "“Weekly active teams from 40 to 60”")
	if strings.TrimSpace(k.Owner) == "" {
		ps.add(FieldOwner, pos, "Pick who owns the key result.")
	}
	if w := k.Weight; w != nil && (!finite(*w) || *w < 0 || *w > MaxWeight) {
		ps.add(FieldWeight, pos, "A weight is a number from 0 to %d; leave it empty for 1.", MaxWeight)
	}
	switch k.Kind {
	case Milestone:
		return
	case IncreaseTo, DecreaseTo, StayAtOrAbove, StayAtOrBelow:
	default:
		ps.add(FieldKind, pos, "Pick how the key result is measured: increase to, decrease to, stay at or above, stay at or below, or a milestone.")
		return
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(k.Unit)); n > MaxUnitLen {
		ps.add(FieldUnit, pos, "That unit is %d characters long; keep it to %d, like “%%” or “customers”.", n, MaxUnitLen)
	}
	if k.Decimals < 0 || k.Decimals > MaxDecimals {
		ps.add(FieldDecimals, pos, "Show between 0 and %d decimals.", MaxDecimals)
	}
	if !finite(k.Start) {
		ps.add(FieldStart, pos, "The start is a number, like 40.")
	}
	if !finite(k.Target) {
		ps.add(FieldTarget, pos, "The target is a number, like 60.")
		return
	}
	if !finite(k.Start) {
		return
	}
	switch {
	case k.Kind == IncreaseTo && k.Target == k.Start, k.Kind == DecreaseTo && k.Target == k.Start:
		ps.add(FieldTarget, pos, "The target equals the start, so there is nothing to move. Pick a different target, or make it “stay at or above”.")
	case k.Kind == IncreaseTo && k.Target < k.Start:
		ps.add(FieldTarget, pos, "To increase, the target is above the start (%s). To go down, make it “decrease to”.", format(k.Start, k.Decimals))
	case k.Kind == DecreaseTo && k.Target > k.Start:
		ps.add(FieldTarget, pos, "To decrease, the target is below the start (%s). To go up, make it “increase to”.", format(k.Start, k.Decimals))
	}
}

// title adds a problem when s is not a one-line title of 1 to MaxTitleLen
// characters; example is a good one.
func title(ps *problems, pos int, s, example string) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		ps.add(FieldTitle, pos, "Give it a title, like %s.", example)
	case n > MaxTitleLen:
		ps.add(FieldTitle, pos, "That title is %d characters long; keep it to %d.", n, MaxTitleLen)
	case strings.ContainsAny(s, "\r\n"):
		ps.add(FieldTitle, pos, "A title fits on one line.")
	}
}

// finite reports whether f is a number (not NaN or infinite).
func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
