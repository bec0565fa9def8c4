package peers

import (
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"time"
)

// The defaults of a CircleInput's zero fields, and of a circle's term.
const (
	// DefaultCircleMinSize is the fewest members of a circle.
	DefaultCircleMinSize = DefaultCircleMin
	// DefaultCircleMaxSize is the most members of a circle.
	DefaultCircleMaxSize = DefaultCircleMax
	// DefaultCircleTarget is the preferred size of a circle.
	DefaultCircleTarget = 5
	// DefaultCircleMinOverlap is the shortest stretch of working hours a
	// circle's members must all share on one day.
	DefaultCircleMinOverlap = 30 * time.Minute
)

// CircleInput is everything the forming of a term's circles depends on.
type CircleInput struct {
	// Candidates are the people of the network. Those Paused or Away (for
	// the whole term) are not placed. A candidate with an empty ID is
	// ignored; of two with the same ID, the first in ID order is kept.
	Candidates []Candidate
	// History holds the pairs who shared a circle before; Round is the
	// term's index, higher is more recent.
	History []Met
	// MinSize and MaxSize bound a circle's members; 0 means 4 and 7. A
	// MinSize below 2 is read as 2, a MaxSize below MinSize as MinSize.
	MinSize, MaxSize int
	// Target is the preferred size, 0 means 5; it is kept inside
	// MinSize..MaxSize.
	Target int
	// MinOverlap is how much working time, in one stretch on one day of
	// the candidates' Windows, a circle's members must all share; 0 means
	// 30 minutes.
	MinOverlap time.Duration
	// Seed makes the choice among equally good circles; the same input
	// and seed give the same circles.
	Seed int64
}

// CircleResult is a term's circles and who could not be placed.
type CircleResult struct {
	// Circles are ordered by their first member.
	Circles []Circle
	// Left lists, in ID order, every candidate not in a circle, with why.
	Left []CircleLeft
}

// Circle is one group of a term.
type Circle struct {
	// Members are Slack user ids, sorted.
	Members []string
	// Shared are the stretches of at least MinOverlap in which every
	// member is working, in time order.
	Shared []Interval
	// RepeatPairs counts the pairs of members who shared a circle before.
	RepeatPairs int
}

// CircleLeft is a candidate who is in no circle this term.
type CircleLeft struct {
	ID     string
	Reason CircleLeftReason
	// Text is Reason in words the person can read.
	Text string
}

// CircleLeftReason says why a person is in no circle. No reason ever
// depends on anyone's Avoid list: when only lists keep a person out, the
// reason is CircleLeftNoFit, the same as when the circles sharing their
// hours are full.
type CircleLeftReason string

// The reasons a person is in no circle.
const (
	// CircleLeftPaused: the person had paused themselves on the term's
	// first session.
	CircleLeftPaused CircleLeftReason = "paused"
	// CircleLeftAway: the person is away on the term's first session.
	CircleLeftAway CircleLeftReason = "away"
	// CircleLeftNotEnough: fewer people than a circle's MinSize can take
	// part, so nobody is placed.
	CircleLeftNotEnough CircleLeftReason = "not_enough"
	// CircleLeftNoHours: the person has no stretch of working hours of
	// MinOverlap in the sample of days given.
	CircleLeftNoHours CircleLeftReason = "no_hours"
	// CircleLeftFewShareHours: fewer than MinSize-1 others share a
	// stretch of MinOverlap of the person's working hours, so no circle
	// can include them.
	CircleLeftFewShareHours CircleLeftReason = "few_share_hours"
	// CircleLeftNoFit: no circle sharing the person's hours had room for
	// them.
	CircleLeftNoFit CircleLeftReason = "no_fit"
)

// Text is the reason in words, for circles of at least minSize sharing
// minOverlap of working hours.
func (r CircleLeftReason) Text(minSize int, minOverlap time.Duration) string {
	switch r {
	case CircleLeftPaused:
		return "you had paused your part when the term's circles first met"
	case CircleLeftAway:
		return "you were away when the term's circles first met"
	case CircleLeftNotEnough:
		return fmt.Sprintf("not enough people yet: circles need at least %d", minSize)
	case CircleLeftNoHours:
		return fmt.Sprintf("your working hours in the coming weeks have no stretch of %s, so no circle could meet with you", spoken(minOverlap))
	case CircleLeftFewShareHours:
		return fmt.Sprintf("too few people share your working hours: a circle needs %d people with %s in common on one day", minSize, spoken(minOverlap))
	case CircleLeftNoFit:
		return fmt.Sprintf("no circle sharing %s of your working hours had room for you this term", spoken(minOverlap))
	}
	return string(r)
}

