package checkins

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/slacksim"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// updateCalls counts the chat.update calls made so far.
func (h *harness) updateCalls() int {
	h.t.Helper()
	calls, err := h.ctl.Calls(h.ctx, "chat.update")
	if err != nil {
		h.t.Fatalf("calls: %v", err)
	}
	return len(calls)
}

// When a round closes, every prompt still waiting for an answer — the
// first ask and each reminder, and nothing else — stops saying "Open until
// …" and says when it closed and that late answers are still taken, with
// the buttons that still work; done once, through the queue the close
// fills. A prompt the person already acted on was changed then (PromptDone)
// and is left alone.
func TestClosedRoundUpdatesEveryPrompt(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ann := h.person("ann", "Europe/London", "")
		bob := h.person("bob", "Europe/London", "")
		cy := h.person("cy", "Europe/London", "")
		ch := h.channel("team", ann, bob, cy)
		c := h.create(checkinFor(ch, ann, bob, cy))

		// Asked at 09:30; Bob answers before his reminder, Cy snoozes
		// until tomorrow, Ann does nothing and is reminded at 13:30. The
		// round closes at 17:30.
		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		round := h.roundOf(bob)
		h.answer(h.svcs[0], c, round, bob, text("Bob-text"))
		cyP, err := h.people.Get(h.ctx, team, cy)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.svcs[0].Snooze(h.ctx, c, round, cyP, SnoozeTomorrow); err != nil {
			t.Fatal(err)
		}
		h.run(monday.Add(17 * time.Hour))
		if got := len(h.prompts(ann)); got != 2 {
			t.Fatalf("ann has %d prompts before the close, want the ask and a reminder", got)
		}
		for _, p := range h.prompts(ann) {
			if txt := msgText(p.msg); !strings.Contains(txt, "Open until") {
				t.Fatalf("before the close ann's %s says %q", p.kind, txt)
			}
		}
		before := h.updateCalls()

		h.run(monday.Add(17*time.Hour + 45*time.Minute))
		for user, n := range map[string]int{ann: 2, cy: 1} {
			ps := h.prompts(user)
			if len(ps) != n {
				t.Fatalf("%s has %d prompts, want %d", user, len(ps), n)
			}
			for _, p := range ps {
				txt, blocks := msgText(p.msg), string(p.msg.Blocks)
				if strings.Contains(txt, "Open until") || !strings.Contains(txt, "Closed at Mon 23 Nov, 17:30 your time — you can still answer until your next round") {
					t.Errorf("%s's %s after the close says %q", user, p.kind, txt)
				}
				if strings.Contains(blocks, ActionCheckinSnooze) || !strings.Contains(blocks, `"`+ActionCheckinAnswer+`"`) {
					t.Errorf("%s's %s after the close has buttons %s; want Answer and no Snooze", user, p.kind, blocks)
				}
			}
		}
		if txt := msgText(h.prompts(bob)[0].msg); !strings.Contains(txt, "Open until") {
			t.Errorf("bob's prompt, answered before the close, was changed by it: %q", txt)
		}
		if got := h.updateCalls() - before; got != 3 {
			t.Errorf("chat.update was called %d times for the close, want 3 (one per waiting prompt)", got)
		}
		// Done once: later ticks change nothing.
		mid := h.updateCalls()
		h.run(monday.Add(20 * time.Hour))
		if got := h.updateCalls() - mid; got != 0 {
			t.Errorf("%d more chat.update calls after the prompts were marked closed", got)
		}
	})
}

// A prompt update Slack refuses is tried again on a later tick until it
// is made; it is never given up on the first failure.
func TestClosedPromptUpdateIsRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ann := h.person("ann", "Europe/London", "")
	ch := h.channel("team", ann)
	cfg := checkinFor(ch, ann)
	cfg.Reminders = 0
	h.create(cfg)
	h.run(monday.Add(9*time.Hour + 31*time.Minute))
	if _, err := h.ctl.AddFault(h.ctx, slacksim.Fault{Method: "chat.update", Next: 4, Status: 500}); err != nil {
		t.Fatal(err)
	}
	h.run(monday.Add(17*time.Hour + 30*time.Minute))
	if txt := msgText(h.prompts(ann)[0].msg); strings.Contains(txt, "Closed at") {
		t.Fatalf("the prompt changed although Slack failed the update: %q", txt)
	}
	// Nothing else is due: the next minute's tick takes it.
	if err := h.svcs[0].Tick(h.ctx, monday.Add(17*time.Hour+32*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if txt := msgText(h.prompts(ann)[0].msg); !strings.Contains(txt, "Closed at") {
		t.Errorf("the failed update was not made again: %q", txt)
	}
}

// RewritePrompts changes only the messages Trellis recorded as asking that
// person that round: another person's prompt of the same round, or the
// person's prompt of another round, is never touched, whatever the change.
func TestRewritePromptsOnlyTouchesRecordedMessages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ann := h.person("ann", "Europe/London", "")
	bob := h.person("bob", "Europe/London", "")
	ch := h.channel("team", ann, bob)
	cfg := checkinFor(ch, ann, bob)
	cfg.Reminders = 0
	c := h.create(cfg)
	h.run(monday.Add(9*time.Hour + 31*time.Minute))
	monRound := h.roundOf(ann)
	h.run(monday.Add(24*time.Hour + 9*time.Hour + 31*time.Minute))
	tueRound := h.roundOf(ann)
	if tueRound == monRound {
		t.Fatal("no second round")
	}
	before := h.updateCalls()
	touched := 0
	err := h.svcs[0].RewritePrompts(h.ctx, c, monRound, ann, func(b []slack.Block) []slack.Block {
		touched++
		return append(b, slack.NewDividerBlock())
	})
	if err != nil {
		t.Fatal(err)
	}
	if touched != 1 || h.updateCalls()-before != 1 {
		t.Errorf("rewrote %d messages with %d updates, want ann's Monday prompt only", touched, h.updateCalls()-before)
	}
	// A person the round never asked has no prompt to change.
	stranger := h.person("cy", "Europe/London", "")
	if err := h.svcs[0].RewritePrompts(h.ctx, c, monRound, stranger, func(b []slack.Block) []slack.Block {
		t.Error("a message was offered for a person the round never asked")
		return b
	}); err != nil {
		t.Fatal(err)
	}
	for _, p := range h.prompts(bob) {
		if strings.Contains(string(p.msg.Blocks), `"divider"`) {
			t.Errorf("bob's prompt of round %d was changed", p.round)
		}
	}
	for _, p := range h.prompts(ann) {
		if changed := strings.Contains(string(p.msg.Blocks), `"divider"`); changed != (p.round == monRound) {
			t.Errorf("ann's prompt of round %d changed = %v", p.round, changed)
		}
	}
}

