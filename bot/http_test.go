package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

// recorder is a handler that keeps the requests it served.
type recorder struct {
	mu   sync.Mutex
	reqs []*bot.Request
	res  *bot.Response
	err  error
}

func (r *recorder) ServeSlack(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	return r.res, r.err
}

func (r *recorder) last(t *testing.T) *bot.Request {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatalf("handler never ran")
	}
	return r.reqs[len(r.reqs)-1]
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

func TestHTTPURLVerification(t *testing.T) {
	rec := &recorder{}
	in := newInstance(t, kvtest.New(t), rec, bot.DispatcherConfig{})
	body := []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	status, got, hdr := post(t, in.srv.URL+"/slack/events", "application/json", body, nil)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	var v struct{ Challenge string }
	if err := json.Unmarshal(got, &v); err != nil || v.Challenge != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("body %s (%v), want the challenge", got, err)
	}
	if ct := hdr.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if rec.count() != 0 {
		t.Errorf("handler ran for url_verification")
	}
}

func TestHTTPRejectsUnsigned(t *testing.T) {
	rec := &recorder{}
	in := newInstance(t, kvtest.New(t), rec, bot.DispatcherConfig{})
	for p, ctype := range map[string]string{"/slack/events": "application/json",
		"/slack/commands": "application/x-www-form-urlencoded", "/slack/interactions": "application/x-www-form-urlencoded"} {
		resp, err := http.Post(in.srv.URL+p, ctype, strings.NewReader(`{"type":"url_verification","challenge":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("unsigned POST %s: status %d, want 401", p, resp.StatusCode)
		}
	}
	if rec.count() != 0 {
		t.Errorf("handler ran for unsigned requests")
	}
}

func TestHTTPEvent(t *testing.T) {
	rec := &recorder{}
	in := newInstance(t, kvtest.New(t), rec, bot.DispatcherConfig{})
	if status := postEvent(t, in, eventBody(t, "Ev10", homeOpened("U7")), 2); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	req := rec.last(t)
	if req.Kind != bot.KindEvent || req.EventID != "Ev10" || req.RetryNum != 2 || req.TeamID != "T1" || req.UserID != "U7" || req.ChannelID != "D1" {
		t.Errorf("request = kind %v event %q retry %d team %q user %q channel %q", req.Kind, req.EventID, req.RetryNum, req.TeamID, req.UserID, req.ChannelID)
	}
	if req.Event == nil || req.Event.Type != "app_home_opened" {
		t.Fatalf("Event = %+v", req.Event)
	}
	if ev, ok := req.Event.Data.(*slackevents.AppHomeOpenedEvent); !ok || ev.User != "U7" {
		t.Errorf("Event.Data = %#v, want *AppHomeOpenedEvent for U7", req.Event.Data)
	}
}

func TestHTTPCommand(t *testing.T) {
	tests := []struct {
		name      string
		res       *bot.Response
		err       error
		wantText  string
		wantNoErr string
	}{
		{name: "reply", res: &bot.Response{Body: map[string]string{"response_type": "ephemeral", "text": "Your check-ins"}}, wantText: "Your check-ins"},
		{name: "handler error", err: errors.New("pq: relation \"checkins\" does not exist"), wantText: "Something went wrong on my side; nothing was changed. Please try again in a minute.", wantNoErr: "relation"},
		{name: "no route", err: bot.ErrNoRoute, wantText: "Sorry, I don't know how to handle `/trellis` yet. Try `/trellis help` to see what I can do."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{res: tt.res, err: tt.err}
			in := newInstance(t, kvtest.New(t), rec, bot.DispatcherConfig{})
			form := url.Values{
				"token": {"x"}, "team_id": {"T1"}, "user_id": {"U1"}, "channel_id": {"C1"},
				"command": {"/trellis"}, "text": {"checkin list"}, "response_url": {"https://hooks.example/1"}, "trigger_id": {"1.2.3"},
			}
			status, body, hdr := postForm(t, in, "/slack/commands", form)
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			if ct := hdr.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var msg struct {
				ResponseType string `json:"response_type"`
				Text         string `json:"text"`
			}
			if err := json.Unmarshal(body, &msg); err != nil {
				t.Fatalf("ack %s: %v", body, err)
			}
			if msg.Text != tt.wantText || msg.ResponseType != "ephemeral" {
				t.Errorf("ack = %s, want ephemeral %q", body, tt.wantText)
			}
			if tt.wantNoErr != "" && strings.Contains(string(body), tt.wantNoErr) {
				t.Errorf("ack %s leaks the internal error", body)
			}
			req := rec.last(t)
			if req.Kind != bot.KindCommand || req.Command == nil || req.Command.Text != "checkin list" || req.TeamID != "T1" || req.UserID != "U1" || req.ChannelID != "C1" {
				t.Errorf("request = %+v / %+v", req, req.Command)
			}
		})
	}
}

func TestHTTPSSLCheck(t *testing.T) {
	rec := &recorder{}
	in := newInstance(t, kvtest.New(t), rec, bot.DispatcherConfig{})
	status, body, _ := postForm(t, in, "/slack/commands", url.Values{"ssl_check": {"1"}, "token": {"x"}})
	if status != http.StatusOK || len(body) != 0 {
		t.Errorf("ssl_check: status %d body %q, want empty 200", status, body)
	}
	if rec.count() != 0 {
		t.Errorf("handler ran for ssl_check")
	}
}

func TestHTTPInteractions(t *testing.T) {
	tests := []struct {
		name       string
		payload    map[string]any
		res        *bot.Response
		err        error
		wantKind   bot.Kind
		wantStatus int
		wantBody   string
		wantRun    bool
	}{
		{
			name: "block action",
			payload: map[string]any{
				"type": "block_actions", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": "U1"},
				"channel": map[string]any{"id": "C1"}, "trigger_id": "1.2",
				"actions": []map[string]any{{"action_id": "checkin:answer", "block_id": "b1", "type": "button", "value": "v"}},
			},
			wantKind: bot.KindBlockAction, wantStatus: 200, wantRun: true,
		},
		{
			name: "view submission with errors",
			payload: map[string]any{
				"type": "view_submission", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": "U1"},
				"view": map[string]any{"id": "V1", "callback_id": "checkin:answer", "type": "modal", "team_id": "T1"},
			},
			res:      &bot.Response{Body: map[string]any{"response_action": "errors", "errors": map[string]string{"b1": "Please answer"}}},
			wantKind: bot.KindViewSubmission, wantStatus: 200, wantRun: true,
			wantBody: `{"errors":{"b1":"Please answer"},"response_action":"errors"}`,
		},
		{
			name: "view submission failed",
			payload: map[string]any{
				"type": "view_submission", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": "U1"},
				"view": map[string]any{"id": "V1", "callback_id": "checkin:answer", "type": "modal"},
			},
			err:      errors.New("db down"),
			wantKind: bot.KindViewSubmission, wantStatus: 500, wantRun: true,
		},
		{
			name: "view closed",
			payload: map[string]any{
				"type": "view_closed", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": "U1"},
				"view": map[string]any{"id": "V1", "callback_id": "okr:edit", "type": "modal"},
			},
			wantKind: bot.KindViewClosed, wantStatus: 200, wantRun: true,
		},
		{
			name:       "shortcut is ignored",
			payload:    map[string]any{"type": "shortcut", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": "U1"}, "callback_id": "s"},
			wantStatus: 200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{res: tt.res, err: tt.err}
			in := newInstance(t, kvtest.New(t), rec, bot.DispatcherConfig{})
			status, body, _ := postForm(t, in, "/slack/interactions", url.Values{"payload": {mustJSON(t, tt.payload)}})
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d", status, tt.wantStatus)
			}
			if string(body) != tt.wantBody {
				t.Errorf("body %s, want %s", body, tt.wantBody)
			}
			if !tt.wantRun {
				if rec.count() != 0 {
					t.Errorf("handler ran")
				}
				return
			}
			req := rec.last(t)
			if req.Kind != tt.wantKind || req.Interaction == nil || req.TeamID != "T1" || req.UserID != "U1" {
				t.Errorf("request kind %v team %q user %q, want %v T1 U1", req.Kind, req.TeamID, req.UserID, tt.wantKind)
			}
		})
	}
}

// The HTTP transport and a *Mux route together.
func TestHTTPWithMux(t *testing.T) {
	mux := bot.NewMux()
	mux.Use(bot.Recover(), bot.Logging(kvtest.Logger(t)))
	var got string
	mux.Action("checkin", bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		got = req.Interaction.ActionCallback.BlockActions[0].ActionID
		return nil, nil
	}))
	mux.Command("/trellis", bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		panic("boom")
	}))
	in := newInstance(t, kvtest.New(t), mux, bot.DispatcherConfig{})
	payload := mustJSON(t, slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, Team: slack.Team{ID: "T1"}, User: slack.User{ID: "U1"},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: "checkin:skip"}}},
	})
	if status, _, _ := postForm(t, in, "/slack/interactions", url.Values{"payload": {payload}}); status != 200 {
		t.Errorf("status %d", status)
	}
	if got != "checkin:skip" {
		t.Errorf("routed action %q, want checkin:skip", got)
	}
	status, body, _ := postForm(t, in, "/slack/commands", url.Values{"team_id": {"T1"}, "user_id": {"U1"}, "command": {"/trellis"}})
	if status != 200 || !strings.Contains(string(body), "Something went wrong on my side") {
		t.Errorf("panicking command: status %d body %s, want the friendly message", status, body)
	}
}

// A correctly signed request with a Content-Type other than the one Slack
// sends to that endpoint gets 400 and reaches no handler, on every
// endpoint; the same request with the right type is served.
func TestHTTPRejectsWrongContentType(t *testing.T) {
	rec := &recorder{}
	in := newInstance(t, kvtest.New(t), rec, bot.DispatcherConfig{})
	const form, js = "application/x-www-form-urlencoded", "application/json"
	endpoints := []struct {
		path, want string
		body       []byte
	}{
		{"/slack/events", js, eventBody(t, "EvCT", homeOpened("U1"))},
		{"/slack/commands", form, []byte(url.Values{"command": {"/trellis"}, "text": {"help"}, "team_id": {"T1"},
			"user_id": {"U1"}, "channel_id": {"C1"}, "trigger_id": {"ct.1"}}.Encode())},
		{"/slack/interactions", form, []byte(url.Values{"payload": {`{"type":"view_closed","team":{"id":"T1"},` +
			`"user":{"id":"U1"},"view":{"id":"VCT","hash":"h1","callback_id":"x"}}`}}.Encode())},
	}
	wrong := []string{"", "text/plain", "multipart/form-data; boundary=x", "application/xml", "application/json; charset=utf-8",
		"application/x-www-form-urlencoded", "text/html; charset=utf-8", "not a media type"}
	for _, e := range endpoints {
		for _, ctype := range wrong {
			if mt, _, _ := strings.Cut(ctype, ";"); mt == e.want {
				continue
			}
			t.Run(e.path+"/"+ctype, func(t *testing.T) {
				status, body, _ := post(t, in.srv.URL+e.path, ctype, e.body, nil)
				if status != http.StatusBadRequest {
					t.Errorf("POST %s as %q: status %d, want 400", e.path, ctype, status)
				}
				if !strings.Contains(string(body), e.want) {
					t.Errorf("POST %s as %q: body %q, want it to name %s", e.path, ctype, body, e.want)
				}
			})
		}
	}
	if n := rec.count(); n != 0 {
		t.Fatalf("handler ran %d times for requests with the wrong content type", n)
	}
	for _, e := range endpoints {
		if status, _, _ := post(t, in.srv.URL+e.path, e.want+"; charset=utf-8", e.body, nil); status != http.StatusOK {
			t.Errorf("POST %s as %s: status %d, want 200", e.path, e.want, status)
		}
	}
	if n := rec.count(); n != len(endpoints) {
		t.Errorf("handler ran %d times for well-typed requests, want %d", n, len(endpoints))
	}
}
