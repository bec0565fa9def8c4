package peers

import (
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The property tests run Match over random populations and check every
// promise of docs/peers.md "Promises", Matching, against an independent
// re-implementation of the rules. PEERS_MATCH_CASES sets the number of
// populations (default 120, 60 with -short; 5000 is a thorough run); a failure prints the seed
// of its population, which PEERS_MATCH_SEED replays alone.

var roundStart = time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC) // a Monday

var zones = []*time.Location{
	time.FixedZone("UTC-8", -8*3600), time.FixedZone("UTC-5", -5*3600), time.FixedZone("UTC-3:30", -3*3600-1800),
	time.UTC, time.FixedZone("UTC+1", 3600), time.FixedZone("UTC+3", 3*3600), time.FixedZone("UTC+5:30", 5*3600+1800),
	time.FixedZone("UTC+5:45", 5*3600+2700), time.FixedZone("UTC+9", 9*3600), time.FixedZone("UTC+10", 10*3600),
	time.FixedZone("UTC+12:45", 12*3600+2700),
}

// windowsFor is a person's working windows in a round of days days: from
// startMin local minutes after midnight, for length, on the weekdays in
// days (a night shift crosses midnight), minus the days off.
func windowsFor(loc *time.Location, startMin int, length time.Duration, workdays [7]bool, off map[int]bool, days int) []Interval {
	var out []Interval
	first := time.Date(roundStart.Year(), roundStart.Month(), roundStart.Day(), 0, 0, 0, 0, loc)
	for d := -1; d < days; d++ { // the day before the round may run into it
		day := first.AddDate(0, 0, d)
		if !workdays[int(day.Weekday())] || off[d] {
			continue
		}
		s := day.Add(time.Duration(startMin) * time.Minute)
		e := s.Add(length)
		lo, hi := roundStart, roundStart.AddDate(0, 0, days)
		if s.Before(lo) {
			s = lo
		}
		if e.After(hi) {
			e = hi
		}
		if e.After(s) {
			out = append(out, Interval{Start: s, End: e})
		}
	}
	return out
}

// randomInput builds one random round of 0 to 60 people.
func randomInput(r *rand.Rand) MatchInput { return randomInputN(r, r.Intn(61)) }

// randomInputN builds one random round of n people.
func randomInputN(r *rand.Rand, n int) MatchInput {
	days := 7
	if r.Intn(3) == 0 {
		days = 14
	}
	in := MatchInput{GroupSize: 2 + r.Intn(2), Seed: r.Int63()}
	switch r.Intn(4) {
	case 0:
		in.MinOverlap = time.Hour
	case 1:
		in.MinOverlap = 30 * time.Minute
	}
	in.MinDays = r.Intn(4)
	easy := r.Intn(4) == 0 // everyone in one zone, same hours: history decides
	nTeams := 1 + r.Intn(8)
	for i := range n {
		c := Candidate{ID: fmt.Sprintf("U%03d", i)}
		loc := zones[r.Intn(len(zones))]
		startMin := 7*60 + r.Intn(5)*30
		length := 8 * time.Hour
		if r.Intn(6) == 0 { // night shift
			startMin = 20*60 + r.Intn(6)*30
		} else if r.Intn(4) == 0 {
			startMin = r.Intn(48) * 30
			length = time.Duration(2+r.Intn(9)) * time.Hour
		}
		workdays := [7]bool{false, true, true, true, true, true, false}
		if r.Intn(8) == 0 {
			for d := range workdays {
				workdays[d] = r.Intn(3) > 0
			}
		}
		off := map[int]bool{}
		for d := range days {
			if r.Intn(8) == 0 {
				off[d] = true
			}
		}
		if easy {
			loc, startMin, length = time.UTC, 9*60, 8*time.Hour
			workdays, off = [7]bool{false, true, true, true, true, true, false}, nil
		}
		c.Windows = windowsFor(loc, startMin, length, workdays, off, days)
		for range r.Intn(3) {
			c.Teams = append(c.Teams, "T"+strconv.Itoa(r.Intn(nTeams)))
		}
		if r.Intn(8) == 0 && n > 1 {
			for range 1 + r.Intn(3) {
				c.Avoid = append(c.Avoid, fmt.Sprintf("U%03d", r.Intn(n)))
			}
		}
		c.Away = r.Intn(20) == 0
		c.Paused = r.Intn(20) == 0
		c.Priority = r.Intn(8) == 0
		in.Candidates = append(in.Candidates, c)
	}
	// History: a few earlier rounds of random pairs among random subsets.
	rounds := r.Intn(8)
	if easy && r.Intn(2) == 0 {
		rounds = r.Intn(40) // long histories: people run out of new partners
	}
	for round := 1; round <= rounds; round++ {
		ids := make([]string, 0, n)
		for _, c := range in.Candidates {
			if r.Intn(5) > 0 {
				ids = append(ids, c.ID)
			}
		}
		r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		for k := 0; k+1 < len(ids); k += 2 {
			in.History = append(in.History, Met{A: ids[k], B: ids[k+1], Round: round})
		}
	}
	return in
}

