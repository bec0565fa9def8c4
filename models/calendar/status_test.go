package calendar

import (
	"testing"
	"time"
)

func TestStatusAway(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	later := now.Add(48 * time.Hour)
	tests := []struct {
		name      string
		s         Status
		wantAway  bool
		wantUntil time.Time
	}{
		{"palm tree shortcode", Status{Emoji: ":palm_tree:"}, true, time.Time{}},
		{"palm tree character", Status{Emoji: "🌴"}, true, time.Time{}},
		{"airplane with variation selector", Status{Emoji: "✈️"}, true, time.Time{}},
		{"skin tone", Status{Emoji: ":baby::skin-tone-3:"}, true, time.Time{}},
		{"upper case", Status{Emoji: ":Palm_Tree:"}, true, time.Time{}},
		{"palm tree until later", Status{Emoji: ":palm_tree:", Expiration: later}, true, later},
		{"OOO text", Status{Text: "OOO until Monday"}, true, time.Time{}},
		{"out of office", Status{Text: "Out of the office", Emoji: ":calendar:"}, true, time.Time{}},
		{"parental leave", Status{Text: "On parental leave"}, true, time.Time{}},
		{"pto", Status{Text: "PTO"}, true, time.Time{}},
		{"sick", Status{Text: "off sick", Emoji: ":face_with_thermometer:"}, true, time.Time{}},
		{"expired", Status{Text: "On vacation", Emoji: ":palm_tree:", Expiration: now.Add(-time.Minute)}, false, time.Time{}},
		{"expires now", Status{Emoji: ":palm_tree:", Expiration: now}, false, time.Time{}},
		{"meeting", Status{Text: "In a meeting", Emoji: ":spiral_calendar_pad:", Expiration: later}, false, time.Time{}},
		{"commuting", Status{Text: "Commuting", Emoji: ":bus:"}, false, time.Time{}},
		{"word inside another", Status{Text: "Woooo shipping day"}, false, time.Time{}},
		{"holiday party", Status{Text: "Holiday party planning"}, false, time.Time{}},
		{"sick of meetings", Status{Text: "sick of meetings"}, false, time.Time{}},
		{"on holiday", Status{Text: "On holiday until the 4th"}, true, time.Time{}},
		{"back on track", Status{Text: "Back on track"}, false, time.Time{}},
		{"sick day", Status{Text: "Sick day"}, true, time.Time{}},
		{"empty", Status{}, false, time.Time{}},
	}
	for _, tt := range tests {
		away, until := StatusAway(tt.s, now)
		if away != tt.wantAway || !until.Equal(tt.wantUntil) {
			t.Errorf("%s: StatusAway(%+v) = %v, %v; want %v, %v", tt.name, tt.s, away, until, tt.wantAway, tt.wantUntil)
		}
	}
}
