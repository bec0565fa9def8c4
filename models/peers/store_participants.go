package peers

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// Participants returns the people of a network of the workspace (those
// who left too, marked Left), by user id.
func (s *Store) Participants(ctx context.Context, ws string, networkID int64) ([]Participant, error) {
	if _, err := s.network(ctx, ws, networkID); err != nil {
		return nil, fmt.Errorf("participants of network %d: %w", networkID, err)
	}
	rows, err := s.participantRows(ctx, ws, networkID)
	if err != nil {
		return nil, fmt.Errorf("participants of network %d: %w", networkID, err)
	}
	out := make([]Participant, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

func (s *Store) participantRows(ctx context.Context, ws string, networkID int64) ([]participantRow, error) {
	var rows []participantRow
	err := s.db.Conn(ctx).Where("workspace_id = ? AND network_id = ?", ws, networkID).Order("user_id").Find(&rows).Error
	return rows, models.Translate(err)
}

// Participant returns one person's participation in a network of the
// workspace, or ErrNotFound when they never were in it.
func (s *Store) Participant(ctx context.Context, ws string, networkID int64, user string) (Participant, error) {
	var row participantRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND network_id = ? AND user_id = ?", ws, networkID, user).
		Take(&row).Error; err != nil {
		return Participant{}, fmt.Errorf("%s in network %d: %w", user, networkID, models.Translate(err))
	}
	return row.domain(), nil
}

// NetworksOf returns the networks of the workspace user is in, or left,
// with their participation, by network name.
func (s *Store) NetworksOf(ctx context.Context, ws, user string) ([]MemberOf, error) {
	var ps []participantRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND user_id = ?", ws, user).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("networks of %s: %w", user, models.Translate(err))
	}
	if len(ps) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.NetworkID
	}
	ns, err := s.networks(ctx, "workspace_id = ? AND id IN ?", ws, ids)
	if err != nil {
		return nil, fmt.Errorf("networks of %s: %w", user, err)
	}
	out := make([]MemberOf, 0, len(ns))
	for _, n := range ns {
		i := slices.IndexFunc(ps, func(p participantRow) bool { return p.NetworkID == n.ID })
		out = append(out, MemberOf{Network: n, Participant: ps[i].domain()})
	}
	return out, nil
}

// SyncChannelMembers keeps a channel network's people exactly those of
// its channel: members not in it join (but for those who left it
// themselves, who stay out), and people no longer in the channel leave
// with their row, whoever added them (those who left themselves stay
// recorded as left, so they are not added back should they return to the
// channel). A chosen network is not changed. Running it twice with the
// same members changes nothing the second time.
func (s *Store) SyncChannelMembers(ctx context.Context, ws string, networkID int64, members []string) (Synced, error) {
	return s.SyncChannelPeople(ctx, ws, networkID, members, nil)
}

// SyncChannelPeople is SyncChannelMembers for a channel some of whose
// members are not known yet to be people rather than bots: the rows of
// unsure are left as they are, neither added nor removed, until a later
// sync knows.
func (s *Store) SyncChannelPeople(ctx context.Context, ws string, networkID int64, members, unsure []string) (Synced, error) {
	members, unsure = cleanUsers(members), cleanUsers(unsure)
	var out Synced
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		n, err := s.network(ctx, ws, networkID)
		if err != nil {
			return err
		}
		if n.Membership != MembershipChannel {
			return nil
		}
		rows, err := s.participantRows(ctx, ws, networkID)
		if err != nil {
			return err
		}
		have := map[string]participantRow{}
		for _, r := range rows {
			have[r.UserID] = r
		}
		now := s.db.Now()
		var add []participantRow
		for _, m := range members {
			if _, ok := have[m]; !ok {
				add = append(add, participantRow{NetworkID: networkID, UserID: m, WorkspaceID: ws, JoinedAt: now})
				out.Added = append(out.Added, m)
			}
		}
		for _, r := range rows {
			// Chosen is ignored: rows chosen while the network was one of
			// chosen people go too, so its people are its channel's.
			if !r.Left && !slices.Contains(members, r.UserID) && !slices.Contains(unsure, r.UserID) {
				out.Removed = append(out.Removed, r.UserID)
			}
		}
		if len(add) > 0 {
			if err := s.db.Conn(ctx).Create(&add).Error; err != nil {
				return models.Translate(err)
			}
		}
		if len(out.Removed) > 0 {
			if err := s.db.Conn(ctx).Where("workspace_id = ? AND network_id = ? AND user_id IN ?", ws, networkID, out.Removed).
				Delete(&participantRow{}).Error; err != nil {
				return models.Translate(err)
			}
		}
		return nil
	})
	if err != nil {
		return Synced{}, fmt.Errorf("sync network %d with its channel: %w", networkID, err)
	}
	return out, nil
}

