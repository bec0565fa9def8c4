package okrs

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The off-track offer: when an owner marks a key result off track, they
// alone are offered help — a note in their team's channel, or the key
// result brought to their next check-in. Nothing goes to a manager or to
// anyone else unless the owner picks it.

// Action ids of the off-track offer's buttons, each followed by the key
// result's id ("okr:help_channel:42"); the router finds them by prefix
// (ActionHelpPrefix), and ParseHelpAction reads them back.
const (
	// ActionHelpPrefix is the prefix every offer button's action id shares.
	ActionHelpPrefix = "okr:help_"
	// ActionHelpChannel asks for help in the team's channel.
	ActionHelpChannel = "okr:help_channel"
	// ActionHelpCheckin brings the key result to the next check-in.
	ActionHelpCheckin = "okr:help_checkin"
	// ActionHelpNo declines the offer.
	ActionHelpNo = "okr:help_no"
)

// HelpActionID is the action id of an offer button for key result krID:
// action followed by ":" and the id.
func HelpActionID(action string, krID int64) string {
	return action + ":" + strconv.FormatInt(krID, 10)
}

// ParseHelpAction reads an offer button's action id into its action
// (ActionHelpChannel, ActionHelpCheckin or ActionHelpNo) and key result
// id; ok is false for anything else. The id is a claim from Slack, to be
// checked against the stored key result and its owner before use.
func ParseHelpAction(actionID string) (action string, krID int64, ok bool) {
	i := strings.LastIndexByte(actionID, ':')
	if i < 0 {
		return "", 0, false
	}
	action = actionID[:i]
	switch action {
	case ActionHelpChannel, ActionHelpCheckin, ActionHelpNo:
	default:
		return "", 0, false
	}
	id, err := strconv.ParseInt(actionID[i+1:], 10, 64)
	if err != nil || id <= 0 {
		return "", 0, false
	}
	return action, id, true
}

// OffTrackOffer reports whether an update that moved a key result's
// confidence from before to after earns the offer: only a change to off
// track from anything else (none given included). Staying off track ("no
// change", or a second off-track update) does not ask again.
func OffTrackOffer(before, after okrs.Confidence) bool {
	return after == okrs.OffTrack && before != okrs.OffTrack
}

// OfferInput is what the off-track offer shows.
type OfferInput struct {
	KeyResult okrs.KeyResult
	// Channel is the team's channel id, or "" when the key result has no
	// team: the channel button is then left out.
	Channel string
	// Checkin is the name of the owner's next check-in, or "" when they
	// have none: the check-in button is then left out.
	Checkin string
}

// offerBlockID is the block id of the offer's buttons, for replacing them
// once the owner picks one.
func offerBlockID(krID int64) string { return "okr_offer_" + strconv.FormatInt(krID, 10) }

// OffTrackMessage is the private offer shown to a key result's owner who
// just marked it off track: a kind line, what each choice would do, and
// the buttons "Ask in the team's channel" (when there is one), "Bring it
// to my next check-in" (when there is one) and "No thanks". It says that
// nobody else sees it.
func OffTrackMessage(in OfferInput) engine.Message {
	kr := in.KeyResult
	title := mrkdwn.Bound(strings.TrimSpace(kr.Title), okrs.MaxTitleLen)
	body := "You marked *" + title + "* off track. Knowing early is what makes it fixable — " +
		"would help from others make a difference?"
	var choices []string
	var els []slack.BlockElement
	value := strconv.FormatInt(kr.ID, 10)
	if mrkdwn.IsChannelID(in.Channel) {
		choices = append(choices, "I can post a short note in <#"+in.Channel+"> asking who can help")
		els = append(els, slack.NewButtonBlockElement(HelpActionID(ActionHelpChannel, kr.ID), value, mrkdwn.PlainText("Ask in the team's channel")))
	}
	if name := strings.TrimSpace(in.Checkin); name != "" {
		choices = append(choices, "I can add it to your next check-in, *"+mrkdwn.Bound(name, 80)+"*")
		els = append(els, slack.NewButtonBlockElement(HelpActionID(ActionHelpCheckin, kr.ID), value, mrkdwn.PlainText("Bring it to my next check-in")))
	}
	if len(choices) > 0 {
		body += "\n" + strings.Join(choices, "; or ") + "."
	}
	els = append(els, slack.NewButtonBlockElement(HelpActionID(ActionHelpNo, kr.ID), value, mrkdwn.PlainText("No thanks")))
	blocks := []slack.Block{
		section("okr_offer_text_"+value, body),
		slack.NewContextBlock("", mrkdwn.Text("Only you see this. Nothing is sent to anyone, your manager included, unless you choose it.")),
		slack.NewActionBlock(offerBlockID(kr.ID), els...),
	}
	return engine.Message{Text: "A key result is off track: would help make a difference?", Blocks: blocks}
}
