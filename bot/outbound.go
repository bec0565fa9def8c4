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
	"github.com/trellis-bot/trellis/internal/txn"
	"github.com/trellis-bot/trellis/kv"
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
//
// A caller reserves its slot in the bucket before it waits for it, so
// concurrent callers queue up behind each other; but never further ahead
// than the horizon: four intervals, at least 2 s and at most a minute (but
// never less than one interval), of the slowest bucket the call draws
// from. A caller whose slot would lie beyond the horizon waits without
// reserving and asks again, so a bucket never stands more than that far
// ahead, however many callers asked and whether or not they lived to use
// their slot: with the default rates, a minute for apps.connections.open,
// a few seconds for most methods.
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

// Bounds of a bucket's horizon; see Rate.
const (
	minHorizon = 2 * time.Second
	maxHorizon = time.Minute
)

// horizon is how far ahead of now a caller may hold a slot in the bucket:
// after any reservation, the bucket's next free slot is at most this far
// away.
func (r Rate) horizon() time.Duration {
	iv := r.interval()
	return max(iv, min(maxHorizon, max(minHorizon, 4*iv)))
}

// tolerance is GCRA's τ: how far ahead of its theoretical arrival time a
// call may go, which is what lets Burst calls through back to back.
func (r Rate) tolerance() time.Duration {
	return time.Duration(max(r.Burst, 1)-1) * r.interval()
}

