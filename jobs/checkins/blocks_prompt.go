package checkins

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The prompt DM: the message that asks a person a round's questions (CheckinPrompt) and
// what it turns into once they act on it (PromptDone). Everything a person
// typed is escaped, so nothing here can @-mention anyone.

// Action ids of a check-in prompt. Every button's value, and the
// "round:checkin" part of every snooze option's value, is
// AnswerMetadata(roundID, checkinID); read it back with ParseAnswerMetadata
// or ParseSnoozeValue. Slack keeps action ids unique per block, and each
// round's buttons live in their own block (PromptActionsBlockID), so one DM
// can carry several rounds' prompts.
const (
	// ActionCheckinAnswer is the Answer button: it opens the answer form
	// (handlers/checkins.AnswerModal).
	ActionCheckinAnswer = "checkin:answer"
	// ActionCheckinSkip is the "Skip this one" button: the person sends
	// nothing this round (checkinmodels.Store.Decline with ResponseSkipped).
	ActionCheckinSkip = "checkin:skip"
	// ActionCheckinSnooze is the "Snooze…" static select. Its options'
	// values are SnoozeValue(minutes, roundID, checkinID).
	ActionCheckinSnooze = "checkin:snooze"
	// ActionCheckinEdit is the "Edit my answer" button shown once the
	// person answered: it opens the answer form with their answer.
	ActionCheckinEdit = "checkin:edit"
)

// promptMaxOptions is the most options Slack allows in a static select.
const promptMaxOptions = 100

// promptTextMax bounds a DM's notification text, in bytes: Slack's 4000
// characters with a margin, and in bytes so that no character count can
// exceed it.
const promptTextMax = 3900

// PromptBlockID is the block id of a round's prompt section. Block ids
// carry the round, as the engine merges the prompts of every check-in due
// for a person at once into one DM, and a message's block ids are unique.
func PromptBlockID(roundID int64) string { return "checkin_prompt_" + strconv.FormatInt(roundID, 10) }

// PromptActionsBlockID is the block id of a round's buttons in a DM, both
// before (CheckinPrompt) and after (PromptDone) the person acts on them.
func PromptActionsBlockID(roundID int64) string {
	return "checkin_actions_" + strconv.FormatInt(roundID, 10)
}

// promptInfoBlockID is the context line under a round's prompt.
func promptInfoBlockID(roundID int64) string { return "checkin_info_" + strconv.FormatInt(roundID, 10) }

// promptDoneBlockID is the line PromptDone puts above a round's buttons.
func promptDoneBlockID(roundID int64) string { return "checkin_done_" + strconv.FormatInt(roundID, 10) }

// PromptInput is what a check-in prompt DM shows.
type PromptInput struct {
	Checkin checkinmodels.Checkin
	Round   checkinmodels.Round
	// RoundLabel heads the prompt, such as "Daily stand-up · Tue 24 Nov";
	// the check-in's name is used when it is empty.
	RoundLabel string
	// Reminder is 0 the first time the person is asked, 1 or 2 for a
	// reminder.
	Reminder int
	// Snoozed says the person snoozed this prompt and it is back.
	Snoozed bool
	// AnswersGoTo is mrkdwn, already escaped, such as "the thread in
	// <#C0TEAM>". When empty, the check-in's destination says it.
	AnswersGoTo string
	// ClosesAt is when the round closes; zero leaves it unsaid.
	ClosesAt time.Time
	// Loc is the person's timezone; nil means UTC.
	Loc *time.Location
	// SnoozeOptions fill the "Snooze…" menu (SnoozeOptions); none leaves
	// it out.
	SnoozeOptions []SnoozeOption
}

// CheckinPrompt is the DM that asks a person a round's questions: a
// section (PromptBlockID) with the round and a friendly line — a first ask,
// a reminder or a snoozed prompt coming back — and the questions as a
// short list, anonymous ones marked; a context line saying where the
// answers go and until when, in the person's time; and the buttons
// (PromptActionsBlockID): Answer, "Skip this one" and a "Snooze…" menu.
// It mentions nobody, and keeps to a few thousand characters so several
// prompts fit one message.
func CheckinPrompt(in PromptInput) (string, []slack.Block) {
	c, roundID := in.Checkin, in.Round.ID
	name := mrkdwn.Bound(strings.TrimSpace(c.Name), reportHeaderMax)
	if name == "" {
		name = "your check-in"
	}
	label := mrkdwn.Bound(strings.TrimSpace(in.RoundLabel), reportHeaderMax)
	if label == "" {
		label = name
	}

	var lead, fallback string
	switch {
	case in.Snoozed:
		lead = "You snoozed this earlier — here it is again."
		fallback = "Snoozed earlier: " + label
	case in.Reminder > 0:
		lead = "Reminder: this is still waiting for your answer."
		if in.Reminder >= c.Reminders {
			lead += " This is the last reminder for this round."
		}
		fallback = "Reminder: " + label
	default:
		lead = "Time for your answers. It takes a minute or two."
		fallback = label
	}
	fallback += ": " + count(len(c.Questions), "question", "questions") + " for you"

	head := "*" + label + "*\n" + lead
	questions := promptQuestions(c.Questions, reportSectionMax-utf8.RuneCountInString(head)-1)
	body := head
	if questions != "" {
		body += "\n" + questions
	}

	info := "Your answers go to " + promptWhere(c, in.AnswersGoTo) + "."
	switch {
	case in.Round.Closed:
		info += " This round has closed, but late answers are welcome until the next one starts."
	case !in.ClosesAt.IsZero():
		info += " Open until " + localTime(in.ClosesAt, in.Loc).Format("Mon 2 Jan, 15:04") + " your time."
	}
	info = mrkdwn.Clip(info, reportSectionMax)

	meta := AnswerMetadata(roundID, c.ID)
	els := []slack.BlockElement{
		button(ActionCheckinAnswer, "Answer", meta).WithStyle(slack.StylePrimary),
		button(ActionCheckinSkip, "Skip this one", meta),
	}
	var opts []*slack.OptionBlockObject
	for _, o := range in.SnoozeOptions {
		if len(opts) == promptMaxOptions {
			break
		}
		l := strings.TrimSpace(o.Label)
		if l == "" {
			continue
		}
		opts = append(opts, slack.NewOptionBlockObject(SnoozeValue(o.Minutes, roundID, c.ID), mrkdwn.PlainText(mrkdwn.Clip(l, checkinmodels.MaxOptionLen)), nil))
	}
	if len(opts) > 0 {
		els = append(els, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, mrkdwn.PlainText("Snooze…"), ActionCheckinSnooze, opts...))
	}

	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn.Text(body), nil, nil, slack.SectionBlockOptionBlockID(PromptBlockID(roundID))),
		slack.NewContextBlock(promptInfoBlockID(roundID), mrkdwn.Text(info)),
		slack.NewActionBlock(PromptActionsBlockID(roundID), els...),
	}
	return clipBytes(reportFallback(fallback), promptTextMax), blocks
}

