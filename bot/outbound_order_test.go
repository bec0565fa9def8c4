package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"sync"
	"time"
)

// sendOrder watches several Transports of one test from the inside (their
// Base client and their Sleep), in one process and under one mutex, and
// finds every request that left while a 429 block it must have known of
// was still running.
//
// A request in flight when a 429 came back cannot be recalled, and neither
// can one whose Transport had already decided to send; an arrival time at
// Slack says nothing about which of those it was. So a request counts as
// early only when both of these hold:
//
//   - the 429's block was surely recorded before the request's last
//     decision to send. A block is recorded (in Redis and in-process)
//     before the Transport that got the 429 sleeps again, so the start of
//     that sleep is the moment it is surely known;
//   - the request left before the block could have ended: the 429 was
//     answered at some instant, and its Retry-After counts from no earlier.
//
// The Transport decides to send only on what its limiter answered after
// the call began, after its last answer and after its last wait ended;
// each of those moments is recorded, and the latest is taken as the
// earliest the decision could have been made. Delays on a loaded machine
// only move the decision later than that bound, never earlier, so a
// request flagged here was sent by a Transport that had seen the block
// and ignored it.
type sendOrder struct {
	mu      sync.Mutex
	decided map[int]time.Time       // request → earliest its next decision to send can be
	pending map[int]knownBlock      // request → a 429 it got, not yet surely recorded
	blocks  map[string][]knownBlock // method → blocks surely recorded
	sends   []orderedSend
}

// knownBlock is a 429's block of method as the test can bound it: surely
// recorded by known, and lasting at least until until.
type knownBlock struct {
	method       string
	known, until time.Time
}

// orderedSend is one request on the wire: from when the Base client got it
// until its answer came back.
type orderedSend struct {
	id         int
	method     string
	start, end time.Time
	status     int
	early      string // why it was early, or ""
}

type orderIDKey struct{}

func newSendOrder() *sendOrder {
	return &sendOrder{decided: map[int]time.Time{}, pending: map[int]knownBlock{}, blocks: map[string][]knownBlock{}}
}

// start returns ctx carrying request id, and notes that it begins now.
func (o *sendOrder) start(ctx context.Context, id int) context.Context {
	o.mu.Lock()
	o.decided[id] = time.Now()
	o.mu.Unlock()
	return context.WithValue(ctx, orderIDKey{}, id)
}

func orderID(ctx context.Context) (int, bool) {
	id, ok := ctx.Value(orderIDKey{}).(int)
	return id, ok
}

// sleep is a TransportConfig.Sleep that really waits and records when each
// wait begins and ends.
func (o *sendOrder) sleep(ctx context.Context, d time.Duration) error {
	id, ok := orderID(ctx)
	if ok {
		o.mu.Lock()
		if b, ok := o.pending[id]; ok {
			// The Transport that got the 429 recorded its block before it
			// began to wait again.
			b.known = time.Now()
			o.blocks[b.method] = append(o.blocks[b.method], b)
			delete(o.pending, id)
		}
		o.mu.Unlock()
	}
	if err := sleepFor(ctx, d); err != nil {
		return err
	}
	if ok {
		o.mu.Lock()
		o.decided[id] = time.Now()
		o.mu.Unlock()
	}
	return nil
}

// client returns a Base client for a Transport that records each request
// as it leaves and as its answer comes back.
func (o *sendOrder) client() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: orderRoundTripper{o: o, next: http.DefaultTransport}}
}

type orderRoundTripper struct {
	o    *sendOrder
	next http.RoundTripper
}

func (rt orderRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	id, ok := orderID(req.Context())
	if !ok {
		return rt.next.RoundTrip(req)
	}
	method := path.Base(req.URL.Path)
	o := rt.o
	o.mu.Lock()
	s := orderedSend{id: id, method: method, start: time.Now()}
	decided := o.decided[id]
	for _, b := range o.blocks[method] {
		if b.known.Before(decided) && s.start.Before(b.until) {
			s.early = fmt.Sprintf("request %d (%s) left %v before a Retry-After ended that was recorded %v before it decided to send",
				id, method, b.until.Sub(s.start), decided.Sub(b.known))
		}
	}
	o.mu.Unlock()

	resp, err := rt.next.RoundTrip(req)

	o.mu.Lock()
	defer o.mu.Unlock()
	s.end = time.Now()
	o.decided[id] = s.end
	if err == nil {
		s.status = resp.StatusCode
		if resp.StatusCode == http.StatusTooManyRequests {
			// The block starts no earlier than the answer's arrival here.
			if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil {
				o.pending[id] = knownBlock{method: method, until: s.end.Add(time.Duration(secs) * time.Second)}
			}
		}
	}
	o.sends = append(o.sends, s)
	return resp, err
}

// early lists the requests that left inside a block they knew of.
func (o *sendOrder) early() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, s := range o.sends {
		if s.early != "" {
			out = append(out, s.early)
		}
	}
	return out
}

// knownBlocks counts the blocks the test saw recorded: a check that found
// no early request proves something only if there were blocks to honour.
func (o *sendOrder) knownBlocks(method string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.blocks[method])
}

// sentAt returns the requests of method that were on the wire at t.
func (o *sendOrder) sentAt(method string, t time.Time) []orderedSend {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []orderedSend
	for _, s := range o.sends {
		if s.method == method && !t.Before(s.start) && !t.After(s.end) {
			out = append(out, s)
		}
	}
	return out
}
