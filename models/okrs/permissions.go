package okrs

import (
	"errors"
	"slices"
	"strings"
)

// Who may do what with an objective: its owner or a workspace admin
// changes the objective and all its key results, closes and deletes it; a
// key result's owner may change that key result's title, target and unit
// and post its updates; the objective's owner and an admin may post
// updates on any of its key results. Nobody else changes anything. These
// are pure functions of the stored objective; the store enforces them.

// ErrNotOwner means a person tried to change an objective or key result
// they may not change.
var ErrNotOwner = errors.New("only the objective's owner or a workspace admin can change it; a key result's owner can change its title, target and unit and post its updates")

// MayChangeObjective reports whether actor may change, close or delete o
// and every key result of it: its owner or an admin.
func MayChangeObjective(o Objective, actor string, admin bool) bool {
	return admin || (actor != "" && o.Owner == actor)
}

// MayPostUpdate reports whether actor may post updates on k, a key result
// of o: k's owner, o's owner or an admin.
func MayPostUpdate(o Objective, k KeyResult, actor string, admin bool) bool {
	return MayChangeObjective(o, actor, admin) || (actor != "" && k.Owner == actor)
}

// CheckChange reports whether actor may turn stored into proposed: nil
// for the objective's owner or an admin; for anyone else nil only when
// they own a key result of it and proposed differs from stored in nothing
// but the title, target and unit of key results they own (same key
// results, in the same order). It returns ErrNotOwner otherwise. What
// UpdateObjective does not change (the cycle, ClosedAt, CarriedFrom of a
// stored key result) is not compared.
func CheckChange(stored, proposed Objective, actor string, admin bool) error {
	if MayChangeObjective(stored, actor, admin) {
		return nil
	}
	ownsOne := actor != "" && slices.ContainsFunc(stored.KeyResults, func(k KeyResult) bool { return k.Owner == actor })
	if !ownsOne || !sameObjective(stored, proposed) || len(stored.KeyResults) != len(proposed.KeyResults) {
		return ErrNotOwner
	}
	for i, old := range stored.KeyResults {
		k := proposed.KeyResults[i]
		if k.ID != old.ID {
			return ErrNotOwner
		}
		if sameKeyResult(old, k) {
			continue
		}
		own := old
		own.Title, own.Target, own.Unit = k.Title, k.Target, k.Unit
		if old.Owner != actor || !sameKeyResult(own, k) {
			return ErrNotOwner
		}
	}
	return nil
}

// sameObjective compares what UpdateObjective changes of an objective
// itself: title, owner, team, visibility and parents.
func sameObjective(a, b Objective) bool {
	return strings.TrimSpace(a.Title) == strings.TrimSpace(b.Title) && a.Owner == b.Owner && a.Team == b.Team &&
		visibility(a.Visibility) == visibility(b.Visibility) && slices.Equal(a.Parents, b.Parents)
}

// sameKeyResult compares what UpdateObjective changes of a key result.
func sameKeyResult(a, b KeyResult) bool {
	return strings.TrimSpace(a.Title) == strings.TrimSpace(b.Title) && a.Owner == b.Owner && a.Kind == b.Kind &&
		a.Start == b.Start && a.Target == b.Target && strings.TrimSpace(a.Unit) == strings.TrimSpace(b.Unit) &&
		a.Decimals == b.Decimals && a.EffectiveWeight() == b.EffectiveWeight() && (a.Weight == nil) == (b.Weight == nil)
}

// visibility is v with "" read as VisibleWorkspace.
func visibility(v Visibility) Visibility {
	if v == "" {
		return VisibleWorkspace
	}
	return v
}
