package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/slacksim/ui"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// demoScheduleKey is the sandbox's own schedule: a message each working
// morning, so the delivery engine has something to show before any
// check-in exists.
const demoScheduleKey = "demo:morning"

// seedSandbox registers the demo schedule for every demo person. It is
// idempotent: a restarted sandbox keeps the schedule and where it stands.
func seedSandbox(ctx context.Context, eng *engine.Engine, team string, now time.Time) error {
	sc, err := eng.Schedules().Put(ctx, models.Schedule{
		WorkspaceID: team,
		Key:         demoScheduleKey,
		Title:       "Sandbox demo: good morning",
		Cadence:     "weekdays at 09:30",
		Anchor:      calendar.DateOf(now.UTC()),
	})
	if err != nil {
		return fmt.Errorf("sandbox schedule: %w", err)
	}
	people := []string{slacksim.DemoAda, slacksim.DemoRavi, slacksim.DemoMei, slacksim.DemoCarlos, slacksim.DemoJordan, slacksim.DemoNoor}
	// Targets already there keep their place; new ones start from now.
	if _, _, err := eng.Schedules().SetTargets(ctx, team, sc.Key, people, now); err != nil {
		return fmt.Errorf("sandbox schedule: %w", err)
	}
	return nil
}

// DemoComposer writes the message of the sandbox's demo schedule.
func DemoComposer(_ context.Context, c engine.Context) (engine.Message, error) {
	local := c.Occurrence.NominalAt.In(c.Location)
	text := fmt.Sprintf("Good morning! This is the sandbox's scheduled message for %s.", local.Format("Monday 2 January"))
	return engine.Message{
		Text: text,
		Blocks: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text+
				"\nCheck-ins and their reminders reach you the same way: at their local time, inside your working hours, never while you're away.",
				false, false), nil, nil),
		},
	}, nil
}

// clockFileName is the sandbox clock's file in the data directory.
const clockFileName = "clock.json"

// savedClock is what the clock file holds: the sandbox's time and the real
// time at which it was saved.
type savedClock struct {
	Now     time.Time `json:"now"`
	SavedAt time.Time `json:"saved_at"`
}

// sandboxClock is the sandbox's movable clock, kept in the data directory so
// that a restarted sandbox goes on from where its conversations are instead
// of falling back to the real time.
type sandboxClock struct {
	*clock.Sim
	path  string
	fresh bool // no clock was saved yet
}

// loadSandboxClock resumes the clock saved in dir: the saved instant plus
// the real time that has passed since (none if the real clock went back),
// so the sandbox's time flows on as it did before the restart. Without a
// file the clock starts at the real time. A file that cannot be read stops
// the start with a message saying what to do; it is left as it is.
func loadSandboxClock(dir string, real time.Time) (*sandboxClock, error) {
	c := &sandboxClock{path: filepath.Join(dir, clockFileName)}
	b, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		c.Sim, c.fresh = clock.NewSim(time.Time{}), true
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the sandbox clock: %w", err)
	}
	var saved savedClock
	if err := json.Unmarshal(b, &saved); err != nil || saved.Now.IsZero() {
		return nil, fmt.Errorf("the sandbox clock file %s is damaged; delete it to restart the sandbox's clock at the real time", c.path)
	}
	now := saved.Now
	if passed := real.Sub(saved.SavedAt); passed > 0 && !saved.SavedAt.IsZero() {
		now = now.Add(passed)
	}
	c.Sim = clock.NewSim(now)
	return c, nil
}

// catchUp moves a clock that was not saved forward to newest when it is
// behind it: a data directory from before the clock was kept holds
// messages from the sandbox's future. A saved clock is left where it was
// put, even behind its messages.
func (c *sandboxClock) catchUp(newest time.Time) {
	if c.fresh && newest.After(c.Now()) {
		c.Set(newest)
	}
}

