package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// TestReplayedRecordsStoredOnce: the same time off (by command or by the
// Home tab's form) and the same company holiday, sent twice as a double
// submit or a replayed command would, leave one row, and the second reply
// says it was already recorded. Over-long text is refused with its limit
// and stores nothing.
func TestReplayedRecordsStoredOnce(t *testing.T) {
	h := startBot(t, harnessOpts{transport: "http"})
	ctx := context.Background()
	user := slacksim.DemoCarlos
	h.command(user, "/trellis tz UTC")
	today := calendar.DateOf(time.Now().UTC())
	first, last := today.AddDays(30), today.AddDays(34)
	countAway := func() int {
		t.Helper()
		away, err := h.people.AwayPeriods(ctx, slacksim.DefaultTeamID, user, today)
		if err != nil {
			t.Fatal(err)
		}
		return len(away)
	}

	// By command.
	line := fmt.Sprintf("/trellis away %s to %s", first, last)
	if got := h.command(user, line); !strings.Contains(got, "Enjoy your time off") {
		t.Fatalf("%s → %q", line, got)
	}
	if got := h.command(user, line); !strings.Contains(got, "already recorded") {
		t.Errorf("%s again → %q, want it to say it is already recorded", line, got)
	}
	if n := countAway(); n != 1 {
		t.Errorf("after the replayed command, %d periods, want 1", n)
	}

	// By the form: the same days again, then other days with a note too long.
	form := func(first, last calendar.Date, note string) map[string]map[string]json.RawMessage {
		return map[string]map[string]json.RawMessage{
			"first": {"first": raw(t, map[string]any{"type": "datepicker", "selected_date": first.String()})},
			"last":  {"last": raw(t, map[string]any{"type": "datepicker", "selected_date": last.String()})},
			"note":  {"note": raw(t, map[string]any{"type": "plain_text_input", "value": note})},
		}
	}
	v := h.openFromHome(user, "home:away", "away")
	if res := h.submit(user, v, form(first, last, "again")); !strings.Contains(res.Errors["first"], "already recorded") {
		t.Errorf("same days by form: %+v, want an error on first saying already recorded", res)
	}
	long := strings.Repeat("é", models.MaxAwayNoteLen+1)
	if res := h.submit(user, v, form(last.AddDays(1), last.AddDays(2), long)); !strings.Contains(res.Errors["note"], fmt.Sprint(models.MaxAwayNoteLen)) {
		t.Errorf("note of %d characters: %+v, want an error on note saying the limit", models.MaxAwayNoteLen+1, res)
	}
	if n := countAway(); n != 1 {
		t.Errorf("after the refused forms, %d periods, want 1", n)
	}

	// Company holidays.
	day := today.AddDays(40)
	add := fmt.Sprintf("/trellis admin holidays add %s Office closed", day)
	if got := h.command(slacksim.DemoAda, add); !strings.Contains(got, "Added") {
		t.Fatalf("%s → %q", add, got)
	}
	if got := h.command(slacksim.DemoAda, add); !strings.Contains(got, "already recorded") {
		t.Errorf("%s again → %q, want already recorded", add, got)
	}
	other := fmt.Sprintf("/trellis admin holidays add %s Team offsite", day)
	if got := h.command(slacksim.DemoAda, other); !strings.Contains(got, "already a workspace holiday") {
		t.Errorf("%s → %q, want the date is taken", other, got)
	}
	tooLong := fmt.Sprintf("/trellis admin holidays add %s %s", day.AddDays(1), strings.Repeat("x", models.MaxHolidayNameLen+1))
	if got := h.command(slacksim.DemoAda, tooLong); !strings.Contains(got, fmt.Sprintf("keep it to %d", models.MaxHolidayNameLen)) {
		t.Errorf("long holiday name → %q, want the limit", got)
	}
	ws := models.NewWorkspaces(h.db)
	hs, err := ws.Holidays(ctx, slacksim.DefaultTeamID, day, day.AddDays(1))
	if err != nil || len(hs) != 1 || hs[0].Name != "Office closed" {
		t.Errorf("holidays = %+v, %v; want only Office closed", hs, err)
	}
}

// TestUnknownRegionSuggestsNearby: a person in a zone whose country has no
// holiday list (India) who asks for it is told which covered regions are
// nearest their zone and how to add their holidays otherwise, and nothing
// changes. So is an admin.
func TestUnknownRegionSuggestsNearby(t *testing.T) {
	h := startBot(t, harnessOpts{transport: "http"})
	for _, tt := range []struct{ user, line string }{
		{slacksim.DemoCarlos, "/trellis holidays region IN"},
		{slacksim.DemoAda, "/trellis admin holidays region IN"},
	} {
		h.command(tt.user, "/trellis tz Asia/Kolkata")
		before := h.person(tt.user)
		got := h.command(tt.user, tt.line)
		for _, want := range []string{"`IN` isn't a holiday region", "Asia/Kolkata", "`JP` Japan", "/trellis admin holidays add", "/trellis away", "/trellis holidays regions"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s → %q, want it to say %q", tt.line, got, want)
			}
		}
		if after := h.person(tt.user); after.HolidayRegion != before.HolidayRegion {
			t.Errorf("%s changed the region: %q → %q", tt.line, before.HolidayRegion, after.HolidayRegion)
		}
	}
}

