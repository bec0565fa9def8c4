package peers

import (
	"fmt"
	"strconv"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models/peers"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The follow-up's buttons; each button's value is the group's id, which
// Service.RecordOutcome checks against the stored group before use.
const (
	ActionMet     = "peers:met"
	ActionNotYet  = "peers:not_yet"
	ActionCouldnt = "peers:couldnt"
)

// The pause check's buttons; each button's value is the network's id
// (Service.AnswerPauseCheck).
const (
	ActionPauseMe = "peers:pause_me"
	ActionKeepMe  = "peers:keep_me"
)

// OutcomeOfAction is the outcome a follow-up button says, and false for
// any other action id.
func OutcomeOfAction(actionID string) (peers.Outcome, bool) {
	switch actionID {
	case ActionMet:
		return peers.OutcomeMet, true
	case ActionNotYet:
		return peers.OutcomeNotYet, true
	case ActionCouldnt:
		return peers.OutcomeCouldnt, true
	}
	return peers.OutcomeNone, false
}

// FollowUpMessage is the group DM asking how an intro went, with the three
// buttons; second is the asking after a "not yet", whose answer is final.
func FollowUpMessage(network string, groupID int64, second bool) engine.Message {
	name := mrkdwn.Bound(network, peers.MaxNameLen)
	head := fmt.Sprintf("*How did your intro go?*\nDid you get to meet through *%s*? One of you answering is enough; "+
		"nobody else sees who did, and the network only ever sees the totals.", name)
	if second {
		head = fmt.Sprintf("*Did you manage to meet?*\nLast time you said not yet — how did your *%s* intro go in the end? "+
			"This is the last time I ask.", name)
	}
	blocks := []slack.Block{section(head), followUpButtons(groupID)}
	if !second {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn.Text(
			"If you couldn't meet, you'll both be first in line next round.")))
	}
	text := "How did your intro in " + network + " go?"
	if second {
		text = "Did you manage to meet through " + network + "?"
	}
	return engine.Message{Text: mrkdwn.Bound(text, textMax), Blocks: blocks}
}

// followUpButtons are the follow-up's three buttons, for group groupID.
func followUpButtons(groupID int64) *slack.ActionBlock {
	value := strconv.FormatInt(groupID, 10)
	return slack.NewActionBlock("",
		slack.NewButtonBlockElement(ActionMet, value, mrkdwn.PlainText("We met")).WithStyle(slack.StylePrimary),
		slack.NewButtonBlockElement(ActionNotYet, value, mrkdwn.PlainText("Not yet")),
		slack.NewButtonBlockElement(ActionCouldnt, value, mrkdwn.PlainText("We couldn't")),
	)
}

// FollowUpAnsweredMessage is the follow-up once one of the group answered
// o: it replaces the question in the group DM, so that everyone in the
// group sees that it is answered (and nobody answers twice without
// knowing), names nobody, and keeps the buttons, since any of them may
// change the answer.
func FollowUpAnsweredMessage(network string, groupID int64, o peers.Outcome) engine.Message {
	name := mrkdwn.Bound(network, peers.MaxNameLen)
	var line string
	switch o {
	case peers.OutcomeMet:
		line = "Noted: *you met*. Thanks for saying!"
	case peers.OutcomeNotYet:
		line = "Noted: *not yet*. No rush — meet when it suits you."
	default:
		line = "Noted: *you couldn't meet*. You'll be first in line next round."
	}
	head := fmt.Sprintf("*How did your intro go?* (%s)\n%s", name, line)
	blocks := []slack.Block{
		section(head),
		followUpButtons(groupID),
		slack.NewContextBlock("", mrkdwn.Text("Any of you can change the answer; nobody is told who gave it, and the network only ever sees the totals.")),
	}
	return engine.Message{Text: mrkdwn.Bound("How did your intro in "+network+" go? Answered.", textMax), Blocks: blocks}
}

// PauseCheckMessage is the personal DM to someone who left the last
// ignored follow-ups unanswered, asking whether to pause their intros.
func PauseCheckMessage(network string, networkID int64, ignored int) engine.Message {
	name := mrkdwn.Bound(network, peers.MaxNameLen)
	head := fmt.Sprintf("*Shall I pause your intros in %s?*\nThe last %d intros went by without an answer, which is fine — "+
		"weeks get busy. If now isn't a good time, I can pause your intros until you resume them; or keep you in as you are. "+
		"Only you see this.", name, ignored)
	value := strconv.FormatInt(networkID, 10)
	blocks := []slack.Block{
		section(head),
		slack.NewActionBlock("",
			slack.NewButtonBlockElement(ActionPauseMe, value, mrkdwn.PlainText("Pause me")),
			slack.NewButtonBlockElement(ActionKeepMe, value, mrkdwn.PlainText("Keep me in")).WithStyle(slack.StylePrimary),
		),
	}
	return engine.Message{Text: mrkdwn.Bound("Shall I pause your intros in "+network+"?", textMax), Blocks: blocks}
}
