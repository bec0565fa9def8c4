package peers_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	peerhandlers "github.com/trellis-bot/trellis/handlers/peers"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/jobs/engine"
	jobpeers "github.com/trellis-bot/trellis/jobs/peers"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/peers"
)

// hostileCommitment is a commitment meaning harm.
const hostileCommitment = "  <!channel> try *this* with <@U123>\n<http://evil.example|click> & more  "

// circle is a circle of Kai, Lena and Omar and its first session, at
// which Kai and Lena were present.
func (e *env) circle() (peers.Network, peers.Session) {
	e.t.Helper()
	v := goodForm("Circle")
	v.set(peerhandlers.BlockKind, choice("circles")).set(peerhandlers.BlockMembership, choice("chosen")).
		set(peerhandlers.BlockPeople, slack.BlockAction{SelectedUsers: []string{e.kai, e.lena, e.omar}}).
		set(peerhandlers.BlockTerm, text("4")).set(peerhandlers.BlockWeekday, choice("3"))
	n := e.create(e.owner, e.channel, v)
	gs := e.round(n, "", []string{e.kai, e.lena, e.omar})
	ss, _, err := e.store.SaveSession(e.ctx, team, peers.Session{GroupID: gs[0].ID, Number: 1, On: today, Facilitator: e.kai, Present: []string{e.kai, e.lena}})
	if err != nil {
		e.t.Fatalf("save session: %v", err)
	}
	e.rt.take()
	return n, ss
}

// openCommit posts the "What will you try?" DM to user, clicks its
// button, and returns the form it opened.
func (e *env) openCommit(user string, sessionID int64) slacksim.View {
	e.t.Helper()
	m := e.post(engine.Message{Text: "What will you try before your next circle session?", Blocks: []slack.Block{
		slack.NewActionBlock("", slack.NewButtonBlockElement(jobpeers.ActionCommit, itoa(sessionID), label("What will you try?")))}}, user)
	e.click(user, m, jobpeers.ActionCommit, "")
	stack, err := e.tenv.Slack.Control.Views(e.ctx, user)
	if err != nil || len(stack) != 1 || stack[0].CallbackID != peerhandlers.CallbackCommit {
		e.t.Fatalf("views of %s = %+v, %v; want the commitment form", user, stack, err)
	}
	return stack[0]
}

// submitCommit submits the commitment form v as user, with text and the
// share box ticked or not.
func (e *env) submitCommit(user string, v slacksim.View, text string, share bool) slacksim.SubmitResult {
	e.t.Helper()
	values := map[string]map[string]json.RawMessage{
		peerhandlers.BlockCommitText: {peerhandlers.ActionCommitText: raw(e.t, map[string]any{"type": "plain_text_input", "value": text})},
	}
	if share {
		values[peerhandlers.BlockCommitShare] = map[string]json.RawMessage{peerhandlers.ActionCommitShare: raw(e.t, map[string]any{
			"type": "checkboxes", "selected_options": []map[string]any{{"value": peerhandlers.ValueShare}}})}
	}
	res, err := e.tenv.Slack.Control.SubmitView(e.ctx, v.ID, slacksim.SubmitRequest{User: user, Values: values})
	if err != nil || !res.OK {
		e.t.Fatalf("submit: %+v, %v", res, err)
	}
	return res
}

// shares are the runtime's planned posts of shared commitments.
func (e *env) shares() []string {
	e.t.Helper()
	var rows []struct{ CadenceID, Recipient string }
	if err := e.db.Conn(e.ctx).Raw("SELECT cadence_id, recipient FROM occurrences WHERE cadence_id LIKE ?", "%circle_share%").Scan(&rows).Error; err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.Recipient)
	}
	return out
}

