package okrs

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// event is something a person does at an instant of a scenario.
type event struct {
	at time.Time
	do func()
}

// nudgeProps checks what holds of every nudge a person got: it arrived
// inside their working hours, on a working day, not while away, and it
// lists no key result of want's fresh ones. It returns the local dates
// (2006-01-02) of the nudges, in order.
func nudgeProps(t *testing.T, h *harness, name, user string, away *models.AwayPeriod) []string {
	t.Helper()
	p, err := h.people.Get(h.ctx, team, user)
	if err != nil {
		t.Fatal(err)
	}
	loc := p.Location()
	hours := calendar.DefaultWorkingHours
	if p.Hours != nil {
		hours = *p.Hours
	}
	var dates []string
	for _, m := range h.nudges(user) {
		local := m.at.In(loc)
		if _, ok := cadence.WindowEnd(m.at, loc, hours, nil); !ok {
			t.Errorf("%s got a nudge at %s, outside their hours %s", name, local.Format(time.RFC3339), hours)
		}
		if away != nil && away.Covers(calendar.DateOf(local)) {
			t.Errorf("%s got a nudge at %s, while away", name, local.Format(time.RFC3339))
		}
		dates = append(dates, local.Format("2006-01-02 Mon 15:04"))
	}
	return dates
}

