package checkins

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/internal/slacksim"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// packedIDs are the posts a packed message lists in its metadata.
func packedIDs(m slacksim.Message) []string {
	if m.Metadata == nil || m.Metadata.EventType != postMetadataType {
		return nil
	}
	var p map[string]any
	_ = json.Unmarshal(m.Metadata.EventPayload, &p)
	list, _ := p[postIDsKey].(string)
	if list == "" {
		return nil
	}
	return strings.Split(list, ",")
}

// Answers that queue up (Slack was slow, the form's own send did not
// happen) go out packed, several to a message, in every destination that
// posts in a channel, with one replica or two ticking at once, and Slack
// failing the first message ambiguously (after or before taking it): each
// answer's latest version appears exactly once, an earlier version never,
// each post records the message it is in, and none is left due. With one
// replica the queued answers are always packed; two replicas racing for
// them may each send some, which packs less but never repeats or loses
// one.
func TestQueuedAnswersPackedOnce(t *testing.T) {
	t.Parallel()
	for _, dest := range []checkinmodels.Destination{checkinmodels.DestinationThread, checkinmodels.DestinationChannel} {
		for _, fault := range []string{"none", "502 kept by slack", "502 lost by slack"} {
			for _, replicas := range []int{1, 2} {
				t.Run(fmt.Sprintf("%s/%s/%d replicas", dest, fault, replicas), func(t *testing.T) {
					forDialects(t, func(t *testing.T, dialect string) {
						h := newHarness(t, harnessOpts{dialect: dialect, replicas: replicas})
						names := []string{"ada", "bob", "cy", "dee", "eve", "fay"}
						var users []string
						for _, n := range names {
							users = append(users, h.person(n, "Europe/London", ""))
						}
						ch := h.channel("team", users...)
						cfg := checkinFor(ch, users...)
						cfg.Destination = dest
						c := h.create(cfg)
						h.runAll(monday.Add(9*time.Hour + 31*time.Minute))

						// Ada's answer goes out at once (and starts the thread);
						// the others queue, Bob's edited before it went out.
						h.answer(h.svcs[0], c, h.roundOf(users[0]), users[0], text("answer-of-ada"))
						if _, err := h.svcs[0].Submit(h.ctx, c, h.roundOf(users[1]), users[1], text("stale-of-bob"), nil); err != nil {
							t.Fatal(err)
						}
						for i, u := range users[1:] {
							if _, err := h.svcs[i%replicas].Submit(h.ctx, c, h.roundOf(u), u, text("answer-of-"+names[i+1]), nil); err != nil {
								t.Fatal(err)
							}
						}
						if fault != "none" {
							h.fault(slacksim.Fault{Next: 1, Status: http.StatusBadGateway, AfterEffect: fault == "502 kept by slack"})
						}
						h.runAll(monday.Add(10 * time.Hour))

						msgs, err := h.ctl.Messages(h.ctx, ch, users[0])
						if err != nil {
							t.Fatal(err)
						}
						seen := map[string]int{}
						packed := 0
						byTS := map[string]string{}
						for _, m := range msgs {
							if m.BotID == "" {
								continue
							}
							txt := msgText(m)
							byTS[m.TS] = txt
							for _, n := range names {
								seen[n] += strings.Count(txt, "answer-of-"+n)
							}
							if strings.Contains(txt, "stale-of-bob") {
								t.Errorf("bob's replaced version was posted: %q", txt)
							}
							if ids := packedIDs(m); len(ids) > 1 {
								packed++
								if m.Username != "" || m.IconURL != "" {
									t.Errorf("a packed message is posted as %q, want the bot (each answer names its person)", m.Username)
								}
								for _, n := range names {
									if strings.Contains(txt, "answer-of-"+n) && !strings.Contains(txt, "*"+n+"* answered") {
										t.Errorf("%s's answer in a packed message is not under their name:\n%s", n, txt)
									}
								}
							}
						}
						for _, n := range names {
							if seen[n] != 1 {
								t.Errorf("%s's answer appears %d times, want once", n, seen[n])
							}
						}
						if packed == 0 && replicas == 1 {
							t.Errorf("no message holds several answers; the queued ones went out one by one")
						}
						round, err := h.store.Round(h.ctx, team, h.roundOf(users[0]))
						if err != nil {
							t.Fatal(err)
						}
						for i, u := range users {
							posts, err := h.store.AnswerPosts(h.ctx, round.ID, u)
							if err != nil || len(posts) == 0 {
								t.Fatalf("%s's posts: %v, %v", names[i], posts, err)
							}
							last := posts[len(posts)-1]
							if !last.Posted || len(last.TS) != 1 || !strings.Contains(byTS[last.TS[0]], "answer-of-"+names[i]) {
								t.Errorf("%s's post %+v does not record the message holding it", names[i], last)
							}
						}
						due, err := h.store.DuePosts(h.ctx, h.clk.Now().Add(time.Hour), 50)
						if err != nil || len(due) != 0 {
							t.Errorf("posts still due: %+v, %v", due, err)
						}
					})
				})
			}
		}
	}
}

