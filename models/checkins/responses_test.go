package checkins_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// MarkAsked never overwrites a response; answering or declining replaces
// "asked"; RoundCounts counts them.
func TestMarkAskedAndCounts(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, _, r := standupRound(t, db, "2026-12-07", "U1", "U2", "U3", "U4", "U5")
		status := func(u string) string {
			t.Helper()
			resp, err := s.MyResponse(ctx, "T1", r.ID, u)
			if err != nil {
				t.Fatalf("MyResponse(%s): %v", u, err)
			}
			return resp.Status
		}
		for _, u := range []string{"U1", "U2", "U3", "U4"} {
			if _, err := s.MarkAsked(ctx, "T1", r.ID, u, 1); err != nil {
				t.Fatal(err)
			}
		}
		if got := status("U1"); got != checkins.ResponseAsked {
			t.Errorf("U1 = %s, want asked", got)
		}
		res, err := s.Answer(ctx, "T1", r.ID, "U1", standupAnswers("Shipped", "yes"))
		if err != nil || !res.First {
			t.Fatalf("answer over asked: %+v, %v", res, err)
		}
		if _, err := s.MarkAsked(ctx, "T1", r.ID, "U1", 1); err != nil {
			t.Fatal(err)
		}
		if resp, _ := s.MyResponse(ctx, "T1", r.ID, "U1"); resp.Status != checkins.ResponseAnswered || resp.Answers[1] != "Shipped" {
			t.Errorf("U1 after asking again: %+v, want the answer kept", resp)
		}
		if err := s.Decline(ctx, "T1", r.ID, "U2", checkins.ResponseSnoozed); err != nil {
			t.Fatal(err)
		}
		if err := s.Decline(ctx, "T1", r.ID, "U3", checkins.ResponseSkipped); err != nil {
			t.Fatal(err)
		}
		if _, err := s.MarkAsked(ctx, "T1", r.ID, "U2", 1); err != nil {
			t.Fatal(err)
		}
		if got, got3 := status("U2"), status("U3"); got != checkins.ResponseSnoozed || got3 != checkins.ResponseSkipped {
			t.Errorf("U2 = %s (want snoozed), U3 = %s (want skipped)", got, got3)
		}
		// U5 answers without having been asked; blocked "no" is no blocker.
		if _, err := s.Answer(ctx, "T1", r.ID, "U5", standupAnswers("Docs", "no")); err != nil {
			t.Fatal(err)
		}
		asked, answered, blockers, err := s.RoundCounts(ctx, "T1", r.ID)
		if err != nil || asked != 5 || answered != 2 || blockers != 1 {
			t.Errorf("RoundCounts = %d, %d, %d, %v; want 5, 2, 1", asked, answered, blockers, err)
		}
		if _, err := s.MyResponse(ctx, "T1", r.ID, "U9"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("MyResponse of someone never asked: %v", err)
		}
		if _, err := s.MarkAsked(ctx, "T2", r.ID, "U6", 1); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("MarkAsked in another workspace: %v", err)
		}
		if _, _, _, err := s.RoundCounts(ctx, "T2", r.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("RoundCounts in another workspace: %v", err)
		}
	})
}

// LastAnswers skips rounds the person did not answer and looks only
// before the date.
func TestLastAnswers(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, c, r1 := standupRound(t, db, "2026-12-01", "U1")
		r2 := openRound(t, s, c, "2026-12-02")
		r3 := openRound(t, s, c, "2026-12-03")
		if _, err := s.Answer(ctx, "T1", r1.ID, "U1", standupAnswers("First", "no")); err != nil {
			t.Fatal(err)
		}
		if err := s.Decline(ctx, "T1", r2.ID, "U1", checkins.ResponseSkipped); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Answer(ctx, "T1", r3.ID, "U1", standupAnswers("Third", "yes")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Answer(ctx, "T1", r2.ID, "U2", standupAnswers("Someone else's", "no")); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			before string
			want   string
		}{
			{"2026-12-01", ""},
			{"2026-12-02", "First"},
			{"2026-12-03", "First"},
			{"2026-12-04", "Third"},
		} {
			got, err := s.LastAnswers(ctx, "T1", c.ID, "U1", date(t, tt.before))
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" && got != nil || tt.want != "" && (got[1] != tt.want || len(got) != 3) {
				t.Errorf("LastAnswers before %s = %v, want %q", tt.before, got, tt.want)
			}
		}
	})
}

// Pending: rounds asked or snoozed that are still their check-in's
// latest, newest first, at most 10.
func TestPending(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, a, a1 := standupRound(t, db, "2026-12-01", "U1")
		a2 := openRound(t, s, a, "2026-12-02")
		bc := standup(t, "U1")
		bc.Name = "Other stand-up"
		b, err := s.Create(ctx, bc, nil)
		if err != nil {
			t.Fatal(err)
		}
		b1 := openRound(t, s, b, "2026-12-01")
		for _, r := range []checkins.Round{a1, a2, b1} {
			if _, err := s.MarkAsked(ctx, "T1", r.ID, "U1", 1); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Decline(ctx, "T1", b1.ID, "U1", checkins.ResponseSnoozed); err != nil {
			t.Fatal(err)
		}
		list, err := s.Pending(ctx, "T1", "U1")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Round.ID != a2.ID || list[0].Status != checkins.ResponseAsked || list[0].Checkin.ID != a.ID ||
			list[1].Round.ID != b1.ID || list[1].Status != checkins.ResponseSnoozed || list[1].Checkin.Name != "Other stand-up" {
			t.Errorf("Pending = %+v", list)
		}
		if _, err := s.Answer(ctx, "T1", a2.ID, "U1", standupAnswers("Done", "no")); err != nil {
			t.Fatal(err)
		}
		if err := s.Decline(ctx, "T1", b1.ID, "U1", checkins.ResponseSkipped); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.Pending(ctx, "T1", "U1"); len(list) != 0 {
			t.Errorf("Pending after answering and skipping = %+v", list)
		}
		// At most 10, newest first.
		for i := range 12 {
			c := standup(t, "U5")
			c.Name = fmt.Sprintf("Stand-up %d", i)
			created, err := s.Create(ctx, c, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := openRound(t, s, created, fmt.Sprintf("2026-11-%02d", i+1))
			if _, err := s.MarkAsked(ctx, "T1", r.ID, "U5", 1); err != nil {
				t.Fatal(err)
			}
		}
		list, err = s.Pending(ctx, "T1", "U5")
		if err != nil || len(list) != 10 || list[0].Round.Date != date(t, "2026-11-12") || list[9].Round.Date != date(t, "2026-11-03") {
			t.Errorf("Pending of 12 = %d rounds, %v", len(list), err)
		}
	})
}
