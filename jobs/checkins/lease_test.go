package checkins

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/kv/kvtest"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// A post whose sender stalled past its lease, and which another replica
// took over and posted, is not sent a second time by the stalled sender.
func TestPostNotSentAfterItsLeaseRanOut(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h, ada, ch, c, round := channelRound(t, dialect)

		api := h.pacedClient(t)
		stalled := &stallPoster{Slack: api}
		stalled.stall = func() {
			// Past the lease; meanwhile the other replica takes the post over.
			h.clk.Set(h.clk.Now().Add(3 * time.Minute))
			if err := h.svcs[0].Tick(h.ctx, h.clk.Now()); err != nil {
				t.Errorf("other replica's tick: %v", err)
			}
		}
		slow := h.sender(t, engine.Config{Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }}, stalled)
		res, err := slow.Submit(h.ctx, c, round, ada, text("ada's answer"), nil)
		if err != nil {
			t.Fatal(err)
		}
		slow.DeliverPost(h.ctx, res.Post)
		h.run(h.clk.Now().Add(10 * time.Minute))

		top, _ := h.channelMsgs(ch, ada)
		n := 0
		for _, m := range top {
			if strings.Contains(msgText(m), "ada's answer") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("ada's answer is in the channel %d times, want once: %q", n, texts(top))
		}
	})
}

// channelRound is a harness with ada's check-in posting in channel ch,
// and its round, in which ada was asked on Monday at 09:30.
func channelRound(t *testing.T, dialect string) (h *harness, ada, ch string, c checkinmodels.Checkin, round int64) {
	t.Helper()
	h = newHarness(t, harnessOpts{dialect: dialect})
	ada = h.person("ada", "Europe/London", "")
	ch = h.channel("team", ada)
	c = checkinFor(ch, ada)
	c.Destination = checkinmodels.DestinationChannel
	c = h.create(c)
	h.run(monday.Add(9*time.Hour + 31*time.Minute))
	return h, ada, ch, c, h.roundOf(ada)
}

// stallPoster runs stall once, before its chat.postMessage number
// after+1: its first when after is 0.
type stallPoster struct {
	Slack
	after int64
	calls atomic.Int64
	stall func()
}

func (s *stallPoster) PostMessageContext(ctx context.Context, ch string, opts ...slack.MsgOption) (string, string, error) {
	if s.calls.Add(1) == s.after+1 {
		s.stall()
	}
	return s.Slack.PostMessageContext(ctx, ch, opts...)
}

// pacedClient is a Slack client of the emulator that goes through
// Trellis's transport, which asks the engine's check before the wire
// right before each call, after its wait for a rate-limit slot.
func (h *harness) pacedClient(t *testing.T) *slack.Client {
	t.Helper()
	fast := bot.Rate{Limit: 1_000_000, Per: time.Minute, Burst: 1_000_000}
	return slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(h.sim.APIURL()), slack.OptionHTTPClient(bot.NewTransport(bot.TransportConfig{
		Store: kvtest.New(t), TeamID: team, Rates: map[string]bot.Rate{"chat.postMessage": fast, "conversations.history": fast}})))
}

// sender is a check-in service on an engine of its own (cfg, on the
// first replica's database and the harness's clock), posting through
// api: a sender apart from the harness's replicas, which a test can
// stall or starve.
func (h *harness) sender(t *testing.T, cfg engine.Config, api Slack) *Service {
	t.Helper()
	cfg.DB, cfg.Clock = h.dbs[0], h.clk
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Config{DB: h.dbs[0], Engine: eng, Clock: h.clk,
		Clients: func(context.Context, string) (Slack, error) { return api, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// A post whose sender is stopped after it claimed the post, before the
// wire (a replica shutting down, or its run's time up), is handed back at
// once, not left claimed for the rest of its lease: the hand-back is
// written with a context the stop does not cancel.
func TestStoppedSenderHandsPostBackAtOnce(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h, ada, ch, c, round := channelRound(t, dialect)

		ctx, stop := context.WithCancel(h.ctx)
		defer stop()
		api := h.pacedClient(t)
		// Stopped right before its first chat.postMessage: the transport
		// sends nothing once its context is done.
		stopped := &stallPoster{Slack: api, stall: stop}
		svc := h.sender(t, engine.Config{Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }}, stopped)
		res, err := svc.Submit(h.ctx, c, round, ada, text("ada's answer"), nil)
		if err != nil {
			t.Fatal(err)
		}
		svc.DeliverPost(ctx, res.Post)

		if n := stopped.calls.Load(); n != 1 {
			t.Fatalf("the stopped sender asked for %d chat.postMessage calls, want 1", n)
		}
		if n := h.postCalls(ch); n != 0 {
			t.Fatalf("%d chat.postMessage calls reached the channel, want none", n)
		}
		p := h.answerPost(round, ada, res.Post.ID)
		if p.Posted || p.ClaimToken != "" || !p.ClaimUntil.IsZero() || p.Attempts != 0 || p.NextAttemptAt.After(h.clk.Now()) {
			t.Fatalf("post after the stop = %+v, want it handed back: not posted, unclaimed, no attempt counted, due now", p)
		}
		due, err := h.store.DuePosts(h.ctx, h.clk.Now(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 1 || due[0].ID != p.ID {
			t.Errorf("posts due right after the stop = %+v, want post %d", due, p.ID)
		}
	})
}
