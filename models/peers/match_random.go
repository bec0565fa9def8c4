package peers

import (
	"cmp"
	"math/rand/v2"
	"slices"
)

// RandomPairs is the plain baseline Match is measured against: it leaves
// out the away and paused, shuffles everyone else with the seed and cuts
// the list into groups of GroupSize (an odd one out joins the last pair;
// with groups of three a remainder of one turns the last group of three
// into two pairs). It ignores working hours, history, teams, Avoid lists
// and Priority, so its groups may break Match's hard rules: it exists only
// for benchmarks.
func RandomPairs(in MatchInput) MatchResult {
	size := 2
	if in.GroupSize == 3 {
		size = 3
	}
	minOverlap := in.MinOverlap
	if minOverlap <= 0 {
		minOverlap = DefaultMinOverlap
	}
	cs := mergeCandidates(in.Candidates)
	var res MatchResult
	var pop []int
	for i, c := range cs {
		switch {
		case c.Away:
			res.Unmatched = append(res.Unmatched, Unmatched{ID: c.ID, Reason: Away})
		case c.Paused:
			res.Unmatched = append(res.Unmatched, Unmatched{ID: c.ID, Reason: Paused})
		default:
			pop = append(pop, i)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(in.Seed), 0x72616e646f6d))
	rng.Shuffle(len(pop), func(i, j int) { pop[i], pop[j] = pop[j], pop[i] })
	var groups [][]int
	for len(pop) >= size {
		groups = append(groups, pop[:size])
		pop = pop[size:]
	}
	switch {
	case len(pop) == 0:
	case len(groups) == 0:
		for _, i := range pop {
			res.Unmatched = append(res.Unmatched, Unmatched{ID: cs[i].ID, Reason: NoPartner})
		}
	case size == 2 || len(pop) == 2:
		if size == 2 {
			groups[len(groups)-1] = append(slices.Clone(groups[len(groups)-1]), pop[0])
		} else {
			groups = append(groups, pop)
		}
	default: // groups of three, one left: two pairs
		last := groups[len(groups)-1]
		groups = append(groups[:len(groups)-1], []int{last[0], last[1]}, []int{last[2], pop[0]})
	}
	met := map[[2]string]bool{}
	for _, h := range in.History {
		met[[2]string{min(h.A, h.B), max(h.A, h.B)}] = true
	}
	for _, mem := range groups {
		slices.Sort(mem)
		var g Group
		wins := make([][]Interval, len(mem))
		for k, i := range mem {
			g.Members = append(g.Members, cs[i].ID)
			wins[k] = cs[i].Windows
			for _, j := range mem[:k] {
				if met[[2]string{cs[j].ID, cs[i].ID}] {
					g.Repeat = true
				}
				for _, t := range cs[i].Teams {
					if slices.Contains(cs[j].Teams, t) {
						g.SameTeam = true
					}
				}
			}
		}
		g.Shared = SharedSpans(minOverlap, wins...)
		res.Groups = append(res.Groups, g)
	}
	slices.SortFunc(res.Groups, func(a, b Group) int { return cmp.Compare(a.Members[0], b.Members[0]) })
	slices.SortFunc(res.Unmatched, func(a, b Unmatched) int { return cmp.Compare(a.ID, b.ID) })
	return res
}
