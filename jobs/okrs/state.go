package okrs

import (
	"time"

	"github.com/trellis-bot/trellis/models/okrs"
)

// StateOf is the stored nudge state as the policy reads it; Stored is
// the reverse. They are the one place the two meet: models/okrs keeps
// the state (okrs.NudgeState), this package decides its transitions.
func StateOf(n okrs.NudgeState) State {
	s := State{Cadence: string(n.Cadence), IgnoredInRow: n.IgnoredInRow, Halved: n.Halved, ToldHalved: n.ToldHalved}
	if !n.LastNudgedAt.IsZero() {
		at := n.LastNudgedAt.UTC()
		s.LastNudgedAt = &at
	}
	return s
}

// Stored is s as models/okrs stores it (see StateOf).
func (s State) Stored() okrs.NudgeState {
	n := okrs.NudgeState{Cadence: okrs.NudgeCadence(s.Cadence), IgnoredInRow: s.IgnoredInRow, Halved: s.Halved, ToldHalved: s.ToldHalved}
	if s.LastNudgedAt != nil {
		n.LastNudgedAt = s.LastNudgedAt.UTC()
	}
	return n
}

// sameInstant reports whether two optional instants are equal.
func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}
