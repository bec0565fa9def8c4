package checkins

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// Reports are what a check-in's readers see: the message that opens a round,
// each person's answer in the round's thread (or a digest), the summary at
// close, and the DM to someone named as able to help (docs/checkins.md,
// "Reports"). Every text a person typed is escaped before it reaches mrkdwn,
// so a name, a question or an answer can never @-mention anyone; the only
// mentions are the ones built here on purpose.

// Limits a report message keeps to: Slack's (mrkdwn's limits), and the
// bounds of what a report shows.
const (
	reportMaxBlocks  = mrkdwn.MaxMessageBlocks
	reportSectionMax = mrkdwn.MaxSectionText
	reportHeaderMax  = mrkdwn.MaxHeaderText
	reportTextMax    = mrkdwn.MaxMessageText
	// reportTextBudget is the block text one message carries
	// (mrkdwn.MessageTextBudget).
	reportTextBudget = mrkdwn.MessageTextBudget
	// reportMinPiece is the smallest piece of an answer worth starting at
	// the bottom of a message; below it the answer moves to the next one,
	// so a question's header is never left alone at the end.
	reportMinPiece = 500
	// reportNameMax bounds a person's name (Slack display names are at
	// most 80 characters).
	reportNameMax = 80
	// reportOptionMax bounds a choice shown in a summary, so ten of them
	// and their counts stay short.
	reportOptionMax = 60
	// reportContinued ends a piece of an answer that goes on in the next
	// section or message.
	reportContinued = "… (continued)"
)

// ReportMessage is one message to post: the notification text and the
// blocks. A long answer takes several, posted in order.
type ReportMessage struct {
	Text   string
	Blocks []slack.Block
}

// RoundHeader is the channel message a round's thread hangs from, such as
// "Daily stand-up · Tue 24 Nov: answers in the thread" for the round label
// "Daily stand-up · Tue 24 Nov". It mentions nobody:
// people are asked by DM, each at their own local time.
func RoundHeader(c checkinmodels.Checkin, roundLabel string) (string, []slack.Block) {
	title := reportTitle(c, roundLabel, "")
	where, how := "answers in the thread", "Answers appear in this thread as people send them, each at their own local time."
	switch c.Destination {
	case checkinmodels.DestinationChannel:
		where, how = "answers below", "Answers appear in the channel as people send them, each at their own local time."
	case checkinmodels.DestinationDigest:
		where, how = "answers in your digest", "Answers reach each reader in their own digest, at the start of their day."
	}
	how += " A summary follows when the round closes."
	if n := len(c.Questions); n > 0 {
		how = count(n, "question", "questions") + " · " + how
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(mrkdwn.HeaderText(mrkdwn.Plain(title, reportHeaderMax))),
		slack.NewContextBlock("", mrkdwn.Text(how)),
	}
	return reportFallback(mrkdwn.Escape(title + ": " + where)), blocks
}

// AnswerMessage shows one person's answers to a round, for its thread or a
// digest, compactly, as stand-up bots do: a small line with their name
// (the message itself is posted under their name and picture), then each
// answer under its question in bold. A scale reads "4 / 5 (great)", a
// blocker stands out with the helper the person named, if any, as a
// mention. Questions marked anonymous are never shown, whatever answers
// holds for them; they appear only in the summary. Nor are answers to
// Personal questions (another feature's summary, such as "Updated 3 key
// results"): they are the person's own, and an answer with or without
// one reads the same.
//
// person is the display name; userID stands in for it, as a mention, only
// when there is no name, so a person is not pinged by their own answer.
// answers and helper (the user id named as able to help) are by AnswerKey.
//
// An answer too long for one message is split, never cut: each piece but
// the last ends with "… (continued)", and the messages come back in the
// order to post them, each within Slack's limits.
func AnswerMessage(c checkinmodels.Checkin, person string, userID string, answers map[int]string, helper map[int]string, edited bool) []ReportMessage {
	return answerMessages(c, person, userID, answers, helper, edited, "")
}

