package engine

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// gate holds the first PostMessage of a replica back until released, as a
// replica paused (SIGSTOP, a long GC, a slow network) right before the
// wire would be.
type gate struct {
	entered, resume chan struct{}
	once            sync.Once
	armed           atomic.Bool
}

// newGate returns a gate, armed: the next post waits at it.
func newGate() *gate {
	g := &gate{entered: make(chan struct{}), resume: make(chan struct{})}
	g.armed.Store(true)
	return g
}

type gatedSlack struct {
	Slack
	g *gate
}

func (s gatedSlack) PostMessageContext(ctx context.Context, channel string, opts ...slack.MsgOption) (string, string, error) {
	if !s.g.armed.Load() {
		return s.Slack.PostMessageContext(ctx, channel, opts...)
	}
	s.g.once.Do(func() {
		close(s.g.entered)
		<-s.g.resume
	})
	return s.Slack.PostMessageContext(ctx, channel, opts...)
}

// gated makes replica's Slack client wait at its first post on g.
func gated(replica int, g *gate) func(int, *Config) {
	return func(i int, c *Config) {
		if i != replica {
			return
		}
		inner := c.Clients
		c.Clients = func(ctx context.Context, team string) (Slack, error) {
			s, err := inner(ctx, team)
			return gatedSlack{Slack: s, g: g}, err
		}
	}
}

// A person with a daily limit of 3 who has had 2 messages today, and is
// due 3 more at 09:30, gets the 3 as one DM and nothing more that day,
// however two replicas' claims and sends interleave: one replica paused at
// the wire while the other ticks, either way round; one stalled after its
// claim past its lease while the other takes over; or both at once. The
// split claims of the past sent 4 or 5.
func TestBudgetAndMergingAcrossReplicas(t *testing.T) {
	type order struct {
		name string
		// pause is the replica whose first post waits (-1: none).
		pause int
		// stall makes replica 0 stop after its claim, past its lease.
		stall bool
	}
	orders := []order{
		{"replica 0 paused at the wire while 1 ticks", 0, false},
		{"replica 1 paused at the wire while 0 ticks", 1, false},
		{"replica 0 stalled past its lease, 1 takes over", -1, true},
		{"both at once", -1, false},
	}
	for _, dialect := range modelstest.Dialects() {
		for _, o := range orders {
			t.Run(dialect+"/"+o.name, func(t *testing.T) {
				g := newGate()
				g.armed.Store(false)
				opts := harnessOpts{dialect: dialect, replicas: 2, start: mustTime("2026-11-23T08:59:00Z"),
					cfg: func(i int, c *Config) {
						c.Lease = 30 * time.Second
						c.Batch = 1
						c.Recipients = 1
						if o.pause >= 0 {
							gated(o.pause, g)(i, c)
						}
					}}
				h := newHarness(t, opts)
				if o.pause < 0 {
					close(g.resume)
				}
				ada := h.person("ada", "Europe/London", nil)
				h.schedule("early", "every day at 09:00", ada)
				h.schedule("later", "every day at 09:10", ada)
				for _, k := range []string{"a", "b", "c"} {
					h.schedule("half-past-"+k, "every day at 09:30", ada)
				}
				h.runTo(mustTime("2026-11-23T09:29:00Z"))
				if n := len(h.dms(ada)); n != 2 {
					t.Fatalf("before 09:30 ada got %d messages, want 2", n)
				}
				ctx := context.Background()
				due := mustTime("2026-11-23T09:30:00Z")
				h.clk.Set(due)
				a, b := h.engines[0], h.engines[1]
				g.armed.Store(o.pause >= 0)
				switch {
				case o.pause >= 0:
					first, second := h.engines[o.pause], h.engines[1-o.pause]
					done := make(chan struct{})
					go func() {
						defer close(done)
						if _, err := first.Tick(ctx, due); err != nil {
							t.Errorf("paused replica: %v", err)
						}
					}()
					<-g.entered
					if _, err := second.Tick(ctx, due); err != nil {
						t.Fatal(err)
					}
					close(g.resume)
					<-done
				case o.stall:
					claimed, resume := make(chan struct{}), make(chan struct{})
					var once sync.Once
					a.afterClaim = func(context.Context, []models.Claim) {
						once.Do(func() {
							close(claimed)
							<-resume
						})
					}
					done := make(chan struct{})
					go func() {
						defer close(done)
						if _, err := a.Tick(ctx, due); err != nil {
							t.Errorf("stalled replica: %v", err)
						}
					}()
					<-claimed
					later := due.Add(31 * time.Second)
					h.clk.Set(later)
					if _, err := b.Sweep(ctx, later); err != nil {
						t.Fatal(err)
					}
					close(resume)
					<-done
				default:
					h.runToWith(due, h.engines)
				}
				h.runToWith(mustTime("2026-11-23T17:00:00Z"), h.engines)

				msgs := h.dms(ada)
				if len(msgs) != 3 {
					t.Errorf("ada got %d messages on Monday, want 3 (her daily limit)", len(msgs))
				}
				carried := map[int64]int{}
				for _, m := range msgs {
					for _, id := range ids(t, m) {
						carried[id]++
					}
				}
				var halfPast []int64
				for _, oc := range h.occurrences() {
					if carried[oc.ID] > 1 {
						t.Errorf("occurrence %d in %d messages", oc.ID, carried[oc.ID])
					}
					if oc.NominalAt.Equal(due) {
						halfPast = append(halfPast, oc.ID)
					}
				}
				if len(msgs) == 3 {
					last := map[int64]bool{}
					for _, id := range ids(t, msgs[2]) {
						last[id] = true
					}
					for _, id := range halfPast {
						if !last[id] {
							t.Errorf("09:30 occurrence %d is not in the one 09:30 DM (%v)", id, ids(t, msgs[2]))
						}
					}
				}
			})
		}
	}
}

