package checkins

import (
	"context"
	"fmt"
	"strconv"

	"github.com/trellis-bot/trellis/models"
)

// Aggregate sums up the answers to one scale or choice question of a
// round. For an anonymous question with fewer answers than the
// workspace's minimum group size, Hidden is set and nothing else is
// filled in: a small group's "anonymous" answers would point at people.
type Aggregate struct {
	// Position is the question's 1-based position among the round's
	// questions (AsAnswered), and QuestionID its id.
	Position   int
	QuestionID int64
	Anonymous  bool
	Count      int
	Hidden     bool
	// Average is the mean of a scale question.
	Average float64
	// Counts is how many picked each option of a choice question.
	Counts map[string]int
}

// Aggregates sums up a round's scale and choice questions — the questions
// as answered (AsAnswered), so whether a total is hidden depends on how
// its answers were given — hiding anonymous ones answered by fewer than
// minGroup people (never fewer than MinGroupSizeFloor).
func (s *Store) Aggregates(ctx context.Context, workspaceID string, roundID int64, minGroup int) ([]Aggregate, error) {
	var round roundRow
	if err := s.db.Conn(ctx).Where("id = ? AND workspace_id = ?", roundID, workspaceID).Take(&round).Error; err != nil {
		return nil, fmt.Errorf("aggregates of round %d: %w", roundID, models.Translate(err))
	}
	c, err := s.Get(ctx, workspaceID, round.CheckinID)
	if err == nil {
		c, err = s.AsAnswered(ctx, c, roundID)
	}
	if err != nil {
		return nil, fmt.Errorf("aggregates of round %d: %w", roundID, err)
	}
	var named []answerRow
	if err := s.db.Conn(ctx).Where("round_id = ?", roundID).Find(&named).Error; err != nil {
		return nil, fmt.Errorf("aggregates of round %d: %w", roundID, models.Translate(err))
	}
	var anon []anonymousRow
	if err := s.db.Conn(ctx).Where("round_id = ?", roundID).Find(&anon).Error; err != nil {
		return nil, fmt.Errorf("aggregates of round %d: %w", roundID, models.Translate(err))
	}
	// counts[question][value]; identified answers to an anonymous question
	// and counts of a non-anonymous one cannot exist, and are ignored.
	counts := map[int64]map[string]int{}
	add := func(id int64, v string, n int) {
		if counts[id] == nil {
			counts[id] = map[string]int{}
		}
		counts[id][v] += n
	}
	anonymous := map[int64]bool{}
	for _, q := range c.Questions {
		anonymous[q.ID] = q.Anonymous
	}
	for _, a := range named {
		if !anonymous[a.QuestionID] {
			add(a.QuestionID, a.Value, 1)
		}
	}
	for _, a := range anon {
		if anonymous[a.QuestionID] && a.N > 0 {
			add(a.QuestionID, a.Value, a.N)
		}
	}
	minGroup = max(minGroup, models.MinGroupSizeFloor)
	var out []Aggregate
	for i, q := range c.Questions {
		if q.Kind != KindScale && q.Kind != KindChoice {
			continue
		}
		agg := Aggregate{Position: i + 1, QuestionID: q.ID, Anonymous: q.Anonymous}
		for _, n := range counts[q.ID] {
			agg.Count += n
		}
		if q.Anonymous && agg.Count < minGroup {
			agg.Hidden = true
			out = append(out, agg)
			continue
		}
		if q.Kind == KindScale {
			sum := 0
			for v, n := range counts[q.ID] {
				x, _ := strconv.Atoi(v)
				sum += x * n
			}
			if agg.Count > 0 {
				agg.Average = float64(sum) / float64(agg.Count)
			}
		} else {
			agg.Counts = map[string]int{}
			for v, n := range counts[q.ID] {
				if n > 0 {
					agg.Counts[v] = n
				}
			}
		}
		out = append(out, agg)
	}
	return out, nil
}
