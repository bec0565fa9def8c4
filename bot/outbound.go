package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/kv"
	"github.com/trellis-bot/trellis/models"
)

// Errors the Transport returns; callers branch on them with errors.Is.
var (
	// ErrInTransaction is returned for a Slack call made with a context that
	// belongs to an open database transaction: a slow or rate-limited Slack
	// call must never hold row locks.
	ErrInTransaction = errors.New("bot: Slack call refused inside a database transaction")
	// ErrAmbiguous is returned when a call that must not be repeated (a
	// post) failed after it was sent: Slack may or may not have accepted
	// it. The caller reconciles (chat.postMessage carries the occurrence id
	// in its metadata) instead of resending blindly.
	ErrAmbiguous = errors.New("bot: Slack may or may not have accepted the call")
)

// Rate is a pace for one rate-limit bucket: Limit calls per Per on average,
// with up to Burst calls back to back.
type Rate struct {
	Limit int
	Per   time.Duration
	Burst int
}

func (r Rate) interval() time.Duration {
	if r.Limit <= 0 || r.Per <= 0 {
		return 0
	}
	return r.Per / time.Duration(r.Limit)
}

// DefaultRates returns the workspace-wide pace per Web API method, from
// Slack's tiers (per method, per workspace, per app, per minute). Methods
// not listed get DefaultMethodRate.
func DefaultRates() map[string]Rate {
	tier1 := Rate{Limit: 1, Per: time.Minute, Burst: 5}
	tier2 := Rate{Limit: 20, Per: time.Minute, Burst: 5}
	tier3 := Rate{Limit: 50, Per: time.Minute, Burst: 10}
	tier4 := Rate{Limit: 100, Per: time.Minute, Burst: 20}
	return map[string]Rate{
		"apps.connections.open":  tier1,
		"users.list":             tier2,
		"dnd.teamInfo":           tier2,
		"conversations.open":     tier3,
		"users.lookupByEmail":    tier3,
		"dnd.info":               tier3,
		"chat.update":            tier3,
		"chat.scheduleMessage":   tier3,
		"conversations.members":  tier3,
		"users.info":             tier4,
		"users.profile.get":      tier4,
		"views.open":             tier4,
		"views.push":             tier4,
		"views.update":           tier4,
		"views.publish":          tier4,
		"chat.postEphemeral":     tier4,
		"chat.postMessage":       {Limit: 600, Per: time.Minute, Burst: 60},
		"chat.delete":            tier3,
		"conversations.info":     tier3,
		"auth.test":              tier4,
		"oauth.v2.access":        tier4,
		"chat.getPermalink":      tier4,
		"conversations.history":  tier3,
		"conversations.replies":  tier3,
		"conversations.list":     tier2,
		"team.info":              tier3,
		"usergroups.users.list":  tier2,
		"reactions.add":          tier3,
		"bots.info":              tier3,
		"users.conversations":    tier3,
		"conversations.create":   tier2,
		"conversations.invite":   tier3,
		"conversations.setTopic": tier3,
	}
}

// WindowRate returns the pace that keeps a method within a cap of n calls
// in any sliding window of length per: how Slack counts chat.postMessage's
// workspace cap, and how the emulator enforces it. GCRA with Limit L and
// Burst B lets up to L+B calls into one such window, so the burst has to
// come out of the cap: B is 1% of n (at least 1), and as much again is
// kept back for the jitter between taking a slot and Slack counting the
// call. For 600 a minute that is 588 a minute in bursts of up to 6, 98% of
// the cap. (DefaultRates' 600 a minute with bursts of 60 would put up to
// 660 calls into one minute.)
func WindowRate(n int, per time.Duration) Rate {
	b := max(1, n/100)
	return Rate{Limit: max(1, n-2*b), Per: per, Burst: b}
}

// DefaultMethodRate is the pace of a method DefaultRates does not list
// (Slack's tier 3).
func DefaultMethodRate() Rate { return Rate{Limit: 50, Per: time.Minute, Burst: 10} }

