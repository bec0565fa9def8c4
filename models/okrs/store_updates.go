package okrs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"github.com/trellis-bot/trellis/models"
)

// AddUpdates appends ups, written by author (admin when a workspace
// admin) through source at now, in one transaction, and returns them with
// their ids, At, Author and Source set. Each is checked first: Validate,
// its key result in the workspace (FieldKeyResult), a correction of an
// entry of the same key result (FieldCorrects), each problem on the
// update's 1-based position in ups; any problem refuses the whole batch
// with a *ValidationError, and an update author may not post (see
// MayPostUpdate) refuses it with ErrNotOwner. Nothing is stored unless
// every update is. Updates are never changed or deleted: a correction is
// an update naming the entry it corrects.
func (s *Store) AddUpdates(ctx context.Context, ws, author string, admin bool, ups []Update, source Source, now time.Time) ([]Update, error) {
	if !source.Valid() {
		return nil, fmt.Errorf("add updates: %w: unknown source %q", models.ErrInvalid, source)
	}
	if len(ups) == 0 {
		return nil, nil
	}
	ps := problems{e: ValidationError{Subject: "update", ItemNoun: "update"}}
	for i, u := range ups {
		var ve *ValidationError
		if err := u.Validate(); errors.As(err, &ve) {
			for _, p := range ve.Problems {
				ps.e.Add(p.Field, i+1, "%s", p.Message)
			}
		}
	}
	at := models.DBTime(now)
	var out []Update
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		owners, err := s.keyResultsOf(ctx, ws, ups)
		if err != nil {
			return err
		}
		for i, u := range ups {
			kr, ok := owners[u.KeyResultID]
			if !ok {
				ps.e.Add(FieldKeyResult, i+1, "I couldn't find that key result; it may have been deleted.")
				continue
			}
			if !MayPostUpdate(kr.objective, kr.KeyResult, author, admin) {
				return ErrNotOwner
			}
			if u.Corrects == 0 {
				continue
			}
			var n int64
			if err := s.db.Conn(ctx).Model(&updateRow{}).Where("workspace_id = ? AND id = ? AND key_result_id = ?", ws, u.Corrects, u.KeyResultID).
				Count(&n).Error; err != nil {
				return models.Translate(err)
			}
			if n == 0 {
				ps.e.Add(FieldCorrects, i+1, "A correction fixes an earlier update of the same key result; I couldn't find that one.")
			}
		}
		if err := ps.err(); err != nil {
			return err
		}
		rows := make([]updateRow, len(ups))
		for i, u := range ups {
			rows[i] = updateRow{WorkspaceID: ws, KeyResultID: u.KeyResultID, AuthorID: author, At: at, Value: u.Value,
				Confidence: string(u.Confidence), Note: strings.TrimSpace(u.Note), Corrects: u.Corrects, NoChange: u.NoChange, Source: string(source)}
			if u.NoChange {
				rows[i].Value, rows[i].Confidence = 0, ""
			}
			if err := s.db.Conn(ctx).Create(&rows[i]).Error; err != nil {
				return models.Translate(err)
			}
		}
		out = make([]Update, len(rows))
		for i, r := range rows {
			out[i] = r.domain()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add updates: %w", err)
	}
	return out, nil
}

// krWithObjective is a key result with its objective (without key results
// or parents), who may post on it.
type krWithObjective struct {
	KeyResult
	objective Objective
}

// keyResultsOf reads the key results ups name that are in the
// workspace, each with its objective (without key results or parents).
// It holds them until the transaction ends (Postgres: FOR SHARE; SQLite
// runs one writing transaction at a time), so an edit removing one of
// them (UpdateObjective, which takes them FOR UPDATE before counting
// their updates) either finishes first, and this transaction finds the
// key result gone, or waits and sees the updates written here.
func (s *Store) keyResultsOf(ctx context.Context, ws string, ups []Update) (map[int64]krWithObjective, error) {
	var ids []int64
	for _, u := range ups {
		if !slices.Contains(ids, u.KeyResultID) {
			ids = append(ids, u.KeyResultID)
		}
	}
	var krs []keyResultRow
	q := s.db.Conn(ctx).Where("workspace_id = ? AND id IN ?", ws, ids).Order("id")
	if s.db.Dialect() == models.DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: "SHARE"})
	}
	if err := q.Find(&krs).Error; err != nil {
		return nil, models.Translate(err)
	}
	var objIDs []int64
	for _, k := range krs {
		objIDs = append(objIDs, k.ObjectiveID)
	}
	var objs []objectiveRow
	if len(objIDs) > 0 {
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND id IN ?", ws, objIDs).Find(&objs).Error; err != nil {
			return nil, models.Translate(err)
		}
	}
	byID := map[int64]Objective{}
	for _, o := range objs {
		byID[o.ID] = o.domain()
	}
	out := make(map[int64]krWithObjective, len(krs))
	for _, k := range krs {
		out[k.ID] = krWithObjective{KeyResult: k.domain(), objective: byID[k.ObjectiveID]}
	}
	return out, nil
}

