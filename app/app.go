// Package app is Trellis's wiring in one place. New opens everything the
// bot runs on (the database, Redis, Slack or the sandbox's emulator, the
// delivery engine, the check-ins service, the handlers and the HTTP
// listener), Run serves until its context ends and stops in order, and
// Close releases what New opened, last opened first. The serve verb and the
// end-to-end tests run the same App; only package main and tests import
// this package.
package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/jobs/checkins"
	"github.com/trellis-bot/trellis/jobs/engine"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	jobpeers "github.com/trellis-bot/trellis/jobs/peers"
	"github.com/trellis-bot/trellis/kv"
	"github.com/trellis-bot/trellis/models"
)

// App is one running Trellis: what New opened, ready to Run.
type App struct {
	cfg     Config
	log     *slog.Logger
	out     io.Writer
	version string

	// closers release what New opened, in the order it opened them.
	closers   []func() error
	closeOnce sync.Once
	closeErr  error
	ran       atomic.Bool

	clk        clock.Clock
	rates      map[string]bot.Rate // WithSlackRates' paces; nil for Slack's own
	simClock   *clock.Sim          // the sandbox's movable clock; nil with a real Slack
	sandboxClk *sandboxClock       // where simClock is kept; nil with a real Slack

	db      *models.DB
	store   *kv.Store
	cipher  *models.Cipher
	reg     *prometheus.Registry
	metrics *bot.Metrics

	slack      slackAccess
	sim        *slacksim.Server // the sandbox's emulator; nil with a real Slack
	clients    *bot.Clients
	team       *slack.AuthTestResponse
	installs   *models.Installations
	workspaces *models.Workspaces

	// engineRef lets the emulator's clock mover reach the engine, which
	// exists only once the emulator has started.
	engineRef  atomic.Pointer[engine.Engine]
	eng        *engine.Engine
	checkins   *checkins.Service
	okrs       *jobokrs.Service
	peers      *jobpeers.Service
	dispatcher *bot.Dispatcher

	ln     net.Listener
	server *http.Server
}

// slackAccess is how this App reaches Slack: the credentials it presents,
// the Web API's address and the transports Slack delivers over.
type slackAccess struct {
	botToken, appToken, signing, apiURL string
	socket, http                        bool
}

// Option changes how New builds an App.
type Option func(*App)

// WithLogger sends the App's log to log instead of a logger built from
// the config's level and format on stderr.
func WithLogger(log *slog.Logger) Option { return func(a *App) { a.log = log } }

// WithOutput sends what the App prints for a person (the sandbox's
// greeting) to w instead of discarding it.
func WithOutput(w io.Writer) Option { return func(a *App) { a.out = w } }

// WithClock runs an App with a real Slack on clk instead of the system's
// clock, so that end-to-end tests run several replicas on one simulated
// clock they move themselves. The sandbox keeps its own movable clock.
func WithClock(clk clock.Clock) Option { return func(a *App) { a.clk = clk } }

// WithSlackRates paces the named Web API methods as given instead of as
// Slack's tiers do (bot.DefaultRates), for end-to-end tests whose
// simulated weeks would otherwise wait minutes of real time for Slack's
// per-minute limits. A real install never sets it.
func WithSlackRates(rates map[string]bot.Rate) Option { return func(a *App) { a.rates = rates } }

// WithVersion names the build in the start-up log line.
func WithVersion(v string) Option { return func(a *App) { a.version = v } }

// New opens everything cfg names, in order: the clock, the database
// (migrated), Redis, the encryption key, metrics, Slack (or the sandbox's
// emulator) and the installation, the delivery engine and the check-ins
// service, the handlers, and the HTTP listener. Nothing serves until Run.
// On error New releases what it had opened.
func New(ctx context.Context, cfg Config, opts ...Option) (*App, error) {
	a := &App{cfg: cfg, out: io.Discard, version: "dev"}
	for _, o := range opts {
		o(a)
	}
	if a.log == nil {
		a.log = NewLogger(os.Stderr, cfg)
	}
	a.log.Info("starting trellis", "version", a.version, "mode", cfg.Mode)
	steps := []func(context.Context) error{
		a.openClock,
		a.openStorage,
		a.openSlack,
		a.openServices,
		a.openHandlers,
		a.openHTTP,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			_ = a.Close()
			return nil, err
		}
	}
	return a, nil
}

// NewLogger is the log the config asks for, written to w.
func NewLogger(w io.Writer, cfg Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// onClose has Close run release, after whatever was opened later.
func (a *App) onClose(release func() error) { a.closers = append(a.closers, release) }

// Close releases everything New opened, last opened first, and returns
// what went wrong. Call it once Run has returned; later calls do nothing
// and return the same.
func (a *App) Close() error {
	a.closeOnce.Do(func() {
		var errs []error
		for i := len(a.closers) - 1; i >= 0; i-- {
			if err := a.closers[i](); err != nil {
				errs = append(errs, err)
			}
		}
		a.closers = nil
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}

// Addr is the address the HTTP listener (Slack's endpoints in HTTP mode,
// /healthz, /readyz, /metrics) is bound to.
func (a *App) Addr() string { return a.ln.Addr().String() }

// DB is the App's database.
func (a *App) DB() *models.DB { return a.db }

// Engine is the App's delivery engine.
func (a *App) Engine() *engine.Engine { return a.eng }

// Clock is the clock the App runs on: the sandbox's movable one, or the
// system's.
func (a *App) Clock() clock.Clock { return a.clk }

// Emulator is the sandbox's Slack emulator, or nil with a real Slack.
func (a *App) Emulator() *slacksim.Server { return a.sim }

// TeamID is the Slack workspace the App is installed in.
func (a *App) TeamID() string { return a.team.TeamID }
