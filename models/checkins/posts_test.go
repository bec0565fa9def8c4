package checkins_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/checkins/checkinstest"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// postT0 is the instant the post and round tests start from.
var postT0 = time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)

// standupRound creates the stand-up (thread destination; question 3 is
// "blocked") asking people, and opens its round on day, open from postT0 for
// 8 hours.
func standupRound(t *testing.T, db *models.DB, day string, people ...string) (*checkins.Store, checkins.Checkin, checkins.Round) {
	t.Helper()
	s := checkins.NewStore(db)
	c, err := s.Create(context.Background(), standup(t, people...), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, c, openRound(t, s, c, day)
}

// openRound opens c's round on day, from postT0 on that day for 8 hours.
func openRound(t *testing.T, s *checkins.Store, c checkins.Checkin, day string) checkins.Round {
	t.Helper()
	d := date(t, day)
	open := time.Date(d.Year, d.Month, d.Day, postT0.Hour(), postT0.Minute(), 0, 0, time.UTC)
	r, err := s.OpenRound(context.Background(), c.WorkspaceID, c.ID, d, open, open.Add(8*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func standupAnswers(first, blocked string) checkins.Submission {
	return checkins.Submission{Answers: map[int]string{1: first, 2: "Reviews", 3: blocked}}
}

func TestQueuePostIsIdempotent(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, c, r := standupRound(t, db, "2026-12-07", "U1")
		before := time.Now().Add(-time.Minute)
		p, err := s.QueuePost(ctx, checkins.Post{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostHeader, Channel: "C1"})
		if err != nil {
			t.Fatal(err)
		}
		if p.ID == 0 || p.CheckinID != c.ID || p.Version != 1 || p.Posted || p.Attempts != 0 || p.NextAttemptAt.Before(before) || !p.ClaimUntil.IsZero() {
			t.Errorf("queued %+v", p)
		}
		again, err := s.QueuePost(ctx, checkins.Post{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostHeader, Channel: "COTHER",
			NextAttemptAt: postT0.Add(time.Hour)})
		if err != nil || again.ID != p.ID || again.Channel != "C1" || !again.NextAttemptAt.Equal(p.NextAttemptAt) {
			t.Errorf("queued again: %+v, %v; want the stored %+v", again, err, p)
		}
		got, err := s.RoundPost(ctx, r.ID, checkins.PostHeader)
		if err != nil || got.ID != p.ID {
			t.Errorf("RoundPost(header) = %+v, %v", got, err)
		}
		if _, err := s.RoundPost(ctx, r.ID, checkins.PostSummary); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("RoundPost(summary) before one is queued: %v, want ErrNotFound", err)
		}
		for i, bad := range []checkins.Post{
			{WorkspaceID: "T1", RoundID: r.ID, Kind: "poll"},
			{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostAnswer},
			{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostSummary, UserID: "U1"},
			{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostSummary, Version: 2},
			{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostSummary, CheckinID: c.ID + 100},
			{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostSummary, TS: []string{"1.2,3.4"}},
		} {
			if _, err := s.QueuePost(ctx, bad); !errors.Is(err, models.ErrInvalid) {
				t.Errorf("bad post %d: %v, want ErrInvalid", i, err)
			}
		}
		if _, err := s.QueuePost(ctx, checkins.Post{WorkspaceID: "T2", RoundID: r.ID, Kind: checkins.PostSummary}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("another workspace's round: %v, want ErrNotFound", err)
		}
		if n, _ := modelstest.CountRows(ctx, db, "checkin_posts", "T1"); n != 1 {
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
			if _, err := s.QueuePost(ctx, checkins.Post{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostAnswer,
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
		p, err := s.QueuePost(ctx, checkins.Post{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostHeader, Channel: "C1", NextAttemptAt: postT0})
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
		got, _ = s.RoundPost(ctx, r.ID, checkins.PostHeader)
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
		p, err := s.QueuePost(ctx, checkins.Post{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostHeader, Channel: "C1", NextAttemptAt: postT0})
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
		a, _ := s.QueuePost(ctx, checkins.Post{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostHeader, NextAttemptAt: t1})
		b, _ := s.QueuePost(ctx, checkins.Post{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostSummary, NextAttemptAt: t2})
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
		if !res.First || res.Late || res.Version != 1 || res.Post.ID == 0 || res.Post.Kind != checkins.PostAnswer ||
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
		digest.Name, digest.Destination = "Digest stand-up", checkins.DestinationDigest
		dc, err := s.Create(ctx, digest, nil)
		if err != nil {
			t.Fatal(err)
		}
		dr := openRound(t, s, dc, "2026-12-07")
		res, err = s.Answer(ctx, "T1", dr.ID, "U1", checkinstest.AtPositions(dc, standupAnswers("Quiet", "no")))
		if err != nil || !res.First || res.Version != 0 || res.Post.ID != 0 {
			t.Errorf("digest answer: %+v, %v", res, err)
		}
		if posts, _ := s.AnswerPosts(ctx, dr.ID, "U1"); len(posts) != 0 {
			t.Errorf("digest answer posts: %+v", posts)
		}
	})
}