// History returns a key result's updates in the order they were
// appended, corrections and the entries they correct alike. A key result
// not in the workspace is ErrNotFound.
func (s *Store) History(ctx context.Context, ws string, keyResultID int64) ([]Update, error) {
	var kr keyResultRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND id = ?", ws, keyResultID).Take(&kr).Error; err != nil {
		return nil, fmt.Errorf("history of key result %d: %w", keyResultID, models.Translate(err))
	}
	var rows []updateRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND key_result_id = ?", ws, keyResultID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("history of key result %d: %w", keyResultID, models.Translate(err))
	}
	out := make([]Update, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// Effective returns the effective state (Current of its history) of each
// key result of ids that is in the workspace, the zero Effective for one
// with no updates; ids not in the workspace are left out.
func (s *Store) Effective(ctx context.Context, ws string, ids []int64) (map[int64]Effective, error) {
	out, err := s.effective(ctx, ws, ids)
	if err != nil {
		return nil, fmt.Errorf("effective state of key results: %w", err)
	}
	return out, nil
}

// effective is Effective, its errors unwrapped.
func (s *Store) effective(ctx context.Context, ws string, ids []int64) (map[int64]Effective, error) {
	out := map[int64]Effective{}
	for chunk := range slices.Chunk(ids, 500) {
		var known []int64
		if err := s.db.Conn(ctx).Model(&keyResultRow{}).Where("workspace_id = ? AND id IN ?", ws, chunk).Pluck("id", &known).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, id := range known {
			out[id] = Effective{}
		}
		var rows []updateRow
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND key_result_id IN ?", ws, chunk).Order("key_result_id, id").Find(&rows).Error; err != nil {
			return nil, models.Translate(err)
		}
		for start := 0; start < len(rows); {
			end := start
			var history []Update
			for end < len(rows) && rows[end].KeyResultID == rows[start].KeyResultID {
				history = append(history, rows[end].domain())
				end++
			}
			e, err := Current(history)
			if err != nil {
				return nil, fmt.Errorf("key result %d: %w", rows[start].KeyResultID, err)
			}
			out[rows[start].KeyResultID] = e
			start = end
		}
	}
	return out, nil
}

// OwnedKeyResult is a key result a person owns, with its objective and
// its effective state: what "my key results" and a nudge list.
type OwnedKeyResult struct {
	KeyResult KeyResult
	// Objective is the key result's objective, without its key results
	// and parents.
	Objective Objective
	Effective Effective
	// Created is when the key result was set up.
	Created time.Time
}

// KeyResultsOf returns the key results person owns in the objectives of
// the cycles cycleIDs (every cycle when empty), closed objectives too
// (see Objective.ClosedAt), ordered by cycle, objective and position.
func (s *Store) KeyResultsOf(ctx context.Context, ws, person string, cycleIDs []int64) ([]OwnedKeyResult, error) {
	q := s.db.Conn(ctx).Where("workspace_id = ?", ws).
		Where("id IN (SELECT objective_id FROM okr_key_results WHERE workspace_id = ? AND owner_id = ?)", ws, person)
	if len(cycleIDs) > 0 {
		q = q.Where("cycle_id IN ?", cycleIDs)
	}
	var objs []objectiveRow
	if err := q.Order("cycle_id, id").Find(&objs).Error; err != nil {
		return nil, fmt.Errorf("key results of %s: %w", person, models.Translate(err))
	}
	if len(objs) == 0 {
		return nil, nil
	}
	objIDs := make([]int64, len(objs))
	byID := map[int64]Objective{}
	for i, o := range objs {
		objIDs[i], byID[o.ID] = o.ID, o.domain()
	}
	var krs []keyResultRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND owner_id = ? AND objective_id IN ?", ws, person, objIDs).
		Order("objective_id, position, id").Find(&krs).Error; err != nil {
		return nil, fmt.Errorf("key results of %s: %w", person, models.Translate(err))
	}
	ids := make([]int64, len(krs))
	for i, k := range krs {
		ids[i] = k.ID
	}
	eff, err := s.effective(ctx, ws, ids)
	if err != nil {
		return nil, fmt.Errorf("key results of %s: %w", person, err)
	}
	out := make([]OwnedKeyResult, 0, len(krs))
	for _, o := range objs {
		for _, k := range krs {
			if k.ObjectiveID == o.ID {
				out = append(out, OwnedKeyResult{KeyResult: k.domain(), Objective: byID[o.ID], Effective: eff[k.ID], Created: k.CreatedAt.UTC()})
			}
		}
	}
	return out, nil
}

// Owners returns the people who own a key result of an open objective of
// the cycle, sorted: those a nudge may be for.
func (s *Store) Owners(ctx context.Context, ws string, cycleID int64) ([]string, error) {
	var owners []string
	err := s.db.Conn(ctx).Model(&keyResultRow{}).Distinct("owner_id").
		Where("workspace_id = ? AND objective_id IN (SELECT id FROM okr_objectives WHERE workspace_id = ? AND cycle_id = ? AND closed_at IS NULL)", ws, ws, cycleID).
		Pluck("owner_id", &owners).Error
	if err != nil {
		return nil, fmt.Errorf("owners of cycle %d: %w", cycleID, models.Translate(err))
	}
	slices.Sort(owners)
	return owners, nil
}
