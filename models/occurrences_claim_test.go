package models_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// tokenBatch is the part of a lease token one Claim call shares.
func tokenBatch(token string) string {
	b, _, _ := strings.Cut(token, ".")
	return b
}

// A claim takes a recipient whole: everything due, and what is due later
// in the same minute, but nothing of the next minute; while the claim is
// live no other claim takes anything of that recipient, even a row that
// came due since; once its lease runs out the next claim takes it all over.
func TestClaimTakesARecipientWhole(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		s := models.NewOccurrences(db)
		minute := t0.Add(-time.Minute)
		late := occ("U1", minute.Add(30*time.Second))
		late.CadenceID = "checkin:2"
		plan(t, s, []models.Occurrence{
			occ("U1", minute),
			late,
			occ("U2", minute.Add(10*time.Second)),
		})
		sameMinute := occ("U1", minute.Add(50*time.Second))
		sameMinute.CadenceID = "checkin:3"
		nextMinute := occ("U1", t0)
		nextMinute.CadenceID = "checkin:4"
		plan(t, s, []models.Occurrence{sameMinute, nextMinute})

		now := minute.Add(40 * time.Second)
		first := claim(t, s, now, time.Minute, 1)
		var got []string
		for _, c := range first {
			got = append(got, c.Occurrence.Recipient+"@"+c.Occurrence.NominalAt.Format("04:05"))
		}
		if want := "U1@59:00,U1@59:30,U1@59:50"; strings.Join(got, ",") != want {
			t.Fatalf("first claim (one recipient) = %s, want %s: all U1 has due, and due in the same minute", strings.Join(got, ","), want)
		}
		// U1 is held: a claim after the next minute came due takes U2 only.
		second := claim(t, s, t0, time.Minute, 10)
		if len(second) != 1 || second[0].Occurrence.Recipient != "U2" {
			t.Fatalf("claim while U1 is held = %+v, want U2's only", second)
		}
		// U1's lease runs out: the next claim takes U1's expired claims and
		// what came due, together.
		third := claim(t, s, now.Add(time.Minute+time.Second), time.Minute, 10)
		if len(third) != 4 {
			t.Fatalf("claim after U1's lease ran out took %d, want 4", len(third))
		}
		expired := 0
		for _, c := range third {
			if c.Occurrence.Recipient != "U1" || tokenBatch(c.Token) != tokenBatch(third[0].Token) {
				t.Errorf("claim %+v, want U1's, in one claim", c)
			}
			if c.LeaseExpired {
				expired++
			}
		}
		if expired != 3 {
			t.Errorf("%d takeovers, want 3", expired)
		}
	})
}

// While one of a recipient's schedule targets is due but not planned, a
// planner is about to add to what that person gets now: the claim leaves
// them alone, for at most PlanningWait.
func TestClaimWaitsForPlanning(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewOccurrences(db)
		sc, err := models.NewSchedules(db).Put(ctx, models.Schedule{WorkspaceID: "T1", Key: "checkin:9", Cadence: "every day at 14:00", Anchor: calendar.DateOf(t0)})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := models.NewSchedules(db).SetTargets(ctx, "T1", sc.Key, []string{"U1"}, t0); err != nil {
			t.Fatal(err)
		}
		plan(t, s, []models.Occurrence{occ("U1", t0), occ("U2", t0)})
		for _, tc := range []struct {
			nextAt time.Time
			want   string
		}{
			{t0, "U2"}, // due now, not planned yet
			{t0.Add(-models.PlanningWait + time.Second), "U2"}, // still within the wait
			{t0.Add(time.Minute), "U1"},                        // planned: its next instant is later
		} {
			if err := modelstest.Exec(ctx, db, "UPDATE schedule_targets SET next_at = ?", tc.nextAt.UTC()); err != nil {
				t.Fatal(err)
			}
			cs := claim(t, s, t0, time.Minute, 10)
			var got []string
			for _, c := range cs {
				got = append(got, c.Occurrence.Recipient)
				if err := s.Release(ctx, c.Occurrence.ID, c.Token, t0, "again"); err != nil {
					t.Fatal(err)
				}
			}
			if strings.Join(got, ",") != tc.want && !(tc.want == "U1" && strings.Join(got, ",") == "U1,U2") {
				t.Errorf("target next at %s: claimed %v, want %s", tc.nextAt.Sub(t0), got, tc.want)
			}
		}
		// A target stuck for longer than the wait does not hold U1 back.
		if err := modelstest.Exec(ctx, db, "UPDATE schedule_targets SET next_at = ?", t0.Add(-models.PlanningWait).UTC()); err != nil {
			t.Fatal(err)
		}
		if cs := claim(t, s, t0, time.Minute, 10); len(cs) != 2 {
			t.Errorf("with the target stuck past the wait, claimed %d, want both recipients' 2", len(cs))
		}
	})
}

