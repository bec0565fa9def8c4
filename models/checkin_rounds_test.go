package models_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// pulseRound creates the autonomy pulse (question 5 is an anonymous 1–5
// scale, question 3 a choice) and opens its round on 2026-12-07.
func pulseRound(t *testing.T, db *models.DB) (*models.Checkins, models.Round) {
	t.Helper()
	tpl, _ := models.FindCheckinTemplate("pulse")
	c := tpl.Checkin
	c.WorkspaceID, c.ChannelID, c.OwnerID = "T1", "C1", "UOWNER"
	s := models.NewCheckins(db)
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

// atPositions rekeys a submission written by question position (1-based)
// to c's question ids, as the store takes it.
func atPositions(c models.Checkin, sub models.Submission) models.Submission {
	rekey := func(m map[int]string) map[int]string {
		if m == nil {
			return nil
		}
		out := make(map[int]string, len(m))
		for pos, v := range m {
			id := pos + 1000000 // no such question
			if pos >= 1 && pos <= len(c.Questions) {
				id = int(c.Questions[pos-1].ID)
			}
			out[id] = v
		}
		return out
	}
	return models.Submission{Answers: rekey(sub.Answers), Anonymous: rekey(sub.Anonymous)}
}

// pulseAnswers are answers to the autonomy pulse by position; the
// question ids are the positions for the first check-in stored.
func pulseAnswers(say string) models.Submission {
	return models.Submission{
		Answers:   map[int]string{1: "Ship the billing rewrite", 2: "Fewer meetings", 3: "Mostly"},
		Anonymous: map[int]string{5: say},
	}
}

// The anonymous aggregate appears at the workspace's minimum group size
// (5) and not at 4; the answers are stored without the person.
func TestAnonymousAggregateThreshold(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, r := pulseRound(t, db)
		for i, say := range []string{"4", "5", "3", "4"} {
			if _, err := s.Answer(ctx, "T1", r.ID, fmt.Sprintf("U%d", i), pulseAnswers(say)); err != nil {
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
		if _, err := s.Answer(ctx, "T1", r.ID, "U4", pulseAnswers("4")); err != nil {
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

func mustAggs(t *testing.T, s *models.Checkins, round int64, min int) []models.Aggregate {
	t.Helper()
	aggs, err := s.Aggregates(context.Background(), "T1", round, min)
	if err != nil {
		t.Fatal(err)
	}
	return aggs
}

func find(t *testing.T, aggs []models.Aggregate, pos int) models.Aggregate {
	t.Helper()
	return findAgg(t, aggs, fmt.Sprintf("question %d", pos), func(a models.Aggregate) bool { return a.Position == pos })
}

// findAgg returns the aggregate that is, or fails naming what.
func findAgg(t *testing.T, aggs []models.Aggregate, what string, is func(models.Aggregate) bool) models.Aggregate {
	t.Helper()
	for _, a := range aggs {
		if is(a) {
			return a
		}
	}
	t.Fatalf("no aggregate for %s in %+v", what, aggs)
	return models.Aggregate{}
}

// Answers are checked against their questions; edits replace identified
// answers and leave anonymous ones as first given; skipping after
// answering keeps the answer.
func TestAnswerRules(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, r := pulseRound(t, db)
		bad := []models.Submission{
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
		res, err := s.Answer(ctx, "T1", r.ID, "U1", pulseAnswers("2"))
		if err != nil || !res.First {
			t.Fatalf("first answer: %+v, %v", res, err)
		}
		edit := pulseAnswers("5")
		edit.Answers[1] = "Ship billing, then search"
		res, err = s.Answer(ctx, "T1", r.ID, "U1", edit)
		if err != nil || res.First {
			t.Fatalf("edit: %+v, %v", res, err)
		}
		resp, _ := s.Responses(ctx, "T1", r.ID)
		if len(resp) != 1 || resp[0].Answers[1] != "Ship billing, then search" || resp[0].Status != models.ResponseAnswered {
			t.Errorf("after the edit: %+v", resp)
		}
		if say := find(t, mustAggs(t, s, r.ID, 1), 5); say.Count != 1 {
			t.Errorf("the anonymous answer was stored %d times", say.Count)
		}
		// An edit may leave the anonymous answer out: it is kept.
		noAnon := pulseAnswers("")
		noAnon.Anonymous = nil
		if _, err := s.Answer(ctx, "T1", r.ID, "U1", noAnon); err != nil {
			t.Errorf("an edit without the anonymous answer: %v", err)
		}
		if say := find(t, mustAggs(t, s, r.ID, 1), 5); say.Count != 1 {
			t.Errorf("after an edit without it, the anonymous answer counts %d times", say.Count)
		}
		if err := s.Decline(ctx, "T1", r.ID, "U1", models.ResponseSkipped); err != nil {
			t.Fatal(err)
		}
		if err := s.Decline(ctx, "T1", r.ID, "U2", models.ResponseSnoozed); err != nil {
			t.Fatal(err)
		}
		resp, _ = s.Responses(ctx, "T1", r.ID)
		if len(resp) != 2 || resp[0].Status != models.ResponseAnswered || resp[1].Status != models.ResponseSnoozed {
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
			if _, err := s.Answer(ctx, "T1", r.ID, fmt.Sprintf("U%d", i), pulseAnswers(say)); err != nil {
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
		res, err := s.Answer(ctx, "T1", r.ID, "ULATE", pulseAnswers("1"))
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