// Join brings user back into a network of the workspace after they left
// it themselves: it only undoes their own Leave. Nobody puts themselves
// into a network: a chosen network's people come in through its owner's
// or an admin's AddChosen, a channel network's through the channel's sync;
// someone removed by its owner has no row, so they cannot come back
// themselves. With no row Join is ErrNotAllowed and changes nothing;
// joining again while in changes nothing.
func (s *Store) Join(ctx context.Context, ws string, networkID int64, user string) (Participant, error) {
	var out Participant
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if _, err := s.network(ctx, ws, networkID); err != nil {
			return err
		}
		if user == "" {
			return refuse(FieldUser, "Who is joining?")
		}
		row, found, err := s.participantRow(ctx, ws, networkID, user)
		if err != nil {
			return err
		}
		if !found {
			return ErrNotAllowed
		}
		if row.Left {
			row.Left = false
			if err := s.updateParticipant(ctx, ws, networkID, user, map[string]any{"is_left": false}); err != nil {
				return err
			}
		}
		out = row.domain()
		return nil
	})
	if err != nil {
		return Participant{}, fmt.Errorf("%s joins network %d: %w", user, networkID, err)
	}
	return out, nil
}

// AddChosen adds users to a chosen network of the workspace, for actor,
// its owner or an admin (else ErrNotAllowed). A channel network's people
// are its channel's, so it refuses (FieldMembership). People already in
// are left as they are, and so are people who left themselves: only they
// rejoin. It returns those it added.
func (s *Store) AddChosen(ctx context.Context, ws string, networkID int64, users []string, actor string, isAdmin bool) ([]string, error) {
	users = cleanUsers(users)
	var added []string
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		n, err := s.network(ctx, ws, networkID)
		if err != nil {
			return err
		}
		if !CanManage(n, actor, isAdmin) {
			return ErrNotAllowed
		}
		if n.Membership != MembershipChosen {
			return refuse(FieldMembership, "The people of “%s” are its channel's members: invite people to the channel instead.", n.Name)
		}
		rows, err := s.participantRows(ctx, ws, networkID)
		if err != nil {
			return err
		}
		now := s.db.Now()
		var add []participantRow
		for _, u := range users {
			if !slices.ContainsFunc(rows, func(r participantRow) bool { return r.UserID == u }) {
				add = append(add, participantRow{NetworkID: networkID, UserID: u, WorkspaceID: ws, Chosen: true, JoinedAt: now})
				added = append(added, u)
			}
		}
		if len(add) == 0 {
			return nil
		}
		return models.Translate(s.db.Conn(ctx).Create(&add).Error)
	})
	if err != nil {
		return nil, fmt.Errorf("add people to network %d (by %s): %w", networkID, actor, err)
	}
	return added, nil
}

// Remove takes user out of a chosen network of the workspace, for actor,
// its owner or an admin (else ErrNotAllowed); their past groups stay. A
// channel network refuses (FieldMembership): its people are its
// channel's. A person not in the network is ErrNotFound.
func (s *Store) Remove(ctx context.Context, ws string, networkID int64, user, actor string, isAdmin bool) error {
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		n, err := s.network(ctx, ws, networkID)
		if err != nil {
			return err
		}
		if !CanManage(n, actor, isAdmin) {
			return ErrNotAllowed
		}
		if n.Membership != MembershipChosen {
			return refuse(FieldMembership, "The people of “%s” are its channel's members: they leave the network by leaving the channel, or themselves.", n.Name)
		}
		res := s.db.Conn(ctx).Where("workspace_id = ? AND network_id = ? AND user_id = ?", ws, networkID, user).Delete(&participantRow{})
		if res.Error != nil {
			return models.Translate(res.Error)
		}
		if res.RowsAffected == 0 {
			return models.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove %s from network %d (by %s): %w", user, networkID, actor, err)
	}
	return nil
}

// Leave records that user left a network of the workspace themselves:
// they stay recorded (with their history), are not matched, and the
// channel's sync does not add them back; Join brings them back. A person
// not in the network is ErrNotFound.
func (s *Store) Leave(ctx context.Context, ws string, networkID int64, user string) error {
	return s.changeOwn(ctx, ws, networkID, user, "leave", map[string]any{"is_left": true, "priority": false})
}

// PauseSelf pauses user in a network of the workspace through until (a
// date in the network's zone), or until they resume when until is zero.
func (s *Store) PauseSelf(ctx context.Context, ws string, networkID int64, user string, until calendar.Date) error {
	change := map[string]any{"paused": true, "paused_until": nil}
	if !until.IsZero() {
		if until.AddDays(0) != until {
			return refuse(FieldPausedUntil, "Pick the last day of your pause.")
		}
		change = map[string]any{"paused": false, "paused_until": until}
	}
	return s.changeOwn(ctx, ws, networkID, user, "pause", change)
}

