package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/kv"
	"github.com/trellis-bot/trellis/models"
)

// openHTTP builds the HTTP server (the ops endpoints always, Slack's
// endpoints in HTTP mode) and binds its listener, so the App's address is
// known before it serves.
func (a *App) openHTTP(context.Context) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.Handle("GET /readyz", readyz(a.db, a.store))
	promHandler := promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{})
	mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.metrics.SetRedisUp(a.store.Healthy()) // the health last seen by any Redis call
		promHandler.ServeHTTP(w, r)
	}))
	if a.slack.http {
		// Signatures are transport: their 5-minute window is checked
		// against real time, as Slack (and the sandbox's emulator) signs
		// with it, whatever the sandbox clock says.
		mux.Handle("/slack/", bot.NewHTTPHandler(a.dispatcher, a.slack.signing, clock.System{}, a.log))
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (TRELLIS_ADDR): %w", a.cfg.Addr, err)
	}
	a.ln = ln
	a.onClose(func() error {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("close the listener: %w", err)
		}
		return nil
	})
	a.server = bot.NewServer(mux, bot.ServerLimits{}, a.log)
	return nil
}

// serveHTTP serves the listener until the server shuts down.
func (a *App) serveHTTP() {
	if err := a.server.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.log.Error("http server stopped", "err", err)
	}
}

// readyz reports whether the database and Redis answer. A dead database is
// not ready (503); a dead Redis is degraded but still serving (200), because
// Redis only holds what may be lost.
func readyz(db *models.DB, store *kv.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status := map[string]string{"database": "ok", "redis": "ok"}
		code := http.StatusOK
		if err := db.Ping(ctx); err != nil {
			status["database"] = "unavailable"
			code = http.StatusServiceUnavailable
		}
		if err := store.Ping(ctx); err != nil {
			status["redis"] = "unavailable: running degraded (dedupe and rate limits are per replica)"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(status)
	})
}

// watchRedis pings Redis every few seconds so a recovered Redis is noticed
// even when nothing else touches it, and keeps the redis_up gauge current.
func watchRedis(ctx context.Context, store *kv.Store, metrics *bot.Metrics) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		_ = store.Ping(pctx)
		cancel()
		metrics.SetRedisUp(store.Healthy())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
