package checkins

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/handlers/views"
	jobcheckins "github.com/trellis-bot/trellis/jobs/checkins"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// CallbackAnswer is the answer modal's callback id. A blocked question's
// options carry jobcheckins.ValueYes and jobcheckins.ValueNo.
//
// Each question is one input block, AnswerBlockID(position); a blocked
// question is followed by an optional "who could help?" person picker,
// AnswerHelperBlockID(position). ParseAnswerSubmission reads blocks by
// block id alone, so response_action "errors" can name the same ids.
const CallbackAnswer = "checkin_answer"

// maxAnswerText is a free-text answer's max_length: the most Slack allows
// in a plain_text_input.
const maxAnswerText = 3000

// anonymousLabel follows the prompt of an anonymous question.
const anonymousLabel = " (anonymous — only shown as a total once enough people answer)"

// AnswerBlockID is the block id of the question at position (1-based).
func AnswerBlockID(position int) string { return "answer_" + strconv.Itoa(position) }

// AnswerHelperBlockID is the block id of the "who could help?" picker that
// follows the blocked question at position (1-based).
func AnswerHelperBlockID(position int) string { return AnswerBlockID(position) + "_helper" }

// answerLastTimeBlockID is the context line under a question filled in
// from last time.
func answerLastTimeBlockID(position int) string { return AnswerBlockID(position) + "_last" }

// answerFormMark ends an answer form's private_metadata. It says the
// form's blocks are keyed by question id (jobcheckins.AnswerKey). A form
// opened by an older Trellis keyed them by position, and a position can equal another
// question's id: reading such a form by id could give an answer to the
// wrong question, anonymous or not. ParseAnswerForm refuses it instead.
const answerFormMark = ";ids"

// ErrAnswerFormOutdated means an answer form was opened by an older
// version of Trellis and cannot be read safely; the person opens it again.
var ErrAnswerFormOutdated = errors.New("the answer form was opened by an older Trellis")

// AnswerFormMetadata is an answer form's private_metadata.
func AnswerFormMetadata(roundID, checkinID int64) string {
	return jobcheckins.AnswerMetadata(roundID, checkinID) + answerFormMark
}

// ParseAnswerForm reads what AnswerFormMetadata wrote (and ignores the
// embedded question's state after it, see AnswerFormState). A form without
// the mark is ErrAnswerFormOutdated.
func ParseAnswerForm(s string) (roundID, checkinID int64, err error) {
	head, _, _ := strings.Cut(s, "\n")
	meta, ok := strings.CutSuffix(head, answerFormMark)
	if !ok {
		return 0, 0, fmt.Errorf("%w: %q", ErrAnswerFormOutdated, s)
	}
	return jobcheckins.ParseAnswerMetadata(meta)
}

// EmbeddedQuestion is what another feature's question kind puts in the
// answer form for the check-in's checkinmodels.KindFeature question
// (handlers.QuestionKind.Blocks): its blocks, with ids under
// AnswerEmbedPrefix, and the state it needs back, which the form keeps in
// its private_metadata after the first line (AnswerFormState).
type EmbeddedQuestion struct {
	Blocks []slack.Block
	State  string
}

// AnswerEmbedPrefix begins the block ids of the embedded question at
// position (1-based), so that they never clash with the form's own.
func AnswerEmbedPrefix(position int) string { return AnswerBlockID(position) + "_" }

// answerNothingBlockID is the line shown for an embedded question with
// nothing to ask.
func answerNothingBlockID(position int) string { return AnswerBlockID(position) + "_none" }

// AnswerFormState is the embedded question's state an answer form's
// private_metadata keeps after its first line; shown is false when the
// form showed no embedded blocks (there is then nothing to check).
func AnswerFormState(privateMetadata string) (state string, shown bool) {
	_, state, shown = strings.Cut(privateMetadata, "\n")
	return state, shown
}

// AnswerEmbedRoom is what the answer form leaves the embedded question:
// the most blocks (of Slack's 100) and bytes of state (of the 3000 of
// private_metadata) it may take. It is 0, 0 when c asks none.
func AnswerEmbedRoom(c checkinmodels.Checkin, round checkinmodels.Round, roundLabel string, previous map[int]string, lastTime map[int]string) (blocks, state int) {
	if !slices.ContainsFunc(c.Questions, func(q checkinmodels.Question) bool { return q.Kind == checkinmodels.KindFeature }) {
		return 0, 0
	}
	m := AnswerModalWith(c, round, roundLabel, previous, lastTime, EmbeddedQuestion{})
	// Without blocks the question shows a line saying there is nothing
	// to ask; the embedded blocks take its place.
	return maxViewBlocks - len(m.Blocks.BlockSet) + 1, maxMetadata - len(m.PrivateMetadata) - 1
}

