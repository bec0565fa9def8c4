package testenv

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// Dialect is the database end-to-end tests run on: Postgres when
// TEST_DATABASE_URL names one, as CI does, else SQLite.
func Dialect() string {
	dialects := modelstest.Dialects()
	return dialects[len(dialects)-1]
}

// DatabaseURL is the url of a fresh, empty database of the dialect (a file
// in the test's temporary directory, or a Postgres schema dropped when the
// test ends).
func DatabaseURL(tb testing.TB, dialect string) string {
	tb.Helper()
	return modelstest.URL(tb, dialect)
}

// Databases opens n handles on the database at url, the way n replicas of
// Trellis share one, logging to log with their replica's number and
// reading clk; the first migrates it. They close when the test ends.
func Databases(tb testing.TB, url string, n int, log *slog.Logger, clk clock.Clock) []*models.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dbs := make([]*models.DB, n)
	for i := range dbs {
		db, err := models.Open(ctx, log.With("replica", i), url, models.WithClock(clk))
		if err != nil {
			tb.Fatalf("testenv: open the database: %v", err)
		}
		tb.Cleanup(func() { _ = db.Close() })
		dbs[i] = db
	}
	if err := dbs[0].Migrate(ctx); err != nil {
		tb.Fatalf("testenv: migrate: %v", err)
	}
	return dbs
}
