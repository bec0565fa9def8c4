package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/bot/bottest"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/kv/kvtest"
	"github.com/trellis-bot/trellis/models/calendar"
)

// TestRedisStopsMidRun: with Redis gone, commands keep working and their
// changes are stored, /readyz says Redis is unavailable, and Trellis recovers
// without a restart when Redis returns.
func TestRedisStopsMidRun(t *testing.T) {
	redis := kvtest.New(t)
	proxy := bottest.NewProxy(t, bottest.RedisAddr(t, redis))
	h := startBot(t, harnessOpts{transport: "http", redisURL: bottest.RedisURL(t, redis, proxy.Addr())})
	user := slacksim.DemoRavi

	if code, body := h.readyz(); code != http.StatusOK || body["redis"] != "ok" {
		t.Fatalf("readyz with Redis = %d %v", code, body)
	}
	h.command(user, "/trellis me")

	proxy.Stop()
	if code, body := h.readyz(); code != http.StatusOK || !strings.HasPrefix(body["redis"], "unavailable") || body["database"] != "ok" {
		t.Errorf("readyz without Redis = %d %v, want 200 with redis unavailable", code, body)
	}
	// The emulator, like Slack, gives up on an ack after 3 s and h.command
	// then fails: each command is acknowledged in time without Redis.
	for i, line := range []string{"/trellis hours mon-thu 07:00-15:00", "/trellis away tomorrow", "/trellis tz Asia/Kathmandu"} {
		if got := h.command(user, line); !strings.Contains(got, "aved") && !strings.Contains(got, "Enjoy") {
			t.Errorf("%d: %s without Redis → %q", i, line, got)
		}
	}
	p := h.person(user)
	want := calendar.WorkingHours{Days: 0b11110, Start: 7 * 60, End: 15 * 60}
	if p.Hours == nil || *p.Hours != want || p.TZOverride != "Asia/Kathmandu" {
		t.Errorf("stored without Redis: hours %v tz %q, want %v Asia/Kathmandu", p.Hours, p.TZOverride, want)
	}
	if got := metric(t, h, "trellis_redis_up"); !strings.Contains(got, "trellis_redis_up 0") {
		t.Errorf("metrics without Redis: %q", got)
	}

	proxy.Start()
	eventually(t, "readyz after Redis returns", func() error {
		if code, body := h.readyz(); code != http.StatusOK || body["redis"] != "ok" {
			return io.ErrUnexpectedEOF
		}
		return nil
	})
	if got := h.command(user, "/trellis me"); !strings.Contains(got, "Asia/Kathmandu") || !strings.Contains(got, "07:00–15:00") {
		t.Errorf("/trellis me after Redis returned = %q", got)
	}
}

func metric(t *testing.T, h *harness, name string) string {
	t.Helper()
	resp, err := http.Get(h.botURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, name) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// TestSandboxSurvivesRestart runs the real sandbox (no Slack credentials),
// changes a setting, restarts it on the same data directory and reads the
// setting back.
func TestSandboxSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	env, h := sandboxEnv(t, dir, "")
	startSandbox := func() func() {
		stop := h.launch(env)
		h.waitReady("socket")
		return stop
	}

	stop := startSandbox()
	people, err := h.ctl.People(context.Background())
	if err != nil || len(people) < 5 {
		t.Fatalf("sandbox people = %d, %v; want at least 5", len(people), err)
	}
	zones := map[string]bool{}
	for _, p := range people {
		zones[p.TZ] = true
	}
	if len(zones) < 4 || !zones["Asia/Kolkata"] {
		t.Errorf("sandbox zones = %v, want at least 4 including Asia/Kolkata", zones)
	}
	if got := h.command(slacksim.DemoMei, "/trellis hours tue,thu,sat 10:00-14:00"); !strings.Contains(got, "Saved") {
		t.Fatalf("hours → %q", got)
	}
	stop()

	stop = startSandbox()
	defer stop()
	if got := h.command(slacksim.DemoMei, "/trellis me"); !strings.Contains(got, "10:00–14:00") {
		t.Errorf("/trellis me after a restart = %q, want the hours saved before it", got)
	}
}
