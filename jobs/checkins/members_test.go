package checkins

import "testing"

// RecentMember answers from a channel's member list at most a minute old:
// a person who left is still seen in the list read before, until the
// minute is up, or at once when a member event for the channel reaches
// this replica (SyncChannel). Member always asks Slack.
func TestRecentMemberIsAtMostAMinuteOld(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		bob := h.person("bob", "Europe/London", "")
		ch := h.channel("team", ada, bob)
		svc := h.svcs[0]
		in := func(user string) bool {
			t.Helper()
			ok, err := svc.RecentMember(h.ctx, team, ch, user)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		live := func(user string) bool {
			t.Helper()
			ok, err := svc.Member(h.ctx, team, ch, user)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !in(ada) || !in(bob) {
			t.Fatal("members not seen as members")
		}
		if _, err := h.ctl.LeaveChannel(h.ctx, ch, bob); err != nil {
			t.Fatal(err)
		}
		if live(bob) {
			t.Errorf("Member still sees bob, who left")
		}
		if !in(bob) {
			t.Errorf("the list read a moment ago was read again: every Home tab and digest would cost a read")
		}
		h.clk.Set(h.clk.Now().Add(memberListAge))
		if in(bob) {
			t.Errorf("a minute after bob left, he is still seen as a member")
		}
		if _, err := h.ctl.LeaveChannel(h.ctx, ch, ada); err != nil {
			t.Fatal(err)
		}
		if err := svc.SyncChannel(h.ctx, team, ch); err != nil {
			t.Fatal(err)
		}
		if in(ada) {
			t.Errorf("after the member event, ada, who left, is still seen as a member")
		}
	})
}
