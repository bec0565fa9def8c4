package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/jobs/engine"
	jobpeers "github.com/trellis-bot/trellis/jobs/peers"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/peers"
)

// peerSeedEnv is a database, the emulator with the demo workspace, and
// the engine running the peers service as the sandbox wires it.
type peerSeedEnv struct {
	db  *models.DB
	svc *jobpeers.Service
	eng *engine.Engine
	env *testenv.Env
	api *slack.Client
}

func newPeerSeedEnv(t *testing.T, dialect string, now time.Time) peerSeedEnv {
	t.Helper()
	log := testlog.Logger(t)
	env := testenv.New(t, testenv.Options{Dialect: dialect, Start: now, Logger: log})
	env.Slack.Server.SeedDemo()
	api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(env.Slack.Server.APIURL()))
	eng, err := engine.New(engine.Config{DB: env.DBs[0], Clock: env.Clock, Logger: log,
		Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := jobpeers.New(jobpeers.Config{DB: env.DBs[0], Engine: eng, Clock: env.Clock, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := jobpeers.AcceptOneOffs(eng); err != nil {
		t.Fatal(err)
	}
	if err := eng.Register(jobpeers.Kind, svc.Composer()); err != nil {
		t.Fatal(err)
	}
	if err := eng.AddStepper(svc.Stepper()); err != nil {
		t.Fatal(err)
	}
	return peerSeedEnv{db: env.DBs[0], svc: svc, eng: eng, env: env, api: api}
}

func (e peerSeedEnv) seed(t *testing.T, now time.Time) {
	t.Helper()
	if err := seedSandboxPeers(context.Background(), e.db, e.svc, e.api, testenv.Team, e.env.Slack.BotUserID, now); err != nil {
		t.Fatal(err)
	}
}

// snapshot is every network with its people, and Jordan's hours, as text.
func (e peerSeedEnv) snapshot(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	store := e.svc.Store()
	nets, err := store.Networks(ctx, testenv.Team)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, n := range nets {
		n.CreatedAt, n.UpdatedAt = time.Time{}, time.Time{}
		fmt.Fprintf(&b, "%+v\n", n)
		parts, err := store.Participants(ctx, testenv.Team, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			p.JoinedAt = time.Time{}
			fmt.Fprintf(&b, "  %+v\n", p)
		}
	}
	jordan, err := models.NewPeople(e.db).Get(ctx, testenv.Team, slacksim.DemoJordan)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "Jordan's hours %v\n", jordan.Hours)
	return b.String()
}

// Seeding stores the intros of #team, the circle of #managers and the
// learning pairs, each once however often the sandbox starts, with days
// that open a round at once (a session on the Monday after a weekend),
// Noor paused through the first round, Ravi's and Mei's skills and
// Jordan's early hours.
func TestSeedSandboxPeers(t *testing.T) {
	london, _ := time.LoadLocation(demoPeersZone)
	for _, dialect := range modelstest.Dialects() {
		for _, tc := range []struct {
			now              time.Time
			rounds, sessions calendar.Date
		}{
			{time.Date(2027, 2, 3, 9, 0, 0, 0, time.UTC), calendar.Date{Year: 2027, Month: 2, Day: 3}, calendar.Date{Year: 2027, Month: 2, Day: 3}},
			// Saturday in London (Friday evening in Los Angeles).
			{time.Date(2027, 7, 10, 2, 0, 0, 0, time.UTC), calendar.Date{Year: 2027, Month: 7, Day: 9}, calendar.Date{Year: 2027, Month: 7, Day: 12}},
			{time.Date(2027, 7, 11, 22, 0, 0, 0, time.UTC), calendar.Date{Year: 2027, Month: 7, Day: 9}, calendar.Date{Year: 2027, Month: 7, Day: 12}},
		} {
			t.Run(dialect+"/"+tc.now.In(london).Format("Mon Jan 2"), func(t *testing.T) {
				ctx := context.Background()
				e := newPeerSeedEnv(t, dialect, tc.now)
				e.seed(t, tc.now)
				first := e.snapshot(t)
				e.seed(t, tc.now.Add(48*time.Hour))
				if again := e.snapshot(t); again != first {
					t.Errorf("seeding again changed the store:\nfirst %s\nagain %s", first, again)
				}

				store := e.svc.Store()
				nets, err := store.Networks(ctx, testenv.Team)
				if err != nil || len(nets) != 3 {
					t.Fatalf("networks: %d, %v; want 3", len(nets), err)
				}
				byKind := map[peers.NetworkKind]peers.Network{}
				for _, n := range nets {
					if n.Owner != slacksim.DemoAda || n.ChannelTZ != demoPeersZone || n.Membership != peers.MembershipChannel ||
						n.Anchor.Weekday() != n.Weekday {
						t.Errorf("network %+v", n)
					}
					byKind[n.Kind] = n
				}
				in, circle, learning := byKind[peers.KindIntros], byKind[peers.KindCircles], byKind[peers.KindLearning]
				if in.Name != demoIntros || in.Channel != slacksim.DemoTeam || in.Cadence != peers.CadenceWeekly || in.GroupSize != 2 || in.Anchor != tc.rounds {
					t.Errorf("intros: %+v, want weekly pairs in #team from %s", in, tc.rounds)
				}
				if circle.Name != demoCircle || circle.Channel != slacksim.DemoManagers || circle.Cadence != peers.CadenceEvery2Weeks ||
					circle.MinSize != 3 || circle.Anchor != tc.sessions {
					t.Errorf("circle: %+v, want circles of 3 or more in #managers every two weeks from %s", circle, tc.sessions)
				}
				if learning.Name != demoLearning || learning.Channel != slacksim.DemoTeam || learning.Anchor != tc.rounds {
					t.Errorf("learning: %+v", learning)
				}

				people := func(n peers.Network) map[string]peers.Participant {
					parts, err := store.Participants(ctx, testenv.Team, n.ID)
					if err != nil {
						t.Fatal(err)
					}
					out := map[string]peers.Participant{}
					for _, p := range parts {
						out[p.User] = p
					}
					return out
				}
				team := people(in)
				if len(team) != 6 {
					t.Errorf("intros people: %v, want the six of #team", team)
				}
				for u, p := range team {
					paused := p.PausedOn(peers.RoundLast(in.Anchor, 7, 0))
					if paused != (u == slacksim.DemoNoor) {
						t.Errorf("%s paused through the first round: %v; want only Noor", u, paused)
					}
				}
				if managers := people(circle); len(managers) != 3 || managers[slacksim.DemoAda].User == "" ||
					managers[slacksim.DemoCarlos].User == "" || managers[slacksim.DemoJordan].User == "" {
					t.Errorf("circle people: %v, want Ada, Carlos and Jordan", managers)
				}
				learners := people(learning)
				for u, p := range learners {
					if want := demoSkills[u]; want != "" {
						sk, _ := peers.ParseSkills(want)
						if p.Skills != sk.String() {
							t.Errorf("%s's skills %q, want %q", u, p.Skills, sk.String())
						}
					} else if p.Skills != "" {
						t.Errorf("%s has skills %q", u, p.Skills)
					}
				}
				jordan, err := models.NewPeople(e.db).Get(ctx, testenv.Team, slacksim.DemoJordan)
				if err != nil || jordan.Hours == nil || *jordan.Hours != demoJordanHours {
					t.Errorf("Jordan's hours: %+v, %v", jordan.Hours, err)
				}
			})
		}
	}
}

// A workspace that has a network of its own is left as it is.
func TestSeedSandboxPeersKeepsWhatIsThere(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 2, 3, 9, 0, 0, 0, time.UTC)
	e := newPeerSeedEnv(t, testenv.Dialect(), now)
	n := peers.DefaultNetwork(peers.KindIntros)
	n.Name, n.Channel, n.ChannelTZ, n.Owner, n.Anchor = "Mine", slacksim.DemoTeam, "Europe/Paris", slacksim.DemoRavi, calendar.Date{Year: 2027, Month: 2, Day: 1}
	if _, err := e.svc.Store().CreateNetwork(ctx, testenv.Team, n); err != nil {
		t.Fatal(err)
	}
	e.seed(t, now)
	nets, err := e.svc.Store().Networks(ctx, testenv.Team)
	if err != nil || len(nets) != 1 || nets[0].Name != "Mine" {
		t.Errorf("networks after seeding: %+v, %v; want only Mine", nets, err)
	}
	jordan, err := models.NewPeople(e.db).Get(ctx, testenv.Team, slacksim.DemoJordan)
	if err == nil && jordan.Hours != nil {
		t.Errorf("Jordan's hours were set: %+v", jordan.Hours)
	}
}

// What the sandbox page shows within its first day: the engine, run on
// the sandbox clock, opens the seeded networks and sends each group its
// group DM inside every member's working hours — Ada's intro, the
// circle's welcome and first session with its facilitator, and the
// learning pair's intro — and Noor, paused, is in no group. In winter
// and in summer, on a weekday morning and on a weekday evening.
func TestSeededSandboxPeersMeet(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2027, 2, 3, 9, 0, 0, 0, time.UTC),   // Wednesday 09:00 in London
		time.Date(2027, 7, 7, 17, 0, 0, 0, time.UTC),  // Wednesday 18:00 in London
		time.Date(2027, 3, 19, 15, 0, 0, 0, time.UTC), // Friday, Los Angeles on summer time, London not yet
	} {
		t.Run(now.Format("Jan 2 15h"), func(t *testing.T) {
			ctx := context.Background()
			e := newPeerSeedEnv(t, testenv.Dialect(), now)
			e.seed(t, now)
			// The day's work, and the next working day's (a Friday's
			// evening waits for Monday).
			until := now.Add(26 * time.Hour)
			if now.Weekday() == time.Friday {
				until = now.Add(74 * time.Hour)
			}
			if _, err := e.eng.RunUntil(ctx, until, e.env.Clock.Set); err != nil {
				t.Fatal(err)
			}
			ctl := e.env.Slack.Control
			hours := func(user string) (*time.Location, calendar.WorkingHours) {
				p, err := models.NewPeople(e.db).Get(ctx, testenv.Team, user)
				if err != nil {
					t.Fatal(err)
				}
				h := calendar.DefaultWorkingHours
				if p.Hours != nil {
					h = *p.Hours
				}
				return p.Location(), h
			}
			texts := map[string][]string{} // by the group's members
			for _, u := range []string{slacksim.DemoAda, slacksim.DemoRavi, slacksim.DemoMei, slacksim.DemoCarlos, slacksim.DemoJordan, slacksim.DemoNoor} {
				convs, err := ctl.Conversations(ctx, u)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range convs {
					if c.Kind != "mpim" {
						continue
					}
					if u == slacksim.DemoNoor {
						t.Errorf("Noor, paused, is in a group DM with %v", c.Members)
					}
					members := slices.DeleteFunc(slices.Clone(c.Members), func(m string) bool { return m == e.env.Slack.BotUserID })
					slices.Sort(members)
					key := strings.Join(members, ",")
					if _, seen := texts[key]; seen {
						continue
					}
					texts[key] = nil
					msgs, err := ctl.Messages(ctx, c.ID, u)
					if err != nil {
						t.Fatal(err)
					}
					for _, m := range msgs {
						if m.BotID == "" {
							continue
						}
						texts[key] = append(texts[key], m.Text)
						at := tsTime(m.TS)
						for _, member := range members {
							loc, h := hours(member)
							local := at.In(loc)
							mins := local.Hour()*60 + local.Minute()
							if !h.Days.Has(local.Weekday()) || mins < int(h.Start) || mins >= int(h.End) {
								t.Errorf("%q to %v at %s for %s: outside their hours", m.Text, members, local.Format("Mon 15:04 MST"), member)
							}
						}
					}
				}
			}
			var introAda, welcome, session, learning bool
			for key, ts := range texts {
				// What was due together in one group DM came as one
				// message, a line each.
				for _, text := range strings.Split(strings.Join(ts, "\n"), "\n") {
					switch {
					case strings.HasPrefix(text, "Intro from "+demoIntros) && strings.Contains(key, slacksim.DemoAda):
						introAda = true
					case strings.HasPrefix(text, "Welcome to your circle in "+demoCircle):
						welcome = true
					case strings.HasPrefix(text, "Circle session 1 of "+demoCircle):
						session = true
					case strings.HasPrefix(text, "A new learning pair: sql"):
						learning = true
					}
				}
			}
			if !introAda || !welcome || !session || !learning {
				t.Errorf("group DMs by the next working day: %q; want Ada's intro (%v), the circle's welcome (%v) and session (%v), and the learning pair's intro (%v)",
					texts, introAda, welcome, session, learning)
			}
			// Everyone took part in the intros but Noor, paused.
			round, _, err := e.svc.Store().LatestRound(ctx, testenv.Team, networkNamed(t, e, demoIntros).ID, peers.RoundRound)
			if err != nil {
				t.Fatal(err)
			}
			left, err := e.svc.Store().Unmatched(ctx, testenv.Team, round.ID)
			if err != nil || len(left) != 1 || left[0].User != slacksim.DemoNoor || left[0].Reason != peers.Paused.String() {
				t.Errorf("left out of the intros: %+v, %v; want Noor, paused", left, err)
			}
			// The session names its facilitator, one of the circle.
			circle, _, err := e.svc.Store().LatestRound(ctx, testenv.Team, networkNamed(t, e, demoCircle).ID, peers.RoundTerm)
			if err != nil {
				t.Fatal(err)
			}
			groups, err := e.svc.Store().Groups(ctx, testenv.Team, circle.ID)
			if err != nil || len(groups) != 1 {
				t.Fatalf("circles: %d, %v; want 1", len(groups), err)
			}
			ss, err := e.svc.Store().Sessions(ctx, testenv.Team, groups[0].ID)
			if err != nil || len(ss) != 1 || !groups[0].Has(ss[0].Facilitator) || ss[0].PromptID == "" {
				t.Errorf("sessions: %+v, %v; want one with a facilitator of the circle and a prompt", ss, err)
			}
		})
	}
}

// networkNamed is the seeded network called name.
func networkNamed(t *testing.T, e peerSeedEnv, name string) peers.Network {
	t.Helper()
	nets, err := e.svc.Store().Networks(context.Background(), testenv.Team)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nets {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("no network %q among %+v", name, nets)
	return peers.Network{}
}

// tsTime is the instant a Slack ts names.
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	var s, us int64
	fmt.Sscan(sec, &s)
	fmt.Sscan(frac, &us)
	return time.Unix(s, us*1000)
}
