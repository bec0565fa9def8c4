package cadence

import (
	"fmt"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

// Superseded applies rule 5 to an occurrence of c with the given nominal
// instant that DeliverAt placed at deliver. If the occurrence was deferred
// (deliver after nominal) and the next occurrence of c is nominally due
// before the end of the working window it was deferred into, the occurrence
// is superseded: a person is asked once, not twice. reason explains it.
func Superseded(c Cadence, nominal, deliver time.Time, loc *time.Location, hours calendar.WorkingHours, off OffFunc) (superseded bool, reason string) {
	if !deliver.After(nominal) {
		return false, ""
	}
	end, ok := WindowEnd(deliver, loc, hours, off)
	if !ok {
		return false, ""
	}
	next := c.Next(nominal, loc)
	if next.IsZero() || !next.Before(end) {
		return false, ""
	}
	const layout = "Mon 2 Jan 15:04 MST"
	return true, fmt.Sprintf("superseded: this was deferred to %s, and the next one (%s) is due before that working window closes at %s",
		deliver.In(loc).Format(layout), next.In(loc).Format(layout), end.In(loc).Format(layout))
}
