package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/trellis-bot/trellis/clock"
)

// Dialect names returned by (*DB).Dialect.
const (
	DialectPostgres = "postgres"
	DialectSQLite   = "sqlite"
)

// slowQuery is the duration above which a statement is logged as slow.
const slowQuery = 200 * time.Millisecond

// DB is a connection pool to Postgres or SQLite. The stores in this package
// share one DB; it is safe for concurrent use.
type DB struct {
	gorm    *gorm.DB
	sql     *sql.DB
	dialect string
	log     *slog.Logger
	clock   clock.Clock
}

// Option configures Open.
type Option func(*DB)

// WithClock makes the stores stamp rows (created_at, audit times, ...) with
// c instead of the wall clock, so the sandbox's simulated time is consistent.
func WithClock(c clock.Clock) Option {
	return func(db *DB) { db.clock = c }
}

// Open connects to the database named by url: "postgres://..." or
// "postgresql://..." is Postgres; anything else is a SQLite database file
// ("trellis.db", "sqlite://path/trellis.db", "file:trellis.db?...", or
// ":memory:"). Open does not migrate; call Migrate.
func Open(ctx context.Context, log *slog.Logger, url string, opts ...Option) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db := &DB{log: log, clock: clock.System{}}
	for _, o := range opts {
		o(db)
	}
	cfg := &gorm.Config{
		Logger:                 gormLogger{log: log, slow: slowQuery},
		NowFunc:                db.Now,
		DisableAutomaticPing:   true, // gorm's ping ignores ctx; Open pings with it below
		SkipDefaultTransaction: true, // single statements are atomic; Tx is explicit
		TranslateError:         true,
	}

	var err error
	switch {
	case url == "":
		return nil, errors.New("open database: no database url given")
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db.dialect = DialectPostgres
		db.gorm, err = gorm.Open(postgres.Open(url), cfg)
		if err != nil {
			// The url may hold a password: name only the dialect.
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.sql, err = db.gorm.DB()
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.sql.SetMaxOpenConns(20)
		db.sql.SetMaxIdleConns(5)
		db.sql.SetConnMaxIdleTime(5 * time.Minute)
		db.sql.SetConnMaxLifetime(30 * time.Minute)
	default:
		db.dialect = DialectSQLite
		dsn, err := sqliteDSN(url)
		if err != nil {
			return nil, err
		}
		db.gorm, err = gorm.Open(sqlite.Open(dsn), cfg)
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", url, err)
		}
		db.sql, err = db.gorm.DB()
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", url, err)
		}
		// One connection: writers queue in the pool instead of failing with
		// SQLITE_BUSY, and an in-memory database lives as long as the DB.
		// Other processes on the same file wait through busy_timeout, and
		// every transaction begins IMMEDIATE so none fails on lock upgrade.
		db.sql.SetMaxOpenConns(1)
		db.sql.SetMaxIdleConns(1)
		db.sql.SetConnMaxLifetime(0)
		db.sql.SetConnMaxIdleTime(0)
	}
	if err := db.Ping(ctx); err != nil {
		_ = db.sql.Close()
		return nil, err
	}
	return db, nil
}

// sqliteDSN turns a path or sqlite:// / file: url into a DSN for the driver
// with WAL, a busy timeout, foreign keys and immediate transactions.
func sqliteDSN(raw string) (string, error) {
	dsn := raw
	switch {
	case strings.HasPrefix(dsn, "sqlite://"):
		dsn = strings.TrimPrefix(dsn, "sqlite://")
	case strings.HasPrefix(dsn, "sqlite:"):
		dsn = strings.TrimPrefix(dsn, "sqlite:")
	}
	path, query, _ := strings.Cut(dsn, "?")
	if path == "" {
		return "", fmt.Errorf("open sqlite %q: no file path", raw)
	}
	if !strings.HasPrefix(path, "file:") && path != ":memory:" {
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return "", fmt.Errorf("open sqlite: create directory: %w", err)
			}
		}
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Errorf("open sqlite %q: parse options: %w", raw, err)
	}
	set := map[string]bool{}
	for _, p := range q["_pragma"] {
		name, _, _ := strings.Cut(strings.ToLower(p), "(")
		name, _, _ = strings.Cut(name, "=")
		set[strings.TrimSpace(name)] = true
	}
	// busy_timeout first: the pragmas after it may need to wait for a lock.
	for _, p := range []struct{ name, value string }{
		{"busy_timeout", "busy_timeout(10000)"},
		{"journal_mode", "journal_mode(WAL)"},
		{"synchronous", "synchronous(NORMAL)"},
		{"foreign_keys", "foreign_keys(1)"},
	} {
		if !set[p.name] {
			q.Add("_pragma", p.value)
		}
	}
	if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate")
	}
	// The driver ignores _txlock when _time_format is given; times are
	// written in its default format, which sorts as text.
	q.Del("_time_format")
	return path + "?" + q.Encode(), nil
}

