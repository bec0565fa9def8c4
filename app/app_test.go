package app_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/app"
	"github.com/trellis-bot/trellis/app/apptest"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testlog"
)

// sandboxConfig is a sandbox keeping its data in dir, on free ports.
func sandboxConfig(t *testing.T, dir string) app.Config {
	t.Helper()
	env := apptest.SandboxEnv(dir, "127.0.0.1:0", "127.0.0.1:0", "http")
	cfg, err := app.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// An App serves from Run until its context ends; Close then releases what
// New opened (the listener, the emulator, the database) and says the same
// when called again; Run refuses a second call.
func TestAppRunThenClose(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	a, err := app.New(context.Background(), sandboxConfig(t, dir), app.WithLogger(testlog.Logger(t)), app.WithOutput(&out))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	apptest.WaitReady(t, "http://"+a.Addr(), nil, "http")
	if a.Emulator() == nil || a.TeamID() != slacksim.DefaultTeamID || a.Engine() == nil {
		t.Errorf("sandbox App: emulator %v, team %q, engine %v", a.Emulator(), a.TeamID(), a.Engine())
	}
	if err := a.DB().Ping(ctx); err != nil {
		t.Errorf("database while running: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if !strings.Contains(out.String(), "Trellis sandbox is running: open "+a.Emulator().URL()) {
		t.Errorf("the sandbox's greeting = %q", out.String())
	}
	if err := a.Run(context.Background()); err == nil {
		t.Error("a second Run = nil, want an error")
	}
	if err := a.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("a second Close = %v, want nil again", err)
	}
	if err := a.DB().Ping(context.Background()); err == nil {
		t.Error("the database answers after Close")
	}
	if _, err := http.Get(a.Emulator().URL() + "/"); err == nil {
		t.Error("the emulator answers after Close")
	}
	if _, err := os.Stat(filepath.Join(dir, "clock.json")); err != nil {
		t.Errorf("the sandbox clock was not kept on Close: %v", err)
	}
}

// New that cannot finish releases what it had opened: the database and
// the emulator are closed, so the data directory's database is free and
// the sandbox's port can be bound again.
func TestNewReleasesOnError(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	sandbox, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sandboxAddr := sandbox.Addr().String()
	sandbox.Close()

	cfg := sandboxConfig(t, t.TempDir())
	cfg.Addr, cfg.SandboxAddr = busy.Addr().String(), sandboxAddr
	_, err = app.New(context.Background(), cfg, app.WithLogger(testlog.Logger(t)))
	if err == nil || !strings.Contains(err.Error(), "TRELLIS_ADDR") {
		t.Fatalf("New on a busy address = %v, want an error naming TRELLIS_ADDR", err)
	}
	ln, err := net.Listen("tcp", sandboxAddr)
	if err != nil {
		t.Fatalf("the sandbox's port is still held after New failed: %v", err)
	}
	ln.Close()
}