// DefaultChannelRates returns the per-channel pace of the methods Slack
// also limits per channel: chat.postMessage about one message a second
// with small bursts, chat.scheduleMessage 30 per 5 minutes.
func DefaultChannelRates() map[string]Rate {
	return map[string]Rate{
		"chat.postMessage":     {Limit: 1, Per: time.Second, Burst: 3},
		"chat.scheduleMessage": {Limit: 30, Per: 5 * time.Minute, Burst: 1},
	}
}

// notRepeatable lists the methods whose repetition has an effect a person
// sees (a second message, a second modal). A failure after such a call was
// sent is ambiguous and is not retried. chat.update, views.update and
// views.publish set state and are safe to repeat.
func notRepeatable(method string) bool {
	switch method {
	case "chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage", "chat.meMessage",
		"views.open", "views.push", "conversations.create", "files.upload",
		"files.completeUploadExternal":
		return true
	}
	return false
}

// TransportConfig configures a Transport.
type TransportConfig struct {
	// Base sends the HTTP requests. Default: an http.Client with a 30 s
	// timeout.
	Base *http.Client
	// Store shares rate-limit state across replicas. Nil paces in-process.
	Store   *kv.Store
	Metrics *Metrics
	Logger  *slog.Logger
	// Clock drives the in-process limiter and Retry-After bookkeeping;
	// Redis uses its own TIME. Default: the system clock.
	Clock clock.Clock
	// Sleep waits d or until ctx ends. Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// TeamID is the workspace whose token this Transport carries: one
	// Transport per workspace, so its limits are that workspace's.
	TeamID string
	// MaxRetries bounds the retries of one call after 429s, and separately
	// after 5xx answers or network errors. Default 3.
	MaxRetries int
	// DefaultRetryAfter is the wait after a 429 without Retry-After.
	// Default 2 s.
	DefaultRetryAfter time.Duration
	// Backoff is the first wait before retrying a 5xx or network error; it
	// doubles per retry, up to 8 s. Default 500 ms.
	Backoff time.Duration
	// Rates overrides DefaultRates per method; MethodRate overrides
	// DefaultMethodRate; ChannelRates overrides DefaultChannelRates.
	Rates        map[string]Rate
	MethodRate   Rate
	ChannelRates map[string]Rate
	// RedisCooldown is how long to pace in-process after Redis failed
	// before trying Redis again. Default 1 s.
	RedisCooldown time.Duration
}

// Transport is the one path from Trellis to the Slack Web API. It
// implements slack-go's HTTP client interface, so a *slack.Client built
// with slack.OptionHTTPClient(transport) — including the socketmode
// client's apps.connections.open — sends every call through it. Do not add
// slack.OptionRetry on top: the Transport retries.
//
// Per call (the method is the last element of the URL path) it:
//
//   - refuses, with ErrInTransaction, when models.InTransaction(ctx);
//   - waits for a slot of the method's workspace-wide rate and, for
//     chat.postMessage and chat.scheduleMessage, of the channel's rate
//     (read from the form or JSON body). The buckets are GCRA state in
//     Redis, shared by every replica; when Redis fails it paces in-process;
//   - on HTTP 429 records "blocked until now + Retry-After" for the
//     workspace and method (in Redis and in-process), sends nothing of that
//     method before then — other methods keep flowing — and retries the
//     call: a 429 means Slack did not accept it;
//   - on a 5xx or a network error, retries with backoff if nothing was
//     sent (the connection failed) or the method is safe to repeat. A
//     method whose repetition a person would see (chat.postMessage,
//     chat.postEphemeral, chat.scheduleMessage, views.open, ...) that
//     failed after it was sent is not resent: Do returns an error wrapping
//     ErrAmbiguous.
//
// Waiting honours the request's context.
type Transport struct {
	base         *http.Client
	log          *slog.Logger
	metrics      *Metrics
	sleep        func(ctx context.Context, d time.Duration) error
	team         string
	maxRetries   int
	retryAfter   time.Duration
	backoff      time.Duration
	rates        map[string]Rate
	methodRate   Rate
	channelRates map[string]Rate
	limiter      *limiter
}

