package checkins_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// A closed round's prompt updates are queued once per waiting person,
// held by one claimer under a lease, taken over only when the lease ran
// out, ended only by the claim's holder, and retried until done.
func TestPromptUpdateLease(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, c, r := standupRound(t, db, "2026-12-07", "U1", "U2", "U3")
		for _, u := range []string{"U1", "U2", "U3"} {
			if _, err := s.MarkAsked(ctx, c.WorkspaceID, r.ID, u, 0); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Decline(ctx, c.WorkspaceID, r.ID, "U3", checkins.ResponseSkipped); err != nil {
			t.Fatal(err)
		}
		for range 2 { // queueing twice queues nothing more
			if _, err := s.QueuePromptUpdates(ctx, c.WorkspaceID, r.ID, postT0); err != nil {
				t.Fatal(err)
			}
		}
		a, err := s.ClaimPromptUpdates(ctx, "a", postT0, time.Minute, 10)
		if err != nil || len(a) != 2 {
			t.Fatalf("claim = %+v, %v; want U1 and U2 (U3 skipped: their prompt was changed then)", a, err)
		}
		if b, err := s.ClaimPromptUpdates(ctx, "b", postT0.Add(30*time.Second), time.Minute, 10); err != nil || len(b) != 0 {
			t.Fatalf("a second claimer during the lease got %+v, %v", b, err)
		}
		stale := a[0]
		stale.Token = "b"
		if err := s.FinishPromptUpdate(ctx, stale, time.Time{}); !errors.Is(err, models.ErrLeaseLost) {
			t.Errorf("finish by another token = %v, want ErrLeaseLost", err)
		}
		if err := s.FinishPromptUpdate(ctx, a[0], time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishPromptUpdate(ctx, a[1], postT0.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if b, err := s.ClaimPromptUpdates(ctx, "b", postT0.Add(2*time.Minute), time.Minute, 10); err != nil || len(b) != 0 {
			t.Fatalf("before its retry time: %+v, %v", b, err)
		}
		b, err := s.ClaimPromptUpdates(ctx, "b", postT0.Add(5*time.Minute), time.Minute, 10)
		if err != nil || len(b) != 1 || b[0].UserID != a[1].UserID || b[0].Attempts != 2 {
			t.Fatalf("retry claim = %+v, %v; want %s's second attempt", b, err, a[1].UserID)
		}
		// A claimer that stopped: its lease runs out and another takes it.
		c2, err := s.ClaimPromptUpdates(ctx, "c", postT0.Add(7*time.Minute), time.Minute, 10)
		if err != nil || len(c2) != 1 {
			t.Fatalf("take-over after the lease = %+v, %v", c2, err)
		}
		if err := s.FinishPromptUpdate(ctx, b[0], time.Time{}); !errors.Is(err, models.ErrLeaseLost) {
			t.Errorf("finish by the stopped claimer = %v, want ErrLeaseLost", err)
		}
	})
}

// A message is held by one writer at a time: a second token is refused
// while the hold lasts, takes it over once its lease ran out, and only the
// holder's unlock frees it.
func TestMessageLock(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := checkins.NewStore(db)
		now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		lock := func(token string, at time.Time) bool {
			t.Helper()
			ok, err := s.LockMessage(ctx, "T1", "D1", "1700000000.000100", token, at, 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !lock("a", now) {
			t.Fatal("a free message was not locked")
		}
		if lock("b", now.Add(10*time.Second)) {
			t.Error("a held message was locked by another writer")
		}
		if ok, err := s.LockMessage(ctx, "T1", "D1", "1700000000.000200", "b", now, 30*time.Second); err != nil || !ok {
			t.Errorf("another message: %v, %v; want it locked", ok, err)
		}
		if err := s.UnlockMessage(ctx, "D1", "1700000000.000100", "b"); err != nil {
			t.Fatal(err)
		}
		if lock("c", now.Add(20*time.Second)) {
			t.Error("another writer's unlock freed a's hold")
		}
		if !lock("b", now.Add(30*time.Second)) {
			t.Error("a hold whose lease ran out was not taken over")
		}
		if err := s.UnlockMessage(ctx, "D1", "1700000000.000100", "b"); err != nil {
			t.Fatal(err)
		}
		if !lock("c", now.Add(31*time.Second)) {
			t.Error("the holder's unlock did not free the message")
		}
	})
}