// A replica that claimed and then stopped (it never sends, never hands
// back) costs seconds: once its 30-second lease runs out another replica
// delivers, on time. When the window closed meanwhile, the occurrence is
// missed with the true reason: a replica stopped while sending it, not
// "Trellis was not running".
func TestStoppedReplicaCostsSeconds(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		for _, tc := range []struct {
			name, cadence string
			due           string
			wait          time.Duration
			wantStatus    string
			wantReason    string
		}{
			{"window open", "weekdays at 10:00", "2026-11-23T10:00:00Z", 31 * time.Second, models.OccurrenceDelivered, ""},
			{"window closed meanwhile", "weekdays at 17:29", "2026-11-23T17:29:00Z", 3 * time.Minute, models.OccurrenceMissed,
				"missed: a Trellis replica stopped while sending it (it was due Mon 23 Nov 17:29 GMT); that working window closed at Mon 23 Nov 17:30 GMT"},
		} {
			t.Run(dialect+"/"+tc.name, func(t *testing.T) {
				due := mustTime(tc.due)
				h := newHarness(t, harnessOpts{dialect: dialect, replicas: 2, start: due.Add(-time.Minute),
					cfg: func(_ int, c *Config) { c.Lease = 30 * time.Second }})
				ada := h.person("ada", "Europe/London", nil)
				h.schedule("standup", tc.cadence, ada)
				stopped, b := h.engines[0], h.engines[1]
				claimed, resume := make(chan struct{}), make(chan struct{})
				var once sync.Once
				stopped.afterClaim = func(context.Context, []models.Claim) {
					once.Do(func() {
						close(claimed)
						<-resume
					})
				}
				ctx := context.Background()
				h.clk.Set(due)
				done := make(chan Stats)
				go func() {
					st, err := stopped.Tick(ctx, due)
					if err != nil {
						t.Errorf("stopped replica: %v", err)
					}
					done <- st
				}()
				<-claimed
				// Within the lease the other replica leaves it alone.
				if st, err := b.Tick(ctx, due.Add(20*time.Second)); err != nil || st.Claimed != 0 {
					t.Fatalf("within the lease the other replica claimed %+v, %v; want nothing", st, err)
				}
				at := due.Add(tc.wait)
				h.clk.Set(at)
				st, err := b.Tick(ctx, at)
				if err != nil {
					t.Fatal(err)
				}
				if st.Claimed != 1 {
					t.Errorf("after the lease the other replica claimed %d, want 1", st.Claimed)
				}
				close(resume)
				if late := <-done; late.Messages != 0 || late.Delivered != 0 {
					t.Errorf("the stopped replica, resumed, did %+v; want nothing sent", late)
				}
				occs := h.occurrences()
				if len(occs) != 1 || occs[0].Status != tc.wantStatus || !strings.HasPrefix(occs[0].Reason, tc.wantReason) {
					t.Fatalf("occurrence %+v, want %s with reason %q", occs, tc.wantStatus, tc.wantReason)
				}
				want := map[string]int{models.OccurrenceDelivered: 1, models.OccurrenceMissed: 0}[tc.wantStatus]
				if msgs := h.dms(ada); len(msgs) != want {
					t.Errorf("ada got %d messages, want %d", len(msgs), want)
				} else if want == 1 && msgTime(msgs[0]).Sub(due) > tc.wait {
					t.Errorf("delivered at %s, %s after it was due; want within the lease", msgTime(msgs[0]), msgTime(msgs[0]).Sub(due))
				}
				if tc.wantStatus == models.OccurrenceMissed {
					if got := testutil.ToFloat64(b.metrics.Occurrences.WithLabelValues("missed", "replica_stopped")); got != 1 {
						t.Errorf("missed/replica_stopped = %v, want 1", got)
					}
				}
			})
		}
	}
}

