package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/kv"
)

// Deduper drops repeated deliveries of one Slack event, command or
// interaction across replicas.
//
// Slack retries an event it thinks failed, and any replica may receive any
// copy, so a claim lives in Redis: Begin claims a key for a short time while
// the handler runs, Finish marks it done for DoneTTL (15 minutes, longer than
// Slack's last retry at +5 min), and Abort releases the claim after a failure
// so that Slack's next retry — which may be the only copy left — can run.
// A claim that is never finished (the process died) lapses after
// InProgressTTL for the same reason.
//
// Redis is an accelerator here: when it fails, the Deduper falls back to an
// in-process map (bounded, with the same TTLs), reports the failure through
// kv.Store.Observe, and keeps deduplicating what this replica sees. Every
// claim is also recorded locally, so a retry that reaches this replica while
// Redis is down is still recognised.
type Deduper struct {
	guard         *redisGuard
	log           *slog.Logger
	metrics       *Metrics
	clk           clock.Clock
	inProgressTTL time.Duration
	doneTTL       time.Duration
	local         *localClaims

	beginScript  *redis.Script
	finishScript *redis.Script
	abortScript  *redis.Script

	mu     sync.Mutex
	tokens map[string]string // key → token of a claim this process holds in Redis
}

// DeduperConfig configures a Deduper. Only Store may be nil, which makes the
// Deduper purely local (one replica only). An embedded Store (kv.Open with
// no URL) is not used either: it lives in this process only, so a claim in
// it is shared with no one, and the local record already holds every claim;
// skipping it spares the default install two Lua scripts on every request.
type DeduperConfig struct {
	Store   *kv.Store
	Logger  *slog.Logger
	Metrics *Metrics
	// Clock drives the local fallback's expiry; Redis uses its own TIME.
	// Defaults to the system clock.
	Clock clock.Clock
	// InProgressTTL bounds how long a claim blocks retries when its owner
	// never finishes. Default 30 s.
	InProgressTTL time.Duration
	// DoneTTL is how long a handled key is remembered. Default 15 min.
	DoneTTL time.Duration
	// LocalSize bounds the in-process fallback map. Default 100,000 keys.
	LocalSize int
	// RedisCooldown is how long to skip Redis after it failed before trying
	// it again. Default 1 s.
	RedisCooldown time.Duration
}

// NewDeduper returns a Deduper for cfg.
func NewDeduper(cfg DeduperConfig) *Deduper {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.InProgressTTL <= 0 {
		cfg.InProgressTTL = 30 * time.Second
	}
	if cfg.DoneTTL <= 0 {
		cfg.DoneTTL = 15 * time.Minute
	}
	if cfg.LocalSize <= 0 {
		cfg.LocalSize = 100_000
	}
	if cfg.Store != nil && cfg.Store.Embedded() {
		cfg.Store = nil
	}
	return &Deduper{
		guard:         newRedisGuard(cfg.Store, cfg.Metrics, cfg.RedisCooldown),
		log:           cfg.Logger,
		metrics:       cfg.Metrics,
		clk:           cfg.Clock,
		inProgressTTL: cfg.InProgressTTL,
		doneTTL:       cfg.DoneTTL,
		local:         newLocalClaims(cfg.LocalSize),
		beginScript:   redis.NewScript(dedupeBeginLua),
		finishScript:  redis.NewScript(dedupeFinishLua),
		abortScript:   redis.NewScript(dedupeAbortLua),
		tokens:        map[string]string{},
	}
}

// Redis values are "<owner>|<expiry in Unix ms>"; owner is a claim token or
// "done". The expiry is kept in the value as well as in PX because the
// embedded Redis does not expire keys on its own.
const (
	dedupeBeginLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('GET', KEYS[1])
if v then
  local sep = string.find(v, '|', 1, true)
  if sep then
    local exp = tonumber(string.sub(v, sep + 1))
    if exp and exp > now then
      if string.sub(v, 1, sep - 1) == 'done' then
        return 0
      end
      return 2
    end
  end
end
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. string.format('%.0f', now + ttl), 'PX', ttl)
return 1
`
	dedupeFinishLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
redis.call('SET', KEYS[1], 'done|' .. string.format('%.0f', now + ttl), 'PX', ttl)
return 1
`
	dedupeAbortLua = `
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '|' then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`
)

// Seen says what Claim found of a delivery's key.
type Seen int

// What a delivery's key can be.
const (
	// New: nobody handles or handled the key; the caller does.
	New Seen = iota
	// Handled: a delivery of the key was handled within DoneTTL.
	Handled
	// InProgress: a delivery of the key is being handled, here or on
	// another replica, which may still fail or die before it is done.
	InProgress
)

// Begin claims key. It returns true when the caller should handle the
// delivery, false when another delivery of the same key is being handled or
// was handled within DoneTTL. A caller that got true must call Finish or
// Abort.
func (d *Deduper) Begin(ctx context.Context, key string) (proceed bool) {
	return d.Claim(ctx, key) == New
}

// Claim claims key, like Begin, and says what it found: New (the caller
// handles the delivery, then calls Finish or Abort), Handled, or
// InProgress. A delivery found in progress is not known to be handled: its
// handler may yet fail, or its replica die.
func (d *Deduper) Claim(ctx context.Context, key string) Seen {
	now := d.clk.Now()
	if seen := d.local.claim(key, now, d.inProgressTTL); seen != New {
		d.metrics.dedupeHit("local")
		return seen
	}
	client, ok := d.guard.client()
	if !ok {
		d.metrics.redisFallback("dedupe")
		return New
	}
	token := uuid.NewString()
	res, err := d.beginScript.Run(ctx, client, []string{d.redisKey(key)},
		token, d.inProgressTTL.Milliseconds()).Int()
	d.guard.observe(ctx, err)
	if err != nil {
		d.log.WarnContext(ctx, "dedupe: redis failed; deduplicating locally", "key", key, "err", err)
		d.metrics.redisFallback("dedupe")
		return New
	}
	if res != 1 {
		// Another replica holds or finished it. Forget the local claim so a
		// retry that comes here after that replica aborts can still run.
		d.local.release(key)
		d.metrics.dedupeHit("redis")
		if res == 0 {
			return Handled
		}
		return InProgress
	}
	d.mu.Lock()
	d.tokens[key] = token
	d.mu.Unlock()
	return New
}

