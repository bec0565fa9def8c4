package okrs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

var reviewCycle = okrs.Cycle{ID: 7, Name: "Q1 2027", Start: calendar.Date{Year: 2027, Month: 1, Day: 1}, End: calendar.Date{Year: 2027, Month: 3, Day: 31}}

// reviewItems are n key results of every kind over objectives of per
// key results each, titled title, each with its grade and decision.
func reviewItems(n, per int, title, unit string) []ReviewItem {
	kinds := []okrs.Kind{okrs.IncreaseTo, okrs.DecreaseTo, okrs.StayAtOrAbove, okrs.StayAtOrBelow, okrs.Milestone}
	decisions := []okrs.Decision{okrs.DecisionDone, okrs.DecisionCarryOver, okrs.DecisionDrop}
	var out []ReviewItem
	for i := range n {
		o := okrs.Objective{ID: int64(100 + i/per), Title: title}
		k := okrs.KeyResult{ID: int64(i + 1), ObjectiveID: o.ID, Title: title, Kind: kinds[i%len(kinds)], Start: 10, Target: 20, Unit: unit, Decimals: i % 3}
		if k.Kind == okrs.DecreaseTo {
			k.Start, k.Target = 20, 10
		}
		final := okrs.Effective{HasValue: true, Value: float64(10 + i%11)}
		out = append(out, ReviewItem{KeyResult: k, Objective: o, Final: final, Grade: okrs.PrefillGrade(k, final),
			Decision: decisions[i%len(decisions)], Learned: fmt.Sprintf("note %d", o.ID)})
	}
	return out
}

// submitReview is a view as Slack sends it back: m's initial values, and its
// private_metadata.
func submitReview(t *testing.T, m slack.ModalViewRequest) slack.View {
	return slack.View{PrivateMetadata: m.PrivateMetadata, State: &slack.ViewState{Values: blockkittest.Submit(t, m)}}
}

// An untouched form reads back as what it was filled with: every key
// result's grade and decision and every objective's note, for any number
// of key results over one or many objectives, inside Slack's limits.
func TestReviewModalRoundTrip(t *testing.T) {
	for _, n := range []int{1, 3, 5, MaxReviewItems, MaxReviewItems + 4} {
		for _, per := range []int{1, 2, 5} {
			where := fmt.Sprintf("%d key results, %d an objective", n, per)
			items := reviewItems(n, per, "Teams", "%")
			m := ReviewModal(reviewCycle, items)
			blockkittest.CheckModalLimits(t, m)
			for _, p := range blockkit.Check(blockkit.Modal, m) {
				t.Errorf("%s: %s", where, p)
			}
			r, errs := ParseReview(submitReview(t, m))
			if errs != nil {
				t.Fatalf("%s: an untouched form: %v", where, errs)
			}
			kept := items[:min(n, MaxReviewItems)]
			if r.CycleID != reviewCycle.ID || len(r.KeyResults) != len(kept) {
				t.Fatalf("%s: read %+v, want cycle %d with %d key results", where, r, reviewCycle.ID, len(kept))
			}
			for i, it := range kept {
				got := r.KeyResults[i]
				if got.KeyResultID != it.KeyResult.ID || got.Grade != it.Grade || got.Decision != it.Decision {
					t.Errorf("%s: key result %d read %+v, want grade %v, %s", where, it.KeyResult.ID, got, it.Grade, it.Decision)
				}
			}
			objectives := map[int64]bool{}
			for _, it := range kept {
				objectives[it.Objective.ID] = true
			}
			if len(r.Learned) != len(objectives) {
				t.Errorf("%s: %d notes, want one per objective (%d)", where, len(r.Learned), len(objectives))
			}
			for _, l := range r.Learned {
				if l.Note != fmt.Sprintf("note %d", l.ObjectiveID) {
					t.Errorf("%s: note of %d reads %q", where, l.ObjectiveID, l.Note)
				}
			}
		}
	}
}