// Dialect is "postgres" or "sqlite".
func (db *DB) Dialect() string { return db.dialect }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", db.dialect, err)
	}
	return nil
}

// Close closes the pool.
func (db *DB) Close() error { return db.sql.Close() }

// Now is the clock's time in UTC, at the microsecond precision both
// databases keep, so what a store returns equals what it later reads back.
func (db *DB) Now() time.Time { return db.clock.Now().UTC().Truncate(time.Microsecond) }

// txConn is the open transaction a context carries, and the DB it belongs to.
type txConn struct {
	db *DB
	tx *gorm.DB
}

type txConnKey struct{}

// Tx runs fn in a transaction: it commits if fn returns nil and rolls back
// if fn returns an error or panics. Store methods called with the ctx given
// to fn join the transaction, and InTransaction reports true for it. A Tx
// inside a Tx joins the outer one.
//
// On SQLite the pool has a single connection, so fn must use the ctx it is
// given, not an outer one: a call outside the transaction would wait for
// the connection the transaction holds.
func (db *DB) Tx(ctx context.Context, fn func(ctx context.Context) error) error {
	if c, ok := ctx.Value(txConnKey{}).(txConn); ok && c.db == db {
		return fn(ctx)
	}
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(context.WithValue(withTx(ctx), txConnKey{}, txConn{db: db, tx: tx}))
	})
}

// Conn returns the transaction ctx carries for db, or the pool, bound to
// ctx. The stores here and in the capability packages under models
// (models/checkins) run every statement on it, so that a store called
// inside Tx joins the transaction.
func (db *DB) Conn(ctx context.Context) *gorm.DB {
	if c, ok := ctx.Value(txConnKey{}).(txConn); ok && c.db == db {
		return c.tx.WithContext(ctx)
	}
	return db.gorm.WithContext(ctx)
}

// gormLogger sends gorm's messages to slog. It logs slow statements at warn
// level with their placeholders, never their values, which may be secrets.
// Failed statements are not logged here: the error goes back to the caller,
// who handles it once.
type gormLogger struct {
	log  *slog.Logger
	slow time.Duration
}

func (l gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }

func (l gormLogger) Info(ctx context.Context, msg string, data ...any) {
	l.log.DebugContext(ctx, "gorm: "+fmt.Sprintf(msg, data...))
}

func (l gormLogger) Warn(ctx context.Context, msg string, data ...any) {
	l.log.WarnContext(ctx, "gorm: "+fmt.Sprintf(msg, data...))
}

func (l gormLogger) Error(ctx context.Context, msg string, data ...any) {
	l.log.ErrorContext(ctx, "gorm: "+fmt.Sprintf(msg, data...))
}

func (l gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	if elapsed < l.slow {
		return
	}
	query, rows := fc()
	args := []any{"duration", elapsed, "sql", query, "rows", rows}
	if err != nil {
		args = append(args, "err", err)
	}
	l.log.WarnContext(ctx, "slow query", args...)
}

// ParamsFilter drops the statement's values so that logs show only the SQL.
func (l gormLogger) ParamsFilter(_ context.Context, query string, _ ...any) (string, []any) {
	return query, nil
}

// Translate maps driver errors to the package's sentinels: a missing row is
// ErrNotFound and a unique violation is ErrConflict. Every store, here and
// in the capability packages, translates what the driver returns.
func Translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}
