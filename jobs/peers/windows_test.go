package peers

import (
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/attention"
	"github.com/trellis-bot/trellis/models/calendar"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestWorkingWindows(t *testing.T) {
	// Monday 4 January 2027, 00:00 UTC, for one week.
	from := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 7)
	berlin, tokyo := mustZone(t, "Europe/Berlin"), mustZone(t, "Asia/Tokyo")
	weekdays := calendar.MonFri

	t.Run("office hours in Berlin, one day away", func(t *testing.T) {
		rec := attention.Recipient{Location: berlin,
			Hours: calendar.WorkingHours{Days: weekdays, Start: calendar.TimeOfDay(9 * 60), End: calendar.TimeOfDay(17 * 60)},
			Away:  []attention.TimeOff{{First: calendar.Date{Year: 2027, Month: time.January, Day: 6}, Last: calendar.Date{Year: 2027, Month: time.January, Day: 6}}}}
		got := WorkingWindows(rec, from, to, from)
		if len(got) != 4 {
			t.Fatalf("got %d windows, want Mon, Tue, Thu, Fri: %v", len(got), got)
		}
		for _, w := range got {
			local := w.Start.In(berlin)
			if local.Hour() != 9 || w.Duration() != 8*time.Hour || local.Weekday() == time.Wednesday {
				t.Errorf("window %v (local %v) is not a Berlin 09:00-17:00 weekday other than Wednesday", w, local)
			}
		}
	})

	t.Run("a Tokyo night shift runs past midnight and is clipped at the edges", func(t *testing.T) {
		rec := attention.Recipient{Location: tokyo,
			Hours: calendar.WorkingHours{Days: weekdays, Start: calendar.TimeOfDay(22 * 60), End: calendar.TimeOfDay(6 * 60)}}
		got := WorkingWindows(rec, from, to, from)
		if len(got) == 0 {
			t.Fatal("no windows")
		}
		for i, w := range got {
			if w.Start.Before(from) || w.End.After(to) || !w.End.After(w.Start) {
				t.Errorf("window %v lies outside [%v, %v)", w, from, to)
			}
			if i > 0 && w.Start.Before(got[i-1].End) {
				t.Errorf("windows overlap or are out of order: %v then %v", got[i-1], w)
			}
			if mid := w.Start.Add(w.Duration() / 2).In(tokyo); mid.Hour() >= 6 && mid.Hour() < 22 {
				t.Errorf("window %v is not inside the 22:00-06:00 shift (middle at %v)", w, mid)
			}
		}
		// Friday's shift starts at 22:00 Tokyo on Fri 8 Jan and runs to
		// 06:00 Saturday; Monday's runs 22:00 Mon 4 Jan to Tue 06:00.
		if len(got) != 5 {
			t.Errorf("got %d windows, want 5 (Mon to Fri shifts): %v", len(got), got)
		}
	})
}