// clockMover moves the clock right before the transport paces and sends a
// post: the time a long wait behind Slack's pace, or a stalled replica,
// would take between the decision and the wire.
type clockMover struct {
	Slack
	move func()
}

func (c clockMover) PostMessageContext(ctx context.Context, channel string, opts ...slack.MsgOption) (string, string, error) {
	c.move()
	return c.Slack.PostMessageContext(ctx, channel, opts...)
}

// A DM decided inside the working window whose window closes before it
// reaches the wire is not sent: the check right before the wire (in the
// transport, after its pacing wait) asks the policy again, hands it back
// unsent, and the next claim decides it again by the normal rules.
func TestWindowCheckedAtTheWire(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			due := mustTime("2026-11-23T17:29:00Z")
			closed := mustTime("2026-11-23T17:30:05Z")
			var h *harness
			h = newHarness(t, harnessOpts{dialect: dialect, start: due.Add(-time.Minute), cfg: func(_ int, c *Config) {
				inner := c.Clients
				c.Clients = func(ctx context.Context, team string) (Slack, error) {
					s, err := inner(ctx, team)
					return clockMover{Slack: s, move: func() {
						if h.clk.Now().Before(closed) {
							h.clk.Set(closed)
						}
					}}, err
				}
			}})
			ada := h.person("ada", "Europe/London", nil)
			h.schedule("standup", "weekdays at 17:29", ada)
			ctx := context.Background()
			h.clk.Set(due)
			st, err := h.engines[0].Tick(ctx, due)
			if err != nil {
				t.Fatal(err)
			}
			if st.Messages != 0 || st.HandedBack != 1 {
				t.Errorf("tick: %+v, want nothing sent and the occurrence handed back", st)
			}
			// The next sweep decides it again: its window has closed, the
			// next one (Tuesday's) has Tuesday's own, so it is superseded.
			if _, err := h.engines[0].Sweep(ctx, h.clk.Now()); err != nil {
				t.Fatal(err)
			}
			if msgs := h.dms(ada); len(msgs) != 0 {
				t.Errorf("ada got %d messages after her window closed, want none", len(msgs))
			}
			occs := h.occurrences()
			if len(occs) != 1 || occs[0].Status != models.OccurrenceSuperseded {
				t.Errorf("occurrences %+v, want the one superseded", occs)
			}
			posts, err := h.ctl.Calls(ctx, "chat.postMessage")
			if err != nil {
				t.Fatal(err)
			}
			if len(posts) != 0 {
				t.Errorf("%d chat.postMessage calls reached Slack, want none", len(posts))
			}
		})
	}
}

