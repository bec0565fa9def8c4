package engine

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/kv/kvtest"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// benchCap is the emulator's workspace message cap the benchmark delivers
// under, in messages per (real) minute: the emulator's default.
const benchCap = 600

// BenchmarkDelivery delivers one DM to each of 10,000 people, all due at
// the same instant, through the Slack emulator with its workspace cap of
// 600 messages a minute, with engine replicas ticking concurrently against
// one Postgres and one Redis. It reports the rate achieved (from the first
// to the last successful chat.postMessage in the emulator's call log), the
// share of chat.postMessage calls answered 429, duplicates (an occurrence
// id carried by two messages, or two messages in one person's DM) and the
// posts made, and fails unless the rate is at least 95% of the cap, at
// most 1% of calls were answered 429, and there are no duplicates.
//
// Sending at the cap takes real time — 10,000 DMs at 600 a minute take
// about 17 minutes — so it runs only with BENCH_DELIVERY=1. BENCH_DMS sets
// another number of DMs (1200 takes two minutes) and BENCH_REPLICAS the
// number of engine replicas (default 3).
func BenchmarkDelivery(b *testing.B) {
	if os.Getenv("BENCH_DELIVERY") != "1" {
		b.Skip("takes ~17 minutes of real time; run with BENCH_DELIVERY=1 (and TEST_DATABASE_URL, TEST_REDIS_URL): " +
			"BENCH_DELIVERY=1 go test -run '^$' -bench BenchmarkDelivery -benchtime 1x -timeout 40m ./jobs/engine; " +
			"BENCH_DMS=1200 runs a two-minute version")
	}
	if os.Getenv(modelstest.EnvURL) == "" {
		b.Fatalf("BenchmarkDelivery needs Postgres: set %s", modelstest.EnvURL)
	}
	n := envInt(b, "BENCH_DMS", 10_000)
	replicas := envInt(b, "BENCH_REPLICAS", 3)
	for range b.N {
		b.StopTimer()
		d := newDeliveryBench(b, n, replicas)
		b.StartTimer()
		r := d.run()
		b.StopTimer()
		d.check(r)
	}
}

func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// deliveryBench is one delivery run: n people in the emulator and the
// database, one schedule due for all of them at one instant, and engine
// replicas, each with its own database pool and Transport, sharing Redis.
type deliveryBench struct {
	b       *testing.B
	n       int
	clk     *clock.Sim
	due     time.Time
	ctl     *slacksim.Control
	db      *models.DB
	engines []*Engine
	metrics []*Metrics
	people  []slacksim.Person
}

