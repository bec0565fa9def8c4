package engine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// dyingSlack is a replica dying right after its first message reached
// Slack, before it could record it: the call goes through, then never
// returns until the test ends.
type dyingSlack struct {
	Slack
	once    *sync.Once
	died    chan string // the channel the message went to
	forever chan struct{}
}

func (d *dyingSlack) PostMessageContext(ctx context.Context, channel string, opts ...slack.MsgOption) (string, string, error) {
	first := false
	d.once.Do(func() { first = true })
	if !first {
		return d.Slack.PostMessageContext(ctx, channel, opts...)
	}
	ch, _, err := d.Slack.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		panic("the dying replica's message did not reach Slack: " + err.Error())
	}
	d.died <- ch
	<-d.forever
	return "", "", errors.New("the replica is dead")
}

// A replica that dies holding claims is taken over once their leases run
// out, and whoever takes them over looks in Slack only for the message
// the dead replica had started sending: that one is found and recorded,
// not sent again, and the rest — which were waiting their turn and
// certainly never sent — go out without a conversations.history read
// each (a look costs about a second of the workspace's pace).
func TestTakeoverLooksOnlyWhereASendBegan(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			start := mustTime("2026-11-23T09:29:00Z")
			forever := make(chan struct{})
			dying := &dyingSlack{once: new(sync.Once), died: make(chan string, 1), forever: forever}
			h := newHarness(t, harnessOpts{dialect: dialect, replicas: 2, start: start, cfg: func(replica int, c *Config) {
				if replica != 0 {
					return
				}
				inner := c.Clients
				c.Clients = func(ctx context.Context, team string) (Slack, error) {
					s, err := inner(ctx, team)
					return &dyingSlack{Slack: s, once: dying.once, died: dying.died, forever: forever}, err
				}
			}})
			people := []string{
				h.person("ada", "Europe/London", nil), h.person("bob", "Europe/London", nil),
				h.person("cy", "Europe/London", nil), h.person("dee", "Europe/London", nil),
			}
			h.schedule("standup", "weekdays at 09:30", people...)
			dead, taker := h.engines[0], h.engines[1]
			// A dead replica's heartbeat stops with it.
			dead.pulse = func() (<-chan time.Time, func()) { return nil, func() {} }

			ctx := context.Background()
			due := mustTime("2026-11-23T09:30:00Z")
			h.clk.Set(due)
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, _ = dead.Tick(ctx, due) // whatever it says once it "returns from the dead"
			}()
			t.Cleanup(func() { close(forever); <-done })
			sentTo := <-dying.died

			history := func() int {
				calls, err := h.ctl.Calls(ctx, "conversations.history")
				if err != nil {
					t.Fatal(err)
				}
				return len(calls)
			}
			before := history()
			later := due.Add(2 * DefaultLease)
			h.clk.Set(later)
			st, err := taker.Tick(ctx, later)
			if err != nil {
				t.Fatal(err)
			}
			if looks := history() - before; looks != 1 {
				t.Errorf("the takeover read the history of %d conversations, want 1 (where the dead replica's send began)", looks)
			}
			if st.Reconciled != 1 || st.Messages != len(people)-1 {
				t.Errorf("takeover: %+v, want 1 found in Slack and %d sent", st, len(people)-1)
			}
			for _, p := range people {
				if n := len(h.dms(p)); n != 1 {
					t.Errorf("%s got %d messages, want 1", p, n)
				}
			}
			found := 0
			for _, o := range h.occurrences() {
				if o.Status != models.OccurrenceDelivered {
					t.Errorf("occurrence %d to %s is %s (%q), want delivered", o.ID, o.Recipient, o.Status, o.Reason)
				}
				if o.Receipt.Channel == sentTo {
					found++
				}
			}
			if found != 1 {
				t.Errorf("%d occurrences record the dead replica's message's conversation %s, want 1", found, sentTo)
			}
		})
	}
}
