package checkins

import (
	"context"
	"errors"
)

// Who may change a check-in: its owner, or a workspace admin. Who sees
// what of its answers is the answers' own rule: a person's own response
// (MyResponse), anonymous totals only from the workspace's minimum group
// size (Aggregates).

// ErrNotOwner means a person who is neither a check-in's owner nor a
// workspace admin tried to change it.
var ErrNotOwner = errors.New("only the check-in's owner or a workspace admin can change it")

// mayChange loads a check-in for a change by actor, refusing anyone but
// its owner or an admin with ErrNotOwner.
func (s *Store) mayChange(ctx context.Context, workspaceID string, id int64, actor string, admin bool) (Checkin, error) {
	c, err := s.Get(ctx, workspaceID, id)
	if err != nil {
		return Checkin{}, err
	}
	if c.OwnerID != actor && !admin {
		return Checkin{}, ErrNotOwner
	}
	return c, nil
}
