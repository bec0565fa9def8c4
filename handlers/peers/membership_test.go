package peers_test

import (
	"slices"
	"testing"

	"github.com/slack-go/slack"

	peerhandlers "github.com/trellis-bot/trellis/handlers/peers"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// Nobody puts themselves into a network: `join` brings back only someone
// who left it themselves. For every kind of person (never in it, in it,
// left it, removed by the owner, the owner) in a channel network and a
// chosen one, a refusal says why and changes nothing; a channel member
// the sync missed comes in, since the channel is its people.
func TestJoinOnlyOwnLeave(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	ch := e.create(e.owner, e.channel, goodForm("Intros"))
	v := goodForm("Exec")
	v.set(peerhandlers.BlockMembership, choice("chosen")).set(peerhandlers.BlockPeople, slack.BlockAction{SelectedUsers: []string{e.kai, e.lena, e.omar}})
	c := e.create(e.owner, e.channel, v)
	contains(t, "remove omar", e.do(e.owner, e.channel, "network remove Exec <@"+e.omar+">"), "Removed 1 person")
	contains(t, "kai leaves Intros", e.do(e.kai, e.channel, "network leave Intros"), "You left")
	contains(t, "kai leaves Exec", e.do(e.kai, e.channel, "network leave Exec"), "You left")
	e.rt.take()

	before := e.state()
	for _, tc := range []struct{ who, user, net, want string }{
		{"a stranger", e.admin, "Intros", "join the channel"},
		{"a stranger", e.admin, "Exec", "ask its owner"},
		{"someone removed", e.omar, "Exec", "ask its owner"},
		{"a channel member never chosen", e.ravi, "Exec", "ask its owner"},
		{"the owner, never chosen", e.owner, "Exec", "ask its owner"},
		{"someone in it", e.lena, "Exec", "in *Exec* already"},
		{"someone in it", e.lena, "Intros", "in *Intros* already"},
	} {
		got := e.do(tc.user, "", "network join "+tc.net)
		contains(t, tc.who+" joins "+tc.net, got, tc.want)
	}
	if e.state() != before {
		t.Error("a refused join changed the tables")
	}
	if got := e.rt.take(); len(got) != 0 {
		t.Errorf("runtime calls after refusals = %v", got)
	}

	contains(t, "kai rejoins Intros", e.do(e.kai, "", "network join Intros"), "You're in *Intros* again")
	contains(t, "kai rejoins Exec", e.do(e.kai, "", "network join Exec"), "You're in *Exec* again")
	if in, _ := e.people(c.ID); !slices.Equal(in, sorted(e.kai, e.lena)) {
		t.Errorf("Exec's people = %v, want kai and lena", in)
	}
	// Someone who left a channel network and then the channel too is
	// refused: its people are the channel's.
	e.do(e.sven, "", "network leave Intros")
	if _, err := e.tenv.Slack.Control.LeaveChannel(e.ctx, e.channel, e.sven); err != nil {
		t.Fatal(err)
	}
	contains(t, "sven left the channel", e.do(e.sven, "", "network join Intros"), "join the channel", "Nothing was changed")
	// A channel member the sync missed (no event came) is in at once.
	if _, err := e.tenv.Slack.Control.JoinChannel(e.ctx, e.channel, e.admin); err != nil {
		t.Fatal(err)
	}
	contains(t, "the admin, now in the channel", e.do(e.admin, "", "network join Intros"), "You're in *Intros*")
	if in, left := e.people(ch.ID); !slices.Contains(in, e.admin) || slices.Contains(in, e.sven) || !slices.Equal(left, []string{e.sven}) {
		t.Errorf("Intros' people = %v, left %v", in, left)
	}
}

// Switching a network of chosen people to its channel's members leaves it
// exactly the channel's members as the form is saved: those chosen who
// are not in the channel go at once.
func TestSwitchToChannelSyncsNow(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	v := goodForm("Exec")
	v.set(peerhandlers.BlockMembership, choice("chosen")).set(peerhandlers.BlockPeople, slack.BlockAction{SelectedUsers: []string{e.kai, e.admin}})
	c := e.create(e.owner, e.channel, v)
	if errs := e.submit(e.owner, "edit:"+itoa(c.ID), goodForm("Exec")); len(errs) > 0 {
		t.Fatalf("edit: %v", errs)
	}
	in, _ := e.people(c.ID)
	if want := sorted(e.owner, e.kai, e.lena, e.omar, e.ravi, e.sven); !slices.Equal(in, want) {
		t.Errorf("people after the switch = %v, want the channel's %v (the admin, chosen but not in it, gone)", in, want)
	}
}

// Bots and deactivated accounts in the channel are never people of a
// network: not when it is made, not when they join the channel, and they
// never count toward the asks' minimum. Slack is asked about a member
// once, not at every sync.
func TestBotsAreNotPeople(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	ctl := e.tenv.Slack.Control
	jira, err := ctl.AddPerson(e.ctx, slacksim.NewPerson{Name: "jira", RealName: "Jira", IsBot: true})
	if err != nil {
		t.Fatal(err)
	}
	polly, err := ctl.AddPerson(e.ctx, slacksim.NewPerson{Name: "polly", RealName: "Polly", IsBot: true})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := ctl.AddPerson(e.ctx, slacksim.NewPerson{Name: "gone", RealName: "Gone"})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := ctl.CreateChannel(e.ctx, slacksim.NewChannel{Name: "leads", Members: []string{e.owner, e.kai, e.lena, jira.ID, polly.ID, gone.ID}})
	if err != nil {
		t.Fatal(err)
	}
	deleted := true
	if _, err := ctl.UpdatePerson(e.ctx, gone.ID, slacksim.PersonPatch{Deleted: &deleted}); err != nil {
		t.Fatal(err)
	}
	if err := ctl.ClearCalls(e.ctx); err != nil {
		t.Fatal(err)
	}
	n := e.create(e.owner, ch.ID, goodForm("Leads"))
	in, _ := e.people(n.ID)
	if want := sorted(e.owner, e.kai, e.lena); !slices.Equal(in, want) {
		t.Errorf("people = %v, want the channel's people %v only", in, want)
	}
	asked := func() int {
		t.Helper()
		calls, err := ctl.Calls(e.ctx, "users.info")
		if err != nil {
			t.Fatal(err)
		}
		return len(calls)
	}
	if got := asked(); got != 6 {
		t.Errorf("users.info called %d times, want once for each of the 6 members Trellis knew nothing of", got)
	}
	if err := ctl.ClearCalls(e.ctx); err != nil {
		t.Fatal(err)
	}
	// Someone joins the channel (twice: Slack's retry): the bots stay
	// out, and Slack is asked only of the newcomer.
	if _, err := ctl.JoinChannel(e.ctx, ch.ID, e.omar); err != nil {
		t.Fatal(err)
	}
	e.event("member_joined_channel", e.omar, ch.ID)
	e.event("member_joined_channel", e.omar, ch.ID)
	if got, want := func() []string { in, _ := e.people(n.ID); return in }(), sorted(e.owner, e.kai, e.lena, e.omar); !slices.Equal(got, want) {
		t.Errorf("after omar joined the channel, people = %v, want %v", got, want)
	}
	if got := asked(); got != 1 {
		t.Errorf("users.info called %d times, want once, for the newcomer", got)
	}
	// 4 people, 2 bots and an account deactivated: below a minimum of 5.
	contains(t, "ask", e.do(e.kai, ch.ID, "network ask Leads Anyone?"), "needs at least 5 people", "Nothing was posted")
}
