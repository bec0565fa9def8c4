package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

func date(t *testing.T, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSyncProfileKeepsOverrides(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewPeople(db)
		exp := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
		p, err := s.SyncProfile(ctx, models.Person{
			WorkspaceID: "T1", UserID: "U1", Name: "Ada", SlackTZ: "Europe/London", IsAdmin: true,
			Status: calendar.Status{Text: "On holiday", Emoji: ":palm_tree:", Expiration: exp},
			// Ignored: only Slack's fields are synced.
			TZOverride: "Asia/Tokyo", HolidayRegion: "JP", Hours: &calendar.WorkingHours{Days: calendar.MonFri, Start: 1, End: 2},
		})
		if err != nil {
			t.Fatalf("SyncProfile: %v", err)
		}
		if p.Name != "Ada" || p.SlackTZ != "Europe/London" || !p.IsAdmin || p.Status.Text != "On holiday" ||
			!p.Status.Expiration.Equal(exp) || p.TZOverride != "" || p.HolidayRegion != "" || p.Hours != nil {
			t.Errorf("first SyncProfile = %+v, want Slack fields only", p)
		}
		if p.CreatedAt.IsZero() || p.UpdatedAt.IsZero() {
			t.Errorf("times not set: %+v", p)
		}

		hours := calendar.WorkingHours{Days: calendar.MonFri, Start: 8 * 60, End: 16 * 60}
		if err := s.SetTZOverride(ctx, "T1", "U1", "America/New_York"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetHours(ctx, "T1", "U1", &hours); err != nil {
			t.Fatal(err)
		}
		if err := s.SetHolidayRegion(ctx, "T1", "U1", "us"); err != nil {
			t.Fatal(err)
		}

		p, err = s.SyncProfile(ctx, models.Person{WorkspaceID: "T1", UserID: "U1", Name: "Ada L.", SlackTZ: "Europe/Paris"})
		if err != nil {
			t.Fatalf("SyncProfile again: %v", err)
		}
		want := models.Person{
			WorkspaceID: "T1", UserID: "U1", Name: "Ada L.", SlackTZ: "Europe/Paris",
			TZOverride: "America/New_York", Hours: &hours, HolidayRegion: "US",
		}
		if p.Name != want.Name || p.SlackTZ != want.SlackTZ || p.TZOverride != want.TZOverride ||
			p.Hours == nil || *p.Hours != hours || p.HolidayRegion != want.HolidayRegion || p.IsAdmin || p.Status != (calendar.Status{}) {
			t.Errorf("SyncProfile after overrides = %+v, want %+v", p, want)
		}
		if got, want := p.TimeZone(), "America/New_York"; got != want {
			t.Errorf("TimeZone() = %q, want %q", got, want)
		}
		got, err := s.Get(ctx, "T1", "U1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != p.Name || got.TZOverride != p.TZOverride || *got.Hours != *p.Hours || !got.UpdatedAt.Equal(p.UpdatedAt) {
			t.Errorf("Get = %+v, want what SyncProfile returned %+v", got, p)
		}

		// An unknown Slack zone is dropped, not stored.
		p, err = s.SyncProfile(ctx, models.Person{WorkspaceID: "T1", UserID: "U2", SlackTZ: "Mars/Olympus"})
		if err != nil || p.SlackTZ != "" {
			t.Errorf("SyncProfile(unknown zone) = %+v, %v; want SlackTZ empty", p, err)
		}
	})
}

