package checkins

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/modelstest"
)

const team = slacksim.DefaultTeamID

// monday is a Monday, 00:00 UTC, in a week without UTC-relevant DST
// changes in the zones the tests use.
var monday = mustTime("2026-11-23T00:00:00Z")

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// harness is replicas of Trellis's delivery engine with the check-in
// service on it, sharing one database, one Redis and one Slack emulator,
// all on one frozen simulated clock.
type harness struct {
	t       testing.TB
	ctx     context.Context
	clk     *clock.Sim
	sim     *slacksim.Server
	ctl     *slacksim.Control
	dbs     []*models.DB
	engines []*engine.Engine
	svcs    []*Service
	store   *checkinmodels.Store
	people  *models.People
	botUser string
	// warnings counts the check-in service's log records at WARN or above.
	warnings atomic.Int64
}

type harnessOpts struct {
	dialect  string
	replicas int
	start    time.Time
	// maxRetries is the transport's retries after a 429 (default 3).
	maxRetries int
	// logs, when set, also receives every log record, as text.
	logs io.Writer
	// metrics, when set, registers the engines' metrics.
	metrics prometheus.Registerer
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

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	if o.start.IsZero() {
		o.start = monday.Add(-12 * time.Hour)
	}
	ctx := context.Background()
	log := testlog.Logger(t)
	if o.logs != nil {
		log = slog.New(teeHandler{log.Handler(), slog.NewTextHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug})})
	}
	var metrics *engine.Metrics
	if o.metrics != nil {
		metrics = engine.NewMetrics(o.metrics)
	}
	// One fresh database (a SQLite file, or a Postgres schema), opened
	// once per replica; the databases read the simulated clock too.
	env := testenv.New(t, testenv.Options{Dialect: o.dialect, Replicas: o.replicas, Start: o.start, Logger: log,
		Slack: slacksim.Config{RetryDelays: []time.Duration{}, MessageCapPerMinute: 1_000_000},
		Unlimited: []string{"conversations.history", "conversations.replies", "conversations.open", "conversations.members",
			"users.info", "chat.update"}})
	clk := env.Clock
	h := &harness{t: t, ctx: ctx, clk: clk, sim: env.Slack.Server, ctl: env.Slack.Control, dbs: env.DBs, botUser: env.Slack.BotUserID}
	sim := h.sim
	h.store = checkinmodels.NewStore(h.dbs[0])
	h.people = models.NewPeople(h.dbs[0])

	fast := bot.Rate{Limit: 1_000_000, Per: time.Minute, Burst: 1_000_000}
	tcfg := bot.TransportConfig{Store: env.Redis, Logger: log, TeamID: team, Backoff: 10 * time.Millisecond, MaxRetries: o.maxRetries,
		Rates: map[string]bot.Rate{"chat.postMessage": fast, "chat.update": fast, "conversations.history": fast, "conversations.replies": fast,
			"conversations.open": fast, "conversations.members": fast, "users.info": fast}}

	svcLog := slog.New(&countingHandler{Handler: log.Handler(), n: &h.warnings})
	for i, db := range h.dbs {
		api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(sim.APIURL()), slack.OptionHTTPClient(bot.NewTransport(tcfg)))
		eng, err := engine.New(engine.Config{
			DB:      db,
			Clients: func(context.Context, string) (engine.Slack, error) { return api, nil },
			Clock:   clk,
			Logger:  log.With("engine", i),
			Metrics: metrics,
		})
		if err != nil {
			t.Fatalf("engine: %v", err)
		}
		svc, err := New(Config{
			DB:        db,
			Engine:    eng,
			Clients:   func(context.Context, string) (Slack, error) { return api, nil },
			BotUserID: func(context.Context, string) string { return h.botUser },
			Clock:     clk,
			Logger:    svcLog.With("replica", i),
		})
		if err != nil {
			t.Fatalf("check-ins: %v", err)
		}
		if err := eng.Register(Kind, svc.Composer()); err != nil {
			t.Fatalf("check-ins composer: %v", err)
		}
		if err := eng.AddStepper(svc.Stepper()); err != nil {
			t.Fatalf("check-ins stepper: %v", err)
		}
		h.engines = append(h.engines, eng)
		h.svcs = append(h.svcs, svc)
	}
	return h
}

// teeHandler sends each record to both handlers.
type teeHandler struct{ a, b slog.Handler }

func (t teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return t.a.Enabled(ctx, l) || t.b.Enabled(ctx, l)
}

func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	if t.a.Enabled(ctx, r.Level) {
		_ = t.a.Handle(ctx, r.Clone())
	}
	if t.b.Enabled(ctx, r.Level) {
		return t.b.Handle(ctx, r.Clone())
	}
	return nil
}

func (t teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return teeHandler{t.a.WithAttrs(as), t.b.WithAttrs(as)}
}

func (t teeHandler) WithGroup(name string) slog.Handler {
	return teeHandler{t.a.WithGroup(name), t.b.WithGroup(name)}
}

