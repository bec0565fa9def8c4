package checkins

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// Rounds: opening a check-in's round for a date, reading it, and its
// thread in the channel. Closing rounds is in close.go.

// Round is one check-in on one local date: each participant gets it at
// their own local time that day. Answers are accepted until the next round
// starts; ClosesAt is when the round's summary is due.
type Round struct {
	ID          int64
	CheckinID   int64
	WorkspaceID string
	Date        calendar.Date
	OpenedAt    time.Time
	ClosesAt    time.Time
	// ThreadTS is the round's thread in the channel, once posted.
	ThreadTS string
	Closed   bool
}

type roundRow struct {
	ID          int64         `gorm:"column:id;primaryKey;autoIncrement"`
	CheckinID   int64         `gorm:"column:checkin_id"`
	WorkspaceID string        `gorm:"column:workspace_id"`
	RoundDate   calendar.Date `gorm:"column:round_date;type:text"`
	OpenedAt    time.Time     `gorm:"column:opened_at"`
	ClosesAt    time.Time     `gorm:"column:closes_at"`
	ThreadTS    string        `gorm:"column:thread_ts"`
	Closed      bool          `gorm:"column:closed"`
}

func (roundRow) TableName() string { return "checkin_rounds" }

func (r roundRow) domain() Round {
	return Round{ID: r.ID, CheckinID: r.CheckinID, WorkspaceID: r.WorkspaceID, Date: r.RoundDate,
		OpenedAt: r.OpenedAt.UTC(), ClosesAt: r.ClosesAt.UTC(), ThreadTS: r.ThreadTS, Closed: r.Closed}
}

// OpenRound returns the check-in's round on date, creating it if it is
// new. Opening it again (another participant's local time that day)
// keeps the earliest opening and the latest closing time.
func (s *Store) OpenRound(ctx context.Context, workspaceID string, checkinID int64, date calendar.Date, openedAt, closesAt time.Time) (Round, error) {
	var out Round
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		row := roundRow{CheckinID: checkinID, WorkspaceID: workspaceID, RoundDate: date, OpenedAt: models.DBTime(openedAt), ClosesAt: models.DBTime(closesAt)}
		if err := s.db.Conn(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "checkin_id"}, {Name: "round_date"}},
			DoNothing: true,
		}).Create(&row).Error; err != nil {
			return models.Translate(err)
		}
		var got roundRow
		if err := s.db.Conn(ctx).Where("checkin_id = ? AND round_date = ?", checkinID, date.String()).Take(&got).Error; err != nil {
			return models.Translate(err)
		}
		if got.WorkspaceID != workspaceID {
			return models.ErrNotFound
		}
		upd := map[string]any{}
		if openedAt.Before(got.OpenedAt) {
			upd["opened_at"], got.OpenedAt = models.DBTime(openedAt), models.DBTime(openedAt)
		}
		if closesAt.After(got.ClosesAt) {
			upd["closes_at"], got.ClosesAt = models.DBTime(closesAt), models.DBTime(closesAt)
		}
		if len(upd) > 0 {
			if err := s.db.Conn(ctx).Model(&roundRow{}).Where("id = ?", got.ID).Updates(upd).Error; err != nil {
				return models.Translate(err)
			}
		}
		out = got.domain()
		return nil
	})
	if err != nil {
		return Round{}, fmt.Errorf("open round %s of check-in %d: %w", date, checkinID, err)
	}
	return out, nil
}

// Round returns a round, or ErrNotFound.
func (s *Store) Round(ctx context.Context, workspaceID string, id int64) (Round, error) {
	var r roundRow
	if err := s.db.Conn(ctx).Where("id = ? AND workspace_id = ?", id, workspaceID).Take(&r).Error; err != nil {
		return Round{}, fmt.Errorf("get round %d: %w", id, models.Translate(err))
	}
	return r.domain(), nil
}

// SetThreadTS records the round's thread, the timestamp of its header
// post. It sets it only while none is recorded: a thread, once there,
// stays the round's thread. A missing round is ErrNotFound.
func (s *Store) SetThreadTS(ctx context.Context, roundID int64, ts string) error {
	if ts == "" {
		return fmt.Errorf("set thread of round %d: %w: no timestamp", roundID, models.ErrInvalid)
	}
	res := s.db.Conn(ctx).Model(&roundRow{}).Where("id = ? AND thread_ts = ''", roundID).Update("thread_ts", ts)
	if res.Error != nil {
		return fmt.Errorf("set thread of round %d: %w", roundID, models.Translate(res.Error))
	}
	if res.RowsAffected > 0 {
		return nil
	}
	var n int64
	if err := s.db.Conn(ctx).Model(&roundRow{}).Where("id = ?", roundID).Count(&n).Error; err != nil {
		return fmt.Errorf("set thread of round %d: %w", roundID, models.Translate(err))
	}
	if n == 0 {
		return fmt.Errorf("set thread of round %d: %w", roundID, models.ErrNotFound)
	}
	return nil
}

// LatestRound returns the check-in's round with the latest date, or
// ErrNotFound when it has none yet.
func (s *Store) LatestRound(ctx context.Context, workspaceID string, checkinID int64) (Round, error) {
	var r roundRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND checkin_id = ?", workspaceID, checkinID).
		Order("round_date DESC").Take(&r).Error; err != nil {
		return Round{}, fmt.Errorf("latest round of check-in %d: %w", checkinID, models.Translate(err))
	}
	return r.domain(), nil
}