// rules re-implements the hard rules from the candidates, independently
// of the matcher.
type rules struct {
	in      MatchInput
	minO    time.Duration
	minDays int
	c       map[string]Candidate
	met     map[[2]string]bool
	ok      map[string]bool // groupOK's answers, by sorted members
}

func newRules(in MatchInput) *rules {
	r := &rules{in: in, minO: in.MinOverlap, minDays: in.MinDays, c: map[string]Candidate{}, met: map[[2]string]bool{}, ok: map[string]bool{}}
	if r.minO == 0 {
		r.minO = 30 * time.Minute
	}
	if r.minDays == 0 {
		r.minDays = 2
	}
	for _, c := range in.Candidates {
		r.c[c.ID] = c
	}
	for _, h := range in.History {
		r.met[[2]string{min(h.A, h.B), max(h.A, h.B)}] = true
	}
	return r
}

func (r *rules) takesPart(id string) bool { c := r.c[id]; return !c.Away && !c.Paused }

func (r *rules) hours(ids ...string) bool {
	w := make([][]Interval, len(ids))
	for i, id := range ids {
		w[i] = r.c[id].Windows
	}
	return len(SharedSpans(r.minO, w...)) >= r.minDays
}

func (r *rules) eligible(a, b string) bool {
	return a != b && r.takesPart(a) && r.takesPart(b) && r.hours(a, b) &&
		!slices.Contains(r.c[a].Avoid, b) && !slices.Contains(r.c[b].Avoid, a)
}

func (r *rules) groupOK(mem []string) bool {
	key := slices.Clone(mem)
	slices.Sort(key)
	k := strings.Join(key, " ")
	if ok, done := r.ok[k]; done {
		return ok
	}
	ok := true
	for i := range mem {
		for j := i + 1; j < len(mem); j++ {
			ok = ok && r.eligible(mem[i], mem[j])
		}
	}
	ok = ok && r.hours(mem...)
	r.ok[k] = ok
	return ok
}

func (r *rules) hasMet(a, b string) bool { return r.met[[2]string{min(a, b), max(a, b)}] }

func (r *rules) newPairs(mem []string) int {
	n := 0
	for i := range mem {
		for j := i + 1; j < len(mem); j++ {
			if !r.hasMet(mem[i], mem[j]) {
				n++
			}
		}
	}
	return n
}

func (r *rules) repeat(mem []string) bool { return r.newPairs(mem) < len(mem)*(len(mem)-1)/2 }

