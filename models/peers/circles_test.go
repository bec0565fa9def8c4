package peers

import (
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkCircles holds a result to the rules of FormCircles, written
// independently of it; it returns a description of the first broken rule.
func checkCircles(in CircleInput, res CircleResult) error {
	minSize, maxSize, overlap := in.MinSize, in.MaxSize, in.MinOverlap
	if minSize == 0 {
		minSize = 4
	}
	if maxSize == 0 {
		maxSize = 7
	}
	if overlap == 0 {
		overlap = 30 * time.Minute
	}
	byID := map[string]Candidate{}
	for _, c := range in.Candidates {
		if _, ok := byID[c.ID]; !ok {
			byID[c.ID] = c
		}
	}
	avoid := map[[2]string]bool{}
	for _, c := range byID {
		for _, o := range c.Avoid {
			avoid[[2]string{c.ID, o}], avoid[[2]string{o, c.ID}] = true, true
		}
	}
	past := map[[2]string]bool{}
	for _, m := range in.History {
		past[[2]string{m.A, m.B}], past[[2]string{m.B, m.A}] = true, true
	}
	seen := map[string]bool{}
	for _, c := range res.Circles {
		if n := len(c.Members); n < minSize || n > maxSize {
			return fmt.Errorf("circle %v has %d members, want %d..%d", c.Members, n, minSize, maxSize)
		}
		if !slices.IsSorted(c.Members) {
			return fmt.Errorf("circle %v is not sorted", c.Members)
		}
		var windows [][]Interval
		repeats := 0
		for i, m := range c.Members {
			p, ok := byID[m]
			if !ok || p.Paused || p.Away {
				return fmt.Errorf("circle %v holds %s, who is not eligible (%+v)", c.Members, m, ok)
			}
			if seen[m] {
				return fmt.Errorf("%s is placed twice", m)
			}
			seen[m] = true
			windows = append(windows, p.Windows)
			for _, o := range c.Members[i+1:] {
				if avoid[[2]string{m, o}] {
					return fmt.Errorf("circle %v holds %s and %s, one of whom avoids the other", c.Members, m, o)
				}
				if past[[2]string{m, o}] {
					repeats++
				}
			}
		}
		if repeats != c.RepeatPairs {
			return fmt.Errorf("circle %v says %d repeat pairs, has %d", c.Members, c.RepeatPairs, repeats)
		}
		ok := false
		for _, iv := range c.Shared {
			if iv.Duration() < overlap {
				return fmt.Errorf("circle %v: shared span %v shorter than %v", c.Members, iv, overlap)
			}
			inAll := true
			for _, w := range windows {
				inside := false
				for _, x := range w {
					if !iv.Start.Before(x.Start) && !iv.End.After(x.End) {
						inside = true
					}
				}
				inAll = inAll && inside
			}
			if !inAll {
				return fmt.Errorf("circle %v: shared span %v is not inside everyone's hours", c.Members, iv)
			}
			ok = true
		}
		if !ok {
			return fmt.Errorf("circle %v shares no %v of working hours", c.Members, overlap)
		}
	}
	eligible := 0
	for _, c := range byID {
		if c.ID != "" && !c.Paused && !c.Away {
			eligible++
		}
	}
	for i, l := range res.Left {
		if seen[l.ID] {
			return fmt.Errorf("%s is both placed and left", l.ID)
		}
		seen[l.ID] = true
		if l.Reason == "" || l.Text == "" {
			return fmt.Errorf("%s is left without a reason", l.ID)
		}
		if i > 0 && res.Left[i-1].ID >= l.ID {
			return fmt.Errorf("left is not in ID order at %s", l.ID)
		}
		c := byID[l.ID]
		switch {
		case c.Paused && l.Reason != CircleLeftPaused:
			return fmt.Errorf("%s is paused, left for %q", l.ID, l.Reason)
		case !c.Paused && c.Away && l.Reason != CircleLeftAway:
			return fmt.Errorf("%s is away, left for %q", l.ID, l.Reason)
		case eligible < minSize && !c.Paused && !c.Away && l.Reason != CircleLeftNotEnough:
			return fmt.Errorf("only %d eligible, %s left for %q", eligible, l.ID, l.Reason)
		}
		if eligible < minSize && len(res.Circles) > 0 {
			return fmt.Errorf("only %d eligible, yet %d circles", eligible, len(res.Circles))
		}
	}
	for id := range byID {
		if id != "" && !seen[id] {
			return fmt.Errorf("%s is neither placed nor left", id)
		}
	}
	// A person left for no fit fits no circle that has room.
	for _, l := range res.Left {
		if l.Reason != CircleLeftNoFit {
			continue
		}
		p := byID[l.ID]
		for _, c := range res.Circles {
			if len(c.Members) >= maxSize {
				continue
			}
			fits := hasSharedSpan(overlap, c.Shared, p.Windows)
			for _, m := range c.Members {
				fits = fits && !avoid[[2]string{l.ID, m}]
			}
			if fits {
				return fmt.Errorf("%s is left though circle %v has room and shares their hours", l.ID, c.Members)
			}
		}
	}
	return nil
}

func hasSharedSpan(min time.Duration, a, b []Interval) bool {
	return len(SharedSpans(min, a, b)) > 0
}

func circleInput(rng *rand.Rand, seed int64) CircleInput {
	o := popOptions{
		n:          rng.Intn(60),
		zones:      [][]float64{{0}, {0, 1, 2}, {-5, 0, 5.5}, {-8, -5, 0, 1, 8, 10}}[rng.Intn(4)],
		teams:      rng.Intn(8),
		avoidRate:  []float64{0, 0.1, 0.4}[rng.Intn(3)],
		pausedRate: []float64{0, 0.1}[rng.Intn(2)],
		awayRate:   []float64{0, 0.05}[rng.Intn(2)],
		noHours:    []float64{0, 0.05}[rng.Intn(2)],
		dayOff:     []float64{0, 0.2, 0.6}[rng.Intn(3)],
	}
	if rng.Intn(10) == 0 {
		o.n = 60 + rng.Intn(200)
	}
	cs := randomPopulation(rng, o)
	in := CircleInput{Candidates: cs, Seed: seed}
	if rng.Intn(2) == 0 {
		in.History = randomHistory(rng, cs, 1+rng.Intn(3), 5)
	}
	switch rng.Intn(4) {
	case 0:
		in.MinSize, in.MaxSize, in.Target = 3, 5, 4
	case 1:
		in.MinSize, in.MaxSize, in.Target = 5, 5, 5
	case 2:
		in.MinOverlap = 2 * time.Hour
	}
	if rng.Intn(10) == 0 && len(cs) > 0 { // a duplicate and an empty ID
		in.Candidates = append(in.Candidates, cs[0], Candidate{})
	}
	return in
}

// TestFormCirclesProperties: over thousands of random networks, circles
// have MinSize..MaxSize members who all may meet and share MinOverlap of
// hours; every candidate is placed once or left with a reason; nobody
// paused or away is placed; a person left for want of a fit fits no
// circle with room; the same input gives the same result.
func TestFormCirclesProperties(t *testing.T) {
	runs := propertyRuns(t, 150)
	first := propertySeed(t)
	circles, reasons := 0, map[CircleLeftReason]int{}
	for seed := first; seed < first+int64(runs); seed++ {
		in := circleInput(rand.New(rand.NewSource(seed)), seed)
		res := FormCircles(in)
		if err := checkCircles(in, res); err != nil {
			t.Fatalf("seed %d (PEERS_PROPERTY_SEED=%d): %v", seed, seed, err)
		}
		if seed%10 == 0 {
			again := in
			again.Candidates = slices.Clone(in.Candidates)
			slices.Reverse(again.Candidates)
			if !reflect.DeepEqual(FormCircles(again), res) {
				t.Fatalf("seed %d: the same candidates in another order give other circles", seed)
			}
		}
		circles += len(res.Circles)
		for _, l := range res.Left {
			reasons[l.Reason]++
		}
	}
	// The populations exercise every outcome.
	if circles < runs || len(reasons) != 6 {
		t.Fatalf("%d circles and left reasons %v over %d networks: the generator misses cases", circles, reasons, runs)
	}
}

// TestFormCirclesReasonsIgnoreAvoid: removing every Avoid list changes the
// reason of nobody who is still left.
func TestFormCirclesReasonsIgnoreAvoid(t *testing.T) {
	runs := propertyRuns(t, 60)
	first := propertySeed(t)
	for seed := first; seed < first+int64(runs); seed++ {
		in := circleInput(rand.New(rand.NewSource(seed)), seed)
		with := FormCircles(in)
		free := in
		free.Candidates = slices.Clone(in.Candidates)
		for i := range free.Candidates {
			free.Candidates[i].Avoid = nil
		}
		without := FormCircles(free)
		reasons := map[string]CircleLeftReason{}
		for _, l := range without.Left {
			reasons[l.ID] = l.Reason
		}
		for _, l := range with.Left {
			if r, ok := reasons[l.ID]; ok && r != l.Reason {
				t.Fatalf("seed %d: %s is left for %q with Avoid lists and %q without", seed, l.ID, l.Reason, r)
			}
		}
	}
}

// naiveRepeats partitions the same people at random into circles of the
// same sizes and counts its repeat pairs.
func naiveRepeats(rng *rand.Rand, res CircleResult, past map[[2]string]bool) int {
	var ids []string
	for _, c := range res.Circles {
		ids = append(ids, c.Members...)
	}
	rng.Shuffle(len(ids), func(a, b int) { ids[a], ids[b] = ids[b], ids[a] })
	n := 0
	for _, c := range res.Circles {
		group := ids[:len(c.Members)]
		ids = ids[len(c.Members):]
		for i, a := range group {
			for _, b := range group[i+1:] {
				if past[[2]string{a, b}] {
					n++
				}
			}
		}
	}
	return n
}

// TestFormCirclesFewerRepeatsThanRandom: where everyone shares hours and
// nobody avoids anyone, the circles repeat no more pairs than a random
// partition of the same people into circles of the same sizes.
func TestFormCirclesFewerRepeatsThanRandom(t *testing.T) {
	runs := propertyRuns(t, 50)
	first := propertySeed(t)
	for seed := first; seed < first+int64(runs); seed++ {
		rng := rand.New(rand.NewSource(seed))
		cs := randomPopulation(rng, popOptions{n: 8 + rng.Intn(80), zones: []float64{0}, teams: rng.Intn(6)})
		for i := range cs {
			cs[i].Windows = randomWindows(rand.New(rand.NewSource(0)), 0, 0)
		}
		in := CircleInput{Candidates: cs, History: randomHistory(rng, cs, 1+rng.Intn(4), 4+rng.Intn(4)), Seed: seed}
		res := FormCircles(in)
		if err := checkCircles(in, res); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if len(res.Left) != 0 {
			t.Fatalf("seed %d: %d people left though everyone shares hours", seed, len(res.Left))
		}
		past := map[[2]string]bool{}
		for _, m := range in.History {
			past[[2]string{m.A, m.B}], past[[2]string{m.B, m.A}] = true, true
		}
		got := 0
		for _, c := range res.Circles {
			got += c.RepeatPairs
		}
		if naive := naiveRepeats(rng, res, past); got > naive {
			t.Fatalf("seed %d: %d repeat pairs, a random partition has %d", seed, got, naive)
		}
	}
}

// TestFormCirclesSecondTermNoRepeats: the second term of a large network
// whose first term had circles of five repeats no pair.
func TestFormCirclesSecondTermNoRepeats(t *testing.T) {
	for seed := int64(1); seed <= 8; seed++ {
		rng := rand.New(rand.NewSource(seed))
		cs := randomPopulation(rng, popOptions{n: 60 + rng.Intn(140), zones: []float64{0, 1}, teams: 10})
		first := FormCircles(CircleInput{Candidates: cs, Seed: seed})
		var history []Met
		for _, c := range first.Circles {
			for i, a := range c.Members {
				for _, b := range c.Members[i+1:] {
					history = append(history, Met{A: a, B: b, Round: 0})
				}
			}
		}
		second := FormCircles(CircleInput{Candidates: cs, History: history, Seed: seed + 1})
		for _, c := range second.Circles {
			if c.RepeatPairs != 0 {
				t.Fatalf("seed %d: second term circle %v repeats %d pairs", seed, c.Members, c.RepeatPairs)
			}
		}
		if len(second.Left) != len(first.Left) {
			t.Fatalf("seed %d: %d left in the second term, %d in the first", seed, len(second.Left), len(first.Left))
		}
	}
}

// TestFormCirclesSmallOptimal: on eight people who all share hours, in
// circles of exactly four, the circles have the fewest repeat pairs any
// partition allowed by the Avoid lists has, and among those the oldest
// repeats: checked against every partition.
func TestFormCirclesSmallOptimal(t *testing.T) {
	ws := randomWindows(rand.New(rand.NewSource(0)), 0, 0)
	ids := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	runs := propertyRuns(t, 300)
	first := propertySeed(t)
	for seed := first; seed < first+int64(runs); seed++ {
		rng := rand.New(rand.NewSource(seed))
		var cs []Candidate
		for _, id := range ids {
			c := Candidate{ID: id, Windows: ws}
			if rng.Intn(6) == 0 {
				c.Avoid = []string{ids[rng.Intn(8)]}
			}
			cs = append(cs, c)
		}
		var history []Met
		for k := rng.Intn(12); k > 0; k-- {
			a, b := rng.Intn(8), rng.Intn(8)
			if a != b {
				history = append(history, Met{A: ids[a], B: ids[b], Round: rng.Intn(4)})
			}
		}
		in := CircleInput{Candidates: cs, History: history, MinSize: 4, MaxSize: 4, Target: 4, Seed: seed}
		res := FormCircles(in)
		if err := checkCircles(in, res); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		// The recency of a pair is the rank of its latest round among the
		// history's rounds, 1 the oldest.
		var rounds []int
		for _, m := range history {
			rounds = append(rounds, m.Round)
		}
		slices.Sort(rounds)
		rounds = slices.Compact(rounds)
		recency := map[[2]string]int{}
		for _, m := range history {
			r, _ := slices.BinarySearch(rounds, m.Round)
			for _, k := range [][2]string{{m.A, m.B}, {m.B, m.A}} {
				recency[k] = max(recency[k], r+1)
			}
		}
		avoid := map[[2]string]bool{}
		for _, c := range cs {
			for _, o := range c.Avoid {
				avoid[[2]string{c.ID, o}], avoid[[2]string{o, c.ID}] = true, true
			}
		}
		score := func(groups ...[]string) (repeats, rec int, ok bool) {
			for _, g := range groups {
				for i, x := range g {
					for _, y := range g[i+1:] {
						if avoid[[2]string{x, y}] {
							return 0, 0, false
						}
						if r := recency[[2]string{x, y}]; r > 0 {
							repeats++
							rec += r
						}
					}
				}
			}
			return repeats, rec, true
		}
		bestRep, bestRec, feasible := 0, 0, false
		for mask := 0; mask < 256; mask++ { // "a" is always in the first circle
			if mask&1 == 0 || bitsSet(mask) != 4 {
				continue
			}
			var g1, g2 []string
			for i, id := range ids {
				if mask&(1<<i) != 0 {
					g1 = append(g1, id)
				} else {
					g2 = append(g2, id)
				}
			}
			rep, rec, ok := score(g1, g2)
			if ok && (!feasible || rep < bestRep || rep == bestRep && rec < bestRec) {
				bestRep, bestRec, feasible = rep, rec, true
			}
		}
		if !feasible {
			continue
		}
		if len(res.Circles) != 2 {
			t.Fatalf("seed %d: %d circles, yet a partition of all eight exists", seed, len(res.Circles))
		}
		rep, rec, _ := score(res.Circles[0].Members, res.Circles[1].Members)
		if rep != bestRep || rec != bestRec {
			t.Fatalf("seed %d: circles %v and %v have %d repeats of recency %d, the best partition %d of %d", seed, res.Circles[0].Members, res.Circles[1].Members, rep, rec, bestRep, bestRec)
		}
	}
}

func bitsSet(n int) int {
	c := 0
	for ; n > 0; n &= n - 1 {
		c++
	}
	return c
}

// TestFormCirclesPrefersMixedTeams: with no history, people of one team
// are spread over circles.
func TestFormCirclesPrefersMixedTeams(t *testing.T) {
	ws := randomWindows(rand.New(rand.NewSource(0)), 0, 0)
	var cs []Candidate
	for i := 0; i < 20; i++ {
		cs = append(cs, Candidate{ID: fmt.Sprintf("p%02d", i), Windows: ws, Teams: []string{fmt.Sprintf("t%d", i%4)}})
	}
	res := FormCircles(CircleInput{Candidates: cs, Seed: 3})
	if len(res.Circles) != 4 {
		t.Fatalf("%d circles of 20 people, want 4 of 5", len(res.Circles))
	}
	for _, c := range res.Circles {
		teams := map[string]bool{}
		for _, m := range c.Members {
			var n int
			fmt.Sscanf(m, "p%d", &n)
			teams[fmt.Sprintf("t%d", n%4)] = true
		}
		// Five people, four teams: exactly one pair shares a team.
		if len(teams) != 4 {
			t.Errorf("circle %v spans %d teams, want 4", c.Members, len(teams))
		}
	}
}

// TestFormCirclesReasons pins the words a left person reads.
func TestFormCirclesReasons(t *testing.T) {
	ws := randomWindows(rand.New(rand.NewSource(0)), 0, 0)
	three := []Candidate{{ID: "a", Windows: ws}, {ID: "b", Windows: ws}, {ID: "c", Windows: ws}, {ID: "d", Paused: true}}
	res := FormCircles(CircleInput{Candidates: three})
	want := []CircleLeft{
		{ID: "a", Reason: CircleLeftNotEnough, Text: "not enough people yet: circles need at least 4"},
		{ID: "b", Reason: CircleLeftNotEnough, Text: "not enough people yet: circles need at least 4"},
		{ID: "c", Reason: CircleLeftNotEnough, Text: "not enough people yet: circles need at least 4"},
		{ID: "d", Reason: CircleLeftPaused, Text: "you had paused your part when the term's circles first met"},
	}
	if len(res.Circles) != 0 || !reflect.DeepEqual(res.Left, want) {
		t.Fatalf("FormCircles(3 people) = %+v, want nobody placed and %+v", res, want)
	}
	far := randomWindows(rand.New(rand.NewSource(0)), 12, 0) // no overlap with UTC 07:00-15:00
	cs := []Candidate{{ID: "a", Windows: ws}, {ID: "b", Windows: ws}, {ID: "c", Windows: ws}, {ID: "d", Windows: ws},
		{ID: "x", Windows: far}, {ID: "y"}, {ID: "z", Windows: ws, Avoid: []string{"a", "b", "c"}}}
	res = FormCircles(CircleInput{Candidates: cs, MaxSize: 4})
	got := map[string]string{}
	for _, l := range res.Left {
		got[l.ID] = l.Text
	}
	wantText := map[string]string{
		"x": "too few people share your working hours: a circle needs 4 people with 30 minutes in common on one day",
		"y": "your working hours in the coming weeks have no stretch of 30 minutes, so no circle could meet with you",
		"z": "no circle sharing 30 minutes of your working hours had room for you this term",
	}
	if !reflect.DeepEqual(got, wantText) {
		t.Fatalf("left = %v, want %v", got, wantText)
	}
	if strings.Contains(got["z"], "avoid") {
		t.Fatal("the reason mentions avoiding")
	}
	if s := spoken(90 * time.Minute); s != "1 hour 30 minutes" {
		t.Fatalf("spoken(90m) = %q", s)
	}
}

// TestFormCirclesLarge forms 2,000 people's circles; the work is bounded
// by a count of evaluations, not by time, so the result stays
// deterministic. BenchmarkFormCircles measures it.
func TestFormCirclesLarge(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	cs := randomPopulation(rng, popOptions{n: 2000, zones: []float64{-8, -5, 0, 1, 5.5, 8}, teams: 120, avoidRate: 0.05, dayOff: 0.1})
	in := CircleInput{Candidates: cs, History: randomHistory(rng, cs, 2, 5), Seed: 7}
	start := time.Now()
	res := FormCircles(in)
	t.Logf("2,000 people: %d circles, %d left, in %v", len(res.Circles), len(res.Left), time.Since(start))
	if err := checkCircles(in, res); err != nil {
		t.Fatal(err)
	}
	if len(res.Left) > 20 {
		t.Fatalf("%d of 2,000 left", len(res.Left))
	}
}

func BenchmarkFormCircles(b *testing.B) {
	rng := rand.New(rand.NewSource(7))
	cs := randomPopulation(rng, popOptions{n: 2000, zones: []float64{-8, -5, 0, 1, 5.5, 8}, teams: 120, avoidRate: 0.05, dayOff: 0.1})
	in := CircleInput{Candidates: cs, History: randomHistory(rng, cs, 2, 5), Seed: 7}
	for b.Loop() {
		FormCircles(in)
	}
}