func newDeliveryBench(b *testing.B, n, replicas int) *deliveryBench {
	b.Helper()
	ctx := context.Background()
	// Warnings only: at this volume debug lines would drown the figures,
	// and a warning (a 429, a lease lost) is what the run should not see.
	log := slog.New(slog.NewTextHandler(testlog.NewWriter(b), &slog.HandlerOptions{Level: slog.LevelWarn}))

	// Monday 23 November 2026; the schedule is due at 10:00 UTC, inside
	// everyone's default working hours. The clock flows with real time:
	// the emulator's limits and the Transport's pacing are real time too.
	start := mustTime("2026-11-23T09:50:00Z")
	clk := clock.NewSim(start)
	// The emulator's log stays quiet: with no app connected it warns of
	// every message event it cannot deliver, 10,000 of them.
	sim := slacksim.New(slacksim.Config{Clock: clk, RetryDelays: []time.Duration{}, MessageCapPerMinute: benchCap})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		b.Fatalf("start emulator: %v", err)
	}
	b.Cleanup(func() { _ = sim.Close() })
	d := &deliveryBench{b: b, n: n, clk: clk, due: mustTime("2026-11-23T10:00:00Z"), ctl: slacksim.NewControl(sim.URL())}

	url := modelstest.URL(b, models.DialectPostgres)
	prefix := "trellis-bench:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	for i := range replicas {
		db, err := models.Open(ctx, log.With("replica", i), url, models.WithClock(clk))
		if err != nil {
			b.Fatalf("open db: %v", err)
		}
		b.Cleanup(func() { _ = db.Close() })
		if i == 0 {
			if err := db.Migrate(ctx); err != nil {
				b.Fatalf("migrate: %v", err)
			}
			d.db = db
		}
		// Each replica paces through its own Transport and Redis
		// connection; the shared prefix makes the workspace's message rate
		// one budget for all of them.
		transport := bot.NewTransport(bot.TransportConfig{
			Store: kvtest.NewWithPrefix(b, prefix), Logger: log, TeamID: team,
			Rates: map[string]bot.Rate{"chat.postMessage": bot.WindowRate(benchCap, time.Minute)},
		})
		api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(sim.APIURL()), slack.OptionHTTPClient(transport))
		m := NewMetrics(nil)
		e, err := New(Config{
			DB:      db,
			Clients: func(context.Context, string) (Slack, error) { return api, nil },
			Clock:   clk,
			Logger:  log.With("engine", i),
			Metrics: m,
		})
		if err != nil {
			b.Fatalf("engine: %v", err)
		}
		e.Register("test", ComposerFunc(testComposer))
		d.engines = append(d.engines, e)
		d.metrics = append(d.metrics, m)
	}
	if _, err := models.NewWorkspaces(d.db).Ensure(ctx, team, "Bench"); err != nil {
		b.Fatalf("workspace: %v", err)
	}

	seedStart := time.Now()
	d.people = d.seedPeople(ctx)
	ids := make([]string, len(d.people))
	for i, p := range d.people {
		ids[i] = p.ID
	}
	s := models.NewSchedules(d.db)
	sc, err := s.Put(ctx, models.Schedule{WorkspaceID: team, Key: "test:bench", Title: "bench", Cadence: "weekdays at 10:00", Anchor: calendar.DateOf(start)})
	if err != nil {
		b.Fatalf("put schedule: %v", err)
	}
	if _, _, err := s.SetTargets(ctx, team, sc.Key, ids, start); err != nil {
		b.Fatalf("set targets: %v", err)
	}
	b.Logf("seeded %d people and their targets in %s", n, time.Since(seedStart).Round(time.Millisecond))
	return d
}

// seedPeople adds n people to the emulator and the database, a few at a
// time over the control API and the people store.
func (d *deliveryBench) seedPeople(ctx context.Context) []slacksim.Person {
	d.b.Helper()
	people := make([]slacksim.Person, d.n)
	store := models.NewPeople(d.db)
	var next atomic.Int64
	var (
		mu     sync.Mutex
		failed error
	)
	stop := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if failed == nil {
			failed = err
		}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= d.n {
					return
				}
				name := fmt.Sprintf("p%05d", i)
				p, err := d.ctl.AddPerson(ctx, slacksim.NewPerson{Name: name, RealName: name, TZ: "UTC"})
				if err == nil {
					_, err = store.SyncProfile(ctx, models.Person{WorkspaceID: team, UserID: p.ID, Name: name, SlackTZ: "UTC"})
				}
				if err != nil {
					stop(fmt.Errorf("person %s: %w", name, err))
					return
				}
				people[i] = p
			}
		})
	}
	wg.Wait()
	if failed != nil {
		d.b.Fatal(failed)
	}
	return people
}

// deliveryRun is what the replicas did, summed.
type deliveryRun struct {
	stats Stats
	took  time.Duration
}

