package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/handlers"
	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/slacksim/ui"
	"github.com/trellis-bot/trellis/jobs"
	"github.com/trellis-bot/trellis/jobs/checkins"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/kv"
	"github.com/trellis-bot/trellis/models"
)

// openDB opens the configured database: Postgres from DATABASE_URL, or the
// SQLite file in the data directory.
func openDB(ctx context.Context, log *slog.Logger, cfg Config, opts ...models.Option) (*models.DB, error) {
	url := cfg.DatabaseURL.Reveal()
	if url == "" {
		if err := prepareDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
		if err := createPrivateFile(cfg.sqlitePath()); err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
		url = cfg.sqlitePath()
	}
	db, err := models.Open(ctx, log, url, opts...)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// migrate is the `trellis migrate` verb.
func migrate(ctx context.Context, log *slog.Logger, cfg Config, args []string, out io.Writer) error {
	db, err := openDB(ctx, log, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if len(args) > 0 && args[0] == "status" {
		states, err := db.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, s := range states {
			applied := "pending"
			if s.Applied {
				applied = "applied " + s.AppliedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(out, "%4d  %-40s %s\n", s.Version, s.Name, applied)
		}
		return nil
	}
	if len(args) > 0 {
		return errUsage
	}
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "migrations applied")
	return nil
}

// encryptionKey is TRELLIS_ENCRYPTION_KEY, or in the sandbox a key generated
// once and kept in the data directory.
func encryptionKey(cfg Config) ([]byte, error) {
	if cfg.EncryptionKey != "" {
		key, err := models.ParseKey(cfg.EncryptionKey.Reveal())
		if err != nil {
			return nil, &ConfigError{"TRELLIS_ENCRYPTION_KEY", err.Error()}
		}
		return key, nil
	}
	if err := prepareDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	return models.LoadOrCreateKeyFile(cfg.keyPath())
}

// randomSecret returns n random bytes in hex, for the sandbox's credentials.
func randomSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// serve runs the bot until ctx is cancelled, then shuts down in order: stop
// taking requests, drain work in flight, close Redis and the database.
func serve(ctx context.Context, log *slog.Logger, cfg Config, out io.Writer) error {
	log.Info("starting trellis", "version", version, "mode", cfg.Mode)

	// The sandbox runs on a clock its page can move, kept in the data
	// directory across restarts; real Slack on the wall clock.
	var clk clock.Clock = clock.System{}
	var simClock *clock.Sim
	var sandboxClk *sandboxClock
	if cfg.Mode == ModeSandbox {
		if err := prepareDataDir(cfg.DataDir); err != nil {
			return err
		}
		c, err := loadSandboxClock(cfg.DataDir, time.Now())
		if err != nil {
			return err
		}
		sandboxClk, simClock, clk = c, c.Sim, c.Sim
		defer func() {
			if err := sandboxClk.save(time.Now()); err != nil {
				log.Warn("could not keep the sandbox clock", "err", err)
			}
		}()
	}

	db, err := openDB(ctx, log, cfg, models.WithClock(clk))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	store, err := kv.Open(ctx, log, cfg.RedisURL.Reveal(), cfg.RedisPrefix)
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	defer store.Close()
	if !store.Healthy() {
		log.Warn("redis is not reachable at start; running degraded until it is")
	}

	key, err := encryptionKey(cfg)
	if err != nil {
		return err
	}
	cipher, err := models.NewCipher(key)
	if err != nil {
		return fmt.Errorf("encryption key: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := bot.NewMetrics(reg)

	botToken, appToken, signing, apiURL := cfg.BotToken.Reveal(), cfg.AppToken.Reveal(), cfg.SigningSecret.Reveal(), cfg.SlackAPIURL
	useSocket := cfg.Mode == ModeSocket || cfg.Mode == ModeBoth
	useHTTP := cfg.Mode == ModeHTTP || cfg.Mode == ModeBoth

	// The sandbox: an emulated Slack on loopback with a controllable clock.
	// Moving its clock forward runs the delivery engine through every
	// instant on the way, as if the time had passed.
	var sim *slacksim.Server
	var engineRef atomic.Pointer[engine.Engine]
	if cfg.Mode == ModeSandbox {
		botToken, appToken, signing = "xoxb-sandbox-"+randomSecret(12), "xapp-sandbox-"+randomSecret(12), randomSecret(16)
		sim = slacksim.New(slacksim.Config{
			Clock:         simClock,
			BotToken:      botToken,
			AppToken:      appToken,
			SigningSecret: signing,
			UI:            ui.Handler(),
			StateFile:     filepath.Join(cfg.DataDir, "sandbox.json"),
			Logger:        log.With("component", "slacksim"),
			ClockMover: func(ctx context.Context, to time.Time) error {
				if e := engineRef.Load(); e != nil {
					_, err := e.RunUntil(ctx, to, simClock.Set)
					return err
				}
				return nil
			},
			ClockMoved: func(time.Time) {
				if err := sandboxClk.save(time.Now()); err != nil {
					log.Warn("could not keep the sandbox clock", "err", err)
				}
			},
		})
		// Conversations kept from a sandbox older than its clock file may
		// be ahead of the clock: never show time running backwards.
		sandboxClk.catchUp(sim.NewestMessage())
		if err := sim.Start(cfg.SandboxAddr); err != nil {
			return fmt.Errorf("start the sandbox on %s (set TRELLIS_SANDBOX_ADDR to use another port): %w", cfg.SandboxAddr, err)
		}
		defer sim.Close()
		sim.SeedDemo()
		apiURL = sim.APIURL()
		useSocket = cfg.SandboxTransport == "socket"
		useHTTP = !useSocket
	}

	installs := models.NewInstallations(db, cipher)
	clients := bot.NewClients(installs, apiURL, bot.TransportConfig{Store: store, Metrics: metrics, Logger: log})

	// Register the installation the tokens belong to.
	team, err := registerInstallation(ctx, log, installs, clients, botToken)
	if err != nil {
		return err
	}

	people := models.NewPeople(db)
	workspaces := models.NewWorkspaces(db)
	if _, err := workspaces.Ensure(ctx, team.TeamID, team.Team); err != nil {
		return fmt.Errorf("workspace: %w", err)
	}

	// The delivery engine: every proactive message goes through it.
	eng, err := engine.New(engine.Config{
		DB:      db,
		Clients: func(ctx context.Context, team string) (engine.Slack, error) { return clients.ClientFor(ctx, team) },
		Clock:   clk,
		Logger:  log,
		Metrics: engine.NewMetrics(reg),
	})
	if err != nil {
		return err
	}
	engineRef.Store(eng)
	// Check-ins: the engine writes their DMs and its ticks close their
	// rounds and send their channel posts, once the feature is registered.
	ck, err := checkins.New(checkins.Config{
		DB:        db,
		Engine:    eng,
		Clients:   func(ctx context.Context, team string) (checkins.Slack, error) { return clients.ClientFor(ctx, team) },
		BotUserID: clients.BotUserID,
		Clock:     clk,
		Logger:    log,

		BackgroundPromptUpdates: true,
	})
	if err != nil {
		return err
	}
	if sim != nil {
		if err := eng.Register("demo", engine.ComposerFunc(demoComposer)); err != nil {
			return err
		}
		if err := seedSandbox(ctx, eng, team.TeamID, clk.Now()); err != nil {
			return err
		}
	}
	mux := bot.NewMux()
	mux.Use(bot.Recover(), bot.Logging(log))
	core := handlers.New(handlers.Config{
		Logger:        log,
		Clock:         clk,
		People:        people,
		Workspaces:    workspaces,
		Installations: installs,
		Views:         models.NewOpenedViews(db),
		Forecast:      eng,
	})
	// Every feature plugs in here, one line each; a name two of them
	// claim stops the start.
	features := []handlers.Feature{
		checkinhandlers.New(core, ck).Feature(),
	}
	if err := core.Register(mux, eng, features...); err != nil {
		return fmt.Errorf("register features: %w", err)
	}

	dispatcher := bot.NewDispatcher(bot.DispatcherConfig{
		Logger:    log,
		Handler:   mux,
		Deduper:   bot.NewDeduper(bot.DeduperConfig{Store: store, Logger: log, Metrics: metrics}),
		Metrics:   metrics,
		Clients:   clients,
		BotUserID: clients.BotUserID,
	})

	// HTTP: ops endpoints always, Slack's endpoints in HTTP mode.
	httpMux := http.NewServeMux()
	httpMux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	httpMux.Handle("GET /readyz", readyz(db, store))
	promHandler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	httpMux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		metrics.SetRedisUp(store.Healthy()) // the health last seen by any Redis call
		promHandler.ServeHTTP(w, r)
	}))
	if useHTTP {
		// Signatures are transport: their 5-minute window is checked
		// against real time, as Slack (and the sandbox's emulator) signs
		// with it, whatever the sandbox clock says.
		slackHTTP := bot.NewHTTPHandler(dispatcher, signing, clock.System{}, log)
		httpMux.Handle("/slack/", slackHTTP)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (TRELLIS_ADDR): %w", cfg.Addr, err)
	}
	srv := bot.NewServer(httpMux, bot.ServerLimits{}, log)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server stopped", "err", err)
		}
	}()
	botURL := "http://" + ln.Addr().String()
	log.Info("listening", "addr", ln.Addr().String(), "slack_http", useHTTP)

	go watchRedis(ctx, store, metrics)

	// Time-driven work. Every replica runs the scheduler; each job is safe to
	// run on several at once.
	scheduler := jobs.NewScheduler(log)
	retention := jobs.NewRetention(log, clk, installs, workspaces, dataRetention)
	if err := scheduler.Add("@hourly", "retention", retention.Run); err != nil {
		return fmt.Errorf("schedule retention: %w", err)
	}
	// The engine ticks at the start of every minute: it plans, runs the
	// steppers and delivers. In the sandbox it runs to the clock's now, so
	// a clock that jumped is caught up tick by tick rather than as one late
	// burst. Unlike other jobs, the engine's runs end as soon as serve's
	// ctx does (SIGTERM): a run that stops hands every claim it holds back
	// unsent, at once, so another replica sends them without waiting for
	// their leases.
	engineCtx := func(job context.Context) (context.Context, context.CancelFunc) {
		run, cancel := context.WithCancel(job)
		stop := context.AfterFunc(ctx, cancel)
		return run, func() { stop(); cancel() }
	}
	tick := func(job context.Context) error {
		run, done := engineCtx(job)
		defer done()
		_, err := eng.Tick(run, clk.Now())
		return err
	}
	if simClock != nil {
		tick = func(job context.Context) error {
			run, done := engineCtx(job)
			defer done()
			_, err := eng.RunUntil(run, clk.Now(), nil)
			return err
		}
	}
	if err := scheduler.Add("* * * * *", "engine", tick); err != nil {
		return fmt.Errorf("schedule the engine: %w", err)
	}
	// Between the minute ticks every replica sweeps for due work every few
	// seconds: what a stopped replica held is taken up once its lease runs
	// out, what was handed back at once, and the replicas share a minute's
	// deliveries claim by claim.
	wg.Go(func() { sweep(ctx, log, eng, clk) })
	scheduler.Start(ctx)

	socketCtx, stopSocket := context.WithCancel(context.Background())
	if useSocket {
		sm := bot.NewSocketMode(bot.SocketConfig{
			Logger:     log,
			Dispatcher: dispatcher,
			BotToken:   botToken,
			AppToken:   appToken,
			APIURL:     apiURL,
			HTTPClient: clients.Transport(team.TeamID),
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := sm.Run(socketCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("socket mode stopped", "err", err)
			}
		}()
	}

	if sim != nil {
		if useHTTP {
			sim.SetHTTPDelivery(botURL+"/slack/events", botURL+"/slack/commands", botURL+"/slack/interactions")
		} else {
			sim.SetSocketDelivery()
		}
		fmt.Fprintf(out, "\nTrellis sandbox is running: open %s in your browser.\n"+
			"Pick a demo person and type /trellis help. Data is kept in %s.\n\n", sim.URL(), cfg.DataDir)
	}

	<-ctx.Done()
	log.Info("shutting down")
	// Stop taking work: Socket Mode first, then HTTP (letting acks finish).
	stopSocket()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	// Then finish the slow work handlers scheduled after their acks, and any
	// job still running. The engine's tick and sweep saw ctx end: they hand
	// back what they held and return, before the database closes.
	if err := dispatcher.Shutdown(shutdownCtx); err != nil {
		log.Warn("dispatcher shutdown", "err", err)
	}
	if err := scheduler.Stop(shutdownCtx); err != nil {
		log.Warn("scheduler shutdown", "err", err)
	}
	wg.Wait()
	log.Info("stopped")
	return nil
}

