package engine

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// groupOnce plans reminder n of the schedule test:key (made with no
// targets if need be) for the group DM of users at at, and returns the
// group's recipient.
func (h *harness) groupOnce(key string, n int, at time.Time, users ...string) string {
	h.t.Helper()
	ctx := context.Background()
	if _, err := models.NewSchedules(h.dbs[0]).Get(ctx, team, "test:"+key); err != nil {
		h.schedule(key, "every day at 08:00")
	}
	g, err := GroupRecipient(users...)
	if err != nil {
		h.t.Fatal(err)
	}
	if ok, err := h.engines[0].PlanOnce(ctx, team, "test:"+key, testReminder{N: n}, g, at); err != nil || !ok {
		h.t.Fatalf("plan a group one-off: %v, %v", ok, err)
	}
	return g
}

// groupOccurrences are the occurrences of a group recipient.
func (h *harness) groupOccurrences(g string) []models.Occurrence {
	h.t.Helper()
	list, err := models.NewOccurrences(h.dbs[0]).ForRecipient(context.Background(), team, g, time.Time{}, 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	return list
}

// groupMessages are the bot's messages in the group DM of users.
func (h *harness) groupMessages(users ...string) []slacksim.Message {
	h.t.Helper()
	msgs, err := h.ctl.GroupMessages(context.Background(), users...)
	if err != nil {
		h.t.Fatal(err)
	}
	return msgs
}

// Three replicas claiming at once send each group message exactly once,
// at the first instant inside all its members' working hours, in their
// group DM: two due together for the same group go as one message; none
// reaches a member's own DM.
func TestGroupMessageOnceAcrossReplicas(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			start := mustTime("2026-11-23T08:00:00Z") // a Monday
			h := newHarness(t, harnessOpts{dialect: dialect, replicas: 3, start: start})
			ada := h.person("ada", "Europe/London", nil)  // 09:00-17:30 UTC
			bo := h.person("bo", "America/New_York", nil) // 14:00-22:30 UTC
			cy := h.person("cy", "Europe/Berlin", nil)    // 08:00-16:30 UTC
			due := mustTime("2026-11-23T10:00:00Z")
			trio := h.groupOnce("intro", 1, due, cy, ada, bo)
			h.groupOnce("intro", 2, due, bo, cy, ada)
			pair := h.groupOnce("intro", 3, due, ada, cy)
			h.runToWith(mustTime("2026-11-24T00:00:00Z"), h.engines)

			msgs := h.groupMessages(ada, bo, cy)
			if len(msgs) != 1 {
				t.Fatalf("the trio's group DM holds %d messages, want 1", len(msgs))
			}
			if at := msgTime(msgs[0]); !at.Equal(mustTime("2026-11-23T14:00:00Z")) {
				t.Errorf("the trio's message came at %s, want 14:00 UTC, when New York's day begins", at)
			}
			got := ids(t, msgs[0])
			occs := h.groupOccurrences(trio)
			if len(got) != 2 || len(occs) != 2 {
				t.Fatalf("the trio's message carries %v of %d occurrences, want both in one", got, len(occs))
			}
			conv, ok, err := h.ctl.GroupDM(context.Background(), ada, bo, cy)
			if err != nil || !ok {
				t.Fatalf("no group DM: %v", err)
			}
			for _, o := range occs {
				if o.Status != models.OccurrenceDelivered || o.Receipt.Channel != conv.ID || o.Receipt.TS != msgs[0].TS {
					t.Errorf("occurrence %d: %s %+v, want delivered in %s at %s", o.ID, o.Status, o.Receipt, conv.ID, msgs[0].TS)
				}
			}
			if !strings.Contains(string(msgs[0].Blocks), "inside everyone's working hours") {
				t.Errorf("no group why-line in %s", msgs[0].Blocks)
			}
			if p := h.groupMessages(ada, cy); len(p) != 1 || !msgTime(p[0]).Equal(due) {
				t.Errorf("the pair's group DM holds %+v, want one message at %s", p, due)
			} else if po := h.groupOccurrences(pair); len(po) != 1 || po[0].Status != models.OccurrenceDelivered {
				t.Errorf("the pair's occurrence: %+v", po)
			}
			for _, u := range []string{ada, bo, cy} {
				if dm := h.dms(u); len(dm) != 0 {
					t.Errorf("%s got %d DMs, want none", u, len(dm))
				}
			}
		})
	}
}

