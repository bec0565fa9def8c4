package cadence

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

var anchor = calendar.Date{Year: 2026, Month: time.January, Day: 7} // a Wednesday

func TestParseFriendly(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical String()
	}{
		{"weekdays at 09:30", "weekdays at 09:30"},
		{"Weekdays AT 9:30", "weekdays at 09:30"},
		{"every weekday at 9am", "weekdays at 09:00"},
		{"every day at 08:00", "every day at 08:00"},
		{"daily at 8:00", "every day at 08:00"},
		{"mondays at 10:00", "mondays at 10:00"},
		{"every monday at 10:00", "mondays at 10:00"},
		{"on Mondays at 10:00", "mondays at 10:00"},
		{"tue,thu at 16:00", "tue,thu at 16:00"},
		{"Tue, Thu at 4:00pm", "tue,thu at 16:00"},
		{"tuesday and thursday at 16:00", "tue,thu at 16:00"},
		{"mon-fri at 09:30", "weekdays at 09:30"},
		{"mon-sun at 09:30", "every day at 09:30"},
		{"weekends at 11:00", "sat,sun at 11:00"},
		{"every 2 weeks on tue at 10:00", "every 2 weeks on tue at 10:00"},
		{"every other week on Tuesday at 10:00", "every 2 weeks on tue at 10:00"},
		{"every 3 weeks on mon,fri at 10:00", "every 3 weeks on mon,fri at 10:00"},
		{"every week on fri at 10:00", "fridays at 10:00"},
		{"every 1 week on fri at 10:00", "fridays at 10:00"},
		{"monthly on the first monday at 09:00", "monthly on the first monday at 09:00"},
		{"monthly on the second tue at 09:00", "monthly on the second tuesday at 09:00"},
		{"monthly on the third wednesday at 09:00", "monthly on the third wednesday at 09:00"},
		{"monthly on the fourth thursday at 09:00", "monthly on the fourth thursday at 09:00"},
		{"monthly on the last friday at 15:00", "monthly on the last friday at 15:00"},
		{"last friday of the month at 15:00", "monthly on the last friday at 15:00"},
		{"first monday of every month at 09:00", "monthly on the first monday at 09:00"},
		{"1st monday of the month at 09:00", "monthly on the first monday at 09:00"},
		{"monthly on the 2nd fri at 09:00", "monthly on the second friday at 09:00"},
		{"monthly on day 15 at 11:00", "monthly on day 15 at 11:00"},
		{"monthly on day 31 at 11:00", "monthly on day 31 at 11:00"},
		{"  Every   Day   at 08:00 ", "every day at 08:00"},
	}
	for _, tt := range tests {
		c, err := Parse(tt.in, anchor)
		if err != nil {
			t.Errorf("Parse(%q) error %v", tt.in, err)
			continue
		}
		if got := c.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		// The canonical text parses back to the same cadence.
		again, err := Parse(c.String(), anchor)
		if err != nil || again.String() != c.String() || again.kind != c.kind || again.days != c.days || again.at != c.at {
			t.Errorf("Parse(%q) round trip = %v, %v; want %v", c.String(), again, err, c)
		}
	}
}

func TestParseCron(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"30 9 * * 1-5", "30 9 * * 1-5"},
		{"30  9 * *   MON-FRI", "30 9 * * mon-fri"},
		{"0 10 1,15 * *", "0 10 1,15 * *"},
		{"*/15 9-17 * * *", "*/15 9-17 * * *"},
		{"0 9 * * 0", "0 9 * * 0"},
		{"@daily", "@daily"},
		{"@weekly", "@weekly"},
		{"0 0 29 2 *", "0 0 29 2 *"},
	}
	for _, tt := range tests {
		c, err := Parse(tt.in, anchor)
		if err != nil {
			t.Errorf("Parse(%q) error %v", tt.in, err)
			continue
		}
		if got := c.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in       string
		wantPart string
	}{
		{"", ""},
		{"weekdays", "weekdays"},
		{"weekdays at 25:00", "25:00"},
		{"weekdays at noon", "noon"},
		{"funday at 10:00", "funday"},
		{"tue,xyz at 10:00", "xyz"},
		{"every 0 weeks on tue at 10:00", "0 weeks on tue"},
		{"every 2 weeks on blursday at 10:00", "blursday"},
		{"every 2 weeks at 10:00", "2 weeks"},
		{"monthly on the fifth monday at 09:00", "fifth"},
		{"monthly on the first moonday at 09:00", "moonday"},
		{"monthly on day 32 at 11:00", "32"},
		{"monthly on day x at 11:00", "x"},
		{"last frisday of the month at 15:00", "frisday"},
		{"30 9 * *", "30 9 * *"},
		{"0 30 9 * * 1-5", "0 30 9 * * 1-5"},
		{"61 9 * * *", "61 9 * * *"},
		{"30 9 * * 1-9", "30 9 * * 1-9"},
		{"@every 1h", "@every 1h"},
		{"@hourlyish", "@hourlyish"},
		{"CRON_TZ=Europe/London 30 9 * * *", "cron_tz=europe/london"},
		{"TZ=UTC 30 9 * * *", "tz=utc"},
		{"0 9 30 2 *", "0 9 30 2 *"},
		{"30 9 * * 1-5 at 10:00", "30 9 * * 1"},
		{"5th monday of the month at 09:00", "5th"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in, anchor)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) error = %v, want a *ParseError", tt.in, err)
			continue
		}
		if pe.Part != tt.wantPart {
			t.Errorf("Parse(%q) part = %q, want %q", tt.in, pe.Part, tt.wantPart)
		}
		msg := err.Error()
		if !strings.Contains(msg, "accepted forms") || !strings.Contains(msg, "30 9 * * 1-5") {
			t.Errorf("Parse(%q) message %q does not show the accepted forms", tt.in, msg)
		}
		if tt.wantPart != "" && !strings.Contains(msg, tt.wantPart) {
			t.Errorf("Parse(%q) message %q does not name %q", tt.in, msg, tt.wantPart)
		}
	}
}

func TestParseErrorUnwrap(t *testing.T) {
	_, err := Parse("weekdays at 25:00", anchor)
	if !errors.Is(err, calendar.ErrInvalidTime) {
		t.Errorf("Parse error %v does not wrap calendar.ErrInvalidTime", err)
	}
}
