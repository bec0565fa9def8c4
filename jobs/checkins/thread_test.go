package checkins

import (
	"strings"
	"testing"
	"time"

	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// An answer whose round thread another sender is starting right then does
// not wait for it: it is handed back at once, its attempt not counted (so
// nobody looks for it in Slack first), and is posted under the thread once
// the thread is there, once.
func TestAnswerYieldsToTheThreadsSender(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		ch := h.channel("team", ada)
		c := h.create(checkinFor(ch, ada))
		asked := monday.Add(9*time.Hour + 31*time.Minute)
		h.run(asked)
		res, err := h.svcs[0].Submit(h.ctx, c, h.roundOf(ada), ada, text("ada's answer"), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Another replica is posting the round's thread.
		hdr, err := h.store.QueuePost(h.ctx, checkinmodels.Post{WorkspaceID: team, RoundID: res.Post.RoundID, Kind: checkinmodels.PostHeader, Channel: ch})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := h.store.ClaimPost(h.ctx, team, hdr.ID, "other-replica", h.clk.Now(), time.Minute); err != nil || !ok {
			t.Fatalf("claim the header: %v, %v", ok, err)
		}
		h.svcs[0].DeliverPost(h.ctx, res.Post)

		posts, err := h.store.AnswerPosts(h.ctx, res.Post.RoundID, ada)
		if err != nil || len(posts) != 1 {
			t.Fatalf("ada's answer posts: %+v, %v", posts, err)
		}
		if p := posts[0]; p.Posted || p.Attempts != 0 || !p.ClaimUntil.IsZero() || p.NextAttemptAt.After(h.clk.Now()) {
			t.Errorf("after yielding, ada's answer is %+v; want unposted, free, due now, no attempt counted", p)
		}
		if n := h.postCalls(ch); n != 0 {
			t.Errorf("%d chat.postMessage calls while the thread was being started, want none", n)
		}

		// The other replica gives the header back; the next tick posts the
		// thread and the answer under it.
		if err := h.store.RetryPost(h.ctx, hdr.ID, "other-replica", h.clk.Now()); err != nil {
			t.Fatal(err)
		}
		h.run(asked.Add(2 * time.Minute))
		top, replies := h.channelMsgs(ch, ada)
		if len(top) != 1 {
			t.Fatalf("%d top-level messages, want the round's header: %q", len(top), texts(top))
		}
		n := 0
		for _, m := range replies[top[0].TS] {
			n += strings.Count(msgText(m), "ada's answer")
		}
		if n != 1 {
			t.Errorf("ada's answer is in the thread %d times, want once", n)
		}
	})
}
