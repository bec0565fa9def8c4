package checkins_test

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
)

// homeSummary is a Home tab's summary, and its check-in section with the
// given check-ins.
func homeSummary(mine ...checkinhandlers.CheckinListItem) (views.Summary, checkinhandlers.HomeCheckins) {
	return views.Summary{TimeZone: "Europe/Berlin", LocalNow: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC),
		Budget: 3, BudgetLimit: 3}, checkinhandlers.HomeCheckins{Mine: mine}
}

// homeTab is the Home tab of s with the check-in section ck.
func homeTab(s views.Summary, ck checkinhandlers.HomeCheckins) slack.HomeTabViewRequest {
	return views.Home(s, checkinhandlers.HomeCheckinSection(ck))
}

// TestHomeCheckinButtons: on the Home tab every check-in has buttons, not
// commands; the person who may change it (owner or admin) gets Edit,
// Pause or Resume, Run now and Export, anyone else only Export. Every
// button's value is the check-in's number and nothing else.
func TestHomeCheckinButtons(t *testing.T) {
	changing := []string{checkinhandlers.ActionHomeCheckinEdit, checkinhandlers.ActionHomeCheckinRun, checkinhandlers.ActionHomeCheckinExport}
	for _, tt := range []struct {
		name          string
		canChange     bool
		paused        bool
		want, wantNot []string
	}{
		{"owner, running", true, false, append(slices.Clone(changing), checkinhandlers.ActionHomeCheckinPause), []string{checkinhandlers.ActionHomeCheckinResume}},
		{"owner, paused", true, true, append(slices.Clone(changing), checkinhandlers.ActionHomeCheckinResume), []string{checkinhandlers.ActionHomeCheckinPause}},
		{"participant, running", false, false, []string{checkinhandlers.ActionHomeCheckinExport},
			[]string{checkinhandlers.ActionHomeCheckinEdit, checkinhandlers.ActionHomeCheckinPause, checkinhandlers.ActionHomeCheckinResume, checkinhandlers.ActionHomeCheckinRun}},
		{"participant, paused", false, true, []string{checkinhandlers.ActionHomeCheckinExport},
			[]string{checkinhandlers.ActionHomeCheckinEdit, checkinhandlers.ActionHomeCheckinPause, checkinhandlers.ActionHomeCheckinResume, checkinhandlers.ActionHomeCheckinRun}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			it := checkinhandlers.CheckinListItem{ID: 42, Name: "Stand-up <!channel>", Cadence: "weekdays at 09:30", ChannelID: "C0TEAM",
				Participants: 4, Paused: tt.paused, CanChange: tt.canChange}
			v := homeTab(homeSummary(it))
			blocks := v.Blocks.BlockSet
			checkBlockLimits(t, "home", blocks, 100)
			all := blockJSON(t, blocks)
			if strings.Contains(all, "/trellis checkin edit") || strings.Contains(all, "/trellis checkin run") || strings.Contains(all, "/trellis checkin export") {
				t.Errorf("Home still lists commands for what its buttons do:\n%s", all)
			}
			row := blockByID(t, blocks, checkinhandlers.HomeCheckinActionsBlockID(42))
			if row == nil {
				t.Fatalf("no buttons for check-in 42:\n%s", all)
			}
			var got []string
			for _, e := range elements(row) {
				got = append(got, str(e["action_id"]))
				if e["type"] != "button" || str(e["value"]) != "42" {
					t.Errorf("element %v: want a button worth 42", e)
				}
				if e["action_id"] == checkinhandlers.ActionHomeCheckinRun {
					checkConfirm(t, e)
				}
			}
			for _, id := range tt.want {
				if !slices.Contains(got, id) {
					t.Errorf("buttons %v lack %s", got, id)
				}
			}
			for _, id := range tt.wantNot {
				if slices.Contains(got, id) || strings.Contains(all, `"`+id+`"`) {
					t.Errorf("buttons %v include %s, which this reader may not use", got, id)
				}
			}
			if del := "/trellis checkin delete 42"; strings.Contains(all, del) != tt.canChange {
				t.Errorf("delete hint shown = %v, want %v", strings.Contains(all, del), tt.canChange)
			}
			if m := reportMrkdwn(t, "", blocks); strings.Contains(m, "<!") {
				t.Errorf("Home mentions someone:\n%s", m)
			}
		})
	}
	// The /trellis checkin list message keeps its commands: only Home has
	// the buttons.
	list := blockJSON(t, checkinhandlers.CheckinList([]checkinhandlers.CheckinListItem{{ID: 42, Name: "x", CanChange: true}}, "Yours"))
	if strings.Contains(list, "home:") || !strings.Contains(list, "/trellis checkin edit 42") {
		t.Errorf("the list message changed:\n%s", list)
	}
}

// checkConfirm checks a confirmation dialogue against Slack's limits.
func checkConfirm(t *testing.T, e map[string]any) {
	t.Helper()
	c, ok := e["confirm"].(map[string]any)
	if !ok {
		t.Errorf("%s has no confirmation", e["action_id"])
		return
	}
	for field, n := range map[string]int{"title": 100, "text": 300, "confirm": 30, "deny": 30} {
		s := mrkdwnOf(c[field])
		if s == "" || utf8.RuneCountInString(s) > n {
			t.Errorf("confirm %s = %q, want 1 to %d characters", field, s, n)
		}
	}
}

// TestHomeFullWithButtons: the fullest Home — every kind of check-in row,
// the most time off, rounds and check-ins — stays within Slack's limits.
func TestHomeFullWithButtons(t *testing.T) {
	s, ck := homeSummary()
	s.BudgetLimit = models.MaxDailyBudget
	for i := range 20 {
		s.Away = append(s.Away, models.AwayPeriod{ID: int64(i + 1), Note: strings.Repeat("n", 100)})
	}
	for i := range 30 {
		ck.Waiting = append(ck.Waiting, checkinhandlers.HomeWaiting{RoundID: int64(i + 1), CheckinID: 1, Label: strings.Repeat("<", 200)})
	}
	for i := range 200 {
		ck.Mine = append(ck.Mine, checkinhandlers.CheckinListItem{ID: int64(i + 1), Name: strings.Repeat("“<&", 200),
			Cadence: strings.Repeat("é", 200), CanChange: i%2 == 0, Paused: i%3 == 0})
	}
	blocks := homeTab(s, ck).Blocks.BlockSet
	checkBlockLimits(t, "full home", blocks, 100)
	all := blockJSON(t, blocks)
	if !strings.Contains(all, "more\"") {
		t.Errorf("a full Home should count what it leaves out:\n%.2000s", all)
	}
	for _, b := range reportBlocks(t, blocks) {
		for _, e := range elements(b) {
			if e["action_id"] == checkinhandlers.ActionHomeCheckinRun {
				checkConfirm(t, e)
			}
		}
	}
	if n := strings.Count(all, checkinhandlers.ActionHomeCheckinExport); n == 0 {
		t.Errorf("no check-in buttons on a full Home")
	}
}
