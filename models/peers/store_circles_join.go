package peers

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models"
)

// AddToCircle adds user to a circle of the workspace mid-term: someone who
// joined the network, or came back, after the term's circles were formed.
// It refuses, adding nothing, a group that is not a circle, a circle
// already of MaxCircleSize (ErrInvalid), and a person already in a group
// of the circle's term (models.ErrConflict): a person is in one circle a
// term.
func (s *Store) AddToCircle(ctx context.Context, ws string, groupID int64, user string) error {
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		g, err := s.Group(ctx, ws, groupID)
		if err != nil {
			return err
		}
		switch {
		case g.Kind != GroupCircle:
			return refuse(FieldGroups, "Only a circle takes people mid-term.")
		case len(g.Members) >= MaxCircleSize:
			return refuse(FieldGroups, "A circle has at most %d people.", MaxCircleSize)
		case strings.TrimSpace(user) == "":
			return refuse(FieldGroups, "A member has no user id.")
		}
		if _, in, err := s.GroupOf(ctx, ws, g.RoundID, user); err != nil {
			return err
		} else if in {
			return models.ErrConflict
		}
		return models.Translate(s.db.Conn(ctx).Create(&memberRow{GroupID: g.ID, UserID: user, NetworkID: g.NetworkID, WorkspaceID: ws}).Error)
	})
	if err != nil {
		return fmt.Errorf("add %s to circle %d: %w", user, groupID, err)
	}
	return nil
}

// NoteLeftOut records why user is in no group of a round of the workspace
// (a term), and reports whether they are to be told: true when nothing
// was recorded for them yet, or only that they were away or paused when
// it began (they were not told then); false when they were told a reason
// already. Of two callers at once, one gets true.
func (s *Store) NoteLeftOut(ctx context.Context, ws string, roundID int64, user, reason string) (bool, error) {
	reason = strings.TrimSpace(reason)
	if user == "" || reason == "" {
		return false, fmt.Errorf("note %q left out of round %d: %w", user, roundID, refuse(FieldUnmatched, "Say who was left out, and why."))
	}
	var told bool
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		res := s.db.Conn(ctx).Model(&unmatchedRow{}).
			Where("workspace_id = ? AND round_id = ? AND user_id = ? AND reason IN ?", ws, roundID, user,
				[]string{string(CircleLeftAway), string(CircleLeftPaused)}).
			Update("reason", reason)
		if res.Error != nil {
			return models.Translate(res.Error)
		}
		if res.RowsAffected > 0 {
			told = true
			return nil
		}
		res = s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).
			Create(&unmatchedRow{RoundID: roundID, UserID: user, WorkspaceID: ws, Reason: reason})
		if res.Error != nil {
			return models.Translate(res.Error)
		}
		told = res.RowsAffected > 0
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("note %s left out of round %d: %w", user, roundID, err)
	}
	return told, nil
}
