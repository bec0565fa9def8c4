package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

func TestWorkspaceDefaults(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewWorkspaces(db)
		if _, err := s.Get(ctx, "T1"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Get(new) = %v, want ErrNotFound", err)
		}
		w, err := s.Ensure(ctx, "T1", "Acme")
		if err != nil {
			t.Fatalf("Ensure: %v", err)
		}
		want := models.NewWorkspace("T1", "Acme")
		want.UpdatedAt = w.UpdatedAt
		if w != want || w.UpdatedAt.IsZero() {
			t.Errorf("Ensure = %+v, want %+v", w, want)
		}
		if err := s.SetMinGroupSize(ctx, "T1", 7, "UADMIN"); err != nil {
			t.Fatal(err)
		}
		// Ensure again: keeps settings, takes a new name, keeps the old one for "".
		w, err = s.Ensure(ctx, "T1", "Acme Inc")
		if err != nil || w.Name != "Acme Inc" || w.MinGroupSize != 7 {
			t.Errorf("Ensure(renamed) = %+v, %v; want name Acme Inc, group size 7", w, err)
		}
		w, err = s.Ensure(ctx, "T1", "")
		if err != nil || w.Name != "Acme Inc" {
			t.Errorf("Ensure(no name) = %+v, %v; want name kept", w, err)
		}
	})
}

func TestWorkspaceAdminChangesAreAudited(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewWorkspaces(db)
		if _, err := s.Ensure(ctx, "T1", "Acme"); err != nil {
			t.Fatal(err)
		}
		sunThu, err := calendar.ParseWorkingHours("sun-thu 8:00-16:00")
		if err != nil {
			t.Fatal(err)
		}
		xmas := date(t, "2026-12-24")
		steps := []struct {
			name       string
			run        func() error
			wantAction string
			wantDetail string
		}{
			{"hours", func() error { return s.SetDefaultHours(ctx, "T1", sunThu, "UADMIN") },
				models.AuditSetDefaultHours, "mon-fri 09:00-17:30 → sun-thu 08:00-16:00"},
			{"region", func() error { return s.SetHolidayRegion(ctx, "T1", "gb-sct", "UADMIN") },
				models.AuditSetHolidayRegion, "(not set) → GB-SCT"},
			{"group size", func() error { return s.SetMinGroupSize(ctx, "T1", 8, "UOTHER") },
				models.AuditSetMinGroupSize, "5 → 8"},
			{"add holiday", func() error {
				return s.AddHoliday(ctx, models.Holiday{WorkspaceID: "T1", Date: xmas, Name: "Christmas Eve", AddedBy: "UADMIN"})
			}, models.AuditAddHoliday, "2026-12-24 Christmas Eve"},
			{"remove holiday", func() error { return s.RemoveHoliday(ctx, "T1", xmas, "UADMIN") },
				models.AuditRemoveHoliday, "2026-12-24 Christmas Eve"},
		}
		for i, st := range steps {
			if err := st.run(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			log, err := s.Audit(ctx, "T1", 0)
			if err != nil {
				t.Fatalf("Audit: %v", err)
			}
			if got, want := len(log), i+1; got != want {
				t.Fatalf("after %s: %d audit entries, want %d", st.name, got, want)
			}
			if e := log[0]; e.Action != st.wantAction || e.Detail != st.wantDetail || e.At.IsZero() || e.WorkspaceID != "T1" {
				t.Errorf("after %s: newest entry = %+v, want action %q detail %q", st.name, e, st.wantAction, st.wantDetail)
			}
		}
		w, err := s.Get(ctx, "T1")
		if err != nil {
			t.Fatal(err)
		}
		if w.DefaultHours != sunThu || w.HolidayRegion != "GB-SCT" || w.MinGroupSize != 8 {
			t.Errorf("Get = %+v, want the changes applied", w)
		}
		if log, _ := s.Audit(ctx, "T1", 2); len(log) != 2 || log[0].Action != models.AuditRemoveHoliday {
			t.Errorf("Audit(limit 2) = %+v, want the 2 newest", log)
		}

		// Refused changes write nothing.
		bad := []struct {
			name string
			err  error
			want error
		}{
			{"group size 2", s.SetMinGroupSize(ctx, "T1", 2, "UADMIN"), models.ErrInvalid},
			{"zero-length hours", s.SetDefaultHours(ctx, "T1", calendar.WorkingHours{Days: calendar.MonFri, Start: 540, End: 540}, "UADMIN"), calendar.ErrZeroLength},
			{"no actor", s.SetHolidayRegion(ctx, "T1", "DE", ""), models.ErrInvalid},
			{"remove missing holiday", s.RemoveHoliday(ctx, "T1", xmas, "UADMIN"), models.ErrNotFound},
		}
		for _, tt := range bad {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, tt.err, tt.want)
			}
		}
		if log, _ := s.Audit(ctx, "T1", 0); len(log) != len(steps) {
			t.Errorf("audit entries after refused changes = %d, want %d", len(log), len(steps))
		}
	})
}

