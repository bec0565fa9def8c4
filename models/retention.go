package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// UninstalledBefore returns, in id order, the workspaces whose installation
// is inactive and was uninstalled before t: those whose data is due to be
// deleted. A workspace reinstalled since is active again and not listed.
func (s *Installations) UninstalledBefore(ctx context.Context, t time.Time) ([]string, error) {
	// UTC: SQLite compares the stored times as text, all written in UTC.
	var ids []string
	err := s.db.Conn(ctx).Model(&installationRow{}).
		Where("NOT active AND uninstalled_at < ?", t.UTC()).
		Order("workspace_id").
		Pluck("workspace_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("list installations uninstalled before %s: %w", t.UTC().Format(time.RFC3339), Translate(err))
	}
	return ids, nil
}

// DeleteUninstalled deletes every row of a workspace, as DeleteWorkspace
// does, but only if its installation is still inactive and was uninstalled
// before t; it reports whether it deleted. The check and the deletion run in
// one transaction holding the installation row's lock, so a reinstall that
// races the deletion either commits first, and the workspace is kept, or
// waits and then installs afresh. A workspace already deleted (by another
// replica, say) or never installed is (false, nil).
func (s *Workspaces) DeleteUninstalled(ctx context.Context, id string, t time.Time) (bool, error) {
	if id == "" {
		return false, fmt.Errorf("delete uninstalled workspace: %w: no workspace id", ErrInvalid)
	}
	deleted := false
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		var row installationRow
		err := s.forUpdate(s.db.Conn(ctx)).
			Where("workspace_id = ? AND NOT active AND uninstalled_at < ?", id, t.UTC()).
			Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return Translate(err)
		}
		if err := s.DeleteWorkspace(ctx, id); err != nil {
			return err
		}
		deleted = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("delete uninstalled workspace %s: %w", id, err)
	}
	return deleted, nil
}
