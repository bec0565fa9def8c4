package peers

import (
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"time"
)

// The defaults of learning pairs.
const (
	// DefaultLearningCapacity is how many learners a teacher takes when
	// they did not say.
	DefaultLearningCapacity = DefaultCapacity
	// DefaultLearningMinOverlap is the shortest stretch of working hours
	// a learner and teacher must share on a day for it to count.
	DefaultLearningMinOverlap = 30 * time.Minute
	// DefaultLearningMinDays is how many of the learner's working days
	// must have such a stretch.
	DefaultLearningMinDays = 2
)

// LearningCandidate is a person taking part in learning pairs this round.
type LearningCandidate struct {
	Candidate
	Skills Skills
	// Capacity is how many learners they can take at once; 0 means
	// DefaultLearningCapacity, below 0 none.
	Capacity int
	// Current is how many learners they have now.
	Current int
}

// LearningMet records a past learning pair.
type LearningMet struct {
	Learner, Teacher, Skill string
	Round                   int
}

// LearningInput is everything a round of learning pairs depends on.
type LearningInput struct {
	// Candidates are the people of the network; the same ID twice keeps
	// the first, an empty ID is ignored.
	Candidates []LearningCandidate
	// History holds past pairs; a learner is paired again with the same
	// teacher for the same skill only when nothing else fits.
	History []LearningMet
	// MinOverlap is the stretch of shared working hours a day needs to
	// count; 0 means 30 minutes.
	MinOverlap time.Duration
	// MinDays is how many of the learner's working days (of the Windows
	// given) need such a stretch; 0 means 2.
	MinDays int
	// Seed chooses among equally good teachers.
	Seed int64
}

// LearningResult is a round's new learning pairs and who waits.
type LearningResult struct {
	// Pairs are ordered by learner.
	Pairs []LearningPair
	// Waiting lists, in ID order, every learner (not paused or away, with
	// something to learn) without a new pair, with why.
	Waiting []LearningLeft
}

// LearningPair is a learner paired with a teacher for one skill.
type LearningPair struct {
	Learner, Teacher, Skill string
	// Shared are the stretches of at least MinOverlap in which both work.
	Shared []Interval
}

// LearningLeft is a learner without a new pair this round.
type LearningLeft struct {
	ID string
	// Skill is the skill the reason is about.
	Skill  string
	Reason LearningLeftReason
	// Text is Reason in words the learner can read.
	Text string
}

// LearningLeftReason says why a learner waits. No reason depends on anyone's
// Avoid list: when only lists stand in the way, the reason is
// LearningNoRoom, as when every fitting teacher is full.
type LearningLeftReason string

// The reasons a learner waits.
const (
	// LearningNoTeacher: nobody teaches the skill above the learner's
	// level.
	LearningNoTeacher LearningLeftReason = "no_teacher"
	// LearningNoSharedHours: the teachers of the skill above the
	// learner's level share too little of their working hours.
	LearningNoSharedHours LearningLeftReason = "no_shared_hours"
	// LearningNoRoom: no teacher of the skill who fits had room.
	LearningNoRoom LearningLeftReason = "no_room"
)

// Text is the reason in words, about skill, for days with minOverlap of
// shared hours on minDays days.
func (r LearningLeftReason) Text(skill string, minOverlap time.Duration, minDays int) string {
	switch r {
	case LearningNoTeacher:
		return fmt.Sprintf("nobody teaches %s above your level yet", skill)
	case LearningNoSharedHours:
		return fmt.Sprintf("nobody who teaches %s shares %s of working hours with you on %d days", skill, spoken(minOverlap), minDays)
	case LearningNoRoom:
		return fmt.Sprintf("nobody who teaches %s has room this round", skill)
	}
	return string(r)
}

// learningEdge is a teacher a learner may be paired with, for a skill.
type learningEdge struct {
	teacher int
	skill   string
	rank    [4]int // repeat, same team, the skill's place in the list, chance
}

