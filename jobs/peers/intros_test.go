package peers

import (
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// hostile is a network name that would mention, broadcast and link if it
// were not escaped.
const hostile = "<!channel> *Leads* <@U0BAD> <http://evil.example|click>"

// mon4 is Monday 4 January 2027, the networks' anchor.
var mon4 = calendar.Date{Year: 2027, Month: time.January, Day: 4}

// A round is opened once by three replicas stepping at once: one round
// row; each group's intro and follow-up sent once, each inside every
// member's working hours (five zones, a night shift among them), with
// suggested times inside the hours they share, written in each member's
// own time; the person who shares no hours with anyone told kindly, and
// first in line next round; the counts post once, with the total only
// (fewer intros than the workspace's minimum group size) and no names; a
// hostile network name escaped in every message.
func TestIntrosRoundOnceAcrossReplicas(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		start := time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC)
		h := newHarness(t, dialect, 3, start, harnessOptions{})
		ada := h.person("Ada", "Europe/London", "")
		ravi := h.person("Ravi", "Asia/Kolkata", "")
		kenji := h.person("Kenji", "Asia/Tokyo", "mon-fri 22:00-06:00")
		maria := h.person("Maria", "America/Sao_Paulo", "")
		lee := h.person("Lee", "America/Los_Angeles", "")
		ngaio := h.person("Ngaio", "Pacific/Auckland", "mon-fri 14:30-16:00")
		everyone := []string{ada, ravi, kenji, maria, lee, ngaio}
		n := h.network(hostile, mon4, everyone...)

		h.runAll(time.Date(2027, 1, 10, 23, 0, 0, 0, time.UTC))

		r, ok, err := h.store.LatestRound(h.ctx, team, n.ID, peers.RoundRound)
		if err != nil || !ok || r.Number != 1 || r.StartsOn != mon4 || r.EndsOn != mon4.AddDays(6) {
			t.Fatalf("latest round = %+v, %v, %v; want round 1 of the week of %s", r, ok, err, mon4)
		}
		groups, err := h.store.Groups(h.ctx, team, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 2 {
			t.Fatalf("got %d groups, want 2 (a pair and a triple of five): %+v", len(groups), groups)
		}
		for _, g := range groups {
			users := g.Users()
			if g.Has(ngaio) {
				t.Errorf("Ngaio, who shares no hours with anyone, is in group %v", users)
			}
			msgs := h.group(users...)
			intros, follows := withPrefix(msgs, "Intro from"), withPrefix(msgs, "How did your intro")
			if len(intros) != 1 || len(follows) != 1 || len(msgs) != 2 {
				t.Fatalf("group %v got %d intros, %d follow-ups, %d messages; want one each", users, len(intros), len(follows), len(msgs))
			}
			var members []IntroMember
			for _, u := range users {
				p, err := h.people.Get(h.ctx, team, u)
				if err != nil {
					t.Fatal(err)
				}
				members = append(members, IntroMember{User: u, Name: p.Name, Loc: p.Location()})
			}
			for _, m := range msgs {
				h.checkSafe("group message", m, users...)
				for _, u := range users {
					if ws := h.windowsOf(u, m.at.Add(-36*time.Hour), m.at.Add(36*time.Hour)); !inside(m.at, ws) {
						t.Errorf("message %q to %v sent at %s, outside %s's working hours %v", m.raw.Text, users, m.at, h.names[u], ws)
					}
				}
				if strings.Contains(m.text, "<!channel>") || strings.Contains(m.text, "<@U0BAD>") {
					t.Errorf("the network's name is live in %q", m.text)
				}
			}
			intro := intros[0]
			times := peers.SuggestTimes(after(g.Shared, intro.at.Add(suggestGap)), suggested, peers.DefaultSlot)
			if len(times) == 0 {
				t.Fatalf("group %v has no time to suggest in %v", users, g.Shared)
			}
			for _, tm := range times {
				if !inside(tm, g.Shared) || !inside(tm.Add(peers.DefaultSlot-time.Second), g.Shared) {
					t.Errorf("suggested %s is not inside the shared hours %v", tm, g.Shared)
				}
				for _, u := range users {
					if !inside(tm, h.windowsOf(u, tm.Add(-36*time.Hour), tm.Add(36*time.Hour))) {
						t.Errorf("suggested %s is outside %s's hours", tm, h.names[u])
					}
				}
				if line := TimeLine(tm, members); !strings.Contains(intro.text, line) {
					t.Errorf("intro does not show %s in everyone's time as %q:\n%s", tm, line, intro.text)
				}
			}
			for _, u := range users {
				if !strings.Contains(intro.text, "<@"+u+">") {
					t.Errorf("intro does not introduce %s", h.names[u])
				}
			}
		}

		// The one with no shared hours: told once, kindly, and first next round.
		notes := withPrefix(h.dms(ngaio), "No intro this round")
		if len(notes) != 1 || !strings.Contains(notes[0].text, "first in line next round") {
			t.Fatalf("Ngaio's notes = %+v; want one saying she is first in line", notes)
		}
		h.checkSafe("unmatched note", notes[0])
		if p, err := h.store.Participant(h.ctx, team, n.ID, ngaio); err != nil || !p.Priority {
			t.Errorf("Ngaio's participation = %+v, %v; want priority next round", p, err)
		}
		for _, u := range everyone[:5] {
			if got := withPrefix(h.dms(u), "No intro"); len(got) != 0 {
				t.Errorf("%s, who has an intro, was told they have none", h.names[u])
			}
		}

		// Why: from what is stored, never from anyone's private state.
		why, err := h.svcs[1].Explain(h.ctx, team, n.ID, ada)
		if err != nil || !strings.Contains(why, "round 1") || !strings.Contains(why, "haven't been introduced") {
			t.Errorf("Explain(Ada) = %q, %v", why, err)
		}
		// It is shown as it is ("why"), so nothing typed may reach it: not
		// the network's (hostile) name.
		if strings.Contains(why, "channel") || strings.Contains(why, "U0BAD") || strings.Contains(why, "evil") {
			t.Errorf("Explain(Ada) carries typed text: %q", why)
		}
		if why, err := h.svcs[2].Explain(h.ctx, team, n.ID, ngaio); err != nil || !strings.Contains(why, "first in line") {
			t.Errorf("Explain(Ngaio) = %q, %v", why, err)
		}

		// The counts post, the day after the round: once, total only, no names.
		h.runAll(time.Date(2027, 1, 11, 18, 0, 0, 0, time.UTC))
		posts := h.channel(n.Channel, ada)
		var counts []msg
		for _, m := range posts {
			if strings.Contains(m.raw.Text, "This round:") {
				counts = append(counts, m)
			}
		}
		if len(counts) != 1 {
			t.Fatalf("channel got %d counts posts, want 1: %+v", len(counts), posts)
		}
		c := counts[0]
		if !strings.Contains(c.text, "This round: 2 intros") || strings.Contains(c.text, "met") {
			t.Errorf("counts post %q: want the total only (2 intros < minimum group size 5)", c.text)
		}
		if c.at.Before(time.Date(2027, 1, 11, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("counts posted at %s, before 10:00 the day after the round", c.at)
		}
		for _, u := range everyone {
			if strings.Contains(c.text, u) || strings.Contains(c.text, h.names[u]) {
				t.Errorf("counts post names %s: %q", h.names[u], c.text)
			}
		}
		h.checkSafe("counts post", c)

		// Round 2 opened once too, and Ngaio's priority has been used.
		r2, ok, err := h.store.LatestRound(h.ctx, team, n.ID, peers.RoundRound)
		if err != nil || !ok || r2.Number != 2 {
			t.Fatalf("latest round = %+v, %v, %v; want round 2", r2, ok, err)
		}
		rows, err := models.QueryRows[struct{ N int }](h.ctx, h.dbs[0], "SELECT COUNT(*) AS n FROM peer_rounds WHERE network_id = ?", n.ID)
		if err != nil || rows[0].N != 2 {
			t.Errorf("peer_rounds rows = %v, %v; want 2", rows, err)
		}
	})
}
