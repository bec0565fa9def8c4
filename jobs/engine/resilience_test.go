package engine

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot/bottest"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/kv/kvtest"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// A replica that stalls after claiming, past its lease, cannot send or
// complete once it resumes: the replica that took the occurrence over
// sends it, once.
func TestStalledReplicaCannotSendTwice(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			start := mustTime("2026-11-23T09:29:00Z")
			h := newHarness(t, harnessOpts{dialect: dialect, replicas: 2, start: start})
			ada := h.person("ada", "Europe/London", nil)
			h.schedule("standup", "weekdays at 09:30", ada)
			stalled, b := h.engines[0], h.engines[1]

			claimed := make(chan struct{})
			resume := make(chan struct{})
			var once sync.Once
			stalled.afterClaim = func(ctx context.Context, claims []models.Claim) {
				if len(claims) == 0 {
					return
				}
				once.Do(func() {
					close(claimed)
					<-resume
				})
			}
			ctx := context.Background()
			due := mustTime("2026-11-23T09:30:00Z")
			h.clk.Set(due)
			done := make(chan Stats)
			go func() {
				st, err := stalled.Tick(ctx, due)
				if err != nil {
					t.Errorf("stalled tick: %v", err)
				}
				done <- st
			}()
			<-claimed
			// The stalled replica holds the claim; its lease (2 min) runs
			// out, and the other replica takes the occurrence over.
			later := due.Add(3 * time.Minute)
			h.clk.Set(later)
			st, err := b.Tick(ctx, later)
			if err != nil {
				t.Fatal(err)
			}
			if st.Messages != 1 || st.Delivered != 1 {
				t.Fatalf("taking replica: %+v, want one delivered message", st)
			}
			close(resume)
			stale := <-done
			if stale.Messages != 0 || stale.Delivered != 0 || stale.LeaseLost == 0 {
				t.Errorf("stalled replica after resuming: %+v, want nothing sent and a lost lease", stale)
			}
			if m := h.dms(ada); len(m) != 1 {
				t.Errorf("ada got %d messages, want 1", len(m))
			}
			if got := testutil.ToFloat64(b.metrics.LeaseExpiries); got != 1 {
				t.Errorf("lease expiries = %v, want 1", got)
			}
		})
	}
}

// pausingSlack holds a PostMessage back, as a process paused between
// renewing its lease and writing to the socket would.
type pausingSlack struct {
	Slack
	entered, resume chan struct{}
	once            *sync.Once
}

func (p *pausingSlack) PostMessageContext(ctx context.Context, channel string, opts ...slack.MsgOption) (string, string, error) {
	p.once.Do(func() {
		close(p.entered)
		<-p.resume
	})
	return p.Slack.PostMessageContext(ctx, channel, opts...)
}

// A replica paused after it renewed its lease but before its call went on
// the wire finds, when it resumes, that the lease is nearly over, and does
// not send: the replica that took over sent it once.
func TestPausedBeforeTheWireDoesNotSend(t *testing.T) {
	start := mustTime("2026-11-23T09:30:00Z")
	var pause *pausingSlack
	// The schedule starts a minute before its first occurrence.
	h := newHarness(t, harnessOpts{replicas: 2, start: start.Add(-time.Minute), cfg: func(replica int, c *Config) {
		if replica != 0 {
			return
		}
		inner := c.Clients
		pause = &pausingSlack{entered: make(chan struct{}), resume: make(chan struct{}), once: new(sync.Once)}
		c.Clients = func(ctx context.Context, team string) (Slack, error) {
			s, err := inner(ctx, team)
			return &pausingSlack{Slack: s, entered: pause.entered, resume: pause.resume, once: pause.once}, err
		}
	}})
	ada := h.person("ada", "Europe/London", nil)
	h.schedule("standup", "weekdays at 09:30", ada)
	ctx := context.Background()
	h.clk.Set(start)
	done := make(chan Stats)
	go func() {
		st, err := h.engines[0].Tick(ctx, start)
		if err != nil {
			t.Errorf("paused tick: %v", err)
		}
		done <- st
	}()
	<-pause.entered
	later := start.Add(3 * time.Minute)
	h.clk.Set(later)
	if st, err := h.engines[1].Tick(ctx, later); err != nil || st.Messages != 1 {
		t.Fatalf("taking replica: %+v, %v", st, err)
	}
	close(pause.resume)
	if st := <-done; st.Messages != 0 {
		t.Errorf("paused replica sent after resuming: %+v", st)
	}
	if m := h.dms(ada); len(m) != 1 {
		t.Errorf("ada got %d messages, want 1", len(m))
	}
}

