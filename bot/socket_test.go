package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

// fakeSocket is a minimal Socket Mode server: apps.connections.open and the
// WebSocket it points to.
type fakeSocket struct {
	t         *testing.T
	srv       *httptest.Server
	failOpens int32
	opens     atomic.Int32
	conns     chan *websocket.Conn
	acks      chan socketAck
}

type socketAck struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

func newFakeSocket(t *testing.T, failOpens int32) *fakeSocket {
	f := &fakeSocket{t: t, failOpens: failOpens, conns: make(chan *websocket.Conn, 4), acks: make(chan socketAck, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer xapp-test" {
			fmt.Fprint(w, `{"ok":false,"error":"not_authed"}`)
			return
		}
		if f.opens.Add(1) <= f.failOpens {
			fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"url":"ws://%s/link"}`, r.Host)
	})
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }} // slack-go sends Origin: https://api.slack.com
	mux.HandleFunc("GET /link", func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		done := make(chan struct{})
		go func() { // Slack pings; slack-go drops a connection that is not pinged
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					if conn.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(time.Second)) != nil {
						return
					}
				}
			}
		}()
		go func() {
			defer close(done)
			for {
				_, msg, err := conn.ReadMessage()
				if err != nil {
					return
				}
				var a socketAck
				if err := json.Unmarshal(msg, &a); err != nil {
					t.Errorf("unparseable ack %s: %v", msg, err)
					continue
				}
				f.acks <- a
			}
		}()
		if err := conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 1,
			"connection_info": map[string]any{"app_id": "A1"}, "debug_info": map[string]any{"host": "fake"}}); err != nil {
			t.Errorf("hello: %v", err)
		}
		f.conns <- conn
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSocket) nextConn(t *testing.T) *websocket.Conn {
	t.Helper()
	select {
	case c := <-f.conns:
		return c
	case <-time.After(10 * time.Second):
		t.Fatalf("the bot never connected")
		return nil
	}
}

func (f *fakeSocket) nextAck(t *testing.T) socketAck {
	t.Helper()
	select {
	case a := <-f.acks:
		return a
	case <-time.After(5 * time.Second):
		t.Fatalf("no ack")
		return socketAck{}
	}
}

func send(t *testing.T, conn *websocket.Conn, typ, envelopeID string, payload any, retry int) {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.WriteJSON(map[string]any{"type": typ, "envelope_id": envelopeID, "payload": json.RawMessage(raw),
		"accepts_response_payload": typ != "events_api", "retry_attempt": retry, "retry_reason": ""}); err != nil {
		t.Fatalf("send %s: %v", envelopeID, err)
	}
}

func TestSocketMode(t *testing.T) {
	fake := newFakeSocket(t, 1) // the first apps.connections.open says invalid_auth
	var mu sync.Mutex
	got := map[string]*bot.Request{}
	var failures atomic.Int32
	h := bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		switch req.Kind {
		case bot.KindEvent:
			got[req.EventID] = req
			if req.EventID == "EvFail" && failures.Add(1) == 1 {
				return nil, errors.New("db down")
			}
			return nil, nil
		case bot.KindCommand:
			got["command"] = req
			return &bot.Response{Body: map[string]string{"response_type": "ephemeral", "text": "Here is how I work."}}, nil
		case bot.KindViewSubmission:
			got["view"] = req
			return &bot.Response{Body: map[string]any{"response_action": "errors", "errors": map[string]string{"b1": "Required"}}}, nil
		}
		return nil, nil
	})
	log := kvtest.Logger(t)
	d := bot.NewDispatcher(bot.DispatcherConfig{Logger: log, Handler: h,
		Deduper: bot.NewDeduper(bot.DeduperConfig{Store: kvtest.New(t), Logger: log})})
	sm := bot.NewSocketMode(bot.SocketConfig{
		Dispatcher: d, Logger: log, AppToken: "xapp-test", BotToken: "xoxb-test",
		APIURL:     fake.srv.URL + "/api/",
		HTTPClient: bot.NewTransport(bot.TransportConfig{Logger: log}),
		MinBackoff: 20 * time.Millisecond, PingInterval: 2 * time.Second,
	})
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- sm.Run(ctx) }()

	conn := fake.nextConn(t)
	if n := fake.opens.Load(); n != 2 {
		t.Errorf("apps.connections.open called %d times, want 2 (invalid_auth, then retried)", n)
	}

	// An event, delivered as Slack's first retry.
	send(t, conn, "events_api", "env-1", json.RawMessage(eventBody(t, "EvS1", homeOpened("U5"))), 1)
	if a := fake.nextAck(t); a.EnvelopeID != "env-1" || len(a.Payload) != 0 {
		t.Errorf("event ack = %+v, want env-1 with no payload", a)
	}
	// A slash command: the ack carries the reply.
	send(t, conn, "slash_commands", "env-2", map[string]any{
		"command": "/trellis", "text": "help", "team_id": "T1", "user_id": "U1", "channel_id": "C1", "trigger_id": "1.2",
	}, 0)
	if a := fake.nextAck(t); a.EnvelopeID != "env-2" || !strings.Contains(string(a.Payload), "Here is how I work.") {
		t.Errorf("command ack = %s %s", a.EnvelopeID, a.Payload)
	}
	// A view submission: the ack carries the response_action.
	send(t, conn, "interactive", "env-3", map[string]any{
		"type": "view_submission", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": "U2"},
		"view": map[string]any{"id": "V1", "callback_id": "checkin:answer", "type": "modal"},
	}, 0)
	if a := fake.nextAck(t); a.EnvelopeID != "env-3" || string(a.Payload) != `{"errors":{"b1":"Required"},"response_action":"errors"}` {
		t.Errorf("view ack = %s %s", a.EnvelopeID, a.Payload)
	}
	// A failing event is not acked, so Slack redelivers; an event type
	// slack-go cannot parse is acked and dropped. Acks come in order, so
	// the next ack is env-5's.
	send(t, conn, "events_api", "env-4", json.RawMessage(eventBody(t, "EvFail", homeOpened("U1"))), 0)
	send(t, conn, "events_api", "env-5", json.RawMessage(eventBody(t, "EvOdd", map[string]any{"type": "made_up_event"})), 0)
	if a := fake.nextAck(t); a.EnvelopeID != "env-5" {
		t.Errorf("ack for %s, want env-5 (env-4 failed and must not be acked)", a.EnvelopeID)
	}
	select {
	case a := <-fake.acks:
		t.Errorf("unexpected ack %s: the failed event must not be acked", a.EnvelopeID)
	case <-time.After(300 * time.Millisecond):
	}

	mu.Lock()
	ev, cmd, view := got["EvS1"], got["command"], got["view"]
	mu.Unlock()
	if ev == nil || ev.RetryNum != 1 || ev.TeamID != "T1" || ev.UserID != "U5" || ev.Event.Type != "app_home_opened" {
		t.Errorf("event request = %+v", ev)
	}
	if cmd == nil || cmd.Command.Text != "help" || cmd.UserID != "U1" || cmd.ChannelID != "C1" {
		t.Errorf("command request = %+v", cmd)
	}
	if view == nil || view.Kind != bot.KindViewSubmission || view.UserID != "U2" || view.Interaction.View.CallbackID != "checkin:answer" {
		t.Errorf("view request = %+v", view)
	}

	// Slack drops the connection: the bot reconnects and keeps serving,
	// and the redelivered failing event now succeeds.
	_ = conn.Close()
	conn = fake.nextConn(t)
	send(t, conn, "events_api", "env-6", json.RawMessage(eventBody(t, "EvFail", homeOpened("U1"))), 1)
	if a := fake.nextAck(t); a.EnvelopeID != "env-6" {
		t.Errorf("ack after reconnect for %s, want env-6", a.EnvelopeID)
	}
	if n := failures.Load(); n != 2 {
		t.Errorf("failing event ran %d times, want 2 (failed, then redelivered and served)", n)
	}

	cancel()
	select {
	case err := <-runDone:
		if err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("Run did not return after cancel")
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := d.Shutdown(sctx); err != nil {
		t.Error(err)
	}
}
