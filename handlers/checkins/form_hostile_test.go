package checkins_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/models"
)

// hostile is text a person could type (or set as their Slack name or
// status) meaning harm or just being unusual: broadcasts, mentions, links,
// text already escaped, mrkdwn, very long text, newlines, emoji, right-to-
// left marks, 3- and 4-byte characters. It is the same set the other
// surfaces are checked with (handlers/views/hostile_test.go).
var hostile = map[string]string{
	"channel":      "<!channel>",
	"here":         "hi <!here|here> @here @channel",
	"user":         "<@U123> and <@W9|boss>",
	"conversation": "<#C1> <#C2|general>",
	"link":         "<http://evil.example|click me> <https://x.example> <mailto:a@b.c|mail>",
	"subteam":      "<!subteam^S1|@team> <!date^1392734382^{date}|x>",
	"escaped":      "&lt;!channel&gt; &amp;lt;@U1&amp;gt;",
	"markup":       "*bold* _it_ ~s~ `code` ```block``` > quote",
	"newlines":     "one\n\n<!here>\r\ntwo\n",
	"emoji":        "🌴🔥👩‍👩‍👧 :tada:",
	"rtl":          "\u202eevil\u202c \u200fשלום\u200f",
	"wide3":        strings.Repeat("€", 5000),
	"wide4":        strings.Repeat("𝕏", 5000),
	"long":         strings.Repeat("<!channel> & ", 2000),
	"angles":       strings.Repeat("<>&", 3000),
}

// stored bounds s as the store would have bounded it before it could be
// shown: a field with a storage limit never holds more.
func stored(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// hostileCheckin is a check-in with v in every field a person typed, each
// within its storage limit, with one question of every kind.
func hostileCheckin(v string) models.Checkin {
	opt := func(i int) string { return stored(fmt.Sprintf("%d %s", i, v), models.MaxOptionLen) }
	choices := make([]string, models.MaxChoices)
	for i := range choices {
		choices[i] = opt(i)
	}
	c := models.NewCheckin()
	c.ID, c.WorkspaceID, c.ChannelID, c.OwnerID = 7, "T1", "C0TEAM", "U0OWNER"
	c.Name = stored(v, models.MaxNameLen)
	c.Cadence = stored(v, models.MaxCadenceLen)
	c.Reminders = 2
	c.Questions = []models.Question{
		{ID: 1, Kind: models.KindText, Prompt: stored(v, models.MaxPromptLen), Required: true},
		{ID: 2, Kind: models.KindScale, Prompt: stored("2 "+v, models.MaxPromptLen), Options: []string{stored(v, models.MaxScaleLabelLen), stored("5 "+v, models.MaxScaleLabelLen)}},
		{ID: 3, Kind: models.KindChoice, Prompt: stored("3 "+v, models.MaxPromptLen), Options: choices},
		{ID: 4, Kind: models.KindBlocked, Prompt: stored("4 "+v, models.MaxPromptLen)},
		{ID: 5, Kind: models.KindChoice, Prompt: stored("5 "+v, models.MaxPromptLen), Options: choices[:3], Anonymous: true},
	}
	for i := 6; i <= models.MaxQuestions; i++ {
		c.Questions = append(c.Questions, models.Question{ID: int64(i), Kind: models.KindText, Prompt: stored(fmt.Sprint(i, v), models.MaxPromptLen)})
	}
	return c
}

// allowedMentions are the ids of the mentions Trellis builds on purpose.
var allowedMentions = []string{"@U0HELPER", "#C0TEAM", "@U0NONAME", "@U0OWNER"}

// TestHostileTextInCheckinForm: whatever a person typed into a check-in,
// its form shows it as text (no live broadcast, mention or link) within
// every Block Kit limit, and shows it rather than dropping it.
func TestHostileTextInCheckinForm(t *testing.T) {
	for kind, v := range hostile {
		m := checkinhandlers.CheckinModal(hostileCheckin(v), models.CheckinTemplates(), "")
		for _, p := range blockkit.Check(blockkit.Modal, m, allowedMentions...) {
			t.Errorf("CheckinModal with %s text: %s", kind, p)
		}
	}
	raw, err := json.Marshal(checkinhandlers.CheckinModal(hostileCheckin("<!channel>"), models.CheckinTemplates(), ""))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "!channel") {
		t.Errorf("CheckinModal does not show the typed text")
	}
}