// sweepEvery is how often serve sweeps for due deliveries between the
// engine's minute ticks: a small part of the 30-second lease, so a
// replica that stops delays what it held by little more than its lease.
const sweepEvery = 5 * time.Second

// sweep runs the engine's Sweep every sweepEvery until ctx ends, with the
// clock's now; the ticker only wakes it.
func sweep(ctx context.Context, log *slog.Logger, eng *engine.Engine, clk clock.Clock) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := eng.Sweep(ctx, clk.Now()); err != nil && ctx.Err() == nil {
			log.Warn("engine sweep failed", "err", err)
		}
	}
}

// dataRetention is how long a workspace's data is kept after Trellis is
// uninstalled: inside Slack's 14 business days, with a week in which
// reinstalling restores everything.
const dataRetention = 7 * 24 * time.Hour

// registerInstallation asks Slack who the bot token belongs to and stores the
// installation, token encrypted.
func registerInstallation(ctx context.Context, log *slog.Logger, installs *models.Installations, clients *bot.Clients, token string) (*slack.AuthTestResponse, error) {
	// The workspace is not known until auth.test answers; pace it alone.
	api := clients.New("auth", token)
	var (
		team *slack.AuthTestResponse
		err  error
	)
	// Slack may be briefly unreachable at start; try a few times.
	for attempt := 0; attempt < 5; attempt++ {
		team, err = api.AuthTestContext(ctx)
		if err == nil {
			break
		}
		var se slack.SlackErrorResponse
		if errors.As(err, &se) || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(attempt+1) * time.Second)
	}
	if err != nil {
		return nil, fmt.Errorf("SLACK_BOT_TOKEN: auth.test failed: %w", err)
	}
	inst := models.Installation{
		WorkspaceID:  team.TeamID,
		EnterpriseID: team.EnterpriseID,
		BotUserID:    team.UserID,
		BotToken:     token,
		InstalledAt:  time.Now().UTC(),
		Active:       true,
	}
	if err := installs.Save(ctx, inst); err != nil {
		return nil, fmt.Errorf("save installation: %w", err)
	}
	log.Info("connected to slack", "team", team.TeamID, "team_name", team.Team, "bot_user", team.UserID)
	return team, nil
}

// readyz reports whether the database and Redis answer. A dead database is
// not ready (503); a dead Redis is degraded but still serving (200), because
// Redis only holds what may be lost.
func readyz(db *models.DB, store *kv.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status := map[string]string{"database": "ok", "redis": "ok"}
		code := http.StatusOK
		if err := db.Ping(ctx); err != nil {
			status["database"] = "unavailable"
			code = http.StatusServiceUnavailable
		}
		if err := store.Ping(ctx); err != nil {
			status["redis"] = "unavailable: running degraded (dedupe and rate limits are per replica)"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(status)
	})
}

// watchRedis pings Redis every few seconds so a recovered Redis is noticed
// even when nothing else touches it, and keeps the redis_up gauge current.
func watchRedis(ctx context.Context, store *kv.Store, metrics *bot.Metrics) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		_ = store.Ping(pctx)
		cancel()
		metrics.SetRedisUp(store.Healthy())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