// Claimers racing on one database never hold two live claims on one
// recipient, and each claim holds all of the recipient's rows that were
// due: whatever the number of replicas and the size of their batches, a
// recipient's due rows are taken by one claim.
func TestClaimConcurrentReplicasTakeRecipientsWhole(t *testing.T) {
	const people, perPerson = 60, 4
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			// On SQLite the claimers share one database handle, as in
			// the one process SQLite serves: its single connection
			// queues them. Handles of their own would wait on each other
			// through the busy timeout, which a loaded machine outlasts.
			var stores []*models.Occurrences
			if dialect == models.DialectSQLite {
				db := modelstest.New(t, dialect)
				for range 4 {
					stores = append(stores, models.NewOccurrences(db))
				}
			} else {
				for _, db := range modelstest.Replicas(t, dialect, 4) {
					stores = append(stores, models.NewOccurrences(db))
				}
			}
			var occs []models.Occurrence
			for p := range people {
				for k := range perPerson {
					o := occ(fmt.Sprintf("U%03d", p), t0.Add(-time.Duration(p%7)*time.Second))
					o.CadenceID = fmt.Sprintf("checkin:%d", k)
					occs = append(occs, o)
				}
			}
			plan(t, stores[0], occs)
			var (
				mu      sync.Mutex
				batches = map[string]map[string]bool{} // recipient -> claim batches
				count   = map[string]int{}
				wg      sync.WaitGroup
			)
			start := make(chan struct{})
			for i, s := range stores {
				wg.Go(func() {
					<-start
					for {
						cs, err := s.Claim(ctx, t0, time.Minute, 1+i%3)
						if err != nil {
							t.Errorf("replica %d: %v", i, err)
							return
						}
						if len(cs) == 0 {
							return
						}
						mu.Lock()
						for _, c := range cs {
							r := c.Occurrence.Recipient
							if batches[r] == nil {
								batches[r] = map[string]bool{}
							}
							batches[r][tokenBatch(c.Token)] = true
							count[r]++
						}
						mu.Unlock()
					}
				})
			}
			close(start)
			wg.Wait()
			if len(count) != people {
				t.Errorf("%d recipients claimed, want %d", len(count), people)
			}
			for r, n := range count {
				if n != perPerson || len(batches[r]) != 1 {
					t.Errorf("%s: %d rows in %d claims, want %d rows in one claim", r, n, len(batches[r]), perPerson)
				}
			}
		})
	}
}

// A send Slack did not confirm counts as sent, alone, until it is
// settled: released unconfirmed it is listed by SentSince; released
// plainly (it was looked for and is not in Slack) it is not.
func TestUnconfirmedSendCountsAsSent(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewOccurrences(db)
		plan(t, s, []models.Occurrence{occ("U1", t0)})
		c := claim(t, s, t0, time.Minute, 1)
		if len(c) != 1 {
			t.Fatalf("claimed %d", len(c))
		}
		id := c[0].Occurrence.ID
		if err := s.ReleaseUnconfirmed(ctx, id, c[0].Token, t0.Add(time.Minute), time.Time{}, "x"); err == nil {
			t.Errorf("ReleaseUnconfirmed without a send time succeeded")
		}
		if err := s.ReleaseUnconfirmed(ctx, id, c[0].Token, t0.Add(time.Minute), t0, "not confirmed"); err != nil {
			t.Fatal(err)
		}
		sent, err := s.SentSince(ctx, "T1", []string{"U1"}, t0.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(sent) != 1 || !sent[0].Unconfirmed || sent[0].Occurrence != id || !sent[0].At.Equal(t0) {
			t.Fatalf("SentSince = %+v, want the unconfirmed send", sent)
		}
		c = claim(t, s, t0.Add(time.Minute), time.Minute, 1)
		if len(c) != 1 || !c[0].Occurrence.SentAt.Equal(t0) {
			t.Fatalf("claim = %+v, want it with its unconfirmed send time", c)
		}
		if err := s.Release(ctx, id, c[0].Token, t0.Add(2*time.Minute), "not in Slack"); err != nil {
			t.Fatal(err)
		}
		if sent, err := s.SentSince(ctx, "T1", []string{"U1"}, t0.Add(-time.Hour)); err != nil || len(sent) != 0 {
			t.Errorf("after a plain release SentSince = %+v, %v; want nothing", sent, err)
		}
	})
}

// Rows of recipients that may not be claimed now, however many come first
// in delivery order, do not hide a recipient that may: the claim looks
// past them.
func TestClaimLooksPastBlockedRecipients(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		s := models.NewOccurrences(db)
		plan(t, s, []models.Occurrence{occ("U1", t0.Add(-time.Hour))})
		held := claim(t, s, t0, time.Hour, 1)
		if len(held) != 1 {
			t.Fatalf("claimed %d, want U1's one", len(held))
		}
		// Many more of U1's come due before U2's one, while U1 is held.
		var more []models.Occurrence
		for i := range 50 {
			o := occ("U1", t0.Add(-time.Hour+time.Duration(i+1)*time.Second))
			o.CadenceID = fmt.Sprintf("checkin:%d", 100+i)
			more = append(more, o)
		}
		plan(t, s, append(more, occ("U2", t0)))
		cs := claim(t, s, t0, time.Minute, 1)
		if len(cs) != 1 || cs[0].Occurrence.Recipient != "U2" {
			t.Errorf("claim = %+v, want U2's", cs)
		}
	})
}
