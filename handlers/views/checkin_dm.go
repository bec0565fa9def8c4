package views

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The check-in runtime's surfaces: the DM that asks a person a round's
// questions (CheckinPrompt) and what it turns into once they act on it
// (PromptDone), the reader's digest (CheckinDigest), the list of check-ins
// (CheckinList) and the check-ins part of the Home tab. Everything a person
// typed is escaped with the report helpers, so nothing here can @-mention
// anyone unless a doc comment says so.

// Action ids of a check-in prompt. Every button's value, and the
// "round:checkin" part of every snooze option's value, is
// AnswerMetadata(roundID, checkinID); read it back with ParseAnswerMetadata
// or ParseSnoozeValue. Slack keeps action ids unique per block, and each
// round's buttons live in their own block (PromptActionsBlockID), so one DM
// can carry several rounds' prompts.
const (
	// ActionCheckinAnswer is the Answer button: it opens AnswerModal.
	ActionCheckinAnswer = "checkin:answer"
	// ActionCheckinSkip is the "Skip this one" button: the person sends
	// nothing this round (models.Checkins.Decline with ResponseSkipped).
	ActionCheckinSkip = "checkin:skip"
	// ActionCheckinSnooze is the "Snooze…" static select. Its options'
	// values are SnoozeValue(minutes, roundID, checkinID).
	ActionCheckinSnooze = "checkin:snooze"
	// ActionCheckinEdit is the "Edit my answer" button shown once the
	// person answered: it opens AnswerModal with their answer.
	ActionCheckinEdit = "checkin:edit"
)

// SnoozeTomorrow is SnoozeOption.Minutes for "Tomorrow morning": until the
// start of the person's next working window, however far that is.
const SnoozeTomorrow = -1

// Snooze lengths SnoozeOptions offers, when they end inside the window.
var snoozeLengths = []int{30, 60, 120, 240}

// promptMaxOptions is SLACK.md's static select limit.
const promptMaxOptions = 100

// promptTextMax bounds a DM's notification text, in bytes: SLACK.md's 4000
// characters with a margin, and in bytes so that no character count can
// exceed it.
const promptTextMax = 3900

// SnoozeOption is one choice of the "Snooze…" menu. Minutes is
// SnoozeTomorrow for the start of the person's next working window.
type SnoozeOption struct {
	Minutes int
	Label   string
}

// errSnoozeValue is what ParseSnoozeValue wraps.
var errSnoozeValue = errors.New("snooze value")

// SnoozeValue is a snooze option's value: the minutes, a bar, and
// AnswerMetadata(roundID, checkinID), such as "30|12:7" or "-1|12:7".
func SnoozeValue(minutes int, roundID, checkinID int64) string {
	return strconv.Itoa(minutes) + "|" + AnswerMetadata(roundID, checkinID)
}

// ParseSnoozeValue reads what SnoozeValue wrote. minutes is positive, or
// SnoozeTomorrow; both ids are positive.
func ParseSnoozeValue(v string) (minutes int, roundID, checkinID int64, err error) {
	m, meta, found := strings.Cut(v, "|")
	if !found {
		return 0, 0, 0, fmt.Errorf("%w: %q is not minutes|round:checkin", errSnoozeValue, v)
	}
	minutes, err = strconv.Atoi(m)
	if err != nil || (minutes <= 0 && minutes != SnoozeTomorrow) {
		return 0, 0, 0, fmt.Errorf("%w: bad minutes in %q", errSnoozeValue, v)
	}
	roundID, checkinID, err = ParseAnswerMetadata(meta)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%w: %w", errSnoozeValue, err)
	}
	return minutes, roundID, checkinID, nil
}

