package okrs

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models"
)

// Settings returns the OKR settings team works with, each field resolved:
// the team's own value where it set one, else the workspace's, else
// DefaultSettings. team "" asks for the workspace's.
func (s *Store) Settings(ctx context.Context, ws, team string) (Settings, error) {
	var rows []settingsRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND team IN ?", ws, teams(team)).Find(&rows).Error; err != nil {
		return Settings{}, fmt.Errorf("OKR settings of %s: %w", ws, models.Translate(err))
	}
	own, workspace := unset(), unset()
	for _, r := range rows {
		if r.Team == "" {
			workspace = r.domain()
		} else {
			own = r.domain()
		}
	}
	return own.Over(workspace).Over(DefaultSettings()), nil
}

// OwnSettings returns the settings team (or the workspace, for "") set
// itself, unresolved: what it left to the level below is unset (0, "",
// NoWeekday).
func (s *Store) OwnSettings(ctx context.Context, ws, team string) (Settings, error) {
	var rows []settingsRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND team = ?", ws, strings.TrimSpace(team)).Find(&rows).Error; err != nil {
		return Settings{}, fmt.Errorf("OKR settings of %s: %w", ws, models.Translate(err))
	}
	if len(rows) == 0 {
		return unset(), nil
	}
	return rows[0].domain(), nil
}

// unset is Settings with nothing set.
func unset() Settings { return Settings{NudgeWeekday: NoWeekday} }

// SetSettings stores team's own settings (the workspace's for team ""),
// set by by; a field left unset falls back to the level below. Settings
// that Validate refuses are refused with its *ValidationError and nothing
// changes. The change (each field's old and new value) is recorded in the
// workspace's audit log (AuditSettings, by by) in the same transaction.
func (s *Store) SetSettings(ctx context.Context, ws, team string, set Settings, by string) error {
	if err := set.Validate(); err != nil {
		return fmt.Errorf("set OKR settings: %w", err)
	}
	team = strings.TrimSpace(team)
	row := settingsRow{WorkspaceID: ws, Team: team, CycleMonths: set.CycleMonths, NudgeCadence: string(set.NudgeCadence),
		NudgeWeekday: set.NudgeWeekday, UpdatedBy: by, UpdatedAt: s.db.Now()}
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		old, err := s.OwnSettings(ctx, ws, team)
		if err != nil {
			return err
		}
		if err := s.db.Conn(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "workspace_id"}, {Name: "team"}},
			DoUpdates: clause.AssignmentColumns([]string{"cycle_months", "nudge_cadence", "nudge_weekday", "updated_by", "updated_at"}),
		}).Create(&row).Error; err != nil {
			return models.Translate(err)
		}
		return s.record(ctx, ws, by, AuditSettings, settingsChange(team, old, set))
	})
	if err != nil {
		return fmt.Errorf("set OKR settings of %s: %w", ws, err)
	}
	return nil
}

// NudgeState returns person's nudge state, the zero NudgeState when none
// was saved.
func (s *Store) NudgeState(ctx context.Context, ws, person string) (NudgeState, error) {
	var rows []personRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND person_id = ?", ws, person).Find(&rows).Error; err != nil {
		return NudgeState{}, fmt.Errorf("nudge state of %s: %w", person, models.Translate(err))
	}
	if len(rows) == 0 {
		return NudgeState{}, nil
	}
	return rows[0].domain(), nil
}

// domain is the nudge state r stores.
func (r personRow) domain() NudgeState {
	n := NudgeState{Cadence: NudgeCadence(r.NudgeCadence), IgnoredInRow: r.IgnoredInRow, Halved: r.Halved, ToldHalved: r.ToldHalved}
	if r.LastNudgedAt != nil {
		n.LastNudgedAt = r.LastNudgedAt.UTC()
	}
	return n
}

// ChangeNudgeState stores change(the person's nudge state) in one
// transaction that holds the person's row (Postgres: FOR UPDATE; SQLite's
// transactions run alone), so that two changes at once — a nudge written
// while the person posts an update on another replica — both count: the
// second reads what the first stored. It returns the state before and
// after. An error of change, or a state Validate refuses, changes
// nothing; change may be called once only and should do no I/O.
func (s *Store) ChangeNudgeState(ctx context.Context, ws, person string, change func(NudgeState) (NudgeState, error)) (before, after NudgeState, err error) {
	if strings.TrimSpace(person) == "" {
		return NudgeState{}, NudgeState{}, fmt.Errorf("change nudge state: %w: whose? no person given", models.ErrInvalid)
	}
	err = s.db.Tx(ctx, func(ctx context.Context) error {
		seed := personRow{WorkspaceID: ws, PersonID: person}
		if err := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&seed).Error; err != nil {
			return models.Translate(err)
		}
		q := s.db.Conn(ctx).Where("workspace_id = ? AND person_id = ?", ws, person)
		if s.db.Dialect() == models.DialectPostgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		var row personRow
		if err := q.Take(&row).Error; err != nil {
			return models.Translate(err)
		}
		before = row.domain()
		next, err := change(before)
		if err != nil {
			return err
		}
		after = next
		return s.SaveNudgeState(ctx, ws, person, next)
	})
	if err != nil {
		return NudgeState{}, NudgeState{}, fmt.Errorf("change nudge state of %s: %w", person, err)
	}
	return before, after, nil
}

// SaveNudgeState stores person's nudge state whole. A state Validate
// refuses is refused with its *ValidationError and nothing changes.
func (s *Store) SaveNudgeState(ctx context.Context, ws, person string, n NudgeState) error {
	if err := n.Validate(); err != nil {
		return fmt.Errorf("save nudge state: %w", err)
	}
	if strings.TrimSpace(person) == "" {
		return fmt.Errorf("save nudge state: %w: whose? no person given", models.ErrInvalid)
	}
	row := personRow{WorkspaceID: ws, PersonID: person, NudgeCadence: string(n.Cadence), IgnoredInRow: n.IgnoredInRow,
		Halved: n.Halved, ToldHalved: n.ToldHalved}
	if !n.LastNudgedAt.IsZero() {
		at := models.DBTime(n.LastNudgedAt)
		row.LastNudgedAt = &at
	}
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "workspace_id"}, {Name: "person_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"nudge_cadence", "ignored_in_row", "halved", "told_halved", "last_nudged_at"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("save nudge state of %s: %w", person, models.Translate(err))
	}
	return nil
}