// Slack's bounds of a modal.
const (
	maxViewBlocks = 100
	maxMetadata   = 3000
)

// AnswerModal is AnswerModalWith with nothing embedded.
func AnswerModal(c checkinmodels.Checkin, round checkinmodels.Round, roundLabel string, previous map[int]string, lastTime map[int]string) slack.ModalViewRequest {
	return AnswerModalWith(c, round, roundLabel, previous, lastTime, EmbeddedQuestion{})
}

// AnswerModalWith is the form a person answers a round of check-in c with.
// roundLabel heads it, such as "Daily stand-up · Mon 2 Mar"; the check-in's
// name is used when it is empty.
//
// previous is the person's earlier answer to this round by question
// position: a non-nil map (even an empty one) means they are editing it,
// and the form then shows exactly what they sent, blanks included. On a
// first answer (previous nil), lastTime, their answers to the previous
// round, fills in the free-text questions only — recurring work often reads
// the same — with a line under each saying so; a scale, choice or blocked
// answer is a fresh judgement each time and starts empty.
//
// The "who could help?" picker is never filled in, since the helper is not
// part of the stored answer. Anonymous answers are stored without the person,
// so they are never in previous; when editing, the form says the first one
// stays counted.
//
// A checkinmodels.KindFeature question shows its prompt, then embed's
// blocks (sized by AnswerEmbedRoom), or a line saying there is nothing to
// fill in there when it has none; when editing, the prompt says what was
// sent before (the feature's summary).
func AnswerModalWith(c checkinmodels.Checkin, round checkinmodels.Round, roundLabel string, previous map[int]string, lastTime map[int]string, embed EmbeddedQuestion) slack.ModalViewRequest {
	editing := previous != nil
	label := strings.TrimSpace(roundLabel)
	if label == "" {
		label = strings.TrimSpace(c.Name)
	}
	if label == "" {
		label = "Check-in"
	}
	blocks := []slack.Block{slack.NewHeaderBlock(views.PlainText(views.Clip(label, 150)))}
	if intro := answerIntro(c, round, editing); intro != "" {
		blocks = append(blocks, slack.NewContextBlock("", views.MrkdwnText(intro)))
	}

	for i, q := range c.Questions {
		pos := jobcheckins.AnswerKey(i, q)
		block := AnswerBlockID(pos)
		action := "answer:" + strconv.Itoa(pos)
		value, filled := previous[pos]
		fromLastTime := false
		if !editing && q.Kind == checkinmodels.KindText {
			if v := strings.TrimSpace(lastTime[pos]); v != "" {
				value, filled, fromLastTime = v, true, true
			}
		}
		value = strings.TrimSpace(value)

		if q.Kind == checkinmodels.KindFeature {
			head := "*" + views.Mrkdwn(q.Prompt, checkinmodels.MaxPromptLen) + "*"
			if filled && value != "" {
				head += "\n_Sent before: " + views.Mrkdwn(value, 200) + ". What you enter now is added._"
			}
			sec := views.Section(head, nil)
			sec.BlockID = block
			blocks = append(blocks, sec)
			if len(embed.Blocks) > 0 {
				blocks = append(blocks, embed.Blocks...)
			} else {
				blocks = append(blocks, slack.NewContextBlock(answerNothingBlockID(pos), views.MrkdwnText("Nothing to fill in here this time.")))
			}
			continue
		}

		var el slack.BlockElement
		var hint string
		switch q.Kind {
		case checkinmodels.KindScale:
			opts := scaleOptions(q.Options)
			radio := slack.NewRadioButtonsBlockElement(action, opts...)
			if filled {
				radio.InitialOption = views.Pick(value, opts...)
			}
			el = radio
		case checkinmodels.KindChoice:
			opts := make([]*slack.OptionBlockObject, 0, len(q.Options))
			for _, o := range q.Options {
				o = strings.TrimSpace(o)
				opts = append(opts, slack.NewOptionBlockObject(o, views.PlainText(views.Clip(o, checkinmodels.MaxOptionLen)), nil))
			}
			var initial *slack.OptionBlockObject
			if filled {
				initial = views.Pick(value, opts...)
			}
			// Radio buttons show a few choices at a glance; a longer list
			// reads better as a menu.
			if len(opts) <= 5 {
				radio := slack.NewRadioButtonsBlockElement(action, opts...)
				radio.InitialOption = initial
				el = radio
			} else {
				sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, views.PlainText("Pick one"), action, opts...)
				sel.InitialOption = initial
				el = sel
			}
		case checkinmodels.KindBlocked:
			yes := slack.NewOptionBlockObject(jobcheckins.ValueYes, views.PlainText("Yes"), nil)
			no := slack.NewOptionBlockObject(jobcheckins.ValueNo, views.PlainText("No"), nil)
			radio := slack.NewRadioButtonsBlockElement(action, yes, no)
			if filled {
				radio.InitialOption = views.Pick(value, yes, no)
			}
			el = radio
		default: // checkinmodels.KindText, and any kind this code does not know yet
			in := slack.NewPlainTextInputBlockElement(views.PlainText("Write your answer"), action)
			in.Multiline = true
			in.MaxLength = maxAnswerText
			if filled {
				in.InitialValue = views.Clip(value, maxAnswerText)
			}
			el = in
			hint = "Up to 3,000 characters. Long answers are kept in full, even where a report shows only the start."
		}

		prompt := strings.TrimSpace(q.Prompt)
		optional := !q.Required
		if q.Anonymous {
			prompt = views.Clip(prompt, 2000-utf8.RuneCountInString(anonymousLabel)) + anonymousLabel
			hint = "Stored without your name."
			// An anonymous answer that would not be counted is never
			// required: the store accepts its absence too.
			switch {
			case editing:
				hint, optional = "Already counted: your first answer here was counted without your name, so it can't be changed; what you pick now is not counted again.", true
			case round.Closed:
				hint, optional = "Not counted now: this round has closed and its totals are final, so an anonymous answer given now is not counted.", true
			}
		}
		blocks = append(blocks, views.Input(block, views.Clip(prompt, 2000), el, optional, hint))
		if fromLastTime {
			blocks = append(blocks, slack.NewContextBlock(answerLastTimeBlockID(pos),
				views.MrkdwnText("Filled in as last time — change anything that's new.")))
		}

		if q.Kind == checkinmodels.KindBlocked {
			who := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, views.PlainText("Pick a person"), action+":helper")
			blocks = append(blocks, views.Input(AnswerHelperBlockID(pos), "If you're blocked: who could help?", who, true,
				"Only this person is told, so they can reach out to you. Leave it empty if nobody comes to mind."))
		}
	}

	title, submit := "Answer", "Send"
	if editing {
		title, submit = "Edit your answer", "Update"
	}
	m := views.Modal(CallbackAnswer, title, submit, blocks...)
	m.PrivateMetadata = AnswerFormMetadata(round.ID, c.ID)
	if len(embed.Blocks) > 0 {
		m.PrivateMetadata += "\n" + embed.State
	}
	return m
}

