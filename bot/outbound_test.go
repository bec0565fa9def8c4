package bot_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/bot/bottest"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/kv"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

// fakeAPI is a stand-in for the Slack Web API that records every call.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server
	// respond decides the answer to the n-th call (from 1) of method; it
	// returns 0 for a normal 200.
	respond func(method string, n int, w http.ResponseWriter, r *http.Request) (status int)

	mu       sync.Mutex
	calls    []apiCall
	counts   map[string]int
	accepted map[string]int // text → accepted chat.postMessage calls
}

type apiCall struct {
	method, channel, text string
	at                    time.Time
	status                int
}

func newFakeAPI(t *testing.T, respond func(method string, n int, w http.ResponseWriter, r *http.Request) int) *fakeAPI {
	f := &fakeAPI{t: t, respond: respond, counts: map[string]int{}, accepted: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// firstAnswered429 is a fakeAPI answer: 429 with Retry-After: retryAfter
// to the first call of method ("" for any method), 200 to everything else.
func firstAnswered429(method, retryAfter string) func(string, int, http.ResponseWriter, *http.Request) int {
	return func(m string, n int, w http.ResponseWriter, _ *http.Request) int {
		if (method == "" || m == method) && n == 1 {
			w.Header().Set("Retry-After", retryAfter)
			return http.StatusTooManyRequests
		}
		return 0
	}
}

func (f *fakeAPI) url() string { return f.srv.URL + "/api/" }

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	method := path.Base(r.URL.Path)
	_ = r.ParseForm()
	f.mu.Lock()
	f.counts[method]++
	n := f.counts[method]
	f.mu.Unlock()

	status := 0
	if f.respond != nil {
		status = f.respond(method, n, w, r)
	}
	if status == -1 { // the respond func took over (hijacked)
		status = 0
	} else if status == 0 {
		status = http.StatusOK
		w.Header().Set("Content-Type", "application/json")
		switch method {
		case "users.info":
			fmt.Fprint(w, `{"ok":true,"user":{"id":"U1","name":"ada","tz":"Europe/London"}}`)
		default:
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, r.PostForm.Get("channel"), n)
		}
	} else {
		w.WriteHeader(status)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, apiCall{method: method, channel: r.PostForm.Get("channel"), text: r.PostForm.Get("text"), at: now, status: status})
	if method == "chat.postMessage" && status == http.StatusOK {
		f.accepted[r.PostForm.Get("text")]++
	}
}

func (f *fakeAPI) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[method]
}

func (f *fakeAPI) snapshot() ([]apiCall, map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	acc := map[string]int{}
	for k, v := range f.accepted {
		acc[k] = v
	}
	return append([]apiCall(nil), f.calls...), acc
}

