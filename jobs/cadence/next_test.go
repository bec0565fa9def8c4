package cadence

import (
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func mustParse(t testing.TB, text string) Cadence {
	t.Helper()
	c, err := Parse(text, anchor)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return c
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	u, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("time.Parse(%q): %v", s, err)
	}
	return u
}

// TestLocalInstantRules checks rules 1 (gap → transition instant) and 2
// (repeated time → first occurrence) in the zones the issue names.
func TestLocalInstantRules(t *testing.T) {
	tests := []struct {
		zone string
		date string
		at   string
		want string // UTC
	}{
		// America/New_York: 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
		{"America/New_York", "2026-03-08", "02:30", "2026-03-08T07:00:00Z"},
		{"America/New_York", "2026-03-08", "02:00", "2026-03-08T07:00:00Z"},
		{"America/New_York", "2026-03-08", "01:59", "2026-03-08T06:59:00Z"},
		{"America/New_York", "2026-03-08", "03:00", "2026-03-08T07:00:00Z"},
		{"America/New_York", "2026-11-01", "01:30", "2026-11-01T05:30:00Z"},
		{"America/New_York", "2026-11-01", "01:00", "2026-11-01T05:00:00Z"},
		{"America/New_York", "2026-11-01", "02:00", "2026-11-01T07:00:00Z"},
		{"America/New_York", "2026-06-01", "09:30", "2026-06-01T13:30:00Z"},
		// Europe/London: 2026-03-29 01:00 GMT → 02:00 BST; 2026-10-25 02:00 BST → 01:00 GMT.
		{"Europe/London", "2026-03-29", "01:30", "2026-03-29T01:00:00Z"},
		{"Europe/London", "2026-03-29", "02:00", "2026-03-29T01:00:00Z"},
		{"Europe/London", "2026-10-25", "01:30", "2026-10-25T00:30:00Z"},
		{"Europe/London", "2026-10-25", "02:00", "2026-10-25T02:00:00Z"},
		// Australia/Lord_Howe (30-minute shift): 2026-04-05 02:00 +11 → 01:30 +10:30;
		// 2026-10-04 02:00 +10:30 → 02:30 +11.
		{"Australia/Lord_Howe", "2026-04-05", "01:45", "2026-04-04T14:45:00Z"},
		{"Australia/Lord_Howe", "2026-04-05", "01:30", "2026-04-04T14:30:00Z"},
		{"Australia/Lord_Howe", "2026-04-05", "02:00", "2026-04-04T15:30:00Z"},
		{"Australia/Lord_Howe", "2026-10-04", "02:15", "2026-10-03T15:30:00Z"},
		{"Australia/Lord_Howe", "2026-10-04", "02:30", "2026-10-03T15:30:00Z"},
		{"Australia/Lord_Howe", "2026-10-04", "01:59", "2026-10-03T15:29:00Z"},
		// America/Santiago (midnight transitions): 2026-04-05 00:00 -03 → 04-04 23:00 -04;
		// 2026-09-06 00:00 -04 → 01:00 -03, so that local midnight does not exist.
		{"America/Santiago", "2026-04-04", "23:30", "2026-04-05T02:30:00Z"},
		{"America/Santiago", "2026-04-05", "00:00", "2026-04-05T04:00:00Z"},
		{"America/Santiago", "2026-09-06", "00:00", "2026-09-06T04:00:00Z"},
		{"America/Santiago", "2026-09-06", "00:59", "2026-09-06T04:00:00Z"},
		{"America/Santiago", "2026-09-06", "01:00", "2026-09-06T04:00:00Z"},
		{"America/Santiago", "2026-09-05", "23:59", "2026-09-06T03:59:00Z"},
		// Asia/Kathmandu: +05:45, no DST.
		{"Asia/Kathmandu", "2026-03-08", "09:30", "2026-03-08T03:45:00Z"},
		{"Asia/Kathmandu", "2026-01-01", "00:00", "2025-12-31T18:15:00Z"},
	}
	for _, tt := range tests {
		loc := mustLoc(t, tt.zone)
		d, err := calendar.ParseDate(tt.date)
		if err != nil {
			t.Fatal(err)
		}
		at, err := calendar.ParseTimeOfDay(tt.at)
		if err != nil {
			t.Fatal(err)
		}
		got := LocalInstant(d, at, loc)
		if want := mustTime(t, tt.want); !got.Equal(want) {
			t.Errorf("LocalInstant(%s %s, %s) = %v, want %v", tt.date, tt.at, tt.zone, got.UTC(), want)
		}
	}
}

