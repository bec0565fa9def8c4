package bot_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

func TestVerifySignature(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	body := `token=x&team_id=T1&command=%2Ftrellis&text=hello`
	ts := strconv.FormatInt(now.Unix(), 10)
	good := bot.Sign(testSecret, ts, []byte(body))

	tests := []struct {
		name       string
		body       string
		ts, sig    string
		wantStatus int
		wantReason string
	}{
		{name: "valid", body: body, ts: ts, sig: good, wantStatus: http.StatusOK},
		{name: "tampered body", body: body + "&admin=1", ts: ts, sig: good, wantStatus: http.StatusUnauthorized, wantReason: "bad_signature"},
		{name: "wrong secret", body: body, ts: ts, sig: bot.Sign("other", ts, []byte(body)), wantStatus: http.StatusUnauthorized, wantReason: "bad_signature"},
		{
			name: "timestamp older than 5 minutes", body: body,
			ts:         strconv.FormatInt(now.Add(-5*time.Minute-time.Second).Unix(), 10),
			sig:        bot.Sign(testSecret, strconv.FormatInt(now.Add(-5*time.Minute-time.Second).Unix(), 10), []byte(body)),
			wantStatus: http.StatusUnauthorized, wantReason: "stale_timestamp",
		},
		{
			name: "timestamp more than 5 minutes ahead", body: body,
			ts:         strconv.FormatInt(now.Add(5*time.Minute+time.Second).Unix(), 10),
			sig:        bot.Sign(testSecret, strconv.FormatInt(now.Add(5*time.Minute+time.Second).Unix(), 10), []byte(body)),
			wantStatus: http.StatusUnauthorized, wantReason: "stale_timestamp",
		},
		{
			name: "timestamp 4 minutes old", body: body,
			ts:         strconv.FormatInt(now.Add(-4*time.Minute).Unix(), 10),
			sig:        bot.Sign(testSecret, strconv.FormatInt(now.Add(-4*time.Minute).Unix(), 10), []byte(body)),
			wantStatus: http.StatusOK,
		},
		{name: "missing timestamp", body: body, sig: good, wantStatus: http.StatusUnauthorized, wantReason: "missing_headers"},
		{name: "missing signature", body: body, ts: ts, wantStatus: http.StatusUnauthorized, wantReason: "missing_headers"},
		{name: "missing both", body: body, wantStatus: http.StatusUnauthorized, wantReason: "missing_headers"},
		{name: "garbage timestamp", body: body, ts: "yesterday", sig: good, wantStatus: http.StatusUnauthorized, wantReason: "bad_timestamp"},
		{name: "signature without v0", body: body, ts: ts, sig: strings.TrimPrefix(good, "v0="), wantStatus: http.StatusUnauthorized, wantReason: "bad_signature"},
		{name: "body too large", body: strings.Repeat("a", 2048), ts: ts, sig: bot.Sign(testSecret, ts, []byte(strings.Repeat("a", 2048))), wantStatus: http.StatusRequestEntityTooLarge, wantReason: "body_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, reg := newMetrics()
			var ran bool
			var gotBody string
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ran = true
				b, _ := io.ReadAll(r.Body)
				gotBody = string(b)
			})
			h := bot.VerifySignature(testSecret, clock.NewFrozen(now), 1024, next,
				bot.VerifyLogger(kvtest.Logger(t)), bot.VerifyMetrics(m))

			req := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.ts != "" {
				req.Header.Set("X-Slack-Request-Timestamp", tt.ts)
			}
			if tt.sig != "" {
				req.Header.Set("X-Slack-Signature", tt.sig)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %q)", rec.Code, tt.wantStatus, rec.Body.String())
			}
			if wantRun := tt.wantStatus == http.StatusOK; ran != wantRun {
				t.Errorf("next ran = %v, want %v", ran, wantRun)
			}
			if ran && gotBody != tt.body {
				t.Errorf("next read body %q, want %q", gotBody, tt.body)
			}
			if tt.wantReason != "" {
				if got := metricValue(t, reg, "trellis_signature_failures_total", map[string]string{"reason": tt.wantReason}); got != 1 {
					t.Errorf("signature failures{reason=%q} = %v, want 1", tt.wantReason, got)
				}
				if strings.Contains(rec.Body.String(), testSecret) || strings.Contains(rec.Body.String(), "v0=") {
					t.Errorf("rejection body %q leaks the secret or a signature", rec.Body.String())
				}
			}
		})
	}
}
