package peers_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/peers"
)

func pair(a, b string) peers.RoundGroup {
	return peers.RoundGroup{Kind: peers.GroupPair, Members: []peers.GroupMember{{User: a}, {User: b}}}
}

func round(t *testing.T, n peers.Network, number int) peers.Round {
	t.Helper()
	start := day(t, "2027-01-04").AddDays(14 * (number - 1))
	return peers.Round{NetworkID: n.ID, Number: number, StartsOn: start, EndsOn: start.AddDays(11), Seed: int64(1000 + number)}
}

// Sixteen savers of one round at once, on four replicas, store it once:
// one is told it created the round, every other gets the same round back,
// and the groups and unmatched are stored once.
func TestSaveRoundOnce(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			dbs := modelstest.Replicas(t, dialect, 4)
			n := create(t, peers.NewStore(dbs[0]), "T1", network(peers.KindIntros, "Intros"))
			const savers = 16
			type result struct {
				r       peers.Round
				created bool
				err     error
			}
			results := make([]result, savers)
			var wg sync.WaitGroup
			for i := range savers {
				s := peers.NewStore(dbs[i%len(dbs)])
				wg.Go(func() {
					// Each replica's matching came out differently: only the
					// first one stored counts.
					groups := []peers.RoundGroup{pair("U1", "U2"), pair("U3", "U4")}
					if i%2 == 1 {
						groups = []peers.RoundGroup{pair("U1", "U3"), pair("U2", "U4")}
					}
					r, created, err := s.SaveRound(ctx, "T1", round(t, n, 1), groups, []peers.RoundUnmatched{{User: "U5", Reason: "odd_one_out", Priority: true}})
					results[i] = result{r, created, err}
				})
			}
			wg.Wait()
			created := 0
			for i, res := range results {
				if res.err != nil {
					t.Fatalf("saver %d: %v", i, res.err)
				}
				if res.created {
					created++
				}
				if res.r != results[0].r || res.r.ID == 0 {
					t.Errorf("saver %d got %+v, saver 0 %+v", i, res.r, results[0].r)
				}
			}
			if created != 1 {
				t.Errorf("%d savers created the round, want 1", created)
			}
			s := peers.NewStore(dbs[0])
			gs, err := s.Groups(ctx, "T1", results[0].r.ID)
			if err != nil || len(gs) != 2 {
				t.Fatalf("Groups = %+v, %v; want 2", gs, err)
			}
			c := counts(t, dbs[0], "T1")
			if c["peer_rounds"] != 1 || c["peer_groups"] != 2 || c["peer_group_members"] != 4 || c["peer_unmatched"] != 1 {
				t.Errorf("rows stored: %v", c)
			}
		})
	}
}

// A round that does not fit its network is refused whole, each problem
// named, and nothing of it stored.
func TestSaveRoundRefusals(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := peers.NewStore(db)
		intros := create(t, s, "T1", network(peers.KindIntros, "Intros"))
		learning := create(t, s, "T1", network(peers.KindLearning, "Learning"))
		before := counts(t, db, "T1")
		bad := round(t, intros, 1)
		bad.EndsOn = bad.StartsOn.AddDays(-1)
		triple := peers.RoundGroup{Kind: peers.GroupTriple, Members: []peers.GroupMember{{User: "U5"}, {User: "U6"}}}
		_, _, err := s.SaveRound(ctx, "T1", bad, []peers.RoundGroup{pair("U1", "U2"), pair("U2", "U3"), triple},
			[]peers.RoundUnmatched{{User: "U1", Reason: "x"}, {User: "U9"}})
		var ve *peers.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("SaveRound = %v, want a *ValidationError", err)
		}
		if len(ve.On(peers.FieldRound)) != 1 || len(ve.On(peers.FieldGroups)) != 2 || len(ve.On(peers.FieldUnmatched)) != 2 {
			t.Errorf("problems = %v", ve.Problems)
		}
		terms := round(t, intros, 1)
		terms.Kind = peers.RoundTerm
		_, _, err = s.SaveRound(ctx, "T1", terms, nil, nil)
		problemOn(t, "a term of intros", err, peers.FieldRound)
		// Learning pairs: one teacher, learners, a skill.
		noTeacher := peers.RoundGroup{Kind: peers.GroupLearning, Skill: "SQL",
			Members: []peers.GroupMember{{User: "U1", Role: peers.RoleLearner}, {User: "U2", Role: peers.RoleLearner}}}
		_, _, err = s.SaveRound(ctx, "T1", round(t, learning, 1), []peers.RoundGroup{noTeacher, pair("U3", "U4")}, nil)
		if !errors.As(err, &ve) || len(ve.On(peers.FieldGroups)) != 2 {
			t.Errorf("learning round without a teacher, with a pair: %v", err)
		}
		// Another workspace's network.
		if _, _, err := s.SaveRound(ctx, "T2", round(t, intros, 1), nil, nil); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("save into T1's network from T2: %v", err)
		}
		sameCounts(t, "refused rounds", before, counts(t, db, "T1"))
	})
}