// answerMessages is AnswerMessage with every block id starting with
// idPrefix, so several people's answers can share a message.
func answerMessages(c checkinmodels.Checkin, person string, userID string, answers map[int]string, helper map[int]string, edited bool, idPrefix string) []ReportMessage {
	who, whoText := reportWho(person, userID)
	name := mrkdwn.Bound(strings.TrimSpace(c.Name), reportHeaderMax)
	blocked := false
	for i, q := range c.Questions {
		if !q.Anonymous && q.Kind == checkinmodels.KindBlocked && strings.TrimSpace(answers[AnswerKey(i, q)]) == "yes" {
			blocked = true
		}
	}

	lead := func(part, parts int) string {
		var s string
		if part == 1 {
			s = fmt.Sprintf("%s answered *%s*", who, name)
			if edited {
				s += " _(edited)_"
			}
			if blocked {
				s += " · :warning: *blocked*"
			}
		} else {
			s = fmt.Sprintf("%s’s answer to *%s*, continued", who, name)
		}
		if parts > 1 {
			s += fmt.Sprintf(" · part %d of %d", part, parts)
		}
		return s
	}
	// The lead goes in once the number of parts is known; keep room for
	// the longest it can be.
	reserve := max(utf8.RuneCountInString(lead(1, 9999)), utf8.RuneCountInString(lead(9999, 9999)))
	p := reportPacker{budget: reportTextBudget - reserve, maxBlocks: reportMaxBlocks - 1, idPrefix: idPrefix}

	for i, q := range c.Questions {
		pos, key := i+1, AnswerKey(i, q)
		v := strings.TrimSpace(answers[key])
		if q.Anonymous || q.Personal() || v == "" {
			continue
		}
		switch q.Kind {
		case checkinmodels.KindScale, checkinmodels.KindChoice, checkinmodels.KindBlocked:
			p.short(pos, q.Prompt, reportShortAnswer(q, v, helper[key]))
		default:
			p.long(pos, q.Prompt, v)
		}
	}
	p.flush()
	if len(p.parts) == 0 {
		p.parts = [][]slack.Block{{slack.NewContextBlock(idPrefix+"report-none", mrkdwn.Text("No answers to show here."))}}
	}

	out := make([]ReportMessage, len(p.parts))
	for i, blocks := range p.parts {
		part, parts := i+1, len(p.parts)
		first := slack.NewContextBlock(idPrefix+"report-lead", mrkdwn.Text(lead(part, parts)))
		fallback := whoText + " answered " + name
		if edited {
			fallback += " (edited)"
		}
		if blocked {
			fallback += " · blocked"
		}
		if parts > 1 {
			fallback += fmt.Sprintf(" · part %d of %d", part, parts)
		}
		out[i] = ReportMessage{Text: reportFallback(fallback), Blocks: append([]slack.Block{first}, blocks...)}
	}
	return out
}

// PackedAnswer is one person's answer in a message holding several
// (PackAnswers).
type PackedAnswer struct {
	// Name is the person's display name; UserID stands in for it only
	// when there is none, as in AnswerMessage.
	Name, UserID string
	Answers      map[int]string
	Helper       map[int]string
	Edited       bool
	// Replaced says a later version of this answer was posted since: the
	// part shrinks to a line pointing at it.
	Replaced bool
}

