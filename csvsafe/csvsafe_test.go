package csvsafe

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

// TestCell: whatever a person typed (a name, a question, an answer, a title, a note),
// the exported cell cannot start a spreadsheet formula (after
// any leading blanks), and the text after the added quote is theirs,
// unchanged. The CSV reads back to the same cells.
func TestCell(t *testing.T) {
	inputs := []string{
		"=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\n=HYPERLINK(\"http://evil\")", "  =cmd|' /C calc'!A0",
		"＝1+1", "＠x", "－2", "＋3", "<!channel>", "plain", "", " leading space", "a=b", "1-2",
		"\"quoted\", with comma\nand newline", "🌴=", strings.Repeat("€", 3000), "'already quoted",
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, in := range inputs {
		out := Cell(in)
		if Risky(out) {
			t.Errorf("Risky(Cell(%q)) = true: the cell is still a formula", in)
		}
		if Risky(in) != (out != in) {
			t.Errorf("Risky(%q) = %v, but Cell gave %q", in, Risky(in), out)
		}
		body := strings.TrimPrefix(out, "'")
		if out != in && body != in {
			t.Errorf("cell(%q) = %q: the text changed", in, out)
		}
		rest := strings.TrimLeft(out, " \t\r\n")
		if rest != "" && strings.ContainsRune(formulaStarts+"\t\r", []rune(rest)[0]) && !strings.HasPrefix(out, "'") {
			t.Errorf("cell(%q) = %q: a spreadsheet would run it", in, out)
		}
		if strings.HasPrefix(out, "\t") || strings.HasPrefix(out, "\r") || strings.HasPrefix(out, "\n") {
			t.Errorf("cell(%q) = %q starts with a control character", in, out)
		}
		if err := w.Write([]string{out, "x"}); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	got, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range inputs {
		// encoding/csv turns \r\n into \n inside a quoted field.
		if want := strings.ReplaceAll(Cell(in), "\r\n", "\n"); got[i][0] != want && !(in == "\r=1" && got[i][0] == "'\r=1") {
			t.Errorf("row %d read back %q, want %q", i, got[i][0], want)
		}
	}
}
