package okrs

import (
	"context"
	"fmt"
	"slices"

	"github.com/trellis-bot/trellis/models"
)

// Histories returns the updates of each key result of ids that is in the
// workspace, each list in the order its entries were appended (History's
// order), corrections and the entries they correct alike; a key result
// without updates, or not in the workspace, has none. It reads them in a
// few queries, however many key results there are: what a team's weekly
// digest reads its key results' values then and now from.
func (s *Store) Histories(ctx context.Context, ws string, ids []int64) (map[int64][]Update, error) {
	out := map[int64][]Update{}
	for chunk := range slices.Chunk(ids, 500) {
		var rows []updateRow
		if err := s.db.Conn(ctx).Where("workspace_id = ? AND key_result_id IN ?", ws, chunk).Order("key_result_id, id").
			Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("histories of %d key results: %w", len(ids), models.Translate(err))
		}
		for _, r := range rows {
			out[r.KeyResultID] = append(out[r.KeyResultID], r.domain())
		}
	}
	return out, nil
}