// PackAnswers lays out as many of answers, in order, as one message holds
// within Slack's limits, each under the person's name as AnswerMessage
// shows it alone, and returns the message and how many it holds. An
// answer that needs a message of its own (it is split even alone) is never
// packed: n is 0 when it comes first, and the caller posts it with
// AnswerMessage.
func PackAnswers(c checkinmodels.Checkin, answers []PackedAnswer) (msg ReportMessage, n int) {
	used := 0
	var names []string
	for i, a := range answers {
		prefix := fmt.Sprintf("p%d-", i+1)
		var blocks []slack.Block
		if a.Replaced {
			who, _ := reportWho(a.Name, a.UserID)
			blocks = []slack.Block{slack.NewContextBlock(prefix+"report-lead", mrkdwn.Text("_"+who+"’s answer was edited; the new version is below._"))}
		} else {
			msgs := answerMessages(c, a.Name, a.UserID, a.Answers, a.Helper, a.Edited, prefix)
			if len(msgs) != 1 {
				break
			}
			blocks = msgs[0].Blocks
		}
		w := 0
		for _, b := range blocks {
			w += mrkdwn.TextLen(b)
		}
		if len(msg.Blocks)+len(blocks) > reportMaxBlocks || used+w > reportTextBudget {
			break
		}
		msg.Blocks = append(msg.Blocks, blocks...)
		used += w
		_, whoText := reportWho(a.Name, a.UserID)
		names = append(names, whoText)
		n++
	}
	if n == 0 {
		return ReportMessage{}, 0
	}
	fallback := "Answers to " + mrkdwn.Bound(strings.TrimSpace(c.Name), reportHeaderMax) + " from "
	switch {
	case n == 1:
		fallback += names[0]
	case n <= 3:
		fallback += strings.Join(names[:n-1], ", ") + " and " + names[n-1]
	default:
		fallback += strings.Join(names[:2], ", ") + fmt.Sprintf(" and %d more", n-2)
	}
	msg.Text = reportFallback(fallback)
	return msg, n
}

// reportWho is how a report names a person, in blocks (bold) and in the
// notification text, both escaped mrkdwn: by name, or by a mention of
// userID when there is no name.
func reportWho(person, userID string) (bold, plainText string) {
	person = strings.TrimSpace(person)
	switch {
	case person != "":
		name := mrkdwn.Bound(person, reportNameMax)
		return "*" + name + "*", name
	case mrkdwn.IsUserID(userID):
		return "<@" + userID + ">", "<@" + userID + ">"
	}
	return "Someone", "Someone"
}

// reportShortAnswer is the mrkdwn of a scale, choice or blocked answer.
func reportShortAnswer(q checkinmodels.Question, v, helper string) string {
	switch q.Kind {
	case checkinmodels.KindScale:
		n, err := strconv.Atoi(v)
		if err != nil {
			break
		}
		s := fmt.Sprintf("*%d / 5*", n)
		if len(q.Options) == 2 {
			switch n {
			case 1:
				s += " (" + mrkdwn.Bound(q.Options[0], reportOptionMax) + ")"
			case 5:
				s += " (" + mrkdwn.Bound(q.Options[1], reportOptionMax) + ")"
			default:
				s += fmt.Sprintf(" (1 = %s, 5 = %s)", mrkdwn.Bound(q.Options[0], reportOptionMax), mrkdwn.Bound(q.Options[1], reportOptionMax))
			}
		}
		return s
	case checkinmodels.KindBlocked:
		switch v {
		case "yes":
			s := ":warning: *Blocked*"
			if mrkdwn.IsUserID(helper) {
				s += "\n<@" + helper + "> could help."
			}
			return s
		case "no":
			return "Not blocked"
		}
	}
	return mrkdwn.Bound(v, reportSectionMax)
}

// reportPacker lays out questions and answers in as many messages as the
// limits need: each answer in a section under its question in bold.
// Widths are counted in characters of the escaped text, which is what
// Slack counts.
type reportPacker struct {
	parts     [][]slack.Block
	cur       []slack.Block
	used      int
	budget    int
	maxBlocks int
	idPrefix  string
}

func (p *reportPacker) fits(chars, blocks int) bool {
	return p.used+chars <= p.budget && len(p.cur)+blocks <= p.maxBlocks
}

func (p *reportPacker) add(b slack.Block, chars int) {
	p.cur = append(p.cur, b)
	p.used += chars
}

func (p *reportPacker) flush() {
	if len(p.cur) > 0 {
		p.parts = append(p.parts, p.cur)
	}
	p.cur, p.used = nil, 0
}

// label is a question in bold on its own line, above its answer;
// continued marks it repeated at the top of the next message.
func (p *reportPacker) label(pos int, prompt string, continued bool) string {
	prompt = strings.TrimSpace(prompt)
	if prompt == "" {
		prompt = fmt.Sprintf("Question %d", pos)
	}
	s := "*" + mrkdwn.Bound(prompt, reportHeaderMax) + "*"
	if continued {
		s += " _(continued)_"
	}
	return s + "\n"
}