// check verifies properties 1 to 5 of one result.
func (r *rules) check(res MatchResult) error {
	where := map[string]int{} // group index, -1 unmatched
	reason := map[string]UnmatchedReason{}
	triples := 0
	for gi, g := range res.Groups {
		// Property 1: the hard rules, Shared and the flags.
		if !slices.IsSorted(g.Members) {
			return fmt.Errorf("group %v: members not sorted", g.Members)
		}
		if !r.groupOK(g.Members) {
			return fmt.Errorf("group %v breaks a hard rule", g.Members)
		}
		w := make([][]Interval, len(g.Members))
		for i, id := range g.Members {
			w[i] = r.c[id].Windows
		}
		if want := SharedSpans(r.minO, w...); !slices.Equal(want, g.Shared) {
			return fmt.Errorf("group %v: Shared = %v, want %v", g.Members, g.Shared, want)
		}
		if g.Repeat != r.repeat(g.Members) {
			return fmt.Errorf("group %v: Repeat = %v", g.Members, g.Repeat)
		}
		same := false
		for i, a := range g.Members {
			for _, b := range g.Members[:i] {
				same = same || shareTeam(r.c[a].Teams, r.c[b].Teams)
			}
		}
		if g.SameTeam != same {
			return fmt.Errorf("group %v: SameTeam = %v", g.Members, g.SameTeam)
		}
		// Property 2: sizes, and everyone once.
		switch len(g.Members) {
		case 2:
		case 3:
			triples++
		default:
			return fmt.Errorf("group %v has %d members", g.Members, len(g.Members))
		}
		for _, id := range g.Members {
			if _, dup := where[id]; dup {
				return fmt.Errorf("%s placed twice", id)
			}
			where[id] = gi
		}
	}
	if r.in.GroupSize != 3 && triples > 1 {
		return fmt.Errorf("%d groups of three with pairs", triples)
	}
	for _, u := range res.Unmatched {
		if _, dup := where[u.ID]; dup {
			return fmt.Errorf("%s placed twice", u.ID)
		}
		where[u.ID], reason[u.ID] = -1, u.Reason
	}
	if len(where) != len(r.c) {
		return fmt.Errorf("%d people placed, %d candidates", len(where), len(r.c))
	}
	for id := range r.c {
		if _, ok := where[id]; !ok {
			return fmt.Errorf("%s silently left out", id)
		}
	}
	// Property 4: reasons.
	for id, got := range reason {
		c := r.c[id]
		want := NoPartner
		switch {
		case c.Away:
			want = Away
		case c.Paused:
			want = Paused
		default:
			if !slices.ContainsFunc(r.in.Candidates, func(o Candidate) bool {
				return o.ID != id && r.takesPart(o.ID) && r.hours(id, o.ID)
			}) {
				want = NoOverlap
			}
		}
		if got != want {
			return fmt.Errorf("%s: reason %v, want %v", id, got, want)
		}
	}
	// Property 3: no exchange turns a repeat into a new pair.
	for _, g := range res.Groups {
		for _, a := range g.Members {
			for _, b := range g.Members {
				if a == b || !r.hasMet(a, b) {
					continue
				}
				for cid := range r.c {
					if cid == a || cid == b || !r.eligible(a, cid) || r.hasMet(a, cid) {
						continue
					}
					ga := replacedID(g.Members, b, cid)
					if slices.Contains(g.Members, cid) || !r.groupOK(ga) {
						continue
					}
					before, after := r.newPairs(g.Members), r.newPairs(ga)
					if hi := where[cid]; hi < 0 {
						if reason[cid] != NoPartner || (r.c[b].Priority && !r.c[cid].Priority) {
							continue
						}
					} else {
						h := res.Groups[hi].Members
						hb := replacedID(h, cid, b)
						if !r.groupOK(hb) {
							continue
						}
						before += r.newPairs(h)
						after += r.newPairs(hb)
					}
					if after > before {
						return fmt.Errorf("repeat %s-%s in %v: exchanging %s for %s gives more new pairs", a, b, g.Members, b, cid)
					}
				}
			}
		}
	}
	// Property 5: a Priority person left out has nobody eligible who could
	// be taken without leaving another Priority person out.
	for id, why := range reason {
		if why != NoPartner || !r.c[id].Priority {
			continue
		}
		for q := range r.c {
			if !r.eligible(id, q) {
				continue
			}
			gi := where[q]
			if gi < 0 {
				return fmt.Errorf("priority %s and %s both left out though eligible", id, q)
			}
			mem := res.Groups[gi].Members
			if len(mem) == 3 {
				return fmt.Errorf("priority %s left out while %s is in the group of three %v", id, q, mem)
			}
			other := mem[0]
			if other == q {
				other = mem[1]
			}
			if !r.c[other].Priority {
				return fmt.Errorf("priority %s left out while %s is paired with non-priority %s", id, q, other)
			}
		}
	}
	return nil
}