func TestSetters(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewPeople(db)

		// Setters create a person never seen before.
		night := calendar.WorkingHours{Days: calendar.MonFri, Start: 22 * 60, End: 6 * 60}
		if err := s.SetHours(ctx, "T1", "U1", &night); err != nil {
			t.Fatalf("SetHours: %v", err)
		}
		p, err := s.Get(ctx, "T1", "U1")
		if err != nil || p.Hours == nil || *p.Hours != night {
			t.Fatalf("after SetHours(value): %+v, %v; want hours %v", p.Hours, err, night)
		}
		ws := models.NewWorkspace("T1", "")
		if got := p.WorkingHoursIn(ws); got != night {
			t.Errorf("WorkingHoursIn = %v, want %v", got, night)
		}
		if err := s.SetHours(ctx, "T1", "U1", nil); err != nil {
			t.Fatalf("SetHours(nil): %v", err)
		}
		p, _ = s.Get(ctx, "T1", "U1")
		if p.Hours != nil {
			t.Errorf("after SetHours(nil): Hours = %v, want nil", *p.Hours)
		}
		if got, want := p.WorkingHoursIn(ws), calendar.DefaultWorkingHours; got != want {
			t.Errorf("WorkingHoursIn = %v, want workspace default %v", got, want)
		}

		if err := s.SetTZOverride(ctx, "T1", "U1", "Asia/Kolkata"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetTZOverride(ctx, "T1", "U1", ""); err != nil {
			t.Fatal(err)
		}
		if p, _ := s.Get(ctx, "T1", "U1"); p.TZOverride != "" {
			t.Errorf("TZOverride after clearing = %q, want empty", p.TZOverride)
		}

		if err := s.SetHolidayRegion(ctx, "T1", "U1", "None"); err != nil {
			t.Fatal(err)
		}
		if p, _ := s.Get(ctx, "T1", "U1"); p.HolidayRegion != "none" {
			t.Errorf("HolidayRegion = %q, want none", p.HolidayRegion)
		}

		bad := []struct {
			name string
			err  error
			want error
		}{
			{"unknown zone", s.SetTZOverride(ctx, "T1", "U1", "Mars/Olympus"), models.ErrInvalid},
			{"Local zone", s.SetTZOverride(ctx, "T1", "U1", "Local"), models.ErrInvalid},
			{"zero hours", s.SetHours(ctx, "T1", "U1", &calendar.WorkingHours{Days: calendar.MonFri, Start: 60, End: 60}), calendar.ErrZeroLength},
			{"no days", s.SetHours(ctx, "T1", "U1", &calendar.WorkingHours{Start: 60, End: 120}), calendar.ErrInvalidDays},
			{"no user", s.SetHolidayRegion(ctx, "T1", "", "DE"), models.ErrInvalid},
		}
		for _, tt := range bad {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, tt.err, tt.want)
			}
		}
		if _, err := s.Get(ctx, "T1", "U404"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestAwayPeriods(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewPeople(db)
		add := func(first, last, note string) models.AwayPeriod {
			t.Helper()
			a, err := s.AddAway(ctx, models.AwayPeriod{WorkspaceID: "T1", UserID: "U1", First: date(t, first), Last: date(t, last), Note: note})
			if err != nil {
				t.Fatalf("AddAway(%s..%s): %v", first, last, err)
			}
			if a.ID == 0 || a.CreatedAt.IsZero() {
				t.Fatalf("AddAway returned %+v, want an ID and a creation time", a)
			}
			return a
		}
		past := add("2026-01-05", "2026-01-09", "ski")
		future := add("2026-08-01", "2026-08-14", "summer")
		covering := add("2026-03-02", "2026-03-13", "parental leave")
		startsToday := add("2026-03-10", "2026-03-11", "dentist")
		single := add("2026-03-20", "2026-03-20", "")

		if _, err := s.AddAway(ctx, models.AwayPeriod{WorkspaceID: "T1", UserID: "U1", First: date(t, "2026-03-05"), Last: date(t, "2026-03-04")}); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("AddAway(last before first) = %v, want ErrInvalid", err)
		}
		if _, err := s.AddAway(ctx, models.AwayPeriod{WorkspaceID: "T1", UserID: "U1"}); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("AddAway(no dates) = %v, want ErrInvalid", err)
		}

		ids := func(ps []models.AwayPeriod) []int64 {
			var out []int64
			for _, p := range ps {
				out = append(out, p.ID)
			}
			return out
		}
		list := func(from string) []models.AwayPeriod {
			t.Helper()
			ps, err := s.AwayPeriods(ctx, "T1", "U1", date(t, from))
			if err != nil {
				t.Fatalf("AwayPeriods: %v", err)
			}
			return ps
		}
		tests := []struct {
			from string
			want []int64
		}{
			{"2025-12-01", []int64{past.ID, covering.ID, startsToday.ID, single.ID, future.ID}},
			{"2026-01-09", []int64{past.ID, covering.ID, startsToday.ID, single.ID, future.ID}},
			{"2026-01-10", []int64{covering.ID, startsToday.ID, single.ID, future.ID}},
			{"2026-03-21", []int64{future.ID}},
			{"2026-09-01", nil},
		}
		for _, tt := range tests {
			if got := ids(list(tt.from)); !equalIDs(got, tt.want) {
				t.Errorf("AwayPeriods(from %s) = %v, want %v", tt.from, got, tt.want)
			}
		}
		ps := list("2026-03-01")
		if ps[0].Note != "parental leave" || ps[0].First != date(t, "2026-03-02") || ps[0].Last != date(t, "2026-03-13") {
			t.Errorf("AwayPeriods[0] = %+v, want the parental leave", ps[0])
		}
		if !ps[0].Covers(date(t, "2026-03-10")) {
			t.Error("Covers(2026-03-10) = false, want true")
		}

		// "/trellis back" on 2026-03-10: the covering period ends yesterday,
		// the one starting today goes, the future ones stay.
		n, err := s.EndAway(ctx, "T1", "U1", date(t, "2026-03-10"))
		if err != nil {
			t.Fatalf("EndAway: %v", err)
		}
		if got, want := n, 2; got != want {
			t.Errorf("EndAway changed %d, want %d", got, want)
		}
		ps = list("2026-01-01")
		if got, want := ids(ps), []int64{past.ID, covering.ID, single.ID, future.ID}; !equalIDs(got, want) {
			t.Fatalf("after EndAway: %v, want %v", got, want)
		}
		if got, want := ps[1].Last, date(t, "2026-03-09"); got != want {
			t.Errorf("covering period now ends %v, want %v", got, want)
		}
		if n, err := s.EndAway(ctx, "T1", "U1", date(t, "2026-03-10")); err != nil || n != 0 {
			t.Errorf("EndAway again = %d, %v; want 0, nil", n, err)
		}

		if err := s.DeleteAway(ctx, "T1", "U1", future.ID); err != nil {
			t.Fatalf("DeleteAway: %v", err)
		}
		if err := s.DeleteAway(ctx, "T1", "U1", future.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("DeleteAway twice = %v, want ErrNotFound", err)
		}
		if err := s.DeleteAway(ctx, "T1", "U2", single.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("DeleteAway of someone else's period = %v, want ErrNotFound", err)
		}

		// AddAway created the person row it needed.
		if _, err := s.Get(ctx, "T1", "U1"); err != nil {
			t.Errorf("Get after AddAway: %v", err)
		}
		if err := s.DeleteAll(ctx, "T1", "U1"); err != nil {
			t.Fatalf("DeleteAll: %v", err)
		}
		if _, err := s.Get(ctx, "T1", "U1"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Get after DeleteAll = %v, want ErrNotFound", err)
		}
		if got := list("2000-01-01"); len(got) != 0 {
			t.Errorf("away periods after DeleteAll = %v, want none", got)
		}
		if err := s.DeleteAll(ctx, "T1", "U1"); err != nil {
			t.Errorf("DeleteAll twice = %v, want nil", err)
		}
	})
}