// spoken writes a duration as people say it: "30 minutes", "1 hour",
// "1 hour 30 minutes".
func spoken(d time.Duration) string {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	unit := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case h == 0:
		return unit(m, "minute")
	case m == 0:
		return unit(h, "hour")
	}
	return unit(h, "hour") + " " + unit(m, "minute")
}

// FormCircles forms a term's circles: groups of MinSize..MaxSize people in
// which every pair may meet (no Avoid list names the other) and all members
// share a stretch of working hours of MinOverlap on at least one day. Among
// such partitions it looks for, in this order of importance, the fewest
// pairs who shared a circle before (and of those, older rather than recent
// ones), sizes as even as possible around Target, and the fewest pairs from
// the same team. Everyone eligible it cannot place is in Left, with a reason
// that never depends on Avoid lists.
//
// It seeds circles greedily, the people with the fewest possible partners
// first, completes or dissolves circles that are too small, then improves
// the partition by moving and swapping people. It does a bounded amount of
// work, so a network of a few thousand people is formed well within a
// second, and the result depends only on the input.
func FormCircles(in CircleInput) CircleResult {
	s := newCircleSolver(in)
	var res CircleResult
	for _, c := range s.cands {
		switch {
		case c.Paused:
			res.Left = append(res.Left, s.left(c.ID, CircleLeftPaused))
		case c.Away:
			res.Left = append(res.Left, s.left(c.ID, CircleLeftAway))
		}
	}
	if len(s.people) < s.minSize {
		for _, p := range s.people {
			res.Left = append(res.Left, s.left(p.id, CircleLeftNotEnough))
		}
		sortLeft(res.Left)
		return res
	}
	s.screen()
	s.solve()
	for _, c := range s.circles {
		if len(c.members) == 0 {
			continue
		}
		out := Circle{}
		windows := make([][]Interval, 0, len(c.members))
		for _, i := range c.members {
			out.Members = append(out.Members, s.people[i].id)
			windows = append(windows, s.people[i].intervals)
		}
		for a := range c.members {
			for b := a + 1; b < len(c.members); b++ {
				if _, ok := s.past[key(c.members[a], c.members[b])]; ok {
					out.RepeatPairs++
				}
			}
		}
		slices.Sort(out.Members)
		out.Shared = SharedSpans(s.minOverlap, windows...)
		res.Circles = append(res.Circles, out)
	}
	sort.Slice(res.Circles, func(a, b int) bool { return res.Circles[a].Members[0] < res.Circles[b].Members[0] })
	for i, p := range s.people {
		if s.where[i] < 0 {
			r := s.reason[i]
			if r == "" {
				r = CircleLeftNoFit
			}
			res.Left = append(res.Left, s.left(p.id, r))
		}
	}
	sortLeft(res.Left)
	return res
}

func sortLeft(l []CircleLeft) {
	sort.Slice(l, func(a, b int) bool { return l[a].ID < l[b].ID })
}

// Bounds on the solver's work, counted in people compared, so that the
// result never depends on the speed of the machine.
const (
	// restartWork is the work after which no new start is tried.
	restartWork = 500_000
	// maxStarts is the most starts tried.
	maxStarts = 8
	// descendWork bounds the local search of one start.
	descendWork = 40_000_000
	// kickWork bounds the shaking and searching again after the starts:
	// plenty for small networks, where a poor local optimum is most
	// likely, and a small part of a large network's work.
	kickWork = 300_000
	// kickWorkPerPerson bounds it further for a small network.
	kickWorkPerPerson = 2_000
)