func replacedID(mem []string, old, new string) []string {
	out := slices.Clone(mem)
	for i, x := range out {
		if x == old {
			out[i] = new
		}
	}
	slices.Sort(out)
	return out
}

// shuffled is in with Candidates, History and every label list in
// another order.
func shuffled(in MatchInput, r *rand.Rand) MatchInput {
	out := in
	out.Candidates = slices.Clone(in.Candidates)
	r.Shuffle(len(out.Candidates), func(i, j int) { out.Candidates[i], out.Candidates[j] = out.Candidates[j], out.Candidates[i] })
	for i := range out.Candidates {
		c := &out.Candidates[i]
		c.Teams, c.Avoid = slices.Clone(c.Teams), slices.Clone(c.Avoid)
		slices.Reverse(c.Teams)
		slices.Reverse(c.Avoid)
	}
	out.History = slices.Clone(in.History)
	r.Shuffle(len(out.History), func(i, j int) { out.History[i], out.History[j] = out.History[j], out.History[i] })
	for i := range out.History {
		if r.Intn(2) == 0 {
			out.History[i].A, out.History[i].B = out.History[i].B, out.History[i].A
		}
	}
	return out
}

func propertyCases(t *testing.T) (cases int, seeds []int64) {
	if s := os.Getenv("PEERS_MATCH_SEED"); s != "" {
		seed, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("PEERS_MATCH_SEED=%q: %v", s, err)
		}
		return 1, []int64{seed}
	}
	cases = 120
	if testing.Short() {
		cases = 60
	}
	if s := os.Getenv("PEERS_MATCH_CASES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("PEERS_MATCH_CASES=%q: %v", s, err)
		}
		cases = n
	}
	base := time.Now().UnixNano() // a fresh sample each run; failures print their seed
	for i := range cases {
		seeds = append(seeds, base+int64(i))
	}
	return cases, seeds
}

// TestMatchProperties holds properties 1–9 of docs/peers.md "Promises", "Matching
// intros" over random populations.
func TestMatchProperties(t *testing.T) {
	_, seeds := propertyCases(t)
	for _, seed := range seeds {
		r := rand.New(rand.NewSource(seed))
		in := randomInput(r)
		res := Match(in)
		rl := newRules(in)
		if err := rl.check(res); err != nil {
			t.Fatalf("seed %d (PEERS_MATCH_SEED=%d): %v", seed, seed, err)
		}
		if err := rl.checkRestructurings(res); err != nil {
			t.Fatalf("seed %d (PEERS_MATCH_SEED=%d): %v", seed, seed, err)
		}
		// Property 6: the same input in another order gives the same result.
		if again := Match(shuffled(in, r)); !reflect.DeepEqual(again, res) {
			t.Fatalf("seed %d: the result depends on the input's order:\n%v\n%v", seed, res, again)
		}
		// Property 4: without any Avoid list, anyone still left out is told the same.
		free := in
		free.Candidates = slices.Clone(in.Candidates)
		for i := range free.Candidates {
			free.Candidates[i].Avoid = nil
		}
		told := map[string]UnmatchedReason{}
		for _, u := range res.Unmatched {
			told[u.ID] = u.Reason
		}
		for _, u := range Match(free).Unmatched {
			if was, ok := told[u.ID]; ok && was != u.Reason {
				t.Fatalf("seed %d: %s is told %v with the Avoid lists and %v without", seed, u.ID, was, u.Reason)
			}
		}
		// Property 7: Explain reveals no one else's list, away or paused state.
		for _, g := range res.Groups {
			for _, id := range g.Members {
				text := Explain(in, res, id)
				other := in
				other.Candidates = slices.Clone(in.Candidates)
				for i := range other.Candidates {
					c := &other.Candidates[i]
					if c.ID != id {
						c.Avoid = []string{id}
						c.Away, c.Paused = !c.Away, !c.Paused
					}
				}
				if got := Explain(other, res, id); got != text {
					t.Fatalf("seed %d: Explain(%s) changes with other people's lists or absences:\n%s\n%s", seed, id, text, got)
				}
				for _, w := range []string{"avoid", "away", "paused", "block", "list"} {
					if strings.Contains(strings.ToLower(text), w) {
						t.Fatalf("seed %d: Explain(%s) mentions %q: %s", seed, id, w, text)
					}
				}
			}
		}
		// Property 8: suggested times.
		for _, g := range res.Groups {
			if err := checkSuggest(g.Shared, 1+r.Intn(6), 30*time.Minute); err != nil {
				t.Fatalf("seed %d: group %v: %v", seed, g.Members, err)
			}
		}
	}
}

