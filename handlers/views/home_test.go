package views_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
)

// homeSummary is a Home tab's summary, and its check-in section with the
// given check-ins.
func homeSummary(mine ...views.CheckinListItem) (views.Summary, views.HomeCheckins) {
	return views.Summary{TimeZone: "Europe/Berlin", LocalNow: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC),
		Budget: 3, BudgetLimit: 3}, views.HomeCheckins{Mine: mine}
}

// homeTab is the Home tab of s with the check-in section ck.
func homeTab(s views.Summary, ck views.HomeCheckins) slack.HomeTabViewRequest {
	return views.Home(s, views.HomeCheckinSection(ck))
}

// TestHomeCheckinButtons: on the Home tab every check-in has buttons, not
// commands; the person who may change it (owner or admin) gets Edit,
// Pause or Resume, Run now and Export, anyone else only Export. Every
// button's value is the check-in's number and nothing else.
func TestHomeCheckinButtons(t *testing.T) {
	changing := []string{views.ActionHomeCheckinEdit, views.ActionHomeCheckinRun, views.ActionHomeCheckinExport}
	for _, tt := range []struct {
		name          string
		canChange     bool
		paused        bool
		want, wantNot []string
	}{
		{"owner, running", true, false, append(slices.Clone(changing), views.ActionHomeCheckinPause), []string{views.ActionHomeCheckinResume}},
		{"owner, paused", true, true, append(slices.Clone(changing), views.ActionHomeCheckinResume), []string{views.ActionHomeCheckinPause}},
		{"participant, running", false, false, []string{views.ActionHomeCheckinExport},
			[]string{views.ActionHomeCheckinEdit, views.ActionHomeCheckinPause, views.ActionHomeCheckinResume, views.ActionHomeCheckinRun}},
		{"participant, paused", false, true, []string{views.ActionHomeCheckinExport},
			[]string{views.ActionHomeCheckinEdit, views.ActionHomeCheckinPause, views.ActionHomeCheckinResume, views.ActionHomeCheckinRun}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			it := views.CheckinListItem{ID: 42, Name: "Stand-up <!channel>", Cadence: "weekdays at 09:30", ChannelID: "C0TEAM",
				Participants: 4, Paused: tt.paused, CanChange: tt.canChange}
			v := homeTab(homeSummary(it))
			blocks := v.Blocks.BlockSet
			checkBlockLimits(t, "home", blocks, 100)
			all := blockJSON(t, blocks)
			if strings.Contains(all, "/trellis checkin edit") || strings.Contains(all, "/trellis checkin run") || strings.Contains(all, "/trellis checkin export") {
				t.Errorf("Home still lists commands for what its buttons do:\n%s", all)
			}
			row := blockByID(t, blocks, views.HomeCheckinActionsBlockID(42))
			if row == nil {
				t.Fatalf("no buttons for check-in 42:\n%s", all)
			}
			var got []string
			for _, e := range elements(row) {
				got = append(got, str(e["action_id"]))
				if e["type"] != "button" || str(e["value"]) != "42" {
					t.Errorf("element %v: want a button worth 42", e)
				}
				if e["action_id"] == views.ActionHomeCheckinRun {
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
	list := blockJSON(t, views.CheckinList([]views.CheckinListItem{{ID: 42, Name: "x", CanChange: true}}, "Yours"))
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

// TestHomeBudgetMenu: the daily-limit menu offers the workspace default and
// 1 up to the workspace's limit, shows the person's choice, and
// ParseBudgetChoice takes exactly what it offers.
func TestHomeBudgetMenu(t *testing.T) {
	for _, tt := range []struct {
		limit, budget int
		own           bool
		initial       string
	}{
		{limit: 3, budget: 3, initial: views.ValueDefault},
		{limit: 3, budget: 1, own: true, initial: "1"},
		{limit: 1, budget: 1, initial: views.ValueDefault},
		{limit: models.MaxDailyBudget, budget: 7, own: true, initial: "7"},
	} {
		s, ck := homeSummary()
		s.Budget, s.BudgetOwn, s.BudgetLimit = tt.budget, tt.own, tt.limit
		blocks := homeTab(s, ck).Blocks.BlockSet
		checkBlockLimits(t, "home", blocks, 100)
		b := blockByID(t, blocks, views.BlockHomeBudget)
		if b == nil {
			t.Fatalf("limit %d: no daily-limit block", tt.limit)
		}
		menu, _ := b["accessory"].(map[string]any)
		if menu["action_id"] != views.ActionHomeBudget || menu["type"] != "static_select" {
			t.Fatalf("limit %d: accessory %v, want the %s menu", tt.limit, menu, views.ActionHomeBudget)
		}
		var offered []string
		opts, _ := menu["options"].([]any)
		for _, o := range opts {
			offered = append(offered, str(o.(map[string]any)["value"]))
		}
		want := []string{views.ValueDefault}
		for n := 1; n <= tt.limit; n++ {
			want = append(want, strconv.Itoa(n))
		}
		if !slices.Equal(offered, want) {
			t.Errorf("limit %d: options %v, want %v", tt.limit, offered, want)
		}
		if io, _ := menu["initial_option"].(map[string]any); str(io["value"]) != tt.initial {
			t.Errorf("limit %d, budget %d (own %v): initial %v, want %s", tt.limit, tt.budget, tt.own, io["value"], tt.initial)
		}
		// Every value offered is taken, and nothing else.
		for _, v := range offered {
			n, ok := views.ParseBudgetChoice(v, tt.limit)
			if wantN, _ := strconv.Atoi(v); !ok || n != wantN {
				t.Errorf("ParseBudgetChoice(%q, %d) = %d, %v; want %d, true", v, tt.limit, n, ok, wantN)
			}
		}
		for _, v := range []string{"0", "-1", strconv.Itoa(tt.limit + 1), "99", "", "2.5", "01", " 1", "+1", "DEFAULT", "1e1", "none"} {
			if slices.Contains(offered, v) {
				continue
			}
			if n, ok := views.ParseBudgetChoice(v, tt.limit); ok {
				t.Errorf("ParseBudgetChoice(%q, %d) = %d, true; the menu does not offer it", v, tt.limit, n)
			}
		}
	}
	// /trellis me has no menu.
	me, _ := homeSummary()
	if all := blockJSON(t, views.Me(me)); strings.Contains(all, views.ActionHomeBudget) {
		t.Errorf("/trellis me has the Home menu:\n%s", all)
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
		ck.Waiting = append(ck.Waiting, views.HomeWaiting{RoundID: int64(i + 1), CheckinID: 1, Label: strings.Repeat("<", 200)})
	}
	for i := range 200 {
		ck.Mine = append(ck.Mine, views.CheckinListItem{ID: int64(i + 1), Name: strings.Repeat("“<&", 200),
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
			if e["action_id"] == views.ActionHomeCheckinRun {
				checkConfirm(t, e)
			}
		}
	}
	if n := strings.Count(all, views.ActionHomeCheckinExport); n == 0 {
		t.Errorf("no check-in buttons on a full Home")
	}
}