// solve forms circles from several starts (different orders of seeding),
// keeps the one placing most people at the lowest cost, and improves it.
func (s *circleSolver) solve() {
	var best [][]int
	bestLeft, bestCost := 0, circleCost{}
	for start := 0; ; start++ {
		if start > 0 {
			s.restore(nil)
			s.reorder(start%2 == 0)
		}
		s.budget = descendWork
		s.seed(s.placeable())
		s.repair()
		s.place()
		s.descend()
		s.fill()
		left, cost := len(s.placeable()), s.total()
		if best == nil || left < bestLeft || left == bestLeft && cost.less(bestCost) {
			best, bestLeft, bestCost = s.snapshot(), left, cost
		}
		if left == 0 && cost[0] == 0 || start+1 >= maxStarts || s.work > restartWork {
			break
		}
	}
	s.restore(best)
	s.budget = min(kickWork, kickWorkPerPerson*len(s.people))
	s.improve()
	s.fill()
}

// fill puts people still unplaced into circles with room; improving may
// have made some.
func (s *circleSolver) fill() {
	for _, p := range s.placeable() {
		if d := s.cheapestRoom(p, s.minSize); d >= 0 {
			s.add(p, d)
		}
	}
}

// reorder draws a new order of seeding: by the number of possible
// partners, ties at random, or (when byDegree is false) all at random; the
// people with Priority stay first.
func (s *circleSolver) reorder(byDegree bool) {
	s.rng.Shuffle(len(s.order), func(a, b int) { s.order[a], s.order[b] = s.order[b], s.order[a] })
	sort.SliceStable(s.order, func(a, b int) bool {
		pa, pb := &s.people[s.order[a]], &s.people[s.order[b]]
		if pa.priority != pb.priority {
			return pa.priority
		}
		return byDegree && pa.degree-len(pa.avoid) < pb.degree-len(pb.avoid)
	})
}

// circleCost orders partitions: repeat pairs, their recency, the sizes'
// distance from Target, same-team pairs; compared in that order.
type circleCost [4]int64

func (c circleCost) plus(d circleCost) circleCost {
	for i := range c {
		c[i] += d[i]
	}
	return c
}

func (c circleCost) minus(d circleCost) circleCost {
	for i := range c {
		c[i] -= d[i]
	}
	return c
}

func (c circleCost) less(d circleCost) bool {
	for i := range c {
		if c[i] != d[i] {
			return c[i] < d[i]
		}
	}
	return false
}

// pastMate is someone a person shared a circle with, and the recency rank
// of the latest time.
type pastMate struct {
	mate int
	rank int64
}

// circlePerson is an eligible candidate as the solver sees them.
type circlePerson struct {
	id        string
	windows   []nanoSpan // the working windows, for the solver
	intervals []Interval // the same, as given
	teams     []int      // sorted team numbers
	avoid     []int      // people this one may not share a circle with, both ways
	priority  bool
	class     int        // people with equal windows share a class
	degree    int        // how many others share MinOverlap of their hours
	met       []pastMate // sorted by mate
}

type circleGroup struct {
	members []int
	shared  []nanoSpan // the members' full intersection, unfiltered
}

type circleSolver struct {
	minSize, maxSize, target int
	minOverlap               time.Duration
	minNanos                 int64
	cands                    []Candidate
	people                   []circlePerson
	past                     map[uint64]int64 // pair → recency rank of their latest circle
	compat                   [][]bool         // class × class: share MinOverlap
	where                    []int            // circle of each person, -1 for none
	reason                   []CircleLeftReason
	order                    []int // people, most constrained first
	circles                  []*circleGroup
	rng                      *rand.Rand
	budget                   int // evaluations left for improving
	work                     int // people compared so far
}

func key(a, b int) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(b)
}

func (s *circleSolver) left(id string, r CircleLeftReason) CircleLeft {
	return CircleLeft{ID: id, Reason: r, Text: r.Text(s.minSize, s.minOverlap)}
}

