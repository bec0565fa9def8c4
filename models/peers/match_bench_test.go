package peers

import (
	"fmt"
	"math/rand"
	"os"
	"testing"
	"time"
)

// benchPopulation is a realistic company of n people in 20 time zones
// (UTC-8 to UTC+10, UTC+5:30 among them), working 09:00-17:00 local Monday
// to Friday (3% on night shifts, 22:00-06:00), in teams of about 8 who
// share a zone, 1% with an Avoid list; away (5%) and paused (3%) are drawn
// again for each round.
type benchPopulation struct {
	base []Candidate
	r    *rand.Rand
}

var benchZones = func() []*time.Location {
	var out []*time.Location
	for _, h := range []float64{-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 5.5, 6, 7, 8, 9, 10} {
		out = append(out, time.FixedZone(fmt.Sprintf("UTC%+.1f", h), int(h*3600)))
	}
	return out
}()

func newBenchPopulation(n int) *benchPopulation {
	r := rand.New(rand.NewSource(42))
	p := &benchPopulation{r: r}
	perZone := (n + len(benchZones) - 1) / len(benchZones)
	for i := range n {
		loc := benchZones[i/perZone]
		start := 9 * 60
		if r.Intn(100) < 3 {
			start = 22 * 60
		}
		c := Candidate{
			ID:      fmt.Sprintf("U%05d", i),
			Teams:   []string{fmt.Sprintf("T%04d", i/8)},
			Windows: windowsFor(loc, start, 8*time.Hour, weekdays, nil, 7),
		}
		if r.Intn(100) == 0 {
			for range 1 + r.Intn(2) {
				c.Avoid = append(c.Avoid, fmt.Sprintf("U%05d", r.Intn(n)))
			}
		}
		p.base = append(p.base, c)
	}
	return p
}

// round draws who is away or paused this round; priority marks who was
// left out last round.
func (p *benchPopulation) round(priority map[string]bool) []Candidate {
	cs := make([]Candidate, len(p.base))
	for i, c := range p.base {
		c.Away = p.r.Intn(100) < 5
		c.Paused = !c.Away && p.r.Intn(100) < 3
		c.Priority = priority[c.ID]
		cs[i] = c
	}
	return cs
}

// history runs rounds of Match, feeding each round's groups into the next
// one's history and its left-out people into its Priority.
func (p *benchPopulation) history(rounds int) ([]Met, map[string]bool) {
	var hist []Met
	priority := map[string]bool{}
	for round := 1; round <= rounds; round++ {
		res := Match(MatchInput{Candidates: p.round(priority), History: hist, Seed: int64(round)})
		hist = appendHistory(hist, res, round)
		priority = map[string]bool{}
		for _, u := range res.Unmatched {
			if u.Reason == NoPartner || u.Reason == NoOverlap {
				priority[u.ID] = true
			}
		}
	}
	return hist, priority
}

func appendHistory(hist []Met, res MatchResult, round int) []Met {
	for _, g := range res.Groups {
		for i, a := range g.Members {
			for _, b := range g.Members[:i] {
				hist = append(hist, Met{A: a, B: b, Round: round})
			}
		}
	}
	return hist
}

// matchFigures are a round's quality figures.
type matchFigures struct {
	groups, repeats, noOverlap, sameTeam int
	unmatched                            map[UnmatchedReason]int
}

func figures(res MatchResult) matchFigures {
	f := matchFigures{groups: len(res.Groups), unmatched: map[UnmatchedReason]int{}}
	for _, g := range res.Groups {
		if g.Repeat {
			f.repeats++
		}
		if g.SameTeam {
			f.sameTeam++
		}
		if len(g.Shared) < DefaultMinDays {
			f.noOverlap++
		}
	}
	for _, u := range res.Unmatched {
		f.unmatched[u.Reason]++
	}
	return f
}

func (f matchFigures) report(b *testing.B) {
	b.ReportMetric(float64(f.repeats), "repeats")
	b.ReportMetric(float64(f.noOverlap), "no-overlap-groups")
	b.ReportMetric(float64(f.sameTeam), "same-team-groups")
	for _, r := range []UnmatchedReason{NoPartner, NoOverlap, Away, Paused} {
		b.ReportMetric(float64(f.unmatched[r]), "unmatched-"+r.String())
	}
}

var benchInput = func() func() MatchInput {
	var in *MatchInput
	return func() MatchInput {
		if in == nil {
			p := newBenchPopulation(10000)
			hist, priority := p.history(12)
			in = &MatchInput{Candidates: p.round(priority), History: hist, Seed: 13}
		}
		return *in
	}
}()

