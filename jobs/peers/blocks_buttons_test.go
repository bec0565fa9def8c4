package peers

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/models/peers"
)

// The answered follow-up, which replaces the question in the group's DM
// once one of them answered: it says the answer, names nobody, keeps the
// three buttons with the group's id, and shows the network's name as
// text.
func TestFollowUpAnswered(t *testing.T) {
	for o, want := range map[peers.Outcome]string{peers.OutcomeMet: "you met", peers.OutcomeNotYet: "not yet", peers.OutcomeCouldnt: "you couldn't meet"} {
		msg := FollowUpAnsweredMessage(hostileName, 42, o)
		b, err := json.Marshal(msg.Blocks)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b)) + msg.Text
		if !strings.Contains(got, "Noted: *"+want+"*") {
			t.Errorf("%s: %s lacks the answer %q", o, got, want)
		}
		for _, id := range []string{ActionMet, ActionNotYet, ActionCouldnt} {
			if !strings.Contains(got, `"action_id":"`+id+`","value":"42"`) {
				t.Errorf("%s: %s lacks the button %s with the group's id", o, got, id)
			}
		}
		if strings.Contains(got, "<!here>") || strings.Contains(got, "<@U0BOSS>") || !strings.Contains(got, "&lt;!here&gt; Leads &amp; &lt;@U0BOSS&gt;") {
			t.Errorf("%s: the name is not shown as text: %s", o, got)
		}
	}
}

// Ending a learning pair cannot be undone from the check-in: its button
// asks Slack to confirm first; the other two do not.
func TestLearningEndAsksFirst(t *testing.T) {
	msg := learningCheckinMessage(peers.Network{Name: "Learn"}, peers.RoundGroup{ID: 7, Skill: "sql",
		Members: []peers.GroupMember{{User: "U1", Role: peers.RoleTeacher}, {User: "U2", Role: peers.RoleLearner}}}, "U2")
	var buttons []*slack.ButtonBlockElement
	for _, b := range msg.Blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, el := range a.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok {
					buttons = append(buttons, btn)
				}
			}
		}
	}
	if len(buttons) != 3 {
		t.Fatalf("buttons = %d, want 3", len(buttons))
	}
	for _, btn := range buttons {
		asks := btn.Confirm != nil
		if want := btn.ActionID == ActionLearningEnd; asks != want {
			t.Errorf("%s asks to confirm: %v, want %v", btn.ActionID, asks, want)
		}
		if asks && (btn.Confirm.Title == nil || btn.Confirm.Text == nil || btn.Confirm.Confirm == nil || btn.Confirm.Deny == nil ||
			len(btn.Confirm.Title.Text) > 100 || len(btn.Confirm.Text.Text) > 300 || len(btn.Confirm.Confirm.Text) > 30 || len(btn.Confirm.Deny.Text) > 30) {
			t.Errorf("the confirm dialog %+v is incomplete or too long for Slack", btn.Confirm)
		}
	}
}
