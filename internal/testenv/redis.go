package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/kv"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

// Redis is a Store on the test Redis (TEST_REDIS_URL, or the embedded one)
// under a prefix of this test's own, emptied when the test ends.
func Redis(tb testing.TB) *kv.Store {
	tb.Helper()
	return kvtest.New(tb)
}

// RedisURL is the test Redis: TEST_REDIS_URL, or the embedded one.
func RedisURL() string { return kvtest.URL() }

// RedisPrefix is a key prefix no other test uses, starting with name.
func RedisPrefix(name string) string { return name + ":" + uuid.NewString()[:8] + ":" }

// RedisAt is a Store on the Redis at url under a prefix of this test's
// own, closed when the test ends. The Redis need not answer yet, as when a
// test starts a proxy to it cut.
func RedisAt(tb testing.TB, url string) *kv.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := kv.Open(ctx, testlog.Logger(tb), url, RedisPrefix("trellis-test"))
	if err != nil {
		tb.Fatalf("testenv: redis %q: %v", url, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}