// A decision taken while the window was open is not sent once the clock
// has passed the window's end by the time the engine itself is about to
// call Slack (a client without the pacing transport): the engine checks
// before the call too.
func TestWindowCheckedBeforeTheCall(t *testing.T) {
	due := mustTime("2026-11-23T17:29:00Z")
	h := newHarness(t, harnessOpts{start: due.Add(-time.Minute)})
	ada := h.person("ada", "Europe/London", nil)
	h.schedule("standup", "weekdays at 17:29", ada)
	h.engines[0].beforeSend = func(context.Context, []item) { h.clk.Set(mustTime("2026-11-23T17:30:00Z")) }
	h.clk.Set(due)
	st, err := h.engines[0].Tick(context.Background(), due)
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != 0 || st.HandedBack != 1 || len(h.dms(ada)) != 0 {
		t.Errorf("tick: %+v, %d DMs; want nothing sent, the occurrence handed back", st, len(h.dms(ada)))
	}
}

// A tick cancelled (the replica is shutting down) after its claim hands
// every claim back at once, unsent: another replica sends them all in the
// same minute, without waiting for the lease or reconciling.
func TestCancelledTickHandsBack(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			due := mustTime("2026-11-23T10:00:00Z")
			h := newHarness(t, harnessOpts{dialect: dialect, replicas: 2, start: due.Add(-time.Minute)})
			var people []string
			for i := range 3 {
				people = append(people, h.person(fmt.Sprintf("p%d", i), "Europe/London", nil))
			}
			h.schedule("standup", "weekdays at 10:00", people...)
			ctx, cancel := context.WithCancel(context.Background())
			h.engines[0].afterClaim = func(context.Context, []models.Claim) { cancel() }
			h.clk.Set(due)
			st, _ := h.engines[0].Tick(ctx, due)
			if st.Messages != 0 || st.HandedBack != st.Claimed || st.Claimed == 0 {
				t.Errorf("cancelled tick: %+v, want everything it claimed handed back", st)
			}
			at := due.Add(time.Second)
			h.clk.Set(at)
			st2, err := h.engines[1].Sweep(context.Background(), at)
			if err != nil {
				t.Fatal(err)
			}
			if st2.Messages != 3 {
				t.Errorf("the other replica's sweep a second later: %+v, want the 3 DMs", st2)
			}
			for _, p := range people {
				if n := len(h.dms(p)); n != 1 {
					t.Errorf("%s got %d messages, want 1", p, n)
				}
			}
			if calls, err := h.ctl.Calls(context.Background(), "conversations.history"); err != nil || len(calls) != 0 {
				t.Errorf("%d history calls (%v), want none: handed back unsent needs no reconciling", len(calls), err)
			}
			for _, o := range h.occurrences() {
				if strings.Contains(o.Reason, "handed back") || o.Reason != "" {
					t.Errorf("occurrence %d delivered with reason %q, want none (it was on time)", o.ID, o.Reason)
				}
			}
		})
	}
}

