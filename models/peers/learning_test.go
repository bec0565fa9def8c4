package peers

import (
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"testing"
	"time"
)

var learningSkillNames = []string{"sql", "hiring", "okrs", "go", "coaching", "budgets"}

func learningInput(rng *rand.Rand, seed int64) LearningInput {
	o := popOptions{
		n:          rng.Intn(40),
		zones:      [][]float64{{0}, {0, 2}, {-5, 0, 5.5}, {-8, 0, 8}}[rng.Intn(4)],
		teams:      rng.Intn(5),
		avoidRate:  []float64{0, 0.2, 0.5}[rng.Intn(3)],
		pausedRate: []float64{0, 0.1}[rng.Intn(2)],
		awayRate:   []float64{0, 0.1}[rng.Intn(2)],
		noHours:    0.05,
		dayOff:     []float64{0, 0.3, 0.7}[rng.Intn(3)],
	}
	names := learningSkillNames[:1+rng.Intn(len(learningSkillNames))]
	var in LearningInput
	for _, c := range randomPopulation(rng, o) {
		lc := LearningCandidate{Candidate: c, Skills: randomSkills(rng, names), Capacity: rng.Intn(4) - 1 + rng.Intn(2), Current: rng.Intn(3)}
		if rng.Intn(3) == 0 {
			lc.Skills.Teach = nil
		}
		in.Candidates = append(in.Candidates, lc)
		if rng.Intn(4) == 0 && len(in.Candidates) > 1 {
			other := in.Candidates[rng.Intn(len(in.Candidates))]
			in.History = append(in.History, LearningMet{Learner: c.ID, Teacher: other.ID, Skill: names[rng.Intn(len(names))], Round: rng.Intn(3)})
		}
	}
	if rng.Intn(3) == 0 {
		in.MinOverlap, in.MinDays = 2*time.Hour, 3
	}
	in.Seed = seed
	return in
}

// checkLearning holds a round's pairs to the rules, written independently
// of MatchLearning.
func checkLearning(in LearningInput, res LearningResult) error {
	overlap, days := in.MinOverlap, in.MinDays
	if overlap == 0 {
		overlap = 30 * time.Minute
	}
	if days == 0 {
		days = 2
	}
	byID := map[string]LearningCandidate{}
	for _, c := range in.Candidates {
		if _, ok := byID[c.ID]; !ok {
			byID[c.ID] = c
		}
	}
	avoids := func(a, b LearningCandidate) bool {
		return slices.Contains(a.Avoid, b.ID) || slices.Contains(b.Avoid, a.ID)
	}
	levelOf := func(side []Skill, name string) int {
		for _, s := range side {
			if s.Name == name {
				return s.Level
			}
		}
		return 0
	}
	room := func(c LearningCandidate) int {
		capacity := c.Capacity
		if capacity == 0 {
			capacity = 2
		}
		return max(capacity-c.Current, 0)
	}
	// sharedDays counts the learner's windows with a stretch of overlap
	// inside one of the teacher's.
	sharedDays := func(l, t LearningCandidate) int {
		n := 0
		for _, w := range l.Windows {
			for _, x := range t.Windows {
				start, end := w.Start, w.End
				if x.Start.After(start) {
					start = x.Start
				}
				if x.End.Before(end) {
					end = x.End
				}
				if end.Sub(start) >= overlap {
					n++
					break
				}
			}
		}
		return n
	}
	fits := func(l, t LearningCandidate, skill string) bool {
		want := levelOf(l.Skills.Learn, skill)
		return l.ID != t.ID && !t.Paused && !t.Away && want > 0 && levelOf(t.Skills.Teach, skill) > want &&
			!avoids(l, t) && sharedDays(l, t) >= days
	}
	load := map[string]int{}
	status := map[string]string{}
	for _, p := range res.Pairs {
		l, t := byID[p.Learner], byID[p.Teacher]
		if l.Paused || l.Away || status[p.Learner] != "" {
			return fmt.Errorf("learner %s paired though paused, away or already paired", p.Learner)
		}
		status[p.Learner] = "paired"
		if !fits(l, t, p.Skill) {
			return fmt.Errorf("pair %+v breaks a rule (levels %d→%d, avoid %v, days %d)", p, levelOf(t.Skills.Teach, p.Skill), levelOf(l.Skills.Learn, p.Skill), avoids(l, t), sharedDays(l, t))
		}
		for _, s := range p.Shared {
			if s.Duration() < overlap {
				return fmt.Errorf("pair %+v: shared span %v too short", p, s)
			}
		}
		load[p.Teacher]++
		if load[p.Teacher] > room(t) {
			return fmt.Errorf("teacher %s has %d new learners, room for %d", p.Teacher, load[p.Teacher], room(t))
		}
	}
	for _, w := range res.Waiting {
		if status[w.ID] != "" || w.Reason == "" || w.Text == "" || levelOf(byID[w.ID].Skills.Learn, w.Skill) == 0 {
			return fmt.Errorf("waiting %+v: twice, without a reason, or about a skill they do not want", w)
		}
		status[w.ID] = "waiting"
	}
	for id, c := range byID {
		want := id != "" && !c.Paused && !c.Away && len(c.Skills.Learn) > 0
		if want != (status[id] != "") {
			return fmt.Errorf("%s (learns %v, paused %v, away %v) is %q", id, c.Skills.Learn, c.Paused, c.Away, status[id])
		}
	}
	// Nobody waits while a teacher who fits them has room.
	for _, w := range res.Waiting {
		l := byID[w.ID]
		for _, t := range byID {
			for _, s := range l.Skills.Learn {
				if fits(l, t, s.Name) && load[t.ID] < room(t) {
					return fmt.Errorf("%s waits though %s teaches %s and has room", w.ID, t.ID, s.Name)
				}
			}
		}
	}
	return nil
}

