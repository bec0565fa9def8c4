package peers

import "math"

// NextFacilitator picks who facilitates a circle's session: of the members
// not away that day, whoever facilitated least recently, those who never
// did first, ties going to the earlier in members' order. last holds the
// index of the session each member last facilitated (missing: never). It
// returns false when every member is away.
func NextFacilitator(members []string, last map[string]int, away map[string]bool) (string, bool) {
	best, bestWhen, found := "", 0, false
	for _, m := range members {
		if away[m] {
			continue
		}
		when, did := last[m]
		if !did {
			when = math.MinInt
		}
		if !found || when < bestWhen {
			best, bestWhen, found = m, when, true
		}
	}
	return best, found
}