func newCircleSolver(in CircleInput) *circleSolver {
	s := &circleSolver{minSize: in.MinSize, maxSize: in.MaxSize, target: in.Target, minOverlap: in.MinOverlap}
	if s.minSize == 0 {
		s.minSize = DefaultCircleMinSize
	}
	s.minSize = max(s.minSize, 2)
	if s.maxSize == 0 {
		s.maxSize = DefaultCircleMaxSize
	}
	s.maxSize = max(s.maxSize, s.minSize)
	if s.target == 0 {
		s.target = DefaultCircleTarget
	}
	s.target = min(max(s.target, s.minSize), s.maxSize)
	if s.minOverlap <= 0 {
		s.minOverlap = DefaultCircleMinOverlap
	}
	s.minNanos = int64(s.minOverlap)
	s.rng = rand.New(rand.NewSource(in.Seed))

	s.cands = uniqueCandidates(in.Candidates)
	index := map[string]int{}
	teamNo := map[string]int{}
	classNo := map[string]int{}
	for _, c := range s.cands {
		if c.Paused || c.Away {
			continue
		}
		p := circlePerson{id: c.ID, windows: toSpans(c.Windows), intervals: c.Windows, priority: c.Priority}
		for _, t := range c.Teams {
			if t == "" {
				continue
			}
			n, ok := teamNo[t]
			if !ok {
				n = len(teamNo)
				teamNo[t] = n
			}
			p.teams = append(p.teams, n)
		}
		slices.Sort(p.teams)
		p.teams = slices.Compact(p.teams)
		ck := windowsKey(c.Windows)
		n, ok := classNo[ck]
		if !ok {
			n = len(classNo)
			classNo[ck] = n
		}
		p.class = n
		index[c.ID] = len(s.people)
		s.people = append(s.people, p)
	}
	for _, c := range s.cands {
		i, ok := index[c.ID]
		if !ok {
			continue
		}
		for _, other := range c.Avoid {
			if j, ok := index[other]; ok && j != i {
				s.people[i].avoid = append(s.people[i].avoid, j)
				s.people[j].avoid = append(s.people[j].avoid, i)
			}
		}
	}
	for i := range s.people {
		slices.Sort(s.people[i].avoid)
		s.people[i].avoid = slices.Compact(s.people[i].avoid)
	}

	rounds := make([]int, 0, len(in.History))
	for _, m := range in.History {
		rounds = append(rounds, m.Round)
	}
	slices.Sort(rounds)
	rounds = slices.Compact(rounds)
	s.past = map[uint64]int64{}
	for _, m := range in.History {
		a, okA := index[m.A]
		b, okB := index[m.B]
		if !okA || !okB || a == b {
			continue
		}
		rank, _ := slices.BinarySearch(rounds, m.Round)
		k := key(a, b)
		s.past[k] = max(s.past[k], int64(rank+1))
	}

	for k, r := range s.past {
		a, b := int(k>>32), int(k&0xffffffff)
		s.people[a].met = append(s.people[a].met, pastMate{b, r})
		s.people[b].met = append(s.people[b].met, pastMate{a, r})
	}
	for i := range s.people {
		slices.SortFunc(s.people[i].met, func(x, y pastMate) int { return x.mate - y.mate })
	}
	classes := make([][]nanoSpan, len(classNo))
	for _, p := range s.people {
		classes[p.class] = p.windows
	}
	s.compat = make([][]bool, len(classes))
	for a := range classes {
		s.compat[a] = make([]bool, len(classes))
	}
	for a := range classes {
		for b := a; b < len(classes); b++ {
			ok := hasSpan(classes[a], classes[b], s.minNanos)
			s.compat[a][b], s.compat[b][a] = ok, ok
		}
	}
	count := make([]int, len(classes))
	for _, p := range s.people {
		count[p.class]++
	}
	for i := range s.people {
		p := &s.people[i]
		for c, n := range count {
			if s.compat[p.class][c] {
				p.degree += n
			}
		}
		if s.compat[p.class][p.class] {
			p.degree-- // not themselves
		}
	}
	s.where = make([]int, len(s.people))
	for i := range s.where {
		s.where[i] = -1
	}
	s.reason = make([]CircleLeftReason, len(s.people))
	s.order = make([]int, len(s.people))
	for i := range s.order {
		s.order[i] = i
	}
	s.reorder(true)
	return s
}

// uniqueCandidates sorts candidates by ID and keeps the first of each ID,
// dropping empty ones.
func uniqueCandidates(in []Candidate) []Candidate {
	out := slices.Clone(in)
	sort.SliceStable(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	out = slices.DeleteFunc(out, func(c Candidate) bool { return c.ID == "" })
	return slices.CompactFunc(out, func(a, b Candidate) bool { return a.ID == b.ID })
}

func windowsKey(ws []Interval) string {
	b := make([]byte, 0, len(ws)*16)
	for _, w := range ws {
		b = fmt.Appendf(b, "%d-%d,", w.Start.UnixNano(), w.End.UnixNano())
	}
	return string(b)
}

// nanoSpan is an Interval in Unix nanoseconds, which the solver compares many
// times over.
type nanoSpan struct{ from, to int64 }

func toSpans(ivs []Interval) []nanoSpan {
	out := make([]nanoSpan, len(ivs))
	for i, iv := range ivs {
		out[i] = nanoSpan{iv.Start.UnixNano(), iv.End.UnixNano()}
	}
	return out
}

// overlapSpans is Overlap on spans.
func overlapSpans(a, b []nanoSpan) []nanoSpan {
	var out []nanoSpan
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		from, to := max(a[i].from, b[j].from), min(a[i].to, b[j].to)
		if to > from {
			out = append(out, nanoSpan{from, to})
		}
		if a[i].to < b[j].to {
			i++
		} else {
			j++
		}
	}
	return out
}

