package okrs_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/models/okrs"
)

// TestMyOKRsLimits: for any number of key results and the longest texts,
// the reply keeps a message's limits, ends with the Update button, and
// counts the objectives it leaves out.
func TestMyOKRsLimits(t *testing.T) {
	for _, n := range []int{1, 5, 20, 60, 300} {
		for _, title := range []string{"Revenue", strings.Repeat("<!channel> & ", 40)} {
			b := okrhandlers.MyOKRs(items(n, title), now)
			where := fmt.Sprintf("MyOKRs(%d, %.10q)", n, title)
			checkBlockLimits(t, where, b, 50)
			for _, p := range blockkit.Check(blockkit.Message, b, "@U0OWNER", "#C0TEAM") {
				t.Errorf("%s: %s", where, p)
			}
			last := reportBlocks(t, b)[len(b)-1]
			if last["block_id"] != okrhandlers.BlockUpdateButton || !strings.Contains(blockJSON(t, b[len(b)-1:]), `"action_id":"okr:update"`) {
				t.Errorf("%s: does not end with the Update button", where)
			}
			objectives := (n + 4) / 5
			shown := strings.Count(blockJSON(t, b), ":dart:")
			if shown < objectives && !strings.Contains(blockJSON(t, b), fmt.Sprintf("and %d more objective", objectives-shown)) {
				t.Errorf("%s: shows %d of %d objectives without counting the rest", where, shown, objectives)
			}
			if shown == 0 {
				t.Errorf("%s: shows no objective", where)
			}
		}
	}
}

// TestMyOKRsShows: each key result shows its progress bar, value with
// decimals and unit, confidence and last update; an empty reply says how
// to create one.
func TestMyOKRsShows(t *testing.T) {
	its := items(5, "Revenue")
	its[0].KR.Decimals = 1
	raw := blockJSON(t, okrhandlers.MyOKRs(its, now))
	for _, want := range []string{
		"▰▱▱▱▱ 36 %", "47.2 / 60.0 Revenue", // increase 40 → 60 at 47.25
		":large_yellow_circle: at risk", "updated 3 days ago", "no update yet",
		"(stay at or above)", "done", "Revenue objective 0", "Revenue kr 4",
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("MyOKRs does not show %q", want)
		}
	}
	if raw := blockJSON(t, okrhandlers.MyOKRs(nil, now)); !strings.Contains(raw, "/trellis okr new") {
		t.Errorf("an empty MyOKRs does not say how to create one: %s", raw)
	}
}

// TestHomeSectionRoom: the Home tab's OKR section stays within the room it
// is given, whatever it holds, and the whole tab within 100 blocks.
func TestHomeSectionRoom(t *testing.T) {
	for _, n := range []int{0, 1, 20, 60, 300} {
		for _, room := range []views.HomeRoom{{Blocks: 0, Text: 5000}, {Blocks: 1, Text: 5000}, {Blocks: 2, Text: 100}, {Blocks: 5, Text: 2000}, {Blocks: 80, Text: 9000}} {
			b := okrhandlers.HomeSection(items(n, strings.Repeat("<!here>", 30)), now)(room)
			if len(b) > room.Blocks {
				t.Errorf("%d key results in %+v: %d blocks", n, room, len(b))
			}
			text := 0
			for _, x := range b {
				text += textLen(x)
			}
			if text > room.Text {
				t.Errorf("%d key results in %+v: %d characters", n, room, text)
			}
			if len(b) > 0 {
				checkBlockLimits(t, fmt.Sprint("HomeSection ", n), b, 100)
			}
		}
		home := views.Home(views.Summary{UserID: "U1", LocalNow: now, Budget: 3}, okrhandlers.HomeSection(items(n, "x"), now))
		for _, p := range blockkit.Check(blockkit.Home, home, "@U0OWNER", "#C0TEAM") {
			t.Errorf("Home with %d key results: %s", n, p)
		}
		if n > 0 && !strings.Contains(string(mustJSON(t, home)), `"action_id":"okr:update"`) {
			t.Errorf("Home with %d key results has no Update button", n)
		}
	}
}

