package handlers

import (
	"errors"
	"testing"

	"github.com/trellis-bot/trellis/models/calendar"
)

func TestParseAway(t *testing.T) {
	today := calendar.Date{Year: 2026, Month: 11, Day: 23} // a Monday
	d := func(s string) calendar.Date {
		t.Helper()
		v, err := calendar.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		in          string
		first, last calendar.Date
	}{
		{"until 2026-12-24", today, d("2026-12-24")},
		{"3d", today, d("2026-11-25")},
		{"1d", today, today},
		{"2w", today, d("2026-12-06")},
		{"tomorrow", d("2026-11-24"), d("2026-11-24")},
		{"today", today, today},
		{"friday", d("2026-11-27"), d("2026-11-27")},
		{"mon", d("2026-11-30"), d("2026-11-30")}, // next Monday, not today
		{"2026-12-20 to 2026-12-31", d("2026-12-20"), d("2026-12-31")},
		{"from 2026-12-20 until 2026-12-31", d("2026-12-20"), d("2026-12-31")},
		{"Until 2026-11-23", today, today},
	}
	for _, tt := range tests {
		first, last, err := parseAway(tt.in, today)
		if err != nil {
			t.Errorf("parseAway(%q) error: %v", tt.in, err)
			continue
		}
		if first != tt.first || last != tt.last {
			t.Errorf("parseAway(%q) = %s..%s, want %s..%s", tt.in, first, last, tt.first, tt.last)
		}
	}
}

func TestParseAwayRejects(t *testing.T) {
	today := calendar.Date{Year: 2026, Month: 11, Day: 23}
	tests := []struct {
		in   string
		want error
	}{
		{"until 2026-11-22", errPastDate},
		{"2026-01-01", errPastDate},
		{"2026-11-20 to 2026-11-30", errPastDate},
		{"2026-12-31 to 2026-12-20", errBadAway},
		{"0d", errBadAway},
		{"soon", errBadAway},
		{"until", errBadAway},
		{"", errBadAway},
		{"until 2030-01-01", errBadAway},
	}
	for _, tt := range tests {
		_, _, err := parseAway(tt.in, today)
		if !errors.Is(err, tt.want) {
			t.Errorf("parseAway(%q) error = %v, want %v", tt.in, err, tt.want)
		}
	}
}

func TestCanonicalZone(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"Europe/Berlin", "Europe/Berlin", true},
		{"europe/berlin", "Europe/Berlin", true},
		{"america/new_york", "America/New_York", true},
		{"Asia/Kolkata", "Asia/Kolkata", true},
		{"UTC", "UTC", true},
		{"Mars/Olympus", "", false},
		{"Local", "", false},
		{"utc", "UTC", true},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := canonicalZone(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("canonicalZone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
