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
	"github.com/trellis-bot/trellis/models/calendar"
)

// The review's rows: migration 0016 (models/migrations/*/0016_okr_reviews.sql).

type reviewRow struct {
	WorkspaceID string    `gorm:"column:workspace_id"`
	KeyResultID int64     `gorm:"column:key_result_id;primaryKey;autoIncrement:false"`
	CycleID     int64     `gorm:"column:cycle_id"`
	Grade       float64   `gorm:"column:grade"`
	Decision    string    `gorm:"column:decision"`
	ReviewedBy  string    `gorm:"column:reviewed_by"`
	ReviewedAt  time.Time `gorm:"column:reviewed_at"`
}

func (reviewRow) TableName() string { return "okr_reviews" }

func (r reviewRow) domain() StoredReview {
	return StoredReview{KeyResultReview: KeyResultReview{KeyResultID: r.KeyResultID, Grade: r.Grade, Decision: Decision(r.Decision)},
		CycleID: r.CycleID, ReviewedBy: r.ReviewedBy, ReviewedAt: r.ReviewedAt.UTC()}
}

type learnedRow struct {
	WorkspaceID string    `gorm:"column:workspace_id"`
	ObjectiveID int64     `gorm:"column:objective_id;primaryKey;autoIncrement:false"`
	AuthorID    string    `gorm:"column:author_id;primaryKey"`
	Note        string    `gorm:"column:note"`
	WrittenAt   time.Time `gorm:"column:written_at"`
}

func (learnedRow) TableName() string { return "okr_learned" }

func (r learnedRow) domain() StoredLearned {
	return StoredLearned{Learned: Learned{ObjectiveID: r.ObjectiveID, Note: r.Note}, Author: r.AuthorID, WrittenAt: r.WrittenAt.UTC()}
}

// carryPlan is one key result to continue in the next cycle.
type carryPlan struct {
	from      krWithObjective
	final     Effective
	carried   KeyResult // the new key result, its ObjectiveID set on writing
	objective int64     // the continuation of from's objective, 0 to create
	cycle     int64     // the cycle it continues in
}

