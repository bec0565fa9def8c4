package engine

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// The rules as the engine applies them, end to end through the emulator,
// in the five zones the issue names: each case ends in the status it
// should, with a reason when it is not a plain delivery, and a delivery
// lands at the expected local time.
func TestRulesInFiveZones(t *testing.T) {
	type tcase struct {
		name    string
		cadence string
		hours   *calendar.WorkingHours
		setup   func(h *harness, user string)
		// the local date and time of the occurrence looked at
		nominal string
		// run the engine to this local time (with downAt: skip ticks
		// from downAt until then)
		until, downAt string
		status        string
		deliverLocal  string // local time of the message, for delivered
		reason        string // part of the reason
	}
	cases := []tcase{
		{name: "on time (rule 4)", cadence: "every day at 10:00", nominal: "2026-11-24 10:00", until: "2026-11-24 12:00",
			status: "delivered", deliverLocal: "2026-11-24 10:00"},
		{name: "before hours, deferred then delivered (rule 4)", cadence: "every day at 07:00", nominal: "2026-11-24 07:00", until: "2026-11-24 12:00",
			status: "delivered", deliverLocal: "2026-11-24 09:00", reason: "outside working hours"},
		{name: "night shift past midnight (rule 4)", cadence: "every day at 03:00", hours: wh("mon-fri", "22:00", "06:00"),
			nominal: "2026-11-24 03:00", until: "2026-11-24 12:00", status: "delivered", deliverLocal: "2026-11-24 03:00"},
		{name: "weekend deferral superseded (rule 5)", cadence: "every day at 10:00", nominal: "2026-11-28 10:00", until: "2026-11-30 12:00",
			status: "superseded", reason: "superseded"},
		{name: "away: skipped days, then superseded", cadence: "every day at 10:00", nominal: "2026-11-25 10:00", until: "2026-11-27 12:00",
			setup: func(h *harness, user string) {
				if _, err := models.NewPeople(h.dbs[0]).AddAway(context.Background(), models.AwayPeriod{WorkspaceID: team, UserID: user,
					First: calendar.Date{Year: 2026, Month: 11, Day: 25}, Last: calendar.Date{Year: 2026, Month: 11, Day: 26}}); err != nil {
					panic(err)
				}
			},
			status: "superseded", reason: "away"},
		{name: "company holiday: deferred then delivered", cadence: "wednesdays at 10:00", nominal: "2026-11-25 10:00", until: "2026-11-26 12:00",
			setup: func(h *harness, user string) {
				if err := models.NewWorkspaces(h.dbs[0]).AddHoliday(context.Background(), models.Holiday{WorkspaceID: team,
					Date: calendar.Date{Year: 2026, Month: 11, Day: 25}, Name: "Founders' day", AddedBy: "UADMIN"}); err != nil {
					panic(err)
				}
			},
			status: "delivered", deliverLocal: "2026-11-26 09:00", reason: "company holiday: Founders' day"},
		{name: "paused (rule 7)", cadence: "every day at 10:00", nominal: "2026-11-24 10:00", until: "2026-11-24 12:00",
			setup: func(h *harness, user string) {
				if err := models.NewSchedules(h.dbs[0]).SetPaused(context.Background(), team, "test:rule", true); err != nil {
					panic(err)
				}
			},
			status: "skipped", reason: "paused"},
		{name: "downtime, window still open: sent late (rule 6)", cadence: "every day at 10:00", nominal: "2026-11-24 10:00",
			downAt: "2026-11-24 09:30", until: "2026-11-24 13:00", status: "delivered", deliverLocal: "2026-11-24 13:00", reason: "sent late"},
		{name: "downtime past the window: missed (rule 6)", cadence: "every day at 10:00", nominal: "2026-11-24 10:00",
			downAt: "2026-11-24 09:30", until: "2026-11-24 18:00", status: "missed", reason: "not running"},
	}
	zones := []string{"America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Asia/Kathmandu"}
	for _, zone := range zones {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		at := func(s string) time.Time {
			v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		for _, tc := range cases {
			t.Run(zone+"/"+tc.name, func(t *testing.T) {
				h := newHarness(t, harnessOpts{start: at("2026-11-23 00:00")})
				ctx := context.Background()
				if err := models.NewWorkspaces(h.dbs[0]).SetHolidayRegion(ctx, team, "none", "UADMIN"); err != nil {
					t.Fatal(err)
				}
				user := h.person("p", zone, tc.hours)
				h.schedule("rule", tc.cadence, user)
				if tc.setup != nil {
					tc.setup(h, user)
				}
				if tc.downAt != "" {
					h.runTo(at(tc.downAt))
					h.clk.Set(at(tc.until))
					if _, err := h.engines[0].Tick(ctx, at(tc.until)); err != nil {
						t.Fatal(err)
					}
				} else {
					h.runTo(at(tc.until))
				}
				var o models.Occurrence
				for _, c := range h.occurrences() {
					if c.NominalAt.Equal(at(tc.nominal)) {
						o = c
					}
				}
				if o.ID == 0 {
					t.Fatalf("no occurrence at %s", tc.nominal)
				}
				if o.Status != tc.status || !strings.Contains(o.Reason, tc.reason) {
					t.Fatalf("status %s (%s), want %s with %q", o.Status, o.Reason, tc.status, tc.reason)
				}
				if tc.status != models.OccurrenceDelivered {
					if o.Reason == "" {
						t.Error("no reason")
					}
					return
				}
				if tc.reason == "" && o.Reason != "" {
					t.Errorf("an on-time delivery has a reason: %q", o.Reason)
				}
				var found bool
				for _, m := range h.dms(user) {
					for _, id := range ids(t, m) {
						if id == o.ID {
							found = true
							if got := msgTime(m).In(loc).Format("2006-01-02 15:04"); got != tc.deliverLocal {
								t.Errorf("delivered at %s local, want %s", got, tc.deliverLocal)
							}
						}
					}
				}
				if !found {
					t.Error("no message carries the occurrence")
				}
			})
		}
	}
}

// The daily budget: with four cadences due on one day, three messages
// arrive; the fourth waits for the next working day and, being due again
// by then, is superseded.
func TestDailyBudget(t *testing.T) {
	h := newHarness(t, harnessOpts{start: mustTime("2026-11-23T00:00:00Z")})
	ada := h.person("ada", "Europe/London", nil)
	for _, c := range []struct{ key, cadence string }{
		{"a", "weekdays at 09:30"}, {"b", "weekdays at 11:00"}, {"c", "weekdays at 13:00"}, {"d", "weekdays at 15:00"},
	} {
		h.schedule(c.key, c.cadence, ada)
	}
	h.runTo(mustTime("2026-11-24T12:00:00Z"))
	var monday int
	for _, m := range h.dms(ada) {
		if msgTime(m).Before(mustTime("2026-11-24T00:00:00Z")) {
			monday++
		}
	}
	if monday != 3 {
		t.Errorf("Monday: %d messages, want 3 (the budget)", monday)
	}
	for _, o := range h.occurrences() {
		if o.CadenceID == "test:d" && o.NominalAt.Equal(mustTime("2026-11-23T15:00:00Z")) {
			if o.Status != models.OccurrenceSuperseded || !strings.Contains(o.Reason, "daily budget of 3 reached") {
				t.Errorf("Monday's fourth: %s (%s)", o.Status, o.Reason)
			}
		}
	}
}

// A one-off (a reminder) goes through the policy — a weekend one waits
// for Monday — but is never superseded by its schedule's next occurrence;
// its composer sees the tag and may decline to send.
func TestPlanOnce(t *testing.T) {
	var tags []string
	composer := ComposerFunc(func(ctx context.Context, c Context) (Message, error) {
		tags = append(tags, tagOf(c))
		if tagOf(c) == "reminder:2" {
			return Message{}, Skip("already answered")
		}
		return testComposer(ctx, c)
	})
	h := newHarness(t, harnessOpts{start: mustTime("2026-11-27T12:00:00Z"), composer: composer}) // Fri
	ada := h.person("ada", "Europe/London", nil)
	h.schedule("daily", "every day at 08:00", ada)
	e := h.engines[0]
	ctx := context.Background()
	for _, n := range []int{1, 2} {
		ok, err := e.PlanOnce(ctx, team, "test:daily", testReminder{N: n}, ada, mustTime("2026-11-28T10:00:00Z")) // Sat
		if err != nil || !ok {
			t.Fatalf("PlanOnce reminder %d = %v, %v", n, ok, err)
		}
	}
	if ok, err := e.PlanOnce(ctx, team, "test:daily", testReminder{N: 1}, ada, mustTime("2026-11-28T10:00:00Z")); err != nil || ok {
		t.Errorf("planning the same one-off again = %v, %v; want false", ok, err)
	}
	if _, err := e.PlanOnce(ctx, team, "test:daily", nil, ada, mustTime("2026-11-28T10:00:00Z")); err == nil {
		t.Error("a one-off without a payload was accepted")
	}
	h.runTo(mustTime("2026-11-30T12:00:00Z"))
	for _, o := range h.occurrences() {
		switch o.CadenceID {
		case "test:daily#reminder:1":
			if o.Status != models.OccurrenceDelivered || !o.SentAt.Equal(mustTime("2026-11-30T09:00:00Z")) {
				t.Errorf("reminder 1: %s at %s (%s), want delivered Monday 09:00", o.Status, o.SentAt, o.Reason)
			}
		case "test:daily#reminder:2":
			if o.Status != models.OccurrenceSkipped || o.Reason != "already answered" {
				t.Errorf("reminder 2: %s (%s), want skipped: already answered", o.Status, o.Reason)
			}
		}
	}
	if !slices.Contains(tags, "reminder:1") || !slices.Contains(tags, "") {
		t.Errorf("composer saw tags %q", tags)
	}
}
