package engine

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models"
)

// memOutbox is a feature's post outbox as the engine sees it: claims by
// id and token, renewed only under the token that holds them.
type memOutbox struct {
	mu       sync.Mutex
	tokens   map[int64]string
	renewals map[int64]time.Time
}

func newMemOutbox() *memOutbox {
	return &memOutbox{tokens: map[int64]string{}, renewals: map[int64]time.Time{}}
}

func (o *memOutbox) claim(id int64, token string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tokens[id] = token
}

func (o *memOutbox) renew(_ context.Context, id int64, token string, until time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tokens[id] != token {
		return models.ErrLeaseLost
	}
	o.renewals[id] = until
	return nil
}

func (o *memOutbox) renewedTo(id int64) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.renewals[id]
}

// postHarness is one engine with a channel the bot is in, its Slack
// client, and a heartbeat driven by the test.
type postHarness struct {
	*harness
	e       *Engine
	api     Slack
	channel string
	pulse   chan time.Time
	out     *memOutbox
}

func newPostHarness(t *testing.T) *postHarness {
	t.Helper()
	h := newHarness(t, harnessOpts{start: mustTime("2026-11-23T10:00:00Z")})
	e := h.engines[0]
	pulse := make(chan time.Time)
	e.pulse = func() (<-chan time.Time, func()) { return pulse, func() {} }
	api, err := e.clients(context.Background(), team)
	if err != nil {
		t.Fatal(err)
	}
	ada := h.person("ada", "Europe/London", nil)
	ch, err := h.ctl.CreateChannel(context.Background(), slacksim.NewChannel{Name: "team", Members: []string{ada}})
	if err != nil {
		t.Fatal(err)
	}
	return &postHarness{harness: h, e: e, api: api, channel: ch.ID, pulse: pulse, out: newMemOutbox()}
}

// hold claims post id under token and has the engine hold it.
func (p *postHarness) hold(ctx context.Context, id int64, token string) *Hold {
	p.out.claim(id, token)
	return p.e.HoldPosts(ctx, "test_posts", p.out.renew, nil, PostClaim{ID: id, Token: token, Until: p.clk.Now().Add(p.e.Lease())})
}

// beat moves the clock on by d and makes the heartbeat look, waiting until
// it has.
func (p *postHarness) beat(t *testing.T, d time.Duration) {
	t.Helper()
	p.clk.Advance(d)
	// The pulse channel is unbuffered: a second send returns once the
	// heartbeat has finished the renewals the first one started.
	for range 2 {
		select {
		case p.pulse <- p.clk.Now():
		case <-time.After(10 * time.Second):
			t.Fatal("no heartbeat is running")
		}
	}
}

func postMeta(id string) slack.MsgOption {
	return slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "test_post", EventPayload: map[string]any{"post_id": id}})
}

func (p *postHarness) postCalls(t *testing.T) int {
	t.Helper()
	calls, err := p.ctl.Calls(context.Background(), "chat.postMessage")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range calls {
		if c.Channel == p.channel {
			n++
		}
	}
	return n
}

