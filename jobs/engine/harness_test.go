package engine

import (
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/trellis-bot/trellis/kv"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

const team = slacksim.DefaultTeamID

// harness is engine replicas sharing one database, one Redis and one Slack
// emulator, all on one simulated clock.
type harness struct {
	t       testing.TB
	clk     *clock.Sim
	sim     *slacksim.Server
	ctl     *slacksim.Control
	store   *kv.Store
	dbs     []*models.DB
	engines []*Engine
	// people by Slack id, as the emulator created them
	mu     sync.Mutex
	byName map[string]string
}

type harnessOpts struct {
	dialect  string
	replicas int
	start    time.Time
	// rates lifts the emulator's and the transport's message caps when
	// true, for tests that send thousands of messages quickly.
	fast bool
	// redisURL overrides the shared Redis (a proxy that a test cuts).
	redisURL string
	cfg      func(replica int, c *Config)
	// composer writes the "test" schedules' messages; testComposer when
	// nil. A kind is registered once, so a test that needs its own
	// composer gives it here.
	composer Composer
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	opts := testenv.Options{Dialect: o.dialect, Replicas: o.replicas, Start: o.start, RedisURL: o.redisURL,
		Slack: slacksim.Config{RetryDelays: []time.Duration{}}}
	if o.fast {
		opts.Slack.MessageCapPerMinute = 1_000_000
		opts.Unlimited = []string{"conversations.history", "conversations.open", "users.info"}
	}
	env := testenv.New(t, opts)
	log := env.Log
	h := &harness{t: t, clk: env.Clock, sim: env.Slack.Server, ctl: env.Slack.Control, store: env.Redis, dbs: env.DBs, byName: map[string]string{}}
	sim := h.sim

	tcfg := bot.TransportConfig{Store: h.store, Logger: log, TeamID: team, Backoff: 10 * time.Millisecond}
	if o.fast {
		fast := bot.Rate{Limit: 1_000_000, Per: time.Minute, Burst: 1_000_000}
		tcfg.Rates = map[string]bot.Rate{"chat.postMessage": fast, "conversations.history": fast, "conversations.open": fast, "users.info": fast}
	}
	for i, db := range h.dbs {
		transport := bot.NewTransport(tcfg)
		api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(sim.APIURL()), slack.OptionHTTPClient(transport))
		cfg := Config{
			DB:      db,
			Clients: func(context.Context, string) (Slack, error) { return api, nil },
			Clock:   h.clk,
			Logger:  log.With("engine", i),
			Metrics: NewMetrics(nil),
		}
		if o.cfg != nil {
			o.cfg(i, &cfg)
		}
		e, err := New(cfg)
		if err != nil {
			t.Fatalf("engine: %v", err)
		}
		composer := o.composer
		if composer == nil {
			composer = ComposerFunc(testComposer)
		}
		if err := e.Register("test", composer); err != nil {
			t.Fatalf("register the test composer: %v", err)
		}
		if err := AcceptOneOff[testReminder](e, "test"); err != nil {
			t.Fatalf("accept one-off: %v", err)
		}
		h.engines = append(h.engines, e)
	}
	return h
}

// testReminder is the one-off payload of the tests' schedules: reminder
// number N.
type testReminder struct {
	N int `json:"n"`
}

func (testReminder) OneOffKind() string  { return "reminder" }
func (testReminder) OneOffVersion() int  { return 1 }
func (r testReminder) OneOffKey() string { return strconv.Itoa(r.N) }

// DecodeOneOff reads version 0, the tag "reminder:<n>" of a reminder
// planned before payloads: data is "<n>".
func (r *testReminder) DecodeOneOff(_ int, data []byte) error {
	_, err := fmt.Sscanf(string(data), "%d", &r.N)
	return err
}

// tagOf names the one-off c is about as "reminder:1"; "" for a
// schedule's own occurrence.
func tagOf(c Context) string {
	if c.OneOff == nil {
		return ""
	}
	return c.OneOff.OneOffKind() + ":" + c.OneOff.OneOffKey()
}

// testComposer writes "<title>: nominal <RFC3339>" so tests can tell the
// occurrence a message carries.
func testComposer(_ context.Context, c Context) (Message, error) {
	text := fmt.Sprintf("%s: nominal %s", title(c.Schedule), c.Occurrence.NominalAt.In(c.Location).Format(time.RFC3339))
	return Message{Text: text}, nil
}

