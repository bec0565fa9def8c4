package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// t0 is the tests' "now"; Claim takes the time as a parameter, so no test
// sleeps.
var t0 = time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)

// occ is a planned occurrence of checkin:1 for recipient, nominally and
// deliverable at at.
func occ(recipient string, at time.Time) models.Occurrence {
	return models.Occurrence{WorkspaceID: "T1", CadenceID: "checkin:1", Recipient: recipient, NominalAt: at, DeliverAt: at}
}

// due returns n occurrences for distinct recipients, due a second apart
// ending at t0.
func due(n int) []models.Occurrence {
	out := make([]models.Occurrence, n)
	for i := range out {
		out[i] = occ(fmt.Sprintf("U%04d", i), t0.Add(-time.Duration(n-i)*time.Second))
	}
	return out
}

func plan(t *testing.T, s *models.Occurrences, occs []models.Occurrence) {
	t.Helper()
	if _, err := s.Plan(context.Background(), occs); err != nil {
		t.Fatalf("Plan: %v", err)
	}
}

func claim(t *testing.T, s *models.Occurrences, now time.Time, lease time.Duration, limit int) []models.Claim {
	t.Helper()
	cs, err := s.Claim(context.Background(), now, lease, limit)
	if err != nil {
		t.Fatalf("Claim(%v): %v", now, err)
	}
	return cs
}

func TestPlanIsIdempotent(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewOccurrences(db)
		batch := due(50)
		n, err := s.Plan(ctx, batch)
		if err != nil || n != 50 {
			t.Fatalf("first Plan = %d, %v; want 50, nil", n, err)
		}
		n, err = s.Plan(ctx, batch)
		if err != nil || n != 0 {
			t.Fatalf("second Plan = %d, %v; want 0, nil", n, err)
		}
		// One more, in the same instant in another time zone: the same
		// identity, so nothing new.
		same := batch[0]
		same.NominalAt = same.NominalAt.In(time.FixedZone("x", 5*3600+45*60))
		if n, err := s.Plan(ctx, []models.Occurrence{same, occ("UNEW", t0)}); err != nil || n != 1 {
			t.Fatalf("Plan(old in another zone, new) = %d, %v; want 1, nil", n, err)
		}
		counts, err := s.CountByStatus(ctx, "T1")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := counts[models.OccurrencePlanned], 51; got != want || len(counts) != 1 {
			t.Errorf("CountByStatus = %v, want planned: %d only", counts, want)
		}
	})
}

// A one-off's payload is stored and claimed with it, in Plan's batches on
// both databases; an occurrence without one reads back with none. The
// payload is not part of the identity: the same identity with another
// payload is the same occurrence.
func TestPlanKeepsPayloads(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewOccurrences(db)
		payload := `{"kind":"reminder","version":1,"data":{"round":17,"n":2}}`
		withPayload := occ("U1", t0)
		withPayload.CadenceID, withPayload.Payload = "checkin:1#reminder:17:2", payload
		if n, err := s.Plan(ctx, []models.Occurrence{withPayload, occ("U2", t0)}); err != nil || n != 2 {
			t.Fatalf("Plan = %d, %v; want 2", n, err)
		}
		again := withPayload
		again.Payload = `{"kind":"reminder","version":1,"data":{"round":17,"n":3}}`
		if n, err := s.Plan(ctx, []models.Occurrence{again}); err != nil || n != 0 {
			t.Fatalf("Plan(same identity, other payload) = %d, %v; want 0", n, err)
		}
		got := map[string]string{}
		for _, c := range claim(t, s, t0, time.Minute, 10) {
			got[c.Occurrence.Recipient] = c.Occurrence.Payload
		}
		if want := map[string]string{"U1": payload, "U2": ""}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("claimed payloads %q, want %q", got, want)
		}
	})
}

func TestPlanConcurrentReplicas(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			var stores []*models.Occurrences
			for _, db := range modelstest.Replicas(t, dialect, 2) {
				stores = append(stores, models.NewOccurrences(db))
			}
			batch := due(300)
			// The second replica plans the same batch in reverse order.
			rev := make([]models.Occurrence, len(batch))
			for i, o := range batch {
				rev[len(rev)-1-i] = o
			}
			var wg sync.WaitGroup
			inserted := make([]int, 2)
			errs := make([]error, 2)
			start := make(chan struct{})
			for i, s := range stores {
				wg.Go(func() {
					<-start
					in := batch
					if i == 1 {
						in = rev
					}
					inserted[i], errs[i] = s.Plan(ctx, in)
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("replica %d: Plan: %v", i, err)
				}
			}
			if got, want := inserted[0]+inserted[1], len(batch); got != want {
				t.Errorf("inserted %d + %d, want %d in all", inserted[0], inserted[1], want)
			}
			counts, err := stores[0].CountByStatus(ctx, "T1")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := counts[models.OccurrencePlanned], len(batch); got != want {
				t.Errorf("planned rows = %d, want %d", got, want)
			}
		})
	}
}