// An edit of an answer that went out in a packed message shrinks that
// answer, inside the packed message, to a pointer at the new version,
// leaving the others there as they were; the edit follows, under its
// person's name, marked edited.
func TestEditInsidePackedMessage(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		bob := h.person("bob", "Europe/London", "")
		cy := h.person("cy", "Europe/London", "")
		ch := h.channel("team", ada, bob, cy)
		c := h.create(checkinFor(ch, ada, bob, cy))
		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		for _, u := range []struct{ id, txt string }{{ada, "ada-first"}, {bob, "bob-first"}, {cy, "cy-first"}} {
			if _, err := h.svcs[0].Submit(h.ctx, c, h.roundOf(u.id), u.id, text(u.txt), nil); err != nil {
				t.Fatal(err)
			}
		}
		h.run(monday.Add(9*time.Hour + 40*time.Minute))
		top, replies := h.channelMsgs(ch, ada)
		if len(top) != 1 || len(replies[top[0].TS]) != 1 || len(packedIDs(replies[top[0].TS][0])) != 3 {
			t.Fatalf("want the three queued answers in one packed message in the thread; got %d top, %+v", len(top), replies)
		}
		packedTS := replies[top[0].TS][0].TS

		h.answer(h.svcs[0], c, h.roundOf(bob), bob, text("bob-second"))
		_, replies = h.channelMsgs(ch, ada)
		th := replies[top[0].TS]
		if len(th) != 2 {
			t.Fatalf("thread has %d messages, want the packed one and bob's edit", len(th))
		}
		packed, edit := msgText(th[0]), th[1]
		if th[0].TS != packedTS || !th[0].Edited {
			t.Errorf("the packed message was not updated in place")
		}
		if !strings.Contains(packed, "ada-first") || !strings.Contains(packed, "cy-first") || strings.Contains(packed, "bob-first") ||
			!strings.Contains(packed, "*bob*’s answer was edited; the new version is below.") {
			t.Errorf("packed message after bob's edit, want ada's and cy's answers and a pointer for bob's:\n%s", packed)
		}
		if txt := msgText(edit); !strings.Contains(txt, "bob-second") || !strings.Contains(txt, "edited") || edit.Username != "bob" || edit.TS <= packedTS {
			t.Errorf("bob's edit reads %q as %q at %s, want it after the packed message (%s), under his name, marked edited", txt, edit.Username, edit.TS, packedTS)
		}
	})
}

// An edit never goes out before the version it replaces: while that
// version is being sent (held by another claim), the edit waits; once the
// earlier version's claim is gone, only the edit is posted.
func TestEditWaitsForItsEarlierVersion(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		ch := h.channel("team", ada)
		c := h.create(checkinFor(ch, ada))
		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		first, err := h.svcs[0].Submit(h.ctx, c, h.roundOf(ada), ada, text("ada-first"), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Another replica is in the middle of sending the first version.
		if _, ok, err := h.store.ClaimPost(h.ctx, team, first.Post.ID, "other-replica", h.clk.Now(), 2*time.Minute); err != nil || !ok {
			t.Fatalf("claim: %v, %v", ok, err)
		}
		second, err := h.svcs[0].Submit(h.ctx, c, h.roundOf(ada), ada, text("ada-second"), nil)
		if err != nil {
			t.Fatal(err)
		}
		h.svcs[0].DeliverPost(h.ctx, second.Post)
		posts, err := h.store.AnswerPosts(h.ctx, first.Post.RoundID, ada)
		if err != nil || len(posts) != 2 || posts[1].Posted {
			t.Fatalf("ada's posts %+v, %v: the edit was posted while the version it replaces was being sent", posts, err)
		}
		// The other replica stalls past its lease; the next ticks post the
		// edit only.
		h.run(monday.Add(10 * time.Hour))
		top, replies := h.channelMsgs(ch, ada)
		if len(top) != 1 {
			t.Fatalf("%d top-level messages", len(top))
		}
		var got []string
		for _, m := range replies[top[0].TS] {
			got = append(got, msgText(m))
		}
		if len(got) != 1 || !strings.Contains(got[0], "ada-second") {
			t.Errorf("thread %q, want only ada's edit", got)
		}
	})
}

