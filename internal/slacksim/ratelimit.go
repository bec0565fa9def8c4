package slacksim

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Slack's rate-limit tiers, in calls per window (one minute by default).
const (
	tier1 = 20 // Slack documents "1+"; 20 lets Socket Mode clients reconnect in tests
	tier2 = 20
	tier3 = 50
	tier4 = 100
)

// chat.postMessage: about one message a second per channel, with a burst.
const (
	channelBurst = 3
	channelRate  = time.Second
)

// limiter enforces per-method windows, the per-channel and workspace message
// limits, and injected faults. It uses real time: rate limits are transport
// behaviour, not workspace time.
type limiter struct {
	mu        sync.Mutex
	window    time.Duration
	capPerWin int
	overrides map[string]int
	hits      map[string][]time.Time
	buckets   map[string]*bucket
	capHits   []time.Time
	faults    []*faultRule
	// hangs holds, per method (or "*"), a channel closed when its hang
	// fault is cleared.
	hangs map[string]chan struct{}
}

type bucket struct {
	tokens float64
	at     time.Time
}

type faultRule struct {
	Fault
	hold time.Duration
	seen int
}

// faultHit is what an injected fault does to one call: the HTTP status of
// its error (0: the call's own answer), a 429's Retry-After, whether the
// call takes effect first, and how long its answer is held back.
type faultHit struct {
	status      int
	retryAfter  int
	afterEffect bool
	hold        time.Duration
}

func newLimiter(window time.Duration, msgCap int) *limiter {
	return &limiter{
		window:    window,
		capPerWin: msgCap,
		overrides: map[string]int{},
		hits:      map[string][]time.Time{},
		buckets:   map[string]*bucket{},
		hangs:     map[string]chan struct{}{},
	}
}

// retrySeconds turns a wait into a Retry-After value: whole seconds, at
// least one.
func retrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// allow counts one call to method against its per-window limit.
func (l *limiter) allow(method string, limit int, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if o, ok := l.overrides[method]; ok {
		limit = o
	}
	if limit <= 0 {
		return true, 0
	}
	h := pruneBefore(l.hits[method], now.Add(-l.window))
	if len(h) >= limit {
		l.hits[method] = h
		return false, retrySeconds(h[len(h)-limit].Add(l.window).Sub(now))
	}
	l.hits[method] = append(h, now)
	return true, 0
}

// allowMessage applies chat.postMessage's per-channel burst and the
// workspace cap. perChannel reports which of the two refused.
func (l *limiter) allowMessage(channel string, now time.Time) (ok bool, retryAfter int, perChannel bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[channel]
	if b == nil {
		b = &bucket{tokens: channelBurst, at: now}
		l.buckets[channel] = b
	}
	b.tokens = math.Min(channelBurst, b.tokens+float64(now.Sub(b.at))/float64(channelRate))
	b.at = now
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) * float64(channelRate))
		return false, retrySeconds(wait), true
	}
	l.capHits = pruneBefore(l.capHits, now.Add(-l.window))
	if len(l.capHits) >= l.capPerWin {
		return false, retrySeconds(l.capHits[len(l.capHits)-l.capPerWin].Add(l.window).Sub(now)), false
	}
	b.tokens--
	l.capHits = append(l.capHits, now)
	return true, 0, false
}

func pruneBefore(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cutoff) {
		i++
	}
	return ts[i:]
}

// setLimits changes the workspace message cap, per-method overrides and the
// window length.
func (l *limiter) setLimits(in Limits, window time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if in.MessageCapPerMinute > 0 {
		l.capPerWin = in.MessageCapPerMinute
	}
	for m, n := range in.Methods {
		if n < 0 {
			delete(l.overrides, m)
			continue
		}
		l.overrides[m] = n
	}
	if window > 0 {
		l.window = window
	}
	if in.Reset {
		l.hits = map[string][]time.Time{}
		l.buckets = map[string]*bucket{}
		l.capHits = nil
	}
}

