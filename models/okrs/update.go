package okrs

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxNoteLen is the longest note of an update, in characters.
const MaxNoteLen = 2000

// Confidence is how sure the owner is that a key result will be reached.
type Confidence string

// The confidences of an update; "" is none given.
const (
	OnTrack  Confidence = "on_track"
	AtRisk   Confidence = "at_risk"
	OffTrack Confidence = "off_track"
)

// Update is one check-in on a key result. Updates are only ever appended: a
// correction is a new Update whose Corrects names the entry it fixes.
type Update struct {
	ID          int64
	KeyResultID int64
	Author      string // the Slack user id of who wrote it
	At          time.Time
	Value       float64
	Confidence  Confidence
	Note        string
	// Corrects is the ID of the earlier entry this one corrects, or 0.
	Corrects int64
	// NoChange marks an update that carries the previous value and
	// confidence forward; its own Value and Confidence are not read.
	NoChange bool
	// Source is where the update was entered.
	Source Source
}

// Source is where an update was entered.
type Source string

// The sources of an update.
const (
	// SourceForm is the update form (the command, a button, the Home tab).
	SourceForm Source = "form"
	// SourceNudge is the form a nudge opened.
	SourceNudge Source = "nudge"
	// SourceCheckin is a check-in's answer form asking about key results.
	SourceCheckin Source = "checkin"
	// SourceCarryOver is the first entry of a key result carried over from
	// an earlier cycle.
	SourceCarryOver Source = "carry_over"
)

// Valid reports whether s is one of the sources above.
func (s Source) Valid() bool {
	switch s {
	case SourceForm, SourceNudge, SourceCheckin, SourceCarryOver:
		return true
	}
	return false
}

// Validate checks what a person enters in an update: a finite value and a
// confidence unless it is "no change", a note of at most MaxNoteLen
// characters, and that a correction is not also "no change". It returns nil
// or a *ValidationError listing every problem.
func (u Update) Validate() error {
	var ps problems
	if !u.NoChange {
		if !finite(u.Value) {
			ps.add(FieldValue, 0, "The value is a number, like 42 or 3.5.")
		}
		switch u.Confidence {
		case OnTrack, AtRisk, OffTrack:
		default:
			ps.add(FieldConfidence, 0, "Say how it's going: on track, at risk or off track.")
		}
	} else if u.Corrects != 0 {
		ps.add(FieldCorrects, 0, "A correction gives the right value; “no change” has none to give.")
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(u.Note)); n > MaxNoteLen {
		ps.add(FieldNote, 0, "That note is %d characters long; keep it to %d.", n, MaxNoteLen)
	}
	return ps.err()
}

// Effective is a key result's state read from its history by Current.
type Effective struct {
	// HasValue is false when no entry gave a value: no updates, or only
	// "no change" with nothing before it. The key result is then at its
	// Start.
	HasValue   bool
	Value      float64
	Confidence Confidence
	// Note is the last update's note, as corrected.
	Note string
	// Updates counts the check-ins: every entry but corrections, "no
	// change" included.
	Updates int
	// LastID and LastAt are the last check-in's (not a correction's: fixing
	// a number is not checking in).
	LastID int64
	LastAt time.Time
}

// Current reads history, a key result's updates in the order they were
// appended, into its effective state. A correction replaces the value,
// confidence and note of the entry it corrects (a later correction of the
// same entry, or of a correction of it, wins); "no change" takes the value
// and confidence of the entry before it as corrected, so a correction flows
// through the "no change" entries that follow it. The corrected entries are
// not removed from history: this reads it, it changes nothing.
//
// It returns an error when history is not one key result's append-only
// list: an ID seen twice, entries of different key results, or a correction
// of an entry that is not before it.
func Current(history []Update) (Effective, error) {
	pos := make(map[int64]int, len(history)) // entry ID → index in history
	// effective[i] is the entry a check-in at index i reads as, after
	// corrections; root[i] the check-in a correction at i ends up fixing.
	effective := make(map[int]Update)
	root := make(map[int]int)
	var checkins []int
	for i, u := range history {
		if _, dup := pos[u.ID]; dup {
			return Effective{}, fmt.Errorf("history: entry %d appears twice", u.ID)
		}
		pos[u.ID] = i
		if u.KeyResultID != history[0].KeyResultID {
			return Effective{}, fmt.Errorf("history: entry %d is of key result %d, not %d", u.ID, u.KeyResultID, history[0].KeyResultID)
		}
		if u.Corrects == 0 {
			checkins = append(checkins, i)
			effective[i] = u
			continue
		}
		j, ok := pos[u.Corrects]
		if !ok || j >= i {
			return Effective{}, fmt.Errorf("history: entry %d corrects %d, which is not before it", u.ID, u.Corrects)
		}
		if r, isCorrection := root[j]; isCorrection {
			j = r
		}
		root[i] = j
		fixed := effective[j]
		fixed.Value, fixed.Confidence, fixed.Note, fixed.NoChange = u.Value, u.Confidence, u.Note, false
		effective[j] = fixed
	}

	var cur Effective
	for _, i := range checkins {
		e := effective[i]
		if !e.NoChange {
			cur.HasValue, cur.Value, cur.Confidence = true, e.Value, e.Confidence
		}
		cur.Note = e.Note
		cur.Updates++
		cur.LastID, cur.LastAt = e.ID, e.At
	}
	return cur, nil
}
