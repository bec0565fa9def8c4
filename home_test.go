package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// openFromHome publishes user's Home tab, clicks the button actionID on it
// and returns the modal that opens.
func (h *harness) openFromHome(user, actionID, callbackID string) slacksim.View {
	h.t.Helper()
	ctx := context.Background()
	if _, err := h.ctl.OpenHome(ctx, user); err != nil {
		h.t.Fatal(err)
	}
	eventually(h.t.(*testing.T), "home with "+actionID, func() error {
		v, err := h.ctl.Home(ctx, user)
		if err != nil {
			return err
		}
		if v == nil || !strings.Contains(string(v.Blocks), `"`+actionID+`"`) {
			return fmt.Errorf("no %s button yet", actionID)
		}
		return nil
	})
	res, err := h.ctl.Action(ctx, slacksim.ActionRequest{User: user, ActionID: actionID})
	if err != nil || !res.OK {
		h.t.Fatalf("click %s: %+v, %v", actionID, res, err)
	}
	stack, err := h.ctl.Views(ctx, user)
	if err != nil || len(stack) == 0 || stack[len(stack)-1].CallbackID != callbackID {
		h.t.Fatalf("after clicking %s, views = %+v, %v; want the %s modal", actionID, stack, err, callbackID)
	}
	return stack[len(stack)-1]
}

