package handlers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack/slackevents"

	"github.com/trellis-bot/trellis/bot"
	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	"github.com/trellis-bot/trellis/jobs/checkins"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// homeAnonMarker is in every anonymous option and in no other text, so a
// Home tab showing an anonymous value or total is found by looking for it.
const homeAnonMarker = "zq7"

var homeAnonOptions = []string{"calm" + homeAnonMarker, "busy" + homeAnonMarker}

// TestMinimumGroupOnTheHomeTab is the Home tab's part of the minimum-group
// table (jobs/checkins/anon_surfaces_test.go holds the other surfaces):
// the Home tab as Trellis publishes it on app_home_opened, read back from
// the emulator, never shows an anonymous value or total, below the
// workspace's minimum group (5) or at it, to anyone who answered a round
// with an anonymous and an identified question, nor to someone still asked
// — while it does show the check-in, and the round waiting for the one
// who has not answered, so the check is not vacuous.
func TestMinimumGroupOnTheHomeTab(t *testing.T) {
	const minGroup = 5 // the workspace default
	for _, dialect := range modelstest.Dialects() {
		for _, n := range []int{minGroup - 1, minGroup} {
			t.Run(fmt.Sprintf("%s/%d answers", dialect, n), func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, dialect)
				var people []string
				for i := range n {
					people = append(people, f.person(fmt.Sprintf("anon%d", i)))
				}
				// One more person is asked and has not answered yet: their
				// Home tab lists the round as waiting.
				late := f.person("anonlate")
				ch := f.channel("anon", false, append(people, late)...)
				c, err := f.svc.Create(f.ctx, checkinmodels.Checkin{WorkspaceID: team, ChannelID: ch, OwnerID: people[0], Name: "Weekly pulse",
					Questions: []checkinmodels.Question{
						{Kind: checkinmodels.KindText, Prompt: "What did you do?", Required: true},
						{Kind: checkinmodels.KindChoice, Prompt: "How was the week?", Options: homeAnonOptions, Anonymous: true, Required: true},
					},
					Cadence: "weekdays at 09:30", Participants: checkinmodels.ParticipantsChosen, People: append(people, late),
					Destination: checkinmodels.DestinationThread, RoundLength: 8 * time.Hour, Reminders: 0})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.RunNow(f.ctx, c); err != nil {
					t.Fatal(err)
				}
				if _, err := f.eng.Tick(f.ctx, monday10); err != nil {
					t.Fatal(err)
				}
				var round int64
				for i, u := range people {
					_, round = f.prompt(u, c.ID)
					m := checkinhandlers.AnswerModal(c, checkinmodels.Round{ID: round, CheckinID: c.ID}, "", nil, nil)
					req := f.submission(checkinhandlers.CallbackAnswer, checkinhandlers.AnswerFormMetadata(round, c.ID), formValues(t, m, map[string]any{
						checkinhandlers.AnswerBlockID(checkins.AnswerKey(0, c.Questions[0])): "Text of " + u,
						checkinhandlers.AnswerBlockID(checkins.AnswerKey(1, c.Questions[1])): homeAnonOptions[i%2],
					}))
					req.UserID, req.Interaction.User.ID = u, u
					if resp := f.do(req); resp != nil {
						t.Fatalf("answer of %s refused: %+v", u, resp.Body)
					}
				}
				// The answers are stored.
				rs, err := f.store.Responses(f.ctx, team, round)
				if err != nil {
					t.Fatal(err)
				}
				answered := 0
				for _, r := range rs {
					if r.Status == checkinmodels.ResponseAnswered && r.AnonymousIn {
						answered++
					}
				}
				if answered != n {
					t.Fatalf("%d answers with their anonymous part counted, want %d: %+v", answered, n, rs)
				}

				for _, u := range append(people, late) {
					f.do(&bot.Request{Kind: bot.KindEvent, UserID: u, Event: &slackevents.EventsAPIInnerEvent{Type: "app_home_opened",
						Data: &slackevents.AppHomeOpenedEvent{User: u, Tab: "home"}}})
					v, err := f.ctl.Home(f.ctx, u)
					if err != nil || v == nil {
						t.Fatalf("%s's Home tab: %v, %v", u, v, err)
					}
					home := string(v.Blocks)
					if strings.Contains(home, homeAnonMarker) {
						t.Errorf("%s's Home tab with %d answers shows an anonymous value or total:\n%s", u, n, home)
					}
					if !strings.Contains(home, "Weekly pulse") || !strings.Contains(home, checkinhandlers.ActionHomeCheckinExport) {
						t.Errorf("%s's Home tab does not show the check-in, so it proves nothing:\n%.300s", u, home)
					}
					if u == late && !strings.Contains(home, checkins.ActionCheckinAnswer) {
						t.Errorf("the Home tab of a person not yet answering does not show the round waiting:\n%.300s", home)
					}
				}
			})
		}
	}
}
