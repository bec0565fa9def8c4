package slacksim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Kinds of delivery to the bot.
const (
	kindEvent       = "event"
	kindCommand     = "command"
	kindInteraction = "interaction"
)

// Retry reasons Slack sends.
const (
	reasonHTTPTimeout      = "http_timeout"
	reasonHTTPError        = "http_error"
	reasonConnectionFailed = "connection_failed"
	reasonSocketTimeout    = "timeout"
)

// ack is what came back from one delivery attempt.
type ack struct {
	acked       bool   // 2xx in time, or a Socket Mode ack
	status      int    // HTTP status; 200 for a Socket Mode ack; 0 for none
	body        []byte // HTTP body, or the Socket Mode ack's payload
	contentType string
	noRetry     bool   // X-Slack-No-Retry: 1
	reason      string // why it failed, as a retry reason
	err         string
}

func (a ack) errorText() string {
	switch {
	case a.acked:
		return ""
	case a.reason == reasonHTTPTimeout || a.reason == reasonSocketTimeout:
		return "operation_timeout"
	case a.reason == reasonHTTPError:
		return fmt.Sprintf("http_error: bot answered HTTP %d", a.status)
	case a.err != "":
		return "dispatch_failed: " + a.err
	default:
		return "dispatch_failed"
	}
}

// payloadBody returns the ack's body when it holds something.
func (a ack) payloadBody() []byte {
	b := bytes.TrimSpace(a.body)
	if len(b) == 0 || string(b) == "null" || string(b) == `""` {
		return nil
	}
	return b
}

// deliverOnce makes one attempt to deliver payload to the bot over the
// current transport.
func (s *Server) deliverOnce(ctx context.Context, kind, typ string, payload map[string]any, attempt int, reason string) ack {
	s.mu.Lock()
	d := s.delivery
	s.mu.Unlock()
	start := time.Now()
	var a ack
	id, _ := payload["event_id"].(string)
	if d.mode == ModeHTTP {
		a = s.deliverHTTP(ctx, d, kind, payload, attempt, reason)
	} else {
		var envID string
		envID, a = s.hub.send(ctx, kind, payload, attempt, reason)
		if id == "" {
			id = envID
		}
	}
	if id == "" {
		id, _ = payload["trigger_id"].(string)
	}
	s.dlog.add(Delivery{
		ID: id, Kind: kind, Type: typ, Mode: d.mode, Attempt: attempt, RetryReason: reason,
		Time: start, Acked: a.acked, Status: a.status, Error: a.errorText(),
	})
	if !a.acked {
		s.log.Warn("slacksim: delivery failed", "kind", kind, "type", typ, "attempt", attempt, "reason", a.reason, "err", a.err)
	}
	return a
}

// deliverSync delivers a command or interaction once and waits for the ack:
// Slack does not retry those.
func (s *Server) deliverSync(ctx context.Context, kind, typ string, payload map[string]any) ack {
	return s.deliverOnce(ctx, kind, typ, payload, 0, "")
}

// newEventID returns an event id unique across emulator restarts, so a bot
// that remembers event ids never mistakes a new event for a duplicate.
func newEventID() string {
	return "Ev" + strings.ToUpper(strings.ReplaceAll(uuid.NewString(), "-", "")[:12])
}

// emitEvent wraps inner in an event_callback envelope and delivers it in
// the background, retrying per Config.RetryDelays. The returned channel
// receives the first attempt's ack.
func (s *Server) emitEvent(inner map[string]any) <-chan ack {
	first := make(chan ack, 1)
	if s.ctx.Err() != nil {
		first <- ack{err: "emulator closed"}
		return first
	}
	now := s.clock.Now()
	typ, _ := inner["type"].(string)
	env := map[string]any{
		"token":                 s.cfg.VerificationToken,
		"team_id":               s.cfg.TeamID,
		"context_team_id":       s.cfg.TeamID,
		"context_enterprise_id": nil,
		"api_app_id":            s.cfg.AppID,
		"event":                 inner,
		"type":                  "event_callback",
		"event_id":              newEventID(),
		"event_time":            now.Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": s.cfg.TeamID, "user_id": s.cfg.BotUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         "4-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:20],
	}
	s.wg.Go(func() {
		reason := ""
		for attempt := 0; ; attempt++ {
			a := s.deliverOnce(s.ctx, kindEvent, typ, env, attempt, reason)
			if attempt == 0 {
				first <- a
			}
			if a.acked || a.noRetry || attempt >= len(s.cfg.RetryDelays) {
				return
			}
			reason = a.reason
			t := time.NewTimer(s.cfg.RetryDelays[attempt])
			select {
			case <-s.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	})
	return first
}

// formValues flattens a slash command payload into form fields.
func formValues(payload map[string]any) url.Values {
	v := url.Values{}
	for k, x := range payload {
		switch y := x.(type) {
		case string:
			v.Set(k, y)
		case nil:
		default:
			b, _ := json.Marshal(y)
			v.Set(k, string(b))
		}
	}
	return v
}
