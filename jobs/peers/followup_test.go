package peers

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

// Follow-up answers: "met" is stored; "not yet" asks once more (a second
// "not yet" asks nothing more) and that asking is final; "couldn't" gives
// the members priority; a forged group id or a non-member's click is
// refused and stores nothing; the counts post splits the outcomes when the
// round had at least the workspace's minimum group size of intros, and
// names nobody; the silent group's members count one ignored round.
func TestFollowUpAnswers(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, 1, time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC), harnessOptions{})
		var users []string
		for _, name := range []string{"Ana", "Ben", "Cai", "Dee", "Eli", "Fay", "Gus", "Hal"} {
			users = append(users, h.person(name, "Europe/London", ""))
		}
		if err := models.NewWorkspaces(h.dbs[0]).SetMinGroupSize(h.ctx, team, 3, users[0]); err != nil {
			t.Fatal(err)
		}
		n := h.network("Leads", mon4, users...)
		// Friday 8 January, 10:00: every follow-up has come (09:00).
		h.runAll(time.Date(2027, 1, 8, 10, 0, 0, 0, time.UTC))
		r, _, err := h.store.LatestRound(h.ctx, team, n.ID, peers.RoundRound)
		if err != nil {
			t.Fatal(err)
		}
		gs, err := h.store.Groups(h.ctx, team, r.ID)
		if err != nil || len(gs) != 4 {
			t.Fatalf("groups = %d, %v; want 4 pairs", len(gs), err)
		}
		for _, g := range gs {
			if got := withPrefix(h.group(g.Users()...), "How did your intro"); len(got) != 1 {
				t.Fatalf("group %v got %d follow-ups, want 1", g.Users(), len(got))
			}
		}
		met, notYet, couldnt, silent := gs[0], gs[1], gs[2], gs[3]
		svc := h.svcs[0]

		// Refusals first: nothing changes.
		if err := svc.RecordOutcome(h.ctx, team, 987654, met.Users()[0], peers.OutcomeMet); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a forged group id: %v, want ErrNotFound", err)
		}
		if err := svc.RecordOutcome(h.ctx, team, silent.ID, met.Users()[0], peers.OutcomeMet); !errors.Is(err, ErrNotMember) {
			t.Errorf("a non-member's click: %v, want ErrNotMember", err)
		}
		if err := svc.RecordOutcome(h.ctx, "T-OTHER", silent.ID, silent.Users()[0], peers.OutcomeMet); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("another workspace's group: %v, want ErrNotFound", err)
		}
		if g, _ := h.store.Group(h.ctx, team, silent.ID); g.Outcome != peers.OutcomeNone || g.Asked != 0 {
			t.Errorf("a refused answer changed group %+v", g)
		}

		must := func(g peers.RoundGroup, who int, o peers.Outcome) {
			t.Helper()
			if err := svc.RecordOutcome(h.ctx, team, g.ID, g.Users()[who], o); err != nil {
				t.Fatalf("record %s for %v: %v", o, g.Users(), err)
			}
		}
		must(met, 0, peers.OutcomeMet)
		must(notYet, 0, peers.OutcomeNotYet)
		must(notYet, 1, peers.OutcomeNotYet) // both say it: asked again once
		must(couldnt, 1, peers.OutcomeCouldnt)
		for _, u := range couldnt.Users() {
			if p, _ := h.store.Participant(h.ctx, team, n.ID, u); !p.Priority {
				t.Errorf("%s could not meet and has no priority", h.names[u])
			}
		}

		h.runAll(time.Date(2027, 1, 8, 18, 0, 0, 0, time.UTC))
		again := withPrefix(h.group(notYet.Users()...), "Did you manage")
		if len(again) != 1 {
			t.Fatalf("the not-yet group was asked again %d times, want once", len(again))
		}
		if !strings.Contains(again[0].text, "last time I ask") {
			t.Errorf("the second asking does not say it is the last: %q", again[0].text)
		}
		for _, g := range []peers.RoundGroup{met, couldnt, silent} {
			if got := withPrefix(h.group(g.Users()...), "Did you manage"); len(got) != 0 {
				t.Errorf("group %v was asked again without saying not yet", g.Users())
			}
		}
		must(notYet, 1, peers.OutcomeNotYet) // final: nothing more is planned
		h.runAll(time.Date(2027, 1, 11, 12, 0, 0, 0, time.UTC))
		if got := withPrefix(h.group(notYet.Users()...), "Did you manage"); len(got) != 1 {
			t.Errorf("the not-yet group was asked %d times in all, want once again", len(got))
		}

		var counts []msg
		for _, m := range h.channel(n.Channel, users[0]) {
			if strings.Contains(m.raw.Text, "This round:") {
				counts = append(counts, m)
			}
		}
		if len(counts) != 1 || !strings.Contains(counts[0].text, "This round: 4 intros — 1 met, 1 not yet, 1 couldn't, 1 no answer") {
			t.Fatalf("counts posts = %+v; want one split post", counts)
		}
		for _, u := range users {
			if strings.Contains(counts[0].text, u) || strings.Contains(counts[0].text, h.names[u]) {
				t.Errorf("the counts post names %s", h.names[u])
			}
		}
		// Round 2 opened: the silent pair counted one ignored round.
		for _, g := range gs {
			for _, u := range g.Users() {
				p, _ := h.store.Participant(h.ctx, team, n.ID, u)
				want := 0
				if g.ID == silent.ID {
					want = 1
				}
				if p.IgnoredRounds != want {
					t.Errorf("%s ignored %d rounds, want %d", h.names[u], p.IgnoredRounds, want)
				}
			}
		}
	})
}

