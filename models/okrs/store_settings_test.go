package okrs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// Settings resolve field by field, a team's own over the workspace's over
// the defaults; refused settings change nothing; another workspace's are
// its own.
func TestSettings(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := okrs.NewStore(db)
		get := func(ws, team string) okrs.Settings {
			t.Helper()
			got, err := s.Settings(ctx, ws, team)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got, want := get("T1", "C1"), okrs.DefaultSettings(); got != want {
			t.Errorf("nothing set: %+v, want %+v", got, want)
		}
		if err := s.SetSettings(ctx, "T1", "", okrs.Settings{CycleMonths: 2, NudgeCadence: okrs.NudgeWeekly, NudgeWeekday: okrs.NoWeekday}, "UA"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetSettings(ctx, "T1", "C1", okrs.Settings{NudgeCadence: okrs.NudgeOff, NudgeWeekday: int(time.Friday)}, "UA"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			ws, team string
			want     okrs.Settings
		}{
			{"T1", "", okrs.Settings{CycleMonths: 2, NudgeCadence: okrs.NudgeWeekly, NudgeWeekday: okrs.DefaultNudgeWeekday}},
			{"T1", "C1", okrs.Settings{CycleMonths: 2, NudgeCadence: okrs.NudgeOff, NudgeWeekday: int(time.Friday)}},
			{"T1", "C2", okrs.Settings{CycleMonths: 2, NudgeCadence: okrs.NudgeWeekly, NudgeWeekday: okrs.DefaultNudgeWeekday}},
			{"T2", "C1", okrs.DefaultSettings()},
		}
		for _, tt := range tests {
			if got := get(tt.ws, tt.team); got != tt.want {
				t.Errorf("Settings(%s, %q) = %+v, want %+v", tt.ws, tt.team, got, tt.want)
			}
		}
		if own, err := s.OwnSettings(ctx, "T1", "C1"); err != nil || own != (okrs.Settings{NudgeCadence: okrs.NudgeOff, NudgeWeekday: int(time.Friday)}) {
			t.Errorf("OwnSettings(C1) = %+v, %v", own, err)
		}
		for _, bad := range []struct {
			s     okrs.Settings
			field string
		}{
			{okrs.Settings{CycleMonths: 5, NudgeWeekday: okrs.NoWeekday}, okrs.FieldCycleMonths},
			{okrs.Settings{CycleMonths: -1, NudgeWeekday: okrs.NoWeekday}, okrs.FieldCycleMonths},
			{okrs.Settings{NudgeCadence: "daily", NudgeWeekday: okrs.NoWeekday}, okrs.FieldCadence},
			{okrs.Settings{NudgeWeekday: 7}, okrs.FieldWeekday},
			{okrs.Settings{NudgeWeekday: -2}, okrs.FieldWeekday},
		} {
			var ve *okrs.ValidationError
			if err := s.SetSettings(ctx, "T1", "C1", bad.s, "UA"); !errors.As(err, &ve) || len(ve.On(bad.field)) == 0 {
				t.Errorf("SetSettings(%+v) = %v; want a problem on %s", bad.s, err, bad.field)
			}
		}
		if got := get("T1", "C1"); got != tests[1].want {
			t.Errorf("after refused settings: %+v, want %+v", got, tests[1].want)
		}
	})
}

// A person's nudge state reads back as saved, zero when none was.
func TestNudgeState(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := okrs.NewStore(db)
		if got, err := s.NudgeState(ctx, "T1", "U1"); err != nil || got != (okrs.NudgeState{}) {
			t.Errorf("NudgeState before any = %+v, %v; want zero", got, err)
		}
		at := time.Date(2027, 2, 2, 9, 30, 0, 123456000, time.FixedZone("x", 3600))
		states := []okrs.NudgeState{
			{IgnoredInRow: 1, LastNudgedAt: at},
			{Cadence: okrs.NudgeBiweekly, IgnoredInRow: 3, Halved: true, ToldHalved: true, LastNudgedAt: at.Add(time.Hour)},
			{Cadence: okrs.NudgeOff},
		}
		for _, st := range states {
			if err := s.SaveNudgeState(ctx, "T1", "U1", st); err != nil {
				t.Fatal(err)
			}
			got, err := s.NudgeState(ctx, "T1", "U1")
			want := st
			if !want.LastNudgedAt.IsZero() {
				want.LastNudgedAt = want.LastNudgedAt.UTC()
			}
			if err != nil || got != want {
				t.Errorf("NudgeState after saving %+v = %+v, %v", st, got, err)
			}
		}
		var ve *okrs.ValidationError
		if err := s.SaveNudgeState(ctx, "T1", "U1", okrs.NudgeState{Cadence: "hourly"}); !errors.As(err, &ve) {
			t.Errorf("SaveNudgeState(hourly) = %v; want a *ValidationError", err)
		}
		if got, _ := s.NudgeState(ctx, "T1", "U1"); got != states[2] {
			t.Errorf("after a refused state: %+v, want %+v", got, states[2])
		}
		if got, err := s.NudgeState(ctx, "T2", "U1"); err != nil || got != (okrs.NudgeState{}) {
			t.Errorf("NudgeState(T2) = %+v, %v; want zero", got, err)
		}
	})
}
