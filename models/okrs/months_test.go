package okrs

import (
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

func TestEndAfterMonths(t *testing.T) {
	d := func(y int, m, day int) calendar.Date { return calendar.Date{Year: y, Month: time.Month(m), Day: day} }
	tests := []struct {
		start  calendar.Date
		months int
		want   calendar.Date
	}{
		{d(2027, 1, 1), 1, d(2027, 1, 31)},
		{d(2027, 1, 1), 2, d(2027, 2, 28)},
		{d(2027, 1, 4), 2, d(2027, 3, 3)},
		{d(2027, 1, 31), 1, d(2027, 2, 27)}, // 28 Feb (31 Jan plus a month) minus a day
		{d(2028, 1, 31), 1, d(2028, 2, 28)}, // leap year: 29 Feb minus a day
		{d(2026, 12, 15), 2, d(2027, 2, 14)},
		{d(2027, 3, 1), 4, d(2027, 6, 30)},
	}
	for _, tt := range tests {
		got := EndAfterMonths(tt.start, tt.months)
		if got != tt.want {
			t.Errorf("EndAfterMonths(%v, %d) = %v, want %v", tt.start, tt.months, got, tt.want)
		}
		// The rule MinEnd and MaxEnd follow is the same one.
		if tt.months == MinCycleMonths && got != MinEnd(tt.start) {
			t.Errorf("EndAfterMonths(%v, %d) = %v, MinEnd = %v", tt.start, tt.months, got, MinEnd(tt.start))
		}
		if tt.months == MaxCycleMonths && got != MaxEnd(tt.start) {
			t.Errorf("EndAfterMonths(%v, %d) = %v, MaxEnd = %v", tt.start, tt.months, got, MaxEnd(tt.start))
		}
	}
}
