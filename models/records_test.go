package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// TestSameRecordTwiceIsOneRow: the same time off or company holiday added
// again (a double submit, a replayed command) stores nothing more, says
// ErrDuplicate and hands back what is stored; it also leaves a caller's
// transaction usable.
func TestSameRecordTwiceIsOneRow(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		people, ws := models.NewPeople(db), models.NewWorkspaces(db)
		first, last := date(t, "2026-12-20"), date(t, "2026-12-31")

		orig, err := people.AddAway(ctx, models.AwayPeriod{WorkspaceID: "T1", UserID: "U1", First: first, Last: last, Note: "Lisbon"})
		if err != nil {
			t.Fatal(err)
		}
		// The replay carries another note; the first one stays.
		err = db.Tx(ctx, func(ctx context.Context) error {
			again, err := people.AddAway(ctx, models.AwayPeriod{WorkspaceID: "T1", UserID: "U1", First: first, Last: last, Note: "replay"})
			if !errors.Is(err, models.ErrDuplicate) {
				t.Errorf("AddAway(same days) = %v, want ErrDuplicate", err)
			}
			if again.ID != orig.ID || again.Note != "Lisbon" {
				t.Errorf("AddAway(same days) returned %+v, want the stored %+v", again, orig)
			}
			// The transaction goes on.
			_, err = people.AddAway(ctx, models.AwayPeriod{WorkspaceID: "T1", UserID: "U1", First: first, Last: first})
			return err
		})
		if err != nil {
			t.Fatalf("transaction after a duplicate: %v", err)
		}
		// Other people and other days are other records.
		for _, a := range []models.AwayPeriod{
			{WorkspaceID: "T1", UserID: "U2", First: first, Last: last},
			{WorkspaceID: "T2", UserID: "U1", First: first, Last: last},
		} {
			if _, err := people.AddAway(ctx, a); err != nil {
				t.Errorf("AddAway(%+v) = %v, want stored", a, err)
			}
		}
		got, err := people.AwayPeriods(ctx, "T1", "U1", first)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Errorf("T1/U1 away periods = %+v, want 2 (the replay not stored)", got)
		}

		h := models.Holiday{WorkspaceID: "T1", Date: date(t, "2026-12-24"), Name: "Office closed", AddedBy: "UA"}
		if err := ws.AddHoliday(ctx, h); err != nil {
			t.Fatal(err)
		}
		if err := ws.AddHoliday(ctx, h); !errors.Is(err, models.ErrDuplicate) {
			t.Errorf("AddHoliday(same) = %v, want ErrDuplicate", err)
		}
		other := h
		other.Name = "Something else"
		if err := ws.AddHoliday(ctx, other); !errors.Is(err, models.ErrConflict) || errors.Is(err, models.ErrDuplicate) {
			t.Errorf("AddHoliday(same day, other name) = %v, want ErrConflict only", err)
		}
		hs, err := ws.Holidays(ctx, "T1", h.Date, h.Date)
		if err != nil || len(hs) != 1 || hs[0].Name != h.Name {
			t.Errorf("holidays = %+v, %v; want the first only", hs, err)
		}
	})
}

// TestStoredTextIsBounded: a time-off note or a holiday name over its limit
// is refused with a message saying the limit, and stores nothing; at the
// limit (counted in characters, not bytes) it is stored.
func TestStoredTextIsBounded(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		people, ws := models.NewPeople(db), models.NewWorkspaces(db)
		d := date(t, "2026-12-24")
		tests := []struct {
			name  string
			limit int
			add   func(text string, day calendar.Date) error
		}{
			{"away note", models.MaxAwayNoteLen, func(s string, day calendar.Date) error {
				_, err := people.AddAway(ctx, models.AwayPeriod{WorkspaceID: "T1", UserID: "U1", First: day, Last: day, Note: s})
				return err
			}},
			{"holiday name", models.MaxHolidayNameLen, func(s string, day calendar.Date) error {
				return ws.AddHoliday(ctx, models.Holiday{WorkspaceID: "T1", Date: day, Name: s, AddedBy: "UA"})
			}},
		}
		for _, tt := range tests {
			long := strings.Repeat("🌴", tt.limit+1)
			err := tt.add(long, d)
			if !errors.Is(err, models.ErrInvalid) || !strings.Contains(err.Error(), "keep it to") {
				t.Errorf("%s of %d characters: err = %v, want ErrInvalid saying the limit", tt.name, tt.limit+1, err)
			}
			if err := tt.add(long[len("🌴"):], d.AddDays(1)); err != nil {
				t.Errorf("%s of %d characters: err = %v, want stored", tt.name, tt.limit, err)
			}
		}
		away, _ := people.AwayPeriods(ctx, "T1", "U1", d)
		hs, _ := ws.Holidays(ctx, "T1", d, d)
		if len(away) != 1 || len(hs) != 0 {
			t.Errorf("after refusals: away %+v, holidays on %s %+v; want only the in-limit away period", away, d, hs)
		}
	})
}

// TestMigration8MergesCopies: copies of one time-off period stored before
// migration 8 become one row, the oldest (its note kept).
func TestMigration8MergesCopies(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		people := models.NewPeople(db)
		if err := modelstest.Exec(ctx, db, "DROP INDEX away_periods_same_days"); err != nil {
			t.Fatal(err)
		}
		first, last := date(t, "2026-12-20"), date(t, "2026-12-31")
		for _, note := range []string{"oldest", "copy", "copy"} {
			if _, err := people.AddAway(ctx, models.AwayPeriod{WorkspaceID: "T1", UserID: "U1", First: first, Last: last, Note: note}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := people.AddAway(ctx, models.AwayPeriod{WorkspaceID: "T1", UserID: "U1", First: first, Last: first}); err != nil {
			t.Fatal(err)
		}
		for _, stmt := range models.V8(db.Dialect()) {
			if err := modelstest.Exec(ctx, db, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		got, err := people.AwayPeriods(ctx, "T1", "U1", first)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Note != "oldest" || got[1].Last != first {
			t.Errorf("after migration 8: %+v, want the short period and the oldest copy", got)
		}
		if _, err := people.AddAway(ctx, models.AwayPeriod{WorkspaceID: "T1", UserID: "U1", First: first, Last: last}); !errors.Is(err, models.ErrDuplicate) {
			t.Errorf("AddAway after migration 8 = %v, want ErrDuplicate", err)
		}
	})
}
