package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// postT0 is the instant the post and round tests start from.
var postT0 = time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)

// standupRound creates the stand-up (thread destination; question 3 is
// "blocked") asking people, and opens its round on day, open from postT0 for
// 8 hours.
func standupRound(t *testing.T, db *models.DB, day string, people ...string) (*models.Checkins, models.Checkin, models.Round) {
	t.Helper()
	s := models.NewCheckins(db)
	c, err := s.Create(context.Background(), standup(t, people...), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, c, openRound(t, s, c, day)
}

// openRound opens c's round on day, from postT0 on that day for 8 hours.
func openRound(t *testing.T, s *models.Checkins, c models.Checkin, day string) models.Round {
	t.Helper()
	d := date(t, day)
	open := time.Date(d.Year, d.Month, d.Day, postT0.Hour(), postT0.Minute(), 0, 0, time.UTC)
	r, err := s.OpenRound(context.Background(), c.WorkspaceID, c.ID, d, open, open.Add(8*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func standupAnswers(first, blocked string) models.Submission {
	return models.Submission{Answers: map[int]string{1: first, 2: "Reviews", 3: blocked}}
}

func TestQueuePostIsIdempotent(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, c, r := standupRound(t, db, "2026-12-07", "U1")
		before := time.Now().Add(-time.Minute)
		p, err := s.QueuePost(ctx, models.CheckinPost{WorkspaceID: "T1", RoundID: r.ID, Kind: models.PostHeader, Channel: "C1"})
		if err != nil {
			t.Fatal(err)
		}
		if p.ID == 0 || p.CheckinID != c.ID || p.Version != 1 || p.Posted || p.Attempts != 0 || p.NextAttemptAt.Before(before) || !p.ClaimUntil.IsZero() {
			t.Errorf("queued %+v", p)
		}
		again, err := s.QueuePost(ctx, models.CheckinPost{WorkspaceID: "T1", RoundID: r.ID, Kind: models.PostHeader, Channel: "COTHER",
			NextAttemptAt: postT0.Add(time.Hour)})
		if err != nil || again.ID != p.ID || again.Channel != "C1" || !again.NextAttemptAt.Equal(p.NextAttemptAt) {
			t.Errorf("queued again: %+v, %v; want the stored %+v", again, err, p)
		}
		got, err := s.RoundPost(ctx, r.ID, models.PostHeader)
		if err != nil || got.ID != p.ID {
			t.Errorf("RoundPost(header) = %+v, %v", got, err)
		}
		if _, err := s.RoundPost(ctx, r.ID, models.PostSummary); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("RoundPost(summary) before one is queued: %v, want ErrNotFound", err)
		}
		for i, bad := range []models.CheckinPost{
			{WorkspaceID: "T1", RoundID: r.ID, Kind: "poll"},
			{WorkspaceID: "T1", RoundID: r.ID, Kind: models.PostAnswer},
			{WorkspaceID: "T1", RoundID: r.ID, Kind: models.PostSummary, UserID: "U1"},
			{WorkspaceID: "T1", RoundID: r.ID, Kind: models.PostSummary, Version: 2},
			{WorkspaceID: "T1", RoundID: r.ID, Kind: models.PostSummary, CheckinID: c.ID + 100},
			{WorkspaceID: "T1", RoundID: r.ID, Kind: models.PostSummary, TS: []string{"1.2,3.4"}},
		} {
			if _, err := s.QueuePost(ctx, bad); !errors.Is(err, models.ErrInvalid) {
				t.Errorf("bad post %d: %v, want ErrInvalid", i, err)
			}
		}
		if _, err := s.QueuePost(ctx, models.CheckinPost{WorkspaceID: "T2", RoundID: r.ID, Kind: models.PostSummary}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("another workspace's round: %v, want ErrNotFound", err)
		}
		if n, _ := models.CountRows(ctx, db, "checkin_posts", "T1"); n != 1 {
			t.Errorf("%d posts stored, want 1", n)
		}
	})
}

// Of many claimers of one post, exactly one wins; on Postgres they claim
// at the same time from separate connections.
func TestClaimPostHasOneWinner(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, _, r := standupRound(t, db, "2026-12-07", "U1")
		const posts, claimers = 5, 8
		for i := range posts {
			if _, err := s.QueuePost(ctx, models.CheckinPost{WorkspaceID: "T1", RoundID: r.ID, Kind: models.PostAnswer,
				UserID: fmt.Sprintf("U%d", i), Version: 1, Channel: "C1", NextAttemptAt: postT0}); err != nil {
				t.Fatal(err)
			}
		}
		due, err := s.DuePosts(ctx, postT0, 100)
		if err != nil || len(due) != posts {
			t.Fatalf("DuePosts = %d, %v", len(due), err)
		}
		for _, p := range due {
			var wg sync.WaitGroup
			var mu sync.Mutex
			var winners []string
			start := make(chan struct{})
			for i := range claimers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					token := fmt.Sprintf("token-%d", i)
					got, ok, err := s.ClaimPost(ctx, "T1", p.ID, token, postT0, time.Minute)
					if err != nil {
						t.Errorf("claimer %d: %v", i, err)
						return
					}
					if ok {
						if got.ClaimToken != token || got.Attempts != 1 || !got.ClaimUntil.Equal(postT0.Add(time.Minute)) {
							t.Errorf("claimer %d won %+v", i, got)
						}
						mu.Lock()
						winners = append(winners, token)
						mu.Unlock()
					}
				}()
			}
			close(start)
			wg.Wait()
			if len(winners) != 1 {
				t.Errorf("post %d: winners %v, want exactly one", p.ID, winners)
			}
		}
		if _, ok, err := s.ClaimPost(ctx, "T2", due[0].ID, "other", postT0.Add(time.Hour), time.Minute); ok || err != nil {
			t.Errorf("claiming from another workspace: %v, %v", ok, err)
		}
	})
}

