package checkins

import (
	"strings"
	"testing"
	"time"

	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// In every destination that posts in a channel, each answer is posted
// under its person's name and picture, and what the check-in itself says
// (the round's header, the summary) under the bot's own; in a thread, the
// summary is also broadcast to the channel.
func TestAnswersPostedUnderTheirPerson(t *testing.T) {
	t.Parallel()
	for _, dest := range []checkinmodels.Destination{checkinmodels.DestinationThread, checkinmodels.DestinationChannel} {
		t.Run(string(dest), func(t *testing.T) {
			forDialects(t, func(t *testing.T, dialect string) {
				h := newHarness(t, harnessOpts{dialect: dialect})
				ada := h.person("ada", "Europe/London", "")
				bob := h.person("bob", "Europe/London", "")
				ch := h.channel("team", ada, bob)
				cfg := checkinFor(ch, ada, bob)
				cfg.Destination = dest
				c := h.create(cfg)
				h.run(monday.Add(9*time.Hour + 31*time.Minute))
				h.answer(h.svcs[0], c, h.roundOf(ada), ada, text("ada's answer"))
				h.answer(h.svcs[0], c, h.roundOf(bob), bob, text("bob's answer"))
				h.run(monday.Add(24 * time.Hour)) // past the close

				msgs, err := h.ctl.Messages(h.ctx, ch, ada)
				if err != nil {
					t.Fatal(err)
				}
				seen := map[string]int{}
				for _, m := range msgs {
					if m.BotID == "" {
						continue
					}
					txt := msgText(m)
					switch {
					case strings.Contains(txt, "ada's answer"):
						seen["ada"]++
						if m.Username != "ada" || m.IconURL != avatarOf(ada) {
							t.Errorf("ada's answer posted as %q with %q, want her name and %q", m.Username, m.IconURL, avatarOf(ada))
						}
					case strings.Contains(txt, "bob's answer"):
						seen["bob"]++
						if m.Username != "bob" || m.IconURL != avatarOf(bob) {
							t.Errorf("bob's answer posted as %q with %q, want his name and picture", m.Username, m.IconURL)
						}
					case strings.Contains(txt, ": summary"):
						seen["summary"]++
						if m.Username != "" || m.IconURL != "" {
							t.Errorf("the summary is posted as %q, want the bot", m.Username)
						}
						if inThread := m.ThreadTS != "" && m.ThreadTS != m.TS; inThread != m.Broadcast {
							t.Errorf("summary: in a thread %v, broadcast %v; want a reply in a thread broadcast to the channel", inThread, m.Broadcast)
						}
						if dest == checkinmodels.DestinationThread && !m.Broadcast {
							t.Errorf("the summary is not broadcast to the channel")
						}
					default:
						seen["other"]++
						if m.Username != "" || m.IconURL != "" {
							t.Errorf("%q is posted as %q, want the bot", txt, m.Username)
						}
					}
				}
				if seen["ada"] != 1 || seen["bob"] != 1 || seen["summary"] != 1 {
					t.Errorf("messages seen %v, want each answer and the summary once", seen)
				}
			})
		})
	}
}
