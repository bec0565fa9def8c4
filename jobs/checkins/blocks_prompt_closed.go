package checkins

import (
	"time"

	"github.com/slack-go/slack"

	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// PromptClosed is a round's prompt once the round has closed: blocks are
// the DM's blocks, perhaps with several rounds' prompts, and only this
// round's parts change. Its context line (where answers go, "Open until
// …") says instead when it closed and that late answers are still taken
// until the person's next round; where answers go is where (mrkdwn,
// already escaped; the check-in's destination when empty). Its buttons
// become those that still help, by the person's status: "Edit my answer"
// once answered, Answer once skipped, else Answer and "Skip this one" (no
// snooze: no reminder follows a closed round). Buttons PromptDone already
// set are kept. Calling it again on its own output changes nothing; a
// message without this round's prompt is returned unchanged. The input
// slice is not modified.
func PromptClosed(blocks []slack.Block, c checkinmodels.Checkin, roundID int64, status string, closedAt time.Time, loc *time.Location, where string) []slack.Block {
	infoID, actionsID, doneID := promptInfoBlockID(roundID), PromptActionsBlockID(roundID), promptDoneBlockID(roundID)
	found := false
	done := false
	for _, b := range blocks {
		if b == nil {
			continue
		}
		found = found || b.ID() == actionsID || b.ID() == infoID
		done = done || b.ID() == doneID
	}
	if !found {
		return blocks
	}
	info := "Your answers go to " + promptWhere(c, where) + "."
	if !closedAt.IsZero() {
		info += " Closed at " + localTime(closedAt, loc).Format("Mon 2 Jan, 15:04") + " your time"
	} else {
		info += " This round has closed"
	}
	info = mrkdwn.Clip(info+" — you can still answer until your next round.", reportSectionMax)
	meta := AnswerMetadata(roundID, c.ID)
	var buttons []slack.BlockElement
	switch status {
	case checkinmodels.ResponseAnswered:
		buttons = []slack.BlockElement{button(ActionCheckinEdit, "Edit my answer", meta)}
	case checkinmodels.ResponseSkipped:
		buttons = []slack.BlockElement{button(ActionCheckinAnswer, "Answer", meta)}
	default:
		buttons = []slack.BlockElement{button(ActionCheckinAnswer, "Answer", meta).WithStyle(slack.StylePrimary), button(ActionCheckinSkip, "Skip this one", meta)}
	}
	out := make([]slack.Block, 0, len(blocks))
	for _, b := range blocks {
		switch {
		case b == nil:
			out = append(out, b)
		case b.ID() == infoID:
			out = append(out, slack.NewContextBlock(infoID, mrkdwn.Text(info)))
		case b.ID() == actionsID && !done:
			out = append(out, slack.NewActionBlock(actionsID, buttons...))
		default:
			out = append(out, b)
		}
	}
	return out
}
