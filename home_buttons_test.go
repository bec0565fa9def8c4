package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// newCheckinIn sets up a check-in of everyone in channel through
// /trellis checkin new and its form, and returns its number.
func (h *ckHarness) newCheckinIn(t *testing.T, owner, channel, name string) int64 {
	t.Helper()
	h.commandIn(t, owner, channel, "/trellis checkin new")
	v := h.topView(t, owner, checkinhandlers.CallbackCheckin)
	got := h.submit(owner, v, formState(t, v.Blocks, map[string]any{checkinhandlers.BlockCheckinName: name,
		checkinhandlers.BlockCheckinCadence: "mondays at 09:30", checkinhandlers.BlockCheckinQuestions: "What matters most this week?"}))
	if got.ResponseAction == "errors" || !got.OK {
		t.Fatalf("create %s: %s %v %s", name, got.ResponseAction, got.Errors, got.Error)
	}
	cs, err := checkinmodels.NewStore(h.db).InChannel(h.ctx, slacksim.DefaultTeamID, channel)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Name == name {
			return c.ID
		}
	}
	t.Fatalf("%s is not stored: %+v", name, cs)
	return 0
}

// homeElements returns, by block id, the action ids on user's Home tab,
// once it has been published with the elements of block waitFor as want
// (any, when want is nil).
func (h *ckHarness) homeElements(t *testing.T, user, waitFor string, want []string) map[string][]string {
	t.Helper()
	if _, err := h.ctl.OpenHome(h.ctx, user); err != nil {
		t.Fatal(err)
	}
	var out map[string][]string
	eventually(t, user+"'s Home with "+waitFor, func() error {
		v, err := h.ctl.Home(h.ctx, user)
		if err != nil || v == nil {
			return fmt.Errorf("no Home yet: %v", err)
		}
		var blocks []map[string]any
		if err := json.Unmarshal(v.Blocks, &blocks); err != nil {
			return err
		}
		out = map[string][]string{}
		for _, b := range blocks {
			id, _ := b["block_id"].(string)
			if a, ok := b["accessory"].(map[string]any); ok {
				out[id] = append(out[id], fmt.Sprint(a["action_id"]))
			}
			els, _ := b["elements"].([]any)
			for _, e := range els {
				if e, ok := e.(map[string]any); ok && e["action_id"] != nil {
					out[id] = append(out[id], fmt.Sprint(e["action_id"]))
				}
			}
		}
		if got, ok := out[waitFor]; !ok || (want != nil && !slices.Equal(got, want)) {
			return fmt.Errorf("block %s has %v, want %v", waitFor, got, want)
		}
		return nil
	})
	return out
}

// clickHome presses an element of user's Home tab, with value as the
// button's value or the option picked (a forged one, when the test says
// so), and waits for the reply Trellis sends by DM containing want.
func (h *ckHarness) clickHome(t *testing.T, user, blockID, actionID, value, want string) {
	t.Helper()
	before := len(h.dms(t, user))
	req := slacksim.ActionRequest{User: user, BlockID: blockID, ActionID: actionID}
	if actionID == views.ActionHomeBudget {
		req.SelectedOption = raw(t, map[string]any{"value": value})
	} else {
		req.Value = value
	}
	res, err := h.ctl.Action(h.ctx, req)
	if err != nil || !res.OK {
		t.Fatalf("%s presses %s in %s (value %q): %+v, %v", user, actionID, blockID, value, res, err)
	}
	if want == "" {
		return
	}
	eventually(t, fmt.Sprintf("%s's reply to %s %q", user, actionID, value), func() error {
		dms := h.dms(t, user)
		for _, m := range dms[min(before, len(dms)):] {
			if strings.Contains(m.Text+blockText(m.Blocks), want) {
				return nil
			}
		}
		return fmt.Errorf("no DM with %q among %d new", want, len(dms)-before)
	})
}

