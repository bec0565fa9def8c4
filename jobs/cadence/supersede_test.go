package cadence

import (
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/models/calendar"
)

func TestSuperseded(t *testing.T) {
	tests := []struct {
		name    string
		cadence string
		zone    string
		hours   string
		off     OffFunc
		nominal string
		want    bool
	}{
		// Daily 08:00 with mon-fri 09:00-17:30: Saturday's and Sunday's are
		// deferred to Monday 09:00, and the next one is due before Monday
		// 17:30, so they are superseded; Monday's own 08:00 is deferred to
		// 09:00 too but the next (Tuesday 08:00) is after the window.
		{"saturday", "every day at 08:00", "America/New_York", "mon-fri 09:00-17:30", nil, "2026-01-10T13:00:00Z", true},
		{"sunday", "every day at 08:00", "America/New_York", "mon-fri 09:00-17:30", nil, "2026-01-11T13:00:00Z", true},
		{"monday", "every day at 08:00", "America/New_York", "mon-fri 09:00-17:30", nil, "2026-01-12T13:00:00Z", false},
		{"not deferred", "weekdays at 09:30", "America/New_York", "mon-fri 09:00-17:30", nil, "2026-01-12T14:30:00Z", false},
		{"no hours", "every day at 08:00", "America/New_York", "", nil, "2026-01-10T13:00:00Z", false},
		{"weekly deferred past holiday", "mondays at 10:00", "Europe/London", "mon-fri 09:00-17:30", offOn("holiday", "2026-01-12"), "2026-01-12T10:00:00Z", false},
		{"deferred into window with next due", "30 8,12 * * *", "Europe/London", "mon-fri 09:00-17:30", nil, "2026-01-12T08:30:00Z", true},
		{"half-hourly before start", "*/30 * * * *", "Asia/Kathmandu", "mon-fri 09:00-17:00", nil, "2026-01-12T03:00:00Z", true},
		// Night shift fri 22:00-06:00: Thursday's 21:00 is deferred to Friday
		// 22:00 and Friday's 21:00 is due before Saturday 06:00.
		{"night: thursday", "every day at 21:00", "America/New_York", "fri 22:00-06:00", nil, "2026-01-09T02:00:00Z", true},
		{"night: friday", "every day at 21:00", "America/New_York", "fri 22:00-06:00", nil, "2026-01-10T02:00:00Z", false},
		{"lord howe", "every day at 07:00", "Australia/Lord_Howe", "mon-fri 09:00-17:00", nil, "2026-01-09T20:00:00Z", true},
		{"santiago", "every day at 07:00", "America/Santiago", "mon-fri 09:00-17:00", nil, "2026-01-12T10:00:00Z", false},
	}
	for _, tt := range tests {
		c := mustParse(t, tt.cadence)
		loc := mustLoc(t, tt.zone)
		var hours calendar.WorkingHours
		if tt.hours != "" {
			hours = mustHours(t, tt.hours)
		}
		nominal := mustTime(t, tt.nominal)
		deliver, ok, _ := DeliverAt(nominal, loc, hours, tt.off)
		if !ok {
			t.Fatalf("%s: DeliverAt(%v) not ok", tt.name, nominal)
		}
		got, reason := Superseded(c, nominal, deliver, loc, hours, tt.off)
		if got != tt.want {
			t.Errorf("%s: Superseded(%q, %v, %v) = %v (%s), want %v", tt.name, tt.cadence, nominal, deliver.UTC(), got, reason, tt.want)
		}
		if got && !strings.Contains(reason, "superseded") {
			t.Errorf("%s: reason %q does not say superseded", tt.name, reason)
		}
		if !got && reason != "" {
			t.Errorf("%s: not superseded but reason %q", tt.name, reason)
		}
	}
}
