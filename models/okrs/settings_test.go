package okrs_test

import (
	"testing"

	"github.com/trellis-bot/trellis/models/okrs"
)

// Settings resolve field by field over the level below; CadenceFor
// follows the cycle (weekly up to two months, every two weeks beyond)
// unless a cadence is set.
func TestSettingsOverAndCadence(t *testing.T) {
	unset := okrs.Settings{NudgeWeekday: okrs.NoWeekday}
	ws := okrs.Settings{CycleMonths: 2, NudgeWeekday: 4}
	for _, tt := range []struct {
		name      string
		own, want okrs.Settings
	}{
		{"nothing set", unset, okrs.Settings{CycleMonths: 2, NudgeWeekday: 4}},
		{"all set", okrs.Settings{CycleMonths: 4, NudgeCadence: okrs.NudgeOff, NudgeWeekday: 0}, okrs.Settings{CycleMonths: 4, NudgeCadence: okrs.NudgeOff, NudgeWeekday: 0}},
		{"cadence only", okrs.Settings{NudgeCadence: okrs.NudgeWeekly, NudgeWeekday: okrs.NoWeekday}, okrs.Settings{CycleMonths: 2, NudgeCadence: okrs.NudgeWeekly, NudgeWeekday: 4}},
	} {
		if got := tt.own.Over(ws).Over(okrs.DefaultSettings()); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if got := unset.Over(unset).Over(okrs.DefaultSettings()); got != okrs.DefaultSettings() {
		t.Errorf("nothing set anywhere: %+v, want the defaults", got)
	}

	for _, tt := range []struct {
		cadence    okrs.NudgeCadence
		start, end string
		want       okrs.NudgeCadence
	}{
		{"", "2027-01-01", "2027-01-31", okrs.NudgeWeekly},
		{"", "2027-01-01", "2027-02-28", okrs.NudgeWeekly},
		{"", "2027-01-31", "2027-03-30", okrs.NudgeWeekly},
		{"", "2027-01-01", "2027-03-01", okrs.NudgeBiweekly},
		{"", "2027-01-01", "2027-03-31", okrs.NudgeBiweekly},
		{okrs.NudgeWeekly, "2027-01-01", "2027-04-30", okrs.NudgeWeekly},
		{okrs.NudgeOff, "2027-01-01", "2027-01-31", okrs.NudgeOff},
		{okrs.NudgeBiweekly, "2027-01-01", "2027-01-31", okrs.NudgeBiweekly},
	} {
		c := okrs.Cycle{Start: date(t, tt.start), End: date(t, tt.end)}
		if got := (okrs.Settings{NudgeCadence: tt.cadence}).CadenceFor(c); got != tt.want {
			t.Errorf("CadenceFor(%q, %s–%s) = %q, want %q", tt.cadence, tt.start, tt.end, got, tt.want)
		}
	}
}
