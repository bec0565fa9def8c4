// Package kvtest gives tests a Redis: the real one named by TEST_REDIS_URL,
// or an embedded one when that is unset. A test never skips because Redis is
// missing: if TEST_REDIS_URL is set and unreachable, the test fails.
package kvtest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"

	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/kv"
)

// Logger returns a slog.Logger that writes through tb.Log.
func Logger(tb testing.TB) *slog.Logger { return testlog.Logger(tb) }

// URL returns TEST_REDIS_URL or, when that is unset, the address of one
// embedded Redis shared by every test in the process, so that two Stores
// with the same prefix really share state like two replicas do.
func URL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	shared.once.Do(func() {
		shared.mr = miniredis.NewMiniRedis()
		shared.err = shared.mr.StartAddr("127.0.0.1:0")
	})
	if shared.err != nil {
		panic(fmt.Sprintf("kvtest: start embedded redis: %v", shared.err))
	}
	return "redis://" + shared.mr.Addr() + "/0"
}

// shared is the process's embedded Redis for tests; it lives as long as the
// test binary.
var shared struct {
	once sync.Once
	mr   *miniredis.Miniredis
	err  error
}

// New returns a Store with a key prefix unique to this test, so tests can run
// in parallel against one Redis. Its keys are deleted when the test ends.
func New(tb testing.TB) *kv.Store {
	tb.Helper()
	return NewWithPrefix(tb, "trellis-test:"+uuid.NewString()[:8]+":")
}

// NewWithPrefix is New with a chosen prefix: two Stores with the same prefix
// behave like two replicas sharing one Redis.
func NewWithPrefix(tb testing.TB, prefix string) *kv.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := kv.Open(ctx, Logger(tb), URL(), prefix)
	if err != nil {
		tb.Fatalf("kvtest: open redis %q: %v", URL(), err)
	}
	if err := s.Ping(ctx); err != nil {
		tb.Fatalf("kvtest: Redis at %q (TEST_REDIS_URL) is unreachable: %v", URL(), err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := deletePrefix(ctx, s, prefix); err != nil {
			tb.Logf("kvtest: cleanup: %v", err)
		}
		_ = s.Close()
	})
	return s
}

func deletePrefix(ctx context.Context, s *kv.Store, prefix string) error {
	iter := s.Client.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	if len(keys) == 0 {
		return nil
	}
	return s.Client.Del(ctx, keys...).Err()
}
