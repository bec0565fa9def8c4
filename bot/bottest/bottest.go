// Package bottest helps tests drive the bot package: it signs requests the
// way Slack does, and puts a TCP proxy in front of Redis that a test can cut
// and restore to simulate Redis going away.
package bottest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/kv"
)

// SignRequest sets Slack's signature headers on r for a request sent at at,
// leaving r's body readable.
func SignRequest(tb testing.TB, r *http.Request, secret string, at time.Time) {
	tb.Helper()
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			tb.Fatalf("bottest: read body: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", bot.Sign(secret, ts, body))
}

// Proxy forwards TCP connections from a local port to a target address.
// Stop closes the listener and every forwarded connection, as if the target
// went away; Start listens again on the same port. Freeze is a network
// partition instead: connections stay open but no byte passes either way
// and new ones wait, until Thaw lets everything through again.
type Proxy struct {
	tb     testing.TB
	target string
	addr   string

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	thawed chan struct{} // closed while not frozen
	wg     sync.WaitGroup
}

// NewProxy starts a proxy to target on a free 127.0.0.1 port. It stops when
// the test ends.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	p := &Proxy{tb: tb, target: target, conns: map[net.Conn]struct{}{}, thawed: make(chan struct{})}
	close(p.thawed)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("bottest: listen: %v", err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	tb.Cleanup(func() {
		p.Stop()
		p.wg.Wait()
	})
	return p
}

// Addr is the proxy's address, the same across Stop and Start.
func (p *Proxy) Addr() string { return p.addr }

// Stop closes the listener and cuts every open connection. It ends a
// Freeze too: what was held back finds its connection gone.
func (p *Proxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.thawLocked()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

// Freeze stops every byte in both directions, on open connections and on
// new ones, which are accepted but wait: what a network partition does to
// a client, whose calls hang rather than fail.
func (p *Proxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.thawed:
		p.thawed = make(chan struct{})
	default: // already frozen
	}
}

// Thaw ends a Freeze: what waited is delivered, as when a partition heals
// before the connections time out.
func (p *Proxy) Thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.thawLocked()
}

// thawLocked lets held bytes through; p.mu is held.
func (p *Proxy) thawLocked() {
	select {
	case <-p.thawed:
	default:
		close(p.thawed)
	}
}

// gate returns a channel closed while the proxy is not frozen.
func (p *Proxy) gate() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.thawed
}

// Start listens again on the proxy's address.
func (p *Proxy) Start() {
	p.tb.Helper()
	var ln net.Listener
	var err error
	// The port was just released; retry briefly in case the OS holds it.
	for range 50 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.tb.Fatalf("bottest: relisten on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					p.tb.Logf("bottest: accept: %v", err)
				}
				return
			}
			p.forward(c)
		}
	})
}

func (p *Proxy) forward(in net.Conn) {
	<-p.gate() // a frozen proxy accepts, but does not connect yet
	out, err := net.DialTimeout("tcp", p.target, time.Second)
	if err != nil {
		_ = in.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // stopped meanwhile
		p.mu.Unlock()
		_ = in.Close()
		_ = out.Close()
		return
	}
	p.conns[in] = struct{}{}
	p.conns[out] = struct{}{}
	p.mu.Unlock()
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				<-p.gate()
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		_ = dst.Close()
		_ = src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}
	p.wg.Go(func() { pipe(out, in) })
	p.wg.Go(func() { pipe(in, out) })
}

// RedisURL returns a redis:// URL for the Redis that s uses (same database
// and credentials), reached at addr instead — the address of a Proxy, say.
// An empty addr keeps s's own address.
func RedisURL(tb testing.TB, s *kv.Store, addr string) string {
	tb.Helper()
	c, ok := s.Client.(*redis.Client)
	if !ok {
		tb.Fatalf("bottest: store client is a %T, want *redis.Client", s.Client)
	}
	opts := c.Options()
	if addr == "" {
		addr = opts.Addr
	}
	u := url.URL{Scheme: "redis", Host: addr, Path: "/" + strconv.Itoa(opts.DB)}
	switch {
	case opts.Username != "":
		u.User = url.UserPassword(opts.Username, opts.Password)
	case opts.Password != "":
		u.User = url.UserPassword("", opts.Password)
	}
	return u.String()
}

// RedisAddr returns the host:port of the Redis that s uses.
func RedisAddr(tb testing.TB, s *kv.Store) string {
	tb.Helper()
	c, ok := s.Client.(*redis.Client)
	if !ok {
		tb.Fatalf("bottest: store client is a %T, want *redis.Client", s.Client)
	}
	return c.Options().Addr
}