// promptQuestions lists the questions, one line each, within room
// characters; the ones that do not fit are counted.
func promptQuestions(qs []checkinmodels.Question, room int) string {
	var lines []string
	used := 0
	for i, q := range qs {
		line := "• " + mrkdwn.Bound(strings.TrimSpace(q.Prompt), checkinmodels.MaxPromptLen)
		if q.Anonymous {
			line += " _(anonymous)_"
		}
		if !q.Required {
			line += " _(optional)_"
		}
		// Keep room for the line that counts the rest.
		more := ""
		if i < len(qs)-1 {
			more = fmt.Sprintf("\n…and %d more", len(qs)-i-1)
		}
		w := utf8.RuneCountInString(line) + 1
		if used+w+utf8.RuneCountInString(more) > room {
			lines = append(lines, fmt.Sprintf("…and %d more", len(qs)-i))
			break
		}
		lines = append(lines, line)
		used += w
	}
	return strings.Join(lines, "\n")
}

// promptWhere is where a check-in's answers go, as mrkdwn.
func promptWhere(c checkinmodels.Checkin, given string) string {
	if s := strings.TrimSpace(given); s != "" {
		return mrkdwn.Clip(s, 300)
	}
	channel := "the check-in's channel"
	if mrkdwn.IsChannelID(c.ChannelID) {
		channel = "<#" + c.ChannelID + ">"
	}
	switch c.Destination {
	case checkinmodels.DestinationChannel:
		return channel
	case checkinmodels.DestinationDigest:
		return "your teammates' digests"
	}
	return "this round's thread in " + channel
}

// PromptDone is the DM after the person answered, skipped or snoozed the
// round: blocks are the message's blocks as a block_actions payload gives
// them, perhaps with several rounds' prompts, and PromptDone returns them
// with only this round's buttons (found by PromptActionsBlockID) replaced
// by a line saying what happened and what they can still do:
//
//   - checkinmodels.ResponseAnswered: "Edit my answer" (ActionCheckinEdit);
//   - checkinmodels.ResponseSkipped: "Skipped — …" and the Answer button;
//   - checkinmodels.ResponseSnoozed: "Snoozed until 15:30 …" and the Answer button.
//
// at is when it happened (for a snooze, when it ends), shown in loc (nil
// means UTC); zero leaves the time out. Calling it again on its own output
// replaces the line. Other blocks are returned as they were; an unknown
// status or a message without this round's buttons is returned unchanged.
// The input slice is not modified.
func PromptDone(blocks []slack.Block, roundID, checkinID int64, status string, at time.Time, loc *time.Location) []slack.Block {
	actionsID, doneID := PromptActionsBlockID(roundID), promptDoneBlockID(roundID)
	meta := AnswerMetadata(roundID, checkinID)
	when := func(layout string) string {
		if at.IsZero() {
			return ""
		}
		return localTime(at, loc).Format(layout)
	}

	var line string
	var el slack.BlockElement
	switch status {
	case checkinmodels.ResponseAnswered:
		line = ":white_check_mark: Thanks — your answer is in."
		if w := when("15:04"); w != "" {
			line = ":white_check_mark: Thanks — your answer is in (sent at " + w + ")."
		}
		line += " You can change it until the next round starts."
		el = button(ActionCheckinEdit, "Edit my answer", meta)
	case checkinmodels.ResponseSkipped:
		line = "Skipped — nothing is posted for you this round. Changed your mind?"
		el = button(ActionCheckinAnswer, "Answer", meta)
	case checkinmodels.ResponseSnoozed:
		line = "Snoozed — I'll ask again later."
		if w := when("15:04 (Mon 2 Jan)"); w != "" {
			line = "Snoozed until " + w + " — I'll ask again then, or answer now."
		}
		el = button(ActionCheckinAnswer, "Answer", meta)
	default:
		return blocks
	}

	found := false
	for _, b := range blocks {
		found = found || (b != nil && b.ID() == actionsID)
	}
	if !found {
		return blocks
	}
	out := make([]slack.Block, 0, len(blocks)+1)
	for _, b := range blocks {
		switch {
		case b == nil:
			out = append(out, b)
		case b.ID() == doneID:
			// The line of an earlier PromptDone: replaced below.
		case b.ID() == actionsID:
			out = append(out, slack.NewContextBlock(doneID, mrkdwn.Text(line)), slack.NewActionBlock(actionsID, el))
		default:
			out = append(out, b)
		}
	}
	return out
}
