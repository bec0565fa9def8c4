package okrs_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/jobs/engine"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// The check-in question lists the key results the update form lists:
// those of the cycles current on the person's own date (the active ones,
// else those being planned, and those in review), never by UTC's date,
// and a team-only objective's only while the person is in its channel
// as Slack says.
//
// Cycle A runs through 28 February 2027 and cycle B starts on 1 March;
// at 12:00 UTC on 28 February it is already 1 March on Kiritimati
// (UTC+14), where B is active and A in review, and still 28 February in
// Pago Pago (UTC-11), where A is active and B, being planned, is not
// current. Each person owns a key result in A, one in B, and one in a
// team-only objective of A in #growth. Marking one off track there offers
// help as the update form does, after the answer's transaction.
func TestCheckinQuestionListsTheUpdateFormsKeyResults(t *testing.T) {
	start := time.Date(2027, 2, 28, 12, 0, 0, 0, time.UTC)
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			log := testlog.Logger(t)
			env := testenv.New(t, testenv.Options{Dialect: dialect, Start: start, Logger: log,
				Slack: slacksim.Config{RetryDelays: []time.Duration{}, MessageCapPerMinute: 1_000_000}})
			db := env.DBs[0]
			api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(env.Slack.Server.APIURL()))
			eng, err := engine.New(engine.Config{DB: db, Clock: env.Clock, Logger: log,
				Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }})
			if err != nil {
				t.Fatal(err)
			}
			svc, err := jobokrs.New(jobokrs.Config{DB: db, Engine: eng, Clock: env.Clock, Logger: log})
			if err != nil {
				t.Fatal(err)
			}
			ppl := models.NewPeople(db)
			core := handlers.New(handlers.Config{Logger: log, Clock: env.Clock, People: ppl, Workspaces: models.NewWorkspaces(db)})
			kind := okrhandlers.New(core, svc, ppl, nil).CheckinQuestion()
			store := svc.Store()
			team := slacksim.DefaultTeamID

			zones := map[string]string{"east": "Pacific/Kiritimati", "west": "Pacific/Pago_Pago"}
			ids := map[string]string{}
			for _, who := range []string{"east", "west"} {
				p, err := env.Slack.Control.AddPerson(ctx, slacksim.NewPerson{Name: who, RealName: who, TZ: zones[who]})
				if err != nil {
					t.Fatal(err)
				}
				ids[who] = p.ID
				if _, err := ppl.SyncProfile(ctx, models.Person{WorkspaceID: team, UserID: p.ID, Name: who, SlackTZ: zones[who]}); err != nil {
					t.Fatal(err)
				}
			}
			growth, err := env.Slack.Control.CreateChannel(ctx, slacksim.NewChannel{Name: "growth", Members: []string{ids["east"], ids["west"]}})
			if err != nil {
				t.Fatal(err)
			}
			a, err := store.CreateCycle(ctx, team, okrs.Cycle{Name: "A", Start: calendar.Date{Year: 2027, Month: 1, Day: 1}, End: calendar.Date{Year: 2027, Month: 2, Day: 28}}, "UADMIN")
			if err != nil {
				t.Fatal(err)
			}
			b, err := store.CreateCycle(ctx, team, okrs.Cycle{Name: "B", Start: calendar.Date{Year: 2027, Month: 3, Day: 1}, End: calendar.Date{Year: 2027, Month: 4, Day: 30}}, "UADMIN")
			if err != nil {
				t.Fatal(err)
			}
			// krs[who][what] is the key result who owns in objective what.
			krs := map[string]map[string]int64{}
			for _, ob := range []struct {
				what       string
				cycle      int64
				visibility okrs.Visibility
			}{{"A", a.ID, okrs.VisibleWorkspace}, {"B", b.ID, okrs.VisibleWorkspace}, {"A team-only", a.ID, okrs.VisibleTeam}} {
				o, err := store.CreateObjective(ctx, team, okrs.Objective{CycleID: ob.cycle, Title: "Objective " + ob.what, Owner: ids["east"],
					Team: growth.ID, Visibility: ob.visibility, KeyResults: []okrs.KeyResult{
						{Title: "East's " + ob.what, Owner: ids["east"], Kind: okrs.Milestone},
						{Title: "West's " + ob.what, Owner: ids["west"], Kind: okrs.Milestone},
					}}, ids["east"])
				if err != nil {
					t.Fatalf("objective %s: %v", ob.what, err)
				}
				for i, who := range []string{"east", "west"} {
					if krs[who] == nil {
						krs[who] = map[string]int64{}
					}
					krs[who][ob.what] = o.KeyResults[i].ID
				}
			}

			// listed is the key results the question shows who, by their
			// inputs' block ids.
			listed := func(who string) []int64 {
				t.Helper()
				req := &bot.Request{TeamID: team, UserID: ids[who], Slack: api}
				qb, err := kind.Blocks(ctx, handlers.QuestionRequest{TeamID: team, UserID: ids[who], Request: req, Prefix: "answer_3_", MaxBlocks: 90, MaxState: 2900})
				if err != nil {
					t.Fatalf("Blocks(%s): %v", who, err)
				}
				var out []int64
				for _, blk := range qb.Blocks {
					id := strings.TrimPrefix(blockID(blk), "answer_3_")
					for _, what := range []string{"A", "B", "A team-only"} {
						for _, owner := range []string{"east", "west"} {
							if kr := krs[owner][what]; id == okrhandlers.UpdateValueBlockID(kr) {
								out = append(out, kr)
							}
						}
					}
				}
				slices.Sort(out)
				return out
			}
			want := func(who string, whats ...string) []int64 {
				var out []int64
				for _, w := range whats {
					out = append(out, krs[who][w])
				}
				slices.Sort(out)
				return out
			}
			check := func(when string, cases map[string][]int64) {
				t.Helper()
				for who, w := range cases {
					if got := listed(who); !slices.Equal(got, w) {
						t.Errorf("%s: the question lists %s's key results %v, want %v", when, who, got, w)
					}
				}
			}
			check("in #growth", map[string][]int64{
				"east": want("east", "A", "B", "A team-only"),
				"west": want("west", "A", "A team-only"),
			})
			// West leaves #growth: the team-only objective's key result
			// goes from their question (once the member list Trellis read
			// is older than a minute), not from east's.
			if _, err := env.Slack.Control.LeaveChannel(ctx, growth.ID, ids["west"]); err != nil {
				t.Fatal(err)
			}
			env.Clock.Advance(2 * time.Minute)
			check("after west left #growth", map[string][]int64{
				"east": want("east", "A", "B", "A team-only"),
				"west": want("west", "A"),
			})

			// East marks a key result off track in the question: the
			// offer of help is no part of the answer's transaction but its
			// after step, and reaches east alone, in their DM.
			req := &bot.Request{TeamID: team, UserID: ids["east"], Slack: api}
			qr := handlers.QuestionRequest{TeamID: team, UserID: ids["east"], Request: req, Prefix: "answer_3_", MaxBlocks: 90, MaxState: 2900}
			qb, err := kind.Blocks(ctx, qr)
			if err != nil {
				t.Fatal(err)
			}
			values := submit(t, asModal(qb))
			values["answer_3_"+okrhandlers.UpdateConfidenceBlockID(krs["east"]["A"])] = map[string]slack.BlockAction{okrhandlers.ActionUpdateConfidence: {
				Type: "radio_buttons", SelectedOption: slack.OptionBlockObject{Value: string(okrs.OffTrack)}}}
			pending, errs, err := kind.Check(ctx, qr, qb.State, values)
			if err != nil || len(errs) > 0 {
				t.Fatalf("Check(off track) = %v, %v", errs, err)
			}
			var after func(context.Context) error
			if err := db.Tx(ctx, func(ctx context.Context) error {
				_, after, err = pending.Commit(ctx)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if err := env.Slack.Control.ClearCalls(ctx); err != nil {
				t.Fatal(err)
			}
			if after == nil {
				t.Fatal("Commit(off track) gave no after step")
			}
			if err := after(ctx); err != nil {
				t.Fatalf("after(off track) = %v", err)
			}
			calls, err := env.Slack.Control.Calls(ctx, "chat.postMessage")
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != 1 || !calls[0].OK {
				t.Errorf("after marking a key result off track: %+v, want one offer sent to east", calls)
			}
		})
	}
}