// A group message whose answer is lost after Slack took it is found in
// the group DM's history and not sent again.
func TestGroupAmbiguousSendIsReconciled(t *testing.T) {
	start := mustTime("2026-11-23T14:00:00Z")
	h := newHarness(t, harnessOpts{start: start.Add(-time.Minute)})
	ada := h.person("ada", "Europe/London", nil)
	bo := h.person("bo", "America/New_York", nil)
	g := h.groupOnce("intro", 1, start, ada, bo)
	h.clk.Set(start)
	ctx := context.Background()
	if _, err := h.ctl.AddFault(ctx, slacksim.Fault{Method: "chat.postMessage", Next: 1, Status: http.StatusBadGateway, AfterEffect: true}); err != nil {
		t.Fatal(err)
	}
	st, err := h.engines[0].Tick(ctx, start)
	if err != nil || st.Reconciled != 1 || st.Delivered != 1 {
		t.Errorf("tick: %+v, %v; want the message found by reconciliation", st, err)
	}
	h.runTo(start.Add(10 * time.Minute))
	msgs := h.groupMessages(ada, bo)
	occs := h.groupOccurrences(g)
	if len(msgs) != 1 || len(occs) != 1 || occs[0].Status != models.OccurrenceDelivered || occs[0].Receipt.TS != msgs[0].TS {
		t.Fatalf("%d messages, occurrences %+v; want one, delivered with its ts", len(msgs), occs)
	}
	if posts, err := h.ctl.Calls(ctx, "chat.postMessage"); err != nil || len(posts) != 1 {
		t.Errorf("%d chat.postMessage calls (%v), want 1", len(posts), err)
	}
	if hist, err := h.ctl.Calls(ctx, "conversations.history"); err != nil || len(hist) == 0 || hist[0].Channel != occs[0].Receipt.Channel {
		t.Errorf("conversations.history calls %+v (%v), want a look in the group DM", hist, err)
	}
}

// After downtime a group message is sent late while the time inside
// everyone's working hours it was due in is still open, and missed once
// that has closed.
func TestGroupLateAfterDowntime(t *testing.T) {
	start := mustTime("2026-11-23T13:00:00Z")
	h := newHarness(t, harnessOpts{start: start})
	ada := h.person("ada", "Europe/London", nil)                                     // 09:00-17:30 UTC
	bo := h.person("bo", "America/New_York", nil)                                    // 14:00-22:30 UTC
	cy := h.person("cy", "Europe/Berlin", nil)                                       // 08:00-16:30 UTC
	missed := h.groupOnce("intro", 1, mustTime("2026-11-23T14:00:00Z"), ada, bo, cy) // shared until 16:30
	late := h.groupOnce("intro", 2, mustTime("2026-11-23T14:00:00Z"), ada, bo)       // shared until 17:30
	// Trellis is down from before 14:00 until 17:00.
	back := mustTime("2026-11-23T17:00:00Z")
	h.clk.Set(back)
	if _, err := h.engines[0].Tick(context.Background(), back); err != nil {
		t.Fatal(err)
	}
	if o := h.groupOccurrences(missed); len(o) != 1 || o[0].Status != models.OccurrenceMissed ||
		!strings.Contains(o[0].Reason, "closed at Mon 23 Nov 16:30 UTC") || !strings.Contains(o[0].Reason, "not running") {
		t.Errorf("the trio's message: %+v, want missed: its shared window closed at 16:30 while Trellis was not running", o)
	}
	if m := h.groupMessages(ada, bo, cy); len(m) != 0 {
		t.Errorf("the trio got %d messages after their shared window closed", len(m))
	}
	o := h.groupOccurrences(late)
	if len(o) != 1 || o[0].Status != models.OccurrenceDelivered || !strings.Contains(o[0].Reason, "sent late") {
		t.Errorf("the pair's message: %+v, want delivered late", o)
	}
	if m := h.groupMessages(ada, bo); len(m) != 1 || !msgTime(m[0]).Equal(back) {
		t.Errorf("the pair got %+v, want one message at %s", m, back)
	}
}

