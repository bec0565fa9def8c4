package bot

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/trellis-bot/trellis/clock"
)

// SignatureWindow is how far a request's X-Slack-Request-Timestamp may be from
// now, in either direction, before the request is rejected as a replay.
const SignatureWindow = 5 * time.Minute

// VerifyOption adds an optional dependency to VerifySignature.
type VerifyOption func(*signatureVerifier)

// VerifyLogger makes VerifySignature log each rejection (reason, path and
// remote address; never the secret, the signature or the body).
func VerifyLogger(log *slog.Logger) VerifyOption {
	return func(v *signatureVerifier) { v.log = log }
}

// VerifyMetrics makes VerifySignature count rejections by reason.
func VerifyMetrics(m *Metrics) VerifyOption {
	return func(v *signatureVerifier) { v.metrics = m }
}

// VerifySignature authenticates Slack's HTTP requests before next sees them.
// It reads the raw body (at most maxBody bytes, else 413), requires
// X-Slack-Request-Timestamp and X-Slack-Signature, rejects a timestamp more
// than SignatureWindow from clk.Now(), and compares
// "v0=" + hex(HMAC-SHA256(secret, "v0:"+timestamp+":"+body)) with the
// signature in constant time. Any failure answers 401 with a short plain
// body and next never runs. On success next gets the body, restored.
func VerifySignature(secret string, clk clock.Clock, maxBody int64, next http.Handler, opts ...VerifyOption) http.Handler {
	v := &signatureVerifier{
		secret:  []byte(secret),
		clk:     clk,
		maxBody: maxBody,
		next:    next,
		log:     slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(v)
	}
	return v
}

type signatureVerifier struct {
	secret  []byte
	clk     clock.Clock
	maxBody int64
	next    http.Handler
	log     *slog.Logger
	metrics *Metrics
}

func (v *signatureVerifier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, v.maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			v.reject(w, r, http.StatusRequestEntityTooLarge, "body_too_large")
			return
		}
		v.reject(w, r, http.StatusBadRequest, "body_unreadable")
		return
	}
	ts := r.Header.Get("X-Slack-Request-Timestamp")
	sig := r.Header.Get("X-Slack-Signature")
	if ts == "" || sig == "" {
		v.reject(w, r, http.StatusUnauthorized, "missing_headers")
		return
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		v.reject(w, r, http.StatusUnauthorized, "bad_timestamp")
		return
	}
	if skew := v.clk.Now().Sub(time.Unix(sec, 0)); skew > SignatureWindow || skew < -SignatureWindow {
		v.reject(w, r, http.StatusUnauthorized, "stale_timestamp")
		return
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(string(v.secret), ts, body))) {
		v.reject(w, r, http.StatusUnauthorized, "bad_signature")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	v.next.ServeHTTP(w, r)
}

func (v *signatureVerifier) reject(w http.ResponseWriter, r *http.Request, status int, reason string) {
	v.metrics.signatureFailure(reason)
	v.log.WarnContext(r.Context(), "rejected slack request", "reason", reason,
		"path", r.URL.Path, "remote", r.RemoteAddr)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	if status == http.StatusUnauthorized {
		_, _ = io.WriteString(w, "invalid request signature\n")
	} else {
		_, _ = io.WriteString(w, http.StatusText(status)+"\n")
	}
}

// Sign returns Slack's v0 signature of body sent at timestamp ts (Unix
// seconds, as a string): "v0=" + hex(HMAC-SHA256(secret, "v0:"+ts+":"+body)).
func Sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}
