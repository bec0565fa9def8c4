package okrs_test

import (
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/models/okrs"
)

func TestCheckAlignment(t *testing.T) {
	cycles := []okrs.Cycle{
		{ID: 1, Name: "Q1 2027", Start: date(t, "2027-01-01"), End: date(t, "2027-03-31")},
		{ID: 2, Name: "2027 Jan–Feb", Start: date(t, "2027-01-01"), End: date(t, "2027-02-28")},
		{ID: 3, Name: "Q2 2027", Start: date(t, "2027-04-01"), End: date(t, "2027-06-30")},
	}
	obj := func(id, cycle int64, krs []int64, parents ...okrs.Ref) okrs.Objective {
		o := okrs.Objective{ID: id, CycleID: cycle, Title: "O" + string(rune('0'+id)), Parents: parents}
		for _, k := range krs {
			o.KeyResults = append(o.KeyResults, okrs.KeyResult{ID: k, ObjectiveID: id, Title: "KR"})
		}
		return o
	}
	o := func(id int64) okrs.Ref { return okrs.Ref{Kind: okrs.RefObjective, ID: id} }
	k := func(id int64) okrs.Ref { return okrs.Ref{Kind: okrs.RefKeyResult, ID: id} }
	// The stored graph: 1 (Q1) ← 2 (Q1, via KR 11 of 1) ← 3 (Q1) ; 4 in
	// Jan–Feb; 5 in Q2 aligned to 1.
	stored := []okrs.Objective{
		obj(1, 1, []int64{11, 12}),
		obj(2, 1, []int64{21}, k(11)),
		obj(3, 1, []int64{31}, o(2)),
		obj(4, 2, []int64{41}),
		obj(5, 3, nil, o(1)),
	}
	tests := []struct {
		name     string
		proposed okrs.Objective
		want     string // "" or a piece of the message
	}{
		{"new, to an objective in the same cycle", obj(0, 1, nil, o(1)), ""},
		{"new, to a key result", obj(0, 1, nil, k(12)), ""},
		{"new, to an earlier-ending cycle", obj(0, 1, nil, o(4), k(41)), ""},
		{"new, later cycle to an earlier one", obj(0, 3, nil, o(3)), ""},
		{"new, to a later-ending cycle", obj(0, 2, nil, o(1)), "ends after"},
		{"new, to a key result in a later-ending cycle", obj(0, 1, nil, o(5)), "ends after"},
		{"new, three parents", obj(0, 1, nil, o(1), o(2), k(41)), ""},
		{"new, four parents", obj(0, 1, nil, o(1), o(2), o(3), k(41)), "at most 3"},
		{"listed twice", obj(0, 1, nil, o(1), o(1)), "twice"},
		{"unknown objective", obj(0, 1, nil, o(99)), "couldn't find"},
		{"unknown key result", obj(0, 1, nil, k(99)), "couldn't find"},
		{"unknown cycle", obj(0, 9, nil, o(1)), "cycle"},
		{"itself", obj(2, 1, []int64{21}, o(2)), "itself"},
		{"its own key result", obj(1, 1, []int64{11, 12}, k(12)), "own key results"},
		{"its own stored key result the edit left out", obj(1, 1, nil, k(11)), "own key results"},
		{"a new objective's own new key result", okrs.Objective{CycleID: 1, KeyResults: []okrs.KeyResult{{ID: 77}}, Parents: []okrs.Ref{k(77)}}, "own key results"},
		{"its child", obj(1, 1, []int64{11, 12}, o(2)), "circle"},
		{"its grandchild", obj(1, 1, []int64{11, 12}, o(3)), "circle"},
		{"a key result of its grandchild", obj(1, 1, []int64{11, 12}, k(31)), "circle"},
		{"a descendant through a later cycle", obj(1, 1, []int64{11, 12}, o(5)), "circle"},
		{"re-aligning a child elsewhere", obj(3, 1, []int64{31}, o(1)), ""},
		{"its parent again", obj(3, 1, []int64{31}, o(2)), ""},
		{"an unrelated sibling", obj(2, 1, []int64{21}, k(12)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(stored[1].Parents)
			err := okrs.CheckAlignment(cycles, stored, tt.proposed)
			got := strings.Join(fields(t, err), ",")
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckAlignment(%v) = %v, want nil", tt.proposed.Parents, err)
			case tt.want != "" && (got != "parents" || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("CheckAlignment(%v) = %v, want one problem on parents saying %q", tt.proposed.Parents, err, tt.want)
			}
			if len(stored[1].Parents) != before {
				t.Errorf("CheckAlignment changed the stored objectives")
			}
		})
	}
}

func TestCheckAlignmentSurvivesALoopInStoredData(t *testing.T) {
	cycle := okrs.Cycle{ID: 1, Name: "Q1", End: date(t, "2027-03-31")}
	loop := []okrs.Objective{
		{ID: 1, CycleID: 1, Parents: []okrs.Ref{{Kind: okrs.RefObjective, ID: 2}}},
		{ID: 2, CycleID: 1, Parents: []okrs.Ref{{Kind: okrs.RefObjective, ID: 1}}},
	}
	proposed := okrs.Objective{ID: 3, CycleID: 1, Parents: []okrs.Ref{{Kind: okrs.RefObjective, ID: 1}}}
	if err := okrs.CheckAlignment([]okrs.Cycle{cycle}, loop, proposed); err != nil {
		t.Errorf("CheckAlignment = %v, want nil: objective 3 is not in the loop", err)
	}
}
