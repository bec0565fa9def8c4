package models

import (
	"context"
	"time"
)

// Test hooks for the external models_test package: raw access to what is
// stored, bypassing the stores.

// WorkspaceTables is workspaceTables.
func WorkspaceTables() []string { return workspaceTables() }

// RawBotToken returns the bot_token_enc column of an installation as stored.
func RawBotToken(ctx context.Context, db *DB, workspaceID string) ([]byte, error) {
	var b []byte
	err := db.conn(ctx).Raw("SELECT bot_token_enc FROM installations WHERE workspace_id = ?", workspaceID).Row().Scan(&b)
	return b, err
}

// Tables lists the tables in the database (the current schema on Postgres).
func Tables(ctx context.Context, db *DB) ([]string, error) {
	return db.conn(ctx).Migrator().GetTables()
}

// HasColumn reports whether table has column.
func HasColumn(ctx context.Context, db *DB, table, column string) bool {
	return db.conn(ctx).Migrator().HasColumn(table, column)
}

// CountRows counts a workspace's rows in table.
func CountRows(ctx context.Context, db *DB, table, workspaceID string) (int64, error) {
	var n int64
	err := db.conn(ctx).Table(table).Where("workspace_id = ?", workspaceID).Count(&n).Error
	return n, err
}

// Exec runs a statement.
func Exec(ctx context.Context, db *DB, sql string, args ...any) error {
	return db.conn(ctx).Exec(sql, args...).Error
}

// CountMigrations counts schema_migrations rows per version.
func CountMigrations(ctx context.Context, db *DB) (map[int]int, error) {
	var rows []struct {
		Version int
		N       int
	}
	err := db.conn(ctx).Raw("SELECT version, COUNT(*) AS n FROM schema_migrations GROUP BY version").Scan(&rows).Error
	out := map[int]int{}
	for _, r := range rows {
		out[r.Version] = r.N
	}
	return out, err
}

// SetSlowQuery changes the slow-query threshold of db's SQL log; 0 logs
// every statement. Call it before using db.
func SetSlowQuery(db *DB, d time.Duration) {
	db.gorm.Logger = gormLogger{log: db.log, slow: d}
}

// Pragma reads a SQLite pragma.
func Pragma(ctx context.Context, db *DB, name string) (string, error) {
	var v string
	err := db.conn(ctx).Raw("PRAGMA " + name).Row().Scan(&v)
	return v, err
}

// V8 is migration 8's statements (models/migrations/<dialect>/0008_*.sql),
// to replay on rows stored before it.
func V8(dialect string) []string {
	ms, err := MigrationFiles(dialect)
	if err != nil {
		panic(err)
	}
	return ms[7].Statements
}
