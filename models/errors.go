package models

import "errors"

// ErrInvalid means a value was refused before reaching the database (an
// unknown time zone, an away period that ends before it starts, ...). The
// wrapped message says what, in words a person can read.
var ErrInvalid = errors.New("invalid")
