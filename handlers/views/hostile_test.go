package views

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// stored bounds hostile text as the store would, shared with the other
// packages that show what people type.
var stored = blockkittest.Stored

// surface is one thing Trellis shows: what it sends and where.
type surface = blockkittest.Surface

// surfaces builds every surface of this package with v in every user
// field. None of them mentions anyone, even on purpose.
func surfaces(v string) []surface {
	loc := time.UTC
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, loc)
	today := calendar.DateOf(now)
	var aways []models.AwayPeriod
	var hols []models.Holiday
	var upcoming []Upcoming
	for i := range 20 {
		d := today.AddDays(i)
		aways = append(aways, models.AwayPeriod{ID: int64(i + 1), First: d, Last: d.AddDays(i), Note: stored(v, models.MaxAwayNoteLen)})
		hols = append(hols, models.Holiday{Date: d, Name: stored(v, models.MaxHolidayNameLen)})
		upcoming = append(upcoming, Upcoming{Title: stored(v, 200), Cadence: stored(v, models.MaxCadenceLen), Nominal: now, DeliverAt: now.Add(time.Hour), Status: []string{"on time", "deferred", "superseded", "skipped", "paused"}[i%5], Reason: v})
	}
	sum := Summary{
		UserID: "U1", TimeZone: stored(v, 64), LocalNow: now, Hours: calendar.DefaultWorkingHours,
		Away: aways, StatusAway: true, StatusUntil: now.Add(48 * time.Hour), StatusText: stored(v, 100),
		Region: "DE-BY", RegionName: "Germany — Bavaria", Holidays: hols, Budget: 3,
		Upcoming: upcoming,
	}
	return []surface{
		{Name: "Me", Kind: blockkit.Message, V: Me(sum)},
		{Name: "Home", Kind: blockkit.Home, V: Home(sum)},
		{Name: "TZModal", Kind: blockkit.Modal, V: TZModal(stored(v, 64), stored(v, 64), false)},
		{Name: "AwayModal", Kind: blockkit.Modal, V: AwayModal(today)},
	}
}

// TestHostileTextOnEverySurface: whatever a person typed, every surface
// shows it as text (no live broadcast, mention or link but the ones built
// on purpose, every mrkdwn text verbatim) and keeps every Block Kit limit.
func TestHostileTextOnEverySurface(t *testing.T) {
	blockkittest.CheckHostileText(t, surfaces)
}

// TestHostileTextShown: the text survives as text: a broadcast typed into
// a holiday's name, a time-off note, a status or a check-in's name shows,
// escaped, rather than vanishing.
func TestHostileTextShown(t *testing.T) {
	blockkittest.CheckTextShown(t, surfaces("<!channel>"), "AwayModal")
}

// TestStoredLimitsDocumented: docs/text.md lists every stored limit the
// shared records have as the code has it (the check-ins' are checked in
// handlers/checkins).
func TestStoredLimitsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/text.md")
	if err != nil {
		t.Fatal(err)
	}
	for field, n := range map[string]int{
		"cadence": models.MaxCadenceLen, "time-off note": models.MaxAwayNoteLen, "company holiday name": models.MaxHolidayNameLen,
	} {
		if row := fmt.Sprintf("| %s | %d |", field, n); !strings.Contains(string(doc), row) {
			t.Errorf("docs/text.md lacks %q", row)
		}
	}
}
