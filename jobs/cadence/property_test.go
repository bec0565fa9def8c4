package cadence

import (
	"archive/zip"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/trellis-bot/trellis/models/calendar"
)

// fallbackZones is used when the Go root's zoneinfo.zip cannot be found
// (a test binary run away from its toolchain): a fixed list with every kind
// of transition the rules care about.
var fallbackZones = []string{
	"UTC", "America/New_York", "America/Los_Angeles", "America/Santiago", "America/Havana",
	"America/Asuncion", "America/Sao_Paulo", "America/St_Johns", "Europe/London", "Europe/Berlin",
	"Europe/Dublin", "Africa/Casablanca", "Africa/Cairo", "Asia/Beirut", "Asia/Tehran",
	"Asia/Jerusalem", "Asia/Gaza", "Asia/Kathmandu", "Asia/Kolkata", "Australia/Lord_Howe",
	"Australia/Adelaide", "Australia/Sydney", "Pacific/Auckland", "Pacific/Chatham",
	"Pacific/Apia", "Pacific/Kiritimati", "Antarctica/Troll", "America/Scoresbysund",
}

// allZones lists every zone in the Go root's zoneinfo.zip (found with "go env
// GOROOT"), the same data time/tzdata embeds.
func allZones(t *testing.T) []string {
	root := os.Getenv("GOROOT")
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		root = strings.TrimSpace(string(out))
	}
	r, err := zip.OpenReader(filepath.Join(root, "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Logf("zoneinfo.zip not readable (%v); using %d fixed zones", err, len(fallbackZones))
		return fallbackZones
	}
	defer r.Close()
	var zones []string
	for _, f := range r.File {
		if !strings.HasSuffix(f.Name, "/") {
			zones = append(zones, f.Name)
		}
	}
	return zones
}

// wallOracle returns the first wall time (read as UTC) strictly after w at
// which a cadence is due; it is written independently of the package.
type wallOracle func(w time.Time) time.Time

// cronOracle evaluates cron on wall times with robfig in UTC, where there is
// no DST to get wrong.
func cronOracle(t *testing.T, spec string) wallOracle {
	s, err := cron.ParseStandard("CRON_TZ=UTC " + spec)
	if err != nil {
		t.Fatal(err)
	}
	return s.Next
}

// dayOracle is due at hh:mm on the days for which match is true.
func dayOracle(hh, mm int, match func(day time.Time) bool) wallOracle {
	return func(w time.Time) time.Time {
		for day := time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC); ; day = day.AddDate(0, 0, 1) {
			if c := day.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute); c.After(w) && match(day) {
				return c
			}
		}
	}
}

// propertyCadence pairs a cadence under test with an independent oracle.
type propertyCadence struct {
	text   string
	oracle func(t *testing.T) wallOracle
}

func cronCase(text, spec string) propertyCadence {
	return propertyCadence{text, func(t *testing.T) wallOracle { return cronOracle(t, spec) }}
}

var propertyCadences = []propertyCadence{
	cronCase("every day at 00:00", "0 0 * * *"),
	cronCase("every day at 02:30", "30 2 * * *"),
	cronCase("every day at 01:30", "30 1 * * *"),
	cronCase("weekdays at 09:30", "30 9 * * 1-5"),
	cronCase("tue,thu at 00:30", "30 0 * * 2,4"),
	cronCase("monthly on day 31 at 00:15", "15 0 31 * *"),
	cronCase("*/30 0-3 * * *", "*/30 0-3 * * *"),
	{"every 2 weeks on sun at 02:00", func(*testing.T) wallOracle {
		// anchor is Wednesday 2026-01-07; its week starts Monday 2026-01-05,
		// so the Sunday of that week, 2026-01-11, is due.
		ref := time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC)
		return dayOracle(2, 0, func(day time.Time) bool {
			weeks := int(day.Sub(ref).Hours()/24) / 7
			return day.Weekday() == time.Sunday && weeks%2 == 0
		})
	}},
	{"last sunday of the month at 01:00", func(*testing.T) wallOracle {
		return dayOracle(1, 0, func(day time.Time) bool {
			return day.Weekday() == time.Sunday && day.AddDate(0, 0, 7).Month() != day.Month()
		})
	}},
	{"monthly on the first sunday at 00:00", func(*testing.T) wallOracle {
		return dayOracle(0, 0, func(day time.Time) bool {
			return day.Weekday() == time.Sunday && day.Day() <= 7
		})
	}},
}

var propertyHours = []string{"mon-fri 09:00-17:30", "sun-thu 22:00-02:30", "mon-sun 00:00-01:00", "sat 01:30-03:00"}

// propertyOff: a sprinkling of days off, so windows are skipped too.
func propertyOff(d calendar.Date) (bool, string) {
	if (d.Year*372+int(d.Month)*31+d.Day)%11 == 0 {
		return true, "holiday"
	}
	return false, ""
}

