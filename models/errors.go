package models

import (
	"errors"

	"github.com/trellis-bot/trellis/models/invalid"
)

// Errors the stores return for callers to branch on.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// ErrInvalid means a value was refused before reaching the database (an
// unknown time zone, an away period that ends before it starts, ...). The
// wrapped message says what, in words a person can read. It is
// invalid.ErrInvalid, which a capability's validation errors match.
var ErrInvalid = invalid.ErrInvalid

// ErrDuplicate means the very same record is already stored (the same time
// off, the same company holiday): nothing changed, and the caller can say
// so truthfully. The stored record is returned alongside where there is one.
var ErrDuplicate = errors.New("already recorded")
