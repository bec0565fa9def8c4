package bot_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

// These tests are about what the rate limiter reserves: a slot is held no
// further ahead than the bucket's horizon, so callers that die while they
// wait (a crash loop of `trellis serve`, each start asking for an
// apps.connections.open slot) cannot push everyone else's slots into the
// future; a slot given up before it was used goes back; and a 429's
// Retry-After, however large, blocks a method for an hour at most.

// tier1Horizon is how far ahead an apps.connections.open slot may be held
// with the default rates (Slack's tier 1, one a minute).
const tier1Horizon = time.Minute

// connectionsOpen is the request slack-go's socketmode client sends when
// it connects.
func connectionsOpen(ctx context.Context, t *testing.T, fake *fakeAPI) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fake.url()+"apps.connections.open", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// doFunc sends one request the way a process's Transport does.
type doFunc func(*http.Request) (*http.Response, error)

// crashLoop starts n processes that each ask for an apps.connections.open
// slot and die before they give anything back: one that got its slot at
// once dies on the wire, the others die while they wait. newDo builds
// process i's Transport around the Base and Sleep it is given; ctx is the
// context of their requests. crashLoop returns once all n are dead, with
// the longest wait any of them was told to take; they stay dead until the
// test ends.
func crashLoop(t *testing.T, ctx context.Context, fake *fakeAPI, n int, newDo func(i int, base *http.Client, sleep func(context.Context, time.Duration) error) doFunc) time.Duration {
	t.Helper()
	killed := make(chan struct{})
	var (
		dead    atomic.Int32
		mu      sync.Mutex
		longest time.Duration
		wg      sync.WaitGroup
	)
	t.Cleanup(func() {
		close(killed)
		wg.Wait()
	})
	die := func() { dead.Add(1); <-killed }
	base := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		die()
		return nil, errors.New("process killed")
	})}
	sleep := func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		longest = max(longest, d)
		mu.Unlock()
		die()
		return errors.New("process killed")
	}
	for i := range n {
		do := newDo(i, base, sleep)
		req := connectionsOpen(ctx, t, fake)
		wg.Go(func() {
			if resp, err := do(req); err == nil {
				discardBody(resp)
			}
		})
	}
	waitFor(t, 30*time.Second, fmt.Sprintf("%d processes to die", n), func() bool { return int(dead.Load()) == n })
	mu.Lock()
	defer mu.Unlock()
	return longest
}

func discardBody(resp *http.Response) { _ = resp.Body.Close() }

// Thirty processes sharing Redis each take or wait for an
// apps.connections.open slot (Slack's tier 1: one a minute, bursts of
// five) and die. None of them was told to wait longer than the horizon,
// and neither is the next process: its wait for a slot, whatever else it
// waits for, is at most a minute, not the half hour thirty reservations
// would have put the bucket ahead.
func TestCrashLoopCannotHoldUpReconnects(t *testing.T) {
	t.Parallel()
	fake := newFakeAPI(t, nil)
	first := kvtest.New(t)
	log := kvtest.Logger(t)
	const processes = 30
	longest := crashLoop(t, context.Background(), fake, processes, func(i int, base *http.Client, sleep func(context.Context, time.Duration) error) doFunc {
		return bot.NewTransport(bot.TransportConfig{
			Base: base, Sleep: sleep, Store: replicaStore(t, first), Logger: log.With("process", i), TeamID: "T1",
		}).Do
	})
	if longest > tier1Horizon {
		t.Errorf("a dying process was told to wait %v for its slot, want at most %v", longest, tier1Horizon)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	next := bot.NewTransport(bot.TransportConfig{
		Store: replicaStore(t, first), Logger: log.With("process", "next"), TeamID: "T1",
		Sleep: func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			cancel() // one answer is enough; the wait itself is the next test's
			return ctx.Err()
		},
	})
	_, err := next.Do(connectionsOpen(ctx, t, fake))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the next process's apps.connections.open: %v, want to wait and then context.Canceled", err)
	}
	if len(waits) != 1 || waits[0] > tier1Horizon {
		t.Errorf("after %d dead processes the next is told to wait %v, want at most %v", processes, waits, tier1Horizon)
	}
	if got := fake.count("apps.connections.open"); got != 0 {
		t.Errorf("Slack got %d apps.connections.open calls, want 0 (the dead never sent, the next was cancelled)", got)
	}
}

