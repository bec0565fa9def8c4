package peers_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/peers"
)

// peerTables are migration 0018's tables.
var peerTables = []string{"peer_networks", "peer_participants", "peer_avoid", "peer_rounds", "peer_groups", "peer_group_members",
	"peer_unmatched", "peer_sessions", "peer_commitments", "peer_prompts", "peer_asks"}

// counts is how many rows of ws each peer table holds.
func counts(t *testing.T, db *models.DB, ws string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, tb := range peerTables {
		n, err := modelstest.CountRows(context.Background(), db, tb, ws)
		if err != nil {
			t.Fatalf("count %s: %v", tb, err)
		}
		out[tb] = n
	}
	return out
}

// sameCounts fails the test when the counts changed.
func sameCounts(t *testing.T, what string, before, after map[string]int64) {
	t.Helper()
	for tb, n := range before {
		if after[tb] != n {
			t.Errorf("%s: %s went from %d to %d rows, want nothing stored", what, tb, n, after[tb])
		}
	}
}

// problemOn fails unless err is a *ValidationError with a problem on field.
func problemOn(t *testing.T, what string, err error, field string) {
	t.Helper()
	var ve *peers.ValidationError
	if !errors.As(err, &ve) || len(ve.On(field)) == 0 {
		t.Errorf("%s: %v, want a problem on %s", what, err, field)
	}
}

func create(t *testing.T, s *peers.Store, ws string, n peers.Network) peers.Network {
	t.Helper()
	out, err := s.CreateNetwork(context.Background(), ws, n)
	if err != nil {
		t.Fatalf("CreateNetwork(%s): %v", n.Name, err)
	}
	return out
}

func day(t *testing.T, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A network is created once per name whatever its case, read back as
// stored with the settings its kind does not use zeroed, changed only by
// its owner or an admin, and deleted with every row of it; a refusal
// stores nothing.
func TestNetworksStore(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := peers.NewStore(db)
		in := network(peers.KindIntros, "  Engineering Intros ")
		in.MinSize, in.Capacity, in.TermMonths = 4, 2, 6 // not intros' settings
		n := create(t, s, "T1", in)
		if n.ID == 0 || n.Name != "Engineering Intros" || n.MinSize != 0 || n.Capacity != 0 || n.TermMonths != 0 || n.GroupSize != 2 {
			t.Errorf("created %+v", n)
		}
		got, err := s.Network(ctx, "T1", n.ID)
		if err != nil || got != n {
			t.Errorf("Network = %+v, %v; want %+v", got, err, n)
		}

		before := counts(t, db, "T1")
		_, err = s.CreateNetwork(ctx, "T1", network(peers.KindCircles, "engineering INTROS"))
		problemOn(t, "same name, other case", err, peers.FieldName)
		bad := network(peers.KindCircles, "Circles")
		bad.Weekday = time.Sunday
		_, err = s.CreateNetwork(ctx, "T1", bad)
		problemOn(t, "Sunday", err, peers.FieldWeekday)
		sameCounts(t, "refused creations", before, counts(t, db, "T1"))
		// Another workspace may use the name.
		other := create(t, s, "T2", network(peers.KindCircles, "Engineering intros"))

		// Workspace isolation: T2 finds nothing of T1's.
		if _, err := s.Network(ctx, "T2", n.ID); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("T1's network read from T2: %v", err)
		}
		if list, _ := s.Networks(ctx, "T1"); len(list) != 1 || list[0].ID != n.ID {
			t.Errorf("Networks(T1) = %+v", list)
		}
		if list, _ := s.NetworksInChannel(ctx, "T1", "CNET"); len(list) != 1 {
			t.Errorf("NetworksInChannel = %+v", list)
		}
		if all, _ := s.AllNetworks(ctx); len(all) != 2 || all[0].Workspace != "T1" || all[1].Workspace != "T2" {
			t.Errorf("AllNetworks = %+v", all)
		}

		// Update: owner and admin yes, anyone else no; kind stays.
		change := n
		change.Cadence, change.Kind = peers.CadenceWeekly, peers.KindCircles
		for _, tt := range []struct {
			actor string
			admin bool
			ok    bool
		}{{"UOTHER", false, false}, {"UOWNER", false, true}, {"UADMIN", true, true}} {
			_, err := s.UpdateNetwork(ctx, "T1", change, tt.actor, tt.admin)
			if tt.ok != (err == nil) || (!tt.ok && !errors.Is(err, peers.ErrNotAllowed)) {
				t.Errorf("UpdateNetwork by %s (admin %v) = %v", tt.actor, tt.admin, err)
			}
		}
		got, _ = s.Network(ctx, "T1", n.ID)
		if got.Cadence != peers.CadenceWeekly || got.Kind != peers.KindIntros || !got.CreatedAt.Equal(n.CreatedAt) {
			t.Errorf("after update: %+v", got)
		}
		change.ID = other.ID
		if _, err := s.UpdateNetwork(ctx, "T1", change, "UADMIN", true); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("update T2's network from T1: %v", err)
		}
		change.ID, change.GroupSize = n.ID, 5
		if _, err := s.UpdateNetwork(ctx, "T1", change, "UOWNER", false); !errors.Is(err, peers.ErrInvalid) {
			t.Errorf("update to groups of 5: %v", err)
		}
		if again, _ := s.Network(ctx, "T1", n.ID); again != got {
			t.Errorf("a refused update changed %+v to %+v", got, again)
		}

		if err := s.SetNetworkPaused(ctx, "T1", n.ID, true, "UOTHER", false); !errors.Is(err, peers.ErrNotAllowed) {
			t.Errorf("pause by another: %v", err)
		}
		if err := s.SetNetworkPaused(ctx, "T1", n.ID, true, "UOWNER", false); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Network(ctx, "T1", n.ID); !got.Paused {
			t.Error("not paused")
		}

		// Delete: every row of the network goes, nothing of another.
		seedNetwork(t, s, "T1", n)
		seedNetwork(t, s, "T2", other)
		if err := s.DeleteNetwork(ctx, "T1", n.ID, "UOTHER", false); !errors.Is(err, peers.ErrNotAllowed) {
			t.Errorf("delete by another: %v", err)
		}
		if err := s.DeleteNetwork(ctx, "T2", n.ID, "UADMIN", true); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("delete T1's from T2: %v", err)
		}
		t2 := counts(t, db, "T2")
		if err := s.DeleteNetwork(ctx, "T1", n.ID, "UADMIN", true); err != nil {
			t.Fatal(err)
		}
		for tb, c := range counts(t, db, "T1") {
			if c != 0 && tb != "peer_avoid" && tb != "peer_prompts" {
				t.Errorf("%s keeps %d rows of the deleted network", tb, c)
			}
		}
		sameCounts(t, "deleting T1's network", t2, counts(t, db, "T2"))
	})
}

