package jobs

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

const week = 7 * 24 * time.Hour

// t0 is when the test workspaces are installed.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is one replica's view of a test database: its stores share a frozen
// clock with the database, which stamps uninstall times with it.
type env struct {
	db         *models.DB
	installs   *models.Installations
	workspaces *models.Workspaces
	people     *models.People
}

// forEachDB runs fn on a fresh, migrated database of each dialect, like
// modelstest.ForEach, with a frozen clock at t0 driving the database. open
// gives another replica on the same database and clock.
func forEachDB(t *testing.T, fn func(t *testing.T, sim *clock.Sim, e env, open func() env)) {
	t.Helper()
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			sim := clock.NewFrozen(t0)
			url := modelstest.URL(t, dialect)
			key := make([]byte, models.KeySize)
			if _, err := rand.Read(key); err != nil {
				t.Fatal(err)
			}
			cipher, err := models.NewCipher(key)
			if err != nil {
				t.Fatal(err)
			}
			open := func() env {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				db, err := models.Open(ctx, modelstest.Logger(t), url, models.WithClock(sim))
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				t.Cleanup(func() { _ = db.Close() })
				return env{db: db, installs: models.NewInstallations(db, cipher), workspaces: models.NewWorkspaces(db), people: models.NewPeople(db)}
			}
			e := open()
			if err := e.db.Migrate(context.Background()); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			fn(t, sim, e, open)
		})
	}
}

