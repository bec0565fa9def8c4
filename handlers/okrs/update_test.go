package okrs_test

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/models/okrs"
)

// shownKRs is how many key results the update form shows of n.
func shownKRs(m slack.ModalViewRequest) []int64 {
	var ids []int64
	for _, b := range m.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok && strings.HasPrefix(in.BlockID, "okr_value_") {
			var id int64
			fmt.Sscan(strings.TrimPrefix(in.BlockID, "okr_value_"), &id)
			ids = append(ids, id)
		}
	}
	return ids
}

// TestUpdateModalFits: for any number of key results and the longest
// texts, the form keeps Slack's limits (100 blocks, 3000 characters of
// private_metadata, every element's), shows as many as fit in order, and
// says how many it left out.
func TestUpdateModalFits(t *testing.T) {
	for _, n := range []int{1, 2, 5, 20, 24, 25, 60, 500} {
		for _, title := range []string{"Revenue", strings.Repeat("<!channel> & ", 40)} {
			its := items(n, title)
			for i := range its {
				its[i].KR.ID = math.MaxInt64 - int64(i) // the longest ids
				its[i].Current.LastID = math.MaxInt64 - int64(i)
			}
			m := okrhandlers.UpdateModal(its, now, "A notice from Trellis.")
			checkModalLimits(t, m)
			for _, p := range blockkit.Check(blockkit.Modal, m) {
				t.Errorf("%d key results: %s", n, p)
			}
			ids := shownKRs(m)
			if len(ids) != min(n, 24) {
				t.Errorf("%d key results: the form shows %d, want %d", n, len(ids), min(n, 24))
			}
			// All in the order given when they fit; else the ones never
			// updated (every third) first, then the oldest updates, still in
			// the order given.
			var want []int64
			for _, never := range []bool{true, false} {
				for i, it := range its {
					if len(want) < min(n, 24) && (it.Current.LastAt.IsZero() == never) && (i%3 == 2) == never {
						want = append(want, it.KR.ID)
					}
				}
			}
			slices.SortFunc(want, func(a, b int64) int { return cmp.Compare(b, a) }) // ids count down here
			if fmt.Sprint(ids) != fmt.Sprint(want) {
				t.Errorf("%d key results: the form shows %v, want %v", n, ids, want)
			}
			raw := string(mustJSON(t, m))
			if left := n - len(ids); left > 0 && !strings.Contains(raw, fmt.Sprintf("%d more key result", left)) {
				t.Errorf("%d key results: the form does not say %d are left out", n, left)
			}
			if n <= 24 && strings.Contains(raw, "don't fit") {
				t.Errorf("%d key results: the form says some are left out", n)
			}
		}
	}
}

// TestUpdateModalEmpty: without key results the form says how to create
// one and cannot be submitted.
func TestUpdateModalEmpty(t *testing.T) {
	m := okrhandlers.UpdateModal(nil, now, "")
	for _, p := range blockkit.Check(blockkit.Modal, m) {
		t.Error(p)
	}
	if m.Submit != nil {
		t.Error("an empty update form has a Submit button")
	}
	if !strings.Contains(string(mustJSON(t, m)), "/trellis okr new") {
		t.Error("an empty update form does not say how to create a key result")
	}
}

// TestUpdateModalPrefills: each key result's value is prefilled with its
// current value (its start before any update) in its decimals, a
// milestone with done / not done, the confidence with the current one.
func TestUpdateModalPrefills(t *testing.T) {
	its := items(10, "x")
	m := okrhandlers.UpdateModal(its, now, "")
	values := submit(t, m)
	for _, it := range its {
		v := one(values[okrhandlers.UpdateValueBlockID(it.KR.ID)])
		want := okrhandlers.FormatNumber(47.25, it.KR.Decimals)
		switch {
		case it.KR.Kind == okrs.Milestone && it.Current.HasValue:
			want = okrhandlers.ValueDone
		case it.KR.Kind == okrs.Milestone:
			want = okrhandlers.ValueNotDone
		case !it.Current.HasValue:
			want = okrhandlers.FormatNumber(it.KR.Start, it.KR.Decimals)
		}
		got := v.Value
		if it.KR.Kind == okrs.Milestone {
			got = v.SelectedOption.Value
		}
		if got != want {
			t.Errorf("KR %d (%s): prefilled %q, want %q", it.KR.ID, it.KR.Kind, got, want)
		}
		if c := one(values[okrhandlers.UpdateConfidenceBlockID(it.KR.ID)]).SelectedOption.Value; c != string(it.Current.Confidence) {
			t.Errorf("KR %d: confidence prefilled %q, want %q", it.KR.ID, c, it.Current.Confidence)
		}
	}
}

