package peers

import (
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

// Participant is one person in a network.
type Participant struct {
	NetworkID int64
	User      string
	// Chosen is true when the person was added by name to a chosen
	// network, false when they came with the channel.
	Chosen bool
	// Left is true when the person left themselves: the channel's sync
	// does not add them back; they rejoin with Join.
	Left     bool
	JoinedAt time.Time
	// PausedUntil is the last day of a pause the person set themselves
	// (zero: none); Paused is a pause until they resume.
	PausedUntil calendar.Date
	Paused      bool
	// Priority is true when the person was left unmatched last round, or
	// could not meet their group: they are matched first.
	Priority bool
	// IgnoredRounds counts the rounds in a row whose follow-up the person
	// did not answer.
	IgnoredRounds int
	// Skills is the canonical text of the person's skills (learning).
	Skills string
	// Capacity is how many learners the person takes at a time; 0 means
	// the network's.
	Capacity int
}

// PausedOn reports whether the person is paused on day (a date in the
// network's zone): paused until they resume, or through PausedUntil.
func (p Participant) PausedOn(day calendar.Date) bool {
	return p.Paused || (!p.PausedUntil.IsZero() && !day.After(p.PausedUntil))
}

// Active reports whether the person takes part on day: in the network,
// not left and not paused.
func (p Participant) Active(day calendar.Date) bool { return !p.Left && !p.PausedOn(day) }

// MemberOf is a network a person is in (or left), with their
// participation.
type MemberOf struct {
	Network     Network
	Participant Participant
}

// Synced says what a channel sync changed.
type Synced struct {
	// Added are the channel members who joined the network; Removed
	// those no longer in the channel who left it with the sync.
	Added, Removed []string
}
