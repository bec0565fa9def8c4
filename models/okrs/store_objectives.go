package okrs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models"
)

// Filter picks objectives; its zero value picks every objective of the
// workspace.
type Filter struct {
	// CycleID keeps the objectives of that cycle; 0 keeps all.
	CycleID int64
	// Owner keeps the objectives the person owns or owns a key result of;
	// "" keeps all.
	Owner string
	// Team keeps the objectives of that team (channel); "" keeps all.
	Team string
}

// CreateObjective stores a new objective with its key results and
// parents for by, in one transaction, and returns it with its ids. A key
// result without an owner gets the objective's. It refuses, with a
// *ValidationError and storing nothing: what Validate refuses, a cycle
// not in the workspace or another team's own (FieldCycle: a team's
// objective may be in a workspace cycle or one of its team's own, a
// workspace objective only in a workspace cycle), a CarriedFrom that is not a key
// result of the workspace (FieldKeyResults, on its position) and what
// CheckAlignment refuses against the workspace's stored cycles and
// objectives. The ids in o and its key results are ignored.
func (s *Store) CreateObjective(ctx context.Context, ws string, o Objective, by string) (Objective, error) {
	o = normalize(o)
	o.ID = 0
	for i := range o.KeyResults {
		o.KeyResults[i].ID, o.KeyResults[i].ObjectiveID = 0, 0
	}
	if err := o.Validate(); err != nil {
		return Objective{}, fmt.Errorf("create objective: %w", err)
	}
	var out Objective
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if err := s.lockWorkspace(ctx, ws); err != nil {
			return err
		}
		if err := s.checkStored(ctx, ws, o, nil); err != nil {
			return err
		}
		now := s.db.Now()
		row := objectiveRow{WorkspaceID: ws, CycleID: o.CycleID, Title: o.Title, OwnerID: o.Owner, Team: o.Team,
			Visibility: string(o.Visibility), CreatedBy: by, CreatedAt: now, UpdatedAt: now}
		if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
			return models.Translate(err)
		}
		for i, k := range o.KeyResults {
			kr := keyResultRowFrom(ws, row.ID, i+1, k, now)
			if err := s.db.Conn(ctx).Create(&kr).Error; err != nil {
				return models.Translate(err)
			}
		}
		if err := s.setParents(ctx, ws, row.ID, o.Parents); err != nil {
			return err
		}
		var err error
		out, err = s.objective(ctx, ws, row.ID)
		return err
	})
	if err != nil {
		return Objective{}, fmt.Errorf("create objective %q: %w", o.Title, err)
	}
	return out, nil
}

// UpdateObjective changes a stored objective for actor (admin when a
// workspace admin), in one transaction, and returns it as stored: its
// title, owner, team, visibility, parents and key results, in o's order
// (a key result without an owner gets the objective's).
// A key result of o with an ID is that stored key result, changed; one
// without is added; a stored one o lacks is removed. The cycle stays (a
// different o.CycleID is refused on FieldCycle: an objective moves to
// another cycle by carrying its key results over), and so does ClosedAt;
// a team changed away from the team whose own cycle the objective is in
// is refused on FieldCycle too.
//
// Who may change what is CheckChange's (ErrNotOwner). A key result with
// updates keeps its history's meaning: it cannot be removed (delete or
// close the objective instead; its stored key results are locked before
// their updates are counted, so an update AddUpdates acknowledges at the
// same time is either counted or refused as its key result's gone), and
// its kind and start do not change
// (its title, owner, target, unit, decimals and weight may). Everything
// is checked as CreateObjective checks it, and anything refused stores
// nothing. An objective not in the workspace is ErrNotFound.
func (s *Store) UpdateObjective(ctx context.Context, ws string, o Objective, actor string, admin bool) (Objective, error) {
	o = normalize(o)
	var out Objective
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if err := s.lockWorkspace(ctx, ws); err != nil {
			return err
		}
		old, err := s.objective(ctx, ws, o.ID)
		if err != nil {
			return err
		}
		if o.CycleID == 0 {
			o.CycleID = old.CycleID
		}
		if o.CycleID != old.CycleID {
			var ps problems
			ps.add(FieldCycle, 0, "An objective stays in its cycle. To continue it in another, carry its key results over when the cycle is reviewed.")
			return ps.err()
		}
		if err := CheckChange(old, o, actor, admin); err != nil {
			return err
		}
		if err := s.lockKeyResults(ctx, ws, old.KeyResults); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		if err := s.checkStored(ctx, ws, o, &old); err != nil {
			return err
		}
		now := s.db.Now()
		if err := s.db.Conn(ctx).Model(&objectiveRow{}).Where("workspace_id = ? AND id = ?", ws, o.ID).Updates(map[string]any{
			"title": o.Title, "owner_id": o.Owner, "team": o.Team, "visibility": string(o.Visibility), "updated_at": now,
		}).Error; err != nil {
			return models.Translate(err)
		}
		keep := map[int64]bool{}
		for i, k := range o.KeyResults {
			if k.ID == 0 {
				kr := keyResultRowFrom(ws, o.ID, i+1, k, now)
				if err := s.db.Conn(ctx).Create(&kr).Error; err != nil {
					return models.Translate(err)
				}
				continue
			}
			keep[k.ID] = true
			kr := keyResultRowFrom(ws, o.ID, i+1, k, now)
			if err := s.db.Conn(ctx).Model(&keyResultRow{}).Where("workspace_id = ? AND id = ?", ws, k.ID).Updates(map[string]any{
				"position": kr.Position, "owner_id": kr.OwnerID, "title": kr.Title, "kind": kr.Kind,
				"start_value": kr.StartValue, "target_value": kr.TargetValue, "unit": kr.Unit, "decimals": kr.Decimals,
				"weight": kr.Weight, "updated_at": now,
			}).Error; err != nil {
				return models.Translate(err)
			}
		}
		var gone []int64
		for _, k := range old.KeyResults {
			if !keep[k.ID] {
				gone = append(gone, k.ID)
			}
		}
		if len(gone) > 0 {
			if err := s.unlinkKeyResults(ctx, ws, gone); err != nil {
				return err
			}
			if err := s.db.Conn(ctx).Where("workspace_id = ? AND id IN ?", ws, gone).Delete(&keyResultRow{}).Error; err != nil {
				return models.Translate(err)
			}
		}
		if err := s.setParents(ctx, ws, o.ID, o.Parents); err != nil {
			return err
		}
		out, err = s.objective(ctx, ws, o.ID)
		return err
	})
	if err != nil {
		return Objective{}, fmt.Errorf("update objective %d: %w", o.ID, err)
	}
	return out, nil
}

