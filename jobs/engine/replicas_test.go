package engine

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// Three engines share one database, one Redis and one emulator; 2,000
// people in 20 zones (a quarter on a night shift) are on three cadences,
// and the clock runs from 23 Oct to 3 Nov 2026, across the end of
// European (25 Oct) and US (1 Nov) summer time. Every occurrence is
// planned once and ends in one final status with a reason; no occurrence
// reaches anyone twice; nothing lands outside the person's working window.
//
// It runs on Postgres when TEST_DATABASE_URL is set (as in CI); on SQLite
// alone it runs with 200 people, SQLite serialising the three engines.
func TestThreeReplicasAcrossDST(t *testing.T) {
	dialect, people := models.DialectSQLite, 200
	if os.Getenv(modelstest.EnvURL) != "" {
		dialect, people = models.DialectPostgres, 2000
	}
	start, end := mustTime("2026-10-23T00:00:00Z"), mustTime("2026-11-03T00:00:00Z")
	h := newHarness(t, harnessOpts{dialect: dialect, replicas: 3, start: start, fast: true})
	ctx := context.Background()
	if err := models.NewWorkspaces(h.dbs[0]).SetHolidayRegion(ctx, team, "none", "UADMIN"); err != nil {
		t.Fatal(err)
	}

	zones := []string{
		"Europe/London", "Europe/Berlin", "Europe/Helsinki", "America/New_York", "America/Chicago",
		"America/Denver", "America/Los_Angeles", "America/Sao_Paulo", "America/Santiago", "America/St_Johns",
		"Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tokyo",
		"Asia/Shanghai", "Africa/Lagos", "Pacific/Auckland", "Pacific/Chatham", "Asia/Tehran",
	}
	night := wh("mon-fri", "22:00", "06:00")
	type who struct {
		tz    string
		hours calendar.WorkingHours
	}
	everyone := map[string]who{}
	var users []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range people {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			tz := zones[i%len(zones)]
			hours := calendar.DefaultWorkingHours
			var own *calendar.WorkingHours
			if i%4 == 3 {
				hours, own = *night, night
			}
			id := h.person(fmt.Sprintf("p%04d", i), tz, own)
			mu.Lock()
			everyone[id] = who{tz, hours}
			users = append(users, id)
			mu.Unlock()
		}()
	}
	wg.Wait()

	cadences := map[string]string{"standup": "weekdays at 09:30", "daily": "every day at 08:00", "retro": "mon,wed,fri at 17:15"}
	for key, text := range cadences {
		h.schedule(key, text, users...)
	}
	began := time.Now()
	st := h.runToWith(end, h.engines)
	t.Logf("%d people: %+v in %s", people, st, time.Since(began).Round(time.Millisecond))

	// Every nominal instant of every cadence for every person was planned,
	// once (the identity is unique), and is settled.
	occs := map[string]models.Occurrence{}
	for _, o := range h.occurrences() {
		occs[fmt.Sprintf("%s %s %d", o.Recipient, o.CadenceID, o.NominalAt.Unix())] = o
	}
	statuses := map[string]int{}
	for id, p := range everyone {
		loc, _ := time.LoadLocation(p.tz)
		for key, text := range cadences {
			c, err := cadence.Parse(text, calendar.DateOf(start))
			if err != nil {
				t.Fatal(err)
			}
			for at := c.Next(start, loc); at.Before(end); at = c.Next(at, loc) {
				o, ok := occs[fmt.Sprintf("%s test:%s %d", id, key, at.Unix())]
				if !ok {
					t.Errorf("%s (%s) %s at %s was never planned", id, p.tz, key, at.In(loc))
					continue
				}
				statuses[o.Status]++
				switch o.Status {
				case models.OccurrenceDelivered:
				case models.OccurrenceSuperseded, models.OccurrenceSkipped, models.OccurrenceMissed:
					if o.Reason == "" {
						t.Errorf("occurrence %d is %s without a reason", o.ID, o.Status)
					}
				case models.OccurrenceDeferred, models.OccurrencePlanned:
					if !o.DeliverAt.After(end) {
						t.Errorf("occurrence %d (%s %s) is still %s, due %s", o.ID, key, at.In(loc), o.Status, o.DeliverAt)
					}
				default:
					t.Errorf("occurrence %d ended %s", o.ID, o.Status)
				}
			}
		}
	}
	t.Logf("statuses: %v", statuses)
	if statuses[models.OccurrenceDelivered] == 0 || statuses[models.OccurrenceSuperseded] == 0 {
		t.Errorf("statuses %v: want deliveries and weekend supersessions", statuses)
	}
	if statuses[models.OccurrenceMissed] != 0 {
		t.Errorf("%d occurrences missed while the engines never stopped", statuses[models.OccurrenceMissed])
	}

	// Each delivered occurrence is carried by exactly one message, inside
	// the person's working window.
	carried := map[int64]int{}
	for id, p := range everyone {
		loc, _ := time.LoadLocation(p.tz)
		for _, m := range h.dms(id) {
			at := msgTime(m)
			if _, ok := cadence.WindowEnd(at, loc, p.hours, nil); !ok {
				t.Errorf("%s (%s, %s) got a message at %s, outside working hours", id, p.tz, p.hours, at.In(loc))
			}
			for _, oid := range ids(t, m) {
				carried[oid]++
			}
		}
	}
	for _, o := range occs {
		switch n := carried[o.ID]; {
		case o.Status == models.OccurrenceDelivered && n != 1:
			t.Errorf("delivered occurrence %d is in %d messages", o.ID, n)
		case o.Status != models.OccurrenceDelivered && n != 0:
			t.Errorf("%s occurrence %d is in %d messages", o.Status, o.ID, n)
		}
	}
}
