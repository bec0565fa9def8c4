package checkins_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/jobs/checkins"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/kv/kvtest"
	"github.com/trellis-bot/trellis/models"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// benchCap is the emulator's workspace message cap, in messages per (real)
// minute: its default, which the Transports pace to with WindowRate.
const benchCap = 600

// benchChannelPerSecond is Slack's (and the emulator's) per-channel pace of
// chat.postMessage: about one message a second. Every post of the
// check-in goes to its one channel, so it bounds the thread too.
const benchChannelPerSecond = 1

const benchTeam = slacksim.DefaultTeamID

// benchZoneNames are the 40 IANA zones the participants live in, 125 each
// by default. Their offsets on Monday 23 November 2026 run from UTC−5
// (New York) to UTC+10 (Brisbane), 24 distinct ones, half and
// three-quarter hours included, so the 09:30 prompts come due at 24
// instants over 15 hours. The span is kept under 24h − the round length
// (8h): the round opened by the first prompt must close before the
// earliest zone's next 09:30 (Tuesday's), or a second round would start
// within the simulated day. The benchmark checks that.
var benchZoneNames = []string{
	"America/New_York", "America/Bogota", "America/Lima", "America/Panama",
	"America/Halifax", "America/Caracas", "America/La_Paz", "America/Puerto_Rico",
	"America/St_Johns", "America/Sao_Paulo", "America/Argentina/Buenos_Aires", "America/Montevideo",
	"America/Noronha", "Atlantic/South_Georgia", "Atlantic/Azores", "Atlantic/Cape_Verde",
	"Europe/London", "Africa/Abidjan", "Europe/Paris", "Africa/Lagos",
	"Europe/Athens", "Africa/Johannesburg", "Europe/Moscow", "Africa/Nairobi",
	"Asia/Tehran", "Asia/Dubai", "Asia/Kabul", "Asia/Karachi",
	"Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Yangon",
	"Asia/Bangkok", "Asia/Jakarta", "Asia/Singapore", "Australia/Perth",
	"Australia/Eucla", "Asia/Tokyo", "Australia/Darwin", "Australia/Brisbane",
}

