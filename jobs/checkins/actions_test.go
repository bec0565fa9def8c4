package checkins

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// A check-in that asks its channel follows the channel's members as they
// join and leave (SyncMembers, then SyncChannel on each event, run by two
// replicas at once), never counts Trellis itself, and asks exactly its
// participants; a chosen-people check-in in the same channel is left as
// it is.
func TestChannelMembersAreTheParticipants(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect, replicas: 2})
		ada := h.person("ada", "Europe/London", "")
		bob := h.person("bob", "Europe/London", "")
		cy := h.person("cy", "Europe/London", "")
		ch := h.channel("team", ada, bob)
		c := checkinFor(ch, ada)
		c.Participants, c.People = checkinmodels.ParticipantsChannel, nil
		c = h.create(c)
		chosen := h.create(checkinFor(ch, ada))

		want := func(c checkinmodels.Checkin, users ...string) {
			t.Helper()
			got, err := h.svcs[0].Participants(h.ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			slices.Sort(users)
			if !slices.Equal(got, users) {
				t.Errorf("participants of %d: %v, want %v", c.ID, got, users)
			}
		}
		added, removed, err := h.svcs[0].SyncMembers(h.ctx, c)
		if err != nil || added != 2 || removed != 0 {
			t.Fatalf("first sync: +%d -%d, %v; want ada and bob added", added, removed, err)
		}
		want(c, ada, bob)

		sync2 := func() {
			t.Helper()
			var wg sync.WaitGroup
			for _, s := range h.svcs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := s.SyncChannel(h.ctx, team, ch); err != nil {
						t.Errorf("sync channel: %v", err)
					}
				}()
			}
			wg.Wait()
		}
		if _, err := h.ctl.JoinChannel(h.ctx, ch, cy); err != nil {
			t.Fatal(err)
		}
		sync2()
		want(c, ada, bob, cy)
		if _, err := h.ctl.LeaveChannel(h.ctx, ch, bob); err != nil {
			t.Fatal(err)
		}
		sync2()
		want(c, ada, cy)
		want(chosen, ada)

		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		for u, n := range map[string]int{ada: 2, bob: 0, cy: 1} {
			if got := countKind(h.prompts(u), "ask"); got != n {
				t.Errorf("%s was asked %d times, want %d", u, got, n)
			}
		}
		if occ := h.occurrences(h.botUser, c, ""); len(occ) != 0 {
			t.Errorf("Trellis itself has occurrences: %+v", occ)
		}
	})
}

// "Run now" asks each participant once: at once inside their working
// window, at the start of their window outside it; it is refused for a
// paused check-in, and a pause in between stops the asks still waiting.
func TestRunNow(t *testing.T) {
	t.Parallel()
	for _, pause := range []bool{false, true} {
		name := "asks"
		if pause {
			name = "paused before the window opens"
		}
		t.Run(name, func(t *testing.T) {
			forDialects(t, func(t *testing.T, dialect string) {
				h := newHarness(t, harnessOpts{dialect: dialect, start: monday.Add(16 * time.Hour)}) // after Monday's 09:30 in New York too
				ada := h.person("ada", "Europe/London", "")
				bob := h.person("bob", "America/New_York", "")
				ch := h.channel("team", ada, bob)
				c := checkinFor(ch, ada, bob)
				c.Cadence = "mondays at 09:30"
				c.Reminders = 0
				c = h.create(c)

				// Tuesday 11:00 UTC: 11:00 for ada, 06:00 for bob.
				h.run(monday.Add(35 * time.Hour))
				n, err := h.svcs[0].RunNow(h.ctx, c)
				if err != nil || n != 2 {
					t.Fatalf("run now: %d, %v; want both asked", n, err)
				}
				if n, err := h.svcs[0].RunNow(h.ctx, c); err != nil || n != 0 {
					t.Errorf("run now again in the same second: %d, %v; want nothing more", n, err)
				}
				h.run(monday.Add(35*time.Hour + time.Minute))
				if ps := h.prompts(ada); len(ps) != 1 || !msgTime(ps[0].msg).Equal(monday.Add(35*time.Hour)) {
					t.Fatalf("ada's prompts %+v; want one, at 11:00", ps)
				}
				if ps := h.prompts(bob); len(ps) != 0 {
					t.Fatalf("bob was asked at 06:00 his time")
				}
				if !pause {
					// Pressed again a minute later: ada has the first one.
					if n, err := h.svcs[0].RunNow(h.ctx, c); err != nil || n != 2 {
						t.Fatalf("run now a minute later: %d, %v", n, err)
					}
					h.run(monday.Add(35*time.Hour + 2*time.Minute))
					if ps := h.prompts(ada); len(ps) != 1 {
						t.Errorf("after run now twice, ada has %d prompts, want 1", len(ps))
					}
				}
				if pause {
					if _, err := h.store.SetPaused(h.ctx, team, c.ID, true, ada, false); err != nil {
						t.Fatal(err)
					}
					paused, err := h.store.Get(h.ctx, team, c.ID)
					if err != nil {
						t.Fatal(err)
					}
					if n, err := h.svcs[0].RunNow(h.ctx, paused); !errors.Is(err, models.ErrInvalid) || n != 0 {
						t.Errorf("run now while paused: %d, %v; want it refused", n, err)
					}
				}
				h.run(monday.Add(3 * 24 * time.Hour))

				if ps := h.prompts(ada); len(ps) != 1 {
					t.Errorf("ada got %d prompts, want 1", len(ps))
				}
				ps := h.prompts(bob)
				if pause {
					if len(ps) != 0 {
						t.Errorf("bob got %d prompts after the pause, want none", len(ps))
					}
					for _, o := range h.occurrences(bob, c, "#run:") {
						if o.Status != models.OccurrenceSkipped || o.Reason == "" {
							t.Errorf("bob's run-now occurrence: %s %q, want skipped with a reason", o.Status, o.Reason)
						}
					}
					return
				}
				if len(ps) != 1 || !msgTime(ps[0].msg).Equal(monday.Add(38*time.Hour)) {
					t.Fatalf("bob's prompts %+v; want one, at 09:00 his time (14:00 UTC)", ps)
				}
				r, err := h.store.Round(h.ctx, team, ps[0].round)
				if err != nil || r.Date != calendar.DateOf(monday.Add(24*time.Hour)) {
					t.Errorf("bob's round %+v, %v; want Tuesday's", r, err)
				}
			})
		})
	}
}
