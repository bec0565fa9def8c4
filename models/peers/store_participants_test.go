package peers_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/peers"
)

func users(t *testing.T, s *peers.Store, ws string, id int64) (in, left []string) {
	t.Helper()
	ps, err := s.Participants(context.Background(), ws, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Left {
			left = append(left, p.User)
		} else {
			in = append(in, p.User)
		}
	}
	return in, left
}

// A channel network follows its channel: sync adds and removes, twice is
// once, and a person who left themselves is never added back but by
// themselves. A chosen network ignores the channel.
func TestSyncChannelMembers(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := peers.NewStore(db)
		n := create(t, s, "T1", network(peers.KindIntros, "Intros"))
		got, err := s.SyncChannelMembers(ctx, "T1", n.ID, []string{"U2", "U1", "U3", "U1", " "})
		if err != nil || !slices.Equal(got.Added, []string{"U1", "U2", "U3"}) || len(got.Removed) != 0 {
			t.Fatalf("first sync = %+v, %v", got, err)
		}
		got, err = s.SyncChannelMembers(ctx, "T1", n.ID, []string{"U1", "U2", "U3"})
		if err != nil || len(got.Added)+len(got.Removed) != 0 {
			t.Errorf("second sync = %+v, %v; want nothing changed", got, err)
		}
		if err := s.Leave(ctx, "T1", n.ID, "U2"); err != nil {
			t.Fatal(err)
		}
		got, _ = s.SyncChannelMembers(ctx, "T1", n.ID, []string{"U1", "U2", "U4"})
		if !slices.Equal(got.Added, []string{"U4"}) || !slices.Equal(got.Removed, []string{"U3"}) {
			t.Errorf("sync after U2 left, U3 gone, U4 came = %+v", got)
		}
		if in, left := users(t, s, "T1", n.ID); !slices.Equal(in, []string{"U1", "U4"}) || !slices.Equal(left, []string{"U2"}) {
			t.Errorf("people = %v, left %v", in, left)
		}
		// Gone from the channel and back: still left.
		s.SyncChannelMembers(ctx, "T1", n.ID, []string{"U1", "U4"})
		s.SyncChannelMembers(ctx, "T1", n.ID, []string{"U1", "U2", "U4"})
		if _, left := users(t, s, "T1", n.ID); !slices.Equal(left, []string{"U2"}) {
			t.Errorf("left after leaving the channel and coming back = %v", left)
		}
		// Only they bring themselves back.
		if p, err := s.Join(ctx, "T1", n.ID, "U2"); err != nil || p.Left || p.Chosen {
			t.Errorf("Join = %+v, %v", p, err)
		}
		if in, _ := users(t, s, "T1", n.ID); !slices.Equal(in, []string{"U1", "U2", "U4"}) {
			t.Errorf("after rejoining: %v", in)
		}
		// People are added by the channel only.
		if _, err := s.AddChosen(ctx, "T1", n.ID, []string{"U7"}, "UOWNER", false); !errors.Is(err, peers.ErrInvalid) {
			t.Errorf("AddChosen to a channel network: %v", err)
		}
		if err := s.Remove(ctx, "T1", n.ID, "U1", "UOWNER", false); !errors.Is(err, peers.ErrInvalid) {
			t.Errorf("Remove from a channel network: %v", err)
		}
		// Another workspace reaches nothing.
		if _, err := s.SyncChannelMembers(ctx, "T2", n.ID, []string{"UX"}); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("sync T1's network from T2: %v", err)
		}
		if err := s.Leave(ctx, "T2", n.ID, "U1"); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("leave T1's network from T2: %v", err)
		}

		chosen := network(peers.KindCircles, "Circle")
		chosen.Membership = peers.MembershipChosen
		c := create(t, s, "T1", chosen)
		if got, _ := s.SyncChannelMembers(ctx, "T1", c.ID, []string{"U1"}); len(got.Added) != 0 {
			t.Errorf("sync changed a chosen network: %+v", got)
		}
		if _, err := s.AddChosen(ctx, "T1", c.ID, []string{"U1"}, "UOTHER", false); !errors.Is(err, peers.ErrNotAllowed) {
			t.Errorf("AddChosen by another: %v", err)
		}
		added, err := s.AddChosen(ctx, "T1", c.ID, []string{"U1", "U2"}, "UOWNER", false)
		if err != nil || !slices.Equal(added, []string{"U1", "U2"}) {
			t.Fatalf("AddChosen = %v, %v", added, err)
		}
		s.Leave(ctx, "T1", c.ID, "U2")
		added, _ = s.AddChosen(ctx, "T1", c.ID, []string{"U2", "U3"}, "UADMIN", true)
		if !slices.Equal(added, []string{"U3"}) {
			t.Errorf("AddChosen after U2 left = %v, want only U3 (U2 rejoins themselves)", added)
		}
		if _, err := s.Join(ctx, "T1", c.ID, "U5"); !errors.Is(err, peers.ErrNotAllowed) {
			t.Errorf("a stranger joining a chosen network: %v", err)
		}
		if err := s.Remove(ctx, "T1", c.ID, "U1", "UOTHER", false); !errors.Is(err, peers.ErrNotAllowed) {
			t.Errorf("Remove by another: %v", err)
		}
		if err := s.Remove(ctx, "T1", c.ID, "U1", "UOWNER", false); err != nil {
			t.Error(err)
		}
		if err := s.Remove(ctx, "T1", c.ID, "U1", "UOWNER", false); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("Remove twice: %v", err)
		}
		of, err := s.NetworksOf(ctx, "T1", "U2")
		if err != nil || len(of) != 2 || of[0].Network.Name != "Circle" || !of[0].Participant.Left || of[1].Participant.Left {
			t.Errorf("NetworksOf(U2) = %+v, %v", of, err)
		}
	})
}

