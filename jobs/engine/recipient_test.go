package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/attention"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// RecipientView carries what is stored into the policy's view: the
// person's own zone, hours, holiday region and lower budget win over the
// workspace's, and time off, holidays and status arrive whole.
func TestRecipientView(t *testing.T) {
	ws := models.NewWorkspace("T1", "Acme")
	ws.HolidayRegion = "GB"
	ws.DailyBudget = 4
	own := calendar.WorkingHours{Days: calendar.MonFri, Start: 7 * 60, End: 15 * 60}
	status := calendar.Status{Emoji: ":palm_tree:", Text: "Vacation", Expiration: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	p := models.Person{WorkspaceID: "T1", UserID: "U1", SlackTZ: "Europe/London", TZOverride: "Asia/Tokyo",
		Hours: &own, HolidayRegion: "DE-BY", DailyBudget: 2, Status: status}
	away := []models.AwayPeriod{{ID: 7, WorkspaceID: "T1", UserID: "U1",
		First: calendar.Date{Year: 2026, Month: 12, Day: 1}, Last: calendar.Date{Year: 2026, Month: 12, Day: 3}, Note: "trip"}}
	hols := []models.Holiday{{WorkspaceID: "T1", Date: calendar.Date{Year: 2026, Month: 12, Day: 24}, Name: "Christmas Eve", AddedBy: "U2"}}

	r := RecipientView(p, ws, away, hols)
	if got := r.Loc().String(); got != "Asia/Tokyo" {
		t.Errorf("zone = %s, want the person's override Asia/Tokyo", got)
	}
	if r.Hours != own || r.WorkingHours() != own {
		t.Errorf("hours = %v (%v), want the person's %v", r.Hours, r.WorkingHours(), own)
	}
	if r.HolidayRegion != "DE-BY" {
		t.Errorf("region = %q, want the person's DE-BY", r.HolidayRegion)
	}
	if r.DailyBudget != 2 || r.Budget() != 2 {
		t.Errorf("budget = %d (%d), want the person's lower 2", r.DailyBudget, r.Budget())
	}
	if r.Status != status {
		t.Errorf("status = %+v, want %+v", r.Status, status)
	}
	if len(r.Away) != 1 || r.Away[0] != (attention.TimeOff{First: away[0].First, Last: away[0].Last}) {
		t.Errorf("away = %+v, want %s..%s", r.Away, away[0].First, away[0].Last)
	}
	if len(r.CompanyHolidays) != 1 || r.CompanyHolidays[0].Date != hols[0].Date || r.CompanyHolidays[0].Name != "Christmas Eve" {
		t.Errorf("company holidays = %+v, want Christmas Eve on %s", r.CompanyHolidays, hols[0].Date)
	}
	if r.SentToday != 0 {
		t.Errorf("SentToday = %d, want 0: callers count", r.SentToday)
	}

	// Where the person set nothing, the workspace's values hold.
	r = RecipientView(models.Person{WorkspaceID: "T1", UserID: "U2", SlackTZ: "Europe/London", DailyBudget: 9}, ws, nil, nil)
	if r.Loc().String() != "Europe/London" || r.Hours != ws.DefaultHours || r.HolidayRegion != "GB" || r.DailyBudget != 4 {
		t.Errorf("view of a person who set nothing = zone %s hours %v region %q budget %d; want Europe/London, %v, GB, 4 (a higher own budget does not count)",
			r.Loc(), r.Hours, r.HolidayRegion, r.DailyBudget, ws.DefaultHours)
	}
	if r.Away != nil || r.CompanyHolidays != nil {
		t.Errorf("view without time off or holidays = %+v, %+v; want none", r.Away, r.CompanyHolidays)
	}
	// A zone the tz database does not know is UTC, as Person.Location says.
	if got := RecipientView(models.Person{TZOverride: "Mars/Olympus"}, ws, nil, nil).Loc(); got != time.UTC {
		t.Errorf("unknown zone = %v, want UTC", got)
	}
}

// The policy decides on the view as it decided on the stored person and
// workspace: a workspace's region applies to a person without one, "none"
// opts a person out of it, and a workspace with no hours means the default.
func TestRecipientViewDecisions(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	b := func(s string) time.Time {
		u, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	person := func(region string) models.Person {
		return models.Person{WorkspaceID: "T1", UserID: "U1", SlackTZ: "Europe/Berlin", HolidayRegion: region}
	}
	workspace := func(region string) models.Workspace {
		ws := models.NewWorkspace("T1", "Acme")
		ws.HolidayRegion = region
		return ws
	}
	noHours := workspace("")
	noHours.DefaultHours = calendar.WorkingHours{}

	epiphany := b("2027-01-06 10:00") // a public holiday in Bavaria, not in Germany as a whole
	for _, tt := range []struct {
		name       string
		p          models.Person
		ws         models.Workspace
		nominal    time.Time
		want       attention.Action
		wantAt     time.Time
		wantReason string
	}{
		{"person's DE-BY", person("DE-BY"), workspace(""), epiphany, attention.Defer, b("2027-01-07 09:00"), "public holiday: "},
		{"workspace DE has no Epiphany", person(""), workspace("DE"), epiphany, attention.Deliver, epiphany, ""},
		{"workspace DE-BY applies", person(""), workspace("DE-BY"), epiphany, attention.Defer, b("2027-01-07 09:00"), "public holiday: "},
		{"person opts out with none", person("none"), workspace("DE-BY"), epiphany, attention.Deliver, epiphany, ""},
		{"person's DE wins over workspace DE-BY", person("DE"), workspace("DE-BY"), epiphany, attention.Deliver, epiphany, ""},
		{"zero workspace hours mean the default", person(""), noHours, b("2026-11-23 07:00"), attention.Defer, b("2026-11-23 09:00"), "outside working hours"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := attention.Decide(RecipientView(tt.p, tt.ws, nil, nil), tt.nominal, tt.nominal)
			if got.Action != tt.want || !got.At.Equal(tt.wantAt) || !strings.Contains(got.Reason, tt.wantReason) {
				t.Errorf("Decide = %v at %v (%q), want %v at %v (%q)", got.Action, got.At, got.Reason, tt.want, tt.wantAt, tt.wantReason)
			}
		})
	}
}
