package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	"github.com/trellis-bot/trellis/internal/slacksim"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// okrHarness is a sandbox Trellis with a cycle running and five people:
// Ana, Ben and Eli in the growth channel, Cara outside it, and Dee, a
// workspace admin outside it too.
type okrHarness struct {
	*ckHarness
	store                    *okrs.Store
	ana, ben, cara, dee, eli string
	growth                   string
	cycle                    okrs.Cycle
	// seeded are the objectives the sandbox held when the test began.
	seeded map[int64]bool
}

func startOKRs(t *testing.T) *okrHarness {
	t.Helper()
	h := startSandbox(t)
	clk, err := h.ctl.Clock(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The Monday at least two days ahead, 09:00 UTC.
	day := clk.Now.UTC().Truncate(24 * time.Hour).Add(48 * time.Hour)
	for day.Weekday() != time.Monday {
		day = day.Add(24 * time.Hour)
	}
	h.setClock(t, day.Add(9*time.Hour))
	add := func(name, tz string, admin bool) string {
		p, err := h.ctl.AddPerson(h.ctx, slacksim.NewPerson{Name: strings.ToLower(name), RealName: name, TZ: tz, IsAdmin: admin})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	o := &okrHarness{ckHarness: h, store: okrs.NewStore(h.db)}
	o.ana, o.ben = add("Ana", "Europe/Berlin", false), add("Ben", "America/Chicago", false)
	o.cara, o.dee = add("Cara", "Asia/Tokyo", false), add("Dee", "Europe/Lisbon", true)
	o.eli = add("Eli", "Africa/Lagos", false)
	ch, err := h.ctl.CreateChannel(h.ctx, slacksim.NewChannel{Name: "growth", Members: []string{o.ana, o.ben, o.eli}})
	if err != nil {
		t.Fatal(err)
	}
	o.growth = ch.ID
	// The workspace's cycle running that day: the sandbox's, if it
	// starts with one, else one made here.
	start := calendar.DateOf(day).AddDays(-7)
	c, ok, err := o.store.CycleOn(h.ctx, slacksim.DefaultTeamID, "", calendar.DateOf(day))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		c, err = o.store.CreateCycle(h.ctx, slacksim.DefaultTeamID, okrs.Cycle{Name: "Spring", Start: start, End: okrs.EndAfterMonths(start, 2)}, o.dee)
		if err != nil {
			t.Fatal(err)
		}
	}
	o.cycle = c
	o.seeded = map[int64]bool{}
	for _, ob := range o.objectives(t) {
		o.seeded[ob.ID] = true
	}
	return o
}

// objectives are the workspace's stored objectives but those the
// sandbox seeded before the test began.
func (o *okrHarness) objectives(t *testing.T) []okrs.Objective {
	t.Helper()
	objs, err := o.store.Objectives(o.ctx, slacksim.DefaultTeamID, okrs.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(objs, func(ob okrs.Objective) bool { return o.seeded[ob.ID] })
}

// history is a key result's stored history.
func (o *okrHarness) history(t *testing.T, kr int64) []okrs.Update {
	t.Helper()
	hist, err := o.store.History(o.ctx, slacksim.DefaultTeamID, kr)
	if err != nil {
		t.Fatal(err)
	}
	return hist
}

// objectiveForm is the new-objective form's state: title, team (a
// conversations_select the emulator's FormState leaves out), visibility,
// alignment picks and key result rows (title, start, target, owner).
func (o *okrHarness) objectiveForm(t *testing.T, v slacksim.View, title, team, visibility string, parents []string, rows [][4]string) map[string]map[string]json.RawMessage {
	t.Helper()
	over := map[string]any{okrhandlers.BlockNewTitle: title}
	if visibility != "" {
		over[okrhandlers.BlockNewVisibility] = visibility
	}
	for i, r := range rows {
		row := i + 1
		over[okrhandlers.NewKRBlockID(row, okrhandlers.KRFieldTitle)] = r[0]
		over[okrhandlers.NewKRBlockID(row, okrhandlers.KRFieldStart)] = r[1]
		over[okrhandlers.NewKRBlockID(row, okrhandlers.KRFieldTarget)] = r[2]
		if r[3] != "" {
			over[okrhandlers.NewKRBlockID(row, okrhandlers.KRFieldOwner)] = r[3]
		}
	}
	st := formState(t, v.Blocks, over)
	st[okrhandlers.BlockNewTeam] = map[string]json.RawMessage{okrhandlers.ActionNewTeam: raw(t, map[string]any{"type": "conversations_select", "selected_conversation": team})}
	opts := []map[string]any{}
	for _, p := range parents {
		opts = append(opts, option(p))
	}
	st[okrhandlers.BlockNewParents] = map[string]json.RawMessage{okrhandlers.ActionNewParents: raw(t, map[string]any{"type": "multi_external_select", "selected_options": opts})}
	return st
}

// suggest asks, as user typing query, for the alignment picker's options
// in view v; it returns their values.
func (o *okrHarness) suggest(t *testing.T, user string, v slacksim.View, query string) []string {
	t.Helper()
	res, err := o.ctl.Suggest(o.ctx, slacksim.SuggestionRequest{User: user, ViewID: v.ID, ActionID: okrhandlers.ActionNewParents, BlockID: okrhandlers.BlockNewParents, Value: query})
	if err != nil || !res.OK {
		t.Fatalf("suggestions for %s: %+v, %v", user, res, err)
	}
	var out []string
	for _, op := range res.Options {
		out = append(out, op.Value)
	}
	return out
}

// create makes an objective through /trellis okr new and its form.
func (o *okrHarness) create(t *testing.T, user, channel, title, team, visibility string, parents []string, rows [][4]string) okrs.Objective {
	t.Helper()
	before := len(o.objectives(t))
	o.commandIn(t, user, channel, "/trellis okr new")
	v := o.topView(t, user, okrhandlers.CallbackNewObjective)
	got := o.submit(user, v, o.objectiveForm(t, v, title, team, visibility, parents, rows))
	if got.ResponseAction == "errors" || !got.OK {
		t.Fatalf("create %q: %+v", title, got)
	}
	objs := o.objectives(t)
	if len(objs) != before+1 {
		t.Fatalf("after creating %q: %d objectives, want %d", title, len(objs), before+1)
	}
	for _, ob := range objs {
		if ob.Title == title {
			return ob
		}
	}
	t.Fatalf("%q is not stored", title)
	return okrs.Objective{}
}

// TestOKRsThroughSlack drives every /trellis okr subcommand, the forms
// and the buttons through the emulator: bad input changes nothing, the
// update form stores before its ack and offers help when a key result
// goes off track, alignment comes from suggestions, permissions follow
// ownership, and an objective limited to its team is invisible to anyone
// outside its channel on every surface.
func TestOKRsThroughSlack(t *testing.T) {
	o := startOKRs(t)
	ctx, ws := o.ctx, slacksim.DefaultTeamID

	// Bare, unknown and bad words get friendly replies.
	if got := o.commandIn(t, o.ana, "", "/trellis okr"); !strings.Contains(got, "no key results") {
		t.Errorf("/trellis okr with none: %q", got)
	}
	for _, line := range []string{"/trellis okr frobnicate", "/trellis okr help"} {
		if got := o.commandIn(t, o.ana, "", line); !strings.Contains(got, "/trellis okr update") {
			t.Errorf("%s: %q, want the usage", line, got)
		}
	}
	for line, want := range map[string]string{
		"/trellis okr show":             "Which objective?",
		"/trellis okr show twelve":      "isn't an objective's number",
		"/trellis okr close 999":        "There is no objective 999",
		"/trellis okr list nowhere":     "neither",
		"/trellis okr tree zero":        "isn't a page number",
		"/trellis okr correct":          "Which key result?",
		"/trellis okr correct 999 5":    "There is no key result 999",
		"/trellis okr nudges":           "How often",
		"/trellis okr nudges sometimes": "can't read",
		"/trellis okr export Autumn":    "There is no cycle called",
	} {
		if got := o.commandIn(t, o.ana, "", line); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", line, got, want)
		}
	}
	if ns, err := o.store.NudgeState(ctx, ws, o.ana); err != nil || ns.Cadence != "" {
		t.Errorf("after a bad nudge setting: %+v, %v; want none stored", ns, err)
	}

	// Bad input in the new-objective form is refused on its field, and
	// nothing is stored.
	quiet, err := o.ctl.CreateChannel(ctx, slacksim.NewChannel{Name: "quiet", Members: []string{o.ana}, WithoutBot: true})
	if err != nil {
		t.Fatal(err)
	}
	o.commandIn(t, o.ana, o.growth, "/trellis okr new")
	v := o.topView(t, o.ana, okrhandlers.CallbackNewObjective)
	for _, bad := range []struct {
		name, block string
		team        string
		rows        [][4]string
	}{
		{"target equal to start", okrhandlers.NewKRBlockID(1, okrhandlers.KRFieldTarget), o.growth, [][4]string{{"Members", "100", "100", ""}}},
		{"not a number", okrhandlers.NewKRBlockID(1, okrhandlers.KRFieldStart), o.growth, [][4]string{{"Members", "lots", "200", ""}}},
		{"no key result", okrhandlers.NewKRBlockID(1, okrhandlers.KRFieldTitle), o.growth, nil},
		{"a team she is not in", okrhandlers.BlockNewTeam, "C0NOTHERS", [][4]string{{"Members", "100", "200", ""}}},
		{"a team Trellis is not in", okrhandlers.BlockNewTeam, quiet.ID, [][4]string{{"Members", "100", "200", ""}}},
		{"a bot as owner", okrhandlers.NewKRBlockID(1, okrhandlers.KRFieldOwner), o.growth, [][4]string{{"Members", "100", "200", "USLACKBOT"}}},
	} {
		got := o.submit(o.ana, v, o.objectiveForm(t, v, "Grow the community", bad.team, "team", nil, bad.rows))
		if got.Errors[bad.block] == "" {
			t.Errorf("%s: %+v, want an error on %s", bad.name, got, bad.block)
		}
	}
	if got := o.submit(o.ana, v, o.objectiveForm(t, v, "Grow", quiet.ID, "", nil, [][4]string{{"Members", "100", "200", ""}})); !strings.Contains(got.Errors[okrhandlers.BlockNewTeam], "I'm not in") {
		t.Errorf("a channel without Trellis: %+v, want it said", got)
	}
	if objs := o.objectives(t); len(objs) != 0 {
		t.Fatalf("after bad input: %d objectives stored, want none", len(objs))
	}
	if _, err := o.ctl.CloseView(ctx, v.ID, o.ana); err != nil {
		t.Fatal(err)
	}

	// A team-only objective with two key results, one Ben's.
	growth := o.create(t, o.ana, o.growth, "Grow the community", o.growth, "team", nil,
		[][4]string{{"Members", "100", "200", ""}, {"Talks given", "0", "5", o.ben}})
	if growth.Team != o.growth || growth.Visibility != okrs.VisibleTeam || len(growth.KeyResults) != 2 || growth.KeyResults[1].Owner != o.ben {
		t.Fatalf("stored %+v", growth)
	}
	members, talks := growth.KeyResults[0], growth.KeyResults[1]
	// The team's digest follows, in the zone of the person who gave the
	// team its first objective; Ana's and Ben's nudges too.
	eventually(t, "the team's digest and the owners' nudges", func() error {
		sc, err := models.NewSchedules(o.db).Get(ctx, ws, jobokrs.DigestKey(o.growth))
		if err != nil || sc.ChannelTZ != "Europe/Berlin" {
			return fmt.Errorf("digest schedule %+v, %v; want it in Europe/Berlin", sc, err)
		}
		for _, u := range []string{o.ana, o.ben} {
			if _, err := models.NewSchedules(o.db).Get(ctx, ws, jobokrs.NudgeKey(u)); err != nil {
				return fmt.Errorf("nudges of %s: %v", u, err)
			}
		}
		return nil
	})
	objRef, krRef := "o:"+strconv.FormatInt(growth.ID, 10), "k:"+strconv.FormatInt(members.ID, 10)

	// Alignment: Ana, in the channel, is offered the team's objective and
	// its key results; Cara, outside it, is offered neither.
	o.commandIn(t, o.ana, "", "/trellis okr new")
	v = o.topView(t, o.ana, okrhandlers.CallbackNewObjective)
	if got := o.suggest(t, o.ana, v, "memb"); len(got) == 0 || got[0] != krRef {
		t.Errorf("Ana's suggestions for %q = %v, want %s first", "memb", got, krRef)
	}
	if got := o.suggest(t, o.ana, v, ""); !containsAll(got, objRef, krRef) {
		t.Errorf("Ana's suggestions = %v, want %s and %s", got, objRef, krRef)
	}
	got := o.submit(o.ana, v, o.objectiveForm(t, v, "Be known for talks", "", "", []string{krRef}, [][4]string{{"=HYPERLINK(\"http://evil.example\") meetups", "0", "3", ""}}))
	if got.ResponseAction == "errors" || !got.OK {
		t.Fatalf("create an aligned objective: %+v", got)
	}
	var aligned okrs.Objective
	for _, ob := range o.objectives(t) {
		if ob.Title == "Be known for talks" {
			aligned = ob
		}
	}
	if len(aligned.Parents) != 1 || aligned.Parents[0] != (okrs.Ref{Kind: okrs.RefKeyResult, ID: members.ID}) {
		t.Fatalf("aligned objective's parents = %+v, want KR %d", aligned.Parents, members.ID)
	}
	o.commandIn(t, o.cara, "", "/trellis okr new")
	cv := o.topView(t, o.cara, okrhandlers.CallbackNewObjective)
	if got := o.suggest(t, o.cara, cv, ""); containsAny(got, objRef, krRef) || !containsAll(got, "o:"+strconv.FormatInt(aligned.ID, 10)) {
		t.Errorf("Cara's suggestions = %v: want the workspace objective, not the team's", got)
	}
	if _, err := o.ctl.CloseView(ctx, cv.ID, o.cara); err != nil {
		t.Fatal(err)
	}

	// The team's objective is invisible to Cara on every surface; Ben,
	// in the channel, sees it.
	id := strconv.FormatInt(growth.ID, 10)
	if got := o.commandIn(t, o.ana, "", "/trellis okr"); !strings.Contains(got, "Members") || strings.Contains(got, "Talks given") || !strings.Contains(got, "Update my key results") {
		t.Errorf("Ana's /trellis okr: %q, want her key result and the Update button, not Ben's", got)
	}
	for _, line := range []string{"/trellis okr list", "/trellis okr list <#" + o.growth + "|growth>", "/trellis okr list <@" + o.ben + ">", "/trellis okr tree", "/trellis okr show " + id} {
		if got := o.commandIn(t, o.cara, "", line); strings.Contains(got, "Grow the community") || strings.Contains(got, "Members") {
			t.Errorf("Cara's %s shows the team's objective: %q", line, got)
		}
		if got := o.commandIn(t, o.ben, "", line); !strings.Contains(got, "Grow the community") {
			t.Errorf("Ben's %s: %q, want the team's objective", line, got)
		}
	}
	if got := o.commandIn(t, o.cara, "", "/trellis okr show "+id); !strings.Contains(got, "There is no objective "+id) {
		t.Errorf("Cara's show: %q, want not found", got)
	}
	if got := o.commandIn(t, o.cara, "", fmt.Sprintf("/trellis okr correct %d 150", members.ID)); !strings.Contains(got, "There is no key result") {
		t.Errorf("Cara's correct: %q, want not found", got)
	}
	if got := o.homeText(t, o.eli, "Team objectives you follow"); !strings.Contains(got, "Grow the community") {
		t.Errorf("Eli's Home: %q, want the team objective he follows", got)
	}
	if got := o.homeText(t, o.ben, "Your OKRs"); strings.Contains(got, "Team objectives you follow") {
		t.Errorf("Ben's Home follows an objective he owns a key result of: %q", got)
	}
	if got := o.homeText(t, o.cara, "OKRs"); strings.Contains(got, "Grow the community") {
		t.Errorf("Cara's Home shows the team's objective: %q", got)
	}
	o.commandIn(t, o.cara, "", "/trellis okr export")
	o.commandIn(t, o.ana, "", "/trellis okr export "+o.cycle.Name)
	for user, want := range map[string]bool{o.cara: false, o.ana: true} {
		eventually(t, "the OKR export in "+user+"'s DM", func() error {
			files, err := o.ctl.Files(ctx, user)
			if err != nil || len(files) != 1 {
				return fmt.Errorf("files %+v, %v", files, err)
			}
			body := string(files[0].Content)
			if !strings.Contains(body, "Be known for talks") || strings.Contains(body, "Grow the community") != want {
				return fmt.Errorf("%s's export (team objective wanted: %v):\n%s", user, want, body)
			}
			// A title a person typed never starts a formula.
			if !strings.Contains(body, `"'=HYPERLINK(""http://evil.example"") meetups"`) || strings.Contains(body, `,=HYPERLINK`) || strings.Contains(body, `,"=HYPERLINK`) {
				return fmt.Errorf("%s's export does not defuse the formula:\n%s", user, body)
			}
			return nil
		})
	}

	// The update form, from the Home tab's button: a bad value is refused
	// with nothing stored; then Members goes off track, stored before the
	// ack, and Ana alone is offered help.
	if got := o.homeText(t, o.ana, "Your OKRs"); !strings.Contains(got, "Members") {
		t.Fatalf("Ana's Home: %q", got)
	}
	home, err := o.ctl.Home(ctx, o.ana)
	if err != nil || home == nil {
		t.Fatalf("Ana's Home: %v", err)
	}
	res, err := o.ctl.Action(ctx, slacksim.ActionRequest{User: o.ana, ViewID: home.ID, ActionID: okrhandlers.ActionUpdate, BlockID: "home_okrs"})
	if err != nil || !res.OK {
		t.Fatalf("Update on the Home tab: %+v, %v", res, err)
	}
	uv := o.topView(t, o.ana, okrhandlers.CallbackUpdate)
	got = o.submit(o.ana, uv, formState(t, uv.Blocks, map[string]any{okrhandlers.UpdateValueBlockID(members.ID): "many"}))
	if got.Errors[okrhandlers.UpdateValueBlockID(members.ID)] == "" {
		t.Errorf("a value that is not a number: %+v, want an error on its value", got)
	}
	if hist := o.history(t, members.ID); len(hist) != 0 {
		t.Fatalf("after a bad value: %d entries stored", len(hist))
	}
	got = o.submit(o.ana, uv, formState(t, uv.Blocks, map[string]any{
		okrhandlers.UpdateValueBlockID(members.ID): "120", okrhandlers.UpdateConfidenceBlockID(members.ID): string(okrs.OffTrack),
	}))
	if got.ResponseAction == "errors" || !got.OK {
		t.Fatalf("update: %+v", got)
	}
	// Stored before the ack: no waiting.
	if hist := o.history(t, members.ID); len(hist) != 1 || hist[0].Value != 120 || hist[0].Confidence != okrs.OffTrack {
		t.Fatalf("after the update: %+v", hist)
	}
	var offer slacksim.Message
	eventually(t, "the off-track offer", func() error {
		for _, m := range o.dms(t, o.ana) {
			if strings.Contains(m.Text, "off track") {
				offer = m
				return nil
			}
		}
		return fmt.Errorf("no offer in Ana's DMs")
	})
	for _, user := range []string{o.ben, o.cara} {
		for _, m := range o.dms(t, user) {
			if strings.Contains(m.Text, "off track") {
				t.Errorf("%s got Ana's offer: %q", user, m.Text)
			}
		}
	}
	// Nothing is posted until Ana asks; then once.
	if msgs, err := o.ctl.Messages(ctx, o.growth, o.ana); err != nil || slices.ContainsFunc(msgs, func(m slacksim.Message) bool { return strings.Contains(m.Text, "could use help") }) {
		t.Fatalf("the channel before Ana asked: %v, %v", msgs, err)
	}
	o.click(t, o.ana, offer, jobokrs.HelpActionID(jobokrs.ActionHelpChannel, members.ID), "okr_offer_"+strconv.FormatInt(members.ID, 10), "")
	eventually(t, "the request for help in the channel", func() error {
		msgs, err := o.ctl.Messages(ctx, o.growth, o.ana)
		if err != nil {
			return err
		}
		n := 0
		for _, m := range msgs {
			if strings.Contains(m.Text, "could use help with *Members*") && strings.Contains(m.Text, "<@"+o.ana+">") {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%d requests for help in %d messages, want 1", n, len(msgs))
		}
		return nil
	})

	// "No change" in one tap, from /trellis okr update: stored, carrying
	// the value forward.
	o.commandIn(t, o.ana, "", "/trellis okr update")
	uv = o.topView(t, o.ana, okrhandlers.CallbackUpdate)
	st := formState(t, uv.Blocks, nil)
	st[okrhandlers.UpdateKRBlockID(members.ID)] = map[string]json.RawMessage{okrhandlers.ActionUpdateNoChange: raw(t, map[string]any{"type": "checkboxes", "selected_options": []map[string]any{option(okrhandlers.ValueNoChange)}})}
	if got := o.submit(o.ana, uv, st); got.ResponseAction == "errors" || !got.OK {
		t.Fatalf("no change: %+v", got)
	}
	if hist := o.history(t, members.ID); len(hist) != 2 || !hist[1].NoChange {
		t.Fatalf("after no change: %+v", hist)
	}

	// A correction is a new entry; the history shows both.
	if got := o.commandIn(t, o.ana, "", fmt.Sprintf("/trellis okr correct %d 110 at risk typo", members.ID)); !strings.Contains(got, "Corrected") {
		t.Fatalf("correct: %q", got)
	}
	hist := o.history(t, members.ID)
	if len(hist) != 3 || hist[2].Corrects != hist[1].ID || hist[2].Value != 110 {
		t.Fatalf("after the correction: %+v", hist)
	}
	if got := o.commandIn(t, o.ben, "", "/trellis okr show "+id); !strings.Contains(got, fmt.Sprintf("corrects #%d", hist[1].ID)) {
		t.Errorf("show after a correction: %q", got)
	}

	// Nudges: each setting stored, and said in words.
	for _, c := range []struct {
		text, says string
		want       okrs.NudgeCadence
	}{
		{"every 2 weeks", "every 2 weeks", okrs.NudgeBiweekly},
		{"off", "are off", okrs.NudgeOff},
		{"weekly", "every week", okrs.NudgeWeekly},
		{"default", "follow the cycle", okrs.NudgeFollowCycle},
	} {
		if got := o.commandIn(t, o.ana, "", "/trellis okr nudges "+c.text); !strings.Contains(got, c.says) {
			t.Errorf("nudges %s: %q, want %q", c.text, got, c.says)
		}
		if ns, err := o.store.NudgeState(ctx, ws, o.ana); err != nil || ns.Cadence != c.want {
			t.Errorf("after nudges %s: %+v, %v; want %q", c.text, ns, err, c.want)
		}
	}

	// Permissions: only the owner or an admin closes or deletes; Ben, a
	// key result's owner, may post its updates and change its title but
	// not the objective's; Cara does not even see it.
	for _, c := range []struct {
		user, line, want string
	}{
		{o.ben, "/trellis okr close " + id, "Only <@" + o.ana + ">"},
		{o.ben, "/trellis okr delete " + id + " confirm", "Only <@" + o.ana + ">"},
		{o.cara, "/trellis okr close " + id, "There is no objective"},
		{o.cara, "/trellis okr edit " + id, "There is no objective"},
		{o.ben, fmt.Sprintf("/trellis okr correct %d 150", members.ID), "Only <@" + o.ana + ">"},
		{o.ana, "/trellis okr delete " + id, "confirm"},
	} {
		if got := o.commandIn(t, c.user, "", c.line); !strings.Contains(got, c.want) {
			t.Errorf("%s by %s: %q, want %q", c.line, c.user, got, c.want)
		}
	}
	if stored, err := o.store.Objective(ctx, ws, growth.ID); err != nil || !stored.ClosedAt.IsZero() {
		t.Fatalf("after refused changes: %+v, %v", stored, err)
	}
	if n := len(o.history(t, members.ID)); n != 3 {
		t.Fatalf("after Ben's refused correction: %d entries, want 3", n)
	}
	// Ben edits: his key result's title, yes; the objective's, no. What
	// the form does not show (a weight) stays.
	weighted, err := o.store.Objective(ctx, ws, growth.ID)
	if err != nil {
		t.Fatal(err)
	}
	two := 2.0
	weighted.KeyResults[0].Weight = &two
	if _, err := o.store.UpdateObjective(ctx, ws, weighted, o.ana, false); err != nil {
		t.Fatal(err)
	}
	o.commandIn(t, o.ben, o.growth, "/trellis okr edit "+id)
	ev := o.topView(t, o.ben, okrhandlers.CallbackNewObjective)
	rows := [][4]string{{"Members", "100", "200", o.ana}, {"Talks given at meetups", "0", "5", o.ben}}
	got = o.submit(o.ben, ev, o.objectiveForm(t, ev, "Grow the community fast", o.growth, "team", nil, rows))
	if got.Errors[okrhandlers.BlockNewTitle] == "" {
		t.Errorf("Ben renaming Ana's objective: %+v, want a refusal on the title", got)
	}
	got = o.submit(o.ben, ev, o.objectiveForm(t, ev, "Grow the community", o.growth, "team", nil, rows))
	if got.ResponseAction == "errors" || !got.OK {
		t.Fatalf("Ben renaming his key result: %+v", got)
	}
	if stored, err := o.store.Objective(ctx, ws, growth.ID); err != nil || stored.Title != "Grow the community" ||
		len(stored.KeyResults) != 2 || stored.KeyResults[1].ID != talks.ID || stored.KeyResults[1].Title != "Talks given at meetups" ||
		stored.KeyResults[0].Weight == nil || *stored.KeyResults[0].Weight != 2 {
		t.Fatalf("after Ben's edit: %+v, %v", stored, err)
	}
	// Dee, an admin outside the channel, does not see it; Ana closes it,
	// and Dee, as an admin, deletes the workspace objective.
	if got := o.commandIn(t, o.dee, "", "/trellis okr close "+id); !strings.Contains(got, "There is no objective") {
		t.Errorf("Dee's close: %q", got)
	}
	if got := o.commandIn(t, o.ana, "", "/trellis okr close "+id); !strings.Contains(got, "is closed") {
		t.Errorf("Ana's close: %q", got)
	}
	// Correcting the workspace objective's key result: its owner, an
	// admin, yes; anyone else, no, and nothing is stored for them.
	meetups := aligned.KeyResults[0]
	clk, err := o.ctl.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.store.AddUpdates(ctx, ws, o.ana, false, []okrs.Update{{KeyResultID: meetups.ID, Value: 1, Confidence: okrs.OnTrack}}, okrs.SourceForm, clk.Now); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		user string
		ok   bool
	}{{o.cara, false}, {o.ben, false}, {o.ana, true}, {o.dee, true}} {
		before := len(o.history(t, meetups.ID))
		got := o.commandIn(t, c.user, "", fmt.Sprintf("/trellis okr correct %d 2", meetups.ID))
		after := len(o.history(t, meetups.ID))
		if c.ok != strings.Contains(got, "Corrected") || c.ok != (after == before+1) || (!c.ok && !strings.Contains(got, "Only <@"+o.ana+">")) {
			t.Errorf("%s corrects KR %d: %q, %d → %d entries; allowed: %v", c.user, meetups.ID, got, before, after, c.ok)
		}
	}
	aid := strconv.FormatInt(aligned.ID, 10)
	if got := o.commandIn(t, o.dee, "", "/trellis okr delete "+aid+" confirm"); !strings.Contains(got, "is deleted") {
		t.Errorf("Dee's delete: %q", got)
	}
	if _, err := o.store.Objective(ctx, ws, aligned.ID); err == nil {
		t.Errorf("objective %d is still stored after its deletion", aligned.ID)
	}
}

// homeText is the text of user's Home tab once it holds want.
func (o *okrHarness) homeText(t *testing.T, user, want string) string {
	t.Helper()
	if _, err := o.ctl.OpenHome(o.ctx, user); err != nil {
		t.Fatal(err)
	}
	var text string
	eventually(t, user+"'s Home", func() error {
		v, err := o.ctl.Home(o.ctx, user)
		if err != nil || v == nil {
			return fmt.Errorf("no Home yet: %v", err)
		}
		text = blockText(v.Blocks)
		if !strings.Contains(text, want) {
			return fmt.Errorf("Home lacks %q: %s", want, text)
		}
		return nil
	})
	return text
}

func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		if !containsAny(list, w) {
			return false
		}
	}
	return true
}

