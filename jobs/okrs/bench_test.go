package okrs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/jobs/engine"
	okrjobs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/kv/kvtest"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// benchCap is the emulator's workspace message cap, in messages per (real)
// minute: its default, which the Transports pace to with WindowRate, as in
// BenchmarkCheckin (jobs/checkins) and BenchmarkDelivery (jobs/engine).
const benchCap = 600

const benchTeam = slacksim.DefaultTeamID

// benchZoneNames are the zones the people live in, an equal share each:
// from UTC+13 (Auckland) to UTC−8 (Los Angeles) on Tuesday 24 November
// 2026, so the 10:00 nudges come due at eight instants over 21 hours.
var benchZoneNames = []string{
	"Pacific/Auckland", "Australia/Sydney", "Asia/Tokyo", "Asia/Kolkata",
	"Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
}

// The benchmark's calendar. The workspace cycle runs eight weeks from
// Monday 16 November 2026 (weekly nudges: okrs.ShortCycleMonths). The key
// results are set up on its first day, at benchCreated, more than a week
// before the earliest nudge (Auckland's 10:00 on Tuesday is 21:00 UTC on
// Monday), so none is fresh then. The schedules are synced on Wednesday
// (benchSynced), after every zone's Tuesday of the first week, so the
// first nudge of everyone is on Tuesday 24 November at 10:00 local. Half of
// the people update all their key results on Monday 23 November
// (benchUpdated), before any zone's nudge, and their nudge is skipped.
var (
	benchCycleStart = calendar.Date{Year: 2026, Month: time.November, Day: 16}
	benchCycleEnd   = calendar.Date{Year: 2027, Month: time.January, Day: 10}
	benchCreated    = time.Date(2026, 11, 16, 6, 0, 0, 0, time.UTC)
	benchSynced     = time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)
	benchUpdated    = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	benchDay        = calendar.Date{Year: 2026, Month: time.November, Day: 24}
)

