package engine

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func local(t time.Time, tz string) time.Time {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		panic(err)
	}
	return t.In(loc)
}

// Each person gets the message at the cadence's local time in their own
// zone, once per occurrence, with its id in the metadata and the
// "Why did I get this?" line.
func TestDeliversAtLocalTime(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			h := newHarness(t, harnessOpts{dialect: dialect, start: mustTime("2026-11-22T12:00:00Z")})
			zones := map[string]string{
				h.person("ada", "Europe/London", nil):      "Europe/London",
				h.person("mei", "Asia/Tokyo", nil):         "Asia/Tokyo",
				h.person("ravi", "Asia/Kolkata", nil):      "Asia/Kolkata",
				h.person("jo", "America/New_York", nil):    "America/New_York",
				h.person("kat", "Asia/Kathmandu", nil):     "Asia/Kathmandu",
				h.person("lh", "Australia/Lord_Howe", nil): "Australia/Lord_Howe",
			}
			var users []string
			for u := range zones {
				users = append(users, u)
			}
			h.schedule("standup", "weekdays at 09:30", users...)
			st := h.runTo(mustTime("2026-11-25T22:00:00Z"))
			if st.Messages == 0 {
				t.Fatalf("nothing sent: %+v", st)
			}
			seen := map[int64]bool{}
			for u, tz := range zones {
				msgs := h.dms(u)
				var days []string
				for _, m := range msgs {
					at := local(msgTime(m), tz)
					if at.Format("15:04") != "09:30" {
						t.Errorf("%s (%s): message at %s local, want 09:30", u, tz, at.Format(time.RFC3339))
					}
					days = append(days, at.Format("Mon 2"))
					for _, id := range ids(t, m) {
						if seen[id] {
							t.Errorf("occurrence %d delivered twice", id)
						}
						seen[id] = true
					}
					if !strings.Contains(string(m.Blocks), "Why did I get this?") {
						t.Errorf("%s: message has no why line: %s", u, m.Blocks)
					}
					if !strings.Contains(m.Text, "standup: nominal") {
						t.Errorf("%s: text %q", u, m.Text)
					}
				}
				// Mon 23 to Wed 25 Nov local are due before 2026-11-25T22:00Z
				// everywhere: Lord Howe (UTC+11) has Thursday at 22:30Z.
				want := []string{"Mon 23", "Tue 24", "Wed 25"}
				if !slices.Equal(days, want) {
					t.Errorf("%s (%s): messages on %v, want %v", u, tz, days, want)
				}
			}
			for _, o := range h.occurrences() {
				if o.Status != models.OccurrenceDelivered {
					t.Errorf("occurrence %d %s: %s (%s)", o.ID, o.NominalAt, o.Status, o.Reason)
				}
			}
		})
	}
}

// Two messages due for one person in one window arrive as one DM; a
// weekend occurrence deferred to Monday is superseded by the next one.
func TestMergesAndSupersedes(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			h := newHarness(t, harnessOpts{dialect: dialect, start: mustTime("2026-11-20T12:00:00Z")}) // Fri
			ada := h.person("ada", "Europe/London", wh("mon-fri", "09:00", "17:30"))
			h.schedule("daily", "every day at 08:00", ada)
			h.schedule("standup", "weekdays at 09:00", ada)
			h.runTo(mustTime("2026-11-24T12:00:00Z")) // Tue noon

			msgs := h.dms(ada)
			var got []string
			for _, m := range msgs {
				got = append(got, msgTime(m).Format("Mon 15:04")+" "+strings.Join(strings.Split(m.Text, "\n"), " | "))
				if n := len(ids(t, m)); n != 2 {
					t.Errorf("message %s carries %d occurrences, want 2 (merged)", m.TS, n)
				}
			}
			want := []string{
				"Mon 09:00 daily: nominal 2026-11-23T08:00:00Z | standup: nominal 2026-11-23T09:00:00Z",
				"Tue 09:00 daily: nominal 2026-11-24T08:00:00Z | standup: nominal 2026-11-24T09:00:00Z",
			}
			if !slices.Equal(got, want) {
				t.Errorf("DMs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			byNominal := map[string]models.Occurrence{}
			for _, o := range h.occurrences() {
				byNominal[o.CadenceID+" "+o.NominalAt.Format("Mon 15:04")] = o
			}
			for _, k := range []string{"test:daily Sat 08:00", "test:daily Sun 08:00"} {
				o := byNominal[k]
				if o.Status != models.OccurrenceSuperseded || !strings.Contains(o.Reason, "superseded") {
					t.Errorf("%s: %s (%s), want superseded", k, o.Status, o.Reason)
				}
			}
		})
	}
}

