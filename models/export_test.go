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
	err := db.Conn(ctx).Raw("SELECT bot_token_enc FROM installations WHERE workspace_id = ?", workspaceID).Row().Scan(&b)
	return b, err
}

// HasColumn reports whether table has column.
func HasColumn(ctx context.Context, db *DB, table, column string) bool {
	return db.Conn(ctx).Migrator().HasColumn(table, column)
}

// CountMigrations counts schema_migrations rows per version.
func CountMigrations(ctx context.Context, db *DB) (map[int]int, error) {
	var rows []struct {
		Version int
		N       int
	}
	err := db.Conn(ctx).Raw("SELECT version, COUNT(*) AS n FROM schema_migrations GROUP BY version").Scan(&rows).Error
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
	err := db.Conn(ctx).Raw("PRAGMA " + name).Row().Scan(&v)
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
