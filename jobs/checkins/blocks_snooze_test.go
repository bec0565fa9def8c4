package checkins_test

import (
	"fmt"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/checkins"
)

func TestSnoozeValue(t *testing.T) {
	for _, tt := range []struct {
		minutes        int
		round, checkin int64
		want           string
	}{
		{30, 12, 7, "30|12:7"},
		{240, 1, 1, "240|1:1"},
		{checkins.SnoozeTomorrow, 12, 7, "-1|12:7"},
		{60, 1<<63 - 1, 1<<63 - 1, "60|9223372036854775807:9223372036854775807"},
	} {
		got := checkins.SnoozeValue(tt.minutes, tt.round, tt.checkin)
		if got != tt.want {
			t.Errorf("SnoozeValue(%d, %d, %d) = %q, want %q", tt.minutes, tt.round, tt.checkin, got, tt.want)
		}
		if len(got) > 150 {
			t.Errorf("SnoozeValue %q is longer than an option value may be", got)
		}
		m, r, c, err := checkins.ParseSnoozeValue(got)
		if err != nil || m != tt.minutes || r != tt.round || c != tt.checkin {
			t.Errorf("ParseSnoozeValue(%q) = %d, %d, %d, %v", got, m, r, c, err)
		}
	}
	for _, bad := range []string{"", "30", "30|", "|12:7", "0|12:7", "-2|12:7", "x|12:7", "30|12", "30|0:7", "30|12:-1", "30|12:7|1", "12:7"} {
		if m, r, c, err := checkins.ParseSnoozeValue(bad); err == nil {
			t.Errorf("ParseSnoozeValue(%q) = %d, %d, %d, nil; want an error", bad, m, r, c)
		}
	}
}

// The snooze menu names no clock time, so no label is untrue when the
// prompt is read hours after it was sent; the confirmation of a moved
// snooze names the time it was moved to, in the person's zone.
func TestSnoozeOptions(t *testing.T) {
	var got []string
	for _, o := range checkins.SnoozeOptions() {
		got = append(got, fmt.Sprintf("%d %s", o.Minutes, o.Label))
		if regexp.MustCompile(`[0-9]:[0-9]|until`).MatchString(o.Label) {
			t.Errorf("label %q names a clock time", o.Label)
		}
	}
	want := []string{"30 30 minutes", "60 1 hour", "120 2 hours", "240 4 hours", "-1 Tomorrow morning"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SnoozeOptions = %q, want %q", got, want)
	}

	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	until := time.Date(2026, 11, 24, 9, 0, 0, 0, berlin)
	for _, tt := range []struct {
		minutes int
		want    string
	}{
		{30, "30 minutes from now is outside your working hours, so I'll ask again when they next start: 09:00 on Tue 24 Nov."},
		{240, "4 hours from now is outside your working hours, so I'll ask again when they next start: 09:00 on Tue 24 Nov."},
		{checkins.SnoozeTomorrow, "I'll ask again at 09:00 on Tue 24 Nov, when your working hours next start."},
	} {
		if got := checkins.SnoozeMoved(tt.minutes, until, berlin); got != tt.want {
			t.Errorf("SnoozeMoved(%d) = %q, want %q", tt.minutes, got, tt.want)
		}
	}
}

// promptInput is a stand-up's first ask, in Berlin.
