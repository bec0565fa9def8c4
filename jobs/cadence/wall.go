package cadence

import (
	"time"
	_ "time/tzdata" // cadences are evaluated in recipients' zones, whatever the host has

	"github.com/trellis-bot/trellis/models/calendar"
)

// LocalInstant turns the wall-clock time t on date d in loc into an instant,
// applying the time rules explicitly rather than relying on time.Date, whose
// documentation says that for a time that is skipped or repeated it "returns
// a time that is correct in one of the two zones involved in the transition,
// but it does not guarantee which":
//
//   - rule 1: a wall time inside a spring-forward gap resolves to the first
//     instant after the gap (the transition instant);
//   - rule 2: a wall time that occurs twice resolves to its first occurrence.
func LocalInstant(d calendar.Date, t calendar.TimeOfDay, loc *time.Location) time.Time {
	// wall is the wall time read as if it were UTC; an instant u shows this
	// wall time in loc exactly when u + offset(u) == wall.
	wall := time.Date(d.Year, d.Month, d.Day, int(t)/60, int(t)%60, 0, 0, time.UTC).Unix()

	// Every offset that can map to wall lies in the zone periods overlapping
	// [wall-26h, wall+26h] (offsets are within -12h..+14h). Walk them.
	const span = 26 * 3600
	type period struct {
		start  int64 // first instant of the period (or lower bound of the walk)
		offset int64
	}
	var periods []period
	u := time.Unix(wall-span, 0).In(loc)
	for {
		_, off := u.Zone()
		periods = append(periods, period{start: u.Unix(), offset: int64(off)})
		_, end := u.ZoneBounds()
		if end.IsZero() || end.Unix() > wall+span {
			break
		}
		u = end.In(loc)
	}

	// Rule 2: the earliest instant whose wall time matches.
	for i, p := range periods {
		c := wall - p.offset
		if c < p.start && i > 0 {
			continue
		}
		if i+1 < len(periods) && c >= periods[i+1].start {
			continue
		}
		return time.Unix(c, 0).In(loc)
	}

	// Rule 1: no instant shows this wall time, so it is in a gap. Find the
	// transition where the wall clock jumps from before it to after it.
	for i := 1; i < len(periods); i++ {
		tr := periods[i].start
		if tr+periods[i-1].offset <= wall && tr+periods[i].offset > wall {
			return time.Unix(tr, 0).In(loc)
		}
	}
	// Unreachable for real zone data; fall back to Go's own choice.
	return time.Date(d.Year, d.Month, d.Day, int(t)/60, int(t)%60, 0, 0, loc)
}
