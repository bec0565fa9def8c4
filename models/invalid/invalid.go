// Package invalid is how a value a person entered is refused: every
// problem at once, each on the field a form shows it next to, in words a
// person can read. Capabilities' own validation (check-ins, and any later
// one) builds its refusals here, so forms read them the same way. It
// imports nothing of Trellis, so a capability's pure domain can use it
// without the database.
package invalid

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is matched, with errors.Is, by every *Error; models.ErrInvalid
// is the same value.
var ErrInvalid = errors.New("invalid")

// Problem is one thing wrong with a value.
type Problem struct {
	// Field names the input the problem is about; each capability
	// declares its own field names.
	Field string
	// Item is the 1-based position, in a list the value holds (a
	// check-in's questions, an objective's key results), of the entry the
	// problem is about; 0 when it is about the value as a whole.
	Item    int
	Message string
}

// Error lists everything wrong with a value, so a form can show every
// problem at once. It matches ErrInvalid with errors.Is.
type Error struct {
	// Subject names the kind of value in Error's text ("check-in"); empty
	// for none.
	Subject string
	// ItemNoun names a list entry in Error's text ("question").
	ItemNoun string
	Problems []Problem
}

// Error joins the problems into one line: "invalid check-in: name: ...;
// questions (question 2): ...".
func (e *Error) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Item > 0 {
			parts[i] = fmt.Sprintf("%s (%s %d): %s", p.Field, e.ItemNoun, p.Item, p.Message)
		} else {
			parts[i] = p.Field + ": " + p.Message
		}
	}
	prefix := "invalid"
	if e.Subject != "" {
		prefix += " " + e.Subject
	}
	return prefix + ": " + strings.Join(parts, "; ")
}

// Unwrap makes an Error match ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// On returns the problems about field.
func (e *Error) On(field string) []Problem {
	var out []Problem
	for _, p := range e.Problems {
		if p.Field == field {
			out = append(out, p)
		}
	}
	return out
}

// Add records a problem on field, about the item at 1-based position item
// (0 for the value as a whole).
func (e *Error) Add(field string, item int, format string, args ...any) {
	e.Problems = append(e.Problems, Problem{Field: field, Item: item, Message: fmt.Sprintf(format, args...)})
}

// Err is nil when no problem was added, else e.
func (e *Error) Err() error {
	if len(e.Problems) == 0 {
		return nil
	}
	return e
}
