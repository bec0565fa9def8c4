package peers_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	peerhandlers "github.com/trellis-bot/trellis/handlers/peers"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// `/trellis network skills` alone opens the skills form, prefilled with
// the person's stored skills as two lists; saving it stores what it says,
// canonical, and tells the person what was saved. Bad lists are answered
// on their own field and store nothing; another person's skills are
// never reached through the form.
func TestSkillsForm(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	e.live()
	ctl := e.tenv.Slack.Control
	learn := e.create(e.owner, e.channel, goodForm("Learn").set(peerhandlers.BlockKind, choice("learning")))
	contains(t, "typed", e.do(e.kai, "", "network skills Learn teach: SQL 4, hiring; learn: OKRs"), "teach: sql (4), hiring; learn: okrs")
	e.rt.take()

	open := func() slacksim.View {
		t.Helper()
		res, err := ctl.Command(e.ctx, slacksim.CommandRequest{User: e.kai, Text: "/trellis network skills Learn", Channel: e.channel})
		if err != nil || !res.OK {
			t.Fatalf("command: %+v, %v", res, err)
		}
		stack, err := ctl.Views(e.ctx, e.kai)
		if err != nil || len(stack) == 0 || stack[len(stack)-1].CallbackID != peerhandlers.CallbackSkills {
			t.Fatalf("views = %+v, %v; want the skills form", stack, err)
		}
		return stack[len(stack)-1]
	}
	v := open()
	for _, want := range []string{`"initial_value":"sql (4), hiring"`, `"initial_value":"okrs"`} {
		if !strings.Contains(string(v.Blocks), want) {
			t.Errorf("the form is not prefilled with %s: %s", want, v.Blocks)
		}
	}
	values := func(teach, learn string) map[string]map[string]json.RawMessage {
		in := func(s string) json.RawMessage { return raw(t, map[string]any{"type": "plain_text_input", "value": s}) }
		return map[string]map[string]json.RawMessage{
			peerhandlers.BlockSkillsTeach: {peerhandlers.ActionSkillsTeach: in(teach)},
			peerhandlers.BlockSkillsLearn: {peerhandlers.ActionSkillsLearn: in(learn)},
		}
	}
	stored := func(user string) string {
		t.Helper()
		p, err := e.store.Participant(e.ctx, team, learn.ID, user)
		if err != nil {
			t.Fatal(err)
		}
		return p.Skills
	}

	// Bad lists: each problem on its own field, nothing stored.
	before := e.state()
	sub, err := ctl.SubmitView(e.ctx, v.ID, slacksim.SubmitRequest{User: e.kai, Values: values("sql 9", "go (0)")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sub.Errors[peerhandlers.BlockSkillsTeach], "1 to 5") || !strings.Contains(sub.Errors[peerhandlers.BlockSkillsLearn], "1 to 5") ||
		!strings.Contains(sub.Errors[peerhandlers.BlockSkillsTeach], "Nothing was saved") {
		t.Errorf("errors = %v, want the level's problem on each list", sub.Errors)
	}
	if e.state() != before {
		t.Error("a refused form changed the tables")
	}

	// The round trip: saved canonical, and said.
	sub, err = ctl.SubmitView(e.ctx, v.ID, slacksim.SubmitRequest{User: e.kai, Values: values(" Go (5),\nSQL ", "Rust; public  speaking 2")})
	if err != nil || len(sub.Errors) > 0 {
		t.Fatalf("submit: %+v, %v", sub, err)
	}
	const want = "teach: go (5), sql; learn: rust, public speaking (2)"
	if got := stored(e.kai); got != want {
		t.Errorf("stored = %q, want %q", got, want)
	}
	waitFor(t, "the confirmation in kai's DM", func() bool {
		msgs, err := ctl.Messages(e.ctx, "D"+e.kai[1:], "")
		if err != nil {
			return false
		}
		for _, m := range msgs {
			if strings.Contains(m.Text, "Saved your skills in *Learn*: "+want) {
				return true
			}
		}
		return false
	})
	if v := open(); !strings.Contains(string(v.Blocks), `"initial_value":"go (5), sql"`) {
		t.Errorf("the form reopened is not prefilled with what was saved: %s", v.Blocks)
	}
	contains(t, "show", e.do(e.kai, "", "network skills Learn show"), want)

	// Forged or stale forms: another kind of network, a network the
	// submitter is not in, no such network, unreadable metadata. Each is
	// refused on the form and stores nothing; the form reaches only the
	// submitter's own participation.
	intros := e.create(e.owner, e.channel, goodForm("Intros"))
	e.rt.take()
	before = e.state()
	for _, tc := range []struct{ user, meta, want string }{
		{e.kai, "skills/1:" + itoa(intros.ID), "aren't in a learning network"},
		{e.admin, "skills/1:" + itoa(learn.ID), "aren't in a learning network"},
		{e.kai, "skills/1:987654", "aren't in a learning network"},
		{e.kai, "skills/1:x", "can't be read any more"},
	} {
		in := &slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: tc.user},
			View: slack.View{ID: "V9", CallbackID: peerhandlers.CallbackSkills, PrivateMetadata: tc.meta,
				State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
					peerhandlers.BlockSkillsTeach: {peerhandlers.ActionSkillsTeach: {Value: "forgery"}}}}}}
		resp := e.serve(&bot.Request{Kind: bot.KindViewSubmission, UserID: tc.user, Interaction: in})
		r, ok := resp.Body.(*slack.ViewSubmissionResponse)
		if !ok || !strings.Contains(r.Errors[peerhandlers.BlockSkillsTeach], tc.want) {
			t.Errorf("%s submits %s: %#v, want %q", tc.user, tc.meta, resp.Body, tc.want)
		}
	}
	if e.state() != before {
		t.Error("a forged form changed the tables")
	}
	if got := e.rt.take(); len(got) != 0 {
		t.Errorf("runtime calls = %v", got)
	}
}
