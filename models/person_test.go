package models

import (
	"testing"

	"github.com/trellis-bot/trellis/models/calendar"
)

func TestPersonTimeZone(t *testing.T) {
	tests := []struct {
		p    Person
		want string
		loc  string
	}{
		{Person{SlackTZ: "Europe/London", TZOverride: "Asia/Tokyo"}, "Asia/Tokyo", "Asia/Tokyo"},
		{Person{SlackTZ: "Europe/London"}, "Europe/London", "Europe/London"},
		{Person{}, "UTC", "UTC"},
		{Person{TZOverride: "Mars/Olympus"}, "Mars/Olympus", "UTC"},
	}
	for _, tt := range tests {
		if got := tt.p.TimeZone(); got != tt.want {
			t.Errorf("TimeZone() = %q, want %q", got, tt.want)
		}
		if got := tt.p.Location().String(); got != tt.loc {
			t.Errorf("Location() = %q, want %q", got, tt.loc)
		}
	}
}

func TestPersonDefaults(t *testing.T) {
	ws := NewWorkspace("T1", "Acme")
	if ws.MinGroupSize != 5 || ws.DefaultHours != calendar.DefaultWorkingHours {
		t.Errorf("NewWorkspace = %+v, want group size 5 and the default hours", ws)
	}
	ws.HolidayRegion = "GB"
	own := calendar.WorkingHours{Days: calendar.MonFri, Start: 7 * 60, End: 15 * 60}
	tests := []struct {
		p          Person
		wantHours  calendar.WorkingHours
		wantRegion string
	}{
		{Person{}, calendar.DefaultWorkingHours, "GB"},
		{Person{Hours: &own, HolidayRegion: "DE-BY"}, own, "DE-BY"},
		{Person{HolidayRegion: "none"}, calendar.DefaultWorkingHours, "none"},
	}
	for _, tt := range tests {
		if got := tt.p.WorkingHoursIn(ws); got != tt.wantHours {
			t.Errorf("WorkingHoursIn = %v, want %v", got, tt.wantHours)
		}
		if got := tt.p.HolidayRegionIn(ws); got != tt.wantRegion {
			t.Errorf("HolidayRegionIn = %q, want %q", got, tt.wantRegion)
		}
	}
}

func TestAwayPeriodCovers(t *testing.T) {
	a := AwayPeriod{First: calendar.Date{Year: 2026, Month: 3, Day: 2}, Last: calendar.Date{Year: 2026, Month: 3, Day: 6}}
	for _, tt := range []struct {
		d    calendar.Date
		want bool
	}{
		{calendar.Date{Year: 2026, Month: 3, Day: 1}, false}, {calendar.Date{Year: 2026, Month: 3, Day: 2}, true}, {calendar.Date{Year: 2026, Month: 3, Day: 4}, true},
		{calendar.Date{Year: 2026, Month: 3, Day: 6}, true}, {calendar.Date{Year: 2026, Month: 3, Day: 7}, false},
	} {
		if got := a.Covers(tt.d); got != tt.want {
			t.Errorf("Covers(%v) = %v, want %v", tt.d, got, tt.want)
		}
	}
}