// Ignoring: three silent rounds in a row bring one personal DM asking
// whether to pause, once per streak; "pause me" pauses, and a paused
// person is neither matched nor written to.
func TestIgnoreStreakAsksToPauseOnce(t *testing.T) {
	h := newHarness(t, models.DialectSQLite, 1, time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC), harnessOptions{})
	a, b, c := h.person("Ana", "Europe/London", ""), h.person("Ben", "Europe/London", ""), h.person("Cai", "Europe/London", "")
	n := h.network("Leads", mon4, a, b, c)
	checks := func(u string) []msg { return withPrefix(h.dms(u), "Shall I pause") }
	// Rounds 1-3 go unanswered; round 4 opens on Monday 25 January.
	h.runAll(time.Date(2027, 1, 25, 12, 0, 0, 0, time.UTC))
	for _, u := range []string{a, b, c} {
		if got := checks(u); len(got) != 1 {
			t.Fatalf("%s got %d pause checks after three silent rounds, want 1", h.names[u], len(got))
		}
		h.checkSafe("pause check", checks(u)[0])
	}
	// Round 5 opens after a fourth silent round: no second check.
	h.runAll(time.Date(2027, 2, 1, 12, 0, 0, 0, time.UTC))
	for _, u := range []string{b, c} {
		if got := checks(u); len(got) != 1 {
			t.Errorf("%s got %d pause checks in one streak, want 1", h.names[u], len(got))
		}
	}
	if err := h.svcs[0].AnswerPauseCheck(h.ctx, team, n.ID, a, true); err != nil {
		t.Fatal(err)
	}
	if err := h.svcs[0].AnswerPauseCheck(h.ctx, team, n.ID, "UNOBODY", true); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a stranger's answer: %v, want ErrNotFound", err)
	}
	p, _ := h.store.Participant(h.ctx, team, n.ID, a)
	if !p.Paused || p.IgnoredRounds != 0 {
		t.Fatalf("after pause me: %+v", p)
	}
	before := len(h.dms(a))
	h.runAll(time.Date(2027, 2, 8, 12, 0, 0, 0, time.UTC))
	r, _, _ := h.store.LatestRound(h.ctx, team, n.ID, peers.RoundRound)
	if g, ok, _ := h.store.GroupOf(h.ctx, team, r.ID, a); ok {
		t.Errorf("paused Ana is in group %v", g.Users())
	}
	if got := len(h.dms(a)); got != before {
		t.Errorf("paused Ana got %d more DMs", got-before)
	}
}

