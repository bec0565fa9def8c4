package okrs

import "slices"

// CheckAlignment checks that proposed may align to proposed.Parents, given the
// workspace's cycles and its other objectives with their key results and
// parents (proposed itself, when already stored, may be among them: its
// stored parents are replaced by the proposed ones). A new objective has ID 0.
//
// It refuses, on FieldParents: more than MaxParents parents; a parent listed
// twice; a parent that is not among objectives; the objective itself or one
// of its own key results; an objective or key result aligned under proposed,
// directly or through others, which would close a loop in the alignment
// graph; and a parent in a cycle that ends after proposed's cycle (a parent
// is in the same cycle or one that ends earlier, so an outcome never depends
// on one still running when it is reviewed). It returns nil or a
// *ValidationError listing every problem.
func CheckAlignment(cycles []Cycle, objectives []Objective, proposed Objective) error {
	var ps problems
	if n := len(proposed.Parents); n > MaxParents {
		ps.add(FieldParents, 0, "An objective aligns to at most %d objectives or key results; remove %d.", MaxParents, n-MaxParents)
	}

	cycleByID := make(map[int64]Cycle, len(cycles))
	for _, c := range cycles {
		cycleByID[c.ID] = c
	}
	g := graph{objectives: map[int64]Objective{}, krObjective: map[int64]int64{}}
	for _, o := range slices.Concat(objectives, []Objective{proposed}) {
		if o.ID == 0 {
			continue
		}
		g.objectives[o.ID] = o
		for _, k := range o.KeyResults {
			g.krObjective[k.ID] = o.ID
		}
	}
	own := map[int64]bool{}
	for _, k := range proposed.KeyResults {
		own[k.ID] = true
	}
	childCycle, childCycleKnown := cycleByID[proposed.CycleID]

	seen := map[Ref]bool{}
	for _, p := range proposed.Parents {
		if seen[p] {
			ps.add(FieldParents, 0, "%s is listed twice; keep it once.", g.name(p))
			continue
		}
		seen[p] = true
		switch {
		case p.Kind == RefObjective && p.ID != 0 && p.ID == proposed.ID:
			ps.add(FieldParents, 0, "An objective can't align to itself. Pick an objective or key result it contributes to.")
			continue
		case p.Kind == RefKeyResult && p.ID != 0 && own[p.ID]:
			ps.add(FieldParents, 0, "An objective can't align to one of its own key results. Pick one of another objective.")
			continue
		}
		parent, ok := g.objectiveOf(p)
		if !ok {
			ps.add(FieldParents, 0, "I couldn't find that %s; it may have been deleted. Pick another one.", kindWord(p.Kind))
			continue
		}
		if p.Kind == RefKeyResult && parent.ID == proposed.ID && proposed.ID != 0 {
			ps.add(FieldParents, 0, "An objective can't align to one of its own key results. Pick one of another objective.")
			continue
		}
		if proposed.ID != 0 && g.reaches(parent.ID, proposed.ID) {
			ps.add(FieldParents, 0, "%s already aligns to this objective, so aligning this one to it would go round in a circle. Pick one above this objective instead.", g.name(p))
			continue
		}
		parentCycle, ok := cycleByID[parent.CycleID]
		if !ok || !childCycleKnown {
			ps.add(FieldParents, 0, "I couldn't find the cycle of %s or of this objective. Pick the cycle first.", g.name(p))
			continue
		}
		if parentCycle.End.After(childCycle.End) {
			ps.add(FieldParents, 0, "%s is in %s, which ends after %s (%s). Align to something in the same cycle or one that ends earlier.",
				g.name(p), parentCycle.Name, childCycle.Name, childCycle.End.Format("2 Jan 2006"))
		}
	}
	return ps.err()
}

// graph is the alignment graph: objectives by id and the objective of each
// key result.
type graph struct {
	objectives  map[int64]Objective
	krObjective map[int64]int64
}

// objectiveOf is the objective r is, or the one whose key result it is.
func (g graph) objectiveOf(r Ref) (Objective, bool) {
	id := r.ID
	switch r.Kind {
	case RefObjective:
	case RefKeyResult:
		var ok bool
		if id, ok = g.krObjective[r.ID]; !ok {
			return Objective{}, false
		}
	default:
		return Objective{}, false
	}
	o, ok := g.objectives[id]
	return o, ok
}

// reaches reports whether following parents up from objective from arrives
// at objective to (from itself included). Stored data that already loops is
// walked once.
func (g graph) reaches(from, to int64) bool {
	visited := map[int64]bool{}
	stack := []int64{from}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if id == to {
			return true
		}
		if visited[id] {
			continue
		}
		visited[id] = true
		for _, p := range g.objectives[id].Parents {
			if o, ok := g.objectiveOf(p); ok {
				stack = append(stack, o.ID)
			}
		}
	}
	return false
}

// name quotes the title of what r points at, for a message.
func (g graph) name(r Ref) string {
	o, ok := g.objectiveOf(r)
	if !ok {
		return "That " + kindWord(r.Kind)
	}
	if r.Kind == RefKeyResult {
		for _, k := range o.KeyResults {
			if k.ID == r.ID {
				return "“" + k.Title + "”"
			}
		}
	}
	return "“" + o.Title + "”"
}

// kindWord is how a message names a kind of Ref.
func kindWord(k RefKind) string {
	if k == RefKeyResult {
		return "key result"
	}
	return "objective"
}
