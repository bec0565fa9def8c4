package peers

import (
	"errors"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// skipReason is the reason err skips a message, or "" when it does not.
func skipReason(err error) string {
	var s *engine.SkipError
	if errors.As(err, &s) {
		return s.Reason
	}
	return ""
}

// For every kind of message a network sends, a person paused in it at
// send time — until they resume, or through a day not yet past — gets
// nothing: the message to them is skipped as paused, and so is a group
// message to any group they are in. A pause that ended yesterday, or
// someone else's pause, stops nothing.
func TestPausedGetsNothingOfAnyKind(t *testing.T) {
	now := time.Date(2027, 1, 6, 12, 0, 0, 0, time.UTC) // Wednesday
	h := newCirclesHarness(t, models.DialectSQLite, 1, now)
	var users []string
	for _, name := range []string{"Ann", "Bo", "Cy", "Di", "Ed"} {
		users = append(users, h.person(name, "Europe/London", ""))
	}
	ann, bo, cy, di, ed := users[0], users[1], users[2], users[3], users[4]
	for _, kind := range peers.Kinds() {
		n := peers.DefaultNetwork(kind)
		n.Name, n.Channel, n.ChannelTZ, n.Anchor = "Leads "+string(kind), h.channel("leads-"+string(kind), users), "Europe/London", cday(2027, 1, 4)
		n = h.network(n, users)
		today := cday(2027, 1, 6)
		for u, until := range map[string]calendar.Date{ann: {}, cy: today, di: today.AddDays(-1)} {
			if err := h.store.PauseSelf(h.ctx, circleTeam, n.ID, u, until); err != nil {
				t.Fatal(err)
			}
		}
		person := func(u string) *models.Person { p, _ := h.people.Get(h.ctx, circleTeam, u); return &p }
		compose := func(o oneOff, to ...string) error {
			c := engine.Context{Occurrence: models.Occurrence{WorkspaceID: circleTeam}, Schedule: models.Schedule{Key: ScheduleKey(n.ID)}, OneOff: o.proto}
			if len(to) == 1 {
				c.Occurrence.Recipient, c.Person = to[0], person(to[0])
			} else {
				rcpt, err := engine.GroupRecipient(to...)
				if err != nil {
					t.Fatal(err)
				}
				c.Occurrence.Recipient = rcpt
				for _, u := range to {
					c.Members = append(c.Members, *person(u))
				}
			}
			_, err := h.svcs[0].Composer().Compose(h.ctx, c)
			return err
		}
		for _, o := range oneOffs() {
			kindName := string(kind) + "/" + o.proto.OneOffKind()
			for _, u := range []string{ann, cy} {
				if got := skipReason(compose(o, u)); got != pausedPerson {
					t.Errorf("%s to a paused person: skipped for %q, want %q", kindName, got, pausedPerson)
				}
				if got := skipReason(compose(o, bo, u, ed)); got != pausedMember {
					t.Errorf("%s to a group with a paused member: skipped for %q, want %q", kindName, got, pausedMember)
				}
			}
			for _, to := range [][]string{{di}, {bo}, {bo, di, ed}} {
				if got := skipReason(compose(o, to...)); got == pausedPerson || got == pausedMember {
					t.Errorf("%s to %v, nobody paused today: skipped as paused", kindName, to)
				}
			}
		}
	}
}

// A paused person is never paired and gets nothing: one paused through
// the Wednesday of a round starting Monday is out of the whole round, and
// one who pauses after the round opened gets neither the intro nor the
// follow-up; their partner comes first the next round.
func TestPausedPersonIsNotIntroduced(t *testing.T) {
	h := newHarness(t, models.DialectSQLite, 1, time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC), harnessOptions{})
	var users []string
	for _, name := range []string{"Ana", "Ben", "Cai", "Dee", "Eli"} {
		users = append(users, h.person(name, "Europe/London", ""))
	}
	ana, ben := users[0], users[1]
	n := h.network("Leads", mon4, users...)
	if err := h.store.PauseSelf(h.ctx, team, n.ID, ana, mon4.AddDays(2)); err != nil {
		t.Fatal(err)
	}
	h.runAll(time.Date(2027, 1, 4, 0, 5, 0, 0, time.UTC))
	r, _, _ := h.store.LatestRound(h.ctx, team, n.ID, peers.RoundRound)
	if g, ok, _ := h.store.GroupOf(h.ctx, team, r.ID, ana); ok {
		t.Errorf("Ana, paused through Wednesday, is paired in the round from Monday: %v", g.Users())
	}
	h.runAll(time.Date(2027, 1, 11, 0, 5, 0, 0, time.UTC))
	if ms := h.dms(ana); len(ms) != 0 {
		t.Errorf("paused Ana got %d DMs in her paused round", len(ms))
	}
	// Round 2 opened with Ana in it; she pauses before her intro.
	r, _, _ = h.store.LatestRound(h.ctx, team, n.ID, peers.RoundRound)
	g, ok, _ := h.store.GroupOf(h.ctx, team, r.ID, ana)
	if !ok {
		t.Fatal("Ana, back, is in no group of round 2")
	}
	if err := h.store.PauseSelf(h.ctx, team, n.ID, ana, calendar.Date{}); err != nil {
		t.Fatal(err)
	}
	h.runAll(time.Date(2027, 1, 17, 12, 0, 0, 0, time.UTC))
	if ms := h.group(g.Users()...); len(ms) != 0 {
		t.Errorf("the group of Ana, who paused after the round opened, got %d messages", len(ms))
	}
	for _, u := range g.Users() {
		p, _ := h.store.Participant(h.ctx, team, n.ID, u)
		if u != ana && !p.Priority {
			t.Errorf("%s lost their intro to a pause and has no priority", h.names[u])
		}
	}
	_ = ben
}

