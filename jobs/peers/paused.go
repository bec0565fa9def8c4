package peers

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The reasons a message is skipped for a pause.
const (
	pausedPerson = "paused: they paused their part in the peer network"
	pausedMember = "paused: a member of this group paused their part in the peer network"
)

// pausedGate skips a message of network c's schedule to a person paused
// in the network today (PausedOn, in the network's zone, as the pause
// command means it), or to a group DM one of whose members is: a paused
// person gets nothing from the network, and a group is not written to
// without them. Channel posts pass. The other members of a group whose
// intro is skipped so come first in the next round.
func (s *Service) pausedGate(ctx context.Context, c engine.Context) error {
	id, ok := NetworkOfKey(c.Schedule.Key)
	if !ok {
		return nil
	}
	rcpt := c.Occurrence.Recipient
	users, group := engine.GroupMembers(rcpt)
	switch {
	case group:
	case c.Person != nil:
		users = []string{c.Person.UserID}
	case mrkdwn.IsUserID(rcpt):
		users = []string{rcpt}
	default:
		return nil // a channel post
	}
	ws := c.Occurrence.WorkspaceID
	n, err := s.store.Network(ctx, ws, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil // the payload's own composer says it was deleted
	}
	if err != nil {
		return err
	}
	parts, err := s.store.Participants(ctx, ws, n.ID)
	if err != nil {
		return err
	}
	day := today(n, s.clock.Now())
	var paused, others []string
	for _, u := range users {
		i := slices.IndexFunc(parts, func(p peers.Participant) bool { return p.User == u })
		if i >= 0 && !parts[i].Left && parts[i].PausedOn(day) {
			paused = append(paused, u)
		} else {
			others = append(others, u)
		}
	}
	if len(paused) == 0 {
		return nil
	}
	if !group {
		return engine.Skip(pausedPerson)
	}
	if _, intro := c.OneOff.(IntroDM); intro && len(others) > 0 {
		if err := s.store.SetPriority(ctx, ws, n.ID, others, true); err != nil {
			return fmt.Errorf("give priority to a paused member's group: %w", err)
		}
	}
	return engine.Skip(pausedMember)
}
