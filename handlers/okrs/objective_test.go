package okrs_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/models/okrs"
)

// newForm is the new-objective form as most tests open it.
func newForm(title string) slack.ModalViewRequest {
	var cycles []okrs.Cycle
	for i := range 120 {
		c := cycle
		c.ID, c.Name = int64(i+1), stored(fmt.Sprint(title, " cycle ", i), okrs.MaxNameLen)
		cycles = append(cycles, c)
	}
	var aligned []okrhandlers.Alignment
	for i := range 5 {
		aligned = append(aligned, okrhandlers.Alignment{Ref: okrs.Ref{Kind: okrs.RefKeyResult, ID: int64(i + 1)},
			Title: stored(title, okrs.MaxTitleLen), Objective: stored(title, okrs.MaxTitleLen), Cycle: stored(title, okrs.MaxNameLen)})
	}
	return okrhandlers.NewObjectiveModal(okrhandlers.NewObjective{Cycles: cycles, Cycle: 3, Team: "C0TEAM", Submitter: "U0ME", Aligned: aligned})
}

// TestNewObjectiveModalLimits: the form keeps every Block Kit limit with
// the longest names and more cycles than a menu holds; without a cycle it
// says so and cannot be submitted.
func TestNewObjectiveModalLimits(t *testing.T) {
	for _, title := range []string{"Q1", strings.Repeat("<!here> & ", 40)} {
		m := newForm(title)
		checkModalLimits(t, m)
		for _, p := range blockkit.Check(blockkit.Modal, m) {
			t.Error(p)
		}
	}
	odd := okrhandlers.NewObjectiveModal(okrhandlers.NewObjective{Cycles: []okrs.Cycle{cycle}, Team: "<!channel>", Submitter: "everyone"})
	if raw := string(mustJSON(t, odd)); strings.Contains(raw, "initial_conversation") || strings.Contains(raw, "initial_user") {
		t.Error("a team or submitter that is not a Slack id is prefilled")
	}
	if raw := string(mustJSON(t, newForm("x"))); !strings.Contains(raw, `"initial_conversation":"C0TEAM"`) || strings.Count(raw, `"initial_user":"U0ME"`) != okrs.MaxKeyResults {
		t.Error("the team and the submitter as every key result's owner are not prefilled")
	}
	m := okrhandlers.NewObjectiveModal(okrhandlers.NewObjective{Submitter: "U0ME"})
	if m.Submit != nil || !strings.Contains(string(mustJSON(t, m)), "no cycle") {
		t.Error("without a cycle, the form does not say so or can be submitted")
	}
}

