package models_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// uninstallAt deactivates a workspace's installation and backdates its
// uninstall to at.
func uninstallAt(t *testing.T, db *models.DB, s *models.Installations, id string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	if err := s.Deactivate(ctx, id); err != nil {
		t.Fatalf("Deactivate %s: %v", id, err)
	}
	if err := modelstest.Exec(ctx, db, "UPDATE installations SET uninstalled_at = ? WHERE workspace_id = ?", at.UTC(), id); err != nil {
		t.Fatalf("backdate %s: %v", id, err)
	}
}

func TestUninstalledBefore(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := newInstallations(t, db)
		for _, id := range []string{"T1", "T2", "T3", "T4", "T5"} {
			if err := s.Save(ctx, models.Installation{WorkspaceID: id, BotToken: "xoxb-" + id}); err != nil {
				t.Fatal(err)
			}
		}
		at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
		uninstallAt(t, db, s, "T3", at)
		uninstallAt(t, db, s, "T1", at.Add(-time.Microsecond))
		uninstallAt(t, db, s, "T5", at.Add(time.Hour))
		// T4 was uninstalled long ago, then reinstalled: Save reactivates
		// it and clears uninstalled_at.
		uninstallAt(t, db, s, "T4", at.Add(-30*24*time.Hour))
		if err := s.Save(ctx, models.Installation{WorkspaceID: "T4", BotToken: "xoxb-T4-again"}); err != nil {
			t.Fatal(err)
		}
		// T2 stays active.

		tests := []struct {
			name string
			t    time.Time
			want []string
		}{
			{"before every uninstall", at.Add(-time.Hour), nil},
			{"strictly before", at, []string{"T1"}},
			{"just after", at.Add(time.Microsecond), []string{"T1", "T3"}},
			{"another zone", at.Add(time.Second).In(time.FixedZone("UTC+5", 5*3600)), []string{"T1", "T3"}},
			{"after every uninstall", at.Add(1000 * 24 * time.Hour), []string{"T1", "T3", "T5"}},
		}
		for _, tt := range tests {
			got, err := s.UninstalledBefore(ctx, tt.t)
			if err != nil {
				t.Fatalf("UninstalledBefore(%v): %v", tt.t, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: UninstalledBefore(%v) = %v, want %v", tt.name, tt.t, got, tt.want)
			}
		}
		if _, err := s.Get(ctx, "T4"); err != nil {
			t.Errorf("Get(reinstalled T4) = %v, want it active", err)
		}
	})
}

func TestDeleteUninstalled(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		inst := newInstallations(t, db)
		ws := models.NewWorkspaces(db)
		ids := []string{"TGONE", "TACTIVE", "TBACK", "TRECENT"}
		for _, id := range ids {
			seedWorkspace(t, db, inst, id)
		}
		cutoff := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		uninstallAt(t, db, inst, "TGONE", cutoff.Add(-time.Hour))
		uninstallAt(t, db, inst, "TRECENT", cutoff)
		uninstallAt(t, db, inst, "TBACK", cutoff.Add(-time.Hour))
		if err := inst.Save(ctx, models.Installation{WorkspaceID: "TBACK", BotToken: "xoxb-back"}); err != nil {
			t.Fatal(err)
		}

		for _, tt := range []struct {
			id   string
			want bool
		}{
			{"TACTIVE", false},
			{"TBACK", false},
			{"TRECENT", false},
			{"TNEVER", false},
			{"TGONE", true},
			{"TGONE", false}, // already deleted: nothing to do, no error
		} {
			got, err := ws.DeleteUninstalled(ctx, tt.id, cutoff)
			if err != nil || got != tt.want {
				t.Errorf("DeleteUninstalled(%s) = %v, %v; want %v, nil", tt.id, got, err, tt.want)
			}
		}
		for _, table := range models.WorkspaceTables() {
			for _, id := range ids {
				n, err := modelstest.CountRows(ctx, db, table, id)
				if err != nil {
					t.Fatalf("count %s: %v", table, err)
				}
				if got, want := n > 0, id != "TGONE"; got != want {
					t.Errorf("%s rows of %s: %d, want present=%v", table, id, n, want)
				}
			}
		}
		if _, err := ws.DeleteUninstalled(ctx, "", cutoff); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("DeleteUninstalled(\"\") = %v, want ErrInvalid", err)
		}
		// DeleteWorkspace of a workspace already gone is not an error either.
		if err := ws.DeleteWorkspace(ctx, "TGONE"); err != nil {
			t.Errorf("DeleteWorkspace(deleted) = %v, want nil", err)
		}
	})
}

// TestDeleteUninstalledConcurrently: two replicas purging the same
// workspaces at once both succeed, and each workspace is deleted by one.
func TestDeleteUninstalledConcurrently(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			dbs := modelstest.Replicas(t, dialect, 2)
			db := dbs[0]
			inst := newInstallations(t, db)
			ws := models.NewWorkspaces(db)
			ids := []string{"T1", "T2", "T3", "T4", "T5", "T6"}
			for _, id := range ids {
				if err := inst.Save(ctx, models.Installation{WorkspaceID: id, BotToken: "xoxb-" + id}); err != nil {
					t.Fatal(err)
				}
				if err := ws.SetMinGroupSize(ctx, id, 6, "UA"); err != nil {
					t.Fatal(err)
				}
				if err := inst.Deactivate(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			cutoff := time.Now().Add(time.Hour)
			replicas := []*models.Workspaces{ws, models.NewWorkspaces(dbs[1])}

			var (
				mu      sync.Mutex
				deleted = map[string]int{}
				wg      sync.WaitGroup
			)
			for _, r := range replicas {
				wg.Go(func() {
					for _, id := range ids {
						ok, err := r.DeleteUninstalled(ctx, id, cutoff)
						if err != nil {
							t.Errorf("DeleteUninstalled(%s): %v", id, err)
						}
						if ok {
							mu.Lock()
							deleted[id]++
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			for _, id := range ids {
				if deleted[id] != 1 {
					t.Errorf("%s deleted %d times, want once", id, deleted[id])
				}
				n, err := modelstest.CountRows(ctx, db, "workspaces", id)
				if err != nil || n != 0 {
					t.Errorf("workspaces rows of %s = %d, %v; want 0", id, n, err)
				}
			}
		})
	}
}
