package bottest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// SlowClients are connections that each send a request's headers and then
// trickle its body, one byte per interval, as a slow-body attacker does.
type SlowClients struct {
	tb    testing.TB
	conns []net.Conn
	stop  chan struct{}
	wg    sync.WaitGroup

	mu      sync.Mutex
	answers []string // the status line each connection got, "" if none
	closed  []bool   // whether the server has closed each connection
}

// OpenSlowClients opens n connections to addr, each POSTing to path with a
// Content-Length of 64 KiB and a body that arrives one byte per interval.
// It returns once every connection has sent its headers. The connections
// close when the test ends.
func OpenSlowClients(tb testing.TB, addr, path, contentType string, n int, interval time.Duration) *SlowClients {
	tb.Helper()
	s := &SlowClients{tb: tb, stop: make(chan struct{}), answers: make([]string, n), closed: make([]bool, n)}
	tb.Cleanup(s.close)
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"+
		"X-Slack-Request-Timestamp: 1\r\nX-Slack-Signature: v0=00\r\n\r\n", path, addr, contentType, 64<<10)
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			tb.Fatalf("bottest: slow client %d: %v", i, err)
		}
		s.conns = append(s.conns, c)
		if _, err := io.WriteString(c, head); err != nil {
			tb.Fatalf("bottest: slow client %d: send headers: %v", i, err)
		}
		s.wg.Go(func() { s.trickle(c, interval) })
		s.wg.Go(func() { s.read(i, c) })
	}
	return s
}

func (s *SlowClients) trickle(c net.Conn, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if _, err := c.Write([]byte{'x'}); err != nil {
				return // the server dropped us
			}
		}
	}
}

// read waits for the server's answer, if any, and for the connection to
// close.
func (s *SlowClients) read(i int, c net.Conn) {
	line, _ := bufio.NewReader(c).ReadString('\n')
	s.mu.Lock()
	s.answers[i] = strings.TrimSpace(line)
	s.mu.Unlock()
	_, _ = io.Copy(io.Discard, c) // until the server closes it
	s.mu.Lock()
	s.closed[i] = true
	s.mu.Unlock()
	_ = c.Close()
}

// WaitDropped waits until the server has closed every connection, or
// fails the test after timeout. It returns the status line each connection
// got before the close ("" for none), for the caller to judge: a Slack
// endpoint must refuse, while Slack's Web API answers errors with 200.
func (s *SlowClients) WaitDropped(timeout time.Duration) []string {
	s.tb.Helper()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		s.tb.Fatalf("bottest: the server still held %d slow clients' connections after %v", s.Open(), timeout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.answers...)
}

// Refused reports whether a status line from WaitDropped is no answer or
// a 4xx/5xx one.
func Refused(status string) bool {
	return status == "" || strings.HasPrefix(status, "HTTP/1.1 4") || strings.HasPrefix(status, "HTTP/1.1 5")
}

// Open reports how many connections the server has not closed yet.
func (s *SlowClients) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, closed := range s.closed {
		if !closed {
			n++
		}
	}
	return n
}

func (s *SlowClients) close() {
	select {
	case <-s.stop:
		return
	default:
	}
	close(s.stop)
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.wg.Wait()
}
