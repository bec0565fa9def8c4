package peers

import (
	"time"

	"github.com/trellis-bot/trellis/jobs/attention"
	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models/peers"
)

// WorkingWindows returns the person's working windows that start before to
// and end after from, clipped to [from, to), in time order: one per
// working day in their zone (a night shift's window runs past midnight),
// none on a holiday, a company holiday or a day of time off. now is when
// the question is asked: a Slack away status without an expiry takes
// today off, as it does for delivery (attention.Off).
//
// These are the spans the matching reads as a person's availability
// inside a round, computed by the same time rules that deliver messages,
// so a group formed on them can be sent to inside everyone's hours.
func WorkingWindows(rec attention.Recipient, from, to, now time.Time) []peers.Interval {
	loc, hours := rec.Loc(), rec.WorkingHours()
	off := attention.Off(rec, now)
	var out []peers.Interval
	at := from
	for at.Before(to) {
		start, ok, _ := cadence.DeliverAt(at, loc, hours, off)
		if !ok || !start.Before(to) {
			break
		}
		end, ok := cadence.WindowEnd(start, loc, hours, off)
		if !ok || !end.After(start) {
			break
		}
		if end.After(to) {
			end = to
		}
		out = append(out, peers.Interval{Start: start, End: end})
		at = end
	}
	return out
}
