package okrs

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
)

const team = slacksim.DefaultTeamID

// harness is replicas of Trellis's delivery engine with the OKR service
// on it, sharing one database, one Redis and one Slack emulator, all on
// one frozen simulated clock.
type harness struct {
	t       testing.TB
	ctx     context.Context
	clk     *clock.Sim
	ctl     *slacksim.Control
	dbs     []*models.DB
	engines []*engine.Engine
	svcs    []*Service
	store   *okrs.Store
	people  *models.People
}

// forDialects runs fn as a parallel subtest on each database the tests
// use: SQLite always, Postgres when TEST_DATABASE_URL is set.
func forDialects(t *testing.T, fn func(t *testing.T, dialect string)) {
	t.Helper()
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

func newHarness(t testing.TB, dialect string, replicas int, start time.Time) *harness {
	t.Helper()
	log := testlog.Logger(t)
	env := testenv.New(t, testenv.Options{Dialect: dialect, Replicas: replicas, Start: start, Logger: log,
		Slack:     slacksim.Config{RetryDelays: []time.Duration{}, MessageCapPerMinute: 1_000_000},
		Unlimited: []string{"conversations.history", "conversations.open", "users.info", "conversations.members"}})
	h := &harness{t: t, ctx: context.Background(), clk: env.Clock, ctl: env.Slack.Control, dbs: env.DBs}
	h.store = okrs.NewStore(h.dbs[0])
	h.people = models.NewPeople(h.dbs[0])
	fast := bot.Rate{Limit: 1_000_000, Per: time.Minute, Burst: 1_000_000}
	tcfg := bot.TransportConfig{Store: env.Redis, Logger: log, TeamID: team, Backoff: 10 * time.Millisecond,
		Rates: map[string]bot.Rate{"chat.postMessage": fast, "conversations.history": fast, "conversations.open": fast, "users.info": fast,
			"conversations.members": fast}}
	for i, db := range h.dbs {
		api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(env.Slack.Server.APIURL()), slack.OptionHTTPClient(bot.NewTransport(tcfg)))
		eng, err := engine.New(engine.Config{DB: db, Clock: h.clk, Logger: log.With("engine", i),
			Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }})
		if err != nil {
			t.Fatalf("engine: %v", err)
		}
		svc, err := New(Config{DB: db, Engine: eng, Clock: h.clk, Logger: log.With("replica", i),
			Members: SlackMembers(func(context.Context, string) (MemberLister, error) { return api, nil })})
		if err != nil {
			t.Fatalf("okrs: %v", err)
		}
		if err := eng.Register(Kind, svc.Composer()); err != nil {
			t.Fatalf("register: %v", err)
		}
		// As serve does: the stepper plans review DMs when a cycle
		// ends, which the engine takes only once their one-offs are
		// declared (without them every run fails and runs again).
		if err := svc.RegisterReviews(); err != nil {
			t.Fatalf("reviews: %v", err)
		}
		if err := eng.AddStepper(svc.Stepper()); err != nil {
			t.Fatalf("stepper: %v", err)
		}
		h.engines, h.svcs = append(h.engines, eng), append(h.svcs, svc)
	}
	return h
}

// person adds a person to the emulator and the database, with working
// hours like "mon-fri 22:00-06:00" (the workspace's when "").
func (h *harness) person(name, tz, hours string) string {
	h.t.Helper()
	p, err := h.ctl.AddPerson(h.ctx, slacksim.NewPerson{Name: name, RealName: name, TZ: tz})
	if err != nil {
		h.t.Fatalf("add person %s: %v", name, err)
	}
	if _, err := h.people.SyncProfile(h.ctx, models.Person{WorkspaceID: team, UserID: p.ID, Name: name, SlackTZ: tz}); err != nil {
		h.t.Fatalf("store person %s: %v", name, err)
	}
	if hours != "" {
		wh, err := calendar.ParseWorkingHours(hours)
		if err != nil {
			h.t.Fatalf("hours %q: %v", hours, err)
		}
		if err := h.people.SetHours(h.ctx, team, p.ID, &wh); err != nil {
			h.t.Fatalf("hours of %s: %v", name, err)
		}
	}
	return p.ID
}

// cycle creates a workspace cycle and syncs its owners, as the handler
// creating it will.
func (h *harness) cycle(name string, start, end calendar.Date) okrs.Cycle {
	h.t.Helper()
	c, err := h.store.CreateCycle(h.ctx, team, okrs.Cycle{Name: name, Start: start, End: end}, "admin")
	if err != nil {
		h.t.Fatalf("create cycle %s: %v", name, err)
	}
	return c
}

// objective creates an objective of owner with one key result per title,
// owned by owner, and syncs the owners' nudges as the handler will.
func (h *harness) objective(cycle int64, owner string, titles ...string) okrs.Objective {
	h.t.Helper()
	return h.teamObjective(cycle, "", owner, titles...)
}

