package models

import (
	"context"
	"io/fs"
)

// Test hooks for the migration tests in the external models_test package.

// MigrationFile is one embedded migration file, as the runner reads it.
type MigrationFile struct {
	Version    int
	Name       string
	Statements []string
}

// MigrationFiles returns the dialect's embedded migrations in version order.
func MigrationFiles(dialect string) ([]MigrationFile, error) {
	ms, err := embeddedMigrations(dialect)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationFile, len(ms))
	for i, m := range ms {
		out[i] = MigrationFile{Version: m.version, Name: m.name, Statements: m.statements}
	}
	return out, nil
}

// MigrateFrom runs the migrations in fsys's folder for db's dialect (laid
// out like models/migrations) as Migrate runs the embedded ones.
func MigrateFrom(ctx context.Context, db *DB, fsys fs.FS) error {
	ms, err := loadMigrations(fsys, db.dialect)
	if err != nil {
		return err
	}
	return db.runMigrations(ctx, ms, 0)
}

// MigrateThrough applies the migrations up to and including version, as
// Migrate would, so a test can store data in an older schema and then
// migrate it.
func MigrateThrough(ctx context.Context, db *DB, version int) error {
	return db.migrateThrough(ctx, version)
}