func (h *harness) submit(user string, v slacksim.View, values map[string]map[string]json.RawMessage) slacksim.SubmitResult {
	h.t.Helper()
	res, err := h.ctl.SubmitView(context.Background(), v.ID, slacksim.SubmitRequest{User: user, Values: values})
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

func value(t *testing.T, block string, v map[string]any) map[string]map[string]json.RawMessage {
	return map[string]map[string]json.RawMessage{block: {block: raw(t, v)}}
}

// TestHomeModals: every button on the Home tab opens its modal; bad values
// come back as field errors and store nothing; good ones are saved.
func TestHomeModals(t *testing.T) {
	h := startBot(t, harnessOpts{transport: "socket"})
	ctx := context.Background()
	user := slacksim.DemoCarlos // America/Sao_Paulo

	// Timezone.
	v := h.openFromHome(user, "home:tz", "tz")
	res := h.submit(user, v, value(t, "tz", map[string]any{"type": "plain_text_input", "value": "Moon/Base"}))
	if res.Errors["tz"] == "" || len(res.Views) != 1 {
		t.Errorf("unknown zone: %+v, want an error on tz", res)
	}
	if p := h.person(user); p.TZOverride != "" {
		t.Errorf("unknown zone stored: %q", p.TZOverride)
	}
	res = h.submit(user, v, value(t, "tz", map[string]any{"type": "plain_text_input", "value": "asia/kathmandu"}))
	if len(res.Errors) > 0 || len(res.Views) != 0 {
		t.Errorf("valid zone: %+v", res)
	}
	if p := h.person(user); p.TZOverride != "Asia/Kathmandu" {
		t.Errorf("zone stored = %q, want Asia/Kathmandu", p.TZOverride)
	}

	// An empty field follows the Slack profile again.
	v = h.openFromHome(user, "home:tz", "tz")
	h.submit(user, v, value(t, "tz", map[string]any{"type": "plain_text_input", "value": ""}))
	if p := h.person(user); p.TZOverride != "" || p.TimeZone() != "America/Sao_Paulo" {
		t.Errorf("after an empty zone, person = %+v", p)
	}
	h.command(user, "/trellis tz Asia/Kathmandu")

	// Time off: a past first day is refused; a real period is stored.
	loc, _ := time.LoadLocation("Asia/Kathmandu")
	today := calendar.DateOf(time.Now().In(loc))
	dates := func(first, last calendar.Date) map[string]map[string]json.RawMessage {
		return map[string]map[string]json.RawMessage{
			"first": {"first": raw(t, map[string]any{"type": "datepicker", "selected_date": first.String()})},
			"last":  {"last": raw(t, map[string]any{"type": "datepicker", "selected_date": last.String()})},
			"note":  {"note": raw(t, map[string]any{"type": "plain_text_input", "value": "Lisbon"})},
		}
	}
	v = h.openFromHome(user, "home:away", "away")
	if res := h.submit(user, v, dates(today.AddDays(-3), today.AddDays(2))); res.Errors["first"] == "" {
		t.Errorf("past first day: %+v, want an error on first", res)
	}
	if res := h.submit(user, v, dates(today.AddDays(5), today.AddDays(2))); res.Errors["last"] == "" {
		t.Errorf("last before first: %+v, want an error on last", res)
	}
	if away, _ := h.people.AwayPeriods(ctx, slacksim.DefaultTeamID, user, today); len(away) != 0 {
		t.Errorf("refused time off stored: %+v", away)
	}
	if res := h.submit(user, v, dates(today.AddDays(1), today.AddDays(4))); len(res.Errors) > 0 || len(res.Views) != 0 {
		t.Errorf("valid time off: %+v", res)
	}
	away, err := h.people.AwayPeriods(ctx, slacksim.DefaultTeamID, user, today)
	if err != nil || len(away) != 1 || away[0].First != today.AddDays(1) || away[0].Last != today.AddDays(4) || away[0].Note != "Lisbon" {
		t.Fatalf("stored time off = %+v, %v", away, err)
	}

	// The Home tab lists it with a Remove button that works.
	remove := fmt.Sprintf("home:away-remove:%d", away[0].ID)
	eventually(t, "remove button", func() error {
		v, err := h.ctl.Home(ctx, user)
		if err != nil || v == nil || !strings.Contains(string(v.Blocks), remove) {
			return fmt.Errorf("home has no %s (%v)", remove, err)
		}
		return nil
	})
	if res, err := h.ctl.Action(ctx, slacksim.ActionRequest{User: user, ActionID: remove}); err != nil || !res.OK {
		t.Fatalf("remove: %+v, %v", res, err)
	}
	if away, _ := h.people.AwayPeriods(ctx, slacksim.DefaultTeamID, user, today); len(away) != 0 {
		t.Errorf("after remove, time off = %+v", away)
	}

	// Holiday region.
	v = h.openFromHome(user, "home:region", "region")
	sel := func(code string) map[string]map[string]json.RawMessage {
		return value(t, "region", map[string]any{"type": "static_select", "selected_option": option(code)})
	}
	if res := h.submit(user, v, sel("XX-NOPE")); res.Errors["region"] == "" {
		t.Errorf("unknown region: %+v, want an error", res)
	}
	if res := h.submit(user, v, sel("BR")); len(res.Errors) > 0 {
		t.Errorf("BR: %+v", res)
	}
	if p := h.person(user); p.HolidayRegion != "BR" {
		t.Errorf("region = %q, want BR", p.HolidayRegion)
	}

	// Hours from Home: choosing exactly the workspace default follows it.
	h.command(user, "/trellis hours mon-fri 10:00-18:00")
	v = h.openFromHome(user, "home:hours", "hours")
	res = h.submit(user, v, hoursValues(t, []string{"Mon", "Tue", "Wed", "Thu", "Fri"}, "09:00", "17:30"))
	if len(res.Errors) > 0 {
		t.Errorf("default hours: %+v", res)
	}
	if p := h.person(user); p.Hours != nil {
		t.Errorf("after choosing the default, own hours = %v, want none", *p.Hours)
	}
}

// TestHelpListsEveryCommand: /trellis help names every subcommand a person
// can use, and the admin ones.
func TestHelpListsEveryCommand(t *testing.T) {
	h := startBot(t, harnessOpts{transport: "http"})
	got := h.command(slacksim.DemoMei, "/trellis help")
	for _, want := range []string{"/trellis me", "/trellis hours", "/trellis tz", "/trellis tz auto", "/trellis away", "/trellis back",
		"/trellis holidays", "/trellis holidays region", "/trellis budget", "/trellis checkin new", "/trellis checkin list", "/trellis checkin export", "/trellis admin hours", "/trellis admin holidays", "/trellis admin budget", "/trellis admin min-group", "/trellis admin audit", "Home"} {
		if !strings.Contains(got, want) {
			t.Errorf("help does not mention %q", want)
		}
	}
	if got2 := h.command(slacksim.DemoMei, "/trellis"); got2 != got {
		t.Errorf("/trellis alone = %q, want the help", got2)
	}
}

// TestUninstallDeactivates: app_uninstalled deactivates the installation.
func TestUninstallDeactivates(t *testing.T) {
	h := startBot(t, harnessOpts{transport: "http"})
	ctx := context.Background()
	key, err := models.ParseKey(h.env["TRELLIS_ENCRYPTION_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	cipher, err := models.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	installs := models.NewInstallations(h.db, cipher)
	if list, err := installs.List(ctx); err != nil || len(list) != 1 {
		t.Fatalf("before uninstall, installations = %+v, %v", list, err)
	}
	if _, err := h.ctl.Uninstall(ctx, slacksim.UninstallRequest{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "installation deactivated", func() error {
		list, err := installs.List(ctx)
		if err != nil {
			return err
		}
		if len(list) != 0 {
			return fmt.Errorf("active installations = %d", len(list))
		}
		return nil
	})
}
