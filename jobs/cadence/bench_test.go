package cadence

import (
	"testing"
	"time"
)

// The planner calls Next and DeliverAt for every due occurrence, so their
// cost matters; a minute-level cron is the worst case for Next.

func BenchmarkNextEveryMinute(b *testing.B) {
	c, loc := mustParse(b, "* * * * *"), mustLoc(b, "America/New_York")
	after := time.Date(2026, 6, 1, 23, 59, 0, 0, time.UTC)
	for b.Loop() {
		c.Next(after, loc)
	}
}

func BenchmarkNextWeekdays(b *testing.B) {
	c, loc := mustParse(b, "weekdays at 09:30"), mustLoc(b, "America/New_York")
	after := time.Date(2026, 6, 5, 23, 59, 0, 0, time.UTC)
	for b.Loop() {
		c.Next(after, loc)
	}
}

func BenchmarkDeliverAt(b *testing.B) {
	loc, h := mustLoc(b, "America/New_York"), mustHours(b, "mon-fri 09:00-17:30")
	nominal := time.Date(2026, 6, 6, 13, 0, 0, 0, time.UTC) // a Saturday
	for b.Loop() {
		DeliverAt(nominal, loc, h, nil)
	}
}