// short adds a question whose answer is one short section.
func (p *reportPacker) short(pos int, prompt, body string) {
	s := p.label(pos, prompt, false) + body
	w := utf8.RuneCountInString(s)
	if !p.fits(w, 1) {
		p.flush()
	}
	p.add(p.section(pos, 1, s), w)
}

// long adds a free-text answer, split into sections of at most 3000
// characters and across messages as the budget runs out. Nothing of the
// answer is lost: the pieces joined give it back.
func (p *reportPacker) long(pos int, prompt, v string) {
	piece, continued := 1, false
	for v != "" {
		lbl := p.label(pos, prompt, continued)
		lw := utf8.RuneCountInString(lbl)
		need := min(mrkdwn.Width(v), reportMinPiece)
		if need < mrkdwn.Width(v) {
			need += utf8.RuneCountInString(reportContinued)
		}
		if !p.fits(lw+need, 1) {
			p.flush()
		}
		for v != "" && p.fits(0, 1) {
			room := min(reportSectionMax, p.budget-p.used) - lw
			if mrkdwn.Width(v) <= room {
				s := lbl + mrkdwn.Escape(v)
				p.add(p.section(pos, piece, s), utf8.RuneCountInString(s))
				v = ""
				break
			}
			room -= utf8.RuneCountInString(reportContinued)
			if room < reportMinPiece {
				break
			}
			cut := mrkdwn.Cut(v, room, true)
			s := lbl + mrkdwn.Escape(v[:cut]) + reportContinued
			p.add(p.section(pos, piece, s), utf8.RuneCountInString(s))
			v = v[cut:]
			piece++
			// Later pieces in the same message follow on directly.
			lbl, lw = "", 0
		}
		if v != "" {
			p.flush()
			continued = true
		}
	}
}

func (p *reportPacker) section(pos, piece int, s string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn.Text(s), nil, nil, slack.SectionBlockOptionBlockID(fmt.Sprintf("%sreport-answer-%d-%d", p.idPrefix, pos, piece)))
}

// RoundSummary is posted when a round closes: how many answered, as a
// number (never who did not), each scale's average, each choice's counts
// and how many reported a blocker. An aggregate hidden to protect a small
// group says so instead of showing anything. It mentions nobody.
func RoundSummary(c checkinmodels.Checkin, roundLabel string, answered, asked int, aggs []checkinmodels.Aggregate, blockers int) (string, []slack.Block) {
	title := reportTitle(c, roundLabel, "summary")
	var took string
	switch {
	case asked <= 0:
		took = "Nobody was asked this round."
	default:
		took = fmt.Sprintf("*%d of %d* answered.", answered, asked)
	}
	hasBlocked := slices.ContainsFunc(c.Questions, func(q checkinmodels.Question) bool { return q.Kind == checkinmodels.KindBlocked })
	var blockerLine string
	switch {
	case blockers > 0:
		blockerLine = fmt.Sprintf(":warning: *%s* reported.", count(blockers, "blocker", "blockers"))
	case hasBlocked:
		blockerLine = "No blockers reported."
	}
	first := took
	if blockerLine != "" {
		first += "\n" + blockerLine
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(mrkdwn.HeaderText(mrkdwn.Plain(title, reportHeaderMax))),
		slack.NewSectionBlock(mrkdwn.Text(first), nil, nil),
	}

	seen := map[int]bool{}
	for _, a := range aggs {
		if a.Position < 1 || a.Position > len(c.Questions) || seen[a.Position] {
			continue
		}
		seen[a.Position] = true
		q := c.Questions[a.Position-1]
		s := "*" + mrkdwn.Bound(strings.TrimSpace(q.Prompt), reportHeaderMax) + "*"
		if a.Anonymous || q.Anonymous {
			s += " _(anonymous)_"
		}
		s += "\n" + reportAggregate(q, a)
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn.Text(s), nil, nil))
	}

	fallback := mrkdwn.Escape(title) + ": "
	if asked > 0 {
		fallback += fmt.Sprintf("%d of %d answered", answered, asked)
	} else {
		fallback += "nobody was asked"
	}
	if blockers > 0 || hasBlocked {
		fallback += ", " + count(blockers, "blocker", "blockers")
	}
	return reportFallback(fallback), blocks
}

