package models

import (
	"bufio"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// migrationFiles holds every schema change as SQL, one file per version
// and dialect; models/migrations/README.md says how to add one.
//
//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrationFiles embed.FS

// migration is one forward-only schema change: the statements of one
// version's file for one dialect, run in order in one transaction.
type migration struct {
	version    int
	name       string
	file       string
	statements []string
}

// embeddedMigrations returns the dialect's migrations built into the binary.
func embeddedMigrations(dialect string) ([]migration, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return loadMigrations(sub, dialect)
}

// loadMigrations reads the files in fsys's folder named for the dialect,
// in version order. A file is named NNNN_words.sql, NNNN being its version;
// versions start at 1 and follow each other with no gap, so a version
// missing from the folder is an error here rather than a schema that
// silently differs.
func loadMigrations(fsys fs.FS, dialect string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations: read %s: %w", dialect, err)
	}
	var ms []migration
	for _, e := range entries { // ReadDir sorts by name, so by version
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		file := path.Join(dialect, e.Name())
		digits, _, ok := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(digits)
		if !ok || err != nil || len(digits) != 4 {
			return nil, fmt.Errorf("migrations: %s: want a name like 0001_initial_schema.sql", file)
		}
		if want := len(ms) + 1; version != want {
			return nil, fmt.Errorf("migrations: %s: version %d, want %d (versions follow each other from 1)", file, version, want)
		}
		text, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		m, err := parseMigration(string(text))
		if err != nil {
			return nil, fmt.Errorf("migrations: %s: %w", file, err)
		}
		m.version, m.file = version, file
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("migrations: no files for %s", dialect)
	}
	return ms, nil
}

// namePrefix starts a migration file's first line, which names the
// change as `trellis migrate status` shows it.
const namePrefix = "-- name: "

// parseMigration reads a migration file: a first line "-- name: what it
// does", then SQL statements, each ending with a semicolon at the end of a
// line. Lines starting with -- are comments. Nothing else is special, so a
// statement must not end a line with a semicolon inside a string literal.
func parseMigration(text string) (migration, error) {
	sc := bufio.NewScanner(strings.NewReader(text))
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), namePrefix) || strings.TrimSpace(strings.TrimPrefix(sc.Text(), namePrefix)) == "" {
		return migration{}, errors.New(`the first line must be "-- name: what the change does"`)
	}
	m := migration{name: strings.TrimSpace(strings.TrimPrefix(sc.Text(), namePrefix))}
	var stmt []string
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" && len(stmt) == 0 || strings.HasPrefix(trimmed, "--") {
			continue
		}
		if s, ok := strings.CutSuffix(line, ";"); ok {
			stmt = append(stmt, s)
			m.statements = append(m.statements, strings.TrimSpace(strings.Join(stmt, "\n")))
			stmt = nil
			continue
		}
		stmt = append(stmt, line)
	}
	if err := sc.Err(); err != nil {
		return migration{}, err
	}
	if len(stmt) > 0 {
		return migration{}, fmt.Errorf("the statement starting %q has no closing semicolon", stmt[0])
	}
	if len(m.statements) == 0 {
		return migration{}, errors.New("no statements")
	}
	return m, nil
}
