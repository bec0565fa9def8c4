package checkins

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// Closing rounds: which rounds are due to close, closing them with the
// runtime's say, and when the next one closes.

// CloseDueRounds closes up to limit rounds whose ClosesAt is at or before
// now, earliest first, and returns those it closed. Each round closes in
// its own transaction: an UPDATE that takes it only while it is still
// open and due, so of two replicas closing together exactly one closes
// each round (on Postgres the other waits for its row and then finds it
// closed). onClose (may be nil) runs in that transaction with its ctx, so
// whatever it writes — the summary post, one-off occurrences — commits or
// rolls back with the close; it must not call Slack. If onClose fails, that
// round stays open (to be tried again on a later call), the other rounds
// are still handled, and the errors are returned together with the rounds
// that did close. When onClose returns a *PostponeClose, the round stays
// open until its Until instead, with nothing else written. A round whose
// check-in is gone is skipped.
func (s *Store) CloseDueRounds(ctx context.Context, now time.Time, limit int, onClose func(ctx context.Context, c Checkin, r Round) error) ([]Round, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("close due rounds: %w: limit %d must be positive", models.ErrInvalid, limit)
	}
	now = models.DBTime(now)
	var due []roundRow
	if err := s.db.Conn(ctx).Where("closed = ? AND closes_at <= ?", false, now).Order("closes_at, id").Limit(limit).
		Find(&due).Error; err != nil {
		return nil, fmt.Errorf("close due rounds: %w", models.Translate(err))
	}
	var closed []Round
	var errs []error
	for _, d := range due {
		var round Round
		var done bool
		err := s.db.Tx(ctx, func(ctx context.Context) error {
			done = false
			res := s.db.Conn(ctx).Model(&roundRow{}).Where("id = ? AND closed = ? AND closes_at <= ?", d.ID, false, now).
				Update("closed", true)
			if res.Error != nil {
				return models.Translate(res.Error)
			}
			if res.RowsAffected == 0 {
				return nil // closed by someone else, or reopened until later
			}
			var r roundRow
			if err := s.db.Conn(ctx).Where("id = ?", d.ID).Take(&r).Error; err != nil {
				return models.Translate(err)
			}
			c, err := s.Get(ctx, r.WorkspaceID, r.CheckinID)
			if errors.Is(err, models.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			// The anonymous counts are final now; writing them all once
			// more makes their Postgres xmin and ctid the close's, not the
			// last anonymous answer's transaction (which also wrote that
			// person's response).
			if err := s.db.Conn(ctx).Exec(`UPDATE checkin_anonymous SET n = n WHERE round_id = ?`, r.ID).Error; err != nil {
				return models.Translate(err)
			}
			round = r.domain()
			if onClose != nil {
				err := onClose(ctx, c, round)
				var later *PostponeClose
				if errors.As(err, &later) && later.Until.After(now) {
					// Someone is still to be asked this round: it stays
					// open until then.
					return models.Translate(s.db.Conn(ctx).Model(&roundRow{}).Where("id = ?", d.ID).
						Updates(map[string]any{"closed": false, "closes_at": models.DBTime(later.Until)}).Error)
				}
				if err != nil {
					return err
				}
			}
			done = true
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("round %d: %w", d.ID, err))
			continue
		}
		if done {
			closed = append(closed, round)
		}
	}
	if len(errs) > 0 {
		return closed, fmt.Errorf("close due rounds: %w", errors.Join(errs...))
	}
	return closed, nil
}

// AskedLater reports whether the person has been asked (or has answered)
// a round of the check-in dated after date: a round stays theirs to
// answer until then, whatever later rounds people in other zones have
// started.
func (s *Store) AskedLater(ctx context.Context, workspaceID string, checkinID int64, userID string, date calendar.Date) (bool, error) {
	var n int64
	err := s.db.Conn(ctx).Table("checkin_responses AS q").Joins("JOIN checkin_rounds n ON n.id = q.round_id").
		Where("n.workspace_id = ? AND n.checkin_id = ? AND q.user_id = ? AND n.round_date > ?", workspaceID, checkinID, userID, date.String()).
		Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("later rounds of check-in %d for %s: %w", checkinID, userID, models.Translate(err))
	}
	return n > 0, nil
}

// PostponeClose is what a CloseDueRounds onClose returns to keep a round
// open until Until instead of closing it: a participant further west is
// still to be asked that day.
type PostponeClose struct{ Until time.Time }

func (p *PostponeClose) Error() string {
	return "round stays open until " + p.Until.UTC().Format(time.RFC3339)
}

// NextRoundClose returns the earliest ClosesAt of the rounds still open;
// ok is false when there is none.
func (s *Store) NextRoundClose(ctx context.Context) (at time.Time, ok bool, err error) {
	rows, err := models.QueryRows[struct {
		At time.Time `gorm:"column:at"`
	}](ctx, s.db, `SELECT closes_at AS at FROM checkin_rounds WHERE closed = ? ORDER BY closes_at LIMIT 1`, false)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next round close: %w", err)
	}
	if len(rows) == 0 {
		return time.Time{}, false, nil
	}
	return rows[0].At.UTC(), true, nil
}
