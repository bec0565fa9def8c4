package checkins

import (
	"context"
	"fmt"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// ExportRow is one line of a check-in's export: one identified answer, or
// a skipped round (Position 0, no question or answer).
type ExportRow struct {
	Date   calendar.Date
	UserID string
	Status string
	// Position is the question's 1-based position (a retired question's
	// last one), 0 for a skipped round.
	Position int
	// Question is the prompt of the question the answer was given to,
	// whatever the check-in asks now.
	Question string
	Answer   string
}

// Export returns a check-in's answers, of everyone or, with userID, of one
// person: one row per identified answer and one per skipped round,
// ordered by date, person and position. Everyone's export (no userID)
// leaves out answers to Personal questions: they are the person's own. Anonymous answers are never
// exported, not even to the person who gave them: they are stored as
// counts without anyone's name, so nothing says whose they are. Rounds a
// person was only asked, or snoozed, have no rows. A missing check-in is
// ErrNotFound.
func (s *Store) Export(ctx context.Context, workspaceID string, checkinID int64, userID string) ([]ExportRow, error) {
	if _, err := s.Get(ctx, workspaceID, checkinID); err != nil {
		return nil, fmt.Errorf("export check-in %d: %w", checkinID, err)
	}
	q := `
		SELECT r.round_date, p.user_id, p.status, qn.position, qn.prompt, qn.kind, a.value
		FROM checkin_rounds r
		JOIN checkin_responses p ON p.round_id = r.id
		LEFT JOIN checkin_answers a ON a.round_id = p.round_id AND a.user_id = p.user_id AND p.status = ?
		LEFT JOIN checkin_questions qn ON qn.id = a.question_id
		WHERE r.workspace_id = ? AND r.checkin_id = ? AND p.status IN (?, ?)`
	args := []any{ResponseAnswered, workspaceID, checkinID, ResponseAnswered, ResponseSkipped}
	if userID != "" {
		q += ` AND p.user_id = ?`
		args = append(args, userID)
	}
	q += ` ORDER BY r.round_date, p.user_id, qn.position, qn.id`
	rows, err := models.QueryRows[struct {
		Date     calendar.Date `gorm:"column:round_date;type:text"`
		UserID   string        `gorm:"column:user_id"`
		Status   string        `gorm:"column:status"`
		Position *int          `gorm:"column:position"`
		Prompt   *string       `gorm:"column:prompt"`
		Kind     *string       `gorm:"column:kind"`
		Value    *string       `gorm:"column:value"`
	}](ctx, s.db, q, args...)
	if err != nil {
		return nil, fmt.Errorf("export check-in %d: %w", checkinID, err)
	}
	var out []ExportRow
	for _, r := range rows {
		row := ExportRow{Date: r.Date, UserID: r.UserID, Status: r.Status}
		switch {
		case r.Status == ResponseSkipped:
		case r.Position == nil:
			continue // answered with anonymous answers only
		case userID == "" && (Question{Kind: QuestionKind(models.FromNullString(r.Kind))}).Personal():
			continue // the person's own
		default:
			row.Position, row.Question, row.Answer = *r.Position, models.FromNullString(r.Prompt), models.FromNullString(r.Value)
		}
		out = append(out, row)
	}
	return out, nil
}