// BenchmarkNudgeDay runs one OKR nudge day at scale: 10,000 people in
// eight zones, each owning one objective with three key results in one
// workspace cycle of eight weeks, their nudge schedules synced
// (Service.SyncPerson, timed), and half of them (every other person)
// having updated all three key results the day before. Replicas — each an
// engine with the OKR Service's composer and stepper, its own database
// pool, Transport and Slack client (3 by default, as BenchmarkCheckin) —
// share one Postgres, one Redis and one Slack emulator at its default cap
// of 600 messages a minute, every Transport pacing chat.postMessage with
// bot.WindowRate(600, time.Minute) through the shared Redis.
//
// The day: the simulated clock flows with real time, as in
// BenchmarkCheckin, so leases, the Transports' pacing and the emulator's
// limits see the same seconds; replicas tick back to back with the
// clock's now. Between the zones' 10:00 the clock jumps to the next
// instant with work (Schedules.NextDue, the OKR stepper's NextDue), but
// only when nothing is claimed or due, so a jump never cuts a lease
// short. The run ends when every person's occurrence of the day is
// settled.
//
// Every nudge once: each of the 5,000 people who did not update gets
// exactly one bot DM, and each of the 5,000 who did gets none; in the
// occurrences table each person has exactly one occurrence of the day, at
// 10:00 in their zone, delivered or skipped as they should be; no
// occurrence id is carried by two messages. It reports (b.ReportMetric
// and a b.Log summary) those counts and duplicates, chat.postMessage
// calls answered 429, the time from the first post to the last next to
// the rate-limit bound (the DMs sent / 600 a minute; the zones' sending
// is back to back, since the clock jumps between them) and the part of it
// within the zones' sending (the rest is the driver waiting for quiet
// before a jump), the whole run, the warnings logged (counted),
// the seeding and sync times, and memory: the replicas, the emulator and
// the benchmark share one process, so the heap figures are the process's
// (the peak HeapAlloc and HeapInuse sampled every 250ms during the run,
// and the live heap after a GC before the replicas and after the run);
// "alloc-MB/replica" is the bytes allocated during the run (TotalAlloc)
// divided by the replicas, an upper bound as it counts the emulator's and
// the benchmark's allocations too.
//
// Sending 5,000 DMs at the cap takes more than 8 minutes of real time,
// and seeding 10,000 people a few more, so it runs only with
// BENCH_OKR_NUDGES=1 and TEST_DATABASE_URL (a Postgres) set;
// TEST_REDIS_URL picks the Redis (an embedded one otherwise). `go test
// ./...` never runs benchmarks anyway:
//
//	BENCH_OKR_NUDGES=1 TEST_DATABASE_URL='postgres://...' TEST_REDIS_URL=redis://127.0.0.1:6379/1 \
//	  go test -run '^$' -bench BenchmarkNudgeDay -benchtime 1x -timeout 60m ./jobs/okrs/
//
// BENCH_PEOPLE (default 10000, even) and BENCH_REPLICAS (default 3)
// change the scale; BENCH_PEOPLE=800 runs in about two minutes.
func BenchmarkNudgeDay(b *testing.B) {
	if os.Getenv("BENCH_OKR_NUDGES") != "1" || os.Getenv(modelstest.EnvURL) == "" {
		b.Skip("takes ~20 minutes of real time; run with BENCH_OKR_NUDGES=1 and " + modelstest.EnvURL + " (and TEST_REDIS_URL): " +
			"BENCH_OKR_NUDGES=1 go test -run '^$' -bench BenchmarkNudgeDay -benchtime 1x -timeout 60m ./jobs/okrs/")
	}
	n := benchEnvInt(b, "BENCH_PEOPLE", 10_000)
	replicas := benchEnvInt(b, "BENCH_REPLICAS", 3)
	if n%2 != 0 {
		b.Fatalf("BENCH_PEOPLE=%d: want an even number (half of them update)", n)
	}
	for range b.N {
		b.StopTimer()
		r := benchNewRun(b, n, replicas)
		b.StartTimer()
		r.run()
		b.StopTimer()
		r.check()
	}
}

