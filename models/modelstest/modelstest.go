// Package modelstest gives tests a migrated database: a fresh SQLite file
// always, and a fresh schema in the Postgres named by TEST_DATABASE_URL
// when that is set. A test never skips because Postgres is missing: if
// TEST_DATABASE_URL is set and unreachable, the test fails.
package modelstest

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/models"
)

// EnvURL is the environment variable naming the test Postgres.
const EnvURL = "TEST_DATABASE_URL"

// Logger returns a slog.Logger that writes through tb.Log.
func Logger(tb testing.TB) *slog.Logger { return testlog.Logger(tb) }

// Dialects lists the databases tests run on: "sqlite", and "postgres" when
// TEST_DATABASE_URL is set.
func Dialects() []string {
	if os.Getenv(EnvURL) != "" {
		return []string{models.DialectSQLite, models.DialectPostgres}
	}
	return []string{models.DialectSQLite}
}

// ForEach runs fn as a subtest on a fresh, migrated database of each
// dialect in Dialects, named for the dialect.
func ForEach(t *testing.T, fn func(t *testing.T, db *models.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) {
			fn(t, New(t, d))
		})
	}
}

// New returns a fresh, migrated database of the dialect, closed and
// removed when the test ends. Asking for "postgres" without
// TEST_DATABASE_URL skips the test.
func New(tb testing.TB, dialect string) *models.DB {
	tb.Helper()
	db := Open(tb, URL(tb, dialect))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.Migrate(ctx); err != nil {
		tb.Fatalf("modelstest: migrate %s: %v", dialect, err)
	}
	return db
}

// Open opens url (from URL) without migrating, and closes it when the test
// ends. Two Opens of one url behave like two replicas.
func Open(tb testing.TB, url string) *models.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := models.Open(ctx, Logger(tb), url)
	if err != nil {
		tb.Fatalf("modelstest: open: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// URL returns the url of a fresh, empty database of the dialect: a file in
// tb.TempDir(), or a new schema in TEST_DATABASE_URL's database (dropped
// when the test ends) selected by search_path.
func URL(tb testing.TB, dialect string) string {
	tb.Helper()
	switch dialect {
	case models.DialectSQLite:
		return filepath.Join(tb.TempDir(), "trellis.db")
	case models.DialectPostgres:
		base := os.Getenv(EnvURL)
		if base == "" {
			tb.Fatalf("modelstest: a Postgres database was asked for but %s is not set (use Dialects to pick the databases to test)", EnvURL)
		}
		return postgresSchema(tb, base)
	}
	tb.Fatalf("modelstest: unknown dialect %q", dialect)
	return ""
}

func postgresSchema(tb testing.TB, base string) string {
	tb.Helper()
	schema := "trellis_test_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	adminExec(tb, base, "CREATE SCHEMA "+schema, "DROP SCHEMA "+schema+" CASCADE")
	u, err := withSearchPath(base, schema)
	if err != nil {
		tb.Fatalf("modelstest: %s: %v", EnvURL, err)
	}
	return u
}

// EmptyDatabase returns the url of a fresh, empty database of the dialect
// that a test has to itself, with no schema chosen for it: a file in
// tb.TempDir(), or a new database on TEST_DATABASE_URL's Postgres server
// (used through its public schema), dropped when the test ends. It is for
// loading a dump of a whole database, whose statements name the schema
// they create objects in, which URL's schema per test would not receive.
func EmptyDatabase(tb testing.TB, dialect string) string {
	tb.Helper()
	if dialect != models.DialectPostgres {
		return URL(tb, dialect)
	}
	base := os.Getenv(EnvURL)
	if base == "" {
		tb.Fatalf("modelstest: a Postgres database was asked for but %s is not set (use Dialects to pick the databases to test)", EnvURL)
	}
	name := "trellis_test_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("modelstest: %s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	// FORCE: a handle the test left open must not keep the database.
	adminExec(tb, base, "CREATE DATABASE "+name, "DROP DATABASE "+name+" WITH (FORCE)")
	return u.String()
}

// adminExec runs create on the Postgres at base, and drop when the test
// ends.
func adminExec(tb testing.TB, base, create, drop string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard, DisableAutomaticPing: true})
	if err != nil {
		tb.Fatalf("modelstest: %s is set but Postgres is unreachable: %v", EnvURL, err)
	}
	sqlDB, err := admin.DB()
	if err != nil {
		tb.Fatalf("modelstest: %v", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		tb.Fatalf("modelstest: %s is set but Postgres is unreachable: %v", EnvURL, err)
	}
	// CREATE DATABASE copies a template database: slower than a ping on
	// a busy machine.
	cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
	defer ccancel()
	if err := admin.WithContext(cctx).Exec(create).Error; err != nil {
		_ = sqlDB.Close()
		tb.Fatalf("modelstest: %s: %v", create, err)
	}
	tb.Cleanup(func() {
		// Generous: DROP DATABASE waits for a checkpoint, and one cut
		// short by its context leaves an invalid database behind, which
		// only another DROP removes.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := admin.WithContext(ctx).Exec(drop).Error; err != nil {
			tb.Logf("modelstest: %s: %v", drop, err)
		}
		_ = sqlDB.Close()
	})
}

// withSearchPath adds search_path to a postgres:// url; pgx sends unknown
// url parameters to the server as run-time settings.
func withSearchPath(base, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parse url: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Replicas opens n handles on one fresh, migrated database of the dialect,
// the way n replicas of Trellis share one database.
func Replicas(tb testing.TB, dialect string, n int) []*models.DB {
	tb.Helper()
	url := URL(tb, dialect)
	dbs := make([]*models.DB, n)
	for i := range dbs {
		dbs[i] = Open(tb, url)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := dbs[0].Migrate(ctx); err != nil {
		tb.Fatalf("modelstest: migrate: %v", err)
	}
	return dbs
}

// Targets returns the schedule targets user is in workspace ws, failing
// the test if they cannot be read.
func Targets(tb testing.TB, db *models.DB, ws, user string) []models.DueTarget {
	tb.Helper()
	list, err := models.NewSchedules(db).ForRecipient(context.Background(), ws, user)
	if err != nil {
		tb.Fatal(err)
	}
	return list
}
