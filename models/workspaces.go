package models

import (
	"context"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models/calendar"
)

// Workspace holds the defaults an admin sets for everyone in a Slack team.
type Workspace struct {
	ID            string
	Name          string
	DefaultHours  calendar.WorkingHours
	HolidayRegion string
	// MinGroupSize is the smallest group whose anonymous aggregates are shown.
	MinGroupSize int
	// DailyBudget is the workspace's default number of proactive DMs a
	// person gets per local day.
	DailyBudget int
	UpdatedAt   time.Time
}

// Bounds of a daily budget of proactive DMs.
const (
	DefaultDailyBudget = calendar.DefaultDailyBudget
	MaxDailyBudget     = 20
)

// NewWorkspace returns a workspace with Trellis's defaults.
func NewWorkspace(id, name string) Workspace {
	return Workspace{ID: id, Name: name, DefaultHours: calendar.DefaultWorkingHours, MinGroupSize: 5, DailyBudget: DefaultDailyBudget}
}

// Holiday is a date an admin declared a day off for the whole workspace.
type Holiday struct {
	WorkspaceID string
	Date        calendar.Date
	Name        string
	AddedBy     string
}

// MinGroupSizeFloor is the smallest minimum group size an admin may set:
// below it, an "anonymous" aggregate points at individuals.
const MinGroupSizeFloor = 3

// Workspaces stores each workspace's defaults, its own holidays, and the
// audit log of admin changes. Every change writes its audit row in the same
// transaction.
type Workspaces struct {
	db *DB
}

// NewWorkspaces returns the workspace store.
func NewWorkspaces(db *DB) *Workspaces { return &Workspaces{db: db} }

type workspaceRow struct {
	WorkspaceID   string    `gorm:"column:workspace_id;primaryKey"`
	Name          string    `gorm:"column:name"`
	DefaultDays   int       `gorm:"column:default_days"`
	DefaultStart  int       `gorm:"column:default_start"`
	DefaultEnd    int       `gorm:"column:default_end"`
	HolidayRegion string    `gorm:"column:holiday_region"`
	MinGroupSize  int       `gorm:"column:min_group_size"`
	DailyBudget   int       `gorm:"column:daily_budget"`
	CreatedAt     time.Time `gorm:"column:created_at"`
	UpdatedAt     time.Time `gorm:"column:updated_at"`
}

func (workspaceRow) TableName() string { return "workspaces" }

func (r workspaceRow) domain() Workspace {
	return Workspace{
		ID:   r.WorkspaceID,
		Name: r.Name,
		DefaultHours: calendar.WorkingHours{
			Days:  calendar.Weekdays(r.DefaultDays),
			Start: calendar.TimeOfDay(r.DefaultStart),
			End:   calendar.TimeOfDay(r.DefaultEnd),
		},
		HolidayRegion: r.HolidayRegion,
		MinGroupSize:  r.MinGroupSize,
		DailyBudget:   r.DailyBudget,
		UpdatedAt:     r.UpdatedAt.UTC(),
	}
}

func workspaceRowFrom(w Workspace) workspaceRow {
	return workspaceRow{
		WorkspaceID:   w.ID,
		Name:          w.Name,
		DefaultDays:   int(w.DefaultHours.Days),
		DefaultStart:  int(w.DefaultHours.Start),
		DefaultEnd:    int(w.DefaultHours.End),
		HolidayRegion: w.HolidayRegion,
		MinGroupSize:  w.MinGroupSize,
		DailyBudget:   w.DailyBudget,
		UpdatedAt:     w.UpdatedAt,
	}
}

type holidayRow struct {
	WorkspaceID string        `gorm:"column:workspace_id;primaryKey"`
	Day         calendar.Date `gorm:"column:day;primaryKey;type:text"`
	Name        string        `gorm:"column:name"`
	AddedBy     string        `gorm:"column:added_by"`
	CreatedAt   time.Time     `gorm:"column:created_at"`
}

func (holidayRow) TableName() string { return "holidays" }

func (r holidayRow) domain() Holiday {
	return Holiday{WorkspaceID: r.WorkspaceID, Date: r.Day, Name: r.Name, AddedBy: r.AddedBy}
}

func holidayRowFrom(h Holiday) holidayRow {
	return holidayRow{WorkspaceID: h.WorkspaceID, Day: h.Date, Name: h.Name, AddedBy: h.AddedBy}
}

// Ensure returns the workspace, creating it with Trellis's defaults
// (NewWorkspace) if it is new. A non-empty name replaces the stored one,
// so a renamed Slack team shows its new name.
func (s *Workspaces) Ensure(ctx context.Context, id, name string) (Workspace, error) {
	if id == "" {
		return Workspace{}, fmt.Errorf("ensure workspace: %w: no workspace id", ErrInvalid)
	}
	var out Workspace
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		row := s.defaults(id, name)
		onConflict := clause.OnConflict{Columns: []clause.Column{{Name: "workspace_id"}}, DoNothing: true}
		if name != "" {
			onConflict = clause.OnConflict{Columns: onConflict.Columns, DoUpdates: clause.AssignmentColumns([]string{"name"})}
		}
		if err := s.db.Conn(ctx).Clauses(onConflict).Create(&row).Error; err != nil {
			return Translate(err)
		}
		var err error
		out, err = s.Get(ctx, id)
		return err
	})
	if err != nil {
		return Workspace{}, fmt.Errorf("ensure workspace %s: %w", id, err)
	}
	return out, nil
}