// MatchLearning pairs learners with teachers for one round. A learner is
// paired for a skill they want to learn with someone who teaches it at a
// strictly higher level than their own; each learner gets at most one new
// pair a round; a teacher never takes more than Capacity - Current; the
// two share MinOverlap of working hours on MinDays of the learner's days;
// nobody is paired with themselves, while paused or away, or with someone
// on either one's Avoid list. It pairs as many learners as these rules
// allow, the learners with Priority first, and prefers a teacher they have
// not learned that skill from before, then one from another team, then the
// skills in the order the learner listed them.
func MatchLearning(in LearningInput) LearningResult {
	minOverlap, minDays := in.MinOverlap, in.MinDays
	if minOverlap <= 0 {
		minOverlap = DefaultLearningMinOverlap
	}
	if minDays <= 0 {
		minDays = DefaultLearningMinDays
	}
	rng := rand.New(rand.NewSource(in.Seed))

	cands := slices.Clone(in.Candidates)
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].ID < cands[b].ID })
	cands = slices.DeleteFunc(cands, func(c LearningCandidate) bool { return c.ID == "" })
	cands = slices.CompactFunc(cands, func(a, b LearningCandidate) bool { return a.ID == b.ID })
	cands = slices.DeleteFunc(cands, func(c LearningCandidate) bool { return c.Paused || c.Away })
	index := map[string]int{}
	for i, c := range cands {
		index[c.ID] = i
	}
	avoid := map[[2]int]bool{}
	for i, c := range cands {
		for _, o := range c.Avoid {
			if j, ok := index[o]; ok {
				avoid[[2]int{i, j}], avoid[[2]int{j, i}] = true, true
			}
		}
	}
	past := map[LearningMet]bool{}
	for _, m := range in.History {
		past[LearningMet{Learner: m.Learner, Teacher: m.Teacher, Skill: m.Skill}] = true
	}
	room := make([]int, len(cands))
	for i, c := range cands {
		capacity := c.Capacity
		if capacity == 0 {
			capacity = DefaultLearningCapacity
		}
		room[i] = max(capacity-c.Current, 0)
	}
	teachers := map[string][]int{} // skill → people teaching it
	for i, c := range cands {
		for _, sk := range c.Skills.Teach {
			teachers[sk.Name] = append(teachers[sk.Name], i)
		}
	}
	shared := map[[2]int][]Interval{}
	sharedOf := func(l, t int) []Interval {
		k := [2]int{l, t}
		if s, ok := shared[k]; ok {
			return s
		}
		s := SharedSpans(minOverlap, cands[l].Windows, cands[t].Windows)
		shared[k] = s
		return s
	}
	enoughDays := func(l, t int) bool {
		return learnerDays(cands[l].Windows, sharedOf(l, t)) >= minDays
	}

	var learners []int
	edges := map[int][]learningEdge{}
	reason := map[int]LearningLeft{}
	for l, c := range cands {
		if len(c.Skills.Learn) == 0 {
			continue
		}
		learners = append(learners, l)
		best := LearningLeft{ID: c.ID, Skill: c.Skills.Learn[0].Name, Reason: LearningNoTeacher}
		for k, want := range c.Skills.Learn {
			var r LearningLeftReason = LearningNoTeacher
			for _, t := range teachers[want.Name] {
				lvl, _ := skillLevel(cands[t].Skills.Teach, want.Name)
				if t == l || lvl <= want.Level {
					continue
				}
				if r == LearningNoTeacher {
					r = LearningNoSharedHours
				}
				if !enoughDays(l, t) {
					continue
				}
				r = LearningNoRoom
				if room[t] == 0 || avoid[[2]int{l, t}] {
					continue
				}
				e := learningEdge{teacher: t, skill: want.Name, rank: [4]int{0, 0, k, rng.Int()}}
				if past[LearningMet{Learner: c.ID, Teacher: cands[t].ID, Skill: want.Name}] {
					e.rank[0] = 1
				}
				if sameTeam(c.Teams, cands[t].Teams) {
					e.rank[1] = 1
				}
				edges[l] = append(edges[l], e)
			}
			if reasonOrder(r) > reasonOrder(best.Reason) {
				best.Skill, best.Reason = want.Name, r
			}
		}
		best.Text = best.Reason.Text(best.Skill, minOverlap, minDays)
		reason[l] = best
		slices.SortFunc(edges[l], func(a, b learningEdge) int {
			for i := range a.rank {
				if a.rank[i] != b.rank[i] {
					return a.rank[i] - b.rank[i]
				}
			}
			return 0
		})
	}

	// Learners with Priority first, then those with fewest options, ties
	// at random.
	rng.Shuffle(len(learners), func(a, b int) { learners[a], learners[b] = learners[b], learners[a] })
	sort.SliceStable(learners, func(a, b int) bool {
		la, lb := learners[a], learners[b]
		if cands[la].Priority != cands[lb].Priority {
			return cands[la].Priority
		}
		return len(edges[la]) < len(edges[lb])
	})

	assigned := map[int]learningEdge{} // learner → edge
	taken := make([][]int, len(cands)) // teacher → learners
	var try func(l int, visited []bool) bool
	try = func(l int, visited []bool) bool {
		for _, e := range edges[l] {
			if visited[e.teacher] {
				continue
			}
			visited[e.teacher] = true
			if len(taken[e.teacher]) < room[e.teacher] {
				taken[e.teacher] = append(taken[e.teacher], l)
				assigned[l] = e
				return true
			}
			for i, other := range taken[e.teacher] {
				if try(other, visited) {
					taken[e.teacher][i] = l
					assigned[l] = e
					return true
				}
			}
		}
		return false
	}
	for _, l := range learners {
		if len(edges[l]) > 0 {
			try(l, make([]bool, len(cands)))
		}
	}

	var res LearningResult
	for _, l := range learners {
		e, ok := assigned[l]
		if !ok {
			res.Waiting = append(res.Waiting, reason[l])
			continue
		}
		res.Pairs = append(res.Pairs, LearningPair{Learner: cands[l].ID, Teacher: cands[e.teacher].ID, Skill: e.skill, Shared: sharedOf(l, e.teacher)})
	}
	sort.Slice(res.Pairs, func(a, b int) bool { return res.Pairs[a].Learner < res.Pairs[b].Learner })
	sort.Slice(res.Waiting, func(a, b int) bool { return res.Waiting[a].ID < res.Waiting[b].ID })
	return res
}

// reasonOrder ranks reasons by how far the learner got: the furthest is
// the one they are told.
func reasonOrder(r LearningLeftReason) int {
	switch r {
	case LearningNoSharedHours:
		return 1
	case LearningNoRoom:
		return 2
	}
	return 0
}

// learnerDays counts the learner's windows (their working days) holding a
// shared span.
func learnerDays(windows, shared []Interval) int {
	n := 0
	for _, w := range windows {
		for _, s := range shared {
			if !s.Start.Before(w.Start) && !s.End.After(w.End) {
				n++
				break
			}
		}
	}
	return n
}

// sameTeam reports whether two people share a team label; an empty label
// is no team.
func sameTeam(a, b []string) bool {
	for _, x := range a {
		if x != "" && slices.Contains(b, x) {
			return true
		}
	}
	return false
}
