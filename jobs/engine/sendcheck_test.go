package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// The check right before the wire lets a message go only while every
// lease is held with a quarter to spare, the decision is fresh, and the
// recipient may get it at that instant: a person inside their working
// window and not away, a channel post within its ChannelWindow.
func TestSendCheck(t *testing.T) {
	decided := mustTime("2026-11-23T17:00:00Z") // Mon 17:00 in London
	clk := clock.NewFrozen(decided)
	e, err := New(Config{DB: modelstest.New(t, models.DialectSQLite), Clock: clk,
		Clients: func(context.Context, string) (Slack, error) { return nil, nil }, Lease: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ws := models.NewWorkspace(team, "")
	person := func(status calendar.Status) *models.Person {
		return &models.Person{WorkspaceID: team, UserID: "U1", SlackTZ: "Europe/London", Status: status}
	}
	dm := func(p *models.Person, id int64) item {
		rec := RecipientView(*p, ws, nil, nil)
		rec.SentToday, rec.DailyBudget = 3, 3
		return item{claim: models.Claim{Occurrence: models.Occurrence{ID: id, Recipient: "U1", DeliverAt: decided}, Token: "t"},
			person: p, decided: decided, hours: calendar.DefaultWorkingHours, rec: rec}
	}
	post := item{claim: models.Claim{Occurrence: models.Occurrence{ID: 3, Recipient: "C1", DeliverAt: decided}, Token: "t"}, decided: decided}
	vacation := calendar.Status{Emoji: ":palm_tree:", Text: "Vacationing", Expiration: decided.Add(2 * time.Minute)}

	for _, tc := range []struct {
		name  string
		items []item
		at    time.Duration // after the decision
		lost  bool
		want  error
	}{
		{"person, fresh, inside the window (the budget was counted when decided)", []item{dm(person(calendar.Status{}), 1)}, time.Second, false, nil},
		{"person, window closed while waiting", []item{dm(person(calendar.Status{}), 1)}, 30*time.Minute + time.Second, false, errWindowClosed},
		{"person went away (status) before the wire", []item{dm(person(vacation), 1)}, time.Second, false, errWindowClosed},
		{"person's away status expired before the wire", []item{dm(person(vacation), 1)}, 2 * time.Minute, false, nil},
		{"decision older than grace", []item{dm(person(calendar.Status{}), 1)}, 2*time.Minute + time.Second, false, errStale},
		{"lease taken over", []item{dm(person(calendar.Status{}), 1)}, time.Second, true, errLeaseEnding},
		{"lease too short to send", []item{dm(person(calendar.Status{}), 1)}, 23 * time.Second, false, errLeaseEnding},
		{"channel post within its window", []item{post}, time.Minute, false, nil},
		{"channel post past its window", []item{post}, time.Hour + time.Second, false, errWindowClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var claims []models.Claim
			for _, it := range tc.items {
				claims = append(claims, it.claim)
			}
			e.held.add(claims, decided.Add(e.lease))
			defer e.held.dropAll(claims)
			if tc.lost {
				e.held.renewed(claims[0].Occurrence.ID, claims[0].Token, decided.Add(e.lease), models.ErrLeaseLost)
			}
			// A lease renewed by the heartbeat is renewed: keep it ahead
			// except where the case is about the lease.
			if !tc.lost && tc.want != errLeaseEnding {
				e.held.renewed(claims[0].Occurrence.ID, claims[0].Token, decided.Add(tc.at+e.lease), nil)
			}
			clk.Set(decided.Add(tc.at))
			err := e.sendCheck(outgoing{items: tc.items})()
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("check at +%s = %v, want %v", tc.at, err, tc.want)
			}
		})
	}
}