func (s *Workspaces) defaults(id, name string) workspaceRow {
	now := s.db.Now()
	row := workspaceRowFrom(NewWorkspace(id, name))
	row.CreatedAt, row.UpdatedAt = now, now
	return row
}

// Get returns a workspace, or ErrNotFound.
func (s *Workspaces) Get(ctx context.Context, id string) (Workspace, error) {
	var row workspaceRow
	if err := s.db.Conn(ctx).Where("workspace_id = ?", id).Take(&row).Error; err != nil {
		return Workspace{}, fmt.Errorf("get workspace %s: %w", id, Translate(err))
	}
	return row.domain(), nil
}

// SetDefaultHours sets the working hours of everyone who has not set their
// own.
func (s *Workspaces) SetDefaultHours(ctx context.Context, id string, h calendar.WorkingHours, actorID string) error {
	if err := h.Validate(); err != nil {
		return fmt.Errorf("set default hours: %w", err)
	}
	err := s.change(ctx, id, actorID, AuditSetDefaultHours,
		map[string]any{"default_days": int(h.Days), "default_start": int(h.Start), "default_end": int(h.End)},
		func(old Workspace) string { return old.DefaultHours.String() + " → " + h.String() })
	if err != nil {
		return fmt.Errorf("set default hours %s: %w", id, err)
	}
	return nil
}

// SetHolidayRegion sets the workspace's public-holiday region: a code from
// the holidays package ("GB-SCT"), "none", or "" for none chosen yet. The
// caller checks that the code exists.
func (s *Workspaces) SetHolidayRegion(ctx context.Context, id, region, actorID string) error {
	region = normalizeRegion(region)
	err := s.change(ctx, id, actorID, AuditSetHolidayRegion,
		map[string]any{"holiday_region": region},
		func(old Workspace) string { return regionLabel(old.HolidayRegion) + " → " + regionLabel(region) })
	if err != nil {
		return fmt.Errorf("set holiday region %s: %w", id, err)
	}
	return nil
}

func regionLabel(r string) string {
	if r == "" {
		return "(not set)"
	}
	return r
}

// SetMinGroupSize sets the smallest group whose anonymous aggregates are
// shown; it cannot go below MinGroupSizeFloor.
func (s *Workspaces) SetMinGroupSize(ctx context.Context, id string, n int, actorID string) error {
	if n < MinGroupSizeFloor {
		return fmt.Errorf("set minimum group size: %w: it must be at least %d, got %d", ErrInvalid, MinGroupSizeFloor, n)
	}
	err := s.change(ctx, id, actorID, AuditSetMinGroupSize,
		map[string]any{"min_group_size": n},
		func(old Workspace) string { return strconv.Itoa(old.MinGroupSize) + " → " + strconv.Itoa(n) })
	if err != nil {
		return fmt.Errorf("set minimum group size %s: %w", id, err)
	}
	return nil
}

// SetDailyBudget sets the workspace's default number of proactive DMs a
// person gets per local day, from 1 to MaxDailyBudget. People may choose
// fewer for themselves, never more.
func (s *Workspaces) SetDailyBudget(ctx context.Context, id string, n int, actorID string) error {
	if n < 1 || n > MaxDailyBudget {
		return fmt.Errorf("set daily budget: %w: it must be between 1 and %d, got %d", ErrInvalid, MaxDailyBudget, n)
	}
	err := s.change(ctx, id, actorID, AuditSetDailyBudget,
		map[string]any{"daily_budget": n},
		func(old Workspace) string { return strconv.Itoa(old.DailyBudget) + " → " + strconv.Itoa(n) })
	if err != nil {
		return fmt.Errorf("set daily budget %s: %w", id, err)
	}
	return nil
}

// change applies an admin change to a workspace (created with defaults if
// new) and writes the audit row, in one transaction. detail describes the
// change from the old values.
func (s *Workspaces) change(ctx context.Context, id, actorID, action string, cols map[string]any, detail func(old Workspace) string) error {
	if id == "" || actorID == "" {
		return fmt.Errorf("%w: a change needs a workspace id and an actor", ErrInvalid)
	}
	return s.db.Tx(ctx, func(ctx context.Context) error {
		row := s.defaults(id, "")
		if err := s.db.Conn(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "workspace_id"}}, DoNothing: true}).Create(&row).Error; err != nil {
			return Translate(err)
		}
		var old workspaceRow
		if err := s.forUpdate(s.db.Conn(ctx)).Where("workspace_id = ?", id).Take(&old).Error; err != nil {
			return Translate(err)
		}
		now := s.db.Now()
		cols["updated_at"] = now
		if err := s.db.Conn(ctx).Model(&workspaceRow{}).Where("workspace_id = ?", id).Updates(cols).Error; err != nil {
			return Translate(err)
		}
		return s.audit(ctx, AuditEntry{WorkspaceID: id, ActorID: actorID, Action: action, Detail: detail(old.domain()), At: now})
	})
}

