package okrs

import "github.com/trellis-bot/trellis/models/invalid"

// ErrInvalid matches every *ValidationError; it is models.ErrInvalid.
var ErrInvalid = invalid.ErrInvalid

// The fields a Problem names, as the forms' inputs will.
const (
	FieldName        = "name"
	FieldStart       = "start"
	FieldEnd         = "end"
	FieldReviewGrace = "review_grace"
	FieldTitle       = "title"
	FieldOwner       = "owner"
	FieldTeam        = "team"
	FieldVisibility  = "visibility"
	FieldParents     = "parents"
	FieldKeyResults  = "key_results"
	FieldKind        = "kind"
	FieldTarget      = "target"
	FieldUnit        = "unit"
	FieldDecimals    = "decimals"
	FieldWeight      = "weight"
	FieldValue       = "value"
	FieldConfidence  = "confidence"
	FieldNote        = "note"
	FieldCorrects    = "corrects"
	FieldCycle       = "cycle"
	FieldKeyResult   = "key_result"
	FieldCycleMonths = "cycle_months"
	FieldCadence     = "nudge_cadence"
	FieldWeekday     = "nudge_weekday"
)

// Problem is one thing wrong with a cycle, an objective, a key result or an
// update, in words a person can read; its Item is the 1-based position of
// the key result in its objective it is about, or 0 for the whole value.
type Problem = invalid.Problem

// ValidationError lists everything wrong with a value, so a form can show
// every problem at once, each on its field. It matches ErrInvalid with
// errors.Is.
type ValidationError = invalid.Error

// problems collects Problems and turns them into an error.
type problems struct{ e ValidationError }

// add records a problem on field of the key result at position kr (0 for
// none).
func (ps *problems) add(field string, kr int, format string, args ...any) {
	ps.e.ItemNoun = "key result"
	ps.e.Add(field, kr, format, args...)
}

// err is nil without problems, else a *ValidationError listing them.
func (ps *problems) err() error { return ps.e.Err() }
