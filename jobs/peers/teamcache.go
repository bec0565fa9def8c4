package peers

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/kv"
)

// redisCooldown is how long the team cache leaves Redis alone after it
// failed, so that a hung Redis does not add its timeout to every round.
const redisCooldown = 30 * time.Second

// teamCache keeps each person's team, as their profile field said it,
// for a while: in Redis when there is one, so that every replica shares
// what one read, and always in this process, so that a dead Redis only
// costs the sharing. A person on no team is kept too (as ""), so that
// people without the field are not read again every round.
type teamCache struct {
	store *kv.Store // nil: this process only
	ttl   time.Duration
	clock clock.Clock

	mu        sync.Mutex
	local     map[string]cachedTeam // cacheKey → team
	pruneAt   int                   // prune local's expired entries past this size
	skipUntil time.Time             // Redis failed: leave it alone until then
}

type cachedTeam struct {
	team  string
	until time.Time
}

func newTeamCache(store *kv.Store, ttl time.Duration, clk clock.Clock) *teamCache {
	return &teamCache{store: store, ttl: ttl, clock: clk, local: map[string]cachedTeam{}, pruneAt: 1024}
}

// cacheKey names one person's team by one field of one workspace. Slack
// ids hold no colon, so the user, last, cannot blur into the field.
func cacheKey(ws, field, user string) string {
	return strings.Join([]string{"peers", "team", ws, strings.ToLower(field), user}, ":")
}

// get returns the teams of users it knows and will still know at at (now,
// or later to ask what a round opening then will find), user → team (""
// for none).
func (c *teamCache) get(ctx context.Context, ws, field string, users []string, at time.Time) map[string]string {
	now := c.clock.Now()
	out := map[string]string{}
	var missing []string
	c.mu.Lock()
	for _, u := range users {
		if e, ok := c.local[cacheKey(ws, field, u)]; ok && at.Before(e.until) {
			out[u] = e.team
		} else {
			missing = append(missing, u)
		}
	}
	c.mu.Unlock()
	rc, ok := c.redis()
	if !ok || len(missing) == 0 {
		return out
	}
	pipe := rc.Pipeline()
	cmds := make([]*redis.StringCmd, len(missing))
	for i, u := range missing {
		cmds[i] = pipe.Get(ctx, c.store.Key(cacheKey(ws, field, u)))
	}
	_, err := pipe.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		c.failed(ctx, err)
		return out
	}
	c.observe(nil)
	found := map[string]cachedTeam{}
	for i, u := range missing {
		v, err := cmds[i].Result()
		if err != nil {
			continue
		}
		if e, ok := parseCached(v); ok && now.Before(e.until) {
			found[u] = e
			if at.Before(e.until) {
				out[u] = e.team
			}
		}
	}
	// What another replica read is kept here too, until it expires.
	c.putLocal(ws, field, found, now)
	return out
}

// Redis keeps a team as "<expiry, Unix seconds> <team>": the expiry
// follows the injected clock (the sandbox's moves), and Redis's own TTL
// only clears the key away.
func (e cachedTeam) encode() string { return strconv.FormatInt(e.until.Unix(), 10) + " " + e.team }

func parseCached(v string) (cachedTeam, bool) {
	at, team, ok := strings.Cut(v, " ")
	sec, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil {
		return cachedTeam{}, false
	}
	return cachedTeam{team: team, until: time.Unix(sec, 0)}, true
}

// put keeps teams, user → team ("" for none).
func (c *teamCache) put(ctx context.Context, ws, field string, teams map[string]string) {
	if len(teams) == 0 {
		return
	}
	now := c.clock.Now()
	entries := map[string]cachedTeam{}
	for u, team := range teams {
		entries[u] = cachedTeam{team: team, until: now.Add(c.ttl)}
	}
	c.putLocal(ws, field, entries, now)
	rc, ok := c.redis()
	if !ok {
		return
	}
	pipe := rc.Pipeline()
	for u, e := range entries {
		pipe.Set(ctx, c.store.Key(cacheKey(ws, field, u)), e.encode(), c.ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		c.failed(ctx, err)
		return
	}
	c.observe(nil)
}

func (c *teamCache) putLocal(ws, field string, entries map[string]cachedTeam, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for u, e := range entries {
		c.local[cacheKey(ws, field, u)] = e
	}
	if len(c.local) <= c.pruneAt {
		return
	}
	for k, e := range c.local {
		if !now.Before(e.until) {
			delete(c.local, k)
		}
	}
	c.pruneAt = max(1024, 2*len(c.local))
}

// redis returns the Redis client unless there is none or it failed
// within the cool-down.
func (c *teamCache) redis() (redis.UniversalClient, bool) {
	if c.store == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.clock.Now().Before(c.skipUntil) {
		return nil, false
	}
	return c.store.Client, true
}

// failed records a Redis failure, unless it was the caller's own context
// ending, which says nothing of Redis.
func (c *teamCache) failed(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	c.observe(err)
	c.mu.Lock()
	c.skipUntil = c.clock.Now().Add(redisCooldown)
	c.mu.Unlock()
}

func (c *teamCache) observe(err error) { c.store.Observe(err) }
