package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	"github.com/trellis-bot/trellis/internal/slacksim"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/models/okrs"
)

// TestOKRTeamOnlyFollowsTheChannel: an objective only its team sees
// follows the channel's membership now, owners included. No key result
// of it can be given to someone outside the channel (refused on that
// row's owner, nothing stored); once an owner leaves the channel, no
// surface shows it to them any more — /trellis okr, list, tree, show,
// edit, close, correct, export, the Home tab, the update form, the
// alignment picker and the off-track offer's buttons — and a form opened
// before they left stores nothing; back in the channel, they see it
// again. An admin in the channel sees it. Who may edit a key result of a
// workspace-visible team objective does not depend on the channel.
func TestOKRTeamOnlyFollowsTheChannel(t *testing.T) {
	o := startOKRs(t)
	ctx, ws := o.ctx, slacksim.DefaultTeamID

	// Owners outside the channel are refused, on whichever row names
	// them, and nothing is stored.
	before := len(o.objectives(t))
	o.commandIn(t, o.ana, o.growth, "/trellis okr new")
	v := o.topView(t, o.ana, okrhandlers.CallbackNewObjective)
	for _, c := range []struct {
		name string
		rows [][4]string
		row  int
	}{
		{"Cara on the only row", [][4]string{{"Talks given", "0", "5", o.cara}}, 1},
		{"Dee, an admin, on the second row", [][4]string{{"Members", "100", "200", o.ben}, {"Talks given", "0", "5", o.dee}}, 2},
		{"Cara on the third row", [][4]string{{"Members", "100", "200", ""}, {"Posts", "0", "5", o.eli}, {"Talks given", "0", "5", o.cara}}, 3},
	} {
		got := o.submit(o.ana, v, o.objectiveForm(t, v, "Grow the community", o.growth, "team", nil, c.rows))
		block := okrhandlers.NewKRBlockID(c.row, okrhandlers.KRFieldOwner)
		if !strings.Contains(got.Errors[block], "isn't in") {
			t.Errorf("%s: %+v, want a refusal on %s", c.name, got, block)
		}
	}
	if n := len(o.objectives(t)); n != before {
		t.Fatalf("after refused owners: %d objectives, want %d", n, before)
	}
	if _, err := o.ctl.CloseView(ctx, v.ID, o.ana); err != nil {
		t.Fatal(err)
	}

	// The team's objective, Ben owning a key result; a workspace one of
	// the same team aligned to it, Cara (outside the channel) owning its
	// key result.
	growth := o.create(t, o.ana, o.growth, "Grow the community", o.growth, "team", nil,
		[][4]string{{"Members", "100", "200", ""}, {"Talks given", "0", "5", o.ben}})
	talks := growth.KeyResults[1]
	hidden := okrs.Ref{Kind: okrs.RefKeyResult, ID: growth.KeyResults[0].ID}
	open := o.create(t, o.ana, o.growth, "Be visible", o.growth, "", []string{"k:" + strconv.FormatInt(hidden.ID, 10)},
		[][4]string{{"Blog posts", "0", "4", o.cara}})
	id := strconv.FormatInt(growth.ID, 10)

	// Cara edits her key result of the workspace objective: the team is
	// unchanged, so her channel is not asked about. Her form does not
	// name the parent she cannot see, and saving keeps it. A pick of it,
	// or of what does not exist, is refused alike, nothing changed.
	o.commandIn(t, o.cara, "", "/trellis okr edit "+strconv.FormatInt(open.ID, 10))
	cv := o.topView(t, o.cara, okrhandlers.CallbackNewObjective)
	if form := string(cv.Blocks); strings.Contains(form, "Members") || strings.Contains(form, "Grow the community") {
		t.Errorf("Cara's edit form names the hidden parent: %s", form)
	}
	var refusals []string
	for _, pick := range []string{"k:" + strconv.FormatInt(hidden.ID, 10), "o:" + id, "k:999999", "o:999999"} {
		got := o.submit(o.cara, cv, o.objectiveForm(t, cv, "Be visible", o.growth, "", []string{pick}, [][4]string{{"Blog posts", "0", "4", o.cara}}))
		refusals = append(refusals, got.Errors[okrhandlers.BlockNewParents])
	}
	for i, r := range refusals {
		if !strings.Contains(r, "Pick it from the list") || r != refusals[0] {
			t.Errorf("Cara's forged pick %d: %q, want the same refusal as %q", i, r, refusals[0])
		}
	}
	if got := o.submit(o.cara, cv, o.objectiveForm(t, cv, "Be visible", o.growth, "", nil, [][4]string{{"Blog posts written", "0", "4", o.cara}})); got.ResponseAction == "errors" || !got.OK {
		t.Fatalf("Cara editing her key result: %+v", got)
	}
	if stored, err := o.store.Objective(ctx, ws, open.ID); err != nil || stored.KeyResults[0].Title != "Blog posts written" ||
		len(stored.Parents) != 1 || stored.Parents[0] != hidden {
		t.Fatalf("after Cara's edit: %+v, %v; want her title and the parent kept", stored, err)
	}

	// Ben updates his key result off track: the offer comes.
	o.commandIn(t, o.ben, "", "/trellis okr update")
	uv := o.topView(t, o.ben, okrhandlers.CallbackUpdate)
	if got := o.submit(o.ben, uv, formState(t, uv.Blocks, map[string]any{
		okrhandlers.UpdateValueBlockID(talks.ID): "1", okrhandlers.UpdateConfidenceBlockID(talks.ID): string(okrs.OffTrack),
	})); got.ResponseAction == "errors" || !got.OK {
		t.Fatalf("Ben's update: %+v", got)
	}
	var offer slacksim.Message
	eventually(t, "Ben's off-track offer", func() error {
		for _, m := range o.dms(t, o.ben) {
			if strings.Contains(m.Text, "off track") {
				offer = m
				return nil
			}
		}
		return fmt.Errorf("no offer in Ben's DMs")
	})
	// What Ben sees, by surface; each either shows the objective or not.
	surfaces := []struct {
		line, absentSays string
	}{
		{"/trellis okr", ""},
		{"/trellis okr list", ""},
		{"/trellis okr list <#" + o.growth + "|growth>", ""},
		{"/trellis okr list <@" + o.ben + ">", ""},
		{"/trellis okr tree", ""},
		{"/trellis okr show " + id, "There is no objective " + id},
		{"/trellis okr close " + id, "There is no objective " + id},
		{"/trellis okr edit " + id, "There is no objective " + id},
		{fmt.Sprintf("/trellis okr correct %d 2", talks.ID), fmt.Sprintf("There is no key result %d", talks.ID)},
	}
	objRef, krRef := "o:"+id, "k:"+strconv.FormatInt(talks.ID, 10)
	sees := func(user string, want bool) {
		t.Helper()
		for _, s := range surfaces {
			got := o.commandIn(t, user, "", s.line)
			shown := strings.Contains(got, "Grow the community") || strings.Contains(got, "Talks given")
			if strings.Contains(s.line, "edit") || strings.Contains(s.line, "correct") || strings.Contains(s.line, "close") {
				shown = !strings.Contains(got, s.absentSays)
			}
			if shown != want || (!want && s.absentSays != "" && !strings.Contains(got, s.absentSays)) {
				t.Errorf("%s's %s (team objective wanted: %v): %q", user, s.line, want, got)
			}
			if stack, err := o.ctl.Views(ctx, user); err == nil {
				for _, sv := range stack {
					if _, err := o.ctl.CloseView(ctx, sv.ID, user); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		// The update form and the alignment picker.
		o.commandIn(t, user, "", "/trellis okr update")
		if stack, err := o.ctl.Views(ctx, user); err == nil && len(stack) > 0 {
			if got := strings.Contains(blockText(stack[len(stack)-1].Blocks), "Talks given"); got != want && user == o.ben {
				t.Errorf("%s's update form shows Talks given: %v, want %v", user, got, want)
			}
			for _, sv := range stack {
				if _, err := o.ctl.CloseView(ctx, sv.ID, user); err != nil {
					t.Fatal(err)
				}
			}
		}
		o.commandIn(t, user, "", "/trellis okr new")
		nv := o.topView(t, user, okrhandlers.CallbackNewObjective)
		if got := o.suggest(t, user, nv, ""); containsAny(got, objRef, krRef) != want {
			t.Errorf("%s's suggestions %v (team objective wanted: %v)", user, got, want)
		}
		if _, err := o.ctl.CloseView(ctx, nv.ID, user); err != nil {
			t.Fatal(err)
		}
	}
	sees(o.ben, true)
	// A form Ben opens now and submits after leaving.
	o.commandIn(t, o.ben, "", "/trellis okr update")
	stale := o.topView(t, o.ben, okrhandlers.CallbackUpdate)

	// Ben leaves; a minute later Trellis reads the channel again.
	if _, err := o.ctl.LeaveChannel(ctx, o.growth, o.ben); err != nil {
		t.Fatal(err)
	}
	if _, err := o.ctl.AdvanceClock(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	// The form opened before he left stores nothing.
	hist := len(o.history(t, talks.ID))
	if got := o.submit(o.ben, stale, formState(t, stale.Blocks, map[string]any{okrhandlers.UpdateValueBlockID(talks.ID): "2"})); got.Errors[okrhandlers.UpdateValueBlockID(talks.ID)] == "" {
		t.Errorf("Ben's stale update form: %+v, want a refusal on Talks given", got)
	}
	if n := len(o.history(t, talks.ID)); n != hist {
		t.Fatalf("after Ben's refused updates: %d entries, want %d", n, hist)
	}
	sees(o.ben, false)
	if _, err := o.ctl.OpenHome(ctx, o.ben); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Ben's Home after leaving", func() error {
		h, err := o.ctl.Home(ctx, o.ben)
		if err != nil || h == nil {
			return fmt.Errorf("no Home: %v", err)
		}
		if got := blockText(h.Blocks); !strings.Contains(got, "no key results") || strings.Contains(got, "Grow the community") || strings.Contains(got, "Talks given") {
			return fmt.Errorf("Ben's Home: %q", got)
		}
		return nil
	})
	o.commandIn(t, o.ben, "", "/trellis okr export "+o.cycle.Name)
	eventually(t, "Ben's export", func() error {
		files, err := o.ctl.Files(ctx, o.ben)
		if err != nil || len(files) != 1 {
			return fmt.Errorf("files %+v, %v", files, err)
		}
		if body := string(files[0].Content); !strings.Contains(body, "Be visible") || strings.Contains(body, "Grow the community") {
			return fmt.Errorf("Ben's export:\n%s", body)
		}
		return nil
	})
	// The offer's button no longer asks the channel for him.
	o.click(t, o.ben, offer, jobokrs.HelpActionID(jobokrs.ActionHelpChannel, talks.ID), "okr_offer_"+strconv.FormatInt(talks.ID, 10), "")
	eventually(t, "the refused offer", func() error {
		for _, m := range botDMs(t, o.ctl, o.ben) {
			if strings.Contains(m.Text, "isn't yours") {
				return nil
			}
		}
		return fmt.Errorf("no refusal in Ben's DM")
	})
	if msgs, err := o.ctl.Messages(ctx, o.growth, o.ana); err != nil {
		t.Fatal(err)
	} else {
		for _, m := range msgs {
			if strings.Contains(m.Text, "could use help") {
				t.Errorf("asked for help for Ben after he left: %q", m.Text)
			}
		}
	}

	// Dee, an admin, sees it once in the channel; Ben, back, too.
	for _, user := range []string{o.dee, o.ben} {
		if _, err := o.ctl.JoinChannel(ctx, o.growth, user); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := o.ctl.AdvanceClock(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	sees(o.ben, true)
	if got := o.commandIn(t, o.dee, "", "/trellis okr show "+id); !strings.Contains(got, "Grow the community") {
		t.Errorf("Dee's show in the channel: %q", got)
	}
}
