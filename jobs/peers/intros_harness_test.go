package peers

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
	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/peers"
)

const team = slacksim.DefaultTeamID

// harness is replicas of Trellis's engine with the peers service on it,
// sharing one database and one Slack emulator on one simulated clock.
type harness struct {
	t       testing.TB
	ctx     context.Context
	clk     *clock.Sim
	ctl     *slacksim.Control
	dbs     []*models.DB
	engines []*engine.Engine
	svcs    []*Service
	store   *peers.Store
	people  *models.People
	names   map[string]string
}

// forDialects runs fn on SQLite, and on Postgres when TEST_DATABASE_URL
// is set.
func forDialects(t *testing.T, fn func(t *testing.T, dialect string)) {
	t.Helper()
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// harnessOptions change how a harness is built.
type harnessOptions struct {
	// accept declares the one-offs on each engine (default AcceptOneOffs).
	accept func(*engine.Engine) error
	// teams is the services' TeamsFunc, given the replica's Slack client.
	teams func(api *slack.Client) TeamsFunc
	// warm is the services' WarmFunc, given the replica's Slack client.
	warm func(api *slack.Client) WarmFunc
}

func newHarness(t testing.TB, dialect string, replicas int, start time.Time, o harnessOptions) *harness {
	t.Helper()
	log := testlog.Logger(t)
	env := testenv.New(t, testenv.Options{Dialect: dialect, Replicas: replicas, Start: start, Logger: log,
		Slack:     slacksim.Config{RetryDelays: []time.Duration{}, MessageCapPerMinute: 1_000_000},
		Unlimited: []string{"conversations.history", "conversations.open", "users.info", "conversations.members", "users.profile.get"}})
	h := &harness{t: t, ctx: context.Background(), clk: env.Clock, ctl: env.Slack.Control, dbs: env.DBs, names: map[string]string{}}
	h.store = peers.NewStore(h.dbs[0])
	h.people = models.NewPeople(h.dbs[0])
	fast := bot.Rate{Limit: 1_000_000, Per: time.Minute, Burst: 1_000_000}
	tcfg := bot.TransportConfig{Store: env.Redis, Logger: log, TeamID: team, Backoff: 10 * time.Millisecond,
		Rates: map[string]bot.Rate{"chat.postMessage": fast, "conversations.history": fast, "conversations.open": fast, "users.info": fast,
			"conversations.members": fast, "users.profile.get": fast}}
	accept := o.accept
	if accept == nil {
		accept = AcceptOneOffs
	}
	for i, db := range h.dbs {
		api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(env.Slack.Server.APIURL()), slack.OptionHTTPClient(bot.NewTransport(tcfg)))
		eng, err := engine.New(engine.Config{DB: db, Clock: h.clk, Logger: log.With("engine", i),
			Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }})
		if err != nil {
			t.Fatalf("engine: %v", err)
		}
		cfg := Config{DB: db, Engine: eng, Clock: h.clk, Logger: log.With("replica", i)}
		if o.teams != nil {
			cfg.Teams = o.teams(api)
		}
		if o.warm != nil {
			cfg.Warm = o.warm(api)
		}
		svc, err := New(cfg)
		if err != nil {
			t.Fatalf("peers: %v", err)
		}
		if err := eng.Register(Kind, svc.Composer()); err != nil {
			t.Fatalf("register: %v", err)
		}
		if err := accept(eng); err != nil {
			t.Fatalf("accept: %v", err)
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
	p, err := h.ctl.AddPerson(h.ctx, slacksim.NewPerson{Name: strings.ToLower(name), RealName: name, TZ: tz})
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
	h.names[p.ID] = name
	return p.ID
}

// network creates a weekly intros network of pairs on Mondays from
// anchor, in a new channel, London time, with users joined, and tells the
// service as the handler will.
func (h *harness) network(name string, anchor calendar.Date, users ...string) peers.Network {
	h.t.Helper()
	ch, err := h.ctl.CreateChannel(h.ctx, slacksim.NewChannel{Name: "intros-" + strconv.Itoa(len(h.names)), Members: users})
	if err != nil {
		h.t.Fatalf("channel: %v", err)
	}
	n := peers.DefaultNetwork(peers.KindIntros)
	n.Name, n.Channel, n.ChannelTZ, n.Anchor, n.Owner = name, ch.ID, "Europe/London", anchor, users[0]
	n.Membership, n.Cadence = peers.MembershipChosen, peers.CadenceWeekly
	n, err = h.store.CreateNetwork(h.ctx, team, n)
	if err != nil {
		h.t.Fatalf("create network: %v", err)
	}
	for _, u := range users {
		if _, err := h.store.Join(h.ctx, team, n.ID, u); err != nil {
			h.t.Fatalf("join: %v", err)
		}
	}
	if err := h.svcs[0].NetworkChanged(h.ctx, team, n.ID); err != nil {
		h.t.Fatalf("network changed: %v", err)
	}
	return n
}

// runAll moves the clock to `to`, ticking every replica concurrently at
// each instant on the way at which the engine or the stepper has work.
func (h *harness) runAll(to time.Time) {
	h.t.Helper()
	var last time.Time
	for range 100_000 {
		at, ok, err := h.engines[0].Schedules().NextDue(h.ctx)
		if err != nil {
			h.t.Fatalf("next due: %v", err)
		}
		for _, s := range h.svcs {
			if b, bok, _ := s.NextDue(h.ctx); bok && (!ok || b.Before(at)) {
				at, ok = b, true
			}
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
		h.clk.Set(tick)
		var wg sync.WaitGroup
		for _, e := range h.engines {
			wg.Go(func() {
				if _, err := e.Tick(h.ctx, tick); err != nil {
					h.t.Errorf("tick at %s: %v", tick, err)
				}
			})
		}
		wg.Wait()
		last = tick
	}
	h.clk.Set(to)
}

// msg is one bot message as Slack shows it.
type msg struct {
	at     time.Time
	text   string // notification text and every block text
	blocks json.RawMessage
	raw    slacksim.Message
}

func toMsg(m slacksim.Message) msg {
	var bs any
	_ = json.Unmarshal(m.Blocks, &bs)
	sec, _, _ := strings.Cut(m.TS, ".")
	s, _ := strconv.ParseInt(sec, 10, 64)
	return msg{at: time.Unix(s, 0).UTC(), text: m.Text + "\n" + blockTexts(bs), blocks: m.Blocks, raw: m}
}

// group returns the bot's messages in the group DM of users.
func (h *harness) group(users ...string) []msg {
	h.t.Helper()
	ms, err := h.ctl.GroupMessages(h.ctx, users...)
	if err != nil {
		h.t.Fatalf("group messages: %v", err)
	}
	var out []msg
	for _, m := range ms {
		out = append(out, toMsg(m))
	}
	return out
}

// dms returns the bot's messages in a person's DM, oldest first.
func (h *harness) dms(user string) []msg {
	h.t.Helper()
	convs, err := h.ctl.Conversations(h.ctx, user)
	if err != nil {
		h.t.Fatalf("conversations of %s: %v", user, err)
	}
	var out []msg
	for _, c := range convs {
		if c.Kind != "im" {
			continue
		}
		out = append(out, h.channel(c.ID, user)...)
	}
	return out
}

// channel returns the bot's messages in a channel.
func (h *harness) channel(id, as string) []msg {
	h.t.Helper()
	ms, err := h.ctl.Messages(h.ctx, id, as)
	if err != nil {
		h.t.Fatalf("messages of %s: %v", id, err)
	}
	var out []msg
	for _, m := range ms {
		if m.BotID == "" || m.Ephemeral {
			continue
		}
		out = append(out, toMsg(m))
	}
	return out
}

// withPrefix are the messages whose notification text starts with p.
func withPrefix(ms []msg, p string) []msg {
	var out []msg
	for _, m := range ms {
		if strings.HasPrefix(m.raw.Text, p) {
			out = append(out, m)
		}
	}
	return out
}

// checkSafe fails when a message has a live sequence other than the
// mentions of allowed users, or breaks a Block Kit limit.
func (h *harness) checkSafe(where string, m msg, allowed ...string) {
	h.t.Helper()
	var mentions []string
	for _, u := range allowed {
		mentions = append(mentions, "@"+u)
	}
	var blocks any
	_ = json.Unmarshal(m.blocks, &blocks)
	probs := append(blockkit.Check(blockkit.Message, blocks, mentions...), blockkit.CheckText(m.raw.Text, mentions...)...)
	for _, p := range probs {
		h.t.Errorf("%s: %s", where, p)
	}
}

// windowsOf are user's working windows over [from, to), as stored now.
func (h *harness) windowsOf(user string, from, to time.Time) []peers.Interval {
	h.t.Helper()
	ws, err := models.NewWorkspaces(h.dbs[0]).Get(h.ctx, team)
	if err != nil {
		h.t.Fatal(err)
	}
	people, away, err := h.people.GetMany(h.ctx, team, []string{user}, calendar.DateOf(from).AddDays(-1))
	if err != nil {
		h.t.Fatal(err)
	}
	return WorkingWindows(engine.RecipientView(people[user], ws, away[user], nil), from, to, from)
}

// inside reports whether t lies in one of ws.
func inside(t time.Time, ws []peers.Interval) bool {
	for _, w := range ws {
		if !t.Before(w.Start) && t.Before(w.End) {
			return true
		}
	}
	return false
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
