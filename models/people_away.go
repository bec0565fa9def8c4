package models

import (
	"context"
	"fmt"
	"time"
)

// personAwayRow is one row of a person joined with one of their away
// periods (or none).
type personAwayRow struct {
	Person      personRow  `gorm:"embedded"`
	AwayID      *int64     `gorm:"column:away_id"`
	AwayFirst   Date       `gorm:"column:away_first"`
	AwayLast    Date       `gorm:"column:away_last"`
	AwayNote    *string    `gorm:"column:away_note"`
	AwayCreated *time.Time `gorm:"column:away_created"`
}

// GetWithAway returns a person and their away periods ending on or after
// from, in one query: what a person sees about themselves is read in a single
// round trip. ErrNotFound when the person is unknown.
func (s *People) GetWithAway(ctx context.Context, workspaceID, userID string, from Date) (Person, []AwayPeriod, error) {
	rows, err := queryRows[personAwayRow](ctx, s.db, `
		SELECT p.*, a.id AS away_id, a.first_day AS away_first, a.last_day AS away_last,
		       a.note AS away_note, a.created_at AS away_created
		FROM people p
		LEFT JOIN away_periods a
		  ON a.workspace_id = p.workspace_id AND a.user_id = p.user_id AND a.last_day >= ?
		WHERE p.workspace_id = ? AND p.user_id = ?
		ORDER BY a.first_day, a.id`, from.String(), workspaceID, userID)
	if err != nil {
		return Person{}, nil, fmt.Errorf("get person %s/%s with away periods: %w", workspaceID, userID, translate(err))
	}
	if len(rows) == 0 {
		return Person{}, nil, fmt.Errorf("get person %s/%s: %w", workspaceID, userID, ErrNotFound)
	}
	var away []AwayPeriod
	for _, r := range rows {
		if r.AwayID == nil {
			continue
		}
		a := awayRow{ID: *r.AwayID, WorkspaceID: workspaceID, UserID: userID, FirstDay: r.AwayFirst, LastDay: r.AwayLast}
		if r.AwayNote != nil {
			a.Note = *r.AwayNote
		}
		if r.AwayCreated != nil {
			a.CreatedAt = *r.AwayCreated
		}
		away = append(away, a.domain())
	}
	return rows[0].Person.domain(), away, nil
}