// checkSuggest verifies SuggestTimes on shared.
func checkSuggest(shared []Interval, n int, slot time.Duration) error {
	ts := SuggestTimes(shared, n, slot)
	if len(ts) > n {
		return fmt.Errorf("SuggestTimes gave %d times, asked %d", len(ts), n)
	}
	room := 0 // spans with room for at least one aligned slot
	for _, iv := range shared {
		if !alignUp(iv.Start).Add(slot).After(iv.End) {
			room++
		}
	}
	if len(ts) < min(n, room) {
		return fmt.Errorf("SuggestTimes gave %d times, %d spans have room", len(ts), room)
	}
	seen := map[int]bool{}
	for k, tm := range ts {
		span := slices.IndexFunc(shared, func(iv Interval) bool {
			return !tm.Before(iv.Start) && !tm.Add(slot).After(iv.End)
		})
		if span < 0 {
			return fmt.Errorf("time %v is not inside a span with the slot", tm)
		}
		local := tm.In(shared[span].Start.Location())
		if local.Minute()%30 != 0 || local.Second() != 0 || local.Nanosecond() != 0 {
			return fmt.Errorf("time %v is not on the hour or half hour", local)
		}
		if k < room && seen[span] {
			return fmt.Errorf("time %d (%v) repeats a span while others have room", k, tm)
		}
		if slices.ContainsFunc(ts[:k], tm.Equal) {
			return fmt.Errorf("time %v given twice", tm)
		}
		seen[span] = true
	}
	return nil
}

// arrangementOK says whether groups could be a round's groups: every
// group of two or three passes the hard rules, and with pairs at most one
// has three.
func (r *rules) arrangementOK(groups [][]string) bool {
	triples := 0
	for _, g := range groups {
		if len(g) < 2 || len(g) > 3 || !r.groupOK(g) {
			return false
		}
		if len(g) == 3 {
			triples++
		}
	}
	return r.in.GroupSize == 3 || triples <= 1
}

// without is groups less the one at index i, with the groups add.
func without(groups [][]string, i int, add ...[]string) [][]string {
	out := make([][]string, 0, len(groups)+len(add))
	for k, g := range groups {
		if k != i {
			out = append(out, g)
		}
	}
	return append(out, add...)
}

