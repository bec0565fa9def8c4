package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/kv"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

// replayCase is one kind of Slack delivery, built so that two calls of
// payload with the same n are the same delivery and different n are
// different deliveries (a second click, a second command).
type replayCase struct {
	kind bot.Kind
	// socketType is the Socket Mode envelope type.
	socketType string
	// path is the HTTP endpoint; form deliveries send payload as the
	// interaction form's "payload" field.
	path string
	// payload is the delivery's JSON (or, for a command, its form fields).
	payload func(run string, n int) map[string]any
}

func (c replayCase) name() string { return c.kind.String() }

// httpBody is the body and content type of the case's HTTP request.
func (c replayCase) httpBody(t *testing.T, p map[string]any) ([]byte, string) {
	t.Helper()
	switch c.path {
	case "/slack/events":
		return []byte(mustJSON(t, p)), "application/json"
	case "/slack/commands":
		form := url.Values{}
		for k, v := range p {
			form.Set(k, fmt.Sprint(v))
		}
		return []byte(form.Encode()), "application/x-www-form-urlencoded"
	}
	return []byte(url.Values{"payload": {mustJSON(t, p)}}.Encode()), "application/x-www-form-urlencoded"
}

// replayCases covers every Kind the Dispatcher serves.
func replayCases() []replayCase {
	team := map[string]any{"id": "T1"}
	user := map[string]any{"id": "U1"}
	return []replayCase{
		{kind: bot.KindEvent, socketType: "events_api", path: "/slack/events",
			payload: func(run string, n int) map[string]any {
				return map[string]any{"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
					"event_id": fmt.Sprintf("Ev%s%d", run, n), "event_time": 1700000000,
					"event": homeOpened("U1")}
			}},
		{kind: bot.KindCommand, socketType: "slash_commands", path: "/slack/commands",
			payload: func(run string, n int) map[string]any {
				return map[string]any{"command": "/trellis", "text": "me", "team_id": "T1", "user_id": "U1",
					"channel_id": "D1", "trigger_id": fmt.Sprintf("%s.%d", run, n)}
			}},
		{kind: bot.KindBlockAction, socketType: "interactive", path: "/slack/interactions",
			payload: func(run string, n int) map[string]any {
				return map[string]any{"type": "block_actions", "team": team, "user": user,
					"trigger_id": fmt.Sprintf("%s.t%d", run, n),
					"container":  map[string]any{"type": "message", "message_ts": "1700000000.000100", "channel_id": "D1"},
					"channel":    map[string]any{"id": "D1"},
					"actions": []any{map[string]any{"type": "button", "action_id": "checkin:skip", "block_id": "b" + run,
						"value": "7", "action_ts": fmt.Sprintf("1700000001.%06d", n)}}}
			}},
		{kind: bot.KindViewSubmission, socketType: "interactive", path: "/slack/interactions",
			payload: func(run string, n int) map[string]any {
				return map[string]any{"type": "view_submission", "team": team, "user": user,
					"trigger_id": fmt.Sprintf("%s.s%d", run, n),
					"view":       map[string]any{"id": "V" + run, "hash": fmt.Sprintf("1700000000.h%d", n), "type": "modal", "callback_id": "checkin:answer"}}
			}},
		{kind: bot.KindViewClosed, socketType: "interactive", path: "/slack/interactions",
			payload: func(run string, n int) map[string]any {
				return map[string]any{"type": "view_closed", "team": team, "user": user,
					"view": map[string]any{"id": fmt.Sprintf("V%s%d", run, n), "hash": "1700000000.abc", "type": "modal", "callback_id": "checkin:answer"}}
			}},
	}
}

// kindCounter counts the requests a handler served, by Kind.
type kindCounter struct {
	mu sync.Mutex
	n  map[bot.Kind]int
}

func (k *kindCounter) ServeSlack(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.n == nil {
		k.n = map[bot.Kind]int{}
	}
	k.n[req.Kind]++
	return nil, nil
}