// Nobody puts themselves into a network: Join only undoes the person's
// own Leave, for every kind of person (never in it, in it, left it
// themselves, removed by the owner) in a network of either membership.
func TestJoinOnlyUndoesOwnLeave(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := peers.NewStore(db)
		for _, m := range []peers.Membership{peers.MembershipChannel, peers.MembershipChosen} {
			n := network(peers.KindCircles, "Net "+string(m))
			n.Membership = m
			n = create(t, s, "T1", n)
			if m == peers.MembershipChannel {
				if _, err := s.SyncChannelMembers(ctx, "T1", n.ID, []string{"UIN", "ULEFT"}); err != nil {
					t.Fatal(err)
				}
			} else {
				if _, err := s.AddChosen(ctx, "T1", n.ID, []string{"UIN", "ULEFT", "UREMOVED"}, "UOWNER", false); err != nil {
					t.Fatal(err)
				}
				if err := s.Remove(ctx, "T1", n.ID, "UREMOVED", "UOWNER", false); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Leave(ctx, "T1", n.ID, "ULEFT"); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				user    string
				wantErr error
				wantIn  bool
			}{
				{"USTRANGER", peers.ErrNotAllowed, false},
				{"UREMOVED", peers.ErrNotAllowed, false},
				{"UOWNER", peers.ErrNotAllowed, false}, // the owner adds themselves, like anyone
				{"ULEFT", nil, true},
				{"UIN", nil, true},
			} {
				_, err := s.Join(ctx, "T1", n.ID, c.user)
				if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
					t.Errorf("%s network: Join(%s) = %v, want %v", m, c.user, err, c.wantErr)
				}
				in, _ := users(t, s, "T1", n.ID)
				if slices.Contains(in, c.user) != c.wantIn {
					t.Errorf("%s network: after Join(%s) people = %v", m, c.user, in)
				}
			}
			if in, left := users(t, s, "T1", n.ID); !slices.Equal(in, []string{"UIN", "ULEFT"}) || len(left) != 0 {
				t.Errorf("%s network: people = %v, left %v; want UIN and ULEFT only", m, in, left)
			}
		}
		if _, err := s.Join(ctx, "T2", 1, "ULEFT"); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("Join from another workspace: %v", err)
		}
	})
}