// BenchmarkCheckin runs one check-in for a simulated weekday at scale: a
// daily stand-up ("weekdays at 09:30", no reminders, answers in the
// round's thread) asking 5,000 chosen people in 40 time zones (125 each,
// default working hours), with 3 replicas — each an engine and a check-in
// Service with its own database pool, Transport and Slack client — on one
// Postgres, one Redis and one Slack emulator at its default cap of 600
// messages a minute. Every Transport paces chat.postMessage with
// bot.WindowRate(600, time.Minute) through the shared Redis, as
// BenchmarkDelivery in jobs/engine does.
//
// The day: the simulated clock flows with real time (clock.NewSim), as in
// BenchmarkDelivery, so leases, the Transports' pacing and the emulator's
// limits all see the same seconds. Replicas tick back to back with the
// clock's now. Between instants with work the clock jumps — to the next
// zone's 09:30, a post's retry, the round's close — but only when nothing
// is in flight: no occurrence claimed or due, no check-in post claimed or
// due, no round due to close. A jump never lands inside a lease, so it
// cannot make a replica take over a send another replica is pacing for
// (the race engine.RunUntil's jumps would run against Slack's real-time
// pacing). The answers (1,000 by default, 25 per zone, one in ten
// "blocked" with nobody named) are given through Service.Submit on the
// replicas in turn, and each answer's post is sent with DeliverPost in the
// background, as the answer handler does after its ack; a zone's answers
// come in when the clock moves on to the next zone's 09:30, so they are
// posted while that zone's prompts go out. After the last zone the run
// goes to the round's close and ends when its summary is posted.
//
// It reports (b.ReportMetric and a b.Log summary): prompts delivered
// (exactly one bot DM per participant, checked in the emulator), answer
// posts, the thread's header and the summary (each once, in the thread),
// duplicates, chat.postMessage calls answered 429 (in DMs and in the
// channel), the wall time from the first post to the last against the
// rate-limit bound — the workspace cap (all messages / 600 a minute) and
// the channel's pace (its posts at about one a second), whichever is
// longer — the rate achieved, lease takeovers and post retries, and
// memory.
//
// Memory: the replicas, the emulator (with its 5,000 people and every
// message it stores) and the benchmark share one process, so heap
// figures are the process's. It reports the heap after a GC before
// anything starts, after the emulator is up with its people, and after
// the replicas are created (idle), and samples the heap every 250ms during
// the run: the peak live heap (runtime/metrics /gc/heap/live:bytes, what
// the last GC found reachable) and the peak HeapInuse (which also counts
// garbage not yet collected). It also splits the heap profile
// (runtime.MemProfile at a 16 KiB sampling rate, scaled as pprof does) by
// who allocated: the emulator (its package and Go's HTTP server), the
// replicas (engine, check-ins, models, gorm/pgx, go-redis, slack-go,
// Transport, HTTP client) and the rest (the benchmark's own polling and
// checks, the runtime). "replica-inuse-MB/replica" and
// "replica-alloc-MB/replica" are the replicas' bytes in use at the end of
// the run and allocated during it, divided by the number of replicas — an
// average, as the replicas run the same code in one address space (their
// peak working set is bounded by the process's peak live heap less the
// emulator's and the benchmark's share, also logged); "emulator-MB" is the
// emulator's in-use heap at the end: its state (people, conversations,
// every message, the call log), which only grows during the run.
//
// Sending at the cap takes real time — the channel's one post a second
// bounds the default day's 1,002 thread posts at 17 minutes, and a run
// took 24 — so it runs only with BENCH_CHECKIN=1 and TEST_DATABASE_URL (a
// Postgres) set; TEST_REDIS_URL picks the Redis (an embedded one
// otherwise). `go test ./...` never runs benchmarks anyway:
//
//	BENCH_CHECKIN=1 TEST_DATABASE_URL='postgres://...' TEST_REDIS_URL=redis://127.0.0.1:6379/1 \
//	  go test -run '^$' -bench BenchmarkCheckin -benchtime 1x -timeout 60m ./jobs/checkins/
//
// BENCH_PEOPLE (default 5000), BENCH_ANSWERS (default 1000) and
// BENCH_REPLICAS (default 3) change the scale; BENCH_PEOPLE=400
// BENCH_ANSWERS=80 runs in about two minutes.
func BenchmarkCheckin(b *testing.B) {
	if os.Getenv("BENCH_CHECKIN") != "1" || os.Getenv(modelstest.EnvURL) == "" {
		b.Skip("takes ~25 minutes of real time; run with BENCH_CHECKIN=1 and " + modelstest.EnvURL + " (and TEST_REDIS_URL): " +
			"BENCH_CHECKIN=1 go test -run '^$' -bench BenchmarkCheckin -benchtime 1x -timeout 60m ./jobs/checkins/")
	}
	n := benchEnvInt(b, "BENCH_PEOPLE", 5000)
	answers := benchEnvInt(b, "BENCH_ANSWERS", 1000)
	replicas := benchEnvInt(b, "BENCH_REPLICAS", 3)
	if answers > n {
		b.Fatalf("BENCH_ANSWERS=%d is more than BENCH_PEOPLE=%d", answers, n)
	}
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 16 << 10
	defer func() { runtime.MemProfileRate = old }()
	for range b.N {
		b.StopTimer()
		r := benchNewRun(b, n, answers, replicas)
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

// benchRun is one simulated day.
type benchRun struct {
	b        *testing.B
	n        int
	answers  int
	clk      *clock.Sim
	ctl      *slacksim.Control
	setup    *models.DB // the benchmark's own pool: seeding, reading
	probe    *benchProbe
	engines  []*engine.Engine
	svcs     []*checkins.Service
	metrics  []*engine.Metrics
	warnings *benchWarnings
	people   []slacksim.Person
	zones    []benchZone
	channel  string
	checkin  checkinmodels.Checkin

	// figures gathered on the way
	heapBefore, heapEmulator, heapReplicas uint64
	mem                                    *benchMemSampler
	profStart                              benchProfile
	submitted                              atomic.Int64
	submitErrs                             atomic.Int64
	tickErrs                               atomic.Int64
	ticks                                  atomic.Int64
	stats                                  engine.Stats
	took                                   time.Duration
	jumps                                  int
	done                                   []bool // by person: answered (the driver's own)
	seedTook, createTook                   time.Duration
}

func (r *benchRun) log(level slog.Level, msg string, args ...any) {
	slog.New(&benchLogHandler{w: r.warnings}).Log(context.Background(), level, msg, args...)
}

type benchZone struct {
	name   string
	loc    *time.Location
	prompt time.Time // 09:30 local on the day, in UTC
}

func benchNewRun(b *testing.B, n, answers, replicas int) *benchRun {
	b.Helper()
	ctx := context.Background()
	warnings := &benchWarnings{counts: map[string]int{}}
	// Warnings and errors only, counted by message with the first few kept
	// whole for the summary: at this volume debug lines would drown the
	// figures, and a warning (a 429, a lease lost, a post retried) is
	// what the run should not see. (Written out as they come, they would
	// also push the summary past the ten lines go test keeps of a
	// benchmark's log without -v.)
	log := slog.New(&benchLogHandler{w: warnings})

	// Monday 23 November 2026: the check-in is made on Sunday evening
	// (UTC), before the first zone's Monday 09:30 (Brisbane's, 23:30 UTC
	// on Sunday).
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	start := time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)
	r := &benchRun{b: b, n: n, answers: answers, warnings: warnings, done: make([]bool, n)}
	for _, name := range benchZoneNames {
		loc, err := time.LoadLocation(name)
		if err != nil {
			b.Fatalf("zone %s: %v", name, err)
		}
		r.zones = append(r.zones, benchZone{name: name, loc: loc,
			prompt: time.Date(day.Year(), day.Month(), day.Day(), 9, 30, 0, 0, loc).UTC()})
	}
	first, last := r.zones[0].prompt, r.zones[0].prompt
	for _, z := range r.zones {
		first, last = benchMinTime(first, z.prompt), benchMaxTime(last, z.prompt)
	}
	if !first.After(start) {
		b.Fatalf("the first prompt (%s) is not after the start (%s)", first, start)
	}
	if last.Sub(first)+checkinmodels.DefaultRoundLength >= 24*time.Hour {
		b.Fatalf("prompts span %s: with a round of %s a second round would start within the day", last.Sub(first), checkinmodels.DefaultRoundLength)
	}

	runtime.GC()
	r.heapBefore = benchLiveHeap()

	r.clk = clock.NewSim(start)
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
	r.probe = benchOpenProbe(b, url)
	if _, err := models.NewWorkspaces(setup).Ensure(ctx, benchTeam, "Bench"); err != nil {
		b.Fatalf("workspace: %v", err)
	}
	ch, err := r.ctl.CreateChannel(ctx, slacksim.NewChannel{Name: "standup"})
	if err != nil {
		b.Fatalf("channel: %v", err)
	}
	r.channel = ch.ID

	seedStart := time.Now()
	r.people = r.benchSeed(ctx)
	r.seedTook = time.Since(seedStart)
	runtime.GC()
	r.heapEmulator = benchLiveHeap()

	prefix := "trellis-bench-checkin:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	for i := range replicas {
		db, err := models.Open(ctx, log.With("replica", i), url, models.WithClock(r.clk))
		if err != nil {
			b.Fatalf("open db: %v", err)
		}
		b.Cleanup(func() { _ = db.Close() })
		// Each replica paces through its own Transport and Redis
		// connection; the shared prefix makes the workspace's message rate
		// one budget for all of them, and each channel's pace too.
		transport := bot.NewTransport(bot.TransportConfig{
			Store: kvtest.NewWithPrefix(b, prefix), Logger: log.With("replica", i), TeamID: benchTeam,
			Rates: map[string]bot.Rate{"chat.postMessage": bot.WindowRate(benchCap, time.Minute)},
		})
		api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(sim.APIURL()), slack.OptionHTTPClient(transport))
		m := engine.NewMetrics(nil)
		e, err := engine.New(engine.Config{
			DB:      db,
			Clients: func(context.Context, string) (engine.Slack, error) { return api, nil },
			Clock:   r.clk,
			Logger:  log.With("engine", i),
			Metrics: m,
		})
		if err != nil {
			b.Fatalf("engine: %v", err)
		}
		svc, err := checkins.New(checkins.Config{
			DB:        db,
			Engine:    e,
			Clients:   func(context.Context, string) (checkins.Slack, error) { return api, nil },
			BotUserID: func(context.Context, string) string { return slacksim.DefaultBotUserID },
			Clock:     r.clk,
			Logger:    log.With("checkins", i),
		})
		if err != nil {
			b.Fatalf("check-ins: %v", err)
		}
		if err := e.Register(checkins.Kind, svc.Composer()); err != nil {
			b.Fatalf("check-ins composer: %v", err)
		}
		if err := e.AddStepper(svc.Stepper()); err != nil {
			b.Fatalf("check-ins stepper: %v", err)
		}
		r.engines = append(r.engines, e)
		r.svcs = append(r.svcs, svc)
		r.metrics = append(r.metrics, m)
	}

	tpl, ok := checkinmodels.FindTemplate("standup")
	if !ok {
		b.Fatal("no stand-up template")
	}
	c := tpl.Checkin
	c.WorkspaceID, c.ChannelID, c.OwnerID = benchTeam, r.channel, r.people[0].ID
	c.Participants, c.Destination = checkinmodels.ParticipantsChosen, checkinmodels.DestinationThread
	c.Cadence, c.Reminders = "weekdays at 09:30", 0
	for _, p := range r.people {
		c.People = append(c.People, p.ID)
	}
	createStart := time.Now()
	if r.checkin, err = r.svcs[0].Create(ctx, c); err != nil {
		b.Fatalf("create check-in: %v", err)
	}
	if r.checkin.RoundLength != checkinmodels.DefaultRoundLength {
		b.Fatalf("round length %s, want %s", r.checkin.RoundLength, checkinmodels.DefaultRoundLength)
	}
	r.createTook = time.Since(createStart)

	runtime.GC()
	r.heapReplicas = benchLiveHeap()
	return r
}