// hasSpan reports whether a and b (each in time order, not overlapping)
// share one stretch of at least min nanoseconds.
func hasSpan(a, b []nanoSpan, min int64) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if max(a[i].from, b[j].from)+min <= a[i].to && max(a[i].from, b[j].from)+min <= b[j].to {
			return true
		}
		if a[i].to < b[j].to {
			i++
		} else {
			j++
		}
	}
	return false
}

// screen gives the people no circle can ever hold their reason: no
// stretch of hours, or too few others sharing them. The test reads no
// Avoid list.
func (s *circleSolver) screen() {
	for i, p := range s.people {
		switch {
		case !hasSpan(p.windows, p.windows, s.minNanos):
			s.reason[i] = CircleLeftNoHours
		case p.degree < s.minSize-1:
			s.reason[i] = CircleLeftFewShareHours
		}
	}
}

// placeable lists, most constrained first, the people without a screened
// reason and not yet in a circle.
func (s *circleSolver) placeable() []int {
	var out []int
	for _, i := range s.order {
		if s.reason[i] == "" && s.where[i] < 0 {
			out = append(out, i)
		}
	}
	return out
}

// fits reports whether p may join the members of c, leaving out skip (-1
// for nobody), given those members' shared hours.
func (s *circleSolver) fits(p int, members []int, shared []nanoSpan, skip int) bool {
	pp := &s.people[p]
	s.work += len(members)
	for _, m := range members {
		if m == skip {
			continue
		}
		if !s.compat[pp.class][s.people[m].class] || slices.Contains(pp.avoid, m) {
			return false
		}
	}
	return hasSpan(shared, pp.windows, s.minNanos)
}

// sharedOf is the full intersection of the members' windows, leaving out
// skip (-1 for nobody).
func (s *circleSolver) sharedOf(members []int, skip int) []nanoSpan {
	var shared []nanoSpan
	first := true
	for _, m := range members {
		if m == skip {
			continue
		}
		if first {
			shared, first = s.people[m].windows, false
			continue
		}
		shared = overlapSpans(shared, s.people[m].windows)
	}
	return shared
}

// pairCost is what having p with the members (leaving out skip) costs in
// repeats, their recency and same-team pairs.
func (s *circleSolver) pairCost(p int, members []int, skip int) circleCost {
	var c circleCost
	pp := &s.people[p]
	for _, m := range members {
		if m == skip || m == p {
			continue
		}
		if len(pp.met) > 0 {
			if i, ok := slices.BinarySearchFunc(pp.met, m, func(x pastMate, m int) int { return x.mate - m }); ok {
				c[0]++
				c[1] += pp.met[i].rank
			}
		}
		if teamsMeet(pp.teams, s.people[m].teams) {
			c[3]++
		}
	}
	return c
}

func teamsMeet(a, b []int) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			return true
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return false
}

// sizeCost is how far a circle of n is from Target.
func (s *circleSolver) sizeCost(n int) int64 {
	d := int64(n - s.target)
	return d * d
}

// resize is the change in size cost when a circle goes from n to n+by.
func (s *circleSolver) resize(n, by int) circleCost {
	return circleCost{2: s.sizeCost(n+by) - s.sizeCost(n)}
}

func (s *circleSolver) add(p, c int) {
	g := s.circles[c]
	if len(g.members) == 0 {
		g.shared = s.people[p].windows
	} else {
		g.shared = overlapSpans(g.shared, s.people[p].windows)
	}
	g.members = append(g.members, p)
	s.where[p] = c
}