// Every grade the form can start from is offered, so the form opens with
// the progress chosen.
func TestReviewModalPrefillsEveryGrade(t *testing.T) {
	for i := 0; i <= 100; i++ {
		g := okrs.RoundGrade(float64(i) / 100)
		it := ReviewItem{KeyResult: okrs.KeyResult{ID: 1, Title: "T", Kind: okrs.Milestone}, Objective: okrs.Objective{ID: 2, Title: "O"}, Grade: g}
		m := ReviewModal(reviewCycle, []ReviewItem{it})
		in := m.Blocks.BlockSet[2].(*slack.InputBlock)
		sel := in.Element.(*slack.SelectBlockElement)
		if sel.InitialOption == nil || sel.InitialOption.Value != gradeValue(g) {
			t.Errorf("grade %v: initial option %+v", g, sel.InitialOption)
		}
	}
}

// What the form did not offer, or a choice left out, is refused on its
// block; nothing else is.
func TestParseReviewRefuses(t *testing.T) {
	items := reviewItems(3, 2, "Teams", "")
	base := ReviewModal(reviewCycle, items)
	tests := []struct {
		name  string
		edit  func(v *slack.View)
		block string
	}{
		{"a grade out of range", func(v *slack.View) { setGrade(v, 2, "1.5") }, ReviewGradeBlock(2)},
		{"a grade between tenths", func(v *slack.View) { setGrade(v, 2, "0.75") }, ReviewGradeBlock(2)},
		{"no grade", func(v *slack.View) { setGrade(v, 3, "") }, ReviewGradeBlock(3)},
		{"no decision", func(v *slack.View) { setDecision(v, 1, "") }, ReviewDecisionBlock(1)},
		{"an unknown decision", func(v *slack.View) { setDecision(v, 3, "postpone") }, ReviewDecisionBlock(3)},
		{"a note too long", func(v *slack.View) {
			v.State.Values[ReviewLearnedBlock(101)][actionLearned] = slack.BlockAction{Value: strings.Repeat("é", okrs.MaxLearnedLen+1)}
		}, ReviewLearnedBlock(101)},
		{"no cycle", func(v *slack.View) { v.PrivateMetadata = "x" }, ReviewDecisionBlock(1)},
	}
	for _, tt := range tests {
		v := submitReview(t, base)
		tt.edit(&v)
		r, errs := ParseReview(v)
		if errs[tt.block] == "" {
			t.Errorf("%s: errors %v, want one on %s", tt.name, errs, tt.block)
		}
		if len(errs) != 1 {
			t.Errorf("%s: errors %v, want only the one", tt.name, errs)
		}
		if r.CycleID != 0 || len(r.KeyResults) != 0 {
			t.Errorf("%s: refused, yet read %+v", tt.name, r)
		}
	}
	if _, errs := ParseReview(slack.View{PrivateMetadata: "7"}); errs == nil {
		t.Error("a form with no state read as a review")
	}
}

func setGrade(v *slack.View, kr int64, value string) {
	v.State.Values[ReviewGradeBlock(kr)][actionGrade] = slack.BlockAction{SelectedOption: slack.OptionBlockObject{Value: value}}
}

func setDecision(v *slack.View, kr int64, value string) {
	v.State.Values[ReviewDecisionBlock(kr)][actionDecision] = slack.BlockAction{SelectedOption: slack.OptionBlockObject{Value: value}}
}