// normalize trims what a person typed, reads "" visibility as
// VisibleWorkspace and gives a key result without an owner the
// objective's.
func normalize(o Objective) Objective {
	o.Title, o.Owner, o.Team = strings.TrimSpace(o.Title), strings.TrimSpace(o.Owner), strings.TrimSpace(o.Team)
	o.Visibility = visibility(o.Visibility)
	o.KeyResults = slices.Clone(o.KeyResults)
	for i := range o.KeyResults {
		k := &o.KeyResults[i]
		k.Title, k.Owner, k.Unit = strings.TrimSpace(k.Title), strings.TrimSpace(k.Owner), strings.TrimSpace(k.Unit)
		if k.Owner == "" {
			k.Owner = o.Owner
		}
	}
	return o
}

// checkStored checks o against what is stored: its cycle, the key results
// it names (those of old, its stored self, when it is an update) and
// carries over, and its alignment. It returns a *ValidationError listing
// every problem, or nil.
func (s *Store) checkStored(ctx context.Context, ws string, o Objective, old *Objective) error {
	var ps problems
	cycles, err := s.Cycles(ctx, ws)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(cycles, func(c Cycle) bool { return c.ID == o.CycleID })
	if i < 0 {
		ps.add(FieldCycle, 0, "Pick the cycle the objective belongs to; I couldn't find that one.")
		return ps.err()
	}
	if c := cycles[i]; c.Team != "" && c.Team != o.Team {
		ps.add(FieldCycle, 0, "“%s” is a team's own cycle, and this objective is not that team's: pick one of the workspace's cycles or of the objective's own team.", c.Name)
		return ps.err()
	}

	stored := map[int64]KeyResult{}
	var history map[int64]int
	if old != nil {
		for _, k := range old.KeyResults {
			stored[k.ID] = k
		}
		if history, err = s.updateCounts(ctx, ws, old.KeyResults); err != nil {
			return err
		}
	}
	named := map[int64]bool{}
	for i, k := range o.KeyResults {
		pos := i + 1
		if k.ID != 0 {
			was, ok := stored[k.ID]
			switch {
			case !ok || named[k.ID]:
				ps.add(FieldKeyResults, pos, "I couldn't find that key result in this objective; it may have been removed. Open the objective again.")
			case history[k.ID] > 0 && k.Kind != was.Kind:
				ps.add(FieldKind, pos, "“%s” has updates, which were measured as %s; its kind stays. Add a new key result to measure it differently.", was.Title, kindName(was.Kind))
			case history[k.ID] > 0 && k.Start != was.Start:
				ps.add(FieldStart, pos, "“%s” has updates measured from its start, %s; the start stays.", was.Title, format(was.Start, was.Decimals))
			}
			named[k.ID] = true
		}
		if k.CarriedFrom != 0 && (old == nil || k.ID == 0) {
			var n int64
			if err := s.db.Conn(ctx).Model(&keyResultRow{}).Where("workspace_id = ? AND id = ?", ws, k.CarriedFrom).Count(&n).Error; err != nil {
				return models.Translate(err)
			}
			if n == 0 {
				ps.add(FieldKeyResults, pos, "The key result this one carries over is gone; create it without the link.")
			}
		}
	}
	if old != nil {
		for _, k := range old.KeyResults {
			if !named[k.ID] && history[k.ID] > 0 {
				ps.add(FieldKeyResults, 0, "“%s” has updates, so it stays with its history. Close or delete the objective instead of removing it.", k.Title)
			}
		}
	}

	// Alignment checks parents only: with none there is nothing to check,
	// and the workspace's objectives are not read (creating an objective
	// costs the same with ten thousand stored as with none).
	if len(o.Parents) == 0 {
		return ps.err()
	}
	objectives, err := s.objectives(ctx, ws, Filter{})
	if err != nil {
		return err
	}
	if err := CheckAlignment(cycles, objectives, o); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				ps.add(p.Field, p.Item, "%s", p.Message)
			}
		} else {
			return err
		}
	}
	return ps.err()
}

