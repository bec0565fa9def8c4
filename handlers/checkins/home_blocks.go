package checkins

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/handlers/views"
	jobcheckins "github.com/trellis-bot/trellis/jobs/checkins"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The check-ins' part of the Home tab: the rounds waiting for the
// person's answer, and their check-ins as CheckinList shows them, each
// with a row of buttons. handlers/views draws the tab around it.

// HomeCheckins is the check-ins part of the Home tab.
type HomeCheckins struct {
	// Mine are the check-ins the person takes part in.
	Mine []CheckinListItem
	// Waiting are the rounds waiting for their answer.
	Waiting []HomeWaiting
}

// HomeWaiting is a round waiting for the person's answer.
type HomeWaiting struct {
	RoundID, CheckinID int64
	// Label names the round, such as "Daily stand-up · Tue 24 Nov".
	Label    string
	ClosesAt time.Time
	// Loc is the person's timezone; nil means UTC.
	Loc *time.Location
	// Status is checkinmodels.ResponseSnoozed or checkinmodels.ResponseSkipped when the
	// person did that, else empty.
	Status string
}

// homeMaxWaiting is the most waiting rounds the Home tab shows.
const homeMaxWaiting = 10

// homeCheckinBlocks is the check-ins part of the Home tab: the rounds
// waiting for an answer, each with an Answer button, then the person's
// check-ins as CheckinList shows them, with buttons instead of commands. When the next one waits (outside
// working hours, on a holiday), the Coming up list above says why. It
// takes at most maxBlocks blocks (at least 4) and about budget characters
// of text.
func homeCheckinBlocks(h HomeCheckins, maxBlocks, budget int) []slack.Block {
	if len(h.Mine) == 0 && len(h.Waiting) == 0 {
		return []slack.Block{views.Section(":memo: *Check-ins:* you're not in any yet. "+
			"Start one with `/trellis checkin new` in the channel it's for.", nil)}
	}
	blocks := []slack.Block{views.Section(":memo: *Check-ins*", nil)}
	seen := map[int64]bool{}
	waiting := 0
	for _, w := range h.Waiting {
		if w.RoundID <= 0 || w.CheckinID <= 0 || seen[w.RoundID] {
			continue
		}
		seen[w.RoundID] = true
		if waiting++; waiting > homeMaxWaiting {
			continue
		}
		label := views.Mrkdwn(strings.TrimSpace(w.Label), mrkdwn.MaxHeaderText)
		if label == "" {
			label = "A check-in"
		}
		s := "*" + label + "* is waiting for your answer"
		if !w.ClosesAt.IsZero() {
			s += " · open until " + localTime(w.ClosesAt, w.Loc).Format("Mon 2 Jan, 15:04")
		}
		switch w.Status {
		case checkinmodels.ResponseSnoozed:
			s += " · _Snoozed_"
		case checkinmodels.ResponseSkipped:
			s += " · _Skipped, you can still answer_"
		}
		b := views.Section(s, slack.NewAccessory(views.Button(jobcheckins.ActionCheckinAnswer, "Answer", jobcheckins.AnswerMetadata(w.RoundID, w.CheckinID))))
		b.BlockID = "home_checkin_" + strconv.FormatInt(w.RoundID, 10)
		blocks = append(blocks, b)
	}
	if waiting > homeMaxWaiting {
		blocks = append(blocks, slack.NewContextBlock("", views.MrkdwnText(fmt.Sprintf("and %d more waiting for you — they're in your DMs with Trellis.", waiting-homeMaxWaiting))))
	}
	if len(h.Mine) > 0 {
		why := slack.NewContextBlock("", views.MrkdwnText("Each one reaches you at its time in your timezone, inside your working hours; "+
			"*Coming up* above says when one will wait, and why."))
		used := mrkdwn.TextLen(why)
		for _, b := range blocks {
			used += mrkdwn.TextLen(b)
		}
		blocks = append(blocks, checkinList(h.Mine, "", max(maxBlocks-len(blocks)-1, 1), max(budget-used, 0), true)...)
		blocks = append(blocks, why)
	}
	return blocks
}

// Action ids of the Home tab's check-in buttons. A button's value is only the check-in's number: handlers read who
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
)

// HomeCheckinSection is the Home tab's check-in section: the rounds
// waiting for the person's answer, and their check-ins with buttons.
func HomeCheckinSection(h HomeCheckins) views.HomeSectionFunc {
	return func(room views.HomeRoom) []slack.Block { return homeCheckinBlocks(h, room.Blocks, room.Text) }
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
		toggle := views.Button(ActionHomeCheckinPause, "Pause", id)
		if it.Paused {
			toggle = views.Button(ActionHomeCheckinResume, "Resume", id)
		}
		name := views.Plain(strings.TrimSpace(it.Name), homeConfirmMax)
		run := views.Button(ActionHomeCheckinRun, "Run now", id).WithConfirm(slack.NewConfirmationBlockObject(
			views.PlainText("Ask everyone now?"),
			views.PlainText(fmt.Sprintf("Everyone in “%s” gets it now, inside their working hours; nobody on holiday or away is asked.", name)),
			views.PlainText("Ask now"), views.PlainText("Cancel")))
		els = append(els, views.Button(ActionHomeCheckinEdit, "Edit", id), toggle, run)
	}
	export := "Export my answers"
	if it.CanChange {
		export = "Export answers"
	}
	els = append(els, views.Button(ActionHomeCheckinExport, export, id))
	return slack.NewActionBlock(HomeCheckinActionsBlockID(it.ID), els...)
}
