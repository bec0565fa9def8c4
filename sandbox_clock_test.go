package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/app/apptest"
	"github.com/trellis-bot/trellis/internal/slacksim"
)

// sandboxEnv is the environment of a sandbox keeping its data in dir, on
// free ports (launch learns which), over the given transport (the
// default when "").
func sandboxEnv(t *testing.T, dir, transport string) (map[string]string, *harness) {
	t.Helper()
	return apptest.SandboxEnv(dir, "127.0.0.1:0", "127.0.0.1:0", transport), &harness{t: t}
}

// runSandbox launches the sandbox and waits until the emulator delivers
// to it over transport.
func runSandbox(t *testing.T, dir, transport string) (*harness, func()) {
	t.Helper()
	env, h := sandboxEnv(t, dir, transport)
	stop := h.launch(env)
	h.waitReady(transport)
	eventually(t, "the emulator delivers over "+transport, func() error {
		info, err := h.ctl.Info(context.Background())
		if err == nil && info.Delivery != transport {
			return errString("delivery is " + info.Delivery)
		}
		return err
	})
	return h, stop
}

type errString string

func (e errString) Error() string { return string(e) }

// Moving the sandbox clock, days forward and back, never breaks the HTTP
// transport: every signed delivery (the bot's own DMs as message events on
// the way, then a slash command at each stop) is accepted.
func TestSandboxClockKeepsHTTPSignaturesValid(t *testing.T) {
	h, stop := runSandbox(t, t.TempDir(), "http")
	defer stop()
	ctx := context.Background()

	start, err := h.ctl.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name string
		to   time.Time
	}{
		{"three days ahead", start.Now.Add(72 * time.Hour)},
		{"back a week", start.Now.Add(-4 * 24 * time.Hour)},
		{"a month ahead", start.Now.Add(30 * 24 * time.Hour)},
		{"back to the start", start.Now},
	} {
		if _, err := h.ctl.SetClock(ctx, step.to); err != nil {
			t.Fatalf("%s: move the clock: %v", step.name, err)
		}
		res, err := h.ctl.Command(ctx, slacksim.CommandRequest{User: slacksim.DemoAda, Text: "/trellis me"})
		if err != nil || res.Status != 200 || res.Response == nil {
			t.Errorf("%s: /trellis me over HTTP = %+v, %v; want the bot's answer", step.name, res, err)
		}
	}
	// The demo schedule's DMs reached the bot back as message events.
	if len(botDMs(t, h.ctl, slacksim.DemoAda)) == 0 {
		t.Fatal("no demo DM was sent while the clock moved ahead")
	}
	deliveries, err := h.ctl.Deliveries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events := 0
	for _, d := range deliveries {
		if d.Mode != slacksim.ModeHTTP {
			continue
		}
		if d.Kind == "event" {
			events++
		}
		if d.Status == 401 || (d.Status != 0 && !d.Acked) {
			t.Errorf("delivery %s %s (attempt %d) answered HTTP %d %s", d.Kind, d.Type, d.Attempt, d.Status, d.Error)
		}
	}
	if events == 0 {
		t.Error("no event was delivered over HTTP while the clock moved")
	}
}

// A restarted sandbox resumes its saved clock (ahead of the real time, or
// behind it) instead of going back to the real time, so its conversations
// never hold messages from its future.
func TestSandboxClockSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()

	h, stop := runSandbox(t, dir, "socket")
	start, err := h.ctl.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ahead := start.Now.Add(2 * 24 * time.Hour)
	if _, err := h.ctl.SetClock(ctx, ahead); err != nil {
		t.Fatal(err)
	}
	h.command(slacksim.DemoAda, "/trellis me")
	stop()

	h, stop = runSandbox(t, dir, "socket")
	got, err := h.ctl.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Now.Before(ahead) || got.Now.After(ahead.Add(24*time.Hour)) {
		t.Errorf("after a restart the clock reads %s, want it to go on from %s", got.Now, ahead)
	}
	for _, m := range botDMs(t, h.ctl, slacksim.DemoAda) {
		if at := tsTime(m.TS); at.After(got.Now) {
			t.Errorf("Ada's DM holds a message at %s, after the clock's %s", at, got.Now)
		}
	}

	// Moved back, before the real time, it stays back across a restart.
	behind := start.Now.Add(-3 * 24 * time.Hour)
	if _, err := h.ctl.SetClock(ctx, behind); err != nil {
		t.Fatal(err)
	}
	stop()
	h, stop = runSandbox(t, dir, "socket")
	defer stop()
	if got, err := h.ctl.Clock(ctx); err != nil || got.Now.Before(behind) || got.Now.After(behind.Add(24*time.Hour)) {
		t.Errorf("after a restart the clock reads %s (%v), want it to go on from %s", got.Now, err, behind)
	}
}

// A damaged clock file stops the sandbox with a message saying what to do,
// and is left as it was.
func TestSandboxDamagedClockFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "clock.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, h := sandboxEnv(t, dir, "socket")
	// A sandbox that starts anyway runs until this deadline, then fails the test.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve"}, func(k string) string { return env[k] }, &strings.Builder{}, &h.logs)
	if err == nil || !strings.Contains(err.Error(), "delete it") || !strings.Contains(err.Error(), path) {
		t.Errorf("serve with a damaged clock file = %v, want a message naming the file and what to do", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "{not json" {
		t.Errorf("the damaged clock file was changed to %q", b)
	}
}

// Every file the sandbox keeps in its data directory (the SQLite database
// and its -wal and -shm files, the encryption key, the emulator's state,
// the clock) is readable by its owner only, and so is every directory,
// whatever the umask; what an older version left readable is tightened,
// and files that are not Trellis's are left alone.
func TestSandboxDataDirIsPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sandbox.json"), []byte(`{"version":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// Not Trellis's: left as it is.
	notes := filepath.Join(dir, "notes.sh")
	if err := os.WriteFile(notes, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	check := func(when string, want ...string) {
		t.Helper()
		seen := map[string]bool{}
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			mode := info.Mode().Perm()
			seen[d.Name()] = true
			if path == notes {
				if mode != 0o755 {
					t.Errorf("%s: the operator's %s has mode %o, want it left at 755", when, path, mode)
				}
				return nil
			}
			if d.IsDir() && mode != 0o700 || !d.IsDir() && mode != 0o600 {
				t.Errorf("%s: %s has mode %o, want owner-only", when, path, mode)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range want {
			if !seen[name] {
				t.Errorf("%s: %s is not in the data directory (saw %v)", when, name, seen)
			}
		}
	}

	h, stop := runSandbox(t, dir, "socket")
	ctx := context.Background()
	if _, err := h.ctl.AdvanceClock(ctx, 26*time.Hour); err != nil {
		t.Fatal(err)
	}
	h.command(slacksim.DemoAda, "/trellis hours mon-fri 08:00-16:00")
	check("while running", "data", "trellis.db", "trellis.db-wal", "trellis.db-shm", "encryption.key", "clock.json", "sandbox.json")
	stop()
	check("after stopping", "data", "trellis.db", "encryption.key", "clock.json", "sandbox.json")
}
