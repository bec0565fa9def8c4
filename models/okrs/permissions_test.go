package okrs_test

import (
	"errors"
	"testing"

	"github.com/trellis-bot/trellis/models/okrs"
)

// CheckChange lets the objective's owner and an admin change anything, a
// key result's owner only the title, target and unit of their own, and
// nobody else anything, not even nothing.
func TestCheckChange(t *testing.T) {
	w := 2.0
	stored := okrs.Objective{ID: 1, Title: "Grow", Owner: "UO", Team: "C1", Visibility: okrs.VisibleTeam,
		Parents: []okrs.Ref{{Kind: okrs.RefObjective, ID: 9}},
		KeyResults: []okrs.KeyResult{
			{ID: 11, Owner: "UK", Title: "Teams 40 to 60", Kind: okrs.IncreaseTo, Start: 40, Target: 60, Unit: "teams", Weight: &w},
			{ID: 12, Owner: "UO", Title: "Guide", Kind: okrs.Milestone},
		}}
	clone := func() okrs.Objective {
		o := stored
		o.Parents = append([]okrs.Ref(nil), stored.Parents...)
		o.KeyResults = append([]okrs.KeyResult(nil), stored.KeyResults...)
		return o
	}
	changes := []struct {
		name   string
		change func(*okrs.Objective)
		byKR   bool // UK, the first key result's owner, may make it
	}{
		{"nothing", func(*okrs.Objective) {}, true},
		{"spaces around the title", func(o *okrs.Objective) { o.Title = " Grow " }, true},
		{"the objective's title", func(o *okrs.Objective) { o.Title = "Shrink" }, false},
		{"the objective's owner", func(o *okrs.Objective) { o.Owner = "UK" }, false},
		{"the team", func(o *okrs.Objective) { o.Team = "C2" }, false},
		{"the visibility", func(o *okrs.Objective) { o.Visibility = okrs.VisibleWorkspace }, false},
		{"the parents", func(o *okrs.Objective) { o.Parents = nil }, false},
		{"UK's title, target and unit", func(o *okrs.Objective) {
			o.KeyResults[0].Title, o.KeyResults[0].Target, o.KeyResults[0].Unit = "Teams to 70", 70, "squads"
		}, true},
		{"UK's start", func(o *okrs.Objective) { o.KeyResults[0].Start = 30 }, false},
		{"UK's kind", func(o *okrs.Objective) { o.KeyResults[0].Kind = okrs.StayAtOrAbove }, false},
		{"UK's owner", func(o *okrs.Objective) { o.KeyResults[0].Owner = "UZ" }, false},
		{"UK's weight", func(o *okrs.Objective) { o.KeyResults[0].Weight = nil }, false},
		{"UK's decimals", func(o *okrs.Objective) { o.KeyResults[0].Decimals = 2 }, false},
		{"UO's key result's title", func(o *okrs.Objective) { o.KeyResults[1].Title = "Guide live" }, false},
		{"the order", func(o *okrs.Objective) { o.KeyResults[0], o.KeyResults[1] = o.KeyResults[1], o.KeyResults[0] }, false},
		{"a key result added", func(o *okrs.Objective) { o.KeyResults = append(o.KeyResults, okrs.KeyResult{Title: "New"}) }, false},
		{"a key result removed", func(o *okrs.Objective) { o.KeyResults = o.KeyResults[:1] }, false},
	}
	actors := []struct {
		name, id string
		admin    bool
		all      bool // may make every change
		kr       bool // may make the changes a key result's owner may
	}{
		{"the objective's owner", "UO", false, true, true},
		{"an admin", "UA", true, true, true},
		{"UK, a key result's owner", "UK", false, false, true},
		{"anyone else", "UZ", false, false, false},
		{"nobody", "", false, false, false},
	}
	for _, a := range actors {
		for _, c := range changes {
			o := clone()
			c.change(&o)
			err := okrs.CheckChange(stored, o, a.id, a.admin)
			want := a.all || (a.kr && c.byKR)
			if want != (err == nil) || (err != nil && !errors.Is(err, okrs.ErrNotOwner)) {
				t.Errorf("%s changing %s: CheckChange = %v, want allowed=%v", a.name, c.name, err, want)
			}
		}
	}
	// "" visibility is the workspace's: not a change.
	open := clone()
	open.Visibility = okrs.VisibleWorkspace
	same := open
	same.Visibility = ""
	if err := okrs.CheckChange(open, same, "UK", false); err != nil {
		t.Errorf("\"\" for workspace visibility counts as a change: %v", err)
	}
	for _, a := range actors {
		for i, k := range stored.KeyResults {
			want := a.all || (a.kr && k.Owner == a.id)
			if got := okrs.MayPostUpdate(stored, k, a.id, a.admin); got != want {
				t.Errorf("MayPostUpdate(%s, key result %d) = %v, want %v", a.name, i+1, got, want)
			}
		}
		if got := okrs.MayChangeObjective(stored, a.id, a.admin); got != a.all {
			t.Errorf("MayChangeObjective(%s) = %v, want %v", a.name, got, a.all)
		}
	}
}