func benchEnvInt(b *testing.B, name string, def int) int {
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

// benchRun is one nudge day.
type benchRun struct {
	b        *testing.B
	n        int
	clk      *clock.Sim
	ctl      *slacksim.Control
	setup    *models.DB // the benchmark's own pool: seeding, reading
	engines  []*engine.Engine
	svcs     []*okrjobs.Service
	people   []slacksim.Person
	zones    []*time.Location
	krs      [][]int64 // by person: their key results
	warnings *benchWarnings
	dayStart time.Time // the earliest zone's midnight of benchDay
	dayEnd   time.Time // the latest zone's end of benchDay

	heapBefore, heapSeeded, heapReplicas uint64
	allocBefore                          uint64
	mem                                  *benchMemSampler
	ticks, tickErrs                      atomic.Int64
	stats                                engine.Stats
	took                                 time.Duration
	jumps                                int
	seedPeopleTook, seedOKRsTook         time.Duration
	syncTook, updateTook                 time.Duration
}

// updater reports whether person i updated all their key results before
// the day (every other person): their nudge is skipped.
func updater(i int) bool { return i%2 == 1 }

func benchNewRun(b *testing.B, n, replicas int) *benchRun {
	b.Helper()
	ctx := context.Background()
	// Warnings and errors only, counted by message with the first few kept
	// whole for the summary: at this volume debug lines would drown the
	// figures, and a warning (a 429, a lease lost, a slow query) is what
	// the run should not see. Written out as they come, they would push
	// the summary past the lines go test keeps of a benchmark's log.
	warnings := &benchWarnings{counts: map[string]int{}}
	log := slog.New(&benchLogHandler{w: warnings})

	r := &benchRun{b: b, n: n, krs: make([][]int64, n), warnings: warnings}
	for _, name := range benchZoneNames {
		loc, err := time.LoadLocation(name)
		if err != nil {
			b.Fatalf("zone %s: %v", name, err)
		}
		r.zones = append(r.zones, loc)
		start, end := benchDay.In(loc), benchDay.AddDays(1).In(loc)
		if r.dayStart.IsZero() || start.Before(r.dayStart) {
			r.dayStart = start
		}
		if end.After(r.dayEnd) {
			r.dayEnd = end
		}
		// Every zone's nudge comes after the updates and more than a week
		// after the key results were set up.
		if at := benchNudgeAt(loc); !at.After(benchUpdated) || at.Sub(benchCreated) <= 7*24*time.Hour {
			b.Fatalf("zone %s: nudge at %s is not after the updates (%s) and a week after the set-up (%s)", name, at, benchUpdated, benchCreated)
		}
	}

	runtime.GC()
	r.heapBefore = benchLiveHeap()

	r.clk = clock.NewSim(benchCreated)
	// The emulator's log stays quiet: with no app connected it warns of
	// every message event it cannot deliver.
	sim := slacksim.New(slacksim.Config{Clock: r.clk, RetryDelays: []time.Duration{}, MessageCapPerMinute: benchCap})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		b.Fatalf("start emulator: %v", err)
	}
	b.Cleanup(func() { _ = sim.Close() })
	r.ctl = slacksim.NewControl(sim.URL())

	url := modelstest.URL(b, models.DialectPostgres)
	setup, err := models.Open(ctx, log.With("db", "setup"), url, models.WithClock(r.clk))
	if err != nil {
		b.Fatalf("open db: %v", err)
	}
	b.Cleanup(func() { _ = setup.Close() })
	if err := setup.Migrate(ctx); err != nil {
		b.Fatalf("migrate: %v", err)
	}
	r.setup = setup
	if _, err := models.NewWorkspaces(setup).Ensure(ctx, benchTeam, "Bench"); err != nil {
		b.Fatalf("workspace: %v", err)
	}

	began := time.Now()
	r.people = r.seedPeople(ctx)
	r.seedPeopleTook = time.Since(began)

	prefix := "trellis-bench-okr:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	for i := range replicas {
		db, err := models.Open(ctx, log.With("replica", i), url, models.WithClock(r.clk))
		if err != nil {
			b.Fatalf("open db: %v", err)
		}
		b.Cleanup(func() { _ = db.Close() })
		// Each replica paces through its own Transport and Redis
		// connection; the shared prefix makes the workspace's message rate
		// one budget for all of them.
		transport := bot.NewTransport(bot.TransportConfig{
			Store: kvtest.NewWithPrefix(b, prefix), Logger: log.With("replica", i), TeamID: benchTeam,
			Rates: map[string]bot.Rate{"chat.postMessage": bot.WindowRate(benchCap, time.Minute)},
		})
		api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(sim.APIURL()), slack.OptionHTTPClient(transport))
		e, err := engine.New(engine.Config{
			DB:      db,
			Clients: func(context.Context, string) (engine.Slack, error) { return api, nil },
			Clock:   r.clk,
			Logger:  log.With("engine", i),
		})
		if err != nil {
			b.Fatalf("engine: %v", err)
		}
		svc, err := okrjobs.New(okrjobs.Config{DB: db, Engine: e, Clock: r.clk, Logger: log.With("okrs", i)})
		if err != nil {
			b.Fatalf("okrs: %v", err)
		}
		if err := e.Register(okrjobs.Kind, svc.Composer()); err != nil {
			b.Fatalf("okrs composer: %v", err)
		}
		if err := e.AddStepper(svc.Stepper()); err != nil {
			b.Fatalf("okrs stepper: %v", err)
		}
		r.engines = append(r.engines, e)
		r.svcs = append(r.svcs, svc)
	}

	began = time.Now()
	r.seedOKRs(ctx)
	r.seedOKRsTook = time.Since(began)

	r.clk.Set(benchSynced)
	began = time.Now()
	r.parallel(func(i int) error { return r.svcs[i%len(r.svcs)].SyncPerson(ctx, benchTeam, r.people[i].ID) })
	r.syncTook = time.Since(began)

	r.clk.Set(benchUpdated)
	began = time.Now()
	r.parallel(func(i int) error {
		if !updater(i) {
			return nil
		}
		ups := make([]okrs.Update, len(r.krs[i]))
		for j, kr := range r.krs[i] {
			ups[j] = okrs.Update{KeyResultID: kr, Value: float64(3 + j), Confidence: okrs.OnTrack}
		}
		svc := r.svcs[i%len(r.svcs)]
		// What the update form's handler does: store, then tell the service.
		out, err := svc.Store().AddUpdates(ctx, benchTeam, r.people[i].ID, false, ups, okrs.SourceForm, r.clk.Now())
		if err != nil {
			return err
		}
		_, err = svc.Updated(ctx, benchTeam, r.people[i].ID, out)
		return err
	})
	r.updateTook = time.Since(began)

	runtime.GC()
	r.heapReplicas = benchLiveHeap()
	return r
}

