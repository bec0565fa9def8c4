package peers

// The matching's phases. First a greedy pass gives everyone, in matching
// order, the best free partner who is new to them; bounded searches for
// augmenting paths then match more people with new partners; who is still
// free gets the partner they met longest ago; and a repair loop places
// leftovers, restructures groups to place whoever is still free,
// exchanges members to turn repeats into new pairs, and puts Priority
// people in the place of others. Each repair step raises (Priority people
// placed, people placed, new pairs) in that order, so the loop ends.

const (
	// probes is how many random people the greedy pass tries before it
	// scans everyone who shares hours with the person.
	probes = 16
	// augmentBudget bounds the work of one augmenting-path search,
	// augmentTotal that of all of one Match.
	augmentBudget = 20000
	augmentTotal  = 1 << 21
)

func (m *matcher) run() {
	if m.size == 3 {
		m.greedyTriples()
	} else {
		m.greedyPairs()
		for _, a := range m.freeInOrder() {
			if m.freePos[a] >= 0 {
				m.augment(a, false)
			}
		}
		m.pairRepeats()
		m.augmentAll()
	}
	for range 1 << 20 { // the loop ends long before: see above
		changed := m.placeLeftovers()
		changed = m.restructureAll() || changed
		changed = m.improveSwaps() || changed
		changed = m.rescuePriority() || changed
		if m.size == 2 && changed {
			m.augmentAll()
		}
		if !changed {
			return
		}
	}
}

func (m *matcher) augmentAll() {
	for _, a := range m.freeInOrder() {
		if m.freePos[a] >= 0 {
			m.augment(a, true)
		}
	}
}

// pickNew finds the best free partner for a who is new to a (and to with,
// when with >= 0: then it picks the third of a group): eligible with both,
// new to both, from another team if it can; random among equals. -1 when
// there is none.
func (m *matcher) pickNew(a, with int) int {
	ok := func(j int) (good, perfect bool) {
		if j == a || j == with || m.freePos[j] < 0 || !m.eligible(a, j) || m.hasMet(a, j) {
			return false, false
		}
		if with >= 0 && (!m.eligible(with, j) || m.hasMet(with, j) || !m.tripleOK(a, with, j)) {
			return false, false
		}
		return true, !m.sameTeam(a, j) && (with < 0 || !m.sameTeam(with, j))
	}
	best := -1
	if len(m.free) > 0 {
		for range probes {
			j := m.free[m.rng.IntN(len(m.free))]
			good, perfect := ok(j)
			if perfect {
				return j
			}
			if good && best < 0 {
				best = j
			}
		}
	}
	// Scan everyone sharing hours with a, from a random place.
	cl := m.compatL[m.sig[a]]
	if len(cl) == 0 {
		return best
	}
	start := m.rng.IntN(len(cl))
	for k := range cl {
		mem := m.sigMem[cl[(start+k)%len(cl)]]
		if len(mem) == 0 {
			continue
		}
		off := m.rng.IntN(len(mem))
		for x := range mem {
			j := mem[(off+x)%len(mem)]
			good, perfect := ok(j)
			if perfect {
				return j
			}
			if good && best < 0 {
				best = j
			}
		}
	}
	return best
}

// greedyPairs gives each free person, in matching order, their best new
// partner among the free.
func (m *matcher) greedyPairs() {
	for _, a := range m.order {
		if m.freePos[a] < 0 {
			continue
		}
		if b := m.pickNew(a, -1); b >= 0 {
			m.form(a, b)
		}
	}
}

// greedyTriples does the same for groups of three; a pair that finds no
// third stays a pair.
func (m *matcher) greedyTriples() {
	for _, a := range m.order {
		if m.freePos[a] < 0 || len(m.free) < 2 {
			continue
		}
		b := m.pickNew(a, -1)
		if b < 0 {
			continue
		}
		if len(m.free) >= 3 {
			if c := m.pickNew(a, b); c >= 0 {
				m.form(a, b, c)
				continue
			}
		}
		m.form(a, b)
	}
}

// pairRepeats pairs the free people who found nobody new with the free
// partner they met longest ago (a new one if one is still there).
func (m *matcher) pairRepeats() {
	for _, a := range m.freeInOrder() {
		if m.freePos[a] < 0 {
			continue
		}
		best, bestScore := -1, 0
		for _, b := range m.free {
			if !m.eligible(a, b) {
				continue
			}
			score := m.repeatScore(a, b)
			if best < 0 || score > bestScore {
				best, bestScore = b, score
			}
		}
		if best >= 0 {
			m.form(a, best)
		}
	}
}

// repeatScore ranks b as a's partner: new first, then met longest ago,
// then from another team.
func (m *matcher) repeatScore(a, b int) int {
	score := 0
	if r, ok := m.met[pairKey(a, b)]; ok {
		score = -4*(r-minRound) - 4 // older rounds score higher
	} else {
		score = 1 << 40
	}
	if !m.sameTeam(a, b) {
		score += 2
	}
	return score
}

// minRound keeps repeatScore's arithmetic away from overflow for any Round.
const minRound = -1 << 30

// augment looks for an alternating path from the free person root through
// pairs to another free person and flips it, so both ends get a partner
// and nobody loses one. Unless allowRepeat, every new pair is new.
func (m *matcher) augment(root int, allowRepeat bool) bool {
	m.stamp++
	m.visit[root] = m.stamp
	budget := min(augmentBudget, m.augmentWork)
	defer func(start int) { m.augmentWork -= start - max(budget, 0) }(budget)
	var pairs [][2]int
	var old []int
	edge := func(u, v int) bool {
		return m.eligible(u, v) && (allowRepeat || !m.hasMet(u, v))
	}
	var dfs func(u int) bool
	dfs = func(u int) bool {
		if budget < 0 {
			return false
		}
		for _, v := range m.free {
			budget--
			if v != root && m.visit[v] != m.stamp && edge(u, v) {
				pairs = append(pairs, [2]int{u, v})
				return true
			}
		}
		for _, t := range m.compatL[m.sig[u]] {
			for _, v := range m.sigMem[t] {
				if budget--; budget < 0 {
					return false
				}
				g := m.grp[v]
				if m.visit[v] == m.stamp || g < 0 || len(m.groups[g].mem) != 2 {
					continue
				}
				w := m.groups[g].mem[0]
				if w == v {
					w = m.groups[g].mem[1]
				}
				if m.visit[w] == m.stamp || !edge(u, v) {
					continue
				}
				m.visit[v], m.visit[w] = m.stamp, m.stamp
				if dfs(w) {
					pairs = append(pairs, [2]int{u, v})
					old = append(old, g)
					return true
				}
			}
		}
		return false
	}
	if !dfs(root) {
		return false
	}
	for _, g := range old {
		m.dissolve(g)
	}
	for _, p := range pairs {
		m.form(p[0], p[1])
	}
	return true
}
