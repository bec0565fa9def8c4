package checkins

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// oneOccurrence returns the one occurrence of a person's check-in whose
// CadenceID holds part, failing unless there is exactly one.
func (h *harness) oneOccurrence(user string, c checkinmodels.Checkin, part string) models.Occurrence {
	h.t.Helper()
	occs := h.occurrences(user, c, part)
	if len(occs) != 1 {
		h.t.Fatalf("%s has %d %q occurrences, want 1: %+v", user, len(occs), part, occs)
	}
	return occs[0]
}

func (h *harness) person1(user string) models.Person {
	h.t.Helper()
	p, err := h.people.Get(h.ctx, team, user)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// Reminders go only to those who have not answered, inside their working
// hours: one who answered first has the reminder skipped as answered;
// one who does not answer gets exactly one, inside their hours; one whose
// reminder falls outside their hours gets none, as the round closed before
// their next window; a snoozed prompt comes back once, unless its person
// answered meanwhile.
func TestReminders(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")                    // answers at 10:00
		bob := h.person("bob", "Europe/London", "")                    // never answers
		cy := h.person("cy", "Europe/London", "")                      // snoozes, then answers
		dee := h.person("dee", "Europe/London", "")                    // snoozes, and lets it come back
		eve := h.person("eve", "Europe/London", "mon-fri 09:00-12:00") // mornings only
		ch := h.channel("team", ada, bob, cy, dee, eve)
		c := h.create(checkinFor(ch, ada, bob, cy, dee, eve))

		h.run(monday.Add(10 * time.Hour))
		h.answer(h.svcs[0], c, h.roundOf(ada), ada, text("ada's answer"))
		for _, u := range []string{cy, dee} {
			at, moved, err := h.svcs[0].Snooze(h.ctx, c, h.roundOf(u), h.person1(u), 60)
			if err != nil || moved || !at.Equal(monday.Add(11*time.Hour)) {
				t.Fatalf("snooze: %s, %v; want until 11:00", at, err)
			}
		}
		h.run(monday.Add(10*time.Hour + 15*time.Minute))
		h.answer(h.svcs[0], c, h.roundOf(cy), cy, text("cy's answer"))
		// To Tuesday, before its round.
		h.run(monday.Add(33 * time.Hour))

		wantReason := func(user, part, reason string) {
			t.Helper()
			o := h.oneOccurrence(user, c, part)
			if o.Status != models.OccurrenceSkipped || !strings.Contains(o.Reason, reason) {
				t.Errorf("%s's %s: %s %q, want skipped: %q", user, part, o.Status, o.Reason, reason)
			}
		}
		wantReason(ada, "#reminder:", "already answered")
		wantReason(cy, "#snooze:", "already answered")
		wantReason(cy, "#reminder:", "already answered")
		wantReason(eve, "#reminder:", "round closed")
		wantReason(dee, "#reminder:", "snoozed")

		for u, want := range map[string][3]int{ada: {1, 0, 0}, bob: {1, 1, 0}, cy: {1, 0, 0}, dee: {1, 0, 1}, eve: {1, 0, 0}} {
			ps := h.prompts(u)
			if got := [3]int{countKind(ps, "ask"), countKind(ps, "reminder"), countKind(ps, "snoozed")}; got != want {
				t.Errorf("%s got asks, reminders, snoozed prompts %v, want %v", u, got, want)
			}
			if n := len(h.dms(u)); n != want[0]+want[1]+want[2] {
				t.Errorf("%s got %d DMs, want %d", u, n, want[0]+want[1]+want[2])
			}
		}
		for _, p := range h.prompts(bob) {
			if p.kind == "reminder" {
				if at := msgTime(p.msg); !at.Equal(monday.Add(13*time.Hour+30*time.Minute)) || p.round != h.prompts(bob)[0].round {
					t.Errorf("bob's reminder at %s for round %d, want 13:30 (inside his hours) for his round", at, p.round)
				}
			}
		}
		for _, p := range h.prompts(dee) {
			if p.kind == "snoozed" && !msgTime(p.msg).Equal(monday.Add(11*time.Hour)) {
				t.Errorf("dee's snoozed prompt at %s, want 11:00", msgTime(p.msg))
			}
		}
	})
}

// digests returns the digest DMs a person got: DMs with no prompt in them.
func (h *harness) digests(user string) []slacksim.Message {
	h.t.Helper()
	var out []slacksim.Message
	for _, m := range h.dms(user) {
		if !strings.Contains(string(m.Blocks), "checkin_prompt_") {
			out = append(out, m)
		}
	}
	return out
}