// TestMatchLearningProperties: over thousands of random networks, every
// pair has a strictly higher teaching level, enough shared hours, no Avoid
// either way, no self; capacity holds; every learner is paired once or
// waits with a reason; nobody waits while a fitting teacher has room; the
// result does not depend on the order of the candidates.
func TestMatchLearningProperties(t *testing.T) {
	runs := propertyRuns(t, 500)
	first := propertySeed(t)
	pairs, reasons := 0, map[LearningLeftReason]int{}
	for seed := first; seed < first+int64(runs); seed++ {
		in := learningInput(rand.New(rand.NewSource(seed)), seed)
		res := MatchLearning(in)
		if err := checkLearning(in, res); err != nil {
			t.Fatalf("seed %d (PEERS_PROPERTY_SEED=%d): %v", seed, seed, err)
		}
		again := in
		again.Candidates = slices.Clone(in.Candidates)
		slices.Reverse(again.Candidates)
		if !reflect.DeepEqual(MatchLearning(again), res) {
			t.Fatalf("seed %d: the same candidates in another order give other pairs", seed)
		}
		pairs += len(res.Pairs)
		for _, w := range res.Waiting {
			reasons[w.Reason]++
		}
	}
	// The populations exercise every outcome.
	if pairs < runs || len(reasons) != 3 {
		t.Fatalf("%d pairs and waiting reasons %v over %d networks: the generator misses cases", pairs, reasons, runs)
	}
}

// TestMatchLearningReasonsIgnoreAvoid: removing every Avoid list changes
// the reason of nobody who still waits.
func TestMatchLearningReasonsIgnoreAvoid(t *testing.T) {
	runs := propertyRuns(t, 300)
	first := propertySeed(t)
	for seed := first; seed < first+int64(runs); seed++ {
		in := learningInput(rand.New(rand.NewSource(seed)), seed)
		with := MatchLearning(in)
		free := in
		free.Candidates = slices.Clone(in.Candidates)
		for i := range free.Candidates {
			free.Candidates[i].Avoid = nil
		}
		reasons := map[string]LearningLeft{}
		for _, w := range MatchLearning(free).Waiting {
			reasons[w.ID] = w
		}
		for _, w := range with.Waiting {
			if r, ok := reasons[w.ID]; ok && r != w {
				t.Fatalf("seed %d: %s waits with %+v with Avoid lists and %+v without", seed, w.ID, w, r)
			}
		}
	}
}

