package bottest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// echoServer answers every line it reads with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip writes a line and reads it back, waiting at most wait.
func roundTrip(c net.Conn, line string, wait time.Duration) (string, error) {
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	got, err := bufio.NewReader(c).ReadString('\n')
	return got, err
}

// TestProxyFreeze: a frozen proxy passes nothing on an open connection
// and lets a new one connect but not talk; Thaw delivers what waited, in
// both, and Stop cuts them.
func TestProxyFreeze(t *testing.T) {
	p := NewProxy(t, echoServer(t))
	open, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if got, err := roundTrip(open, "before", 10*time.Second); err != nil || got != "before\n" {
		t.Fatalf("before the freeze: %q, %v", got, err)
	}

	p.Freeze()
	// Whatever the wait, nothing comes back while frozen: the read can
	// only end at its deadline.
	if got, err := roundTrip(open, "held", 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("frozen, an open connection answered %q, %v", got, err)
	}
	late, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatalf("frozen, a new connection was refused: %v", err)
	}
	defer late.Close()
	if got, err := roundTrip(late, "new", 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("frozen, a new connection answered %q, %v", got, err)
	}

	p.Thaw()
	r := bufio.NewReader(open)
	_ = open.SetReadDeadline(time.Now().Add(10 * time.Second))
	if got, err := r.ReadString('\n'); err != nil || got != "held\n" {
		t.Errorf("after the thaw the open connection got %q, %v; want what waited", got, err)
	}
	_ = late.SetReadDeadline(time.Now().Add(10 * time.Second))
	if got, err := bufio.NewReader(late).ReadString('\n'); err != nil || got != "new\n" {
		t.Errorf("after the thaw the new connection got %q, %v; want what waited", got, err)
	}

	// Frozen, then stopped: the connections are cut, not left hanging.
	p.Freeze()
	p.Stop()
	_ = open.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.ReadString('\n'); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("stopped while frozen, a read ended with %v; want the connection closed", err)
	}
}
