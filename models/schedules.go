package models

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models/calendar"
)

// MaxCadenceLen is the longest cadence text a schedule is given (a
// check-in's cadence is checked against it before it is stored).
const MaxCadenceLen = 200

// Schedule is one "send this to these recipients on this cadence" that a
// feature (a check-in today; any later feature the same way) registers with the
// delivery engine. Its Key is the CadenceID of every occurrence it yields.
type Schedule struct {
	ID          int64
	WorkspaceID string
	// Key names the schedule within its workspace, "kind:id" such as
	// "checkin:42"; the kind picks the composer that writes the message.
	Key string
	// Title is what a person reads about it: "Daily stand-up (#team)".
	Title string
	// Cadence is the friendly or cron text jobs/cadence parses.
	Cadence string
	// Anchor is the local date a cadence such as "every 2 weeks on tue"
	// counts from.
	Anchor calendar.Date
	// ChannelTZ is the zone a channel recipient's cadence is evaluated
	// in; people use their own.
	ChannelTZ string
	// Paused schedules plan their occurrences as skipped.
	Paused    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Kind is the part of Key before the first colon.
func (s Schedule) Kind() string {
	kind, _, _ := strings.Cut(s.Key, ":")
	return kind
}

// Target is one recipient of a schedule and where its planning stands.
type Target struct {
	ScheduleID  int64
	WorkspaceID string
	// Recipient is a Slack user id (a DM) or a channel id (a post).
	Recipient string
	// PlannedTo is the last nominal instant planned; planning resumes with
	// the first one after it.
	PlannedTo time.Time
	// NextAt is when the planner looks at the target again: the next
	// nominal instant as last computed, or an earlier time when something
	// changed (the recipient's zone, the cadence).
	NextAt time.Time
}

// DueTarget is a target whose NextAt has come, with its schedule.
type DueTarget struct {
	Target
	Schedule Schedule
	// Known reports that a person recipient has a profile; TimeZone is then
	// the zone their cadence runs in (their own choice, else Slack's, ""
	// for UTC). LockDue fills both; other readers leave them zero.
	Known    bool
	TimeZone string
}

// Schedules stores schedules and their targets.
type Schedules struct {
	db *DB
}

// NewSchedules returns the schedule store.
func NewSchedules(db *DB) *Schedules { return &Schedules{db: db} }

type scheduleRow struct {
	ID          int64         `gorm:"column:id;primaryKey;autoIncrement"`
	WorkspaceID string        `gorm:"column:workspace_id"`
	Key         string        `gorm:"column:key"`
	Title       string        `gorm:"column:title"`
	Cadence     string        `gorm:"column:cadence"`
	Anchor      calendar.Date `gorm:"column:anchor;type:text"`
	ChannelTZ   string        `gorm:"column:channel_tz"`
	Paused      bool          `gorm:"column:paused"`
	CreatedAt   time.Time     `gorm:"column:created_at"`
	UpdatedAt   time.Time     `gorm:"column:updated_at"`
}

func (scheduleRow) TableName() string { return "schedules" }

func (r scheduleRow) domain() Schedule {
	return Schedule{
		ID: r.ID, WorkspaceID: r.WorkspaceID, Key: r.Key, Title: r.Title, Cadence: r.Cadence,
		Anchor: r.Anchor, ChannelTZ: r.ChannelTZ, Paused: r.Paused,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

type targetRow struct {
	ScheduleID  int64     `gorm:"column:schedule_id;primaryKey"`
	WorkspaceID string    `gorm:"column:workspace_id"`
	Recipient   string    `gorm:"column:recipient;primaryKey"`
	PlannedTo   time.Time `gorm:"column:planned_to"`
	NextAt      time.Time `gorm:"column:next_at"`
	CreatedAt   time.Time `gorm:"column:created_at"`
}

func (targetRow) TableName() string { return "schedule_targets" }

func (r targetRow) domain() Target {
	return Target{ScheduleID: r.ScheduleID, WorkspaceID: r.WorkspaceID, Recipient: r.Recipient,
		PlannedTo: r.PlannedTo.UTC(), NextAt: r.NextAt.UTC()}
}

// Put creates the schedule, or updates the stored one with the same
// workspace and key (title, cadence, anchor, channel zone, paused), and
// returns it as stored. When the cadence, anchor or zone changed, every
// target is due for planning again at once, so the new rule applies from
// its next instant.
func (s *Schedules) Put(ctx context.Context, sc Schedule) (Schedule, error) {
	switch {
	case sc.WorkspaceID == "" || sc.Key == "":
		return Schedule{}, fmt.Errorf("put schedule: %w: a schedule needs a workspace and a key", ErrInvalid)
	case strings.TrimSpace(sc.Cadence) == "":
		return Schedule{}, fmt.Errorf("put schedule %s: %w: no cadence", sc.Key, ErrInvalid)
	case sc.Anchor.IsZero():
		return Schedule{}, fmt.Errorf("put schedule %s: %w: no anchor date", sc.Key, ErrInvalid)
	case sc.ChannelTZ != "" && !knownZone(sc.ChannelTZ):
		return Schedule{}, fmt.Errorf("put schedule %s: %w: %q is not a time zone name", sc.Key, ErrInvalid, sc.ChannelTZ)
	}
	var out Schedule
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		now := s.db.Now()
		var old scheduleRow
		err := s.db.Conn(ctx).Where("workspace_id = ? AND key = ?", sc.WorkspaceID, sc.Key).Take(&old).Error
		switch err := Translate(err); {
		case err == nil:
			changed := old.Cadence != sc.Cadence || old.Anchor != sc.Anchor || old.ChannelTZ != sc.ChannelTZ
			upd := map[string]any{"title": sc.Title, "cadence": sc.Cadence, "anchor": sc.Anchor, "channel_tz": sc.ChannelTZ, "paused": sc.Paused, "updated_at": now}
			if err := s.db.Conn(ctx).Model(&scheduleRow{}).Where("id = ?", old.ID).Updates(upd).Error; err != nil {
				return Translate(err)
			}
			if changed {
				if err := s.db.Conn(ctx).Model(&targetRow{}).Where("schedule_id = ? AND next_at > ?", old.ID, now).
					Update("next_at", now).Error; err != nil {
					return Translate(err)
				}
			}
		case errors.Is(err, ErrNotFound):
			row := scheduleRow{WorkspaceID: sc.WorkspaceID, Key: sc.Key, Title: sc.Title, Cadence: sc.Cadence,
				Anchor: sc.Anchor, ChannelTZ: sc.ChannelTZ, Paused: sc.Paused, CreatedAt: now, UpdatedAt: now}
			if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
				return Translate(err)
			}
		default:
			return err
		}
		var err2 error
		out, err2 = s.Get(ctx, sc.WorkspaceID, sc.Key)
		return err2
	})
	if err != nil {
		return Schedule{}, fmt.Errorf("put schedule %s/%s: %w", sc.WorkspaceID, sc.Key, err)
	}
	return out, nil
}

