package engine

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/slack-go/slack"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/kv/kvtest"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// The planner benchmark compares the engine's tick with the approach many
// bots take: one robfig/cron entry per person.
//
// Every size has the same workload in the benchmarked minute: 1,000
// people whose stand-up ("weekdays at 09:30", their local time) is due at
// benchTick, a Wednesday 09:30 UTC. They live in the zones of benchDueZones,
// which are all at UTC+0 in January; everybody else lives in
// benchOtherZones, none of which is, so their 09:30 falls in another
// minute. Teams are ten people to a schedule.
//
// Run it with Postgres (it is skipped without TEST_DATABASE_URL, because
// `go test ./...` never runs benchmarks and a skip there hides nothing):
//
//	TEST_DATABASE_URL=postgres://... TEST_REDIS_URL=redis://.../1 \
//	  go test -run '^$' -bench PlannerTick -benchtime 5x ./jobs/engine/
//
// 10k and 100k people run by default; BENCH_LARGE=1 adds 1M.
var (
	benchTick  = time.Date(2025, time.January, 15, 9, 30, 0, 0, time.UTC)
	benchDue   = 1_000
	benchTeam  = 10
	benchSpec  = "30 9 * * 1-5" // the cron twin of benchCadence
	benchZones = struct{ due, other []string }{
		due: []string{"Europe/London", "Europe/Dublin", "Europe/Lisbon", "Africa/Abidjan", "Africa/Accra",
			"Atlantic/Reykjavik", "Africa/Dakar", "Atlantic/Canary", "Atlantic/Faroe", "UTC"},
		other: []string{"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
			"America/Sao_Paulo", "America/Mexico_City", "America/Toronto", "America/Bogota", "America/Anchorage",
			"Pacific/Honolulu", "Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Europe/Warsaw", "Europe/Athens",
			"Europe/Istanbul", "Europe/Moscow", "Africa/Lagos", "Africa/Nairobi", "Africa/Johannesburg", "Asia/Dubai",
			"Asia/Kolkata", "Asia/Kathmandu", "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo", "Asia/Seoul",
			"Australia/Sydney", "Pacific/Auckland", "Asia/Jakarta"},
	}
)

const benchCadence = "weekdays at 09:30"

// BenchmarkPlannerTick measures, at each size, one engine tick against
// Postgres (through the Slack emulator, and through a Slack stub that
// answers at once), the planning part of a tick alone, and the per-person
// cron entries (memory, time to register, CPU of the minute in which the
// same 1,000 fire).
func BenchmarkPlannerTick(b *testing.B) {
	if os.Getenv(modelstest.EnvURL) == "" {
		b.Skip("BenchmarkPlannerTick needs Postgres: set " + modelstest.EnvURL)
	}
	sizes := []int{10_000, 100_000}
	if os.Getenv("BENCH_LARGE") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run("people="+benchSize(n), func(b *testing.B) {
			w := newBenchWorld(b, n)
			b.Run("engine=slacksim", func(b *testing.B) { w.benchTick(b, w.simClients(b)) })
			api := &benchStubSlack{}
			stub := func(context.Context, string) (Slack, error) { return api, nil }
			b.Run("engine=stub", func(b *testing.B) { w.benchTick(b, stub) })
			b.Run("engine=plan-only", func(b *testing.B) { w.benchPlan(b, stub) })
			b.Run("cron=per-person", func(b *testing.B) { benchCron(b, n, false) })
			b.Run("cron=shared-zones", func(b *testing.B) { benchCron(b, n, true) })
		})
	}
}

func benchSize(n int) string {
	switch {
	case n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n%1_000 == 0:
		return strconv.Itoa(n/1_000) + "k"
	}
	return strconv.Itoa(n)
}

// benchZone is the zone of person i of n: the first benchDue are the ones
// due at benchTick.
func benchZone(i int) string {
	if i < benchDue {
		return benchZones.due[i%len(benchZones.due)]
	}
	return benchZones.other[i%len(benchZones.other)]
}