// Over an eight-week cycle crossing Berlin's change to summer time, three
// people in three zones are nudged through the engine, on one replica and
// on three sharing the database (every nudge exactly once): Ada (Berlin)
// updates one key result every Monday, so she is nudged every Tuesday
// about the other only; Bo works nights in Tokyo and ignores his nudges
// until the halving (the fourth comes two weeks after the third, telling
// him once), then updates and is nudged weekly again, about what he did
// not update; Cy (Los Angeles) is away a week, when nothing reaches her,
// and turns nudges off, after which none come. When the cycle ends the
// schedules go, with nobody acting.
func TestNudgesOverACycle(t *testing.T) {
	t.Parallel()
	for _, replicas := range []int{1, 3} {
		t.Run(fmt.Sprintf("replicas=%d", replicas), func(t *testing.T) {
			t.Parallel()
			forDialects(t, func(t *testing.T, dialect string) {
				h := newHarness(t, dialect, replicas, utc("2027-02-26T12:00:00Z"))
				ada := h.person("ada", "Europe/Berlin", "")
				bo := h.person("bo", "Asia/Tokyo", "mon-fri 22:00-06:00")
				cy := h.person("cy", "America/Los_Angeles", "")
				away, err := h.people.AddAway(h.ctx, models.AwayPeriod{WorkspaceID: team, UserID: cy,
					First: calendar.Date{Year: 2027, Month: 3, Day: 15}, Last: calendar.Date{Year: 2027, Month: 3, Day: 21}})
				if err != nil {
					t.Fatal(err)
				}
				c := h.cycle("Spring", calendar.Date{Year: 2027, Month: 3, Day: 1}, calendar.Date{Year: 2027, Month: 4, Day: 25})
				objs := map[string]okrs.Objective{}
				for name, u := range map[string]string{"ada": ada, "bo": bo, "cy": cy} {
					objs[name] = h.objective(c.ID, u, name+" alpha", name+" beta")
				}
				alpha := func(name string) int64 { return objs[name].KeyResults[0].ID }

				var events []event
				for d := utc("2027-03-01T12:00:00Z"); d.Before(utc("2027-04-25T00:00:00Z")); d = d.AddDate(0, 0, 7) {
					events = append(events, event{d, func() { h.update(ada, alpha("ada"), 1, okrs.OnTrack) }})
				}
				events = append(events,
					event{utc("2027-04-12T13:00:00Z"), func() { h.update(ada, objs["ada"].KeyResults[1].ID, 5, okrs.OnTrack) }},
					event{utc("2027-04-08T03:00:00Z"), func() { h.update(bo, alpha("bo"), 2, okrs.AtRisk) }},
					event{utc("2027-03-11T20:00:00Z"), func() { h.update(cy, alpha("cy"), 3, okrs.OnTrack) }},
					event{utc("2027-04-01T20:00:00Z"), func() {
						if err := h.svcs[len(h.svcs)-1].SetNudges(h.ctx, team, cy, SettingOff); err != nil {
							t.Fatal(err)
						}
					}},
				)
				slices.SortFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
				for _, e := range events {
					h.runAll(e.at)
					e.do()
				}
				h.runAll(utc("2027-05-03T00:00:00Z"))

				// Ada: every Tuesday from the cycle's second week at 10:00
				// Berlin time, summer time from 28 March, about beta only,
				// but for 13 April: she updated both the day before.
				got := nudgeProps(t, h, "ada", ada, nil)
				want := []string{"2027-03-09 Tue 10:00", "2027-03-16 Tue 10:00", "2027-03-23 Tue 10:00", "2027-03-30 Tue 10:00",
					"2027-04-06 Tue 10:00", "2027-04-20 Tue 10:00"}
				if !slices.Equal(got, want) {
					t.Errorf("ada's nudges at\n%q\nwant\n%q", got, want)
				}
				for i, m := range h.nudges(ada) {
					if strings.Contains(m.text, "ada alpha") || !strings.Contains(m.text, "ada beta") {
						t.Errorf("ada's nudge %d lists %q, want beta only (alpha is updated every Monday)", i, m.text)
					}
				}

				// Bo: at the start of his Tuesday night shift; the fourth
				// two weeks after the third, with the one-time line; weekly
				// again after his update on 8 April, first about beta only.
				got = nudgeProps(t, h, "bo", bo, nil)
				want = []string{"2027-03-09 Tue 22:00", "2027-03-16 Tue 22:00", "2027-03-23 Tue 22:00", "2027-04-06 Tue 22:00",
					"2027-04-13 Tue 22:00", "2027-04-20 Tue 22:00"}
				if !slices.Equal(got, want) {
					t.Errorf("bo's nudges at\n%q\nwant\n%q", got, want)
				}
				for i, m := range h.nudges(bo) {
					told := strings.Contains(m.text, "/trellis okr nudges")
					if told != (i == 3) {
						t.Errorf("bo's nudge %d tells how to change nudges: %v, want %v", i, told, i == 3)
					}
					if hasAlpha := strings.Contains(m.text, "bo alpha"); hasAlpha == (i == 4) {
						t.Errorf("bo's nudge %d lists alpha: %v, want %v", i, hasAlpha, i != 4)
					}
				}

				// Cy: nothing while away, nothing after turning nudges off,
				// and the nudge after the update on 11 March about beta only.
				// The nudge of 16 March waits for her first working hour
				// after her week away.
				got = nudgeProps(t, h, "cy", cy, &away)
				want = []string{"2027-03-09 Tue 10:00", "2027-03-22 Mon 09:00", "2027-03-23 Tue 10:00", "2027-03-30 Tue 10:00"}
				if !slices.Equal(got, want) {
					t.Errorf("cy's nudges at\n%q\nwant\n%q", got, want)
				}
				for i, m := range h.nudges(cy) {
					at := m.at.In(time.UTC)
					if at.After(utc("2027-03-11T20:00:00Z")) && at.Before(utc("2027-03-23T00:00:00Z")) && strings.Contains(m.text, "cy alpha") {
						t.Errorf("cy's nudge %d at %s lists alpha, updated since the last nudge", i, at)
					}
				}

				// The cycle over, every schedule is gone.
				for name, u := range map[string]string{"ada": ada, "bo": bo, "cy": cy} {
					if _, err := h.engines[0].Schedules().Get(h.ctx, team, NudgeKey(u)); err == nil {
						t.Errorf("%s still has a nudge schedule after the cycle", name)
					}
				}
				// Ada's nudge of 13 April was skipped, saying why.
				occ, err := models.NewOccurrences(h.dbs[0]).ForRecipient(h.ctx, team, ada, time.Time{}, 1000)
				if err != nil {
					t.Fatal(err)
				}
				skipped := false
				for _, o := range occ {
					if o.NominalAt.Equal(utc("2027-04-13T08:00:00Z")) {
						skipped = o.Status == models.OccurrenceSkipped && strings.Contains(o.Reason, "all your key results were set up or updated")
						if !skipped {
							t.Errorf("ada's occurrence of 13 April: %s (%s), want skipped as all were updated", o.Status, o.Reason)
						}
					}
				}
				if !skipped {
					t.Errorf("no skipped occurrence of 13 April for ada")
				}
				// Every nudge once: each delivered occurrence (nudges and,
				// after the cycle, the review DM) is one DM.
				for name, u := range map[string]string{"ada": ada, "bo": bo, "cy": cy} {
					occ, err := models.NewOccurrences(h.dbs[0]).ForRecipient(h.ctx, team, u, time.Time{}, 1000)
					if err != nil {
						t.Fatal(err)
					}
					delivered := 0
					for _, o := range occ {
						if o.Status == models.OccurrenceDelivered {
							delivered++
						}
					}
					if n := len(h.dms(u)); n != delivered {
						t.Errorf("%s got %d DMs for %d delivered nudges", name, n, delivered)
					}
				}
			})
		})
	}
}