func TestPlanRefusesInvalid(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		s := models.NewOccurrences(db)
		noDeliver := occ("U1", t0)
		noDeliver.DeliverAt = time.Time{}
		delivered := occ("U1", t0)
		delivered.Status = models.OccurrenceDelivered
		for name, o := range map[string]models.Occurrence{
			"no recipient":     occ("", t0),
			"no nominal time":  occ("U1", time.Time{}),
			"planned, no time": noDeliver,
			"delivered":        delivered,
		} {
			if n, err := s.Plan(context.Background(), []models.Occurrence{occ("UOK", t0), o}); !errors.Is(err, models.ErrInvalid) || n != 0 {
				t.Errorf("Plan(%s) = %d, %v; want 0, ErrInvalid", name, n, err)
			}
		}
		skipped := occ("U2", t0)
		skipped.DeliverAt, skipped.Status, skipped.Reason = time.Time{}, models.OccurrenceSkipped, "away"
		if n, err := s.Plan(context.Background(), []models.Occurrence{skipped}); err != nil || n != 1 {
			t.Errorf("Plan(skipped) = %d, %v; want 1, nil", n, err)
		}
	})
}

func TestClaimTakesOnlyDue(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewOccurrences(db)
		skipped := occ("USKIP", t0.Add(-time.Hour))
		skipped.Status, skipped.Reason = models.OccurrenceSkipped, "on holiday"
		plan(t, s, []models.Occurrence{
			occ("ULATE", t0.Add(-time.Hour)),
			occ("UNOW", t0),
			occ("UEARLY", t0.Add(-2*time.Hour)),
			occ("USOON", t0.Add(time.Microsecond)),
			occ("UTOMORROW", t0.Add(24*time.Hour)),
			skipped,
		})
		cs := claim(t, s, t0, time.Minute, 10)
		var got []string
		for _, c := range cs {
			got = append(got, c.Occurrence.Recipient)
			o := c.Occurrence
			if o.Status != models.OccurrenceClaimed || o.Attempts != 1 || !o.LeaseUntil.Equal(t0.Add(time.Minute)) || c.LeaseExpired || c.Token == "" {
				t.Errorf("claim of %s = %+v, want claimed, attempt 1, lease to t0+1m, not expired, a token", o.Recipient, c)
			}
		}
		if got, want := strings.Join(got, ","), "UEARLY,ULATE,UNOW"; got != want {
			t.Errorf("claimed %s, want %s (due, in delivery order)", got, want)
		}
		if len(cs) == 3 && (cs[0].Token == cs[1].Token || cs[1].Token == cs[2].Token) {
			t.Errorf("tokens %q, %q, %q; want one per occurrence", cs[0].Token, cs[1].Token, cs[2].Token)
		}
		if again := claim(t, s, t0, time.Minute, 10); len(again) != 0 {
			t.Errorf("second claim at t0 took %d, want 0 (leases held)", len(again))
		}
		if later := claim(t, s, t0.Add(time.Second), time.Minute, 1); len(later) != 1 || later[0].Occurrence.Recipient != "USOON" {
			t.Errorf("claim at t0+1s limit 1 = %+v, want USOON", later)
		}
		if _, err := s.Claim(ctx, t0, 0, 10); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("Claim with no lease = %v, want ErrInvalid", err)
		}
	})
}

