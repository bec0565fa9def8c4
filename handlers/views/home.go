package views

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// Action ids of the Home tab's check-in buttons and of its daily-limit
// menu. A button's value is only the check-in's number: handlers read who
// may use it from stored state and Slack, never from the click.
const (
	// ActionHomeCheckinEdit opens the same form as /trellis checkin edit.
	ActionHomeCheckinEdit = "home:checkin-edit"
	// ActionHomeCheckinPause pauses the check-in, as /trellis checkin pause.
	ActionHomeCheckinPause = "home:checkin-pause"
	// ActionHomeCheckinResume resumes it, as /trellis checkin resume.
	ActionHomeCheckinResume = "home:checkin-resume"
	// ActionHomeCheckinRun asks everyone now, as /trellis checkin run.
	ActionHomeCheckinRun = "home:checkin-run"
	// ActionHomeCheckinExport sends the CSV of /trellis checkin export.
	ActionHomeCheckinExport = "home:checkin-export"
	// ActionHomeBudget is the daily-limit menu: its options' values are
	// ValueDefault or a number from 1 to the workspace's limit.
	ActionHomeBudget = "home:budget"
)

// BlockHomeBudget is the block id of the daily-limit section.
const BlockHomeBudget = "home_budget"

// HomeCheckinSection is the Home tab's check-in section: the rounds
// waiting for the person's answer, and their check-ins with buttons.
func HomeCheckinSection(h HomeCheckins) HomeSectionFunc {
	return func(room HomeRoom) []slack.Block { return homeCheckinBlocks(h, room.Blocks, room.Text) }
}

// HomeCheckinActionsBlockID is the block id of one check-in's buttons on
// the Home tab.
func HomeCheckinActionsBlockID(checkinID int64) string {
	return "home_checkin_actions_" + strconv.FormatInt(checkinID, 10)
}

// homeConfirmMax bounds the check-in name inside the "Run now"
// confirmation, whose text Slack caps at 300 characters.
const homeConfirmMax = 150

// homeCheckinActions is the row of buttons under a check-in on the Home
// tab: Edit, Pause or Resume, Run now and Export for those who may change
// it, only Export (their own answers) for everyone else. It is nil for an
// item without an id.
func homeCheckinActions(it CheckinListItem) slack.Block {
	if it.ID <= 0 {
		return nil
	}
	id := strconv.FormatInt(it.ID, 10)
	var els []slack.BlockElement
	if it.CanChange {
		toggle := button(ActionHomeCheckinPause, "Pause", id)
		if it.Paused {
			toggle = button(ActionHomeCheckinResume, "Resume", id)
		}
		name := Plain(strings.TrimSpace(it.Name), homeConfirmMax)
		run := button(ActionHomeCheckinRun, "Run now", id).WithConfirm(slack.NewConfirmationBlockObject(
			plain("Ask everyone now?"),
			plain(fmt.Sprintf("Everyone in “%s” gets it now, inside their working hours; nobody on holiday or away is asked.", name)),
			plain("Ask now"), plain("Cancel")))
		els = append(els, button(ActionHomeCheckinEdit, "Edit", id), toggle, run)
	}
	export := "Export my answers"
	if it.CanChange {
		export = "Export answers"
	}
	els = append(els, button(ActionHomeCheckinExport, export, id))
	return slack.NewActionBlock(HomeCheckinActionsBlockID(it.ID), els...)
}

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
