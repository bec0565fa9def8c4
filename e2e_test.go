package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/kv/kvtest"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// harness is one Trellis process started through run(), talking to a Slack
// emulator owned by the test, on the real Postgres and Redis when
// TEST_DATABASE_URL / TEST_REDIS_URL are set (else SQLite and embedded Redis).
type harness struct {
	t      testing.TB
	sim    *slacksim.Server
	ctl    *slacksim.Control
	botURL string
	db     *models.DB
	people *models.People
	env    map[string]string
	quiet  bool
	logs   testlog.Buffer // every line Trellis logged

	stop func()
	pid  int // Trellis's process, with harnessOpts.process; else 0
}

// harnessOpts tunes startBot.
type harnessOpts struct {
	transport string // "socket" or "http"
	redisURL  string // overrides the test Redis
	quiet     bool   // production logging (JSON, info), discarded, for benchmarks
	// process runs Trellis in a process of its own (see startServer), so a
	// benchmark's load generator shares no runtime with it. Its log goes to
	// a file, shown when it fails.
	process bool
	// dialect picks the database ("sqlite" or "postgres"); empty is
	// testDatabase's choice.
	dialect string
	// embeddedRedis runs Trellis on its embedded Redis, as the default
	// install does, instead of the test Redis.
	embeddedRedis bool
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func randomKey(t testing.TB) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// testDatabase picks Postgres when CI provides it, SQLite otherwise, and
// returns the env entries that point Trellis at it plus its URL.
func testDatabase(t testing.TB) (map[string]string, string) {
	env := map[string]string{"TRELLIS_DATA_DIR": t.TempDir()}
	dialects := modelstest.Dialects()
	if dialects[len(dialects)-1] == models.DialectPostgres {
		url := modelstest.URL(t, models.DialectPostgres)
		env["DATABASE_URL"] = url
		return env, url
	}
	return env, env["TRELLIS_DATA_DIR"] + "/trellis.db"
}

func startBot(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	sim := slacksim.New(slacksim.Config{Logger: kvtest.Logger(t).With("component", "slacksim"), RetryDelays: []time.Duration{0, 500 * time.Millisecond, time.Second}})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	sim.SeedDemo()

	env, dbURL := testDatabase(t)
	switch o.dialect {
	case models.DialectSQLite:
		delete(env, "DATABASE_URL")
		dbURL = env["TRELLIS_DATA_DIR"] + "/trellis.db"
	case models.DialectPostgres:
		dbURL = modelstest.URL(t, models.DialectPostgres)
		env["DATABASE_URL"] = dbURL
	}
	addr := freeAddr(t)
	redisURL := o.redisURL
	if redisURL == "" {
		redisURL = kvtest.URL()
	}
	for k, v := range map[string]string{
		"SLACK_BOT_TOKEN":        slacksim.DefaultBotToken,
		"SLACK_API_URL":          sim.APIURL(),
		"TRELLIS_ENCRYPTION_KEY": randomKey(t),
		"TRELLIS_ADDR":           addr,
		"REDIS_URL":              redisURL,
		"TRELLIS_REDIS_PREFIX":   "trellis-e2e:" + uuid.NewString()[:8] + ":",
		"TRELLIS_LOG_FORMAT":     "text",
		"TRELLIS_LOG_LEVEL":      "debug",
	} {
		env[k] = v
	}
	if o.embeddedRedis {
		delete(env, "REDIS_URL")
	}
	botURL := "http://" + addr
	switch o.transport {
	case "socket":
		env["SLACK_APP_TOKEN"] = slacksim.DefaultAppToken
		sim.SetSocketDelivery()
	case "http":
		env["SLACK_SIGNING_SECRET"] = slacksim.DefaultSigningSecret
		sim.SetHTTPDelivery(botURL+"/slack/events", botURL+"/slack/commands", botURL+"/slack/interactions")
	default:
		t.Fatalf("unknown transport %q", o.transport)
	}

	h := &harness{t: t, sim: sim, ctl: slacksim.NewControl(sim.URL()), botURL: botURL, env: env}
	if o.quiet {
		env["TRELLIS_LOG_FORMAT"], env["TRELLIS_LOG_LEVEL"] = "json", "info"
		h.quiet = true
	}
	if o.process {
		// startServer waits for /healthz itself.
		srv := startServer(t, "trellis", env)
		h.stop, h.pid = srv.stop, srv.pid
		if o.transport == "socket" {
			h.waitReady(o.transport)
		}
	} else {
		h.stop = h.launch(env)
		t.Cleanup(h.stop)
		h.waitReady(o.transport)
	}

	h.db = modelstest.Open(t, dbURL)
	h.people = models.NewPeople(h.db)
	return h
}

// launch runs Trellis with env until the returned stop is called.
func (h *harness) launch(env map[string]string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs io.Writer = io.MultiWriter(testlog.NewWriter(h.t), &h.logs)
	if h.quiet {
		logs = io.Discard
	}
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, io.Discard, logs)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					h.t.Errorf("run returned %v", err)
				}
			case <-time.After(30 * time.Second):
				h.t.Error("trellis did not shut down within 30s")
			}
		})
	}
}