// install creates a workspace with an installation, a person with time off,
// a holiday and an audited admin change.
func (e env) install(t *testing.T, id string) {
	t.Helper()
	ctx := context.Background()
	if err := e.installs.Save(ctx, models.Installation{WorkspaceID: id, BotToken: "xoxb-" + id}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.workspaces.Ensure(ctx, id, "Company "+id); err != nil {
		t.Fatal(err)
	}
	if err := e.workspaces.SetMinGroupSize(ctx, id, 6, "UADMIN"); err != nil {
		t.Fatal(err)
	}
	day, _ := calendar.ParseDate("2026-12-24")
	if err := e.workspaces.AddHoliday(ctx, models.Holiday{WorkspaceID: id, Date: day, Name: "Christmas Eve", AddedBy: "UADMIN"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.people.SyncProfile(ctx, models.Person{WorkspaceID: id, UserID: "U1", Name: "Ada", SlackTZ: "Europe/London"}); err != nil {
		t.Fatal(err)
	}
	away, _ := calendar.ParseDate("2026-05-01")
	if _, err := e.people.AddAway(ctx, models.AwayPeriod{WorkspaceID: id, UserID: "U1", First: away, Last: away}); err != nil {
		t.Fatal(err)
	}
}

// present reports, table by table, whether a workspace still has data.
func (e env) present(t *testing.T, id string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	_, wsErr := e.workspaces.Get(ctx, id)
	if wsErr != nil && !errors.Is(wsErr, models.ErrNotFound) {
		t.Fatal(wsErr)
	}
	people, err := e.people.List(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	away, err := e.people.AwayPeriods(ctx, id, "U1", calendar.Date{})
	if err != nil {
		t.Fatal(err)
	}
	holidays, err := e.workspaces.Holidays(ctx, id, calendar.Date{}, calendar.Date{})
	if err != nil {
		t.Fatal(err)
	}
	audit, err := e.workspaces.Audit(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	uninstalled, err := e.installs.UninstalledBefore(ctx, t0.Add(100*week))
	if err != nil {
		t.Fatal(err)
	}
	_, getErr := e.installs.Get(ctx, id)
	return map[string]bool{
		"workspace":    wsErr == nil,
		"people":       len(people) > 0,
		"away":         len(away) > 0,
		"holidays":     len(holidays) > 0,
		"audit":        len(audit) > 0,
		"installation": getErr == nil || slices.Contains(uninstalled, id),
	}
}

func (e env) wantPresent(t *testing.T, id string, want bool) {
	t.Helper()
	for what, got := range e.present(t, id) {
		if got != want {
			t.Errorf("%s of %s present = %v, want %v", what, id, got, want)
		}
	}
}

// logBuffer collects log output for assertions. It is shown only when the
// test fails: cron's run loop may log a last line just after Stop returns,
// and t.Log from a goroutine that outlives the test is a data race.
type logBuffer struct{ testlog.Buffer }

func newLog(t *testing.T) (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("logs:\n" + b.String())
		}
	})
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// lines returns the logged lines containing every one of subs.
func (b *logBuffer) lines(subs ...string) []string {
	var out []string
	for line := range strings.Lines(b.String()) {
		if !slices.ContainsFunc(subs, func(s string) bool { return !strings.Contains(line, s) }) {
			out = append(out, line)
		}
	}
	return out
}

func TestRetention(t *testing.T) {
	forEachDB(t, func(t *testing.T, sim *clock.Sim, e env, _ func() env) {
		ctx := context.Background()
		for _, id := range []string{"TOLD", "TRECENT", "TACTIVE", "TBACK", "TEDGE"} {
			e.install(t, id)
		}
		uninstall := func(id string) {
			t.Helper()
			if err := e.installs.Deactivate(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		// Day 0: TOLD and TBACK are uninstalled; TBACK is reinstalled a
		// day later. TEDGE goes on day 1, TRECENT on day 6. Run on day 8.
		uninstall("TOLD")
		uninstall("TBACK")
		sim.Advance(24 * time.Hour)
		if err := e.installs.Save(ctx, models.Installation{WorkspaceID: "TBACK", BotToken: "xoxb-again"}); err != nil {
			t.Fatal(err)
		}
		uninstall("TEDGE")
		sim.Advance(5 * 24 * time.Hour)
		uninstall("TRECENT")
		sim.Advance(2 * 24 * time.Hour)

		log, logs := newLog(t)
		r := NewRetention(log, sim, e.installs, e.workspaces, week)
		if err := r.Run(ctx); err != nil {
			t.Fatalf("Run: %v", err)
		}
		e.wantPresent(t, "TOLD", false)
		for _, id := range []string{"TRECENT", "TACTIVE", "TBACK", "TEDGE"} {
			e.wantPresent(t, id, true)
		}
		if got := logs.lines("workspace="); len(got) != 1 || !strings.Contains(got[0], "workspace=TOLD") {
			t.Errorf("purge log lines = %q, want one naming TOLD", got)
		}
		if got := logs.lines("Company"); len(got) != 0 {
			t.Errorf("log names a workspace: %q", got)
		}

		// Again: nothing left to do, no error. A day later TEDGE has been
		// gone more than a week.
		if err := r.Run(ctx); err != nil {
			t.Fatalf("second Run: %v", err)
		}
		sim.Advance(time.Microsecond)
		if err := r.Run(ctx); err != nil {
			t.Fatalf("third Run: %v", err)
		}
		e.wantPresent(t, "TEDGE", false)
		for _, id := range []string{"TRECENT", "TACTIVE", "TBACK"} {
			e.wantPresent(t, id, true)
		}
		if got := logs.lines("workspace="); len(got) != 2 {
			t.Errorf("purge log lines = %q, want TOLD then TEDGE", got)
		}
	})
}

// TestRetentionReplicas: two replicas running Run at once both succeed,
// and each workspace is purged (and logged) once.
func TestRetentionReplicas(t *testing.T) {
	forEachDB(t, func(t *testing.T, sim *clock.Sim, e env, open func() env) {
		ctx := context.Background()
		ids := []string{"T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"}
		for _, id := range ids {
			e.install(t, id)
			if err := e.installs.Deactivate(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		e.install(t, "TKEEP")
		sim.Advance(8 * 24 * time.Hour)

		log, logs := newLog(t)
		e2 := open()
		replicas := []*Retention{
			NewRetention(log, sim, e.installs, e.workspaces, week),
			NewRetention(log, sim, e2.installs, e2.workspaces, week),
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, r := range replicas {
			wg.Go(func() {
				<-start
				if err := r.Run(ctx); err != nil {
					t.Errorf("replica %d: Run: %v", i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		for _, id := range ids {
			e.wantPresent(t, id, false)
			if got := logs.lines("workspace=" + id + " "); len(got) != 1 {
				t.Errorf("%s logged %d times, want once: %q", id, len(got), got)
			}
		}
		e.wantPresent(t, "TKEEP", true)
	})
}

// fakeStore lists ids and fails to delete the ones in fail.
type fakeStore struct {
	ids     []string
	listErr error
	fail    map[string]bool
	cancel  func() // called after the first delete, if set

	mu      sync.Mutex
	deleted []string
	cutoffs []time.Time
}

func (f *fakeStore) UninstalledBefore(_ context.Context, t time.Time) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cutoffs = append(f.cutoffs, t)
	return f.ids, f.listErr
}

func (f *fakeStore) DeleteUninstalled(_ context.Context, id string, t time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cutoffs = append(f.cutoffs, t)
	if f.cancel != nil {
		defer f.cancel()
	}
	if f.fail[id] {
		return false, errors.New("delete workspace " + id + ": boom")
	}
	f.deleted = append(f.deleted, id)
	return true, nil
}

func TestRetentionContinuesPastFailures(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	f := &fakeStore{ids: []string{"T1", "T2", "T3", "T4"}, fail: map[string]bool{"T2": true, "T3": true}}
	log, logs := newLog(t)
	err := NewRetention(log, clock.NewFrozen(now), f, f, week).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "T2") || !strings.Contains(err.Error(), "T3") {
		t.Errorf("Run = %v, want an error naming T2 and T3", err)
	}
	if want := []string{"T1", "T4"}; !slices.Equal(f.deleted, want) {
		t.Errorf("deleted %v, want %v", f.deleted, want)
	}
	for _, c := range f.cutoffs {
		if want := now.Add(-week); !c.Equal(want) {
			t.Errorf("cutoff %v, want %v", c, want)
		}
	}
	if got := logs.lines("workspace="); len(got) != 2 {
		t.Errorf("purge log lines = %q, want T1 and T4", got)
	}
}

func TestRetentionListError(t *testing.T) {
	boom := errors.New("boom")
	f := &fakeStore{listErr: boom}
	if err := NewRetention(nil, clock.NewFrozen(t0), f, f, week).Run(context.Background()); !errors.Is(err, boom) {
		t.Errorf("Run = %v, want %v", err, boom)
	}
}

func TestRetentionStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fakeStore{ids: []string{"T1", "T2", "T3"}, cancel: cancel}
	err := NewRetention(nil, clock.NewFrozen(t0), f, f, week).Run(ctx)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "2 workspaces left") {
		t.Errorf("Run = %v, want context.Canceled with 2 workspaces left", err)
	}
	if want := []string{"T1"}; !slices.Equal(f.deleted, want) {
		t.Errorf("deleted %v, want %v", f.deleted, want)
	}
}

func TestNewRetentionRefusesNoDelay(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewRetention(after 0) did not panic")
		}
	}()
	NewRetention(nil, clock.System{}, &fakeStore{}, &fakeStore{}, 0)
}