// Finish marks key as handled for DoneTTL.
func (d *Deduper) Finish(ctx context.Context, key string) {
	d.local.finish(key, d.clk.Now(), d.doneTTL)
	d.takeToken(key)
	client, ok := d.guard.client()
	if !ok {
		return
	}
	err := d.finishScript.Run(ctx, client, []string{d.redisKey(key)}, d.doneTTL.Milliseconds()).Err()
	d.guard.observe(ctx, err)
	if err != nil {
		d.log.WarnContext(ctx, "dedupe: redis failed to record a handled key", "key", key, "err", err)
	}
}

// Abort releases a claim taken by Begin, so that a later delivery of key is
// handled. It only removes the claim this Deduper took: if that claim lapsed
// and another replica claimed the key since, the other claim stays.
func (d *Deduper) Abort(ctx context.Context, key string) {
	d.local.release(key)
	token, held := d.takeToken(key)
	if !held {
		return
	}
	client, ok := d.guard.client()
	if !ok {
		return
	}
	err := d.abortScript.Run(ctx, client, []string{d.redisKey(key)}, token).Err()
	d.guard.observe(ctx, err)
	if err != nil {
		d.log.WarnContext(ctx, "dedupe: redis failed to release a claim", "key", key, "err", err)
	}
}

func (d *Deduper) takeToken(key string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tokens[key]
	delete(d.tokens, key)
	return t, ok
}

func (d *Deduper) redisKey(key string) string {
	return d.guard.store.Key("dedupe", key)
}

// localClaims is the in-process fallback: a bounded map of keys with
// expiries, oldest evicted first when full.
type localClaims struct {
	max int

	mu      sync.Mutex
	entries map[string]localClaim
	order   []orderedKey // insertion order, possibly with stale entries
	seq     uint64
}

type localClaim struct {
	until time.Time
	done  bool
	seq   uint64
}

type orderedKey struct {
	key string
	seq uint64
}

func newLocalClaims(max int) *localClaims {
	return &localClaims{max: max, entries: map[string]localClaim{}}
}

// claim records key as in progress unless a live entry exists, and says
// what it found.
func (l *localClaims) claim(key string, now time.Time, ttl time.Duration) Seen {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.entries[key]; ok && now.Before(e.until) {
		if e.done {
			return Handled
		}
		return InProgress
	}
	l.put(key, localClaim{until: now.Add(ttl)}, now)
	return New
}

func (l *localClaims) finish(key string, now time.Time, ttl time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.put(key, localClaim{until: now.Add(ttl), done: true}, now)
}

func (l *localClaims) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, key)
}

// put stores e under key; l.mu must be held.
func (l *localClaims) put(key string, e localClaim, now time.Time) {
	l.seq++
	e.seq = l.seq
	l.entries[key] = e
	l.order = append(l.order, orderedKey{key: key, seq: e.seq})
	if len(l.order) > 2*l.max {
		l.compact(now)
	}
	for len(l.entries) > l.max && len(l.order) > 0 {
		k := l.order[0]
		l.order = l.order[1:]
		if cur, ok := l.entries[k.key]; ok && cur.seq == k.seq {
			delete(l.entries, k.key)
		}
	}
}

// compact drops expired entries and stale order records; l.mu must be held.
func (l *localClaims) compact(now time.Time) {
	order := make([]orderedKey, 0, len(l.entries))
	for _, k := range l.order {
		cur, ok := l.entries[k.key]
		if !ok || cur.seq != k.seq {
			continue
		}
		if !now.Before(cur.until) {
			delete(l.entries, k.key)
			continue
		}
		order = append(order, k)
	}
	l.order = order
}

// redisGuard gives callers that fall back in-process when Redis fails a
// client to use, or none. After a failure it skips Redis for a short
// cool-down so that a hung Redis does not add its timeout to every ack or
// every Slack call; then it tries again, so recovery needs no restart.
type redisGuard struct {
	store    *kv.Store
	metrics  *Metrics
	cooldown time.Duration

	mu        sync.Mutex
	skipUntil time.Time
}

func newRedisGuard(store *kv.Store, m *Metrics, cooldown time.Duration) *redisGuard {
	if cooldown <= 0 {
		cooldown = time.Second
	}
	return &redisGuard{store: store, metrics: m, cooldown: cooldown}
}

// client returns the Redis client unless there is no store or Redis failed
// within the cool-down.
func (g *redisGuard) client() (redis.UniversalClient, bool) {
	if g.store == nil {
		return nil, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if time.Now().Before(g.skipUntil) {
		return nil, false
	}
	return g.store.Client, true
}

// observe records the outcome of a Redis call made with ctx. A failure
// caused by the caller's own cancellation says nothing about Redis.
func (g *redisGuard) observe(ctx context.Context, err error) {
	if err != nil && !errors.Is(err, redis.Nil) && ctx.Err() != nil {
		return
	}
	g.store.Observe(err)
	healthy := err == nil || errors.Is(err, redis.Nil)
	g.metrics.SetRedisUp(healthy)
	if !healthy {
		g.mu.Lock()
		g.skipUntil = time.Now().Add(g.cooldown)
		g.mu.Unlock()
	}
}