// run moves the clock to the instant the schedule is due and ticks every
// replica, back to back with the clock flowing, until every occurrence is
// settled.
func (d *deliveryBench) run() deliveryRun {
	d.b.Helper()
	ctx := context.Background()
	if err := d.ctl.ClearCalls(ctx); err != nil {
		d.b.Fatalf("clear calls: %v", err)
	}
	// Twice the time the cap needs, plus planning: past that the run is
	// stuck, not slow.
	limit := 2*time.Duration(d.n)*time.Minute/benchCap + 5*time.Minute
	began := time.Now()
	d.clk.Set(d.due)

	var done atomic.Bool
	var mu sync.Mutex
	var total Stats
	var wg sync.WaitGroup
	for i, e := range d.engines {
		wg.Go(func() {
			for !done.Load() {
				st, err := e.Tick(ctx, d.clk.Now())
				if err != nil {
					d.b.Errorf("replica %d: tick: %v", i, err)
				}
				mu.Lock()
				total.Add(st)
				mu.Unlock()
				if st.Claimed == 0 {
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	occ := models.NewOccurrences(d.db)
	for {
		time.Sleep(time.Second)
		counts, err := occ.CountByStatus(ctx, team)
		if err != nil {
			d.b.Fatalf("count occurrences: %v", err)
		}
		settled := counts[models.OccurrenceDelivered] + counts[models.OccurrenceSkipped] +
			counts[models.OccurrenceSuperseded] + counts[models.OccurrenceMissed]
		if settled >= d.n {
			break
		}
		if time.Since(began) > limit {
			done.Store(true)
			wg.Wait()
			d.b.Fatalf("after %s: occurrences %v, want %d settled", time.Since(began).Round(time.Second), counts, d.n)
		}
	}
	took := time.Since(began)
	done.Store(true)
	wg.Wait()
	return deliveryRun{stats: total, took: took}
}

// check reads the emulator's call log and every DM, reports the figures
// and holds them to the bar.
func (d *deliveryBench) check(r deliveryRun) {
	d.b.Helper()
	ctx := context.Background()
	calls, err := d.ctl.Calls(ctx, "")
	if err != nil {
		d.b.Fatalf("calls: %v", err)
	}
	var posts, limited, ok, history int
	var first, last time.Time
	perChannel := map[string]int{}
	for _, c := range calls {
		switch c.Method {
		case "conversations.history":
			history++
			continue
		case "chat.postMessage":
		default:
			continue
		}
		posts++
		if c.Status == 429 {
			limited++
			continue
		}
		if c.Status != 200 || !c.OK {
			continue
		}
		ok++
		perChannel[c.Channel]++
		if first.IsZero() || c.Time.Before(first) {
			first = c.Time
		}
		if c.Time.After(last) {
			last = c.Time
		}
	}

	// Duplicates: any occurrence id in two messages, any DM with more than
	// one message, and any person left without one.
	dms := make(map[string]string, len(d.people))
	for _, p := range d.people {
		dms[p.ID] = p.DM
	}
	tally, err := d.ctl.TallyDMs(ctx, dms, func(m slacksim.Message) []string {
		var keys []string
		for _, id := range ids(d.b, m) {
			keys = append(keys, strconv.FormatInt(id, 10))
		}
		return keys
	})
	if err != nil {
		d.b.Error(err)
	}
	dupes, missing := tally.Duplicates, tally.Missing
	for ch, c := range perChannel {
		if c > 1 {
			d.b.Logf("channel %s got %d posts", ch, c)
		}
	}

	var expiries float64
	for _, m := range d.metrics {
		expiries += testutil.ToFloat64(m.LeaseExpiries)
	}
	span := last.Sub(first)
	rate := 0.0
	if ok > 1 && span > 0 {
		rate = float64(ok-1) / span.Minutes()
	}
	pct429 := 0.0
	if posts > 0 {
		pct429 = 100 * float64(limited) / float64(posts)
	}
	d.b.ReportMetric(rate, "msgs/min")
	d.b.ReportMetric(100*rate/benchCap, "%cap")
	d.b.ReportMetric(pct429, "%429")
	d.b.ReportMetric(float64(dupes), "duplicates")
	d.b.ReportMetric(float64(posts), "posts")
	d.b.ReportMetric(float64(r.stats.LeaseLost), "leases-lost")
	d.b.ReportMetric(expiries, "takeovers")
	d.b.ReportMetric(float64(history), "history-calls")
	d.b.Logf("%d DMs, %d replicas: %d posts (%d ok, %d answered 429) in %s from first to last post, %.1f msgs/min (%.1f%% of the cap); run %s; "+
		"%d duplicates, %d missing; engine: %+v; lease takeovers %v; conversations.history calls %d",
		d.n, len(d.engines), posts, ok, limited, span.Round(time.Millisecond), rate, 100*rate/benchCap, r.took.Round(time.Second),
		dupes, missing, r.stats, expiries, history)

	if ok != d.n {
		d.b.Errorf("%d successful posts, want %d", ok, d.n)
	}
	if rate < 0.95*benchCap {
		d.b.Errorf("achieved %.1f msgs/min, want at least 95%% of the cap (%d)", rate, benchCap*95/100)
	}
	if pct429 > 1 {
		d.b.Errorf("%.2f%% of chat.postMessage calls answered 429, want at most 1%%", pct429)
	}
	if dupes != 0 || missing != 0 {
		d.b.Errorf("%d duplicates and %d people without their DM, want none", dupes, missing)
	}
}