// benchNudgeAt is the nudge instant of the day in loc: 10:00 there.
func benchNudgeAt(loc *time.Location) time.Time {
	return time.Date(benchDay.Year, benchDay.Month, benchDay.Day, int(okrjobs.NudgeAt)/60, int(okrjobs.NudgeAt)%60, 0, 0, loc)
}

// parallel runs fn for every person, eight at a time, and fails the
// benchmark on the first error.
func (r *benchRun) parallel(fn func(i int) error) {
	r.b.Helper()
	var next atomic.Int64
	var mu sync.Mutex
	var failed error
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= r.n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if failed == nil {
						failed = fmt.Errorf("person %d: %w", i, err)
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if failed != nil {
		r.b.Fatal(failed)
	}
}

// seedPeople adds the people to the emulator and the database, person i
// in zone i mod 8, over the control API and the people store.
func (r *benchRun) seedPeople(ctx context.Context) []slacksim.Person {
	r.b.Helper()
	people := make([]slacksim.Person, r.n)
	store := models.NewPeople(r.setup)
	r.parallel(func(i int) error {
		name, tz := fmt.Sprintf("p%05d", i), benchZoneNames[i%len(benchZoneNames)]
		p, err := r.ctl.AddPerson(ctx, slacksim.NewPerson{Name: name, RealName: name, TZ: tz})
		if err != nil {
			return err
		}
		if _, err := store.SyncProfile(ctx, models.Person{WorkspaceID: benchTeam, UserID: p.ID, Name: name, SlackTZ: tz}); err != nil {
			return err
		}
		people[i] = p
		return nil
	})
	return people
}

// seedOKRs creates the workspace cycle and one objective per person, with
// three key results they own, through the OKR store (CreateObjective, one
// transaction each; the store serializes a workspace's objective writes).
func (r *benchRun) seedOKRs(ctx context.Context) {
	r.b.Helper()
	store := okrs.NewStore(r.setup)
	c, err := store.CreateCycle(ctx, benchTeam, okrs.Cycle{Name: "Q4 push", Start: benchCycleStart, End: benchCycleEnd}, r.people[0].ID)
	if err != nil {
		r.b.Fatalf("create cycle: %v", err)
	}
	if okrs.ShortCycleMonths < 2 {
		r.b.Fatalf("an 8-week cycle must be short (weekly nudges): ShortCycleMonths is %d", okrs.ShortCycleMonths)
	}
	r.parallel(func(i int) error {
		who := r.people[i].ID
		o := okrs.Objective{CycleID: c.ID, Title: fmt.Sprintf("Objective %d", i), Owner: who, Visibility: okrs.VisibleWorkspace}
		for j := range 3 {
			o.KeyResults = append(o.KeyResults, okrs.KeyResult{Title: fmt.Sprintf("Key result %d.%d", i, j+1), Owner: who,
				Kind: okrs.IncreaseTo, Start: 0, Target: 10})
		}
		out, err := store.CreateObjective(ctx, benchTeam, o, who)
		if err != nil {
			return err
		}
		for _, k := range out.KeyResults {
			r.krs[i] = append(r.krs[i], k.ID)
		}
		return nil
	})
}

// run drives the day: replicas tick back to back while the driver waits
// for quiet and moves the clock to the next instant with work, until
// every person's occurrence is settled.
func (r *benchRun) run() {
	r.b.Helper()
	ctx := context.Background()
	if err := r.ctl.ClearCalls(ctx); err != nil {
		r.b.Fatalf("clear calls: %v", err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.allocBefore = ms.TotalAlloc
	r.mem = benchStartMemSampler(250 * time.Millisecond)
	defer r.mem.stop()

	// Twice what the cap needs, plus slack for planning: past that the
	// run is stuck, not slow.
	limit := 2*time.Duration(r.n/2)*time.Minute/benchCap + 10*time.Minute
	began := time.Now()

	var done atomic.Bool
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, e := range r.engines {
		wg.Go(func() {
			for !done.Load() {
				st, err := e.Tick(ctx, r.clk.Now())
				r.ticks.Add(1)
				if err != nil {
					r.tickErrs.Add(1)
					r.b.Errorf("replica %d: tick: %v", i, err)
				}
				mu.Lock()
				r.stats.Add(st)
				mu.Unlock()
				if st.Claimed == 0 {
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	defer func() {
		done.Store(true)
		wg.Wait()
	}()

	occ := models.NewOccurrences(r.setup)
	for {
		if time.Since(began) > limit {
			r.b.Fatalf("after %s: stuck; %s", time.Since(began).Round(time.Second), r.describe(ctx))
		}
		counts, err := occ.CountByStatus(ctx, benchTeam)
		if err != nil {
			r.b.Fatalf("occurrences: %v", err)
		}
		if counts[models.OccurrenceDelivered]+counts[models.OccurrenceSkipped]+counts[models.OccurrenceSuperseded]+counts[models.OccurrenceMissed] >= r.n {
			break
		}
		if at, ok := r.quietUntil(ctx); ok {
			if at.After(r.dayEnd) {
				r.b.Fatalf("nothing more due on the day and not every occurrence settled: %s", r.describe(ctx))
			}
			r.clk.Set(at)
			r.jumps++
			continue
		}
		time.Sleep(250 * time.Millisecond)
	}
	r.took = time.Since(began)
}

// quietUntil reports the next instant with work when nothing is claimed or
// due now, twice a moment apart (a replica between two statements looks
// quiet for an instant): the only state in which the clock may jump
// without cutting a lease short.
func (r *benchRun) quietUntil(ctx context.Context) (time.Time, bool) {
	r.b.Helper()
	occ := models.NewOccurrences(r.setup)
	var at time.Time
	for k := range 2 {
		if k > 0 {
			time.Sleep(150 * time.Millisecond)
		}
		counts, err := occ.CountByStatus(ctx, benchTeam)
		if err != nil {
			r.b.Fatalf("occurrences: %v", err)
		}
		if counts[models.OccurrenceClaimed] > 0 {
			return time.Time{}, false
		}
		now := r.clk.Now()
		next, ok, err := r.engines[0].Schedules().NextDue(ctx)
		if err != nil {
			r.b.Fatalf("next due: %v", err)
		}
		for _, s := range r.svcs {
			t, sok, err := s.NextDue(ctx)
			if err != nil {
				r.b.Fatalf("next due: %v", err)
			}
			if sok && (!ok || t.Before(next)) {
				next, ok = t, true
			}
		}
		if !ok || !next.After(now) || (k > 0 && !next.Equal(at)) {
			return time.Time{}, false
		}
		at = next
	}
	return at, true
}

func (r *benchRun) describe(ctx context.Context) string {
	counts, _ := models.NewOccurrences(r.setup).CountByStatus(ctx, benchTeam)
	next, ok, _ := r.engines[0].Schedules().NextDue(ctx)
	return fmt.Sprintf("clock %s, occurrences %v, next due %s (%v)", r.clk.Now().Format(time.RFC3339), counts, next.Format(time.RFC3339), ok)
}

// check reads the emulator's call log, every DM and every person's
// occurrences, reports the figures and holds them to the bar.
func (r *benchRun) check() {
	r.b.Helper()
	ctx := context.Background()
	peak := r.mem.stop()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	allocRun := ms.TotalAlloc - r.allocBefore
	runtime.GC()
	heapEnd := benchLiveHeap()

	calls, err := r.ctl.Calls(ctx, "")
	if err != nil {
		r.b.Fatalf("calls: %v", err)
	}
	var posts, ok, limited, otherLimited int
	var first, last time.Time
	// Each zone's posts: the clock jumps between zones only when all is
	// quiet, so the gaps between them are the driver's, not the cap's.
	zoneOf := make(map[string]int, r.n)
	for i, p := range r.people {
		zoneOf[p.DM] = i % len(r.zones)
	}
	zoneFirst, zoneLast := make([]time.Time, len(r.zones)), make([]time.Time, len(r.zones))
	for _, c := range calls {
		if c.Method != "chat.postMessage" {
			if c.Status == 429 {
				otherLimited++
			}
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
		if z, known := zoneOf[c.Channel]; known {
			if zoneFirst[z].IsZero() || c.Time.Before(zoneFirst[z]) {
				zoneFirst[z] = c.Time
			}
			if c.Time.After(zoneLast[z]) {
				zoneLast[z] = c.Time
			}
		}
		if first.IsZero() || c.Time.Before(first) {
			first = c.Time
		}
		if c.Time.After(last) {
			last = c.Time
		}
	}

	// The emulator: one bot DM for each person nudged, none for those who
	// updated, no occurrence id in two messages.
	nudged, updated := map[string]string{}, map[string]string{}
	for i, p := range r.people {
		if updater(i) {
			updated[p.ID] = p.DM
		} else {
			nudged[p.ID] = p.DM
		}
	}
	keys := func(m slacksim.Message) []string {
		var ks []string
		for _, id := range benchOccurrenceIDs(m) {
			ks = append(ks, strconv.FormatInt(id, 10))
		}
		return ks
	}
	got, err := r.ctl.TallyDMs(ctx, nudged, keys)
	if err != nil {
		r.b.Error(err)
	}
	stray, err := r.ctl.TallyDMs(ctx, updated, keys)
	if err != nil {
		r.b.Error(err)
	}

	// The occurrences table: exactly one occurrence of the day per
	// person, at 10:00 in their zone, delivered for those nudged and
	// skipped for those who updated.
	var delivered, skipped, wrongStatus, wrongCount, wrongInstant atomic.Int64
	var reasonMu sync.Mutex
	reasons := map[string]int{}
	occ := models.NewOccurrences(r.setup)
	r.parallel(func(i int) error {
		list, err := occ.ForRecipient(ctx, benchTeam, r.people[i].ID, r.dayStart, 10)
		if err != nil {
			return err
		}
		var mine []models.Occurrence
		for _, o := range list {
			if o.NominalAt.Before(r.dayEnd) {
				mine = append(mine, o)
			}
		}
		if len(mine) != 1 {
			wrongCount.Add(1)
			return nil
		}
		o := mine[0]
		if !o.NominalAt.Equal(benchNudgeAt(r.zones[i%len(r.zones)])) {
			wrongInstant.Add(1)
		}
		switch {
		case o.Status == models.OccurrenceDelivered && !updater(i):
			delivered.Add(1)
		case o.Status == models.OccurrenceSkipped && updater(i):
			skipped.Add(1)
			reasonMu.Lock()
			reasons[o.Reason]++
			reasonMu.Unlock()
		default:
			wrongStatus.Add(1)
		}
		return nil
	})

	want := r.n / 2
	span := last.Sub(first)
	rate := 0.0
	if ok > 1 && span > 0 {
		rate = float64(ok-1) / span.Minutes()
	}
	bound := time.Duration(want) * time.Minute / benchCap
	var inZones time.Duration
	for z := range r.zones {
		inZones += zoneLast[z].Sub(zoneFirst[z])
	}
	nrep := float64(len(r.engines))
	mb := func(v uint64) float64 { return float64(v) / (1 << 20) }
	dupes := got.Duplicates + stray.Duplicates

	r.b.ReportMetric(float64(got.Messages), "nudges")
	r.b.ReportMetric(float64(skipped.Load()), "skipped")
	r.b.ReportMetric(float64(dupes), "duplicates")
	r.b.ReportMetric(float64(limited), "429s")
	r.b.ReportMetric(rate, "msgs/min")
	r.b.ReportMetric(span.Seconds(), "sending-s")
	r.b.ReportMetric(bound.Seconds(), "bound-s")
	r.b.ReportMetric(inZones.Seconds(), "in-zones-s")
	r.b.ReportMetric(r.took.Seconds(), "wall-s")
	r.b.ReportMetric(r.syncTook.Seconds(), "sync-s")
	r.b.ReportMetric(mb(peak.alloc), "peak-heap-MB")
	r.b.ReportMetric(mb(allocRun)/nrep, "alloc-MB/replica")

	r.b.Logf("OKR nudge day: %d people in %d zones, 3 key results each, %d replicas; seeded people in %s, objectives in %s; SyncPerson of %d people in %s (%.0f/s); %d people updated all key results in %s; run %s (%d clock jumps)",
		r.n, len(r.zones), len(r.engines), r.seedPeopleTook.Round(time.Millisecond), r.seedOKRsTook.Round(time.Millisecond),
		r.n, r.syncTook.Round(time.Millisecond), float64(r.n)/r.syncTook.Seconds(), r.n-want, r.updateTook.Round(time.Millisecond), r.took.Round(time.Second), r.jumps)
	r.b.Logf("nudges: %d bot DMs to the %d not updated (%d without one, %d duplicates), %d to the %d who updated; occurrences: %d delivered, %d skipped (%v), %d with the wrong status, %d people without exactly one, %d not at 10:00 local",
		got.Messages, want, got.Missing, got.Duplicates, stray.Messages, r.n-want, delivered.Load(), skipped.Load(), reasons, wrongStatus.Load(), wrongCount.Load(), wrongInstant.Load())
	r.b.Logf("time: first to last post %s, %.1f msgs/min (%.1f%% of the %d cap), of which within the %d zones' sending %s and between them %s; bound %d DMs / %d a minute = %s; chat.postMessage %d calls, %d ok, %d answered 429, other methods answered 429: %d; whole run %s",
		span.Round(time.Second), rate, 100*rate/benchCap, benchCap, len(r.zones), inZones.Round(time.Second), (span - inZones).Round(time.Second), want, benchCap, bound.Round(time.Second), posts, ok, limited, otherLimited, r.took.Round(time.Second))
	r.b.Logf("engine: %+v; ticks %d (all replicas), tick errors %d", r.stats, r.ticks.Load(), r.tickErrs.Load())
	r.b.Logf("warnings and errors logged: %s", r.warnings.String())
	r.b.Logf("heap (live after GC): %.1f MB before, %.1f MB seeded with %d idle replicas, %.1f MB at the end; during the run: peak HeapAlloc %.1f MB, peak HeapInuse %.1f MB (%d samples); allocated during the run %.0f MB (%.0f MB per replica, an upper bound; %.1f KB per person); one process holds the replicas, the emulator and the benchmark",
		mb(r.heapBefore), mb(r.heapReplicas), len(r.engines), mb(heapEnd), mb(peak.alloc), mb(peak.inuse), peak.samples,
		mb(allocRun), mb(allocRun)/nrep, float64(allocRun)/1024/float64(r.n))

	if got.Messages != int64(want) || got.Missing != 0 || stray.Messages != 0 {
		r.b.Errorf("%d nudges, %d people without one, %d to people who updated; want exactly one each for %d people and none for %d", got.Messages, got.Missing, stray.Messages, want, r.n-want)
	}
	if dupes != 0 {
		r.b.Errorf("%d duplicates, want none", dupes)
	}
	if delivered.Load() != int64(want) || skipped.Load() != int64(r.n-want) || wrongStatus.Load() != 0 || wrongCount.Load() != 0 || wrongInstant.Load() != 0 {
		r.b.Errorf("occurrences: %d delivered, %d skipped, %d wrong status, %d without exactly one, %d not at 10:00; want %d, %d, 0, 0, 0",
			delivered.Load(), skipped.Load(), wrongStatus.Load(), wrongCount.Load(), wrongInstant.Load(), want, r.n-want)
	}
	if ok != want {
		r.b.Errorf("%d successful posts, want %d", ok, want)
	}
	if r.tickErrs.Load() > 0 {
		r.b.Errorf("%d tick errors", r.tickErrs.Load())
	}
}

// benchOccurrenceIDs reads the occurrence ids an engine DM's metadata
// carries ("trellis_occurrence", occurrence_ids "1,2").
func benchOccurrenceIDs(m slacksim.Message) []int64 {
	if m.Metadata == nil || m.Metadata.EventType != "trellis_occurrence" {
		return nil
	}
	var p struct {
		IDs string `json:"occurrence_ids"`
	}
	_ = json.Unmarshal(m.Metadata.EventPayload, &p)
	var ids []int64
	for _, s := range strings.Split(p.IDs, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// benchWarnings counts the warnings and errors logged, by message, and
// keeps the first few whole.
type benchWarnings struct {
	mu       sync.Mutex
	counts   map[string]int
	examples []string
}

func (w *benchWarnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.counts) == 0 {
		return "none"
	}
	keys := slices.Sorted(maps.Keys(w.counts))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%q ×%d", k, w.counts[k])
	}
	return strings.Join(parts, ", ") + "; first ones: " + strings.Join(w.examples, " | ")
}

// benchLogHandler is the replicas' slog handler: it counts warnings and
// errors in a benchWarnings and drops everything else.
type benchLogHandler struct {
	w     *benchWarnings
	attrs string
}

func (h *benchLogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *benchLogHandler) Handle(_ context.Context, rec slog.Record) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s: %s%s", rec.Time.UTC().Format("15:04:05.000"), rec.Level, rec.Message, h.attrs)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&sb, " %s=%v", a.Key, a.Value)
		return true
	})
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	h.w.counts[rec.Level.String()+": "+rec.Message]++
	if len(h.w.examples) < 3 {
		h.w.examples = append(h.w.examples, sb.String())
	}
	return nil
}

func (h *benchLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := &benchLogHandler{w: h.w, attrs: h.attrs}
	for _, a := range attrs {
		out.attrs += fmt.Sprintf(" %s=%v", a.Key, a.Value)
	}
	return out
}

func (h *benchLogHandler) WithGroup(string) slog.Handler { return h }

// benchLiveHeap is the heap in use right after a GC.
func benchLiveHeap() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// benchMemSampler samples the process heap until stopped.
type benchMemSampler struct {
	once sync.Once
	quit chan struct{}
	done chan struct{}
	peak benchMemPeak
}

type benchMemPeak struct {
	inuse, alloc uint64
	samples      int
}

func benchStartMemSampler(every time.Duration) *benchMemSampler {
	s := &benchMemSampler{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			s.peak.inuse = max(s.peak.inuse, m.HeapInuse)
			s.peak.alloc = max(s.peak.alloc, m.HeapAlloc)
			s.peak.samples++
			select {
			case <-s.quit:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *benchMemSampler) stop() benchMemPeak {
	s.once.Do(func() { close(s.quit) })
	<-s.done
	return s.peak
}
