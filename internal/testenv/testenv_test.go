package testenv_test

import (
	"context"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// New builds, for each dialect, replicas sharing one migrated database with
// the emulator's workspace stored, an emulator on the test's frozen clock
// with the asked-for methods unlimited, and a Redis of the test's own.
func TestNew(t *testing.T) {
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			env := testenv.New(t, testenv.Options{Dialect: dialect, Replicas: 2, Start: start, Unlimited: []string{"users.info"}})
			if got := env.Clock.Now(); !got.Equal(start) {
				t.Errorf("clock = %s, want %s", got, start)
			}
			if len(env.DBs) != 2 || env.DBs[1].Dialect() != dialect {
				t.Fatalf("DBs = %d of %q, want 2 of %q", len(env.DBs), env.DBs[len(env.DBs)-1].Dialect(), dialect)
			}
			// The second replica sees what the first stored.
			if _, err := models.NewWorkspaces(env.DBs[1]).Get(ctx, testenv.Team); err != nil {
				t.Errorf("workspace through the second replica: %v", err)
			}
			st, err := env.Slack.Control.Clock(ctx)
			if err != nil || !st.Now.Equal(start) {
				t.Errorf("emulator clock = %v, %v; want %s", st.Now, err, start)
			}
			if env.Slack.BotUserID == "" {
				t.Error("no bot user")
			}
			if err := env.Redis.Ping(ctx); err != nil {
				t.Errorf("redis: %v", err)
			}
		})
	}
}

// Two tests' Redis stores never see each other's keys.
func TestRedisPrefixesDiffer(t *testing.T) {
	a, b := testenv.Redis(t), testenv.Redis(t)
	if a.Key("x") == b.Key("x") {
		t.Errorf("two stores share the key %q", a.Key("x"))
	}
	if p, q := testenv.RedisPrefix("e2e"), testenv.RedisPrefix("e2e"); p == q {
		t.Errorf("RedisPrefix gave %q twice", p)
	}
}