// person adds a person to the emulator and the database.
func (h *harness) person(name, tz string, hours *calendar.WorkingHours) string {
	h.t.Helper()
	ctx := context.Background()
	p, err := h.ctl.AddPerson(ctx, slacksim.NewPerson{Name: name, RealName: name, TZ: tz})
	if err != nil {
		h.t.Fatalf("add person %s: %v", name, err)
	}
	people := models.NewPeople(h.dbs[0])
	if _, err := people.SyncProfile(ctx, models.Person{WorkspaceID: team, UserID: p.ID, Name: name, SlackTZ: tz}); err != nil {
		h.t.Fatalf("store person %s: %v", name, err)
	}
	if hours != nil {
		if err := people.SetHours(ctx, team, p.ID, hours); err != nil {
			h.t.Fatalf("hours of %s: %v", name, err)
		}
	}
	h.mu.Lock()
	h.byName[name] = p.ID
	h.mu.Unlock()
	return p.ID
}

// schedule registers a schedule of kind "test" for recipients, planned
// from the clock's now.
func (h *harness) schedule(key, cadenceText string, recipients ...string) models.Schedule {
	h.t.Helper()
	ctx := context.Background()
	s := models.NewSchedules(h.dbs[0])
	sc, err := s.Put(ctx, models.Schedule{WorkspaceID: team, Key: "test:" + key, Title: key, Cadence: cadenceText, Anchor: calendar.DateOf(h.clk.Now())})
	if err != nil {
		h.t.Fatalf("put schedule: %v", err)
	}
	if _, _, err := s.SetTargets(ctx, team, sc.Key, recipients, h.clk.Now()); err != nil {
		h.t.Fatalf("set targets: %v", err)
	}
	return sc
}

// runTo moves the clock to t, running the first engine through every
// instant with work on the way.
func (h *harness) runTo(t time.Time) Stats {
	h.t.Helper()
	return h.runToWith(t, h.engines[:1])
}

// runToWith steps the clock to t through each instant at which any engine
// has work, ticking all the given engines at each, concurrently.
func (h *harness) runToWith(to time.Time, engines []*Engine) Stats {
	h.t.Helper()
	ctx := context.Background()
	var total Stats
	var last time.Time
	for {
		at, ok, err := engines[0].schedules.NextDue(ctx)
		if err != nil {
			h.t.Fatalf("next due: %v", err)
		}
		if !ok || at.After(to) {
			break
		}
		tick := nextTick(at, last)
		if tick.After(to) {
			break
		}
		h.clk.Set(tick)
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, e := range engines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := e.Tick(ctx, tick)
				if err != nil {
					h.t.Errorf("tick at %s: %v", tick, err)
				}
				mu.Lock()
				total.Add(st)
				mu.Unlock()
			}()
		}
		wg.Wait()
		last = tick
	}
	h.clk.Set(to)
	return total
}

// dms returns the bot's messages in a person's DM, oldest first.
func (h *harness) dms(user string) []slacksim.Message {
	h.t.Helper()
	convs, err := h.ctl.Conversations(context.Background(), user)
	if err != nil {
		h.t.Fatalf("conversations of %s: %v", user, err)
	}
	var out []slacksim.Message
	for _, c := range convs {
		if c.Kind != "im" {
			continue
		}
		msgs, err := h.ctl.Messages(context.Background(), c.ID, user)
		if err != nil {
			h.t.Fatalf("messages of %s: %v", c.ID, err)
		}
		for _, m := range msgs {
			if m.BotID != "" {
				out = append(out, m)
			}
		}
	}
	return out
}

// msgTime is the instant a message's ts names.
func msgTime(m slacksim.Message) time.Time {
	sec, frac, _ := strings.Cut(m.TS, ".")
	s, _ := strconv.ParseInt(sec, 10, 64)
	us, _ := strconv.ParseInt(frac, 10, 64)
	return time.Unix(s, us*1000).UTC()
}

// ids reads the occurrence ids a message's metadata carries.
func ids(t testing.TB, m slacksim.Message) []int64 {
	t.Helper()
	if m.Metadata == nil {
		t.Fatalf("message %s has no metadata", m.TS)
	}
	raw, err := json.Marshal(m.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	var md slack.SlackMetadata
	if err := json.Unmarshal(raw, &md); err != nil {
		t.Fatalf("metadata %s: %v", raw, err)
	}
	return occurrenceIDs(md)
}

// occurrences returns every occurrence in the database.
func (h *harness) occurrences() []models.Occurrence {
	h.t.Helper()
	var out []models.Occurrence
	occ := models.NewOccurrences(h.dbs[0])
	h.mu.Lock()
	users := make([]string, 0, len(h.byName))
	for _, id := range h.byName {
		users = append(users, id)
	}
	h.mu.Unlock()
	for _, u := range users {
		list, err := occ.ForRecipient(context.Background(), team, u, time.Time{}, 1_000_000)
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, list...)
	}
	return out
}

func wh(days string, from, to string) *calendar.WorkingHours {
	h, err := calendar.ParseWorkingHours(days + " " + from + "-" + to)
	if err != nil {
		panic(err)
	}
	return &h
}