// A post whose chat.postMessage failed after Slack took it is found by
// its metadata — in the channel, and in a thread under its parent — so the
// feature records it rather than posting it again; one Slack never took
// is not found.
func TestPostUnconfirmedIsFoundByMetadata(t *testing.T) {
	for _, tt := range []struct {
		name        string
		thread      bool
		afterEffect bool
	}{
		{"channel, kept by slack", false, true},
		{"channel, lost by slack", false, false},
		{"thread, kept by slack", true, true},
		{"thread, lost by slack", true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPostHarness(t)
			ctx := context.Background()
			queued := p.clk.Now()
			parent := ""
			if tt.thread {
				hold := p.hold(ctx, 1, "parent")
				ts, err := hold.Post(ctx, p.api, p.channel, []int64{1}, slack.MsgOptionText("parent", false), postMeta("1"))
				hold.Release()
				if err != nil {
					t.Fatalf("post the parent: %v", err)
				}
				parent = ts
			}
			if _, err := p.ctl.AddFault(ctx, slacksim.Fault{Method: "chat.postMessage", Next: 1, Status: http.StatusBadGateway, AfterEffect: tt.afterEffect}); err != nil {
				t.Fatal(err)
			}
			hold := p.hold(ctx, 2, "first")
			defer hold.Release()
			opts := []slack.MsgOption{slack.MsgOptionText("the post", false), postMeta("2")}
			if parent != "" {
				opts = append(opts, slack.MsgOptionTS(parent))
			}
			_, err := hold.Post(ctx, p.api, p.channel, []int64{2}, opts...)
			if err == nil || Unsent(ctx, err) {
				t.Fatalf("post through a 502 = %v; want an error that may have reached Slack", err)
			}
			if at, giveUp := p.e.RetryPost(ctx, err, 1, queued); giveUp || !at.Equal(p.clk.Now().Add(p.e.retryAfter)) {
				t.Errorf("retry at %v (give up %v), want after RetryAfter", at, giveUp)
			}

			found := map[string]string{}
			if err := p.e.FindPosts(ctx, p.api, p.channel, parent, queued, "test_post", func(payload map[string]any, ts string) {
				id, _ := payload["post_id"].(string)
				found[id] = ts
			}); err != nil {
				t.Fatal(err)
			}
			msgs, err := p.ctl.Messages(ctx, p.channel, "")
			if err != nil {
				t.Fatal(err)
			}
			var posted []slacksim.Message
			for _, m := range msgs {
				if m.Text == "the post" {
					posted = append(posted, m)
				}
			}
			ts, ok := found["2"]
			switch {
			case tt.afterEffect && (len(posted) != 1 || !ok || ts != posted[0].TS):
				t.Errorf("found %v, in Slack %+v; want the one message Slack kept, by its metadata", found, posted)
			case !tt.afterEffect && (len(posted) != 0 || ok):
				t.Errorf("found %v, in Slack %+v; want nothing", found, posted)
			}
		})
	}
}

// What Slack does not take is tried again by one rule for DMs and posts:
// a 429's Retry-After is honoured (at least a second); a refused post
// backs off for a day (someone may invite Trellis back) and is then given
// up; a refused occurrence whose code can never pass is given up at once;
// anything else waits RetryAfter.
func TestSlackErrorPolicy(t *testing.T) {
	now := mustTime("2026-11-23T10:00:00Z")
	e := &Engine{retryAfter: time.Minute}
	refused := func(code string) error { return slack.SlackErrorResponse{Err: code} }
	for _, tt := range []struct {
		name   string
		err    error
		post   bool
		tries  int
		queued time.Time
		want   time.Duration // after now; -1: given up
	}{
		{"429 on a post", &slack.RateLimitedError{RetryAfter: 42 * time.Second}, true, 1, now, 42 * time.Second},
		{"429 on a DM", &slack.RateLimitedError{RetryAfter: 42 * time.Second}, false, 1, now, 42 * time.Second},
		{"429 without a wait", &slack.RateLimitedError{}, true, 1, now, time.Second},
		{"post refused, first try", refused("not_in_channel"), true, 1, now, 30 * time.Minute},
		{"post refused, fifth try", refused("not_in_channel"), true, 5, now.Add(-5 * time.Hour), 2 * time.Hour},
		{"post refused for over a day", refused("not_in_channel"), true, 9, now.Add(-25 * time.Hour), -1},
		{"occurrence refused for good", refused("channel_not_found"), false, 1, now, -1},
		{"occurrence refused, may pass later", refused("fatal_error"), false, 1, now, time.Minute},
		{"server error", errors.New("HTTP 500"), true, 1, now, time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			at, giveUp := e.retryAt(readFailure(context.Background(), tt.err), tt.post, tt.tries, tt.queued, now)
			switch {
			case tt.want < 0 && !giveUp:
				t.Errorf("retry at %v, want given up", at)
			case tt.want >= 0 && (giveUp || !at.Equal(now.Add(tt.want))):
				t.Errorf("retry at %v (given up %v), want %v", at, giveUp, now.Add(tt.want))
			}
		})
	}
}

