package peers

import (
	"cmp"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"time"
)

// matcher holds one run of Match. People are indices into c, which is
// sorted by ID, so every choice below is independent of the input's order.
type matcher struct {
	size       int
	minOverlap time.Duration
	minDays    int
	rng        *rand.Rand

	c     []Candidate
	index map[string]int
	teams [][]int32 // sorted team ids per person

	inPop    []bool  // neither away nor paused
	sig      []int32 // working-windows signature per person in the population, else -1
	sigWin   [][]Interval
	sigMem   [][]int    // population members of each signature
	compat   [][]uint64 // bitset: compat[s] has t when signatures s and t share enough hours
	compatL  [][]int32  // the same as lists
	partners []int      // how many others in the population share enough hours with each person
	triples  map[[3]int32]bool

	met   map[uint64]int // last round each pair met
	avoid [][]int32      // per person: who they avoid or who avoids them, sorted
	adj   [][]int        // per person: everyone they met or avoid (either way), deduplicated

	grp     []int // group per person, -1 for none
	groups  []*group
	free    []int // matchable people without a group
	freePos []int // position in free, -1 when not there
	order   []int // the population in matching order

	visit []int // augmenting-path marks
	stamp int

	onPath      []bool // restructuring marks
	chainWork   int    // work left for restructuring searches
	augmentWork int    // work left for augmenting-path searches
}

// group is a group under construction; dead once dissolved.
type group struct {
	mem  []int
	dead bool
}

func pairKey(a, b int) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(uint32(b))
}

// mergeCandidates sorts candidates by ID and merges copies of one ID.
func mergeCandidates(in []Candidate) []Candidate {
	cs := slices.Clone(in)
	slices.SortStableFunc(cs, func(a, b Candidate) int { return cmp.Compare(a.ID, b.ID) })
	out := cs[:0:0]
	for _, c := range cs {
		c.Teams = sortedSet(c.Teams)
		c.Avoid = sortedSet(c.Avoid)
		if n := len(out); n > 0 && out[n-1].ID == c.ID {
			p := &out[n-1]
			p.Teams = sortedSet(append(slices.Clone(p.Teams), c.Teams...))
			p.Avoid = sortedSet(append(slices.Clone(p.Avoid), c.Avoid...))
			p.Windows = Overlap(p.Windows, c.Windows)
			p.Away = p.Away || c.Away
			p.Paused = p.Paused || c.Paused
			p.Priority = p.Priority || c.Priority
			continue
		}
		out = append(out, c)
	}
	return out
}