func digestCheckin(ch string, owner string, people ...string) checkinmodels.Checkin {
	c := checkinFor(ch, people...)
	c.OwnerID = owner
	c.Destination = checkinmodels.DestinationDigest
	c.Reminders = 0
	c.Questions = []checkinmodels.Question{
		{Kind: checkinmodels.KindText, Prompt: "What did you do?", Required: true},
		{Kind: checkinmodels.KindChoice, Prompt: "Which colour is the week?", Options: []string{"Mauve", "Teal"}, Anonymous: true},
	}
	return c
}

// With the digest destination nothing is posted in the channel; after the
// round closes each participant gets one digest, at the start of their
// next working day in their own zone, with everyone's answers and never
// an anonymous one.
func TestDigest(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		bob := h.person("bob", "America/New_York", "")
		cy := h.person("cy", "Europe/London", "")
		ch := h.channel("team", ada, bob, cy)
		c := h.create(digestCheckin(ch, ada, ada, bob, cy))

		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		if res, err := h.svcs[0].Submit(h.ctx, c, h.roundOf(ada), ada, checkinmodels.Submission{
			Answers: map[int]string{1: "Ada-text"}, Anonymous: map[int]string{2: "Mauve"}}, nil); err != nil || res.Post.ID != 0 {
			t.Fatalf("ada's answer: %+v, %v; want no post queued", res, err)
		}
		h.run(monday.Add(14*time.Hour + 31*time.Minute))
		if _, err := h.svcs[0].Submit(h.ctx, c, h.roundOf(bob), bob, checkinmodels.Submission{
			Answers: map[int]string{1: "Bob-text"}, Anonymous: map[int]string{2: "Teal"}}, nil); err != nil {
			t.Fatal(err)
		}
		// The round closes at 22:30 UTC (bob's 09:30 and 8 hours). Run to
		// Wednesday 08:00 UTC, before any digest of Tuesday's round.
		h.run(monday.Add(2*24*time.Hour + 8*time.Hour))

		if top, replies := h.channelMsgs(ch, ada); len(top)+len(replies) != 0 {
			t.Errorf("the channel has %d bot messages, want none: %q", len(top)+len(replies), texts(top))
		}
		for u, at := range map[string]time.Time{
			ada: monday.Add(33 * time.Hour), // Tuesday 09:00 London
			cy:  monday.Add(33 * time.Hour),
			bob: monday.Add(38 * time.Hour), // Tuesday 09:00 New York
		} {
			ds := h.digests(u)
			if len(ds) != 1 {
				t.Errorf("%s got %d digests, want 1", u, len(ds))
				continue
			}
			d := ds[0]
			if got := msgTime(d); !got.Equal(at) {
				t.Errorf("%s's digest came at %s, want %s (09:00 their time)", u, got, at)
			}
			txt := msgText(d)
			for _, want := range []string{"Ada-text", "Bob-text", "2 of 3"} {
				if !strings.Contains(txt, want) {
					t.Errorf("%s's digest lacks %q:\n%s", u, want, txt)
				}
			}
			for _, never := range []string{"Mauve", "Teal"} {
				if strings.Contains(txt, never) {
					t.Errorf("%s's digest shows the anonymous answer %q:\n%s", u, never, txt)
				}
			}
		}
	})
}

// An owner in Tokyo reads the digest of a round that closed at 07:30
// their time at the start of that same working day, 09:00, not a day
// later.
func TestDigestReachesAnEarlyReaderTheSameMorning(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		oz := h.person("oz", "Asia/Tokyo", "")
		ada := h.person("ada", "Europe/London", "")
		bob := h.person("bob", "America/New_York", "")
		ch := h.channel("team", oz, ada, bob)
		c := h.create(digestCheckin(ch, oz, ada, bob))
		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		if _, err := h.svcs[0].Submit(h.ctx, c, h.roundOf(ada), ada, text("Ada-text"), nil); err != nil {
			t.Fatal(err)
		}
		// Closes 22:30 UTC Monday: 07:30 Tuesday in Tokyo.
		h.run(monday.Add(3 * 24 * time.Hour))
		ds := h.digests(oz)
		if len(ds) == 0 {
			t.Fatalf("oz got no digest")
		}
		if want := monday.Add(24 * time.Hour); !msgTime(ds[0]).Equal(want) {
			o := h.occurrences(oz, c, "#digest:")
			t.Errorf("oz's first digest came at %s, want %s (Tuesday 09:00 in Tokyo, 90 minutes after the round closed); occurrences %+v",
				msgTime(ds[0]), want, o)
		}
	})
}