func (h *harness) waitReady(transport string) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(h.botURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if transport != "socket" {
				return
			}
			info, err := h.ctl.Info(context.Background())
			if err == nil && info.SocketConnections > 0 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatalf("trellis was not ready within 20s")
}

// command runs a slash command as user and returns the reply's text: the
// fallback text plus the text of every block.
func (h *harness) command(user, line string) string {
	h.t.Helper()
	res, err := h.ctl.Command(context.Background(), slacksim.CommandRequest{User: user, Text: line})
	if err != nil {
		h.t.Fatalf("%s as %s: %v", line, user, err)
	}
	if res.Status != http.StatusOK {
		h.t.Fatalf("%s as %s: HTTP %d %s", line, user, res.Status, res.Error)
	}
	if res.Response == nil {
		return ""
	}
	return res.Response.Text + "\n" + blockText(res.Response.Blocks)
}

// blockText flattens the text of Block Kit JSON.
func blockText(raw json.RawMessage) string {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return ""
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["text"].(string); ok {
				b.WriteString(s + "\n")
			}
			for k, e := range x {
				if k != "text" || !isString(e) {
					walk(e)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return b.String()
}

func isString(v any) bool { _, ok := v.(string); return ok }

// eventually retries check until it returns nil or 10 s pass.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: %v", what, err)
}

func (h *harness) person(user string) models.Person {
	h.t.Helper()
	p, err := h.people.Get(context.Background(), slacksim.DefaultTeamID, user)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		h.t.Fatal(err)
	}
	return p
}

func option(value string) map[string]any {
	return map[string]any{"text": map[string]string{"type": "plain_text", "text": value}, "value": value}
}

