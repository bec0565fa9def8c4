package checkins_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/checkins/checkinstest"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// pulseRound creates the autonomy pulse (question 5 is an anonymous 1–5
// scale, question 3 a choice) and opens its round on 2026-12-07.
func pulseRound(t *testing.T, db *models.DB) (*checkins.Store, checkins.Round) {
	t.Helper()
	tpl, _ := checkins.FindTemplate("pulse")
	c := tpl.Checkin
	c.WorkspaceID, c.ChannelID, c.OwnerID = "T1", "C1", "UOWNER"
	s := checkins.NewStore(db)
	created, err := s.Create(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	open := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	r, err := s.OpenRound(context.Background(), "T1", created.ID, date(t, "2026-12-07"), open, open.Add(7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return s, r
}

// Answers are checked against their questions; edits replace identified
// answers and leave anonymous ones as first given; skipping after
// answering keeps the answer.
func TestAnswerRules(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, r := pulseRound(t, db)
		bad := []checkins.Submission{
			{Answers: map[int]string{1: "x", 2: "y", 3: "Perhaps"}, Anonymous: map[int]string{5: "3"}},
			{Answers: map[int]string{1: "x", 2: "y", 3: "Yes"}, Anonymous: map[int]string{5: "9"}},
			{Answers: map[int]string{1: "x", 2: "y", 3: "Yes", 5: "3"}},
			{Answers: map[int]string{2: "y", 3: "Yes"}, Anonymous: map[int]string{5: "3"}},
			{Answers: map[int]string{1: "x", 2: "y", 3: "Yes", 9: "?"}, Anonymous: map[int]string{5: "3"}},
		}
		for i, sub := range bad {
			if _, err := s.Answer(ctx, "T1", r.ID, "U1", sub); !errors.Is(err, models.ErrInvalid) {
				t.Errorf("bad submission %d: %v, want ErrInvalid", i, err)
			}
		}
		if resp, _ := s.Responses(ctx, "T1", r.ID); len(resp) != 0 {
			t.Fatalf("bad submissions stored %+v", resp)
		}
		res, err := s.Answer(ctx, "T1", r.ID, "U1", checkinstest.PulseAnswers("2"))
		if err != nil || !res.First {
			t.Fatalf("first answer: %+v, %v", res, err)
		}
		edit := checkinstest.PulseAnswers("5")
		edit.Answers[1] = "Ship billing, then search"
		res, err = s.Answer(ctx, "T1", r.ID, "U1", edit)
		if err != nil || res.First {
			t.Fatalf("edit: %+v, %v", res, err)
		}
		resp, _ := s.Responses(ctx, "T1", r.ID)
		if len(resp) != 1 || resp[0].Answers[1] != "Ship billing, then search" || resp[0].Status != checkins.ResponseAnswered {
			t.Errorf("after the edit: %+v", resp)
		}
		if say := find(t, mustAggs(t, s, r.ID, 1), 5); say.Count != 1 {
			t.Errorf("the anonymous answer was stored %d times", say.Count)
		}
		// An edit may leave the anonymous answer out: it is kept.
		noAnon := checkinstest.PulseAnswers("")
		noAnon.Anonymous = nil
		if _, err := s.Answer(ctx, "T1", r.ID, "U1", noAnon); err != nil {
			t.Errorf("an edit without the anonymous answer: %v", err)
		}
		if say := find(t, mustAggs(t, s, r.ID, 1), 5); say.Count != 1 {
			t.Errorf("after an edit without it, the anonymous answer counts %d times", say.Count)
		}
		if err := s.Decline(ctx, "T1", r.ID, "U1", checkins.ResponseSkipped); err != nil {
			t.Fatal(err)
		}
		if err := s.Decline(ctx, "T1", r.ID, "U2", checkins.ResponseSnoozed); err != nil {
			t.Fatal(err)
		}
		resp, _ = s.Responses(ctx, "T1", r.ID)
		if len(resp) != 2 || resp[0].Status != checkins.ResponseAnswered || resp[1].Status != checkins.ResponseSnoozed {
			t.Errorf("after skip and snooze: %+v", resp)
		}
		if err := s.Decline(ctx, "T1", r.ID, "U2", "answered"); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("declining as answered: %v", err)
		}
		// Opening the same round again for a later zone widens it.
		later := r.ClosesAt.Add(5 * time.Hour)
		again, err := s.OpenRound(ctx, "T1", r.CheckinID, r.Date, r.OpenedAt.Add(time.Hour), later)
		if err != nil || again.ID != r.ID || !again.OpenedAt.Equal(r.OpenedAt) || !again.ClosesAt.Equal(later) {
			t.Errorf("reopened round = %+v, %v", again, err)
		}
	})
}

// Once a round has closed, a late answer is kept but its anonymous part is
// not: the totals already shown cannot change, so comparing two readers'
// digests cannot single out the late person's answer.
func TestLateAnonymousAnswerDropped(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, r := pulseRound(t, db)
		for i, say := range []string{"4", "5", "3", "4", "2"} {
			if _, err := s.Answer(ctx, "T1", r.ID, fmt.Sprintf("U%d", i), checkinstest.PulseAnswers(say)); err != nil {
				t.Fatal(err)
			}
		}
		before, err := s.Aggregates(ctx, "T1", r.ID, 5)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CloseDueRounds(ctx, r.ClosesAt, 10, nil); err != nil {
			t.Fatal(err)
		}
		res, err := s.Answer(ctx, "T1", r.ID, "ULATE", checkinstest.PulseAnswers("1"))
		if err != nil || !res.Late {
			t.Fatalf("late answer: %+v, %v; want kept and marked late", res, err)
		}
		after, err := s.Aggregates(ctx, "T1", r.ID, 5)
		if err != nil {
			t.Fatal(err)
		}
		if b, a := find(t, before, 5), find(t, after, 5); a.Count != b.Count || a.Average != b.Average {
			t.Errorf("anonymous total changed after the close: %+v → %+v", b, a)
		}
		if got, err := s.MyResponse(ctx, "T1", r.ID, "ULATE"); err != nil || got.Answers[1] != "Ship the billing rewrite" {
			t.Errorf("the late identified answers: %+v, %v", got, err)
		}
	})
}
