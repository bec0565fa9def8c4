package testenv

import (
	"context"
	"testing"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testlog"
)

// Slack is a running Slack emulator and its control API.
type Slack struct {
	Server  *slacksim.Server
	Control *slacksim.Control
	// BotUserID is the bot's user in the emulated workspace.
	BotUserID string
}

// StartSlack starts the emulator on a free loopback port with cfg (its
// Logger defaults to the test's log), lifts the rate limits of the
// unlimited Web API methods, and stops it when the test ends.
func StartSlack(tb testing.TB, cfg slacksim.Config, unlimited ...string) *Slack {
	tb.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testlog.Logger(tb).With("component", "slacksim")
	}
	sim := slacksim.New(cfg)
	if err := sim.Start("127.0.0.1:0"); err != nil {
		tb.Fatalf("testenv: start the emulator: %v", err)
	}
	tb.Cleanup(func() { _ = sim.Close() })
	s := &Slack{Server: sim, Control: slacksim.NewControl(sim.URL())}
	ctx := context.Background()
	if len(unlimited) > 0 {
		methods := map[string]int{}
		for _, m := range unlimited {
			methods[m] = 0
		}
		if err := s.Control.SetLimits(ctx, slacksim.Limits{Methods: methods}); err != nil {
			tb.Fatalf("testenv: emulator limits: %v", err)
		}
	}
	info, err := s.Control.Info(ctx)
	if err != nil {
		tb.Fatalf("testenv: emulator info: %v", err)
	}
	s.BotUserID = info.BotUserID
	return s
}
