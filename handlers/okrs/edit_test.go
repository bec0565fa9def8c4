package okrs

import (
	"testing"

	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// TestEditFormRoundTrip: the edit form, left untouched, reads back as the
// objective it was filled from — title, team, visibility, alignment and
// every key result's title, kind, start, target, unit, decimals and owner —
// for every kind, and the key results' ids come back from its metadata by
// the rows that were filled, so none is mistaken for another.
func TestEditFormRoundTrip(t *testing.T) {
	weight := 2.0
	for _, o := range []okrs.Objective{
		{ID: 7, CycleID: 1, Title: "Grow the community", Owner: "U0ANA", Team: "C0GROWTH", Visibility: okrs.VisibleTeam,
			Parents: []okrs.Ref{{Kind: okrs.RefKeyResult, ID: 3}},
			KeyResults: []okrs.KeyResult{
				{ID: 11, Owner: "U0ANA", Title: "Members", Kind: okrs.IncreaseTo, Start: 100, Target: 200, Unit: "people"},
				{ID: 12, Owner: "U0BEN", Title: "Churn", Kind: okrs.DecreaseTo, Start: 5.5, Target: 2.25, Unit: "%", Decimals: 2},
				{ID: 13, Owner: "U0ANA", Title: "Uptime", Kind: okrs.StayAtOrAbove, Start: 0, Target: 99.9, Unit: "%", Decimals: 1},
				{ID: 14, Owner: "U0CARA", Title: "Latency", Kind: okrs.StayAtOrBelow, Start: 300, Target: 250, Unit: "ms", Weight: &weight},
				{ID: 15, Owner: "U0ANA", Title: "Launch", Kind: okrs.Milestone},
			}},
		{ID: 8, CycleID: 1, Title: "Be known", Owner: "U0ANA", Visibility: okrs.VisibleWorkspace,
			KeyResults: []okrs.KeyResult{{ID: 21, Owner: "U0ANA", Title: "Talks", Kind: okrs.IncreaseTo, Start: -3, Target: 4}}},
	} {
		var aligned []Alignment
		for _, p := range o.Parents {
			aligned = append(aligned, Alignment{Ref: p, Title: "parent"})
		}
		m := NewObjectiveModal(NewObjective{Cycles: []okrs.Cycle{{ID: 1, Name: "Spring"}}, Cycle: o.CycleID, Team: o.Team, Submitter: o.Owner, Aligned: aligned, Editing: &o})
		m.PrivateMetadata = editMeta(o)
		blockkittest.CheckModalLimits(t, m)
		for _, p := range blockkit.Check(blockkit.Modal, m) {
			t.Errorf("objective %d: %s", o.ID, p)
		}
		values := blockkittest.Submit(t, m)
		got, errs := ParseNewObjective(values, o.Owner)
		if len(errs) > 0 {
			t.Fatalf("objective %d, untouched: %v", o.ID, errs)
		}
		id, ids, ok := parseEditMeta(m.PrivateMetadata)
		if !ok || id != o.ID {
			t.Fatalf("metadata %q read as %d, %v", m.PrivateMetadata, id, ok)
		}
		rows := filledRows(values)
		if got.Title != o.Title || got.Team != o.Team || got.Visibility != o.Visibility || got.CycleID != o.CycleID ||
			len(got.Parents) != len(o.Parents) || len(got.KeyResults) != len(o.KeyResults) || len(rows) != len(o.KeyResults) {
			t.Fatalf("objective %d read back as %+v (rows %v)", o.ID, got, rows)
		}
		for i, want := range o.KeyResults {
			k := got.KeyResults[i]
			if ids[rows[i]-1] != want.ID {
				t.Errorf("row %d's id = %d, want %d", rows[i], ids[rows[i]-1], want.ID)
			}
			same := k.Title == want.Title && k.Kind == want.Kind && k.Owner == want.Owner && k.Unit == want.Unit && k.Decimals == want.Decimals
			if want.Kind != okrs.Milestone {
				same = same && k.Start == want.Start && k.Target == want.Target
			}
			if !same {
				t.Errorf("objective %d, key result %d read back as %+v", o.ID, want.ID, k)
			}
		}
	}
}

// TestParseEditMeta: only what editMeta writes is read; anything else is
// refused rather than misread.
func TestParseEditMeta(t *testing.T) {
	for meta, want := range map[string]bool{
		"edit:12:34,35": true, "edit:12:": true,
		"new": false, "edit:12": false, "edit:x:1": false, "edit:12:1,,2": false, "edit:-1:": false, "edit:12:1:2": false, "": false,
	} {
		if _, _, ok := parseEditMeta(meta); ok != want {
			t.Errorf("parseEditMeta(%q) ok = %v, want %v", meta, ok, want)
		}
	}
	o := okrs.Objective{ID: 9, KeyResults: []okrs.KeyResult{{ID: 1}, {ID: 22}}}
	if id, ids, ok := parseEditMeta(editMeta(o)); !ok || id != 9 || len(ids) != 2 || ids[0] != 1 || ids[1] != 22 {
		t.Errorf("round trip of %q: %d %v %v", editMeta(o), id, ids, ok)
	}
}

// TestParseConfidence: a confidence at the start of the text, however
// written, and the rest as the note; no confidence leaves it all a note.
func TestParseConfidence(t *testing.T) {
	for in, want := range map[string]struct {
		c    okrs.Confidence
		note string
	}{
		"on track":                 {okrs.OnTrack, ""},
		"At-Risk the vendor slips": {okrs.AtRisk, "the vendor slips"},
		"off_track":                {okrs.OffTrack, ""},
		"off trackers":             {"", "off trackers"},
		"typo in the first number": {"", "typo in the first number"},
		"":                         {"", ""},
	} {
		c, note := parseConfidence(in)
		if c != want.c || note != want.note {
			t.Errorf("parseConfidence(%q) = %q, %q; want %q, %q", in, c, note, want.c, want.note)
		}
	}
}

// TestRefs: a picked channel or person reads as its id, whatever Slack
// wrapped it in.
func TestRefs(t *testing.T) {
	for in, want := range map[string]string{"<#C0GROWTH|growth>": "C0GROWTH", "<#C0GROWTH>": "C0GROWTH", "C0GROWTH": "C0GROWTH", " #growth": "#growth"} {
		if got := channelRef(in); got != want {
			t.Errorf("channelRef(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"<@U0ANA|ana>": "U0ANA", "<@U0ANA>": "U0ANA", "U0ANA": "U0ANA", "@ana": "@ana"} {
		if got := userRef(in); got != want {
			t.Errorf("userRef(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUpdateErrors: each store problem lands on the field of the key
// result it is about, problems of one field joined; one about no update
// in particular lands on the first.
func TestUpdateErrors(t *testing.T) {
	ups := []okrs.Update{{KeyResultID: 4}, {KeyResultID: 9}}
	ve := &okrs.ValidationError{Problems: []okrs.Problem{
		{Field: okrs.FieldValue, Item: 1, Message: "a"},
		{Field: okrs.FieldNote, Item: 2, Message: "b"},
		{Field: okrs.FieldConfidence, Item: 2, Message: "c"},
		{Field: okrs.FieldValue, Item: 1, Message: "d"},
		{Field: okrs.FieldKeyResult, Item: 0, Message: "e"},
	}}
	got := updateErrors(ups, ve)
	want := map[string]string{UpdateValueBlockID(4): "a d e", UpdateNoteBlockID(9): "b", UpdateConfidenceBlockID(9): "c"}
	if len(got) != len(want) {
		t.Fatalf("updateErrors = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("updateErrors[%s] = %q, want %q", k, got[k], v)
		}
	}
}
