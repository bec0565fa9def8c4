package peers

// placeLeftovers finds a group for the free people. With pairs, one free
// person (Priority first) joins a pair to make the round's one group of
// three. With groups of three, a free person joins a pair, else pairs with
// another free person, else takes one member of a group of three into a
// new pair with them (leaving two pairs).
func (m *matcher) placeLeftovers() bool {
	if len(m.free) == 0 {
		return false
	}
	if m.size == 2 {
		for _, g := range m.groups {
			if !g.dead && len(g.mem) == 3 {
				return false
			}
		}
		for _, s := range m.freeInOrder() {
			if g := m.bestJoin(s); g >= 0 {
				m.join(g, s)
				return true
			}
		}
		return false
	}
	changed := false
	for _, s := range m.freeInOrder() {
		if m.freePos[s] < 0 {
			continue
		}
		if g := m.bestJoin(s); g >= 0 {
			m.join(g, s)
			changed = true
			continue
		}
		best, bestScore := -1, 0
		for _, t := range m.free {
			if m.eligible(s, t) {
				if sc := m.repeatScore(s, t); best < 0 || sc > bestScore {
					best, bestScore = t, sc
				}
			}
		}
		if best >= 0 {
			m.form(s, best)
			changed = true
			continue
		}
		// Split a group of three {x, y, z} into {x, y} and {z, s}.
		bestG, bestZ := -1, -1
		for id, g := range m.groups {
			if g.dead || len(g.mem) != 3 {
				continue
			}
			for _, z := range g.mem {
				if m.eligible(s, z) {
					if sc := m.repeatScore(s, z); bestG < 0 || sc > bestScore {
						bestG, bestZ, bestScore = id, z, sc
					}
				}
			}
		}
		if bestG >= 0 {
			m.dissolve(bestG)
			rest := make([]int, 0, 2)
			for _, x := range m.groups[bestG].mem {
				if x != bestZ {
					rest = append(rest, x)
				}
			}
			m.form(rest...)
			m.form(bestZ, s)
			changed = true
		}
	}
	return changed
}

// bestJoin is the pair that s can best join as a third: most new pairs,
// then most pairs from different teams. -1 when there is none.
func (m *matcher) bestJoin(s int) int {
	best, bestScore := -1, -1
	var mem [3]int
	for id, g := range m.groups {
		if g.dead || len(g.mem) != 2 {
			continue
		}
		mem = [3]int{g.mem[0], g.mem[1], s}
		if !m.groupOK(mem[:]) {
			continue
		}
		if sc := 8*m.newPairs(mem[:]) + m.crossPairs(mem[:]); sc > bestScore {
			best, bestScore = id, sc
		}
	}
	return best
}

func (m *matcher) join(id, s int) {
	g := m.groups[id]
	g.mem = append(g.mem, s)
	m.grp[s] = id
	m.removeFree(s)
}

// improveSwaps exchanges a member of a group with a repeat with someone in
// another group (or on the free list) whenever that keeps every hard rule
// and raises the number of new pairs: the local optimality Match promises.
func (m *matcher) improveSwaps() bool {
	changed := false
	for gi := 0; gi < len(m.groups); gi++ {
		for m.swapOnce(gi) {
			changed = true
		}
	}
	return changed
}

// swapOnce makes one improving exchange for a repeat pair of group gi.
func (m *matcher) swapOnce(gi int) bool {
	g := m.groups[gi]
	if g.dead || !m.hasRepeat(g.mem) {
		return false
	}
	for _, a := range g.mem {
		for _, b := range g.mem {
			if a == b || !m.hasMet(a, b) {
				continue
			}
			for _, t := range m.compatL[m.sig[a]] {
				for _, c := range m.sigMem[t] {
					if m.trySwap(gi, a, b, c) {
						return true
					}
				}
			}
		}
	}
	return false
}

// trySwap exchanges b (in group gi, with a) and c, if that is allowed and
// raises the number of new pairs.
func (m *matcher) trySwap(gi, a, b, c int) bool {
	hi := m.grp[c]
	if c == a || c == b || hi == gi || !m.eligible(a, c) || m.hasMet(a, c) {
		return false
	}
	if hi < 0 {
		if m.freePos[c] < 0 || (m.c[b].Priority && !m.c[c].Priority) {
			return false
		}
	}
	g := m.groups[gi]
	ga := replaced(g.mem, b, c)
	if !m.groupOK(ga) {
		return false
	}
	before, after := m.newPairs(g.mem), m.newPairs(ga)
	var hb []int
	if hi >= 0 {
		h := m.groups[hi]
		hb = replaced(h.mem, c, b)
		if !m.groupOK(hb) {
			return false
		}
		before += m.newPairs(h.mem)
		after += m.newPairs(hb)
	}
	if after <= before {
		return false
	}
	g.mem = ga
	m.grp[c] = gi
	m.removeFree(c)
	if hi >= 0 {
		m.groups[hi].mem = hb
		m.grp[b] = hi
	} else {
		m.grp[b] = -1
		m.addFree(b)
	}
	return true
}

func replaced(mem []int, old, new int) []int {
	out := make([]int, len(mem))
	for i, x := range mem {
		if x == old {
			x = new
		}
		out[i] = x
	}
	return out
}

// rescuePriority gives a group to each free Priority person who has
// someone eligible: free (a new pair), in a group of three (it splits into
// two pairs), or in a pair with a non-priority person (who takes the
// Priority person's place on the free list).
func (m *matcher) rescuePriority() bool {
	changed := false
	for _, p := range m.freeInOrder() {
		if !m.c[p].Priority || m.freePos[p] < 0 {
			continue
		}
		best, bestScore := -1, -1
		for _, t := range m.compatL[m.sig[p]] {
			for _, q := range m.sigMem[t] {
				if !m.eligible(p, q) {
					continue
				}
				kind := 0
				switch h := m.grp[q]; {
				case h < 0:
					if m.freePos[q] < 0 {
						continue
					}
					kind = 3
				case len(m.groups[h].mem) == 3:
					kind = 2
				default:
					r := m.groups[h].mem[0]
					if r == q {
						r = m.groups[h].mem[1]
					}
					if m.c[r].Priority {
						continue
					}
					kind = 1
				}
				sc := kind * 8
				if !m.hasMet(p, q) {
					sc += 4
				}
				if !m.sameTeam(p, q) {
					sc += 2
				}
				if sc > bestScore {
					best, bestScore = q, sc
				}
			}
		}
		if best < 0 {
			continue
		}
		if h := m.grp[best]; h >= 0 {
			rest := make([]int, 0, 2)
			for _, x := range m.dissolve(h) {
				if x != best {
					rest = append(rest, x)
				}
			}
			if len(rest) == 2 {
				m.form(rest...)
			}
		}
		m.form(p, best)
		changed = true
	}
	return changed
}