// teamObjective is objective, of a team (a channel id; "" for none).
func (h *harness) teamObjective(cycle int64, channel, owner string, titles ...string) okrs.Objective {
	h.t.Helper()
	o := okrs.Objective{CycleID: cycle, Title: "Objective of " + owner, Owner: owner, Team: channel, Visibility: okrs.VisibleWorkspace}
	for _, title := range titles {
		o.KeyResults = append(o.KeyResults, okrs.KeyResult{Title: title, Owner: owner, Kind: okrs.IncreaseTo, Start: 0, Target: 10})
	}
	out, err := h.store.CreateObjective(h.ctx, team, o, owner)
	if err != nil {
		h.t.Fatalf("create objective: %v", err)
	}
	if err := h.svcs[0].ObjectiveChanged(h.ctx, team, okrs.Objective{}, out); err != nil {
		h.t.Fatalf("objective changed: %v", err)
	}
	return out
}

// update posts an update of key result kr by person now, and tells the
// service as the handler will; it returns the updates offered help.
func (h *harness) update(person string, kr int64, value float64, conf okrs.Confidence) []okrs.Update {
	h.t.Helper()
	ups, err := h.store.AddUpdates(h.ctx, team, person, false, []okrs.Update{{KeyResultID: kr, Value: value, Confidence: conf}}, okrs.SourceForm, h.clk.Now())
	if err != nil {
		h.t.Fatalf("update %d: %v", kr, err)
	}
	offer, err := h.svcs[len(h.svcs)-1].Updated(h.ctx, team, person, ups)
	if err != nil {
		h.t.Fatalf("updated: %v", err)
	}
	return offer
}

// runAll moves the clock to `to`, ticking every replica concurrently at
// each instant on the way at which the engine or the OKRs' stepper has
// work.
func (h *harness) runAll(to time.Time) {
	h.t.Helper()
	next := func() (time.Time, bool, error) {
		at, ok, err := h.engines[0].Schedules().NextDue(h.ctx)
		if err != nil {
			return time.Time{}, false, err
		}
		for _, s := range h.svcs {
			if b, bok, _ := s.NextDue(h.ctx); bok && (!ok || b.Before(at)) {
				at, ok = b, true
			}
		}
		return at, ok, nil
	}
	tickThrough(h.t, h.ctx, h.clk.Set, h.engines, next, to)
}

// tickThrough moves the clock (set) to `to`, ticking every engine at once
// at each whole minute at which next says work is due, then sets it to
// `to`: the one way this package's tests run replicas through time.
func tickThrough(t testing.TB, ctx context.Context, set func(time.Time), engines []*engine.Engine, next func() (time.Time, bool, error), to time.Time) {
	t.Helper()
	var last time.Time
	for range 100_000 {
		at, ok, err := next()
		if err != nil {
			t.Fatalf("next due: %v", err)
		}
		if !ok || at.After(to) {
			break
		}
		tick := at.Truncate(time.Minute)
		if tick.Before(at) {
			tick = tick.Add(time.Minute)
		}
		if !tick.After(last) {
			tick = last.Add(time.Minute)
		}
		if tick.After(to) {
			break
		}
		set(tick)
		var wg sync.WaitGroup
		for _, e := range engines {
			wg.Go(func() {
				if _, err := e.Tick(ctx, tick); err != nil {
					t.Errorf("tick at %s: %v", tick, err)
				}
			})
		}
		wg.Wait()
		last = tick
	}
	set(to)
}

// dm is one bot message in a person's DM.
type dm struct {
	at   time.Time
	text string
}

// nudges are the nudges among the bot's messages in a person's DM,
// oldest first (dms), leaving out the review DM a cycle's end brings.
func (h *harness) nudges(user string) []dm {
	h.t.Helper()
	var out []dm
	for _, m := range h.dms(user) {
		if strings.HasPrefix(m.text, "OKR update:") {
			out = append(out, m)
		}
	}
	return out
}

// dms returns the bot's messages in a person's DM, oldest first.
func (h *harness) dms(user string) []dm {
	h.t.Helper()
	convs, err := h.ctl.Conversations(h.ctx, user)
	if err != nil {
		h.t.Fatalf("conversations of %s: %v", user, err)
	}
	var out []dm
	for _, c := range convs {
		if c.Kind != "im" {
			continue
		}
		msgs, err := h.ctl.Messages(h.ctx, c.ID, user)
		if err != nil {
			h.t.Fatalf("messages of %s: %v", c.ID, err)
		}
		for _, m := range msgs {
			if m.BotID == "" || m.Ephemeral {
				continue
			}
			var bs any
			_ = json.Unmarshal(m.Blocks, &bs)
			sec, _, _ := strings.Cut(m.TS, ".")
			s, _ := strconv.ParseInt(sec, 10, 64)
			out = append(out, dm{at: time.Unix(s, 0).UTC(), text: m.Text + "\n" + blockTexts(bs)})
		}
	}
	return out
}

// blockTexts gathers every "text" string in a block structure.
func blockTexts(v any) string {
	var sb strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "text" {
					sb.WriteString(s + "\n")
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return sb.String()
}