// A network switched from chosen people to its channel's members has
// exactly the channel's members (but those who left themselves) from the
// next sync: the people chosen before who are not in the channel go.
func TestSwitchToChannelKeepsOnlyTheChannel(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := peers.NewStore(db)
		n := network(peers.KindIntros, "Exec")
		n.Membership = peers.MembershipChosen
		n = create(t, s, "T1", n)
		if _, err := s.AddChosen(ctx, "T1", n.ID, []string{"UA", "UB", "UX", "UL"}, "UOWNER", false); err != nil {
			t.Fatal(err)
		}
		if err := s.Leave(ctx, "T1", n.ID, "UL"); err != nil {
			t.Fatal(err)
		}
		n.Membership = peers.MembershipChannel
		if _, err := s.UpdateNetwork(ctx, "T1", n, "UOWNER", false); err != nil {
			t.Fatal(err)
		}
		got, err := s.SyncChannelMembers(ctx, "T1", n.ID, []string{"UA", "UC", "UL"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Added, []string{"UC"}) || !slices.Equal(got.Removed, []string{"UB", "UX"}) {
			t.Errorf("sync after the switch = %+v, want UC added, UB and UX removed", got)
		}
		in, left := users(t, s, "T1", n.ID)
		if !slices.Equal(in, []string{"UA", "UC"}) || !slices.Equal(left, []string{"UL"}) {
			t.Errorf("people = %v, left %v; want UA, UC and UL left", in, left)
		}
		ps, _ := s.Participants(ctx, "T1", n.ID)
		for _, p := range ps {
			if p.Chosen {
				t.Errorf("%s is still chosen in a channel network", p.User)
			}
		}
		// Unsure members (not known yet to be people) are neither added
		// nor removed.
		got, err = s.SyncChannelPeople(ctx, "T1", n.ID, []string{"UA"}, []string{"UC", "UBOT"})
		if err != nil || len(got.Added)+len(got.Removed) != 0 {
			t.Errorf("sync with UC and UBOT unsure = %+v, %v; want nothing changed", got, err)
		}
	})
}

// A person pauses and resumes themselves, sets their skills and
// capacity; priority and ignored counts change in bulk; bad values store
// nothing.
func TestParticipantState(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := peers.NewStore(db)
		n := create(t, s, "T1", network(peers.KindLearning, "Learn"))
		s.SyncChannelMembers(ctx, "T1", n.ID, []string{"U1", "U2"})
		until := day(t, "2027-02-01")
		if err := s.PauseSelf(ctx, "T1", n.ID, "U1", until); err != nil {
			t.Fatal(err)
		}
		if err := s.PauseSelf(ctx, "T1", n.ID, "U2", calendar.Date{}); err != nil {
			t.Fatal(err)
		}
		if err := s.PauseSelf(ctx, "T1", n.ID, "U9", until); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("pause of a stranger: %v", err)
		}
		p1, _ := s.Participant(ctx, "T1", n.ID, "U1")
		p2, _ := s.Participant(ctx, "T1", n.ID, "U2")
		if p1.PausedUntil != until || p1.Paused || !p2.Paused || !p2.PausedUntil.IsZero() {
			t.Errorf("paused: %+v, %+v", p1, p2)
		}
		if !p1.PausedOn(until) || p1.PausedOn(until.AddDays(1)) {
			t.Error("PausedOn")
		}
		if err := s.Resume(ctx, "T1", n.ID, "U2"); err != nil {
			t.Fatal(err)
		}
		if p2, _ = s.Participant(ctx, "T1", n.ID, "U2"); p2.Paused {
			t.Error("still paused after Resume")
		}

		if err := s.SetSkills(ctx, "T1", n.ID, "U1", "teach: go; learn: sql"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetCapacity(ctx, "T1", n.ID, "U1", 3); err != nil {
			t.Fatal(err)
		}
		if err := s.SetCapacity(ctx, "T1", n.ID, "U1", peers.MaxCapacity+1); !errors.Is(err, peers.ErrInvalid) {
			t.Errorf("capacity too high: %v", err)
		}
		p1, _ = s.Participant(ctx, "T1", n.ID, "U1")
		if p1.Skills != "teach: go; learn: sql" || p1.Capacity != 3 {
			t.Errorf("skills and capacity: %+v", p1)
		}
		s.SetCapacity(ctx, "T1", n.ID, "U1", 0)
		if p1, _ = s.Participant(ctx, "T1", n.ID, "U1"); p1.Capacity != 0 {
			t.Errorf("capacity back to the network's: %+v", p1)
		}

		if err := s.SetPriority(ctx, "T1", n.ID, []string{"U1", "U2", "U9"}, true); err != nil {
			t.Fatal(err)
		}
		s.IncIgnored(ctx, "T1", n.ID, []string{"U1", "U2"})
		s.IncIgnored(ctx, "T1", n.ID, []string{"U1"})
		s.ResetIgnored(ctx, "T1", n.ID, []string{"U2"})
		p1, _ = s.Participant(ctx, "T1", n.ID, "U1")
		p2, _ = s.Participant(ctx, "T1", n.ID, "U2")
		if !p1.Priority || !p2.Priority || p1.IgnoredRounds != 2 || p2.IgnoredRounds != 0 {
			t.Errorf("priority and ignored: %+v, %+v", p1, p2)
		}
		if err := s.SetPriority(ctx, "T2", n.ID, []string{"U1"}, false); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("priority from T2: %v", err)
		}
		// Leaving takes priority away.
		s.Leave(ctx, "T1", n.ID, "U1")
		if p1, _ = s.Participant(ctx, "T1", n.ID, "U1"); !p1.Left || p1.Priority {
			t.Errorf("after leaving: %+v", p1)
		}
	})
}

