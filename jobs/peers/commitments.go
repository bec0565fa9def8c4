package peers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

// ActionCommit is the button of the "What will you try?" DM; its value is
// the session's id. The handler opens a small form and calls
// Service.SetCommitment.
const ActionCommit = "peers:commit"

// SetCommitment stores what user will try after a circle's session of the
// workspace: user must have been present at it (the payload's session id
// is checked against the stored session, else peers.ErrNotAllowed; an
// unknown session is peers.ErrNotFound); text is 1 to
// peers.MaxCommitmentLen characters (else a *peers.ValidationError with
// a message to show, storing nothing). The commitment is private: only
// user reads it, in their own DMs. With share, it is also posted once to
// the circle's group DM under their name: a later edit keeps it shared
// and posts nothing more.
func (s *Service) SetCommitment(ctx context.Context, ws string, sessionID int64, user, text string, share bool) (peers.Commitment, error) {
	var out peers.Commitment
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		ss, err := s.store.Session(ctx, ws, sessionID)
		if err != nil {
			return err
		}
		if !slices.Contains(ss.Present, user) {
			return peers.ErrNotAllowed
		}
		before, had, err := s.store.Commitment(ctx, ws, sessionID, user)
		if err != nil {
			return err
		}
		shared := share || had && before.Shared
		cm, err := s.store.SetCommitment(ctx, ws, sessionID, user, text, shared)
		if err != nil {
			return err
		}
		out = cm
		if !share || had && before.Shared {
			return nil
		}
		g, err := s.store.Group(ctx, ws, ss.GroupID)
		if err != nil {
			return err
		}
		parts, err := s.store.Participants(ctx, ws, ss.NetworkID)
		if err != nil {
			return err
		}
		var to []string
		for _, u := range g.Users() {
			if i := slices.IndexFunc(parts, func(p peers.Participant) bool { return p.User == u }); i >= 0 && !parts[i].Left {
				to = append(to, u)
			}
		}
		if len(to) < engine.MinGroup {
			return nil
		}
		rcpt, err := engine.GroupRecipient(to...)
		if err != nil {
			return err
		}
		_, err = s.eng.PlanOnce(ctx, ws, ScheduleKey(ss.NetworkID), shareMsg{CommitmentID: cm.ID, SessionID: sessionID, User: user},
			rcpt, s.clock.Now().UTC().Truncate(time.Second))
		return err
	})
	if err != nil {
		return peers.Commitment{}, fmt.Errorf("commitment at session %d: %w", sessionID, err)
	}
	return out, nil
}

// shareMsg posts a commitment its author chose to share to their circle's
// group DM.
type shareMsg struct {
	CommitmentID int64  `json:"commitment"`
	SessionID    int64  `json:"session"`
	User         string `json:"user"`
}

func (shareMsg) OneOffKind() string  { return "circle_share" }
func (shareMsg) OneOffVersion() int  { return 1 }
func (m shareMsg) OneOffKey() string { return strconv.FormatInt(m.CommitmentID, 10) }
func (m shareMsg) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	ws := c.Occurrence.WorkspaceID
	ss, err := s.store.Session(ctx, ws, m.SessionID)
	if errors.Is(err, models.ErrNotFound) {
		return engine.Message{}, engine.Skip("removed: the circle's session no longer exists")
	}
	if err != nil {
		return engine.Message{}, err
	}
	n, g, err := s.circleState(ctx, ws, ss.GroupID)
	if err != nil {
		return engine.Message{}, err
	}
	if !g.EndedOn.IsZero() {
		return engine.Message{}, engine.Skip("the circle ended")
	}
	if err := s.stillMember(ctx, ws, n, m.User); err != nil {
		return engine.Message{}, engine.Skip("its author left the peer network")
	}
	cm, ok, err := s.store.Commitment(ctx, ws, m.SessionID, m.User)
	if err != nil {
		return engine.Message{}, err
	}
	if !ok || !cm.Shared || cm.ID != m.CommitmentID {
		return engine.Message{}, engine.Skip("its author no longer shares it")
	}
	name := m.User
	for _, p := range c.Members {
		if p.UserID == m.User && p.Name != "" {
			name = p.Name
		}
	}
	return shareMessage(n, name, cm), nil
}
