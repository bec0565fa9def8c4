package views

import (
	"fmt"
	"strconv"

	"github.com/slack-go/slack"
)

// ActionHomeBudget is the Home tab's daily-limit menu: its options' values
// are ValueDefault or a number from 1 to the workspace's limit.
const ActionHomeBudget = "home:budget"

// BlockHomeBudget is the block id of the daily-limit section.
const BlockHomeBudget = "home_budget"

// homeBudgetMenu is the daily-limit menu: the workspace default, then 1
// up to the workspace's limit, with the person's choice selected.
func homeBudgetMenu(limit, own int) *slack.SelectBlockElement {
	opts := make([]*slack.OptionBlockObject, 0, limit+1)
	def := slack.NewOptionBlockObject(ValueDefault, plain(fmt.Sprintf("Workspace default (%d)", limit)), nil)
	opts = append(opts, def)
	initial := def
	for n := 1; n <= limit; n++ {
		o := slack.NewOptionBlockObject(strconv.Itoa(n), plain(fmt.Sprintf("%d a day", n)), nil)
		if n == own {
			initial = o
		}
		opts = append(opts, o)
	}
	menu := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Daily limit"), ActionHomeBudget, opts...)
	menu.InitialOption = initial
	return menu
}

// ParseBudgetChoice reads a value of the daily-limit menu against the
// workspace's limit: 0 for the workspace default, else the number picked.
// ok is false for anything the menu does not offer.
func ParseBudgetChoice(value string, limit int) (n int, ok bool) {
	if value == ValueDefault {
		return 0, true
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 || n > limit || strconv.Itoa(n) != value {
		return 0, false
	}
	return n, true
}