// A group message waits for everyone's working hours without naming why
// one of them is not there; with no shared time in 14 days, or a member
// Trellis has no profile for, it is skipped with a reason.
func TestGroupDeferralsAndSkips(t *testing.T) {
	start := mustTime("2026-11-23T14:00:00Z") // Monday
	h := newHarness(t, harnessOpts{start: start})
	ctx := context.Background()
	people := models.NewPeople(h.dbs[0])
	ada := h.person("ada", "Europe/London", nil)
	bo := h.person("bo", "America/New_York", nil)
	// Bo is on a secret trip until Wednesday, and says so in Slack.
	if _, err := people.SyncProfile(ctx, models.Person{WorkspaceID: team, UserID: bo, Name: "bo", SlackTZ: "America/New_York",
		Status: calendar.Status{Emoji: ":palm_tree:", Text: "Secret trip to Bali", Expiration: mustTime("2026-11-25T12:00:00Z")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := people.AddAway(ctx, models.AwayPeriod{WorkspaceID: team, UserID: ada, First: calendar.DateOf(mustTime("2026-11-25T00:00:00Z")), Last: calendar.DateOf(mustTime("2026-11-25T00:00:00Z")), Note: "dentist"}); err != nil {
		t.Fatal(err)
	}
	waits := h.groupOnce("intro", 1, start, ada, bo)
	// Tokyo mornings never meet London mornings.
	kei := h.person("kei", "Asia/Tokyo", wh("mon-fri", "09:00", "12:00"))
	lu := h.person("lu", "Europe/London", wh("mon-fri", "09:00", "12:00"))
	never := h.groupOnce("intro", 2, start, kei, lu)
	gone := h.groupOnce("intro", 3, start, ada, "U0NOBODY")

	h.runTo(start)
	o := h.groupOccurrences(waits)
	if len(o) != 1 || o[0].Status != models.OccurrenceDeferred || !o[0].DeliverAt.Equal(mustTime("2026-11-26T14:00:00Z")) ||
		o[0].Reason != "waiting for everyone's working hours; the next time inside all of them is Thu 26 Nov 14:00 UTC" {
		t.Errorf("the pair's message: %+v, want deferred to Thursday 14:00 UTC, after bo's status ends and ada's day off", o)
	}
	if o := h.groupOccurrences(never); len(o) != 1 || o[0].Status != models.OccurrenceSkipped || o[0].Reason != noSharedTime {
		t.Errorf("a group whose hours never meet: %+v, want skipped: %s", o, noSharedTime)
	}
	if o := h.groupOccurrences(gone); len(o) != 1 || o[0].Status != models.OccurrenceSkipped || !strings.HasPrefix(o[0].Reason, "removed: ") {
		t.Errorf("a group with someone Trellis does not know: %+v, want skipped as removed", o)
	}

	h.runTo(mustTime("2026-11-27T00:00:00Z"))
	msgs := h.groupMessages(ada, bo)
	if len(msgs) != 1 || !msgTime(msgs[0]).Equal(mustTime("2026-11-26T14:00:00Z")) {
		t.Fatalf("the pair got %+v, want one message on Thursday at 14:00 UTC", msgs)
	}
	o = h.groupOccurrences(waits)
	for _, text := range []string{string(msgs[0].Blocks), msgs[0].Text, o[0].Reason} {
		for _, private := range []string{"Bali", "palm", "status", "you are away", "dentist", "time off", "holiday"} {
			if strings.Contains(text, private) {
				t.Errorf("%q shows the group %q, which is one member's own", text, private)
			}
		}
	}
	if m := h.groupMessages(kei, lu); len(m) != 0 {
		t.Errorf("a group whose hours never meet got %d messages", len(m))
	}
}

// A schedule's targets are people and channels: a group is refused, and
// PlanOnce refuses a group recipient not written by GroupRecipient.
func TestGroupIsNotAScheduleTarget(t *testing.T) {
	h := newHarness(t, harnessOpts{start: mustTime("2026-11-23T14:00:00Z")})
	ada := h.person("ada", "Europe/London", nil)
	bo := h.person("bo", "America/New_York", nil)
	sc := h.schedule("daily", "every day at 09:00", ada)
	g, _ := GroupRecipient(ada, bo)
	ctx := context.Background()
	if _, _, err := models.NewSchedules(h.dbs[0]).SetTargets(ctx, team, sc.Key, []string{ada, g}, h.clk.Now()); err == nil {
		t.Error("SetTargets took a group as a target")
	}
	if targets, _ := models.NewSchedules(h.dbs[0]).Targets(ctx, team, sc.Key); !slices.Equal(targets, []string{ada}) {
		t.Errorf("targets after the refusal: %v, want unchanged", targets)
	}
	bad := "mpim:" + bo + "," + ada
	if ada > bo {
		bad = "mpim:" + ada + "," + bo
	}
	if _, err := h.engines[0].PlanOnce(ctx, team, sc.Key, testReminder{N: 1}, bad, h.clk.Now()); err == nil {
		t.Errorf("PlanOnce took %q, not in GroupRecipient's form", bad)
	}
}
