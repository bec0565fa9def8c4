package peers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// SaveRound stores a round of a network of the workspace with its groups
// and the people it left out, in one transaction, once: the round's
// number is unique per network and kind, so a second save of the same
// number (another replica, a restart) stores nothing and returns the
// stored round with created false. When it stores the round it also gives
// priority to the unmatched marked Priority and takes it from every
// group's members. It refuses, with a *ValidationError and storing
// nothing, a round whose kind does not fit the network, whose days are
// wrong, a group of the wrong kind or size for the network, a person in
// two groups, or unmatched and grouped at once. It returns the round with
// its id; read its groups with Groups.
func (s *Store) SaveRound(ctx context.Context, ws string, r Round, groups []RoundGroup, unmatched []RoundUnmatched) (Round, bool, error) {
	var out Round
	var created bool
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		n, err := s.network(ctx, ws, r.NetworkID)
		if err != nil {
			return err
		}
		if r.Kind == "" {
			r.Kind = RoundKindOf(n.Kind)
		}
		if err := checkRound(n, r, groups, unmatched); err != nil {
			return err
		}
		row := roundRow{NetworkID: n.ID, WorkspaceID: ws, Kind: string(r.Kind), Number: r.Number, StartsOn: r.StartsOn,
			EndsOn: r.EndsOn, Seed: r.Seed, CreatedAt: s.db.Now()}
		res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return models.Translate(res.Error)
		}
		if res.RowsAffected == 0 {
			stored, err := s.roundByNumber(ctx, ws, n.ID, r.Kind, r.Number)
			out = stored
			return err
		}
		out, created = row.domain(), true
		return s.saveGroups(ctx, ws, out, groups, unmatched)
	})
	if err != nil {
		return Round{}, false, fmt.Errorf("save round %d of network %d: %w", r.Number, r.NetworkID, err)
	}
	return out, created, nil
}

// saveGroups stores a new round's groups, members and unmatched, and
// their priority.
func (s *Store) saveGroups(ctx context.Context, ws string, r Round, groups []RoundGroup, unmatched []RoundUnmatched) error {
	now := s.db.Now()
	var members []memberRow
	var grouped []string
	for _, g := range groups {
		shared, err := encodeSpans(g.Shared)
		if err != nil {
			return err
		}
		row := groupRow{RoundID: r.ID, NetworkID: r.NetworkID, WorkspaceID: ws, Kind: string(g.Kind), Skill: strings.TrimSpace(g.Skill),
			Shared: shared, CreatedAt: now}
		if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
			return models.Translate(err)
		}
		for _, m := range g.Members {
			members = append(members, memberRow{GroupID: row.ID, UserID: m.User, NetworkID: r.NetworkID, WorkspaceID: ws, Role: string(m.Role)})
			grouped = append(grouped, m.User)
		}
	}
	if len(members) > 0 {
		if err := s.db.Conn(ctx).CreateInBatches(&members, 200).Error; err != nil {
			return models.Translate(err)
		}
	}
	var left []unmatchedRow
	var priority []string
	for _, u := range unmatched {
		left = append(left, unmatchedRow{RoundID: r.ID, UserID: u.User, WorkspaceID: ws, Reason: strings.TrimSpace(u.Reason)})
		if u.Priority {
			priority = append(priority, u.User)
		}
	}
	if len(left) > 0 {
		if err := s.db.Conn(ctx).CreateInBatches(&left, 200).Error; err != nil {
			return models.Translate(err)
		}
	}
	if err := s.SetPriority(ctx, ws, r.NetworkID, priority, true); err != nil {
		return err
	}
	return s.SetPriority(ctx, ws, r.NetworkID, grouped, false)
}