// kindName is how a message names a kind.
func kindName(k Kind) string { return strings.ReplaceAll(string(k), "_", " ") }

// lockKeyResults holds krs' rows until the transaction ends (Postgres:
// FOR UPDATE, in id order; SQLite runs one writing transaction at a
// time), before their updates are counted: AddUpdates takes them FOR
// SHARE, so an update acknowledged to its author is either counted here,
// and its key result is not removed, or written after this transaction,
// which finds the key result gone and stores nothing.
func (s *Store) lockKeyResults(ctx context.Context, ws string, krs []KeyResult) error {
	if s.db.Dialect() != models.DialectPostgres || len(krs) == 0 {
		return nil
	}
	ids := make([]int64, len(krs))
	for i, k := range krs {
		ids[i] = k.ID
	}
	var locked []int64
	err := s.db.Conn(ctx).Model(&keyResultRow{}).Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("workspace_id = ? AND id IN ?", ws, ids).Order("id").Pluck("id", &locked).Error
	return models.Translate(err)
}

// updateCounts counts the updates of each key result of krs.
func (s *Store) updateCounts(ctx context.Context, ws string, krs []KeyResult) (map[int64]int, error) {
	out := map[int64]int{}
	if len(krs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(krs))
	for i, k := range krs {
		ids[i] = k.ID
	}
	var rows []struct {
		KeyResultID int64
		N           int
	}
	if err := s.db.Conn(ctx).Model(&updateRow{}).Select("key_result_id, COUNT(*) AS n").
		Where("workspace_id = ? AND key_result_id IN ?", ws, ids).Group("key_result_id").Scan(&rows).Error; err != nil {
		return nil, models.Translate(err)
	}
	for _, r := range rows {
		out[r.KeyResultID] = r.N
	}
	return out, nil
}

// setParents makes parents, in order, the objective's parents.
func (s *Store) setParents(ctx context.Context, ws string, id int64, parents []Ref) error {
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND objective_id = ?", ws, id).Delete(&parentRow{}).Error; err != nil {
		return models.Translate(err)
	}
	if len(parents) == 0 {
		return nil
	}
	rows := make([]parentRow, len(parents))
	for i, p := range parents {
		rows[i] = parentRow{WorkspaceID: ws, ObjectiveID: id, Position: i + 1, ParentKind: string(p.Kind), ParentID: p.ID}
	}
	return models.Translate(s.db.Conn(ctx).Create(&rows).Error)
}

// unlinkKeyResults removes the alignments to key results about to be
// deleted: the objectives aligned to them keep their other parents.
func (s *Store) unlinkKeyResults(ctx context.Context, ws string, ids []int64) error {
	return models.Translate(s.db.Conn(ctx).Where("workspace_id = ? AND parent_kind = ? AND parent_id IN ?", ws, string(RefKeyResult), ids).
		Delete(&parentRow{}).Error)
}

// DeleteObjective deletes an objective for actor (its owner, or an admin:
// else ErrNotOwner), with its key results and their whole history, in one
// transaction. Objectives aligned to it or to its key results lose that
// parent and keep their others; key results carried over from its key
// results keep their history and lose the link. An objective not in the
// workspace is ErrNotFound.
func (s *Store) DeleteObjective(ctx context.Context, ws string, id int64, actor string, admin bool) error {
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if err := s.lockWorkspace(ctx, ws); err != nil {
			return err
		}
		o, err := s.objective(ctx, ws, id)
		if err != nil {
			return err
		}
		if !MayChangeObjective(o, actor, admin) {
			return ErrNotOwner
		}
		var krs []int64
		for _, k := range o.KeyResults {
			krs = append(krs, k.ID)
		}
		if len(krs) > 0 {
			if err := s.unlinkKeyResults(ctx, ws, krs); err != nil {
				return err
			}
		}
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND parent_kind = ? AND parent_id = ?", ws, string(RefObjective), id).
			Delete(&parentRow{}).Error; err != nil {
			return models.Translate(err)
		}
		return models.Translate(s.db.Conn(ctx).Where("workspace_id = ? AND id = ?", ws, id).Delete(&objectiveRow{}).Error)
	})
	if err != nil {
		return fmt.Errorf("delete objective %d: %w", id, err)
	}
	return nil
}

