package okrs_test

import (
	"context"
	"errors"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// cycle is a cycle named name from start to end, of team ("" for the
// workspace's).
func cycle(t *testing.T, name, team, start, end string) okrs.Cycle {
	t.Helper()
	return okrs.Cycle{Name: name, Team: team, Start: date(t, start), End: date(t, end)}
}

// count counts the workspace's rows in an OKR table.
func count(t *testing.T, db *models.DB, table, ws string) int64 {
	t.Helper()
	n, err := modelstest.CountRows(context.Background(), db, table, ws)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Cycles of one team (or of the workspace) never overlap and their names
// differ whatever their case; another team's, or the workspace's beside a
// team's, may. A refused cycle stores nothing.
func TestCreateCycleRules(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := okrs.NewStore(db)
		for _, c := range []okrs.Cycle{
			cycle(t, "Q1 2027", "", "2027-01-01", "2027-03-31"),
			cycle(t, "Team Q1", "C1", "2027-01-15", "2027-03-14"),
		} {
			if _, err := s.CreateCycle(ctx, "T1", c, "UA"); err != nil {
				t.Fatalf("create %s: %v", c.Name, err)
			}
		}
		tests := []struct {
			name  string
			c     okrs.Cycle
			field string // "" when stored
		}{
			{"the workspace's, right after", cycle(t, "Q2 2027", "", "2027-04-01", "2027-06-30"), ""},
			{"the workspace's, starting inside", cycle(t, "Late", "", "2027-03-31", "2027-05-31"), okrs.FieldStart},
			{"the workspace's, ending inside", cycle(t, "Early", "", "2026-12-01", "2027-01-01"), okrs.FieldEnd},
			{"the workspace's, around it", cycle(t, "Around", "", "2026-12-15", "2027-04-14"), okrs.FieldEnd},
			{"the same name in another case", cycle(t, "q1 2027", "", "2027-07-01", "2027-09-30"), okrs.FieldName},
			{"the same name for a team", cycle(t, "Q1 2027", "C2", "2027-01-01", "2027-03-31"), ""},
			{"another team, same days", cycle(t, "C3 Q1", "C3", "2027-01-01", "2027-03-31"), ""},
			{"the team's, overlapping its own", cycle(t, "Team spring", "C1", "2027-03-01", "2027-04-30"), okrs.FieldStart},
			{"the team's, after its own", cycle(t, "Team Q2", "C1", "2027-03-15", "2027-05-14"), ""},
			{"the team's name again", cycle(t, "TEAM Q1", "C1", "2027-06-01", "2027-07-31"), okrs.FieldName},
			{"too long", cycle(t, "Long", "C4", "2027-01-01", "2027-05-31"), okrs.FieldEnd},
		}
		for _, tt := range tests {
			before := count(t, db, "okr_cycles", "T1")
			got, err := s.CreateCycle(ctx, "T1", tt.c, "UA")
			if tt.field == "" {
				if err != nil || got.ID == 0 || got.Name != tt.c.Name || got.Start != tt.c.Start || got.End != tt.c.End || got.Team != tt.c.Team {
					t.Errorf("%s: CreateCycle = %+v, %v; want it stored", tt.name, got, err)
				}
				continue
			}
			var ve *okrs.ValidationError
			if !errors.As(err, &ve) || len(ve.On(tt.field)) == 0 || !errors.Is(err, okrs.ErrInvalid) {
				t.Errorf("%s: CreateCycle error = %v; want a problem on %s", tt.name, err, tt.field)
			}
			if after := count(t, db, "okr_cycles", "T1"); after != before {
				t.Errorf("%s: %d cycles stored, want %d", tt.name, after, before)
			}
		}
		all, err := s.Cycles(ctx, "T1")
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Start.Before(all[i-1].Start) {
				t.Errorf("Cycles not by start: %v before %v", all[i-1], all[i])
			}
		}
		if len(all) != 6 {
			t.Errorf("Cycles = %d, want 6", len(all))
		}
		if other, err := s.Cycles(ctx, "T2"); err != nil || len(other) != 0 {
			t.Errorf("Cycles(T2) = %v, %v; want none", other, err)
		}
	})
}