func equalIDs(a, b []int64) bool {
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

func TestPeopleWorkspaceIsolation(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewPeople(db)
		for _, ws := range []string{"T1", "T2"} {
			if _, err := s.SyncProfile(ctx, models.Person{WorkspaceID: ws, UserID: "U1", Name: "name in " + ws}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SetTZOverride(ctx, "T1", "U1", "Europe/Oslo"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddAway(ctx, models.AwayPeriod{WorkspaceID: "T1", UserID: "U1", First: date(t, "2026-05-01"), Last: date(t, "2026-05-02")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EndAway(ctx, "T2", "U1", date(t, "2026-05-01")); err != nil {
			t.Fatal(err)
		}

		p1, _ := s.Get(ctx, "T1", "U1")
		p2, _ := s.Get(ctx, "T2", "U1")
		if p1.Name != "name in T1" || p2.Name != "name in T2" || p1.TZOverride != "Europe/Oslo" || p2.TZOverride != "" {
			t.Errorf("T1 = %+v, T2 = %+v; want separate people", p1, p2)
		}
		a1, _ := s.AwayPeriods(ctx, "T1", "U1", calendar.Date{})
		a2, _ := s.AwayPeriods(ctx, "T2", "U1", calendar.Date{})
		if len(a1) != 1 || len(a2) != 0 {
			t.Errorf("away periods: T1 %d, T2 %d; want 1, 0", len(a1), len(a2))
		}
		if err := s.DeleteAll(ctx, "T2", "U1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "T1", "U1"); err != nil {
			t.Errorf("T1's person after deleting T2's: %v", err)
		}
		list, err := s.List(ctx, "T1")
		if err != nil || len(list) != 1 || list[0].UserID != "U1" {
			t.Errorf("List(T1) = %+v, %v; want U1", list, err)
		}
	})
}
