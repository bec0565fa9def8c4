package peers

// Restructuring places a free person whose every possible partner is
// already in a group. The person u takes a partner v out of v's group
// into a new pair. If v came from a group of three, the two left stay a
// pair and u is placed. If v came from a pair, v's old partner x is now
// alone and is placed the same way: x pairs with a free person, joins a
// pair as its third (with pairs, only while the round has no group of
// three; the pair may be one this restructuring made), or takes a partner
// out of another group in turn, and so on, breaking up at most chainDepth
// groups. Nobody in a group is ever left out by it, so each one places one
// more person; repeats are allowed, but only once no restructuring made
// of new pairs alone is found. Only when none is found for a Priority
// person may the one left alone at the end be left out, if they are not
// Priority: the round then places as many people, and one more of them
// Priority.
//
// Every restructuring that breaks up at most two groups is tried (the
// property test holds that promise by brute force), deeper ones up to
// chainDepth while the search's work allows. The work of all searches of
// one Match is bounded too: a round of 10,000 with hundreds of people
// nobody can place stays fast (BenchmarkMatchCrowded10k), while rounds of
// a few dozen use a tiny part of it.

const (
	// chainDepth is the most groups one restructuring breaks up.
	chainDepth = 3
	// shallowBudget bounds the search of restructurings breaking up at
	// most two groups; deepBudget the one going deeper. Both count people
	// looked at.
	shallowBudget = 1 << 18
	deepBudget    = 1 << 13
	// restructureBudget bounds the work of all restructuring searches of
	// one Match, so a round of many people nobody can place stays fast.
	restructureBudget = 1 << 20
)

// chainStep is u taking v out of group g.
type chainStep struct{ u, v, g int }

// chainEnd says how the last person of a restructuring is placed.
type chainEnd int

const (
	endFree   chainEnd = iota // pairs with the free person w
	endShrink                 // the last step took v out of a group of three
	endJoin                   // joins group h, or the pair made at step -h-1 when h < 0
	endDrop                   // is left out: someone without Priority, for a Priority root
)

// chainSearch is one search for a restructuring placing root.
type chainSearch struct {
	m           *matcher
	root        int
	allowRepeat bool
	allowDrop   bool // the root has Priority and may leave out someone who has not
	maxDepth    int
	canJoin     bool // a group of three may be made by joining a pair
	budget      int
	onPath      []bool

	steps []chainStep
	end   chainEnd
	w, h  int
}

// restructureAll tries to place every free person, in matching order, by
// a restructuring.
func (m *matcher) restructureAll() bool {
	changed := false
	for _, u := range m.freeInOrder() {
		if m.freePos[u] < 0 || m.chainWork <= 0 {
			continue
		}
		if m.restructure(u) {
			changed = true
		}
	}
	return changed
}

// restructure places u by a restructuring if it finds one: new pairs
// only if it can, breaking up as few groups as it can within the budgets.
func (m *matcher) restructure(u int) bool {
	if m.onPath == nil {
		m.onPath = make([]bool, len(m.c))
	}
	canJoin := m.size == 3
	if !canJoin {
		canJoin = true
		for _, g := range m.groups {
			if !g.dead && len(g.mem) == 3 {
				canJoin = false
				break
			}
		}
	}
	for _, allowDrop := range []bool{false, true} {
		if allowDrop && !m.c[u].Priority {
			break
		}
		for _, allowRepeat := range []bool{false, true} {
			for _, d := range []struct{ depth, budget int }{{2, shallowBudget}, {chainDepth, deepBudget}} {
				s := &chainSearch{m: m, root: u, allowRepeat: allowRepeat, allowDrop: allowDrop, maxDepth: d.depth,
					canJoin: canJoin, budget: min(d.budget, m.chainWork), onPath: m.onPath}
				found := s.place(u, 0)
				m.chainWork -= min(d.budget, m.chainWork) - max(s.budget, 0)
				if found {
					s.apply()
					return true
				}
			}
		}
	}
	return false
}

