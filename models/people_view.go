package models

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

// personAwayRow is one row of a person joined with one of their away
// periods (or none).
type personAwayRow struct {
	Person      personRow     `gorm:"embedded"`
	AwayID      *int64        `gorm:"column:away_id"`
	AwayFirst   calendar.Date `gorm:"column:away_first"`
	AwayLast    calendar.Date `gorm:"column:away_last"`
	AwayNote    *string       `gorm:"column:away_note"`
	AwayCreated *time.Time    `gorm:"column:away_created"`
	Scheduled   bool          `gorm:"column:scheduled"`
}

// GetWithAway returns a person and their away periods ending on or after
// from, in one query. ErrNotFound when the person is unknown.
func (s *People) GetWithAway(ctx context.Context, workspaceID, userID string, from calendar.Date) (Person, []AwayPeriod, error) {
	v, err := s.View(ctx, workspaceID, userID, from)
	return v.Person, v.Away, err
}

// PersonView is what a person sees about themselves: the person, their
// away periods, and whether any schedule sends them proactive messages.
type PersonView struct {
	Person Person
	Away   []AwayPeriod
	// Scheduled reports that the person is a recipient of at least one
	// schedule, so a forecast of their next messages is worth reading.
	Scheduled bool
}

// View returns the person with their away periods ending on or after from
// and whether they are scheduled, in a single round trip: /trellis me and
// the Home tab read it on every request. ErrNotFound when the person is
// unknown.
func (s *People) View(ctx context.Context, workspaceID, userID string, from calendar.Date) (PersonView, error) {
	rows, err := QueryRows[personAwayRow](ctx, s.db, `
		SELECT p.*, a.id AS away_id, a.first_day AS away_first, a.last_day AS away_last,
		       a.note AS away_note, a.created_at AS away_created,
		       EXISTS (SELECT 1 FROM schedule_targets t WHERE t.workspace_id = p.workspace_id AND t.recipient = p.user_id) AS scheduled
		FROM people p
		LEFT JOIN away_periods a
		  ON a.workspace_id = p.workspace_id AND a.user_id = p.user_id AND a.last_day >= ?
		WHERE p.workspace_id = ? AND p.user_id = ?
		ORDER BY a.first_day, a.id`, from.String(), workspaceID, userID)
	if err != nil {
		return PersonView{}, fmt.Errorf("get person %s/%s with away periods: %w", workspaceID, userID, Translate(err))
	}
	if len(rows) == 0 {
		return PersonView{}, fmt.Errorf("get person %s/%s: %w", workspaceID, userID, ErrNotFound)
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
	return PersonView{Person: rows[0].Person.domain(), Away: away, Scheduled: rows[0].Scheduled}, nil
}

// GetMany returns the people of a workspace with the user ids that exist,
// by user id, and their away periods ending on or after from: the
// delivery engine reads a whole batch of recipients in two queries.
func (s *People) GetMany(ctx context.Context, workspaceID string, userIDs []string, from calendar.Date) (map[string]Person, map[string][]AwayPeriod, error) {
	people := make(map[string]Person, len(userIDs))
	away := make(map[string][]AwayPeriod)
	for chunk := range slices.Chunk(userIDs, 500) {
		var rows []personRow
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND user_id IN ?", workspaceID, chunk).Find(&rows).Error; err != nil {
			return nil, nil, fmt.Errorf("get people of %s: %w", workspaceID, Translate(err))
		}
		for _, r := range rows {
			people[r.UserID] = r.domain()
		}
		var aways []awayRow
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND user_id IN ? AND last_day >= ?", workspaceID, chunk, from.String()).
			Order("first_day, id").Find(&aways).Error; err != nil {
			return nil, nil, fmt.Errorf("get away periods of %s: %w", workspaceID, Translate(err))
		}
		for _, a := range aways {
			away[a.UserID] = append(away[a.UserID], a.domain())
		}
	}
	return people, away, nil
}