// NewTransport returns a Transport for cfg.
func NewTransport(cfg TransportConfig) *Transport {
	if cfg.Base == nil {
		cfg.Base = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 3
	}
	if cfg.DefaultRetryAfter <= 0 {
		cfg.DefaultRetryAfter = 2 * time.Second
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	rates := DefaultRates()
	for m, r := range cfg.Rates {
		rates[m] = r
	}
	if cfg.MethodRate.Limit <= 0 {
		cfg.MethodRate = DefaultMethodRate()
	}
	channelRates := DefaultChannelRates()
	for m, r := range cfg.ChannelRates {
		channelRates[m] = r
	}
	return &Transport{
		base:         cfg.Base,
		log:          cfg.Logger,
		metrics:      cfg.Metrics,
		sleep:        cfg.Sleep,
		team:         cfg.TeamID,
		maxRetries:   cfg.MaxRetries,
		retryAfter:   cfg.DefaultRetryAfter,
		backoff:      cfg.Backoff,
		rates:        rates,
		methodRate:   cfg.MethodRate,
		channelRates: channelRates,
		limiter:      newLimiter(cfg.Store, cfg.Metrics, cfg.Logger, cfg.Clock, cfg.RedisCooldown),
	}
}

type sendCheckKey struct{}

// WithSendCheck returns a context under which the Transport calls check
// right before each attempt of a call goes on the wire, after any wait for
// a rate-limit slot. If check returns an error the call is not sent and Do
// returns that error, wrapped. The delivery engine uses it so that a send
// whose lease ran out while it waited never reaches Slack.
func WithSendCheck(ctx context.Context, check func() error) context.Context {
	return context.WithValue(ctx, sendCheckKey{}, check)
}

// Do sends req to Slack, paced, retried and refused as the Transport's
// documentation describes.
func (t *Transport) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	method := path.Base(req.URL.Path)
	if models.InTransaction(ctx) {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		t.metrics.apiCall(method, "refused")
		t.log.ErrorContext(ctx, "slack call refused inside a database transaction", "method", method, "team", t.team)
		return nil, fmt.Errorf("%s: %w", method, ErrInTransaction)
	}
	body, err := readBody(req)
	if err != nil {
		return nil, fmt.Errorf("%s: read request body: %w", method, err)
	}
	buckets := t.buckets(req, method, body)

	var limited, failed int
	for {
		if err := t.pace(ctx, method, buckets); err != nil {
			t.metrics.apiCall(method, "canceled")
			return nil, fmt.Errorf("%s: waiting for a rate-limit slot: %w", method, err)
		}
		if check, ok := ctx.Value(sendCheckKey{}).(func() error); ok {
			// The wait for a slot may have outlasted what allows the call
			// (a delivery lease, say): ask again just before the wire.
			if err := check(); err != nil {
				t.metrics.apiCall(method, "canceled")
				return nil, fmt.Errorf("%s: not sent: %w", method, err)
			}
		}
		resp, sent, err := t.send(ctx, req, method, body)
		if err != nil {
			if ctx.Err() != nil {
				if sent && notRepeatable(method) {
					t.metrics.apiCall(method, "ambiguous")
					return nil, fmt.Errorf("%s: %w: %w", method, ErrAmbiguous, err)
				}
				t.metrics.apiCall(method, "canceled")
				return nil, err
			}
			if sent && notRepeatable(method) {
				t.metrics.apiCall(method, "ambiguous")
				t.log.WarnContext(ctx, "slack call failed after it was sent; not resending",
					"method", method, "team", t.team, "err", err)
				return nil, fmt.Errorf("%s: %w: %w", method, ErrAmbiguous, err)
			}
			if failed >= t.maxRetries {
				return nil, err
			}
			if err := t.wait(ctx, t.backoffFor(failed)); err != nil {
				return nil, err
			}
			failed++
			continue
		}

		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			wait := t.parseRetryAfter(resp.Header.Get("Retry-After"))
			t.metrics.rateLimited(method)
			t.limiter.block(ctx, t.team, method, wait)
			t.log.WarnContext(ctx, "slack rate limited", "method", method, "team", t.team, "retry_after", wait)
			if limited >= t.maxRetries {
				return resp, nil
			}
			discard(resp)
			limited++
			// The next pace waits for the block to lapse.
			continue
		case resp.StatusCode >= 500:
			if notRepeatable(method) {
				discard(resp)
				t.metrics.apiCall(method, "ambiguous")
				t.log.WarnContext(ctx, "slack answered a post with a server error; not resending",
					"method", method, "team", t.team, "status", resp.StatusCode)
				return nil, fmt.Errorf("%s: HTTP %d: %w", method, resp.StatusCode, ErrAmbiguous)
			}
			if failed >= t.maxRetries {
				return resp, nil
			}
			discard(resp)
			if err := t.wait(ctx, t.backoffFor(failed)); err != nil {
				return nil, err
			}
			failed++
			continue
		}
		return resp, nil
	}
}

