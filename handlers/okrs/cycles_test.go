package okrs

import (
	"slices"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// TestTeamCycles: for every team and every day, teamCycles gives the
// workspace's cycles and the team's own, never another team's, and a
// workspace cycle is left out exactly when it and one of the team's own
// both cover the day.
func TestTeamCycles(t *testing.T) {
	d := func(m, day int) calendar.Date { return calendar.Date{Year: 2027, Month: time.Month(m), Day: day} }
	cycles := []okrs.Cycle{
		{ID: 1, Name: "Q1", Start: d(1, 1), End: d(3, 31)},
		{ID: 2, Name: "Q2", Start: d(4, 1), End: d(6, 30)},
		{ID: 3, Name: "A sprint", Team: "C0A", Start: d(2, 1), End: d(2, 28)},
		{ID: 4, Name: "A later", Team: "C0A", Start: d(5, 1), End: d(5, 31)},
		{ID: 5, Name: "B plans", Team: "C0B", Start: d(1, 15), End: d(4, 15)},
	}
	covers := func(c okrs.Cycle, day calendar.Date) bool { return !day.Before(c.Start) && !c.End.Before(day) }
	for _, team := range []string{"", "C0A", "C0B", "C0C"} {
		for day := d(1, 1); !day.After(d(6, 30)); day = day.AddDays(1) {
			got := teamCycles(cycles, team, day)
			own := slices.ContainsFunc(cycles, func(c okrs.Cycle) bool { return team != "" && c.Team == team && covers(c, day) })
			for _, c := range cycles {
				want := c.Team == team && team != "" || c.Team == "" && !(own && covers(c, day))
				if in := slices.ContainsFunc(got, func(g okrs.Cycle) bool { return g.ID == c.ID }); in != want {
					t.Errorf("team %q on %s: cycle %q listed %v, want %v", team, day, c.Name, in, want)
				}
			}
		}
	}
}