// countingHandler counts records at WARN and above.
type countingHandler struct {
	slog.Handler
	n *atomic.Int64
}

func (c *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		c.n.Add(1)
	}
	return c.Handler.Handle(ctx, r)
}

func (c *countingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &countingHandler{Handler: c.Handler.WithAttrs(as), n: c.n}
}

func (c *countingHandler) WithGroup(name string) slog.Handler {
	return &countingHandler{Handler: c.Handler.WithGroup(name), n: c.n}
}

// person adds a person to the emulator and the database, with working
// hours like "mon-fri 09:00-12:00" (default hours when "").
func (h *harness) person(name, tz, hours string) string {
	h.t.Helper()
	p, err := h.ctl.AddPerson(h.ctx, slacksim.NewPerson{Name: name, RealName: name, TZ: tz})
	if err != nil {
		h.t.Fatalf("add person %s: %v", name, err)
	}
	if _, err := h.people.SyncProfile(h.ctx, models.Person{WorkspaceID: team, UserID: p.ID, Name: name, SlackTZ: tz, AvatarURL: avatarOf(p.ID)}); err != nil {
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

// avatarOf is the profile picture the harness gives a person.
func avatarOf(user string) string { return "https://avatars.slack-edge.com/test/" + user + "_72.png" }

// channel creates a channel with the members and the bot.
func (h *harness) channel(name string, members ...string) string {
	h.t.Helper()
	ch, err := h.ctl.CreateChannel(h.ctx, slacksim.NewChannel{Name: name, Members: members})
	if err != nil {
		h.t.Fatalf("create channel %s: %v", name, err)
	}
	return ch.ID
}

// checkin returns a thread check-in, weekdays at 09:30, of chosen people,
// with an 8-hour round and one reminder, owned by the first person; the
// caller adjusts it and creates it with create.
func checkinFor(channel string, people ...string) checkinmodels.Checkin {
	return checkinmodels.Checkin{
		WorkspaceID: team, ChannelID: channel, OwnerID: people[0], Name: "Stand-up",
		Questions: []checkinmodels.Question{
			{Kind: checkinmodels.KindText, Prompt: "What are you working on?", Required: true},
		},
		Cadence: "weekdays at 09:30", Participants: checkinmodels.ParticipantsChosen, People: people,
		Destination: checkinmodels.DestinationThread, RoundLength: 8 * time.Hour, Reminders: 1,
	}
}

func (h *harness) create(c checkinmodels.Checkin) checkinmodels.Checkin {
	h.t.Helper()
	out, err := h.svcs[0].Create(h.ctx, c)
	if err != nil {
		h.t.Fatalf("create check-in: %v", err)
	}
	return out
}

// run moves the clock to `to`, running the first replica's engine (and
// so the check-ins' Tick) at every instant on the way with work due.
func (h *harness) run(to time.Time) engine.Stats {
	h.t.Helper()
	st, err := h.engines[0].RunUntil(h.ctx, to, h.clk.Set)
	if err != nil {
		h.t.Fatalf("run until %s: %v", to, err)
	}
	h.clk.Set(to)
	return st
}

// runAll moves the clock to `to`, ticking every replica concurrently at
// each instant on the way at which any work is due (the engine's or the
// check-ins').
func (h *harness) runAll(to time.Time) {
	h.t.Helper()
	var last time.Time
	for range 10_000 {
		at, ok := h.nextDue()
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
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.Tick(h.ctx, tick); err != nil {
					h.t.Errorf("tick at %s: %v", tick, err)
				}
			}()
		}
		wg.Wait()
		last = tick
	}
	h.clk.Set(to)
}

func (h *harness) nextDue() (time.Time, bool) {
	h.t.Helper()
	at, ok, err := h.engines[0].Schedules().NextDue(h.ctx)
	if err != nil {
		h.t.Fatalf("next due: %v", err)
	}
	b, bok, err := h.svcs[0].NextDue(h.ctx)
	if err != nil {
		h.t.Fatalf("check-ins next due: %v", err)
	}
	if bok && (!ok || b.Before(at)) {
		at, ok = b, true
	}
	return at, ok
}

// dms returns the bot's messages in a person's DM, oldest first.
func (h *harness) dms(user string) []slacksim.Message {
	h.t.Helper()
	convs, err := h.ctl.Conversations(h.ctx, user)
	if err != nil {
		h.t.Fatalf("conversations of %s: %v", user, err)
	}
	var out []slacksim.Message
	for _, c := range convs {
		if c.Kind != "im" {
			continue
		}
		msgs, err := h.ctl.Messages(h.ctx, c.ID, user)
		if err != nil {
			h.t.Fatalf("messages of %s: %v", c.ID, err)
		}
		for _, m := range msgs {
			if m.BotID != "" && !m.Ephemeral {
				out = append(out, m)
			}
		}
	}
	return out
}

// prompt is one check-in prompt inside a DM.
type prompt struct {
	msg   slacksim.Message
	round int64
	kind  string // ask, reminder, snoozed
}

