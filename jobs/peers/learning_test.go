package peers

import (
	"errors"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

// TestLearningPairs proves properties L1–L4 of
// docs/peers.md on three replicas.
func TestLearningPairs(t *testing.T) {
	forCircleDialects(t, func(t *testing.T, dialect string) {
		london, _ := time.LoadLocation("Europe/London")
		start := time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC) // Sunday
		h := newCirclesHarness(t, dialect, 3, start)
		tea := h.person("Tea", "Europe/London", "mon-fri 09:00-17:00")
		lou := h.person("Lou", "Europe/Berlin", "mon-fri 09:00-17:00")
		max := h.person("Max", "Europe/Paris", "mon-fri 09:00-17:00")
		users := []string{tea, lou, max}
		n := peers.DefaultNetwork(peers.KindLearning)
		n.Name, n.Channel, n.ChannelTZ, n.Anchor = hostileName, h.channel("learn", users), "Europe/London", cday(2027, 1, 4)
		n.Capacity = 1
		n = h.network(n, users)
		for u, skills := range map[string]string{tea: "teach: sql 4, r&d 5", lou: "learn: sql", max: "learn: sql, r&d"} {
			if err := h.store.SetSkills(h.ctx, circleTeam, n.ID, u, skills); err != nil {
				t.Fatalf("skills: %v", err)
			}
		}

		// Five weeks: rounds on 4 and 18 January and 1 February.
		h.runTo(time.Date(2027, 2, 8, 0, 0, 0, 0, time.UTC), london)
		first, err := h.store.RoundByNumber(h.ctx, circleTeam, n.ID, peers.RoundRound, 1)
		if err != nil {
			t.Fatalf("round 1: %v", err)
		}
		// L1, L2: one pair, formed once; the teacher's capacity of one
		// keeps the other learner waiting in every later round.
		var pairs []peers.RoundGroup
		for num := 1; num <= 3; num++ {
			r, err := h.store.RoundByNumber(h.ctx, circleTeam, n.ID, peers.RoundRound, num)
			if err != nil {
				t.Fatalf("round %d: %v", num, err)
			}
			gs, _ := h.store.Groups(h.ctx, circleTeam, r.ID)
			pairs = append(pairs, gs...)
		}
		if len(pairs) != 1 || pairs[0].RoundID != first.ID {
			t.Fatalf("pairs = %+v, want one in round 1", pairs)
		}
		pair := pairs[0]
		learner := pair.Members[1].User
		if pair.Members[0].User != tea || pair.Members[0].Role != peers.RoleTeacher {
			t.Fatalf("pair %+v: Tea does not teach", pair)
		}
		if got := countWith(h.group(pair.Users()...), "A new learning pair"); got != 1 {
			t.Errorf("intros = %d, want 1", got)
		}
		// L3: a check-in to both on day 14 and day 28.
		for _, u := range pair.Users() {
			if got := countWith(h.dms(u), "How is your learning pair"); got != 2 {
				t.Errorf("%s got %d check-ins in five weeks, want 2", u, got)
			}
		}
		// L4: membership is checked; "end" stops the check-ins.
		other := max
		if learner == max {
			other = lou
		}
		if err := h.svcs[0].LearningCheckin(h.ctx, circleTeam, pair.ID, other, LearningEnd); !errors.Is(err, peers.ErrNotAllowed) {
			t.Errorf("an outsider ends the pair: err = %v, want ErrNotAllowed", err)
		}
		if err := h.svcs[1].LearningCheckin(h.ctx, circleTeam, pair.ID, learner, LearningEnd); err != nil {
			t.Fatalf("end: %v", err)
		}
		h.runTo(time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC), london)
		for _, u := range pair.Users() {
			if got := countWith(h.dms(u), "How is your learning pair"); got != 2 {
				t.Errorf("%s got %d check-ins after the pair ended, want still 2", u, got)
			}
		}
		// Once ended, the learner left waiting is paired in the next round.
		r4, err := h.store.RoundByNumber(h.ctx, circleTeam, n.ID, peers.RoundRound, 4)
		if err != nil {
			t.Fatalf("round 4: %v", err)
		}
		gs, _ := h.store.Groups(h.ctx, circleTeam, r4.ID)
		if len(gs) != 1 || !gs[0].Has(other) {
			t.Errorf("round 4 pairs = %+v, want the waiting learner %s with Tea", gs, other)
		}
		noLiveText(t, h.everything(), liveBits...)
	})
}

// A teacher's own capacity, when set, is theirs instead of the
// network's: with the network's 2, Tea (her own: 1) takes one learner
// over three rounds, Ted (the network's) two, and the fourth learner
// waits.
func TestLearningOwnCapacity(t *testing.T) {
	t.Parallel()
	london, _ := time.LoadLocation("Europe/London")
	h := newCirclesHarness(t, models.DialectSQLite, 1, time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC))
	hours := "mon-fri 09:00-17:00"
	tea, ted := h.person("Tea", "Europe/London", hours), h.person("Ted", "Europe/London", hours)
	var learnersOf []string
	for _, name := range []string{"Ann", "Bo", "Cy", "Di"} {
		learnersOf = append(learnersOf, h.person(name, "Europe/London", hours))
	}
	users := append([]string{tea, ted}, learnersOf...)
	n := peers.DefaultNetwork(peers.KindLearning)
	n.Name, n.Channel, n.ChannelTZ, n.Anchor = "Learn", h.channel("learn", users), "Europe/London", cday(2027, 1, 4)
	n = h.network(n, users)
	if n.Capacity != 2 {
		t.Fatalf("the network's capacity = %d, want 2", n.Capacity)
	}
	skills := map[string]string{tea: "teach: sql 5", ted: "teach: sql 5"}
	for _, u := range learnersOf {
		skills[u] = "learn: sql"
	}
	for u, sk := range skills {
		if err := h.store.SetSkills(h.ctx, circleTeam, n.ID, u, sk); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.store.SetCapacity(h.ctx, circleTeam, n.ID, tea, 1); err != nil {
		t.Fatal(err)
	}

	// Rounds on 4 and 18 January and 1 February.
	h.runTo(time.Date(2027, 2, 2, 0, 0, 0, 0, time.UTC), london)
	taught := map[string]int{}
	for num := 1; num <= 3; num++ {
		r, err := h.store.RoundByNumber(h.ctx, circleTeam, n.ID, peers.RoundRound, num)
		if err != nil {
			t.Fatalf("round %d: %v", num, err)
		}
		gs, err := h.store.Groups(h.ctx, circleTeam, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			for _, m := range g.Members {
				if m.Role == peers.RoleTeacher {
					taught[m.User]++
				}
			}
		}
	}
	if taught[tea] != 1 || taught[ted] != 2 {
		t.Errorf("Tea teaches %d learners, Ted %d; want 1 (her own capacity) and 2 (the network's)", taught[tea], taught[ted])
	}
}