// send makes one attempt. sent reports whether any of the request reached
// the wire, which decides whether a failure is ambiguous.
func (t *Transport) send(ctx context.Context, req *http.Request, method string, body []byte) (resp *http.Response, sent bool, err error) {
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		WroteHeaders: func() { wrote.Store(true) },
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	}
	r := req.Clone(httptrace.WithClientTrace(ctx, trace))
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	start := time.Now()
	resp, err = t.base.Do(r)
	t.metrics.apiLatency(method, time.Since(start).Seconds())
	if err != nil {
		t.metrics.apiCall(method, "network_error")
		t.log.DebugContext(ctx, "slack call failed", "method", method, "team", t.team,
			"sent", wrote.Load(), "err", err)
		return nil, wrote.Load(), err
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		t.metrics.apiCall(method, "ratelimited")
	case resp.StatusCode >= 500:
		t.metrics.apiCall(method, "server_error")
	case resp.StatusCode >= 300:
		t.metrics.apiCall(method, "http_error")
	default:
		t.metrics.apiCall(method, "ok")
	}
	return resp, true, nil
}

// pace waits until the call may go: for a slot in every bucket and for any
// 429 block of the method to lapse. If a block appears while it waits (a
// 429 seen by a concurrent call, here or on another replica), it takes a
// new slot after the block instead of sending into it.
func (t *Transport) pace(ctx context.Context, method string, buckets []bucket) error {
	var total time.Duration
	defer func() { t.metrics.paceWait(method, total.Seconds()) }()
	for {
		wait := t.limiter.reserve(ctx, t.team, method, buckets)
		if wait <= 0 {
			return nil
		}
		if err := t.sleep(ctx, wait); err != nil {
			return err
		}
		total += wait
		if t.limiter.blocked(ctx, t.team, method) <= 0 {
			return nil
		}
	}
}

func (t *Transport) wait(ctx context.Context, d time.Duration) error {
	if err := t.sleep(ctx, d); err != nil {
		return fmt.Errorf("waiting to retry: %w", err)
	}
	return nil
}

// buckets lists the rate-limit buckets a call of method draws from.
func (t *Transport) buckets(req *http.Request, method string, body []byte) []bucket {
	rate, ok := t.rates[method]
	if !ok {
		rate = t.methodRate
	}
	bs := []bucket{{suffix: "", rate: rate}}
	if cr, ok := t.channelRates[method]; ok {
		if ch := channelOf(req, body); ch != "" {
			bs = append(bs, bucket{suffix: "channel:" + ch, rate: cr})
		}
	}
	return bs
}

func (t *Transport) parseRetryAfter(v string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return t.retryAfter
}

func (t *Transport) backoffFor(retry int) time.Duration {
	d := t.backoff << retry
	if d > 8*time.Second || d <= 0 {
		d = 8 * time.Second
	}
	// Jitter so replicas that failed together do not retry together.
	return d/2 + rand.N(d/2+1)
}

// readBody buffers the request body once, so a retry can resend it.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	return io.ReadAll(req.Body)
}

// channelOf reads the channel a call targets from its JSON or form body, or
// its query.
func channelOf(req *http.Request, body []byte) string {
	if strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		var v struct {
			Channel string `json:"channel"`
		}
		_ = json.Unmarshal(body, &v)
		return v.Channel
	}
	if len(body) > 0 {
		if vals, err := url.ParseQuery(string(body)); err == nil {
			return vals.Get("channel")
		}
	}
	return req.URL.Query().Get("channel")
}

