package checkins

import (
	"context"
	"strings"
	"testing"
	"time"

	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// Two people answer a check-in with a feature question the same way,
// except that one enters something there (their OKR updates: the
// answer keeps "Updated 2 key results") and the other does not: for
// every destination, what others read — each answer in the thread or
// channel, the summary, the digest, everyone's export — says the same of
// both, apart from their names.
func TestFeatureAnswerSameToOthers(t *testing.T) {
	t.Parallel()
	for _, dest := range []checkinmodels.Destination{checkinmodels.DestinationThread, checkinmodels.DestinationChannel, checkinmodels.DestinationDigest} {
		forDialects(t, func(t *testing.T, dialect string) {
			h := newHarness(t, harnessOpts{dialect: dialect})
			ada := h.person("ada", "Europe/London", "")
			bob := h.person("bob", "Europe/London", "")
			eve := h.person("eve", "Europe/London", "")
			ch := h.channel("team", ada, bob, eve)
			c := checkinFor(ch, ada, bob, eve)
			c.Destination = dest
			c.Questions = append(c.Questions,
				checkinmodels.Question{Kind: checkinmodels.KindFeature, Prompt: "Your key results", Options: []string{"okr"}},
				checkinmodels.Question{Kind: checkinmodels.KindScale, Prompt: "How was it?", Options: []string{"rough", "great"}})
			c = h.create(c)
			h.run(monday.Add(9*time.Hour + 31*time.Minute))
			text, feature, scale := int(c.Questions[0].ID), int(c.Questions[1].ID), int(c.Questions[2].ID)
			for _, p := range []struct {
				user, summary string
			}{{ada, "Updated 2 key results"}, {bob, ""}} {
				sub := checkinmodels.Submission{Answers: map[int]string{text: "Shipping", scale: "4"}}
				res, err := h.svcs[0].SubmitWith(h.ctx, c, h.roundOf(p.user), p.user, sub, nil, func(context.Context) (map[int]string, error) {
					return map[int]string{feature: p.summary}, nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if res.Post.ID != 0 {
					h.svcs[0].DeliverPost(h.ctx, res.Post)
				}
			}
			if resp, err := h.store.MyResponse(h.ctx, team, h.roundOf(ada), ada); err != nil || resp.Answers[feature] != "Updated 2 key results" {
				t.Fatalf("ada's stored answers %v, %v; want her summary kept for her", resp.Answers, err)
			}
			// The round closes (its summary), and Eve's digest comes the
			// next morning.
			h.run(monday.Add(33 * time.Hour))

			var seen []string
			say := func(where, s string) { seen = append(seen, where+": "+s) }
			if dest != checkinmodels.DestinationDigest {
				top, replies := h.channelMsgs(ch, eve)
				var adaSays, bobSays []string
				for _, m := range top {
					say("channel", msgText(m))
				}
				for _, th := range replies {
					for _, m := range th {
						say("thread", msgText(m))
					}
				}
				for _, s := range seen {
					switch {
					case strings.Contains(s, "ada answered"):
						adaSays = append(adaSays, strings.ReplaceAll(s, "ada", "X"))
					case strings.Contains(s, "bob answered"):
						bobSays = append(bobSays, strings.ReplaceAll(s, "bob", "X"))
					}
				}
				if len(adaSays) != 1 || strings.Join(adaSays, "\n") != strings.Join(bobSays, "\n") {
					t.Errorf("%s: the answers others read differ:\nada: %q\nbob: %q", dest, adaSays, bobSays)
				}
				if !strings.Contains(strings.Join(adaSays, ""), "Shipping") {
					t.Errorf("%s: ada's answer does not show her text: %q", dest, adaSays)
				}
			} else {
				for _, m := range h.dms(eve) {
					say("eve's digest", msgText(m))
				}
				digest := strings.Join(seen, "\n")
				if strings.Count(digest, "Shipping") != 2 {
					t.Errorf("eve's digest does not show both answers:\n%s", digest)
				}
			}
			rows, err := h.store.Export(h.ctx, team, c.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			byWho := map[string][]string{}
			for _, r := range rows {
				byWho[r.UserID] = append(byWho[r.UserID], r.Status+" "+r.Question+"="+r.Answer)
				say("export", r.Answer)
			}
			if strings.Join(byWho[ada], "\n") != strings.Join(byWho[bob], "\n") {
				t.Errorf("%s: everyone's export says %q of ada and %q of bob", dest, byWho[ada], byWho[bob])
			}
			for _, s := range seen {
				if strings.Contains(s, "Updated") {
					t.Errorf("%s: others read %q", dest, s)
				}
			}
		})
	}
}