// MaxRetryAfter caps the wait a 429's Retry-After imposes: a longer (or
// garbled) header is taken as this long, so one bad answer cannot lock a
// method out for days.
const MaxRetryAfter = time.Hour

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
	// Default 2 s. A Retry-After above MaxRetryAfter counts as
	// MaxRetryAfter.
	DefaultRetryAfter time.Duration
	// Backoff is the first wait before retrying a 5xx or network error; it
	// doubles per retry, up to 8 s. Default 500 ms.
	Backoff time.Duration
	// Rates overrides DefaultRates per method; MethodRate overrides
	// DefaultMethodRate; ChannelRates overrides DefaultChannelRates. Each
	// bucket holds reservations no further ahead than its horizon (see
	// Rate); a slot a caller reserved but gave up on before sending (its
	// context ended, or WithSendCheck refused) is given back when no one
	// has reserved after it.
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
//   - refuses, with ErrInTransaction, when ctx is inside a database
//     transaction (txn.Inside);
//   - waits for a slot of the method's workspace-wide rate and, for
//     chat.postMessage and chat.scheduleMessage, of the channel's rate
//     (read from the form or JSON body). The buckets are GCRA state in
//     Redis, shared by every replica; when Redis fails it paces in-process.
//     No slot is reserved beyond the bucket's horizon (see Rate), so a
//     replica that dies while it waits holds up the others by at most that;
//   - on HTTP 429 records "blocked until now + Retry-After" (at most
//     MaxRetryAfter) for the workspace and method (in Redis and
//     in-process), sends nothing of that
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
	if txn.Inside(ctx) {
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
		slot, err := t.pace(ctx, method, buckets)
		if err != nil {
			t.metrics.apiCall(method, "canceled")
			return nil, fmt.Errorf("%s: waiting for a rate-limit slot: %w", method, err)
		}
		if check, ok := ctx.Value(sendCheckKey{}).(func() error); ok {
			// The wait for a slot may have outlasted what allows the call
			// (a delivery lease, say): ask again just before the wire.
			if err := check(); err != nil {
				t.limiter.release(ctx, slot)
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
// 429 block of the method to lapse, and returns the slot it took. While
// the next slot lies beyond the buckets' horizon it waits without holding
// one and asks again. If a block appears while it waits for a slot (a 429
// seen by a concurrent call, here or on another replica), it gives the
// slot back and queues after the block instead of sending into it. A slot
// it gave up on because ctx ended is given back too.
//
// Every decision to send rests on what the limiter answered after the
// last wait ended, so a block recorded before that is always seen.
func (t *Transport) pace(ctx context.Context, method string, buckets []bucket) (*reservation, error) {
	var total time.Duration
	defer func() { t.metrics.paceWait(method, total.Seconds()) }()
	for {
		wait, slot := t.limiter.reserve(ctx, t.team, method, buckets)
		if slot == nil {
			// Beyond the horizon: hold nothing while waiting.
			wait = max(wait, time.Millisecond)
		} else if wait <= 0 {
			return slot, nil
		}
		if err := t.sleep(ctx, wait); err != nil {
			t.limiter.release(context.WithoutCancel(ctx), slot)
			return nil, err
		}
		total += wait
		if slot == nil {
			continue
		}
		if t.limiter.blocked(ctx, t.team, method) <= 0 {
			return slot, nil
		}
		t.limiter.release(ctx, slot)
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

// parseRetryAfter reads a 429's Retry-After (whole seconds), capped at
// MaxRetryAfter; a missing or unreadable header gives the default wait.
func (t *Transport) parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if s, err := strconv.ParseUint(v, 10, 64); err == nil {
		return time.Duration(min(s, uint64(MaxRetryAfter/time.Second))) * time.Second
	}
	if v != "" && strings.Trim(v, "0123456789") == "" {
		return MaxRetryAfter // all digits, too many for a uint64
	}
	return min(t.retryAfter, MaxRetryAfter)
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

// callHorizon is how far ahead a call drawing from buckets may hold its
// slot: the longest horizon among them, so that a slow per-channel pace
// can still queue a few calls; a faster bucket reserved with it (the
// method's workspace-wide one) stands at most that far ahead too.
func callHorizon(buckets []bucket) time.Duration {
	var h time.Duration
	for _, b := range buckets {
		h = max(h, b.rate.horizon())
	}
	return h
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
// concurrent callers on every replica queue up behind each other — but
// only while the slot and every bucket's next free slot, TAT − τ after the
// update, stay within the call's horizon H of now (callHorizon).
// Otherwise nothing is written and the caller is told how long until its
// reservation would fit. So a bucket never stands more than H ahead, even
// if every caller that reserved died before its slot came. Check and reservation are one Lua
// script (or one critical section in-process), so concurrent callers
// cannot both pass the check and then overshoot together.
//
// A reservation remembers each bucket's TAT before and after it; giving it
// back restores the old TAT only where the bucket still holds the new one
// (no one reserved after it), so it can never free a slot someone else
// holds.
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
	releaseScript *redis.Script
	blockScript   *redis.Script
	blockedScript *redis.Script

	mu      sync.Mutex
	tats    map[string]time.Time
	blocks  map[string]time.Time
	lastGC  time.Time
	lastErr time.Time
}

// reservation is a slot a caller holds in every bucket of its call: in
// Redis (keys, TATs in µs) or in-process (localKeys, TATs as times).
type reservation struct {
	keys         []string
	before, tats []int64

	localKeys              []string
	localBefore, localTats []time.Time
}

func newLimiter(store *kv.Store, m *Metrics, log *slog.Logger, clk clock.Clock, cooldown time.Duration) *limiter {
	return &limiter{
		guard:         newRedisGuard(store, m, cooldown),
		metrics:       m,
		log:           log,
		clk:           clk,
		reserveScript: redis.NewScript(limiterReserveLua),
		releaseScript: redis.NewScript(limiterReleaseLua),
		blockScript:   redis.NewScript(limiterBlockLua),
		blockedScript: redis.NewScript(limiterBlockedLua),
		tats:          map[string]time.Time{},
		blocks:        map[string]time.Time{},
	}
}

const (
	// KEYS[1] = blocked key, KEYS[2..n] = bucket keys.
	// ARGV[1] = a block known in-process only (µs from now, 0 for none);
	// ARGV[2] = the call's horizon (µs); ARGV[2i+1], ARGV[2i+2] = interval
	// and tolerance (µs) of KEYS[i+1].
	// Returns {wait µs, 0} when the slot lies beyond the horizon (nothing
	// written), or {wait µs, 1, TAT before, TAT after, ...} per bucket.
	limiterReserveLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local horizon = tonumber(ARGV[2])
local at = now + tonumber(ARGV[1])
local b = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if b > at then at = b end
local olds, tats = {}, {}
for i = 2, #KEYS do
  local tau = tonumber(ARGV[2 * i])
  local old = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  local tat = old
  if tat < now then tat = now end
  olds[i] = old
  tats[i] = tat
  if tat - tau > at then at = tat - tau end
end
local over = at - now - horizon
for i = 2, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local tau = tonumber(ARGV[2 * i])
  local tat = tats[i]
  if tat < at then tat = at end
  tats[i] = tat + interval
  local beyond = tats[i] - tau - now - horizon
  if beyond > over then over = beyond end
end
if over > 0 then
  return {math.ceil(over), 0}
end
local out = {math.floor(at - now), 1}
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX', math.ceil((tats[i] - now) / 1000) + 1000)
  table.insert(out, olds[i])
  table.insert(out, tats[i])
end
return out
`
	// KEYS = bucket keys; ARGV[2i-1], ARGV[2i] = TAT before and after the
	// reservation in KEYS[i] (µs). Restores a bucket only if it still
	// holds the reservation's TAT.
	limiterReleaseLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 1, #KEYS do
  local before = tonumber(ARGV[2 * i - 1])
  local after = tonumber(ARGV[2 * i])
  local cur = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  if cur == after then
    if before > now then
      redis.call('SET', KEYS[i], string.format('%.0f', before), 'PX', math.ceil((before - now) / 1000) + 1000)
    else
      redis.call('DEL', KEYS[i])
    end
  end
end
return 1
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

// reserve asks for a slot in every bucket. It returns the slot and how
// long until it comes, or, when the slot would lie beyond the call's
// horizon, no slot and how long to wait before asking again.
func (l *limiter) reserve(ctx context.Context, team, method string, buckets []bucket) (time.Duration, *reservation) {
	// A 429 seen here is honoured even if Redis lost it.
	localBlock := max(l.localBlocked(team, method), 0)
	wait, slot, ok := l.reserveRedis(ctx, team, method, buckets, localBlock)
	if !ok {
		l.metrics.redisFallback("ratelimit")
		wait, slot = l.reserveLocal(team, method, buckets)
	}
	return wait, slot
}

// reserveRedis reports ok false when Redis could not answer.
func (l *limiter) reserveRedis(ctx context.Context, team, method string, buckets []bucket, localBlock time.Duration) (time.Duration, *reservation, bool) {
	client, ok := l.guard.client()
	if !ok {
		return 0, nil, false
	}
	base := l.baseKey(team, method)
	keys := []string{base + ":blocked"}
	args := make([]any, 0, 2+2*len(buckets))
	args = append(args, localBlock.Microseconds(), callHorizon(buckets).Microseconds())
	for _, b := range buckets {
		k := base
		if b.suffix != "" {
			k += ":" + b.suffix
		}
		keys = append(keys, k)
		args = append(args, b.rate.interval().Microseconds(), b.rate.tolerance().Microseconds())
	}
	out, err := l.reserveScript.Run(ctx, client, keys, args...).Int64Slice()
	l.observe(ctx, err)
	if err == nil && (len(out) < 2 || (out[1] == 1 && len(out) != 2+2*len(buckets))) {
		err = fmt.Errorf("rate limiter: unexpected reply %v", out)
		l.log.ErrorContext(ctx, "rate limiter: bad reply from redis", "err", err)
	}
	if err != nil {
		return 0, nil, false
	}
	wait := time.Duration(out[0]) * time.Microsecond
	if out[1] == 0 {
		return wait, nil, true
	}
	slot := &reservation{keys: keys[1:]}
	for i := range buckets {
		slot.before = append(slot.before, out[2+2*i])
		slot.tats = append(slot.tats, out[3+2*i])
	}
	return wait, slot, true
}

func (l *limiter) reserveLocal(team, method string, buckets []bucket) (time.Duration, *reservation) {
	now := l.clk.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gcLocked(now)
	at := now
	if b := l.blocks[localKey(team, method, "")]; b.After(at) {
		at = b
	}
	slot := &reservation{}
	tats := make([]time.Time, len(buckets))
	for i, b := range buckets {
		k := localKey(team, method, b.suffix)
		old := l.tats[k]
		tat := old
		if tat.Before(now) {
			tat = now
		}
		slot.localKeys = append(slot.localKeys, k)
		slot.localBefore = append(slot.localBefore, old)
		tats[i] = tat
		if s := tat.Add(-b.rate.tolerance()); s.After(at) {
			at = s
		}
	}
	horizon := callHorizon(buckets)
	over := at.Sub(now) - horizon
	for i, b := range buckets {
		tat := tats[i]
		if tat.Before(at) {
			tat = at
		}
		tats[i] = tat.Add(b.rate.interval())
		over = max(over, tats[i].Add(-b.rate.tolerance()).Sub(now)-horizon)
	}
	if over > 0 {
		return over, nil
	}
	for i, k := range slot.localKeys {
		l.tats[k] = tats[i]
	}
	slot.localTats = tats
	return at.Sub(now), slot
}

// release gives back a slot its caller will not use, in every bucket
// where no one has reserved after it. A nil slot is ignored.
func (l *limiter) release(ctx context.Context, slot *reservation) {
	if slot == nil {
		return
	}
	if len(slot.localKeys) > 0 {
		l.mu.Lock()
		for i, k := range slot.localKeys {
			if l.tats[k].Equal(slot.localTats[i]) {
				l.tats[k] = slot.localBefore[i]
			}
		}
		l.mu.Unlock()
	}
	if len(slot.keys) == 0 {
		return
	}
	client, ok := l.guard.client()
	if !ok {
		return
	}
	args := make([]any, 0, 2*len(slot.keys))
	for i := range slot.keys {
		args = append(args, slot.before[i], slot.tats[i])
	}
	err := l.releaseScript.Run(ctx, client, slot.keys, args...).Err()
	l.observe(ctx, err)
}

// block records a 429: nothing of method goes out for team before d passes.
func (l *limiter) block(ctx context.Context, team, method string, d time.Duration) {
	d = min(d, MaxRetryAfter)
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