// Resume ends user's pause in a network of the workspace.
func (s *Store) Resume(ctx context.Context, ws string, networkID int64, user string) error {
	return s.changeOwn(ctx, ws, networkID, user, "resume", map[string]any{"paused": false, "paused_until": nil})
}

// SetSkills stores user's skills in a learning network of the workspace,
// as the canonical text the skills parser gives.
func (s *Store) SetSkills(ctx context.Context, ws string, networkID int64, user, skills string) error {
	if len(skills) > MaxSkillsLen {
		return refuse(FieldText, "That list of skills is too long; keep it under %d characters.", MaxSkillsLen)
	}
	return s.changeOwn(ctx, ws, networkID, user, "set skills", map[string]any{"skills": skills})
}

// MaxSkillsLen bounds the stored text of a person's skills, in bytes.
const MaxSkillsLen = 2000

// SetCapacity stores how many learners user takes at a time in a learning
// network of the workspace: 1 to MaxCapacity, or 0 for the network's.
func (s *Store) SetCapacity(ctx context.Context, ws string, networkID int64, user string, capacity int) error {
	if capacity < 0 || capacity > MaxCapacity {
		return refuse(FieldCapacity, "You can take 1 to %d learners at a time.", MaxCapacity)
	}
	var v any = capacity
	if capacity == 0 {
		v = nil
	}
	return s.changeOwn(ctx, ws, networkID, user, "set capacity", map[string]any{"capacity": v})
}

// changeOwn applies change to user's participation in a network of the
// workspace, or ErrNotFound.
func (s *Store) changeOwn(ctx context.Context, ws string, networkID int64, user, what string, change map[string]any) error {
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if _, err := s.network(ctx, ws, networkID); err != nil {
			return err
		}
		return s.updateParticipant(ctx, ws, networkID, user, change)
	})
	if err != nil {
		return fmt.Errorf("%s: %s in network %d: %w", user, what, networkID, err)
	}
	return nil
}

// updateParticipant changes one participant row, or returns ErrNotFound.
func (s *Store) updateParticipant(ctx context.Context, ws string, networkID int64, user string, change map[string]any) error {
	res := s.db.Conn(ctx).Model(&participantRow{}).Where("workspace_id = ? AND network_id = ? AND user_id = ?", ws, networkID, user).
		Updates(change)
	if res.Error != nil {
		return models.Translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return nil
}

func (s *Store) participantRow(ctx context.Context, ws string, networkID int64, user string) (participantRow, bool, error) {
	var rows []participantRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND network_id = ? AND user_id = ?", ws, networkID, user).
		Limit(1).Find(&rows).Error; err != nil {
		return participantRow{}, false, models.Translate(err)
	}
	if len(rows) == 0 {
		return participantRow{}, false, nil
	}
	return rows[0], true, nil
}

// SetPriority gives users priority in a network of the workspace (on), or
// takes it away; people not in it are passed over.
func (s *Store) SetPriority(ctx context.Context, ws string, networkID int64, users []string, on bool) error {
	return s.bulk(ctx, ws, networkID, users, "set priority", map[string]any{"priority": on})
}

// IncIgnored counts one more follow-up each of users left unanswered in a
// network of the workspace.
func (s *Store) IncIgnored(ctx context.Context, ws string, networkID int64, users []string) error {
	return s.bulk(ctx, ws, networkID, users, "count ignored", map[string]any{"ignored_rounds": gorm.Expr("ignored_rounds + 1")})
}

// ResetIgnored sets users' count of ignored follow-ups in a network of the
// workspace back to 0.
func (s *Store) ResetIgnored(ctx context.Context, ws string, networkID int64, users []string) error {
	return s.bulk(ctx, ws, networkID, users, "reset ignored", map[string]any{"ignored_rounds": 0})
}

func (s *Store) bulk(ctx context.Context, ws string, networkID int64, users []string, what string, change map[string]any) error {
	users = cleanUsers(users)
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if _, err := s.network(ctx, ws, networkID); err != nil {
			return err
		}
		if len(users) == 0 {
			return nil
		}
		return models.Translate(s.db.Conn(ctx).Model(&participantRow{}).
			Where("workspace_id = ? AND network_id = ? AND user_id IN ?", ws, networkID, users).Updates(change).Error)
	})
	if err != nil {
		return fmt.Errorf("%s in network %d: %w", what, networkID, err)
	}
	return nil
}