// The commitment form, through Slack: the button opens it with the
// session in its metadata; an empty text is refused on its field and
// stores nothing; a text is stored privately, and with the box ticked
// the runtime plans its post to the circle (once); the confirmation in
// the person's DM shows the text escaped. Opened again, the form starts
// from what they wrote. Someone who was not at the session, a forged
// session, an unreadable form and a text too long are refused on the
// field and store nothing.
func TestCommitmentForm(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect)
			e.live()
			_, ss := e.circle()

			v := e.openCommit(e.kai, ss.ID)
			if v.PrivateMetadata != "commit/1:"+itoa(ss.ID) {
				t.Errorf("metadata = %q", v.PrivateMetadata)
			}
			before := e.state()
			res := e.submitCommit(e.kai, v, "   ", true)
			if !strings.Contains(res.Errors[peerhandlers.BlockCommitText], "Write what you'll try") || len(res.Views) != 1 {
				t.Errorf("an empty commitment: %+v", res)
			}
			if after := e.state(); after != before {
				t.Errorf("an empty commitment changed what is stored:\n%s", after)
			}

			res = e.submitCommit(e.kai, v, hostileCommitment, true)
			if len(res.Errors) > 0 || len(res.Views) != 0 {
				t.Fatalf("submit: %+v", res)
			}
			cm, ok, err := e.store.Commitment(e.ctx, team, ss.ID, e.kai)
			if err != nil || !ok || cm.Text != strings.TrimSpace(hostileCommitment) || !cm.Shared {
				t.Errorf("stored %+v, %v, %v", cm, ok, err)
			}
			group, err := engine.GroupRecipient(e.kai, e.lena, e.omar)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.shares(); len(got) != 1 || got[0] != group {
				t.Errorf("planned shares = %v, want one to the circle %s", got, group)
			}
			var reply string
			waitFor(t, "the confirmation", func() bool {
				msgs, err := e.tenv.Slack.Control.Messages(e.ctx, e.kai, e.kai)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range msgs {
					if strings.Contains(m.Text, "Saved") {
						reply = m.Text
					}
				}
				return reply != ""
			})
			for _, bad := range []string{"<!channel>", "<@U123>", "<http"} {
				if strings.Contains(reply, bad) {
					t.Errorf("the confirmation shows %s live: %s", bad, reply)
				}
			}
			for _, want := range []string{"&lt;!channel&gt; try *this*", "\n> &lt;http", "&amp; more", "share it"} {
				if !strings.Contains(reply, want) {
					t.Errorf("the confirmation lacks %q: %s", want, reply)
				}
			}

			// Opened again: it starts from Kai's text, with no share box
			// (it is shared already); saving again posts nothing more.
			v = e.openCommit(e.kai, ss.ID)
			form := string(v.Blocks)
			if strings.Contains(form, peerhandlers.BlockCommitShare) || !strings.Contains(form, "shared this with your circle already") {
				t.Errorf("the form opened again offers to share again: %s", form)
			}
			var blocks []map[string]any
			if err := json.Unmarshal(v.Blocks, &blocks); err != nil {
				t.Fatal(err)
			}
			if el, _ := blocks[0]["element"].(map[string]any); el["initial_value"] != strings.TrimSpace(hostileCommitment) {
				t.Errorf("the form starts from %v", el["initial_value"])
			}
			if res := e.submitCommit(e.kai, v, "Ask my team what to stop doing", false); len(res.Errors) > 0 {
				t.Fatalf("edit: %+v", res)
			}
			if cm, _, _ := e.store.Commitment(e.ctx, team, ss.ID, e.kai); cm.Text != "Ask my team what to stop doing" || !cm.Shared {
				t.Errorf("after the edit: %+v", cm)
			}

			// Lena keeps hers to herself.
			if res := e.submitCommit(e.lena, e.openCommit(e.lena, ss.ID), "Block an hour for one-to-ones", false); len(res.Errors) > 0 {
				t.Fatalf("lena: %+v", res)
			}
			if cm, ok, _ := e.store.Commitment(e.ctx, team, ss.ID, e.lena); !ok || cm.Shared {
				t.Errorf("lena's: %+v, %v; want stored, not shared", cm, ok)
			}
			if got := e.shares(); len(got) != 1 {
				t.Errorf("planned shares = %v, want Kai's alone", got)
			}
			e.rt.take()

			// Omar was not at the session: the form opens (it shows
			// nothing), but saving it is refused.
			before = e.state()
			res = e.submitCommit(e.omar, e.openCommit(e.omar, ss.ID), "sneaky", true)
			if !strings.Contains(res.Errors[peerhandlers.BlockCommitText], "can't find you at that one") {
				t.Errorf("omar: %+v", res)
			}
			// Forged forms, as Slack would deliver them.
			for _, c := range []struct{ meta, text, want string }{
				{"commit/1:987654", "mine", "can't find you at that one"},
				{"commit/1:" + itoa(ss.ID), strings.Repeat("é", peers.MaxCommitmentLen+1), "keep it to 500"},
				{"commit/1:" + itoa(ss.ID), "", "Write what you'll try"},
				{"commit/1:-4", "mine", "can't be read"},
				{"network_form", "mine", "can't be read"},
			} {
				if got := e.submitCommitRaw(e.kai, c.meta, c.text); !strings.Contains(got, c.want) {
					t.Errorf("form %q with %d characters: errors %q, want %q", c.meta, len(c.text), got, c.want)
				}
			}
			if after := e.state(); after != before {
				t.Errorf("refused commitments changed what is stored:\n%s\nwas:\n%s", after, before)
			}
			if calls := e.rt.take(); len(calls) > 0 {
				t.Errorf("refused commitments: the runtime stored %v", calls)
			}
		})
	}
}

// submitCommitRaw submits a commitment form with metadata meta and text
// as user, straight to the handlers, and returns the text's error.
func (e *env) submitCommitRaw(user, meta, text string) string {
	e.t.Helper()
	values := formValues{}.set(peerhandlers.BlockCommitText, slack.BlockAction{Value: text})
	in := &slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: user},
		View: slack.View{ID: "V1", CallbackID: peerhandlers.CallbackCommit, PrivateMetadata: meta, State: &slack.ViewState{Values: values}}}
	resp := e.serve(&bot.Request{Kind: bot.KindViewSubmission, UserID: user, Interaction: in})
	if resp == nil {
		return ""
	}
	r, ok := resp.Body.(*slack.ViewSubmissionResponse)
	if !ok {
		e.t.Fatalf("submit: response %#v", resp.Body)
	}
	return r.Errors[peerhandlers.BlockCommitText]
}
