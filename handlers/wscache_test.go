package handlers

import (
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

func TestWorkspaceCache(t *testing.T) {
	var c wsCache
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	from, to := calendar.Date{Year: 2026, Month: 11, Day: 22}, calendar.Date{Year: 2027, Month: 2, Day: 22}
	ws := models.NewWorkspace("T1", "Acme")
	hols := []models.Holiday{{WorkspaceID: "T1", Date: calendar.Date{Year: 2026, Month: 12, Day: 24}, Name: "Closed"}}

	if _, _, ok := c.get("T1", from, to, now); ok {
		t.Fatal("an empty cache had T1")
	}
	c.put("T1", ws, hols, from, to, now)
	tests := []struct {
		name     string
		id       string
		from, to calendar.Date
		at       time.Time
		want     bool
	}{
		{"fresh", "T1", from, to, now.Add(wsCacheTTL), true},
		{"expired", "T1", from, to, now.Add(wsCacheTTL + time.Millisecond), false},
		{"clock went back", "T1", from, to, now.Add(-time.Second), false},
		{"another day's window", "T1", from.AddDays(1), to.AddDays(1), now, false},
		{"another workspace", "T2", from, to, now, false},
	}
	for _, tt := range tests {
		gotWS, gotHols, ok := c.get(tt.id, tt.from, tt.to, tt.at)
		if ok != tt.want {
			t.Errorf("%s: get ok = %v, want %v", tt.name, ok, tt.want)
		}
		if ok && (gotWS != ws || len(gotHols) != 1) {
			t.Errorf("%s: got %+v %+v", tt.name, gotWS, gotHols)
		}
	}
	c.forget("T1")
	if _, _, ok := c.get("T1", from, to, now); ok {
		t.Error("forget kept T1")
	}
}