// SnoozeOffered reports whether minutes is one of the snoozes
// SnoozeOptions can offer: a snooze value comes back in a payload, which
// a person can change.
func SnoozeOffered(minutes int) bool {
	return minutes == SnoozeTomorrow || slices.Contains(snoozeLengths, minutes)
}

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
	Checkin models.Checkin
	Round   models.Round
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
	name := Mrkdwn(strings.TrimSpace(c.Name), reportHeaderMax)
	if name == "" {
		name = "your check-in"
	}
	label := Mrkdwn(strings.TrimSpace(in.RoundLabel), reportHeaderMax)
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
	info = clip(info, reportSectionMax)

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
		opts = append(opts, slack.NewOptionBlockObject(SnoozeValue(o.Minutes, roundID, c.ID), plain(clip(l, models.MaxOptionLen)), nil))
	}
	if len(opts) > 0 {
		els = append(els, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Snooze…"), ActionCheckinSnooze, opts...))
	}

	blocks := []slack.Block{
		slack.NewSectionBlock(text(body), nil, nil, slack.SectionBlockOptionBlockID(PromptBlockID(roundID))),
		slack.NewContextBlock(promptInfoBlockID(roundID), text(info)),
		slack.NewActionBlock(PromptActionsBlockID(roundID), els...),
	}
	return clipBytes(reportFallback(fallback), promptTextMax), blocks
}

