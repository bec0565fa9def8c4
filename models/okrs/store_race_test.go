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

// Two replicas changing one person's nudge state at once (a nudge written
// while the person posts an update) both count: each change reads what
// the other stored. A change that fails, or gives a state Validate
// refuses, stores nothing.
func TestChangeNudgeStateCountsEveryChange(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			dbs := modelstest.Replicas(t, dialect, 2)
			stores := []*okrs.Store{okrs.NewStore(dbs[0]), okrs.NewStore(dbs[1])}
			const each = 10
			var wg sync.WaitGroup
			for i := range stores {
				wg.Go(func() {
					for range each {
						_, _, err := stores[i].ChangeNudgeState(ctx, "T1", "UP", func(n okrs.NudgeState) (okrs.NudgeState, error) {
							n.IgnoredInRow++
							return n, nil
						})
						if err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			got, err := stores[0].NudgeState(ctx, "T1", "UP")
			if err != nil || got.IgnoredInRow != 2*each {
				t.Errorf("after %d changes on each replica: %+v, %v; want %d counted", each, got, err, 2*each)
			}
			boom := errors.New("boom")
			for _, change := range []func(okrs.NudgeState) (okrs.NudgeState, error){
				func(n okrs.NudgeState) (okrs.NudgeState, error) { n.Halved = true; return n, boom },
				func(n okrs.NudgeState) (okrs.NudgeState, error) { n.IgnoredInRow = -1; return n, nil },
			} {
				if _, _, err := stores[1].ChangeNudgeState(ctx, "T1", "UP", change); err == nil {
					t.Errorf("a failing change was stored")
				}
				if after, _ := stores[0].NudgeState(ctx, "T1", "UP"); after != got {
					t.Errorf("after a refused change: %+v, want %+v", after, got)
				}
			}
		})
	}
}

// An edit removing a key result and its first update, at once on two
// replicas: an update acknowledged to its author is never lost. Either
// the update is refused (its key result is gone, nothing stored) or the
// edit is refused (the key result has updates) — never both stored, the
// update then cascade-deleted with its key result.
func TestAnAcknowledgedUpdateSurvivesAConcurrentEdit(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			dbs := modelstest.Replicas(t, dialect, 2)
			stores := []*okrs.Store{okrs.NewStore(dbs[0]), okrs.NewStore(dbs[1])}
			q1, err := stores[0].CreateCycle(ctx, "T1", cycle(t, "Q1", "", "2027-01-01", "2027-03-31"), "UA")
			if err != nil {
				t.Fatal(err)
			}
			outcomes := map[string]int{}
			for round := range 60 {
				o, err := stores[0].CreateObjective(ctx, "T1", objective(q1.ID), "UO")
				if err != nil {
					t.Fatal(err)
				}
				gone := o.KeyResults[1].ID
				edit := o
				edit.KeyResults = o.KeyResults[:1]
				var (
					wg              sync.WaitGroup
					start           = make(chan struct{})
					editErr, addErr error
					added           []okrs.Update
				)
				wg.Go(func() {
					<-start
					_, editErr = stores[0].UpdateObjective(ctx, "T1", edit, "UO", false)
				})
				wg.Go(func() {
					<-start
					added, addErr = stores[1].AddUpdates(ctx, "T1", "UO", false, []okrs.Update{{KeyResultID: gone, NoChange: true}}, okrs.SourceForm, at)
				})
				close(start)
				wg.Wait()
				history, histErr := stores[0].History(ctx, "T1", gone)
				switch {
				case addErr == nil && editErr == nil:
					t.Fatalf("round %d: both the update (%+v) and the edit removing its key result succeeded; the update is lost (history: %v)", round, added, histErr)
				case addErr == nil:
					if !errors.Is(editErr, okrs.ErrInvalid) || histErr != nil || len(history) != 1 || history[0].ID != added[0].ID {
						t.Fatalf("round %d: update acknowledged, edit %v; stored history %+v, %v", round, editErr, history, histErr)
					}
					outcomes["edit refused"]++
				case editErr == nil:
					if !errors.Is(addErr, okrs.ErrInvalid) || !errors.Is(histErr, okrs.ErrNotFound) {
						t.Fatalf("round %d: edit stored, update %v; history %+v, %v", round, addErr, history, histErr)
					}
					outcomes["update refused"]++
				default:
					t.Fatalf("round %d: both refused: edit %v, update %v", round, editErr, addErr)
				}
			}
			t.Logf("outcomes: %v", outcomes)
		})
	}
}