// A network paused or deleted after its round opened: what waits is
// skipped, nothing is sent.
func TestPausedOrDeletedNetworkSkipsWaiting(t *testing.T) {
	for _, deleted := range []bool{false, true} {
		h := newHarness(t, models.DialectSQLite, 1, time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC), harnessOptions{})
		a, b := h.person("Ana", "Europe/London", ""), h.person("Ben", "Europe/London", "")
		far := h.person("Ngaio", "Pacific/Auckland", "mon-fri 14:30-16:00")
		n := h.network("Leads", mon4, a, b, far)
		h.runAll(time.Date(2027, 1, 4, 0, 1, 0, 0, time.UTC)) // round 1 opened, nothing sent yet
		if _, ok, _ := h.store.LatestRound(h.ctx, team, n.ID, peers.RoundRound); !ok {
			t.Fatal("no round opened")
		}
		if deleted {
			if err := h.store.DeleteNetwork(h.ctx, team, n.ID, a, false); err != nil {
				t.Fatal(err)
			}
			if err := h.svcs[0].NetworkDeleted(h.ctx, team, n.ID); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := h.store.SetNetworkPaused(h.ctx, team, n.ID, true, a, false); err != nil {
				t.Fatal(err)
			}
			if err := h.svcs[0].NetworkChanged(h.ctx, team, n.ID); err != nil {
				t.Fatal(err)
			}
		}
		h.runAll(time.Date(2027, 1, 12, 12, 0, 0, 0, time.UTC))
		if got := h.group(a, b); len(got) != 0 {
			t.Errorf("deleted=%v: the pair got %d messages", deleted, len(got))
		}
		if got := h.dms(far); len(got) != 0 {
			t.Errorf("deleted=%v: the one left out got %d DMs", deleted, len(got))
		}
		if got := h.channel(n.Channel, a); len(got) != 0 {
			t.Errorf("deleted=%v: the channel got %d posts", deleted, len(got))
		}
		rows, err := models.QueryRows[struct{ N int }](h.ctx, h.dbs[0],
			"SELECT COUNT(*) AS n FROM occurrences WHERE cadence_id LIKE 'peers:%' AND status <> 'skipped'")
		if err != nil || rows[0].N != 0 {
			t.Errorf("deleted=%v: %v occurrences not skipped (%v)", deleted, rows, err)
		}
	}
}

// The round and every message it plans are one transaction: when
// planning fails half-way (here the counts post's payload is not
// declared), neither the round nor any message is stored, and the next
// step opens it whole.
func TestRoundTransactionFailurePlansNothing(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		broken := func(eng *engine.Engine) error {
			for _, f := range []func(*engine.Engine, string) error{
				engine.AcceptOneOff[IntroDM], engine.AcceptOneOff[UnmatchedDM], engine.AcceptOneOff[FollowUpDM], engine.AcceptOneOff[PauseCheckDM],
			} {
				if err := f(eng, Kind); err != nil {
					return err
				}
			}
			return nil
		}
		start := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
		h := newHarness(t, dialect, 1, start, harnessOptions{accept: broken})
		a, b, c := h.person("Ana", "Europe/London", ""), h.person("Ben", "Europe/London", ""), h.person("Ngaio", "Pacific/Auckland", "mon-fri 14:30-16:00")
		n := h.network("Leads", mon4, a, b, c)
		if err := h.svcs[0].Tick(h.ctx, start); err == nil || !strings.Contains(err.Error(), "counts") {
			t.Fatalf("Tick = %v, want the counts post refused", err)
		}
		count := func(q string) int {
			rows, err := models.QueryRows[struct{ N int }](h.ctx, h.dbs[0], q)
			if err != nil {
				t.Fatal(err)
			}
			return rows[0].N
		}
		if got := count("SELECT COUNT(*) AS n FROM peer_rounds"); got != 0 {
			t.Errorf("%d rounds stored by a failed opening", got)
		}
		if got := count("SELECT COUNT(*) AS n FROM occurrences WHERE cadence_id LIKE 'peers:%'"); got != 0 {
			t.Errorf("%d messages planned by a failed opening", got)
		}
		if err := engine.AcceptOneOff[CountsPost](h.engines[0], Kind); err != nil {
			t.Fatal(err)
		}
		if err := h.svcs[0].Tick(h.ctx, start.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got := count("SELECT COUNT(*) AS n FROM peer_rounds"); got != 1 {
			t.Errorf("%d rounds, want 1", got)
		}
		// An intro, a follow-up, a note and the counts post.
		if got := count("SELECT COUNT(*) AS n FROM occurrences WHERE cadence_id LIKE 'peers:%'"); got != 4 {
			t.Errorf("%d messages planned, want 4", got)
		}
		_ = n
	})
}
