package peers

import (
	"context"
	"encoding/json"
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
	"github.com/trellis-bot/trellis/models/peers"
)

const circleTeam = slacksim.DefaultTeamID

// circlesHarness is replicas of the delivery engine with the peers
// service on each, sharing one database and one Slack emulator, on one
// frozen simulated clock.
type circlesHarness struct {
	t       testing.TB
	ctx     context.Context
	clk     *clock.Sim
	ctl     *slacksim.Control
	dbs     []*models.DB
	engines []*engine.Engine
	svcs    []*Service
	store   *peers.Store
	people  *models.People
}

// forCircleDialects runs fn as a parallel subtest on SQLite, and on
// Postgres when TEST_DATABASE_URL is set.
func forCircleDialects(t *testing.T, fn func(t *testing.T, dialect string)) {
	t.Helper()
	for _, d := range modelstest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

func newCirclesHarness(t testing.TB, dialect string, replicas int, start time.Time) *circlesHarness {
	t.Helper()
	log := testlog.Logger(t)
	env := testenv.New(t, testenv.Options{Dialect: dialect, Replicas: replicas, Start: start, Logger: log,
		Slack:     slacksim.Config{RetryDelays: []time.Duration{}, MessageCapPerMinute: 1_000_000},
		Unlimited: []string{"conversations.history", "conversations.open", "users.info", "chat.delete"}})
	h := &circlesHarness{t: t, ctx: context.Background(), clk: env.Clock, ctl: env.Slack.Control, dbs: env.DBs}
	h.store = peers.NewStore(h.dbs[0])
	h.people = models.NewPeople(h.dbs[0])
	fast := bot.Rate{Limit: 1_000_000, Per: time.Minute, Burst: 1_000_000}
	tcfg := bot.TransportConfig{Store: env.Redis, Logger: log, TeamID: circleTeam, Backoff: 10 * time.Millisecond,
		Rates: map[string]bot.Rate{"chat.postMessage": fast, "conversations.history": fast, "conversations.open": fast,
			"users.info": fast, "chat.delete": fast}}
	for i, db := range h.dbs {
		api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(env.Slack.Server.APIURL()), slack.OptionHTTPClient(bot.NewTransport(tcfg)))
		eng, err := engine.New(engine.Config{DB: db, Clock: h.clk, Logger: log.With("engine", i),
			Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }})
		if err != nil {
			t.Fatalf("engine: %v", err)
		}
		svc, err := New(Config{DB: db, Engine: eng, Clock: h.clk, Logger: log.With("replica", i),
			Delete: func(ctx context.Context, _, channel, ts string) error {
				_, _, err := api.DeleteMessageContext(ctx, channel, ts)
				return err
			}})
		if err != nil {
			t.Fatalf("peers: %v", err)
		}
		if err := eng.Register(Kind, svc.Composer()); err != nil {
			t.Fatalf("register: %v", err)
		}
		// Every one-off the service sends, as serve declares them.
		if err := AcceptOneOffs(eng); err != nil {
			t.Fatalf("accept one-offs: %v", err)
		}
		if err := eng.AddStepper(svc.Stepper()); err != nil {
			t.Fatalf("stepper: %v", err)
		}
		h.engines, h.svcs = append(h.engines, eng), append(h.svcs, svc)
	}
	return h
}

// person adds a person to the emulator and the database, in zone tz with
// working hours like "mon-fri 09:00-17:00" (the workspace's when "").
func (h *circlesHarness) person(name, tz, hours string) string {
	h.t.Helper()
	p, err := h.ctl.AddPerson(h.ctx, slacksim.NewPerson{Name: strings.ToLower(name), RealName: name, TZ: tz})
	if err != nil {
		h.t.Fatalf("add person %s: %v", name, err)
	}
	if _, err := h.people.SyncProfile(h.ctx, models.Person{WorkspaceID: circleTeam, UserID: p.ID, Name: name, SlackTZ: tz}); err != nil {
		h.t.Fatalf("store person %s: %v", name, err)
	}
	if hours != "" {
		wh, err := calendar.ParseWorkingHours(hours)
		if err != nil {
			h.t.Fatalf("hours %q: %v", hours, err)
		}
		if err := h.people.SetHours(h.ctx, circleTeam, p.ID, &wh); err != nil {
			h.t.Fatalf("hours of %s: %v", name, err)
		}
	}
	return p.ID
}

// away gives user time off on the days first to last.
func (h *circlesHarness) away(user string, first, last calendar.Date) {
	h.t.Helper()
	if _, err := h.people.AddAway(h.ctx, models.AwayPeriod{WorkspaceID: circleTeam, UserID: user, First: first, Last: last, Note: "off"}); err != nil {
		h.t.Fatalf("away: %v", err)
	}
}

