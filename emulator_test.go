package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/slacksim"
)

// TestEmulatorVerb runs `trellis emulator` and talks to it the way a
// process-level test does: the JSON line it prints names its URLs, the Web
// API takes the given bot token, the control API answers, and it stops
// cleanly when its context ends.
func TestEmulatorVerb(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-chaos-test"}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"emulator", "-team", "T0CHAOS", "-demo"}, func(k string) string { return env[k] }, w, io.Discard)
		_ = w.Close()
	}()
	line, err := bufio.NewReader(out).ReadBytes('\n')
	if err != nil {
		t.Fatalf("reading the ready line: %v", err)
	}
	var ready emulatorReady
	if err := json.Unmarshal(line, &ready); err != nil || ready.URL == "" || ready.APIURL != ready.URL+"/api/" || ready.Delivery != slacksim.ModeSocket {
		t.Fatalf("ready line %s → %+v, %v", line, ready, err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()

	api := slack.New("xoxb-chaos-test", slack.OptionAPIURL(ready.APIURL))
	auth, err := api.AuthTestContext(ctx)
	if err != nil || auth.TeamID != "T0CHAOS" {
		t.Errorf("auth.test = %+v, %v; want team T0CHAOS", auth, err)
	}
	if _, err := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(ready.APIURL)).AuthTestContext(ctx); err == nil {
		t.Error("the default bot token was accepted though another was given")
	}
	ctl := slacksim.NewControl(ready.URL)
	people, err := ctl.People(ctx)
	if err != nil || len(people) < 5 {
		t.Errorf("demo people = %d, %v; want the demo workspace", len(people), err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("emulator returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the emulator did not stop")
	}
}

// TestEmulatorVerbRefuses: a bad flag or a non-loopback address is refused
// with a clear error, and nothing listens.
func TestEmulatorVerbRefuses(t *testing.T) {
	getenv := func(string) string { return "" }
	for _, args := range [][]string{
		{"emulator", "-nonsense"},
		{"emulator", "extra"},
	} {
		if err := run(context.Background(), args, getenv, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("%v → %v, want a usage error", args, err)
		}
	}
	for _, args := range [][]string{
		{"emulator", "-addr", "0.0.0.0:0"},
		{"emulator", "-bot-token", "not-a-token"},
		{"emulator", "-log-level", "loud"},
	} {
		if err := run(context.Background(), args, getenv, io.Discard, io.Discard); err == nil || errors.Is(err, errUsage) {
			t.Errorf("%v → %v, want a clear error", args, err)
		}
	}
}
