package checkins

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// ExportCSV writes a check-in's exported answers as CSV: one row per
// answered question (a skipped round is one row with the status), with
// the round's date, the person's name and id, the question and the whole
// answer, never cut. Cells that a spreadsheet would run as a formula are
// prefixed with a quote.
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
		if err := w.Write([]string{r.Date.String(), cell(name), r.UserID, r.Status, n, cell(q), cell(r.Answer)}); err != nil {
			return nil, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("write the export: %w", err)
	}
	return buf.Bytes(), nil
}

// formulaStarts are the characters a spreadsheet reads as the start of a
// formula, with their full-width forms (some locales accept those too).
const formulaStarts = "=+-@＝＋－＠"

// cell defuses formula injection: a spreadsheet runs a cell starting with
// = + - @ as a formula, also after leading spaces, tabs or line breaks,
// and a tab or carriage return can start one. Such a cell gets a leading
// quote; the text after it is the person's, unchanged.
func cell(s string) string {
	if s == "" {
		return s
	}
	rest := []rune(strings.TrimLeft(s, " \t\r\n"))
	if strings.ContainsRune("\t\r\n", rune(s[0])) || len(rest) > 0 && strings.ContainsRune(formulaStarts, rest[0]) {
		return "'" + s
	}
	return s
}
