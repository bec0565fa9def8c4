package okrs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// CreateCycle stores a new cycle of the workspace (or of c.Team's own) for
// by. It refuses, with a *ValidationError and storing nothing, a cycle
// Validate refuses, one whose days overlap another cycle of the same team
// (or of the workspace's own, when c.Team is "") on FieldStart or
// FieldEnd, and a name the same team already uses, whatever its case, on
// FieldName. It returns the cycle with its id. The change is recorded in
// the workspace's audit log (AuditCycleNew, by by) in the same
// transaction.
func (s *Store) CreateCycle(ctx context.Context, ws string, c Cycle, by string) (Cycle, error) {
	if err := c.Validate(); err != nil {
		return Cycle{}, fmt.Errorf("create cycle: %w", err)
	}
	c.Name, c.Team = strings.TrimSpace(c.Name), strings.TrimSpace(c.Team)
	var out Cycle
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if err := s.lockWorkspace(ctx, ws); err != nil {
			return err
		}
		var ps problems
		if err := s.checkCycleName(ctx, ws, c, &ps); err != nil {
			return err
		}
		if err := s.checkOverlap(ctx, ws, c, &ps); err != nil {
			return err
		}
		if err := ps.err(); err != nil {
			return err
		}
		row := cycleRow{WorkspaceID: ws, Team: c.Team, Name: c.Name, NameKey: nameKey(c.Name), Start: c.Start, End: c.End,
			ReviewGraceDays: c.ReviewGraceDays, CreatedBy: by, CreatedAt: s.db.Now()}
		if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
			return models.Translate(err)
		}
		out = row.domain()
		return s.record(ctx, ws, by, AuditCycleNew, fmt.Sprintf("“%s” (id %d), %s, %s to %s", out.Name, out.ID, whoseCycle(out.Team), out.Start, out.End))
	})
	if err != nil {
		return Cycle{}, fmt.Errorf("create cycle %q: %w", c.Name, err)
	}
	return out, nil
}

// RenameCycle gives a cycle of the workspace a new name, checked as
// CreateCycle checks it (FieldName), for by, recorded in the workspace's
// audit log (AuditCycleRename) in the same transaction. A cycle not in the
// workspace is ErrNotFound.
func (s *Store) RenameCycle(ctx context.Context, ws string, id int64, name, by string) error {
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if err := s.lockWorkspace(ctx, ws); err != nil {
			return err
		}
		c, err := s.cycle(ctx, ws, id)
		if err != nil {
			return err
		}
		was := c.Name
		c.Name = strings.TrimSpace(name)
		if err := c.Validate(); err != nil {
			return err
		}
		var ps problems
		if err := s.checkCycleName(ctx, ws, c, &ps); err != nil {
			return err
		}
		if err := ps.err(); err != nil {
			return err
		}
		if err := s.db.Conn(ctx).Model(&cycleRow{}).Where("workspace_id = ? AND id = ?", ws, id).
			Updates(map[string]any{"name": c.Name, "name_key": nameKey(c.Name)}).Error; err != nil {
			return models.Translate(err)
		}
		return s.record(ctx, ws, by, AuditCycleRename, fmt.Sprintf("cycle %d, %s: “%s” → “%s”", id, whoseCycle(c.Team), was, c.Name))
	})
	if err != nil {
		return fmt.Errorf("rename cycle %d (by %s): %w", id, by, err)
	}
	return nil
}

// checkCycleName adds a problem when another cycle of c's team in the
// workspace has c's name, whatever its case.
func (s *Store) checkCycleName(ctx context.Context, ws string, c Cycle, ps *problems) error {
	var rows []cycleRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND team = ? AND name_key = ? AND id <> ?", ws, c.Team, nameKey(c.Name), c.ID).
		Find(&rows).Error; err != nil {
		return models.Translate(err)
	}
	if len(rows) > 0 {
		ps.add(FieldName, 0, "There is already a cycle called “%s”; pick another name.", rows[0].Name)
	}
	return nil
}

// checkOverlap adds a problem when a cycle of c's team in the workspace
// shares a day with c: on FieldStart when it covers c's start, else on
// FieldEnd.
func (s *Store) checkOverlap(ctx context.Context, ws string, c Cycle, ps *problems) error {
	var rows []cycleRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND team = ? AND start_date <= ? AND end_date >= ? AND id <> ?",
		ws, c.Team, c.End, c.Start, c.ID).Order("start_date").Limit(1).Find(&rows).Error; err != nil {
		return models.Translate(err)
	}
	if len(rows) == 0 {
		return nil
	}
	o := rows[0]
	field := FieldEnd
	if !c.Start.Before(o.Start) {
		field = FieldStart
	}
	ps.add(field, 0, "“%s” runs from %s to %s, and cycles don't overlap. Start after %s or end before %s.",
		o.Name, o.Start.Format("2 Jan 2006"), o.End.Format("2 Jan 2006"), o.End.Format("2 Jan 2006"), o.Start.Format("2 Jan 2006"))
	return nil
}

