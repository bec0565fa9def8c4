package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ErrSchemaTooNew means the database was migrated by a newer Trellis than
// this binary; running would risk writing rows the newer schema forbids.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// workspaceTables lists every table holding a workspace's rows, children
// before parents, for DeleteWorkspace. A migration adding a table adds it
// here too (a test checks). The capability packages' tables (models/checkins,
// models/okrs, models/peers)
// are named here too: the migrations create them all, and models imports
// none of those packages.
func workspaceTables() []string {
	return []string{"peer_commitments", "peer_sessions", "peer_unmatched", "peer_group_members", "peer_groups", "peer_rounds", "peer_asks", "peer_participants", "peer_avoid", "peer_prompts", "peer_networks", "okr_reviews", "okr_learned", "okr_updates", "okr_parents", "okr_key_results", "okr_objectives", "okr_cycles", "okr_settings", "okr_people", "message_locks", "opened_views", "checkin_prompt_updates", "checkin_posts", "checkin_anonymous", "checkin_answers", "checkin_responses", "checkin_rounds", "checkin_people", "checkin_questions", "checkins", "schedule_targets", "schedules", "occurrences", "away_periods", "people", "holidays", "audit_log", "workspaces", "installations"}
}

// schemaMigrationsDDL creates the version table, one row per applied
// version; the time type differs.
func schemaMigrationsDDL(dialect string) string {
	ts := "TIMESTAMPTZ"
	if dialect == DialectSQLite {
		ts = "DATETIME"
	}
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY NOT NULL,
		name       TEXT NOT NULL,
		applied_at ` + ts + ` NOT NULL
	)`
}

type schemaMigrationRow struct {
	Version   int       `gorm:"column:version;primaryKey;autoIncrement:false"`
	Name      string    `gorm:"column:name"`
	AppliedAt time.Time `gorm:"column:applied_at"`
}

func (schemaMigrationRow) TableName() string { return "schema_migrations" }

// MigrationState is one schema version: known to this binary, applied to
// the database, or both.
type MigrationState struct {
	Version int
	Name    string
	// Applied reports whether the migration has run, and AppliedAt when
	// (zero while pending).
	Applied   bool
	AppliedAt time.Time
	// Unknown is true for a version the database has but this binary does
	// not know: a newer Trellis migrated it.
	Unknown bool
}

// Migrate applies the migrations the database lacks (the SQL files in
// models/migrations), in order, each in its own transaction. Replicas
// starting together are safe: on Postgres the run holds an advisory lock;
// on SQLite each migration runs in a write (IMMEDIATE) transaction that
// first checks whether it is still missing. Migrate fails with
// ErrSchemaTooNew if the database is ahead of the binary.
func (db *DB) Migrate(ctx context.Context) error {
	return db.migrateThrough(ctx, 0)
}

// migrateThrough is Migrate stopping after version through (0: the last),
// so a test can store rows in an older schema and then migrate them.
func (db *DB) migrateThrough(ctx context.Context, through int) error {
	ms, err := embeddedMigrations(db.dialect)
	if err != nil {
		return err
	}
	return db.runMigrations(ctx, ms, through)
}

// runMigrations applies ms through version through (0: all), under the
// Postgres lock.
func (db *DB) runMigrations(ctx context.Context, ms []migration, through int) error {
	run := func(ctx context.Context, g *gorm.DB) error { return db.migrate(ctx, g, ms, through) }
	if db.dialect == DialectPostgres {
		return db.withMigrationLock(ctx, run)
	}
	return run(ctx, db.gorm.WithContext(ctx))
}

// migrate applies the migrations of ms (all the binary knows) up to
// version through (0: all) that the database lacks.
func (db *DB) migrate(ctx context.Context, g *gorm.DB, ms []migration, through int) error {
	if err := g.Exec(schemaMigrationsDDL(db.dialect)).Error; err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var applied []schemaMigrationRow
	if err := g.Order("version").Find(&applied).Error; err != nil {
		return fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	if err := checkNotNewer(applied, ms); err != nil {
		return err
	}
	done := make(map[int]bool, len(applied))
	for _, a := range applied {
		done[a.Version] = true
	}
	for _, m := range ms {
		if through > 0 && m.version > through {
			break
		}
		if done[m.version] {
			continue
		}
		var ran bool
		err := g.Transaction(func(tx *gorm.DB) error {
			// Another process may have applied it since we looked.
			var n int64
			if err := tx.Model(&schemaMigrationRow{}).Where("version = ?", m.version).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, s := range m.statements {
				if err := tx.Exec(s).Error; err != nil {
					return err
				}
			}
			ran = true
			return tx.Create(&schemaMigrationRow{Version: m.version, Name: m.name, AppliedAt: db.Now()}).Error
		})
		if err != nil {
			return fmt.Errorf("migrate: version %d (%s) in models/migrations/%s: %w", m.version, m.name, m.file, err)
		}
		if ran {
			db.log.InfoContext(ctx, "applied migration", "version", m.version, "name", m.name)
		}
	}
	return nil
}

func checkNotNewer(applied []schemaMigrationRow, known []migration) error {
	latest := 0
	for _, m := range known {
		latest = max(latest, m.version)
	}
	for _, a := range applied {
		if a.Version > latest {
			return fmt.Errorf("%w: the database is at version %d (%s) but this binary knows versions up to %d; run a newer Trellis",
				ErrSchemaTooNew, a.Version, a.Name, latest)
		}
	}
	return nil
}

// withMigrationLock runs fn on one dedicated Postgres connection holding a
// session advisory lock for the current schema, so that one replica
// migrates while the others wait and then find nothing to do.
func (db *DB) withMigrationLock(ctx context.Context, fn func(ctx context.Context, g *gorm.DB) error) (err error) {
	const lockKey = `hashtext('trellis.migrate:' || current_schema())`
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: get connection: %w", err)
	}
	defer func() {
		// Unlock even if ctx is done. If that fails, throw the connection
		// away rather than return it to the pool still holding the lock.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, uerr := conn.ExecContext(uctx, `SELECT pg_advisory_unlock(`+lockKey+`)`); uerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			if err == nil {
				err = fmt.Errorf("migrate: release lock: %w", uerr)
			}
		}
		_ = conn.Close()
	}()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`); err != nil {
		return fmt.Errorf("migrate: take lock: %w", err)
	}
	g := db.gorm.Session(&gorm.Session{NewDB: true, Context: ctx})
	g.Statement.ConnPool = conn
	return fn(ctx, g)
}

// MigrationStatus lists every known migration, applied or pending, plus any
// version in the database this binary does not know, in version order.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	ms, err := embeddedMigrations(db.dialect)
	if err != nil {
		return nil, err
	}
	g := db.gorm.WithContext(ctx)
	var applied []schemaMigrationRow
	if g.Migrator().HasTable("schema_migrations") {
		if err := g.Order("version").Find(&applied).Error; err != nil {
			return nil, fmt.Errorf("migration status: %w", err)
		}
	}
	at := make(map[int]schemaMigrationRow, len(applied))
	for _, a := range applied {
		at[a.Version] = a
	}
	var out []MigrationState
	for _, m := range ms {
		s := MigrationState{Version: m.version, Name: m.name}
		if a, ok := at[m.version]; ok {
			s.Applied, s.AppliedAt = true, a.AppliedAt.UTC()
			delete(at, m.version)
		}
		out = append(out, s)
	}
	for _, a := range applied {
		if _, unknown := at[a.Version]; unknown {
			out = append(out, MigrationState{Version: a.Version, Name: a.Name, Applied: true, AppliedAt: a.AppliedAt.UTC(), Unknown: true})
		}
	}
	return out, nil
}