// A digest reaches a participant only while they are in the check-in's
// channel, as Slack says when it is written: one who left gets none.
func TestDigestOnlyForChannelMembersNow(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		cy := h.person("cy", "Europe/London", "")
		ch := h.channel("team", ada, cy)
		c := h.create(digestCheckin(ch, ada, ada, cy))
		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		h.answer(h.svcs[0], c, h.roundOf(ada), ada, checkinmodels.Submission{Answers: map[int]string{1: "Ada-text"}})
		if _, err := h.ctl.LeaveChannel(h.ctx, ch, cy); err != nil {
			t.Fatal(err)
		}
		h.run(monday.Add(2*24*time.Hour + 8*time.Hour))
		if ds := h.digests(ada); len(ds) != 1 || !strings.Contains(msgText(ds[0]), "Ada-text") {
			t.Errorf("ada, still in the channel, got %d digests, want 1", len(ds))
		}
		for _, d := range h.digests(cy) {
			t.Errorf("cy, who left the channel, got a digest: %q", msgText(d))
		}
	})
}

// Two check-ins' prompts share one DM, and each change of one reads the
// message and writes it all back. While one writer holds the message
// another neither reads nor writes it (it says it is busy when the hold
// outlasts its wait); two writers at once, each changing its own round,
// both end up in the message.
func TestMergedPromptChangesNotWrittenOver(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ann := h.person("ann", "Europe/London", "")
		ch := h.channel("team", ann)
		cfgA, cfgB := checkinFor(ch, ann), checkinFor(ch, ann)
		cfgA.Reminders, cfgB.Reminders, cfgB.Name = 0, 0, "Retro"
		a, b := h.create(cfgA), h.create(cfgB)
		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		ps := h.prompts(ann)
		if len(ps) != 2 || ps[0].msg.TS != ps[1].msg.TS {
			t.Fatalf("want both check-ins' prompts in one DM; got %d prompts", len(ps))
		}
		roundOf := func(c checkinmodels.Checkin) int64 {
			t.Helper()
			r, err := h.store.LatestRound(h.ctx, team, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
		ra, rb := roundOf(a), roundOf(b)
		msgs, err := h.store.PromptMessages(h.ctx, team, a.ID, ra, ann)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("prompt messages %v, %v", msgs, err)
		}
		m := msgs[0]
		mark := func(round int64) func([]slack.Block) []slack.Block {
			return func(bs []slack.Block) []slack.Block {
				return append(bs, slack.NewContextBlock(fmt.Sprint("mark_", round), slack.NewTextBlockObject(slack.MarkdownType, fmt.Sprint("changed ", round), false, false)))
			}
		}

		// Another writer holds the message longer than a change waits.
		if ok, err := h.store.LockMessage(h.ctx, team, m.Channel, m.TS, "other-writer", h.clk.Now(), time.Hour); err != nil || !ok {
			t.Fatalf("lock: %v, %v", ok, err)
		}
		before := h.updateCalls()
		if err := h.svcs[0].RewritePrompts(h.ctx, a, ra, ann, mark(ra)); !errors.Is(err, errPromptBusy) {
			t.Errorf("a change while another writer held the message: %v, want it busy", err)
		}
		if got := h.updateCalls() - before; got != 0 {
			t.Errorf("the held message was written %d times", got)
		}
		if err := h.store.UnlockMessage(h.ctx, m.Channel, m.TS, "other-writer"); err != nil {
			t.Fatal(err)
		}

		// Two writers at once, one per round, on two replicas.
		var wg sync.WaitGroup
		for i, w := range []struct {
			c     checkinmodels.Checkin
			round int64
		}{{a, ra}, {b, rb}} {
			wg.Go(func() {
				if err := h.svcs[i%len(h.svcs)].RewritePrompts(h.ctx, w.c, w.round, ann, mark(w.round)); err != nil {
					t.Errorf("round %d: %v", w.round, err)
				}
			})
		}
		wg.Wait()
		final := string(h.prompts(ann)[0].msg.Blocks)
		for _, r := range []int64{ra, rb} {
			if !strings.Contains(final, fmt.Sprint("changed ", r)) {
				t.Errorf("the change of round %d was written over:\n%s", r, final)
			}
		}
	})
}