func containsAny(list []string, want ...string) bool {
	for _, l := range list {
		for _, w := range want {
			if l == w {
				return true
			}
		}
	}
	return false
}

// TestOKRReviewThroughSlack: a cycle that ended yesterday brings its
// owner a review DM without anyone acting; its button opens the review
// form, a missing decision is refused on its field with nothing stored,
// and carrying a key result over creates it in the next cycle from its
// final value, said in a DM.
func TestOKRReviewThroughSlack(t *testing.T) {
	h := startSandbox(t)
	ctx, ws := h.ctx, slacksim.DefaultTeamID
	clk, err := h.ctl.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	day := clk.Now.UTC().Truncate(24 * time.Hour).Add(48 * time.Hour)
	for day.Weekday() != time.Monday {
		day = day.Add(24 * time.Hour)
	}
	h.setClock(t, day.Add(6*time.Hour))
	p, err := h.ctl.AddPerson(ctx, slacksim.NewPerson{Name: "ana", RealName: "Ana", TZ: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	ana := p.ID
	h.commandIn(t, ana, "", "/trellis me") // Trellis learns her zone
	store := okrs.NewStore(h.db)
	today := calendar.DateOf(day)
	// The team's own cycles, beside the workspace's the sandbox seeds.
	beta, err := h.ctl.CreateChannel(ctx, slacksim.NewChannel{Name: "beta", Members: []string{ana}})
	if err != nil {
		t.Fatal(err)
	}
	ended, err := store.CreateCycle(ctx, ws, okrs.Cycle{Name: "Review winter", Team: beta.ID, Start: calendar.Date{Year: today.Year, Month: today.Month, Day: 1}.AddDays(-62), End: today.AddDays(-1)}, "admin")
	if err != nil {
		t.Fatalf("the ended cycle: %v", err)
	}
	next, err := store.CreateCycle(ctx, ws, okrs.Cycle{Name: "Review spring", Team: beta.ID, Start: today, End: okrs.EndAfterMonths(today, 2)}, "admin")
	if err != nil {
		t.Fatalf("the next cycle: %v", err)
	}
	obj, err := store.CreateObjective(ctx, ws, okrs.Objective{CycleID: ended.ID, Team: beta.ID, Title: "Ship the beta", Owner: ana,
		KeyResults: []okrs.KeyResult{{Title: "Beta users", Owner: ana, Kind: okrs.IncreaseTo, Start: 0, Target: 50}}}, ana)
	if err != nil {
		t.Fatal(err)
	}
	kr := obj.KeyResults[0]
	if _, err := store.AddUpdates(ctx, ws, ana, false, []okrs.Update{{KeyResultID: kr.ID, Value: 30, Confidence: okrs.AtRisk}}, okrs.SourceForm, day); err != nil {
		t.Fatal(err)
	}

	// 10:00 in Berlin: the review DM.
	h.setClock(t, day.Add(9*time.Hour+5*time.Minute))
	var review slacksim.Message
	eventually(t, "the review DM", func() error {
		for _, m := range h.dms(t, ana) {
			if strings.Contains(m.Text, "OKR review") {
				review = m
				return nil
			}
		}
		return fmt.Errorf("no review DM among %d", len(h.dms(t, ana)))
	})
	h.click(t, ana, review, jobokrs.ReviewActionID(ended.ID), "", "")
	v := h.topView(t, ana, okrhandlers.CallbackReview)
	st := formState(t, v.Blocks, nil)
	delete(st, okrhandlers.ReviewDecisionBlock(kr.ID))
	if got := h.submit(ana, v, st); got.Errors[okrhandlers.ReviewDecisionBlock(kr.ID)] == "" {
		t.Errorf("no decision: %+v, want an error on it", got)
	}
	if reviews, _, err := store.CycleReviews(ctx, ws, ended.ID); err != nil || len(reviews) != 0 {
		t.Fatalf("after a refused review: %+v, %v", reviews, err)
	}
	got := h.submit(ana, v, formState(t, v.Blocks, map[string]any{okrhandlers.ReviewDecisionBlock(kr.ID): string(okrs.DecisionCarryOver)}))
	if got.ResponseAction == "errors" || !got.OK {
		t.Fatalf("review: %+v", got)
	}
	objs, err := store.Objectives(ctx, ws, okrs.Filter{CycleID: next.ID})
	if err != nil || len(objs) != 1 || len(objs[0].KeyResults) != 1 {
		t.Fatalf("the next cycle's objectives: %+v, %v", objs, err)
	}
	if c := objs[0].KeyResults[0]; c.CarriedFrom != kr.ID || c.Start != 30 || c.Target != 50 {
		t.Errorf("carried over: %+v, want from %d starting at 30", c, kr.ID)
	}
	eventually(t, "the DM saying what carried over", func() error {
		for _, m := range h.dms(t, ana) {
			if strings.Contains(m.Text, "Carried over") && strings.Contains(m.Text, strconv.FormatInt(kr.ID, 10)) {
				return nil
			}
		}
		return fmt.Errorf("no such DM")
	})
}