// one is the only action of a block's state.
func one(m map[string]slack.BlockAction) slack.BlockAction {
	for _, a := range m {
		return a
	}
	return slack.BlockAction{}
}

// set changes the action of block in values.
func set(values map[string]map[string]slack.BlockAction, block string, f func(*slack.BlockAction)) {
	for id, a := range values[block] {
		f(&a)
		values[block][id] = a
		return
	}
	a := slack.BlockAction{}
	f(&a)
	values[block] = map[string]slack.BlockAction{"x": a}
}

// TestParseUpdate: every way of filling the form in gives the updates it
// means, or messages on the right fields and no update at all.
func TestParseUpdate(t *testing.T) {
	// Key results 1000 (increase, on track at 47.25), 1001 (decrease),
	// 1002 (stay at or above, no update yet), 1004 (milestone).
	base := items(5, "Revenue")
	base[0].Current.Confidence = okrs.OnTrack
	base[0].KR.Decimals = 0 // shown as 47: the stored 47.25 must survive
	value := func(id int64, v string) func(map[string]map[string]slack.BlockAction) {
		return func(vs map[string]map[string]slack.BlockAction) {
			set(vs, okrhandlers.UpdateValueBlockID(id), func(a *slack.BlockAction) { a.Value = v })
		}
	}
	choice := func(block, v string) func(map[string]map[string]slack.BlockAction) {
		return func(vs map[string]map[string]slack.BlockAction) {
			set(vs, block, func(a *slack.BlockAction) { a.SelectedOption = slack.OptionBlockObject{Value: v} })
		}
	}
	note := func(id int64, v string) func(map[string]map[string]slack.BlockAction) {
		return func(vs map[string]map[string]slack.BlockAction) {
			set(vs, okrhandlers.UpdateNoteBlockID(id), func(a *slack.BlockAction) { a.Value = v })
		}
	}
	tick := func(id int64) func(map[string]map[string]slack.BlockAction) {
		return func(vs map[string]map[string]slack.BlockAction) {
			set(vs, okrhandlers.UpdateKRBlockID(id), func(a *slack.BlockAction) {
				a.SelectedOptions = []slack.OptionBlockObject{{Value: okrhandlers.ValueNoChange}}
			})
		}
	}
	conf := func(id int64, c okrs.Confidence) func(map[string]map[string]slack.BlockAction) {
		return choice(okrhandlers.UpdateConfidenceBlockID(id), string(c))
	}
	type change = func(map[string]map[string]slack.BlockAction)
	tests := []struct {
		name    string
		changes []change
		// now changes the stored key results after the form was drawn.
		now    func([]okrhandlers.Item) []okrhandlers.Item
		want   []okrs.Update
		errsOn map[string]string // block → part of the message
	}{
		{name: "nothing touched", errsOn: map[string]string{okrhandlers.UpdateValueBlockID(1000): "Nothing to save"}},
		{name: "a new value keeps the confidence", changes: []change{value(1000, "1,234.5")},
			want: []okrs.Update{{KeyResultID: 1000, Value: 1234.5, Confidence: okrs.OnTrack}}},
		{name: "percent and blanks", changes: []change{value(1000, "  55% ")},
			want: []okrs.Update{{KeyResultID: 1000, Value: 55, Confidence: okrs.OnTrack}}},
		{name: "only the confidence keeps the exact stored value", changes: []change{conf(1000, okrs.OffTrack)},
			want: []okrs.Update{{KeyResultID: 1000, Value: 47.25, Confidence: okrs.OffTrack}}},
		{name: "a note alone is an update", changes: []change{note(1001, "  slow week  ")},
			want: []okrs.Update{{KeyResultID: 1001, Value: 47.25, Confidence: okrs.AtRisk, Note: "slow week"}}},
		{name: "no change ticked", changes: []change{tick(1000), tick(1002)},
			want: []okrs.Update{{KeyResultID: 1000, NoChange: true}, {KeyResultID: 1002, NoChange: true}}},
		{name: "no change with a note", changes: []change{tick(1001), note(1001, "same as last week")},
			want: []okrs.Update{{KeyResultID: 1001, NoChange: true, Note: "same as last week"}}},
		{name: "milestone done", changes: []change{choice(okrhandlers.UpdateValueBlockID(1004), okrhandlers.ValueDone), conf(1004, okrs.OnTrack)},
			want: []okrs.Update{{KeyResultID: 1004, Value: 1, Confidence: okrs.OnTrack}}},
		{name: "several at once, in form order", changes: []change{value(1001, "50"), tick(1000)},
			want: []okrs.Update{{KeyResultID: 1000, NoChange: true}, {KeyResultID: 1001, Value: 50, Confidence: okrs.AtRisk}}},

		{name: "not a number", changes: []change{value(1000, "abc"), value(1001, "51")},
			errsOn: map[string]string{okrhandlers.UpdateValueBlockID(1000): "isn't a number"}},
		{name: "an emptied value", changes: []change{value(1001, "")},
			errsOn: map[string]string{okrhandlers.UpdateValueBlockID(1001): "Type the new value"}},
		{name: "a value without a confidence", changes: []change{value(1002, "41")},
			errsOn: map[string]string{okrhandlers.UpdateConfidenceBlockID(1002): "on track, at risk or off track"}},
		{name: "a note too long", changes: []change{note(1000, strings.Repeat("n", okrs.MaxNoteLen+1))},
			errsOn: map[string]string{okrhandlers.UpdateNoteBlockID(1000): "keep it to 2000"}},
		{name: "no change and a new value", changes: []change{tick(1000), value(1000, "50")},
			errsOn: map[string]string{okrhandlers.UpdateValueBlockID(1000): "No change"}},
		{name: "no change and a new confidence", changes: []change{tick(1000), conf(1000, okrs.AtRisk)},
			errsOn: map[string]string{okrhandlers.UpdateConfidenceBlockID(1000): "No change"}},
		{name: "a milestone choice the form never offered", changes: []change{choice(okrhandlers.UpdateValueBlockID(1004), "maybe")},
			errsOn: map[string]string{okrhandlers.UpdateValueBlockID(1004): "done or not done"}},
		{name: "a confidence the form never offered", changes: []change{conf(1000, "sure")},
			errsOn: map[string]string{okrhandlers.UpdateConfidenceBlockID(1000): "on track, at risk or off track"}},
		{name: "updated elsewhere since the form opened", changes: []change{value(1000, "50")},
			now: func(its []okrhandlers.Item) []okrhandlers.Item {
				its[0].Current.LastID = 9999
				its[0].Current.Value = 52
				return its
			},
			errsOn: map[string]string{okrhandlers.UpdateValueBlockID(1000): "updated somewhere else after this form opened (it's now 52 / 60 Revenue, on track)"}},
		{name: "updated elsewhere but untouched here is skipped", changes: []change{value(1001, "50")},
			now: func(its []okrhandlers.Item) []okrhandlers.Item {
				its[0].Current.LastID = 9999
				return its
			},
			want: []okrs.Update{{KeyResultID: 1001, Value: 50, Confidence: okrs.AtRisk}}},
		{name: "no longer the person's", changes: []change{tick(1003)},
			now:    func(its []okrhandlers.Item) []okrhandlers.Item { return append(its[:3:3], its[4:]...) },
			errsOn: map[string]string{okrhandlers.UpdateValueBlockID(1003): "isn't yours"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			its := items(5, "Revenue")
			copy(its, base)
			m := okrhandlers.UpdateModal(its, now, "")
			values := submit(t, m)
			for _, c := range tt.changes {
				c(values)
			}
			stored := append([]okrhandlers.Item(nil), its...)
			if tt.now != nil {
				stored = tt.now(stored)
			}
			got, errs, err := okrhandlers.ParseUpdate(stored, m.PrivateMetadata, values)
			if err != nil {
				t.Fatal(err)
			}
			if tt.errsOn != nil {
				if got != nil {
					t.Errorf("updates %+v returned with errors", got)
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
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("updates\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

// TestParseUpdateOutdatedForm: a form whose private_metadata another
// version wrote is refused, not misread.
func TestParseUpdateOutdatedForm(t *testing.T) {
	for _, meta := range []string{"", "12,13", "okr-update/0;1000,1,2,on_track", "okr-update/1;x,1,2,", "okr-update/1;1000,1,2"} {
		_, _, err := okrhandlers.ParseUpdate(items(5, "x"), meta, nil)
		if !errors.Is(err, okrhandlers.ErrUpdateFormOutdated) {
			t.Errorf("ParseUpdate(%q) = %v, want ErrUpdateFormOutdated", meta, err)
		}
	}
}
