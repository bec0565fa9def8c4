package peers

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"
	"time"
)

// propertyRuns is how many random populations a property test draws:
// base, times PEERS_PROPERTY_SCALE when it is set (e.g. 20 for a long run).
func propertyRuns(t testing.TB, base int) int {
	v := os.Getenv("PEERS_PROPERTY_SCALE")
	if v == "" {
		return base
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("PEERS_PROPERTY_SCALE=%q: want a positive whole number", v)
	}
	return base * n
}

// propertySeed is the first seed of a property test: PEERS_PROPERTY_SEED
// replays a failure, otherwise a fixed seed keeps runs reproducible.
func propertySeed(t testing.TB) int64 {
	v := os.Getenv("PEERS_PROPERTY_SEED")
	if v == "" {
		return 1
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("PEERS_PROPERTY_SEED=%q: want a whole number", v)
	}
	return n
}

// fortnight is the Monday the sample fortnight of the tests starts on.
var fortnight = time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)

// popOptions shape a random population.
type popOptions struct {
	n          int
	zones      []float64 // UTC offsets in hours the people live in
	teams      int       // number of team labels; 0 for none
	avoidRate  float64   // chance a person keeps an Avoid list
	pausedRate float64
	awayRate   float64
	noHours    float64 // chance a person has no windows at all
	dayOff     float64 // chance of each working day being off
}

// randomWindows are a person's working windows over the fortnight: eight
// hours from a local start of 07:00 to 11:00 on weekdays, in a zone
// offset hours from UTC, with some days off.
func randomWindows(rng *rand.Rand, offset float64, dayOff float64) []Interval {
	start := time.Duration(7*60+30*rng.Intn(9)) * time.Minute
	length := time.Duration(6*60+30*rng.Intn(5)) * time.Minute
	var ws []Interval
	for d := 0; d < 14; d++ {
		day := fortnight.AddDate(0, 0, d)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday || rng.Float64() < dayOff {
			continue
		}
		s := day.Add(start - time.Duration(offset*float64(time.Hour)))
		ws = append(ws, Interval{Start: s, End: s.Add(length)})
	}
	return ws
}

// randomPopulation draws candidates named p000, p001, ...
func randomPopulation(rng *rand.Rand, o popOptions) []Candidate {
	cs := make([]Candidate, o.n)
	for i := range cs {
		c := Candidate{ID: fmt.Sprintf("p%03d", i)}
		if o.teams > 0 {
			c.Teams = []string{fmt.Sprintf("t%d", rng.Intn(o.teams))}
			if rng.Intn(10) == 0 {
				c.Teams = append(c.Teams, fmt.Sprintf("t%d", rng.Intn(o.teams)))
			}
		}
		if rng.Float64() >= o.noHours {
			c.Windows = randomWindows(rng, o.zones[rng.Intn(len(o.zones))], o.dayOff)
		}
		c.Paused = rng.Float64() < o.pausedRate
		c.Away = rng.Float64() < o.awayRate
		c.Priority = rng.Intn(8) == 0
		cs[i] = c
	}
	for i := range cs {
		if rng.Float64() < o.avoidRate {
			for k := 1 + rng.Intn(3); k > 0; k-- {
				cs[i].Avoid = append(cs[i].Avoid, cs[rng.Intn(len(cs))].ID)
			}
		}
	}
	rng.Shuffle(len(cs), func(a, b int) { cs[a], cs[b] = cs[b], cs[a] })
	return cs
}

// randomHistory makes terms rounds of random circles of about size people
// among cs, as pairs who met.
func randomHistory(rng *rand.Rand, cs []Candidate, terms, size int) []Met {
	var out []Met
	for r := 0; r < terms; r++ {
		perm := rng.Perm(len(cs))
		for start := 0; start < len(perm); start += size {
			end := min(start+size, len(perm))
			for a := start; a < end; a++ {
				for b := a + 1; b < end; b++ {
					out = append(out, Met{A: cs[perm[a]].ID, B: cs[perm[b]].ID, Round: r})
				}
			}
		}
	}
	return out
}