// The same crash loop, followed to the end: the next process really gets
// its slot and connects, and all it waited for it adds up to no more than
// the horizon. Shared through Redis (a faster pace, so the test takes
// seconds: 1 per 400 ms in bursts of 5, a horizon of 2 s) and in-process
// (the default tier 1, on a simulated clock that only the caller's waits
// move; there the dead are callers of one process that never come back).
func TestCrashLoopNextProcessConnects(t *testing.T) {
	t.Parallel()
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		fake := newFakeAPI(t, nil)
		first := kvtest.New(t)
		log := kvtest.Logger(t)
		rates := map[string]bot.Rate{"apps.connections.open": {Limit: 1, Per: 400 * time.Millisecond, Burst: 5}}
		const horizon = 2 * time.Second
		crashLoop(t, context.Background(), fake, 30, func(i int, base *http.Client, sleep func(context.Context, time.Duration) error) doFunc {
			return bot.NewTransport(bot.TransportConfig{
				Base: base, Sleep: sleep, Store: replicaStore(t, first), Logger: log.With("process", i), TeamID: "T1", Rates: rates,
			}).Do
		})
		var waited time.Duration
		next := bot.NewTransport(bot.TransportConfig{
			Store: replicaStore(t, first), Logger: log.With("process", "next"), TeamID: "T1", Rates: rates,
			Sleep: func(ctx context.Context, d time.Duration) error {
				waited += d
				return sleepFor(ctx, d)
			},
		})
		connectWithin(t, fake, next.Do, &waited, horizon)
	})
	t.Run("in-process", func(t *testing.T) {
		t.Parallel()
		fake := newFakeAPI(t, nil)
		clk := clock.NewFrozen(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
		type deadKey struct{}
		var (
			tr     *bot.Transport
			waited time.Duration
		)
		// One process: its dying callers and the next caller share its
		// in-process buckets. The dying callers' requests carry deadKey.
		dying := context.WithValue(context.Background(), deadKey{}, true)
		crashLoop(t, dying, fake, 30, func(i int, kill *http.Client, killSleep func(context.Context, time.Duration) error) doFunc {
			if tr == nil {
				tr = bot.NewTransport(bot.TransportConfig{
					Logger: kvtest.Logger(t), TeamID: "T1", Clock: clk,
					Base: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
						if r.Context().Value(deadKey{}) != nil {
							return kill.Transport.RoundTrip(r)
						}
						return http.DefaultTransport.RoundTrip(r)
					})},
					Sleep: func(ctx context.Context, d time.Duration) error {
						if ctx.Value(deadKey{}) != nil {
							return killSleep(ctx, d)
						}
						waited += d
						clk.Advance(d)
						return ctx.Err()
					},
				})
			}
			return tr.Do
		})
		connectWithin(t, fake, tr.Do, &waited, tier1Horizon)
	})
}

// connectWithin sends apps.connections.open through do and checks that it
// reached Slack and that the waits it took (added up in *waited by its
// Sleep) came to no more than horizon.
func connectWithin(t *testing.T, fake *fakeAPI, do doFunc, waited *time.Duration, horizon time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // only so that a hang fails
	defer cancel()
	resp, err := do(connectionsOpen(ctx, t, fake))
	if err != nil {
		t.Fatalf("the next process's apps.connections.open: %v", err)
	}
	discardBody(resp)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("apps.connections.open: HTTP %d, want 200", resp.StatusCode)
	}
	if got := fake.count("apps.connections.open"); got != 1 {
		t.Errorf("Slack got %d apps.connections.open calls, want 1 (the dead never sent)", got)
	}
	if *waited > horizon {
		t.Errorf("the next process waited %v in all for its slot, want at most the horizon, %v", *waited, horizon)
	}
}