// answerIntro says where the answers go and whether the round is late.
func answerIntro(c checkinmodels.Checkin, round checkinmodels.Round, editing bool) string {
	var parts []string
	channel := "the check-in's channel"
	if c.ChannelID != "" {
		channel = "<#" + c.ChannelID + ">"
	}
	switch c.Destination {
	case checkinmodels.DestinationThread:
		parts = append(parts, "Your answers go in this round's thread in "+channel+", read by its members now and later (a public channel can be opened by anyone in the workspace).")
	case checkinmodels.DestinationChannel:
		parts = append(parts, "Your answers are posted in "+channel+", read by its members now and later (a public channel can be opened by anyone in the workspace).")
	case checkinmodels.DestinationDigest:
		parts = append(parts, "Your answers go in the digests of this check-in's people who are in "+channel+" when each digest is written.")
	}
	parts = append(parts, "Trellis itself shows them — in digests, exports and the Home tab — only to people in "+channel+
		" at that moment; the check-in's owner and workspace admins are no exception.")
	if editing {
		parts = append(parts, "You can change them until the next round starts.")
	}
	if round.Closed {
		parts = append(parts, "This round has closed, but late answers are welcome until the next one starts.")
	}
	return strings.Join(parts, " ")
}

// scaleOptions are 1 to 5, with the labels of 1 and 5 beside them.
func scaleOptions(labels []string) []*slack.OptionBlockObject {
	opts := make([]*slack.OptionBlockObject, 5)
	for n := 1; n <= 5; n++ {
		v := strconv.Itoa(n)
		s := v
		switch {
		case n == 1 && len(labels) > 0 && strings.TrimSpace(labels[0]) != "":
			s += " – " + strings.TrimSpace(labels[0])
		case n == 5 && len(labels) > 1 && strings.TrimSpace(labels[1]) != "":
			s += " – " + strings.TrimSpace(labels[1])
		}
		opts[n-1] = slack.NewOptionBlockObject(v, views.PlainText(views.Clip(s, checkinmodels.MaxOptionLen)), nil)
	}
	return opts
}