// TestHomeCheckinButtonsTrust: the Home tab's check-in buttons are shown only to
// the people allowed to use them (the owner and admins; Export for everyone
// in it), and do what the commands do for them.
// Every button's value names a check-in; a click with another check-in's
// number (a forged value) is checked against stored state and Slack: a
// participant who does not own it and a stranger each get a friendly
// refusal for every button, and nothing changes.
func TestHomeCheckinButtonsTrust(t *testing.T) {
	h := startSandbox(t)
	ctx := h.ctx
	store := checkinmodels.NewStore(h.db)
	add := func(name string) string {
		p, err := h.ctl.AddPerson(ctx, slacksim.NewPerson{Name: strings.ToLower(name), RealName: name, TZ: "Europe/Vienna"})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	channel := func(name string, members ...string) string {
		ch, err := h.ctl.CreateChannel(ctx, slacksim.NewChannel{Name: name, Members: members})
		if err != nil {
			t.Fatal(err)
		}
		return ch.ID
	}
	lena, omar, sam := add("Lena"), add("Omar"), add("Sam")
	ada := slacksim.DemoAda // a workspace admin
	team := h.newCheckinIn(t, lena, channel("platform", lena, omar, ada), "Platform stand-up")
	teamRow := checkinhandlers.HomeCheckinActionsBlockID(team)

	// Omar and Sam each own a running and a paused check-in, so their Home
	// has every kind of button to forge a click with.
	own := map[string][2]int64{}
	for _, who := range []string{omar, sam} {
		ch := channel("own-"+strings.ToLower(who), who)
		running, paused := h.newCheckinIn(t, who, ch, "Running "+who), h.newCheckinIn(t, who, ch, "Paused "+who)
		if got := h.commandIn(t, who, ch, "/trellis checkin pause "+strconv.FormatInt(paused, 10)); !strings.Contains(got, "Paused") {
			t.Fatalf("pause: %s", got)
		}
		own[who] = [2]int64{running, paused}
	}

	// Who sees which buttons.
	running := []string{checkinhandlers.ActionHomeCheckinEdit, checkinhandlers.ActionHomeCheckinPause, checkinhandlers.ActionHomeCheckinRun, checkinhandlers.ActionHomeCheckinExport}
	paused := []string{checkinhandlers.ActionHomeCheckinEdit, checkinhandlers.ActionHomeCheckinResume, checkinhandlers.ActionHomeCheckinRun, checkinhandlers.ActionHomeCheckinExport}
	h.homeElements(t, lena, teamRow, running)
	h.homeElements(t, ada, teamRow, running)
	h.homeElements(t, omar, teamRow, []string{checkinhandlers.ActionHomeCheckinExport})
	for _, who := range []string{omar, sam} {
		h.homeElements(t, who, checkinhandlers.HomeCheckinActionsBlockID(own[who][0]), running)
		h.homeElements(t, who, checkinhandlers.HomeCheckinActionsBlockID(own[who][1]), paused)
	}
	if els := h.homeElements(t, sam, checkinhandlers.HomeCheckinActionsBlockID(own[sam][0]), nil); els[teamRow] != nil {
		t.Errorf("a stranger's Home shows the team's check-in: %v", els[teamRow])
	}

	teamID := strconv.FormatInt(team, 10)
	occs := models.NewOccurrences(h.db)
	// runs counts the "run now" messages planned for the team's check-in.
	runs := func() int {
		t.Helper()
		n := 0
		for _, who := range []string{lena, omar, ada} {
			list, err := occs.ForRecipient(ctx, slacksim.DefaultTeamID, who, time.Time{}, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range list {
				if strings.HasPrefix(o.CadenceID, checkinmodels.ScheduleKey(team)+"#run:") {
					n++
				}
			}
		}
		return n
	}
	unchanged := func(what string, paused bool) {
		t.Helper()
		c, err := store.Get(ctx, slacksim.DefaultTeamID, team)
		if err != nil || c.Paused != paused || c.Name != "Platform stand-up" {
			t.Errorf("after %s: %+v, %v; want it unchanged (paused %v)", what, c, err, paused)
		}
		if n := runs(); n != 0 {
			t.Errorf("after %s: %d people asked to run it now", what, n)
		}
		for _, who := range []string{omar, sam} {
			if stack, err := h.ctl.Views(ctx, who); err != nil || len(stack) != 0 {
				t.Errorf("after %s: %s has views open: %+v, %v", what, who, stack, err)
			}
		}
	}
	// forge presses every button of the forger's own check-ins with the
	// team check-in's number instead.
	forge := func(paused bool) {
		for _, f := range []struct{ who, refusal, export string }{
			{omar, "Only <@" + lena + ">", "You haven't answered *Platform stand-up* yet"},
			{sam, "There is no check-in " + teamID, "There is no check-in " + teamID},
		} {
			for _, action := range []string{checkinhandlers.ActionHomeCheckinEdit, checkinhandlers.ActionHomeCheckinPause, checkinhandlers.ActionHomeCheckinResume, checkinhandlers.ActionHomeCheckinRun, checkinhandlers.ActionHomeCheckinExport} {
				from := own[f.who][0]
				if action == checkinhandlers.ActionHomeCheckinResume {
					from = own[f.who][1]
				}
				want := f.refusal
				if action == checkinhandlers.ActionHomeCheckinExport {
					// Anyone in it may export their own answers; a
					// stranger may not know it exists.
					want = f.export
				}
				h.clickHome(t, f.who, checkinhandlers.HomeCheckinActionsBlockID(from), action, teamID, want)
				unchanged(f.who+"'s forged "+action, paused)
			}
		}
	}
	forge(false)

	// The owner's buttons work: pause, then forged resumes change nothing,
	// then resume.
	h.clickHome(t, lena, teamRow, checkinhandlers.ActionHomeCheckinPause, teamID, "Paused *Platform stand-up*")
	unchanged("the owner's pause", true)
	h.homeElements(t, lena, teamRow, paused)
	forge(true)
	h.clickHome(t, lena, teamRow, checkinhandlers.ActionHomeCheckinResume, teamID, "Resumed *Platform stand-up*")
	unchanged("the owner's resume", false)
	h.homeElements(t, lena, teamRow, running)

	// Bad values of every kind get a friendly answer too.
	for _, v := range []string{"abc", "-3", "0", "1.5", "99999"} {
		want := "doesn't name a check-in"
		if v == "99999" {
			want = "There is no check-in 99999"
		}
		for _, action := range []string{checkinhandlers.ActionHomeCheckinEdit, checkinhandlers.ActionHomeCheckinPause, checkinhandlers.ActionHomeCheckinRun, checkinhandlers.ActionHomeCheckinExport} {
			h.clickHome(t, lena, teamRow, action, v, want)
		}
	}
	unchanged("bad values", false)

	// Edit opens the form of /trellis checkin edit.
	h.clickHome(t, lena, teamRow, checkinhandlers.ActionHomeCheckinEdit, teamID, "")
	if v := h.topView(t, lena, checkinhandlers.CallbackCheckin); v.PrivateMetadata != "edit:"+teamID || !strings.Contains(string(v.Blocks), "Platform stand-up") {
		t.Errorf("the edit form: metadata %q, blocks %.300s", v.PrivateMetadata, v.Blocks)
	}
	// Export, with no answers yet, says so, as the command does.
	h.clickHome(t, lena, teamRow, checkinhandlers.ActionHomeCheckinExport, teamID, "*Platform stand-up* has no answers yet")
	// Run now asks everyone.
	h.clickHome(t, lena, teamRow, checkinhandlers.ActionHomeCheckinRun, teamID, "Asking 3 people for *Platform stand-up* now")
	if n := runs(); n != 3 {
		t.Errorf("after Run now, %d people asked, want 3", n)
	}

	// A workspace admin who did not set it up may change it too.
	h.clickHome(t, ada, teamRow, checkinhandlers.ActionHomeCheckinPause, teamID, "Paused *Platform stand-up*")
	if c, err := store.Get(ctx, slacksim.DefaultTeamID, team); err != nil || !c.Paused {
		t.Errorf("after the admin's pause: %+v, %v; want it paused", c, err)
	}
}

// TestHomeBudgetMenuSetsLimit: the daily-limit menu sets the person's limit as
// /trellis budget does, and a value it does not offer gets a friendly
// refusal and changes nothing.
func TestHomeBudgetMenuSetsLimit(t *testing.T) {
	h := startSandbox(t)
	people := models.NewPeople(h.db)
	user := slacksim.DemoMei
	budget := func() int {
		t.Helper()
		p, err := people.Get(h.ctx, slacksim.DefaultTeamID, user)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			t.Fatal(err)
		}
		return p.DailyBudget
	}
	h.homeElements(t, user, views.BlockHomeBudget, []string{views.ActionHomeBudget})
	pick := func(value string, want int) {
		t.Helper()
		h.clickHome(t, user, views.BlockHomeBudget, views.ActionHomeBudget, value, "")
		eventually(t, "daily limit "+value, func() error {
			if got := budget(); got != want {
				return fmt.Errorf("daily limit %d, want %d", got, want)
			}
			return nil
		})
	}
	pick("1", 1)
	// The workspace allows 3 (models.DefaultDailyBudget): anything else
	// the menu does not offer is refused.
	for _, v := range []string{"0", "4", "20", "-1", "abc", "", "2.5", "01", "DEFAULT"} {
		h.clickHome(t, user, views.BlockHomeBudget, views.ActionHomeBudget, v, "I can only set your daily limit to one of the choices")
		if got := budget(); got != 1 {
			t.Errorf("after the forged choice %q, the daily limit is %d, want 1", v, got)
		}
	}
	pick("3", 3)
	pick(views.ValueDefault, 0)
	if got := h.commandIn(t, user, "", "/trellis budget"); !strings.Contains(got, "at most 3 proactive") {
		t.Errorf("/trellis budget after the menu: %s", got)
	}
}
