package okrs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// The store: the rows of migration 0015 (models/migrations/*/0015_okrs.sql)
// and the methods that read and write them, in the store*.go files. Every
// method takes the workspace: an id of another workspace is not found and
// nothing of it changes. Every write checks everything first and stores
// nothing when anything is wrong, and a write of several rows is one
// transaction. Row stamps (created_at, updated_at, closed_at) come from
// the DB's clock (models.WithClock); an update's At is the caller's.
//
// No audit log entries are written: check-ins (models/checkins) keep none
// either, and models' audit log is written by Workspaces alone.

// ErrNotFound is returned for an id that is not in the workspace; it is
// models.ErrNotFound.
var ErrNotFound = models.ErrNotFound

// Store stores cycles, objectives, key results, their updates, the OKR
// settings and each person's nudge state.
type Store struct {
	db *models.DB
}

// NewStore returns the OKR store.
func NewStore(db *models.DB) *Store { return &Store{db: db} }

type settingsRow struct {
	WorkspaceID  string    `gorm:"column:workspace_id;primaryKey"`
	Team         string    `gorm:"column:team;primaryKey"`
	CycleMonths  int       `gorm:"column:cycle_months"`
	NudgeCadence string    `gorm:"column:nudge_cadence"`
	NudgeWeekday int       `gorm:"column:nudge_weekday"`
	UpdatedBy    string    `gorm:"column:updated_by"`
	UpdatedAt    time.Time `gorm:"column:updated_at"`
}

func (settingsRow) TableName() string { return "okr_settings" }

func (r settingsRow) domain() Settings {
	return Settings{CycleMonths: r.CycleMonths, NudgeCadence: NudgeCadence(r.NudgeCadence), NudgeWeekday: r.NudgeWeekday}
}

type cycleRow struct {
	ID              int64         `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID     string        `gorm:"column:workspace_id"`
	Team            string        `gorm:"column:team"`
	Name            string        `gorm:"column:name"`
	NameKey         string        `gorm:"column:name_key"`
	Start           calendar.Date `gorm:"column:start_date;type:text"`
	End             calendar.Date `gorm:"column:end_date;type:text"`
	ReviewGraceDays int           `gorm:"column:review_grace_days"`
	CreatedBy       string        `gorm:"column:created_by"`
	CreatedAt       time.Time     `gorm:"column:created_at"`
}

func (cycleRow) TableName() string { return "okr_cycles" }

func (r cycleRow) domain() Cycle {
	return Cycle{ID: r.ID, Name: r.Name, Start: r.Start, End: r.End, Team: r.Team, ReviewGraceDays: r.ReviewGraceDays}
}

// nameKey is how cycle names compare: trimmed, in lower case.
func nameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

type objectiveRow struct {
	ID          int64      `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID string     `gorm:"column:workspace_id"`
	CycleID     int64      `gorm:"column:cycle_id"`
	Title       string     `gorm:"column:title"`
	OwnerID     string     `gorm:"column:owner_id"`
	Team        string     `gorm:"column:team"`
	Visibility  string     `gorm:"column:visibility"`
	ClosedAt    *time.Time `gorm:"column:closed_at"`
	CreatedBy   string     `gorm:"column:created_by"`
	CreatedAt   time.Time  `gorm:"column:created_at"`
	UpdatedAt   time.Time  `gorm:"column:updated_at"`
}

func (objectiveRow) TableName() string { return "okr_objectives" }

func (r objectiveRow) domain() Objective {
	o := Objective{ID: r.ID, CycleID: r.CycleID, Title: r.Title, Owner: r.OwnerID, Team: r.Team, Visibility: Visibility(r.Visibility)}
	if r.ClosedAt != nil {
		o.ClosedAt = r.ClosedAt.UTC()
	}
	return o
}

type parentRow struct {
	WorkspaceID string `gorm:"column:workspace_id"`
	ObjectiveID int64  `gorm:"column:objective_id;primaryKey"`
	Position    int    `gorm:"column:position;primaryKey"`
	ParentKind  string `gorm:"column:parent_kind"`
	ParentID    int64  `gorm:"column:parent_id"`
}

func (parentRow) TableName() string { return "okr_parents" }