// A DM Slack rate-limits is handed back until its Retry-After, by the same
// rule as posts.
func TestDMRateLimitedWaitsRetryAfter(t *testing.T) {
	start := mustTime("2026-11-23T08:59:00Z")
	h := newHarness(t, harnessOpts{start: start, cfg: func(_ int, c *Config) {
		clients := c.Clients
		c.Clients = func(ctx context.Context, team string) (Slack, error) {
			api, err := clients(ctx, team)
			return &limitedOnce{Slack: api}, err
		}
	}})
	ada := h.person("ada", "Europe/London", nil)
	h.schedule("1", "weekdays at 09:00", ada)
	h.clk.Set(start.Add(time.Minute))
	if _, err := h.engines[0].Tick(context.Background(), h.clk.Now()); err != nil {
		t.Fatal(err)
	}
	occ := h.occurrences()
	if len(occ) != 1 || occ[0].Status != models.OccurrenceDeferred {
		t.Fatalf("occurrences %+v, want one handed back", occ)
	}
	if want := h.clk.Now().Add(42 * time.Second); !occ[0].DeliverAt.Equal(want) {
		t.Errorf("due again at %v, want %v (Retry-After)", occ[0].DeliverAt, want)
	}
}

// limitedOnce answers its first chat.postMessage with a 429.
type limitedOnce struct {
	Slack
	once sync.Once
}

func (l *limitedOnce) PostMessageContext(ctx context.Context, ch string, opts ...slack.MsgOption) (string, string, error) {
	limited := false
	l.once.Do(func() { limited = true })
	if limited {
		return "", "", &slack.RateLimitedError{RetryAfter: 42 * time.Second}
	}
	return l.Slack.PostMessageContext(ctx, ch, opts...)
}

// The engine's one heartbeat renews a held post's lease, so a post
// waiting longer than a lease for Slack still goes out; a post whose claim
// another sender took over (the renewal finds another token) is not put on
// the wire, and reads as unsent.
func TestPostLeaseRenewedOrHandedBack(t *testing.T) {
	ctx := context.Background()
	t.Run("renewed", func(t *testing.T) {
		p := newPostHarness(t)
		hold := p.hold(ctx, 1, "mine")
		defer hold.Release()
		for range 4 {
			p.beat(t, p.e.Lease()/3)
		}
		if got, want := p.out.renewedTo(1), p.clk.Now().Add(p.e.Lease()); !got.Equal(want) {
			t.Fatalf("renewed to %v, want %v", got, want)
		}
		if _, err := hold.Post(ctx, p.api, p.channel, []int64{1}, slack.MsgOptionText("late but held", false), postMeta("1")); err != nil {
			t.Errorf("post after four renewals: %v", err)
		}
		if n := p.postCalls(t); n != 1 {
			t.Errorf("%d chat.postMessage calls, want 1", n)
		}
	})
	t.Run("taken over", func(t *testing.T) {
		p := newPostHarness(t)
		hold := p.hold(ctx, 1, "mine")
		defer hold.Release()
		p.out.claim(1, "theirs")
		p.beat(t, p.e.Lease()/3)
		_, err := hold.Post(ctx, p.api, p.channel, []int64{1}, slack.MsgOptionText("not mine any more", false), postMeta("1"))
		if !Unsent(ctx, err) {
			t.Errorf("post after a takeover = %v, want unsent", err)
		}
		if n := p.postCalls(t); n != 0 {
			t.Errorf("%d chat.postMessage calls, want none", n)
		}
	})
	t.Run("lease running short", func(t *testing.T) {
		p := newPostHarness(t)
		hold := p.hold(ctx, 1, "mine")
		defer hold.Release()
		// No renewal (the heartbeat is not pulsed): three quarters of the
		// lease later a quarter is not left.
		p.clk.Advance(p.e.Lease()*3/4 + time.Second)
		_, err := hold.Post(ctx, p.api, p.channel, []int64{1}, slack.MsgOptionText("too late", false), postMeta("1"))
		if !Unsent(ctx, err) {
			t.Errorf("post with its lease nearly out = %v, want unsent", err)
		}
		if n := p.postCalls(t); n != 0 {
			t.Errorf("%d chat.postMessage calls, want none", n)
		}
	})
}

// One heartbeat serves every holder: one sender letting its posts go does
// not stop the renewal of another's.
func TestHeartbeatOutlivesOneHolder(t *testing.T) {
	ctx := context.Background()
	p := newPostHarness(t)
	first := p.hold(ctx, 1, "first")
	second := p.hold(ctx, 2, "second")
	defer second.Release()
	first.Release()
	p.beat(t, p.e.Lease()/3)
	if got, want := p.out.renewedTo(2), p.clk.Now().Add(p.e.Lease()); !got.Equal(want) {
		t.Errorf("second holder's post renewed to %v, want %v", got, want)
	}
	if got := p.out.renewedTo(1); !got.IsZero() {
		t.Errorf("a released post was renewed to %v", got)
	}
}