// forUpdate locks the rows read on Postgres; SQLite's IMMEDIATE transaction
// already holds the database's write lock.
func (s *Workspaces) forUpdate(g *gorm.DB) *gorm.DB {
	if s.db.dialect == DialectPostgres {
		return g.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return g
}

// AddHoliday declares a day off for the whole workspace; h.AddedBy is the
// admin. The same holiday added again (same date, same name) stores nothing
// and returns ErrDuplicate; another holiday on that date is ErrConflict. A
// name longer than MaxHolidayNameLen is ErrInvalid.
func (s *Workspaces) AddHoliday(ctx context.Context, h Holiday) error {
	switch {
	case h.WorkspaceID == "" || h.AddedBy == "":
		return fmt.Errorf("add holiday: %w: a holiday needs a workspace id and who added it", ErrInvalid)
	case h.Date.IsZero():
		return fmt.Errorf("add holiday: %w: no date", ErrInvalid)
	case utf8.RuneCountInString(h.Name) > MaxHolidayNameLen:
		return fmt.Errorf("add holiday: %w: the name is %d characters long; keep it to %d",
			ErrInvalid, utf8.RuneCountInString(h.Name), MaxHolidayNameLen)
	case h.Name == "":
		h.Name = "Holiday"
	}
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		row := holidayRowFrom(h)
		row.CreatedAt = s.db.Now()
		// DO NOTHING rather than a failing insert: on Postgres a unique
		// violation would abort a caller's surrounding transaction.
		res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return Translate(res.Error)
		}
		if res.RowsAffected == 0 {
			var old holidayRow
			if err := s.db.Conn(ctx).Where("workspace_id = ? AND day = ?", h.WorkspaceID, h.Date.String()).Take(&old).Error; err != nil {
				return Translate(err)
			}
			if old.Name == h.Name {
				return fmt.Errorf("%w: %s %s", ErrDuplicate, h.Date, h.Name)
			}
			return fmt.Errorf("%w: %s already has a holiday", ErrConflict, h.Date)
		}
		return s.audit(ctx, AuditEntry{WorkspaceID: h.WorkspaceID, ActorID: h.AddedBy, Action: AuditAddHoliday, Detail: h.Date.String() + " " + h.Name, At: row.CreatedAt})
	})
	if err != nil {
		return fmt.Errorf("add holiday %s %s: %w", h.WorkspaceID, h.Date, err)
	}
	return nil
}

// RemoveHoliday deletes the workspace's holiday on d, or returns
// ErrNotFound.
func (s *Workspaces) RemoveHoliday(ctx context.Context, workspaceID string, d calendar.Date, actorID string) error {
	if workspaceID == "" || actorID == "" {
		return fmt.Errorf("remove holiday: %w: needs a workspace id and an actor", ErrInvalid)
	}
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		var rows []holidayRow
		res := s.db.Conn(ctx).Clauses(clause.Returning{}).
			Where("workspace_id = ? AND day = ?", workspaceID, d.String()).Delete(&rows)
		if res.Error != nil {
			return Translate(res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		detail := d.String()
		if len(rows) > 0 {
			detail += " " + rows[0].Name
		}
		return s.audit(ctx, AuditEntry{WorkspaceID: workspaceID, ActorID: actorID, Action: AuditRemoveHoliday, Detail: detail})
	})
	if err != nil {
		return fmt.Errorf("remove holiday %s %s: %w", workspaceID, d, err)
	}
	return nil
}

// Holidays returns the workspace's own holidays from from to to, both
// inclusive and ordered by date; a zero bound is open.
func (s *Workspaces) Holidays(ctx context.Context, workspaceID string, from, to calendar.Date) ([]Holiday, error) {
	q := s.db.Conn(ctx).Where("workspace_id = ?", workspaceID)
	if !from.IsZero() {
		q = q.Where("day >= ?", from.String())
	}
	if !to.IsZero() {
		q = q.Where("day <= ?", to.String())
	}
	var rows []holidayRow
	if err := q.Order("day").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("holidays %s: %w", workspaceID, Translate(err))
	}
	out := make([]Holiday, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// DeleteWorkspace erases every row of a workspace in every table: its
// installation, settings, people, time off, holidays and audit log. Used
// when Trellis is uninstalled and the workspace's data is to go.
func (s *Workspaces) DeleteWorkspace(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("delete workspace: %w: no workspace id", ErrInvalid)
	}
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		for _, t := range workspaceTables() {
			if err := s.db.Conn(ctx).Exec("DELETE FROM "+t+" WHERE workspace_id = ?", id).Error; err != nil {
				return fmt.Errorf("%s: %w", t, Translate(err))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete workspace %s: %w", id, err)
	}
	return nil
}
