package attention

import (
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := calendar.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func mustHours(t testing.TB, s string) calendar.WorkingHours {
	t.Helper()
	h, err := calendar.ParseWorkingHours(s)
	if err != nil {
		t.Fatalf("ParseWorkingHours(%q): %v", s, err)
	}
	return h
}

func mustDate(t testing.TB, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// at reads "2026-11-23 10:00" in zone.
func at(t testing.TB, zone, s string) time.Time {
	t.Helper()
	u, err := time.ParseInLocation("2006-01-02 15:04", s, mustLoc(t, zone))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

const (
	berlin  = "Europe/Berlin"
	kolkata = "Asia/Kolkata"
)

// person returns a recipient in zone with hours ("" for the workspace
// default, mon-fri 09:00-17:30) and no holiday region.
func person(t testing.TB, zone, hours string) Recipient {
	t.Helper()
	r := Recipient{Location: mustLoc(t, zone), Hours: calendar.DefaultWorkingHours}
	if hours != "" {
		r.Hours = mustHours(t, hours)
	}
	return r
}

func TestDecide(t *testing.T) {
	// 2026-11-23 is a Monday.
	type tc struct {
		name         string
		r            Recipient
		nominal, now time.Time
		want         Action
		wantAt       time.Time
		wantReason   string // substring; "" for a Deliver
	}
	b := func(s string) time.Time { return at(t, berlin, s) }
	k := func(s string) time.Time { return at(t, kolkata, s) }
	with := func(r Recipient, f func(*Recipient)) Recipient { f(&r); return r }

	night := person(t, kolkata, "mon-fri 22:00-06:00")
	munich := with(person(t, berlin, ""), func(r *Recipient) { r.HolidayRegion = "DE-BY" })
	palm := func(r Recipient, expiry time.Time) Recipient {
		r.Status = calendar.Status{Emoji: ":palm_tree:", Text: "Vacation", Expiration: expiry}
		return r
	}

	tests := []tc{
		// Working window edges, default hours.
		{name: "inside window", r: person(t, berlin, ""), nominal: b("2026-11-23 10:00"), now: b("2026-11-23 10:00"), want: Deliver, wantAt: b("2026-11-23 10:00")},
		{name: "late nominal, window still open", r: person(t, berlin, ""), nominal: b("2026-11-23 09:30"), now: b("2026-11-23 17:29"), want: Deliver, wantAt: b("2026-11-23 17:29")},
		{name: "before start", r: person(t, berlin, ""), nominal: b("2026-11-23 08:59"), now: b("2026-11-23 08:59"), want: Defer, wantAt: b("2026-11-23 09:00"), wantReason: "outside working hours"},
		{name: "at start", r: person(t, berlin, ""), nominal: b("2026-11-23 09:00"), now: b("2026-11-23 09:00"), want: Deliver, wantAt: b("2026-11-23 09:00")},
		{name: "at end is outside", r: person(t, berlin, ""), nominal: b("2026-11-23 17:30"), now: b("2026-11-23 17:30"), want: Defer, wantAt: b("2026-11-24 09:00"), wantReason: "outside working hours"},
		{name: "future nominal in window", r: person(t, berlin, ""), nominal: b("2026-11-23 17:29"), now: b("2026-11-23 10:00"), want: Defer, wantAt: b("2026-11-23 17:29"), wantReason: "scheduled for Mon 23 Nov 17:29 CET"},
		{name: "weekend", r: person(t, berlin, ""), nominal: b("2026-11-28 10:00"), now: b("2026-11-28 10:00"), want: Defer, wantAt: b("2026-11-30 09:00"), wantReason: "not a working day"},
		{name: "zero hours mean the default", r: with(person(t, berlin, ""), func(r *Recipient) { r.Hours = calendar.WorkingHours{} }), nominal: b("2026-11-23 07:00"), now: b("2026-11-23 07:00"), want: Defer, wantAt: b("2026-11-23 09:00"), wantReason: "outside working hours"},

		// Night shift 22:00-06:00 in Kolkata; the window belongs to the day it opens.
		{name: "night: before opening", r: night, nominal: k("2026-11-23 21:59"), now: k("2026-11-23 21:59"), want: Defer, wantAt: k("2026-11-23 22:00"), wantReason: "outside working hours"},
		{name: "night: opening", r: night, nominal: k("2026-11-23 22:00"), now: k("2026-11-23 22:00"), want: Deliver, wantAt: k("2026-11-23 22:00")},
		{name: "night: after midnight", r: night, nominal: k("2026-11-24 05:59"), now: k("2026-11-24 05:59"), want: Deliver, wantAt: k("2026-11-24 05:59")},
		{name: "night: closing is outside", r: night, nominal: k("2026-11-24 06:00"), now: k("2026-11-24 06:00"), want: Defer, wantAt: k("2026-11-24 22:00"), wantReason: "outside working hours"},
		{name: "night: friday shift runs into saturday", r: night, nominal: k("2026-11-28 03:00"), now: k("2026-11-28 03:00"), want: Deliver, wantAt: k("2026-11-28 03:00")},
		{name: "night: saturday evening waits for monday", r: night, nominal: k("2026-11-28 22:00"), now: k("2026-11-28 22:00"), want: Defer, wantAt: k("2026-11-30 22:00"), wantReason: "not a working day"},

		// Public holidays: Epiphany is a holiday in Bavaria, not in Germany as a whole.
		{name: "DE-BY Epiphany", r: munich, nominal: b("2027-01-06 10:00"), now: b("2027-01-06 10:00"), want: Defer, wantAt: b("2027-01-07 09:00"), wantReason: "public holiday: "},
		{name: "DE-BY Epiphany from the evening before", r: munich, nominal: b("2027-01-05 18:00"), now: b("2027-01-05 18:00"), want: Defer, wantAt: b("2027-01-07 09:00"), wantReason: "skipped Wed 6 Jan: public holiday: "},
		{name: "DE has no Epiphany", r: with(person(t, berlin, ""), func(r *Recipient) { r.HolidayRegion = "DE" }), nominal: b("2027-01-06 10:00"), now: b("2027-01-06 10:00"), want: Deliver, wantAt: b("2027-01-06 10:00")},
		{name: "region DE-BY applies", r: with(person(t, berlin, ""), func(r *Recipient) { r.HolidayRegion = "DE-BY" }), nominal: b("2027-01-06 10:00"), now: b("2027-01-06 10:00"), want: Defer, wantAt: b("2027-01-07 09:00"), wantReason: "public holiday: "},
		{name: "none opts out", r: with(munich, func(r *Recipient) { r.HolidayRegion = "none" }), nominal: b("2027-01-06 10:00"), now: b("2027-01-06 10:00"), want: Deliver, wantAt: b("2027-01-06 10:00")},

		// Company holiday.
		{name: "company holiday", r: with(person(t, berlin, ""), func(r *Recipient) {
			r.CompanyHolidays = []calendar.Holiday{{Date: mustDate(t, "2026-12-24"), Name: "Christmas Eve"}}
		}), nominal: b("2026-12-24 10:00"), now: b("2026-12-24 10:00"), want: Defer, wantAt: b("2026-12-25 09:00"), wantReason: "company holiday: Christmas Eve"},

		// Away period, inclusive of its last day.
		{name: "away period", r: with(person(t, berlin, ""), func(r *Recipient) {
			r.Away = []TimeOff{{First: mustDate(t, "2026-11-23"), Last: mustDate(t, "2026-11-25")}}
		}), nominal: b("2026-11-23 10:00"), now: b("2026-11-23 10:00"), want: Defer, wantAt: b("2026-11-26 09:00"), wantReason: "away (time off until Wed 25 Nov 2026)"},
		{name: "away for the whole horizon", r: with(person(t, berlin, ""), func(r *Recipient) {
			r.Away = []TimeOff{{First: mustDate(t, "2026-11-01"), Last: mustDate(t, "2027-06-30")}}
		}), nominal: b("2026-11-23 10:00"), now: b("2026-11-23 10:00"), want: Skip, wantReason: "away (time off until Wed 30 Jun 2027); no working window in the next 60 days"},

		// Slack status.
		{name: "status with expiry", r: palm(person(t, berlin, ""), b("2026-11-25 12:00")), nominal: b("2026-11-23 10:00"), now: b("2026-11-23 10:00"), want: Defer, wantAt: b("2026-11-25 12:00"), wantReason: `Slack status ":palm_tree: Vacation" says you are away until Wed 25 Nov 12:00 CET`},
		{name: "status with expiry before window", r: palm(person(t, berlin, "mon-fri 13:00-18:00"), b("2026-11-25 12:00")), nominal: b("2026-11-23 14:00"), now: b("2026-11-23 14:00"), want: Defer, wantAt: b("2026-11-25 13:00"), wantReason: "until Wed 25 Nov 12:00 CET"},
		{name: "status expired", r: palm(person(t, berlin, ""), b("2026-11-23 09:30")), nominal: b("2026-11-23 10:00"), now: b("2026-11-23 10:00"), want: Deliver, wantAt: b("2026-11-23 10:00")},
		{name: "status without expiry: today off", r: palm(person(t, berlin, ""), time.Time{}), nominal: b("2026-11-23 10:00"), now: b("2026-11-23 10:00"), want: Defer, wantAt: b("2026-11-24 09:00"), wantReason: "no end set"},
		{name: "status without expiry: tomorrow fine", r: palm(person(t, berlin, ""), time.Time{}), nominal: b("2026-11-24 09:30"), now: b("2026-11-23 10:00"), want: Defer, wantAt: b("2026-11-24 09:30"), wantReason: "scheduled for"},
		{name: "status without expiry: night shift after midnight", r: palm(night, time.Time{}), nominal: k("2026-11-24 02:00"), now: k("2026-11-24 02:00"), want: Defer, wantAt: k("2026-11-25 22:00"), wantReason: "no end set"},
		{name: "status text means away", r: with(person(t, berlin, ""), func(r *Recipient) { r.Status = calendar.Status{Text: "OOO", Expiration: b("2026-11-23 15:00")} }), nominal: b("2026-11-23 10:00"), now: b("2026-11-23 10:00"), want: Defer, wantAt: b("2026-11-23 15:00"), wantReason: "away until Mon 23 Nov 15:00 CET"},

		// Daily budget, per local day.
		{name: "budget reached", r: with(person(t, berlin, ""), func(r *Recipient) { r.SentToday = 3 }), nominal: b("2026-11-23 10:00"), now: b("2026-11-23 10:00"), want: Defer, wantAt: b("2026-11-24 09:00"), wantReason: "daily budget of 3 reached"},
		{name: "budget reached on friday", r: with(person(t, berlin, ""), func(r *Recipient) { r.SentToday = 3 }), nominal: b("2026-11-27 10:00"), now: b("2026-11-27 10:00"), want: Defer, wantAt: b("2026-11-30 09:00"), wantReason: "daily budget of 3 reached"},
		{name: "own budget lower", r: with(person(t, berlin, ""), func(r *Recipient) { r.SentToday = 1; r.DailyBudget = 1 }), nominal: b("2026-11-23 10:00"), now: b("2026-11-23 10:00"), want: Defer, wantAt: b("2026-11-24 09:00"), wantReason: "daily budget of 1 reached"},
		{name: "own budget higher", r: with(person(t, berlin, ""), func(r *Recipient) { r.SentToday = 3; r.DailyBudget = 5 }), nominal: b("2026-11-23 10:00"), now: b("2026-11-23 10:00"), want: Deliver, wantAt: b("2026-11-23 10:00")},
		{name: "budget is today's, delivery tomorrow", r: with(person(t, berlin, ""), func(r *Recipient) { r.SentToday = 3 }), nominal: b("2026-11-24 09:00"), now: b("2026-11-23 20:00"), want: Defer, wantAt: b("2026-11-24 09:00"), wantReason: "scheduled for"},
		{name: "budget: night shift waits for the next shift", r: with(night, func(r *Recipient) { r.SentToday = 3 }), nominal: k("2026-11-24 23:00"), now: k("2026-11-24 23:00"), want: Defer, wantAt: k("2026-11-25 22:00"), wantReason: "daily budget of 3 reached"},
		{name: "status until later today, then budget", r: with(palm(person(t, berlin, ""), b("2026-11-23 15:00")), func(r *Recipient) { r.SentToday = 3 }), nominal: b("2026-11-23 10:00"), now: b("2026-11-23 10:00"), want: Defer, wantAt: b("2026-11-24 09:00"), wantReason: "daily budget of 3 reached"},
		{name: "status until tomorrow, budget is today's", r: with(palm(person(t, berlin, ""), b("2026-11-24 12:00")), func(r *Recipient) { r.SentToday = 3 }), nominal: b("2026-11-23 10:00"), now: b("2026-11-23 10:00"), want: Defer, wantAt: b("2026-11-24 12:00"), wantReason: "away until Tue 24 Nov 12:00 CET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.r, tt.nominal, tt.now)
			if got.Action != tt.want || !got.At.Equal(tt.wantAt) {
				t.Fatalf("Decide(%v, now %v) = %v at %v (%q), want %v at %v", tt.nominal, tt.now, got.Action, got.At, got.Reason, tt.want, tt.wantAt)
			}
			if tt.want == Deliver && got.Reason != "" {
				t.Errorf("Decide reason = %q, want none", got.Reason)
			}
			if !strings.Contains(got.Reason, tt.wantReason) {
				t.Errorf("Decide reason = %q, want it to contain %q", got.Reason, tt.wantReason)
			}
			t.Logf("%v: %s", got.Action, got.Reason)
		})
	}
}

func TestOff(t *testing.T) {
	now := at(t, berlin, "2026-11-23 10:00") // a Monday
	r := person(t, berlin, "")
	r.HolidayRegion = "DE-BY"
	r.CompanyHolidays = []calendar.Holiday{{Date: mustDate(t, "2026-12-24"), Name: "Christmas Eve"}}
	r.Away = []TimeOff{
		{First: mustDate(t, "2026-11-30"), Last: mustDate(t, "2026-12-02")},
		{First: mustDate(t, "2026-12-02"), Last: mustDate(t, "2026-12-04")},
	}
	r.Status = calendar.Status{Emoji: "🌴", Text: "Vacation"} // no expiry
	withExpiry := r
	withExpiry.Status.Expiration = at(t, berlin, "2026-11-25 12:00")

	tests := []struct {
		r      Recipient
		date   string
		want   bool
		reason string
	}{
		{r, "2027-01-06", true, "public holiday: "},
		{r, "2026-12-24", true, "company holiday: Christmas Eve"},
		{r, "2026-12-01", true, "away (time off until Fri 4 Dec 2026)"},
		{r, "2026-12-04", true, "away (time off until Fri 4 Dec 2026)"},
		{r, "2026-12-05", false, ""},
		{r, "2026-11-23", true, `your Slack status "🌴 Vacation" says you are away (no end set, so today is off)`},
		{r, "2026-11-24", false, ""},
		// A status with an expiry blocks instants (Decide), not dates.
		{withExpiry, "2026-11-23", false, ""},
		{withExpiry, "2026-11-24", false, ""},
	}
	for _, tt := range tests {
		got, reason := Off(tt.r, now)(mustDate(t, tt.date))
		if got != tt.want || !strings.Contains(reason, tt.reason) || (!tt.want && reason != "") {
			t.Errorf("Off(%s) = %v, %q, want %v, %q", tt.date, got, reason, tt.want, tt.reason)
		}
	}
}

func TestActionString(t *testing.T) {
	for a, want := range map[Action]string{Deliver: "deliver", Defer: "defer", Skip: "skip", Action(9): "Action(9)"} {
		if got := a.String(); got != want {
			t.Errorf("Action(%d).String() = %q, want %q", int(a), got, want)
		}
	}
}