type keyResultRow struct {
	ID          int64     `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID string    `gorm:"column:workspace_id"`
	ObjectiveID int64     `gorm:"column:objective_id"`
	Position    int       `gorm:"column:position"`
	OwnerID     string    `gorm:"column:owner_id"`
	Title       string    `gorm:"column:title"`
	Kind        string    `gorm:"column:kind"`
	StartValue  float64   `gorm:"column:start_value"`
	TargetValue float64   `gorm:"column:target_value"`
	Unit        string    `gorm:"column:unit"`
	Decimals    int       `gorm:"column:decimals"`
	Weight      *float64  `gorm:"column:weight"`
	CarriedFrom *int64    `gorm:"column:carried_from"`
	CreatedAt   time.Time `gorm:"column:created_at"`
	UpdatedAt   time.Time `gorm:"column:updated_at"`
}

func (keyResultRow) TableName() string { return "okr_key_results" }

func (r keyResultRow) domain() KeyResult {
	k := KeyResult{ID: r.ID, ObjectiveID: r.ObjectiveID, Owner: r.OwnerID, Title: r.Title, Kind: Kind(r.Kind),
		Start: r.StartValue, Target: r.TargetValue, Unit: r.Unit, Decimals: r.Decimals, Weight: r.Weight}
	if r.CarriedFrom != nil {
		k.CarriedFrom = *r.CarriedFrom
	}
	return k
}

// keyResultRowFrom is k as a row of objective at position pos (1-based).
func keyResultRowFrom(ws string, objective int64, pos int, k KeyResult, now time.Time) keyResultRow {
	r := keyResultRow{ID: k.ID, WorkspaceID: ws, ObjectiveID: objective, Position: pos, OwnerID: strings.TrimSpace(k.Owner),
		Title: strings.TrimSpace(k.Title), Kind: string(k.Kind), StartValue: k.Start, TargetValue: k.Target,
		Unit: strings.TrimSpace(k.Unit), Decimals: k.Decimals, Weight: k.Weight, CreatedAt: now, UpdatedAt: now}
	if k.CarriedFrom != 0 {
		from := k.CarriedFrom
		r.CarriedFrom = &from
	}
	return r
}

type updateRow struct {
	ID          int64     `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID string    `gorm:"column:workspace_id"`
	KeyResultID int64     `gorm:"column:key_result_id"`
	AuthorID    string    `gorm:"column:author_id"`
	At          time.Time `gorm:"column:at"`
	Value       float64   `gorm:"column:value"`
	Confidence  string    `gorm:"column:confidence"`
	Note        string    `gorm:"column:note"`
	Corrects    int64     `gorm:"column:corrects"`
	NoChange    bool      `gorm:"column:no_change"`
	Source      string    `gorm:"column:source"`
}

func (updateRow) TableName() string { return "okr_updates" }

func (r updateRow) domain() Update {
	return Update{ID: r.ID, KeyResultID: r.KeyResultID, Author: r.AuthorID, At: r.At.UTC(), Value: r.Value,
		Confidence: Confidence(r.Confidence), Note: r.Note, Corrects: r.Corrects, NoChange: r.NoChange, Source: Source(r.Source)}
}

type personRow struct {
	WorkspaceID  string     `gorm:"column:workspace_id;primaryKey"`
	PersonID     string     `gorm:"column:person_id;primaryKey"`
	NudgeCadence string     `gorm:"column:nudge_cadence"`
	IgnoredInRow int        `gorm:"column:ignored_in_row"`
	Halved       bool       `gorm:"column:halved"`
	ToldHalved   bool       `gorm:"column:told_halved"`
	LastNudgedAt *time.Time `gorm:"column:last_nudged_at"`
}

func (personRow) TableName() string { return "okr_people" }

// lockWorkspace serialises, until the transaction ctx carries ends, the
// writes of a workspace's cycles and alignment: two cycles created at
// once must not overlap, and two alignments made at once must not close
// a loop between them. On Postgres it is a transaction-scoped advisory
// lock; on SQLite every transaction already runs alone (it begins
// IMMEDIATE on the one connection).
func (s *Store) lockWorkspace(ctx context.Context, ws string) error {
	if s.db.Dialect() != models.DialectPostgres {
		return nil
	}
	err := s.db.Conn(ctx).Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", "trellis.okrs/"+ws).Error
	if err != nil {
		return fmt.Errorf("lock the OKRs of %s: %w", ws, models.Translate(err))
	}
	return nil
}