// TestMatchLearning pins the preferences and the words of a small case.
func TestMatchLearning(t *testing.T) {
	ws := randomWindows(rand.New(rand.NewSource(0)), 0, 0)
	far := randomWindows(rand.New(rand.NewSource(0)), 12, 0)
	person := func(id, team string, skills string, windows []Interval) LearningCandidate {
		s, err := ParseSkills(skills)
		if err != nil {
			t.Fatal(err)
		}
		return LearningCandidate{Candidate: Candidate{ID: id, Teams: []string{team}, Windows: windows}, Skills: s}
	}
	ana := person("ana", "red", "learn: sql (2), okrs", ws)
	bo := person("bo", "red", "teach: sql (4)", ws)
	cy := person("cy", "blue", "teach: sql (4)", ws)
	dee := person("dee", "blue", "teach: sql (2); learn: hiring", ws)
	eve := person("eve", "blue", "teach: hiring (5); learn: go", far)
	fay := person("fay", "blue", "teach: go (5); learn: okrs", ws)
	fay.Avoid = []string{"eve"}
	res := MatchLearning(LearningInput{Candidates: []LearningCandidate{ana, bo, cy, dee, eve, fay}, History: []LearningMet{{Learner: "ana", Teacher: "bo", Skill: "okrs"}}})
	wantPairs := []LearningPair{{Learner: "ana", Teacher: "cy", Skill: "sql"}} // another team, level above 2
	wantWaiting := []LearningLeft{
		{ID: "dee", Skill: "hiring", Reason: LearningNoSharedHours, Text: "nobody who teaches hiring shares 30 minutes of working hours with you on 2 days"},
		{ID: "eve", Skill: "go", Reason: LearningNoSharedHours, Text: "nobody who teaches go shares 30 minutes of working hours with you on 2 days"},
		{ID: "fay", Skill: "okrs", Reason: LearningNoTeacher, Text: "nobody teaches okrs above your level yet"},
	}
	for i := range res.Pairs {
		res.Pairs[i].Shared = nil
	}
	if !reflect.DeepEqual(res.Pairs, wantPairs) || !reflect.DeepEqual(res.Waiting, wantWaiting) {
		t.Fatalf("MatchLearning = %+v\nwant pairs %+v waiting %+v", res, wantPairs, wantWaiting)
	}
	// cy is full: ana learns from bo, her own team. With bo on her list she
	// waits, told only that nobody has room.
	cy.Current = 2
	res = MatchLearning(LearningInput{Candidates: []LearningCandidate{ana, bo, cy}})
	if len(res.Pairs) != 1 || res.Pairs[0].Teacher != "bo" {
		t.Fatalf("with cy full, pairs = %+v, want ana with bo", res.Pairs)
	}
	ana.Avoid = []string{"bo"}
	res = MatchLearning(LearningInput{Candidates: []LearningCandidate{ana, bo, cy}})
	want := []LearningLeft{{ID: "ana", Skill: "sql", Reason: LearningNoRoom, Text: "nobody who teaches sql has room this round"}}
	if len(res.Pairs) != 0 || !reflect.DeepEqual(res.Waiting, want) {
		t.Fatalf("with bo avoided and cy full = %+v, want %+v", res, want)
	}
}

// TestMatchLearningPriority: when two learners want the one free place,
// the one with Priority gets it, whatever the seed.
func TestMatchLearningPriority(t *testing.T) {
	ws := randomWindows(rand.New(rand.NewSource(0)), 0, 0)
	for seed := int64(0); seed < 30; seed++ {
		teacher := LearningCandidate{Candidate: Candidate{ID: "t", Windows: ws}, Skills: Skills{Teach: []Skill{{"sql", 5}}}, Capacity: 1}
		a := LearningCandidate{Candidate: Candidate{ID: "a", Windows: ws}, Skills: Skills{Learn: []Skill{{"sql", 1}}}}
		b := LearningCandidate{Candidate: Candidate{ID: "b", Windows: ws, Priority: true}, Skills: Skills{Learn: []Skill{{"sql", 1}}}}
		res := MatchLearning(LearningInput{Candidates: []LearningCandidate{teacher, a, b}, Seed: seed})
		if len(res.Pairs) != 1 || res.Pairs[0].Learner != "b" {
			t.Fatalf("seed %d: pairs = %+v, want b (priority) with t", seed, res.Pairs)
		}
	}
}