func TestClaimConcurrentReplicasTakeEachOnce(t *testing.T) {
	const total, batch = 200, 10
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			var stores []*models.Occurrences
			for _, db := range modelstest.Replicas(t, dialect, 2) {
				stores = append(stores, models.NewOccurrences(db))
			}
			plan(t, stores[0], due(total))

			var (
				mu      sync.Mutex
				claimed = map[int64]int{}
				per     = make([]int, len(stores))
				wg      sync.WaitGroup
				errs    = make([]error, len(stores))
			)
			start := make(chan struct{})
			for i, s := range stores {
				wg.Go(func() {
					<-start
					for {
						cs, err := s.Claim(ctx, t0, time.Minute, batch)
						if err != nil {
							errs[i] = err
							return
						}
						if len(cs) == 0 {
							return
						}
						mu.Lock()
						for _, c := range cs {
							claimed[c.Occurrence.ID]++
						}
						per[i] += len(cs)
						mu.Unlock()
						for _, c := range cs {
							if err := s.Complete(ctx, c.Occurrence.ID, c.Token, models.OccurrenceDelivered, "", models.Receipt{Channel: "D1", TS: "1.0"}, t0); err != nil {
								errs[i] = err
								return
							}
						}
					}
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("replica %d: %v", i, err)
				}
			}
			if len(claimed) != total {
				t.Errorf("claimed %d distinct occurrences, want %d", len(claimed), total)
			}
			for id, n := range claimed {
				if n != 1 {
					t.Errorf("occurrence %d claimed %d times, want 1", id, n)
				}
			}
			t.Logf("replicas claimed %v", per)
			counts, err := stores[1].CountByStatus(ctx, "T1")
			if err != nil {
				t.Fatal(err)
			}
			if got := counts[models.OccurrenceDelivered]; got != total || len(counts) != 1 {
				t.Errorf("CountByStatus = %v, want delivered: %d only", counts, total)
			}
		})
	}
}

func TestStalledClaimerCannotComplete(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewOccurrences(db)
		plan(t, s, []models.Occurrence{occ("U1", t0)})

		a := claim(t, s, t0, time.Second, 10)
		if len(a) != 1 {
			t.Fatalf("A claimed %d, want 1", len(a))
		}
		// A stalls. Within its lease nobody else can take the occurrence.
		if b := claim(t, s, t0.Add(time.Second), time.Minute, 10); len(b) != 0 {
			t.Fatalf("B claimed %d at the lease's end, want 0", len(b))
		}
		b := claim(t, s, t0.Add(2*time.Second), time.Minute, 10)
		if len(b) != 1 {
			t.Fatalf("B claimed %d after A's lease ran out, want 1", len(b))
		}
		if !b[0].LeaseExpired || b[0].Token == a[0].Token || b[0].Occurrence.Attempts != 2 {
			t.Errorf("B's claim = %+v, want a lease expiry, a new token, attempt 2", b[0])
		}
		id := a[0].Occurrence.ID
		if err := s.Complete(ctx, id, a[0].Token, models.OccurrenceDelivered, "", models.Receipt{Channel: "DA", TS: "1.1"}, t0.Add(3*time.Second)); !errors.Is(err, models.ErrLeaseLost) {
			t.Fatalf("A's Complete with its old token = %v, want ErrLeaseLost", err)
		}
		if err := s.Release(ctx, id, a[0].Token, t0.Add(time.Hour), "later"); !errors.Is(err, models.ErrLeaseLost) {
			t.Fatalf("A's Release with its old token = %v, want ErrLeaseLost", err)
		}
		sent := t0.Add(4 * time.Second)
		if err := s.Complete(ctx, id, b[0].Token, models.OccurrenceDelivered, "", models.Receipt{Channel: "DB", TS: "1.2"}, sent); err != nil {
			t.Fatalf("B's Complete: %v", err)
		}
		if err := s.Complete(ctx, id, b[0].Token, models.OccurrenceDelivered, "", models.Receipt{Channel: "DB", TS: "1.3"}, sent); !errors.Is(err, models.ErrLeaseLost) {
			t.Errorf("B's second Complete = %v, want ErrLeaseLost", err)
		}
		got, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != models.OccurrenceDelivered || got.Receipt != (models.Receipt{Channel: "DB", TS: "1.2"}) ||
			!got.SentAt.Equal(sent) || !got.LeaseUntil.IsZero() || got.Attempts != 2 {
			t.Errorf("Get = %+v, want delivered once, by B, at %v, no lease, 2 attempts", got, sent)
		}
		if later := claim(t, s, t0.Add(time.Hour), time.Minute, 10); len(later) != 0 {
			t.Errorf("claim after delivery took %d, want 0", len(later))
		}
	})
}

