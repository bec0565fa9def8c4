package slacksim

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sign returns Slack's v0 signature of body sent at timestamp ts (Unix
// seconds as a string): "v0=" + hex(HMAC-SHA256(secret, "v0:"+ts+":"+body)).
func Sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// deliverHTTP POSTs payload to the bot's URL for its kind, signed like
// Slack: events as JSON, commands as a form, interactions as a form field
// named payload.
func (s *Server) deliverHTTP(ctx context.Context, d deliveryConfig, kind string, payload map[string]any, attempt int, reason string) ack {
	var (
		target, ctype string
		body          []byte
	)
	switch kind {
	case kindEvent:
		target, ctype = d.eventsURL, "application/json"
		b, err := json.Marshal(payload)
		if err != nil {
			return ack{err: err.Error(), reason: reasonConnectionFailed}
		}
		body = b
	case kindCommand:
		target, ctype = d.commandsURL, "application/x-www-form-urlencoded"
		body = []byte(formValues(payload).Encode())
	default:
		target, ctype = d.interactionsURL, "application/x-www-form-urlencoded"
		b, err := json.Marshal(payload)
		if err != nil {
			return ack{err: err.Error(), reason: reasonConnectionFailed}
		}
		body = []byte(url.Values{"payload": {string(b)}}.Encode())
	}
	if target == "" {
		return ack{err: "no " + kind + " URL configured", reason: reasonConnectionFailed}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.AckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(string(body)))
	if err != nil {
		return ack{err: err.Error(), reason: reasonConnectionFailed}
	}
	// Signatures are transport, like the ack timeout: they carry the real
	// time, whatever the workspace clock says, and the bot checks them
	// against its real clock (see app/http.go), so moving the sandbox clock
	// never makes them stale.
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", Sign(s.cfg.SigningSecret, ts, body))
	if attempt > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(attempt))
		req.Header.Set("X-Slack-Retry-Reason", reason)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return ack{err: err.Error(), reason: reasonHTTPTimeout}
		}
		return ack{err: err.Error(), reason: reasonConnectionFailed}
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return ack{status: resp.StatusCode, err: err.Error(), reason: reasonHTTPTimeout}
	}
	a := ack{
		status:      resp.StatusCode,
		body:        rb,
		contentType: resp.Header.Get("Content-Type"),
		noRetry:     resp.Header.Get("X-Slack-No-Retry") == "1",
		acked:       resp.StatusCode >= 200 && resp.StatusCode < 300,
	}
	if !a.acked {
		a.reason = reasonHTTPError
	}
	return a
}
