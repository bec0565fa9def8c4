package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// OpenedViews records the modals Trellis opened: which person each view
// id was opened for and with which form. A view id in a payload is
// something a person can change, so an action that updates a view first
// checks the view is one Trellis opened for that person.
type OpenedViews struct {
	db *DB
}

// NewOpenedViews returns the opened-view store.
func NewOpenedViews(db *DB) *OpenedViews { return &OpenedViews{db: db} }

// viewKeep is how long an opened view is remembered: far longer than
// anyone keeps a form open.
const viewKeep = 24 * time.Hour

type openedViewRow struct {
	WorkspaceID string    `gorm:"column:workspace_id;primaryKey"`
	ViewID      string    `gorm:"column:view_id;primaryKey"`
	UserID      string    `gorm:"column:user_id"`
	CallbackID  string    `gorm:"column:callback_id"`
	OpenedAt    time.Time `gorm:"column:opened_at"`
}

func (openedViewRow) TableName() string { return "opened_views" }

// Record notes that view viewID with callbackID was opened for userID,
// and forgets views opened more than a day ago.
func (s *OpenedViews) Record(ctx context.Context, workspaceID, viewID, userID, callbackID string) error {
	if workspaceID == "" || viewID == "" || userID == "" {
		return fmt.Errorf("record view: %w: workspace, view and person are needed", ErrInvalid)
	}
	now := s.db.Now()
	if err := s.db.Conn(ctx).Where("opened_at < ?", DBTime(now.Add(-viewKeep))).Delete(&openedViewRow{}).Error; err != nil {
		return fmt.Errorf("record view %s: %w", viewID, Translate(err))
	}
	row := openedViewRow{WorkspaceID: workspaceID, ViewID: viewID, UserID: userID, CallbackID: callbackID, OpenedAt: now}
	if err := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return fmt.Errorf("record view %s: %w", viewID, Translate(err))
	}
	return nil
}

// Opened reports whether view viewID was opened, within the last day, for
// userID with callbackID.
func (s *OpenedViews) Opened(ctx context.Context, workspaceID, viewID, userID, callbackID string) (bool, error) {
	var n int64
	err := s.db.Conn(ctx).Model(&openedViewRow{}).
		Where("workspace_id = ? AND view_id = ? AND user_id = ? AND callback_id = ? AND opened_at >= ?",
			workspaceID, viewID, userID, callbackID, DBTime(s.db.Now().Add(-viewKeep))).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("look up view %s: %w", viewID, Translate(err))
	}
	return n > 0, nil
}
