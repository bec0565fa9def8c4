package bot_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/kv/kvtest"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// These tests drive the Transport against the Slack emulator over real
// HTTP, and read what reached "Slack" from the emulator's control API
// rather than from a fake written for the test.

// newEmulator starts a seeded emulator that lives as long as the test.
func newEmulator(t *testing.T) (*slacksim.Server, *slacksim.Control) {
	t.Helper()
	sim := slacksim.New(slacksim.Config{Logger: kvtest.Logger(t).With("component", "slacksim")})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	sim.SeedDemo()
	return sim, slacksim.NewControl(sim.URL())
}

// emulatorClient is a slack-go client that reaches the emulator through tr.
func emulatorClient(sim *slacksim.Server, tr *bot.Transport) *slack.Client {
	return slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(sim.APIURL()), slack.OptionHTTPClient(tr))
}

// A Slack call made with a transaction's context is refused before anything
// reaches Slack; the same call outside the transaction goes through.
func TestTransportRefusesInsideTransaction(t *testing.T) {
	t.Parallel()
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := modelstest.New(t, dialect)
			sim, ctl := newEmulator(t)
			m, reg := newMetrics()
			api := emulatorClient(sim, bot.NewTransport(bot.TransportConfig{
				Metrics: m, Logger: kvtest.Logger(t), TeamID: slacksim.DefaultTeamID,
			}))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			var called bool
			err := db.Tx(ctx, func(ctx context.Context) error {
				called = true
				_, err := api.GetUserInfoContext(ctx, slacksim.DemoAda)
				return err
			})
			if !called {
				t.Fatal("Tx did not run its function")
			}
			if !errors.Is(err, bot.ErrInTransaction) {
				t.Errorf("GetUserInfo inside Tx: err = %v, want %v", err, bot.ErrInTransaction)
			}
			calls, err := ctl.Calls(ctx, "users.info")
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != 0 {
				t.Fatalf("emulator logged %d users.info calls made inside a transaction, want 0: %+v", len(calls), calls)
			}
			if got := metricValue(t, reg, "slack_api_calls_total", map[string]string{"method": "users.info", "outcome": "refused"}); got != 1 {
				t.Errorf("slack_api_calls_total{users.info,refused} = %v, want 1", got)
			}

			user, err := api.GetUserInfoContext(ctx, slacksim.DemoAda)
			if err != nil {
				t.Fatalf("GetUserInfo outside a transaction: %v", err)
			}
			if user.ID != slacksim.DemoAda {
				t.Errorf("GetUserInfo outside a transaction: user %q, want %q", user.ID, slacksim.DemoAda)
			}
			calls, err = ctl.Calls(ctx, "users.info")
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != 1 || !calls[0].OK {
				t.Errorf("emulator logged %+v, want one successful users.info call", calls)
			}
		})
	}
}

