package checkins

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// roundOf is the round of a person's latest prompt.
func (h *harness) roundOf(user string) int64 {
	h.t.Helper()
	ps := h.prompts(user)
	if len(ps) == 0 {
		h.t.Fatalf("%s has no prompt", user)
	}
	return ps[len(ps)-1].round
}

// fault makes the emulator fail the next chat.postMessage calls.
func (h *harness) fault(f slacksim.Fault) {
	h.t.Helper()
	f.Method = "chat.postMessage"
	if _, err := h.ctl.AddFault(h.ctx, f); err != nil {
		h.t.Fatalf("fault: %v", err)
	}
}

// A channel post whose chat.postMessage failed after Slack took it (the
// timeout after the message was posted) is found in the thread, or the
// channel for the round's header, by its metadata on the next attempt and
// not posted again; one Slack never took is posted on the next attempt,
// once.
func TestAmbiguousPostIsReconciled(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		header      bool // the fault hits the round's header rather than an answer
		afterEffect bool
	}{
		{"answer kept by slack", false, true},
		{"answer lost by slack", false, false},
		{"header kept by slack", true, true},
		{"header lost by slack", true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			forDialects(t, func(t *testing.T, dialect string) {
				h := newHarness(t, harnessOpts{dialect: dialect})
				ada := h.person("ada", "Europe/London", "")
				bob := h.person("bob", "Europe/London", "")
				ch := h.channel("team", ada, bob)
				c := h.create(checkinFor(ch, ada, bob))
				asked := monday.Add(9*time.Hour + 31*time.Minute)
				h.run(asked)
				if !tt.header {
					h.answer(h.svcs[0], c, h.roundOf(ada), ada, text("ada's answer"))
				}
				h.fault(slacksim.Fault{Next: 1, Status: http.StatusBadGateway, AfterEffect: tt.afterEffect})
				h.answer(h.svcs[0], c, h.roundOf(bob), bob, text("bob's answer"))
				if tt.header {
					h.answer(h.svcs[0], c, h.roundOf(ada), ada, text("ada's answer"))
				}
				h.run(asked.Add(15 * time.Minute))

				top, replies := h.channelMsgs(ch, ada)
				if len(top) != 1 {
					t.Fatalf("%d top-level messages, want the round's header once: %q", len(top), texts(top))
				}
				th := replies[top[0].TS]
				count := map[string]int{}
				for _, m := range th {
					for _, who := range []string{"ada", "bob"} {
						if strings.Contains(msgText(m), who+"'s answer") {
							count[who]++
						}
					}
				}
				// Answers due together may share a message (packed).
				if len(th) < 1 || len(th) > 2 || count["ada"] != 1 || count["bob"] != 1 {
					t.Errorf("thread: %d messages, answers %v; want ada's and bob's once each", len(th), count)
				}
				// The outbox knows where each one is.
				round, err := h.store.Round(h.ctx, team, h.roundOf(bob))
				if err != nil {
					t.Fatal(err)
				}
				if round.ThreadTS != top[0].TS {
					t.Errorf("round's thread %q, want the header %q", round.ThreadTS, top[0].TS)
				}
				posts, err := h.store.AnswerPosts(h.ctx, round.ID, bob)
				if err != nil || len(posts) != 1 || !posts[0].Posted || len(posts[0].TS) != 1 {
					t.Fatalf("bob's answer posts: %+v, %v", posts, err)
				}
				for _, m := range th {
					if strings.Contains(msgText(m), "bob's answer") && m.TS != posts[0].TS[0] {
						t.Errorf("bob's post records ts %s, the message is %s", posts[0].TS[0], m.TS)
					}
				}
				// The header and the answers' messages; the one Slack kept
				// despite the error was not sent again.
				want := 1 + len(th)
				if tt.afterEffect {
					want--
				}
				if n := h.postCalls(ch); n != want {
					t.Errorf("%d chat.postMessage calls answered ok, want %d", n, want)
				}
			})
		})
	}
}