// SubmitReview stores r, submitted by actor (admin when a workspace
// admin) on today (in actor's zone) at now, in one transaction, and
// returns what it stored. Each key result's review replaces the one
// stored before (reviews are not history: the last word counts), and
// each note replaces actor's own note on its objective (an empty note
// removes it).
//
// A key result carried over continues in the next cycle of its
// objective's team (NextCycle: the team's own next cycle when it has one
// after the reviewed cycle, else the workspace's): in the continuation of its objective there
// (created with the original's title, owner, team and visibility, no
// alignment, when none of its key results was carried before), as Carry
// makes it, with a first update of source SourceCarryOver by actor at now
// holding the final value and confidence, so its history goes on. A key
// result carried before is found again and not created twice.
//
// It refuses, storing nothing: what Validate refuses; a cycle not in the
// workspace or not in review on today (FieldCycle); a key result not in
// the cycle (FieldKeyResult) or an objective not in it (FieldLearned); on
// FieldDecision, a carry-over with no next cycle (an admin creates it
// first), one that would leave nothing to move (a key result that ended
// at its target), one that would give the continued objective more than
// MaxKeyResults, and another decision for a key result already carried
// over. A key result actor may not post on (MayPostUpdate), or a note on
// an objective actor neither owns nor owns a key result of, is
// ErrNotOwner.
func (s *Store) SubmitReview(ctx context.Context, ws string, r Review, actor string, admin bool, today calendar.Date, now time.Time) (ReviewResult, error) {
	ps := problems{e: ValidationError{Subject: "review", ItemNoun: "entry"}}
	var ve *ValidationError
	if err := r.Validate(); errors.As(err, &ve) {
		ps.e.Problems = append(ps.e.Problems, ve.Problems...)
	}
	var out ReviewResult
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		if err := s.lockWorkspace(ctx, ws); err != nil {
			return err
		}
		c, err := s.cycle(ctx, ws, r.CycleID)
		switch {
		case isNotFound(err):
			if r.CycleID != 0 {
				ps.e.Add(FieldCycle, 0, "I couldn't find that cycle; it may have been deleted.")
			}
			return ps.err()
		case err != nil:
			return err
		}
		switch c.State(today) {
		case CyclePlanning, CycleActive:
			ps.e.Add(FieldCycle, 0, "“%s” runs until %s; its review opens the day after.", c.Name, c.End.Format("2 Jan 2006"))
		case CycleClosed:
			ps.e.Add(FieldCycle, 0, "The review of “%s” closed on %s.", c.Name, c.End.AddDays(c.Grace()).Format("2 Jan 2006"))
		}

		ids := make([]int64, len(r.KeyResults))
		for i, k := range r.KeyResults {
			ids[i] = k.KeyResultID
		}
		krs, err := s.keyResultsOf(ctx, ws, toUpdates(ids))
		if err != nil {
			return err
		}
		for i, k := range r.KeyResults {
			kr, ok := krs[k.KeyResultID]
			if !ok || kr.objective.CycleID != c.ID {
				ps.e.Add(FieldKeyResult, i+1, "I couldn't find that key result in “%s”; it may have been deleted.", c.Name)
				continue
			}
			if !MayPostUpdate(kr.objective, kr.KeyResult, actor, admin) {
				return ErrNotOwner
			}
		}
		if err := s.checkLearned(ctx, ws, c, r.Learned, actor, admin, &ps); err != nil {
			return err
		}
		plans, err := s.planCarries(ctx, ws, c, r, krs, &ps)
		if err != nil {
			return err
		}
		if err := ps.err(); err != nil {
			return err
		}

		at := models.DBTime(now)
		for _, k := range r.KeyResults {
			row := reviewRow{WorkspaceID: ws, KeyResultID: k.KeyResultID, CycleID: c.ID, Grade: k.Grade, Decision: string(k.Decision),
				ReviewedBy: actor, ReviewedAt: at}
			if err := s.db.Conn(ctx).Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "key_result_id"}},
				DoUpdates: clause.AssignmentColumns([]string{"cycle_id", "grade", "decision", "reviewed_by", "reviewed_at"}),
			}).Create(&row).Error; err != nil {
				return models.Translate(err)
			}
			out.Reviews = append(out.Reviews, row.domain())
		}
		for _, l := range r.Learned {
			if err := s.putLearned(ctx, ws, l, actor, at); err != nil {
				return err
			}
		}
		out.Carried, err = s.carry(ctx, ws, plans, actor, at)
		return err
	})
	if err != nil {
		return ReviewResult{}, fmt.Errorf("submit review of cycle %d: %w", r.CycleID, err)
	}
	return out, nil
}

// toUpdates wraps ids for keyResultsOf.
func toUpdates(ids []int64) []Update {
	ups := make([]Update, len(ids))
	for i, id := range ids {
		ups[i].KeyResultID = id
	}
	return ups
}

// checkLearned adds a problem for each note on an objective not in c, and
// returns ErrNotOwner for one actor may not write: only the objective's
// owner, an owner of one of its key results and an admin write one.
func (s *Store) checkLearned(ctx context.Context, ws string, c Cycle, notes []Learned, actor string, admin bool, ps *problems) error {
	for i, l := range notes {
		o, err := s.objective(ctx, ws, l.ObjectiveID)
		if isNotFound(err) || (err == nil && o.CycleID != c.ID) {
			ps.e.Add(FieldLearned, i+1, "I couldn't find that objective in “%s”; it may have been deleted.", c.Name)
			continue
		}
		if err != nil {
			return err
		}
		ownsOne := actor != "" && slices.ContainsFunc(o.KeyResults, func(k KeyResult) bool { return k.Owner == actor })
		if !MayChangeObjective(o, actor, admin) && !ownsOne {
			return ErrNotOwner
		}
	}
	return nil
}

