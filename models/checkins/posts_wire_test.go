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

// A post's wire mark says whether its next claimer must look for it in
// Slack: written right before the wire by the claim's holder only, kept
// through a retry, cleared by a release (unless the holder says part of
// it may be in Slack) and by MarkPosted; a claim taken over from a build
// older than the mark (its token lacks models.MarkingToken) counts as
// marked, and marks the post, whatever becomes of the claim taking it.
func TestPostWireMark(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, _, r := standupRound(t, db, "2026-12-07", "U1")
		tok := func(name string) string { return models.MarkingToken + name }
		at := postT0
		claim := func(id int64, token string) checkins.Post {
			t.Helper()
			at = at.Add(2 * time.Minute) // past any earlier lease
			p, ok, err := s.ClaimPost(ctx, "T1", id, token, at, time.Minute)
			if !ok || err != nil {
				t.Fatalf("claim %d as %s: %v, %v", id, token, ok, err)
			}
			return p
		}
		queue := func(kind checkins.PostKind) int64 {
			t.Helper()
			p, err := s.QueuePost(ctx, checkins.Post{WorkspaceID: "T1", RoundID: r.ID, Kind: kind, Channel: "C1", NextAttemptAt: postT0})
			if err != nil {
				t.Fatal(err)
			}
			return p.ID
		}
		id := queue(checkins.PostHeader)

		// Claimed and handed back before the wire: never marked.
		if p := claim(id, tok("a")); p.MayBeInSlack {
			t.Fatalf("first claim %+v may be in Slack, want not", p)
		}
		if err := s.RetryPost(ctx, id, tok("a"), at); err != nil {
			t.Fatal(err)
		}
		// Taken over from a claimer of this build that never reached the
		// wire: not marked.
		claim(id, tok("b"))
		if p := claim(id, tok("c")); p.MayBeInSlack {
			t.Errorf("taken over from a claim that never started a send: %+v may be in Slack, want not", p)
		}
		// Only the holder marks.
		if err := s.RenewPostToSend(ctx, id, tok("b"), at.Add(time.Minute), at); !errors.Is(err, models.ErrLeaseLost) {
			t.Errorf("a lost claim's mark: %v, want ErrLeaseLost", err)
		}
		if err := s.RenewPostToSend(ctx, id, tok("c"), at.Add(time.Minute), at); err != nil {
			t.Fatal(err)
		}
		// Taken over after the send began: marked.
		if p := claim(id, tok("d")); !p.MayBeInSlack {
			t.Errorf("taken over after a send began: %+v, want it may be in Slack", p)
		}
		// A retry keeps the mark.
		if err := s.RetryPost(ctx, id, tok("d"), at); err != nil {
			t.Fatal(err)
		}
		if p := claim(id, tok("e")); !p.MayBeInSlack {
			t.Errorf("claimed after a retry of a marked post: %+v, want it may be in Slack", p)
		}
		// A release that says part of it may be in Slack keeps it; one that
		// says none is clears it.
		if err := s.ReleasePost(ctx, id, tok("e"), true); err != nil {
			t.Fatal(err)
		}
		if p := claim(id, tok("f")); !p.MayBeInSlack {
			t.Errorf("claimed after a release keeping the mark: %+v, want it may be in Slack", p)
		}
		if err := s.ReleasePost(ctx, id, tok("f"), false); err != nil {
			t.Fatal(err)
		}
		if p := claim(id, tok("g")); p.MayBeInSlack {
			t.Errorf("claimed after a release clearing the mark: %+v, want not", p)
		}
		// Taken over from a build older than the mark: marked, and the
		// mark outlives the claim that found it.
		if err := s.ReleasePost(ctx, id, tok("g"), false); err != nil {
			t.Fatal(err)
		}
		claim(id, "0123abcd")
		if p := claim(id, tok("h")); !p.MayBeInSlack {
			t.Errorf("taken over from an older build's claim: %+v, want it may be in Slack", p)
		}
		if err := s.RetryPost(ctx, id, tok("h"), at); err != nil {
			t.Fatal(err)
		}
		if p := claim(id, tok("i")); !p.MayBeInSlack {
			t.Errorf("claimed after a retry of a post taken from an older build: %+v, want it may be in Slack", p)
		}
		if err := s.MarkPosted(ctx, id, tok("i"), "", []string{"1.1"}); err != nil {
			t.Fatal(err)
		}
		if p, err := s.RoundPost(ctx, r.ID, checkins.PostHeader); err != nil || !p.Posted || p.MayBeInSlack {
			t.Errorf("posted: %+v, %v, want posted and unmarked", p, err)
		}

		// Answers claimed to be packed with another follow the same rule.
		answer := func(user string) int64 {
			t.Helper()
			p, err := s.QueuePost(ctx, checkins.Post{WorkspaceID: "T1", RoundID: r.ID, Kind: checkins.PostAnswer, UserID: user, Channel: "C1", NextAttemptAt: postT0})
			if err != nil {
				t.Fatal(err)
			}
			return p.ID
		}
		first, older, fresh := answer("U1"), answer("U2"), answer("U3")
		claim(older, "0123abcd")
		claim(fresh, tok("j"))
		at = at.Add(2 * time.Minute)
		packed, err := s.ClaimRoundAnswers(ctx, "T1", r.ID, first, tok("k"), at, time.Minute, 10)
		if err != nil || len(packed) != 2 {
			t.Fatalf("ClaimRoundAnswers = %+v, %v, want the two others", packed, err)
		}
		for _, p := range packed {
			if want := p.ID == older; p.MayBeInSlack != want {
				t.Errorf("packed answer %d (older build's claim: %v) may be in Slack: %v, want %v", p.ID, want, p.MayBeInSlack, want)
			}
		}

	})
}
