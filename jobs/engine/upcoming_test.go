package engine

import (
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// The forecast /trellis me shows applies the same rules as delivery.
func TestForecast(t *testing.T) {
	now := mustTime("2026-11-27T12:00:00Z") // Fri noon in London
	ws := models.NewWorkspace("T1", "")
	ws.HolidayRegion = "none"
	p := models.Person{WorkspaceID: "T1", UserID: "U1", SlackTZ: "Europe/London"}
	sched := func(key, cadence string, paused bool) models.DueTarget {
		return models.DueTarget{Schedule: models.Schedule{Key: "test:" + key, Title: key, Cadence: cadence, Anchor: calendar.DateOf(now), Paused: paused}}
	}
	in := ForecastInput{Targets: []models.DueTarget{
		sched("standup", "weekdays at 09:30", false),
		sched("early", "every day at 07:00", false),
		sched("retro", "fridays at 16:00", true),
	}}
	rec := RecipientView(p, ws, []models.AwayPeriod{
		{First: calendar.Date{Year: 2026, Month: 12, Day: 1}, Last: calendar.Date{Year: 2026, Month: 12, Day: 1}},
	}, nil)
	got := Forecast(in, rec, now, 8)
	var lines []string
	for _, u := range got {
		lines = append(lines, u.String())
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		"Fri 27 Nov 16:00 GMT retro: paused",
		"Sat 28 Nov 07:00 GMT early: superseded",
		"Mon 30 Nov 07:00 GMT early: deferred to Mon 30 Nov 09:00 GMT",
		"Mon 30 Nov 09:30 GMT standup: on time\n",
		"Tue 1 Dec 09:30 GMT standup: superseded (Tue 1 Dec: away",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("forecast lacks %q:\n%s", want, text)
		}
	}
	if len(got) != 8 {
		t.Errorf("%d entries, want 8", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Nominal.Before(got[i-1].Nominal) {
			t.Errorf("not in order: %s after %s", got[i].Nominal, got[i-1].Nominal)
		}
	}
	if Forecast(ForecastInput{}, rec, now, 5) != nil {
		t.Error("a person with no schedules has a forecast")
	}
}
