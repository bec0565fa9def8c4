package slacksim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// snapshot is what Config.StateFile holds: the parts of the workspace worth
// keeping across a sandbox restart. Open modals, triggers and response URLs
// are transient and not kept.
type snapshot struct {
	Version       int                      `json:"version"`
	People        map[string]*person       `json:"people"`
	Conversations map[string]*conversation `json:"conversations"`
	Homes         map[string]*view         `json:"homes"`
	Seq           int                      `json:"seq"`
	Salt          string                   `json:"salt"`
	LastTS        int64                    `json:"last_ts"`
	Revoked       bool                     `json:"revoked"`
}

// SaveState writes the workspace to Config.StateFile (a no-op without one).
func (s *Server) SaveState() error {
	if s.cfg.StateFile == "" {
		return nil
	}
	s.mu.Lock()
	snap := snapshot{
		Version: 1, People: s.ws.people, Conversations: s.ws.convs, Homes: map[string]*view{},
		Seq: s.ws.seq, Salt: s.ws.salt, LastTS: s.ws.lastTS, Revoked: s.ws.revoked,
	}
	for user, id := range s.ws.homes {
		snap.Homes[user] = s.ws.views[id]
	}
	b, err := json.Marshal(snap)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("slacksim: encode state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.cfg.StateFile), ".slacksim-state-*")
	if err != nil {
		return fmt.Errorf("slacksim: save state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("slacksim: save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("slacksim: save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.cfg.StateFile); err != nil {
		return fmt.Errorf("slacksim: save state: %w", err)
	}
	return nil
}

// loadState restores the workspace from Config.StateFile if it exists.
func (s *Server) loadState() error {
	if s.cfg.StateFile == "" {
		return nil
	}
	b, err := os.ReadFile(s.cfg.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("slacksim: load state: %w", err)
	}
	var snap snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("slacksim: load state %s: %w", s.cfg.StateFile, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, p := range snap.People {
		s.ws.people[id] = p
	}
	for id, c := range snap.Conversations {
		s.ws.convs[id] = c
	}
	for user, v := range snap.Homes {
		if v == nil {
			continue
		}
		s.ws.views[v.ID] = v
		s.ws.homes[user] = v.ID
		if v.ExternalID != "" {
			s.ws.external[v.ExternalID] = v.ID
		}
	}
	s.ws.seq, s.ws.lastTS, s.ws.revoked = snap.Seq, snap.LastTS, snap.Revoked
	if snap.Salt != "" {
		s.ws.salt = snap.Salt
	}
	return nil
}

// NewestMessage returns the instant of the newest message ts the workspace
// has handed out (kept in Config.StateFile), or the zero time when there is
// none. A sandbox restarted on a clock behind it moves the clock there.
func (s *Server) NewestMessage() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ws.lastTS == 0 {
		return time.Time{}
	}
	return time.UnixMicro(s.ws.lastTS)
}
