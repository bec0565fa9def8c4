package peers

import (
	"math/rand"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

func date(y int, m time.Month, d int) calendar.Date { return calendar.Date{Year: y, Month: m, Day: d} }

func TestAnchorIsTheFirstWeekdayOnOrAfter(t *testing.T) {
	for i := 0; i < 400; i++ {
		created := date(2027, 1, 1).AddDays(i)
		for wd := time.Sunday; wd <= time.Saturday; wd++ {
			a := Anchor(created, wd)
			if a.Weekday() != wd || a.Before(created) || !a.Before(created.AddDays(7)) {
				t.Fatalf("Anchor(%s, %s) = %s", created, wd, a)
			}
		}
	}
}

// Every day from the anchor on falls in exactly one round, and rounds
// follow each other without gaps.
func TestRoundsTileTheDays(t *testing.T) {
	anchor := date(2027, 3, 1)
	for _, period := range []int{7, 14, 28} {
		for i := 0; i < 800; i++ {
			day := anchor.AddDays(i)
			n, ok := RoundOn(anchor, period, day)
			if !ok {
				t.Fatalf("RoundOn(%s) not ok", day)
			}
			if start, last := RoundStart(anchor, period, n), RoundLast(anchor, period, n); day.Before(start) || day.After(last) {
				t.Fatalf("period %d: %s is in round %d, which runs %s..%s", period, day, n, start, last)
			}
			if RoundLast(anchor, period, n).AddDays(1) != RoundStart(anchor, period, n+1) {
				t.Fatalf("period %d: round %d and the next leave a gap", period, n)
			}
		}
		if _, ok := RoundOn(anchor, period, anchor.AddDays(-1)); ok {
			t.Fatalf("a day before the anchor is in a round")
		}
	}
}

func TestTermsTileTheDays(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for trial := 0; trial < 200; trial++ {
		anchor := date(2026, 1, 1).AddDays(r.Intn(800))
		months := 1 + r.Intn(12)
		for i := 0; i < 900; i += 1 + r.Intn(5) {
			day := anchor.AddDays(i)
			k, ok := TermOn(anchor, months, day)
			if !ok || day.Before(TermStart(anchor, months, k)) || !day.Before(TermStart(anchor, months, k+1)) {
				t.Fatalf("anchor %s, %d months: %s is in term %d (%v), which runs %s..%s", anchor, months, day, k, ok,
					TermStart(anchor, months, k), TermStart(anchor, months, k+1))
			}
		}
	}
	if got := TermStart(date(2027, 1, 31), 1, 1); got != date(2027, 2, 28) {
		t.Fatalf("a month after 31 January is %s, want 28 February", got)
	}
}
