package cadence

import (
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

func TestBetween(t *testing.T) {
	type occ struct {
		nominal, deliver string // deliver "" when not delivered
		status           Status
		reason           string // substring
	}
	tests := []struct {
		name, cadence, zone, hours string
		off                        OffFunc
		from, to                   string
		want                       []occ
	}{
		{
			name: "rule 3: no hours, gap", cadence: "every day at 02:30", zone: "America/New_York",
			from: "2026-03-07T00:00:00Z", to: "2026-03-09T12:00:00Z",
			want: []occ{
				{"2026-03-07T07:30:00Z", "2026-03-07T07:30:00Z", StatusDelivered, ""},
				{"2026-03-08T07:00:00Z", "2026-03-08T07:00:00Z", StatusDelivered, ""},
				{"2026-03-09T06:30:00Z", "2026-03-09T06:30:00Z", StatusDelivered, ""},
			},
		},
		{
			name: "weekend superseded, monday deferred", cadence: "every day at 08:00", zone: "America/New_York",
			hours: "mon-fri 09:00-17:30",
			from:  "2026-01-09T00:00:00Z", to: "2026-01-13T00:00:00Z",
			want: []occ{
				{"2026-01-09T13:00:00Z", "2026-01-09T14:00:00Z", StatusDeferred, "outside working hours"},
				{"2026-01-10T13:00:00Z", "", StatusSuperseded, "superseded"},
				{"2026-01-11T13:00:00Z", "", StatusSuperseded, "superseded"},
				{"2026-01-12T13:00:00Z", "2026-01-12T14:00:00Z", StatusDeferred, "outside working hours"},
			},
		},
		{
			name: "away for the horizon", cadence: "weekdays at 09:30", zone: "Europe/London",
			hours: "mon-fri 09:00-17:30", off: func(calendar.Date) (bool, string) { return true, "away" },
			from: "2026-01-12T00:00:00Z", to: "2026-01-13T00:00:00Z",
			want: []occ{{"2026-01-12T09:30:00Z", "", StatusSkipped, "no working window"}},
		},
		{
			name: "inclusive from", cadence: "weekdays at 09:30", zone: "Asia/Kathmandu",
			hours: "mon-fri 09:00-17:30",
			from:  "2026-01-12T03:45:00Z", to: "2026-01-12T03:46:00Z",
			want: []occ{{"2026-01-12T03:45:00Z", "2026-01-12T03:45:00Z", StatusDelivered, ""}},
		},
	}
	for _, tt := range tests {
		loc := mustLoc(t, tt.zone)
		var hours calendar.WorkingHours
		if tt.hours != "" {
			hours = mustHours(t, tt.hours)
		}
		got := Between(mustParse(t, tt.cadence), mustTime(t, tt.from), mustTime(t, tt.to), loc, hours, tt.off)
		if len(got) != len(tt.want) {
			t.Errorf("%s: Between gave %d occurrences %v, want %d", tt.name, len(got), got, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			g := got[i]
			var wantDeliver time.Time
			if w.deliver != "" {
				wantDeliver = mustTime(t, w.deliver)
			}
			if !g.Nominal.Equal(mustTime(t, w.nominal)) || !g.DeliverAt.Equal(wantDeliver) || g.Status != w.status {
				t.Errorf("%s: occurrence %d = %v %v %s, want %s %s %s", tt.name, i, g.Nominal.UTC(), g.DeliverAt.UTC(), g.Status, w.nominal, w.deliver, w.status)
			}
			if w.reason == "" && g.Reason != "" || !strings.Contains(g.Reason, w.reason) {
				t.Errorf("%s: occurrence %d reason = %q, want it to contain %q", tt.name, i, g.Reason, w.reason)
			}
		}
	}
}