// sleepFor waits d or until ctx ends.
func sleepFor(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// paceModes are the two ways a Transport paces: through the shared Redis
// (embedded, or TEST_REDIS_URL) and in-process, on a simulated clock that
// stands still unless a test moves it.
func paceModes(t *testing.T) map[string]func(cfg bot.TransportConfig) *bot.Transport {
	return map[string]func(cfg bot.TransportConfig) *bot.Transport{
		"redis": func(cfg bot.TransportConfig) *bot.Transport {
			cfg.Store = kvtest.New(t)
			return bot.NewTransport(cfg)
		},
		"in-process": func(cfg bot.TransportConfig) *bot.Transport {
			cfg.Clock = clock.NewFrozen(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
			return bot.NewTransport(cfg)
		},
	}
}

// waitRecorder is a Sleep that reports each wait it is asked for, by the
// request id its context carries, and then waits until that context ends.
type waitRecorder struct {
	waits chan recordedWait
}

type recordedWait struct {
	id string
	d  time.Duration
}

type waitIDKey struct{}

func newWaitRecorder() *waitRecorder { return &waitRecorder{waits: make(chan recordedWait, 16)} }

func (w *waitRecorder) sleep(ctx context.Context, d time.Duration) error {
	id, _ := ctx.Value(waitIDKey{}).(string)
	w.waits <- recordedWait{id: id, d: d}
	<-ctx.Done()
	return ctx.Err()
}

// next returns the next wait asked for, which must be id's.
func (w *waitRecorder) next(t *testing.T, id string) time.Duration {
	t.Helper()
	select {
	case got := <-w.waits:
		if got.id != id {
			t.Fatalf("%s waits %v; want %s to be the next to wait", got.id, got.d, id)
		}
		return got.d
	case <-time.After(time.Minute): // only so that a hang fails
		t.Fatalf("%s never waited", id)
		return 0
	}
}

// A slot a caller gave up on before sending (its context ended while it
// waited: a graceful shutdown) goes back to the bucket, so the next caller
// gets that slot instead of the one after it; but only while no one has
// reserved after it, so giving back never frees a slot someone else
// holds. One users.info a 10 s, no bursts (a horizon of 40 s): A sends at
// once, B waits for the next slot and gives up, C is offered B's slot. Then
// D and E queue up, D gives up, and F still queues behind E.
func TestTransportGivesBackAnUnusedSlot(t *testing.T) {
	t.Parallel()
	for name, newTransport := range paceModes(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeAPI(t, nil)
			rec := newWaitRecorder()
			tr := newTransport(bot.TransportConfig{
				Logger: kvtest.Logger(t), TeamID: "T1", Sleep: rec.sleep,
				Rates: map[string]bot.Rate{"users.info": {Limit: 1, Per: 10 * time.Second, Burst: 1}},
			})
			type call struct {
				cancel context.CancelFunc
				done   chan error
			}
			start := func(id string) *call {
				ctx, cancel := context.WithCancel(context.WithValue(context.Background(), waitIDKey{}, id))
				c := &call{cancel: cancel, done: make(chan error, 1)}
				t.Cleanup(cancel)
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, fake.url()+"users.info", strings.NewReader("user=U1"))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				go func() {
					resp, err := tr.Do(req)
					if err == nil {
						discardBody(resp)
					}
					c.done <- err
				}()
				return c
			}
			giveUp := func(id string, c *call) {
				t.Helper()
				c.cancel()
				if err := <-c.done; !errors.Is(err, context.Canceled) {
					t.Errorf("%s after its caller gave up: %v, want context.Canceled", id, err)
				}
			}

			if err := <-start("A").done; err != nil {
				t.Fatalf("A: %v", err)
			}
			b := start("B")
			wB := rec.next(t, "B")
			giveUp("B", b)
			c := start("C")
			if wC := rec.next(t, "C"); wC > wB {
				t.Errorf("C waits %v, B waited %v for the slot it gave up: C must get that slot", wC, wB)
			}
			giveUp("C", c)

			d := start("D")
			wD := rec.next(t, "D")
			start("E")
			wE := rec.next(t, "E")
			giveUp("D", d)
			start("F")
			if wF := rec.next(t, "F"); wF <= wE {
				t.Errorf("F waits %v, E %v: D gave up a slot before E's, which must not free E's or let F ahead of E (D waited %v)", wF, wE, wD)
			}
			if got := fake.count("users.info"); got != 1 {
				t.Errorf("Slack got %d users.info calls, want 1 (A's)", got)
			}
		})
	}
}

// Whatever a caller waits for — a slot it holds, a slot beyond the
// horizon it does not hold yet, or a 429's block — its context ends the
// wait, and nothing is sent. The waits here are an hour long, so a
// Transport that ignored the context would hang until the test binary's
// timeout; no duration is asserted.
func TestTransportEveryWaitHonoursContext(t *testing.T) {
	t.Parallel()
	for name, newTransport := range paceModes(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeAPI(t, firstAnswered429("chat.postMessage", "3600"))
			tr := newTransport(bot.TransportConfig{
				Logger: kvtest.Logger(t), TeamID: "T1",
				Rates: map[string]bot.Rate{
					"users.info":         {Limit: 1, Per: time.Hour, Burst: 1},   // the second waits an hour, beyond the horizon
					"conversations.info": {Limit: 4, Per: time.Minute, Burst: 1}, // the second holds a slot 15 s ahead
				},
			})
			send := func(ctx context.Context, method string) error {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, fake.url()+method, strings.NewReader("channel=C1"))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := tr.Do(req)
				if err == nil {
					discardBody(resp)
				}
				return err
			}
			for _, method := range []string{"users.info", "conversations.info", "chat.postMessage"} {
				if method != "chat.postMessage" {
					if err := send(context.Background(), method); err != nil {
						t.Fatalf("first %s: %v", method, err)
					}
				}
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				err := send(ctx, method)
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("%s while it must wait: %v, want context.DeadlineExceeded", method, err)
				}
			}
			for method, want := range map[string]int{"users.info": 1, "conversations.info": 1, "chat.postMessage": 1} {
				if got := fake.count(method); got != want {
					t.Errorf("Slack got %d %s calls, want %d", got, method, want)
				}
			}
		})
	}
}

