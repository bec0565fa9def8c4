package peers

import (
	"slices"
	"time"
)

// Interval is a span of time [Start, End), in absolute instants.
type Interval struct {
	Start, End time.Time
}

// Duration is how long the interval lasts; 0 for an empty one.
func (iv Interval) Duration() time.Duration {
	if !iv.End.After(iv.Start) {
		return 0
	}
	return iv.End.Sub(iv.Start)
}

// Candidate is one participant of a round as the matching sees them.
type Candidate struct {
	// ID is the person's Slack user id.
	ID string
	// Teams label the person's teams; two people sharing any label are on
	// the same team. Empty means unknown: never the same team as anyone.
	Teams []string
	// Windows are the person's working windows inside the round, one per
	// working day, in time order and not overlapping, with time off and
	// holidays already taken out by the caller.
	Windows []Interval
	// Paused is true when the person paused themselves (or the network
	// paused them) for the whole round.
	Paused bool
	// Away is true when the person is away for the whole round.
	Away bool
	// Avoid is the person's private "don't pair me with" list. It works
	// both ways and is never shown to anyone, nor revealed by a reason.
	Avoid []string
	// Priority is true when the person was left unmatched last round, or
	// could not meet their partner: they are matched first.
	Priority bool
}

// Met records that two people were in a group together in a round.
// Round counts up: a higher Round is more recent.
type Met struct {
	A, B  string
	Round int
}

// Overlap returns the spans in which both a and b are inside a window,
// in time order. Both inputs must be in time order and not overlapping.
func Overlap(a, b []Interval) []Interval {
	var out []Interval
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		start := a[i].Start
		if b[j].Start.After(start) {
			start = b[j].Start
		}
		end := a[i].End
		if b[j].End.Before(end) {
			end = b[j].End
		}
		if end.After(start) {
			out = append(out, Interval{Start: start, End: end})
		}
		if a[i].End.Before(b[j].End) {
			i++
		} else {
			j++
		}
	}
	return out
}

// SharedSpans returns the spans of at least min shared by every one of
// windows (each in time order, not overlapping).
func SharedSpans(min time.Duration, windows ...[]Interval) []Interval {
	if len(windows) == 0 {
		return nil
	}
	shared := windows[0]
	for _, w := range windows[1:] {
		shared = Overlap(shared, w)
	}
	return slices.DeleteFunc(slices.Clone(shared), func(iv Interval) bool { return iv.Duration() < min })
}
