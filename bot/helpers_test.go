package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/bot/bottest"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/kv"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

const testSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// instance is one bot replica in a test: a Dispatcher behind the HTTP
// transport, on its own kv.Store.
type instance struct {
	d      *bot.Dispatcher
	dedupe *bot.Deduper
	srv    *httptest.Server
}

func newInstance(t *testing.T, store *kv.Store, h bot.Handler, cfg bot.DispatcherConfig) *instance {
	t.Helper()
	log := kvtest.Logger(t)
	dd := bot.NewDeduper(bot.DeduperConfig{Store: store, Logger: log, Metrics: cfg.Metrics, RedisCooldown: 50 * time.Millisecond})
	cfg.Logger = log
	cfg.Handler = h
	cfg.Deduper = dd
	d := bot.NewDispatcher(cfg)
	srv := httptest.NewServer(bot.NewHTTPHandler(d, testSecret, clock.System{}, log))
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return &instance{d: d, dedupe: dd, srv: srv}
}

// replicaStore returns a second kv.Store sharing store's Redis and prefix,
// as a second replica of the bot has.
func replicaStore(t *testing.T, store *kv.Store) *kv.Store {
	t.Helper()
	return kvtest.NewWithPrefix(t, store.Key(""))
}

// post sends a signed request and returns the status and body.
func post(t *testing.T, url, contentType string, body []byte, header http.Header) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header[k] = v
	}
	bottest.SignRequest(t, req, testSecret, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func postEvent(t *testing.T, in *instance, body []byte, retry int) int {
	t.Helper()
	h := http.Header{}
	if retry > 0 {
		h.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		h.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	status, _, _ := post(t, in.srv.URL+"/slack/events", "application/json", body, h)
	return status
}

func postForm(t *testing.T, in *instance, path string, form url.Values) (int, []byte, http.Header) {
	t.Helper()
	return post(t, in.srv.URL+path, "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
}

// eventBody builds an event_callback envelope.
func eventBody(t *testing.T, eventID string, inner map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"token":      "legacy",
		"team_id":    "T1",
		"api_app_id": "A1",
		"type":       "event_callback",
		"event_id":   eventID,
		"event_time": time.Now().Unix(),
		"event":      inner,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func homeOpened(user string) map[string]any {
	return map[string]any{"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home", "event_ts": "1700000000.000100"}
}

func messageEvent(user, channel, ts string) map[string]any {
	return map[string]any{"type": "message", "user": user, "channel": channel, "text": "secret words", "ts": ts, "event_ts": ts, "channel_type": "im"}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// metricValue reads a counter or gauge from reg; labels must all match.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

func newMetrics() (*bot.Metrics, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	return bot.NewMetrics(reg), reg
}
