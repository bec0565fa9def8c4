package models_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// updateSchema rewrites the golden schema files from what Migrate builds:
// go test ./models -run TestFreshSchemaMatchesGolden -update. Only do so
// for a new migration; a change to the schema an old version produced is
// a bug.
var updateSchema = flag.Bool("update", false, "rewrite models/testdata/schema.*.golden from a freshly migrated database")

// bookkeeping names the tables that record which migrations ran. They are
// the runner's, not the application's, so the schema comparison leaves
// them out (with their indexes, constraints and sequences).
var bookkeeping = map[string]bool{"schema_migrations": true, "goose_db_version": true}

// TestFreshSchemaMatchesGolden: a fresh database migrated to the latest
// version has exactly the schema in models/testdata/schema.<dialect>.golden
// (tables, columns with types, nullability and defaults, constraints,
// indexes and sequences), so a change in how migrations are stored or run
// cannot change what they build.
func TestFreshSchemaMatchesGolden(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		got := dumpSchema(t, db)
		path := filepath.Join("testdata", "schema."+db.Dialect()+".golden")
		if *updateSchema {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read golden schema (run with -update to create it): %v", err)
		}
		if got != string(want) {
			t.Errorf("schema of a fresh %s database differs from %s:\n%s", db.Dialect(), path, lineDiff(string(want), got))
		}
	})
}

// dumpSchema describes db's schema as sorted text, one object a line.
func dumpSchema(t *testing.T, db *models.DB) string {
	t.Helper()
	if db.Dialect() == models.DialectSQLite {
		return dumpSQLite(t, db)
	}
	return dumpPostgres(t, db)
}

var spaces = regexp.MustCompile(`\s+`)

// dumpSQLite lists sqlite_master: SQLite keeps each table's and index's
// definition as text (rewritten by ALTER TABLE), which is its whole
// schema. Whitespace is collapsed; SQLite's own objects are left out.
func dumpSQLite(t *testing.T, db *models.DB) string {
	t.Helper()
	_, rows := rawRows(t, db, `SELECT type, name, tbl_name, sql FROM sqlite_master
		WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
	var b strings.Builder
	for _, r := range rows {
		if bookkeeping[r[2]] {
			continue
		}
		sql := spaces.ReplaceAllString(r[3], " ")
		sql = strings.ReplaceAll(strings.ReplaceAll(sql, "( ", "("), " )", ")")
		b.WriteString(r[0] + " " + r[1] + ": " + sql + "\n")
	}
	return b.String()
}

// dumpPostgres lists the current schema's columns (type, NOT NULL,
// default, identity), constraints, indexes and sequences from pg_catalog,
// with the test's schema name taken out.
func dumpPostgres(t *testing.T, db *models.DB) string {
	t.Helper()
	_, schema := rawRows(t, db, `SELECT current_schema()`)
	qualified := regexp.MustCompile(`\b` + regexp.QuoteMeta(schema[0][0]) + `\.`)
	var b strings.Builder
	add := func(format string, query string) {
		_, rows := rawRows(t, db, query)
		for _, r := range rows {
			if bookkeeping[r[0]] {
				continue
			}
			args := make([]any, len(r))
			for i, v := range r {
				args[i] = v
			}
			line := fmt.Sprintf(format, args...)
			b.WriteString(qualified.ReplaceAllString(line, "") + "\n")
		}
	}
	add("column %s.%s: %s notnull=%s default=%s identity=%s", `
		SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
		       COALESCE(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity
		FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY c.relname, a.attnum`)
	add("constraint %s.%s: %s", `
		SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
		FROM pg_constraint con
		JOIN pg_class c ON c.oid = con.conrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema()
		ORDER BY c.relname, con.conname`)
	add("index %s.%s: %s", `
		SELECT tablename, indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() ORDER BY tablename, indexname`)
	add("sequence %s.%s: %s start=%s increment=%s", `
		SELECT COALESCE(t.relname, ''), s.relname, format_type(q.seqtypid, NULL), q.seqstart, q.seqincrement
		FROM pg_class s
		JOIN pg_namespace n ON n.oid = s.relnamespace
		JOIN pg_sequence q ON q.seqrelid = s.oid
		LEFT JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
		LEFT JOIN pg_class t ON t.oid = d.refobjid
		WHERE n.nspname = current_schema() AND s.relkind = 'S'
		ORDER BY 1, 2`)
	return b.String()
}

func rawRows(t *testing.T, db *models.DB, query string) ([]string, [][]string) {
	t.Helper()
	cols, rows, err := modelstest.RawRows(context.Background(), db, query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return cols, rows
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