func others(g []string, id string) []string {
	out := make([]string, 0, len(g))
	for _, x := range g {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

// placeAlone lists the arrangements that place x, who has no group in
// groups, without a restructuring: with a free person, or joining a pair.
func placeAlone(groups [][]string, free []string, x string) [][][]string {
	var out [][][]string
	for _, v := range free {
		if v != x {
			out = append(out, without(groups, -1, []string{x, v}))
		}
	}
	for i, g := range groups {
		if len(g) == 2 {
			out = append(out, without(groups, i, []string{g[0], g[1], x}))
		}
	}
	return out
}

// restructurings lists every arrangement that places u, who has no group,
// by breaking up at most depth of groups (docs/peers.md: nobody left out while a reshuffle places them):
// u pairs with a free person or joins a pair; or u takes a partner p out
// of p's group, and the one left alone there (if p came from a pair) is
// placed the same way with depth-1, and may join the pairs made so far
// (made), which are not broken up again. free are the people without a
// group who could take part, u excluded.
func restructurings(groups, made [][]string, free []string, u string, depth int) [][][]string {
	out := placeAlone(without(groups, -1, made...), free, u)
	if depth == 0 {
		return out
	}
	for i, g := range groups {
		for _, p := range g {
			rest := others(g, p)
			pair := []string{u, p}
			if len(rest) == 2 {
				out = append(out, without(groups, i, append([][]string{rest, pair}, made...)...))
				continue
			}
			out = append(out, restructurings(without(groups, i), without(made, -1, pair), free, rest[0], depth-1)...)
		}
	}
	return out
}

// checkRestructurings is property 9: nobody left out (NoPartner) could be
// placed by breaking up at most two groups without leaving out anyone
// who has a group.
func (r *rules) checkRestructurings(res MatchResult) error {
	var groups [][]string
	for _, g := range res.Groups {
		groups = append(groups, g.Members)
	}
	var free []string
	for _, u := range res.Unmatched {
		if u.Reason == NoPartner {
			free = append(free, u.ID)
		}
	}
	for _, u := range free {
		for _, a := range restructurings(groups, nil, others(free, u), u, 2) {
			if r.arrangementOK(a) {
				return fmt.Errorf("%s is left out, but the groups %v place them and everyone placed", u, a)
			}
		}
	}
	return nil
}

// maxPlaced is the most people any arrangement of in places, and the most
// Priority people among those arrangements, by trying every one.
func (r *rules) maxPlaced() (placed, priority int) {
	var ids []string
	for _, c := range r.in.Candidates {
		if r.takesPart(c.ID) {
			ids = append(ids, c.ID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	prio := func(mem ...string) int {
		n := 0
		for _, id := range mem {
			if r.c[id].Priority {
				n++
			}
		}
		return n
	}
	var rec func(rest []string, n, p, triples int)
	rec = func(rest []string, n, p, triples int) {
		if len(rest) == 0 {
			if n > placed || n == placed && p > priority {
				placed, priority = n, p
			}
			return
		}
		a, tail := rest[0], rest[1:]
		rec(tail, n, p, triples)
		for i, b := range tail {
			if !r.groupOK([]string{a, b}) {
				continue
			}
			rec(others(tail, b), n+2, p+prio(a, b), triples)
			if r.in.GroupSize != 3 && triples > 0 {
				continue
			}
			for _, c := range tail[i+1:] {
				if r.groupOK([]string{a, b, c}) {
					rec(others(others(tail, b), c), n+3, p+prio(a, b, c), triples+1)
				}
			}
		}
	}
	rec(ids, 0, 0, 0)
	return placed, priority
}

// TestMatchPlacesMostTiny holds property 10: on populations of up to 7
// people, in pairs and in groups of three, Match places as many people as
// the best of all arrangements, found by trying every one.
func TestMatchPlacesMostTiny(t *testing.T) {
	_, seeds := propertyCases(t)
	for _, seed := range seeds {
		r := rand.New(rand.NewSource(seed))
		for range 20 {
			in := randomInputN(r, r.Intn(8))
			res := Match(in)
			rl := newRules(in)
			if err := rl.check(res); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			placed, prio := 0, 0
			for _, g := range res.Groups {
				placed += len(g.Members)
				for _, id := range g.Members {
					if rl.c[id].Priority {
						prio++
					}
				}
			}
			if want, wantPrio := rl.maxPlaced(); placed != want || prio != wantPrio {
				t.Fatalf("seed %d (PEERS_MATCH_SEED=%d), size %d: %d placed (%d priority), want %d (%d):\n%+v\n%+v",
					seed, seed, in.GroupSize, placed, prio, want, wantPrio, in, res)
			}
		}
	}
}
