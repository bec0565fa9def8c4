package checkins

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/engine"
)

// A post taken over from a sender whose lease ran out is looked for in
// the channel only when that sender may have started sending it: its
// claim marked the post right before the wire, or was taken by a build
// older than the mark (a token without its prefix). One whose sender died
// before the wire is posted without a conversations.history call; one
// whose sender's message reached the channel is found there and not
// posted again.
func TestPostTakeover(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// token is the dead sender's claim token.
		token string
		// wire says the dead sender marked the post and its message
		// reached the channel before it died.
		wire bool
		// sent says its message reached the channel (without a mark: a
		// build older than the mark).
		sent bool
		// looks is whether the takeover reads the channel's history.
		looks bool
	}{
		{name: "died before the wire", token: newToken()},
		{name: "died after its message reached Slack", token: newToken(), wire: true, sent: true, looks: true},
		{name: "older build's claim, sent", token: "0123456789abcdef01234567", sent: true, looks: true},
		{name: "older build's claim, not sent", token: "0123456789abcdef01234567", looks: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			forDialects(t, func(t *testing.T, dialect string) {
				h, ada, ch, c, round := channelRound(t, dialect)

				api := h.pacedClient(t)
				dead := h.sender(t, engine.Config{Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }}, api)
				res, err := dead.Submit(h.ctx, c, round, ada, text("ada's answer"), nil)
				if err != nil {
					t.Fatal(err)
				}
				// The dead sender claimed the post, and perhaps sent it,
				// then stopped before recording anything.
				now := h.clk.Now()
				if _, ok, err := h.store.ClaimPost(h.ctx, team, res.Post.ID, tc.token, now, dead.eng.Lease()); !ok || err != nil {
					t.Fatalf("claim: %v, %v", ok, err)
				}
				if tc.wire {
					if err := h.store.RenewPostToSend(h.ctx, res.Post.ID, tc.token, now.Add(dead.eng.Lease()), now); err != nil {
						t.Fatal(err)
					}
				}
				sentTS := ""
				if tc.sent {
					_, sentTS, err = api.PostMessageContext(h.ctx, ch, slack.MsgOptionText("ada's answer", false),
						slack.MsgOptionMetadata(slack.SlackMetadata{EventType: postMetadataType, EventPayload: map[string]any{
							"post_id": strconv.FormatInt(res.Post.ID, 10), "part": "0", "workspace": team,
						}}))
					if err != nil {
						t.Fatal(err)
					}
				}
				before := h.historyCalls()

				h.run(now.Add(10 * time.Minute))

				p := h.answerPost(round, ada, res.Post.ID)
				if !p.Posted || len(p.TS) != 1 {
					t.Fatalf("post after the takeover = %+v, want it posted as one message", p)
				}
				if tc.sent && p.TS[0] != sentTS {
					t.Errorf("post recorded as %v, want the dead sender's message %s", p.TS, sentTS)
				}
				if n := h.postCalls(ch); n != 1 {
					t.Errorf("%d chat.postMessage calls reached the channel, want 1", n)
				}
				if n := h.historyCalls() - before; (n > 0) != tc.looks {
					t.Errorf("the takeover made %d conversations.history/replies calls, want a look: %v", n, tc.looks)
				}
			})
		})
	}
}

// historyCalls counts the conversations.history and conversations.replies
// calls Slack received.
func (h *harness) historyCalls() int {
	h.t.Helper()
	n := 0
	for _, method := range []string{"conversations.history", "conversations.replies"} {
		calls, err := h.ctl.Calls(h.ctx, method)
		if err != nil {
			h.t.Fatal(err)
		}
		n += len(calls)
	}
	return n
}