// A lease that runs out lets another claimer take the post; the first
// one's token no longer marks it posted.
func TestPostLeaseExpiry(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, _, r := standupRound(t, db, "2026-12-07", "U1")
		p, err := s.QueuePost(ctx, models.CheckinPost{WorkspaceID: "T1", RoundID: r.ID, Kind: models.PostHeader, Channel: "C1", NextAttemptAt: postT0})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.ClaimPost(ctx, "T1", p.ID, "A", postT0, time.Minute); !ok || err != nil {
			t.Fatalf("first claim: %v, %v", ok, err)
		}
		if _, ok, _ := s.ClaimPost(ctx, "T1", p.ID, "B", postT0.Add(30*time.Second), time.Minute); ok {
			t.Error("claimed while the lease holds")
		}
		got, ok, err := s.ClaimPost(ctx, "T1", p.ID, "B", postT0.Add(time.Minute), time.Minute)
		if !ok || err != nil || got.Attempts != 2 || got.ClaimToken != "B" {
			t.Fatalf("claim after the lease ran out: %+v, %v, %v", got, ok, err)
		}
		if err := s.MarkPosted(ctx, p.ID, "A", "C1", []string{"1.1"}); !errors.Is(err, models.ErrLeaseLost) {
			t.Errorf("MarkPosted with the lost token: %v, want ErrLeaseLost", err)
		}
		if err := s.RetryPost(ctx, p.ID, "A", postT0.Add(time.Hour)); !errors.Is(err, models.ErrLeaseLost) {
			t.Errorf("RetryPost with the lost token: %v, want ErrLeaseLost", err)
		}
		if err := s.MarkPosted(ctx, p.ID, "B", "", []string{"1.2", "1.3"}); err != nil {
			t.Fatal(err)
		}
		got, _ = s.RoundPost(ctx, r.ID, models.PostHeader)
		if !got.Posted || got.Channel != "C1" || !slices.Equal(got.TS, []string{"1.2", "1.3"}) || !got.ClaimUntil.IsZero() {
			t.Errorf("after MarkPosted: %+v", got)
		}
		if _, ok, _ := s.ClaimPost(ctx, "T1", p.ID, "C", postT0.Add(time.Hour), time.Minute); ok {
			t.Error("claimed a posted post")
		}
		if err := s.MarkPosted(ctx, p.ID, "B", "C1", []string{"1.2"}); !errors.Is(err, models.ErrLeaseLost) {
			t.Errorf("marking twice: %v, want ErrLeaseLost", err)
		}
	})
}