func TestCompleteWithWrongTokenChangesNothing(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewOccurrences(db)
		plan(t, s, []models.Occurrence{occ("U1", t0)})
		c := claim(t, s, t0, time.Minute, 1)
		if len(c) != 1 {
			t.Fatalf("claimed %d, want 1", len(c))
		}
		id := c[0].Occurrence.ID
		before, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, token := range []string{"", "forged", c[0].Token + "x"} {
			if err := s.Complete(ctx, id, token, models.OccurrenceDelivered, "", models.Receipt{Channel: "D", TS: "1"}, t0); !errors.Is(err, models.ErrLeaseLost) {
				t.Errorf("Complete(token %q) = %v, want ErrLeaseLost", token, err)
			}
			if err := s.Release(ctx, id, token, t0.Add(time.Hour), "x"); !errors.Is(err, models.ErrLeaseLost) {
				t.Errorf("Release(token %q) = %v, want ErrLeaseLost", token, err)
			}
		}
		if err := s.Complete(ctx, id+1000, c[0].Token, models.OccurrenceDelivered, "", models.Receipt{}, t0); !errors.Is(err, models.ErrLeaseLost) {
			t.Errorf("Complete(unknown id) = %v, want ErrLeaseLost", err)
		}
		if err := s.Complete(ctx, id, c[0].Token, models.OccurrenceDeferred, "", models.Receipt{}, t0); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("Complete(deferred) = %v, want ErrInvalid (use Release)", err)
		}
		after, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if after != before {
			t.Errorf("after refused calls: %+v, want unchanged %+v", after, before)
		}
		if _, err := s.Get(ctx, id+1000); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestReleaseDefersThenDelivers(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewOccurrences(db)
		plan(t, s, []models.Occurrence{occ("U1", t0)})
		c := claim(t, s, t0, time.Minute, 1)
		if len(c) != 1 {
			t.Fatalf("claimed %d, want 1", len(c))
		}
		id := c[0].Occurrence.ID
		later := t0.Add(90 * time.Minute)
		if err := s.Release(ctx, id, c[0].Token, later, "quiet hours until 15:30"); err != nil {
			t.Fatalf("Release: %v", err)
		}
		got, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != models.OccurrenceDeferred || !got.DeliverAt.Equal(later) || got.Reason != "quiet hours until 15:30" || !got.LeaseUntil.IsZero() {
			t.Errorf("after Release: %+v, want deferred to %v with the reason, no lease", got, later)
		}
		if cs := claim(t, s, later.Add(-time.Microsecond), time.Minute, 1); len(cs) != 0 {
			t.Errorf("claim before the deferred time took %d, want 0", len(cs))
		}
		cs := claim(t, s, later, time.Minute, 1)
		if len(cs) != 1 || cs[0].Occurrence.ID != id || cs[0].LeaseExpired || cs[0].Occurrence.Attempts != 2 {
			t.Fatalf("claim at the deferred time = %+v, want the occurrence, attempt 2", cs)
		}
		if err := s.Complete(ctx, id, cs[0].Token, models.OccurrenceDelivered, "deferred: quiet hours", models.Receipt{Channel: "D1", TS: "9.9"}, later); err != nil {
			t.Fatalf("Complete: %v", err)
		}
		got, _ = s.Get(ctx, id)
		if got.Status != models.OccurrenceDelivered || !got.NominalAt.Equal(t0) || !got.DeliverAt.Equal(later) {
			t.Errorf("final = %+v, want delivered, nominal t0, deliver_at %v", got, later)
		}
	})
}

// TestClaimUsesIndexes proves that a tick's cost follows what is due: with
// thousands of rows not yet due (and hundreds delivered), the claim
// search reads an index, not the whole table.
func TestClaimUsesIndexes(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewOccurrences(db)
		future := make([]models.Occurrence, 5000)
		for i := range future {
			future[i] = occ(fmt.Sprintf("U%05d", i), t0.Add(time.Duration(i+1)*time.Minute))
		}
		plan(t, s, future)
		past := due(500)
		plan(t, s, past)
		for {
			cs := claim(t, s, t0, time.Minute, 500)
			if len(cs) == 0 {
				break
			}
			for _, c := range cs {
				if err := s.Complete(ctx, c.Occurrence.ID, c.Token, models.OccurrenceDelivered, "", models.Receipt{Channel: "D", TS: "1"}, t0); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := modelstest.Exec(ctx, db, "ANALYZE"); err != nil {
			t.Fatalf("ANALYZE: %v", err)
		}
		plan, err := s.ExplainClaim(ctx, t0, 100)
		if err != nil {
			t.Fatalf("ExplainClaim: %v", err)
		}
		t.Logf("claim plan:\n%s", plan)
		bad := "Seq Scan on occurrences"
		if db.Dialect() == models.DialectSQLite {
			bad = "SCAN occurrences"
		}
		for line := range strings.SplitSeq(plan, "\n") {
			// SQLite says "SCAN occurrences USING INDEX ..." for an
			// index walk; only a bare SCAN reads the table.
			if strings.Contains(line, bad) && !strings.Contains(line, "INDEX") {
				t.Errorf("claim plan reads the whole table:\n%s", plan)
			}
		}
		if !strings.Contains(plan, "occurrences_due") || !strings.Contains(plan, "occurrences_lease") {
			t.Errorf("claim plan does not use both indexes:\n%s", plan)
		}
	})
}
