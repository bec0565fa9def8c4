package peers

import (
	"slices"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// edit changes a network as the handler's form does (a new weekday moves
// the anchor to it) and tells the service.
func edit(t *testing.T, store *peers.Store, svc *Service, ws string, id int64, actor string, change func(*peers.Network)) peers.Network {
	t.Helper()
	n, err := store.Network(t.Context(), ws, id)
	if err != nil {
		t.Fatal(err)
	}
	before := n.Weekday
	change(&n)
	if n.Weekday != before {
		n.Anchor = peers.Anchor(n.Anchor, n.Weekday)
	}
	n, err = store.UpdateNetwork(t.Context(), ws, n, actor, true)
	if err != nil {
		t.Fatalf("edit network: %v", err)
	}
	if err := svc.NetworkChanged(t.Context(), ws, id); err != nil {
		t.Fatal(err)
	}
	return n
}

// Editing the cadence or the weekday never stops rounds: after seven
// weekly rounds, the network changed to every 4 weeks (on the same day, or
// on Thursdays) opens its next round on the new schedule's first start
// after the last round ends, exactly once with three replicas stepping,
// and keeps opening them. Every stored round starts on a start of the
// schedule in force, numbers run 1, 2, 3… and rounds never overlap.
func TestCadenceEditKeepsRoundsGoing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		weekday time.Weekday
		next    calendar.Date // the new schedule's first start after 21 Feb
	}{
		{"every 4 weeks", time.Monday, cday(2027, 3, 1)},
		{"every 4 weeks on Thursdays", time.Thursday, cday(2027, 3, 4)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, models.DialectSQLite, 3, time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC), harnessOptions{})
			a, b := h.person("Ana", "Europe/London", ""), h.person("Ben", "Europe/London", "")
			n := h.network("Leads", mon4, a, b)
			h.runAll(time.Date(2027, 2, 16, 12, 0, 0, 0, time.UTC))
			r, _, _ := h.store.LatestRound(h.ctx, team, n.ID, peers.RoundRound)
			if r.Number != 7 || r.StartsOn != cday(2027, 2, 15) {
				t.Fatalf("before the edit the latest round is %d from %s; want 7 from 15 Feb", r.Number, r.StartsOn)
			}
			n = edit(t, h.store, h.svcs[1], team, n.ID, a, func(n *peers.Network) {
				n.Cadence, n.Weekday = peers.CadenceEvery4Weeks, tc.weekday
			})
			h.runAll(dayStart(n, tc.next).Add(-time.Hour))
			if r, _, _ := h.store.LatestRound(h.ctx, team, n.ID, peers.RoundRound); r.Number != 7 {
				t.Fatalf("round %d (from %s) opened before the new schedule's next start %s", r.Number, r.StartsOn, tc.next)
			}
			h.runAll(dayStart(n, tc.next.AddDays(30)).Add(time.Hour))
			rows, err := models.QueryRows[struct {
				Number   int
				StartsOn calendar.Date
				EndsOn   calendar.Date
			}](h.ctx, h.dbs[0], "SELECT number, starts_on, ends_on FROM peer_rounds WHERE network_id = ? ORDER BY number", n.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 9 {
				t.Fatalf("%d rounds stored; want 7 weekly and 2 every 4 weeks", len(rows))
			}
			for i, r := range rows {
				if r.Number != i+1 {
					t.Errorf("round %d stored as number %d", i+1, r.Number)
				}
				if i > 0 && !r.StartsOn.After(rows[i-1].EndsOn) {
					t.Errorf("round %d (from %s) overlaps round %d (to %s)", r.Number, r.StartsOn, rows[i-1].Number, rows[i-1].EndsOn)
				}
				if i < 7 {
					continue
				}
				want := tc.next.AddDays((i - 7) * 28)
				if r.StartsOn != want || r.EndsOn != want.AddDays(27) {
					t.Errorf("round %d runs %s–%s; want %s–%s", r.Number, r.StartsOn, r.EndsOn, want, want.AddDays(27))
				}
			}
			if got := len(withPrefix(h.group(a, b), "Intro from")); got != 9 {
				t.Errorf("the pair got %d intros; want one per round, 9", got)
			}
		})
	}
}