// Answers queued when the check-in's question is reworded go out with the
// question they were given to, packed, and an edit of one of them (to the
// question as it is now) rewrites the packed message without dropping the
// others' answers.
func TestPackedAnswersKeepTheirQuestions(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		bob := h.person("bob", "Europe/London", "")
		cy := h.person("cy", "Europe/London", "")
		ch := h.channel("team", ada, bob, cy)
		c := h.create(checkinFor(ch, ada, bob, cy))
		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		for _, u := range []struct{ id, txt string }{{ada, "ada-first"}, {bob, "bob-first"}, {cy, "cy-first"}} {
			if _, err := h.svcs[0].Submit(h.ctx, c, h.roundOf(u.id), u.id, text(u.txt), nil); err != nil {
				t.Fatal(err)
			}
		}
		// The owner rewords the question before the queue drains.
		edited := c
		edited.Questions = []checkinmodels.Question{{Kind: checkinmodels.KindText, Prompt: "What will you do today?", Required: true}}
		now, err := h.svcs[0].Update(h.ctx, edited, ada, false)
		if err != nil {
			t.Fatal(err)
		}
		h.run(monday.Add(9*time.Hour + 40*time.Minute))
		top, replies := h.channelMsgs(ch, ada)
		if len(top) != 1 || len(replies[top[0].TS]) == 0 {
			t.Fatalf("want the round's thread with its answers; got %d top, %+v", len(top), replies)
		}
		var all strings.Builder
		for _, m := range replies[top[0].TS] {
			all.WriteString(msgText(m))
		}
		for _, want := range []string{"ada-first", "bob-first", "cy-first", "What are you working on?"} {
			if !strings.Contains(all.String(), want) {
				t.Errorf("the thread does not show %q:\n%s", want, all.String())
			}
		}
		if strings.Contains(all.String(), "What will you do today?") || strings.Contains(all.String(), "No answers to show") {
			t.Errorf("the answers were shown against the reworded question:\n%s", all.String())
		}

		h.answer(h.svcs[0], now, h.roundOf(bob), bob, checkinmodels.Submission{Answers: map[int]string{int(now.Questions[0].ID): "bob-second"}})
		_, replies = h.channelMsgs(ch, ada)
		packed := msgText(replies[top[0].TS][0])
		if !strings.Contains(packed, "ada-first") || !strings.Contains(packed, "cy-first") || strings.Contains(packed, "bob-first") {
			t.Errorf("the packed message after bob's edit, want ada's and cy's answers and a pointer for bob's:\n%s", packed)
		}
	})
}

// While another sender holds a round's answers, this one leaves the rest
// of them to it and holds the round's summary back too, so the summary
// never comes before answers it counts.
func TestSummaryWaitsForAnswersInFlight(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		bob := h.person("bob", "Europe/London", "")
		ch := h.channel("team", ada, bob)
		c := h.create(checkinFor(ch, ada, bob))
		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		first, err := h.svcs[0].Submit(h.ctx, c, h.roundOf(ada), ada, text("ada-first"), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Another replica is in the middle of sending Ada's answer.
		if _, ok, err := h.store.ClaimPost(h.ctx, team, first.Post.ID, "other-replica", h.clk.Now(), 2*time.Minute); err != nil || !ok {
			t.Fatalf("claim: %v, %v", ok, err)
		}
		if _, err := h.svcs[0].Submit(h.ctx, c, h.roundOf(bob), bob, text("bob-first"), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := h.store.QueuePost(h.ctx, checkinmodels.Post{WorkspaceID: team, RoundID: first.Post.RoundID, Kind: checkinmodels.PostSummary, Channel: ch}); err != nil {
			t.Fatal(err)
		}
		if err := h.svcs[0].Tick(h.ctx, h.clk.Now()); err != nil {
			t.Fatal(err)
		}
		sum, err := h.store.RoundPost(h.ctx, first.Post.RoundID, checkinmodels.PostSummary)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Posted {
			t.Errorf("the summary was posted while the round's answers were still being sent")
		}
	})
}