// CloseObjective closes an objective for actor (its owner, or an admin:
// else ErrNotOwner): it is done with and kept with its history, its
// ClosedAt set; closing a closed one changes nothing. An objective not in
// the workspace is ErrNotFound.
func (s *Store) CloseObjective(ctx context.Context, ws string, id int64, actor string, admin bool) error {
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		o, err := s.objective(ctx, ws, id)
		if err != nil {
			return err
		}
		if !MayChangeObjective(o, actor, admin) {
			return ErrNotOwner
		}
		if !o.ClosedAt.IsZero() {
			return nil
		}
		now := s.db.Now()
		return models.Translate(s.db.Conn(ctx).Model(&objectiveRow{}).Where("workspace_id = ? AND id = ?", ws, id).
			Updates(map[string]any{"closed_at": now, "updated_at": now}).Error)
	})
	if err != nil {
		return fmt.Errorf("close objective %d: %w", id, err)
	}
	return nil
}

// Objective returns an objective of the workspace with its key results
// (in order) and parents, or ErrNotFound.
func (s *Store) Objective(ctx context.Context, ws string, id int64) (Objective, error) {
	o, err := s.objective(ctx, ws, id)
	if err != nil {
		return Objective{}, fmt.Errorf("objective %d: %w", id, err)
	}
	return o, nil
}

// objective reads one objective, complete, or ErrNotFound.
func (s *Store) objective(ctx context.Context, ws string, id int64) (Objective, error) {
	var row objectiveRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND id = ?", ws, id).Take(&row).Error; err != nil {
		return Objective{}, models.Translate(err)
	}
	list, err := s.complete(ctx, ws, []objectiveRow{row})
	if err != nil {
		return Objective{}, err
	}
	return list[0], nil
}

// Objectives returns the workspace's objectives f picks, with their key
// results and parents, by id (the order they were created in). Closed
// objectives are among them (see Objective.ClosedAt).
func (s *Store) Objectives(ctx context.Context, ws string, f Filter) ([]Objective, error) {
	out, err := s.objectives(ctx, ws, f)
	if err != nil {
		return nil, fmt.Errorf("objectives of %s: %w", ws, err)
	}
	return out, nil
}

// objectives reads the objectives f picks, complete.
func (s *Store) objectives(ctx context.Context, ws string, f Filter) ([]Objective, error) {
	q := s.db.Conn(ctx).Where("workspace_id = ?", ws)
	if f.CycleID != 0 {
		q = q.Where("cycle_id = ?", f.CycleID)
	}
	if f.Team != "" {
		q = q.Where("team = ?", f.Team)
	}
	if f.Owner != "" {
		q = q.Where("(owner_id = ? OR id IN (SELECT objective_id FROM okr_key_results WHERE workspace_id = ? AND owner_id = ?))", f.Owner, ws, f.Owner)
	}
	var rows []objectiveRow
	if err := q.Order("id").Find(&rows).Error; err != nil {
		return nil, models.Translate(err)
	}
	return s.complete(ctx, ws, rows)
}

// complete reads the key results and parents of rows and builds
// objectives, in the order of rows.
func (s *Store) complete(ctx context.Context, ws string, rows []objectiveRow) ([]Objective, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	byID := make(map[int64]int, len(rows))
	out := make([]Objective, len(rows))
	for i, r := range rows {
		ids[i], byID[r.ID], out[i] = r.ID, i, r.domain()
	}
	for chunk := range slices.Chunk(ids, 500) {
		var krs []keyResultRow
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND objective_id IN ?", ws, chunk).Order("objective_id, position, id").Find(&krs).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, k := range krs {
			o := &out[byID[k.ObjectiveID]]
			o.KeyResults = append(o.KeyResults, k.domain())
		}
		var ps []parentRow
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND objective_id IN ?", ws, chunk).Order("objective_id, position").Find(&ps).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, p := range ps {
			o := &out[byID[p.ObjectiveID]]
			o.Parents = append(o.Parents, Ref{Kind: RefKind(p.ParentKind), ID: p.ParentID})
		}
	}
	return out, nil
}
