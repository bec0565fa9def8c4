package bot_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/kv"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

// One event delivered four times (the first try and Slack's three retries),
// alternately to two replicas sharing Redis: the handler runs once. A
// delivery that arrives while another is being handled is not acked (500:
// Slack sends it again), since the other may yet fail; once it is done, a
// delivery is acked as the duplicate it is.
func TestDedupeAcrossReplicas(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		t.Run(fmt.Sprintf("concurrent=%v", concurrent), func(t *testing.T) {
			storeA := kvtest.New(t)
			storeB := replicaStore(t, storeA)
			m, reg := newMetrics()

			var runs atomic.Int32
			h := bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
				runs.Add(1)
				if req.Kind != bot.KindEvent || req.EventID != "Ev1" || req.TeamID != "T1" || req.UserID != "U1" {
					t.Errorf("request = %v %q %q %q, want event Ev1 from T1/U1", req.Kind, req.EventID, req.TeamID, req.UserID)
				}
				time.Sleep(50 * time.Millisecond)
				return nil, nil
			})
			a := newInstance(t, storeA, h, bot.DispatcherConfig{Metrics: m})
			b := newInstance(t, storeB, h, bot.DispatcherConfig{Metrics: m})
			body := eventBody(t, "Ev1", homeOpened("U1"))

			var wg sync.WaitGroup
			for retry := range 4 {
				in := a
				if retry%2 == 1 {
					in = b
				}
				deliver := func() {
					status := postEvent(t, in, body, retry)
					if status != http.StatusOK && !(concurrent && status == http.StatusInternalServerError) {
						t.Errorf("delivery %d: status %d, want 200 (or 500 while another delivery is handled)", retry, status)
					}
				}
				if concurrent {
					wg.Go(deliver)
				} else {
					deliver()
				}
			}
			wg.Wait()
			// Slack's next retry, once the first delivery is done.
			if status := postEvent(t, b, body, 4); status != http.StatusOK {
				t.Errorf("a retry after the first delivery is done: status %d, want 200", status)
			}

			if got := runs.Load(); got != 1 {
				t.Errorf("handler ran %d times, want 1", got)
			}
			if got := metricValue(t, reg, "trellis_dedupe_hits_total", nil); got != 4 {
				t.Errorf("dedupe hits = %v, want 4", got)
			}
		})
	}
}

// A handler error on the first try releases the claim: Slack's retry, on
// the other replica, runs the handler; later retries are duplicates.
func TestDedupeRetryAfterFailure(t *testing.T) {
	storeA := kvtest.New(t)
	storeB := replicaStore(t, storeA)
	var runs atomic.Int32
	h := bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		if runs.Add(1) == 1 {
			return nil, errors.New("postgres restarting")
		}
		return nil, nil
	})
	a := newInstance(t, storeA, h, bot.DispatcherConfig{})
	b := newInstance(t, storeB, h, bot.DispatcherConfig{})
	body := eventBody(t, "Ev2", homeOpened("U1"))

	if status := postEvent(t, a, body, 0); status != http.StatusInternalServerError {
		t.Errorf("first try: status %d, want 500 so that Slack retries", status)
	}
	if status := postEvent(t, b, body, 1); status != http.StatusOK {
		t.Errorf("retry 1: status %d, want 200", status)
	}
	if status := postEvent(t, a, body, 2); status != http.StatusOK {
		t.Errorf("retry 2: status %d, want 200", status)
	}
	if got := runs.Load(); got != 2 {
		t.Errorf("handler ran %d times, want 2 (failed try, successful retry)", got)
	}
}

