package okrs

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid matches every *ValidationError. It is this package's own
// sentinel because models/okrs does not import the models root package; the
// store that comes with it will map it to models.ErrInvalid at its edge.
var ErrInvalid = errors.New("invalid")

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
)

// Problem is one thing wrong with a cycle, an objective, a key result or an
// update, in words a person can read.
type Problem struct {
	Field string // one of the Field constants
	// KeyResult is the 1-based position of the key result in its objective
	// the problem is about, or 0 when it is about the whole value.
	KeyResult int
	Message   string
}

// ValidationError lists everything wrong with a value, so a form can show
// every problem at once, each on its field. It matches ErrInvalid with
// errors.Is.
type ValidationError struct {
	Problems []Problem
}

// Error joins the problems into one line.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.KeyResult > 0 {
			parts[i] = fmt.Sprintf("%s (key result %d): %s", p.Field, p.KeyResult, p.Message)
		} else {
			parts[i] = p.Field + ": " + p.Message
		}
	}
	return "invalid: " + strings.Join(parts, "; ")
}

// Unwrap makes a ValidationError match ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// On returns the problems about field.
func (e *ValidationError) On(field string) []Problem {
	var out []Problem
	for _, p := range e.Problems {
		if p.Field == field {
			out = append(out, p)
		}
	}
	return out
}

// problems collects Problems and turns them into an error.
type problems struct{ list []Problem }

// add records a problem on field of the key result at position kr (0 for
// none).
func (ps *problems) add(field string, kr int, format string, args ...any) {
	ps.list = append(ps.list, Problem{Field: field, KeyResult: kr, Message: fmt.Sprintf(format, args...)})
}

// err is nil without problems, else a *ValidationError listing them.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps.list}
}
