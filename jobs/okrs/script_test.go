package okrs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// scripted is an update a person makes in a script: key result kr at a
// local date and time.
type scripted struct {
	day calendar.Date
	kr  int64
}

// runScript plays a person's nudges over a cycle the way the composer will:
// a schedule with CadenceFor's text (the team's day Tuesday) anchored by
// Anchor, each occurrence decided by Decide and stored as Decision.Next,
// the schedule re-targeted when the cadence changes. Two key results are
// set up at created; updates come as scripted (at 15:00 local). It returns
// a line per occurrence.
func runScript(t *testing.T, c okrs.Cycle, created time.Time, updates []scripted, until calendar.Date, loc *time.Location) []string {
	t.Helper()
	p := Policy{Cycle: c}
	var s State
	text := CadenceFor(c, s.Cadence, p.TeamSetting, DefaultWeekday, false)
	cad, err := cadence.Parse(text, Anchor(c, nil, loc))
	if err != nil {
		t.Fatalf("cadence.Parse(%q): %v", text, err)
	}
	var out []string
	for now := cad.Next(c.Start.In(loc), loc); calendar.DateOf(now.In(loc)).Before(until); now = cad.Next(now, loc) {
		local := now.In(loc)
		if local.Weekday() != time.Tuesday || local.Hour() != 10 {
			t.Errorf("an occurrence at %v, want Tuesday 10:00", local)
		}
		krs := []KRStatus{kr(1, c, created, time.Time{}), kr(2, c, created, time.Time{})}
		for _, u := range updates {
			if at := u.day.In(loc).Add(15 * time.Hour); at.Before(now) {
				k := &krs[u.kr-1]
				k.Current.Updates++
				k.Current.LastAt = at
				k.Current.HasValue = true
			}
		}
		d := Decide(local, s, p, krs)
		line := local.Format("01-02") + " "
		if d.Send {
			line += fmt.Sprintf("send %v", ids(d.Stale))
			if d.TellHalved {
				line += " told"
			}
			msg := NudgeMessage(NudgeInput{Stale: d.Stale, Now: local, Loc: loc, TellHalved: d.TellHalved, Weeks: d.Weeks})
			if got := strings.Contains(blocksJSON(t, msg.Blocks), "/trellis okr nudges"); got != d.TellHalved {
				t.Errorf("%s: the nudge tells how to change nudges: %v, want %v", line, got, d.TellHalved)
			}
		} else {
			line += "skip: " + d.Reason
		}
		s = d.Next
		if next := CadenceFor(c, s.Cadence, p.TeamSetting, DefaultWeekday, d.Halved); next != text {
			text = next
			if cad, err = cadence.Parse(text, Anchor(c, s.LastNudgedAt, loc)); err != nil {
				t.Fatalf("cadence.Parse(%q): %v", text, err)
			}
			line += " → " + text
		}
		out = append(out, line)
	}
	return out
}

// TestScriptEightWeeks: a weekly cycle of eight weeks in Berlin, across
// the change to summer time: no nudge about key results just set up, three
// ignored nudges, the halving (one skip, then a nudge two weeks after the
// last that tells), an update bringing the weekly cadence back with only
// the stale key result, and nothing once the cycle is over.
func TestScriptEightWeeks(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	c := cycle(date(2027, 3, 1), date(2027, 4, 25))
	created := date(2027, 2, 26).In(berlin).Add(11 * time.Hour)
	got := runScript(t, c, created, []scripted{{date(2027, 4, 8), 1}}, date(2027, 5, 5), berlin)
	want := []string{
		"03-02 skip: all your key results were set up or updated in the last week",
		"03-09 send [1 2]",
		"03-16 send [1 2]",
		"03-23 send [1 2]",
		"03-30 skip: your last nudge was 7 days ago; with no update after the last 3, nudges come every 2 weeks for now → every 2 weeks on Tuesday at 10:00",
		"04-06 send [1 2] told",
		"04-20 send [2] → every week on Tuesday at 10:00",
		"04-27 skip: you have no key results in an active cycle",
		"05-04 skip: you have no key results in an active cycle",
	}
	compareScript(t, got, want)
}

// TestScriptSixteenWeeks: a cycle of sixteen weeks nudges every two weeks
// from its second week: no nudge about key results just set up, a skip
// when both were updated since the last nudge, then three ignored nudges,
// the halving to every four weeks, and the nudge that tells.
func TestScriptSixteenWeeks(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	c := cycle(date(2027, 1, 4), date(2027, 4, 25))
	created := date(2027, 1, 5).In(ny).Add(11 * time.Hour)
	updates := []scripted{{date(2027, 2, 1), 1}, {date(2027, 2, 1), 2}}
	got := runScript(t, c, created, updates, date(2027, 5, 20), ny)
	want := []string{
		"01-12 skip: all your key results were set up or updated in the last 2 weeks",
		"01-26 send [1 2]",
		"02-09 skip: all your key results were set up or updated since your last nudge",
		"02-23 send [1 2]",
		"03-09 send [1 2]",
		"03-23 send [1 2]",
		"04-06 skip: your last nudge was 14 days ago; with no update after the last 3, nudges come every 4 weeks for now → every 4 weeks on Tuesday at 10:00",
		"04-20 send [1 2] told",
		"05-18 skip: you have no key results in an active cycle",
	}
	compareScript(t, got, want)
}

// compareScript reports the first lines that differ, and the whole script.
func compareScript(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		return
	}
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("line %d:\n got %q\nwant %q", i, g, w)
		}
	}
}
