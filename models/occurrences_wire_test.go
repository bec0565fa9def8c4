package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// A claim taken over says the message may be in Slack exactly when the
// claimer it is taken from had started sending it (RenewToSend), or was
// an older build that left no mark; a mark lasts until the occurrence is
// released or completed, and a claimer that no longer holds the lease
// cannot write one.
func TestTakeoverKnowsWhetherASendBegan(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewOccurrences(db)
		due := t0.Add(-time.Minute)
		plan(t, s, []models.Occurrence{occ("USENT", due), occ("UIDLE", due), occ("UOLD", due), occ("UBACK", due)})
		first := byRecipient(claim(t, s, due, time.Minute, 10))
		if len(first) != 4 {
			t.Fatalf("first claim took %d recipients, want 4", len(first))
		}
		for _, c := range first {
			if c.LeaseExpired || c.MayBeInSlack {
				t.Errorf("first claim of %s: %+v, want neither a takeover nor maybe in Slack", c.Occurrence.Recipient, c)
			}
		}
		sent := first["USENT"]
		if err := s.RenewToSend(ctx, sent.Occurrence.ID, sent.Token, due.Add(time.Minute), due); err != nil {
			t.Fatal(err)
		}
		// Sent, then handed back unsent: the mark goes with the claim.
		back := first["UBACK"]
		if err := s.RenewToSend(ctx, back.Occurrence.ID, back.Token, due.Add(time.Minute), due); err != nil {
			t.Fatal(err)
		}
		if err := s.Release(ctx, back.Occurrence.ID, back.Token, due, "handed back unsent"); err != nil {
			t.Fatal(err)
		}
		// A claim taken by a build before wire marks has a token without
		// their prefix.
		if err := modelstest.Exec(ctx, db, `UPDATE occurrences SET lease_token = ? WHERE id = ?`, "OLDBATCH.1", first["UOLD"].Occurrence.ID); err != nil {
			t.Fatal(err)
		}

		// The leases run out; the next claim takes everything over.
		later := due.Add(2 * time.Minute)
		second := byRecipient(claim(t, s, later, time.Minute, 10))
		for user, want := range map[string]struct{ expired, maybe bool }{
			"USENT": {true, true},
			"UIDLE": {true, false},
			"UOLD":  {true, true},
			"UBACK": {false, false},
		} {
			c, ok := second[user]
			if !ok {
				t.Errorf("%s was not claimed again", user)
				continue
			}
			if c.LeaseExpired != want.expired || c.MayBeInSlack != want.maybe {
				t.Errorf("%s taken over: expired %v, maybe in Slack %v; want %v, %v", user, c.LeaseExpired, c.MayBeInSlack, want.expired, want.maybe)
			}
		}
		// The old claimer cannot mark what it no longer holds.
		if err := s.RenewToSend(ctx, first["UIDLE"].Occurrence.ID, first["UIDLE"].Token, later.Add(time.Minute), later); err == nil {
			t.Error("a claimer whose claim was taken over marked it as sent")
		}
		// A mark survives a takeover until the occurrence is settled: a
		// claimer that dies before it looks leaves it for the next.
		third := byRecipient(claim(t, s, later.Add(2*time.Minute), time.Minute, 10))
		if c := third["USENT"]; !c.LeaseExpired || !c.MayBeInSlack {
			t.Errorf("USENT taken over again: %+v, want it still maybe in Slack", c)
		}
		if c := third["UIDLE"]; !c.LeaseExpired || c.MayBeInSlack {
			t.Errorf("UIDLE taken over again: %+v, want it certainly not in Slack", c)
		}
	})
}

// byRecipient indexes claims by their recipient.
func byRecipient(cs []models.Claim) map[string]models.Claim {
	out := map[string]models.Claim{}
	for _, c := range cs {
		out[c.Occurrence.Recipient] = c
	}
	return out
}