// Ten chat.postMessage calls from two replicas sharing Redis; the fake
// answers every fifth with 429 and Retry-After: 2. Every message arrives
// exactly once, the channel's pace holds, and no request leaves inside a
// block its Transport knew of, not even on the replica that did not get
// the 429 (sendOrder says what "knew of" means: a call already decided or
// on the wire when the 429 came back cannot be recalled).
func TestTransportPacesAndHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	fake := newFakeAPI(t, func(method string, n int, w http.ResponseWriter, r *http.Request) int {
		if method == "chat.postMessage" && n%5 == 0 {
			w.Header().Set("Retry-After", "2")
			return http.StatusTooManyRequests
		}
		return 0
	})
	storeA := kvtest.New(t)
	storeB := replicaStore(t, storeA)
	m, reg := newMetrics()
	channelRate := bot.Rate{Limit: 10, Per: time.Second, Burst: 2}
	newClient := func(tr *bot.Transport) *slack.Client {
		return slack.New("xoxb-test", slack.OptionAPIURL(fake.url()), slack.OptionHTTPClient(tr))
	}
	order := newSendOrder()
	var clients []*slack.Client
	for i, store := range []*kv.Store{storeA, storeB} {
		clients = append(clients, newClient(bot.NewTransport(bot.TransportConfig{
			Base: order.client(), Sleep: order.sleep,
			Store: store, Metrics: m, Logger: kvtest.Logger(t).With("replica", i), TeamID: "T1",
			ChannelRates: map[string]bot.Rate{"chat.postMessage": channelRate},
		})))
	}

	const messages = 10
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range messages {
		wg.Go(func() {
			text := fmt.Sprintf("message %d", i)
			if _, _, err := clients[i%2].PostMessageContext(order.start(ctx, i), "C1", slack.MsgOptionText(text, false)); err != nil {
				t.Errorf("PostMessage(%q): %v", text, err)
			}
		})
	}
	wg.Wait()
	t.Logf("sent %d messages in %v", messages, time.Since(start))

	calls, accepted := fake.snapshot()
	for i := range messages {
		text := fmt.Sprintf("message %d", i)
		if accepted[text] != 1 {
			t.Errorf("%q accepted %d times, want exactly 1", text, accepted[text])
		}
	}
	for _, e := range order.early() {
		t.Error(e)
	}
	var limited int
	for _, c := range calls {
		if c.status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 || order.knownBlocks("chat.postMessage") == 0 {
		t.Fatalf("the fake answered %d 429s, %d blocks recorded; the test proves nothing", limited, order.knownBlocks("chat.postMessage"))
	}
	if got := metricValue(t, reg, "trellis_redis_fallbacks_total", nil); got != 0 {
		t.Errorf("%v operations fell back in-process; the replicas must share Redis", got)
	}
	if got := metricValue(t, reg, "slack_ratelimited_total", map[string]string{"method": "chat.postMessage"}); got != float64(limited) {
		t.Errorf("slack_ratelimited_total = %v, want %d", got, limited)
	}
	// The channel's pace, in a form a slow or busy machine cannot break:
	// no call goes before its slot, and the k-th slot (from 0) in the
	// shared schedule is at least k-Burst+1 intervals after the first
	// could go, so the k-th call to arrive is too. Delays only make calls
	// later; calls sent without waiting for their slot arrive too early.
	interval := channelRate.Per / time.Duration(channelRate.Limit)
	arrivals := make([]time.Time, 0, len(calls))
	for _, c := range calls {
		arrivals = append(arrivals, c.at)
	}
	slices.SortFunc(arrivals, time.Time.Compare)
	for k, at := range arrivals {
		if least := time.Duration(k-channelRate.Burst+1) * interval; at.Sub(start) < least {
			t.Errorf("call %d arrived %v after the first could go, want at least %v (%d a second, bursts of %d)",
				k, at.Sub(start), least, channelRate.Limit, channelRate.Burst)
		}
	}
}

// A 429 blocks only that method: other methods keep flowing while it is
// blocked, and nothing of the blocked method goes out before its
// Retry-After. The block is an hour long, so the order of events does not
// depend on how fast the machine is: users.info must succeed while the post
// still waits, and the post, cancelled then, was never sent again.
func TestTransportBlocksOnlyTheLimitedMethod(t *testing.T) {
	t.Parallel()
	fake := newFakeAPI(t, firstAnswered429("chat.postMessage", "3600"))
	tr := bot.NewTransport(bot.TransportConfig{Store: kvtest.New(t), Logger: kvtest.Logger(t), TeamID: "T1"})
	api := slack.New("xoxb-test", slack.OptionAPIURL(fake.url()), slack.OptionHTTPClient(tr))
	ctx := context.Background()

	postCtx, cancelPost := context.WithCancel(ctx)
	defer cancelPost()
	posted := make(chan error, 1)
	go func() {
		_, _, err := api.PostMessageContext(postCtx, "C1", slack.MsgOptionText("hello", false))
		posted <- err
	}()
	waitFor(t, 5*time.Second, "the first post", func() bool { return fake.count("chat.postMessage") >= 1 })
	// A generous bound, only so that a users.info stuck behind the block
	// fails instead of hanging for the hour.
	infoCtx, cancelInfo := context.WithTimeout(ctx, time.Minute)
	defer cancelInfo()
	if _, err := api.GetUserInfoContext(infoCtx, "U1"); err != nil {
		t.Fatalf("GetUserInfo during chat.postMessage's block: %v; other methods must keep flowing", err)
	}
	select {
	case err := <-posted:
		t.Fatalf("PostMessage returned (%v) inside its hour-long block", err)
	default:
	}
	cancelPost()
	if err := <-posted; !errors.Is(err, context.Canceled) {
		t.Errorf("PostMessage after its caller gave up: %v, want context.Canceled", err)
	}
	if got := fake.count("chat.postMessage"); got != 1 {
		t.Errorf("chat.postMessage arrived %d times, want 1: nothing is sent into a block", got)
	}
}

