package okrs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// A nudge and a review DM show a team-only objective, and its key
// results, only to a member of its channel now: an owner who is not in
// it (never was, or left) reads nothing of it and, when it was their only
// key result, is neither nudged nor asked to review; a member is. When
// Slack cannot say who is in the channel, the objective is hidden.
func TestDMsShowTeamOnlyObjectivesToMembersOnly(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		start := time.Date(2027, 1, 4, 12, 0, 0, 0, time.UTC)
		h := newHarness(t, dialect, 1, start)
		member := h.person("member", "Europe/Berlin", "")
		outsider := h.person("outsider", "Europe/Berlin", "")
		left := h.person("left", "Europe/Berlin", "")
		mixed := h.person("mixed", "Europe/Berlin", "")
		ch, err := h.ctl.CreateChannel(h.ctx, slacksim.NewChannel{Name: "secret", Members: []string{member, left}})
		if err != nil {
			t.Fatal(err)
		}
		c := h.cycle("Q1", calendar.Date{Year: 2027, Month: 1, Day: 1}, calendar.Date{Year: 2027, Month: 3, Day: 31})
		secret := okrs.Objective{CycleID: c.ID, Title: "Secret objective", Owner: member, Team: ch.ID, Visibility: okrs.VisibleTeam}
		for _, p := range []string{member, outsider, left, mixed} {
			secret.KeyResults = append(secret.KeyResults, okrs.KeyResult{Title: "Secret result", Owner: p, Kind: okrs.Milestone})
		}
		if _, err := h.store.CreateObjective(h.ctx, team, secret, member); err != nil {
			t.Fatal(err)
		}
		h.objective(c.ID, mixed, "Open result")
		if _, err := h.ctl.LeaveChannel(h.ctx, ch.ID, left); err != nil {
			t.Fatal(err)
		}
		unknown, err := New(Config{DB: h.dbs[0], Engine: h.engines[0], Clock: h.clk, Logger: h.svcs[0].log,
			Members: func(context.Context, string, string) ([]string, error) { return nil, errors.New("slack is down") }})
		if err != nil {
			t.Fatal(err)
		}
		// Two minutes on: the lists read while creating are stale.
		h.clk.Set(start.Add(2 * time.Minute))

		tests := []struct {
			name   string
			svc    *Service
			person string
			// shown are the titles the DMs show; none means no DM.
			shown []string
		}{
			{"a member", h.svcs[0], member, []string{"Secret objective", "Secret result"}},
			{"an owner never in the channel", h.svcs[0], outsider, nil},
			{"an owner who left the channel", h.svcs[0], left, nil},
			{"an outsider with another key result", h.svcs[0], mixed, []string{"Open result"}},
			{"a member when Slack cannot say", unknown, member, nil},
		}
		for _, tt := range tests {
			p, err := h.people.Get(h.ctx, team, tt.person)
			if err != nil {
				t.Fatal(err)
			}
			schedules := h.engines[0].Schedules()
			if err := schedules.Delete(h.ctx, team, NudgeKey(tt.person), "test"); err != nil && !errors.Is(err, models.ErrNotFound) {
				t.Fatal(err)
			}
			if err := tt.svc.SyncPerson(h.ctx, team, tt.person); err != nil {
				t.Fatalf("%s: sync: %v", tt.name, err)
			}
			_, err = schedules.Get(h.ctx, team, NudgeKey(tt.person))
			if has := err == nil; has != (len(tt.shown) > 0) {
				t.Errorf("%s: has a nudge schedule: %v (%v), want %v", tt.name, has, err, len(tt.shown) > 0)
			}

			// A nudge two weeks in: nothing was touched since the start.
			at := start.AddDate(0, 0, 14)
			nudge, err := tt.svc.compose(h.ctx, engine.Context{Schedule: models.Schedule{WorkspaceID: team, Key: NudgeKey(tt.person)},
				Occurrence: models.Occurrence{WorkspaceID: team, NominalAt: at}, Person: &p, Location: p.Location()})
			checkDM(t, tt.name+": nudge", nudge, err, tt.shown)

			// The review DM, composed the day after the cycle, and planned.
			when := ReviewInstant(c, p.Location())
			review, err := tt.svc.ReviewComposer().Compose(h.ctx, engine.Context{
				Occurrence: models.Occurrence{WorkspaceID: team, NominalAt: when, DeliverAt: when},
				OneOff:     ReviewDM{Cycle: c.ID}, Person: &p, Location: p.Location()})
			checkDM(t, tt.name+": review", review, err, tt.shown)
		}

		// Planning the reviews plans one for each person a DM would show
		// something to.
		h.clk.Set(time.Date(2027, 3, 31, 12, 0, 0, 0, time.UTC))
		n, err := h.svcs[0].PlanReviews(h.ctx, team, c, h.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("planned %d review DMs, want 2 (the member, and the outsider with another key result)", n)
		}
	})
}

// checkDM checks a composed DM: with titles to show, a message showing
// each and nothing of the secret objective unless shown; without, a skip.
func checkDM(t *testing.T, where string, msg engine.Message, err error, shown []string) {
	t.Helper()
	if len(shown) == 0 {
		var skip *engine.SkipError
		if !errors.As(err, &skip) {
			t.Errorf("%s: %v, want a skip", where, err)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	text := msg.Text + "\n" + mrkdwnText(t, msg.Blocks)
	for _, want := range shown {
		if !strings.Contains(text, want) {
			t.Errorf("%s: lacks %q:\n%s", where, want, text)
		}
	}
	if !strings.Contains(strings.Join(shown, " "), "Secret") && strings.Contains(text, "Secret") {
		t.Errorf("%s: shows the team-only objective:\n%s", where, text)
	}
}