// A round's summary that Slack refuses — rate limited, a server error
// before or after it took the message, or not_in_channel while Trellis is
// out of the channel — is tried again later and posted once.
func TestSummaryRetriedAndPostedOnce(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		fault *slacksim.Fault
		// kicked: the bot is out of the channel when the round closes and
		// is invited back 40 minutes later.
		kicked bool
		// by is when the summary should be in.
		by time.Duration
	}{
		{name: "rate limited", fault: &slacksim.Fault{Next: 2, Status: http.StatusTooManyRequests, RetryAfter: 1}, by: 5 * time.Minute},
		{name: "server error", fault: &slacksim.Fault{Next: 1, Status: http.StatusInternalServerError}, by: 5 * time.Minute},
		{name: "server error after posting", fault: &slacksim.Fault{Next: 1, Status: http.StatusServiceUnavailable, AfterEffect: true}, by: 5 * time.Minute},
		{name: "not in channel", kicked: true, by: 2 * time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			forDialects(t, func(t *testing.T, dialect string) {
				h := newHarness(t, harnessOpts{dialect: dialect, maxRetries: 1})
				ada := h.person("ada", "Europe/London", "")
				ch := h.channel("team", ada)
				c := h.create(checkinFor(ch, ada))
				h.run(monday.Add(9*time.Hour + 31*time.Minute))
				h.answer(h.svcs[0], c, h.roundOf(ada), ada, text("ada's answer"))
				closes := monday.Add(17*time.Hour + 30*time.Minute)
				h.run(closes.Add(-time.Minute))
				if tt.fault != nil {
					h.fault(*tt.fault)
				}
				if tt.kicked {
					if _, err := h.ctl.LeaveChannel(h.ctx, ch, h.botUser); err != nil {
						t.Fatal(err)
					}
					h.run(closes.Add(40 * time.Minute))
					if _, err := h.ctl.JoinChannel(h.ctx, ch, h.botUser); err != nil {
						t.Fatal(err)
					}
				}
				h.run(closes.Add(tt.by))
				top, replies := h.channelMsgs(ch, ada)
				if len(top) != 1 {
					t.Fatalf("%d top-level messages, want the header: %q", len(top), texts(top))
				}
				summaries := 0
				for _, m := range replies[top[0].TS] {
					if strings.Contains(msgText(m), "summary") {
						summaries++
						if at := msgTime(m); at.Before(closes) {
							t.Errorf("summary posted at %s, before the round closed", at)
						}
					}
				}
				if summaries != 1 {
					t.Errorf("%d summaries in the thread, want 1", summaries)
				}
				p, err := h.store.RoundPost(h.ctx, h.roundOf(ada), checkinmodels.PostSummary)
				if err != nil || !p.Posted || len(p.TS) != 1 || p.Attempts < 2 {
					t.Errorf("summary post %+v, %v; want posted, after a retry", p, err)
				}
				// Nothing left to do.
				h.run(closes.Add(tt.by + 24*time.Hour))
				_, replies = h.channelMsgs(ch, ada)
				if n := len(replies[top[0].TS]); n != 2 {
					t.Errorf("thread has %d replies a day later, want the answer and the summary", n)
				}
			})
		})
	}
}

// An answer edited after it was posted is posted again marked edited, and
// the first version is shortened to the "edited" line with chat.update;
// an answer edited before its first version went out is posted once.
func TestEditedAnswerReplacesTheFirst(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		bob := h.person("bob", "Europe/London", "")
		ch := h.channel("team", ada, bob)
		c := h.create(checkinFor(ch, ada, bob))
		h.run(monday.Add(9*time.Hour + 31*time.Minute))

		// Ada answers, her answer is posted, then she edits it.
		first := h.answer(h.svcs[0], c, h.roundOf(ada), ada, text("ada first"))
		second := h.answer(h.svcs[0], c, h.roundOf(ada), ada, text("ada second"))
		if first.Version != 1 || second.Version != 2 || !first.First || second.First {
			t.Errorf("versions %+v then %+v", first, second)
		}
		// Bob edits before his first answer went out (Slack was down for
		// it): only the edit is posted.
		if _, err := h.svcs[0].Submit(h.ctx, c, h.roundOf(bob), bob, text("bob first"), nil); err != nil {
			t.Fatal(err)
		}
		res, err := h.svcs[0].Submit(h.ctx, c, h.roundOf(bob), bob, text("bob second"), nil)
		if err != nil {
			t.Fatal(err)
		}
		h.svcs[0].DeliverPost(h.ctx, res.Post)
		h.run(monday.Add(12 * time.Hour))

		top, replies := h.channelMsgs(ch, ada)
		if len(top) != 1 {
			t.Fatalf("%d top-level messages, want the header", len(top))
		}
		var texts []string
		for _, m := range replies[top[0].TS] {
			texts = append(texts, msgText(m))
		}
		if len(texts) != 3 {
			t.Fatalf("thread has %d messages, want ada's two versions and bob's one:\n%s", len(texts), strings.Join(texts, "\n---\n"))
		}
		th := replies[top[0].TS]
		if strings.Contains(texts[0], "ada first") || !strings.Contains(texts[0], "This answer was edited") || !th[0].Edited {
			t.Errorf("ada's first version reads %q, want the edited line (chat.update)", texts[0])
		}
		if !strings.Contains(texts[1], "ada second") || !strings.Contains(texts[1], "edited") {
			t.Errorf("ada's second version reads %q, want her edit, marked edited", texts[1])
		}
		if !strings.Contains(texts[2], "bob second") || strings.Contains(texts[2], "bob first") || strings.Contains(texts[2], "edited") {
			t.Errorf("bob's answer reads %q, want only his edit, not marked edited (nobody saw the first)", texts[2])
		}
		if n := h.postCalls(ch); n != 4 {
			t.Errorf("%d chat.postMessage calls into the channel, want 4 (the header, ada twice, bob once)", n)
		}
		calls, err := h.ctl.Calls(h.ctx, "chat.update")
		if err != nil || len(calls) != 1 {
			t.Errorf("chat.update calls: %d, %v; want 1", len(calls), err)
		}
	})
}

