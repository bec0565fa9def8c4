// Package apptest runs a whole Trellis, the App the binary runs, inside a
// test's process: it reads the same environment variables the binary
// does, on the database, Redis and Slack emulator that internal/testenv
// gives the test. End-to-end tests drive it through the emulator, as
// people drive Trellis through Slack.
package apptest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/app"
	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testlog"
)

// Options tunes Start.
type Options struct {
	// Logs receives the App's log, in the level and format its
	// environment asks for (default: the test's log).
	Logs io.Writer
	// Output receives what the App prints for a person, such as the
	// sandbox's greeting (default: discarded).
	Output io.Writer
	// Clock, when set, is the clock of an App with a real (emulated)
	// Slack (app.WithClock): replicas of one test share it.
	Clock clock.Clock
	// Rates, when set, paces those Web API methods instead of Slack's
	// tiers (app.WithSlackRates).
	Rates map[string]bot.Rate
}

// App is an App running in the test's process.
type App struct {
	*app.App
	tb     testing.TB
	cancel context.CancelFunc
	done   chan error
	stop   sync.Once
}

// Start builds an App from env (variable names to values, as the binary
// would read them) and runs it until Stop, or until the test ends. A
// config or start-up error fails the test.
func Start(tb testing.TB, env map[string]string, o Options) *App {
	tb.Helper()
	cfg, err := app.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		tb.Fatalf("apptest: config: %v", err)
	}
	logs := o.Logs
	if logs == nil {
		logs = testlog.NewWriter(tb)
	}
	out := o.Output
	if out == nil {
		out = io.Discard
	}
	ctx, cancel := context.WithCancel(context.Background())
	opts := []app.Option{app.WithLogger(app.NewLogger(logs, cfg)), app.WithOutput(out)}
	if o.Clock != nil {
		opts = append(opts, app.WithClock(o.Clock))
	}
	if o.Rates != nil {
		opts = append(opts, app.WithSlackRates(o.Rates))
	}
	a, err := app.New(ctx, cfg, opts...)
	if err != nil {
		cancel()
		tb.Fatalf("apptest: start: %v", err)
	}
	r := &App{App: a, tb: tb, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx) }()
	tb.Cleanup(r.Stop)
	return r
}

// Stop shuts the App down as SIGTERM does, then closes it. A Run that
// fails or does not return within 30 s fails the test. Later calls do
// nothing.
func (a *App) Stop() {
	a.stop.Do(func() {
		a.cancel()
		select {
		case err := <-a.done:
			if err != nil {
				a.tb.Errorf("apptest: Run returned %v", err)
			}
		case <-time.After(30 * time.Second):
			a.tb.Error("apptest: trellis did not shut down within 30s")
			return
		}
		if err := a.Close(); err != nil {
			a.tb.Errorf("apptest: Close: %v", err)
		}
	})
}

// URL is the base URL of the App's HTTP listener.
func (a *App) URL() string { return "http://" + a.Addr() }

// DeliverHTTP points sim's deliveries at the App's Slack endpoints, as
// a Slack app's request URLs are set.
func (a *App) DeliverHTTP(sim *slacksim.Server) {
	u := a.URL()
	sim.SetHTTPDelivery(u+"/slack/events", u+"/slack/commands", u+"/slack/interactions")
}

// WaitReady waits until the App at url answers /healthz and, over Socket
// Mode, until the emulator ctl controls holds its connection; after 20 s
// it fails the test.
func WaitReady(tb testing.TB, url string, ctl *slacksim.Control, transport string) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if transport != "socket" {
				return
			}
			info, err := ctl.Info(context.Background())
			if err == nil && info.SocketConnections > 0 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("apptest: trellis was not ready within 20s")
}

// EncryptionKey is a fresh TRELLIS_ENCRYPTION_KEY.
func EncryptionKey(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}
