package slacksim

import (
	"context"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/testlog"
)

// testStart is the frozen instant tests run at: a Monday in July, so London
// is on summer time.
var testStart = time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)

type testEnv struct {
	srv   *Server
	api   *slack.Client
	ctl   *Control
	clock *clock.Sim
}

// newEnv starts an emulator on loopback with the demo workspace, a frozen
// clock and short delivery timings unless cfg says otherwise.
func newEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	sim := clock.NewFrozen(testStart)
	if cfg.Clock == nil {
		cfg.Clock = sim
	}
	if cfg.AckTimeout == 0 {
		cfg.AckTimeout = time.Second
	}
	if cfg.RetryDelays == nil {
		cfg.RetryDelays = []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond}
	}
	cfg.Logger = testlog.Logger(t) // closed after the server's cleanup below
	srv := New(cfg)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	srv.SeedDemo()
	return &testEnv{
		srv:   srv,
		api:   slack.New(srv.cfg.BotToken, slack.OptionAPIURL(srv.APIURL()), slack.OptionAppLevelToken(srv.cfg.AppToken)),
		ctl:   NewControl(srv.URL()),
		clock: sim,
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// issueTrigger hands out a trigger_id as an interaction would.
func (e *testEnv) issueTrigger(user string) string {
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	return e.srv.ws.newTrigger(user, e.srv.ws.imID(user), "", time.Now())
}

// eventually polls cond until it holds or the test's patience runs out.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