// Rule 6: after three hours down, an occurrence whose window is still open
// is sent late, one whose window closed is missed, and an hourly cadence
// sends one message, not its backlog.
func TestCatchUpAfterDowntime(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			h := newHarness(t, harnessOpts{dialect: dialect, start: mustTime("2026-11-23T00:00:00Z")}) // Mon
			ada := h.person("ada", "Europe/London", wh("mon-fri", "09:00", "17:30"))
			noor := h.person("noor", "Europe/Berlin", wh("mon-fri", "09:00", "10:30"))
			ravi := h.person("ravi", "Asia/Kolkata", wh("mon-fri", "09:00", "17:30"))
			cy := h.person("cy", "Europe/London", wh("mon-fri", "09:00", "17:30"))
			h.schedule("morning", "weekdays at 09:00", ada, noor, ravi)
			h.schedule("hourly", "0 * * * 1-5", cy)

			ctx := context.Background()
			h.runTo(mustTime("2026-11-23T07:00:00Z"))
			// Down from 07:00Z to 10:00Z: Ada's 09:00 (09:00Z) and Noor's
			// 09:00 (08:00Z, window closing 09:30Z) fall inside; Ravi's
			// (03:30Z) came before.
			back := mustTime("2026-11-23T10:00:00Z")
			h.clk.Set(back)
			if _, err := h.engines[0].Tick(ctx, back); err != nil {
				t.Fatal(err)
			}
			// The emulator keeps a second's messages apart by their
			// microseconds; recipients go in the order of what they were
			// first due, so Cy's (07:00Z) may take 10:00:00.000000.
			if m := h.dms(ada); len(m) != 1 || !msgTime(m[0]).Truncate(time.Second).Equal(back) {
				t.Errorf("ada: %d messages (%v), want one sent late at 10:00Z", len(m), m)
			}
			if m := h.dms(noor); len(m) != 0 {
				t.Errorf("noor: %d messages, want none (her window closed at 09:30Z)", len(m))
			}
			if m := h.dms(ravi); len(m) != 1 || msgTime(m[0]) != mustTime("2026-11-23T03:30:00Z") {
				t.Errorf("ravi: %v, want one at 03:30Z", m)
			}
			if m := h.dms(cy); len(m) != 1 || !strings.Contains(m[0].Text, "T10:00:00Z") {
				t.Errorf("cy: %d messages %v, want only the 10:00 one", len(m), m)
			}
			statuses := map[string]string{}
			for _, o := range h.occurrences() {
				statuses[o.Recipient+" "+o.NominalAt.Format("15:04")] = o.Status + ": " + o.Reason
			}
			if s := statuses[noor+" 08:00"]; !strings.HasPrefix(s, "missed: missed: Trellis was not running") {
				t.Errorf("noor's 09:00: %s", s)
			}
			for _, at := range []string{"07:00", "08:00", "09:00"} {
				if s := statuses[cy+" "+at]; !strings.HasPrefix(s, "superseded") {
					t.Errorf("cy's %s: %s, want superseded", at, s)
				}
			}
		})
	}
}