func TestNext(t *testing.T) {
	tests := []struct {
		cadence string
		zone    string
		after   string
		want    []string // successive occurrences, UTC
	}{
		// Rule 1: a daily time in the gap fires at the transition, once.
		{"every day at 02:30", "America/New_York", "2026-03-07T12:00:00Z",
			[]string{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}},
		// Rule 2: the repeated 01:30 fires once, at its first (EDT) occurrence.
		{"every day at 01:30", "America/New_York", "2026-10-31T12:00:00Z",
			[]string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
		// Asking again from between the two 01:30s does not give the second one.
		{"every day at 01:30", "America/New_York", "2026-11-01T05:45:00Z",
			[]string{"2026-11-02T06:30:00Z"}},
		{"*/30 * * * *", "America/New_York", "2026-03-08T06:00:00Z",
			[]string{"2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z"}},
		{"*/30 * * * *", "America/New_York", "2026-11-01T04:45:00Z",
			[]string{"2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T07:00:00Z"}},
		{"* * * * *", "America/New_York", "2026-03-08T06:58:00Z",
			[]string{"2026-03-08T06:59:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:01:00Z"}},
		{"* * * * *", "America/New_York", "2026-11-01T05:58:30Z",
			[]string{"2026-11-01T05:59:00Z", "2026-11-01T07:00:00Z", "2026-11-01T07:01:00Z"}},
		{"* * * * *", "Asia/Kathmandu", "2026-06-01T00:00:00.5Z",
			[]string{"2026-06-01T00:01:00Z", "2026-06-01T00:02:00Z"}},
		{"every day at 01:30", "Europe/London", "2026-03-28T12:00:00Z",
			[]string{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
		{"every day at 01:30", "Europe/London", "2026-10-24T12:00:00Z",
			[]string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		{"every day at 02:15", "Australia/Lord_Howe", "2026-10-03T00:00:00Z",
			[]string{"2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"}},
		{"every day at 01:45", "Australia/Lord_Howe", "2026-04-04T00:00:00Z",
			[]string{"2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"}},
		{"every day at 00:00", "America/Santiago", "2026-09-05T00:00:00Z",
			[]string{"2026-09-05T04:00:00Z", "2026-09-06T04:00:00Z", "2026-09-07T03:00:00Z"}},
		{"every day at 23:30", "America/Santiago", "2026-04-04T00:00:00Z",
			[]string{"2026-04-04T02:30:00Z", "2026-04-05T02:30:00Z", "2026-04-06T03:30:00Z"}},
		{"weekdays at 09:30", "Asia/Kathmandu", "2026-01-09T12:00:00Z",
			[]string{"2026-01-12T03:45:00Z", "2026-01-13T03:45:00Z"}},

		// The friendly forms, in New York (EST in winter).
		{"weekdays at 09:30", "America/New_York", "2026-01-09T15:00:00Z", // Fri 10:00
			[]string{"2026-01-12T14:30:00Z", "2026-01-13T14:30:00Z"}},
		{"every day at 08:00", "America/New_York", "2026-01-09T15:00:00Z",
			[]string{"2026-01-10T13:00:00Z", "2026-01-11T13:00:00Z"}},
		{"mondays at 10:00", "America/New_York", "2026-01-05T15:00:00Z", // exactly Mon 10:00: strictly after
			[]string{"2026-01-12T15:00:00Z", "2026-01-19T15:00:00Z"}},
		{"tue,thu at 16:00", "America/New_York", "2026-01-06T12:00:00Z",
			[]string{"2026-01-06T21:00:00Z", "2026-01-08T21:00:00Z", "2026-01-13T21:00:00Z"}},
		// Anchor 2026-01-07 is in the week of Monday 2026-01-05.
		{"every 2 weeks on tue at 10:00", "America/New_York", "2026-01-01T00:00:00Z",
			[]string{"2026-01-06T15:00:00Z", "2026-01-20T15:00:00Z", "2026-02-03T15:00:00Z"}},
		{"every 2 weeks on tue at 10:00", "America/New_York", "2025-12-20T00:00:00Z",
			[]string{"2025-12-23T15:00:00Z", "2026-01-06T15:00:00Z"}},
		{"monthly on the first monday at 09:00", "America/New_York", "2026-01-06T00:00:00Z",
			[]string{"2026-02-02T14:00:00Z", "2026-03-02T14:00:00Z", "2026-04-06T13:00:00Z"}},
		{"monthly on the fourth thursday at 09:00", "America/New_York", "2026-11-01T00:00:00Z",
			[]string{"2026-11-26T14:00:00Z"}},
		// Months without day 31 are skipped.
		{"monthly on day 31 at 11:00", "America/New_York", "2026-01-31T17:00:00Z",
			[]string{"2026-03-31T15:00:00Z", "2026-05-31T15:00:00Z", "2026-07-31T15:00:00Z"}},
		{"monthly on day 15 at 11:00", "America/New_York", "2026-01-01T00:00:00Z",
			[]string{"2026-01-15T16:00:00Z", "2026-02-15T16:00:00Z"}},
		{"last friday of the month at 15:00", "America/New_York", "2026-01-01T00:00:00Z",
			[]string{"2026-01-30T20:00:00Z", "2026-02-27T20:00:00Z", "2026-03-27T19:00:00Z"}},

		// Cron.
		{"30 9 * * 1-5", "America/New_York", "2026-01-09T15:00:00Z",
			[]string{"2026-01-12T14:30:00Z"}},
		// Both day fields restricted: either matches (1st/15th, or a Monday).
		{"0 10 1,15 * 1", "America/New_York", "2026-01-01T16:00:00Z",
			[]string{"2026-01-05T15:00:00Z", "2026-01-12T15:00:00Z", "2026-01-15T15:00:00Z"}},
		{"0 10 1,15 * *", "America/New_York", "2026-01-01T16:00:00Z",
			[]string{"2026-01-15T15:00:00Z", "2026-02-01T15:00:00Z"}},
		{"0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z",
			[]string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{"@weekly", "Asia/Kathmandu", "2026-01-01T00:00:00Z", // Sundays 00:00
			[]string{"2026-01-03T18:15:00Z"}},
	}
	for _, tt := range tests {
		c := mustParse(t, tt.cadence)
		loc := mustLoc(t, tt.zone)
		after := mustTime(t, tt.after)
		for _, w := range tt.want {
			got := c.Next(after, loc)
			if want := mustTime(t, w); !got.Equal(want) {
				t.Errorf("%q in %s: Next(%v) = %v, want %v", tt.cadence, tt.zone, after, got.UTC(), want)
				break
			}
			after = got
		}
	}
}

func TestNextZeroCadence(t *testing.T) {
	if !(Cadence{}).IsZero() || mustParse(t, "weekdays at 09:30").IsZero() {
		t.Errorf("IsZero is wrong for the zero Cadence or a parsed one")
	}
	if got := (Cadence{}).Next(time.Now(), time.UTC); !got.IsZero() {
		t.Errorf("Cadence{}.Next = %v, want the zero time", got)
	}
}