func (s *circleSolver) remove(p int) {
	c := s.where[p]
	g := s.circles[c]
	g.members = slices.DeleteFunc(g.members, func(m int) bool { return m == p })
	g.shared = s.sharedOf(g.members, -1)
	s.where[p] = -1
}

// seed opens circles for the people given (most constrained first): each
// new circle starts with the first person not yet placed and takes the
// cheapest fitting ones until it reaches its share of the sizes.
func (s *circleSolver) seed(people []int) {
	m := len(people)
	if m == 0 {
		return
	}
	k := s.circleCount(m)
	if k == 0 {
		return
	}
	size := func(n int) int { // the n-th circle's intended size
		if n < m%k {
			return min(m/k+1, s.maxSize)
		}
		return min(max(m/k, s.minSize), s.maxSize)
	}
	placed := make([]bool, m)
	for first, opened := 0, 0; first < m; first++ {
		if placed[first] || s.where[people[first]] >= 0 {
			continue
		}
		c := len(s.circles)
		s.circles = append(s.circles, &circleGroup{})
		s.add(people[first], c)
		placed[first] = true
		want := size(opened)
		opened++
		for len(s.circles[c].members) < want {
			best, bestCost, seen := -1, circleCost{}, 0
			for n := first + 1; n < m && seen < 64; n++ {
				p := people[n]
				if placed[n] || !s.fits(p, s.circles[c].members, s.circles[c].shared, -1) {
					continue
				}
				seen++
				cost := s.pairCost(p, s.circles[c].members, -1)
				if best < 0 || cost.less(bestCost) {
					best, bestCost = n, cost
				}
				if cost == (circleCost{}) {
					break
				}
			}
			if best < 0 {
				break
			}
			placed[best] = true
			s.add(people[best], c)
		}
	}
}

// circleCount is how many circles m people make: about m/Target, within
// what MinSize and MaxSize allow.
func (s *circleSolver) circleCount(m int) int {
	k := (m + s.target/2) / s.target
	if k*s.maxSize < m {
		k = (m + s.maxSize - 1) / s.maxSize
	}
	if k*s.minSize > m {
		k = m / s.minSize
	}
	return k
}

