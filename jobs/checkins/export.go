package checkins

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/trellis-bot/trellis/csvsafe"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// ExportCSV writes a check-in's exported answers as CSV: one row per
// answered question (a skipped round is one row with the status), with
// the round's date, the person's name and id, the question and the whole
// answer, never cut. Cells that a spreadsheet would run as a formula are
// prefixed with a quote (csvsafe.Cell).
func ExportCSV(ctx context.Context, s *Service, c checkinmodels.Checkin, rows []checkinmodels.ExportRow) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write([]string{"date", "person", "user_id", "status", "question_number", "question", "answer"}); err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, r := range rows {
		name, ok := names[r.UserID]
		if !ok {
			name = s.name(ctx, c.WorkspaceID, r.UserID)
			names[r.UserID] = name
		}
		q, n := "", ""
		if r.Position > 0 {
			q, n = r.Question, strconv.Itoa(r.Position)
		}
		if err := w.Write([]string{r.Date.String(), csvsafe.Cell(name), r.UserID, r.Status, n, csvsafe.Cell(q), csvsafe.Cell(r.Answer)}); err != nil {
			return nil, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("write the export: %w", err)
	}
	return buf.Bytes(), nil
}