func raw(t *testing.T, v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hoursValues is a filled-in hours modal.
func hoursValues(t *testing.T, days []string, start, end string) map[string]map[string]json.RawMessage {
	var opts []map[string]any
	for _, d := range days {
		opts = append(opts, option(d))
	}
	return map[string]map[string]json.RawMessage{
		"days":  {"days": raw(t, map[string]any{"type": "checkboxes", "selected_options": opts})},
		"start": {"start": raw(t, map[string]any{"type": "timepicker", "selected_time": start})},
		"end":   {"end": raw(t, map[string]any{"type": "timepicker", "selected_time": end})},
	}
}

// TestTransports runs the same conversation over Socket Mode and signed HTTP.
func TestTransports(t *testing.T) {
	for _, transport := range []string{"socket", "http"} {
		t.Run(transport, func(t *testing.T) {
			h := startBot(t, harnessOpts{transport: transport})
			ctx := context.Background()

			// /trellis me answers with that person's own settings. The
			// first time, Trellis has not read their Slack profile: it
			// answers at once, saying the zone is being read (never naming
			// a stand-in as Slack's), and reads it after the ack.
			got := h.command(slacksim.DemoRavi, "/trellis me")
			for _, want := range []string{"09:00–17:30", "workspace default"} {
				if !strings.Contains(got, want) {
					t.Errorf("/trellis me as Ravi = %q, want it to mention %q", got, want)
				}
			}
			if !strings.Contains(got, "Asia/Kolkata") && !strings.Contains(got, "not known yet") {
				t.Errorf("/trellis me as Ravi = %q, want Asia/Kolkata or that his zone is not known yet", got)
			}
			for user, zone := range map[string]string{slacksim.DemoRavi: "Asia/Kolkata", slacksim.DemoMei: "Asia/Tokyo"} {
				eventually(t, "/trellis me showing "+zone, func() error {
					if got := h.command(user, "/trellis me"); !strings.Contains(got, zone) {
						return fmt.Errorf("/trellis me as %s = %q, want %s", user, got, zone)
					}
					return nil
				})
			}

			// /trellis hours with no arguments opens the modal.
			h.command(slacksim.DemoRavi, "/trellis hours")
			stack, err := h.ctl.Views(ctx, slacksim.DemoRavi)
			if err != nil || len(stack) != 1 || stack[0].CallbackID != "hours" {
				t.Fatalf("after /trellis hours, views = %+v, %v; want the hours modal", stack, err)
			}

			// A zero-length window is refused on the End field; nothing stored.
			res, err := h.ctl.SubmitView(ctx, stack[0].ID, slacksim.SubmitRequest{User: slacksim.DemoRavi,
				Values: hoursValues(t, []string{"Mon", "Tue"}, "09:00", "09:00")})
			if err != nil {
				t.Fatal(err)
			}
			if res.ResponseAction != "errors" || res.Errors["end"] == "" || len(res.Views) != 1 {
				t.Errorf("zero-length submit = %+v, want an error on end and the modal still open", res)
			}
			if p := h.person(slacksim.DemoRavi); p.Hours != nil {
				t.Errorf("after a refused submit, hours = %v, want none stored", *p.Hours)
			}

			// A night shift is accepted and stored.
			res, err = h.ctl.SubmitView(ctx, stack[0].ID, slacksim.SubmitRequest{User: slacksim.DemoRavi,
				Values: hoursValues(t, []string{"Mon", "Tue", "Wed", "Thu", "Fri"}, "22:00", "06:00")})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) > 0 || len(res.Views) != 0 {
				t.Fatalf("night-shift submit = %+v, want the modal closed", res)
			}
			want := models.WorkingHours{Days: models.MonFri, Start: 22 * 60, End: 6 * 60}
			if p := h.person(slacksim.DemoRavi); p.Hours == nil || *p.Hours != want {
				t.Errorf("stored hours = %v, want %v", p.Hours, want)
			}
			if got := h.command(slacksim.DemoRavi, "/trellis me"); !strings.Contains(got, "22:00–06:00 (overnight") {
				t.Errorf("/trellis me after saving = %q, want the night shift", got)
			}

			// Secrets never reach the logs, though requests did.
			logged := h.logs.String()
			if !strings.Contains(logged, "slack request") {
				t.Errorf("no request was logged: %q", logged)
			}
			for name, secret := range map[string]string{
				"bot token": slacksim.DefaultBotToken, "app token": slacksim.DefaultAppToken,
				"signing secret": slacksim.DefaultSigningSecret, "encryption key": h.env["TRELLIS_ENCRYPTION_KEY"],
			} {
				if strings.Contains(logged, secret) {
					t.Errorf("the %s appears in the logs", name)
				}
			}

			// App Home is published when it is opened.
			if _, err := h.ctl.OpenHome(ctx, slacksim.DemoAda); err != nil {
				t.Fatal(err)
			}
			eventually(t, "home tab published", func() error {
				v, err := h.ctl.Home(ctx, slacksim.DemoAda)
				if err != nil {
					return err
				}
				if v == nil {
					return errors.New("no home view yet")
				}
				if text := blockText(v.Blocks); !strings.Contains(text, "Working hours") || !strings.Contains(text, "Europe/London") {
					return fmt.Errorf("home = %q", text)
				}
				return nil
			})
		})
	}
}

// readyz returns /readyz's status code and body.
func (h *harness) readyz() (int, map[string]string) {
	h.t.Helper()
	resp, err := http.Get(h.botURL + "/readyz")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, body
}
