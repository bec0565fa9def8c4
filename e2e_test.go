package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/app/apptest"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// harness is one Trellis (the App that serve runs, in this process, or
// the built binary as a process of its own), talking to a Slack
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

	app  *apptest.App // the running App; nil with harnessOpts.process
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

// testDatabase picks Postgres when CI provides it, SQLite otherwise, and
// returns the env entries that point Trellis at it plus its URL.
func testDatabase(t testing.TB) (map[string]string, string) {
	return apptest.DatabaseEnv(t, "")
}

func startBot(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	slack := testenv.StartSlack(t, slacksim.Config{RetryDelays: []time.Duration{0, 500 * time.Millisecond, time.Second}})
	sim := slack.Server
	sim.SeedDemo()

	env, dbURL := apptest.DatabaseEnv(t, o.dialect)
	for k, v := range apptest.SlackEnv(t, sim, o.transport) {
		env[k] = v
	}
	if o.redisURL != "" {
		env["REDIS_URL"] = o.redisURL
	}
	if o.embeddedRedis {
		delete(env, "REDIS_URL")
	}
	h := &harness{t: t, sim: sim, ctl: slack.Control, env: env}
	if o.quiet {
		env["TRELLIS_LOG_FORMAT"], env["TRELLIS_LOG_LEVEL"] = "json", "info"
		h.quiet = true
	}
	if o.process {
		addr := freeAddr(t)
		env["TRELLIS_ADDR"], h.botURL = addr, "http://"+addr
		if o.transport == "http" {
			sim.SetHTTPDelivery(h.botURL+"/slack/events", h.botURL+"/slack/commands", h.botURL+"/slack/interactions")
		}
		// startServer waits for /healthz itself.
		srv := startServer(t, "trellis", env)
		h.stop, h.pid = srv.stop, srv.pid
		if o.transport == "socket" {
			h.waitReady(o.transport)
		}
		h.db = modelstest.Open(t, dbURL)
	} else {
		h.stop = h.launch(env)
		if o.transport == "http" {
			h.app.DeliverHTTP(sim)
		}
		h.waitReady(o.transport)
		h.db = h.app.DB()
	}
	h.people = models.NewPeople(h.db)
	return h
}

// launch runs Trellis with env in this process, as the App that serve
// runs, until the returned stop is called or the test ends. The harness
// then reaches it at its address, and a sandbox's emulator at its own.
func (h *harness) launch(env map[string]string) (stop func()) {
	var logs io.Writer = io.MultiWriter(testlog.NewWriter(h.t), &h.logs)
	if h.quiet {
		logs = io.Discard
	}
	h.app = apptest.Start(h.t, env, apptest.Options{Logs: logs})
	h.botURL = h.app.URL()
	if sim := h.app.Emulator(); sim != nil {
		h.ctl = slacksim.NewControl(sim.URL())
	}
	return h.app.Stop
}

func (h *harness) waitReady(transport string) {
	h.t.Helper()
	apptest.WaitReady(h.t, h.botURL, h.ctl, transport)
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
			want := calendar.WorkingHours{Days: calendar.MonFri, Start: 22 * 60, End: 6 * 60}
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
