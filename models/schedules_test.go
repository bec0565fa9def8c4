package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// openAt returns a fresh migrated database of dialect on a frozen clock.
func openAt(t *testing.T, dialect string, now time.Time) (*models.DB, *clock.Sim) {
	t.Helper()
	clk := clock.NewFrozen(now)
	db, err := models.Open(context.Background(), modelstest.Logger(t), modelstest.URL(t, dialect), models.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db, clk
}

func putSchedule(t *testing.T, s *models.Schedules, key, cadence string) models.Schedule {
	t.Helper()
	sc, err := s.Put(context.Background(), models.Schedule{WorkspaceID: "T1", Key: key, Title: "Stand-up", Cadence: cadence, Anchor: date(t, "2026-11-02")})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return sc
}

func TestSchedulePutAndTargets(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			db, clk := openAt(t, dialect, t0)
			ctx := context.Background()
			s := models.NewSchedules(db)
			sc := putSchedule(t, s, "checkin:1", "weekdays at 09:30")
			if sc.ID == 0 || sc.Kind() != "checkin" || sc.Title != "Stand-up" {
				t.Fatalf("Put = %+v", sc)
			}
			added, removed, err := s.SetTargets(ctx, "T1", "checkin:1", []string{"U1", "U2", " U2 ", ""}, t0)
			if err != nil || added != 2 || removed != 0 {
				t.Fatalf("SetTargets = %d, %d, %v; want 2 added", added, removed, err)
			}
			got := modelstest.Targets(t, db, "T1", "U1")
			if len(got) != 1 || got[0].Schedule.Key != "checkin:1" || !got[0].PlannedTo.Equal(t0) || !got[0].NextAt.Equal(t0) {
				t.Fatalf("ForRecipient(U1) = %+v", got)
			}

			// Planned and deferred occurrences of a recipient who leaves are
			// skipped; delivered ones stay.
			occs := models.NewOccurrences(db)
			plan(t, occs, []models.Occurrence{occ("U2", t0.Add(time.Hour)), occ("U1", t0.Add(time.Hour))})
			added, removed, err = s.SetTargets(ctx, "T1", "checkin:1", []string{"U1", "U3"}, t0)
			if err != nil || added != 1 || removed != 1 {
				t.Fatalf("SetTargets again = %d, %d, %v; want 1 added, 1 removed", added, removed, err)
			}
			left, err := occs.ForRecipient(ctx, "T1", "U2", time.Time{}, 10)
			if err != nil || len(left) != 1 || left[0].Status != models.OccurrenceSkipped || !strings.Contains(left[0].Reason, "no longer a recipient of Stand-up") {
				t.Errorf("U2's occurrence after leaving = %+v, %v", left, err)
			}
			if got := modelstest.Targets(t, db, "T1", "U2"); len(got) != 0 {
				t.Errorf("U2 still a target: %+v", got)
			}
			if all, err := s.Targets(ctx, "T1", "checkin:1"); err != nil || strings.Join(all, ",") != "U1,U3" {
				t.Errorf("Targets = %v, %v; want U1,U3", all, err)
			}
			if none, err := s.Targets(ctx, "T2", "checkin:1"); err != nil || len(none) != 0 {
				t.Errorf("Targets of another workspace = %v, %v; want none", none, err)
			}

			// Changing the cadence makes every target due for planning now.
			if err := advanceAll(t, db, t0.Add(48*time.Hour)); err != nil {
				t.Fatal(err)
			}
			clk.Set(t0.Add(time.Minute))
			if _, err := s.Put(ctx, models.Schedule{WorkspaceID: "T1", Key: "checkin:1", Title: "Stand-up", Cadence: "weekdays at 10:00", Anchor: date(t, "2026-11-02")}); err != nil {
				t.Fatal(err)
			}
			for _, u := range []string{"U1", "U3"} {
				if got := modelstest.Targets(t, db, "T1", u); len(got) != 1 || !got[0].NextAt.Equal(t0.Add(time.Minute)) || got[0].Schedule.Cadence != "weekdays at 10:00" {
					t.Errorf("%s after the cadence changed: %+v", u, got)
				}
			}

			// A new title alone leaves the planning where it is.
			if err := advanceAll(t, db, t0.Add(48*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Put(ctx, models.Schedule{WorkspaceID: "T1", Key: "checkin:1", Title: "Daily", Cadence: "weekdays at 10:00", Anchor: date(t, "2026-11-02")}); err != nil {
				t.Fatal(err)
			}
			if got := modelstest.Targets(t, db, "T1", "U1"); !got[0].NextAt.Equal(t0.Add(48*time.Hour)) || got[0].Schedule.Title != "Daily" {
				t.Errorf("after a new title: %+v", got)
			}
		})
	}
}