// textLen is a block's text as a message's budget counts it.
func textLen(b slack.Block) int {
	n := 0
	for _, m := range reportBlocksOne(b) {
		n += len([]rune(m))
	}
	return n
}

// reportBlocksOne is the texts of a section, header or context.
func reportBlocksOne(b slack.Block) []string {
	switch b := b.(type) {
	case *slack.SectionBlock:
		return []string{b.Text.Text}
	case *slack.HeaderBlock:
		return []string{b.Text.Text}
	case *slack.ContextBlock:
		var out []string
		for _, e := range b.ContextElements.Elements {
			if t, ok := e.(*slack.TextBlockObject); ok {
				out = append(out, t.Text)
			}
		}
		return out
	}
	return nil
}

// TestObjectiveList: the list names each objective's owner and team (from
// ids only), stays within a message's limits and counts what it leaves
// out; an empty list says how to create one.
func TestObjectiveList(t *testing.T) {
	for _, n := range []int{1, 60, 300} {
		its := items(n, strings.Repeat("<@U9> ", 30))
		b := okrhandlers.ObjectiveList(its, "Objectives in #growth <!channel>", now)
		checkBlockLimits(t, fmt.Sprint("ObjectiveList ", n), b, 50)
		for _, p := range blockkit.Check(blockkit.Message, b, "@U0OWNER", "#C0TEAM") {
			t.Errorf("ObjectiveList %d: %s", n, p)
		}
		if raw := blockJSON(t, b); !strings.Contains(raw, "<@U0OWNER> · <#C0TEAM>") {
			t.Errorf("ObjectiveList %d does not name the owner and team", n)
		}
	}
	its := items(1, "x")
	its[0].Objective.Owner, its[0].Objective.Team = "<!channel>", "everyone"
	if raw := blockJSON(t, okrhandlers.ObjectiveList(its, "", now)); strings.Contains(raw, "<!channel>") || strings.Contains(raw, "<#everyone") {
		t.Errorf("an owner or team that is not a Slack id became a mention: %s", raw)
	}
	if raw := blockJSON(t, okrhandlers.ObjectiveList(nil, "Objectives", now)); !strings.Contains(raw, "/trellis okr new") {
		t.Error("an empty list does not say how to create an objective")
	}
}

// tree builds n objectives: every fourth a root, the others aligned to
// the objective before them or to one of its key results, with a loop
// and unknown parents mixed in.
func tree(n int, title string) []okrhandlers.TreeObjective {
	var out []okrhandlers.TreeObjective
	for i := range n {
		id := int64(i + 1)
		o := okrs.Objective{ID: id, Title: stored(fmt.Sprint(title, " ", id), okrs.MaxTitleLen), Owner: "U0OWNER", Team: "C0TEAM",
			KeyResults: []okrs.KeyResult{{ID: 1000 + id, Title: stored(title, okrs.MaxTitleLen)}}}
		switch {
		case i%4 == 0:
		case i%4 == 1:
			o.Parents = []okrs.Ref{{Kind: okrs.RefObjective, ID: id - 1}, {Kind: okrs.RefObjective, ID: 99999}}
		case i%4 == 2:
			o.Parents = []okrs.Ref{{Kind: okrs.RefKeyResult, ID: 1000 + id - 1}, {Kind: okrs.RefObjective, ID: id - 2}}
		default:
			o.Parents = []okrs.Ref{{Kind: okrs.RefObjective, ID: id - 1}}
		}
		out = append(out, okrhandlers.TreeObjective{Objective: o, Progress: float64(i%10) / 10})
	}
	return out
}

// treeTitles are the objective numbers a page shows, in order.
var treeTitle = regexp.MustCompile(`T (\d+)\*`)