func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// bucket is one rate-limit bucket of a call: the method's workspace-wide
// bucket (suffix "") or a per-channel one.
type bucket struct {
	suffix string
	rate   Rate
}

// limiter paces calls with GCRA (the generic cell rate algorithm) over
// buckets shared through Redis, with an in-process twin for when Redis
// fails.
//
// A bucket's state is its theoretical arrival time (TAT). With interval
// T = Per/Limit and tolerance τ = (Burst-1)·T, a call may go at
// s = max(now, TAT − τ) and moves TAT to max(TAT, s) + T. A call drawing
// from several buckets goes at the latest of their s and updates them all,
// so no slot is wasted. Calls reserve their slot before they wait, so
// concurrent callers on every replica queue up behind each other.
//
// Redis keys (one hash tag per workspace and method, so a cluster keeps
// them in one slot):
//
//	<prefix>ratelimit:{<team>:<method>}                  TAT, Unix µs (Redis TIME)
//	<prefix>ratelimit:{<team>:<method>}:channel:<id>     per-channel TAT
//	<prefix>ratelimit:{<team>:<method>}:blocked          429 block end, Unix µs
type limiter struct {
	guard   *redisGuard
	metrics *Metrics
	log     *slog.Logger
	clk     clock.Clock

	reserveScript *redis.Script
	blockScript   *redis.Script
	blockedScript *redis.Script

	mu      sync.Mutex
	tats    map[string]time.Time
	blocks  map[string]time.Time
	lastGC  time.Time
	lastErr time.Time
}

func newLimiter(store *kv.Store, m *Metrics, log *slog.Logger, clk clock.Clock, cooldown time.Duration) *limiter {
	return &limiter{
		guard:         newRedisGuard(store, m, cooldown),
		metrics:       m,
		log:           log,
		clk:           clk,
		reserveScript: redis.NewScript(limiterReserveLua),
		blockScript:   redis.NewScript(limiterBlockLua),
		blockedScript: redis.NewScript(limiterBlockedLua),
		tats:          map[string]time.Time{},
		blocks:        map[string]time.Time{},
	}
}