// TestParseNewObjective: the form reads into the objective it describes,
// or into messages on the right fields and no objective.
func TestParseNewObjective(t *testing.T) {
	kr := okrhandlers.NewKRBlockID
	text := func(block, v string) func(map[string]map[string]slack.BlockAction) {
		return func(vs map[string]map[string]slack.BlockAction) {
			set(vs, block, func(a *slack.BlockAction) { a.Value = v })
		}
	}
	choice := func(block, v string) func(map[string]map[string]slack.BlockAction) {
		return func(vs map[string]map[string]slack.BlockAction) {
			set(vs, block, func(a *slack.BlockAction) { a.SelectedOption = slack.OptionBlockObject{Value: v} })
		}
	}
	type change = func(map[string]map[string]slack.BlockAction)
	good := []change{
		text(okrhandlers.BlockNewTitle, "  Make onboarding effortless "),
		text(kr(1, okrhandlers.KRFieldTitle), "Weekly active teams from 40 to 60"),
		text(kr(1, okrhandlers.KRFieldStart), "40"), text(kr(1, okrhandlers.KRFieldTarget), "60"),
		text(kr(1, okrhandlers.KRFieldUnit), "teams"),
	}
	with := func(cs ...change) []change { return append(append([]change(nil), good...), cs...) }
	tests := []struct {
		name    string
		changes []change
		check   func(t *testing.T, o okrs.Objective)
		errsOn  map[string]string
	}{
		{name: "one key result", changes: good, check: func(t *testing.T, o okrs.Objective) {
			want := okrs.Objective{CycleID: 3, Title: "Make onboarding effortless", Owner: "U0ME", Team: "C0TEAM", Visibility: okrs.VisibleWorkspace,
				Parents:    []okrs.Ref{{Kind: okrs.RefKeyResult, ID: 1}, {Kind: okrs.RefKeyResult, ID: 2}, {Kind: okrs.RefKeyResult, ID: 3}},
				KeyResults: []okrs.KeyResult{{Owner: "U0ME", Title: "Weekly active teams from 40 to 60", Kind: okrs.IncreaseTo, Start: 40, Target: 60, Unit: "teams"}}}
			if fmt.Sprint(o) != fmt.Sprint(want) {
				t.Errorf("got\n %+v\nwant\n %+v", o, want)
			}
		}},
		{name: "blank rows are skipped, rows keep their order", changes: with(
			text(kr(3, okrhandlers.KRFieldTitle), "Ship the guide"), choice(kr(3, okrhandlers.KRFieldKind), string(okrs.Milestone)),
			text(kr(3, okrhandlers.KRFieldTarget), "ignored"),
			text(kr(5, okrhandlers.KRFieldTitle), "p95 latency"), choice(kr(5, okrhandlers.KRFieldKind), string(okrs.StayAtOrBelow)),
			text(kr(5, okrhandlers.KRFieldTarget), "1,200 ms"), text(kr(5, okrhandlers.KRFieldUnit), "ms"), choice(kr(5, okrhandlers.KRFieldDecimals), "1"),
			func(vs map[string]map[string]slack.BlockAction) {
				set(vs, kr(5, okrhandlers.KRFieldOwner), func(a *slack.BlockAction) { a.SelectedUser = "U0OTHER" })
			}),
			check: func(t *testing.T, o okrs.Objective) {
				if len(o.KeyResults) != 3 {
					t.Fatalf("%d key results, want 3", len(o.KeyResults))
				}
				if k := o.KeyResults[1]; k.Title != "Ship the guide" || k.Kind != okrs.Milestone || k.Start != 0 || k.Target != 1 {
					t.Errorf("milestone %+v", k)
				}
				if k := o.KeyResults[2]; k.Kind != okrs.StayAtOrBelow || k.Target != 1200 || k.Start != 0 || k.Decimals != 1 || k.Owner != "U0OTHER" {
					t.Errorf("threshold %+v", k)
				}
			}},
		{name: "team only", changes: with(choice(okrhandlers.BlockNewVisibility, string(okrs.VisibleTeam))),
			check: func(t *testing.T, o okrs.Objective) {
				if o.Visibility != okrs.VisibleTeam {
					t.Errorf("visibility %q", o.Visibility)
				}
			}},

		{name: "no key result", changes: []change{text(okrhandlers.BlockNewTitle, "Make onboarding effortless")},
			errsOn: map[string]string{kr(1, okrhandlers.KRFieldTitle): "at least one key result"}},
		{name: "no title", changes: with(text(okrhandlers.BlockNewTitle, "  ")),
			errsOn: map[string]string{okrhandlers.BlockNewTitle: "Give it a title"}},
		{name: "a title too long", changes: with(text(okrhandlers.BlockNewTitle, strings.Repeat("t", okrs.MaxTitleLen+1))),
			errsOn: map[string]string{okrhandlers.BlockNewTitle: "keep it to 150"}},
		{name: "target equals start", changes: with(text(kr(1, okrhandlers.KRFieldTarget), "40")),
			errsOn: map[string]string{kr(1, okrhandlers.KRFieldTarget): "equals the start"}},
		{name: "start not a number", changes: with(text(kr(1, okrhandlers.KRFieldStart), "forty")),
			errsOn: map[string]string{kr(1, okrhandlers.KRFieldStart): "isn't a number"}},
		{name: "target missing", changes: with(text(kr(1, okrhandlers.KRFieldTarget), "")),
			errsOn: map[string]string{kr(1, okrhandlers.KRFieldTarget): "Give the target"}},
		{name: "start missing to increase", changes: with(text(kr(1, okrhandlers.KRFieldStart), "")),
			errsOn: map[string]string{kr(1, okrhandlers.KRFieldStart): "starts from"}},
		{name: "a problem on a later row names that row", changes: with(
			text(kr(4, okrhandlers.KRFieldTitle), "Churn"), choice(kr(4, okrhandlers.KRFieldKind), string(okrs.DecreaseTo)),
			text(kr(4, okrhandlers.KRFieldStart), "3"), text(kr(4, okrhandlers.KRFieldTarget), "5"), text(kr(4, okrhandlers.KRFieldUnit), strings.Repeat("u", okrs.MaxUnitLen+1))),
			errsOn: map[string]string{kr(4, okrhandlers.KRFieldTarget): "To decrease", kr(4, okrhandlers.KRFieldUnit): "keep it to 20"}},
		{name: "a row with numbers but no title", changes: with(text(kr(2, okrhandlers.KRFieldStart), "1"), text(kr(2, okrhandlers.KRFieldTarget), "2")),
			errsOn: map[string]string{kr(2, okrhandlers.KRFieldTitle): "Give it a title"}},
		{name: "an unknown kind", changes: with(choice(kr(1, okrhandlers.KRFieldKind), "double")),
			errsOn: map[string]string{kr(1, okrhandlers.KRFieldKind): "Pick how the key result is measured"}},
		{name: "team only without a team", changes: with(choice(okrhandlers.BlockNewVisibility, string(okrs.VisibleTeam)),
			func(vs map[string]map[string]slack.BlockAction) {
				set(vs, okrhandlers.BlockNewTeam, func(a *slack.BlockAction) { a.SelectedConversation = "" })
			}),
			errsOn: map[string]string{okrhandlers.BlockNewTeam: "Pick the team's channel"}},
		{name: "an alignment the picker never offered", changes: with(func(vs map[string]map[string]slack.BlockAction) {
			set(vs, okrhandlers.BlockNewParents, func(a *slack.BlockAction) { a.SelectedOptions = []slack.OptionBlockObject{{Value: "x:1"}} })
		}), errsOn: map[string]string{okrhandlers.BlockNewParents: "from the list"}},
		{name: "too many alignments", changes: with(func(vs map[string]map[string]slack.BlockAction) {
			set(vs, okrhandlers.BlockNewParents, func(a *slack.BlockAction) {
				a.SelectedOptions = []slack.OptionBlockObject{{Value: "o:1"}, {Value: "o:2"}, {Value: "k:3"}, {Value: "k:4"}}
			})
		}), errsOn: map[string]string{okrhandlers.BlockNewParents: "at most 3"}},
		{name: "no cycle", changes: with(choice(okrhandlers.BlockNewCycle, "")),
			errsOn: map[string]string{okrhandlers.BlockNewCycle: "Pick the cycle"}},
		{name: "a cycle the menu never offered", changes: with(choice(okrhandlers.BlockNewCycle, "-4")),
			errsOn: map[string]string{okrhandlers.BlockNewCycle: "from the list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := submit(t, newForm("x"))
			for _, c := range tt.changes {
				c(values)
			}
			o, errs := okrhandlers.ParseNewObjective(values, "U0ME")
			if tt.errsOn != nil {
				if o.Title != "" || o.KeyResults != nil {
					t.Errorf("objective %+v returned with errors", o)
				}
				if len(errs) != len(tt.errsOn) {
					t.Errorf("errors %v, want on %v", errs, tt.errsOn)
				}
				for block, part := range tt.errsOn {
					if !strings.Contains(errs[block], part) {
						t.Errorf("error on %s = %q, want it to say %q (all: %v)", block, errs[block], part, errs)
					}
				}
				return
			}
			if errs != nil {
				t.Fatalf("errors %v", errs)
			}
			tt.check(t, o)
		})
	}
}