// TestTree: every objective appears exactly once over the pages, each
// child after its parent, pages in a stable order whatever the input
// order, every page within a message's limits with buttons to the pages
// beside it.
func TestTree(t *testing.T) {
	for _, n := range []int{1, 25, 26, 100, 1000} {
		objs := tree(n, "T")
		reversed := append([]okrhandlers.TreeObjective(nil), objs...)
		for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
			reversed[i], reversed[j] = reversed[j], reversed[i]
		}
		pages := (n + 24) / 25
		seen := map[string]int{}
		pos := 0
		for page := 1; page <= pages; page++ {
			b := okrhandlers.Tree(objs, page)
			checkBlockLimits(t, fmt.Sprintf("Tree %d page %d", n, page), b, 50)
			for _, p := range blockkit.Check(blockkit.Message, b, "@U0OWNER", "#C0TEAM") {
				t.Errorf("Tree %d page %d: %s", n, page, p)
			}
			raw := blockJSON(t, b)
			if raw != blockJSON(t, okrhandlers.Tree(reversed, page)) {
				t.Errorf("Tree %d page %d depends on the input order", n, page)
			}
			for _, m := range treeTitle.FindAllStringSubmatch(raw, -1) {
				seen[m[1]]++
				pos++
				seen["pos"+m[1]] = pos
			}
			buttons := map[string]string{}
			for _, bl := range reportBlocks(t, b) {
				if bl["block_id"] == okrhandlers.BlockTreePages {
					for _, e := range bl["elements"].([]any) {
						e := e.(map[string]any)
						buttons[e["action_id"].(string)] = e["value"].(string)
					}
				}
			}
			if page < pages && buttons[okrhandlers.ActionTreeNext] != fmt.Sprint(page+1) {
				t.Errorf("Tree %d page %d: next button %v, want to page %d", n, page, buttons, page+1)
			}
			if page > 1 && buttons[okrhandlers.ActionTreePrev] != fmt.Sprint(page-1) {
				t.Errorf("Tree %d page %d: previous button %v, want to page %d", n, page, buttons, page-1)
			}
			if page == pages && strings.Contains(raw, "okr:tree-next") || page == 1 && strings.Contains(raw, "okr:tree-prev") {
				t.Errorf("Tree %d page %d: a button beyond the pages", n, page)
			}
		}
		for id := 1; id <= n; id++ {
			if c := seen[fmt.Sprint(id)]; c != 1 {
				t.Errorf("Tree %d: objective %d shown %d times", n, id, c)
			}
			if id%4 != 1 && seen[fmt.Sprint("pos", id)] < seen[fmt.Sprint("pos", id-1)] {
				t.Errorf("Tree %d: objective %d shown before its parent %d", n, id, id-1)
			}
		}
		if got, want := blockJSON(t, okrhandlers.Tree(objs, pages+5)), blockJSON(t, okrhandlers.Tree(objs, pages)); got != want {
			t.Errorf("Tree %d: a page past the end is not the last page", n)
		}
		if got, want := blockJSON(t, okrhandlers.Tree(objs, -3)), blockJSON(t, okrhandlers.Tree(objs, 1)); got != want {
			t.Errorf("Tree %d: a page before the start is not the first page", n)
		}
	}
	// A loop (which alignment refuses, but stored data might hold) is
	// drawn once, not forever.
	loop := tree(3, "T")
	loop[0].Objective.Parents = []okrs.Ref{{Kind: okrs.RefObjective, ID: 3}}
	loop[1].Objective.Parents = []okrs.Ref{{Kind: okrs.RefObjective, ID: 1}}
	loop[2].Objective.Parents = []okrs.Ref{{Kind: okrs.RefObjective, ID: 2}}
	if got := len(treeTitle.FindAllString(blockJSON(t, okrhandlers.Tree(loop, 1)), -1)); got != 3 {
		t.Errorf("a loop of 3 shows %d objectives", got)
	}
	if raw := blockJSON(t, okrhandlers.Tree(nil, 1)); !strings.Contains(raw, "/trellis okr new") {
		t.Error("an empty tree does not say how to create an objective")
	}
}