// checkRound checks a round of n and its groups and unmatched.
func checkRound(n Network, r Round, groups []RoundGroup, unmatched []RoundUnmatched) error {
	var ps problems
	if r.Kind != RoundKindOf(n.Kind) {
		ps.add(FieldRound, 0, "A network of %s has rounds of kind %s, not %s.", n.Kind, RoundKindOf(n.Kind), r.Kind)
	}
	if r.Number < 1 {
		ps.add(FieldRound, 0, "Rounds are numbered from 1.")
	}
	if r.StartsOn.IsZero() || r.EndsOn.IsZero() || r.StartsOn.AddDays(0) != r.StartsOn || r.EndsOn.AddDays(0) != r.EndsOn {
		ps.add(FieldRound, 0, "A round needs its first and last days.")
	} else if r.EndsOn.Before(r.StartsOn) {
		ps.add(FieldRound, 0, "A round ends (%s) on or after the day it starts (%s).", r.EndsOn, r.StartsOn)
	}
	seen := map[string]int{}
	for i, g := range groups {
		item := i + 1
		if msg := checkGroupShape(n, g); msg != "" {
			ps.add(FieldGroups, item, "%s", msg)
		}
		for _, m := range g.Members {
			if m.User == "" {
				ps.add(FieldGroups, item, "A member has no user id.")
				continue
			}
			if at, ok := seen[m.User]; ok {
				ps.add(FieldGroups, item, "%s is in group %d already.", m.User, at)
				continue
			}
			seen[m.User] = item
		}
		for _, iv := range g.Shared {
			if !iv.End.After(iv.Start) {
				ps.add(FieldGroups, item, "A shared span ends before it starts.")
				break
			}
		}
	}
	out := map[string]bool{}
	for i, u := range unmatched {
		switch {
		case u.User == "":
			ps.add(FieldUnmatched, i+1, "A person left out has no user id.")
		case strings.TrimSpace(u.Reason) == "":
			ps.add(FieldUnmatched, i+1, "Say why %s was left out.", u.User)
		case seen[u.User] > 0:
			ps.add(FieldUnmatched, i+1, "%s is in group %d and cannot be left out too.", u.User, seen[u.User])
		case out[u.User]:
			ps.add(FieldUnmatched, i+1, "%s is left out twice.", u.User)
		}
		out[u.User] = true
	}
	return ps.err()
}

// checkGroupShape says what is wrong with g's kind, size and roles in a
// network of n's kind, or "".
func checkGroupShape(n Network, g RoundGroup) string {
	size := len(g.Members)
	roles := map[MemberRole]int{}
	for _, m := range g.Members {
		roles[m.Role]++
	}
	switch n.Kind {
	case KindIntros:
		switch {
		case g.Kind == GroupPair && size == 2, g.Kind == GroupTriple && size == 3:
		default:
			return fmt.Sprintf("An intro is a pair of 2 or a triple of 3, not a %s of %d.", g.Kind, size)
		}
	case KindCircles:
		if g.Kind != GroupCircle || size < 2 || size > MaxCircleSize {
			return fmt.Sprintf("A circle has 2 to %d people, not a %s of %d.", MaxCircleSize, g.Kind, size)
		}
	case KindLearning:
		if g.Kind != GroupLearning || roles[RoleTeacher] != 1 || roles[RoleLearner] < 1 || roles[RoleNone] > 0 {
			return "A learning pair has one teacher and at least one learner."
		}
		if strings.TrimSpace(g.Skill) == "" {
			return "A learning pair is about a skill."
		}
		return ""
	}
	if len(roles) > 1 || roles[RoleNone] != size {
		return "Only learning pairs have teachers and learners."
	}
	return ""
}

func (s *Store) roundByNumber(ctx context.Context, ws string, networkID int64, kind RoundKind, number int) (Round, error) {
	var row roundRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND network_id = ? AND kind = ? AND number = ?", ws, networkID, string(kind), number).
		Take(&row).Error; err != nil {
		return Round{}, models.Translate(err)
	}
	return row.domain(), nil
}

// RoundByNumber returns round number of kind of a network of the
// workspace, or ErrNotFound.
func (s *Store) RoundByNumber(ctx context.Context, ws string, networkID int64, kind RoundKind, number int) (Round, error) {
	r, err := s.roundByNumber(ctx, ws, networkID, kind, number)
	if err != nil {
		return Round{}, fmt.Errorf("round %d of network %d: %w", number, networkID, err)
	}
	return r, nil
}

// Round returns one round of the workspace, or ErrNotFound.
func (s *Store) Round(ctx context.Context, ws string, id int64) (Round, error) {
	var row roundRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND id = ?", ws, id).Take(&row).Error; err != nil {
		return Round{}, fmt.Errorf("round %d: %w", id, models.Translate(err))
	}
	return row.domain(), nil
}

