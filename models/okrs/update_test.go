package okrs_test

import (
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models/okrs"
)

func TestCurrent(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2027, 1, d, 9, 0, 0, 0, time.UTC) }
	up := func(id int64, d int, v float64, c okrs.Confidence) okrs.Update {
		return okrs.Update{ID: id, KeyResultID: 7, At: day(d), Value: v, Confidence: c, Note: "n" + string(rune('0'+id))}
	}
	same := func(id int64, d int) okrs.Update {
		return okrs.Update{ID: id, KeyResultID: 7, At: day(d), NoChange: true}
	}
	fix := func(id int64, d int, of int64, v float64, c okrs.Confidence) okrs.Update {
		u := up(id, d, v, c)
		u.Corrects = of
		return u
	}
	tests := []struct {
		name    string
		history []okrs.Update
		want    okrs.Effective
	}{
		{"no history", nil, okrs.Effective{}},
		{"one update", []okrs.Update{up(1, 4, 42, okrs.OnTrack)},
			okrs.Effective{HasValue: true, Value: 42, Confidence: okrs.OnTrack, Note: "n1", Updates: 1, LastID: 1, LastAt: day(4)}},
		{"the last update wins", []okrs.Update{up(1, 4, 42, okrs.OnTrack), up(2, 11, 45.5, okrs.AtRisk)},
			okrs.Effective{HasValue: true, Value: 45.5, Confidence: okrs.AtRisk, Note: "n2", Updates: 2, LastID: 2, LastAt: day(11)}},
		{"no change carries value and confidence and counts", []okrs.Update{up(1, 4, 42, okrs.AtRisk), same(2, 11)},
			okrs.Effective{HasValue: true, Value: 42, Confidence: okrs.AtRisk, Updates: 2, LastID: 2, LastAt: day(11)}},
		{"no change twice", []okrs.Update{up(1, 4, 42, okrs.AtRisk), same(2, 11), same(3, 18)},
			okrs.Effective{HasValue: true, Value: 42, Confidence: okrs.AtRisk, Updates: 3, LastID: 3, LastAt: day(18)}},
		{"no change first has no value", []okrs.Update{same(1, 4)},
			okrs.Effective{Updates: 1, LastID: 1, LastAt: day(4)}},
		{"a correction of the last entry replaces its value, not the check-in time", []okrs.Update{up(1, 4, 42, okrs.OnTrack), fix(2, 5, 1, 24, okrs.OffTrack)},
			okrs.Effective{HasValue: true, Value: 24, Confidence: okrs.OffTrack, Note: "n2", Updates: 1, LastID: 1, LastAt: day(4)}},
		{"a correction of an older entry leaves the later one current", []okrs.Update{up(1, 4, 42, okrs.OnTrack), up(2, 11, 50, okrs.OnTrack), fix(3, 12, 1, 24, okrs.OffTrack)},
			okrs.Effective{HasValue: true, Value: 50, Confidence: okrs.OnTrack, Note: "n2", Updates: 2, LastID: 2, LastAt: day(11)}},
		{"a correction flows through no change", []okrs.Update{up(1, 4, 42, okrs.OnTrack), same(2, 11), fix(3, 12, 1, 24, okrs.AtRisk)},
			okrs.Effective{HasValue: true, Value: 24, Confidence: okrs.AtRisk, Updates: 2, LastID: 2, LastAt: day(11)}},
		{"a correction of a no change gives it a value", []okrs.Update{up(1, 4, 42, okrs.OnTrack), same(2, 11), fix(3, 12, 2, 30, okrs.AtRisk)},
			okrs.Effective{HasValue: true, Value: 30, Confidence: okrs.AtRisk, Note: "n3", Updates: 2, LastID: 2, LastAt: day(11)}},
		{"the later of two corrections wins", []okrs.Update{up(1, 4, 42, okrs.OnTrack), fix(2, 5, 1, 24, okrs.OnTrack), fix(3, 6, 1, 25, okrs.AtRisk)},
			okrs.Effective{HasValue: true, Value: 25, Confidence: okrs.AtRisk, Note: "n3", Updates: 1, LastID: 1, LastAt: day(4)}},
		{"a correction of a correction fixes the original", []okrs.Update{up(1, 4, 42, okrs.OnTrack), up(2, 11, 50, okrs.OnTrack), fix(3, 12, 2, 5, okrs.OnTrack), fix(4, 13, 3, 55, okrs.OffTrack)},
			okrs.Effective{HasValue: true, Value: 55, Confidence: okrs.OffTrack, Note: "n4", Updates: 2, LastID: 2, LastAt: day(11)}},
		{"an update after a correction wins", []okrs.Update{up(1, 4, 42, okrs.OnTrack), fix(2, 5, 1, 24, okrs.OnTrack), up(3, 11, 30, okrs.AtRisk)},
			okrs.Effective{HasValue: true, Value: 30, Confidence: okrs.AtRisk, Note: "n3", Updates: 2, LastID: 3, LastAt: day(11)}},
		{"negative and fractional values", []okrs.Update{up(1, 4, -0.75, okrs.OffTrack), same(2, 11)},
			okrs.Effective{HasValue: true, Value: -0.75, Confidence: okrs.OffTrack, Updates: 2, LastID: 2, LastAt: day(11)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kept := append([]okrs.Update(nil), tt.history...)
			got, err := okrs.Current(tt.history)
			if err != nil {
				t.Fatalf("Current = %v", err)
			}
			if got != tt.want {
				t.Errorf("Current = %+v, want %+v", got, tt.want)
			}
			for i := range kept {
				if tt.history[i] != kept[i] {
					t.Errorf("Current changed history entry %d: %+v, was %+v", i, tt.history[i], kept[i])
				}
			}
		})
	}
}

func TestCurrentRefusesAHistoryThatIsNotAppendOnly(t *testing.T) {
	a := okrs.Update{ID: 1, KeyResultID: 7, Value: 1, Confidence: okrs.OnTrack}
	tests := []struct {
		name    string
		history []okrs.Update
	}{
		{"an id twice", []okrs.Update{a, a}},
		{"another key result", []okrs.Update{a, {ID: 2, KeyResultID: 8}}},
		{"a correction of an unknown entry", []okrs.Update{a, {ID: 2, KeyResultID: 7, Corrects: 9}}},
		{"a correction of a later entry", []okrs.Update{{ID: 2, KeyResultID: 7, Corrects: 1}, a}},
		{"a correction of itself", []okrs.Update{a, {ID: 2, KeyResultID: 7, Corrects: 2}}},
	}
	for _, tt := range tests {
		if got, err := okrs.Current(tt.history); err == nil {
			t.Errorf("%s: Current = %+v, want an error", tt.name, got)
		}
	}
}
