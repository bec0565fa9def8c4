package peers_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/trellis-bot/trellis/bot"
	peerhandlers "github.com/trellis-bot/trellis/handlers/peers"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// eventErr delivers a membership event and returns the handlers' error.
func (e *env) eventErr(typ, user, channel string) error {
	e.t.Helper()
	req := &bot.Request{Kind: bot.KindEvent, TeamID: team, UserID: user, Slack: e.api,
		Event: &slackevents.EventsAPIInnerEvent{Type: typ, Data: &slackevents.MemberJoinedChannelEvent{Type: typ, User: user, Channel: channel}}}
	_, err := e.mux.ServeSlack(e.ctx, req)
	for _, fn := range req.TakeAfter() {
		fn(e.ctx)
	}
	return err
}

// The membership events keep a channel network's people its channel's:
// who joins the channel joins it, who leaves the channel leaves it, a
// retried event changes nothing more (nor tells the runtime twice), and
// a person who left the network themselves is never added back, even
// after leaving and rejoining the channel. A chosen network ignores the
// channel. When Slack cannot give the member list, the event fails (so
// Slack retries it) and nothing changes.
func TestMembershipEvents(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect)
			ctl := e.tenv.Slack.Control
			n := e.create(e.owner, e.channel, goodForm("Intros"))
			c := e.create(e.owner, e.channel, goodForm("Chosen").set(peerhandlers.BlockMembership, choice("chosen")).
				set(peerhandlers.BlockPeople, slack.BlockAction{SelectedUsers: []string{e.kai}}))
			e.rt.take()

			if _, err := ctl.JoinChannel(e.ctx, e.channel, e.admin); err != nil {
				t.Fatal(err)
			}
			for range 2 { // Slack's retry
				e.event("member_joined_channel", e.admin, e.channel)
			}
			in, _ := e.people(n.ID)
			if !slices.Contains(in, e.admin) || len(in) != 7 {
				t.Errorf("after the admin joined, people = %v", in)
			}
			if got := e.rt.take(); !slices.Equal(got, []string{"changed " + itoa(n.ID)}) {
				t.Errorf("runtime calls = %v, want one for the channel network", got)
			}
			if in, _ := e.people(c.ID); !slices.Equal(in, []string{e.kai}) {
				t.Errorf("the chosen network followed the channel: %v", in)
			}

			if _, err := ctl.LeaveChannel(e.ctx, e.channel, e.lena); err != nil {
				t.Fatal(err)
			}
			e.event("member_left_channel", e.lena, e.channel)
			if in, _ := e.people(n.ID); slices.Contains(in, e.lena) {
				t.Errorf("lena left the channel but is still in: %v", in)
			}

			e.do(e.kai, e.channel, "network leave Intros")
			if _, err := ctl.LeaveChannel(e.ctx, e.channel, e.kai); err != nil {
				t.Fatal(err)
			}
			e.event("member_left_channel", e.kai, e.channel)
			if _, err := ctl.JoinChannel(e.ctx, e.channel, e.kai); err != nil {
				t.Fatal(err)
			}
			e.event("member_joined_channel", e.kai, e.channel)
			in, left := e.people(n.ID)
			if slices.Contains(in, e.kai) || !slices.Equal(left, []string{e.kai}) {
				t.Errorf("kai left the network himself and came back with the channel: in %v, left %v", in, left)
			}
			e.rt.take()

			if _, err := ctl.AddFault(e.ctx, slacksim.Fault{Method: "conversations.members", Every: 1, Status: 500}); err != nil {
				t.Fatal(err)
			}
			if _, err := ctl.JoinChannel(e.ctx, e.channel, e.lena); err != nil {
				t.Fatal(err)
			}
			before := e.state()
			if err := e.eventErr("member_joined_channel", e.lena, e.channel); err == nil {
				t.Error("the event succeeded without the member list")
			}
			if e.state() != before {
				t.Error("a failed event changed the tables")
			}
			if err := ctl.ClearFaults(e.ctx, "conversations.members"); err != nil {
				t.Fatal(err)
			}
			if err := e.eventErr("member_joined_channel", e.lena, e.channel); err != nil {
				t.Fatalf("the retry: %v", err)
			}
			if in, _ := e.people(n.ID); !slices.Contains(in, e.lena) {
				t.Errorf("the retry did not add lena: %v", in)
			}
			if err := e.eventErr("member_joined_channel", e.admin, e.other); err != nil {
				t.Errorf("an event in a channel without networks: %v", err)
			}
		})
	}
}

// The whole loop through Slack: /trellis network new in the channel
// opens the form, its submission creates the network with the channel's
// members, and a person joining the channel joins it, each delivered by
// the emulator over signed HTTP to the handlers as the feature declares
// them.
func TestLive(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	e.live()
	ctl := e.tenv.Slack.Control
	res, err := ctl.Command(e.ctx, slacksim.CommandRequest{User: e.owner, Text: "/trellis network new", Channel: e.channel})
	if err != nil || !res.OK {
		t.Fatalf("command: %+v, %v", res, err)
	}
	stack, err := ctl.Views(e.ctx, e.owner)
	if err != nil || len(stack) != 1 || stack[0].CallbackID != peerhandlers.CallbackNetwork {
		t.Fatalf("views = %+v, %v; want the network form", stack, err)
	}
	raw := func(v map[string]any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	values := map[string]map[string]json.RawMessage{
		peerhandlers.BlockName:       {peerhandlers.ActionName: raw(map[string]any{"type": "plain_text_input", "value": "Live intros"})},
		peerhandlers.BlockKind:       {peerhandlers.ActionKind: raw(map[string]any{"type": "radio_buttons", "selected_option": map[string]any{"value": "intros"}})},
		peerhandlers.BlockMembership: {peerhandlers.ActionMembership: raw(map[string]any{"type": "radio_buttons", "selected_option": map[string]any{"value": "channel"}})},
		peerhandlers.BlockCadence:    {peerhandlers.ActionCadence: raw(map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "weekly"}})},
		peerhandlers.BlockWeekday:    {peerhandlers.ActionWeekday: raw(map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "2"}})},
		peerhandlers.BlockTZ:         {peerhandlers.ActionTZ: raw(map[string]any{"type": "plain_text_input", "value": "America/New_York"})},
	}
	sub, err := ctl.SubmitView(e.ctx, stack[0].ID, slacksim.SubmitRequest{User: e.owner, Values: values})
	if err != nil || len(sub.Errors) > 0 || len(sub.Views) != 0 {
		t.Fatalf("submit: %+v, %v", sub, err)
	}
	n, ok := e.network("Live intros")
	if !ok || n.ChannelTZ != "America/New_York" || n.Cadence != "weekly" {
		t.Fatalf("stored %+v, %v", n, ok)
	}
	// The submitter at once; the members Trellis knew nothing of once
	// Slack says, after the ack, that they are people.
	waitFor(t, "the channel's 6 people", func() bool {
		in, _ := e.people(n.ID)
		return len(in) == 6
	})
	if _, err := ctl.JoinChannel(e.ctx, e.channel, e.admin); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the admin to join with the channel", func() bool {
		in, _ := e.people(n.ID)
		return slices.Contains(in, e.admin)
	})
}

// waitFor waits for what is delivered and served after an ack, up to a
// generous bound that only a broken build reaches.
func waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if done() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