// A 429 seen by one replica holds back the others: replica A gets an
// hour-long Retry-After; once the block is in the shared store, replica B
// starts a post of its own. B waits for the block instead of sending, and
// when its caller gives up it returns context.Canceled without having
// reached Slack. Nothing here depends on timing: B is cancelled only once
// it is waiting, and the block outlasts the test by far.
func TestTransportBlockHoldsBackOtherReplicas(t *testing.T) {
	t.Parallel()
	fake := newFakeAPI(t, firstAnswered429("chat.postMessage", "3600"))
	storeA := kvtest.New(t)
	storeB := replicaStore(t, storeA)
	waits := make(chan time.Duration, 8)
	sleepB := func(ctx context.Context, d time.Duration) error {
		waits <- d
		<-ctx.Done()
		return ctx.Err()
	}
	log := kvtest.Logger(t)
	apiA := slack.New("xoxb-test", slack.OptionAPIURL(fake.url()), slack.OptionHTTPClient(bot.NewTransport(bot.TransportConfig{
		Store: storeA, Logger: log.With("replica", "A"), TeamID: "T1",
	})))
	apiB := slack.New("xoxb-test", slack.OptionAPIURL(fake.url()), slack.OptionHTTPClient(bot.NewTransport(bot.TransportConfig{
		Store: storeB, Logger: log.With("replica", "B"), TeamID: "T1", Sleep: sleepB,
	})))

	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	postedA := make(chan error, 1)
	go func() {
		_, _, err := apiA.PostMessageContext(ctxA, "C1", slack.MsgOptionText("from A", false))
		postedA <- err
	}()
	blockKey := storeA.Key("ratelimit", "{T1:chat.postMessage}:blocked")
	waitFor(t, 10*time.Second, "replica A to record the 429 in the shared store", func() bool {
		n, err := storeA.Client.Exists(context.Background(), blockKey).Result()
		return err == nil && n == 1
	})

	ctxB, cancelB := context.WithCancel(context.Background())
	defer cancelB()
	postedB := make(chan error, 1)
	go func() {
		_, _, err := apiB.PostMessageContext(ctxB, "C2", slack.MsgOptionText("from B", false))
		postedB <- err
	}()
	select {
	case d := <-waits:
		if d < 59*time.Minute {
			t.Errorf("replica B waits %v, want the rest of the hour-long block", d)
		}
	case err := <-postedB:
		t.Fatalf("replica B's post returned (%v) without waiting for the block", err)
	case <-time.After(time.Minute): // only so that a hang fails
		t.Fatal("replica B neither waited nor returned")
	}
	cancelB()
	if err := <-postedB; !errors.Is(err, context.Canceled) {
		t.Errorf("replica B's post after its caller gave up: %v, want context.Canceled", err)
	}
	calls, _ := fake.snapshot()
	for _, c := range calls {
		if c.text != "from A" {
			t.Errorf("Slack got %s %q with status %d during the block, want only A's first post", c.method, c.text, c.status)
		}
	}
	if len(calls) != 1 {
		t.Errorf("Slack got %d calls, want 1 (A's, answered 429)", len(calls))
	}
	cancelA()
	if err := <-postedA; !errors.Is(err, context.Canceled) {
		t.Errorf("replica A's post after its caller gave up: %v, want context.Canceled", err)
	}
}