// A post whose answer is lost after Slack took it is found in the
// conversation and not sent again; one Slack never took is sent at the
// next tick, once.
func TestAmbiguousSendIsReconciled(t *testing.T) {
	for _, tt := range []struct {
		name        string
		afterEffect bool
	}{
		{"slack kept it", true},
		{"slack lost it", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := mustTime("2026-11-23T09:30:00Z")
			h := newHarness(t, harnessOpts{start: start.Add(-time.Minute)})
			ada := h.person("ada", "Europe/London", nil)
			h.schedule("standup", "weekdays at 09:30", ada)
			h.clk.Set(start)
			ctx := context.Background()
			if _, err := h.ctl.AddFault(ctx, slacksim.Fault{Method: "chat.postMessage", Next: 1, Status: http.StatusBadGateway, AfterEffect: tt.afterEffect}); err != nil {
				t.Fatal(err)
			}
			st, err := h.engines[0].Tick(ctx, start)
			if err != nil {
				t.Fatal(err)
			}
			if tt.afterEffect && (st.Reconciled != 1 || st.Delivered != 1) {
				t.Errorf("tick: %+v, want the message found by reconciliation", st)
			}
			if !tt.afterEffect && (st.Deferred != 1 || st.Delivered != 0) {
				t.Errorf("tick: %+v, want the occurrence handed back to check again", st)
			}
			h.runTo(start.Add(10 * time.Minute))
			msgs := h.dms(ada)
			if len(msgs) != 1 {
				t.Fatalf("ada got %d messages, want exactly 1", len(msgs))
			}
			occs := h.occurrences()
			if len(occs) != 1 || occs[0].Status != models.OccurrenceDelivered || occs[0].Receipt.TS != msgs[0].TS {
				t.Errorf("occurrence %+v, want delivered with the message's ts %s", occs, msgs[0].TS)
			}
			posts, err := h.ctl.Calls(ctx, "chat.postMessage")
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 1, false: 2}[tt.afterEffect]; len(posts) != want {
				t.Errorf("%d chat.postMessage calls, want %d", len(posts), want)
			}
		})
	}
}

// With Redis gone in the middle of a run, the engine keeps delivering —
// pacing in-process — and nothing is lost or sent twice.
func TestRedisStoppedMidRun(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			store := kvtest.New(t)
			proxy := bottest.NewProxy(t, bottest.RedisAddr(t, store))
			start := mustTime("2026-11-22T12:00:00Z")
			h := newHarness(t, harnessOpts{dialect: dialect, replicas: 2, start: start, redisURL: bottest.RedisURL(t, store, proxy.Addr())})
			var users []string
			for _, tz := range []string{"Europe/London", "Asia/Tokyo", "America/New_York", "Asia/Kolkata"} {
				users = append(users, h.person(strings.ToLower(strings.ReplaceAll(tz, "/", "-")), tz, nil))
			}
			h.schedule("standup", "weekdays at 09:30", users...)
			h.schedule("pulse", "every day at 13:00", users...)
			h.runToWith(mustTime("2026-11-24T00:00:00Z"), h.engines)
			proxy.Stop()
			h.runToWith(mustTime("2026-11-25T00:00:00Z"), h.engines)
			proxy.Start()
			h.runToWith(mustTime("2026-11-26T00:00:00Z"), h.engines)

			seen := map[int64]bool{}
			for _, u := range users {
				for _, m := range h.dms(u) {
					for _, id := range ids(t, m) {
						if seen[id] {
							t.Errorf("occurrence %d sent twice", id)
						}
						seen[id] = true
					}
				}
			}
			for _, o := range h.occurrences() {
				if o.NominalAt.Before(mustTime("2026-11-25T14:00:00Z")) && o.Status != models.OccurrenceDelivered && o.Status != models.OccurrenceSuperseded && o.Status != models.OccurrenceSkipped {
					t.Errorf("occurrence %d (%s) %s: %s", o.ID, o.NominalAt, o.Status, o.Reason)
				}
				if o.Status == models.OccurrenceDelivered && !seen[o.ID] {
					t.Errorf("occurrence %d is delivered but no message carries it", o.ID)
				}
			}
			if len(seen) < 4*2*2 {
				t.Errorf("only %d occurrences delivered", len(seen))
			}
		})
	}
}
