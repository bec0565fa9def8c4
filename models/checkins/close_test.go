package checkins_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// Two closers running together close each due round exactly once; a
// failing onClose leaves its round open and rolls back what it wrote.
func TestCloseDueRounds(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, c, _ := standupRound(t, db, "2026-12-01", "U1")
		for _, d := range []string{"2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06"} {
			openRound(t, s, c, d)
		}
		future := openRound(t, s, c, "2026-12-20")
		if at, ok, err := s.NextRoundClose(ctx); !ok || err != nil || !at.Equal(time.Date(2026, 12, 1, 17, 30, 0, 0, time.UTC)) {
			t.Errorf("NextRoundClose = %v, %v, %v", at, ok, err)
		}
		now := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		calls := map[int64]int{}
		onClose := func(ctx context.Context, ch checkins.Checkin, r checkins.Round) error {
			if ch.ID != c.ID || !r.Closed {
				t.Errorf("onClose(%+v, %+v)", ch, r)
			}
			mu.Lock()
			calls[r.ID]++
			mu.Unlock()
			_, err := s.QueuePost(ctx, checkins.Post{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostSummary, Channel: ch.ChannelID})
			return err
		}
		var wg sync.WaitGroup
		closed := make([][]checkins.Round, 2)
		start := make(chan struct{})
		for i := range closed {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				got, err := s.CloseDueRounds(ctx, now, 10, onClose)
				if err != nil {
					t.Errorf("closer %d: %v", i, err)
				}
				closed[i] = got
			}()
		}
		close(start)
		wg.Wait()
		if n := len(closed[0]) + len(closed[1]); n != 6 || len(calls) != 6 {
			t.Errorf("closed %d rounds, onClose for %d, want 6 each", n, len(calls))
		}
		for id, n := range calls {
			if n != 1 {
				t.Errorf("round %d: onClose ran %d times", id, n)
			}
		}
		for _, rs := range closed {
			for _, r := range rs {
				got, err := s.Round(ctx, "T1", r.ID)
				if err != nil || !got.Closed {
					t.Errorf("round %d after closing: %+v, %v", r.ID, got, err)
				}
				if _, err := s.RoundPost(ctx, r.ID, checkins.PostSummary); err != nil {
					t.Errorf("round %d: summary: %v", r.ID, err)
				}
			}
		}
		if got, _ := s.Round(ctx, "T1", future.ID); got.Closed {
			t.Error("the round not yet due was closed")
		}
		if at, ok, _ := s.NextRoundClose(ctx); !ok || !at.Equal(future.ClosesAt) {
			t.Errorf("NextRoundClose after closing = %v, want %v", at, future.ClosesAt)
		}

		// onClose fails: the round stays open and its summary is gone.
		boom := errors.New("boom")
		later := future.ClosesAt
		got, err := s.CloseDueRounds(ctx, later, 10, func(ctx context.Context, ch checkins.Checkin, r checkins.Round) error {
			if _, err := s.QueuePost(ctx, checkins.Post{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostSummary}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || len(got) != 0 {
			t.Errorf("failing onClose: %+v, %v", got, err)
		}
		if r, _ := s.Round(ctx, "T1", future.ID); r.Closed {
			t.Error("the round closed although onClose failed")
		}
		if _, err := s.RoundPost(ctx, future.ID, checkins.PostSummary); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("summary queued by the failed onClose: %v, want rolled back", err)
		}
		// Tried again, it closes.
		if got, err := s.CloseDueRounds(ctx, later, 10, nil); err != nil || len(got) != 1 || got[0].ID != future.ID {
			t.Errorf("closing again: %+v, %v", got, err)
		}
		if _, ok, _ := s.NextRoundClose(ctx); ok {
			t.Error("NextRoundClose with every round closed")
		}
	})
}