// LatestRound returns the highest-numbered round of kind of a network of
// the workspace; false when it has none.
func (s *Store) LatestRound(ctx context.Context, ws string, networkID int64, kind RoundKind) (Round, bool, error) {
	var rows []roundRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND network_id = ? AND kind = ?", ws, networkID, string(kind)).
		Order("number DESC").Limit(1).Find(&rows).Error; err != nil {
		return Round{}, false, fmt.Errorf("latest round of network %d: %w", networkID, models.Translate(err))
	}
	if len(rows) == 0 {
		return Round{}, false, nil
	}
	return rows[0].domain(), true, nil
}

// Groups returns a round's groups, with their members (a learning pair's
// teacher first, then by user id), in the order they were saved. A round
// not in the workspace has none.
func (s *Store) Groups(ctx context.Context, ws string, roundID int64) ([]RoundGroup, error) {
	out, err := s.groups(ctx, s.db.Conn(ctx).Where("workspace_id = ? AND round_id = ?", ws, roundID))
	if err != nil {
		return nil, fmt.Errorf("groups of round %d: %w", roundID, err)
	}
	return out, nil
}

// Group returns one group of the workspace with its members, or
// ErrNotFound.
func (s *Store) Group(ctx context.Context, ws string, id int64) (RoundGroup, error) {
	gs, err := s.groups(ctx, s.db.Conn(ctx).Where("workspace_id = ? AND id = ?", ws, id))
	if err == nil && len(gs) == 0 {
		err = models.ErrNotFound
	}
	if err != nil {
		return RoundGroup{}, fmt.Errorf("group %d: %w", id, err)
	}
	return gs[0], nil
}

// GroupOf returns the group of a round user is in; false when none.
func (s *Store) GroupOf(ctx context.Context, ws string, roundID int64, user string) (RoundGroup, bool, error) {
	sub := s.db.Conn(ctx).Model(&memberRow{}).Select("group_id").Where("workspace_id = ? AND user_id = ?", ws, user)
	gs, err := s.groups(ctx, s.db.Conn(ctx).Where("workspace_id = ? AND round_id = ? AND id IN (?)", ws, roundID, sub))
	if err != nil {
		return RoundGroup{}, false, fmt.Errorf("group of %s in round %d: %w", user, roundID, err)
	}
	if len(gs) == 0 {
		return RoundGroup{}, false, nil
	}
	return gs[0], true, nil
}

// groups reads the groups q selects, with their members.
func (s *Store) groups(ctx context.Context, q *gorm.DB) ([]RoundGroup, error) {
	var rows []groupRow
	if err := q.Order("id").Find(&rows).Error; err != nil {
		return nil, models.Translate(err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var ms []memberRow
	if err := s.db.Conn(ctx).Where("group_id IN ?", ids).Order("group_id, user_id").Find(&ms).Error; err != nil {
		return nil, models.Translate(err)
	}
	byGroup := map[int64][]GroupMember{}
	for _, m := range ms {
		byGroup[m.GroupID] = append(byGroup[m.GroupID], GroupMember{User: m.UserID, Role: MemberRole(m.Role)})
	}
	out := make([]RoundGroup, len(rows))
	for i, r := range rows {
		members := byGroup[r.ID]
		slices.SortStableFunc(members, func(a, b GroupMember) int {
			return boolInt(b.Role == RoleTeacher) - boolInt(a.Role == RoleTeacher)
		})
		g, err := r.domain(members)
		if err != nil {
			return nil, err
		}
		out[i] = g
	}
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// History returns who met whom in the last limit rounds of kind of a
// network of the workspace (every round when limit is 0 or less): one
// Met for each two people of a group, A before B, Round the round's
// number, most recent round first.
func (s *Store) History(ctx context.Context, ws string, networkID int64, kind RoundKind, limit int) ([]Met, error) {
	q := s.db.Conn(ctx).Where("workspace_id = ? AND network_id = ? AND kind = ?", ws, networkID, string(kind)).Order("number DESC")
	if limit > 0 {
		q = q.Limit(limit)
	}
	var rounds []roundRow
	if err := q.Find(&rounds).Error; err != nil {
		return nil, fmt.Errorf("history of network %d: %w", networkID, models.Translate(err))
	}
	var out []Met
	for _, r := range rounds {
		gs, err := s.groups(ctx, s.db.Conn(ctx).Where("workspace_id = ? AND round_id = ?", ws, r.ID))
		if err != nil {
			return nil, fmt.Errorf("history of network %d: %w", networkID, err)
		}
		for _, g := range gs {
			users := g.Users()
			slices.Sort(users)
			for i := range users {
				for j := i + 1; j < len(users); j++ {
					out = append(out, Met{A: users[i], B: users[j], Round: r.Number})
				}
			}
		}
	}
	return out, nil
}

// Unmatched returns the people a round of the workspace left out, and
// why, by user id (Priority is not stored: read it on the participant).
func (s *Store) Unmatched(ctx context.Context, ws string, roundID int64) ([]RoundUnmatched, error) {
	var rows []unmatchedRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND round_id = ?", ws, roundID).Order("user_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("unmatched of round %d: %w", roundID, models.Translate(err))
	}
	out := make([]RoundUnmatched, len(rows))
	for i, r := range rows {
		out[i] = RoundUnmatched{User: r.UserID, Reason: r.Reason}
	}
	return out, nil
}

// SetConversation records the group DM a group of the workspace talks in.
func (s *Store) SetConversation(ctx context.Context, ws string, groupID int64, channel string) error {
	if err := s.changeGroup(ctx, ws, groupID, map[string]any{"conversation": strings.TrimSpace(channel)}); err != nil {
		return fmt.Errorf("set conversation of group %d: %w", groupID, err)
	}
	return nil
}

// IncAsked counts one more time the follow-up of a group of the workspace
// was asked, and returns the count.
func (s *Store) IncAsked(ctx context.Context, ws string, groupID int64) (int, error) {
	var asked int
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if err := s.changeGroup(ctx, ws, groupID, map[string]any{"asked": gorm.Expr("asked + 1")}); err != nil {
			return err
		}
		return models.Translate(s.db.Conn(ctx).Model(&groupRow{}).Select("asked").Where("id = ?", groupID).Scan(&asked).Error)
	})
	if err != nil {
		return 0, fmt.Errorf("count asks of group %d: %w", groupID, err)
	}
	return asked, nil
}

