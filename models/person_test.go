package models

import (
	"testing"
	"time"
)

func TestStatusAway(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	later := now.Add(48 * time.Hour)
	tests := []struct {
		name      string
		s         Status
		wantAway  bool
		wantUntil time.Time
	}{
		{"palm tree shortcode", Status{Emoji: ":palm_tree:"}, true, time.Time{}},
		{"palm tree character", Status{Emoji: "🌴"}, true, time.Time{}},
		{"airplane with variation selector", Status{Emoji: "✈️"}, true, time.Time{}},
		{"skin tone", Status{Emoji: ":baby::skin-tone-3:"}, true, time.Time{}},
		{"upper case", Status{Emoji: ":Palm_Tree:"}, true, time.Time{}},
		{"palm tree until later", Status{Emoji: ":palm_tree:", Expiration: later}, true, later},
		{"OOO text", Status{Text: "OOO until Monday"}, true, time.Time{}},
		{"out of office", Status{Text: "Out of the office", Emoji: ":calendar:"}, true, time.Time{}},
		{"parental leave", Status{Text: "On parental leave"}, true, time.Time{}},
		{"pto", Status{Text: "PTO"}, true, time.Time{}},
		{"sick", Status{Text: "off sick", Emoji: ":face_with_thermometer:"}, true, time.Time{}},
		{"expired", Status{Text: "On vacation", Emoji: ":palm_tree:", Expiration: now.Add(-time.Minute)}, false, time.Time{}},
		{"expires now", Status{Emoji: ":palm_tree:", Expiration: now}, false, time.Time{}},
		{"meeting", Status{Text: "In a meeting", Emoji: ":spiral_calendar_pad:", Expiration: later}, false, time.Time{}},
		{"commuting", Status{Text: "Commuting", Emoji: ":bus:"}, false, time.Time{}},
		{"word inside another", Status{Text: "Woooo shipping day"}, false, time.Time{}},
		{"holiday party", Status{Text: "Holiday party planning"}, false, time.Time{}},
		{"sick of meetings", Status{Text: "sick of meetings"}, false, time.Time{}},
		{"on holiday", Status{Text: "On holiday until the 4th"}, true, time.Time{}},
		{"back on track", Status{Text: "Back on track"}, false, time.Time{}},
		{"sick day", Status{Text: "Sick day"}, true, time.Time{}},
		{"empty", Status{}, false, time.Time{}},
	}
	for _, tt := range tests {
		away, until := StatusAway(tt.s, now)
		if away != tt.wantAway || !until.Equal(tt.wantUntil) {
			t.Errorf("%s: StatusAway(%+v) = %v, %v; want %v, %v", tt.name, tt.s, away, until, tt.wantAway, tt.wantUntil)
		}
	}
}

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
	if ws.MinGroupSize != 5 || ws.DefaultHours != DefaultWorkingHours {
		t.Errorf("NewWorkspace = %+v, want group size 5 and the default hours", ws)
	}
	ws.HolidayRegion = "GB"
	own := WorkingHours{Days: MonFri, Start: 7 * 60, End: 15 * 60}
	tests := []struct {
		p          Person
		wantHours  WorkingHours
		wantRegion string
	}{
		{Person{}, DefaultWorkingHours, "GB"},
		{Person{Hours: &own, HolidayRegion: "DE-BY"}, own, "DE-BY"},
		{Person{HolidayRegion: "none"}, DefaultWorkingHours, "none"},
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
	a := AwayPeriod{First: Date{2026, 3, 2}, Last: Date{2026, 3, 6}}
	for _, tt := range []struct {
		d    Date
		want bool
	}{
		{Date{2026, 3, 1}, false}, {Date{2026, 3, 2}, true}, {Date{2026, 3, 4}, true},
		{Date{2026, 3, 6}, true}, {Date{2026, 3, 7}, false},
	} {
		if got := a.Covers(tt.d); got != tt.want {
			t.Errorf("Covers(%v) = %v, want %v", tt.d, got, tt.want)
		}
	}
}

func TestLoadLocationCaches(t *testing.T) {
	a, err := LoadLocation("Asia/Kathmandu")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := LoadLocation("Asia/Kathmandu")
	if a != b {
		t.Error("LoadLocation loaded the same zone twice")
	}
	if _, off := time.Date(2026, 1, 1, 0, 0, 0, 0, a).Zone(); off != 5*3600+45*60 {
		t.Errorf("Asia/Kathmandu offset = %d, want +05:45", off)
	}
	if _, err := LoadLocation("Mars/Olympus"); err == nil {
		t.Error("LoadLocation accepted an unknown zone")
	}
}