func (l *limiter) addFault(f Fault, hold time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.faults = append(l.faults, &faultRule{Fault: f, hold: hold})
}

func (l *limiter) clearFaults(method string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for m, ch := range l.hangs {
		if method == "" || m == method {
			close(ch)
			delete(l.hangs, m)
		}
	}
	if method == "" {
		l.faults = nil
		return
	}
	l.faults = slices.DeleteFunc(l.faults, func(r *faultRule) bool { return r.Method == method })
}

// addHang holds every call to method from now on until its faults are
// cleared.
func (l *limiter) addHang(method string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.hangs[method]; !ok {
		l.hangs[method] = make(chan struct{})
	}
}

// hang returns a channel that is closed when a call to method may be
// served, or nil when no hang holds it.
func (l *limiter) hang(method string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ch, ok := l.hangs[method]; ok {
		return ch
	}
	return l.hangs["*"]
}

// fault reports whether an injected fault answers this call to method,
// and what it does to it.
func (l *limiter) fault(method string) (faultHit, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, r := range l.faults {
		if r.Method != method && r.Method != "*" {
			continue
		}
		r.seen++
		hit := faultHit{status: r.Status, retryAfter: r.RetryAfter, afterEffect: r.AfterEffect || r.Status == 0, hold: r.hold}
		switch {
		case r.Next > 0:
			r.Next--
			if r.Next == 0 {
				l.faults = slices.Delete(l.faults, i, i+1)
			}
			return hit, true
		case r.Every > 0 && r.seen%r.Every == 0:
			return hit, true
		}
	}
	return faultHit{}, false
}

// callLog records every Web API call so tests can check the bot's manners.
type callLog struct {
	mu      sync.Mutex
	calls   []Call
	blocked map[string]block // method or method#channel → the last 429's wait
}

// block is the wait a 429 asked for: from when the 429 was answered (the
// bot cannot know of it earlier) until its Retry-After ends.
type block struct{ from, until time.Time }

// covers reports whether a call arriving at t came inside the wait.
func (b block) covers(t time.Time) bool { return !t.Before(b.from) && t.Before(b.until) }

const maxCalls = 20000

func newCallLog() *callLog { return &callLog{blocked: map[string]block{}} }

func (c *callLog) add(call Call, perChannel bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := call.Method
	chKey := call.Method + "#" + call.Channel
	if b, ok := c.blocked[key]; ok && b.covers(call.Time) {
		call.EarlyRetry = true
	}
	if b, ok := c.blocked[chKey]; ok && b.covers(call.Time) {
		call.EarlyRetry = true
	}
	if call.Status == 429 && call.RetryAfter > 0 {
		// The bot learns of the 429 when it is answered; its Retry-After
		// counts from then.
		answered := call.Answered
		if answered.IsZero() {
			answered = time.Now()
		}
		b := block{from: answered, until: answered.Add(time.Duration(call.RetryAfter) * time.Second)}
		if perChannel {
			c.blocked[chKey] = b
		} else {
			c.blocked[key] = b
		}
	}
	c.calls = append(c.calls, call)
	if len(c.calls) > maxCalls {
		c.calls = slices.Clone(c.calls[len(c.calls)-maxCalls/2:])
	}
}

func (c *callLog) list(method string) []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []Call{}
	for _, call := range c.calls {
		if method == "" || call.Method == method {
			out = append(out, call)
		}
	}
	return out
}

func (c *callLog) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = nil
	c.blocked = map[string]block{}
}

// deliveryLog records every attempt to deliver something to the bot.
type deliveryLog struct {
	mu   sync.Mutex
	list []Delivery
}

func newDeliveryLog() *deliveryLog { return &deliveryLog{} }

func (d *deliveryLog) add(x Delivery) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.list = append(d.list, x)
	if len(d.list) > maxCalls {
		d.list = slices.Clone(d.list[len(d.list)-maxCalls/2:])
	}
}

func (d *deliveryLog) all() []Delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Delivery{}, d.list...)
}