// cycle reads one cycle of the workspace, or ErrNotFound.
func (s *Store) cycle(ctx context.Context, ws string, id int64) (Cycle, error) {
	var row cycleRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND id = ?", ws, id).Take(&row).Error; err != nil {
		return Cycle{}, models.Translate(err)
	}
	return row.domain(), nil
}

// Cycle returns one cycle of the workspace, or ErrNotFound.
func (s *Store) Cycle(ctx context.Context, ws string, id int64) (Cycle, error) {
	c, err := s.cycle(ctx, ws, id)
	if err != nil {
		return Cycle{}, fmt.Errorf("cycle %d: %w", id, err)
	}
	return c, nil
}

// Cycles returns every cycle of the workspace, the workspace's and the
// teams', by start (then team, then id).
func (s *Store) Cycles(ctx context.Context, ws string) ([]Cycle, error) {
	var rows []cycleRow
	if err := s.db.Conn(ctx).Where("workspace_id = ?", ws).Order("start_date, team, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("cycles of %s: %w", ws, models.Translate(err))
	}
	out := make([]Cycle, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// CycleOn returns the cycle running on day (start to end, both inclusive)
// for team: the team's own when it has one covering day, else the
// workspace's; team "" asks for the workspace's. It reports false when
// there is none.
func (s *Store) CycleOn(ctx context.Context, ws, team string, day calendar.Date) (Cycle, bool, error) {
	for _, t := range teams(team) {
		var rows []cycleRow
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND team = ? AND start_date <= ? AND end_date >= ?", ws, t, day, day).
			Limit(1).Find(&rows).Error; err != nil {
			return Cycle{}, false, fmt.Errorf("cycle on %s: %w", day, models.Translate(err))
		}
		if len(rows) > 0 {
			return rows[0].domain(), true, nil
		}
	}
	return Cycle{}, false, nil
}

// ReviewingOn returns the cycle in review on day (CycleReview: ended, its
// grace not over) for team, the team's own when it has one in review,
// else the workspace's; when two are (a long grace after a short cycle),
// the one that ended last. It reports false when there is none.
func (s *Store) ReviewingOn(ctx context.Context, ws, team string, day calendar.Date) (Cycle, bool, error) {
	earliest := day.AddDays(-MaxReviewGraceDays - 1)
	for _, t := range teams(team) {
		var rows []cycleRow
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND team = ? AND end_date < ? AND end_date >= ?", ws, t, day, earliest).
			Order("end_date DESC").Find(&rows).Error; err != nil {
			return Cycle{}, false, fmt.Errorf("cycle in review on %s: %w", day, models.Translate(err))
		}
		for _, r := range rows {
			if c := r.domain(); c.State(day) == CycleReview {
				return c, true, nil
			}
		}
	}
	return Cycle{}, false, nil
}

// teams is where a team's cycle is looked for: its own, then the
// workspace's.
func teams(team string) []string {
	if team = strings.TrimSpace(team); team != "" {
		return []string{team, ""}
	}
	return []string{""}
}

// isNotFound reports whether err is (or wraps) ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, models.ErrNotFound) }

// CycleTurn is a cycle of a workspace whose state turns (it starts, or
// its active days end) on a date CyclesTurning asked about.
type CycleTurn struct {
	Workspace string
	Cycle     Cycle
}

// CyclesTurning returns the cycles of every workspace that start on a
// date from from to to (inclusive), or whose last day is the day before
// one: those that become active or leave their active days then. It
// reads two indexed ranges, so its cost follows the cycles turning, not
// the cycles stored.
func (s *Store) CyclesTurning(ctx context.Context, from, to calendar.Date) ([]CycleTurn, error) {
	var rows []cycleRow
	err := s.db.Conn(ctx).Where("(start_date >= ? AND start_date <= ?) OR (end_date >= ? AND end_date <= ?)",
		from, to, from.AddDays(-1), to.AddDays(-1)).Order("workspace_id, start_date, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("cycles turning from %s to %s: %w", from, to, models.Translate(err))
	}
	out := make([]CycleTurn, len(rows))
	for i, r := range rows {
		out[i] = CycleTurn{Workspace: r.WorkspaceID, Cycle: r.domain()}
	}
	return out, nil
}
