package cadence

import (
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

// Status is how the time rules settle an occurrence. Budget, pauses and
// downtime (rule 6) are decided by the planner, not here.
type Status string

// Statuses the time rules can give.
const (
	StatusDelivered  Status = "delivered"  // delivered at its nominal instant
	StatusDeferred   Status = "deferred"   // delivered later, in the next working window
	StatusSuperseded Status = "superseded" // deferred, but the next occurrence is due in the same window
	StatusSkipped    Status = "skipped"    // no working window within WindowHorizonDays
)

// Occurrence is one nominal occurrence of a cadence and what the time rules
// make of it. DeliverAt is zero unless Status is delivered or deferred.
type Occurrence struct {
	Nominal   time.Time
	DeliverAt time.Time
	Status    Status
	Reason    string
}

// Plan applies rules 3 to 5 to the occurrence of c at nominal.
func Plan(c Cadence, nominal time.Time, loc *time.Location, hours calendar.WorkingHours, off OffFunc) Occurrence {
	o := Occurrence{Nominal: nominal.In(loc)}
	at, ok, reason := DeliverAt(nominal, loc, hours, off)
	switch {
	case !ok:
		o.Status, o.Reason = StatusSkipped, reason
	case at.Equal(nominal):
		o.Status, o.DeliverAt = StatusDelivered, at
	default:
		if sup, why := Superseded(c, nominal, at, loc, hours, off); sup {
			o.Status, o.Reason = StatusSuperseded, why
			break
		}
		o.Status, o.DeliverAt, o.Reason = StatusDeferred, at, reason
	}
	return o
}

// Between lists the occurrences of c whose nominal instants lie in
// [from, to), in order, each settled by Plan. It is what a schedule preview
// shows.
func Between(c Cadence, from, to time.Time, loc *time.Location, hours calendar.WorkingHours, off OffFunc) []Occurrence {
	var out []Occurrence
	for n := c.Next(from.Add(-time.Nanosecond), loc); !n.IsZero() && n.Before(to); n = c.Next(n, loc) {
		out = append(out, Plan(c, n, loc, hours, off))
	}
	return out
}
