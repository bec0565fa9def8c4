package app

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

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

// The sandbox's cycle, whatever the day, is two calendar months from the
// first of a month, holds today with at least two weeks before it (the
// demo's updates and a week for the nudges to count from) and two weeks
// after it, and is named for its months.
func TestSandboxCycle(t *testing.T) {
	for d := calendar.DateOf(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)); d.Before(calendar.Date{Year: 2028, Month: 3, Day: 1}); d = d.AddDays(1) {
		c := sandboxCycle(d)
		if err := c.Validate(); err != nil {
			t.Fatalf("sandboxCycle(%s) = %+v: %v", d, c, err)
		}
		if c.Start.Day != 1 || c.End != okrs.EndAfterMonths(c.Start, 2) {
			t.Errorf("sandboxCycle(%s) = %s to %s, want two months from a first", d, c.Start, c.End)
		}
		if c.State(d) != okrs.CycleActive || d.Before(c.Start.AddDays(14)) || c.End.Before(d.AddDays(14)) {
			t.Errorf("sandboxCycle(%s) = %s to %s, want today with two weeks either side", d, c.Start, c.End)
		}
	}
	for _, tc := range []struct {
		day  calendar.Date
		want string
	}{
		{calendar.Date{Year: 2027, Month: 1, Day: 20}, "2027 Jan–Feb"},
		{calendar.Date{Year: 2027, Month: 2, Day: 3}, "2027 Jan–Feb"},
		{calendar.Date{Year: 2026, Month: 12, Day: 24}, "2026 Dec – 2027 Jan"},
		{calendar.Date{Year: 2027, Month: 1, Day: 5}, "2026 Dec – 2027 Jan"},
	} {
		if got := sandboxCycle(tc.day).Name; got != tc.want {
			t.Errorf("sandboxCycle(%s).Name = %q, want %q", tc.day, got, tc.want)
		}
	}
}

// okrSeedEnv is a database with the engine and the OKR service on it.
type okrSeedEnv struct {
	db  *models.DB
	svc *jobokrs.Service
	eng *engine.Engine
	env *testenv.Env
}

