package peers

import (
	"errors"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/invalid"
)

// ErrInvalid matches every *ValidationError; it is models.ErrInvalid.
var ErrInvalid = invalid.ErrInvalid

// ErrNotFound is returned for an id that is not in the workspace; it is
// models.ErrNotFound.
var ErrNotFound = models.ErrNotFound

// ErrNotAllowed means a person tried to change what they may not: a
// network they neither own nor administer, a group they are not in,
// another person's participation.
var ErrNotAllowed = errors.New("not allowed")

// The fields a Problem names, as the forms' inputs will.
const (
	FieldKind        = "kind"
	FieldName        = "name"
	FieldChannel     = "channel"
	FieldChannelTZ   = "channel_tz"
	FieldMembership  = "membership"
	FieldCadence     = "cadence"
	FieldWeekday     = "weekday"
	FieldAnchor      = "anchor"
	FieldGroupSize   = "group_size"
	FieldTeamSource  = "team_source"
	FieldTermMonths  = "term_months"
	FieldSizes       = "sizes"
	FieldCapacity    = "capacity"
	FieldOwner       = "owner"
	FieldUser        = "user"
	FieldRound       = "round"
	FieldGroups      = "groups"
	FieldUnmatched   = "unmatched"
	FieldOutcome     = "outcome"
	FieldSession     = "session"
	FieldText        = "text"
	FieldTheme       = "theme"
	FieldPausedUntil = "paused_until"
)

// Problem is one thing wrong with a network or another value, in words a
// person can read; its Item is the 1-based position of the group (or
// person) in a list it is about, or 0 for the whole value.
type Problem = invalid.Problem

// ValidationError lists everything wrong with a value, so a form can show
// every problem at once, each on its field. It matches ErrInvalid with
// errors.Is.
type ValidationError = invalid.Error

// problems collects Problems and turns them into an error.
type problems struct{ e ValidationError }

// add records a problem on field about the item at position item (0 for
// none).
func (ps *problems) add(field string, item int, format string, args ...any) {
	ps.e.Add(field, item, format, args...)
}

// err is nil without problems, else a *ValidationError listing them.
func (ps *problems) err() error { return ps.e.Err() }

// refuse is a *ValidationError with one problem.
func refuse(field, format string, args ...any) error {
	var ps problems
	ps.add(field, 0, format, args...)
	return ps.err()
}