// A claim's holder renews its lease, so nobody else claims it while the
// lease holds; a claim taken over, or a post already posted, cannot be
// renewed.
func TestRenewPost(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, _, r := standupRound(t, db, "2026-12-07", "U1")
		p, err := s.QueuePost(ctx, models.CheckinPost{WorkspaceID: "T1", RoundID: r.ID, Kind: models.PostHeader, Channel: "C1", NextAttemptAt: postT0})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.ClaimPost(ctx, "T1", p.ID, "A", postT0, time.Minute); !ok || err != nil {
			t.Fatalf("first claim: %v, %v", ok, err)
		}
		if err := s.RenewPost(ctx, p.ID, "A", postT0.Add(2*time.Minute)); err != nil {
			t.Fatalf("renew: %v", err)
		}
		if _, ok, _ := s.ClaimPost(ctx, "T1", p.ID, "B", postT0.Add(90*time.Second), time.Minute); ok {
			t.Error("claimed while the renewed lease holds")
		}
		if err := s.RenewPost(ctx, p.ID, "B", postT0.Add(3*time.Minute)); !errors.Is(err, models.ErrLeaseLost) {
			t.Errorf("renew under another token: %v, want ErrLeaseLost", err)
		}
		if _, ok, _ := s.ClaimPost(ctx, "T1", p.ID, "B", postT0.Add(2*time.Minute), time.Minute); !ok {
			t.Fatal("not claimed once the renewed lease ran out")
		}
		if err := s.RenewPost(ctx, p.ID, "A", postT0.Add(4*time.Minute)); !errors.Is(err, models.ErrLeaseLost) {
			t.Errorf("renew after a takeover: %v, want ErrLeaseLost", err)
		}
		if err := s.MarkPosted(ctx, p.ID, "B", "C1", []string{"1.1"}); err != nil {
			t.Fatal(err)
		}
		if err := s.RenewPost(ctx, p.ID, "B", postT0.Add(4*time.Minute)); !errors.Is(err, models.ErrLeaseLost) {
			t.Errorf("renew a posted post: %v, want ErrLeaseLost", err)
		}
	})
}

func TestDuePostsAndRetry(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, _, r := standupRound(t, db, "2026-12-07", "U1")
		if _, ok, err := s.NextPostDue(ctx); ok || err != nil {
			t.Fatalf("NextPostDue with no posts: %v, %v", ok, err)
		}
		t1, t2 := postT0.Add(time.Minute), postT0.Add(time.Hour)
		a, _ := s.QueuePost(ctx, models.CheckinPost{WorkspaceID: "T1", RoundID: r.ID, Kind: models.PostHeader, NextAttemptAt: t1})
		b, _ := s.QueuePost(ctx, models.CheckinPost{WorkspaceID: "T1", RoundID: r.ID, Kind: models.PostSummary, NextAttemptAt: t2})
		ids := func(now time.Time) []int64 {
			t.Helper()
			due, err := s.DuePosts(ctx, now, 10)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, p := range due {
				out = append(out, p.ID)
			}
			return out
		}
		next := func() time.Time {
			t.Helper()
			at, ok, err := s.NextPostDue(ctx)
			if !ok || err != nil {
				t.Fatalf("NextPostDue: %v, %v", ok, err)
			}
			return at
		}
		if got := ids(postT0); len(got) != 0 {
			t.Errorf("due before t1: %v", got)
		}
		if got := ids(t2); !slices.Equal(got, []int64{a.ID, b.ID}) {
			t.Errorf("due at t2: %v, want %d, %d", got, a.ID, b.ID)
		}
		if at := next(); !at.Equal(t1) {
			t.Errorf("next due %v, want %v", at, t1)
		}
		// Claimed until t1+10m: not due while the lease holds, and the
		// next instant is the lease's end.
		if _, ok, _ := s.ClaimPost(ctx, "T1", a.ID, "A", t1, 10*time.Minute); !ok {
			t.Fatal("claim a")
		}
		if got := ids(t1.Add(5 * time.Minute)); len(got) != 0 {
			t.Errorf("due while claimed: %v", got)
		}
		if at := next(); !at.Equal(t1.Add(10 * time.Minute)) {
			t.Errorf("next due while claimed %v, want the lease's end", at)
		}
		if got := ids(t1.Add(10 * time.Minute)); !slices.Equal(got, []int64{a.ID}) {
			t.Errorf("due after the lease: %v", got)
		}
		// Retried at t2+1h: due then, not before.
		later := t2.Add(time.Hour)
		if err := s.RetryPost(ctx, a.ID, "A", later); err != nil {
			t.Fatal(err)
		}
		if got := ids(t2); !slices.Equal(got, []int64{b.ID}) {
			t.Errorf("due at t2 after the retry: %v", got)
		}
		if got := ids(later); !slices.Equal(got, []int64{a.ID, b.ID}) {
			t.Errorf("due at the retry time: %v", got)
		}
		if at := next(); !at.Equal(t2) {
			t.Errorf("next due %v, want %v", at, t2)
		}
		if _, ok, _ := s.ClaimPost(ctx, "T1", b.ID, "B", t2, time.Minute); !ok {
			t.Fatal("claim b")
		}
		if err := s.MarkPosted(ctx, b.ID, "B", "C1", []string{"9.9"}); err != nil {
			t.Fatal(err)
		}
		if at := next(); !at.Equal(later) {
			t.Errorf("next due %v, want %v", at, later)
		}
		if got := ids(later); !slices.Equal(got, []int64{a.ID}) {
			t.Errorf("due after b was posted: %v", got)
		}
	})
}

