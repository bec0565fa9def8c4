package peers

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models"
)

// MaxAvoid is the most people one person's avoid list holds.
const MaxAvoid = 50

// Avoid adds other to user's private "don't pair me with" list in the
// workspace; adding them again changes nothing. The list is user's alone:
// AvoidList gives it only to them, and the matcher reads it through
// AvoidPairs. It refuses, storing nothing, themselves, nobody, and a list
// already MaxAvoid long.
func (s *Store) Avoid(ctx context.Context, ws, user, other string) error {
	switch {
	case user == "" || other == "":
		return fmt.Errorf("avoid: %w", refuse(FieldUser, "Pick the person you'd rather not be paired with."))
	case user == other:
		return fmt.Errorf("avoid: %w", refuse(FieldUser, "You are never paired with yourself."))
	}
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		var n int64
		if err := s.db.Conn(ctx).Model(&avoidRow{}).Where("workspace_id = ? AND user_id = ?", ws, user).Count(&n).Error; err != nil {
			return models.Translate(err)
		}
		if n >= MaxAvoid {
			return refuse(FieldUser, "Your list already has %d people, the most it holds; take someone off first.", MaxAvoid)
		}
		return models.Translate(s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).
			Create(&avoidRow{WorkspaceID: ws, UserID: user, OtherID: other}).Error)
	})
	if err != nil {
		return fmt.Errorf("%s avoids someone: %w", user, err)
	}
	return nil
}

// Unavoid takes other off user's avoid list; it was not there is no
// error.
func (s *Store) Unavoid(ctx context.Context, ws, user, other string) error {
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND user_id = ? AND other_id = ?", ws, user, other).
		Delete(&avoidRow{}).Error; err != nil {
		return fmt.Errorf("%s unavoids someone: %w", user, models.Translate(err))
	}
	return nil
}

// AvoidList returns user's own avoid list, sorted. The caller passes the
// person asking: there is no way to read another's list but AvoidPairs,
// for the matcher.
func (s *Store) AvoidList(ctx context.Context, ws, user string) ([]string, error) {
	var rows []avoidRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND user_id = ?", ws, user).Order("other_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("avoid list of %s: %w", user, models.Translate(err))
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.OtherID
	}
	return out, nil
}

// AvoidPairs returns, for the matcher only, who of users must not be
// grouped with whom: each of users maps to the others of users that they
// avoid or that avoid them (it works both ways), sorted. People with none
// are absent.
func (s *Store) AvoidPairs(ctx context.Context, ws string, users []string) (map[string][]string, error) {
	users = cleanUsers(users)
	out := map[string][]string{}
	if len(users) == 0 {
		return out, nil
	}
	var rows []avoidRow
	// Both ends in users; chunks keep the IN lists small.
	for start := 0; start < len(users); start += 500 {
		chunk := users[start:min(start+500, len(users))]
		var part []avoidRow
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND user_id IN ?", ws, chunk).Find(&part).Error; err != nil {
			return nil, fmt.Errorf("avoid pairs: %w", models.Translate(err))
		}
		rows = append(rows, part...)
	}
	for _, r := range rows {
		if _, ok := slices.BinarySearch(users, r.OtherID); !ok {
			continue
		}
		out[r.UserID] = append(out[r.UserID], r.OtherID)
		out[r.OtherID] = append(out[r.OtherID], r.UserID)
	}
	for u, list := range out {
		slices.Sort(list)
		out[u] = slices.Compact(list)
	}
	return out, nil
}