// TestNewObjectiveFieldBlock: every field okrs names has a block in the
// form, for the objective and for each key result row.
func TestNewObjectiveFieldBlock(t *testing.T) {
	m := newForm("x")
	ids := map[string]bool{}
	for _, b := range m.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			ids[in.BlockID] = true
		}
	}
	fields := []string{okrs.FieldTitle, okrs.FieldOwner, okrs.FieldTeam, okrs.FieldVisibility, okrs.FieldParents, okrs.FieldKeyResults,
		okrs.FieldKind, okrs.FieldStart, okrs.FieldTarget, okrs.FieldUnit, okrs.FieldDecimals, okrs.FieldWeight}
	for _, f := range fields {
		for row := 0; row <= okrs.MaxKeyResults; row++ {
			if b := okrhandlers.NewObjectiveFieldBlock(f, row); !ids[b] {
				t.Errorf("NewObjectiveFieldBlock(%s, %d) = %q, not an input of the form", f, row, b)
			}
		}
	}
}

// TestAlignmentOptions: the picker's answer holds at most 100 options of
// at most 75 characters, only matches, best first, ties in the given
// order, the same for the same query.
func TestAlignmentOptions(t *testing.T) {
	var cands []okrhandlers.Alignment
	add := func(kind okrs.RefKind, id int64, title, objective, cyc string) {
		cands = append(cands, okrhandlers.Alignment{Ref: okrs.Ref{Kind: kind, ID: id}, Title: title, Objective: objective, Cycle: cyc})
	}
	add(okrs.RefObjective, 1, "Grow revenue in Europe", "", "Q1 2027")
	add(okrs.RefKeyResult, 2, "Revenue", "Grow revenue in Europe", "Q1 2027")
	add(okrs.RefObjective, 3, "Delight customers", "", "Q1 2027")
	add(okrs.RefKeyResult, 4, "Net revenue retention 110%", "Delight customers", "Q1 2027")
	add(okrs.RefObjective, 5, "Hiring", "", "Revenue cycle")
	add(okrs.RefObjective, 6, "Prerevenue experiments", "", "Q1 2027")
	add(okrs.RefObjective, 0, "Revenue without an id", "", "")
	revenue := []string{"k:2", "o:1", "k:4", "o:6", "o:5"} // equal, prefix, word, inside, cycle
	want := map[string][]string{
		"revenue":  revenue,
		"  REV ":   revenue,
		"delight":  {"o:3", "k:4"},
		"":         {"o:1", "k:2", "o:3", "k:4", "o:5", "o:6"},
		"nothing!": nil,
	}
	for q, w := range want {
		resp := okrhandlers.AlignmentOptions(q, cands)
		var got []string
		for _, o := range resp.Options {
			got = append(got, o.Value)
		}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("AlignmentOptions(%q) = %v, want %v", q, got, w)
		}
	}
	var many []okrhandlers.Alignment
	for i := range 300 {
		many = append(many, okrhandlers.Alignment{Ref: okrs.Ref{Kind: okrs.RefKeyResult, ID: int64(i + 1)},
			Title: stored(strings.Repeat("<!channel> rev ", 20), okrs.MaxTitleLen), Objective: "long " + strings.Repeat("é", 200), Cycle: strings.Repeat("c", 90)})
	}
	resp := okrhandlers.AlignmentOptions("rev", many)
	if len(resp.Options) != 100 {
		t.Errorf("%d options, want 100", len(resp.Options))
	}
	for i, o := range resp.Options {
		if n := len([]rune(o.Text.Text)); n > 75 {
			t.Errorf("option %d: %d characters", i, n)
		}
		if o.Description != nil && len([]rune(o.Description.Text)) > 75 {
			t.Errorf("option %d: description too long", i)
		}
		if o.Value != fmt.Sprint("k:", i+1) {
			t.Errorf("option %d = %s, want the candidates' order", i, o.Value)
		}
	}
}