// A saved round reads back whole: groups with members, roles, shared
// spans; the latest round and a round by number; history of who met whom;
// priority for the unmatched marked so and none for those grouped; the
// outcome (said by a member, naming nobody) and the follow-up count.
func TestRoundRoundTrip(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := peers.NewStore(db)
		n := create(t, s, "T1", network(peers.KindIntros, "Intros"))
		n.GroupSize = 3
		if _, err := s.UpdateNetwork(ctx, "T1", n, "UOWNER", false); err != nil {
			t.Fatal(err)
		}
		s.SyncChannelMembers(ctx, "T1", n.ID, []string{"U1", "U2", "U3", "U4", "U5", "U6"})
		s.SetPriority(ctx, "T1", n.ID, []string{"U1"}, true)
		at := time.Date(2027, 1, 5, 9, 0, 0, 0, time.UTC)
		shared := []peers.Interval{{Start: at, End: at.Add(2 * time.Hour)}, {Start: at.Add(24 * time.Hour), End: at.Add(25 * time.Hour)}}
		g1 := pair("U2", "U1")
		g1.Shared = shared
		g2 := peers.RoundGroup{Kind: peers.GroupTriple, Members: []peers.GroupMember{{User: "U3"}, {User: "U4"}, {User: "U5"}}}
		r1, created, err := s.SaveRound(ctx, "T1", round(t, n, 1), []peers.RoundGroup{g1, g2},
			[]peers.RoundUnmatched{{User: "U6", Reason: "odd_one_out", Priority: true}})
		if err != nil || !created {
			t.Fatalf("SaveRound = %v, %v", created, err)
		}
		gs, err := s.Groups(ctx, "T1", r1.ID)
		if err != nil || len(gs) != 2 {
			t.Fatalf("Groups = %+v, %v", gs, err)
		}
		if !slices.Equal(gs[0].Users(), []string{"U1", "U2"}) || gs[0].Kind != peers.GroupPair || !slices.Equal(gs[0].Shared, shared) {
			t.Errorf("group 1 = %+v", gs[0])
		}
		if !slices.Equal(gs[1].Users(), []string{"U3", "U4", "U5"}) || gs[1].Shared != nil {
			t.Errorf("group 2 = %+v", gs[1])
		}
		if un, _ := s.Unmatched(ctx, "T1", r1.ID); len(un) != 1 || un[0].User != "U6" || un[0].Reason != "odd_one_out" {
			t.Errorf("Unmatched = %+v", un)
		}
		for user, want := range map[string]bool{"U1": false, "U6": true, "U3": false} {
			if p, _ := s.Participant(ctx, "T1", n.ID, user); p.Priority != want {
				t.Errorf("%s priority = %v, want %v", user, p.Priority, want)
			}
		}
		if g, ok, _ := s.GroupOf(ctx, "T1", r1.ID, "U4"); !ok || g.ID != gs[1].ID {
			t.Errorf("GroupOf(U4) = %+v, %v", g, ok)
		}
		if _, ok, _ := s.GroupOf(ctx, "T1", r1.ID, "U6"); ok {
			t.Error("U6 has a group")
		}

		r2, _, err := s.SaveRound(ctx, "T1", round(t, n, 2), []peers.RoundGroup{pair("U1", "U3")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if latest, ok, _ := s.LatestRound(ctx, "T1", n.ID, peers.RoundRound); !ok || latest != r2 {
			t.Errorf("LatestRound = %+v, want %+v", latest, r2)
		}
		if got, _ := s.RoundByNumber(ctx, "T1", n.ID, peers.RoundRound, 1); got != r1 {
			t.Errorf("RoundByNumber(1) = %+v, want %+v", got, r1)
		}
		if _, err := s.RoundByNumber(ctx, "T1", n.ID, peers.RoundRound, 3); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("round 3: %v", err)
		}
		if _, ok, _ := s.LatestRound(ctx, "T2", n.ID, peers.RoundRound); ok {
			t.Error("T2 sees T1's rounds")
		}
		history, err := s.History(ctx, "T1", n.ID, peers.RoundRound, 0)
		want := []peers.Met{{A: "U1", B: "U3", Round: 2}, {A: "U1", B: "U2", Round: 1}, {A: "U3", B: "U4", Round: 1}, {A: "U3", B: "U5", Round: 1}, {A: "U4", B: "U5", Round: 1}}
		if err != nil || !slices.Equal(history, want) {
			t.Errorf("History = %v, %v; want %v", history, err, want)
		}
		if last, _ := s.History(ctx, "T1", n.ID, peers.RoundRound, 1); !slices.Equal(last, want[:1]) {
			t.Errorf("History(limit 1) = %v", last)
		}
		if other, _ := s.History(ctx, "T2", n.ID, peers.RoundRound, 0); len(other) != 0 {
			t.Errorf("T2's history of T1's network = %v", other)
		}

		g := gs[0]
		if err := s.SetOutcome(ctx, "T1", g.ID, "U3", peers.OutcomeMet); !errors.Is(err, peers.ErrNotAllowed) {
			t.Errorf("outcome by a stranger: %v", err)
		}
		if err := s.SetOutcome(ctx, "T1", g.ID, "U1", "great"); !errors.Is(err, peers.ErrInvalid) {
			t.Errorf("unknown outcome: %v", err)
		}
		if err := s.SetOutcome(ctx, "T2", g.ID, "U1", peers.OutcomeMet); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("outcome from T2: %v", err)
		}
		if err := s.SetOutcome(ctx, "T1", g.ID, "U2", peers.OutcomeCouldnt); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"U1", "U2"} {
			if p, _ := s.Participant(ctx, "T1", n.ID, u); !p.Priority {
				t.Errorf("%s has no priority after couldn't meet", u)
			}
		}
		if err := s.SetConversation(ctx, "T1", g.ID, "D123"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetConversation(ctx, "T2", g.ID, "D999"); !errors.Is(err, peers.ErrNotFound) {
			t.Errorf("conversation from T2: %v", err)
		}
		s.IncAsked(ctx, "T1", g.ID)
		if asked, err := s.IncAsked(ctx, "T1", g.ID); asked != 2 || err != nil {
			t.Errorf("IncAsked = %d, %v", asked, err)
		}
		got, _ := s.Group(ctx, "T1", g.ID)
		if got.Outcome != peers.OutcomeCouldnt || got.Conversation != "D123" || got.Asked != 2 {
			t.Errorf("group after follow-up: %+v", got)
		}
		// The outcome's row names nobody: the group's columns hold no user.
		cols, rows, err := modelstest.RawRows(ctx, db, "SELECT * FROM peer_groups WHERE id = ?", g.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range rows[0] {
			if v == "U1" || v == "U2" {
				t.Errorf("peer_groups.%s = %q names a person", cols[i], v)
			}
		}
		if err := s.EndGroup(ctx, "T1", g.ID, day(t, "2027-01-08"), "U5", false); !errors.Is(err, peers.ErrNotAllowed) {
			t.Errorf("EndGroup by a stranger: %v", err)
		}
		if err := s.EndGroup(ctx, "T1", g.ID, day(t, "2027-01-08"), "UOWNER", false); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Group(ctx, "T1", g.ID); got.EndedOn != day(t, "2027-01-08") {
			t.Errorf("EndedOn = %v", got.EndedOn)
		}
	})
}