// Server errors and network failures: safe methods are retried; a post that
// may have reached Slack is not resent and comes back as ErrAmbiguous; a
// post that never left (the dial failed) is retried.
func TestTransportRetries(t *testing.T) {
	t.Parallel()
	hangUp := func(w http.ResponseWriter) int {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return -1
	}
	tests := []struct {
		name        string
		method      string
		respond     func(n int, w http.ResponseWriter) int
		failDials   int32
		wantErr     error // nil: success
		wantAnyErr  bool
		wantArrived int
	}{
		{
			name: "users.info retried after 5xx", method: "users.info",
			respond:     func(n int, w http.ResponseWriter) int { return map[bool]int{true: 503}[n <= 2] },
			wantArrived: 3,
		},
		{
			name: "users.info gives up after MaxRetries", method: "users.info",
			respond:     func(n int, w http.ResponseWriter) int { return 500 },
			wantAnyErr:  true,
			wantArrived: 4,
		},
		{
			name: "users.info retried after a dropped connection", method: "users.info",
			respond: func(n int, w http.ResponseWriter) int {
				if n == 1 {
					return hangUp(w)
				}
				return 0
			},
			wantArrived: 2,
		},
		{
			name: "chat.postMessage 5xx is ambiguous", method: "chat.postMessage",
			respond:     func(n int, w http.ResponseWriter) int { return 502 },
			wantErr:     bot.ErrAmbiguous,
			wantArrived: 1,
		},
		{
			name: "chat.postMessage dropped connection is ambiguous", method: "chat.postMessage",
			respond:     func(n int, w http.ResponseWriter) int { return hangUp(w) },
			wantErr:     bot.ErrAmbiguous,
			wantArrived: 1,
		},
		{
			name: "chat.postMessage retried when the dial failed", method: "chat.postMessage",
			failDials:   2,
			wantArrived: 1,
		},
		{
			name: "chat.update retried after 5xx", method: "chat.update",
			respond:     func(n int, w http.ResponseWriter) int { return map[bool]int{true: 500}[n == 1] },
			wantArrived: 2,
		},
		{
			name: "429 without Retry-After waits the default", method: "chat.postMessage",
			respond:     func(n int, w http.ResponseWriter) int { return map[bool]int{true: 429}[n == 1] },
			wantArrived: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFakeAPI(t, func(method string, n int, w http.ResponseWriter, r *http.Request) int {
				if tt.respond == nil {
					return 0
				}
				return tt.respond(n, w)
			})
			var dials atomic.Int32
			dialer := &net.Dialer{Timeout: time.Second}
			base := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					if dials.Add(1) <= tt.failDials {
						return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
					}
					return dialer.DialContext(ctx, network, addr)
				},
			}}
			m, reg := newMetrics()
			tr := bot.NewTransport(bot.TransportConfig{
				Base: base, Store: kvtest.New(t), Metrics: m, Logger: kvtest.Logger(t), TeamID: "T1",
				Backoff: 10 * time.Millisecond, DefaultRetryAfter: 100 * time.Millisecond,
			})
			api := slack.New("xoxb-test", slack.OptionAPIURL(fake.url()), slack.OptionHTTPClient(tr))
			ctx := context.Background()

			var err error
			switch tt.method {
			case "users.info":
				_, err = api.GetUserInfoContext(ctx, "U1")
			case "chat.postMessage":
				_, _, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false))
			case "chat.update":
				_, _, _, err = api.UpdateMessageContext(ctx, "C1", "1.2", slack.MsgOptionText("hi", false))
			}
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v, want %v", err, tt.wantErr)
				}
			case tt.wantAnyErr:
				if err == nil {
					t.Errorf("err = nil, want an error")
				}
			case err != nil:
				t.Errorf("err = %v, want success", err)
			}
			if got := fake.count(tt.method); got != tt.wantArrived {
				t.Errorf("%s arrived %d times, want %d", tt.method, got, tt.wantArrived)
			}
			if errors.Is(tt.wantErr, bot.ErrAmbiguous) {
				if got := metricValue(t, reg, "slack_api_calls_total", map[string]string{"method": tt.method, "outcome": "ambiguous"}); got != 1 {
					t.Errorf("ambiguous outcomes = %v, want 1", got)
				}
			}
		})
	}
}