// wallUTC is u's wall time in loc, read as a UTC time (so wall times can be
// compared and fed to robfig without any zone rules).
func wallUTC(u time.Time, loc *time.Location) time.Time {
	l := u.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// resolvesTo reports, without LocalInstant, whether wall time w (as UTC)
// resolves to instant n in loc under rules 1 and 2: n shows w and no earlier
// instant does, or w is skipped and n is the transition that skips it.
func resolvesTo(w, n time.Time, loc *time.Location) bool {
	if wallUTC(n, loc).Equal(w) {
		for d := 15 * time.Minute; d <= 3*time.Hour; d += 15 * time.Minute {
			if wallUTC(n.Add(-d), loc).Equal(w) {
				return false // an earlier occurrence exists
			}
		}
		return true
	}
	start, _ := n.In(loc).ZoneBounds()
	return start.Equal(n) && wallUTC(n.Add(-time.Second), loc).Before(w) && wallUTC(n, loc).After(w)
}

// inWindow reports, without the package's window code, whether u is inside
// a working window: read u's local wall time and check the day and time.
func inWindow(u time.Time, loc *time.Location, h calendar.WorkingHours) bool {
	d, tod := wallOfIndependent(u, loc)
	works := func(d calendar.Date) bool {
		isOff, _ := propertyOff(d)
		return h.Days.Has(d.Weekday()) && !isOff
	}
	if !h.Overnight() {
		return works(d) && tod >= h.Start && tod < h.End
	}
	return works(d) && tod >= h.Start || works(d.AddDays(-1)) && tod < h.End
}

func wallOfIndependent(u time.Time, loc *time.Location) (calendar.Date, calendar.TimeOfDay) {
	y, m, d := u.In(loc).Date()
	hh, mm, _ := u.In(loc).Clock()
	return calendar.Date{Year: y, Month: m, Day: d}, calendar.TimeOfDay(hh*60 + mm)
}

// sampleStarts returns instants to start walking from in 2026-2028: a day
// before each zone transition, plus a few pseudo-random instants per zone.
func sampleStarts(zone string, loc *time.Location) []time.Time {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)
	var starts []time.Time
	for u := from; u.Before(to); {
		_, end := u.In(loc).ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			break
		}
		starts = append(starts, end.Add(-30*time.Hour))
		u = end
	}
	h := fnv.New64a()
	h.Write([]byte(zone))
	seed := h.Sum64()
	for i := 0; i < 2; i++ {
		seed = seed*6364136223846793005 + 1442695040888963407
		starts = append(starts, from.Add(time.Duration(seed>>20%uint64(to.Sub(from)/time.Minute))*time.Minute))
	}
	return starts
}

// TestPropertyAllZones walks every zone of the embedded tz database through
// 2026-2028 (sampled around each transition) and checks that Next is
// strictly increasing and gives exactly what the rules say (no extra, none
// skipped), that DeliverAt lands inside a working window (checked on the
// local wall clock independently), at the first such instant, and that
// occurrences that are not superseded never share a delivery.
func TestPropertyAllZones(t *testing.T) {
	zones := allZones(t)
	t.Logf("%d zones", len(zones))
	type compiled struct {
		c      Cadence
		oracle wallOracle
		text   string
	}
	var cads []compiled
	for _, pc := range propertyCadences {
		cads = append(cads, compiled{mustParse(t, pc.text), pc.oracle(t), pc.text})
	}
	var hours []calendar.WorkingHours
	for _, h := range propertyHours {
		hours = append(hours, mustHours(t, h))
	}
	const steps = 5
	for _, zone := range zones {
		t.Run(zone, func(t *testing.T) {
			t.Parallel()
			loc := mustLoc(t, zone)
			for _, start := range sampleStarts(zone, loc) {
				for _, cd := range cads {
					prev := start
					var seq []time.Time
					for i := 0; i < steps; i++ {
						n := cd.c.Next(prev, loc)
						if !n.After(prev) {
							t.Fatalf("%q: Next(%v) = %v, not strictly after", cd.text, prev, n)
						}
						// The next matching wall time after prev's must resolve to n.
						w := cd.oracle(wallUTC(prev, loc))
						if !resolvesTo(w, n, loc) {
							t.Fatalf("%q: Next(%v) = %v (wall %v); want the instant of wall %v",
								cd.text, prev.In(loc), n.In(loc), wallUTC(n, loc), w)
						}
						seq = append(seq, n)
						prev = n
					}
					for _, h := range hours {
						var lastDelivery time.Time
						for i, n := range seq {
							at, ok, reason := DeliverAt(n, loc, h, propertyOff)
							if !ok {
								t.Fatalf("%q %s: DeliverAt(%v) not ok: %s", cd.text, h, n, reason)
							}
							if at.Before(n) {
								t.Fatalf("%q %s: DeliverAt(%v) = %v, before nominal", cd.text, h, n, at)
							}
							if !inWindow(at, loc, h) {
								t.Fatalf("%q %s: DeliverAt(%v) = %v (local %v), outside a working window", cd.text, h, n.In(loc), at, at.In(loc))
							}
							if inWindow(n, loc, h) != at.Equal(n) {
								t.Fatalf("%q %s: DeliverAt(%v) = %v, but nominal in window is %v", cd.text, h, n.In(loc), at.In(loc), inWindow(n, loc, h))
							}
							if at.After(n) && inWindow(at.Add(-time.Minute), loc, h) && at.Add(-time.Minute).After(n) {
								t.Fatalf("%q %s: DeliverAt(%v) = %v, but a minute earlier was in a window", cd.text, h, n.In(loc), at.In(loc))
							}
							if (reason == "") != at.Equal(n) {
								t.Fatalf("%q %s: DeliverAt(%v) reason %q for delivery %v", cd.text, h, n, reason, at)
							}
							if i == len(seq)-1 {
								continue // its successor was not checked for delivery
							}
							if sup, _ := Superseded(cd.c, n, at, loc, h, propertyOff); sup {
								continue
							}
							if !at.After(lastDelivery) {
								t.Fatalf("%q %s: occurrence %v delivered at %v, not after the previous delivery %v", cd.text, h, n.In(loc), at.In(loc), lastDelivery.In(loc))
							}
							lastDelivery = at
						}
					}
				}
			}
		})
	}
}
