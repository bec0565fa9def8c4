package cadence

import (
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

func mustHours(t testing.TB, s string) calendar.WorkingHours {
	t.Helper()
	h, err := calendar.ParseWorkingHours(s)
	if err != nil {
		t.Fatalf("ParseWorkingHours(%q): %v", s, err)
	}
	return h
}

// offOn returns an OffFunc for the given dates, with a reason.
func offOn(reason string, dates ...string) OffFunc {
	set := map[string]bool{}
	for _, d := range dates {
		set[d] = true
	}
	return func(d calendar.Date) (bool, string) {
		if set[d.String()] {
			return true, reason
		}
		return false, ""
	}
}

func TestDeliverAt(t *testing.T) {
	never := func(calendar.Date) (bool, string) { return true, "away" }
	tests := []struct {
		name       string
		zone       string
		hours      string // "" is the zero WorkingHours (rule 3)
		off        OffFunc
		nominal    string
		want       string // "" means ok=false
		wantReason string // substring; "" means the reason must be empty
	}{
		{"rule 3: no working hours", "America/New_York", "", nil, "2026-01-10T13:00:00Z", "2026-01-10T13:00:00Z", ""},
		{"inside", "America/New_York", "mon-fri 09:00-17:30", nil, "2026-01-12T14:30:00Z", "2026-01-12T14:30:00Z", ""},
		{"at start", "America/New_York", "mon-fri 09:00-17:30", nil, "2026-01-12T14:00:00Z", "2026-01-12T14:00:00Z", ""},
		{"before start", "America/New_York", "mon-fri 09:00-17:30", nil, "2026-01-12T13:00:00Z", "2026-01-12T14:00:00Z", "outside working hours"},
		{"last minute", "America/New_York", "mon-fri 09:00-17:30", nil, "2026-01-12T22:29:00Z", "2026-01-12T22:29:00Z", ""},
		{"end is exclusive", "America/New_York", "mon-fri 09:00-17:30", nil, "2026-01-12T22:30:00Z", "2026-01-13T14:00:00Z", "outside working hours"},
		{"weekend", "America/New_York", "mon-fri 09:00-17:30", nil, "2026-01-10T15:00:00Z", "2026-01-12T14:00:00Z", "not a working day"},
		{"holiday", "America/New_York", "mon-fri 09:00-17:30", offOn("holiday: MLK Day", "2026-01-19"), "2026-01-19T14:30:00Z", "2026-01-20T14:00:00Z", "holiday: MLK Day"},
		{"away all horizon", "America/New_York", "mon-fri 09:00-17:30", never, "2026-01-12T14:30:00Z", "", "no working window"},
		{"sun-thu week", "Asia/Kathmandu", "sun-thu 09:00-17:00", nil, "2026-01-09T04:00:00Z", "2026-01-11T03:15:00Z", "not a working day"},
		{"kathmandu offset", "Asia/Kathmandu", "mon-fri 09:00-17:00", nil, "2026-01-12T03:00:00Z", "2026-01-12T03:15:00Z", "outside working hours"},

		// Night shift 22:00-06:00 on Fridays: Fri 22:00 to Sat 06:00 belongs to Friday.
		{"night: before start", "America/New_York", "fri 22:00-06:00", nil, "2026-01-09T02:00:00Z", "2026-01-10T03:00:00Z", "outside working hours"},
		{"night: thursday night", "America/New_York", "fri 22:00-06:00", nil, "2026-01-09T04:00:00Z", "2026-01-10T03:00:00Z", "not a working day"},
		{"night: friday evening", "America/New_York", "fri 22:00-06:00", nil, "2026-01-10T02:00:00Z", "2026-01-10T03:00:00Z", "outside working hours"},
		{"night: saturday 03:00", "America/New_York", "fri 22:00-06:00", nil, "2026-01-10T08:00:00Z", "2026-01-10T08:00:00Z", ""},
		{"night: saturday 06:00 ends", "America/New_York", "fri 22:00-06:00", nil, "2026-01-10T11:00:00Z", "2026-01-17T03:00:00Z", "outside working hours"},
		{"night: friday off", "America/New_York", "fri 22:00-06:00", offOn("away", "2026-01-09"), "2026-01-10T08:00:00Z", "2026-01-17T03:00:00Z", "away"},
		{"night: saturday off does not matter", "America/New_York", "fri 22:00-06:00", offOn("away", "2026-01-10"), "2026-01-10T08:00:00Z", "2026-01-10T08:00:00Z", ""},

		// Window edges in a gap follow rule 1.
		{"start in gap", "America/New_York", "sun 02:30-10:00", nil, "2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "outside working hours"},
		{"end in gap: inside", "America/New_York", "sat 22:00-02:30", nil, "2026-03-08T06:59:00Z", "2026-03-08T06:59:00Z", ""},
		{"end in gap: closed", "America/New_York", "sat,sun 22:00-02:30", nil, "2026-03-08T07:00:00Z", "2026-03-09T02:00:00Z", "outside working hours"},
		{"santiago missing midnight", "America/Santiago", "mon-sun 00:00-08:00", nil, "2026-09-06T03:30:00Z", "2026-09-06T04:00:00Z", "outside working hours"},
		{"lord howe half-hour gap", "Australia/Lord_Howe", "sun 02:15-03:00", nil, "2026-10-03T15:00:00Z", "2026-10-03T15:30:00Z", "outside working hours"},
		{"london repeated hour", "Europe/London", "sun 01:30-02:00", nil, "2026-10-25T01:45:00Z", "2026-10-25T01:45:00Z", ""},
		{"london repeated hour starts at first 01:30", "Europe/London", "sun 01:30-02:00", nil, "2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "outside working hours"},
	}
	for _, tt := range tests {
		loc := mustLoc(t, tt.zone)
		var hours calendar.WorkingHours
		if tt.hours != "" {
			hours = mustHours(t, tt.hours)
		}
		nominal := mustTime(t, tt.nominal)
		at, ok, reason := DeliverAt(nominal, loc, hours, tt.off)
		switch {
		case tt.want == "" && ok:
			t.Errorf("%s: DeliverAt(%v) = %v, true; want ok=false", tt.name, nominal, at.UTC())
		case tt.want != "" && (!ok || !at.Equal(mustTime(t, tt.want))):
			t.Errorf("%s: DeliverAt(%v) = %v, %v (%s); want %s", tt.name, nominal, at.UTC(), ok, reason, tt.want)
		}
		if tt.wantReason == "" && reason != "" || !strings.Contains(reason, tt.wantReason) {
			t.Errorf("%s: DeliverAt(%v) reason = %q, want it to contain %q", tt.name, nominal, reason, tt.wantReason)
		}
	}
}

func TestDeliverAtInvalidHours(t *testing.T) {
	h := calendar.WorkingHours{Days: calendar.MonFri, Start: 9 * 60, End: 9 * 60}
	if _, ok, reason := DeliverAt(time.Now(), time.UTC, h, nil); ok || reason == "" {
		t.Errorf("DeliverAt with zero-length hours = ok %v, reason %q; want ok=false with a reason", ok, reason)
	}
}

func TestWindowEnd(t *testing.T) {
	tests := []struct {
		zone, hours, at string
		want            string // "" means not in a window
	}{
		{"America/New_York", "mon-fri 09:00-17:30", "2026-01-12T14:00:00Z", "2026-01-12T22:30:00Z"},
		{"America/New_York", "mon-fri 09:00-17:30", "2026-01-12T22:30:00Z", ""},
		{"America/New_York", "mon-fri 09:00-17:30", "2026-01-10T15:00:00Z", ""},
		{"America/New_York", "fri 22:00-06:00", "2026-01-10T08:00:00Z", "2026-01-10T11:00:00Z"},
		{"America/New_York", "sat 22:00-02:30", "2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z"},
		{"Europe/London", "sat 22:00-06:00", "2026-10-25T00:00:00Z", "2026-10-25T06:00:00Z"},
	}
	for _, tt := range tests {
		loc := mustLoc(t, tt.zone)
		at := mustTime(t, tt.at)
		got, ok := WindowEnd(at, loc, mustHours(t, tt.hours), nil)
		if tt.want == "" {
			if ok {
				t.Errorf("WindowEnd(%v, %s) = %v, true; want not in a window", at, tt.hours, got.UTC())
			}
			continue
		}
		if want := mustTime(t, tt.want); !ok || !got.Equal(want) {
			t.Errorf("WindowEnd(%v, %s) = %v, %v; want %v", at, tt.hours, got.UTC(), ok, want)
		}
	}
	if _, ok := WindowEnd(time.Now(), time.UTC, calendar.WorkingHours{}, nil); ok {
		t.Errorf("WindowEnd with no working hours = ok; want not ok")
	}
}