const (
	// KEYS[1] = blocked key, KEYS[2..n] = bucket keys.
	// ARGV[2i-1], ARGV[2i] = interval and tolerance (µs) of KEYS[i+1].
	// Returns the wait in µs.
	limiterReserveLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local at = now
local b = tonumber(redis.call('GET', KEYS[1]) or '0')
if b and b > at then at = b end
local tats = {}
for i = 2, #KEYS do
  local tau = tonumber(ARGV[2 * (i - 1)])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  if tat < now then tat = now end
  tats[i] = tat
  if tat - tau > at then at = tat - tau end
end
for i = 2, #KEYS do
  local interval = tonumber(ARGV[2 * (i - 1) - 1])
  local tat = tats[i]
  if tat < at then tat = at end
  tat = tat + interval
  redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
end
return math.floor(at - now)
`
	// KEYS[1] = blocked key; ARGV[1] = block length (µs).
	limiterBlockLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local till = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if till > cur then
  redis.call('SET', KEYS[1], string.format('%.0f', till), 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
end
return 1
`
	// KEYS[1] = blocked key. Returns the remaining block in µs.
	limiterBlockedLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local b = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if b > now then return math.floor(b - now) end
return 0
`
)

func (l *limiter) baseKey(team, method string) string {
	return l.guard.store.Key("ratelimit", "{"+team+":"+method+"}")
}

func localKey(team, method, suffix string) string {
	return team + "\x00" + method + "\x00" + suffix
}

// reserve takes a slot in every bucket and returns how long to wait for it.
func (l *limiter) reserve(ctx context.Context, team, method string, buckets []bucket) time.Duration {
	wait := l.reserveRedis(ctx, team, method, buckets)
	if wait < 0 {
		l.metrics.redisFallback("ratelimit")
		wait = l.reserveLocal(team, method, buckets)
	}
	// A 429 seen here is honoured even if Redis lost it.
	return max(wait, l.localBlocked(team, method))
}

// reserveRedis returns -1 when Redis could not answer.
func (l *limiter) reserveRedis(ctx context.Context, team, method string, buckets []bucket) time.Duration {
	client, ok := l.guard.client()
	if !ok {
		return -1
	}
	base := l.baseKey(team, method)
	keys := []string{base + ":blocked"}
	args := make([]any, 0, 2*len(buckets))
	for _, b := range buckets {
		k := base
		if b.suffix != "" {
			k += ":" + b.suffix
		}
		keys = append(keys, k)
		interval := b.rate.interval()
		args = append(args, interval.Microseconds(), (time.Duration(max(b.rate.Burst, 1)-1) * interval).Microseconds())
	}
	us, err := l.reserveScript.Run(ctx, client, keys, args...).Int64()
	l.observe(ctx, err)
	if err != nil {
		return -1
	}
	return time.Duration(us) * time.Microsecond
}

func (l *limiter) reserveLocal(team, method string, buckets []bucket) time.Duration {
	now := l.clk.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gcLocked(now)
	at := now
	if b := l.blocks[localKey(team, method, "")]; b.After(at) {
		at = b
	}
	tats := make([]time.Time, len(buckets))
	for i, b := range buckets {
		tat := l.tats[localKey(team, method, b.suffix)]
		if tat.Before(now) {
			tat = now
		}
		tats[i] = tat
		tau := time.Duration(max(b.rate.Burst, 1)-1) * b.rate.interval()
		if s := tat.Add(-tau); s.After(at) {
			at = s
		}
	}
	for i, b := range buckets {
		tat := tats[i]
		if tat.Before(at) {
			tat = at
		}
		l.tats[localKey(team, method, b.suffix)] = tat.Add(b.rate.interval())
	}
	return at.Sub(now)
}

// block records a 429: nothing of method goes out for team before d passes.
func (l *limiter) block(ctx context.Context, team, method string, d time.Duration) {
	until := l.clk.Now().Add(d)
	l.mu.Lock()
	if k := localKey(team, method, ""); until.After(l.blocks[k]) {
		l.blocks[k] = until
	}
	l.mu.Unlock()
	client, ok := l.guard.client()
	if !ok {
		return
	}
	err := l.blockScript.Run(ctx, client, []string{l.baseKey(team, method) + ":blocked"}, d.Microseconds()).Err()
	l.observe(ctx, err)
}

// blocked returns how long method stays blocked for team.
func (l *limiter) blocked(ctx context.Context, team, method string) time.Duration {
	wait := l.localBlocked(team, method)
	client, ok := l.guard.client()
	if !ok {
		return wait
	}
	us, err := l.blockedScript.Run(ctx, client, []string{l.baseKey(team, method) + ":blocked"}).Int64()
	l.observe(ctx, err)
	if err != nil {
		return wait
	}
	return max(wait, time.Duration(us)*time.Microsecond)
}

func (l *limiter) localBlocked(team, method string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.blocks[localKey(team, method, "")].Sub(l.clk.Now())
}

func (l *limiter) observe(ctx context.Context, err error) {
	l.guard.observe(ctx, err)
	if err == nil || ctx.Err() != nil {
		return
	}
	// One warning per cool-down, not one per call.
	l.mu.Lock()
	now := time.Now()
	loud := now.Sub(l.lastErr) > time.Minute
	if loud {
		l.lastErr = now
	}
	l.mu.Unlock()
	if loud {
		l.log.WarnContext(ctx, "rate limiter: redis failed; pacing in-process", "err", err)
	}
}

// gcLocked drops local state that no longer constrains anything; l.mu must
// be held.
func (l *limiter) gcLocked(now time.Time) {
	if now.Sub(l.lastGC) < time.Minute {
		return
	}
	l.lastGC = now
	for k, v := range l.tats {
		if v.Before(now) {
			delete(l.tats, k)
		}
	}
	for k, v := range l.blocks {
		if v.Before(now) {
			delete(l.blocks, k)
		}
	}
}
