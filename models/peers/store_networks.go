package peers

import (
	"context"
	"fmt"

	"github.com/trellis-bot/trellis/models"
)

// CreateNetwork stores a new network of the workspace, owned by n.Owner.
// It refuses, with a *ValidationError and storing nothing, a network
// Validate refuses and a name another network of the workspace has
// whatever its case (FieldName). It returns the network with its id.
func (s *Store) CreateNetwork(ctx context.Context, ws string, n Network) (Network, error) {
	if err := n.Validate(); err != nil {
		return Network{}, fmt.Errorf("create network: %w", err)
	}
	n = n.normalized()
	var out Network
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if err := s.checkName(ctx, ws, n); err != nil {
			return err
		}
		now := s.db.Now()
		n.ID, n.CreatedAt, n.UpdatedAt = 0, now, now
		row := networkRowFrom(ws, n)
		if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
			return models.Translate(err)
		}
		out = row.domain()
		return nil
	})
	if err != nil {
		return Network{}, fmt.Errorf("create network %q: %w", n.Name, err)
	}
	return out, nil
}

// checkName refuses n's name when another network of the workspace has
// it, whatever its case. The unique index decides between two creations
// at once; this check gives the friendly message.
func (s *Store) checkName(ctx context.Context, ws string, n Network) error {
	var rows []networkRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND name_key = ? AND id <> ?", ws, nameKey(n.Name), n.ID).
		Limit(1).Find(&rows).Error; err != nil {
		return models.Translate(err)
	}
	if len(rows) > 0 {
		return refuse(FieldName, "There is already a network called “%s”; pick another name.", rows[0].Name)
	}
	return nil
}

// Network returns one network of the workspace, or ErrNotFound.
func (s *Store) Network(ctx context.Context, ws string, id int64) (Network, error) {
	n, err := s.network(ctx, ws, id)
	if err != nil {
		return Network{}, fmt.Errorf("network %d: %w", id, err)
	}
	return n, nil
}

// Networks returns every network of the workspace, by name.
func (s *Store) Networks(ctx context.Context, ws string) ([]Network, error) {
	return s.networks(ctx, "workspace_id = ?", ws)
}

// NetworksInChannel returns the workspace's networks living in channel,
// by name.
func (s *Store) NetworksInChannel(ctx context.Context, ws, channel string) ([]Network, error) {
	return s.networks(ctx, "workspace_id = ? AND channel = ?", ws, channel)
}

// AllNetworks returns the networks of every workspace, by workspace and
// id, with their workspace, for the jobs that start rounds.
func (s *Store) AllNetworks(ctx context.Context) ([]WorkspaceNetwork, error) {
	var rows []networkRow
	if err := s.db.Conn(ctx).Order("workspace_id, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("all networks: %w", models.Translate(err))
	}
	out := make([]WorkspaceNetwork, len(rows))
	for i, r := range rows {
		out[i] = WorkspaceNetwork{Workspace: r.WorkspaceID, Network: r.domain()}
	}
	return out, nil
}

// WorkspaceNetwork is a network with its workspace.
type WorkspaceNetwork struct {
	Workspace string
	Network   Network
}

func (s *Store) networks(ctx context.Context, where string, args ...any) ([]Network, error) {
	var rows []networkRow
	if err := s.db.Conn(ctx).Where(where, args...).Order("name_key, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("networks: %w", models.Translate(err))
	}
	out := make([]Network, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// UpdateNetwork changes a network of the workspace to n (found by n.ID)
// for actor: its owner or an admin (else ErrNotAllowed). Its kind and
// creation stay as stored. It is checked as CreateNetwork checks it, and
// returns the network as stored.
func (s *Store) UpdateNetwork(ctx context.Context, ws string, n Network, actor string, isAdmin bool) (Network, error) {
	var out Network
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		stored, err := s.network(ctx, ws, n.ID)
		if err != nil {
			return err
		}
		if !CanManage(stored, actor, isAdmin) {
			return ErrNotAllowed
		}
		n.Kind, n.CreatedAt = stored.Kind, stored.CreatedAt
		if err := n.Validate(); err != nil {
			return err
		}
		n = n.normalized()
		if err := s.checkName(ctx, ws, n); err != nil {
			return err
		}
		n.UpdatedAt = s.db.Now()
		row := networkRowFrom(ws, n)
		if err := s.db.Conn(ctx).Model(&networkRow{}).Where("workspace_id = ? AND id = ?", ws, n.ID).Select("*").Omit("id", "workspace_id", "created_at").
			Updates(&row).Error; err != nil {
			return models.Translate(err)
		}
		// A network switched to its channel's members has no chosen
		// people any more (the next sync keeps only the channel's), and
		// one switched to chosen people chose those it has.
		if n.Membership != stored.Membership {
			if err := s.db.Conn(ctx).Model(&participantRow{}).Where("workspace_id = ? AND network_id = ?", ws, n.ID).
				Update("chosen", n.Membership == MembershipChosen).Error; err != nil {
				return models.Translate(err)
			}
		}
		out = row.domain()
		return nil
	})
	if err != nil {
		return Network{}, fmt.Errorf("update network %d (by %s): %w", n.ID, actor, err)
	}
	return out, nil
}

// SetNetworkPaused pauses (or resumes) a network of the workspace for
// actor, its owner or an admin (else ErrNotAllowed).
func (s *Store) SetNetworkPaused(ctx context.Context, ws string, id int64, paused bool, actor string, isAdmin bool) error {
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		n, err := s.network(ctx, ws, id)
		if err != nil {
			return err
		}
		if !CanManage(n, actor, isAdmin) {
			return ErrNotAllowed
		}
		return models.Translate(s.db.Conn(ctx).Model(&networkRow{}).Where("workspace_id = ? AND id = ?", ws, id).
			Updates(map[string]any{"paused": paused, "updated_at": s.db.Now()}).Error)
	})
	if err != nil {
		return fmt.Errorf("pause network %d (by %s): %w", id, actor, err)
	}
	return nil
}

// DeleteNetwork deletes a network of the workspace and every row of it
// (people, rounds, groups, sessions, commitments, asks) for actor, its
// owner or an admin (else ErrNotAllowed). The avoid lists are people's,
// not the network's, and stay.
func (s *Store) DeleteNetwork(ctx context.Context, ws string, id int64, actor string, isAdmin bool) error {
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		n, err := s.network(ctx, ws, id)
		if err != nil {
			return err
		}
		if !CanManage(n, actor, isAdmin) {
			return ErrNotAllowed
		}
		// Children before parents, each by the network (peer_unmatched
		// by its rounds).
		for _, del := range []struct{ table, where string }{
			{"peer_commitments", "network_id = ?"},
			{"peer_sessions", "network_id = ?"},
			{"peer_group_members", "network_id = ?"},
			{"peer_unmatched", "round_id IN (SELECT id FROM peer_rounds WHERE network_id = ?)"},
			{"peer_groups", "network_id = ?"},
			{"peer_rounds", "network_id = ?"},
			{"peer_asks", "network_id = ?"},
			{"peer_participants", "network_id = ?"},
			{"peer_networks", "id = ?"},
		} {
			if err := s.db.Conn(ctx).Exec("DELETE FROM "+del.table+" WHERE workspace_id = ? AND "+del.where, ws, id).Error; err != nil {
				return fmt.Errorf("%s: %w", del.table, models.Translate(err))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete network %d (by %s): %w", id, actor, err)
	}
	return nil
}