// A scale question marked anonymous shows its average in the summary when
// the workspace's minimum group (5) answered it, and only "not enough
// answers" when 4 did.
func TestAnonymousAggregateNeedsTheMinimumGroup(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		var people []string
		for _, n := range []string{"ada", "bob", "cy", "dee", "eve"} {
			people = append(people, h.person(n, "Europe/London", ""))
		}
		mk := func(name, channel string, who []string) checkinmodels.Checkin {
			c := checkinFor(channel, who...)
			c.Name = name
			c.Reminders = 0
			c.Questions = []checkinmodels.Question{{Kind: checkinmodels.KindScale, Prompt: "How is your energy?", Options: []string{"low", "high"}, Anonymous: true, Required: true}}
			return h.create(c)
		}
		five := mk("Pulse five", h.channel("five", people...), people)
		four := mk("Pulse four", h.channel("four", people...), people[:4])
		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		values := []string{"5", "4", "4", "3", "4"}
		roundOf := func(c checkinmodels.Checkin) int64 {
			r, err := h.store.LatestRound(h.ctx, team, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
		for i, u := range people {
			// Answers are by question id.
			h.answer(h.svcs[0], five, roundOf(five), u, checkinmodels.Submission{Anonymous: map[int]string{int(five.Questions[0].ID): values[i]}})
			if i < 4 {
				h.answer(h.svcs[0], four, roundOf(four), u, checkinmodels.Submission{Anonymous: map[int]string{int(four.Questions[0].ID): values[i]}})
			}
		}
		h.run(monday.Add(24 * time.Hour))

		summary := func(c checkinmodels.Checkin) string {
			top, replies := h.channelMsgs(c.ChannelID, people[0])
			if len(top) != 1 {
				t.Fatalf("%s: %d top-level messages, want the header", c.Name, len(top))
			}
			var out []string
			for _, m := range replies[top[0].TS] {
				if strings.Contains(msgText(m), "summary") {
					out = append(out, msgText(m))
				}
				if strings.Contains(msgText(m), "/ 5") && !strings.Contains(msgText(m), "summary") {
					t.Errorf("%s: an answer post shows a scale value: %s", c.Name, msgText(m))
				}
			}
			if len(out) != 1 {
				t.Fatalf("%s: %d summaries, want 1", c.Name, len(out))
			}
			return out[0]
		}
		if s := summary(five); !strings.Contains(s, "4.0 / 5") || !strings.Contains(s, "5 answers") || strings.Contains(s, "Not enough answers") {
			t.Errorf("summary with 5 answers: %s; want the average 4.0 of 5 answers", s)
		}
		if s := summary(four); !strings.Contains(s, "Not enough answers") || strings.Contains(s, "/ 5") {
			t.Errorf("summary with 4 answers: %s; want not enough answers, and no average", s)
		}
	})
}

// A round whose participants are further apart than its length — Tokyo
// and London, nine hours apart, with an 8-hour round — stays open until
// the last of them has had the round's length: its summary comes once,
// after both answers, counting both.
func TestRoundStaysOpenForTheLastZone(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		oz := h.person("oz", "Asia/Tokyo", "")
		ada := h.person("ada", "Europe/London", "")
		ch := h.channel("team", oz, ada)
		c := checkinFor(ch, oz, ada)
		c.Reminders = 0
		c = h.create(c)
		h.run(monday.Add(31 * time.Minute)) // 09:30 in Tokyo
		h.answer(h.svcs[0], c, h.roundOf(oz), oz, text("oz's answer"))
		h.run(monday.Add(9*time.Hour + 31*time.Minute)) // 09:30 in London
		if r := h.roundOf(ada); r != h.roundOf(oz) {
			t.Fatalf("ada's round %d, oz's %d: want the same (Monday's)", r, h.roundOf(oz))
		}
		h.answer(h.svcs[0], c, h.roundOf(ada), ada, text("ada's answer"))
		h.run(monday.Add(24 * time.Hour))

		top, replies := h.channelMsgs(ch, ada)
		if len(top) != 1 {
			t.Fatalf("%d top-level messages, want Monday's header: %q", len(top), texts(top))
		}
		th := replies[top[0].TS]
		var got []string
		for _, m := range th {
			got = append(got, msgText(m))
		}
		if len(th) != 3 || !strings.Contains(got[2], "summary") || !strings.Contains(got[2], "2 of 2") {
			t.Errorf("Monday's thread: %q; want both answers, then one summary counting 2 of 2", texts(th))
		}
	})
}