// The avoid list is its owner's: they read only their own, the matcher
// reads it both ways through AvoidPairs, and nonsense is refused.
func TestAvoidList(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := peers.NewStore(db)
		for _, a := range [][2]string{{"U1", "U2"}, {"U1", "U3"}, {"U1", "U2"}, {"U4", "U1"}} {
			if err := s.Avoid(ctx, "T1", a[0], a[1]); err != nil {
				t.Fatal(err)
			}
		}
		s.Avoid(ctx, "T2", "U2", "U1")
		if err := s.Avoid(ctx, "T1", "U1", "U1"); !errors.Is(err, peers.ErrInvalid) {
			t.Errorf("avoid oneself: %v", err)
		}
		if list, _ := s.AvoidList(ctx, "T1", "U1"); !slices.Equal(list, []string{"U2", "U3"}) {
			t.Errorf("U1's list = %v", list)
		}
		// U2 is avoided by U1 but their own list is empty: they never learn.
		if list, _ := s.AvoidList(ctx, "T1", "U2"); len(list) != 0 {
			t.Errorf("U2's list = %v, want empty (U1's list is U1's)", list)
		}
		pairs, err := s.AvoidPairs(ctx, "T1", []string{"U1", "U2", "U4"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{"U1": {"U2", "U4"}, "U2": {"U1"}, "U4": {"U1"}}
		if len(pairs) != len(want) {
			t.Errorf("AvoidPairs = %v, want %v", pairs, want)
		}
		for u, w := range want {
			if !slices.Equal(pairs[u], w) {
				t.Errorf("AvoidPairs[%s] = %v, want %v", u, pairs[u], w)
			}
		}
		s.Unavoid(ctx, "T1", "U1", "U2")
		if list, _ := s.AvoidList(ctx, "T1", "U1"); !slices.Equal(list, []string{"U3"}) {
			t.Errorf("after Unavoid = %v", list)
		}
		for i := range peers.MaxAvoid {
			if err := s.Avoid(ctx, "T1", "U5", "X"+string(rune('A'+i%26))+string(rune('A'+i/26))); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Avoid(ctx, "T1", "U5", "U6"); !errors.Is(err, peers.ErrInvalid) {
			t.Errorf("one past the most: %v", err)
		}
	})
}
