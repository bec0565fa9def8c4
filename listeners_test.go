package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/bot/bottest"
	"github.com/trellis-bot/trellis/internal/slacksim"
)

// Every listener Trellis opens (the bot's: Slack endpoints, health and
// metrics; the sandbox's emulator) holds up against 300 clients each that
// trickle a request body one byte every two seconds: slash commands sent
// meanwhile, through both, are answered, and every slow client is dropped
// by the read deadline (10 s, DefaultServerLimits) rather than held.
func TestListenersDropSlowBodies(t *testing.T) {
	h := startBot(t, harnessOpts{transport: "http"})
	host := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return u.Host
	}
	const form = "application/x-www-form-urlencoded"
	listeners := []struct {
		name, addr, path string
	}{
		{"bot", host(h.botURL), "/slack/commands"},
		{"sandbox", host(h.sim.URL()), "/api/chat.postMessage"},
	}
	slow := make([]*bottest.SlowClients, len(listeners))
	for i, l := range listeners {
		slow[i] = bottest.OpenSlowClients(t, l.addr, l.path, form, 300, 2*time.Second)
	}
	for range 5 {
		if got := h.command(slacksim.DemoAda, "/trellis help"); !strings.Contains(got, "/trellis me") {
			t.Fatalf("/trellis help with slow clients open on every listener: %q", got)
		}
	}
	for i, l := range listeners {
		if open := slow[i].Open(); open != 300 {
			t.Fatalf("%s: only %d of 300 slow clients were open while the commands were answered; the test proves nothing", l.name, open)
		}
	}
	for i, l := range listeners {
		answers := slow[i].WaitDropped(60 * time.Second)
		if l.name != "bot" {
			continue // the emulator, like Slack, answers a bad call 200 {"ok":false}
		}
		for j, a := range answers {
			if !bottest.Refused(a) {
				t.Errorf("%s: slow client %d was answered %q, want it dropped or refused", l.name, j, a)
			}
		}
	}
}
