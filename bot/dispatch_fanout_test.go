package bot_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

// When one of an event's subscribers fails, Slack's retry serves only that
// one again: the healthy subscriber acts exactly once, its After work runs
// although the first delivery is not acked, and the failed one gets its
// retry, After work included. The failure is counted under its owner.
func TestDispatchEventSubscribersIsolated(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func() (*bot.Response, error)
	}{
		{"error", func() (*bot.Response, error) { return nil, errors.New("boom") }},
		{"panic", func() (*bot.Response, error) { panic("boom") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			served := map[string]int{}
			afters := map[string]int{}
			subscriber := func(owner string, failFirst bool) bot.Handler {
				return bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
					mu.Lock()
					served[owner]++
					n := served[owner]
					mu.Unlock()
					req.After(func(context.Context) {
						mu.Lock()
						defer mu.Unlock()
						afters[owner]++
					})
					if failFirst && n == 1 {
						return tc.fail()
					}
					return nil, nil
				})
			}
			mux := bot.NewMux()
			if err := mux.Owner("healthy").Event("app_home_opened", subscriber("healthy", false)); err != nil {
				t.Fatal(err)
			}
			if err := mux.Owner("flaky").Event("app_home_opened", subscriber("flaky", true)); err != nil {
				t.Fatal(err)
			}
			metrics, reg := newMetrics()
			log := kvtest.Logger(t)
			d := bot.NewDispatcher(bot.DispatcherConfig{
				Logger:  log,
				Handler: mux,
				Metrics: metrics,
				Deduper: bot.NewDeduper(bot.DeduperConfig{Logger: log}),
			})
			ctx := context.Background()

			if _, err := d.Dispatch(ctx, eventReq("EvFan")); !errors.Is(err, bot.ErrHandlerFailed) {
				t.Fatalf("first delivery: err = %v, want ErrHandlerFailed (not acked, so Slack retries)", err)
			}
			retry := eventReq("EvFan")
			retry.RetryNum = 1
			if _, err := d.Dispatch(ctx, retry); err != nil {
				t.Fatalf("retry: err = %v, want nil", err)
			}
			again := eventReq("EvFan")
			again.RetryNum = 2
			if _, err := d.Dispatch(ctx, again); err != nil {
				t.Fatalf("second retry: err = %v, want nil (a duplicate)", err)
			}

			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := d.Shutdown(sctx); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if got, want := served["healthy"], 1; got != want {
				t.Errorf("healthy subscriber served %d times, want %d", got, want)
			}
			if got, want := afters["healthy"], 1; got != want {
				t.Errorf("healthy subscriber's After work ran %d times, want %d", got, want)
			}
			if got, want := served["flaky"], 2; got != want {
				t.Errorf("flaky subscriber served %d times, want %d (the failure and its retry)", got, want)
			}
			if got, want := afters["flaky"], 1; got != want {
				t.Errorf("flaky subscriber's After work ran %d times, want %d (only the retry's)", got, want)
			}
			if got := metricValue(t, reg, "trellis_event_subscriber_failures_total", map[string]string{"event": "app_home_opened", "owner": "flaky"}); got != 1 {
				t.Errorf("subscriber failures counted for flaky = %v, want 1", got)
			}
		})
	}
}
