package checkins_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/checkins/checkinstest"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// The anonymous aggregate appears at the workspace's minimum group size
// (5) and not at 4; the answers are stored without the person.
func TestAnonymousAggregateThreshold(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, r := pulseRound(t, db)
		for i, say := range []string{"4", "5", "3", "4"} {
			if _, err := s.Answer(ctx, "T1", r.ID, fmt.Sprintf("U%d", i), checkinstest.PulseAnswers(say)); err != nil {
				t.Fatal(err)
			}
		}
		aggs, err := s.Aggregates(ctx, "T1", r.ID, 5)
		if err != nil {
			t.Fatal(err)
		}
		say := find(t, aggs, 5)
		if !say.Hidden || say.Average != 0 || say.Count != 4 {
			t.Errorf("at 4 answers: %+v, want hidden", say)
		}
		if choice := find(t, aggs, 3); choice.Hidden || choice.Counts["Mostly"] != 4 {
			t.Errorf("named choice question: %+v", choice)
		}
		if _, err := s.Answer(ctx, "T1", r.ID, "U4", checkinstest.PulseAnswers("4")); err != nil {
			t.Fatal(err)
		}
		aggs, _ = s.Aggregates(ctx, "T1", r.ID, 5)
		if say := find(t, aggs, 5); say.Hidden || say.Count != 5 || say.Average != 4 {
			t.Errorf("at 5 answers: %+v, want shown with average 4", say)
		}
		// Nothing ties an anonymous answer to a person.
		resp, err := s.Responses(ctx, "T1", r.ID)
		if err != nil || len(resp) != 5 {
			t.Fatalf("responses = %+v, %v", resp, err)
		}
		for _, rr := range resp {
			if _, ok := rr.Answers[5]; ok {
				t.Errorf("%s's identified answers include the anonymous question: %v", rr.UserID, rr.Answers)
			}
		}
		// With a group size of 3 set by an admin, 4 answers would show;
		// nothing below the floor of 3 is ever used.
		if say := find(t, mustAggs(t, s, r.ID, 1), 5); say.Hidden {
			t.Errorf("min group 1 (floored to 3) with 5 answers: hidden")
		}
	})
}

func mustAggs(t *testing.T, s *checkins.Store, round int64, min int) []checkins.Aggregate {
	t.Helper()
	aggs, err := s.Aggregates(context.Background(), "T1", round, min)
	if err != nil {
		t.Fatal(err)
	}
	return aggs
}

func find(t *testing.T, aggs []checkins.Aggregate, pos int) checkins.Aggregate {
	t.Helper()
	return checkinstest.FindAggregate(t, aggs, fmt.Sprintf("question %d", pos), func(a checkins.Aggregate) bool { return a.Position == pos })
}