func (k *kindCounter) count(kind bot.Kind) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.n[kind]
}

// Every kind of delivery sent twice as the identical signed HTTP request,
// once to each of two replicas sharing Redis (a Slack retry, or a replay of
// the captured request inside its 5-minute window), reaches the handler
// once; a different delivery of the same kind (a second click) still does.
func TestReplayOverHTTPActsOnce(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		for _, c := range replayCases() {
			t.Run(fmt.Sprintf("%s/concurrent=%v", c.name(), concurrent), func(t *testing.T) {
				storeA := kvtest.New(t)
				h := &kindCounter{}
				a := newInstance(t, storeA, h, bot.DispatcherConfig{})
				b := newInstance(t, replicaStore(t, storeA), h, bot.DispatcherConfig{})
				run := uuid.NewString()[:8]

				body, ctype := c.httpBody(t, c.payload(run, 1))
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				sig := bot.Sign(testSecret, ts, body)
				deliver := func(in *instance) {
					req, err := http.NewRequest(http.MethodPost, in.srv.URL+c.path, bytes.NewReader(body))
					if err != nil {
						t.Error(err)
						return
					}
					req.Header.Set("Content-Type", ctype)
					req.Header.Set("X-Slack-Request-Timestamp", ts)
					req.Header.Set("X-Slack-Signature", sig)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Errorf("POST %s: %v", c.path, err)
						return
					}
					resp.Body.Close()
					// An event or form submission arriving while its twin
					// is handled is not acked (500), since the twin may
					// yet fail; Slack sends it again.
					inProgress := concurrent && resp.StatusCode == http.StatusInternalServerError &&
						(c.kind == bot.KindEvent || c.kind == bot.KindViewSubmission)
					if resp.StatusCode != http.StatusOK && !inProgress {
						t.Errorf("POST %s: status %d, want 200", c.path, resp.StatusCode)
					}
				}
				if concurrent {
					var wg sync.WaitGroup
					wg.Go(func() { deliver(a) })
					wg.Go(func() { deliver(b) })
					wg.Wait()
				} else {
					deliver(a)
					deliver(b)
				}
				if got := h.count(c.kind); got != 1 {
					t.Fatalf("%s delivered twice: handler ran %d times, want 1", c.name(), got)
				}

				// A second, different delivery of the same kind is served.
				body2, _ := c.httpBody(t, c.payload(run, 2))
				if status, _, _ := post(t, b.srv.URL+c.path, ctype, body2, nil); status != http.StatusOK {
					t.Fatalf("second delivery: status %d", status)
				}
				if got := h.count(c.kind); got != 2 {
					t.Errorf("after a different %s: handler ran %d times, want 2", c.name(), got)
				}
			})
		}
	}
}

