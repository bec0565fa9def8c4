// Package testlog routes logs written during a test to t.Log, so they show
// with the test that produced them and only when it fails or runs -v.
package testlog

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Writer writes each call as one t.Log line until the test ends; later
// writes (from loggers that outlive the test, such as a scheduler's last
// "stop" line) are dropped, as t.Log would race with the test's end. The
// mutex orders every write before the cleanup that closes the writer, which
// runs before the test is marked done.
type Writer struct {
	tb testing.TB
	mu *sync.Mutex
	on *bool
}

// NewWriter returns a Writer for tb.
func NewWriter(tb testing.TB) Writer {
	w := Writer{tb: tb, mu: new(sync.Mutex), on: new(bool)}
	*w.on = true
	tb.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		*w.on = false
	})
	return w
}

// Write logs p through t.Log.
func (w Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if *w.on {
		w.tb.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// Logger returns a debug-level text slog.Logger writing through tb.Log.
func Logger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(NewWriter(tb), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Buffer collects log output for assertions; it is safe for the concurrent
// writes of a running server. The zero value is ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