func sortedSet(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func newMatcher(in MatchInput) *matcher {
	m := &matcher{
		size:        2,
		minOverlap:  in.MinOverlap,
		minDays:     in.MinDays,
		rng:         rand.New(rand.NewPCG(uint64(in.Seed), 0x7065657273)),
		triples:     map[[3]int32]bool{},
		met:         map[uint64]int{},
		chainWork:   restructureBudget,
		augmentWork: augmentTotal,
	}
	if in.GroupSize == 3 {
		m.size = 3
	}
	if m.minOverlap <= 0 {
		m.minOverlap = DefaultMinOverlap
	}
	if m.minDays <= 0 {
		m.minDays = DefaultMinDays
	}
	m.c = mergeCandidates(in.Candidates)
	n := len(m.c)
	m.index = make(map[string]int, n)
	for i, c := range m.c {
		m.index[c.ID] = i
	}
	m.teams = make([][]int32, n)
	teamID := map[string]int32{}
	for i, c := range m.c {
		for _, t := range c.Teams {
			id, ok := teamID[t]
			if !ok {
				id = int32(len(teamID))
				teamID[t] = id
			}
			m.teams[i] = append(m.teams[i], id)
		}
		slices.Sort(m.teams[i])
	}

	// History and lists, keyed by pair.
	for _, h := range in.History {
		a, okA := m.index[h.A]
		b, okB := m.index[h.B]
		if !okA || !okB || a == b {
			continue
		}
		k := pairKey(a, b)
		if r, ok := m.met[k]; !ok || h.Round > r {
			m.met[k] = h.Round
		}
	}
	m.adj = make([][]int, n)
	m.avoid = make([][]int32, n)
	for k := range m.met {
		a, b := int(k>>32), int(uint32(k))
		m.adj[a] = append(m.adj[a], b)
		m.adj[b] = append(m.adj[b], a)
	}
	for i, c := range m.c {
		for _, id := range c.Avoid {
			j, ok := m.index[id]
			if !ok || j == i {
				continue
			}
			m.avoid[i] = append(m.avoid[i], int32(j))
			m.avoid[j] = append(m.avoid[j], int32(i))
			m.adj[i] = append(m.adj[i], j)
			m.adj[j] = append(m.adj[j], i)
		}
	}
	for i := range m.avoid {
		slices.Sort(m.avoid[i])
		m.avoid[i] = slices.Compact(m.avoid[i])
	}
	for i := range m.adj {
		slices.Sort(m.adj[i])
		m.adj[i] = slices.Compact(m.adj[i])
	}

	// The population and its working-hours signatures.
	m.inPop = make([]bool, n)
	m.sig = make([]int32, n)
	sigOf := map[string]int32{}
	var key []byte
	for i, c := range m.c {
		m.sig[i] = -1
		if c.Away || c.Paused {
			continue
		}
		m.inPop[i] = true
		key = key[:0]
		for _, w := range c.Windows {
			key = binary.LittleEndian.AppendUint64(key, uint64(w.Start.UnixNano()))
			key = binary.LittleEndian.AppendUint64(key, uint64(w.End.UnixNano()))
		}
		s, ok := sigOf[string(key)]
		if !ok {
			s = int32(len(m.sigWin))
			sigOf[string(key)] = s
			m.sigWin = append(m.sigWin, c.Windows)
			m.sigMem = append(m.sigMem, nil)
		}
		m.sig[i] = s
		m.sigMem[s] = append(m.sigMem[s], i)
	}
	S := len(m.sigWin)
	words := (S + 63) / 64
	m.compat = make([][]uint64, S)
	m.compatL = make([][]int32, S)
	for s := range S {
		m.compat[s] = make([]uint64, words)
	}
	for s := range S {
		for t := s; t < S; t++ {
			if countShared(m.minOverlap, m.sigWin[s], m.sigWin[t]) >= m.minDays {
				m.compat[s][t/64] |= 1 << (t % 64)
				m.compat[t][s/64] |= 1 << (s % 64)
				m.compatL[s] = append(m.compatL[s], int32(t))
				if t != s {
					m.compatL[t] = append(m.compatL[t], int32(s))
				}
			}
		}
	}
	for s := range S {
		slices.Sort(m.compatL[s])
	}
	m.partners = make([]int, n)
	for i := range n {
		if !m.inPop[i] {
			continue
		}
		s := m.sig[i]
		for _, t := range m.compatL[s] {
			m.partners[i] += len(m.sigMem[t])
		}
		if m.compatSig(s, s) {
			m.partners[i]-- // not oneself
		}
	}

	m.grp = make([]int, n)
	m.freePos = make([]int, n)
	m.visit = make([]int, n)
	for i := range n {
		m.grp[i] = -1
		m.freePos[i] = -1
		if m.inPop[i] && m.partners[i] > 0 {
			m.freePos[i] = len(m.free)
			m.free = append(m.free, i)
		}
	}

	// Matching order: a seeded shuffle, then Priority first, then the
	// most constrained (fewest possible new partners) first.
	pop := make([]int, 0, n)
	for i := range n {
		if m.freePos[i] >= 0 {
			pop = append(pop, i)
		}
	}
	m.rng.Shuffle(len(pop), func(i, j int) { pop[i], pop[j] = pop[j], pop[i] })
	newCount := make([]int, n)
	for _, i := range pop {
		k := m.partners[i]
		for _, j := range m.adj[i] {
			if m.inPop[j] && m.compatSig(m.sig[i], m.sig[j]) {
				k--
			}
		}
		newCount[i] = k
	}
	slices.SortStableFunc(pop, func(a, b int) int {
		if m.c[a].Priority != m.c[b].Priority {
			if m.c[a].Priority {
				return -1
			}
			return 1
		}
		return cmp.Compare(newCount[a], newCount[b])
	})
	m.order = pop
	return m
}

// countShared is len(SharedSpans(min, a, b)) without allocating.
func countShared(min time.Duration, a, b []Interval) int {
	n := 0
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		start := a[i].Start
		if b[j].Start.After(start) {
			start = b[j].Start
		}
		end := a[i].End
		if b[j].End.Before(end) {
			end = b[j].End
		}
		if end.After(start) && end.Sub(start) >= min {
			n++
		}
		if a[i].End.Before(b[j].End) {
			i++
		} else {
			j++
		}
	}
	return n
}

func (m *matcher) compatSig(s, t int32) bool {
	return m.compat[s][t/64]&(1<<(t%64)) != 0
}

// eligible says whether a and b may be in a group together as far as the
// two of them go: both taking part, enough shared hours, no Avoid list.
func (m *matcher) eligible(a, b int) bool {
	return a != b && m.inPop[a] && m.inPop[b] && m.compatSig(m.sig[a], m.sig[b]) && !m.avoids(a, b)
}

// avoids says whether a or b has the other on their Avoid list.
func (m *matcher) avoids(a, b int) bool {
	x, y := m.avoid[a], b
	if len(m.avoid[b]) < len(x) {
		x, y = m.avoid[b], a
	}
	if len(x) == 0 {
		return false
	}
	_, found := slices.BinarySearch(x, int32(y))
	return found
}

