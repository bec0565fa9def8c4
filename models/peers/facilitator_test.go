package peers

import (
	"fmt"
	"math/rand"
	"testing"
)

func TestNextFacilitator(t *testing.T) {
	members := []string{"ana", "bo", "cy"}
	for _, tc := range []struct {
		name string
		last map[string]int
		away map[string]bool
		want string
		ok   bool
	}{
		{"nobody yet: the first member", nil, nil, "ana", true},
		{"never before least recent", map[string]int{"ana": 0, "cy": 1}, nil, "bo", true},
		{"least recent", map[string]int{"ana": 4, "bo": 2, "cy": 3}, nil, "bo", true},
		{"least recent is away", map[string]int{"ana": 4, "bo": 2, "cy": 3}, map[string]bool{"bo": true}, "cy", true},
		{"ties by member order", map[string]int{"ana": 5, "bo": 5, "cy": 5}, nil, "ana", true},
		{"everyone away", nil, map[string]bool{"ana": true, "bo": true, "cy": true}, "", false},
	} {
		got, ok := NextFacilitator(members, tc.last, tc.away)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: NextFacilitator = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := NextFacilitator(nil, nil, nil); ok {
		t.Error("NextFacilitator(no members) found someone")
	}
}

// TestNextFacilitatorFair: over simulated sessions with random away days,
// nobody facilitates a second time while a member present that day has
// not facilitated since their first: when someone facilitates again,
// everyone else present has facilitated since that person last did.
func TestNextFacilitatorFair(t *testing.T) {
	runs := propertyRuns(t, 2000)
	first := propertySeed(t)
	for seed := first; seed < first+int64(runs); seed++ {
		rng := rand.New(rand.NewSource(seed))
		var members []string
		for i := 0; i < 2+rng.Intn(6); i++ {
			members = append(members, fmt.Sprintf("m%d", i))
		}
		awayRate := []float64{0, 0.2, 0.6}[rng.Intn(3)]
		last := map[string]int{}
		for session := 0; session < 40; session++ {
			away := map[string]bool{}
			for _, m := range members {
				away[m] = rng.Float64() < awayRate
			}
			got, ok := NextFacilitator(members, last, away)
			present := 0
			for _, m := range members {
				if !away[m] {
					present++
				}
			}
			if ok != (present > 0) || ok && away[got] {
				t.Fatalf("seed %d session %d: NextFacilitator = %q, %v with %d present", seed, session, got, ok, present)
			}
			if !ok {
				continue
			}
			if prev, again := last[got]; again {
				for _, m := range members {
					if l, did := last[m]; m != got && !away[m] && (!did || l < prev) {
						t.Fatalf("seed %d session %d: %s facilitates again (last at %d) before %s (present, last %d, %v)", seed, session, got, prev, m, l, did)
					}
				}
			}
			last[got] = session
		}
	}
}