// seedNetwork gives network n a row in every peer table: people, an avoid
// entry, a round with a group and an unmatched person, a session, a
// commitment, a prompt and an ask. For an intros network the group is a
// pair; the session needs a circle, so it makes a circles network.
func seedNetwork(t *testing.T, s *peers.Store, ws string, n peers.Network) {
	t.Helper()
	ctx := context.Background()
	if n.Membership == peers.MembershipChannel {
		if _, err := s.SyncChannelMembers(ctx, ws, n.ID, []string{"U1", "U2", "U3"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Avoid(ctx, ws, "U1", "U9"); err != nil {
		t.Fatal(err)
	}
	r := peers.Round{NetworkID: n.ID, Number: 1, StartsOn: day(t, "2027-01-04"), EndsOn: day(t, "2027-01-15"), Seed: 7}
	g := peers.RoundGroup{Kind: peers.GroupPair, Members: []peers.GroupMember{{User: "U1"}, {User: "U2"}}}
	if n.Kind == peers.KindCircles {
		g.Kind = peers.GroupCircle
	}
	if _, _, err := s.SaveRound(ctx, ws, r, []peers.RoundGroup{g}, []peers.RoundUnmatched{{User: "U3", Reason: "odd_one_out"}}); err != nil {
		t.Fatal(err)
	}
	if n.Kind == peers.KindCircles {
		round, _ := s.RoundByNumber(ctx, ws, n.ID, peers.RoundTerm, 1)
		gs, _ := s.Groups(ctx, ws, round.ID)
		ss, _, err := s.SaveSession(ctx, ws, peers.Session{GroupID: gs[0].ID, Number: 1, On: day(t, "2027-01-04"), Facilitator: "U1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetCommitment(ctx, ws, ss.ID, "U1", "Delegate the roadmap", false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddPrompt(ctx, ws, peers.CustomPrompt{Theme: "Feedback", Text: "What feedback did you avoid giving?"}, "UADMIN", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateAsk(ctx, ws, n.ID, "How do you run skip-levels?"); err != nil {
		t.Fatal(err)
	}
}

// seedNetwork on a circles network gives every peer table a row, so the
// deletion test above sees every table emptied.
func TestSeedFillsEveryTable(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		s := peers.NewStore(db)
		seedNetwork(t, s, "T1", create(t, s, "T1", network(peers.KindCircles, "Circles")))
		for tb, n := range counts(t, db, "T1") {
			if n == 0 {
				t.Errorf("%s has no row", tb)
			}
		}
		tables, err := modelstest.Tables(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		for _, tb := range tables {
			if strings.HasPrefix(tb, "peer_") && !slices.Contains(peerTables, tb) {
				t.Errorf("table %s is missing from peerTables", tb)
			}
		}
	})
}