// prompts returns the check-in prompts in a person's DMs, in order.
func (h *harness) prompts(user string) []prompt {
	h.t.Helper()
	var out []prompt
	for _, m := range h.dms(user) {
		var bs []map[string]any
		if json.Unmarshal(m.Blocks, &bs) != nil {
			continue
		}
		for _, b := range bs {
			id, _ := b["block_id"].(string)
			rest, ok := strings.CutPrefix(id, "checkin_prompt_")
			if !ok {
				continue
			}
			round, _ := strconv.ParseInt(rest, 10, 64)
			txt := blockText(b)
			kind := "ask"
			switch {
			case strings.Contains(txt, "Reminder:"):
				kind = "reminder"
			case strings.Contains(txt, "You snoozed this"):
				kind = "snoozed"
			}
			out = append(out, prompt{msg: m, round: round, kind: kind})
		}
	}
	return out
}

func countKind(ps []prompt, kind string) int {
	n := 0
	for _, p := range ps {
		if p.kind == kind {
			n++
		}
	}
	return n
}

// blockText gathers every "text" string in a block structure.
func blockText(v any) string {
	var sb strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "text" {
					sb.WriteString(s)
					sb.WriteString("\n")
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

// msgText is a message's text and the text of its blocks.
func msgText(m slacksim.Message) string {
	var bs any
	_ = json.Unmarshal(m.Blocks, &bs)
	return m.Text + "\n" + blockText(bs)
}

// texts are the messages' notification texts.
func texts(ms []slacksim.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Text
	}
	return out
}

// channelMsgs returns the bot's messages in a channel (as member `as`):
// the top-level ones, and the replies by thread.
func (h *harness) channelMsgs(channel, as string) (top []slacksim.Message, replies map[string][]slacksim.Message) {
	h.t.Helper()
	msgs, err := h.ctl.Messages(h.ctx, channel, as)
	if err != nil {
		h.t.Fatalf("messages of %s: %v", channel, err)
	}
	replies = map[string][]slacksim.Message{}
	for _, m := range msgs {
		if m.BotID == "" || m.Ephemeral {
			continue
		}
		if m.ThreadTS != "" && m.ThreadTS != m.TS {
			replies[m.ThreadTS] = append(replies[m.ThreadTS], m)
			continue
		}
		top = append(top, m)
	}
	return top, replies
}

// answer submits a person's answers to a round and sends the answer's
// post right away, as the answer form's handler does after its ack.
func (h *harness) answer(svc *Service, c checkinmodels.Checkin, round int64, user string, sub checkinmodels.Submission) checkinmodels.AnswerResult {
	h.t.Helper()
	res, err := svc.Submit(h.ctx, c, round, user, sub, nil)
	if err != nil {
		h.t.Fatalf("%s answers round %d: %v", user, round, err)
	}
	if res.Post.ID != 0 {
		svc.DeliverPost(h.ctx, res.Post)
	}
	return res
}

func text(s string) checkinmodels.Submission {
	return checkinmodels.Submission{Answers: map[int]string{1: s}}
}

// occurrences returns a person's occurrences of the check-in whose
// CadenceID holds part ("#reminder:", "#digest:"...), or all with "".
func (h *harness) occurrences(user string, c checkinmodels.Checkin, part string) []models.Occurrence {
	h.t.Helper()
	list, err := models.NewOccurrences(h.dbs[0]).ForRecipient(h.ctx, team, user, time.Time{}, 10_000)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []models.Occurrence
	for _, o := range list {
		if strings.HasPrefix(o.CadenceID, checkinmodels.ScheduleKey(c.ID)) && strings.Contains(o.CadenceID, part) {
			out = append(out, o)
		}
	}
	return out
}

// planLegacy stores a one-off of c as builds before payloads planned it:
// its tag after the schedule key in the cadence id, and no payload.
func (h *harness) planLegacy(c checkinmodels.Checkin, tag, user string, at time.Time) {
	h.t.Helper()
	o := models.Occurrence{WorkspaceID: team, CadenceID: checkinmodels.ScheduleKey(c.ID) + "#" + tag, Recipient: user, NominalAt: at, DeliverAt: at}
	if n, err := models.NewOccurrences(h.dbs[0]).Plan(h.ctx, []models.Occurrence{o}); err != nil || n != 1 {
		h.t.Fatalf("plan %s as before payloads = %d, %v", o.CadenceID, n, err)
	}
}

// postCalls counts the chat.postMessage calls into a channel that Slack
// answered with ok (not those refused, as with a 429, or faulted).
func (h *harness) postCalls(channel string) int {
	h.t.Helper()
	calls, err := h.ctl.Calls(h.ctx, "chat.postMessage")
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, c := range calls {
		if c.Channel == channel && c.OK {
			n++
		}
	}
	return n
}

// msgTime is the second a message's ts names (the emulator keeps
// timestamps unique with their microseconds).
func msgTime(m slacksim.Message) time.Time {
	sec, _, _ := strings.Cut(m.TS, ".")
	s, _ := strconv.ParseInt(sec, 10, 64)
	return time.Unix(s, 0).UTC()
}