// While a replica waits at the wire past a third of its lease, its
// heartbeat renews every claim it holds, so no other replica takes them
// over however long the wait.
func TestHeartbeatKeepsClaims(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			due := mustTime("2026-11-23T10:00:00Z")
			g := newGate()
			pulse := make(chan time.Time)
			h := newHarness(t, harnessOpts{dialect: dialect, replicas: 2, start: due.Add(-time.Minute), cfg: func(i int, c *Config) {
				c.Lease = 30 * time.Second
				gated(0, g)(i, c)
			}})
			h.engines[0].pulse = func() (<-chan time.Time, func()) { return pulse, func() {} }
			ada := h.person("ada", "Europe/London", nil)
			bo := h.person("bo", "Europe/London", nil)
			h.schedule("standup", "weekdays at 10:00", ada, bo)
			ctx := context.Background()
			h.clk.Set(due)
			done := make(chan Stats)
			go func() {
				st, err := h.engines[0].Tick(ctx, due)
				if err != nil {
					t.Errorf("tick: %v", err)
				}
				done <- st
			}()
			<-g.entered
			occ := models.NewOccurrences(h.dbs[0])
			// Two minutes at the wire, a pulse every 15 seconds.
			for step := 1; step <= 8; step++ {
				now := due.Add(time.Duration(step) * 15 * time.Second)
				h.clk.Set(now)
				pulse <- now
				// The pulse is taken; wait until the renewal is written.
				deadline := time.Now().Add(10 * time.Second)
				for {
					all, err := occ.Waiting(ctx, team, "test:standup", due, due)
					if err != nil {
						t.Fatal(err)
					}
					renewed := 0
					for _, o := range all {
						if o.Status == models.OccurrenceClaimed && o.LeaseUntil.Equal(now.Add(30*time.Second)) {
							renewed++
						}
					}
					if renewed == 2 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("at +%s: %d of 2 leases renewed: %+v", now.Sub(due), renewed, all)
					}
					time.Sleep(5 * time.Millisecond)
				}
				if st, err := h.engines[1].Sweep(ctx, now); err != nil || st.Claimed != 0 {
					t.Fatalf("at +%s the other replica claimed %+v, %v; want nothing", now.Sub(due), st, err)
				}
			}
			close(g.resume)
			if st := <-done; st.Messages != 2 {
				t.Errorf("the waiting replica sent %+v, want both DMs", st)
			}
			if len(h.dms(ada)) != 1 || len(h.dms(bo)) != 1 {
				t.Errorf("ada %d, bo %d messages; want 1 each", len(h.dms(ada)), len(h.dms(bo)))
			}
		})
	}
}

// Two messages due to one person in the same minute — a cadence's at the
// minute and a one-off (a reminder, a snooze) later in it — arrive as one
// DM, though a sweep found the first due before the second was.
func TestSameMinuteArrivesAsOneDM(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			due := mustTime("2026-11-23T10:00:00Z")
			h := newHarness(t, harnessOpts{dialect: dialect, start: due.Add(-time.Minute)})
			ada := h.person("ada", "Europe/London", nil)
			h.schedule("standup", "weekdays at 10:00", ada)
			ctx := context.Background()
			if _, err := h.engines[0].PlanOnce(ctx, team, "test:standup", testReminder{N: 1}, ada, due.Add(40*time.Second)); err != nil {
				t.Fatal(err)
			}
			h.clk.Set(due)
			if _, err := h.engines[0].Tick(ctx, due); err != nil {
				t.Fatal(err)
			}
			h.runTo(due.Add(10 * time.Minute))
			msgs := h.dms(ada)
			if len(msgs) != 1 || len(ids(t, msgs[0])) != 2 {
				t.Fatalf("ada got %d messages, want one carrying both", len(msgs))
			}
		})
	}
}

