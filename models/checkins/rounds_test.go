package checkins_test

import (
	"context"
	"errors"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

func TestRoundReads(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, c, r := standupRound(t, db, "2026-12-07", "U1")
		latest := openRound(t, s, c, "2026-12-08")
		if got, err := s.LatestRound(ctx, "T1", c.ID); err != nil || got.ID != latest.ID {
			t.Errorf("LatestRound = %+v, %v", got, err)
		}
		if _, err := s.LatestRound(ctx, "T1", c.ID+100); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("LatestRound of no check-in: %v", err)
		}
		if _, err := s.Round(ctx, "T2", r.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Round in another workspace: %v", err)
		}
		if err := s.SetThreadTS(ctx, r.ID, "111.1"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetThreadTS(ctx, r.ID, "222.2"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Round(ctx, "T1", r.ID); got.ThreadTS != "111.1" {
			t.Errorf("thread = %q, want the first one kept", got.ThreadTS)
		}
		if err := s.SetThreadTS(ctx, latest.ID+100, "1.1"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("SetThreadTS of no round: %v", err)
		}
	})
}