// putLearned replaces author's note on an objective, or removes it when
// the note is empty.
func (s *Store) putLearned(ctx context.Context, ws string, l Learned, author string, at time.Time) error {
	note := strings.TrimSpace(l.Note)
	if note == "" {
		return models.Translate(s.db.Conn(ctx).Where("workspace_id = ? AND objective_id = ? AND author_id = ?", ws, l.ObjectiveID, author).
			Delete(&learnedRow{}).Error)
	}
	row := learnedRow{WorkspaceID: ws, ObjectiveID: l.ObjectiveID, AuthorID: author, Note: note, WrittenAt: at}
	return models.Translate(s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "objective_id"}, {Name: "author_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"note", "written_at"}),
	}).Create(&row).Error)
}

// planCarries checks the carry-overs of r and returns what to create;
// problems go to ps. A key result already carried over is not planned
// again; another decision for it is a problem.
func (s *Store) planCarries(ctx context.Context, ws string, c Cycle, r Review, krs map[int64]krWithObjective, ps *problems) ([]carryPlan, error) {
	var all []int64
	for _, k := range r.KeyResults {
		if _, ok := krs[k.KeyResultID]; ok {
			all = append(all, k.KeyResultID)
		}
	}
	carried, err := s.continuations(ctx, ws, all)
	if err != nil {
		return nil, err
	}
	var want []int64
	for i, k := range r.KeyResults {
		kr, ok := krs[k.KeyResultID]
		if !ok || kr.objective.CycleID != c.ID {
			continue
		}
		if _, done := carried[k.KeyResultID]; done && k.Decision != DecisionCarryOver && k.Decision.Valid() {
			ps.e.Add(FieldDecision, i+1, "“%s” was already carried over to the next cycle; keep “carry over”, or delete it there.", kr.Title)
		}
		if k.Decision == DecisionCarryOver {
			want = append(want, k.KeyResultID)
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	// nexts is the cycle each team's key results carry over to (the
	// team's own next cycle, else the workspace's), read once per team.
	type nextOf struct {
		c  Cycle
		ok bool
	}
	nexts := map[string]nextOf{}
	nextFor := func(team string) (Cycle, bool, error) {
		if n, seen := nexts[team]; seen {
			return n.c, n.ok, nil
		}
		n, ok, err := s.nextCycle(ctx, ws, c, team)
		if err != nil {
			return Cycle{}, false, err
		}
		nexts[team] = nextOf{n, ok}
		return n, ok, nil
	}
	eff, err := s.effective(ctx, ws, want)
	if err != nil {
		return nil, err
	}
	var plans []carryPlan
	// added counts the key results planned per continued objective
	// (keyed by the original objective), to keep within MaxKeyResults.
	added := map[int64]int{}
	continued := map[int64]int64{}
	for i, k := range r.KeyResults {
		if k.Decision != DecisionCarryOver || !slices.Contains(want, k.KeyResultID) {
			continue
		}
		if _, done := carried[k.KeyResultID]; done {
			continue
		}
		kr := krs[k.KeyResultID]
		next, ok, err := nextFor(kr.objective.Team)
		if err != nil {
			return nil, err
		}
		if !ok {
			ps.e.Add(FieldDecision, i+1, "There is no cycle after “%s” yet to carry it over to; an admin has to create the next cycle first.", c.Name)
			continue
		}
		final := FinalValue(kr.KeyResult, eff[kr.ID])
		nk := Carry(kr.KeyResult, final, 0)
		if err := nk.Validate(); err != nil {
			ps.e.Add(FieldDecision, i+1, "“%s” ended at %s, its target, so carried over it would have nothing left to move. Mark it done, or set a new key result in the next cycle.",
				kr.Title, format(final, kr.Decimals))
			continue
		}
		objID, seen := continued[kr.ObjectiveID]
		if !seen {
			if objID, err = s.continuation(ctx, ws, kr.objective.ID, next.ID); err != nil {
				return nil, err
			}
			continued[kr.ObjectiveID] = objID
		}
		have := 0
		if objID != 0 {
			var n int64
			if err := s.db.Conn(ctx).Model(&keyResultRow{}).Where("workspace_id = ? AND objective_id = ?", ws, objID).Count(&n).Error; err != nil {
				return nil, models.Translate(err)
			}
			have = int(n)
		}
		if have+added[kr.ObjectiveID]+1 > MaxKeyResults {
			ps.e.Add(FieldDecision, i+1, "“%s” already has %d key results in “%s”; remove one there to carry this one over.",
				kr.objective.Title, MaxKeyResults, next.Name)
			continue
		}
		added[kr.ObjectiveID]++
		plans = append(plans, carryPlan{from: kr, final: eff[kr.ID], carried: nk, objective: objID, cycle: next.ID})
	}
	return plans, nil
}

// continuations returns, of the key results ids, those carried over
// before, each with the key result continuing it.
func (s *Store) continuations(ctx context.Context, ws string, ids []int64) (map[int64]keyResultRow, error) {
	out := map[int64]keyResultRow{}
	for chunk := range slices.Chunk(ids, 500) {
		var rows []keyResultRow
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND carried_from IN ?", ws, chunk).Order("id").Find(&rows).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, r := range rows {
			if _, ok := out[*r.CarriedFrom]; !ok {
				out[*r.CarriedFrom] = r
			}
		}
	}
	return out, nil
}

// continuation is the objective of cycle next continuing objective: the
// first there with a key result carried over from one of objective's, or
// 0 for none.
func (s *Store) continuation(ctx context.Context, ws string, objective, next int64) (int64, error) {
	var ids []int64
	err := s.db.Conn(ctx).Model(&keyResultRow{}).
		Where("workspace_id = ? AND carried_from IN (SELECT id FROM okr_key_results WHERE workspace_id = ? AND objective_id = ?)", ws, ws, objective).
		Where("objective_id IN (SELECT id FROM okr_objectives WHERE workspace_id = ? AND cycle_id = ?)", ws, next).
		Order("objective_id").Limit(1).Pluck("objective_id", &ids).Error
	if err != nil {
		return 0, models.Translate(err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// carry writes plans: each continued objective once, each key result at
// the end of its objective, each with its first update.
func (s *Store) carry(ctx context.Context, ws string, plans []carryPlan, actor string, at time.Time) ([]CarriedOver, error) {
	next := map[int64]int64{} // original objective → continuation
	var out []CarriedOver
	for _, p := range plans {
		o := p.from.objective
		objID := p.objective
		if id, ok := next[o.ID]; ok {
			objID = id
		}
		var cycleID int64
		if objID == 0 {
			nc := p.cycle
			row := objectiveRow{WorkspaceID: ws, CycleID: nc, Title: o.Title, OwnerID: o.Owner, Team: o.Team,
				Visibility: string(visibility(o.Visibility)), CreatedBy: actor, CreatedAt: at, UpdatedAt: at}
			if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
				return nil, models.Translate(err)
			}
			objID, cycleID = row.ID, nc
		} else {
			var row objectiveRow
			if err := s.db.Conn(ctx).Where("workspace_id = ? AND id = ?", ws, objID).Take(&row).Error; err != nil {
				return nil, models.Translate(err)
			}
			cycleID = row.CycleID
		}
		next[o.ID] = objID
		var last struct{ N int }
		if err := s.db.Conn(ctx).Model(&keyResultRow{}).Select("COALESCE(MAX(position), 0) AS n").
			Where("workspace_id = ? AND objective_id = ?", ws, objID).Scan(&last).Error; err != nil {
			return nil, models.Translate(err)
		}
		kr := keyResultRowFrom(ws, objID, last.N+1, p.carried, at)
		kr.ID = 0
		if err := s.db.Conn(ctx).Create(&kr).Error; err != nil {
			return nil, models.Translate(err)
		}
		up := updateRow{WorkspaceID: ws, KeyResultID: kr.ID, AuthorID: actor, At: at, Value: FinalValue(p.from.KeyResult, p.final),
			Confidence: string(p.final.Confidence), Source: string(SourceCarryOver)}
		if err := s.db.Conn(ctx).Create(&up).Error; err != nil {
			return nil, models.Translate(err)
		}
		out = append(out, CarriedOver{From: p.from.ID, To: kr.ID, ObjectiveID: objID, CycleID: cycleID})
	}
	return out, nil
}

// NextCycle returns the cycle team's key results of c carry over to: the
// first of team's own cycles to start after c ends, when team has one;
// else the first of the workspace's cycles to start after c ends (also
// for team "", a workspace objective). It reports false when there is
// none yet. A team's own cycles take the place of the workspace's, so a
// team that plans in its own cycles continues in them, whichever cycle
// the reviewed objective was in.
func (s *Store) NextCycle(ctx context.Context, ws string, c Cycle, team string) (Cycle, bool, error) {
	n, ok, err := s.nextCycle(ctx, ws, c, team)
	if err != nil {
		return Cycle{}, false, fmt.Errorf("cycle after %q for %q: %w", c.Name, team, err)
	}
	return n, ok, nil
}

// nextCycle is NextCycle, its errors unwrapped.
func (s *Store) nextCycle(ctx context.Context, ws string, c Cycle, team string) (Cycle, bool, error) {
	teams := []string{""}
	if team != "" {
		teams = []string{team, ""}
	}
	for _, t := range teams {
		var rows []cycleRow
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND team = ? AND start_date > ?", ws, t, c.End).
			Order("start_date").Limit(1).Find(&rows).Error; err != nil {
			return Cycle{}, false, models.Translate(err)
		}
		if len(rows) > 0 {
			return rows[0].domain(), true, nil
		}
	}
	return Cycle{}, false, nil
}

// CycleReviews returns what the reviews of a cycle stored: each key
// result's review, by key result, and every note on its objectives, by
// objective and author. A cycle not in the workspace is ErrNotFound.
func (s *Store) CycleReviews(ctx context.Context, ws string, cycleID int64) ([]StoredReview, []StoredLearned, error) {
	if _, err := s.cycle(ctx, ws, cycleID); err != nil {
		return nil, nil, fmt.Errorf("reviews of cycle %d: %w", cycleID, err)
	}
	var rows []reviewRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND cycle_id = ?", ws, cycleID).Order("key_result_id").Find(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("reviews of cycle %d: %w", cycleID, models.Translate(err))
	}
	var notes []learnedRow
	if err := s.db.Conn(ctx).Where("workspace_id = ? AND objective_id IN (SELECT id FROM okr_objectives WHERE workspace_id = ? AND cycle_id = ?)",
		ws, ws, cycleID).Order("objective_id, author_id").Find(&notes).Error; err != nil {
		return nil, nil, fmt.Errorf("notes of cycle %d: %w", cycleID, models.Translate(err))
	}
	reviews := make([]StoredReview, len(rows))
	for i, r := range rows {
		reviews[i] = r.domain()
	}
	learned := make([]StoredLearned, len(notes))
	for i, n := range notes {
		learned[i] = n.domain()
	}
	return reviews, learned, nil
}

// Continuations returns, of the key results ids in the workspace, each
// one carried over with the id of the key result continuing it.
func (s *Store) Continuations(ctx context.Context, ws string, ids []int64) (map[int64]int64, error) {
	rows, err := s.continuations(ctx, ws, ids)
	if err != nil {
		return nil, fmt.Errorf("continuations of key results: %w", err)
	}
	out := make(map[int64]int64, len(rows))
	for from, r := range rows {
		out[from] = r.ID
	}
	return out, nil
}
