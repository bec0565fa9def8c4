package models

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestMigrationFilesAgree: both dialects have a file for every version,
// under the same name, and every file has statements.
func TestMigrationFilesAgree(t *testing.T) {
	pg, err := embeddedMigrations(DialectPostgres)
	if err != nil {
		t.Fatal(err)
	}
	lite, err := embeddedMigrations(DialectSQLite)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg) != len(lite) {
		t.Fatalf("postgres has %d migrations, sqlite %d; want one file per version in each", len(pg), len(lite))
	}
	for i := range pg {
		if pg[i].version != i+1 || lite[i].version != i+1 || pg[i].name != lite[i].name {
			t.Errorf("migration %d: postgres %d %q, sqlite %d %q; want version %d under one name",
				i, pg[i].version, pg[i].name, lite[i].version, lite[i].name, i+1)
		}
		if len(pg[i].statements) == 0 || len(lite[i].statements) == 0 {
			t.Errorf("version %d has a file with no statements", i+1)
		}
	}
}

func TestParseMigration(t *testing.T) {
	m, err := parseMigration(`-- name: two tables
--
-- Why they exist.

CREATE TABLE a (
    -- a whole-line comment, dropped;
    id INTEGER NOT NULL -- a note kept
);
-- between
CREATE INDEX a_id ON a (id);
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CREATE TABLE a (\n    id INTEGER NOT NULL -- a note kept\n)", "CREATE INDEX a_id ON a (id)"}
	if m.name != "two tables" || !slices.Equal(m.statements, want) {
		t.Errorf("parseMigration = %q %q, want %q %q", m.name, m.statements, "two tables", want)
	}
}

func TestLoadMigrationsRefusesBadFiles(t *testing.T) {
	const ok = "-- name: one\nCREATE TABLE a (id INTEGER);\n"
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"no files", fstest.MapFS{"sqlite/README.md": {Data: []byte("x")}}, "no files"},
		{"badly named", fstest.MapFS{"sqlite/1_one.sql": {Data: []byte(ok)}}, "want a name like"},
		{"gap", fstest.MapFS{"sqlite/0001_one.sql": {Data: []byte(ok)}, "sqlite/0003_three.sql": {Data: []byte(ok)}}, "version 3, want 2"},
		{"unnamed", fstest.MapFS{"sqlite/0001_one.sql": {Data: []byte("CREATE TABLE a (id INTEGER);\n")}}, "first line"},
		{"unterminated", fstest.MapFS{"sqlite/0001_one.sql": {Data: []byte("-- name: one\nCREATE TABLE a (id INTEGER)\n")}}, "no closing semicolon"},
		{"empty", fstest.MapFS{"sqlite/0001_one.sql": {Data: []byte("-- name: one\n-- nothing yet\n")}}, "no statements"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadMigrations(tt.files, DialectSQLite)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("loadMigrations = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
