package peers

import (
	"testing"
	"time"
)

func TestOverlapAndSharedSpans(t *testing.T) {
	day := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
	at := func(d, h, m int) time.Time {
		return day.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	a := []Interval{{at(0, 9, 0), at(0, 17, 0)}, {at(1, 9, 0), at(1, 17, 0)}}
	b := []Interval{{at(0, 16, 40), at(1, 1, 0)}, {at(1, 16, 0), at(2, 1, 0)}}
	got := Overlap(a, b)
	want := []Interval{{at(0, 16, 40), at(0, 17, 0)}, {at(1, 16, 0), at(1, 17, 0)}}
	if len(got) != len(want) {
		t.Fatalf("Overlap = %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) {
			t.Fatalf("Overlap[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if s := SharedSpans(30*time.Minute, a, b); len(s) != 1 || s[0].Duration() != time.Hour {
		t.Fatalf("SharedSpans(30m) = %v, want the one hour on day 2 only", s)
	}
	c := []Interval{{at(1, 16, 30), at(1, 18, 0)}}
	if s := SharedSpans(30*time.Minute, a, b, c); len(s) != 1 || s[0].Duration() != 30*time.Minute {
		t.Fatalf("SharedSpans of three = %v, want 16:30-17:00 on day 2", s)
	}
	if s := SharedSpans(time.Minute, a, nil); len(s) != 0 {
		t.Fatalf("SharedSpans with nobody's windows = %v, want none", s)
	}
}