// Slack sometimes re-sends a message under a new event_id: message events
// are also keyed by team, channel and ts. The bot's own messages are ignored.
func TestDedupeMessageEvents(t *testing.T) {
	store := kvtest.New(t)
	var runs atomic.Int32
	h := bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		runs.Add(1)
		return nil, nil
	})
	in := newInstance(t, store, h, bot.DispatcherConfig{
		BotUserID: func(ctx context.Context, team string) string { return "UBOT" },
	})
	for _, id := range []string{"Ev3", "Ev4"} {
		if status := postEvent(t, in, eventBody(t, id, messageEvent("U1", "D1", "1700000000.000200")), 0); status != http.StatusOK {
			t.Errorf("%s: status %d", id, status)
		}
	}
	if got := runs.Load(); got != 1 {
		t.Errorf("handler ran %d times for one message under two event ids, want 1", got)
	}
	postEvent(t, in, eventBody(t, "Ev5", messageEvent("UBOT", "D1", "1700000000.000300")), 0)
	if got := runs.Load(); got != 1 {
		t.Errorf("handler ran for the bot's own message")
	}
}

func TestDeduper(t *testing.T) {
	ctx := context.Background()
	store := kvtest.New(t)
	log := kvtest.Logger(t)
	a := bot.NewDeduper(bot.DeduperConfig{Store: store, Logger: log, InProgressTTL: 300 * time.Millisecond})
	b := bot.NewDeduper(bot.DeduperConfig{Store: replicaStore(t, store), Logger: log, InProgressTTL: 300 * time.Millisecond})

	step := func(name string, got, want bool) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	step("a.Begin(k1)", a.Begin(ctx, "k1"), true)
	step("a.Begin(k1) while in progress", a.Begin(ctx, "k1"), false)
	step("b.Begin(k1) while in progress", b.Begin(ctx, "k1"), false)
	a.Abort(ctx, "k1")
	step("b.Begin(k1) after abort", b.Begin(ctx, "k1"), true)
	b.Finish(ctx, "k1")
	step("a.Begin(k1) after finish", a.Begin(ctx, "k1"), false)
	step("b.Begin(k1) after finish", b.Begin(ctx, "k1"), false)

	// A claim whose owner never finishes lapses, so a later retry runs.
	step("a.Begin(k2)", a.Begin(ctx, "k2"), true)
	time.Sleep(400 * time.Millisecond)
	step("b.Begin(k2) after the claim lapsed", b.Begin(ctx, "k2"), true)
	// a's stale abort must not release b's claim.
	a.Abort(ctx, "k2")
	step("a.Begin(k2) while b holds it", a.Begin(ctx, "k2"), false)
}

func TestDeduperLocalIsBounded(t *testing.T) {
	ctx := context.Background()
	d := bot.NewDeduper(bot.DeduperConfig{LocalSize: 3})
	for i := range 5 {
		k := fmt.Sprint("k", i)
		if !d.Begin(ctx, k) {
			t.Fatalf("Begin(%s) = false on first sight", k)
		}
		d.Finish(ctx, k)
	}
	if d.Begin(ctx, "k4") {
		t.Errorf("Begin(k4) = true, want false: recent keys are kept")
	}
	if !d.Begin(ctx, "k0") {
		t.Errorf("Begin(k0) = false, want true: the oldest key was evicted")
	}
}

// On the embedded Redis (the default install, one process) the Deduper
// keeps its claims in process: a repeat is still dropped, and Redis sees
// no dedupe key, so no request waits on its scripts.
func TestDeduperKeepsEmbeddedRedisOutOfTheWay(t *testing.T) {
	ctx := context.Background()
	store, err := kv.Open(ctx, kvtest.Logger(t), "", "trellis:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if !store.Embedded() {
		t.Fatal("kv.Open with no URL did not start the embedded Redis")
	}
	d := bot.NewDeduper(bot.DeduperConfig{Store: store, Logger: kvtest.Logger(t)})
	for _, key := range []string{"command:T1:1.2", "event:Ev1"} {
		if !d.Begin(ctx, key) {
			t.Fatalf("first Begin(%s) = false", key)
		}
		d.Finish(ctx, key)
		if d.Begin(ctx, key) {
			t.Errorf("Begin(%s) after Finish = true, want the repeat dropped", key)
		}
	}
	keys, err := store.Client.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("embedded Redis holds %v, want no dedupe keys", keys)
	}
}