// Deleting a check-in with posts still queued — an answer Slack keeps
// failing, the round's summary to come — posts nothing more, asks nobody
// again, and leaves no work that loops.
func TestDeletedCheckinPostsNothingMore(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		bob := h.person("bob", "Europe/London", "")
		ch := h.channel("team", ada, bob)
		c := h.create(checkinFor(ch, ada, bob))
		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		h.answer(h.svcs[0], c, h.roundOf(ada), ada, text("ada's answer"))
		// Bob's answer fails (Slack never took it) and waits for a retry.
		h.fault(slacksim.Fault{Next: 1, Status: http.StatusInternalServerError})
		h.answer(h.svcs[0], c, h.roundOf(bob), bob, text("bob's answer"))
		// And one more queued without a send: an edit of Ada's.
		if _, err := h.svcs[0].Submit(h.ctx, c, h.roundOf(ada), ada, text("ada's edit"), nil); err != nil {
			t.Fatal(err)
		}
		before := h.postCalls(ch)
		dmsBefore := len(h.dms(ada)) + len(h.dms(bob))
		if _, err := h.store.Delete(h.ctx, team, c.ID, ada, false); err != nil {
			t.Fatal(err)
		}
		warned := h.warnings.Load()

		ticks := 0
		st, err := h.engines[0].RunUntil(h.ctx, monday.Add(3*24*time.Hour), func(at time.Time) {
			ticks++
			h.clk.Set(at)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := h.postCalls(ch); n != before {
			t.Errorf("%d more chat.postMessage calls into the channel after the delete", n-before)
		}
		if n := len(h.dms(ada)) + len(h.dms(bob)); n != dmsBefore {
			t.Errorf("%d more DMs after the delete", n-dmsBefore)
		}
		if ticks > 10 {
			t.Errorf("%d ticks with work over three days after the delete (stats %+v), want a few", ticks, st)
		}
		if w := h.warnings.Load() - warned; w > 0 {
			t.Errorf("%d warnings from check-ins after the delete", w)
		}
		if at, ok, err := h.svcs[0].NextDue(h.ctx); err != nil || ok {
			t.Errorf("check-ins still have work at %s (%v, %v)", at, ok, err)
		}
		for _, u := range []string{ada, bob} {
			for _, o := range h.occurrences(u, c, "") {
				if o.Status == models.OccurrencePlanned || o.Status == models.OccurrenceDeferred || o.Status == models.OccurrenceClaimed {
					t.Errorf("occurrence %s of %s still %s", o.CadenceID, u, o.Status)
				}
			}
		}
	})
}

// While Trellis is out of the channel the round's header keeps failing
// with not_in_channel: it is tried again at its own growing intervals
// (not every minute by each answer that waits for it), and once Trellis
// is invited back the header, the answer and the summary are each posted
// once.
func TestThreadWaitsForTheBotToBeInvitedBack(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		ch := h.channel("team", ada)
		c := h.create(checkinFor(ch, ada))
		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		if _, err := h.ctl.LeaveChannel(h.ctx, ch, h.botUser); err != nil {
			t.Fatal(err)
		}
		h.answer(h.svcs[0], c, h.roundOf(ada), ada, text("ada's answer"))
		ticks := 0
		if _, err := h.engines[0].RunUntil(h.ctx, monday.Add(13*time.Hour), func(at time.Time) {
			ticks++
			h.clk.Set(at)
		}); err != nil {
			t.Fatal(err)
		}
		// Every call Trellis made into the channel while out of it.
		tries := 0
		for _, method := range []string{"chat.postMessage", "conversations.history", "conversations.replies"} {
			calls, err := h.ctl.Calls(h.ctx, method)
			if err != nil {
				t.Fatal(err)
			}
			for _, call := range calls {
				if call.Channel == ch && !call.OK {
					tries++
				}
			}
		}
		// 09:31, then 30 minutes, an hour, 90 minutes later...
		if tries > 6 || ticks > 20 {
			t.Errorf("while out of the channel for 3.5 hours: %d failed calls into it over %d ticks, want the header's backoff to pace them", tries, ticks)
		}
		if _, err := h.ctl.JoinChannel(h.ctx, ch, h.botUser); err != nil {
			t.Fatal(err)
		}
		h.run(monday.Add(20 * time.Hour))
		top, replies := h.channelMsgs(ch, ada)
		if len(top) != 1 {
			t.Fatalf("%d top-level messages, want the header once: %q", len(top), texts(top))
		}
		th := replies[top[0].TS]
		if len(th) != 2 || !strings.Contains(msgText(th[0]), "ada's answer") || !strings.Contains(msgText(th[1]), "summary") {
			t.Errorf("thread %q, want ada's answer then the summary", texts(th))
		}
	})
}
