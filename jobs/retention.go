package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trellis-bot/trellis/clock"
)

// uninstalledLister finds the workspaces whose data is due to go.
type uninstalledLister interface {
	UninstalledBefore(ctx context.Context, t time.Time) ([]string, error)
}

// workspaceDeleter deletes a workspace's data if it is still uninstalled
// since before t, and reports whether it did.
type workspaceDeleter interface {
	DeleteUninstalled(ctx context.Context, id string, t time.Time) (bool, error)
}

// Retention deletes the data of workspaces that uninstalled Trellis.
// Slack's policy asks for deletion within 14 business days of an
// uninstall; waiting a little first lets a mistaken uninstall be undone by
// reinstalling, which keeps everything.
//
// Run is safe on several replicas at once: each workspace is deleted in
// one transaction that first checks, with its installation row locked,
// that it is still uninstalled, so a replica that comes second finds
// nothing to do, and a reinstall racing the purge is never deleted.
type Retention struct {
	log        *slog.Logger
	clock      clock.Clock
	installs   uninstalledLister
	workspaces workspaceDeleter
	after      time.Duration
}

// NewRetention returns the retention job, which deletes every workspace
// uninstalled more than after ago (by clk). Give it the same clock as the
// database, which stamps the uninstall time. after must be positive: zero
// would delete a workspace's data the moment it is uninstalled, leaving no
// room to undo a mistake; NewRetention panics otherwise.
func NewRetention(log *slog.Logger, clk clock.Clock, installs uninstalledLister, workspaces workspaceDeleter, after time.Duration) *Retention {
	if after <= 0 {
		panic(fmt.Sprintf("jobs: NewRetention: after must be positive, got %v", after))
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Retention{log: log, clock: clk, installs: installs, workspaces: workspaces, after: after}
}

// Run deletes the data of every workspace uninstalled more than the
// configured time ago, logging each by id. A failure on one workspace does
// not stop the others; the failures come back joined, and the next run
// tries those workspaces again.
func (r *Retention) Run(ctx context.Context) error {
	cutoff := r.clock.Now().Add(-r.after)
	ids, err := r.installs.UninstalledBefore(ctx, cutoff)
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	var errs []error
	for i, id := range ids {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("%d workspaces left for the next run: %w", len(ids)-i, err))
			break
		}
		deleted, err := r.workspaces.DeleteUninstalled(ctx, id, cutoff)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if deleted {
			// The id only: a workspace's name is its data, and it is gone.
			r.log.InfoContext(ctx, "deleted the data of an uninstalled workspace", "workspace", id, "uninstalled_before", cutoff)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("retention: %w", errors.Join(errs...))
	}
	return nil
}
