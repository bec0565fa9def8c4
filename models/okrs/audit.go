package okrs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/trellis-bot/trellis/models"
)

// Audit actions of OKR admin changes, in the workspace's audit log
// (models.AuditEntry.Action): the store writes each in the change's
// transaction, so a refused change leaves none.
const (
	AuditCycleNew    = "okr_cycle_new"
	AuditCycleRename = "okr_cycle_rename"
	AuditSettings    = "okr_settings"
)

// record writes an admin change by by to the audit log, inside ctx's
// transaction.
func (s *Store) record(ctx context.Context, ws, by, action, detail string) error {
	return models.NewWorkspaces(s.db).Record(ctx, models.AuditEntry{WorkspaceID: ws, ActorID: by, Action: action, Detail: detail, At: s.db.Now()})
}

// whoseCycle names whose a cycle is, for the audit log.
func whoseCycle(team string) string {
	if team == "" {
		return "the workspace's"
	}
	return "channel " + team + "'s"
}

// settingsChange describes a change of team's own settings, for the
// audit log: each field that changed, old → new.
func settingsChange(team string, old, set Settings) string {
	months := func(n int) string {
		if n == 0 {
			return "(not set)"
		}
		return fmt.Sprintf("%d months", n)
	}
	cadence := func(c NudgeCadence) string {
		if c == NudgeFollowCycle {
			return "(not set)"
		}
		return string(c)
	}
	day := func(d int) string {
		if d == NoWeekday {
			return "(not set)"
		}
		return strings.ToLower(time.Weekday(d).String())
	}
	var parts []string
	if old.CycleMonths != set.CycleMonths {
		parts = append(parts, "cycle length "+months(old.CycleMonths)+" → "+months(set.CycleMonths))
	}
	if old.NudgeCadence != set.NudgeCadence {
		parts = append(parts, "nudges "+cadence(old.NudgeCadence)+" → "+cadence(set.NudgeCadence))
	}
	if old.NudgeWeekday != set.NudgeWeekday {
		parts = append(parts, "nudge day "+day(old.NudgeWeekday)+" → "+day(set.NudgeWeekday))
	}
	if len(parts) == 0 {
		parts = []string{"no change"}
	}
	who := "workspace"
	if team != "" {
		who = "channel " + team
	}
	return who + ": " + strings.Join(parts, ", ")
}
