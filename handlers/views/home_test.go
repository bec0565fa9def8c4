package views_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
)

// homeSummary is a Home tab's summary.
func homeSummary() views.Summary {
	return views.Summary{TimeZone: "Europe/Berlin", LocalNow: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC),
		Budget: 3, BudgetLimit: 3}
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
		s := homeSummary()
		s.Budget, s.BudgetOwn, s.BudgetLimit = tt.budget, tt.own, tt.limit
		blocks := views.Home(s).Blocks.BlockSet
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
	me := homeSummary()
	if all := blockJSON(t, views.Me(me)); strings.Contains(all, views.ActionHomeBudget) {
		t.Errorf("/trellis me has the Home menu:\n%s", all)
	}
}
