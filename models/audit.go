package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The audit log: every admin change to a workspace, who made it and when.
// Workspaces writes it in the same transaction as the change; the stores
// of features (models/okrs) write theirs through Record, in theirs.

// Audit actions written by Workspaces; AuditEntry.Action holds one of
// these or a feature's own (models/okrs).
const (
	AuditSetDefaultHours  = "set_default_hours"
	AuditSetHolidayRegion = "set_holiday_region"
	AuditSetMinGroupSize  = "set_min_group_size"
	AuditAddHoliday       = "add_holiday"
	AuditRemoveHoliday    = "remove_holiday"
	AuditSetDailyBudget   = "set_daily_budget"
)

// AuditEntry records an admin change: who changed what, when.
type AuditEntry struct {
	ID          int64
	WorkspaceID string
	ActorID     string
	Action      string
	Detail      string
	At          time.Time
}

type auditRow struct {
	ID          int64     `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID string    `gorm:"column:workspace_id"`
	ActorID     string    `gorm:"column:actor_id"`
	Action      string    `gorm:"column:action"`
	Detail      string    `gorm:"column:detail"`
	At          time.Time `gorm:"column:at"`
}

func (auditRow) TableName() string { return "audit_log" }

func (r auditRow) domain() AuditEntry {
	return AuditEntry{ID: r.ID, WorkspaceID: r.WorkspaceID, ActorID: r.ActorID, Action: r.Action, Detail: r.Detail, At: r.At.UTC()}
}

func auditRowFrom(e AuditEntry) auditRow {
	return auditRow{ID: e.ID, WorkspaceID: e.WorkspaceID, ActorID: e.ActorID, Action: e.Action, Detail: e.Detail, At: e.At}
}

// audit records e; Workspaces calls it inside the change's transaction.
func (s *Workspaces) audit(ctx context.Context, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.db.Now()
	}
	row := auditRowFrom(e)
	row.ID = 0
	return Translate(s.db.Conn(ctx).Create(&row).Error)
}

// Record writes e, an admin change a feature's store made, to the audit
// log, stamped now unless e.At is set. Called with the ctx of a
// transaction of the same DB ((*DB).Tx), it joins it: the entry is
// stored if and only if the change is. An entry without a workspace,
// actor or action is refused with ErrInvalid. Detail is stored as given;
// whoever shows it escapes it.
func (s *Workspaces) Record(ctx context.Context, e AuditEntry) error {
	if strings.TrimSpace(e.WorkspaceID) == "" || strings.TrimSpace(e.ActorID) == "" || strings.TrimSpace(e.Action) == "" {
		return fmt.Errorf("record admin change: %w: no workspace, actor or action", ErrInvalid)
	}
	if err := s.audit(ctx, e); err != nil {
		return fmt.Errorf("record admin change %s: %w", e.Action, err)
	}
	return nil
}

// Audit returns the workspace's latest admin changes, newest first; limit
// <= 0 means 100.
func (s *Workspaces) Audit(ctx context.Context, workspaceID string, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	var rows []auditRow
	err := s.db.Conn(ctx).Where("workspace_id = ?", workspaceID).Order("at DESC, id DESC").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", workspaceID, Translate(err))
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}