// advanceAll moves every target's NextAt to at, as a planner would.
func advanceAll(t *testing.T, db *models.DB, at time.Time) error {
	t.Helper()
	s := models.NewSchedules(db)
	return db.Tx(context.Background(), func(ctx context.Context) error {
		due, err := s.LockDue(ctx, at.Add(time.Hour*24*365), 1000)
		if err != nil {
			return err
		}
		var ts []models.Target
		for _, d := range due {
			d.Target.NextAt = at
			ts = append(ts, d.Target)
		}
		return s.Advance(ctx, ts)
	})
}

func TestScheduleBadInput(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		s := models.NewSchedules(db)
		ctx := context.Background()
		for name, sc := range map[string]models.Schedule{
			"no key":       {WorkspaceID: "T1", Cadence: "daily", Anchor: date(t, "2026-11-02")},
			"no cadence":   {WorkspaceID: "T1", Key: "checkin:1", Anchor: date(t, "2026-11-02")},
			"no anchor":    {WorkspaceID: "T1", Key: "checkin:1", Cadence: "weekdays at 09:00"},
			"unknown zone": {WorkspaceID: "T1", Key: "checkin:1", Cadence: "weekdays at 09:00", Anchor: date(t, "2026-11-02"), ChannelTZ: "Mars/Olympus"},
		} {
			if _, err := s.Put(ctx, sc); !errors.Is(err, models.ErrInvalid) {
				t.Errorf("%s: Put = %v, want ErrInvalid", name, err)
			}
		}
		if _, _, err := s.SetTargets(ctx, "T1", "nope:1", []string{"U1"}, t0); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("SetTargets of an unknown schedule = %v, want ErrNotFound", err)
		}
		if err := s.SetPaused(ctx, "T1", "nope:1", true); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("SetPaused of an unknown schedule = %v, want ErrNotFound", err)
		}
		if _, err := s.LockDue(ctx, t0, 10); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("LockDue outside a transaction = %v, want ErrInvalid", err)
		}
	})
}

// LockDue hands out only what is due, earliest first, and on Postgres two
// planners at once get disjoint targets.
func TestLockDue(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			db, _ := openAt(t, dialect, t0)
			ctx := context.Background()
			s := models.NewSchedules(db)
			putSchedule(t, s, "checkin:1", "weekdays at 09:30")
			var users []string
			for i := range 40 {
				users = append(users, fmt.Sprintf("U%03d", i))
			}
			if _, _, err := s.SetTargets(ctx, "T1", "checkin:1", users, t0); err != nil {
				t.Fatal(err)
			}
			// Half are due at t0, half tomorrow.
			err := db.Tx(ctx, func(ctx context.Context) error {
				due, err := s.LockDue(ctx, t0, 100)
				if err != nil {
					return err
				}
				var ts []models.Target
				for i, d := range due {
					if i%2 == 0 {
						d.Target.NextAt = t0.Add(24 * time.Hour)
					}
					ts = append(ts, d.Target)
				}
				return s.Advance(ctx, ts)
			})
			if err != nil {
				t.Fatal(err)
			}
			at, ok, err := s.NextDue(ctx)
			if err != nil || !ok || !at.Equal(t0) {
				t.Errorf("NextDue = %v, %v, %v; want %v", at, ok, err, t0)
			}

			if dialect != models.DialectPostgres {
				return
			}
			// Two planners: the first holds its rows while the second looks.
			first := make(chan []string)
			release := make(chan struct{})
			go func() {
				_ = db.Tx(ctx, func(ctx context.Context) error {
					due, err := s.LockDue(ctx, t0, 12)
					if err != nil {
						t.Error(err)
					}
					first <- recipients(due)
					<-release
					return nil
				})
				close(first)
			}()
			a := <-first
			var b []string
			if err := db.Tx(ctx, func(ctx context.Context) error {
				due, err := s.LockDue(ctx, t0, 100)
				b = recipients(due)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			close(release)
			<-first
			if len(a) != 12 || len(b) != 8 {
				t.Errorf("planners got %d and %d targets, want 12 and 8 of the 20 due", len(a), len(b))
			}
			for _, r := range a {
				if slices.Contains(b, r) {
					t.Errorf("%s handed to both planners", r)
				}
			}
		})
	}
}

func recipients(due []models.DueTarget) []string {
	var out []string
	for _, d := range due {
		out = append(out, d.Recipient)
	}
	return out
}