// Every kind of delivery sent again over Socket Mode, once to each of two
// replicas' connections sharing Redis (Slack redelivering an envelope it
// thinks was lost), reaches the handler once; both envelopes are acked.
func TestReplayOverSocketModeActsOnce(t *testing.T) {
	fake := newFakeSocket(t, 0)
	storeA := kvtest.New(t)
	h := &kindCounter{}
	ctx, cancel := context.WithCancel(context.Background())
	var runs sync.WaitGroup
	var dispatchers []*bot.Dispatcher
	for _, store := range []*kv.Store{storeA, replicaStore(t, storeA)} {
		log := kvtest.Logger(t)
		d := bot.NewDispatcher(bot.DispatcherConfig{Logger: log, Handler: h,
			Deduper: bot.NewDeduper(bot.DeduperConfig{Store: store, Logger: log})})
		dispatchers = append(dispatchers, d)
		sm := bot.NewSocketMode(bot.SocketConfig{
			Dispatcher: d, Logger: log, AppToken: "xapp-test", BotToken: "xoxb-test",
			APIURL:     fake.srv.URL + "/api/",
			HTTPClient: bot.NewTransport(bot.TransportConfig{Logger: log}),
			MinBackoff: 20 * time.Millisecond, PingInterval: 2 * time.Second,
		})
		runs.Go(func() {
			if err := sm.Run(ctx); err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		cancel()
		runs.Wait()
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		for _, d := range dispatchers {
			if err := d.Shutdown(sctx); err != nil {
				t.Error(err)
			}
		}
	})
	conns := [2]*websocket.Conn{fake.nextConn(t), fake.nextConn(t)}

	run := uuid.NewString()[:8]
	for i, c := range replayCases() {
		p := c.payload(run, 1)
		env1, env2 := fmt.Sprintf("env-%d-a", i), fmt.Sprintf("env-%d-b", i)
		send(t, conns[0], c.socketType, env1, p, 0)
		if a := fake.nextAck(t); a.EnvelopeID != env1 {
			t.Fatalf("%s: ack for %s, want %s", c.name(), a.EnvelopeID, env1)
		}
		send(t, conns[1], c.socketType, env2, p, 1)
		if a := fake.nextAck(t); a.EnvelopeID != env2 {
			t.Fatalf("%s: ack for %s, want %s (a duplicate is acked, so Slack stops sending it)", c.name(), a.EnvelopeID, env2)
		}
		if got := h.count(c.kind); got != 1 {
			t.Errorf("%s redelivered over Socket Mode: handler ran %d times, want 1", c.name(), got)
		}
		send(t, conns[1], c.socketType, env2+"-other", c.payload(run, 2), 0)
		fake.nextAck(t)
		if got := h.count(c.kind); got != 2 {
			t.Errorf("after a different %s over Socket Mode: handler ran %d times, want 2", c.name(), got)
		}
	}
}

// refuseFirst answers the first view submission it serves with field
// errors and accepts the rest, counting them.
type refuseFirst struct {
	mu sync.Mutex
	n  int
}

func (r *refuseFirst) ServeSlack(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if r.n == 1 {
		return &bot.Response{Body: map[string]any{"response_action": "errors", "errors": map[string]string{"name": "Give it a name."}}}, nil
	}
	return nil, nil
}

func (r *refuseFirst) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// A form submitted twice (a double click on Submit: the same view and hash
// under two triggers, to two replicas) acts once; a submission refused
// with field errors does not count, so the corrected form is served.
func TestDoubleSubmitActsOnce(t *testing.T) {
	storeA := kvtest.New(t)
	h := &refuseFirst{}
	a := newInstance(t, storeA, h, bot.DispatcherConfig{})
	b := newInstance(t, replicaStore(t, storeA), h, bot.DispatcherConfig{})
	run := uuid.NewString()[:8]
	submit := func(in *instance, trigger string) []byte {
		t.Helper()
		p := map[string]any{"type": "view_submission", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": "U1"},
			"trigger_id": run + trigger,
			"view":       map[string]any{"id": "V" + run, "hash": "1700000000.same", "type": "modal", "callback_id": "checkin:new"}}
		body := []byte(url.Values{"payload": {mustJSON(t, p)}}.Encode())
		status, ack, _ := post(t, in.srv.URL+"/slack/interactions", "application/x-www-form-urlencoded", body, nil)
		if status != http.StatusOK {
			t.Fatalf("submit %s: status %d", trigger, status)
		}
		return ack
	}
	if ack := submit(a, ".1"); !bytes.Contains(ack, []byte(`"errors"`)) {
		t.Fatalf("first submission's ack %s; want the field errors", ack)
	}
	submit(b, ".2") // corrected: served
	submit(a, ".3") // a second click on the same corrected form: dropped
	submit(b, ".4")
	if got := h.count(); got != 2 {
		t.Errorf("handler ran %d times, want 2 (the refused submission and the corrected one)", got)
	}
}
