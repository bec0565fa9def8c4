package engine

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/attention"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

func TestGroupRecipient(t *testing.T) {
	got, err := GroupRecipient("U3", "W2", "U1", "U3")
	if err != nil || got != "mpim:U1,U3,W2" {
		t.Errorf("GroupRecipient(U3, W2, U1, U3) = %q, %v; want mpim:U1,U3,W2", got, err)
	}
	if users, ok := GroupMembers(got); !ok || !slices.Equal(users, []string{"U1", "U3", "W2"}) {
		t.Errorf("GroupMembers(%q) = %v, %v", got, users, ok)
	}
	for _, bad := range [][]string{{"U1"}, {"U1", "U1"}, {"U1", "C2"}, {"U1", ""}, {"U1", "u2"}, {"U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9"}} {
		if r, err := GroupRecipient(bad...); err == nil {
			t.Errorf("GroupRecipient(%q) = %q, want an error", bad, r)
		}
	}
	for _, r := range []string{"U1", "C1", "mpim:U2,U1", "mpim:U1", "mpim:U1,U1,U2", "mpim:U1,C2", "mpim:"} {
		if users, ok := GroupMembers(r); ok {
			t.Errorf("GroupMembers(%q) = %v, want not a group", r, users)
		}
	}
	if isPerson("mpim:U1,U2") || !isGroup("mpim:U1,U2") || !isGroup("mpim:damaged") {
		t.Error("a group recipient is taken for a person, or a damaged one for a channel")
	}
}

// nearZones are zones whose working hours overlap.
var nearZones = [][]string{{"Europe/London", "Europe/Berlin", "UTC"}, {"America/New_York", "America/Los_Angeles"}, {"Asia/Tokyo", "Australia/Sydney"}, {"Asia/Kolkata", "Europe/Berlin"}, {"Europe/London", "America/New_York"}}

var groupZones = []string{"Europe/London", "America/New_York", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "America/Los_Angeles", "Europe/Berlin", "UTC"}

// randomMember is a person with random zone, working days and hours
// (night shifts too), holiday region, company holiday, time off, an away
// status with an expiry, and messages already sent today, around now.
func randomMember(r *rand.Rand, zones []string, now time.Time) attention.Recipient {
	loc, _ := calendar.LoadLocation(zones[r.IntN(len(zones))])
	days := calendar.MonFri
	start := calendar.TimeOfDay(6*60 + r.IntN(11)*30)
	end := start + calendar.TimeOfDay(6*60+r.IntN(9)*30)
	if r.IntN(10) < 2 {
		// Any days, any hours, night shifts included.
		days = 0
		for days == 0 {
			for d := time.Sunday; d <= time.Saturday; d++ {
				if r.IntN(10) < 6 {
					days = days.With(d)
				}
			}
		}
		start = calendar.TimeOfDay(r.IntN(48) * 30)
		end = (start + calendar.TimeOfDay(120+r.IntN(17)*30)) % (24 * 60)
	}
	rec := attention.Recipient{
		Location:      loc,
		Hours:         calendar.WorkingHours{Days: days, Start: start, End: end},
		HolidayRegion: []string{"", "GB", "US", "JP", "none"}[r.IntN(5)],
		SentToday:     r.IntN(4),
		DailyBudget:   r.IntN(4),
	}
	today := calendar.DateOf(now.In(loc))
	for range r.IntN(3) / 2 {
		first := today.AddDays(r.IntN(14) - 3)
		rec.Away = append(rec.Away, attention.TimeOff{First: first, Last: first.AddDays(r.IntN(5))})
	}
	if r.IntN(4) == 0 {
		rec.CompanyHolidays = []calendar.Holiday{{Date: today.AddDays(r.IntN(7)), Name: "Founders' day"}}
	}
	if r.IntN(5) == 0 {
		// Without an expiry a status blocks the local date it is seen on:
		// asked again another day it blocks that one too, which the engine
		// does (it decides again at the deferred time). The property is
		// checked for statuses with an expiry.
		rec.Status = calendar.Status{Emoji: ":palm_tree:", Text: "Secret trip to Bali", Expiration: now.Add(time.Duration(r.IntN(96*60)) * time.Minute)}
	}
	return rec
}