// Only a follow-up that reached its group counts as ignored when nobody
// answers: rounds whose follow-up was skipped (here, a member paused
// before it) never add up to the three silent rounds that bring the pause
// check; a delivered, unanswered follow-up counts one.
func TestUnaskedRoundsAreNotSilent(t *testing.T) {
	h := newHarness(t, models.DialectSQLite, 1, time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC), harnessOptions{})
	ana, ben := h.person("Ana", "Europe/London", ""), h.person("Ben", "Europe/London", "")
	n := h.network("Leads", mon4, ana, ben)
	for w := range 4 {
		wed := mon4.AddDays(7*w + 2)
		h.runAll(time.Date(wed.Year, wed.Month, wed.Day, 12, 0, 0, 0, time.UTC))
		if err := h.store.PauseSelf(h.ctx, team, n.ID, ana, wed.AddDays(4)); err != nil {
			t.Fatal(err)
		}
	}
	h.runAll(time.Date(2027, 2, 1, 12, 0, 0, 0, time.UTC)) // round 5 opened
	if got := len(withPrefix(h.group(ana, ben), "How did your intro")); got != 0 {
		t.Fatalf("%d follow-ups reached a group with a paused member", got)
	}
	for _, u := range []string{ana, ben} {
		p, _ := h.store.Participant(h.ctx, team, n.ID, u)
		if p.IgnoredRounds != 0 {
			t.Errorf("%s counts %d ignored rounds that were never asked", h.names[u], p.IgnoredRounds)
		}
		if got := withPrefix(h.dms(u), "Shall I pause"); len(got) != 0 {
			t.Errorf("%s was asked whether to pause after rounds never asked", h.names[u])
		}
	}
	// Round 5 is asked and left unanswered: that counts.
	h.runAll(time.Date(2027, 2, 8, 12, 0, 0, 0, time.UTC))
	for _, u := range []string{ana, ben} {
		if p, _ := h.store.Participant(h.ctx, team, n.ID, u); p.IgnoredRounds != 1 {
			t.Errorf("%s counts %d ignored rounds after one unanswered follow-up, want 1", h.names[u], p.IgnoredRounds)
		}
	}
}

// A lost NetworkChanged heals itself: when a network is paused, resumed,
// renamed or moved to another zone and its schedule is not told, each
// replica's stepper makes the schedule true to the network within the
// hour.
func TestScheduleHealsWithinTheHour(t *testing.T) {
	start := time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, models.DialectSQLite, 2, start, harnessOptions{})
	a, b := h.person("Ana", "Europe/London", ""), h.person("Ben", "Europe/London", "")
	n := h.network("Leads", mon4, a, b)
	h.runAll(start.Add(time.Minute))
	check := func(when string, want peers.Network) {
		t.Helper()
		sc, err := h.engines[0].Schedules().Get(h.ctx, team, ScheduleKey(n.ID))
		if err != nil {
			t.Fatal(err)
		}
		if sc.Paused != want.Paused || sc.ChannelTZ != want.ChannelTZ || sc.Title != want.Name+" (peer network)" {
			t.Errorf("%s: schedule paused=%v zone=%s title=%q; the network is paused=%v zone=%s name=%q",
				when, sc.Paused, sc.ChannelTZ, sc.Title, want.Paused, want.ChannelTZ, want.Name)
		}
	}
	at := start
	for i, change := range []func(*peers.Network){
		func(n *peers.Network) { n.Paused = true },
		func(n *peers.Network) { n.Paused = false },
		func(n *peers.Network) { n.Name, n.ChannelTZ = "Leads EU", "Europe/Berlin" },
	} {
		stored, err := h.store.Network(h.ctx, team, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		change(&stored)
		if stored.Paused != n.Paused {
			err = h.store.SetNetworkPaused(h.ctx, team, n.ID, stored.Paused, a, true)
		} else {
			stored, err = h.store.UpdateNetwork(h.ctx, team, stored, a, true)
		}
		if err != nil {
			t.Fatal(err)
		}
		n = stored
		at = at.Add(healEvery + time.Minute)
		h.runAll(at)
		// The scheduler ticks every minute in serve, work or not (NextDue
		// reports only work, so runAll does not stop for the hourly look).
		for _, e := range h.engines {
			if _, err := e.Tick(h.ctx, at); err != nil {
				t.Fatalf("tick at %s: %v", at, err)
			}
		}
		check("change "+string(rune('1'+i)), n)
	}
	// A schedule true to its network is left alone.
	if healed, err := h.svcs[0].healSchedule(h.ctx, team, n, at.Add(2*healEvery)); err != nil || healed {
		t.Errorf("a schedule true to its network was put again (%v)", err)
	}
}