// The store's problems land on the block of what they are about.
func TestReviewErrors(t *testing.T) {
	r := okrs.Review{CycleID: 7,
		KeyResults: []okrs.KeyResultReview{{KeyResultID: 11}, {KeyResultID: 12}},
		Learned:    []okrs.Learned{{ObjectiveID: 5}}}
	ve := &okrs.ValidationError{}
	ve.Add(okrs.FieldDecision, 2, "No next cycle.")
	ve.Add(okrs.FieldGrade, 1, "Too high.")
	ve.Add(okrs.FieldKeyResult, 2, "Gone.")
	ve.Add(okrs.FieldLearned, 1, "Too long.")
	ve.Add(okrs.FieldCycle, 0, "Closed.")
	got := ReviewErrors(r, fmt.Errorf("submit: %w", ve))
	want := map[string]string{
		ReviewDecisionBlock(12): "No next cycle. Gone.",
		ReviewGradeBlock(11):    "Too high.",
		ReviewLearnedBlock(5):   "Too long.",
		ReviewDecisionBlock(11): "Closed.",
	}
	if len(got) != len(want) {
		t.Errorf("ReviewErrors = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("ReviewErrors[%s] = %q, want %q", k, got[k], v)
		}
	}
	if ReviewErrors(r, okrs.ErrNotOwner) != nil {
		t.Error("ErrNotOwner became field errors")
	}
}

// Text a person typed (the cycle's name, objectives, titles, units,
// notes) is shown as text, never a live mention, broadcast or link, and
// bounded to what each field holds.
func TestReviewModalHostileText(t *testing.T) {
	surfaces := func(v string) []blockkittest.Surface {
		c := reviewCycle
		c.Name = blockkittest.Stored(v, okrs.MaxNameLen)
		items := reviewItems(MaxReviewItems, 1, blockkittest.Stored(v, okrs.MaxTitleLen), blockkittest.Stored(v, okrs.MaxUnitLen))
		for i := range items {
			items[i].Learned = blockkittest.Stored(v, okrs.MaxLearnedLen)
		}
		return []blockkittest.Surface{{Name: "review form", Kind: blockkit.Modal, V: ReviewModal(c, items)}}
	}
	blockkittest.CheckHostileText(t, surfaces)
	blockkittest.CheckTextShown(t, surfaces("<!channel>"))
	for kind, v := range blockkittest.Hostile {
		for _, s := range surfaces(v) {
			m := s.V.(slack.ModalViewRequest)
			blockkittest.CheckModalLimits(t, m)
			if _, errs := ParseReview(submitReview(t, m)); errs != nil {
				t.Errorf("%s text: the untouched form is refused: %v", kind, errs)
			}
		}
	}
}

// The form starts from a stored review where there is one, else from
// progress; and from the person's own note, never another's.
func TestReviewItems(t *testing.T) {
	o := okrs.Objective{ID: 5, Title: "Grow"}
	inc := okrs.KeyResult{ID: 1, Title: "Teams", Kind: okrs.IncreaseTo, Start: 40, Target: 60}
	ms := okrs.KeyResult{ID: 2, Title: "Guide", Kind: okrs.Milestone}
	owned := []okrs.OwnedKeyResult{
		{KeyResult: inc, Objective: o, Effective: okrs.Effective{HasValue: true, Value: 55}},
		{KeyResult: ms, Objective: o},
	}
	reviews := []okrs.StoredReview{{KeyResultReview: okrs.KeyResultReview{KeyResultID: 2, Grade: 0.3, Decision: okrs.DecisionDrop}}}
	notes := []okrs.StoredLearned{
		{Learned: okrs.Learned{ObjectiveID: 5, Note: "theirs"}, Author: "U2"},
		{Learned: okrs.Learned{ObjectiveID: 5, Note: "mine"}, Author: "U1"},
	}
	got := ReviewItems(owned, reviews, notes, "U1")
	if len(got) != 2 {
		t.Fatalf("ReviewItems = %+v", got)
	}
	if got[0].Grade != 0.8 || got[0].Decision != "" || got[0].Learned != "mine" {
		t.Errorf("an unreviewed key result starts from %+v, want grade 0.8 from progress, no decision, my note", got[0])
	}
	if got[1].Grade != 0.3 || got[1].Decision != okrs.DecisionDrop {
		t.Errorf("a reviewed key result starts from %+v, want its stored 0.3, drop", got[1])
	}
	if got := ReviewItems(owned, nil, notes, "U3"); got[0].Learned != "" {
		t.Errorf("someone without a note starts from %q", got[0].Learned)
	}
}