// A rename is checked like a creation; a cycle of another workspace is
// not found and keeps its name.
func TestRenameCycle(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := okrs.NewStore(db)
		q1, err := s.CreateCycle(ctx, "T1", cycle(t, "Q1 2027", "", "2027-01-01", "2027-03-31"), "UA")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateCycle(ctx, "T1", cycle(t, "Q2 2027", "", "2027-04-01", "2027-06-30"), "UA"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			ws, name string
			want     error // nil, okrs.ErrInvalid or okrs.ErrNotFound
			stored   string
		}{
			{"T1", "q2 2027", okrs.ErrInvalid, "Q1 2027"},
			{"T1", "  ", okrs.ErrInvalid, "Q1 2027"},
			{"T2", "Mine now", okrs.ErrNotFound, "Q1 2027"},
			{"T1", "q1 2027", nil, "q1 2027"}, // its own name in another case
			{"T1", "First quarter", nil, "First quarter"},
		}
		for _, tt := range tests {
			err := s.RenameCycle(ctx, tt.ws, q1.ID, tt.name, "UA")
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("RenameCycle(%s, %q) = %v, want %v", tt.ws, tt.name, err, tt.want)
			}
			if got, err := s.Cycle(ctx, "T1", q1.ID); err != nil || got.Name != tt.stored {
				t.Errorf("after RenameCycle(%s, %q): %+v, %v; want named %q", tt.ws, tt.name, got, err, tt.stored)
			}
		}
	})
}

// CycleOn finds the team's own cycle covering a day, else the
// workspace's; ReviewingOn the one in review, the latest ended first.
func TestCycleOnAndReviewingOn(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := okrs.NewStore(db)
		ids := map[string]int64{}
		for _, c := range []okrs.Cycle{
			cycle(t, "Q1", "", "2027-01-01", "2027-03-31"),
			cycle(t, "Q2", "", "2027-04-01", "2027-06-30"),
			cycle(t, "Team Feb", "C1", "2027-02-01", "2027-02-28"),
			{Name: "Team Mar", Team: "C1", Start: date(t, "2027-03-01"), End: date(t, "2027-03-31"), ReviewGraceDays: 3},
		} {
			got, err := s.CreateCycle(ctx, "T1", c, "UA")
			if err != nil {
				t.Fatal(err)
			}
			ids[c.Name] = got.ID
		}
		tests := []struct {
			team, day     string
			on, reviewing string // "" for none
		}{
			{"", "2026-12-31", "", ""},
			{"", "2027-01-01", "Q1", ""},
			{"", "2027-03-31", "Q1", ""},
			{"", "2027-04-01", "Q2", "Q1"},
			{"", "2027-04-14", "Q2", "Q1"},
			{"", "2027-04-15", "Q2", ""},
			{"C1", "2027-01-20", "Q1", ""},
			{"C1", "2027-02-10", "Team Feb", ""},
			{"C1", "2027-03-10", "Team Mar", "Team Feb"},
			{"C1", "2027-04-02", "Q2", "Team Mar"},
			{"C1", "2027-04-04", "Q2", "Q1"}, // Team Mar's 3 days are over
			{"C2", "2027-02-10", "Q1", ""},
		}
		for _, tt := range tests {
			day := date(t, tt.day)
			c, ok, err := s.CycleOn(ctx, "T1", tt.team, day)
			if err != nil || ok != (tt.on != "") || (ok && c.ID != ids[tt.on]) {
				t.Errorf("CycleOn(%q, %s) = %+v, %v, %v; want %q", tt.team, tt.day, c, ok, err, tt.on)
			}
			c, ok, err = s.ReviewingOn(ctx, "T1", tt.team, day)
			if err != nil || ok != (tt.reviewing != "") || (ok && c.ID != ids[tt.reviewing]) {
				t.Errorf("ReviewingOn(%q, %s) = %+v, %v, %v; want %q", tt.team, tt.day, c, ok, err, tt.reviewing)
			}
			if _, ok, _ := s.CycleOn(ctx, "T2", tt.team, day); ok {
				t.Errorf("CycleOn(T2, %q, %s) found T1's cycle", tt.team, tt.day)
			}
		}
		if _, err := s.Cycle(ctx, "T2", ids["Q1"]); !errors.Is(err, okrs.ErrNotFound) {
			t.Errorf("Cycle(T2, T1's) = %v, want ErrNotFound", err)
		}
	})
}