// A round stays a person's to answer until they are asked a newer one,
// whatever rounds people in other zones have started: Tokyo's Tuesday
// begins (00:30 UTC) while it is still Monday afternoon in Los Angeles,
// and Jo's Monday reminder still comes, and Monday stays waiting for her.
func TestRoundStaysTheirsAcrossZones(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		mei := h.person("mei", "Asia/Tokyo", "")
		jo := h.person("jo", "America/Los_Angeles", "")
		ch := h.channel("team", mei, jo)
		c := checkinFor(ch, mei, jo)
		c.RoundLength = 15 * time.Hour // one reminder 7.5 hours in: 17:00 in LA
		c = h.create(c)

		h.run(monday.Add(25*time.Hour + 5*time.Minute))
		if n := countKind(h.prompts(mei), "ask"); n != 2 {
			t.Fatalf("mei was asked %d times by Tuesday 09:35 Tokyo, want Monday and Tuesday", n)
		}
		var reminders []prompt
		for _, p := range h.prompts(jo) {
			if p.kind == "reminder" {
				reminders = append(reminders, p)
			}
		}
		if len(reminders) != 1 || !msgTime(reminders[0].msg).Truncate(time.Minute).Equal(monday.Add(25*time.Hour)) {
			for _, o := range h.occurrences(jo, c, "#reminder:") {
				t.Logf("jo's reminder: %s %s %q", o.DeliverAt, o.Status, o.Reason)
			}
			t.Fatalf("jo's reminders %+v; want one at 17:00 Monday her time", reminders)
		}
		pending, err := h.store.Pending(h.ctx, team, jo)
		if err != nil || len(pending) != 1 || pending[0].Round.Date != calendar.DateOf(monday) {
			t.Fatalf("jo's waiting rounds: %+v, %v; want Monday's", pending, err)
		}
		if later, err := h.store.AskedLater(h.ctx, team, c.ID, jo, calendar.DateOf(monday)); err != nil || later {
			t.Errorf("AskedLater(jo, Monday) = %v, %v; want false until her Tuesday", later, err)
		}
		if later, err := h.store.AskedLater(h.ctx, team, c.ID, mei, calendar.DateOf(monday)); err != nil || !later {
			t.Errorf("AskedLater(mei, Monday) = %v, %v; want true once her Tuesday came", later, err)
		}
	})
}

// A helper notice planned before questions had ids (its tag names the
// blocked question by position) still reaches the helper, about the right
// question, after the upgrade.
func TestHelperNoticePlannedBeforeQuestionIDs(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		sam := h.person("sam", "Europe/London", "")
		ch := h.channel("team", ada, sam)
		h.create(checkinFor(ch, ada)) // takes the first question ids
		cfg := checkinFor(ch, ada)
		cfg.Questions = append(cfg.Questions, checkinmodels.Question{Kind: checkinmodels.KindBlocked, Prompt: "Anything in your way?", Required: true})
		c := h.create(cfg)
		if blocked := c.Questions[1]; blocked.ID == 2 {
			t.Fatalf("the blocked question's id %d equals its position; the test proves nothing", blocked.ID)
		}
		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		round := h.roundOf(ada)
		sub := checkinmodels.Submission{Answers: map[int]string{int(c.Questions[0].ID): "work", int(c.Questions[1].ID): "yes"}}
		if _, err := h.svcs[0].Submit(h.ctx, c, round, ada, sub, nil); err != nil {
			t.Fatal(err)
		}
		// As an older build planned it: the tag in the cadence id, no
		// payload.
		h.planLegacy(c, fmt.Sprintf("helper:%d:%s:%d", round, ada, 2), sam, h.clk.Now())
		h.run(monday.Add(10 * time.Hour))
		var got []string
		for _, m := range h.dms(sam) {
			if txt := msgText(m); strings.Contains(txt, "named you as someone who could help") {
				got = append(got, txt)
			}
		}
		if len(got) != 1 || !strings.Contains(got[0], "Anything in your way?") {
			t.Errorf("sam's helper notices %q, want one about “Anything in your way?”; occurrences %+v", got, h.occurrences(sam, c, "#helper:"))
		}
	})
}
