package checkins_test

import (
	"encoding/json"
	"strings"
	"testing"

	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/checkins/checkinstest"
)

// The hostile text every surface is checked with, shared with the other
// packages that show what people type.
var (
	hostile        = blockkittest.Hostile
	stored         = blockkittest.Stored
	hostileCheckin = checkinstest.HostileCheckin
)

// allowedMentions are the ids of the mentions Trellis builds on purpose.
var allowedMentions = []string{"@U0HELPER", "#C0TEAM", "@U0NONAME", "@U0OWNER"}

// TestHostileTextInCheckinForm: whatever a person typed into a check-in,
// its form shows it as text (no live broadcast, mention or link) within
// every Block Kit limit, and shows it rather than dropping it.
func TestHostileTextInCheckinForm(t *testing.T) {
	for kind, v := range hostile {
		m := checkinhandlers.CheckinModal(hostileCheckin(v), checkinmodels.Templates(), "")
		for _, p := range blockkit.Check(blockkit.Modal, m, allowedMentions...) {
			t.Errorf("CheckinModal with %s text: %s", kind, p)
		}
	}
	raw, err := json.Marshal(checkinhandlers.CheckinModal(hostileCheckin("<!channel>"), checkinmodels.Templates(), ""))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "!channel") {
		t.Errorf("CheckinModal does not show the typed text")
	}
}
