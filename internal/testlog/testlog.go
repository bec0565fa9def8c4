// Package testlog routes logs written during a test to t.Log, so they show
// with the test that produced them and only when it fails or runs -v.
package testlog

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
)

// Writer writes each call as one t.Log line until the test ends; later
// writes (from loggers that outlive the test) are dropped, as t.Log would
// panic on them.
type Writer struct {
	tb   testing.TB
	done *atomic.Bool
}

// NewWriter returns a Writer for tb.
func NewWriter(tb testing.TB) Writer {
	w := Writer{tb: tb, done: new(atomic.Bool)}
	tb.Cleanup(func() { w.done.Store(true) })
	return w
}

// Write logs p through t.Log.
func (w Writer) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.tb.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// Logger returns a debug-level text slog.Logger writing through tb.Log.
func Logger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(NewWriter(tb), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
