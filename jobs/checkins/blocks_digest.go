package checkins

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The reader's digest DM: a round's summary and each person's answers,
// compactly.

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
// only in the summary. Nor are answers to Personal questions, the
// person's own. Long answers are cut with "…".
//
// The message keeps to Slack's limits (50 blocks, 3000 characters a
// section, the ~12,000 characters of block text); people who do not fit are
// counted in a last line, "and N more — moreLink", where moreLink is mrkdwn
// such as "`/trellis checkin export 12`". When everyone fits but an answer
// was cut, that line points at moreLink for the full text.
//
// As in AnswerMessage, the only mentions are of a person with no name
// (by UserID) and of the helper a blocked person named.
func CheckinDigest(c checkinmodels.Checkin, roundLabel string, answered, asked int, aggs []checkinmodels.Aggregate, blockers int, answers []DigestAnswer, moreLink string) (string, []slack.Block) {
	fallback, blocks := RoundSummary(c, roundLabel, answered, asked, aggs, blockers)
	blocks = append(blocks, slack.NewDividerBlock())
	used := 0
	for _, b := range blocks {
		used += mrkdwn.TextLen(b)
	}
	moreLink = mrkdwn.Clip(strings.TrimSpace(moreLink), digestMoreMax)
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
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn.Text(s), nil, nil, slack.SectionBlockOptionBlockID(fmt.Sprintf("digest_person_%d", i+1))))
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
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn.Text(last)))
	}
	return fallback, blocks
}

// digestSection is one person's answers as a section's mrkdwn, within
// reportSectionMax characters; trimmed says an answer was cut, ok false
// that nothing of theirs can be shown.
func digestSection(c checkinmodels.Checkin, a DigestAnswer) (s string, trimmed, ok bool) {
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
		if q.Anonymous || q.Personal() || v == "" {
			continue
		}
		prompt := mrkdwn.Bound(strings.TrimSpace(q.Prompt), reportHeaderMax)
		if prompt == "" {
			prompt = fmt.Sprintf("Question %d", pos)
		}
		it := item{prompt: "*" + prompt + "*"}
		switch q.Kind {
		case checkinmodels.KindScale, checkinmodels.KindChoice, checkinmodels.KindBlocked:
			if q.Kind == checkinmodels.KindBlocked && v == ValueYes {
				blocked = true
			}
			it.body = reportShortAnswer(q, v, a.Helper[key])
			if utf8.RuneCountInString(it.body) > digestShortMax {
				it.body = mrkdwn.Bound(v, digestShortMax)
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
				body = mrkdwn.Bound(body, limit)
			}
			parts = append(parts, it.prompt+"\n"+body)
		}
		return strings.Join(parts, "\n"), cut
	}
	for limit := digestAnswerMax; ; limit -= 20 {
		s, cut := build(max(limit, 2))
		if utf8.RuneCountInString(s) <= reportSectionMax || limit <= 2 {
			return mrkdwn.Clip(s, reportSectionMax), cut, true
		}
	}
}