func newOKRSeedEnv(t *testing.T, dialect string, now time.Time) okrSeedEnv {
	t.Helper()
	log := testlog.Logger(t)
	env := testenv.New(t, testenv.Options{Dialect: dialect, Start: now, Logger: log})
	api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(env.Slack.Server.APIURL()))
	eng, err := engine.New(engine.Config{DB: env.DBs[0], Clock: env.Clock, Logger: log,
		Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := jobokrs.New(jobokrs.Config{DB: env.DBs[0], Engine: eng, Clock: env.Clock, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return okrSeedEnv{db: env.DBs[0], svc: svc, eng: eng, env: env}
}

// snapshot is every OKR row of the workspace that seeding writes, with
// the schedules it puts.
func (e okrSeedEnv) snapshot(t *testing.T, ctx context.Context) string {
	t.Helper()
	store := e.svc.Store()
	cycles, err := store.Cycles(ctx, testenv.Team)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := store.Objectives(ctx, testenv.Team, okrs.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	hist := map[int64][]okrs.Update{}
	for _, o := range objs {
		for _, k := range o.KeyResults {
			if hist[k.ID], err = store.History(ctx, testenv.Team, k.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	var scheds []string
	for _, key := range []string{jobokrs.NudgeKey(slacksim.DemoAda), jobokrs.NudgeKey(slacksim.DemoRavi), jobokrs.NudgeKey(slacksim.DemoMei),
		jobokrs.NudgeKey(slacksim.DemoCarlos), jobokrs.DigestKey(slacksim.DemoTeam)} {
		if sc, err := e.eng.Schedules().Get(ctx, testenv.Team, key); err == nil {
			scheds = append(scheds, sc.Key+" "+sc.Cadence+" "+sc.ChannelTZ)
		}
	}
	raw, err := json.Marshal(struct {
		Cycles     []okrs.Cycle
		Objectives []okrs.Objective
		History    map[int64][]okrs.Update
		Schedules  []string
	}{cycles, objs, hist, scheds})
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// Seeding twice stores once; what it stores is valid and shows
// something everywhere: a cycle running today, Ada's team objective with
// an increase, a decrease and a milestone of three owners, Carlos's
// aligned to it, updates inside the cycle with one correction, progress
// between none and all, and every owner's nudges and #team's digest
// scheduled.
func TestSeedSandboxOKRs(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		for _, now := range []time.Time{
			time.Date(2027, 2, 3, 9, 0, 0, 0, time.UTC),   // early in a month
			time.Date(2027, 1, 20, 16, 0, 0, 0, time.UTC), // late in one
		} {
			t.Run(dialect+"/"+now.Format("Jan 2"), func(t *testing.T) {
				ctx := context.Background()
				e := newOKRSeedEnv(t, dialect, now)
				if err := seedSandboxOKRs(ctx, e.db, e.svc, testenv.Team, now); err != nil {
					t.Fatal(err)
				}
				first := e.snapshot(t, ctx)
				if err := seedSandboxOKRs(ctx, e.db, e.svc, testenv.Team, now.Add(48*time.Hour)); err != nil {
					t.Fatal(err)
				}
				if again := e.snapshot(t, ctx); again != first {
					t.Errorf("seeding again changed the store:\nfirst %s\nagain %s", first, again)
				}

				store := e.svc.Store()
				today := calendar.DateOf(now.UTC())
				cycle, ok, err := store.CycleOn(ctx, testenv.Team, slacksim.DemoTeam, today)
				if err != nil || !ok || cycle.Name != sandboxCycle(today).Name {
					t.Fatalf("#team's cycle today: %+v, %v, %v", cycle, ok, err)
				}
				objs, err := store.Objectives(ctx, testenv.Team, okrs.Filter{CycleID: cycle.ID})
				if err != nil || len(objs) != 2 {
					t.Fatalf("objectives: %d, %v; want 2", len(objs), err)
				}
				ada, carlos := objs[0], objs[1]
				if ada.Owner != slacksim.DemoAda || ada.Team != slacksim.DemoTeam || len(ada.KeyResults) != 3 {
					t.Errorf("Ada's objective: %+v", ada)
				}
				var kinds []okrs.Kind
				var owners []string
				for _, k := range ada.KeyResults {
					kinds, owners = append(kinds, k.Kind), append(owners, k.Owner)
				}
				if want := []okrs.Kind{okrs.IncreaseTo, okrs.DecreaseTo, okrs.Milestone}; !slices.Equal(kinds, want) {
					t.Errorf("Ada's key results are %v, want %v", kinds, want)
				}
				if want := []string{slacksim.DemoAda, slacksim.DemoRavi, slacksim.DemoMei}; !slices.Equal(owners, want) {
					t.Errorf("Ada's key results are owned by %v, want %v", owners, want)
				}
				if carlos.Owner != slacksim.DemoCarlos || carlos.Team != "" || len(carlos.Parents) != 1 ||
					carlos.Parents[0] != (okrs.Ref{Kind: okrs.RefObjective, ID: ada.ID}) {
					t.Errorf("Carlos's objective %+v is not the workspace's, aligned to Ada's (%d)", carlos, ada.ID)
				}
				// The alignment holds by the domain's own rules.
				cycles, _ := store.Cycles(ctx, testenv.Team)
				if err := okrs.CheckAlignment(cycles, []okrs.Objective{ada}, carlos); err != nil {
					t.Errorf("Carlos's alignment: %v", err)
				}

				corrections := 0
				var readings []okrs.Reading
				for _, o := range objs {
					for _, k := range o.KeyResults {
						hist, err := store.History(ctx, testenv.Team, k.ID)
						if err != nil {
							t.Fatal(err)
						}
						for _, u := range hist {
							d := calendar.DateOf(u.At.UTC())
							if d.Before(cycle.Start) || !u.At.Before(now) || u.Author != k.Owner {
								t.Errorf("update %+v of %q: outside the cycle, not in the past, or not its owner's", u, k.Title)
							}
							if u.Corrects != 0 {
								corrections++
							}
						}
						cur, err := okrs.Current(hist)
						if err != nil {
							t.Fatal(err)
						}
						if cur.Updates == 0 {
							t.Errorf("%q has no update", k.Title)
						}
						if o.ID == ada.ID {
							readings = append(readings, okrs.Reading{KeyResult: k, Value: cur.Value})
						}
					}
				}
				if corrections != 1 {
					t.Errorf("%d corrections, want 1", corrections)
				}
				if p := okrs.ObjectiveProgress(readings); p <= 0 || p >= 1 {
					t.Errorf("Ada's objective is at %.2f, want some progress and not done", p)
				}

				for _, key := range []string{jobokrs.NudgeKey(slacksim.DemoAda), jobokrs.NudgeKey(slacksim.DemoRavi),
					jobokrs.NudgeKey(slacksim.DemoMei), jobokrs.NudgeKey(slacksim.DemoCarlos), jobokrs.DigestKey(slacksim.DemoTeam)} {
					if _, err := e.eng.Schedules().Get(ctx, testenv.Team, key); err != nil {
						t.Errorf("schedule %s: %v", key, err)
					}
				}
			})
		}
	}
}

// A workspace that already has an objective, or a cycle in the way of
// the sandbox's, is left as it is.
func TestSeedSandboxOKRsKeepsWhatIsThere(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 2, 3, 9, 0, 0, 0, time.UTC)
	t.Run("an objective", func(t *testing.T) {
		e := newOKRSeedEnv(t, testenv.Dialect(), now)
		store := e.svc.Store()
		c, err := store.CreateCycle(ctx, testenv.Team, okrs.Cycle{Name: "Mine", Start: calendar.Date{Year: 2027, Month: 2, Day: 1}, End: calendar.Date{Year: 2027, Month: 4, Day: 30}}, "U1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.CreateObjective(ctx, testenv.Team, okrs.Objective{CycleID: c.ID, Title: "Mine", Owner: "U1",
			KeyResults: []okrs.KeyResult{{Title: "One", Owner: "U1", Kind: okrs.Milestone}}}, "U1"); err != nil {
			t.Fatal(err)
		}
		before := e.snapshot(t, ctx)
		if err := seedSandboxOKRs(ctx, e.db, e.svc, testenv.Team, now); err != nil {
			t.Fatal(err)
		}
		if after := e.snapshot(t, ctx); after != before {
			t.Errorf("seeding changed a workspace with an objective:\nbefore %s\nafter  %s", before, after)
		}
	})
	t.Run("a cycle in the way", func(t *testing.T) {
		e := newOKRSeedEnv(t, testenv.Dialect(), now)
		// Ends the day before today, overlapping the sandbox's cycle.
		if _, err := e.svc.Store().CreateCycle(ctx, testenv.Team, okrs.Cycle{Name: "Past", Start: calendar.Date{Year: 2026, Month: 11, Day: 3},
			End: calendar.Date{Year: 2027, Month: 2, Day: 2}}, "U1"); err != nil {
			t.Fatal(err)
		}
		before := e.snapshot(t, ctx)
		if err := seedSandboxOKRs(ctx, e.db, e.svc, testenv.Team, now); err != nil {
			t.Fatal(err)
		}
		if after := e.snapshot(t, ctx); after != before {
			t.Errorf("seeding changed a workspace whose cycle is in the way:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// What docs/sandbox.md tells people to try happens: moved to the next
// Tuesday, the demo's owners whose key results have gone a week without
// an update get a nudge at 10:00 their time (Mei's, two weeks old,
// certainly), and on Monday at 09:30 #team gets its digest.
func TestSeededSandboxNudgesAndDigests(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 2, 3, 9, 0, 0, 0, time.UTC) // a Wednesday
	e := newOKRSeedEnv(t, testenv.Dialect(), now)
	e.env.Slack.Server.SeedDemo()
	if err := e.eng.Register(jobokrs.Kind, e.svc.Composer()); err != nil {
		t.Fatal(err)
	}
	if err := e.eng.Register(jobokrs.DigestKind, jobokrs.DigestComposer(e.svc.Store(), models.NewPeople(e.db))); err != nil {
		t.Fatal(err)
	}
	if err := seedSandboxOKRs(ctx, e.db, e.svc, testenv.Team, now); err != nil {
		t.Fatal(err)
	}
	ctl := e.env.Slack.Control
	mondayDigest := time.Date(2027, 2, 8, 9, 30, 0, 0, time.UTC) // 09:30 in London
	if _, err := e.eng.RunUntil(ctx, mondayDigest.Add(time.Minute), e.env.Clock.Set); err != nil {
		t.Fatal(err)
	}
	msgs, err := ctl.Messages(ctx, slacksim.DemoTeam, slacksim.DemoAda)
	if err != nil {
		t.Fatal(err)
	}
	var posts []slacksim.Message
	for _, m := range msgs {
		if m.BotID != "" {
			posts = append(posts, m)
		}
	}
	if len(posts) != 1 || !strings.Contains(posts[0].Text+string(posts[0].Blocks), "Make joining the team a joy") ||
		strings.Contains(posts[0].Text, "no key result moved") {
		t.Errorf("#team by Monday 09:31 London: %d posts %+v, want the digest with Ada's objective and what moved", len(posts), posts)
	}
	meiTuesday := time.Date(2027, 2, 9, 1, 0, 0, 0, time.UTC) // 10:00 in Tokyo
	if _, err := e.eng.RunUntil(ctx, meiTuesday.Add(time.Minute), e.env.Clock.Set); err != nil {
		t.Fatal(err)
	}
	dms, err := ctl.Messages(ctx, slacksim.DemoMei, slacksim.DemoMei)
	if err != nil {
		t.Fatal(err)
	}
	if len(dms) != 1 || !strings.Contains(dms[0].Text+string(dms[0].Blocks), "Onboarding handbook published") {
		t.Errorf("Mei's DMs by Tuesday 10:01 Tokyo: %+v, want one nudge about her key result", dms)
	}
}