// TestParseTreePage: only the values the buttons carry are pages.
func TestParseTreePage(t *testing.T) {
	for in, want := range map[string]int{"1": 1, "12": 12, "0": 0, "-1": 0, "01": 0, "x": 0, "": 0, "1e2": 0} {
		got, ok := okrhandlers.ParseTreePage(in)
		if got != want || ok != (want > 0) {
			t.Errorf("ParseTreePage(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}

// TestExportCSV: the export has the columns asked for, one line per row in
// order, reads back as written, and no cell can start a spreadsheet
// formula (numbers aside, which are plain numbers).
func TestExportCSV(t *testing.T) {
	at := time.Date(2027, 1, 4, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	var rows []okrhandlers.ExportRow
	for kind, v := range hostile {
		for _, f := range []string{"=1+1", "@SUM(A1)", "+1", "-1", "\t=x", v} {
			it := items(1, f)[0]
			rows = append(rows,
				okrhandlers.ExportRow{Cycle: it.Cycle, Objective: it.Objective, KR: it.KR, Owner: f, Source: f,
					Entry: okrs.Update{ID: 7, KeyResultID: it.KR.ID, At: at, Value: -0.75, Confidence: okrs.OffTrack, Note: stored(f, okrs.MaxNoteLen)}},
				okrhandlers.ExportRow{Cycle: it.Cycle, Objective: it.Objective, KR: it.KR, Owner: kind,
					Entry: okrs.Update{ID: 8, KeyResultID: it.KR.ID, At: at, NoChange: true, Note: f}},
				okrhandlers.ExportRow{Cycle: it.Cycle, Objective: it.Objective, KR: it.KR, Owner: kind,
					Entry: okrs.Update{ID: 9, KeyResultID: it.KR.ID, At: at, Value: 1234.5678, Confidence: okrs.OnTrack, Corrects: 7}},
				okrhandlers.ExportRow{Cycle: it.Cycle, Objective: it.Objective, KR: it.KR, Owner: kind},
			)
		}
	}
	var buf bytes.Buffer
	if err := okrhandlers.ExportCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	lines, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := "cycle,objective,key result,owner,kind,start,target,unit,entry id,at,value,confidence,note,corrects,no change,source"; strings.Join(lines[0], ",") != want {
		t.Errorf("header %q, want %q", strings.Join(lines[0], ","), want)
	}
	if len(lines) != len(rows)+1 {
		t.Fatalf("%d lines, want %d", len(lines), len(rows)+1)
	}
	number := regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	formula := regexp.MustCompile(`^[ \t\r\n]*[=+\-@＝＋－＠]|^[\t\r\n]`)
	for i, l := range lines[1:] {
		for j, c := range l {
			if formula.MatchString(c) && !number.MatchString(c) {
				t.Errorf("line %d column %s: %q would run as a formula", i+1, lines[0][j], c)
			}
		}
	}
	for i, want := range [][]string{
		{"-0.75", "off_track", "", "no"},
		{"", "", "", "yes"},
		{"1234.5678", "on_track", "7", "no"},
		{"", "", "", ""},
	} {
		l := lines[1+i]
		if got := []string{l[10], l[11], l[13], l[14]}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("line %d value, confidence, corrects, no change = %q, want %q", i+1, got, want)
		}
	}
	if l := lines[1]; l[8] != "7" || l[9] != "2027-01-04T08:30:00Z" || l[5] != "40" || l[6] != "60" {
		t.Errorf("line 1 id, at, start, target = %q %q %q %q", l[8], l[9], l[5], l[6])
	}
	if l := lines[4]; l[8] != "" || l[9] != "" {
		t.Errorf("a key result without history has entry cells %q %q", l[8], l[9])
	}
}
