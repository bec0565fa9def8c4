package models_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

func TestMigrateEmptyThenNoop(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db := modelstest.Open(t, modelstest.URL(t, dialect))

			before, err := db.MigrationStatus(ctx)
			if err != nil {
				t.Fatalf("MigrationStatus on empty db: %v", err)
			}
			if len(before) == 0 {
				t.Fatal("MigrationStatus lists no migrations")
			}
			for _, s := range before {
				if s.Applied || s.Unknown {
					t.Errorf("before Migrate: %+v, want pending and known", s)
				}
			}

			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			after, err := db.MigrationStatus(ctx)
			if err != nil {
				t.Fatalf("MigrationStatus: %v", err)
			}
			for _, s := range after {
				if !s.Applied {
					t.Errorf("after Migrate: version %d (%s) pending, want applied", s.Version, s.Name)
				}
			}
			if got, want := after[0].Version, 1; got != want {
				t.Errorf("first version = %d, want %d", got, want)
			}

			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("second Migrate: %v", err)
			}
			again, err := db.MigrationStatus(ctx)
			if err != nil {
				t.Fatalf("MigrationStatus: %v", err)
			}
			if !slices.Equal(again, after) {
				t.Errorf("status after re-run = %+v, want unchanged %+v", again, after)
			}
		})
	}
}

func TestMigrateConcurrentReplicas(t *testing.T) {
	const replicas = 4
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			url := modelstest.URL(t, dialect)
			dbs := make([]*models.DB, replicas)
			for i := range dbs {
				dbs[i] = modelstest.Open(t, url)
			}
			var wg sync.WaitGroup
			errs := make([]error, replicas)
			start := make(chan struct{})
			for i, db := range dbs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs[i] = db.Migrate(ctx)
				}()
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("replica %d: Migrate: %v", i, err)
				}
			}
			counts, err := models.CountMigrations(ctx, dbs[0])
			if err != nil {
				t.Fatalf("count migrations: %v", err)
			}
			status, err := dbs[0].MigrationStatus(ctx)
			if err != nil {
				t.Fatalf("MigrationStatus: %v", err)
			}
			for _, s := range status {
				if got, want := counts[s.Version], 1; got != want {
					t.Errorf("version %d applied %d times, want %d", s.Version, got, want)
				}
			}
		})
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		if err := modelstest.Exec(ctx, db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			999, "from the future", "2030-01-01 00:00:00+00:00"); err != nil {
			t.Fatalf("insert future version: %v", err)
		}
		err := db.Migrate(ctx)
		if !errors.Is(err, models.ErrSchemaTooNew) {
			t.Fatalf("Migrate = %v, want ErrSchemaTooNew", err)
		}
		status, err := db.MigrationStatus(ctx)
		if err != nil {
			t.Fatalf("MigrationStatus: %v", err)
		}
		last := status[len(status)-1]
		if last.Version != 999 || !last.Unknown || !last.Applied {
			t.Errorf("last status = %+v, want version 999 applied and unknown", last)
		}
	})
}

// TestEveryTableIsWorkspaceKeyed guards DeleteWorkspace: every table but
// schema_migrations has workspace_id and is in the deletion list.
func TestEveryTableIsWorkspaceKeyed(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		tables, err := modelstest.Tables(ctx, db)
		if err != nil {
			t.Fatalf("Tables: %v", err)
		}
		var got []string
		for _, tb := range tables {
			if tb == "schema_migrations" || tb == "sqlite_sequence" {
				continue
			}
			got = append(got, tb)
			if !models.HasColumn(ctx, db, tb, "workspace_id") {
				t.Errorf("table %s has no workspace_id column", tb)
			}
		}
		want := slices.Clone(models.WorkspaceTables())
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("tables = %v, want %v (update workspaceTables)", got, want)
		}
	})
}

// TestFailedMigrationLeavesNoTrace: each migration runs in its own
// transaction, so one that fails midway changes nothing and is not
// recorded, while those before it stay applied.
func TestFailedMigrationLeavesNoTrace(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db := modelstest.Open(t, modelstest.URL(t, dialect))
			file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
			first := file("-- name: first\nCREATE TABLE first_table (id INTEGER);\n")
			broken := fstest.MapFS{
				dialect + "/0001_first.sql":  first,
				dialect + "/0002_second.sql": file("-- name: second\nCREATE TABLE second_table (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n"),
			}
			err := models.MigrateFrom(ctx, db, broken)
			if err == nil || !strings.Contains(err.Error(), "version 2 (second)") {
				t.Fatalf("Migrate with a failing version 2 = %v, want its error", err)
			}
			tables, err := modelstest.Tables(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(tables, "first_table") || slices.Contains(tables, "second_table") {
				t.Errorf("tables after the failure = %v, want first_table and no second_table", tables)
			}
			if counts, err := models.CountMigrations(ctx, db); err != nil || counts[1] != 1 || counts[2] != 0 {
				t.Errorf("recorded versions = %v (%v), want 1 only", counts, err)
			}
			fixed := fstest.MapFS{
				dialect + "/0001_first.sql":  first,
				dialect + "/0002_second.sql": file("-- name: second\nCREATE TABLE second_table (id INTEGER);\n"),
			}
			if err := models.MigrateFrom(ctx, db, fixed); err != nil {
				t.Fatalf("Migrate once fixed: %v", err)
			}
			if !models.HasColumn(ctx, db, "second_table", "id") {
				t.Error("second_table missing after the fixed migration ran")
			}
		})
	}
}
