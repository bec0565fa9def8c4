package models

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models/calendar"
)

type awayRow struct {
	ID          int64         `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID string        `gorm:"column:workspace_id"`
	UserID      string        `gorm:"column:user_id"`
	FirstDay    calendar.Date `gorm:"column:first_day;type:text"`
	LastDay     calendar.Date `gorm:"column:last_day;type:text"`
	Note        string        `gorm:"column:note"`
	CreatedAt   time.Time     `gorm:"column:created_at"`
}

func (awayRow) TableName() string { return "away_periods" }

func (r awayRow) domain() AwayPeriod {
	return AwayPeriod{
		ID:          r.ID,
		WorkspaceID: r.WorkspaceID,
		UserID:      r.UserID,
		First:       r.FirstDay,
		Last:        r.LastDay,
		Note:        r.Note,
		CreatedAt:   r.CreatedAt.UTC(),
	}
}

func awayRowFrom(a AwayPeriod) awayRow {
	return awayRow{
		ID:          a.ID,
		WorkspaceID: a.WorkspaceID,
		UserID:      a.UserID,
		FirstDay:    a.First,
		LastDay:     a.Last,
		Note:        a.Note,
		CreatedAt:   a.CreatedAt,
	}
}

// AddAway records a period of time off, First to Last inclusive, and
// returns it with its ID. The same days added again for the same person
// store nothing: AddAway returns the period already stored and
// ErrDuplicate. A note longer than MaxAwayNoteLen is ErrInvalid.
func (s *People) AddAway(ctx context.Context, a AwayPeriod) (AwayPeriod, error) {
	if err := checkPersonKey(a.WorkspaceID, a.UserID); err != nil {
		return AwayPeriod{}, fmt.Errorf("add away: %w", err)
	}
	switch {
	case a.First.IsZero() || a.Last.IsZero():
		return AwayPeriod{}, fmt.Errorf("add away: %w: a period needs a first and a last day", ErrInvalid)
	case a.Last.Before(a.First):
		return AwayPeriod{}, fmt.Errorf("add away: %w: the last day (%s) is before the first (%s)", ErrInvalid, a.Last, a.First)
	case utf8.RuneCountInString(a.Note) > MaxAwayNoteLen:
		return AwayPeriod{}, fmt.Errorf("add away: %w: the note is %d characters long; keep it to %d",
			ErrInvalid, utf8.RuneCountInString(a.Note), MaxAwayNoteLen)
	}
	a.ID = 0
	a.CreatedAt = s.db.Now()
	row := awayRowFrom(a)
	dup := false
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if err := s.ensure(ctx, a.WorkspaceID, a.UserID); err != nil {
			return err
		}
		// DO NOTHING rather than a failing insert: on Postgres a unique
		// violation would abort a caller's surrounding transaction.
		res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil || res.RowsAffected == 1 {
			return Translate(res.Error)
		}
		dup = true
		row = awayRow{}
		return Translate(s.db.Conn(ctx).
			Where("workspace_id = ? AND user_id = ? AND first_day = ? AND last_day = ?", a.WorkspaceID, a.UserID, a.First.String(), a.Last.String()).
			Take(&row).Error)
	})
	if err != nil {
		return AwayPeriod{}, fmt.Errorf("add away %s/%s: %w", a.WorkspaceID, a.UserID, err)
	}
	if dup {
		return row.domain(), fmt.Errorf("add away %s/%s %s–%s: %w", a.WorkspaceID, a.UserID, a.First, a.Last, ErrDuplicate)
	}
	return row.domain(), nil
}

// AwayPeriods returns a person's periods that end on or after from, ordered
// by their first day.
func (s *People) AwayPeriods(ctx context.Context, workspaceID, userID string, from calendar.Date) ([]AwayPeriod, error) {
	var rows []awayRow
	err := s.db.Conn(ctx).
		Where("workspace_id = ? AND user_id = ? AND last_day >= ?", workspaceID, userID, from.String()).
		Order("first_day, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("away periods %s/%s: %w", workspaceID, userID, Translate(err))
	}
	out := make([]AwayPeriod, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// EndAway is "/trellis back": periods covering today now end yesterday, and
// one that began today is deleted. Periods in the future are kept. It
// returns how many periods changed.
func (s *People) EndAway(ctx context.Context, workspaceID, userID string, today calendar.Date) (int, error) {
	if today.IsZero() {
		return 0, fmt.Errorf("end away: %w: no date", ErrInvalid)
	}
	day, yesterday := today.String(), today.AddDays(-1).String()
	var n int64
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		g := s.db.Conn(ctx)
		del := g.Where("workspace_id = ? AND user_id = ? AND first_day = ?", workspaceID, userID, day).Delete(&awayRow{})
		if del.Error != nil {
			return Translate(del.Error)
		}
		upd := s.db.Conn(ctx).Model(&awayRow{}).
			Where("workspace_id = ? AND user_id = ? AND first_day < ? AND last_day >= ?", workspaceID, userID, day, day).
			Update("last_day", yesterday)
		if upd.Error != nil {
			return Translate(upd.Error)
		}
		n = del.RowsAffected + upd.RowsAffected
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("end away %s/%s: %w", workspaceID, userID, err)
	}
	return int(n), nil
}

// DeleteAway removes one of a person's periods, or returns ErrNotFound.
func (s *People) DeleteAway(ctx context.Context, workspaceID, userID string, id int64) error {
	res := s.db.Conn(ctx).Where("id = ? AND workspace_id = ? AND user_id = ?", id, workspaceID, userID).Delete(&awayRow{})
	if res.Error != nil {
		return fmt.Errorf("delete away %d: %w", id, Translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("delete away %d: %w", id, ErrNotFound)
	}
	return nil
}