// TestAuditRollsBackWithChange: the change and its audit row commit together.
func TestAuditRollsBackWithChange(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewWorkspaces(db)
		boom := errors.New("boom")
		err := db.Tx(ctx, func(ctx context.Context) error {
			if err := s.SetMinGroupSize(ctx, "T1", 9, "UADMIN"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx = %v, want boom", err)
		}
		if log, _ := s.Audit(ctx, "T1", 0); len(log) != 0 {
			t.Errorf("audit after rollback = %+v, want none", log)
		}
		if _, err := s.Get(ctx, "T1"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Get after rollback = %v, want ErrNotFound", err)
		}
	})
}

func TestWorkspaceHolidays(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewWorkspaces(db)
		for _, h := range []models.Holiday{
			{WorkspaceID: "T1", Date: date(t, "2026-12-31"), Name: "New Year's Eve", AddedBy: "UA"},
			{WorkspaceID: "T1", Date: date(t, "2026-12-24"), Name: "Christmas Eve", AddedBy: "UA"},
			{WorkspaceID: "T1", Date: date(t, "2026-07-17"), Name: "Company day", AddedBy: "UB"},
			{WorkspaceID: "T2", Date: date(t, "2026-12-24"), Name: "Other workspace", AddedBy: "UC"},
		} {
			if err := s.AddHoliday(ctx, h); err != nil {
				t.Fatalf("AddHoliday(%v): %v", h, err)
			}
		}
		err := s.AddHoliday(ctx, models.Holiday{WorkspaceID: "T1", Date: date(t, "2026-12-24"), Name: "Again", AddedBy: "UA"})
		if !errors.Is(err, models.ErrConflict) {
			t.Errorf("AddHoliday(duplicate) = %v, want ErrConflict", err)
		}
		// The conflict left a caller's transaction usable (no aborted Postgres tx).
		err = db.Tx(ctx, func(ctx context.Context) error {
			if err := s.AddHoliday(ctx, models.Holiday{WorkspaceID: "T1", Date: date(t, "2026-12-24"), Name: "Again", AddedBy: "UA"}); !errors.Is(err, models.ErrConflict) {
				t.Errorf("AddHoliday(duplicate in tx) = %v, want ErrConflict", err)
			}
			return s.AddHoliday(ctx, models.Holiday{WorkspaceID: "T1", Date: date(t, "2026-12-28"), AddedBy: "UA"})
		})
		if err != nil {
			t.Errorf("Tx after a conflict: %v", err)
		}
		if log, _ := s.Audit(ctx, "T1", 0); len(log) != 4 {
			t.Errorf("T1 audit entries = %d, want 4 (no entry for the conflicts)", len(log))
		}

		tests := []struct {
			from, to string
			want     []string
		}{
			{"2026-01-01", "2026-12-31", []string{"2026-07-17", "2026-12-24", "2026-12-28", "2026-12-31"}},
			{"2026-12-24", "2026-12-28", []string{"2026-12-24", "2026-12-28"}},
			{"2026-12-25", "2026-12-27", nil},
			{"", "2026-08-01", []string{"2026-07-17"}},
			{"2026-12-29", "", []string{"2026-12-31"}},
		}
		for _, tt := range tests {
			var from, to calendar.Date
			if tt.from != "" {
				from = date(t, tt.from)
			}
			if tt.to != "" {
				to = date(t, tt.to)
			}
			hs, err := s.Holidays(ctx, "T1", from, to)
			if err != nil {
				t.Fatalf("Holidays: %v", err)
			}
			var got []string
			for _, h := range hs {
				got = append(got, h.Date.String())
				if h.WorkspaceID != "T1" {
					t.Errorf("Holidays(T1) returned %+v", h)
				}
			}
			if !equalStrings(got, tt.want) {
				t.Errorf("Holidays(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
			}
		}
		hs, _ := s.Holidays(ctx, "T1", date(t, "2026-12-28"), date(t, "2026-12-28"))
		if len(hs) != 1 || hs[0].Name != "Holiday" || hs[0].AddedBy != "UA" {
			t.Errorf("unnamed holiday = %+v, want name Holiday added by UA", hs)
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDeleteWorkspace(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		inst := newInstallations(t, db)
		ws := models.NewWorkspaces(db)
		for _, id := range []string{"T1", "T2"} {
			seedWorkspace(t, db, inst, id)
		}
		if err := ws.DeleteWorkspace(ctx, "T1"); err != nil {
			t.Fatalf("DeleteWorkspace: %v", err)
		}
		for _, table := range models.WorkspaceTables() {
			for id, want := range map[string]bool{"T1": false, "T2": true} {
				n, err := modelstest.CountRows(ctx, db, table, id)
				if err != nil {
					t.Fatalf("count %s: %v", table, err)
				}
				if got := n > 0; got != want {
					t.Errorf("%s rows of %s after deleting T1: %d, want present=%v", table, id, n, want)
				}
			}
		}
		if _, err := inst.Get(ctx, "T2"); err != nil {
			t.Errorf("T2's installation: %v", err)
		}
	})
}

// TestClock: rows are stamped with the injected clock.
func TestClock(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			at := time.Date(2031, 2, 3, 4, 5, 6, 789000, time.UTC)
			sim := clock.NewFrozen(at)
			db, err := models.Open(ctx, modelstest.Logger(t), modelstest.URL(t, dialect), models.WithClock(sim))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			s := models.NewWorkspaces(db)
			if err := s.SetMinGroupSize(ctx, "T1", 4, "UA"); err != nil {
				t.Fatal(err)
			}
			log, err := s.Audit(ctx, "T1", 1)
			if err != nil || len(log) != 1 || !log[0].At.Equal(at) {
				t.Errorf("audit = %+v, %v; want At %v", log, err, at)
			}
		})
	}
}

