package checkins

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// Two replicas — two engines and two check-in services on one database
// and one Slack — tick the same instants concurrently for two days, and
// both try to send each answer's post at once: every prompt and reminder
// reaches its person once, each round has one thread, and every answer
// and summary is in it once.
func TestTwoReplicasPostEverythingOnce(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect, replicas: 2})
		ada := h.person("ada", "Europe/London", "")
		bob := h.person("bob", "Europe/London", "")
		cy := h.person("cy", "America/New_York", "")
		ch := h.channel("team", ada, bob, cy)
		c := h.create(checkinFor(ch, ada, bob, cy))

		for day := range 2 {
			d := monday.AddDate(0, 0, day)
			// London's 09:30.
			h.runAll(d.Add(9*time.Hour + 31*time.Minute))
			var wg sync.WaitGroup
			for i, u := range []string{ada, bob} {
				ps := h.prompts(u)
				if len(ps) == 0 {
					t.Fatalf("day %d: %s was not asked", day, u)
				}
				round := ps[len(ps)-1].round
				res, err := h.svcs[i].Submit(h.ctx, c, round, u, text("answer of "+u), nil)
				if err != nil {
					t.Fatal(err)
				}
				// Both replicas send it at once, as two handlers acking on
				// two replicas might (and the header with it).
				for _, s := range h.svcs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						s.DeliverPost(h.ctx, res.Post)
					}()
				}
			}
			wg.Wait()
			// New York's 09:30 and 13:30 (Cy does not answer), and the
			// close at 22:30 UTC.
			h.runAll(d.Add(24 * time.Hour))
		}

		for u, want := range map[string][2]int{ada: {2, 0}, bob: {2, 0}, cy: {2, 2}} {
			ps := h.prompts(u)
			if got := [2]int{countKind(ps, "ask"), countKind(ps, "reminder")}; got != want {
				t.Errorf("%s got %d asks and %d reminders, want %v", u, got[0], got[1], want)
			}
			if n := len(h.dms(u)); n != want[0]+want[1] {
				t.Errorf("%s got %d DMs, want %d", u, n, want[0]+want[1])
			}
		}
		top, replies := h.channelMsgs(ch, ada)
		if len(top) != 2 {
			t.Fatalf("%d top-level messages in the channel, want one round header per day (2): %+v", len(top), top)
		}
		posts := 0
		for _, hdr := range top {
			th := replies[hdr.TS]
			answers, summaries := 0, 0
			for _, m := range th {
				txt := msgText(m)
				switch {
				case strings.Contains(txt, "summary"):
					summaries++
					if !strings.Contains(txt, "2 of 3") {
						t.Errorf("summary %q, want 2 of 3 answered", m.Text)
					}
				case strings.Contains(txt, "answer of "):
					// Answers due together may share a message (packed).
					answers += strings.Count(txt, "answer of ")
					posts++
				default:
					t.Errorf("unexpected message in the thread: %s", txt)
				}
			}
			if answers != 2 || summaries != 1 {
				t.Errorf("thread of %q: %d answers and %d summaries, want 2 and 1", hdr.Text, answers, summaries)
			}
		}
		if n := h.postCalls(ch); n != 4+posts {
			t.Errorf("%d chat.postMessage calls into the channel, want %d (per day a header and a summary, and the %d answers' messages)", n, 4+posts, posts)
		}
		due, err := h.store.DuePosts(h.ctx, h.clk.Now().Add(time.Hour), 50)
		if err != nil || len(due) != 0 {
			t.Errorf("posts still due: %+v, %v", due, err)
		}
	})
}