// A sixteen-week cycle nudges every two weeks, from its second week, and
// its end removes the schedule without anyone acting.
func TestLongCycleNudgesEveryTwoWeeks(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, 1, utc("2027-04-20T12:00:00Z"))
		dee := h.person("dee", "Europe/Berlin", "")
		c := h.cycle("Summer", calendar.Date{Year: 2027, Month: 5, Day: 3}, calendar.Date{Year: 2027, Month: 8, Day: 22})
		o := h.objective(c.ID, dee, "dee alpha", "dee beta")
		sc, err := h.engines[0].Schedules().Get(h.ctx, team, NudgeKey(dee))
		if err != nil {
			t.Fatalf("no schedule for a key result of a cycle being planned: %v", err)
		}
		if want := "every 2 weeks on Tuesday at 10:00"; sc.Cadence != want {
			t.Errorf("cadence %q, want %q", sc.Cadence, want)
		}
		for d := utc("2027-05-03T12:00:00Z"); d.Before(utc("2027-08-22T00:00:00Z")); d = d.AddDate(0, 0, 7) {
			h.runAll(d)
			h.update(dee, o.KeyResults[0].ID, 1, okrs.OnTrack)
		}
		h.runAll(utc("2027-09-10T00:00:00Z"))
		got := nudgeProps(t, h, "dee", dee, nil)
		var want []string
		for d := time.Date(2027, 5, 11, 10, 0, 0, 0, time.UTC); d.Before(time.Date(2027, 8, 23, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 14) {
			want = append(want, d.Format("2006-01-02 Mon 15:04"))
		}
		if !slices.Equal(got, want) {
			t.Errorf("dee's nudges at\n%q\nwant\n%q", got, want)
		}
		if _, err := h.engines[0].Schedules().Get(h.ctx, team, NudgeKey(dee)); err == nil {
			t.Errorf("dee still has a nudge schedule after the cycle")
		}
	})
}

// Composing the same occurrence twice (the engine does after a send it
// handed back) writes the same nudge and counts it once: over four weekly
// occurrences, each composed twice, the ignored count moves by one per
// occurrence, and the fourth, halving, is skipped both times.
func TestComposeTwiceCountsOnce(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, 1, utc("2027-02-20T12:00:00Z"))
		ed := h.person("ed", "UTC", "")
		c := h.cycle("Spring", calendar.Date{Year: 2027, Month: 3, Day: 1}, calendar.Date{Year: 2027, Month: 4, Day: 25})
		h.objective(c.ID, ed, "ed alpha")
		sc, err := h.engines[0].Schedules().Get(h.ctx, team, NudgeKey(ed))
		if err != nil {
			t.Fatal(err)
		}
		p, err := h.people.Get(h.ctx, team, ed)
		if err != nil {
			t.Fatal(err)
		}
		comp := h.svcs[0].Composer()
		for i, want := range []struct {
			send    bool
			ignored int
		}{{true, 0}, {true, 1}, {true, 2}, {false, 2}} {
			nominal := utc("2027-03-09T10:00:00Z").AddDate(0, 0, 7*i)
			h.clk.Set(nominal)
			ec := engine.Context{Occurrence: models.Occurrence{WorkspaceID: team, CadenceID: sc.Key, Recipient: ed, NominalAt: nominal},
				Schedule: sc, Person: &p, Location: time.UTC}
			var texts [2]string
			for k := range 2 {
				msg, err := comp.Compose(h.ctx, ec)
				if sent := err == nil; sent != want.send {
					t.Fatalf("occurrence %d, compose %d: sent %v (%v), want %v", i, k, sent, err, want.send)
				}
				texts[k] = msg.Text
				ns, err := h.store.NudgeState(h.ctx, team, ed)
				if err != nil {
					t.Fatal(err)
				}
				if ns.IgnoredInRow != want.ignored {
					t.Errorf("occurrence %d, compose %d: %d ignored, want %d", i, k, ns.IgnoredInRow, want.ignored)
				}
				if want.send && !ns.LastNudgedAt.Equal(nominal) {
					t.Errorf("occurrence %d, compose %d: last nudged %v, want %v", i, k, ns.LastNudgedAt, nominal)
				}
			}
			if texts[0] != texts[1] {
				t.Errorf("occurrence %d composed twice: %q then %q", i, texts[0], texts[1])
			}
		}
		// The halving moved the schedule: every two weeks from the third.
		sc, err = h.engines[0].Schedules().Get(h.ctx, team, NudgeKey(ed))
		if err != nil {
			t.Fatal(err)
		}
		if want := "every 2 weeks on Tuesday at 10:00"; sc.Cadence != want || sc.Anchor != (calendar.Date{Year: 2027, Month: 3, Day: 23}) {
			t.Errorf("schedule %q from %s, want %q from 2027-03-23", sc.Cadence, sc.Anchor, want)
		}
	})
}
