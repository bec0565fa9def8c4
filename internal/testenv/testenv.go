// Package testenv builds what Trellis's tests run on: a fresh database per
// test on a chosen dialect, Redis (the real one named by TEST_REDIS_URL
// under a prefix of the test's own, or an embedded one), the Slack
// emulator started and seeded, and a clock the test moves. New gives all of
// them at once, as the delivery engine's and the check-ins' tests use them;
// the functions beside it give one each, as the end-to-end tests of
// app/apptest use them. It imports neither the jobs nor the app, so the
// internal tests of any package can use it.
package testenv

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/kv"
	"github.com/trellis-bot/trellis/models"
)

// Team is the emulated workspace every environment is installed in.
const Team = slacksim.DefaultTeamID

// Options says what New builds.
type Options struct {
	// Dialect is the database: models.DialectSQLite (the default) or
	// models.DialectPostgres.
	Dialect string
	// Replicas is how many handles open the one database, as that many
	// replicas of Trellis would (default 1).
	Replicas int
	// Start is where the frozen clock stands.
	Start time.Time
	// Logger receives every log record (default: the test's log).
	Logger *slog.Logger
	// Slack configures the emulator; its Clock and Logger default to the
	// environment's.
	Slack slacksim.Config
	// Unlimited names Web API methods the emulator serves without a rate
	// limit, for tests that call them often.
	Unlimited []string
	// RedisURL is a Redis other than the test one (a proxy a test cuts, say).
	RedisURL string
}

// Env is one test's world: the clock, the emulator, Redis and the database
// handles, with the emulator's workspace stored.
type Env struct {
	Clock *clock.Sim
	Log   *slog.Logger
	Slack *Slack
	Redis *kv.Store
	// DBs are Options.Replicas handles on one fresh, migrated database
	// that reads Clock.
	DBs []*models.DB
}

// New builds an Env. Everything it opens is closed when the test ends.
func New(tb testing.TB, o Options) *Env {
	tb.Helper()
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.Dialect == "" {
		o.Dialect = models.DialectSQLite
	}
	e := &Env{Clock: clock.NewFrozen(o.Start), Log: o.Logger}
	if e.Log == nil {
		e.Log = testlog.Logger(tb)
	}
	simCfg := o.Slack
	if simCfg.Clock == nil {
		simCfg.Clock = e.Clock
	}
	if simCfg.Logger == nil {
		simCfg.Logger = e.Log.With("component", "slacksim")
	}
	e.Slack = StartSlack(tb, simCfg, o.Unlimited...)
	if o.RedisURL != "" {
		e.Redis = RedisAt(tb, o.RedisURL)
	} else {
		e.Redis = Redis(tb)
	}
	e.DBs = Databases(tb, DatabaseURL(tb, o.Dialect), o.Replicas, e.Log, e.Clock)
	if _, err := models.NewWorkspaces(e.DBs[0]).Ensure(context.Background(), Team, "Sandbox"); err != nil {
		tb.Fatalf("testenv: store the workspace: %v", err)
	}
	return e
}
