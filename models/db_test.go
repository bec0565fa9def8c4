package models_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

func TestOpenSQLiteForms(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, url string
	}{
		{"path", filepath.Join(dir, "a.db")},
		{"nested path", filepath.Join(dir, "data", "sub", "b.db")},
		{"sqlite url", "sqlite://" + filepath.Join(dir, "c.db")},
		{"file uri", "file:" + filepath.Join(dir, "d.db") + "?cache=private"},
		{"memory", ":memory:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := modelstest.Open(t, tt.url)
			if got, want := db.Dialect(), models.DialectSQLite; got != want {
				t.Errorf("Dialect() = %q, want %q", got, want)
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			if _, err := models.NewWorkspaces(db).Ensure(ctx, "T1", "Acme"); err != nil {
				t.Fatalf("Ensure: %v", err)
			}
			wantJournal := "wal"
			if tt.url == ":memory:" {
				wantJournal = "memory"
			}
			for pragma, want := range map[string]string{"journal_mode": wantJournal, "foreign_keys": "1", "busy_timeout": "10000"} {
				if got, err := models.Pragma(ctx, db, pragma); err != nil || got != want {
					t.Errorf("PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
				}
			}
		})
	}
}

func TestForeignKeysEnforced(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		err := modelstest.Exec(context.Background(), db,
			"INSERT INTO away_periods (workspace_id, user_id, first_day, last_day, created_at) VALUES ('T1', 'UNOBODY', '2026-01-01', '2026-01-01', CURRENT_TIMESTAMP)")
		if err == nil {
			t.Error("away period for an unknown person was accepted; want a foreign key error")
		}
	})
}

func TestOpenRejectsEmptyURL(t *testing.T) {
	if _, err := models.Open(context.Background(), modelstest.Logger(t), ""); err == nil {
		t.Error("Open(\"\") = nil error, want one")
	}
}

func TestDialect(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		if got, want := db.Dialect(), filepath.Base(t.Name()); got != want {
			t.Errorf("Dialect() = %q, want %q", got, want)
		}
		if err := db.Ping(context.Background()); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}

func TestTx(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		people := models.NewPeople(db)
		boom := errors.New("boom")

		if models.InTransaction(ctx) {
			t.Error("InTransaction(outside) = true, want false")
		}

		// A failing fn rolls back everything it wrote.
		err := db.Tx(ctx, func(ctx context.Context) error {
			if !models.InTransaction(ctx) {
				t.Error("InTransaction(inside) = false, want true")
			}
			if err := people.SetTZOverride(ctx, "T1", "U1", "Europe/Paris"); err != nil {
				return err
			}
			if _, err := people.Get(ctx, "T1", "U1"); err != nil {
				t.Errorf("Get inside the transaction: %v", err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx = %v, want %v", err, boom)
		}
		if _, err := people.Get(ctx, "T1", "U1"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Get after rollback = %v, want ErrNotFound", err)
		}

		// A nested Tx joins the outer one: its writes go when the outer fails.
		err = db.Tx(ctx, func(ctx context.Context) error {
			err := db.Tx(ctx, func(ctx context.Context) error {
				if !models.InTransaction(ctx) {
					t.Error("InTransaction(nested) = false, want true")
				}
				return people.SetTZOverride(ctx, "T1", "U2", "Asia/Tokyo")
			})
			if err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx = %v, want %v", err, boom)
		}
		if _, err := people.Get(ctx, "T1", "U2"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Get after outer rollback = %v, want ErrNotFound", err)
		}

		// A panic rolls back and propagates.
		func() {
			defer func() {
				if recover() == nil {
					t.Error("Tx swallowed a panic")
				}
			}()
			_ = db.Tx(ctx, func(ctx context.Context) error {
				_ = people.SetTZOverride(ctx, "T1", "U3", "Asia/Tokyo")
				panic("boom")
			})
		}()
		if _, err := people.Get(ctx, "T1", "U3"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Get after panic = %v, want ErrNotFound", err)
		}

		// A committed Tx keeps its writes.
		if err := db.Tx(ctx, func(ctx context.Context) error {
			return people.SetTZOverride(ctx, "T1", "U4", "Asia/Tokyo")
		}); err != nil {
			t.Fatalf("Tx: %v", err)
		}
		if p, err := people.Get(ctx, "T1", "U4"); err != nil || p.TZOverride != "Asia/Tokyo" {
			t.Errorf("Get after commit = %+v, %v; want TZOverride Asia/Tokyo", p, err)
		}
	})
}

// TestConcurrentWriters checks that many goroutines writing at once all
// succeed (on SQLite: no "database is locked").
func TestConcurrentWriters(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		people := models.NewPeople(db)
		ws := models.NewWorkspaces(db)
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			wg.Add(2)
			go func() {
				defer wg.Done()
				d := calendar.Date{Year: 2026, Month: 3, Day: 1 + i}
				_, err := people.AddAway(ctx, models.AwayPeriod{WorkspaceID: "T1", UserID: fmt.Sprintf("U%d", i%3), First: d, Last: d})
				errs <- err
			}()
			go func() {
				defer wg.Done()
				errs <- ws.SetMinGroupSize(ctx, "T1", 3+i, "UADMIN")
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		audit, err := ws.Audit(ctx, "T1", 0)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		if got, want := len(audit), n; got != want {
			t.Errorf("audit entries = %d, want %d", got, want)
		}
	})
}

// TestTwoProcessesOneSQLiteFile: two DBs on one file (two replicas or a CLI
// next to the server) write at once without "database is locked".
func TestTwoProcessesOneSQLiteFile(t *testing.T) {
	ctx := context.Background()
	url := modelstest.URL(t, models.DialectSQLite)
	a, b := modelstest.Open(t, url), modelstest.Open(t, url)
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		for _, db := range []*models.DB{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- models.NewPeople(db).SetTZOverride(ctx, "T1", fmt.Sprintf("U%d", i), "Europe/Berlin")
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