// benchSeed adds the people to the emulator and the database, person i in
// zone i mod 40, a few at a time over the control API and the people
// store.
func (r *benchRun) benchSeed(ctx context.Context) []slacksim.Person {
	r.b.Helper()
	people := make([]slacksim.Person, r.n)
	store := models.NewPeople(r.setup)
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
				name, tz := fmt.Sprintf("p%05d", i), r.zones[i%len(r.zones)].name
				p, err := r.ctl.AddPerson(ctx, slacksim.NewPerson{Name: name, RealName: name, TZ: tz})
				if err == nil {
					_, err = store.SyncProfile(ctx, models.Person{WorkspaceID: benchTeam, UserID: p.ID, Name: name, SlackTZ: tz})
				}
				if err != nil {
					mu.Lock()
					if failed == nil {
						failed = fmt.Errorf("person %s: %w", name, err)
					}
					mu.Unlock()
					return
				}
				people[i] = p
			}
		})
	}
	wg.Wait()
	if failed != nil {
		r.b.Fatal(failed)
	}
	return people
}

// run drives the day: replicas tick back to back while the driver waits
// for quiet, hands in answers and moves the clock to the next instant
// with work, until the round's summary is posted.
func (r *benchRun) run() {
	r.b.Helper()
	ctx := context.Background()
	if err := r.ctl.ClearCalls(ctx); err != nil {
		r.b.Fatalf("clear calls: %v", err)
	}
	runtime.GC()
	r.profStart = benchReadProfile()
	r.mem = benchStartMemSampler(250 * time.Millisecond)
	defer r.mem.stop()

	// Twice what the limits need, plus slack for planning: past that the
	// run is stuck, not slow.
	msgs := r.n + r.answers + 2
	bound := max(time.Duration(msgs)*time.Minute/benchCap, time.Duration(r.answers+2)*time.Second/benchChannelPerSecond)
	limit := 2*bound + 10*time.Minute
	began := time.Now()

	var done atomic.Bool
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, e := range r.engines {
		wg.Go(func() { r.benchReplica(ctx, i, e, &done, &mu) })
	}
	var posting sync.WaitGroup
	defer func() {
		done.Store(true)
		wg.Wait()
		posting.Wait()
	}()

	// The answerers are the first `answers` people: person i lives in
	// zone i mod 40, so each zone has the same share of them.
	var round checkinmodels.Round
	submit := func(upTo time.Time) {
		for i := range r.answers {
			if r.answered(i) || r.zones[i%len(r.zones)].prompt.After(upTo) {
				continue
			}
			if round.ID == 0 {
				var err error
				if round, err = r.svcs[0].Store().LatestRound(ctx, benchTeam, r.checkin.ID); err != nil {
					r.b.Fatalf("round: %v", err)
				}
			}
			svc := r.svcs[i%len(r.svcs)]
			sub := checkinmodels.Submission{Answers: map[int]string{
				1: fmt.Sprintf("Finished task %d.", i),
				2: fmt.Sprintf("Working on task %d.", i+1),
				3: checkins.ValueNo,
			}}
			if i%10 == 0 {
				sub.Answers[3] = checkins.ValueYes
			}
			res, err := svc.Submit(ctx, r.checkin, round.ID, r.people[i].ID, sub, nil)
			r.markAnswered(i)
			if err != nil {
				r.submitErrs.Add(1)
				r.b.Errorf("submit %s: %v", r.people[i].ID, err)
				continue
			}
			r.submitted.Add(1)
			if res.Post.ID != 0 {
				// What the answer handler does after its ack.
				posting.Go(func() { svc.DeliverPost(context.Background(), res.Post) })
			}
		}
	}

	lastPrompt := r.zones[0].prompt
	for _, z := range r.zones {
		lastPrompt = benchMaxTime(lastPrompt, z.prompt)
	}
	for {
		if time.Since(began) > limit {
			r.b.Fatalf("after %s: stuck; %s", time.Since(began).Round(time.Second), r.probe.describe(ctx, r.clk.Now()))
		}
		r.waitQuiet(ctx, began, limit)
		now := r.clk.Now()
		if r.probe.summaryPosted(ctx) {
			break
		}
		promptsLeft := now.Before(lastPrompt)
		if !promptsLeft && r.unanswered(now) {
			// The last zones' answers come in before the round closes.
			submit(now)
			continue
		}
		next, ok := r.nextDue(ctx)
		if !ok {
			r.b.Fatalf("nothing more due and no summary posted: %s", r.probe.describe(ctx, now))
		}
		if next.After(now) {
			r.clk.Set(next)
			r.jumps++
		}
		if promptsLeft {
			// Whoever got their prompt before this instant answers now, while
			// the next zone's prompts go out.
			submit(now)
		}
	}
	r.took = time.Since(began)
	done.Store(true)
	wg.Wait()
	posting.Wait()
}