// ParseAnswerSubmission reads the answer modal's submitted state
// (view.state.values: block id → action id → value) into a Submission for
// checkinmodels.Store.Answer: answers to anonymous questions in sub.Anonymous,
// the others in sub.Answers, by jobcheckins.AnswerKey, trimmed, and blank answers
// left out. For a person whose anonymous answers would not be counted,
// pass c.AnonymousOptional(), so that those questions are not required. A scale answer is "1" to "5", a choice its option's
// text, a blocked answer jobcheckins.ValueYes or jobcheckins.ValueNo.
//
// helpers holds, by jobcheckins.AnswerKey, the person picked as "who could help?" for a
// blocked question answered yes; a pick beside a "no" is ignored, as Slack
// offers no way to clear a person picker. The handler should drop a helper
// who is the person answering.
//
// errs is nil when all is well, or a friendly message by block id, ready for
// response_action "errors": a required question left blank, or a pick the
// form no longer offers because the check-in changed while it was open.
// sub and helpers are never nil.
func ParseAnswerSubmission(c checkinmodels.Checkin, values map[string]map[string]slack.BlockAction) (sub checkinmodels.Submission, helpers map[int]string, errs map[string]string) {
	sub = checkinmodels.Submission{Answers: map[int]string{}, Anonymous: map[int]string{}}
	helpers = map[int]string{}
	errs = map[string]string{}
	get := func(block string) slack.BlockAction {
		for _, a := range values[block] { // one element per block
			return a
		}
		return slack.BlockAction{}
	}

	for i, q := range c.Questions {
		pos := jobcheckins.AnswerKey(i, q)
		block := AnswerBlockID(pos)
		a := get(block)

		var v string
		switch q.Kind {
		case checkinmodels.KindFeature:
			continue // read by the feature's question kind
		case checkinmodels.KindScale:
			v = strings.TrimSpace(a.SelectedOption.Value)
			if n, err := strconv.Atoi(v); v != "" && (err != nil || n < 1 || n > 5) {
				errs[block] = "Pick a number from 1 to 5."
				continue
			}
		case checkinmodels.KindChoice:
			v = strings.TrimSpace(a.SelectedOption.Value)
			if v != "" && !slices.ContainsFunc(q.Options, func(o string) bool { return strings.TrimSpace(o) == v }) {
				errs[block] = "That choice isn't offered any more (the check-in changed while you were answering). Please pick again."
				continue
			}
		case checkinmodels.KindBlocked:
			v = strings.TrimSpace(a.SelectedOption.Value)
			if v != "" && v != jobcheckins.ValueYes && v != jobcheckins.ValueNo {
				errs[block] = "Pick yes or no."
				continue
			}
		default:
			v = strings.TrimSpace(a.Value)
			if n := utf8.RuneCountInString(v); n > maxAnswerText {
				errs[block] = fmt.Sprintf("That's %d characters; an answer holds up to 3,000. Please shorten it.", n)
				continue
			}
		}

		if v == "" {
			if q.Required {
				errs[block] = requiredMessage(q.Kind)
			}
			continue
		}
		if q.Anonymous {
			sub.Anonymous[pos] = v
		} else {
			sub.Answers[pos] = v
		}
		if q.Kind == checkinmodels.KindBlocked && v == jobcheckins.ValueYes {
			if u := strings.TrimSpace(get(AnswerHelperBlockID(pos)).SelectedUser); u != "" {
				helpers[pos] = u
			}
		}
	}
	if len(errs) == 0 {
		errs = nil
	}
	return sub, helpers, errs
}

// requiredMessage asks for an answer the way the question's element takes it.
func requiredMessage(kind checkinmodels.QuestionKind) string {
	switch kind {
	case checkinmodels.KindScale:
		return "This one needs an answer: pick a number from 1 to 5."
	case checkinmodels.KindChoice:
		return "This one needs an answer: pick the option closest to yours."
	case checkinmodels.KindBlocked:
		return "This one needs an answer: pick yes or no."
	}
	return "This one needs an answer. A few words are plenty."
}