// alive lists the circles with members.
func (s *circleSolver) alive() []int {
	var out []int
	for c, g := range s.circles {
		if len(g.members) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// repair completes each circle below MinSize from the people not placed
// and from circles above MinSize, or else dissolves it, moving its members
// to circles with room.
func (s *circleSolver) repair() {
	for {
		short := -1
		for _, c := range s.alive() {
			if n := len(s.circles[c].members); n < s.minSize && (short < 0 || n < len(s.circles[short].members)) {
				short = c
			}
		}
		if short < 0 {
			return
		}
		g := s.circles[short]
		for len(g.members) < s.minSize {
			if p := s.cheapestFree(short); p >= 0 {
				s.add(p, short)
				continue
			}
			if p := s.cheapestDonor(short); p >= 0 {
				s.remove(p)
				s.add(p, short)
				continue
			}
			if s.exchangeInto(short) {
				continue
			}
			break
		}
		if len(g.members) >= s.minSize {
			continue
		}
		members := slices.Clone(g.members)
		for _, p := range members {
			s.remove(p)
		}
		for _, p := range members {
			if d := s.cheapestRoom(p, s.minSize); d >= 0 {
				s.add(p, d)
			}
		}
	}
}

// cheapestFree is the unplaced, placeable person cheapest to add to c, or
// -1.
func (s *circleSolver) cheapestFree(c int) int {
	g := s.circles[c]
	best, bestCost := -1, circleCost{}
	for _, p := range s.order {
		if s.where[p] >= 0 || s.reason[p] != "" || !s.fits(p, g.members, g.shared, -1) {
			continue
		}
		if cost := s.pairCost(p, g.members, -1); best < 0 || cost.less(bestCost) {
			best, bestCost = p, cost
		}
	}
	return best
}

// cheapestDonor is the person of a circle above MinSize cheapest to move
// into c, or -1.
func (s *circleSolver) cheapestDonor(c int) int {
	g := s.circles[c]
	best, bestCost := -1, circleCost{}
	for _, d := range s.alive() {
		h := s.circles[d]
		if d == c || len(h.members) <= s.minSize {
			continue
		}
		for _, p := range h.members {
			if !s.fits(p, g.members, g.shared, -1) {
				continue
			}
			cost := s.pairCost(p, g.members, -1).minus(s.pairCost(p, h.members, p))
			if best < 0 || cost.less(bestCost) {
				best, bestCost = p, cost
			}
		}
	}
	return best
}

// exchangeInto completes c by one through an exchange: a person not
// placed takes the place of a member of a complete circle, who moves to c.
// It reports whether it found one.
func (s *circleSolver) exchangeInto(c int) bool {
	g := s.circles[c]
	for _, u := range s.order {
		if s.where[u] >= 0 || s.reason[u] != "" {
			continue
		}
		for _, d := range s.alive() {
			h := s.circles[d]
			if d == c || len(h.members) < s.minSize {
				continue
			}
			for _, y := range h.members {
				if !s.fits(y, g.members, g.shared, -1) || !s.fits(u, h.members, s.sharedOf(h.members, y), y) {
					continue
				}
				s.remove(y)
				s.add(u, d)
				s.add(y, c)
				return true
			}
		}
	}
	return false
}

// cheapestRoom is the circle of at least atLeast members and below
// MaxSize that p fits and that is cheapest for them, or -1.
func (s *circleSolver) cheapestRoom(p, atLeast int) int {
	best, bestCost := -1, circleCost{}
	for _, d := range s.alive() {
		h := s.circles[d]
		if len(h.members) < atLeast || len(h.members) >= s.maxSize || !s.fits(p, h.members, h.shared, -1) {
			continue
		}
		cost := s.pairCost(p, h.members, -1).plus(s.resize(len(h.members), 1))
		if best < 0 || cost.less(bestCost) {
			best, bestCost = d, cost
		}
	}
	return best
}

// place puts the people still unplaced into circles with room, making room
// by moving one member of a full circle they fit elsewhere, and then forms
// new circles from whoever is left if they are enough.
func (s *circleSolver) place() {
	for _, p := range s.placeable() {
		if d := s.cheapestRoom(p, s.minSize); d >= 0 {
			s.add(p, d)
			continue
		}
		s.makeRoom(p)
	}
	rest := s.placeable()
	if len(rest) < s.minSize {
		return
	}
	before := len(s.circles)
	s.seed(rest)
	for c := before; c < len(s.circles); c++ {
		if g := s.circles[c]; len(g.members) < s.minSize {
			for _, p := range slices.Clone(g.members) {
				s.remove(p)
			}
		}
	}
}

// makeRoom places p in a full circle they fit by moving one of its members
// to another circle with room; it reports whether it did.
func (s *circleSolver) makeRoom(p int) bool {
	for _, c := range s.alive() {
		g := s.circles[c]
		if len(g.members) < s.maxSize || !s.fits(p, g.members, g.shared, -1) {
			continue
		}
		for _, q := range g.members {
			for _, d := range s.alive() {
				h := s.circles[d]
				if d == c || len(h.members) >= s.maxSize || !s.fits(q, h.members, h.shared, -1) {
					continue
				}
				s.remove(q)
				s.add(q, d)
				s.add(p, c)
				return true
			}
		}
	}
	return false
}

// improve lowers the partition's cost by local search, then shakes the
// best partition found with a few random swaps and searches again, keeping
// the best, while the budget of evaluations lasts.
func (s *circleSolver) improve() {
	best, bestCost := s.snapshot(), s.total()
	if bestCost == (circleCost{}) {
		return
	}
	for kick := 0; kick < 30 && s.budget > 0; kick++ {
		s.shake(2 + kick%3)
		s.descend()

		if cost := s.total(); cost.less(bestCost) {
			best, bestCost = s.snapshot(), cost
			if bestCost == (circleCost{}) {
				return
			}
		} else {
			s.restore(best)
		}
	}
}

// kickBudget bounds the evaluations spent shaking and searching again:
// plenty for small networks, where a local optimum is most likely to
// show, and a small part of a large network's work.
// snapshot copies who is in which circle.
func (s *circleSolver) snapshot() [][]int {
	out := make([][]int, len(s.circles))
	for c, g := range s.circles {
		out[c] = slices.Clone(g.members)
	}
	return out
}

// restore goes back to a snapshot; nil is nobody placed.
func (s *circleSolver) restore(snap [][]int) {
	for i := range s.where {
		s.where[i] = -1
	}
	s.circles = s.circles[:0]
	for c, members := range snap {
		g := &circleGroup{members: slices.Clone(members)}
		for _, p := range g.members {
			s.where[p] = c
		}
		g.shared = s.sharedOf(g.members, -1)
		s.circles = append(s.circles, g)
	}
}

// total is the partition's cost.
func (s *circleSolver) total() circleCost {
	var sum circleCost
	for _, g := range s.circles {
		if len(g.members) == 0 {
			continue
		}
		for _, p := range g.members {
			sum = sum.plus(s.pairCost(p, g.members, p))
		}
		sum[2] += 2 * s.sizeCost(len(g.members)) // pairs above count twice
	}
	for i := range sum {
		sum[i] /= 2
	}
	return sum
}

// shake makes n random swaps that keep the partition allowed, whatever
// they cost.
func (s *circleSolver) shake(n int) {
	circles := s.alive()
	if len(circles) < 2 {
		return
	}
	for tries := 0; n > 0 && tries < 50*n; tries++ {
		c, d := circles[s.rng.Intn(len(circles))], circles[s.rng.Intn(len(circles))]
		if c == d {
			continue
		}
		g, h := s.circles[c], s.circles[d]
		p, q := g.members[s.rng.Intn(len(g.members))], h.members[s.rng.Intn(len(h.members))]
		s.budget -= len(g.members) + len(h.members)
		if !s.fits(p, h.members, s.sharedOf(h.members, q), q) || !s.fits(q, g.members, s.sharedOf(g.members, p), p) {
			continue
		}
		s.remove(p)
		s.remove(q)
		s.add(p, d)
		s.add(q, c)
		n--
	}
}

// descend moves and swaps people between circles while that lowers the
// partition's cost, within the budget of evaluations.
func (s *circleSolver) descend() {
	people := slices.Clone(s.order)
	for pass := 0; pass < 40 && s.budget > 0; pass++ {
		s.rng.Shuffle(len(people), func(a, b int) { people[a], people[b] = people[b], people[a] })
		better := false
		for _, p := range people {
			if s.where[p] < 0 || s.budget <= 0 {
				continue
			}
			if s.improveOne(p) {
				better = true
			}
		}
		if !better {
			return
		}
	}
}

// improveOne makes the best move or swap of p that lowers the cost.
func (s *circleSolver) improveOne(p int) bool {
	c := s.where[p]
	g := s.circles[c]
	here := s.pairCost(p, g.members, p)
	circles := s.alive()
	type change struct {
		to, with int // circle to move to; person to swap with, or -1
		delta    circleCost
	}
	best := change{to: -1}
	if len(g.members) > s.minSize {
		for _, d := range circles {
			h := s.circles[d]
			if d == c || len(h.members) >= s.maxSize {
				continue
			}
			s.budget -= len(h.members)
			if !s.fits(p, h.members, h.shared, -1) {
				continue
			}
			delta := s.pairCost(p, h.members, -1).minus(here).
				plus(s.resize(len(g.members), -1)).plus(s.resize(len(h.members), 1))
			if delta.less(best.delta) {
				best = change{to: d, with: -1, delta: delta}
			}
		}
	}
	if here != (circleCost{}) {
		without := s.sharedOf(g.members, p)
		swapCircles := circles
		if len(circles) > 48 {
			swapCircles = make([]int, 48)
			for i := range swapCircles {
				swapCircles[i] = circles[s.rng.Intn(len(circles))]
			}
		}
		for _, d := range swapCircles {
			h := s.circles[d]
			if d == c {
				continue
			}
			s.budget -= len(h.members)
			if !hasSpan(h.shared, s.people[p].windows, s.minNanos) {
				continue
			}
			for _, q := range h.members {
				s.budget -= 2 * len(g.members)
				if !s.fits(p, h.members, h.shared, q) || !s.fits(q, g.members, without, p) {
					continue
				}
				delta := s.pairCost(p, h.members, q).plus(s.pairCost(q, g.members, p)).
					minus(here).minus(s.pairCost(q, h.members, q))
				if delta.less(best.delta) {
					best = change{to: d, with: q, delta: delta}
				}
			}
		}
	}
	if best.to < 0 {
		return false
	}
	s.remove(p)
	if best.with >= 0 {
		s.remove(best.with)
		s.add(best.with, c)
	}
	s.add(p, best.to)
	return true
}
