// Package kv connects Trellis to Redis, which holds only what may be lost:
// event dedupe, shared rate-limit state and caches. With no REDIS_URL it runs
// an embedded, in-process Redis so the sandbox needs nothing installed.
package kv

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Store is a Redis connection plus what Trellis knows of its health.
type Store struct {
	// Client is the go-redis client. Every caller must treat an error from it
	// as "Redis is unavailable" and fall back, never as fatal.
	Client   redis.UniversalClient
	embedded *miniredis.Miniredis
	healthy  atomic.Bool
	log      *slog.Logger
	prefix   string
}

// Open connects to the Redis at url, or starts an embedded Redis when url is
// empty. Every key Trellis writes starts with prefix (build keys with Key),
// so several deployments or test runs can share one Redis.
func Open(ctx context.Context, log *slog.Logger, url, prefix string) (*Store, error) {
	s := &Store{log: log, prefix: prefix}
	if url == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("start embedded redis: %w", err)
		}
		s.embedded = mr
		s.Client = redis.NewClient(&redis.Options{Addr: mr.Addr()})
	} else {
		opts, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("parse REDIS_URL: %w", err)
		}
		// Short timeouts: Redis is an accelerator, and a hung Redis must
		// not hold up a Slack ack.
		opts.DialTimeout = 500 * time.Millisecond
		opts.ReadTimeout = 300 * time.Millisecond
		opts.WriteTimeout = 300 * time.Millisecond
		opts.MaxRetries = 1
		s.Client = redis.NewClient(opts)
	}
	s.healthy.Store(s.Client.Ping(ctx).Err() == nil)
	return s, nil
}

// Key joins parts into a key under the store's prefix.
func (s *Store) Key(parts ...string) string {
	return s.prefix + strings.Join(parts, ":")
}

// Embedded reports whether this is the in-process Redis.
func (s *Store) Embedded() bool { return s.embedded != nil }

// Ping checks Redis now and records the result.
func (s *Store) Ping(ctx context.Context) error {
	err := s.Client.Ping(ctx).Err()
	s.Observe(err)
	if err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// Observe records the outcome of a Redis call: callers report errors so that
// /readyz and metrics show a degraded Redis without a separate probe. A
// redis.Nil reply is a healthy answer.
func (s *Store) Observe(err error) {
	ok := err == nil || err == redis.Nil
	if prev := s.healthy.Swap(ok); prev != ok {
		if ok {
			s.log.Info("redis is reachable again")
		} else {
			s.log.Warn("redis is unavailable; running degraded", "err", err)
		}
	}
}

// Healthy reports the last observed Redis health.
func (s *Store) Healthy() bool { return s.healthy.Load() }

// Close closes the client and stops the embedded Redis.
func (s *Store) Close() error {
	err := s.Client.Close()
	if s.embedded != nil {
		s.embedded.Close()
	}
	return err
}
