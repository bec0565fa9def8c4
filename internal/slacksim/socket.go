package slacksim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
)

// Socket Mode limits.
const (
	maxSocketConns = 10
	ticketTTL      = time.Minute
	writeTimeout   = 5 * time.Second
	drainGrace     = 10 * time.Second
)

// socketHub holds the Socket Mode connections and the envelopes awaiting
// their ack.
type socketHub struct {
	s        *Server
	upgrader websocket.Upgrader

	mu      sync.Mutex
	conns   []*sockConn
	next    int
	seq     int
	tickets map[string]time.Time
	pending map[string]chan json.RawMessage
}

type sockConn struct {
	id       int
	ws       *websocket.Conn
	wmu      sync.Mutex
	done     chan struct{}
	once     sync.Once
	draining bool // guarded by socketHub.mu
}

func (c *sockConn) close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

func (c *sockConn) writeJSON(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	return c.ws.WriteJSON(v)
}

func newSocketHub(s *Server) *socketHub {
	return &socketHub{
		s:        s,
		upgrader: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		tickets:  map[string]time.Time{},
		pending:  map[string]chan json.RawMessage{},
	}
}

// appsConnectionsOpen hands out a single-use WebSocket URL.
func (s *Server) appsConnectionsOpen(c *apiCall) (map[string]any, *apiError) {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	for t, at := range h.tickets {
		if now.Sub(at) > ticketTTL {
			delete(h.tickets, t)
		}
	}
	if len(h.conns) >= maxSocketConns {
		return nil, fail("too_many_websockets", "[ERROR] an app may hold at most 10 Socket Mode connections")
	}
	ticket := uuid.NewString()
	h.tickets[ticket] = now
	q := url.Values{"ticket": {ticket}, "app_id": {s.cfg.AppID}}
	return map[string]any{"url": wsScheme(s.baseURL(c.r)) + "/socket?" + q.Encode()}, nil
}

func (h *socketHub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// serveWS upgrades a Socket Mode connection and reads acks from it until it
// closes.
func (h *socketHub) serveWS(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	h.mu.Lock()
	at, ok := h.tickets[ticket]
	delete(h.tickets, ticket)
	full := len(h.conns) >= maxSocketConns
	h.mu.Unlock()
	switch {
	case !ok || time.Since(at) > ticketTTL:
		http.Error(w, "invalid or expired ticket", http.StatusUnauthorized)
		return
	case full:
		http.Error(w, "too many connections", http.StatusTooManyRequests)
		return
	}
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		h.s.log.Warn("slacksim: websocket upgrade", "err", err)
		return
	}
	h.mu.Lock()
	h.seq++
	c := &sockConn{id: h.seq, ws: ws, done: make(chan struct{})}
	h.conns = append(h.conns, c)
	n := len(h.conns)
	h.mu.Unlock()
	defer h.remove(c)
	if h.s.ctx.Err() != nil {
		c.close()
		return
	}

	hello := map[string]any{
		"type":            "hello",
		"num_connections": n,
		"debug_info":      map[string]any{"host": "slacksim", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": h.s.cfg.AppID},
	}
	if err := c.writeJSON(hello); err != nil {
		c.close()
		return
	}
	h.s.log.Info("slacksim: socket connected", "conn", c.id, "connections", n)
	h.s.wg.Go(func() { h.pinger(c) })

	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			c.close()
			return
		}
		var msg struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &msg) != nil || msg.EnvelopeID == "" {
			continue
		}
		if len(data) > 20*1024 {
			// Slack drops acks over 20 KB.
			continue
		}
		h.mu.Lock()
		ch, ok := h.pending[msg.EnvelopeID]
		delete(h.pending, msg.EnvelopeID)
		h.mu.Unlock()
		if ok {
			ch <- msg.Payload
		}
	}
}

// pinger pings c regularly: slack-go drops connections Slack stops pinging.
func (h *socketHub) pinger(c *sockConn) {
	t := time.NewTicker(h.s.cfg.SocketPingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-h.s.ctx.Done():
			return
		case <-t.C:
			c.wmu.Lock()
			err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(writeTimeout))
			c.wmu.Unlock()
			if err != nil {
				c.close()
				return
			}
		}
	}
}

func (h *socketHub) remove(c *sockConn) {
	c.close()
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, x := range h.conns {
		if x == c {
			h.conns = append(h.conns[:i], h.conns[i+1:]...)
			break
		}
	}
}

// pick chooses the next open, non-draining connection, round robin.
func (h *socketHub) pick() *sockConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	for range h.conns {
		h.next = (h.next + 1) % len(h.conns)
		if c := h.conns[h.next]; !c.draining {
			return c
		}
	}
	return nil
}

// send delivers one envelope and waits up to AckTimeout for its ack.
func (h *socketHub) send(ctx context.Context, kind string, payload map[string]any, attempt int, reason string) (string, ack) {
	c := h.pick()
	if c == nil {
		return "", ack{err: "no Socket Mode connection", reason: reasonConnectionFailed}
	}
	typ, acceptsPayload := "events_api", false
	switch kind {
	case kindCommand:
		typ, acceptsPayload = "slash_commands", true
	case kindInteraction:
		typ = "interactive"
		acceptsPayload = payload["type"] == "view_submission" || payload["type"] == "block_suggestion"
	}
	id := uuid.NewString()
	env := map[string]any{
		"envelope_id":              id,
		"type":                     typ,
		"payload":                  payload,
		"accepts_response_payload": acceptsPayload,
	}
	if kind == kindEvent {
		env["retry_attempt"] = attempt
		env["retry_reason"] = reason
	}
	ch := make(chan json.RawMessage, 1)
	h.mu.Lock()
	h.pending[id] = ch
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.pending, id)
		h.mu.Unlock()
	}()
	if err := c.writeJSON(env); err != nil {
		c.close()
		return id, ack{err: err.Error(), reason: reasonConnectionFailed}
	}
	t := time.NewTimer(h.s.cfg.AckTimeout)
	defer t.Stop()
	select {
	case p := <-ch:
		return id, ack{acked: true, status: http.StatusOK, body: p, contentType: "application/json"}
	case <-t.C:
		return id, ack{err: "no ack within the ack timeout", reason: reasonSocketTimeout}
	case <-c.done:
		return id, ack{err: "connection closed before the ack", reason: reasonConnectionFailed}
	case <-ctx.Done():
		return id, ack{err: ctx.Err().Error(), reason: reasonConnectionFailed}
	}
}

// disconnectAll asks every connection to reconnect, as Slack does every few
// hours, and closes them after a grace period.
func (h *socketHub) disconnectAll(reason string) int {
	h.mu.Lock()
	conns := append([]*sockConn{}, h.conns...)
	for _, c := range conns {
		c.draining = true
	}
	h.mu.Unlock()
	msg := map[string]any{"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "slacksim"}}
	for _, c := range conns {
		if err := c.writeJSON(msg); err != nil {
			c.close()
			continue
		}
		h.s.wg.Go(func() {
			t := time.NewTimer(drainGrace)
			defer t.Stop()
			select {
			case <-t.C:
			case <-c.done:
			case <-h.s.ctx.Done():
			}
			c.close()
		})
	}
	return len(conns)
}

// closeAll drops every connection (on Close).
func (h *socketHub) closeAll() {
	h.mu.Lock()
	conns := append([]*sockConn{}, h.conns...)
	h.mu.Unlock()
	for _, c := range conns {
		c.wmu.Lock()
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "emulator closing"), time.Now().Add(time.Second))
		c.wmu.Unlock()
		c.close()
	}
}