// Record writes a feature's admin change to the audit log, joining the
// transaction its ctx carries: a change rolled back leaves no entry. An
// entry without a workspace, actor or action is refused.
func TestRecordJoinsTheChangesTransaction(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ws := models.NewWorkspaces(db)
		e := models.AuditEntry{WorkspaceID: "T1", ActorID: "UA", Action: "okr_cycle_new", Detail: "“Q1”"}
		boom := errors.New("boom")
		if err := db.Tx(ctx, func(ctx context.Context) error {
			if err := ws.Record(ctx, e); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("Tx = %v, want boom", err)
		}
		if got, err := ws.Audit(ctx, "T1", 0); err != nil || len(got) != 0 {
			t.Errorf("after a rolled-back change: %+v, %v; want no entry", got, err)
		}
		for _, bad := range []models.AuditEntry{
			{ActorID: "UA", Action: "x"}, {WorkspaceID: "T1", Action: "x"}, {WorkspaceID: "T1", ActorID: "UA", Action: " "},
		} {
			if err := ws.Record(ctx, bad); !errors.Is(err, models.ErrInvalid) {
				t.Errorf("Record(%+v) = %v, want ErrInvalid", bad, err)
			}
		}
		if err := db.Tx(ctx, func(ctx context.Context) error { return ws.Record(ctx, e) }); err != nil {
			t.Fatal(err)
		}
		got, err := ws.Audit(ctx, "T1", 0)
		if err != nil || len(got) != 1 || got[0].ActorID != "UA" || got[0].Action != e.Action || got[0].Detail != e.Detail || got[0].At.IsZero() {
			t.Errorf("after a committed change: %+v, %v; want the entry", got, err)
		}
	})
}