// save writes the clock's instant and the real time to the clock file.
func (c *sandboxClock) save(real time.Time) error {
	b, err := json.Marshal(savedClock{Now: c.Now().UTC(), SavedAt: real.UTC()})
	if err != nil {
		return fmt.Errorf("save the sandbox clock: %w", err)
	}
	return writePrivateFile(c.path, b)
}

// openClock picks the App's clock. The sandbox runs on a clock its page can
// move, kept in the data directory across restarts (saved again when the
// App closes); a real Slack on the wall clock, or the one WithClock gave.
func (a *App) openClock(context.Context) error {
	if a.cfg.Mode != ModeSandbox {
		if a.clk == nil {
			a.clk = clock.System{}
		}
		return nil
	}
	if err := prepareDataDir(a.cfg.DataDir); err != nil {
		return err
	}
	c, err := loadSandboxClock(a.cfg.DataDir, time.Now())
	if err != nil {
		return err
	}
	a.sandboxClk, a.simClock, a.clk = c, c.Sim, c.Sim
	a.onClose(func() error {
		a.keepSandboxClock()
		return nil
	})
	return nil
}

// keepSandboxClock saves the sandbox clock, warning when it cannot.
func (a *App) keepSandboxClock() {
	if err := a.sandboxClk.save(time.Now()); err != nil {
		a.log.Warn("could not keep the sandbox clock", "err", err)
	}
}

// startEmulator starts the sandbox: an emulated Slack on loopback, with
// fresh credentials, on the sandbox clock. Moving its clock forward runs
// the delivery engine through every instant on the way, as if the time had
// passed.
func (a *App) startEmulator() error {
	a.slack.botToken, a.slack.appToken, a.slack.signing = "xoxb-sandbox-"+randomSecret(12), "xapp-sandbox-"+randomSecret(12), randomSecret(16)
	sim := slacksim.New(slacksim.Config{
		Clock:         a.simClock,
		BotToken:      a.slack.botToken,
		AppToken:      a.slack.appToken,
		SigningSecret: a.slack.signing,
		UI:            ui.Handler(),
		StateFile:     filepath.Join(a.cfg.DataDir, "sandbox.json"),
		Logger:        a.log.With("component", "slacksim"),
		ClockMover: func(ctx context.Context, to time.Time) error {
			if e := a.engineRef.Load(); e != nil {
				_, err := e.RunUntil(ctx, to, a.simClock.Set)
				return err
			}
			return nil
		},
		ClockMoved: func(time.Time) { a.keepSandboxClock() },
	})
	// Conversations kept from a sandbox older than its clock file may be
	// ahead of the clock: never show time running backwards.
	a.sandboxClk.catchUp(sim.NewestMessage())
	if err := sim.Start(a.cfg.SandboxAddr); err != nil {
		return fmt.Errorf("start the sandbox on %s (set TRELLIS_SANDBOX_ADDR to use another port): %w", a.cfg.SandboxAddr, err)
	}
	a.sim = sim
	a.onClose(sim.Close)
	sim.SeedDemo()
	a.slack.apiURL = sim.APIURL()
	a.slack.socket = a.cfg.SandboxTransport == "socket"
	a.slack.http = !a.slack.socket
	return nil
}

// startDelivery points the sandbox's emulator at the App, over the
// transport the sandbox uses, and tells the person at the terminal where
// the sandbox is.
func (a *App) startDelivery() {
	if a.sim == nil {
		return
	}
	if a.slack.http {
		botURL := "http://" + a.Addr()
		a.sim.SetHTTPDelivery(botURL+"/slack/events", botURL+"/slack/commands", botURL+"/slack/interactions")
	} else {
		a.sim.SetSocketDelivery()
	}
	fmt.Fprintf(a.out, "\nTrellis sandbox is running: open %s in your browser.\n"+
		"Pick a demo person and type /trellis help. Data is kept in %s.\n\n", a.sim.URL(), a.cfg.DataDir)
}

// randomSecret returns n random bytes in hex, for the sandbox's credentials.
func randomSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