// A person's new time zone makes their targets due for planning now, so
// the next instant is computed in the new zone.
func TestTimeZoneChangeTouchesTargets(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			db, clk := openAt(t, dialect, t0)
			ctx := context.Background()
			s := models.NewSchedules(db)
			putSchedule(t, s, "checkin:1", "weekdays at 09:30")
			if _, _, err := s.SetTargets(ctx, "T1", "checkin:1", []string{"U1", "U2"}, t0); err != nil {
				t.Fatal(err)
			}
			if err := advanceAll(t, db, t0.Add(20*time.Hour)); err != nil {
				t.Fatal(err)
			}
			clk.Set(t0.Add(time.Hour))
			if err := models.NewPeople(db).SetTZOverride(ctx, "T1", "U1", "Asia/Tokyo"); err != nil {
				t.Fatal(err)
			}
			if got := modelstest.Targets(t, db, "T1", "U1"); !got[0].NextAt.Equal(t0.Add(time.Hour)) {
				t.Errorf("U1's target after a zone change: next at %v, want now (%v)", got[0].NextAt, t0.Add(time.Hour))
			}
			if got := modelstest.Targets(t, db, "T1", "U2"); !got[0].NextAt.Equal(t0.Add(20 * time.Hour)) {
				t.Errorf("U2's target moved: %v", got[0].NextAt)
			}
			if _, err := models.NewPeople(db).SyncProfile(ctx, models.Person{WorkspaceID: "T1", UserID: "U2", SlackTZ: "Europe/Paris"}); err != nil {
				t.Fatal(err)
			}
			if got := modelstest.Targets(t, db, "T1", "U2"); !got[0].NextAt.Equal(t0.Add(time.Hour)) {
				t.Errorf("U2's target after a profile sync: next at %v, want now", got[0].NextAt)
			}
		})
	}
}

// Deleting a schedule removes its targets and skips what was still to be
// sent; pausing is stored.
func TestScheduleDeleteAndPause(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewSchedules(db)
		putSchedule(t, s, "checkin:1", "weekdays at 09:30")
		if _, _, err := s.SetTargets(ctx, "T1", "checkin:1", []string{"U1"}, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPaused(ctx, "T1", "checkin:1", true); err != nil {
			t.Fatal(err)
		}
		if sc, err := s.Get(ctx, "T1", "checkin:1"); err != nil || !sc.Paused {
			t.Errorf("after pausing: %+v, %v", sc, err)
		}
		occs := models.NewOccurrences(db)
		plan(t, occs, []models.Occurrence{occ("U1", t0.Add(time.Hour))})
		if err := s.Delete(ctx, "T1", "checkin:1", "removed: the check-in was deleted"); err != nil {
			t.Fatal(err)
		}
		if got := modelstest.Targets(t, db, "T1", "U1"); len(got) != 0 {
			t.Errorf("targets left: %+v", got)
		}
		left, _ := occs.ForRecipient(ctx, "T1", "U1", time.Time{}, 10)
		if len(left) != 1 || left[0].Status != models.OccurrenceSkipped || left[0].Reason != "removed: the check-in was deleted" {
			t.Errorf("occurrence after delete: %+v", left)
		}
		if err := s.Delete(ctx, "T1", "checkin:1", "again"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("second Delete = %v, want ErrNotFound", err)
		}
	})
}

// Budgets: a workspace sets 1 to 20; a person can only lower it.
func TestDailyBudgets(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ws, people := models.NewWorkspaces(db), models.NewPeople(db)
		w, err := ws.Ensure(ctx, "T1", "")
		if err != nil || w.DailyBudget != models.DefaultDailyBudget {
			t.Fatalf("new workspace budget = %d, %v", w.DailyBudget, err)
		}
		for _, n := range []int{0, 21, -1} {
			if err := ws.SetDailyBudget(ctx, "T1", n, "UA"); !errors.Is(err, models.ErrInvalid) {
				t.Errorf("workspace budget %d: %v, want ErrInvalid", n, err)
			}
			if n != 0 {
				if err := people.SetDailyBudget(ctx, "T1", "U1", n); !errors.Is(err, models.ErrInvalid) {
					t.Errorf("person budget %d: %v, want ErrInvalid", n, err)
				}
			}
		}
		if err := ws.SetDailyBudget(ctx, "T1", 5, "UA"); err != nil {
			t.Fatal(err)
		}
		if err := people.SetDailyBudget(ctx, "T1", "U1", 2); err != nil {
			t.Fatal(err)
		}
		w, _ = ws.Get(ctx, "T1")
		p, _ := people.Get(ctx, "T1", "U1")
		if got := p.DailyBudgetIn(w); got != 2 {
			t.Errorf("person's budget = %d, want 2", got)
		}
		if err := people.SetDailyBudget(ctx, "T1", "U1", 9); err != nil {
			t.Fatal(err)
		}
		p, _ = people.Get(ctx, "T1", "U1")
		if got := p.DailyBudgetIn(w); got != 5 {
			t.Errorf("a person's 9 under a workspace's 5 = %d, want 5", got)
		}
		if err := people.SetDailyBudget(ctx, "T1", "U1", 0); err != nil {
			t.Fatal(err)
		}
		p, _ = people.Get(ctx, "T1", "U1")
		if p.DailyBudget != 0 || p.DailyBudgetIn(w) != 5 {
			t.Errorf("after default: %d / %d", p.DailyBudget, p.DailyBudgetIn(w))
		}
		audit, _ := ws.Audit(ctx, "T1", 5)
		if len(audit) == 0 || audit[0].Action != models.AuditSetDailyBudget || audit[0].Detail != "3 → 5" {
			t.Errorf("audit = %+v", audit)
		}
	})
}
