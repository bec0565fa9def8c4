package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/jobs"
	"github.com/trellis-bot/trellis/jobs/engine"
)

// Run serves until ctx is done, then stops in order: Socket Mode, then
// HTTP (letting acks finish), then the slow work handlers scheduled after
// their acks and the jobs still running, all within shutdownBudget; then,
// within a drainBudget of its own, any stepper a tick left running past its
// budget. The engine's tick and sweep see ctx end and hand back every claim
// they hold, unsent, before Run returns; Close then releases the rest. Run
// returns once every goroutine it started (the Redis health watch among
// them) has. Run may be called once.
func (a *App) Run(ctx context.Context) error {
	if !a.ran.CompareAndSwap(false, true) {
		return errors.New("app: Run was called already")
	}
	var wg sync.WaitGroup
	wg.Go(a.serveHTTP)
	a.log.Info("listening", "addr", a.Addr(), "slack_http", a.slack.http)

	scheduler, err := a.startJobs(ctx, &wg)
	if err != nil {
		_ = a.server.Close()
		wg.Wait()
		return err
	}
	wg.Go(func() { watchRedis(ctx, a.store, a.metrics) })
	stopSocket := a.startSocketMode(&wg)
	a.startDelivery()

	<-ctx.Done()
	a.log.Info("shutting down")
	stopSocket()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownBudget)
	defer cancel()
	if err := a.server.Shutdown(shutdownCtx); err != nil {
		a.log.Warn("http shutdown", "err", err)
	}
	if err := a.dispatcher.Shutdown(shutdownCtx); err != nil {
		a.log.Warn("dispatcher shutdown", "err", err)
	}
	if err := scheduler.Stop(shutdownCtx); err != nil {
		a.log.Warn("scheduler shutdown", "err", err)
	}
	wg.Wait()
	// A stepper left running past its budget by its tick still uses the
	// stores Close is about to close. It gets a budget of its own: a slow
	// HTTP or scheduler shutdown must not leave it none.
	drainCtx, cancelDrain := context.WithTimeout(context.Background(), drainBudget)
	defer cancelDrain()
	if err := a.eng.Drain(drainCtx); err != nil {
		a.log.Warn("engine shutdown", "err", err)
	}
	a.log.Info("stopped")
	return nil
}

// How long Run's shutdown waits: shutdownBudget for HTTP, the after-ack
// work and the jobs together, then drainBudget for the engine's steppers.
const (
	shutdownBudget = 20 * time.Second
	drainBudget    = 10 * time.Second
)

// dataRetention is how long a workspace's data is kept after Trellis is
// uninstalled: inside Slack's 14 business days, with a week in which
// reinstalling restores everything.
const dataRetention = 7 * 24 * time.Hour

// startJobs starts the time-driven work. Every replica runs the scheduler;
// each job is safe to run on several at once.
func (a *App) startJobs(ctx context.Context, wg *sync.WaitGroup) (*jobs.Scheduler, error) {
	scheduler := jobs.NewScheduler(a.log)
	retention := jobs.NewRetention(a.log, a.clk, a.installs, a.workspaces, dataRetention)
	if err := scheduler.Add("@hourly", "retention", retention.Run); err != nil {
		return nil, fmt.Errorf("schedule retention: %w", err)
	}
	if err := scheduler.Add("* * * * *", "engine", a.engineTick(ctx)); err != nil {
		return nil, fmt.Errorf("schedule the engine: %w", err)
	}
	// Between the minute ticks every replica sweeps for due work every few
	// seconds: what a stopped replica held is taken up once its lease runs
	// out, what was handed back at once, and the replicas share a minute's
	// deliveries claim by claim.
	wg.Go(func() { sweep(ctx, a.log, a.eng, a.clk) })
	scheduler.Start(ctx)
	return scheduler, nil
}

// engineTick is the engine's job at the start of every minute: it plans,
// runs the steppers and delivers. In the sandbox it runs to the clock's
// now, so a clock that jumped is caught up tick by tick rather than as one
// late burst. Unlike other jobs, the engine's runs end as soon as ctx does
// (SIGTERM): a run that stops hands every claim it holds back unsent, at
// once, so another replica sends them without waiting for their leases.
func (a *App) engineTick(ctx context.Context) func(context.Context) error {
	engineCtx := func(job context.Context) (context.Context, context.CancelFunc) {
		run, cancel := context.WithCancel(job)
		stop := context.AfterFunc(ctx, cancel)
		return run, func() { stop(); cancel() }
	}
	if a.simClock != nil {
		return func(job context.Context) error {
			run, done := engineCtx(job)
			defer done()
			_, err := a.eng.RunUntil(run, a.clk.Now(), nil)
			return err
		}
	}
	return func(job context.Context) error {
		run, done := engineCtx(job)
		defer done()
		_, err := a.eng.Tick(run, a.clk.Now())
		return err
	}
}

// sweepEvery is how often the App sweeps for due deliveries between the
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

// startSocketMode connects over Socket Mode when the App uses it, and
// returns what disconnects it. Socket Mode runs on a context of its own,
// so that shutting down stops it first, before HTTP.
func (a *App) startSocketMode(wg *sync.WaitGroup) (stop func()) {
	socketCtx, stop := context.WithCancel(context.Background())
	if !a.slack.socket {
		return stop
	}
	sm := bot.NewSocketMode(bot.SocketConfig{
		Logger:     a.log,
		Dispatcher: a.dispatcher,
		BotToken:   a.slack.botToken,
		AppToken:   a.slack.appToken,
		APIURL:     a.slack.apiURL,
		HTTPClient: a.clients.Transport(a.team.TeamID),
	})
	wg.Go(func() {
		if err := sm.Run(socketCtx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Error("socket mode stopped", "err", err)
		}
	})
	return stop
}
