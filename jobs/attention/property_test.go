package attention

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/holidays"
)

// propertyZones are zones with awkward rules: DST at midnight (Santiago),
// a 30-minute shift (Lord Howe), odd offsets (Kathmandu, Chatham, St John's),
// a day skipped across the date line (Kiritimati's history), no DST.
var propertyZones = []string{
	"UTC", "Europe/Berlin", "Europe/London", "Asia/Kolkata", "America/New_York",
	"Australia/Lord_Howe", "America/Santiago", "Asia/Kathmandu", "Pacific/Chatham",
	"America/St_Johns", "Pacific/Kiritimati", "Asia/Tehran", "Africa/Casablanca",
	"America/Havana", "Pacific/Apia",
}

var propertyRegions = []string{"", "none", "DE-BY", "DE", "US", "GB-SCT", "AU-NSW"}

// oracleOff is an independent statement of which dates are off, written from
// the rules rather than from Off.
func oracleOff(r Recipient, now time.Time) cadence.OffFunc {
	var cal *holidays.Calendar
	if region := r.HolidayRegion; region != "" && region != "none" {
		cal, _ = holidays.Lookup(region)
	}
	today := calendar.DateOf(now.In(r.Loc()))
	away, until := calendar.StatusAway(r.Status, now)
	return func(d calendar.Date) (bool, string) {
		if cal != nil {
			if _, ok := cal.On(d); ok {
				return true, "holiday"
			}
		}
		for _, h := range r.CompanyHolidays {
			if h.Date == d {
				return true, "company"
			}
		}
		for _, a := range r.Away {
			if !d.Before(a.First) && !d.After(a.Last) {
				return true, "away"
			}
		}
		if away && until.IsZero() && d == today {
			return true, "status"
		}
		return false, ""
	}
}

func randomRecipient(rng *rand.Rand, t *testing.T, now time.Time) Recipient {
	zone := propertyZones[rng.IntN(len(propertyZones))]
	loc := mustLoc(t, zone)
	start := calendar.TimeOfDay(rng.IntN(24*60/15) * 15)
	end := calendar.TimeOfDay(rng.IntN(24*60/15) * 15)
	if end == start {
		end = (start + 8*60) % (24 * 60)
	}
	hours := calendar.WorkingHours{Days: calendar.Weekdays(1 + rng.IntN(127)), Start: start, End: end}
	r := Recipient{
		Location:      loc,
		Hours:         hours,
		HolidayRegion: propertyRegions[rng.IntN(len(propertyRegions))],
		SentToday:     rng.IntN(5),
		DailyBudget:   rng.IntN(5),
	}
	today := calendar.DateOf(now.In(loc))
	for range rng.IntN(3) {
		first := today.AddDays(rng.IntN(20) - 5)
		r.Away = append(r.Away, TimeOff{First: first, Last: first.AddDays(rng.IntN(10))})
	}
	for range rng.IntN(4) {
		r.CompanyHolidays = append(r.CompanyHolidays, calendar.Holiday{Date: today.AddDays(rng.IntN(20) - 2), Name: "Founders' day"})
	}
	switch rng.IntN(4) {
	case 0:
		r.Status = calendar.Status{Emoji: ":palm_tree:", Expiration: now.Add(time.Duration(rng.IntN(7*24*60)) * time.Minute)}
	case 1:
		r.Status = calendar.Status{Text: "sick today"}
	case 2:
		r.Status = calendar.Status{Text: "In a meeting", Emoji: ":spiral_calendar_pad:"}
	}
	return r
}

// TestDecideProperty checks that no proactive message is delivered outside a
// recipient's working time, over random instants, zones, hours,
// holidays, time away, statuses and budgets: a Deliver or Defer lands inside a
// working window, on a day that is not off, outside a Slack-status block, not
// before now or the nominal instant, and not today once today's budget is
// spent; a Defer or Skip always has a reason.
func TestDecideProperty(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 500
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	lo := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2028, 12, 31, 0, 0, 0, 0, time.UTC).Unix()
	var counts [3]int
	defer func() { t.Logf("deliver %d, defer %d, skip %d", counts[Deliver], counts[Defer], counts[Skip]) }()
	for i := range n {
		now := time.Unix(lo+rng.Int64N(hi-lo), 0).UTC()
		nominal := now.Add(time.Duration(rng.IntN(13*24*60)-3*24*60) * time.Minute)
		if rng.IntN(2) == 0 { // due now or a little late: the common case at claim time
			nominal = now.Add(-time.Duration(rng.IntN(120)) * time.Minute)
		}
		r := randomRecipient(rng, t, now)
		got := Decide(r, nominal, now)
		if got.Action >= Deliver && got.Action <= Skip {
			counts[got.Action]++
		}

		loc := r.Loc()
		hours := r.Hours
		fail := func(what string) {
			t.Fatalf("case %d: %s\nzone %s hours %s region %q status %+v away %v company %v sent %d/%d\nnominal %v now %v\n= %v at %v (%q)",
				i, what, r.Loc(), hours, r.HolidayRegion, r.Status, r.Away, r.CompanyHolidays,
				r.SentToday, r.Budget(), nominal.In(loc), now.In(loc), got.Action, got.At.In(loc), got.Reason)
		}
		switch got.Action {
		case Skip:
			if got.Reason == "" {
				fail("skip without a reason")
			}
			continue
		case Deliver:
			if !got.At.Equal(now) {
				fail("deliver not at now")
			}
		case Defer:
			if got.Reason == "" || strings.TrimSpace(got.Reason) == "" {
				fail("defer without a reason")
			}
			if !got.At.After(now) {
				fail("defer not after now")
			}
		default:
			fail("unknown action")
		}
		if got.At.Before(nominal) {
			fail("before nominal")
		}
		if _, ok := cadence.WindowEnd(got.At, loc, hours, oracleOff(r, now)); !ok {
			fail("outside a working window, or in the window of an off day")
		}
		if away, until := calendar.StatusAway(r.Status, now); away {
			if until.IsZero() {
				until = calendar.DateOf(now.In(loc)).AddDays(1).In(loc)
			}
			if got.At.Before(until) {
				fail("inside a Slack-status block")
			}
		}
		if r.SentToday >= r.Budget() && got.At.Before(calendar.DateOf(now.In(loc)).AddDays(1).In(loc)) {
			fail("today, with today's budget spent")
		}
	}
}