// Editing a circles network's term length and cadence never stops terms
// or sessions: after monthly terms of weekly sessions, the network
// changed to two-month terms meeting every 2 weeks keeps its current term
// to its end, meets on the new schedule's dates inside it, then opens the
// schedule's next term on its first day, each once with three replicas
// stepping; each circle's sessions are numbered 1, 2, 3… by date.
func TestTermEditKeepsCirclesMeeting(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	h := newCirclesHarness(t, models.DialectSQLite, 3, time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC))
	var all []string
	for _, name := range []string{"Ann", "Bo", "Cy", "Di"} {
		all = append(all, h.person(name, "Europe/London", "mon-fri 09:00-17:00"))
	}
	n := peers.DefaultNetwork(peers.KindCircles)
	n.Name, n.Channel, n.ChannelTZ, n.Anchor = "Leads", h.channel("leads", all), "Europe/London", cday(2027, 1, 4)
	n.Cadence, n.MinSize, n.TermMonths = peers.CadenceWeekly, 3, 1
	n = h.network(n, all)
	h.runTo(time.Date(2027, 2, 10, 12, 0, 0, 0, time.UTC), london)
	edit(t, h.store, h.svcs[2], circleTeam, n.ID, "UOWNER", func(n *peers.Network) {
		n.TermMonths, n.Cadence = 2, peers.CadenceEvery2Weeks
	})
	h.runTo(time.Date(2027, 4, 14, 12, 0, 0, 0, time.UTC), london)

	type term struct {
		first, last calendar.Date
		sessions    []calendar.Date
	}
	want := []term{
		{cday(2027, 1, 4), cday(2027, 2, 3), []calendar.Date{cday(2027, 1, 4), cday(2027, 1, 11), cday(2027, 1, 18), cday(2027, 1, 25), cday(2027, 2, 1)}},
		{cday(2027, 2, 4), cday(2027, 3, 3), []calendar.Date{cday(2027, 2, 8), cday(2027, 2, 15), cday(2027, 3, 1)}},
		{cday(2027, 3, 4), cday(2027, 5, 3), []calendar.Date{cday(2027, 3, 15), cday(2027, 3, 29), cday(2027, 4, 12)}},
	}
	latest, _, err := h.store.LatestRound(h.ctx, circleTeam, n.ID, peers.RoundTerm)
	if err != nil || latest.Number != len(want) {
		t.Fatalf("latest term %d, %v; want %d terms", latest.Number, err, len(want))
	}
	for i, w := range want {
		r, err := h.store.RoundByNumber(h.ctx, circleTeam, n.ID, peers.RoundTerm, i+1)
		if err != nil {
			t.Fatalf("term %d: %v", i+1, err)
		}
		if r.StartsOn != w.first || r.EndsOn != w.last {
			t.Errorf("term %d runs %s–%s; want %s–%s", i+1, r.StartsOn, r.EndsOn, w.first, w.last)
		}
		gs, err := h.store.Groups(h.ctx, circleTeam, r.ID)
		if err != nil || len(gs) != 1 {
			t.Fatalf("term %d has %d circles (%v); want 1", i+1, len(gs), err)
		}
		ss, err := h.store.Sessions(h.ctx, circleTeam, gs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []calendar.Date
		for j, s := range ss {
			got = append(got, s.On)
			if s.Number != j+1 {
				t.Errorf("term %d: the session on %s is number %d, want %d", i+1, s.On, s.Number, j+1)
			}
		}
		if !slices.Equal(got, w.sessions) {
			t.Errorf("term %d met on %v; want %v", i+1, got, w.sessions)
		}
	}
}
