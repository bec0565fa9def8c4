package handlers

import (
	"context"
	"sync"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// wsCacheTTL bounds how stale a replica's view of workspace settings may be
// after an admin changes them on another replica. Changes made through this
// replica are seen at once.
const wsCacheTTL = 5 * time.Second

// wsCache keeps, per workspace, its settings and its own holidays around
// today, so the commands people run most do not re-read what admins change a
// few times a year. The database stays the only source of truth.
type wsCache struct {
	mu      sync.Mutex
	entries map[string]wsEntry
}

type wsEntry struct {
	ws       models.Workspace
	holidays []models.Holiday
	from, to calendar.Date
	at       time.Time
}

// get returns the cached workspace and its holidays in [from, to], or
// ok=false when it must be read again.
func (c *wsCache) get(id string, from, to calendar.Date, now time.Time) (models.Workspace, []models.Holiday, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || now.Sub(e.at) > wsCacheTTL || now.Before(e.at) || e.from != from || e.to != to {
		return models.Workspace{}, nil, false
	}
	return e.ws, e.holidays, true
}

func (c *wsCache) put(id string, ws models.Workspace, hols []models.Holiday, from, to calendar.Date, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]wsEntry{}
	}
	c.entries[id] = wsEntry{ws: ws, holidays: hols, from: from, to: to, at: now}
}

// forget drops a workspace after this replica changed it.
func (c *wsCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}

// cachedWorkspace returns the workspace and its own holidays in [from, to]
// when the cache holds them fresh, without reading the database.
func (h *Handlers) cachedWorkspace(id string, from, to calendar.Date) (models.Workspace, []models.Holiday, bool) {
	return h.cache.get(id, from, to, time.Now())
}

// workspaceAround returns the workspace and its own holidays in [from, to],
// from the cache when fresh.
func (h *Handlers) workspaceAround(ctx context.Context, id string, from, to calendar.Date) (models.Workspace, []models.Holiday, error) {
	now := time.Now()
	if ws, hols, ok := h.cache.get(id, from, to, now); ok {
		return ws, hols, nil
	}
	var (
		wg           sync.WaitGroup
		ws           models.Workspace
		hols         []models.Holiday
		wsErr, hdErr error
	)
	wg.Add(2)
	go func() { defer wg.Done(); ws, wsErr = h.workspace(ctx, id) }()
	go func() { defer wg.Done(); hols, hdErr = h.ws.Holidays(ctx, id, from, to) }()
	wg.Wait()
	if wsErr != nil {
		return ws, nil, wsErr
	}
	if hdErr != nil {
		return ws, nil, hdErr
	}
	h.cache.put(id, ws, hols, from, to, now)
	return ws, hols, nil
}