// BenchmarkMatch10k times round 13 of 10,000 people, after 12 rounds of
// Match built the history (outside the timer).
func BenchmarkMatch10k(b *testing.B) {
	in := benchInput()
	b.ReportAllocs()
	b.ResetTimer()
	var res MatchResult
	for range b.N {
		res = Match(in)
	}
	b.StopTimer()
	figures(res).report(b)
}

// BenchmarkRandomPairs10k is the baseline on the same round.
func BenchmarkRandomPairs10k(b *testing.B) {
	in := benchInput()
	b.ReportAllocs()
	b.ResetTimer()
	var res MatchResult
	for range b.N {
		res = RandomPairs(in)
	}
	b.StopTimer()
	figures(res).report(b)
}

// TestMatchReport prints Match and RandomPairs side by side on the
// benchmarks' rounds. BENCH_PEERS_MATCH=1 runs it.
func TestMatchReport(t *testing.T) {
	if os.Getenv("BENCH_PEERS_MATCH") != "1" {
		t.Skip("set BENCH_PEERS_MATCH=1 to print the matching report")
	}
	in := benchInput()
	t.Logf("round 13 of %d people in %d zones, history of 12 rounds (%d meetings)", len(in.Candidates), len(benchZones), len(in.History))
	matchReport(t, in)
	in = crowdedInput()
	t.Logf("crowded: %d people, 500 of whom only 300 can meet", len(in.Candidates))
	matchReport(t, in)
}

func matchReport(t *testing.T, in MatchInput) {
	type row struct {
		name string
		f    matchFigures
		run  testing.BenchmarkResult
	}
	var rows []row
	for _, c := range []struct {
		name string
		fn   func(MatchInput) MatchResult
	}{{"Match", Match}, {"RandomPairs", RandomPairs}} {
		rows = append(rows, row{
			name: c.name,
			f:    figures(c.fn(in)),
			run: testing.Benchmark(func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					c.fn(in)
				}
			}),
		})
	}
	t.Logf("%-12s %7s %8s %9s %9s %11s %11s %6s %7s %12s %7s",
		"", "groups", "repeats", "no-hours", "same-team", "no-partner", "no-overlap", "away", "paused", "time/op", "MB/op")
	for _, r := range rows {
		t.Logf("%-12s %7d %8d %9d %9d %11d %11d %6d %7d %12v %7.1f",
			r.name, r.f.groups, r.f.repeats, r.f.noOverlap, r.f.sameTeam,
			r.f.unmatched[NoPartner], r.f.unmatched[NoOverlap], r.f.unmatched[Away], r.f.unmatched[Paused],
			time.Duration(r.run.NsPerOp()), float64(r.run.AllocedBytesPerOp())/1e6)
	}
}

// crowdedInput is the restructurings' worst case at scale: 10,000 people,
// of whom 500 work only at the weekend and keep each other on their Avoid
// lists, and 300 work every day; the rest work 09:00-17:00 UTC on
// weekdays. Only the 300 can meet the 500, so about 200 of them are left
// out, and each search for a restructuring placing one of them runs
// through every pair of the 300 and finds none: the search's work bounds
// are all that keep the round fast.
var crowdedInput = func() func() MatchInput {
	var in *MatchInput
	return func() MatchInput {
		if in == nil {
			const spokes, hubs = 500, 300
			weekend := windowsFor(time.UTC, 9*60, 8*time.Hour, [7]bool{true, false, false, false, false, false, true}, nil, 7)
			everyDay := windowsFor(time.UTC, 0, 23*time.Hour, [7]bool{true, true, true, true, true, true, true}, nil, 7)
			office := officeWeek(time.UTC)
			var spokeIDs []string
			for i := range spokes {
				spokeIDs = append(spokeIDs, fmt.Sprintf("S%04d", i))
			}
			in = &MatchInput{Seed: 5}
			for i, id := range spokeIDs {
				in.Candidates = append(in.Candidates, Candidate{ID: id, Windows: weekend, Avoid: spokeIDs[i+1:]})
			}
			for i := range hubs {
				in.Candidates = append(in.Candidates, Candidate{ID: fmt.Sprintf("H%04d", i), Windows: everyDay})
			}
			for i := range 10000 - spokes - hubs {
				in.Candidates = append(in.Candidates, Candidate{ID: fmt.Sprintf("O%05d", i), Windows: office})
			}
		}
		return *in
	}
}()

// BenchmarkMatchCrowded10k times crowdedInput's round.
func BenchmarkMatchCrowded10k(b *testing.B) {
	in := crowdedInput()
	b.ReportAllocs()
	b.ResetTimer()
	var res MatchResult
	for range b.N {
		res = Match(in)
	}
	b.StopTimer()
	figures(res).report(b)
}
