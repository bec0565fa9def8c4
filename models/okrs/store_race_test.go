package okrs_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// Two replicas creating overlapping cycles at once store one: the check
// and the write happen under one lock on the workspace. Likewise two
// objectives aligned to each other at once cannot both be stored.
func TestConcurrentWritesKeepTheRules(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			dbs := modelstest.Replicas(t, dialect, 2)
			stores := []*okrs.Store{okrs.NewStore(dbs[0]), okrs.NewStore(dbs[1])}
			for round := range 5 {
				ws := "T" + string(rune('A'+round))
				cycles := []okrs.Cycle{
					cycle(t, "Q1", "", "2027-01-01", "2027-03-31"),
					cycle(t, "Jan–Feb", "", "2027-01-15", "2027-02-28"),
				}
				errs := make([]error, 2)
				var wg sync.WaitGroup
				for i := range stores {
					wg.Go(func() { _, errs[i] = stores[i].CreateCycle(ctx, ws, cycles[i], "UA") })
				}
				wg.Wait()
				stored, err := stores[0].Cycles(ctx, ws)
				if err != nil {
					t.Fatal(err)
				}
				refused := 0
				for _, err := range errs {
					if errors.Is(err, okrs.ErrInvalid) {
						refused++
					} else if err != nil {
						t.Fatal(err)
					}
				}
				if len(stored) != 1 || refused != 1 {
					t.Errorf("round %d: %d cycles stored, %d refused (%v); want one of each", round, len(stored), refused, errs)
				}

				// Two objectives, each aligned at once to the other.
				a, err := stores[0].CreateObjective(ctx, ws, okrs.Objective{CycleID: stored[0].ID, Title: "A", Owner: "UO"}, "UO")
				if err != nil {
					t.Fatal(err)
				}
				b, err := stores[0].CreateObjective(ctx, ws, okrs.Objective{CycleID: stored[0].ID, Title: "B", Owner: "UO"}, "UO")
				if err != nil {
					t.Fatal(err)
				}
				a.Parents = []okrs.Ref{{Kind: okrs.RefObjective, ID: b.ID}}
				b.Parents = []okrs.Ref{{Kind: okrs.RefObjective, ID: a.ID}}
				pair := []okrs.Objective{a, b}
				for i := range stores {
					wg.Go(func() { _, errs[i] = stores[i].UpdateObjective(ctx, ws, pair[i], "UO", false) })
				}
				wg.Wait()
				aligned := 0
				for _, id := range []int64{a.ID, b.ID} {
					o, err := stores[0].Objective(ctx, ws, id)
					if err != nil {
						t.Fatal(err)
					}
					aligned += len(o.Parents)
				}
				if aligned != 1 {
					t.Errorf("round %d: %d of the two aligned (%v); want one, not a loop", round, aligned, errs)
				}
			}
		})
	}
}
