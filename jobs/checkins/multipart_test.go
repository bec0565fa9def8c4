package checkins

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// A post handed back after some of its parts reached Slack never sends
// those parts again.
//
// An answer too long for one message goes out in parts. Its first part
// reaches the channel; its second is stopped before the wire, the claim's
// lease having less than a quarter left. The post is handed back, and the
// next attempt finds the first part in the channel by its metadata and
// sends only the rest: every part is in the channel once, and the post
// records them all.
func TestHandedBackPostSendsNoPartAgain(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		ch := h.channel("team", ada)
		c := checkinFor(ch, ada)
		c.Destination = checkinmodels.DestinationChannel
		c.Questions = nil
		for i := range checkinmodels.MaxQuestions {
			c.Questions = append(c.Questions, checkinmodels.Question{Kind: checkinmodels.KindText, Prompt: fmt.Sprintf("Question %d?", i+1)})
		}
		c = h.create(c)
		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		round := h.roundOf(ada)
		sub := checkinmodels.Submission{Answers: map[int]string{}}
		for i, q := range c.Questions {
			sub.Answers[AnswerKey(i, q)] = fmt.Sprintf("answer %d: %s", i+1, strings.Repeat("word ", 590))
		}

		api := h.pacedClient(t)
		stalled := &stallPoster{Slack: api, after: 1}
		// No pulse ever wakes the sender's heartbeat: its claim is not
		// renewed while the test moves the clock.
		never := func() (<-chan time.Time, func()) { return nil, func() {} }
		slow := h.sender(t, engine.Config{Pulse: never,
			Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }}, stalled)
		stalled.stall = func() {
			// Right before the second part: three quarters of the lease
			// and a second pass, so the check before the wire refuses.
			h.clk.Set(h.clk.Now().Add(slow.eng.Lease()*3/4 + time.Second))
		}
		res, err := slow.Submit(h.ctx, c, round, ada, sub, nil)
		if err != nil {
			t.Fatal(err)
		}
		slow.DeliverPost(h.ctx, res.Post)

		// The first attempt stopped after its first part.
		if n := stalled.calls.Load(); n != 2 {
			t.Fatalf("the first attempt asked for %d chat.postMessage calls, want 2 (one sent, one stopped before the wire)", n)
		}
		p := h.answerPost(round, ada, res.Post.ID)
		if p.Posted {
			t.Fatalf("post %+v is posted after its first attempt, want it handed back", p)
		}
		if got := h.parts(ch, ada, p.ID); len(got) != 1 || len(got[0]) != 1 {
			t.Fatalf("after the first attempt the channel holds parts %v, want part 0 once", got)
		}

		h.run(h.clk.Now().Add(10 * time.Minute))

		p = h.answerPost(round, ada, res.Post.ID)
		if !p.Posted || len(p.TS) < 2 {
			t.Fatalf("post %+v, want it posted in several parts", p)
		}
		// Every part once, as the message the post records for it.
		got := h.parts(ch, ada, p.ID)
		for i, ts := range p.TS {
			if len(got[i]) != 1 || got[i][0] != ts {
				t.Errorf("part %d is in the channel as %v, want once, as %s", i, got[i], ts)
			}
		}
		if len(got) != len(p.TS) {
			t.Errorf("the channel holds parts %v, want %d parts", got, len(p.TS))
		}
		// Each part was sent once: none sent again after the hand-back.
		if n := h.postCalls(ch); n != len(p.TS) {
			t.Errorf("%d chat.postMessage calls answered ok, want %d (one per part)", n, len(p.TS))
		}
	})
}

// answerPost is the answer post id of a person in a round, as stored
// now.
func (h *harness) answerPost(round int64, user string, id int64) checkinmodels.Post {
	h.t.Helper()
	posts, err := h.store.AnswerPosts(h.ctx, round, user)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, p := range posts {
		if p.ID == id {
			return p
		}
	}
	h.t.Fatalf("no answer post %d of %s in round %d", id, user, round)
	return checkinmodels.Post{}
}

// parts lists the timestamps of the bot's top-level messages in a
// channel carrying post id's metadata, by the part they say they are.
func (h *harness) parts(channel, as string, id int64) map[int][]string {
	h.t.Helper()
	top, _ := h.channelMsgs(channel, as)
	out := map[int][]string{}
	for _, m := range top {
		if m.Metadata == nil || m.Metadata.EventType != postMetadataType {
			continue
		}
		var payload map[string]any
		if err := json.Unmarshal(m.Metadata.EventPayload, &payload); err != nil {
			h.t.Fatalf("metadata of %s: %v", m.TS, err)
		}
		part, err := strconv.Atoi(fmt.Sprint(payload["part"]))
		if fmt.Sprint(payload["post_id"]) != strconv.FormatInt(id, 10) || err != nil {
			continue
		}
		out[part] = append(out[part], m.TS)
	}
	return out
}