// edge says whether u and v may be put together in a new pair.
func (s *chainSearch) edge(u, v int) bool {
	return s.m.eligible(u, v) && (s.allowRepeat || !s.m.hasMet(u, v))
}

// joinable says whether u may join the pair a, b as its third.
func (s *chainSearch) joinable(u, a, b int) bool {
	return s.edge(u, a) && s.edge(u, b) && s.m.tripleOK(a, b, u)
}

// place looks for a way to place u, who has no group, at the given depth
// (the number of groups already broken up). It records the way found.
func (s *chainSearch) place(u, depth int) bool {
	m := s.m
	s.onPath[u] = true
	defer func() { s.onPath[u] = false }()
	// A free partner.
	for _, w := range m.free {
		if s.budget--; s.budget < 0 {
			return false
		}
		if w != s.root && !s.onPath[w] && s.edge(u, w) {
			s.end, s.w = endFree, w
			return true
		}
	}
	// A pair to join: one this restructuring made, or one left alone.
	if s.canJoin {
		for k := len(s.steps) - 1; k >= 0; k-- {
			if st := s.steps[k]; s.joinable(u, st.u, st.v) {
				s.end, s.h = endJoin, -k-1
				return true
			}
		}
		for _, t := range m.compatL[m.sig[u]] {
			for _, z := range m.sigMem[t] {
				if s.budget--; s.budget < 0 {
					return false
				}
				g := m.grp[z]
				if g < 0 || s.onPath[z] || len(m.groups[g].mem) != 2 {
					continue
				}
				if mem := m.groups[g].mem; s.joinable(u, mem[0], mem[1]) {
					s.end, s.h = endJoin, g
					return true
				}
			}
		}
	}
	if s.allowDrop && u != s.root && !m.c[u].Priority {
		s.end = endDrop
		return true
	}
	if depth == s.maxDepth {
		return false
	}
	// Take a partner out of a group of three: the two left stay a pair.
	for _, t := range m.compatL[m.sig[u]] {
		for _, v := range m.sigMem[t] {
			if s.budget--; s.budget < 0 {
				return false
			}
			if g := m.grp[v]; g >= 0 && len(m.groups[g].mem) == 3 && s.edge(u, v) {
				s.steps = append(s.steps, chainStep{u, v, g})
				s.end = endShrink
				return true
			}
		}
	}
	// Take a partner out of a pair, and place the one left alone.
	for _, t := range m.compatL[m.sig[u]] {
		for _, v := range m.sigMem[t] {
			if s.budget--; s.budget < 0 {
				return false
			}
			g := m.grp[v]
			if g < 0 || s.onPath[v] || len(m.groups[g].mem) != 2 || !s.edge(u, v) {
				continue
			}
			x := m.groups[g].mem[0]
			if x == v {
				x = m.groups[g].mem[1]
			}
			s.onPath[v] = true
			s.steps = append(s.steps, chainStep{u, v, g})
			ok := s.place(x, depth+1)
			s.onPath[v] = false
			if ok {
				return true
			}
			s.steps = s.steps[:len(s.steps)-1]
			if s.budget < 0 {
				return false
			}
		}
	}
	return false
}

// apply carries out the restructuring found.
func (s *chainSearch) apply() {
	m := s.m
	last := s.root
	for _, st := range s.steps {
		g := m.groups[st.g]
		if len(g.mem) == 3 { // endShrink
			rest := make([]int, 0, 2)
			for _, x := range g.mem {
				if x != st.v {
					rest = append(rest, x)
				}
			}
			g.mem = rest
			m.grp[st.v] = -1
			continue
		}
		last = g.mem[0]
		if last == st.v {
			last = g.mem[1]
		}
		m.dissolve(st.g)
	}
	made := make([]int, len(s.steps))
	for k, st := range s.steps {
		made[k] = m.form(st.u, st.v)
	}
	switch s.end {
	case endFree:
		m.form(last, s.w)
	case endDrop:
		// last stays on the free list.
	case endJoin:
		h := s.h
		if h < 0 {
			h = made[-h-1]
		}
		m.join(h, last)
	}
}
