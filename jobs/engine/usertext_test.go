package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// TestWhyLineShowsTypedTextAsText: a schedule's title and cadence and the
// note of why a message waited (which can name a holiday an admin typed)
// never become a live mention, broadcast or link in the "Why did I get
// this?" line, for a DM and for a channel post, and the message keeps
// Slack's limits.
func TestWhyLineShowsTypedTextAsText(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for _, v := range []string{"<!channel>", "<@U1> <#C1> <http://evil|x>", strings.Repeat("<!here>", 800), strings.Repeat("𝕏", 3000)} {
		sc := models.Schedule{Key: "checkin:1", Title: v, Cadence: v, ChannelTZ: "UTC"}
		person := &models.Person{UserID: "U2", SlackTZ: "Europe/Berlin"}
		for _, it := range []item{
			{schedule: sc, person: person, hours: calendar.DefaultWorkingHours, budget: 3, note: "it was a holiday: " + v},
			{schedule: sc},
		} {
			it.claim.Occurrence.NominalAt = now
			out := assemble([]part{{item: it, msg: Message{Text: "hi"}}}, func(it item) string { return whyLine(it, now) })
			for _, o := range out {
				for _, p := range blockkit.Check(blockkit.Message, slack.Blocks{BlockSet: o.blocks}) {
					t.Errorf("person %v, title %.20q: %s", it.person != nil, v, p)
				}
			}
		}
	}
}