// The acceptance test for outbound pacing: the emulator answers
// 429 with Retry-After: 2 to one chat.postMessage in five; two replicas
// sharing Redis post concurrently; every message arrives once, no caller
// sees an error, and no chat.postMessage leaves for Slack inside a block
// its Transport knew of — not even from the replica that did not get the
// 429. The emulator flags early_retry by arrival time, which also catches
// a call that was already on its way when the 429 came back; such a flag
// counts only if every request that could have been that call (on the
// wire when it arrived) left after its Transport knew of the block.
func TestTransportPacingAgainstEmulator(t *testing.T) {
	t.Parallel()
	sim, ctl := newEmulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const retryAfter = 2
	if _, err := ctl.AddFault(ctx, slacksim.Fault{
		Method: "chat.postMessage", Every: 5, Status: http.StatusTooManyRequests, RetryAfter: retryAfter,
	}); err != nil {
		t.Fatal(err)
	}

	// One Redis prefix for both Transports: two replicas of one bot.
	prefix := "trellis-test:" + uuid.NewString()[:8] + ":"
	m, reg := newMetrics()
	order := newSendOrder()
	var clients []*slack.Client
	for i := range 2 {
		clients = append(clients, emulatorClient(sim, bot.NewTransport(bot.TransportConfig{
			Base:    order.client(),
			Sleep:   order.sleep,
			Store:   kvtest.NewWithPrefix(t, prefix),
			Metrics: m,
			Logger:  kvtest.Logger(t).With("replica", i),
			TeamID:  slacksim.DefaultTeamID,
			Rates:   map[string]bot.Rate{"chat.postMessage": {Limit: 20, Per: time.Second, Burst: 1}},
		})))
	}

	people := []string{slacksim.DemoAda, slacksim.DemoRavi, slacksim.DemoMei, slacksim.DemoCarlos, slacksim.DemoJordan}
	const messages = 15
	sent := map[string]string{} // text → the person whose DM it goes to
	for i := range messages {
		sent[fmt.Sprintf("pacing message %d", i)] = people[i%len(people)]
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range messages {
		text := fmt.Sprintf("pacing message %d", i)
		wg.Go(func() {
			if _, _, err := clients[i%2].PostMessageContext(order.start(ctx, i), sent[text], slack.MsgOptionText(text, false)); err != nil {
				t.Errorf("replica %d: PostMessage(%q): %v", i%2, text, err)
			}
		})
	}
	wg.Wait()
	t.Logf("%d messages from 2 replicas in %v", messages, time.Since(start))

	// Every message arrives exactly once, in the DM it was sent to.
	got := map[string][]string{} // text → the people whose DM holds it
	for _, p := range people {
		msgs, err := ctl.Messages(ctx, p, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range msgs {
			got[msg.Text] = append(got[msg.Text], p)
		}
	}
	for text, to := range sent {
		if !slices.Equal(got[text], []string{to}) {
			t.Errorf("%q arrived in the DMs of %v, want exactly once in %s's", text, got[text], to)
		}
	}
	for text, in := range got {
		if _, ok := sent[text]; !ok {
			t.Errorf("unexpected message %q in the DMs of %v", text, in)
		}
	}

	calls, err := ctl.Calls(ctx, "chat.postMessage")
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(calls, func(a, b slacksim.Call) int { return a.Time.Compare(b.Time) })
	var limited, accepted, flagged int
	for i, c := range calls {
		switch {
		case c.Status == http.StatusTooManyRequests:
			limited++
			// Only the injected fault may answer 429: a per-channel 429
			// (Retry-After 1) would mean the Transport's channel pace let
			// Slack's own limit trip.
			if c.RetryAfter != retryAfter {
				t.Errorf("call %d: 429 with Retry-After %d, want only the injected Retry-After %d", i, c.RetryAfter, retryAfter)
			}
		case c.OK:
			accepted++
		default:
			t.Errorf("call %d: status %d, error %q", i, c.Status, c.Error)
		}
		if c.EarlyRetry {
			flagged++
			if why := knewOfBlock(order.sentAt("chat.postMessage", c.Time)); why != "" {
				t.Errorf("call %d at %s: emulator flagged early_retry, and %s", i, c.Time.Format("15:04:05.000"), why)
			}
		}
	}
	t.Logf("early_retry on %d calls already decided or in flight when their 429 came back", flagged)
	for _, e := range order.early() {
		t.Error(e)
	}
	if limited == 0 || order.knownBlocks("chat.postMessage") == 0 {
		t.Fatalf("the emulator answered %d 429s in %d calls, %d blocks recorded; the test proves nothing",
			limited, len(calls), order.knownBlocks("chat.postMessage"))
	}
	if accepted != messages {
		t.Errorf("emulator accepted %d chat.postMessage calls, want %d", accepted, messages)
	}
	if got := metricValue(t, reg, "trellis_redis_fallbacks_total", nil); got != 0 {
		t.Errorf("%v operations fell back in-process; the replicas must share Redis", got)
	}
	if got := metricValue(t, reg, "slack_ratelimited_total", map[string]string{"method": "chat.postMessage"}); got != float64(limited) {
		t.Errorf("slack_ratelimited_total = %v, want %d (the emulator's 429s)", got, limited)
	}
	if t.Failed() {
		for i, c := range calls {
			t.Logf("call %2d at %s: status %d, channel %s, Retry-After %d, early_retry %v",
				i, c.Time.Format("15:04:05.000"), c.Status, c.Channel, c.RetryAfter, c.EarlyRetry)
		}
	}
}

// knewOfBlock says why a call the emulator flagged as early counts: every
// request that was on the wire when it arrived left inside a block its
// Transport knew of (or none was, which the recorder cannot explain). It
// returns "" when one of them could have been the call and was excused: in
// flight, or decided, before the block was known.
func knewOfBlock(candidates []orderedSend) string {
	if len(candidates) == 0 {
		return "no request of the test's was on the wire when it arrived"
	}
	for _, s := range candidates {
		if s.early == "" {
			return ""
		}
	}
	return candidates[0].early
}
