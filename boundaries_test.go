package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/holidays"
)

// TestBadInputStoresNothing: every malformed command gets a reply saying what
// was wrong with a correct example, and changes nothing.
func TestBadInputStoresNothing(t *testing.T) {
	h := startBot(t, harnessOpts{transport: "http"})
	ctx := context.Background()
	user := slacksim.DemoCarlos
	h.command(user, "/trellis me") // Trellis now knows Carlos from Slack.
	before := h.person(user)

	tests := []struct {
		line, want string
	}{
		{"/trellis frobnicate", "don't know the command `frobnicate`"},
		{"/trellis hours 9:00-25:00", "couldn't read the times"},
		{"/trellis hours mon-fri 9h-17h", "couldn't read the times"},
		{"/trellis hours mon-fri 09:00-09:00", "no working time at all"},
		{"/trellis hours mon-xyz 09:00-17:00", "couldn't read the days"},
		{"/trellis hours mon-fri 0900", "needs a start and an end"},
		{"/trellis tz Mars/Olympus_Mons", "isn't a timezone I know"},
		{"/trellis tz Local", "isn't a timezone I know"},
		{"/trellis away until 2020-01-01", "is in the past"},
		{"/trellis away 2025-01-01 to 2025-01-03", "is in the past"},
		{"/trellis away sometime soon", "couldn't read"},
		{"/trellis away 0d", "couldn't read"},
		{"/trellis holidays region Atlantis", "isn't a holiday region"},
		{"/trellis admin hours mon-fri 08:00-16:00", "Only workspace admins"},
		{"/trellis admin budget 5", "Only workspace admins"},
		{"/trellis budget 0", "isn't a number of messages"},
		{"/trellis budget lots", "isn't a number of messages"},
		{"/trellis budget 9", "you can only lower it"},
	}
	for _, tt := range tests {
		got := h.command(user, tt.line)
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s → %q, want it to say %q", tt.line, got, tt.want)
		}
		if !strings.Contains(got, "`/trellis") {
			t.Errorf("%s → %q, want a correct example", tt.line, got)
		}
	}

	after := h.person(user)
	if after.Hours != nil || after.TZOverride != before.TZOverride || after.HolidayRegion != before.HolidayRegion || after.DailyBudget != 0 {
		t.Errorf("bad input changed the person: before %+v, after %+v", before, after)
	}
	away, err := h.people.AwayPeriods(ctx, slacksim.DefaultTeamID, user, calendar.Date{Year: 2000, Month: 1, Day: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(away) != 0 {
		t.Errorf("bad input stored away periods: %+v", away)
	}
	ws := models.NewWorkspaces(h.db)
	w, err := ws.Get(ctx, slacksim.DefaultTeamID)
	if err != nil {
		t.Fatal(err)
	}
	if w.DefaultHours != calendar.DefaultWorkingHours {
		t.Errorf("a non-admin changed the workspace hours to %v", w.DefaultHours)
	}
	if w.DailyBudget != models.DefaultDailyBudget {
		t.Errorf("a non-admin changed the daily budget to %d", w.DailyBudget)
	}
}

// TestBoundaryCommands sets every boundary by command and reads it back.
func TestBoundaryCommands(t *testing.T) {
	h := startBot(t, harnessOpts{transport: "socket"})
	ctx := context.Background()
	user := slacksim.DemoJordan // America/Los_Angeles

	if got := h.command(user, "/trellis tz europe/berlin"); !strings.Contains(got, "Europe/Berlin") {
		t.Errorf("tz → %q", got)
	}
	if p := h.person(user); p.TZOverride != "Europe/Berlin" || p.TimeZone() != "Europe/Berlin" {
		t.Errorf("after tz, person = %+v", p)
	}
	if got := h.command(user, "/trellis tz auto"); !strings.Contains(got, "America/Los_Angeles") {
		t.Errorf("tz auto → %q", got)
	}
	if p := h.person(user); p.TZOverride != "" {
		t.Errorf("after tz auto, override = %q", p.TZOverride)
	}

	if got := h.command(user, "/trellis hours sun-thu 8:00-16:00"); !strings.Contains(got, "Saved") {
		t.Errorf("hours → %q", got)
	}
	if got := h.command(user, "/trellis hours default"); !strings.Contains(got, "follow the workspace") {
		t.Errorf("hours default → %q", got)
	}
	if p := h.person(user); p.Hours != nil {
		t.Errorf("after hours default, hours = %v", *p.Hours)
	}

	loc, _ := time.LoadLocation("America/Los_Angeles")
	today := calendar.DateOf(time.Now().In(loc))
	if got := h.command(user, "/trellis away 3d"); !strings.Contains(got, "3 days") {
		t.Errorf("away 3d → %q", got)
	}
	away, err := h.people.AwayPeriods(ctx, slacksim.DefaultTeamID, user, today)
	if err != nil || len(away) != 1 || away[0].First != today || away[0].Last != today.AddDays(2) {
		t.Fatalf("after away 3d, periods = %+v, %v; want %s..%s", away, err, today, today.AddDays(2))
	}
	if got := h.command(user, "/trellis me"); !strings.Contains(got, "(3 days)") {
		t.Errorf("/trellis me while away = %q", got)
	}
	if got := h.command(user, "/trellis back"); !strings.Contains(got, "Welcome back") {
		t.Errorf("back → %q", got)
	}
	if away, _ := h.people.AwayPeriods(ctx, slacksim.DefaultTeamID, user, today); len(away) != 0 {
		t.Errorf("after back, periods from today = %+v", away)
	}

	// Holiday region: the person's own, listed from the holiday library.
	if got := h.command(user, "/trellis holidays region de-by"); !strings.Contains(got, "Saved") {
		t.Errorf("holidays region → %q", got)
	}
	if p := h.person(user); p.HolidayRegion != "DE-BY" {
		t.Errorf("region = %q, want DE-BY", p.HolidayRegion)
	}
	cal, _ := holidays.Lookup("DE-BY")
	got := h.command(user, "/trellis holidays")
	for _, hd := range cal.Between(today, today.AddDays(90)) {
		if !strings.Contains(got, hd.Date.Format("Mon 2 Jan 2006")) {
			t.Errorf("/trellis holidays = %q, want %s (%s)", got, hd.Date, hd.Name)
		}
	}
	if got := h.command(user, "/trellis me"); !strings.Contains(got, "(DE-BY), chosen by you") {
		t.Errorf("/trellis me = %q, want the DE-BY region", got)
	}

	// An admin adds a company day off; it applies to everyone.
	day := today.AddDays(10)
	line := fmt.Sprintf("/trellis admin holidays add %s Company offsite", day)
	if got := h.command(slacksim.DemoAda, line); !strings.Contains(got, "Added") {
		t.Errorf("%s → %q", line, got)
	}
	if got := h.command(user, "/trellis holidays"); !strings.Contains(got, "Company offsite") {
		t.Errorf("/trellis holidays = %q, want the company day off", got)
	}
	if got := h.command(slacksim.DemoAda, line); !strings.Contains(got, "already") {
		t.Errorf("adding it twice → %q", got)
	}
	if got := h.command(slacksim.DemoAda, "/trellis admin audit"); !strings.Contains(got, "Company offsite") {
		t.Errorf("audit = %q", got)
	}
}

// TestStatusAndProfileChanges: a vacation status makes a person away until it
// expires, and a new Slack timezone reaches Trellis through user_change.
func TestStatusAndProfileChanges(t *testing.T) {
	h := startBot(t, harnessOpts{transport: "http"})
	ctx := context.Background()
	user := slacksim.DemoMei

	if got := h.command(user, "/trellis me"); strings.Contains(got, "status says you're away") {
		t.Fatalf("/trellis me before any status = %q", got)
	}
	emoji, text := ":palm_tree:", "Vacationing"
	until := time.Now().Add(72 * time.Hour).Unix()
	if _, err := h.ctl.UpdatePerson(ctx, user, slacksim.PersonPatch{StatusEmoji: &emoji, StatusText: &text, StatusExpiration: &until}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "status stored from user_change", func() error {
		if p := h.person(user); p.Status.Emoji != emoji {
			return fmt.Errorf("status = %+v", p.Status)
		}
		return nil
	})
	if away, _ := calendar.StatusAway(h.person(user).Status, time.Now()); !away {
		t.Error("StatusAway with a palm tree = false")
	}
	if got := h.command(user, "/trellis me"); !strings.Contains(got, "status says you're away") {
		t.Errorf("/trellis me on vacation = %q", got)
	}

	// OOO in the text counts too; a plain status does not.
	for _, tt := range []struct {
		emoji, text string
		away        bool
	}{
		{"", "OOO until Monday", true},
		{":spiral_calendar_pad:", "In meetings", false},
	} {
		e, x := tt.emoji, tt.text
		var never int64
		if _, err := h.ctl.UpdatePerson(ctx, user, slacksim.PersonPatch{StatusEmoji: &e, StatusText: &x, StatusExpiration: &never}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "status "+x, func() error {
			if p := h.person(user); p.Status.Text != x {
				return fmt.Errorf("status = %+v", p.Status)
			}
			return nil
		})
		got := h.command(user, "/trellis me")
		if strings.Contains(got, "status says you're away") != tt.away {
			t.Errorf("status %q: /trellis me = %q, want away=%v", x, got, tt.away)
		}
	}

	tz := "Europe/Paris"
	if _, err := h.ctl.UpdatePerson(ctx, user, slacksim.PersonPatch{TZ: &tz}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "timezone from user_change", func() error {
		if p := h.person(user); p.SlackTZ != tz {
			return fmt.Errorf("slack tz = %q", p.SlackTZ)
		}
		return nil
	})
	if got := h.command(user, "/trellis me"); !strings.Contains(got, "Europe/Paris") {
		t.Errorf("/trellis me after moving = %q", got)
	}
}

// A person lowers their daily budget and sees it; an admin sets the
// workspace's, which caps what people may choose.
func TestBudgetCommands(t *testing.T) {
	h := startBot(t, harnessOpts{transport: "http"})
	ctx := context.Background()
	user, admin := slacksim.DemoRavi, slacksim.DemoAda

	if got := h.command(user, "/trellis budget"); !strings.Contains(got, "at most 3 proactive messages") {
		t.Errorf("budget → %q", got)
	}
	if got := h.command(user, "/trellis budget 2"); !strings.Contains(got, "Saved: at most 2") {
		t.Errorf("budget 2 → %q", got)
	}
	if p := h.person(user); p.DailyBudget != 2 {
		t.Errorf("stored budget = %d, want 2", p.DailyBudget)
	}
	if got := h.command(user, "/trellis me"); !strings.Contains(got, "at most 2 proactive messages a day, chosen by you") {
		t.Errorf("/trellis me = %q", got)
	}
	if got := h.command(admin, "/trellis admin budget 25"); !strings.Contains(got, "from 1 to 20") {
		t.Errorf("admin budget 25 → %q", got)
	}
	if got := h.command(admin, "/trellis admin budget 1"); !strings.Contains(got, "at most 1 proactive message from Trellis a day") {
		t.Errorf("admin budget 1 → %q", got)
	}
	w, err := models.NewWorkspaces(h.db).Get(ctx, slacksim.DefaultTeamID)
	if err != nil || w.DailyBudget != 1 {
		t.Fatalf("workspace budget = %d, %v; want 1", w.DailyBudget, err)
	}
	if got := h.command(user, "/trellis me"); !strings.Contains(got, "at most 1 proactive message a day") {
		t.Errorf("/trellis me under a workspace limit of 1 = %q", got)
	}
	if got := h.command(user, "/trellis budget default"); !strings.Contains(got, "limit of 1 a day") {
		t.Errorf("budget default → %q", got)
	}
	if p := h.person(user); p.DailyBudget != 0 {
		t.Errorf("after default, stored budget = %d", p.DailyBudget)
	}

	// The minimum group size for anonymous totals: 3 at the least.
	if got := h.command(user, "/trellis admin min-group 4"); !strings.Contains(got, "Only workspace admins") {
		t.Errorf("min-group by a member → %q", got)
	}
	if got := h.command(admin, "/trellis admin min-group 2"); !strings.Contains(got, "from 3 up") {
		t.Errorf("admin min-group 2 → %q", got)
	}
	if w, _ := models.NewWorkspaces(h.db).Get(ctx, slacksim.DefaultTeamID); w.MinGroupSize != 5 {
		t.Errorf("after refused changes, min group = %d, want the default 5", w.MinGroupSize)
	}
	if got := h.command(admin, "/trellis admin min-group 3"); !strings.Contains(got, "at least 3 people") {
		t.Errorf("admin min-group 3 → %q", got)
	}
	if w, _ := models.NewWorkspaces(h.db).Get(ctx, slacksim.DefaultTeamID); w.MinGroupSize != 3 {
		t.Errorf("min group = %d, want 3", w.MinGroupSize)
	}
}