// A send whose outcome Slack left unknown, and whose conversation could
// not be read, counts against the daily budget until it is looked for: a
// message due meanwhile waits for the next day rather than risk a fourth.
func TestUnconfirmedSendCountsAgainstBudget(t *testing.T) {
	due := mustTime("2026-11-23T10:00:00Z")
	// Retried an hour later: the 10:30 pulse is decided while the 10:00
	// send is unconfirmed.
	h := newHarness(t, harnessOpts{start: due.Add(-time.Minute), cfg: func(_ int, c *Config) { c.RetryAfter = time.Hour }})
	ada := h.person("ada", "Europe/London", nil)
	ctx := context.Background()
	if err := models.NewPeople(h.dbs[0]).SetDailyBudget(ctx, team, ada, 1); err != nil {
		t.Fatal(err)
	}
	h.schedule("standup", "weekdays at 10:00", ada)
	h.schedule("pulse", "weekdays at 10:30", ada)
	// The post fails after Slack may have taken it, and so does the look
	// in the history that follows, with each of the transport's retries.
	if _, err := h.ctl.AddFault(ctx, slacksim.Fault{Method: "chat.postMessage", Next: 1, Status: http.StatusBadGateway, AfterEffect: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.ctl.AddFault(ctx, slacksim.Fault{Method: "conversations.history", Next: 4, Status: http.StatusBadGateway}); err != nil {
		t.Fatal(err)
	}
	h.clk.Set(due)
	if _, err := h.engines[0].Tick(ctx, due); err != nil {
		t.Fatal(err)
	}
	// The 10:30 pulse is planned and decided while the 10:00 send is
	// still unconfirmed: it counts, so the pulse waits; at 11:00 the
	// retry finds the 10:00 message in the conversation.
	h.runTo(mustTime("2026-11-23T12:00:00Z"))
	var pulse models.Occurrence
	for _, o := range h.occurrences() {
		if o.CadenceID == "test:pulse" {
			pulse = o
		}
	}
	if pulse.Status == models.OccurrenceDelivered || !strings.Contains(pulse.Reason, "budget") {
		t.Errorf("10:30 pulse: %s (%s), want it held back by the budget", pulse.Status, pulse.Reason)
	}
	if n := len(h.dms(ada)); n != 1 {
		t.Errorf("ada got %d messages, want 1 (her limit)", n)
	}
	for _, o := range h.occurrences() {
		if o.CadenceID == "test:standup" && o.Status != models.OccurrenceDelivered {
			t.Errorf("10:00 standup: %s (%s), want found delivered", o.Status, o.Reason)
		}
	}
}

// A late occurrence's reason says what made it late. Three people are due
// at 10:00 and a claim takes one recipient at a time; each send takes 70
// seconds (a slow Slack), so the engine, running all along, reaches the
// third more than the grace late: its DM says Trellis was running but
// reached it late — not that it was not running. The same lateness with
// no run at all in between (Trellis stopped) says it was not running.
func TestLateReasonTellsBacklogFromDowntime(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		for _, tc := range []struct {
			name    string
			running bool
			want    string
		}{
			{"running behind a slow Slack", true, "sent late: Trellis was running but reached it late"},
			{"stopped", false, "sent late: Trellis was not running while it was due"},
		} {
			t.Run(dialect+"/"+tc.name, func(t *testing.T) {
				due := mustTime("2026-11-23T10:00:00Z")
				h := newHarness(t, harnessOpts{dialect: dialect, start: due.Add(-time.Minute),
					cfg: func(_ int, c *Config) { c.Recipients, c.Lease = 1, 10*time.Minute }})
				ada := h.person("ada", "Europe/London", nil)
				bo := h.person("bo", "Europe/London", nil)
				cy := h.person("cy", "Europe/London", nil)
				h.schedule("standup", "weekdays at 10:00", ada, bo, cy)
				ctx := context.Background()
				e := h.engines[0]
				h.clk.Set(due.Add(-30 * time.Second))
				if _, err := e.Tick(ctx, h.clk.Now()); err != nil {
					t.Fatal(err)
				}
				at := due
				if tc.running {
					e.beforeSend = func(context.Context, []item) { h.clk.Set(h.clk.Now().Add(70 * time.Second)) }
				} else {
					// Stopped from before 10:00 until 10:03.
					at = due.Add(3 * time.Minute)
				}
				h.clk.Set(at)
				if _, err := e.Tick(ctx, at); err != nil {
					t.Fatal(err)
				}
				var late []models.Occurrence
				for _, o := range h.occurrences() {
					if o.Status != models.OccurrenceDelivered {
						t.Errorf("occurrence %+v not delivered", o)
					}
					if o.Reason != "" {
						late = append(late, o)
					}
				}
				if len(late) == 0 {
					t.Fatalf("no occurrence says why it was late: %+v", h.occurrences())
				}
				for _, o := range late {
					if !strings.HasPrefix(o.Reason, tc.want) {
						t.Errorf("late occurrence for %s says %q, want %q…", o.Recipient, o.Reason, tc.want)
					}
				}
				if tc.running && len(late) != 1 {
					t.Errorf("%d late occurrences, want only the third person's", len(late))
				}
			})
		}
	}
}