func (m *matcher) hasMet(a, b int) bool {
	_, ok := m.met[pairKey(a, b)]
	return ok
}

func (m *matcher) sameTeam(a, b int) bool {
	x, y := m.teams[a], m.teams[b]
	for i, j := 0, 0; i < len(x) && j < len(y); {
		switch {
		case x[i] == y[j]:
			return true
		case x[i] < y[j]:
			i++
		default:
			j++
		}
	}
	return false
}

// tripleOK says whether three people share enough hours, all three at once.
func (m *matcher) tripleOK(a, b, c int) bool {
	k := [3]int32{m.sig[a], m.sig[b], m.sig[c]}
	slices.Sort(k[:])
	ok, done := m.triples[k]
	if !done {
		ok = len(SharedSpans(m.minOverlap, m.sigWin[k[0]], m.sigWin[k[1]], m.sigWin[k[2]])) >= m.minDays
		m.triples[k] = ok
	}
	return ok
}

// groupOK says whether members may form a group under the hard rules.
func (m *matcher) groupOK(mem []int) bool {
	for i := range mem {
		for j := i + 1; j < len(mem); j++ {
			if !m.eligible(mem[i], mem[j]) {
				return false
			}
		}
	}
	return len(mem) != 3 || m.tripleOK(mem[0], mem[1], mem[2])
}

// newPairs counts the pairs inside mem that never met.
func (m *matcher) newPairs(mem []int) int {
	n := 0
	for i := range mem {
		for j := i + 1; j < len(mem); j++ {
			if !m.hasMet(mem[i], mem[j]) {
				n++
			}
		}
	}
	return n
}

// crossPairs counts the pairs inside mem from different teams.
func (m *matcher) crossPairs(mem []int) int {
	n := 0
	for i := range mem {
		for j := i + 1; j < len(mem); j++ {
			if !m.sameTeam(mem[i], mem[j]) {
				n++
			}
		}
	}
	return n
}

func (m *matcher) hasRepeat(mem []int) bool {
	return m.newPairs(mem) < len(mem)*(len(mem)-1)/2
}

func (m *matcher) removeFree(i int) {
	p := m.freePos[i]
	if p < 0 {
		return
	}
	last := m.free[len(m.free)-1]
	m.free[p] = last
	m.freePos[last] = p
	m.free = m.free[:len(m.free)-1]
	m.freePos[i] = -1
}

func (m *matcher) addFree(i int) {
	if m.freePos[i] >= 0 {
		return
	}
	m.freePos[i] = len(m.free)
	m.free = append(m.free, i)
}

// form makes a group of mem, taking them off the free list.
func (m *matcher) form(mem ...int) int {
	g := &group{mem: slices.Clone(mem)}
	m.groups = append(m.groups, g)
	id := len(m.groups) - 1
	for _, i := range mem {
		m.grp[i] = id
		m.removeFree(i)
	}
	return id
}

// dissolve breaks group id up, putting its members back on the free list.
func (m *matcher) dissolve(id int) []int {
	g := m.groups[id]
	g.dead = true
	for _, i := range g.mem {
		m.grp[i] = -1
		m.addFree(i)
	}
	return g.mem
}

// freeInOrder lists the free people in matching order.
func (m *matcher) freeInOrder() []int {
	out := make([]int, 0, len(m.free))
	for _, i := range m.order {
		if m.freePos[i] >= 0 {
			out = append(out, i)
		}
	}
	return out
}

func (m *matcher) result() MatchResult {
	var res MatchResult
	for _, g := range m.groups {
		if g.dead {
			continue
		}
		mem := slices.Clone(g.mem)
		slices.Sort(mem)
		grp := Group{Repeat: m.hasRepeat(mem), SameTeam: m.crossPairs(mem) < len(mem)*(len(mem)-1)/2}
		wins := make([][]Interval, len(mem))
		for k, i := range mem {
			grp.Members = append(grp.Members, m.c[i].ID)
			wins[k] = m.c[i].Windows
		}
		grp.Shared = SharedSpans(m.minOverlap, wins...)
		res.Groups = append(res.Groups, grp)
	}
	slices.SortFunc(res.Groups, func(a, b Group) int { return cmp.Compare(a.Members[0], b.Members[0]) })
	for i, c := range m.c {
		if m.grp[i] >= 0 {
			continue
		}
		u := Unmatched{ID: c.ID, Reason: NoPartner}
		switch {
		case c.Away:
			u.Reason = Away
		case c.Paused:
			u.Reason = Paused
		case m.partners[i] == 0:
			u.Reason = NoOverlap
		}
		res.Unmatched = append(res.Unmatched, u)
	}
	return res
}