// Waiting for a slot gives up when the caller's context ends: the second
// call's slot is an hour away, and it returns with the context's error
// without reaching Slack. No duration is asserted; a Transport that
// ignored the context would hang until the test binary's timeout.
func TestTransportWaitHonoursContext(t *testing.T) {
	t.Parallel()
	fake := newFakeAPI(t, nil)
	tr := bot.NewTransport(bot.TransportConfig{
		Store: kvtest.New(t), Logger: kvtest.Logger(t), TeamID: "T1",
		Rates: map[string]bot.Rate{"users.info": {Limit: 1, Per: time.Hour, Burst: 1}},
	})
	api := slack.New("xoxb-test", slack.OptionAPIURL(fake.url()), slack.OptionHTTPClient(tr))
	if _, err := api.GetUserInfoContext(context.Background(), "U1"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := api.GetUserInfoContext(ctx, "U1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if got := fake.count("users.info"); got != 1 {
		t.Errorf("users.info arrived %d times, want 1", got)
	}
}

// Redis goes away mid-run and comes back: dedupe and pacing keep working
// in-process meanwhile, kv.Store.Healthy reports the outage, and the bot
// uses Redis again once it is back, without a restart.
func TestRedisGoesAway(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := kvtest.Logger(t)
	base := kvtest.New(t)
	proxy := bottest.NewProxy(t, bottest.RedisAddr(t, base))
	store, err := kv.Open(ctx, log, bottest.RedisURL(t, base, proxy.Addr()), base.Key(""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })

	fake := newFakeAPI(t, nil)
	m, reg := newMetrics()
	// The Transport's waits are recorded, not slept: the test asserts on
	// the schedule the limiter hands out, never on when calls arrive. A
	// slow pace (one post per 10 s in a channel) costs nothing then, and
	// keeps Redis's bucket keys alive for as long as any stall of the
	// machine could last.
	const interval = 10 * time.Second
	clk := clock.NewFrozen(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	var (
		sleepMu sync.Mutex
		sleeps  []time.Duration
	)
	sleep := func(ctx context.Context, d time.Duration) error {
		sleepMu.Lock()
		sleeps = append(sleeps, d)
		sleepMu.Unlock()
		return ctx.Err()
	}
	takeSleeps := func() []time.Duration {
		sleepMu.Lock()
		defer sleepMu.Unlock()
		out := sleeps
		sleeps = nil
		slices.Sort(out)
		return out
	}
	tr := bot.NewTransport(bot.TransportConfig{
		Store: store, Metrics: m, Logger: log, TeamID: "T1", RedisCooldown: 50 * time.Millisecond,
		Clock: clk, Sleep: sleep,
		ChannelRates: map[string]bot.Rate{"chat.postMessage": {Limit: 1, Per: interval, Burst: 1}},
	})
	api := slack.New("xoxb-test", slack.OptionAPIURL(fake.url()), slack.OptionHTTPClient(tr))
	runs := map[string]int{}
	var mu sync.Mutex
	h := bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		mu.Lock()
		runs[req.EventID]++
		mu.Unlock()
		return nil, nil
	})
	in := newInstance(t, store, h, bot.DispatcherConfig{Metrics: m})
	deliver := func(id string, times int) {
		t.Helper()
		for retry := range times {
			if status := postEvent(t, in, eventBody(t, id, homeOpened("U1")), retry); status != http.StatusOK {
				t.Errorf("%s delivery %d: status %d", id, retry, status)
			}
		}
	}
	runsOf := func(id string) int {
		mu.Lock()
		defer mu.Unlock()
		return runs[id]
	}
	// post sends n messages to channel at once.
	post := func(phase, channel string, n int) {
		t.Helper()
		before, _ := fake.snapshot()
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if _, _, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText(fmt.Sprint(phase, i), false)); err != nil {
					t.Errorf("%s: PostMessage: %v", phase, err)
				}
			})
		}
		wg.Wait()
		if calls, _ := fake.snapshot(); len(calls)-len(before) != n {
			t.Fatalf("%s: %d calls arrived, want %d", phase, len(calls)-len(before), n)
		}
	}
	redisNow := func() time.Time {
		t.Helper()
		now, err := base.Client.Time(ctx).Result()
		if err != nil {
			t.Fatalf("redis TIME: %v", err)
		}
		return now
	}
	// pacedInRedis sends n messages at once to a channel not used before
	// and checks that the shared schedule in Redis gave each its own slot:
	// the channel's bucket (a theoretical arrival time, in Redis's clock)
	// ends at least n intervals after the Redis time read before the first
	// call, and nothing fell back to the in-process limiter.
	pacedInRedis := func(phase, channel string, n int) {
		t.Helper()
		fallbacks := metricValue(t, reg, "trellis_redis_fallbacks_total", nil)
		start := redisNow()
		post(phase, channel, n)
		if got := metricValue(t, reg, "trellis_redis_fallbacks_total", nil); got != fallbacks {
			t.Errorf("%s: %v operations fell back in-process with Redis up", phase, got-fallbacks)
		}
		key := base.Key("ratelimit", "{T1:chat.postMessage}:channel:"+channel)
		us, err := base.Client.Get(ctx, key).Int64()
		if err != nil {
			t.Fatalf("%s: the channel's bucket %s in Redis: %v", phase, key, err)
		}
		tat := time.UnixMicro(us)
		if want := start.Add(time.Duration(n) * interval); tat.Before(want) {
			t.Errorf("%s: %d calls booked the channel until %v after the first could go, want at least %v (one slot of %v each)",
				phase, n, tat.Sub(start), want.Sub(start), interval)
		}
	}

	// Redis up.
	deliver("EvUp", 2)
	pacedInRedis("up", "C1", 3)
	if !store.Healthy() {
		t.Fatalf("Healthy() = false with Redis up")
	}
	if n, err := base.Client.Exists(ctx, base.Key("dedupe", "event:EvUp")).Result(); err != nil || n != 1 {
		t.Errorf("dedupe key in Redis: exists=%d err=%v, want 1", n, err)
	}

	// Redis gone.
	proxy.Stop()
	deliver("EvUp", 1)   // handled before the outage: still known locally
	deliver("EvDown", 3) // first seen during the outage
	// In-process pacing runs on the Transport's clock, which stands still:
	// four calls at once get the slots now, +10 s, +20 s and +30 s, so
	// three of them wait exactly that long.
	takeSleeps()
	post("down", "C3", 4)
	if got, want := takeSleeps(), []time.Duration{interval, 2 * interval, 3 * interval}; !slices.Equal(got, want) {
		t.Errorf("down: waits %v, want %v (one slot each, paced in-process)", got, want)
	}
	if store.Healthy() {
		t.Errorf("Healthy() = true with Redis gone")
	}
	if got := metricValue(t, reg, "trellis_redis_fallbacks_total", nil); got == 0 {
		t.Errorf("no fallbacks counted during the outage")
	}
	if got := metricValue(t, reg, "trellis_redis_up", nil); got != 0 {
		t.Errorf("trellis_redis_up = %v during the outage, want 0", got)
	}

	// Redis back.
	proxy.Start()
	waitFor(t, 5*time.Second, "the store to see Redis again", func() bool {
		deliver(fmt.Sprint("EvProbe", time.Now().UnixNano()), 1)
		return store.Healthy()
	})
	deliver("EvBack", 1)
	if n, err := base.Client.Exists(ctx, base.Key("dedupe", "event:EvBack")).Result(); err != nil || n != 1 {
		t.Errorf("dedupe key after recovery: exists=%d err=%v, want 1", n, err)
	}
	// A second replica, on Redis directly, sees what this one handled.
	other := newInstance(t, replicaStore(t, base), h, bot.DispatcherConfig{})
	if status := postEvent(t, other, eventBody(t, "EvBack", homeOpened("U1")), 1); status != http.StatusOK {
		t.Errorf("retry to the other replica: status %d", status)
	}
	// The limiter may still be in its cool-down; it returns to Redis by
	// itself. Each probe posts to a channel of its own: one channel's
	// bucket takes no more than its horizon of calls at once, and this
	// Transport's sleeps take no time.
	probes := 0
	waitFor(t, 5*time.Second, "rate-limit state in Redis again", func() bool {
		probes++
		channel := fmt.Sprintf("C2-%d", probes)
		if _, _, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText("probe", false)); err != nil {
			t.Fatalf("PostMessage: %v", err)
		}
		n, err := base.Client.Exists(ctx, base.Key("ratelimit", "{T1:chat.postMessage}:channel:"+channel)).Result()
		return err == nil && n == 1
	})
	pacedInRedis("back", "C4", 3)

	for id, want := range map[string]int{"EvUp": 1, "EvDown": 1, "EvBack": 1} {
		if got := runsOf(id); got != want {
			t.Errorf("handler ran %d times for %s, want %d", got, id, want)
		}
	}
}