// reportAggregate is the mrkdwn of one question's totals.
func reportAggregate(q checkinmodels.Question, a checkinmodels.Aggregate) string {
	switch {
	case a.Hidden:
		return "_Not enough answers to show without identifying people._"
	case a.Count == 0:
		return "_No answers._"
	case q.Kind == checkinmodels.KindScale || (q.Kind != checkinmodels.KindChoice && a.Counts == nil):
		s := fmt.Sprintf("*%.1f / 5* average from %s", a.Average, count(a.Count, "answer", "answers"))
		if len(q.Options) == 2 {
			s += fmt.Sprintf(" (1 = %s, 5 = %s)", mrkdwn.Bound(q.Options[0], reportOptionMax), mrkdwn.Bound(q.Options[1], reportOptionMax))
		}
		return s
	}
	// Choices in the question's order, then any no longer offered (the
	// question changed after people answered).
	keys := slices.Clone(q.Options)
	var gone []string
	for k := range a.Counts {
		if !slices.Contains(keys, k) {
			gone = append(gone, k)
		}
	}
	slices.Sort(gone)
	keys = append(keys, gone...)
	const most = checkinmodels.MaxChoices + 2
	var parts []string
	for i, k := range keys {
		if i == most {
			parts = append(parts, fmt.Sprintf("and %d more", len(keys)-most))
			break
		}
		parts = append(parts, fmt.Sprintf("%s *%d*", mrkdwn.Bound(k, reportOptionMax), a.Counts[k]))
	}
	return strings.Join(parts, " · ")
}

// HelperNotice is the DM to the person someone named as able to help with
// their blocker: who asked, on which check-in and question, and nothing
// else of their answers. asker is a user id (shown as a mention) or a
// display name.
func HelperNotice(c checkinmodels.Checkin, asker string, question string) (string, []slack.Block) {
	asker = strings.TrimSpace(asker)
	who, whoText := reportWho(asker, "")
	if mrkdwn.IsUserID(asker) {
		who, whoText = reportWho("", asker)
	}
	name := mrkdwn.Bound(strings.TrimSpace(c.Name), reportHeaderMax)
	where := "*" + name + "*"
	if mrkdwn.IsChannelID(c.ChannelID) {
		where += " in <#" + c.ChannelID + ">"
	}
	body := fmt.Sprintf("%s is blocked and named you as someone who could help.", who)
	detail := "It came up in " + where
	if q := strings.TrimSpace(question); q != "" {
		detail += ", where they answered “" + mrkdwn.Bound(q, reportHeaderMax) + "” with yes"
	}
	detail += "."
	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn.Text(body+"\n"+detail), nil, nil),
		slack.NewContextBlock("", mrkdwn.Text("Only you were told. Their other answers stay in the check-in; "+
			"a quick message to them is the best way to help.")),
	}
	return reportFallback(whoText + " is blocked on " + name + " and thinks you could help"), blocks
}

// reportTitle is a round's title, its label ("Daily stand-up · Tue 24
// Nov", which names the check-in already), or the check-in's name when
// there is no label, with an optional last word ("summary").
func reportTitle(c checkinmodels.Checkin, roundLabel, suffix string) string {
	title := mrkdwn.Plain(strings.TrimSpace(roundLabel), reportHeaderMax)
	if title == "" {
		title = mrkdwn.Plain(strings.TrimSpace(c.Name), reportHeaderMax)
	}
	if title == "" {
		title = "Check-in"
	}
	if suffix != "" {
		title += ": " + suffix
	}
	return title
}

// reportFallback is a message's notification text on one line, within the
// 4000-character limit. s is mrkdwn, already escaped; its parts are bounded
// well below the limit, so the final cut is only a safety net.
func reportFallback(s string) string {
	return mrkdwn.Clip(strings.Join(strings.Fields(s), " "), reportTextMax)
}