// Get returns the schedule with the key, or ErrNotFound.
func (s *Schedules) Get(ctx context.Context, workspaceID, key string) (Schedule, error) {
	var r scheduleRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND key = ?", workspaceID, key).Take(&r).Error; err != nil {
		return Schedule{}, fmt.Errorf("get schedule %s/%s: %w", workspaceID, key, Translate(err))
	}
	return r.domain(), nil
}

// SetPaused pauses or resumes a schedule. While paused, its occurrences
// are planned as skipped ("paused"), so they still say why nothing came.
func (s *Schedules) SetPaused(ctx context.Context, workspaceID, key string, paused bool) error {
	res := s.db.Conn(ctx).Model(&scheduleRow{}).Where("workspace_id = ? AND key = ?", workspaceID, key).
		Updates(map[string]any{"paused": paused, "updated_at": s.db.Now()})
	if res.Error != nil {
		return fmt.Errorf("pause schedule %s/%s: %w", workspaceID, key, Translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("pause schedule %s/%s: %w", workspaceID, key, ErrNotFound)
	}
	return nil
}

// Delete removes a schedule and its targets. Its occurrences still waiting
// to be sent are settled as skipped with the reason, so nothing more of it
// is sent; one already claimed is on its way and its claimer finishes it.
func (s *Schedules) Delete(ctx context.Context, workspaceID, key, reason string) error {
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		res := s.db.Conn(ctx).Where("workspace_id = ? AND key = ?", workspaceID, key).Delete(&scheduleRow{})
		if res.Error != nil {
			return Translate(res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return settlePending(ctx, s.db, "workspace_id = ? AND cadence_id = ?", []any{workspaceID, key}, reason)
	})
	if err != nil {
		return fmt.Errorf("delete schedule %s/%s: %w", workspaceID, key, err)
	}
	return nil
}

// settlePending marks the planned and deferred occurrences matching where
// as skipped with reason.
func settlePending(ctx context.Context, db *DB, where string, args []any, reason string) error {
	q := db.Conn(ctx).Model(&occurrenceRow{}).Where("status IN ('planned', 'deferred')").Where(where, args...)
	return Translate(q.Updates(map[string]any{"status": OccurrenceSkipped, "reason": reason, "updated_at": db.Now()}).Error)
}

// GroupRecipientPrefix starts the recipient of a group DM ("mpim:U1,U2"),
// which jobs/engine writes and reads (engine.GroupRecipient). A group
// takes one-off messages only: it is never a schedule's target.
const GroupRecipientPrefix = "mpim:"

// SetTargets makes recipients the schedule's targets; a group DM
// (GroupRecipientPrefix) is refused with ErrInvalid. New ones are planned
// from the first nominal instant after from; ones no longer listed are
// removed, and their occurrences of this schedule still waiting are
// skipped ("no longer a recipient"). It returns how many were added and
// removed.
func (s *Schedules) SetTargets(ctx context.Context, workspaceID, key string, recipients []string, from time.Time) (added, removed int, err error) {
	for _, r := range recipients {
		if strings.HasPrefix(strings.TrimSpace(r), GroupRecipientPrefix) {
			return 0, 0, fmt.Errorf("set targets of %s/%s: %w: a group DM (%s) is not a schedule's target; plan its messages one at a time",
				workspaceID, key, ErrInvalid, r)
		}
	}
	err = s.db.Tx(ctx, func(ctx context.Context) error {
		added, removed = 0, 0
		sc, err := s.Get(ctx, workspaceID, key)
		if err != nil {
			return err
		}
		var have []string
		if err := s.db.Conn(ctx).Model(&targetRow{}).Where("schedule_id = ?", sc.ID).Pluck("recipient", &have).Error; err != nil {
			return Translate(err)
		}
		want := make(map[string]bool, len(recipients))
		for _, r := range recipients {
			if r = strings.TrimSpace(r); r != "" {
				want[r] = true
			}
		}
		var gone []string
		for _, r := range have {
			if !want[r] {
				gone = append(gone, r)
			}
			delete(want, r)
		}
		if len(gone) > 0 {
			for chunk := range slices.Chunk(gone, 500) {
				if err := s.db.Conn(ctx).Where("schedule_id = ? AND recipient IN ?", sc.ID, chunk).Delete(&targetRow{}).Error; err != nil {
					return Translate(err)
				}
				if err := settlePending(ctx, s.db, "workspace_id = ? AND cadence_id = ? AND recipient IN ?",
					[]any{workspaceID, key, chunk}, "no longer a recipient of "+scheduleLabel(sc)); err != nil {
					return err
				}
			}
			removed = len(gone)
		}
		now := s.db.Now()
		start := DBTime(from)
		rows := make([]targetRow, 0, len(want))
		for r := range want {
			rows = append(rows, targetRow{ScheduleID: sc.ID, WorkspaceID: workspaceID, Recipient: r, PlannedTo: start, NextAt: now, CreatedAt: now})
		}
		slices.SortFunc(rows, func(a, b targetRow) int { return strings.Compare(a.Recipient, b.Recipient) })
		for batch := range slices.Chunk(rows, planBatch) {
			res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&batch)
			if res.Error != nil {
				return Translate(res.Error)
			}
			added += int(res.RowsAffected)
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("set targets of %s/%s: %w", workspaceID, key, err)
	}
	return added, removed, nil
}

func scheduleLabel(sc Schedule) string {
	if sc.Title != "" {
		return sc.Title
	}
	return sc.Key
}

// LockDue returns up to limit targets whose NextAt is at or before now,
// earliest first, with their schedules, and locks them until the
// transaction ctx carries ends: on Postgres other planners skip them (FOR
// UPDATE SKIP LOCKED); SQLite's transaction holds the write lock. It must
// run inside Tx. The search uses schedule_targets_next, so its cost follows
// what is due, not the number of targets.
func (s *Schedules) LockDue(ctx context.Context, now time.Time, limit int) ([]DueTarget, error) {
	if !InTransaction(ctx) {
		return nil, fmt.Errorf("lock due targets: %w: must run inside a transaction", ErrInvalid)
	}
	// The recipient's zone comes in the same query: planning needs nothing
	// else of the person. Rows are scanned by hand: the planner reads a
	// thousand of them a minute.
	q := `
		SELECT t.schedule_id, t.workspace_id, t.recipient, t.planned_to, t.next_at,
		       p.user_id IS NOT NULL AS known,
		       COALESCE(NULLIF(p.tz_override, ''), p.slack_tz, '') AS tz
		FROM schedule_targets t
		LEFT JOIN people p ON p.workspace_id = t.workspace_id AND p.user_id = t.recipient
		WHERE t.next_at <= ?
		ORDER BY t.next_at
		LIMIT ?`
	if s.db.dialect == DialectPostgres {
		q += ` FOR UPDATE OF t SKIP LOCKED`
	}
	type dueRow struct {
		target targetRow
		known  bool
		tz     string
	}
	var rows []dueRow
	sqlRows, err := s.db.Conn(ctx).Raw(q, DBTime(now), limit).Rows()
	if err != nil {
		return nil, fmt.Errorf("lock due targets: %w", Translate(err))
	}
	defer sqlRows.Close()
	for sqlRows.Next() {
		var r dueRow
		t := &r.target
		if err := sqlRows.Scan(&t.ScheduleID, &t.WorkspaceID, &t.Recipient, &t.PlannedTo, &t.NextAt, &r.known, &r.tz); err != nil {
			return nil, fmt.Errorf("lock due targets: %w", Translate(err))
		}
		rows = append(rows, r)
	}
	if err := sqlRows.Err(); err != nil {
		return nil, fmt.Errorf("lock due targets: %w", Translate(err))
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(rows))
	seen := map[int64]bool{}
	for _, r := range rows {
		if id := r.target.ScheduleID; !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	var scheds []scheduleRow
	if err := s.db.Conn(ctx).Where("id IN ?", ids).Find(&scheds).Error; err != nil {
		return nil, fmt.Errorf("lock due targets: schedules: %w", Translate(err))
	}
	byID := make(map[int64]Schedule, len(scheds))
	for _, r := range scheds {
		byID[r.ID] = r.domain()
	}
	out := make([]DueTarget, 0, len(rows))
	for _, r := range rows {
		sc, ok := byID[r.target.ScheduleID]
		if !ok {
			continue // deleted while we looked; the cascade removes the target
		}
		out = append(out, DueTarget{Target: r.target.domain(), Schedule: sc, Known: r.known, TimeZone: r.tz})
	}
	return out, nil
}

// Advance records where planning of the targets stands: each target's
// PlannedTo and NextAt are set as given (the last one given, if a target
// is listed twice). Call it inside the Tx of LockDue.
func (s *Schedules) Advance(ctx context.Context, targets []Target) error {
	slices.SortStableFunc(targets, func(a, b Target) int {
		return cmp.Or(cmp.Compare(a.ScheduleID, b.ScheduleID), strings.Compare(a.Recipient, b.Recipient))
	})
	if s.db.dialect != DialectPostgres {
		// SQLite runs in-process: a statement per target costs no round
		// trip.
		for _, t := range targets {
			err := s.db.Conn(ctx).Model(&targetRow{}).Where("schedule_id = ? AND recipient = ?", t.ScheduleID, t.Recipient).
				Updates(map[string]any{"planned_to": DBTime(t.PlannedTo), "next_at": DBTime(t.NextAt)}).Error
			if err != nil {
				return fmt.Errorf("advance target %d/%s: %w", t.ScheduleID, t.Recipient, Translate(err))
			}
		}
		return nil
	}
	// On Postgres one UPDATE for them all, each column sent as an array: a
	// round trip per target was most of a tick's planning time.
	last := targets[:0:0]
	for i, t := range targets {
		if i+1 < len(targets) && targets[i+1].ScheduleID == t.ScheduleID && targets[i+1].Recipient == t.Recipient {
			continue
		}
		last = append(last, t)
	}
	ids, rcp := make([]int64, len(last)), make([]string, len(last))
	planned, next := make([]time.Time, len(last)), make([]time.Time, len(last))
	for i, t := range last {
		ids[i], rcp[i], planned[i], next[i] = t.ScheduleID, t.Recipient, DBTime(t.PlannedTo), DBTime(t.NextAt)
	}
	_, err := s.db.Conn(ctx).Statement.ConnPool.ExecContext(ctx, `
		UPDATE schedule_targets AS t SET planned_to = v.p, next_at = v.n
		FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[]) AS v (s, r, p, n)
		WHERE t.schedule_id = v.s AND t.recipient = v.r`, ids, rcp, planned, next)
	if err != nil {
		return fmt.Errorf("advance %d targets: %w", len(last), Translate(err))
	}
	return nil
}

// NextDue returns the earliest instant at which the engine has work: a
// target to plan, an occurrence to deliver, or a lease to take over. ok is
// false when there is none.
func (s *Schedules) NextDue(ctx context.Context) (at time.Time, ok bool, err error) {
	// One indexed look per kind of work; MIN over a UNION would lose the
	// column's type on SQLite.
	for _, q := range []string{
		`SELECT next_at AS at FROM schedule_targets ORDER BY next_at LIMIT 1`,
		`SELECT deliver_at AS at FROM occurrences WHERE status = 'planned' ORDER BY deliver_at LIMIT 1`,
		`SELECT deliver_at AS at FROM occurrences WHERE status = 'deferred' ORDER BY deliver_at LIMIT 1`,
		`SELECT lease_until AS at FROM occurrences WHERE status = 'claimed' ORDER BY lease_until LIMIT 1`,
	} {
		rows, err := QueryRows[struct {
			At time.Time `gorm:"column:at"`
		}](ctx, s.db, q)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("next due: %w", err)
		}
		if len(rows) == 1 && (!ok || rows[0].At.Before(at)) {
			at, ok = rows[0].At.UTC(), true
		}
	}
	return at, ok, nil
}

// ForRecipient returns the schedules a recipient is a target of, with the
// targets, ordered by key, in one query: what "/trellis me" forecasts.
func (s *Schedules) ForRecipient(ctx context.Context, workspaceID, recipient string) ([]DueTarget, error) {
	rows, err := QueryRows[struct {
		Target   targetRow   `gorm:"embedded"`
		Schedule scheduleRow `gorm:"embedded;embeddedPrefix:s_"`
	}](ctx, s.db, `
		SELECT t.schedule_id, t.workspace_id, t.recipient, t.planned_to, t.next_at, t.created_at,
		       s.id AS s_id, s.workspace_id AS s_workspace_id, s.key AS s_key, s.title AS s_title,
		       s.cadence AS s_cadence, s.anchor AS s_anchor, s.channel_tz AS s_channel_tz,
		       s.paused AS s_paused, s.created_at AS s_created_at, s.updated_at AS s_updated_at
		FROM schedule_targets t JOIN schedules s ON s.id = t.schedule_id
		WHERE t.workspace_id = ? AND t.recipient = ?
		ORDER BY s.key`, workspaceID, recipient)
	if err != nil {
		return nil, fmt.Errorf("schedules of %s/%s: %w", workspaceID, recipient, err)
	}
	out := make([]DueTarget, len(rows))
	for i, r := range rows {
		out[i] = DueTarget{Target: r.Target.domain(), Schedule: r.Schedule.domain()}
	}
	return out, nil
}

// touchTargets makes every target of a recipient due for planning now, so
// that a changed time zone applies from the recipient's next instant.
func touchTargets(ctx context.Context, db *DB, workspaceID, recipient string) error {
	now := db.Now()
	return Translate(db.Conn(ctx).Model(&targetRow{}).
		Where("workspace_id = ? AND recipient = ? AND next_at > ?", workspaceID, recipient, now).
		Update("next_at", now).Error)
}

// ByKeys returns the workspace's schedules with the keys, by key; keys
// with no schedule are absent.
func (s *Schedules) ByKeys(ctx context.Context, workspaceID string, keys []string) (map[string]Schedule, error) {
	out := make(map[string]Schedule, len(keys))
	for chunk := range slices.Chunk(keys, 500) {
		var rows []scheduleRow
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND key IN ?", workspaceID, chunk).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("schedules of %s: %w", workspaceID, Translate(err))
		}
		for _, r := range rows {
			out[r.Key] = r.domain()
		}
	}
	return out, nil
}

// Targets returns the recipients of the workspace's schedule with the key,
// in order; none when there is no such schedule.
func (s *Schedules) Targets(ctx context.Context, workspaceID, key string) ([]string, error) {
	ts, err := s.TargetsOf(ctx, workspaceID, key)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Recipient
	}
	return out, nil
}

// TargetsOf returns the targets of the workspace's schedule with the key,
// with where their planning stands, by recipient.
func (s *Schedules) TargetsOf(ctx context.Context, workspaceID, key string) ([]Target, error) {
	var rows []targetRow
	err := s.db.Conn(ctx).
		Joins("JOIN schedules s ON s.id = schedule_targets.schedule_id").
		Where("s.workspace_id = ? AND s.key = ?", workspaceID, key).
		Order("schedule_targets.recipient").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("targets of schedule %s/%s: %w", workspaceID, key, Translate(err))
	}
	out := make([]Target, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}
