package okrs

import (
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// date is a calendar date.
func date(y int, m time.Month, d int) calendar.Date { return calendar.Date{Year: y, Month: m, Day: d} }

// cycle is a cycle from start to end, both inclusive.
func cycle(start, end calendar.Date) okrs.Cycle {
	return okrs.Cycle{ID: 1, Name: "cycle", Start: start, End: end}
}

func TestShortCycle(t *testing.T) {
	tests := []struct {
		start, end calendar.Date
		want       bool
	}{
		{date(2027, 1, 1), date(2027, 1, 31), true},  // one month
		{date(2027, 1, 1), date(2027, 2, 28), true},  // exactly two months
		{date(2027, 1, 1), date(2027, 3, 1), false},  // a day more
		{date(2027, 1, 4), date(2027, 3, 3), true},   // two months from the 4th
		{date(2027, 1, 4), date(2027, 3, 4), false},  // and a day
		{date(2027, 3, 1), date(2027, 4, 25), true},  // eight weeks
		{date(2027, 1, 4), date(2027, 4, 25), false}, // sixteen weeks
		{date(2026, 12, 31), date(2027, 2, 27), true},
		{date(2026, 12, 31), date(2027, 2, 28), false}, // 31 Dec + 2 months is 28 Feb, so the last day is the 27th
		{date(2027, 1, 1), date(2027, 3, 31), false},   // a quarter
		{date(2027, 1, 1), date(2027, 4, 30), false},   // four months
	}
	for _, tt := range tests {
		c := cycle(tt.start, tt.end)
		if err := c.Validate(); err != nil {
			t.Fatalf("cycle %v–%v is not valid: %v", tt.start, tt.end, err)
		}
		if got := ShortCycle(c); got != tt.want {
			t.Errorf("ShortCycle(%v–%v) = %v, want %v", tt.start, tt.end, got, tt.want)
		}
	}
}

func TestWeeks(t *testing.T) {
	short := cycle(date(2027, 1, 1), date(2027, 2, 28))
	long := cycle(date(2027, 1, 1), date(2027, 3, 31))
	tests := []struct {
		name         string
		c            okrs.Cycle
		person, team string
		halved       bool
		want         int
	}{
		{"short cycle, defaults", short, "", "", false, 1},
		{"long cycle, defaults", long, "", "", false, 2},
		{"short cycle halved", short, "", "", true, 2},
		{"long cycle halved", long, "", "", true, 4},
		{"team weekly on a long cycle", long, "", SettingWeekly, false, 1},
		{"team every 2 weeks on a short cycle", short, "", SettingBiweekly, false, 2},
		{"team off", short, "", SettingOff, false, 0},
		{"team off, halved", short, "", SettingOff, true, 0},
		{"person beats team: weekly over off", long, SettingWeekly, SettingOff, false, 1},
		{"person beats team: every 2 weeks over weekly", short, SettingBiweekly, SettingWeekly, false, 2},
		{"person off beats team weekly", short, SettingOff, SettingWeekly, false, 0},
		{"person weekly, halved", long, SettingWeekly, "", true, 2},
		{"person every 2 weeks, halved", short, SettingBiweekly, "", true, 4},
		{"unknown setting counts as none", long, "hourly", "", false, 2},
		{"unknown person setting falls to the team's", long, "hourly", SettingWeekly, false, 1},
	}
	for _, tt := range tests {
		if got := Weeks(tt.c, tt.person, tt.team, tt.halved); got != tt.want {
			t.Errorf("%s: Weeks = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestCadenceFor: the text is one jobs/cadence reads, and its
// occurrences fall on the team's day at 10:00 local time, the interval
// apart that Weeks says, in a zone across a DST change.
func TestCadenceFor(t *testing.T) {
	short := cycle(date(2027, 3, 1), date(2027, 4, 25))
	long := cycle(date(2027, 1, 4), date(2027, 4, 25))
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		c            okrs.Cycle
		person, team string
		day          time.Weekday
		halved       bool
		want         string
		weeks        int
	}{
		{"short cycle", short, "", "", time.Tuesday, false, "every week on Tuesday at 10:00", 1},
		{"long cycle", long, "", "", time.Tuesday, false, "every 2 weeks on Tuesday at 10:00", 2},
		{"short cycle halved", short, "", "", time.Thursday, true, "every 2 weeks on Thursday at 10:00", 2},
		{"long cycle halved", long, "", "", time.Monday, true, "every 4 weeks on Monday at 10:00", 4},
		{"person weekly on a long cycle", long, SettingWeekly, "", time.Friday, false, "every week on Friday at 10:00", 1},
		{"team every 2 weeks", short, "", SettingBiweekly, time.Wednesday, false, "every 2 weeks on Wednesday at 10:00", 2},
		{"day out of range is Tuesday", short, "", "", time.Weekday(9), false, "every week on Tuesday at 10:00", 1},
		{"person off", short, SettingOff, SettingWeekly, time.Tuesday, false, "off", 0},
		{"team off", long, "", SettingOff, time.Tuesday, true, "off", 0},
	}
	for _, tt := range tests {
		got := CadenceFor(tt.c, tt.person, tt.team, tt.day, tt.halved)
		if got != tt.want {
			t.Errorf("%s: CadenceFor = %q, want %q", tt.name, got, tt.want)
			continue
		}
		if tt.weeks == 0 {
			continue
		}
		anchor := Anchor(tt.c, nil, berlin)
		cad, err := cadence.Parse(got, anchor)
		if err != nil {
			t.Errorf("%s: cadence.Parse(%q) = %v", tt.name, got, err)
			continue
		}
		day := tt.day
		if day > time.Saturday {
			day = DefaultWeekday
		}
		// Eight occurrences from the cycle's start, across the end of
		// March's change to summer time.
		at := tt.c.Start.In(berlin)
		var prev time.Time
		for i := range 8 {
			at = cad.Next(at, berlin)
			local := at.In(berlin)
			if local.Weekday() != day || local.Hour() != 10 || local.Minute() != 0 {
				t.Errorf("%s: occurrence %d at %v, want %v at 10:00", tt.name, i, local, day)
			}
			if i > 0 {
				gap := calendar.DateOf(local).In(time.UTC).Sub(calendar.DateOf(prev).In(time.UTC))
				if want := time.Duration(tt.weeks) * 7 * 24 * time.Hour; gap != want {
					t.Errorf("%s: occurrence %d is %v after the last, want %v", tt.name, i, gap, want)
				}
			}
			prev = local
		}
	}
}

// TestCadenceForParses: every combination of day, settings, cycle length
// and halving gives "off" or a cadence jobs/cadence reads, whose text
// names the day and 10:00.
func TestCadenceForParses(t *testing.T) {
	settings := []string{SettingDefault, SettingWeekly, SettingBiweekly, SettingOff}
	cycles := []okrs.Cycle{cycle(date(2027, 1, 1), date(2027, 1, 31)), cycle(date(2027, 1, 1), date(2027, 4, 30))}
	for day := time.Sunday; day <= time.Saturday; day++ {
		for _, c := range cycles {
			for _, person := range settings {
				for _, team := range settings {
					for _, halved := range []bool{false, true} {
						text := CadenceFor(c, person, team, day, halved)
						off := Weeks(c, person, team, halved) == 0
						if off != (text == SettingOff) {
							t.Errorf("CadenceFor(%s, %q, %q, halved %v) = %q, Weeks says off: %v", day, person, team, halved, text, off)
						}
						if off {
							continue
						}
						if _, err := cadence.Parse(text, Anchor(c, nil, time.UTC)); err != nil {
							t.Errorf("CadenceFor(%s, %q, %q, halved %v) = %q: %v", day, person, team, halved, text, err)
						}
						if !strings.Contains(text, " on "+day.String()+" at 10:00") {
							t.Errorf("CadenceFor(%s, …) = %q", day, text)
						}
					}
				}
			}
		}
	}
}

func TestAnchor(t *testing.T) {
	c := cycle(date(2027, 1, 4), date(2027, 4, 25))
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	late := time.Date(2027, 2, 9, 20, 0, 0, 0, time.UTC)   // already the 10th in Tokyo
	before := time.Date(2027, 1, 3, 16, 0, 0, 0, time.UTC) // the 4th in Tokyo, the 3rd in UTC
	tests := []struct {
		name string
		last *time.Time
		loc  *time.Location
		want calendar.Date
	}{
		{"no nudge yet: the cycle's second week", nil, tokyo, date(2027, 1, 11)},
		{"zero time counts as none", &time.Time{}, tokyo, date(2027, 1, 11)},
		{"the last nudge's local date", &late, tokyo, date(2027, 2, 10)},
		{"in UTC", &late, time.UTC, date(2027, 2, 9)},
		{"nil zone is UTC", &late, nil, date(2027, 2, 9)},
		{"a nudge of an earlier cycle counts as none", &before, time.UTC, date(2027, 1, 11)},
		{"a nudge on the cycle's first day counts", &before, tokyo, date(2027, 1, 4)},
	}
	for _, tt := range tests {
		if got := Anchor(c, tt.last, tt.loc); got != tt.want {
			t.Errorf("%s: Anchor = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseSetting(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"weekly", SettingWeekly, true},
		{"  Every   Week ", SettingWeekly, true},
		{"every 2 weeks", SettingBiweekly, true},
		{"biweekly", SettingBiweekly, true},
		{"every other week", SettingBiweekly, true},
		{"fortnightly", SettingBiweekly, true},
		{"OFF", SettingOff, true},
		{"default", SettingDefault, true},
		{"hourly", "", false},
		{"", "", false},
		{"every 3 weeks", "", false},
		{strings.Repeat("<!channel>", 50), "", false},
	}
	for _, tt := range tests {
		got, err := ParseSetting(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSetting(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil {
			msg := err.Error()
			for _, must := range []string{"weekly", "every 2 weeks", "off"} {
				if !strings.Contains(msg, must) {
					t.Errorf("ParseSetting(%q) error %q does not name %q", tt.in, msg, must)
				}
			}
			if strings.Contains(msg, "!channel") {
				t.Errorf("ParseSetting(%q) error %q repeats what was typed", tt.in, msg)
			}
			if len([]rune(msg)) > 200 {
				t.Errorf("ParseSetting(%q) error is %d characters long", tt.in, len([]rune(msg)))
			}
		}
		// Every setting it gives has words for a person and a cadence.
		if err == nil && SettingText(got) == "" {
			t.Errorf("SettingText(%q) is empty", got)
		}
	}
}