// benchWorld is one seeded database, with the emulator holding the due
// people, shared by the sub-benchmarks of one size.
type benchWorld struct {
	n       int
	clk     *clock.Sim
	db      *models.DB
	raw     *gorm.DB // seeding, resets and measurements, outside the engine's pool
	appName string   // the engine pool's application_name, to find its backends
	sim     *slacksim.Server
	due     []string // Slack ids of the due people
	seedMax int64    // occurrences with a larger id are the benchmark's
}

func newBenchWorld(b *testing.B, n int) *benchWorld {
	b.Helper()
	ctx := context.Background()
	w := &benchWorld{n: n, clk: clock.NewFrozen(benchTick)}
	log := benchLogger(b)

	// The emulator's own log is left out: it warns of every message event
	// it cannot hand to a Socket Mode connection, and there is none.
	w.sim = slacksim.New(slacksim.Config{Clock: w.clk, Logger: slog.New(slog.DiscardHandler),
		RetryDelays: []time.Duration{}, MessageCapPerMinute: 1_000_000})
	if err := w.sim.Start("127.0.0.1:0"); err != nil {
		b.Fatalf("start emulator: %v", err)
	}
	b.Cleanup(func() { _ = w.sim.Close() })
	ctl := slacksim.NewControl(w.sim.URL())
	if err := ctl.SetLimits(ctx, slacksim.Limits{Methods: map[string]int{"conversations.history": 0, "conversations.open": 0, "users.info": 0}}); err != nil {
		b.Fatalf("emulator limits: %v", err)
	}
	for i := range benchDue {
		p, err := ctl.AddPerson(ctx, slacksim.NewPerson{Name: fmt.Sprintf("due-%04d", i), TZ: benchZone(i)})
		if err != nil {
			b.Fatalf("add person %d: %v", i, err)
		}
		w.due = append(w.due, p.ID)
	}

	base := modelstest.URL(b, models.DialectPostgres)
	w.appName = fmt.Sprintf("trellis-bench-%d-%d", n, time.Now().UnixNano())
	db, err := models.Open(ctx, log, base+"&application_name="+w.appName, models.WithClock(w.clk))
	if err != nil {
		b.Fatalf("open db: %v", err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatalf("migrate: %v", err)
	}
	w.db = db
	if _, err := models.NewWorkspaces(db).Ensure(ctx, team, "Bench"); err != nil {
		b.Fatalf("workspace: %v", err)
	}
	w.raw, err = gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		b.Fatalf("open seeding connection: %v", err)
	}
	if sqlDB, err := w.raw.DB(); err == nil {
		b.Cleanup(func() { _ = sqlDB.Close() })
	}
	start := time.Now()
	w.seed(b)
	b.Logf("seeded %d people, %d schedules and a day of history in %v", n, w.schedules(), time.Since(start).Round(time.Millisecond))
	return w
}