// SetOutcome records how a group of the workspace's meeting went, said by
// actor, one of its members (else ErrNotAllowed). Who said it is not
// stored. When they could not meet, its members get priority in the
// network's next round.
func (s *Store) SetOutcome(ctx context.Context, ws string, groupID int64, actor string, o Outcome) error {
	switch o {
	case OutcomeMet, OutcomeNotYet, OutcomeCouldnt:
	default:
		return fmt.Errorf("set outcome of group %d: %w", groupID, refuse(FieldOutcome, "Say whether you met, not yet, or couldn't."))
	}
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		g, err := s.Group(ctx, ws, groupID)
		if err != nil {
			return err
		}
		if !g.Has(actor) {
			return ErrNotAllowed
		}
		if err := s.changeGroup(ctx, ws, groupID, map[string]any{"outcome": string(o)}); err != nil {
			return err
		}
		if o == OutcomeCouldnt {
			return s.SetPriority(ctx, ws, g.NetworkID, g.Users(), true)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set outcome of group %d: %w", groupID, err)
	}
	return nil
}

// EndGroup records that a group of the workspace (a learning pair, a
// circle) ended early on day, for actor: one of its members, or the
// network's owner or an admin (else ErrNotAllowed).
func (s *Store) EndGroup(ctx context.Context, ws string, groupID int64, day calendar.Date, actor string, isAdmin bool) error {
	if day.IsZero() || day.AddDays(0) != day {
		return fmt.Errorf("end group %d: %w", groupID, refuse(FieldGroups, "Pick the day it ended."))
	}
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		g, err := s.Group(ctx, ws, groupID)
		if err != nil {
			return err
		}
		n, err := s.network(ctx, ws, g.NetworkID)
		if err != nil {
			return err
		}
		if !g.Has(actor) && !CanManage(n, actor, isAdmin) {
			return ErrNotAllowed
		}
		return s.changeGroup(ctx, ws, groupID, map[string]any{"ended_on": day})
	})
	if err != nil {
		return fmt.Errorf("end group %d: %w", groupID, err)
	}
	return nil
}

// changeGroup changes one group of the workspace, or ErrNotFound.
func (s *Store) changeGroup(ctx context.Context, ws string, groupID int64, change map[string]any) error {
	res := s.db.Conn(ctx).Model(&groupRow{}).Where("workspace_id = ? AND id = ?", ws, groupID).Updates(change)
	if res.Error != nil {
		return models.Translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return nil
}