// Answering queues answer posts, version 1 then 2 on an edit; a digest
// check-in queues none; an answer after the round closed is late.
func TestAnswerQueuesPosts(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, c, r := standupRound(t, db, "2026-12-07", "U1")
		res, err := s.Answer(ctx, "T1", r.ID, "U1", standupAnswers("Shipped", "no"))
		if err != nil {
			t.Fatal(err)
		}
		if !res.First || res.Late || res.Version != 1 || res.Post.ID == 0 || res.Post.Kind != models.PostAnswer ||
			res.Post.UserID != "U1" || res.Post.Version != 1 || res.Post.Channel != "C1" || res.Post.CheckinID != c.ID {
			t.Errorf("first answer: %+v", res)
		}
		res, err = s.Answer(ctx, "T1", r.ID, "U1", standupAnswers("Shipped it all", "no"))
		if err != nil || res.First || res.Version != 2 || res.Post.Version != 2 {
			t.Errorf("edit: %+v, %v", res, err)
		}
		posts, err := s.AnswerPosts(ctx, r.ID, "U1")
		if err != nil || len(posts) != 2 || posts[0].Version != 1 || posts[1].Version != 2 {
			t.Errorf("AnswerPosts = %+v, %v", posts, err)
		}
		// A refused answer queues nothing.
		if _, err := s.Answer(ctx, "T1", r.ID, "U1", standupAnswers("x", "maybe")); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("bad answer: %v", err)
		}
		if posts, _ := s.AnswerPosts(ctx, r.ID, "U1"); len(posts) != 2 {
			t.Errorf("%d answer posts after a refused answer, want 2", len(posts))
		}

		if _, err := s.CloseDueRounds(ctx, r.ClosesAt, 10, nil); err != nil {
			t.Fatal(err)
		}
		res, err = s.Answer(ctx, "T1", r.ID, "U2", standupAnswers("Late", "no"))
		if err != nil || !res.Late || !res.First || res.Version != 1 {
			t.Errorf("answer after the close: %+v, %v", res, err)
		}

		digest := standup(t, "U1")
		digest.Name, digest.Destination = "Digest stand-up", models.DestinationDigest
		dc, err := s.Create(ctx, digest, nil)
		if err != nil {
			t.Fatal(err)
		}
		dr := openRound(t, s, dc, "2026-12-07")
		res, err = s.Answer(ctx, "T1", dr.ID, "U1", atPositions(dc, standupAnswers("Quiet", "no")))
		if err != nil || !res.First || res.Version != 0 || res.Post.ID != 0 {
			t.Errorf("digest answer: %+v, %v", res, err)
		}
		if posts, _ := s.AnswerPosts(ctx, dr.ID, "U1"); len(posts) != 0 {
			t.Errorf("digest answer posts: %+v", posts)
		}
	})
}

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
		if got := status("U1"); got != models.ResponseAsked {
			t.Errorf("U1 = %s, want asked", got)
		}
		res, err := s.Answer(ctx, "T1", r.ID, "U1", standupAnswers("Shipped", "yes"))
		if err != nil || !res.First {
			t.Fatalf("answer over asked: %+v, %v", res, err)
		}
		if _, err := s.MarkAsked(ctx, "T1", r.ID, "U1", 1); err != nil {
			t.Fatal(err)
		}
		if resp, _ := s.MyResponse(ctx, "T1", r.ID, "U1"); resp.Status != models.ResponseAnswered || resp.Answers[1] != "Shipped" {
			t.Errorf("U1 after asking again: %+v, want the answer kept", resp)
		}
		if err := s.Decline(ctx, "T1", r.ID, "U2", models.ResponseSnoozed); err != nil {
			t.Fatal(err)
		}
		if err := s.Decline(ctx, "T1", r.ID, "U3", models.ResponseSkipped); err != nil {
			t.Fatal(err)
		}
		if _, err := s.MarkAsked(ctx, "T1", r.ID, "U2", 1); err != nil {
			t.Fatal(err)
		}
		if got, got3 := status("U2"), status("U3"); got != models.ResponseSnoozed || got3 != models.ResponseSkipped {
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
		onClose := func(ctx context.Context, ch models.Checkin, r models.Round) error {
			if ch.ID != c.ID || !r.Closed {
				t.Errorf("onClose(%+v, %+v)", ch, r)
			}
			mu.Lock()
			calls[r.ID]++
			mu.Unlock()
			_, err := s.QueuePost(ctx, models.CheckinPost{WorkspaceID: "T1", RoundID: r.ID, Kind: models.PostSummary, Channel: ch.ChannelID})
			return err
		}
		var wg sync.WaitGroup
		closed := make([][]models.Round, 2)
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
				if _, err := s.RoundPost(ctx, r.ID, models.PostSummary); err != nil {
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
		got, err := s.CloseDueRounds(ctx, later, 10, func(ctx context.Context, ch models.Checkin, r models.Round) error {
			if _, err := s.QueuePost(ctx, models.CheckinPost{WorkspaceID: "T1", RoundID: r.ID, Kind: models.PostSummary}); err != nil {
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
		if _, err := s.RoundPost(ctx, future.ID, models.PostSummary); !errors.Is(err, models.ErrNotFound) {
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
		if err := s.Decline(ctx, "T1", r2.ID, "U1", models.ResponseSkipped); err != nil {
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

// Update: only the owner or an admin; questions, cadence, people and the
// schedule change together.
func TestCheckinUpdate(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewCheckins(db)
		orig, err := s.Create(ctx, standup(t, "U1"), nil)
		if err != nil {
			t.Fatal(err)
		}
		change := orig
		change.Name, change.Cadence, change.Anchor = "Weekly sync", "fridays at 14:00", models.Date{}
		change.Questions = []models.Question{
			{Kind: models.KindText, Prompt: "What moved?", Required: true},
			{Kind: models.KindScale, Prompt: "How was it?", Options: []string{"rough", "great"}, Anonymous: true},
		}
		change.People = []string{"U2", "U3"}
		change.Reminders = 2

		if _, err := s.Update(ctx, change, "USOMEONE", false, nil); !errors.Is(err, models.ErrNotOwner) {
			t.Errorf("a stranger updating: %v, want ErrNotOwner", err)
		}
		if got, _ := s.Get(ctx, "T1", orig.ID); got.Name != orig.Name || len(got.Questions) != 3 || !slices.Equal(got.People, []string{"U1"}) {
			t.Errorf("after a refused update: %+v", got)
		}
		if sc, _ := models.NewSchedules(db).Get(ctx, "T1", models.CheckinScheduleKey(orig.ID)); sc.Cadence != orig.Cadence {
			t.Errorf("schedule after a refused update: %+v", sc)
		}
		bad := change
		bad.Questions = nil
		var ce *models.CheckinError
		if _, err := s.Update(ctx, bad, "UOWNER", false, nil); !errors.As(err, &ce) || len(ce.On(models.FieldQuestions)) == 0 {
			t.Errorf("no questions: %v", err)
		}
		if _, err := s.SetPaused(ctx, "T1", orig.ID, true, "UOWNER", false); err != nil {
			t.Fatal(err)
		}

		got, err := s.Update(ctx, change, "UOWNER", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Weekly sync" || got.Cadence != "fridays at 14:00" || got.Anchor != orig.Anchor || got.Reminders != 2 ||
			len(got.Questions) != 2 || got.Questions[1].Prompt != "How was it?" || !got.Questions[1].Anonymous ||
			!slices.Equal(got.People, []string{"U2", "U3"}) || !got.Paused || got.ChannelID != "C1" || got.OwnerID != "UOWNER" {
			t.Errorf("updated = %+v", got)
		}
		sc, err := models.NewSchedules(db).Get(ctx, "T1", models.CheckinScheduleKey(orig.ID))
		if err != nil || sc.Cadence != "fridays at 14:00" || sc.Title != "Weekly sync" || !sc.Paused || sc.Anchor != orig.Anchor {
			t.Errorf("schedule = %+v, %v", sc, err)
		}
		if len(targets(t, db, "T1", "U1")) != 0 || len(targets(t, db, "T1", "U2")) != 1 || len(targets(t, db, "T1", "U3")) != 1 {
			t.Error("the schedule's targets did not follow the people")
		}

		// An admin may; a new anchor is kept; channel mode leaves the
		// targets to the caller.
		change.Participants, change.People = models.ParticipantsChannel, nil
		change.Anchor = date(t, "2026-12-04")
		got, err = s.Update(ctx, change, "UADMIN", true, nil)
		if err != nil || got.Participants != models.ParticipantsChannel || len(got.People) != 0 || got.Anchor != change.Anchor {
			t.Errorf("admin update to channel mode: %+v, %v", got, err)
		}
		if len(targets(t, db, "T1", "U2")) != 1 {
			t.Error("switching to channel mode changed the targets")
		}
	})
}

// ForPerson lists what a person owns or is asked, by name.
func TestCheckinsForPerson(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewCheckins(db)
		mk := func(name, owner string, people ...string) models.Checkin {
			c := standup(t, people...)
			c.Name, c.OwnerID = name, owner
			got, err := s.Create(ctx, c, nil)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		b := mk("B stand-up", "U1", "U2")
		a := mk("A stand-up", "U2", "U3")
		mk("C stand-up", "U3", "U3")
		a2 := mk("A stand-up", "U4", "U1")
		names := func(u string) []int64 {
			t.Helper()
			list, err := s.ForPerson(ctx, "T1", u)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, c := range list {
				ids = append(ids, c.ID)
			}
			return ids
		}
		if got := names("U1"); !slices.Equal(got, []int64{a2.ID, b.ID}) {
			t.Errorf("U1: %v, want %d, %d", got, a2.ID, b.ID)
		}
		if got := names("U2"); !slices.Equal(got, []int64{a.ID, b.ID}) {
			t.Errorf("U2: %v, want %d, %d", got, a.ID, b.ID)
		}
		if got := names("U9"); len(got) != 0 {
			t.Errorf("U9: %v", got)
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
		for _, r := range []models.Round{a1, a2, b1} {
			if _, err := s.MarkAsked(ctx, "T1", r.ID, "U1", 1); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Decline(ctx, "T1", b1.ID, "U1", models.ResponseSnoozed); err != nil {
			t.Fatal(err)
		}
		list, err := s.Pending(ctx, "T1", "U1")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Round.ID != a2.ID || list[0].Status != models.ResponseAsked || list[0].Checkin.ID != a.ID ||
			list[1].Round.ID != b1.ID || list[1].Status != models.ResponseSnoozed || list[1].Checkin.Name != "Other stand-up" {
			t.Errorf("Pending = %+v", list)
		}
		if _, err := s.Answer(ctx, "T1", a2.ID, "U1", standupAnswers("Done", "no")); err != nil {
			t.Fatal(err)
		}
		if err := s.Decline(ctx, "T1", b1.ID, "U1", models.ResponseSkipped); err != nil {
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

// Export: identified answers and skipped rounds, never an anonymous
// answer, for everyone or one person.
func TestExport(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, r1 := pulseRound(t, db)
		pulse, _ := s.Get(ctx, "T1", r1.CheckinID)
		r2 := openRound(t, s, pulse, "2026-12-14")
		if _, err := s.Answer(ctx, "T1", r1.ID, "U2", pulseAnswers("1")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Answer(ctx, "T1", r1.ID, "U1", pulseAnswers("2")); err != nil {
			t.Fatal(err)
		}
		if err := s.Decline(ctx, "T1", r2.ID, "U2", models.ResponseSkipped); err != nil {
			t.Fatal(err)
		}
		if _, err := s.MarkAsked(ctx, "T1", r2.ID, "U3", 1); err != nil {
			t.Fatal(err)
		}
		sub := pulseAnswers("3")
		sub.Answers[4] = "Dana"
		if _, err := s.Answer(ctx, "T1", r2.ID, "U1", sub); err != nil {
			t.Fatal(err)
		}
		line := func(r models.ExportRow) string {
			return fmt.Sprintf("%s %s %s %d %s=%s", r.Date, r.UserID, r.Status, r.Position, r.Question, r.Answer)
		}
		q := func(i int) string { return pulse.Questions[i-1].Prompt }
		all, err := s.Export(ctx, "T1", pulse.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range all {
			got = append(got, line(r))
			if r.Position == 5 || r.Question == q(5) {
				t.Errorf("an anonymous answer was exported: %s", line(r))
			}
		}
		want := []string{
			"2026-12-07 U1 answered 1 " + q(1) + "=Ship the billing rewrite",
			"2026-12-07 U1 answered 2 " + q(2) + "=Fewer meetings",
			"2026-12-07 U1 answered 3 " + q(3) + "=Mostly",
			"2026-12-07 U2 answered 1 " + q(1) + "=Ship the billing rewrite",
			"2026-12-07 U2 answered 2 " + q(2) + "=Fewer meetings",
			"2026-12-07 U2 answered 3 " + q(3) + "=Mostly",
			"2026-12-14 U1 answered 1 " + q(1) + "=Ship the billing rewrite",
			"2026-12-14 U1 answered 2 " + q(2) + "=Fewer meetings",
			"2026-12-14 U1 answered 3 " + q(3) + "=Mostly",
			"2026-12-14 U1 answered 4 " + q(4) + "=Dana",
			"2026-12-14 U2 skipped 0 =",
		}
		if !slices.Equal(got, want) {
			t.Errorf("export =\n%v\nwant\n%v", got, want)
		}
		mine, err := s.Export(ctx, "T1", pulse.ID, "U2")
		if err != nil {
			t.Fatal(err)
		}
		got = nil
		for _, r := range mine {
			got = append(got, line(r))
		}
		if !slices.Equal(got, []string{want[3], want[4], want[5], want[10]}) {
			t.Errorf("U2's export = %v", got)
		}
		if _, err := s.Export(ctx, "T2", pulse.ID, ""); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("export from another workspace: %v", err)
		}
	})
}

// Of two member lists read from Slack, the one read later stays, whichever
// is applied last.
func TestSetMembersKeepsTheLaterRead(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewCheckins(db)
		tpl, _ := models.FindCheckinTemplate("standup")
		c := tpl.Checkin
		c.WorkspaceID, c.ChannelID, c.OwnerID = "T1", "C1", "U1"
		created, err := s.Create(ctx, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		// U3 left: the newer read (without U3) is applied first...
		if _, _, ok, err := s.SetMembers(ctx, "T1", created.ID, []string{"U1", "U2"}, t0.Add(time.Second)); err != nil || !ok {
			t.Fatalf("newer read: applied %v, %v", ok, err)
		}
		// ...then the older one (still with U3) arrives, and is not.
		if _, _, ok, err := s.SetMembers(ctx, "T1", created.ID, []string{"U1", "U2", "U3"}, t0); err != nil || ok {
			t.Fatalf("older read: applied %v, %v; want not applied", ok, err)
		}
		got, err := models.NewSchedules(db).Targets(ctx, "T1", models.CheckinScheduleKey(created.ID))
		if err != nil || strings.Join(got, ",") != "U1,U2" {
			t.Errorf("participants %v, %v; want U1,U2", got, err)
		}
		if _, _, ok, err := s.SetMembers(ctx, "T1", created.ID, []string{"U1"}, t0.Add(2*time.Second)); err != nil || !ok {
			t.Errorf("a later read: applied %v, %v", ok, err)
		}
	})
}