// channel creates a channel with members and the bot.
func (h *circlesHarness) channel(name string, members []string) string {
	h.t.Helper()
	c, err := h.ctl.CreateChannel(h.ctx, slacksim.NewChannel{Name: name, Members: members})
	if err != nil {
		h.t.Fatalf("channel: %v", err)
	}
	return c.ID
}

// network creates n with users as its chosen participants and tells the
// service, as the handler will.
func (h *circlesHarness) network(n peers.Network, users []string) peers.Network {
	h.t.Helper()
	n.Membership, n.Owner = peers.MembershipChosen, "UOWNER"
	out, err := h.store.CreateNetwork(h.ctx, circleTeam, n)
	if err != nil {
		h.t.Fatalf("create network: %v", err)
	}
	if len(users) > 0 {
		if _, err := h.store.AddChosen(h.ctx, circleTeam, out.ID, users, "UOWNER", true); err != nil {
			h.t.Fatalf("add people: %v", err)
		}
	}
	if err := h.svcs[0].NetworkChanged(h.ctx, circleTeam, out.ID); err != nil {
		h.t.Fatalf("network changed: %v", err)
	}
	return out
}

// runTo moves the clock to `to`, ticking every replica at once at every
// minute the engine has work and at 00:01 of every day in loc (when
// terms and sessions open).
func (h *circlesHarness) runTo(to time.Time, loc *time.Location) {
	h.t.Helper()
	last := h.clk.Now()
	for range 100_000 {
		now := h.clk.Now()
		y, m, d := now.In(loc).Date()
		at := time.Date(y, m, d+1, 0, 1, 0, 0, loc)
		if due, ok, err := h.engines[0].Schedules().NextDue(h.ctx); err != nil {
			h.t.Fatalf("next due: %v", err)
		} else if ok && due.Before(at) {
			at = due
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

// seenMsg is one bot message as a test reads it: its text and every text of
// its blocks.
type seenMsg struct {
	text    string
	actions []string
}

// read turns emulator messages into msgs, bot messages only.
func readBot(ms []slacksim.Message) []seenMsg {
	var out []seenMsg
	for _, m := range ms {
		if m.BotID == "" || m.Ephemeral {
			continue
		}
		var bs any
		_ = json.Unmarshal(m.Blocks, &bs)
		out = append(out, seenMsg{text: m.Text + "\n" + circleBlockTexts(bs), actions: actionIDs(bs)})
	}
	return out
}

// group returns the bot's messages in the group DM of exactly users.
func (h *circlesHarness) group(users ...string) []seenMsg {
	h.t.Helper()
	ms, err := h.ctl.GroupMessages(h.ctx, users...)
	if err != nil {
		h.t.Fatalf("group messages: %v", err)
	}
	return readBot(ms)
}

// dms returns the bot's messages in a person's own DM.
func (h *circlesHarness) dms(user string) []seenMsg {
	h.t.Helper()
	ms, err := h.ctl.Messages(h.ctx, user, user)
	if err != nil {
		h.t.Fatalf("messages of %s: %v", user, err)
	}
	return readBot(ms)
}

// channelMsgs returns the bot's messages in a channel.
func (h *circlesHarness) channelMsgs(channel string) []seenMsg {
	h.t.Helper()
	ms, err := h.ctl.Messages(h.ctx, channel, "")
	if err != nil {
		h.t.Fatalf("messages of %s: %v", channel, err)
	}
	return readBot(ms)
}

// everything is every bot message in every conversation.
func (h *circlesHarness) everything() []seenMsg {
	h.t.Helper()
	convs, err := h.ctl.Conversations(h.ctx, "")
	if err != nil {
		h.t.Fatalf("conversations: %v", err)
	}
	var out []seenMsg
	for _, c := range convs {
		as := ""
		if len(c.Members) > 0 {
			as = c.Members[0]
		}
		ms, err := h.ctl.Messages(h.ctx, c.ID, as)
		if err != nil {
			h.t.Fatalf("messages of %s: %v", c.ID, err)
		}
		out = append(out, readBot(ms)...)
	}
	return out
}

// count counts the messages containing s.
func countWith(ms []seenMsg, s string) int {
	n := 0
	for _, m := range ms {
		if strings.Contains(m.text, s) {
			n++
		}
	}
	return n
}

// circleBlockTexts gathers every "text" string in a block structure.
func circleBlockTexts(v any) string {
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

// actionIDs gathers every action_id in a block structure.
func actionIDs(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if id, ok := x["action_id"].(string); ok {
				out = append(out, id)
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// noLiveText fails when a message carries a live broadcast, mention of
// someone not built by Trellis, or link from typed text.
func noLiveText(t *testing.T, ms []seenMsg, hostile ...string) {
	t.Helper()
	for _, m := range ms {
		for _, h := range hostile {
			if strings.Contains(m.text, h) {
				t.Errorf("a message carries %q live: %q", h, m.text)
			}
		}
	}
}
