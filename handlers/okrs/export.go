package okrs

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/trellis-bot/trellis/csvsafe"
	"github.com/trellis-bot/trellis/models/okrs"
)

// ExportRow is one line of a cycle's export: a key result with one entry
// of its history, or with a zero Entry (ID 0) for a key result without
// any.
type ExportRow struct {
	Cycle     okrs.Cycle
	Objective okrs.Objective
	KR        okrs.KeyResult
	// Owner is how the key result's owner is written: a name, or the
	// Slack id.
	Owner string
	Entry okrs.Update
	// Source says where the entry was made ("form", "check-in", ...).
	Source string
}

// ExportHeader is the first line of ExportCSV.
var ExportHeader = []string{"cycle", "objective", "key result", "owner", "kind", "start", "target", "unit",
	"entry id", "at", "value", "confidence", "note", "corrects", "no change", "source"}

// ExportCSV writes rows as CSV under ExportHeader, one line each, in the
// order given: the whole history, corrections beside what they correct
// (corrects names the entry), never cut. Every cell of text is written
// through csvsafe.Cell, so none starts a spreadsheet formula; numbers are
// written in full (no rounding to the key result's decimals), times as RFC
// 3339 in UTC. A "no change" entry has no value or confidence of its own:
// those cells are empty and "no change" says yes.
func ExportCSV(w io.Writer, rows []ExportRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportHeader); err != nil {
		return fmt.Errorf("write the export: %w", err)
	}
	for _, r := range rows {
		e := r.Entry
		var id, at, value, confidence, corrects, same string
		if e.ID != 0 {
			id = strconv.FormatInt(e.ID, 10)
			if !e.At.IsZero() {
				at = e.At.UTC().Format(time.RFC3339)
			}
			same = "no"
			if e.NoChange {
				same = "yes"
			} else {
				value, confidence = number(e.Value), string(e.Confidence)
			}
			if e.Corrects != 0 {
				corrects = strconv.FormatInt(e.Corrects, 10)
			}
		}
		start, target := number(r.KR.Start), number(r.KR.Target)
		line := []string{
			csvsafe.Cell(r.Cycle.Name), csvsafe.Cell(r.Objective.Title), csvsafe.Cell(r.KR.Title), csvsafe.Cell(r.Owner),
			csvsafe.Cell(string(r.KR.Kind)), start, target, csvsafe.Cell(r.KR.Unit),
			id, at, value, csvsafe.Cell(confidence), csvsafe.Cell(e.Note), corrects, same, csvsafe.Cell(r.Source),
		}
		if err := cw.Write(line); err != nil {
			return fmt.Errorf("write the export: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write the export: %w", err)
	}
	return nil
}

// number writes v in full, as a spreadsheet reads a number; "" for a
// value that is not a finite number.
func number(v float64) string {
	if !finiteNumber(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
