package peers

import "time"

// DefaultSlot is how long a suggested intro chat lasts.
const DefaultSlot = 30 * time.Minute

// SuggestTimes proposes up to n start times for a meeting of length slot
// (0 means DefaultSlot) inside shared, the spans a group shares (in time
// order, as in Group.Shared). Each start is on the hour or the half hour
// of its span's own clock (the location of the span's Start), and the
// whole slot fits inside the span.
//
// The times come in the order they should be offered: first the earliest
// start of each span, span by span (so any first k of them, up to the
// number of spans with room, fall on different spans, which are different
// days for one-window-a-day people), then the next start in each span,
// and so on.
func SuggestTimes(shared []Interval, n int, slot time.Duration) []time.Time {
	if n <= 0 {
		return nil
	}
	if slot <= 0 {
		slot = DefaultSlot
	}
	next := make([]time.Time, len(shared))
	for i, iv := range shared {
		next[i] = alignUp(iv.Start)
	}
	var out []time.Time
	for progress := true; progress && len(out) < n; {
		progress = false
		for i, iv := range shared {
			if len(out) == n {
				break
			}
			t := next[i]
			if t.Add(slot).After(iv.End) {
				continue
			}
			out = append(out, t)
			next[i] = alignUp(t.Add(slot))
			progress = true
		}
	}
	return out
}

// alignUp is the first instant at or after t on the hour or half hour of
// t's own clock (which matters in zones 45 minutes off the hour).
func alignUp(t time.Time) time.Time {
	off := time.Duration(t.Minute()%30)*time.Minute +
		time.Duration(t.Second())*time.Second +
		time.Duration(t.Nanosecond())
	if off == 0 {
		return t
	}
	return t.Add(30*time.Minute - off)
}