// Property (no message outside any member's window): the instant a group message is
// sent at is one where the attention policy says deliver for every member —
// now, or, deferred, at the instant it lands on, asked then — and it is the
// earliest such instant; none is found only when there is none within the
// horizon.
func TestGroupSharedTimeProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 2026))
	base := mustTime("2026-11-23T00:00:00Z")
	found, none, now0 := 0, 0, 0
	for i := range 2000 {
		now := base.Add(time.Duration(r.IntN(60*24*30)) * time.Minute)
		nominal := now.Add(-time.Duration(r.IntN(60*3)) * time.Minute)
		if r.IntN(2) == 0 {
			nominal = now.Add(time.Duration(r.IntN(60*24*3)) * time.Minute)
		}
		recs := make([]attention.Recipient, 2+r.IntN(3))
		if r.IntN(10) == 0 {
			recs = make([]attention.Recipient, 2+r.IntN(MaxGroup-1))
		}
		zones := nearZones[r.IntN(len(nearZones))]
		if r.IntN(4) == 0 {
			zones = groupZones
		}
		for j := range recs {
			recs[j] = randomMember(r, zones, now)
		}
		at, ok := sharedDeliverAt(recs, nominal, now)
		if !ok {
			none++
			continue
		}
		found++
		from := nominal
		if from.Before(now) {
			from = now
		}
		if at.Before(from) || at.After(now.Add(groupHorizon)) {
			t.Fatalf("case %d: shared time %s outside [%s, %s + 14 days]", i, at, from, now)
		}
		for j, rec := range recs {
			asked := rec
			if calendar.DateOf(at.In(rec.Loc())) != calendar.DateOf(now.In(rec.Loc())) {
				asked.SentToday = 0 // another day's budget
			}
			if d := attention.Decide(asked, at, at); d.Action != attention.Deliver {
				t.Fatalf("case %d: sent at %s, but member %d's policy says %s: %s (now %s, nominal %s)", i, at, j, d.Action, d.Reason, now, nominal)
			}
		}
		if at.Equal(now) {
			now0++
			continue
		}
		// Earliest: a minute before, someone may not get it (asked at now).
		if before := at.Add(-time.Minute); !before.Before(from) {
			all := true
			for _, rec := range recs {
				if d := attention.Decide(rec, before, now); d.Action == attention.Skip || (d.Action == attention.Defer && d.At.After(before)) {
					all = false
				}
			}
			if all {
				t.Fatalf("case %d: shared time %s, but everyone could get it at %s", i, at, before)
			}
		}
	}
	t.Logf("%d found (%d at once), %d none", found, now0, none)
	if found < 300 || none < 30 || now0 < 5 {
		t.Errorf("the cases tell too little: %d with a shared time (%d at once), %d without", found, now0, none)
	}
}

// The group's reasons name only what everyone in it may know: never one
// member's status, time off or holiday.
func TestGroupReasonsKeepMembersPrivate(t *testing.T) {
	e := &Engine{grace: 2 * time.Minute}
	r := rand.New(rand.NewPCG(7, 13))
	private := []string{"Bali", "palm", "away", "status", "holiday", "Founders", "budget", "time off"}
	for i := range 300 {
		now := mustTime("2026-11-23T00:00:00Z").Add(time.Duration(r.IntN(60*24*30)) * time.Minute)
		it := item{claim: models.Claim{Occurrence: models.Occurrence{
			CadenceID: "test:x#reminder:1", Recipient: "mpim:U1,U2,U3",
			NominalAt: now.Add(-time.Duration(r.IntN(3)) * time.Hour), DeliverAt: now.Add(-time.Duration(r.IntN(3)) * time.Hour),
		}}, schedule: models.Schedule{ID: 1, Key: "test:x", Title: "x"}}
		for range 3 {
			it.members = append(it.members, member{rec: randomMember(r, groupZones, now)})
		}
		v := e.decideGroup(it, now)
		for _, word := range private {
			if strings.Contains(strings.ToLower(v.reason), strings.ToLower(word)) {
				t.Fatalf("case %d: reason %q names %q", i, v.reason, word)
			}
		}
		if v.action != attention.Deliver && v.reason == "" {
			t.Fatalf("case %d: %s without a reason", i, v.action)
		}
	}
}

// The check before the wire asks every member: one outside their hours
// stops the send, and the error names nobody's reason.
func TestGroupCheckBeforeTheWire(t *testing.T) {
	london, _ := calendar.LoadLocation("Europe/London")
	tokyo, _ := calendar.LoadLocation("Asia/Tokyo")
	members := []member{{rec: attention.Recipient{Location: london}}, {rec: attention.Recipient{Location: tokyo, SentToday: 9}}}
	if err := groupInWindow(members, mustTime("2026-11-23T08:30:00Z")); err == nil || !errors.Is(err, errWindowClosed) {
		t.Errorf("08:30 UTC, before London's day: %v, want errWindowClosed", err)
	}
	members[1].rec.Hours = calendar.WorkingHours{Days: calendar.MonFri, Start: 17 * 60, End: 23 * 60}
	if err := groupInWindow(members, mustTime("2026-11-23T09:30:00Z")); err != nil {
		t.Errorf("09:30 UTC, inside both (a budget spent was counted when it was decided): %v", err)
	}
	members[0].rec.Status = calendar.Status{Emoji: ":palm_tree:", Text: "Bali", Expiration: mustTime("2026-11-23T12:00:00Z")}
	if err := groupInWindow(members, mustTime("2026-11-23T09:30:00Z")); !errors.Is(err, errWindowClosed) || strings.Contains(err.Error(), "Bali") {
		t.Errorf("a member away: %v, want errWindowClosed naming no one's status", err)
	}
}