// promptQuestions lists the questions, one line each, within room
// characters; the ones that do not fit are counted.
func promptQuestions(qs []models.Question, room int) string {
	var lines []string
	used := 0
	for i, q := range qs {
		line := "• " + Mrkdwn(strings.TrimSpace(q.Prompt), models.MaxPromptLen)
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
func promptWhere(c models.Checkin, given string) string {
	if s := strings.TrimSpace(given); s != "" {
		return clip(s, 300)
	}
	channel := "the check-in's channel"
	if reportChannelID.MatchString(c.ChannelID) {
		channel = "<#" + c.ChannelID + ">"
	}
	switch c.Destination {
	case models.DestinationChannel:
		return channel
	case models.DestinationDigest:
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
//   - models.ResponseAnswered: "Edit my answer" (ActionCheckinEdit);
//   - models.ResponseSkipped: "Skipped — …" and the Answer button;
//   - models.ResponseSnoozed: "Snoozed until 15:30 …" and the Answer button.
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
	case models.ResponseAnswered:
		line = ":white_check_mark: Thanks — your answer is in."
		if w := when("15:04"); w != "" {
			line = ":white_check_mark: Thanks — your answer is in (sent at " + w + ")."
		}
		line += " You can change it until the next round starts."
		el = button(ActionCheckinEdit, "Edit my answer", meta)
	case models.ResponseSkipped:
		line = "Skipped — nothing is posted for you this round. Changed your mind?"
		el = button(ActionCheckinAnswer, "Answer", meta)
	case models.ResponseSnoozed:
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
			out = append(out, slack.NewContextBlock(doneID, text(line)), slack.NewActionBlock(actionsID, el))
		default:
			out = append(out, b)
		}
	}
	return out
}

// SnoozeOptions are the snoozes the prompt offers: 30 minutes, 1, 2 and 4
// hours, and "Tomorrow morning" (SnoozeTomorrow). The labels name no clock
// time: a prompt can be read hours after it was sent, so what a choice
// means is worked out when it is chosen, and the confirmation names the
// time then (SnoozeMoved when it is not what the label says).
func SnoozeOptions() []SnoozeOption {
	out := make([]SnoozeOption, 0, len(snoozeLengths)+1)
	for _, m := range snoozeLengths {
		out = append(out, SnoozeOption{Minutes: m, Label: snoozeLength(m)})
	}
	return append(out, SnoozeOption{Minutes: SnoozeTomorrow, Label: "Tomorrow morning"})
}

// snoozeLength is "30 minutes", "1 hour" or "2 hours".
func snoozeLength(minutes int) string {
	if minutes%60 == 0 {
		return count(minutes/60, "hour", "hours")
	}
	return count(minutes, "minute", "minutes")
}

// SnoozeMoved tells a person why their snooze of minutes (SnoozeTomorrow
// for "Tomorrow morning") lasts until until rather than what they chose:
// that would have ended outside their working hours, so the prompt comes
// back when those next start. until is shown in loc (nil means UTC).
func SnoozeMoved(minutes int, until time.Time, loc *time.Location) string {
	when := localTime(until, loc).Format("15:04 on Mon 2 Jan")
	if minutes <= 0 {
		return "I'll ask again at " + when + ", when your working hours next start."
	}
	return snoozeLength(minutes) + " from now is outside your working hours, so I'll ask again when they next start: " + when + "."
}

// DigestAnswer is one person's answers in a reader's digest, by AnswerKey.
// Helper holds the user id the person named as able to help with a
// blocker, by AnswerKey.
type DigestAnswer struct {
	Name, UserID string
	Answers      map[int]string
	Helper       map[int]string
}

// Digest layout.
const (
	// digestAnswerMax is the most of one answer a digest shows; the rest
	// is in the export.
	digestAnswerMax = 280
	// digestShortMax bounds a scale, choice or blocked answer.
	digestShortMax = 300
	// digestMoreMax bounds the caller's "more" text.
	digestMoreMax = 300
)

// CheckinDigest is a round in a reader's digest DM: RoundSummary's
// summary, then each person's answers compactly, one section per person
// with the questions in bold, blockers flagged. Answers to anonymous
// questions are never shown, whatever answers holds for them; they count
// only in the summary. Long answers are cut with "…".
//
// The message keeps to SLACK.md's limits (50 blocks, 3000 characters a
// section, the ~12,000 characters of block text); people who do not fit are
// counted in a last line, "and N more — moreLink", where moreLink is mrkdwn
// such as "`/trellis checkin export 12`". When everyone fits but an answer
// was cut, that line points at moreLink for the full text.
//
// As in AnswerMessage, the only mentions are of a person with no name
// (by UserID) and of the helper a blocked person named.
func CheckinDigest(c models.Checkin, roundLabel string, answered, asked int, aggs []models.Aggregate, blockers int, answers []DigestAnswer, moreLink string) (string, []slack.Block) {
	fallback, blocks := RoundSummary(c, roundLabel, answered, asked, aggs, blockers)
	blocks = append(blocks, slack.NewDividerBlock())
	used := 0
	for _, b := range blocks {
		used += blockTextLen(b)
	}
	moreLink = clip(strings.TrimSpace(moreLink), digestMoreMax)
	// Keep room for the last line.
	reserve := utf8.RuneCountInString(moreLink) + 40
	left, cut := 0, false
	for i, a := range answers {
		s, trimmed, ok := digestSection(c, a)
		if !ok {
			continue
		}
		w := utf8.RuneCountInString(s)
		if left > 0 || len(blocks)+2 > reportMaxBlocks || used+w+reserve > reportTextBudget {
			left++
			continue
		}
		cut = cut || trimmed
		blocks = append(blocks, slack.NewSectionBlock(text(s), nil, nil, slack.SectionBlockOptionBlockID(fmt.Sprintf("digest_person_%d", i+1))))
		used += w
	}
	var last string
	switch {
	case left > 0:
		last = "and " + strconv.Itoa(left) + " more"
		if moreLink != "" {
			last += " — " + moreLink
		}
	case cut && moreLink != "":
		last = "Long answers are cut short here; the full text: " + moreLink
	}
	if last != "" {
		blocks = append(blocks, slack.NewContextBlock("", text(last)))
	}
	return fallback, blocks
}

// digestSection is one person's answers as a section's mrkdwn, within
// reportSectionMax characters; trimmed says an answer was cut, ok false
// that nothing of theirs can be shown.
func digestSection(c models.Checkin, a DigestAnswer) (s string, trimmed, ok bool) {
	who, _ := reportWho(a.Name, a.UserID)
	type item struct {
		prompt, body string
		long         bool
	}
	var items []item
	blocked := false
	for i, q := range c.Questions {
		pos, key := i+1, AnswerKey(i, q)
		v := strings.TrimSpace(a.Answers[key])
		if q.Anonymous || v == "" {
			continue
		}
		prompt := Mrkdwn(strings.TrimSpace(q.Prompt), reportHeaderMax)
		if prompt == "" {
			prompt = fmt.Sprintf("Question %d", pos)
		}
		it := item{prompt: "*" + prompt + "*"}
		switch q.Kind {
		case models.KindScale, models.KindChoice, models.KindBlocked:
			if q.Kind == models.KindBlocked && v == ValueYes {
				blocked = true
			}
			it.body = reportShortAnswer(q, v, a.Helper[key])
			if utf8.RuneCountInString(it.body) > digestShortMax {
				it.body = Mrkdwn(v, digestShortMax)
			}
		default:
			it.body, it.long = v, true
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return "", false, false
	}
	head := who
	if blocked {
		head += " · :warning: *blocked*"
	}
	// Shorten the free-text answers until the section fits.
	build := func(limit int) (string, bool) {
		parts := []string{head}
		cut := false
		for _, it := range items {
			body := it.body
			if it.long {
				if mrkdwn.Width(body) > limit {
					cut = true
				}
				body = Mrkdwn(body, limit)
			}
			parts = append(parts, it.prompt+"\n"+body)
		}
		return strings.Join(parts, "\n"), cut
	}
	for limit := digestAnswerMax; ; limit -= 20 {
		s, cut := build(max(limit, 2))
		if utf8.RuneCountInString(s) <= reportSectionMax || limit <= 2 {
			return clip(s, reportSectionMax), cut, true
		}
	}
}

// blockTextLen is the characters of text a header, section or context
// block carries, as Slack counts them against a message's total.
func blockTextLen(b slack.Block) int {
	n := 0
	add := func(t *slack.TextBlockObject) {
		if t != nil {
			n += utf8.RuneCountInString(t.Text)
		}
	}
	switch b := b.(type) {
	case *slack.HeaderBlock:
		add(b.Text)
	case *slack.SectionBlock:
		add(b.Text)
		for _, f := range b.Fields {
			add(f)
		}
	case *slack.ContextBlock:
		for _, e := range b.ContextElements.Elements {
			if t, ok := e.(*slack.TextBlockObject); ok {
				add(t)
			}
		}
	}
	return n
}

// CheckinListItem is one check-in in a list.
type CheckinListItem struct {
	ID int64
	// OwnerID is who set it up. The list does not show it, so that it
	// mentions nobody.
	Name, Cadence, ChannelID, OwnerID string
	Participants                      int
	Paused                            bool
	// NextForMe is when the next round reaches the reader; zero when
	// unknown (or they are not in it).
	NextForMe time.Time
	// Loc is the reader's timezone; nil means UTC.
	Loc *time.Location
	// CanChange says the reader may edit, pause, delete, run or export it.
	CanChange bool
}

// CheckinList lists check-ins, one section each — name, channel, whether
// it is paused, cadence, participants and when the next round reaches the
// reader — with the commands that change it underneath when the reader may.
// title heads it as a header unless empty. It stays within 50 blocks and
// the message text limit, saying "and N more" when it cuts the list; an
// empty list says how to start a check-in. It mentions nobody.
func CheckinList(checkins []CheckinListItem, title string) []slack.Block {
	return checkinList(checkins, title, reportMaxBlocks, reportTextBudget, false)
}

// checkinList is CheckinList within maxBlocks blocks and budget characters
// of text.
// On the Home tab (buttons), each check-in has buttons instead of commands.
func checkinList(checkins []CheckinListItem, title string, maxBlocks, budget int, buttons bool) []slack.Block {
	var blocks []slack.Block
	used := 0
	if t := strings.TrimSpace(title); t != "" {
		h := slack.NewHeaderBlock(reportPlain(Plain(t, reportHeaderMax)))
		blocks = append(blocks, h)
		used += blockTextLen(h)
	}
	if len(checkins) == 0 {
		return append(blocks, section("No check-ins yet. Start one with `/trellis checkin new` in the channel it's for.", nil))
	}
	const reserve = 40 // the "and N more" line
	for i, it := range checkins {
		item := checkinListBlocks(it, buttons)
		w := 0
		for _, b := range item {
			w += blockTextLen(b)
		}
		if len(blocks)+len(item)+1 > maxBlocks || used+w+reserve > budget {
			return append(blocks, slack.NewContextBlock("", text(fmt.Sprintf("and %d more", len(checkins)-i))))
		}
		blocks = append(blocks, item...)
		used += w
	}
	return blocks
}

// checkinListBlocks is one check-in of CheckinList, with the Home tab's
// buttons when buttons is set.
func checkinListBlocks(it CheckinListItem, buttons bool) []slack.Block {
	name := Mrkdwn(strings.TrimSpace(it.Name), reportHeaderMax)
	if name == "" {
		name = "Check-in"
	}
	first := "*" + name + "*"
	if reportChannelID.MatchString(it.ChannelID) {
		first += " in <#" + it.ChannelID + ">"
	}
	if it.Paused {
		first += " · :double_vertical_bar: _paused_"
	}
	var facts []string
	if cad := strings.TrimSpace(it.Cadence); cad != "" {
		facts = append(facts, Mrkdwn(cad, models.MaxCadenceLen))
	}
	facts = append(facts, count(max(it.Participants, 0), "person", "people"))
	switch {
	case it.Paused:
	case !it.NextForMe.IsZero():
		facts = append(facts, "next for you: "+localTime(it.NextForMe, it.Loc).Format("Mon 2 Jan, 15:04"))
	}
	body := first + "\n" + strings.Join(facts, " · ")
	if buttons {
		if it.CanChange && it.ID > 0 {
			// Deleting stays a typed command: it cannot be undone.
			body += "\n_Delete it with_ `/trellis checkin delete " + strconv.FormatInt(it.ID, 10) + "`"
		}
		blocks := []slack.Block{section(body, nil)}
		if row := homeCheckinActions(it); row != nil {
			blocks = append(blocks, row)
		}
		return blocks
	}
	blocks := []slack.Block{section(body, nil)}
	if it.CanChange && it.ID > 0 {
		id := strconv.FormatInt(it.ID, 10)
		toggle := "pause"
		if it.Paused {
			toggle = "resume"
		}
		var cmds []string
		for _, verb := range []string{"edit", toggle, "run", "export", "delete"} {
			cmds = append(cmds, "`/trellis checkin "+verb+" "+id+"`")
		}
		blocks = append(blocks, slack.NewContextBlock("", text(strings.Join(cmds, " · "))))
	}
	return blocks
}

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
	// Status is models.ResponseSnoozed or models.ResponseSkipped when the
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
		return []slack.Block{section(":memo: *Check-ins:* you're not in any yet. "+
			"Start one with `/trellis checkin new` in the channel it's for.", nil)}
	}
	blocks := []slack.Block{section(":memo: *Check-ins*", nil)}
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
		label := Mrkdwn(strings.TrimSpace(w.Label), reportHeaderMax)
		if label == "" {
			label = "A check-in"
		}
		s := "*" + label + "* is waiting for your answer"
		if !w.ClosesAt.IsZero() {
			s += " · open until " + localTime(w.ClosesAt, w.Loc).Format("Mon 2 Jan, 15:04")
		}
		switch w.Status {
		case models.ResponseSnoozed:
			s += " · _Snoozed_"
		case models.ResponseSkipped:
			s += " · _Skipped, you can still answer_"
		}
		b := section(s, slack.NewAccessory(button(ActionCheckinAnswer, "Answer", AnswerMetadata(w.RoundID, w.CheckinID))))
		b.BlockID = "home_checkin_" + strconv.FormatInt(w.RoundID, 10)
		blocks = append(blocks, b)
	}
	if waiting > homeMaxWaiting {
		blocks = append(blocks, slack.NewContextBlock("", text(fmt.Sprintf("and %d more waiting for you — they're in your DMs with Trellis.", waiting-homeMaxWaiting))))
	}
	if len(h.Mine) > 0 {
		why := slack.NewContextBlock("", text("Each one reaches you at its time in your timezone, inside your working hours; "+
			"*Coming up* above says when one will wait, and why."))
		used := blockTextLen(why)
		for _, b := range blocks {
			used += blockTextLen(b)
		}
		blocks = append(blocks, checkinList(h.Mine, "", max(maxBlocks-len(blocks)-1, 1), max(budget-used, 0), true)...)
		blocks = append(blocks, why)
	}
	return blocks
}

// localTime is t in loc, or in UTC when loc is nil.
func localTime(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc)
}

// clipBytes cuts s to at most n bytes, on a character boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
