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
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		ch := h.channel("team", ada)
		c := checkinFor(ch, ada)
		c.Destination = checkinmodels.DestinationChannel
		c = h.create(c)
		asked := monday.Add(9*time.Hour + 31*time.Minute)
		h.run(asked)
		round := h.roundOf(ada)

		fast := bot.Rate{Limit: 1_000_000, Per: time.Minute, Burst: 1_000_000}
		api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(h.sim.APIURL()), slack.OptionHTTPClient(bot.NewTransport(bot.TransportConfig{
			Store: kvtest.New(t), TeamID: team, Rates: map[string]bot.Rate{"chat.postMessage": fast, "conversations.history": fast}})))
		stalled := &stallPoster{Slack: api}
		stalled.stall = func() {
			// Past the lease; meanwhile the other replica takes the post over.
			h.clk.Set(h.clk.Now().Add(3 * time.Minute))
			if err := h.svcs[0].Tick(h.ctx, h.clk.Now()); err != nil {
				t.Errorf("other replica's tick: %v", err)
			}
		}
		eng, err := engine.New(engine.Config{DB: h.dbs[0], Clock: h.clk,
			Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }})
		if err != nil {
			t.Fatal(err)
		}
		slow, err := New(Config{DB: h.dbs[0], Engine: eng, Clock: h.clk,
			Clients: func(context.Context, string) (Slack, error) { return stalled, nil }})
		if err != nil {
			t.Fatal(err)
		}
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

// stallPoster runs stall once, before its first chat.postMessage.
type stallPoster struct {
	Slack
	once  atomic.Bool
	stall func()
}

func (s *stallPoster) PostMessageContext(ctx context.Context, ch string, opts ...slack.MsgOption) (string, string, error) {
	if s.once.CompareAndSwap(false, true) {
		s.stall()
	}
	return s.Slack.PostMessageContext(ctx, ch, opts...)
}