// benchReplica ticks one replica back to back with the clock's now until
// done, like the scheduler's minute ticks would if each took no time.
func (r *benchRun) benchReplica(ctx context.Context, i int, e *engine.Engine, done *atomic.Bool, mu *sync.Mutex) {
	for !done.Load() {
		st, err := e.Tick(ctx, r.clk.Now())
		r.ticks.Add(1)
		if err != nil {
			r.tickErrs.Add(1)
			r.log(slog.LevelError, fmt.Sprintf("replica %d: tick", i), "err", err)
		}
		mu.Lock()
		r.stats.Add(st)
		mu.Unlock()
		if st.Claimed == 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func (r *benchRun) answered(i int) bool { return r.done[i] }

func (r *benchRun) markAnswered(i int) { r.done[i] = true }

// unanswered reports whether an answerer whose prompt is out has not
// answered yet.
func (r *benchRun) unanswered(now time.Time) bool {
	for i := range r.answers {
		if !r.answered(i) && !r.zones[i%len(r.zones)].prompt.After(now) {
			return true
		}
	}
	return false
}

// nextDue is the earliest instant anything has work: a target's next
// prompt, an occurrence, a round closing, a post due (what the engine's
// RunUntil steps to).
func (r *benchRun) nextDue(ctx context.Context) (time.Time, bool) {
	r.b.Helper()
	at, ok, err := r.engines[0].Schedules().NextDue(ctx)
	if err != nil {
		r.b.Fatalf("next due: %v", err)
	}
	t, sok, err := r.svcs[0].NextDue(ctx)
	if err != nil {
		r.b.Fatalf("next due: %v", err)
	}
	if sok && (!ok || t.Before(at)) {
		at, ok = t, true
	}
	return at, ok
}

// waitQuiet waits until nothing is in flight or due: the only state in
// which the clock may jump without cutting a lease short.
func (r *benchRun) waitQuiet(ctx context.Context, began time.Time, limit time.Duration) {
	r.b.Helper()
	for {
		busy, err := r.probe.busy(ctx, r.clk.Now())
		if err != nil {
			r.b.Fatalf("probe: %v", err)
		}
		if busy == 0 {
			// Twice, a moment apart: a replica between two statements
			// (a post marked posted, the next not claimed yet) looks quiet
			// for an instant.
			time.Sleep(150 * time.Millisecond)
			if busy, err = r.probe.busy(ctx, r.clk.Now()); err == nil && busy == 0 {
				return
			}
		}
		if time.Since(began) > limit {
			r.b.Fatalf("after %s: still busy; %s", time.Since(began).Round(time.Second), r.probe.describe(ctx, r.clk.Now()))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// check reads the emulator's call log, every DM and the channel, reports
// the figures and holds them to the bar.
func (r *benchRun) check() {
	r.b.Helper()
	ctx := context.Background()
	memPeak := r.mem.stop()
	runtime.GC()
	profEnd := benchReadProfile()
	heapEnd := benchLiveHeap()

	calls, err := r.ctl.Calls(ctx, "")
	if err != nil {
		r.b.Fatalf("calls: %v", err)
	}
	var posts, ok, limitedDM, limitedChannel, otherLimited, replies, history int
	var first, last time.Time
	// Seconds of the run in which DMs went out, channel posts went out, and
	// both: whether prompts and thread posts overlapped or took turns.
	dmSecs, chSecs := map[int64]bool{}, map[int64]bool{}
	for _, c := range calls {
		switch c.Method {
		case "chat.postMessage":
		case "conversations.replies":
			replies++
			if c.Status == 429 {
				otherLimited++
			}
			continue
		case "conversations.history":
			history++
			if c.Status == 429 {
				otherLimited++
			}
			continue
		default:
			if c.Status == 429 {
				otherLimited++
			}
			continue
		}
		posts++
		if c.Status == 429 {
			if c.Channel == r.channel {
				limitedChannel++
			} else {
				limitedDM++
			}
			continue
		}
		if c.Status != 200 || !c.OK {
			continue
		}
		ok++
		if c.Channel == r.channel {
			chSecs[c.Time.Unix()] = true
		} else {
			dmSecs[c.Time.Unix()] = true
		}
		if first.IsZero() || c.Time.Before(first) {
			first = c.Time
		}
		if c.Time.After(last) {
			last = c.Time
		}
	}

	// Prompts: exactly one bot message in each participant's DM, no
	// occurrence id in two messages.
	dms := make(map[string]string, len(r.people))
	for _, p := range r.people {
		dms[p.ID] = p.DM
	}
	tally, err := r.ctl.TallyDMs(ctx, dms, func(m slacksim.Message) []string {
		var keys []string
		for _, id := range benchOccurrenceIDs(m) {
			keys = append(keys, strconv.FormatInt(id, 10))
		}
		return keys
	})
	if err != nil {
		r.b.Error(err)
	}
	prompts, dupes, missing := tally.Messages, tally.Duplicates, tally.Missing

	// The channel: one header at the top, every answer and the summary
	// once each in its thread.
	kinds, err := r.probe.postKinds(ctx)
	if err != nil {
		r.b.Fatalf("posts: %v", err)
	}
	chMsgs, err := r.ctl.Messages(ctx, r.channel, "")
	if err != nil {
		r.b.Fatalf("channel messages: %v", err)
	}
	var headers, answerMsgs, summaries, strays, outside int
	var headerTS, summaryText string
	byPart := map[string]int{}
	answerers := map[string]int{}
	var botMsgs, packedMsgs int
	for _, m := range chMsgs {
		if m.BotID == "" {
			continue
		}
		botMsgs++
		if ids := benchPackedRefs(m); len(ids) > 0 {
			// Several answers in one message: each counts once.
			packedMsgs++
			for _, id := range ids {
				p, known := kinds[id]
				if !known || p.kind != string(checkinmodels.PostAnswer) {
					strays++
					continue
				}
				byPart[id+":0"]++
				answerMsgs++
				answerers[p.user]++
			}
			continue
		}
		id, part := benchPostRef(m)
		p, known := kinds[id]
		if !known {
			strays++
			continue
		}
		byPart[id+":"+part]++
		switch p.kind {
		case string(checkinmodels.PostHeader):
			headers++
			headerTS = m.TS
		case string(checkinmodels.PostAnswer):
			answerMsgs++
			answerers[p.user]++
		case string(checkinmodels.PostSummary):
			summaries++
			summaryText = m.Text
		}
	}
	for _, m := range chMsgs {
		if id, _ := benchPostRef(m); m.BotID != "" && kinds[id].kind != string(checkinmodels.PostHeader) && (headerTS == "" || m.ThreadTS != headerTS) {
			outside++
		}
	}
	var postDupes int
	for _, c := range byPart {
		if c > 1 {
			postDupes += c - 1
		}
	}
	var answerDupes, answerMissing int
	for i := range r.answers {
		switch c := answerers[r.people[i].ID]; {
		case c == 0:
			answerMissing++
		case c > 1:
			answerDupes += c - 1
		}
	}

	st, err := r.probe.stats(ctx)
	if err != nil {
		r.b.Fatalf("stats: %v", err)
	}
	var expiries, reconciled float64
	for _, m := range r.metrics {
		expiries += testutil.ToFloat64(m.LeaseExpiries)
		reconciled += testutil.ToFloat64(m.Reconciled.WithLabelValues("ambiguous")) + testutil.ToFloat64(m.Reconciled.WithLabelValues("takeover"))
	}

	span := last.Sub(first)
	rate := 0.0
	if ok > 1 && span > 0 {
		rate = float64(ok-1) / span.Minutes()
	}
	pct429 := 0.0
	if posts > 0 {
		pct429 = 100 * float64(limitedDM+limitedChannel) / float64(posts)
	}
	// One DM per person and the channel's messages (answers packed
	// several to a message when they queue up).
	want := r.n + botMsgs
	capBound := time.Duration(want) * time.Minute / benchCap
	chanBound := time.Duration(r.answers+2) * time.Second / benchChannelPerSecond
	bound := max(capBound, chanBound)

	// Memory.
	nrep := float64(len(r.engines))
	d := profEnd.sub(r.profStart)
	mb := func(v float64) float64 { return v / (1 << 20) }
	r.b.ReportMetric(float64(prompts), "prompts")
	r.b.ReportMetric(float64(answerMsgs), "answer-posts")
	r.b.ReportMetric(float64(botMsgs), "channel-msgs")
	r.b.ReportMetric(float64(len(chSecs)), "channel-s")
	r.b.ReportMetric(float64(summaries), "summaries")
	r.b.ReportMetric(float64(dupes+int64(postDupes)+int64(answerDupes)), "duplicates")
	r.b.ReportMetric(float64(limitedDM+limitedChannel), "429s")
	r.b.ReportMetric(rate, "msgs/min")
	r.b.ReportMetric(r.took.Seconds(), "wall-s")
	r.b.ReportMetric(span.Seconds(), "posting-s")
	r.b.ReportMetric(bound.Seconds(), "bound-s")
	r.b.ReportMetric(expiries, "takeovers")
	r.b.ReportMetric(float64(st.retried), "posts-retried")
	r.b.ReportMetric(mb(float64(memPeak.live)), "peak-live-MB")
	r.b.ReportMetric(mb(float64(memPeak.inuse)), "peak-inuse-MB")
	r.b.ReportMetric(mb(profEnd.inuse[benchClassEmulator]), "emulator-MB")
	r.b.ReportMetric(mb(profEnd.inuse[benchClassReplica])/nrep, "replica-inuse-MB/replica")
	r.b.ReportMetric(mb(d.alloc[benchClassReplica])/nrep, "replica-alloc-MB/replica")

	r.b.Logf("check-in day: %d participants in %d zones (%d prompt instants), %d answers, %d replicas; seeded in %s, check-in %d created in %s; run %s (%d clock jumps)",
		r.n, len(r.zones), r.instants(), r.answers, len(r.engines), r.seedTook.Round(time.Millisecond), r.checkin.ID, r.createTook.Round(time.Millisecond),
		r.took.Round(time.Second), r.jumps)
	r.b.Logf("prompts: %d bot DMs (want %d, one each): %d people without one, %d duplicates; occurrences %v",
		prompts, r.n, missing, dupes, st.occurrences)
	r.b.Logf("thread: %d header, %d answer posts (want %d; %d missing, %d duplicated) in %d messages (%d packed), %d summary (%.120q); %d post parts duplicated, %d unknown bot messages, %d outside the thread; rounds %d, asked %d, answered %d, closed %v",
		headers, answerMsgs, r.answers, answerMissing, answerDupes, botMsgs-headers-summaries, packedMsgs, summaries, summaryText, postDupes, strays, outside, st.rounds, st.asked, st.answered, st.closed)
	r.b.Logf("chat.postMessage: %d calls, %d ok (want %d), 429s: %d in DMs, %d in the channel (%.2f%%); other methods answered 429: %d; conversations.replies %d, conversations.history %d",
		posts, ok, want, limitedDM, limitedChannel, pct429, otherLimited, replies, history)
	both := 0
	for sec := range chSecs {
		if dmSecs[sec] {
			both++
		}
	}
	r.b.Logf("time: first to last post %s, %.1f msgs/min (%.1f%% of the %d cap); bound %s (workspace cap: %d messages / %d a minute = %s; channel: %d thread posts at ~%d/s = %s); whole run %s; "+
		"seconds with DMs sent %d, with channel posts %d, with both %d",
		span.Round(time.Second), rate, 100*rate/benchCap, benchCap, bound.Round(time.Second), want, benchCap, capBound.Round(time.Second),
		r.answers+2, benchChannelPerSecond, chanBound.Round(time.Second), r.took.Round(time.Second), len(dmSecs), len(chSecs), both)
	r.b.Logf("engine: %+v; lease takeovers %v, reconciled %v; check-in posts: %d, %d tried more than once (max attempts %d); submits %d ok, %d failed; ticks %d (all replicas), tick errors %d",
		r.stats, expiries, reconciled, st.posts, st.retried, st.maxAttempts, r.submitted.Load(), r.submitErrs.Load(), r.ticks.Load(), r.tickErrs.Load())
	r.b.Logf("warnings and errors logged: %s", r.warnings.String())
	r.b.Logf("heap (live after GC): %.1f MB before, %.1f MB with the emulator and %d people, %.1f MB with %d idle replicas, %.1f MB at the end; "+
		"during the run: peak live %.1f MB, peak HeapInuse %.1f MB, peak HeapAlloc %.1f MB (%d samples)",
		mb(float64(r.heapBefore)), mb(float64(r.heapEmulator)), r.n, mb(float64(r.heapReplicas)), len(r.engines), mb(float64(heapEnd)),
		mb(float64(memPeak.live)), mb(float64(memPeak.inuse)), mb(float64(memPeak.alloc)), memPeak.samples)
	r.b.Logf("heap profile by allocator: in use at the end — emulator %.1f MB, replicas %.1f MB (%.1f MB each), other %.1f MB; "+
		"allocated during the run — emulator %.0f MB, replicas %.0f MB (%.0f MB each, %.1f KB per message sent, %.1f KB per tick), other %.0f MB",
		mb(profEnd.inuse[benchClassEmulator]), mb(profEnd.inuse[benchClassReplica]), mb(profEnd.inuse[benchClassReplica])/nrep, mb(profEnd.inuse[benchClassOther]),
		mb(d.alloc[benchClassEmulator]), mb(d.alloc[benchClassReplica]), mb(d.alloc[benchClassReplica])/nrep,
		d.alloc[benchClassReplica]/1024/math.Max(1, float64(ok)), d.alloc[benchClassReplica]/1024/math.Max(1, float64(r.ticks.Load())), mb(d.alloc[benchClassOther]))

	if prompts != int64(r.n) || missing != 0 {
		r.b.Errorf("%d prompts, %d people without one; want exactly one each for %d people", prompts, missing, r.n)
	}
	if headers != 1 || summaries != 1 || answerMsgs != r.answers || answerMissing != 0 || outside != 0 || strays != 0 {
		r.b.Errorf("thread: %d headers, %d summaries, %d answer posts (%d missing), %d outside the thread, %d unknown; want 1, 1, %d (0), 0, 0",
			headers, summaries, answerMsgs, answerMissing, outside, strays, r.answers)
	}
	if n := dupes + int64(postDupes) + int64(answerDupes); n != 0 {
		r.b.Errorf("%d duplicates, want none", n)
	}
	if ok != want {
		r.b.Errorf("%d successful posts, want %d", ok, want)
	}
	if st.asked != r.n || st.answered != r.answers || st.rounds != 1 {
		r.b.Errorf("rounds %d, asked %d, answered %d; want 1, %d, %d", st.rounds, st.asked, st.answered, r.n, r.answers)
	}
	if r.tickErrs.Load() > 0 || r.submitErrs.Load() > 0 {
		r.b.Errorf("%d tick errors, %d submit errors", r.tickErrs.Load(), r.submitErrs.Load())
	}
}

func (r *benchRun) instants() int {
	seen := map[time.Time]bool{}
	for _, z := range r.zones {
		seen[z.prompt] = true
	}
	return len(seen)
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

// benchPostRef reads the check-in post id and part a channel message's
// metadata carries ("trellis_checkin_post").
func benchPostRef(m slacksim.Message) (id, part string) {
	if m.Metadata == nil || m.Metadata.EventType != "trellis_checkin_post" {
		return "", ""
	}
	var p struct {
		PostID string `json:"post_id"`
		Part   string `json:"part"`
	}
	_ = json.Unmarshal(m.Metadata.EventPayload, &p)
	return p.PostID, p.Part
}

// benchPackedRefs are the answer posts a packed message carries, by its
// metadata's post_ids; nil for any other message.
func benchPackedRefs(m slacksim.Message) []string {
	if m.Metadata == nil || m.Metadata.EventType != "trellis_checkin_post" {
		return nil
	}
	var p struct {
		PostIDs string `json:"post_ids"`
	}
	_ = json.Unmarshal(m.Metadata.EventPayload, &p)
	if p.PostIDs == "" {
		return nil
	}
	return strings.Split(p.PostIDs, ",")
}

func benchMinTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func benchMaxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// benchProbe reads the tables directly, on its own pool, to tell when
// nothing is in flight and to count what happened.
type benchProbe struct{ db *gorm.DB }

func benchOpenProbe(b *testing.B, url string) *benchProbe {
	b.Helper()
	db, err := gorm.Open(postgres.Open(url), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		b.Fatalf("probe: %v", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		b.Fatalf("probe: %v", err)
	}
	sqlDB.SetMaxOpenConns(2)
	b.Cleanup(func() { _ = sqlDB.Close() })
	return &benchProbe{db: db}
}

// busy counts what is in flight or due at now: occurrences claimed or due,
// targets due, check-in posts claimed or due, rounds due to close.
func (p *benchProbe) busy(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := p.db.WithContext(ctx).Raw(`SELECT
		(SELECT count(*) FROM occurrences WHERE status = 'claimed' OR (status IN ('planned', 'deferred') AND deliver_at <= @now)) +
		(SELECT count(*) FROM schedule_targets WHERE next_at <= @now) +
		(SELECT count(*) FROM checkin_posts WHERE NOT posted AND (claim_until > @now OR next_attempt_at <= @now)) +
		(SELECT count(*) FROM checkin_rounds WHERE NOT closed AND closes_at <= @now)`,
		map[string]any{"now": now.UTC()}).Scan(&n).Error
	return n, err
}

func (p *benchProbe) summaryPosted(ctx context.Context) bool {
	var n int64
	_ = p.db.WithContext(ctx).Raw(`SELECT count(*) FROM checkin_posts WHERE kind = 'summary' AND posted`).Scan(&n).Error
	return n > 0
}

func (p *benchProbe) describe(ctx context.Context, now time.Time) string {
	type row struct {
		Status string
		N      int64
	}
	var occ, posts []row
	_ = p.db.WithContext(ctx).Raw(`SELECT status, count(*) AS n FROM occurrences GROUP BY status`).Scan(&occ).Error
	_ = p.db.WithContext(ctx).Raw(`SELECT kind || CASE WHEN posted THEN ' posted' WHEN claim_until > @now THEN ' claimed' ELSE ' waiting' END AS status, count(*) AS n
		FROM checkin_posts GROUP BY 1`, map[string]any{"now": now.UTC()}).Scan(&posts).Error
	busy, _ := p.busy(ctx, now)
	return fmt.Sprintf("clock %s, busy %d, occurrences %v, posts %v", now.Format(time.RFC3339), busy, occ, posts)
}

type benchPostKind struct{ kind, user string }

func (p *benchProbe) postKinds(ctx context.Context) (map[string]benchPostKind, error) {
	var rows []struct {
		ID     int64
		Kind   string
		UserID string
	}
	if err := p.db.WithContext(ctx).Raw(`SELECT id, kind, user_id FROM checkin_posts`).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[string]benchPostKind{}
	for _, r := range rows {
		out[strconv.FormatInt(r.ID, 10)] = benchPostKind{kind: r.Kind, user: r.UserID}
	}
	return out, nil
}

type benchDBStats struct {
	occurrences                 map[string]int64
	posts, retried, maxAttempts int
	rounds, asked, answered     int
	closed                      bool
}

func (p *benchProbe) stats(ctx context.Context) (benchDBStats, error) {
	st := benchDBStats{occurrences: map[string]int64{}}
	var occ []struct {
		Status string
		N      int64
	}
	if err := p.db.WithContext(ctx).Raw(`SELECT status, count(*) AS n FROM occurrences GROUP BY status`).Scan(&occ).Error; err != nil {
		return st, err
	}
	for _, o := range occ {
		st.occurrences[o.Status] = o.N
	}
	var posts struct {
		N, Retried, MaxAttempts int
	}
	if err := p.db.WithContext(ctx).Raw(`SELECT count(*) AS n, count(*) FILTER (WHERE attempts > 1) AS retried, coalesce(max(attempts), 0) AS max_attempts FROM checkin_posts`).
		Scan(&posts).Error; err != nil {
		return st, err
	}
	st.posts, st.retried, st.maxAttempts = posts.N, posts.Retried, posts.MaxAttempts
	var rounds struct {
		N, Closed int
	}
	if err := p.db.WithContext(ctx).Raw(`SELECT count(*) AS n, count(*) FILTER (WHERE closed) AS closed FROM checkin_rounds`).Scan(&rounds).Error; err != nil {
		return st, err
	}
	st.rounds, st.closed = rounds.N, rounds.N > 0 && rounds.Closed == rounds.N
	var resp struct {
		Asked, Answered int
	}
	if err := p.db.WithContext(ctx).Raw(`SELECT count(*) AS asked, count(*) FILTER (WHERE status = 'answered') AS answered FROM checkin_responses`).
		Scan(&resp).Error; err != nil {
		return st, err
	}
	st.asked, st.answered = resp.Asked, resp.Answered
	return st, nil
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
	keys := make([]string, 0, len(w.counts))
	for k := range w.counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
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
	if len(h.w.examples) < 6 {
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

// benchLiveHeap is the heap the last GC found reachable.
func benchLiveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	return s[0].Value.Uint64()
}

// benchMemSampler samples the process heap until stopped.
type benchMemSampler struct {
	once sync.Once
	quit chan struct{}
	done chan struct{}
	peak benchMemPeak
}

type benchMemPeak struct {
	live, inuse, alloc uint64
	samples            int
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
			s.peak.live = max(s.peak.live, benchLiveHeap())
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

// Who allocated a heap profile record.
const (
	benchClassEmulator = iota
	benchClassReplica
	benchClassOther
	benchClasses
)

// benchProfile is the heap profile summed by class, scaled up from its
// samples as pprof does: bytes in use as of the last GC, and bytes
// allocated since the process started.
type benchProfile struct {
	inuse, alloc [benchClasses]float64
}

func (p benchProfile) sub(o benchProfile) benchProfile {
	for i := range p.inuse {
		p.inuse[i] -= o.inuse[i]
		p.alloc[i] -= o.alloc[i]
	}
	return p
}

func benchReadProfile() benchProfile {
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		recs = make([]runtime.MemProfileRecord, n+50)
		var ok bool
		n, ok = runtime.MemProfile(recs, true)
		if ok {
			recs = recs[:n]
			break
		}
	}
	rate := float64(runtime.MemProfileRate)
	scale := func(count, size int64) float64 {
		if count == 0 || size == 0 {
			return 0
		}
		if rate <= 1 {
			return float64(size)
		}
		avg := float64(size) / float64(count)
		return float64(size) / (1 - math.Exp(-avg/rate))
	}
	var out benchProfile
	names := map[uintptr]string{}
	for _, rec := range recs {
		c := benchClassify(rec.Stack(), names)
		out.inuse[c] += scale(rec.InUseObjects(), rec.InUseBytes())
		out.alloc[c] += scale(rec.AllocObjects, rec.AllocBytes)
	}
	return out
}

// benchClassify says whose a stack is: the benchmark's own polling and
// checks are "other" wherever they appear; otherwise the frame nearest
// the allocation that belongs to the emulator or to a replica decides.
func benchClassify(stack []uintptr, names map[uintptr]string) int {
	fn := func(pc uintptr) string {
		if s, ok := names[pc]; ok {
			return s
		}
		s := ""
		if f := runtime.FuncForPC(pc - 1); f != nil {
			s = f.Name()
		}
		names[pc] = s
		return s
	}
	for _, pc := range stack {
		name := fn(pc)
		if strings.Contains(name, "checkins_test.(*benchProbe)") || strings.Contains(name, "checkins_test.(*benchRun).benchSeed") ||
			strings.Contains(name, "checkins_test.(*benchRun).check") || strings.Contains(name, "slacksim.(*Control)") {
			return benchClassOther
		}
	}
	for _, pc := range stack {
		name := fn(pc)
		switch {
		case strings.Contains(name, "trellis/internal/slacksim."),
			strings.HasPrefix(name, "net/http.(*conn)"), strings.HasPrefix(name, "net/http.(*response)"),
			strings.HasPrefix(name, "net/http.(*chunkWriter)"), strings.HasPrefix(name, "net/http.serverHandler"),
			strings.HasPrefix(name, "net/http.(*Server)"):
			return benchClassEmulator
		case strings.Contains(name, "trellis/jobs/"), strings.Contains(name, "trellis/models."),
			strings.Contains(name, "trellis/bot."), strings.Contains(name, "trellis/kv."),
			strings.HasPrefix(name, "gorm.io/"), strings.HasPrefix(name, "github.com/jackc/"),
			strings.HasPrefix(name, "github.com/redis/"), strings.HasPrefix(name, "github.com/slack-go/"),
			strings.HasPrefix(name, "net/http.(*persistConn)"), strings.HasPrefix(name, "net/http.(*Transport)"),
			strings.Contains(name, "checkins_test.(*benchRun).benchReplica"):
			return benchClassReplica
		}
	}
	return benchClassOther
}