// benchLogger shows warnings and errors in the benchmark's log and drops
// the rest, so logging costs what it costs in production.
func benchLogger(b *testing.B) *slog.Logger {
	return slog.New(slog.NewTextHandler(testlog.NewWriter(b), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// schedules is how many schedules the world has: benchDue/benchTeam due
// ones (ids 1..100), then the rest.
func (w *benchWorld) schedules() int {
	return benchDue/benchTeam + (w.n-benchDue+benchTeam-1)/benchTeam
}

// seed fills the schema in bulk SQL: people, schedules, targets (next_at
// is each target's real next 09:30 in its zone, so only the due people's
// is benchTick) and one delivered occurrence per person for yesterday, so
// the occurrences table also grows with the number of people.
func (w *benchWorld) seed(b *testing.B) {
	b.Helper()
	c, err := cadence.Parse(benchCadence, calendar.DateOf(benchTick))
	if err != nil {
		b.Fatal(err)
	}
	nexts := make([]string, len(benchZones.other))
	for i, z := range benchZones.other {
		loc, err := calendar.LoadLocation(z)
		if err != nil {
			b.Fatal(err)
		}
		next := c.Next(benchTick, loc)
		if !next.After(benchTick) {
			b.Fatalf("zone %s: next 09:30 is %v, not after the tick", z, next)
		}
		nexts[i] = next.Format(time.RFC3339)
	}
	others := w.n - benchDue
	yesterday := benchTick.Add(-24 * time.Hour)
	stmts := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO people (workspace_id, user_id, name, slack_tz, created_at, updated_at)
		  SELECT ?, 'UB' || lpad(i::text, 9, '0'), 'person-' || i, (?::text[])[1 + i % ?], ?, ?
		  FROM generate_series(1, ?) AS i`,
			[]any{team, benchArray(benchZones.other), len(benchZones.other), yesterday, yesterday, others}},
		{`INSERT INTO people (workspace_id, user_id, name, slack_tz, created_at, updated_at)
		  SELECT ?, u.id, 'due-' || u.k, (?::text[])[1 + (u.k - 1) % ?], ?, ?
		  FROM unnest(?::text[]) WITH ORDINALITY AS u(id, k)`,
			[]any{team, benchArray(benchZones.due), len(benchZones.due), yesterday, yesterday, benchArray(w.due)}},
		{`INSERT INTO schedules (id, workspace_id, key, title, cadence, anchor, created_at, updated_at)
		  SELECT j, ?, 'test:s' || j, 'Stand-up ' || j, ?, ?, ?, ?
		  FROM generate_series(1, ?) AS j`,
			[]any{team, benchCadence, calendar.DateOf(benchTick).AddDays(-30).String(), yesterday, yesterday, w.schedules()}},
		{`SELECT setval(pg_get_serial_sequence('schedules', 'id'), ?)`, []any{w.schedules()}},
		{`INSERT INTO schedule_targets (schedule_id, workspace_id, recipient, planned_to, next_at, created_at)
		  SELECT 1 + (u.k - 1) / ?, ?, u.id, ?, ?, ?
		  FROM unnest(?::text[]) WITH ORDINALITY AS u(id, k)`,
			[]any{benchTeam, team, yesterday, benchTick, yesterday, benchArray(w.due)}},
		{`INSERT INTO schedule_targets (schedule_id, workspace_id, recipient, planned_to, next_at, created_at)
		  SELECT ? + 1 + (i - 1) / ?, ?, 'UB' || lpad(i::text, 9, '0'), ?, (?::timestamptz[])[1 + i % ?], ?
		  FROM generate_series(1, ?) AS i`,
			[]any{benchDue / benchTeam, benchTeam, team, yesterday, benchArray(nexts), len(nexts), yesterday, others}},
		{`INSERT INTO occurrences (workspace_id, cadence_id, recipient, nominal_at, deliver_at, status, attempts,
		      sent_at, slack_channel, slack_ts, created_at, updated_at)
		  SELECT t.workspace_id, 'test:s' || t.schedule_id, t.recipient, p, p, 'delivered', 1,
		      p, 'D' || t.recipient, extract(epoch FROM p)::bigint || '.000100', p, p
		  FROM schedule_targets t, LATERAL (SELECT t.next_at - interval '1 day' AS p) AS prev`, nil},
		{`VACUUM ANALYZE people, schedules, schedule_targets, occurrences`, nil},
	}
	for _, s := range stmts {
		if err := w.raw.Exec(s.sql, s.args...).Error; err != nil {
			b.Fatalf("seed: %v\n%s", err, s.sql)
		}
	}
	if err := w.raw.Raw(`SELECT max(id) FROM occurrences`).Scan(&w.seedMax).Error; err != nil {
		b.Fatalf("seed: %v", err)
	}
}

// benchArray is a Postgres array literal of plain identifiers (zone names,
// Slack ids, RFC 3339 instants: nothing to quote).
func benchArray(xs []string) string { return "{" + strings.Join(xs, ",") + "}" }

// reset makes the same 1,000 targets due at benchTick again and removes
// what the last tick planned, so every tick does the same work.
func (w *benchWorld) reset(b *testing.B) {
	b.Helper()
	if err := w.raw.Exec(`DELETE FROM occurrences WHERE id > ?`, w.seedMax).Error; err != nil {
		b.Fatalf("reset occurrences: %v", err)
	}
	err := w.raw.Exec(`UPDATE schedule_targets SET next_at = ?, planned_to = ? WHERE schedule_id <= ?`,
		benchTick, benchTick.Add(-24*time.Hour), benchDue/benchTeam).Error
	if err != nil {
		b.Fatalf("reset targets: %v", err)
	}
}

// simClients sends through the Slack emulator over HTTP, with bot's
// Transport (pacing in Redis) at rates that never wait.
func (w *benchWorld) simClients(b *testing.B) ClientFunc {
	fast := bot.Rate{Limit: 1_000_000, Per: time.Minute, Burst: 1_000_000}
	transport := bot.NewTransport(bot.TransportConfig{
		Store: kvtest.New(b), Logger: benchLogger(b), TeamID: team, Backoff: 10 * time.Millisecond,
		Rates:        map[string]bot.Rate{"chat.postMessage": fast, "conversations.history": fast, "conversations.open": fast, "users.info": fast},
		ChannelRates: map[string]bot.Rate{"chat.postMessage": fast},
	})
	api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(w.sim.APIURL()), slack.OptionHTTPClient(transport))
	return func(context.Context, string) (Slack, error) { return api, nil }
}

// benchTick runs one engine tick at benchTick per iteration: plan,
// claim, decide and deliver the 1,000.
func (w *benchWorld) benchTick(b *testing.B, clients ClientFunc) {
	w.measure(b, clients, func(e *Engine) { w.tick(b, e, benchDue) }, nil)
}

// benchPlan times only the planning rounds of a tick, the part that does
// what a cron's wakeup does: find what is due, compute each one's instant
// in its zone, and record it (as occurrences, and the targets' next
// instants). The rest of the tick, delivering, runs outside the timer.
func (w *benchWorld) benchPlan(b *testing.B, clients ClientFunc) {
	ctx := context.Background()
	w.measure(b, clients, func(e *Engine) {
		planned := 0
		for {
			handled, n, _, err := e.plan(ctx, benchTick)
			if err != nil {
				b.Fatalf("plan: %v", err)
			}
			planned += n
			if handled < e.batch {
				break
			}
		}
		if planned != benchDue {
			b.Fatalf("planned %d, want %d", planned, benchDue)
		}
	}, func(e *Engine) { w.tick(b, e, 0) })
}

// tick runs a tick at benchTick and checks that it planned planned and
// delivered the 1,000 in 1,000 messages.
func (w *benchWorld) tick(b *testing.B, e *Engine, planned int) {
	st, err := e.Tick(context.Background(), benchTick)
	if err != nil {
		b.Fatalf("tick: %v", err)
	}
	if st.Planned != planned || st.Delivered != benchDue || st.Messages != benchDue {
		b.Fatalf("tick = %+v, want %d planned and %d delivered and sent", st, planned, benchDue)
	}
}

// measure runs timed once per iteration, with a new engine, and untimed
// (when set) after it. Outside the timer it resets the due targets and
// reads the CPU time of this process (which includes the emulator when it
// is used) and of the engine's Postgres backends, reported per iteration
// as cpu-ms/tick and pg-cpu-ms/tick. heap-MB is the live heap of the whole
// process after the iterations and a GC.
func (w *benchWorld) measure(b *testing.B, clients ClientFunc, timed, untimed func(e *Engine)) {
	e, err := New(Config{DB: w.db, Clients: clients, Clock: w.clk, Logger: benchLogger(b), Metrics: NewMetrics(nil)})
	if err != nil {
		b.Fatal(err)
	}
	e.Register("test", ComposerFunc(testComposer))
	// Warm up: the first tick stores each person's DM channel and fills
	// the cadence cache and the connection pool, which later ticks reuse.
	w.reset(b)
	w.tick(b, e, benchDue)

	var goCPU, pgCPU time.Duration
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		w.reset(b)
		pg0 := w.backendCPU(b)
		go0 := processCPU()
		b.StartTimer()
		timed(e)
		b.StopTimer()
		goCPU += processCPU() - go0
		for pid, t := range w.backendCPU(b) {
			pgCPU += t - pg0[pid] // a backend opened meanwhile counts from 0
		}
		if untimed != nil {
			untimed(e)
		}
		b.StartTimer()
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(goCPU.Microseconds())/1e3/float64(b.N), "cpu-ms/tick")
	b.ReportMetric(float64(pgCPU.Microseconds())/1e3/float64(b.N), "pg-cpu-ms/tick")
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU returns the CPU time each Postgres backend of the engine's
// pool has used, from /proc/<pid>/schedstat: the benchmark's Postgres runs
// on this host. It fails on another host rather than report nothing.
func (w *benchWorld) backendCPU(b *testing.B) map[int]time.Duration {
	b.Helper()
	var pids []int
	if err := w.raw.Raw(`SELECT pid FROM pg_stat_activity WHERE application_name = ?`, w.appName).Scan(&pids).Error; err != nil {
		b.Fatalf("backends: %v", err)
	}
	out := make(map[int]time.Duration, len(pids))
	for _, pid := range pids {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
		if err != nil {
			b.Fatalf("CPU time of Postgres backend %d (is Postgres on this host?): %v", pid, err)
		}
		ns, err := strconv.ParseInt(strings.Fields(string(raw))[0], 10, 64)
		if err != nil {
			b.Fatalf("schedstat of %d: %v", pid, err)
		}
		out[pid] = time.Duration(ns)
	}
	return out
}

// benchStubSlack answers every call at once: the tick without the cost of
// HTTP, to show what planning, claiming and deciding cost alone.
type benchStubSlack struct {
	mu sync.Mutex
	ts int64
}

func (s *benchStubSlack) PostMessageContext(_ context.Context, channel string, _ ...slack.MsgOption) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ts++
	return "D" + channel, fmt.Sprintf("%d.%06d", benchTick.Unix(), s.ts%1_000_000), nil
}

func (s *benchStubSlack) GetConversationHistoryContext(context.Context, *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error) {
	return &slack.GetConversationHistoryResponse{}, nil
}

func (s *benchStubSlack) GetConversationRepliesContext(context.Context, *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error) {
	return nil, false, "", nil
}

func (s *benchStubSlack) OpenConversationContext(_ context.Context, p *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error) {
	ch := &slack.Channel{}
	ch.ID = "D" + strings.Join(p.Users, "")
	return ch, false, false, nil
}

func (s *benchStubSlack) GetUserInfoContext(context.Context, string, ...slack.GetUserInfoOption) (*slack.User, error) {
	return nil, fmt.Errorf("the benchmark's people all have profiles")
}

// benchCron registers one robfig/cron entry per person, as
// "CRON_TZ=<zone> 30 9 * * 1-5" in the person's zone (or, with shared, one
// parsed schedule per zone that every entry of the zone points to: the
// cheapest way to hold per-person entries), and reports:
//
//   - register-ms: AddFunc for the n entries;
//   - start-ms: what Start does before the first wakeup, each entry's
//     Next and a sort;
//   - heap-MB: the live heap the cron holds (after GC, minus before);
//   - ns/op and cpu-ms/min: one minute of firing, the one at benchTick in
//     which the same 1,000 people as the engine's are due.
//
// robfig/cron has no injectable clock, so the minute of firing replays
// what its run loop (cron.go, run) does at that wakeup, on the same
// entries and with the same calls: for each entry, in order, whose Next
// has come, start its job in a goroutine (startJob), log "run", set Prev
// and Next = Schedule.Next(now); then sort all the entries (sort.Sort over
// byTime, copied below) and arm the timer for the first one. It is one
// wakeup because all 1,000 fall on the same instant and nobody else fires
// in that minute. Between iterations the entries are put back as they
// were before the wakeup, outside the timer.
func benchCron(b *testing.B, n int, shared bool) {
	var fired sync.WaitGroup
	var mu sync.Mutex
	var firedN int64
	var lastID string
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	// The ids are part of what the cron holds: each job must know whom
	// to DM.
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("U%09d", i)
	}
	start := time.Now()
	c := cron.New(cron.WithLocation(time.UTC))
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	perZone := map[string]cron.Schedule{}
	for i := range n {
		zone, id := benchZone(i), ids[i]
		job := func() {
			mu.Lock()
			firedN++
			lastID = id
			mu.Unlock()
		}
		if !shared {
			if _, err := c.AddFunc("CRON_TZ="+zone+" "+benchSpec, job); err != nil {
				b.Fatal(err)
			}
			continue
		}
		s, ok := perZone[zone]
		if !ok {
			parsed, err := parser.Parse("CRON_TZ=" + zone + " " + benchSpec)
			if err != nil {
				b.Fatal(err)
			}
			s, perZone[zone] = parsed, parsed
		}
		c.Schedule(s, cron.FuncJob(job))
	}
	register := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)

	// The run loop's entries: c.entries is unexported, so rebuild it, one
	// allocation per entry as AddFunc makes them.
	snap := c.Entries()
	entries := make([]*cron.Entry, len(snap))
	for i := range snap {
		e := snap[i]
		entries[i] = &e
	}
	runtime.KeepAlive(c)

	// What Start does: every entry's Next from now (just before the
	// minute), then the loop's first sort.
	t0 := time.Now()
	now := benchTick.Add(-30 * time.Second)
	for _, e := range entries {
		e.Next = e.Schedule.Next(now)
	}
	sort.Sort(benchByTime(entries))
	startDur := time.Since(t0)
	initial := slices.Clone(entries)
	due := 0
	for _, e := range entries {
		if e.Next.Equal(benchTick) {
			due++
		}
	}
	if due != benchDue {
		b.Fatalf("%d entries fire at %v, want %d", due, benchTick, benchDue)
	}

	log := cron.DefaultLogger
	var cpu time.Duration
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		copy(entries, initial)
		for _, e := range entries[:benchDue] {
			e.Next, e.Prev = benchTick, time.Time{}
		}
		cpu0 := processCPU()
		b.StartTimer()

		now := benchTick
		log.Info("wake", "now", now)
		for _, e := range entries {
			if e.Next.After(now) || e.Next.IsZero() {
				break
			}
			job := e.WrappedJob
			fired.Add(1)
			go func() {
				defer fired.Done()
				job.Run()
			}()
			e.Prev = e.Next
			e.Next = e.Schedule.Next(now)
			log.Info("run", "now", now, "entry", e.ID, "next", e.Next)
		}
		sort.Sort(benchByTime(entries))
		timer := time.NewTimer(entries[0].Next.Sub(now))
		timer.Stop()
		fired.Wait()

		b.StopTimer()
		cpu += processCPU() - cpu0
		b.StartTimer()
	}
	b.StopTimer()
	if want := int64(benchDue * b.N); firedN != want || lastID == "" {
		b.Fatalf("%d jobs ran, want %d", firedN, want)
	}
	runtime.KeepAlive(entries)
	runtime.KeepAlive(initial)
	b.ReportMetric(float64(register.Microseconds())/1e3, "register-ms")
	b.ReportMetric(float64(startDur.Microseconds())/1e3, "start-ms")
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
	b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms/min")
}

// benchByTime is robfig/cron's byTime (cron.go): entries by Next, zero
// times last.
type benchByTime []*cron.Entry

func (s benchByTime) Len() int      { return len(s) }
func (s benchByTime) Swap(i, j int) { s[i], s[j] = s[j], s[i] }
func (s benchByTime) Less(i, j int) bool {
	if s[i].Next.IsZero() {
		return false
	}
	if s[j].Next.IsZero() {
		return true
	}
	return s[i].Next.Before(s[j].Next)
}