// TestHostileTextEndToEnd: a broadcast, a mention and a link typed into a
// company holiday's name and a time-off note reach the replies and the
// Home tab the emulator holds as text, escaped, and every Block Kit limit
// holds there.
func TestHostileTextEndToEnd(t *testing.T) {
	h := startBot(t, harnessOpts{transport: "http"})
	ctx := context.Background()
	user := slacksim.DemoCarlos
	const evil = "<!channel> <@U0BOSS> <http://evil.example|click>"
	h.command(user, "/trellis tz UTC")
	today := calendar.DateOf(time.Now().UTC())
	if got := h.command(slacksim.DemoAda, fmt.Sprintf("/trellis admin holidays add %s %s", today.AddDays(3), evil)); !strings.Contains(got, "Added") {
		t.Fatalf("holiday add → %q", got)
	}
	v := h.openFromHome(user, "home:away", "away")
	form := map[string]map[string]json.RawMessage{
		"first": {"first": raw(t, map[string]any{"type": "datepicker", "selected_date": today.AddDays(5).String()})},
		"last":  {"last": raw(t, map[string]any{"type": "datepicker", "selected_date": today.AddDays(6).String()})},
		"note":  {"note": raw(t, map[string]any{"type": "plain_text_input", "value": evil})},
	}
	if res := h.submit(user, v, form); len(res.Errors) > 0 {
		t.Fatalf("time off: %+v", res)
	}

	for _, line := range []string{"/trellis me", "/trellis holidays", "/trellis away"} {
		res, err := h.ctl.Command(ctx, slacksim.CommandRequest{User: user, Text: line})
		if err != nil || res.Response == nil {
			t.Fatalf("%s: %+v, %v", line, res, err)
		}
		for _, p := range blockkit.Check(blockkit.Message, res.Response.Blocks) {
			t.Errorf("%s: %s", line, p)
		}
		for _, p := range blockkit.CheckText(res.Response.Text) {
			t.Errorf("%s text: %s", line, p)
		}
		if !strings.Contains(string(res.Response.Blocks), "&lt;!channel&gt;") && !strings.Contains(string(res.Response.Blocks), `\u0026lt;!channel\u0026gt;`) {
			t.Errorf("%s does not show the typed text: %s", line, res.Response.Blocks)
		}
	}
	eventually(t, "home shows the note", func() error {
		home, err := h.ctl.Home(ctx, user)
		if err != nil || home == nil {
			return fmt.Errorf("no home: %v", err)
		}
		if !strings.Contains(string(home.Blocks), "click") {
			return fmt.Errorf("home lacks the note yet")
		}
		for _, p := range blockkit.Check(blockkit.Home, map[string]json.RawMessage{"blocks": home.Blocks}) {
			t.Errorf("home: %s", p)
		}
		return nil
	})
}

// TestHostileCommandArguments: whatever follows a command, the reply that
// echoes it back shows it as text, within Slack's limits, and says what was
// wrong.
func TestHostileCommandArguments(t *testing.T) {
	h := startBot(t, harnessOpts{transport: "http"})
	ctx := context.Background()
	for _, evil := range []string{"<!channel>", "<@U0BOSS|boss> <#C1>", "<http://evil.example|x>`<!here>`", strings.Repeat("<!everyone>", 500)} {
		for _, tt := range []struct{ user, line string }{
			{slacksim.DemoCarlos, evil},
			{slacksim.DemoCarlos, "hours " + evil},
			{slacksim.DemoCarlos, "tz " + evil},
			{slacksim.DemoCarlos, "away " + evil},
			{slacksim.DemoCarlos, "holidays " + evil},
			{slacksim.DemoCarlos, "holidays region " + evil},
			{slacksim.DemoCarlos, "budget " + evil},
			{slacksim.DemoCarlos, "checkin edit " + evil},
			{slacksim.DemoCarlos, "checkin " + evil},
			{slacksim.DemoAda, "admin " + evil},
			{slacksim.DemoAda, "admin holidays " + evil},
			{slacksim.DemoAda, "admin budget " + evil},
			{slacksim.DemoAda, "admin min-group " + evil},
			{slacksim.DemoAda, "admin holidays add " + evil},
			{slacksim.DemoAda, "admin holidays remove " + evil},
			{slacksim.DemoAda, "admin holidays region " + evil},
		} {
			line := "/trellis " + tt.line
			res, err := h.ctl.Command(ctx, slacksim.CommandRequest{User: tt.user, Text: line})
			if err != nil || res.Response == nil {
				t.Fatalf("%.40s: %+v, %v", line, res, err)
			}
			for _, p := range append(blockkit.Check(blockkit.Message, res.Response.Blocks), blockkit.CheckText(res.Response.Text)...) {
				t.Errorf("%.40s: %s", line, p)
			}
		}
	}
}