// A 429's Retry-After blocks its method for at most an hour, however large
// or long the header: the wait the next call is asked for, and the block
// stored in Redis for every replica, end within the hour. A header in
// range is honoured as it is.
func TestTransportCapsRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header   string
		min, max time.Duration
	}{
		{"7200", 59 * time.Minute, bot.MaxRetryAfter},
		{"864000000", 59 * time.Minute, bot.MaxRetryAfter},
		{"99999999999999999999999999", 59 * time.Minute, bot.MaxRetryAfter},
		{"3600", 59 * time.Minute, time.Hour},
		{"30", 25 * time.Second, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			t.Parallel()
			fake := newFakeAPI(t, firstAnswered429("", tt.header))
			store := kvtest.New(t)
			rec := newWaitRecorder()
			tr := bot.NewTransport(bot.TransportConfig{Store: store, Logger: kvtest.Logger(t), TeamID: "T1", Sleep: rec.sleep})
			ctx, cancel := context.WithCancel(context.WithValue(context.Background(), waitIDKey{}, "post"))
			defer cancel()
			done := make(chan error, 1)
			go func() {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, fake.url()+"chat.postMessage", strings.NewReader("channel=C1&text=hi"))
				if err != nil {
					done <- err
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := tr.Do(req)
				if err == nil {
					discardBody(resp)
				}
				done <- err
			}()
			// The wait may be asked for in steps (beyond the horizon, the
			// caller asks again); the first is the longest.
			if d := rec.next(t, "post"); d < tt.min || d > tt.max {
				t.Errorf("Retry-After: %s: the retry waits %v, want between %v and %v", tt.header, d, tt.min, tt.max)
			}
			bg := context.Background()
			until, err := store.Client.Get(bg, store.Key("ratelimit", "{T1:chat.postMessage}:blocked")).Int64()
			if err != nil {
				t.Fatalf("the stored block: %v", err)
			}
			now, err := store.Client.Time(bg).Result()
			if err != nil {
				t.Fatal(err)
			}
			if left := time.UnixMicro(until).Sub(now); left > tt.max || left < tt.min {
				t.Errorf("Retry-After: %s: the stored block has %v left, want between %v and %v", tt.header, left, tt.min, tt.max)
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("the post after its caller gave up: %v, want context.Canceled", err)
			}
			if got := fake.count("chat.postMessage"); got != 1 {
				t.Errorf("Slack got %d posts, want 1: nothing is sent into the block", got)
			}
		})
	}
}

// For every method with a default pace (and the per-channel pace of the
// methods that have one), however many callers pile up and hold their
// slots without using them, no caller is told to wait longer than the
// horizon: four intervals of the slowest bucket the call draws from, at
// least 2 s, at most a minute. On Redis and in-process.
func TestEveryDefaultRateHoldsSlotsWithinTheHorizon(t *testing.T) {
	t.Parallel()
	interval := func(r bot.Rate) time.Duration { return r.Per / time.Duration(r.Limit) }
	for name, newTransport := range paceModes(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeAPI(t, nil)
			var (
				mu    sync.Mutex
				waits = map[string][]time.Duration{}
			)
			release := make(chan struct{})
			var wg sync.WaitGroup
			t.Cleanup(func() {
				close(release)
				wg.Wait()
			})
			tr := newTransport(bot.TransportConfig{
				Logger: kvtest.Logger(t), TeamID: "T1",
				Sleep: func(ctx context.Context, d time.Duration) error {
					method, _ := ctx.Value(waitIDKey{}).(string)
					mu.Lock()
					waits[method] = append(waits[method], d)
					mu.Unlock()
					<-release
					return errors.New("test over")
				},
			})
			channelRates := bot.DefaultChannelRates()
			const callers = 40
			for method, rate := range bot.DefaultRates() {
				slowest := interval(rate)
				if cr, ok := channelRates[method]; ok {
					slowest = max(slowest, interval(cr))
				}
				horizon := min(time.Minute, max(2*time.Second, 4*slowest))
				ctx := context.WithValue(context.Background(), waitIDKey{}, method)
				for range callers {
					req, err := http.NewRequestWithContext(ctx, http.MethodPost, fake.url()+method, strings.NewReader("channel=C1&text=hi"))
					if err != nil {
						t.Fatal(err)
					}
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					wg.Go(func() {
						if resp, err := tr.Do(req); err == nil {
							discardBody(resp)
						}
					})
				}
				waitFor(t, 30*time.Second, method+" callers to send or wait", func() bool {
					mu.Lock()
					defer mu.Unlock()
					return fake.count(method)+len(waits[method]) == callers
				})
				mu.Lock()
				for _, d := range waits[method] {
					if d > horizon {
						t.Errorf("%s: a caller is told to wait %v, want at most %v (%v a call)", method, d, horizon, slowest)
						break
					}
				}
				mu.Unlock()
			}
		})
	}
}
