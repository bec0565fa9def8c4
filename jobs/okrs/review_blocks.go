package okrs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The review DM's blocks. Text a person typed (the cycle's name, titles,
// units) reaches them only through mrkdwn.Bound, and the blocks carry no
// block ids, so a review merged with another DM keeps Slack's unique-id
// rule.

// ReviewLine is one key result a review DM lists.
type ReviewLine struct {
	KeyResult okrs.KeyResult
	// Objective is the title of the key result's objective.
	Objective string
	// Final is the key result's effective state at the cycle's end.
	Final okrs.Effective
}

// ReviewInput is what a review DM shows.
type ReviewInput struct {
	Cycle okrs.Cycle
	Items []ReviewLine
}

// ReviewMessage is the review DM: a head naming the cycle and the day it
// ended, each key result (up to ReviewListed; the rest counted) with its
// objective, final value against its target, progress and the grade the
// form starts from (okrs.PrefillGrade), and the "Review my key results"
// button (ReviewActionID).
func ReviewMessage(in ReviewInput) engine.Message {
	n := len(in.Items)
	name := mrkdwn.Bound(strings.TrimSpace(in.Cycle.Name), okrs.MaxNameLen)
	head := fmt.Sprintf("*Time to review “%s”*\nThe cycle ended on %s. Grade %s from 0.0 to 1.0 (I've filled in "+
		"the grades from progress), say what is done, carries over to the next cycle or is dropped, and note what you learned.",
		name, in.Cycle.End.Format("Monday 2 January"), plural(n, "key result", "key results"))
	blocks := []slack.Block{section("", head)}
	for i, it := range in.Items {
		if i == ReviewListed {
			break
		}
		blocks = append(blocks, section("", reviewLine(it)))
	}
	if more := n - ReviewListed; more > 0 {
		blocks = append(blocks, slack.NewContextBlock("",
			mrkdwn.Text(fmt.Sprintf("…and %d more. The form has them all.", more))))
	}
	blocks = append(blocks, slack.NewActionBlock("",
		slack.NewButtonBlockElement(ReviewActionID(in.Cycle.ID), strconv.FormatInt(in.Cycle.ID, 10),
			mrkdwn.PlainText("Review my key results")).WithStyle(slack.StylePrimary)))
	text := "OKR review: " + mrkdwn.Bound(strings.TrimSpace(in.Cycle.Name), okrs.MaxNameLen) + " ended, " +
		plural(n, "key result", "key results") + " to review"
	return engine.Message{Text: clipBytes(text, nudgeTextMax), Blocks: blocks}
}

// reviewLine is one key result of a review DM: its title and objective,
// then its final value, progress and prefilled grade.
func reviewLine(it ReviewLine) string {
	k := KRStatus{KeyResult: it.KeyResult, Objective: it.Objective, Current: it.Final}
	line := "*" + mrkdwn.Bound(strings.TrimSpace(it.KeyResult.Title), okrs.MaxTitleLen) + "*"
	if o := strings.TrimSpace(it.Objective); o != "" {
		line += "  ·  " + mrkdwn.Bound(o, okrs.MaxTitleLen)
	}
	facts := []string{valueText(k)}
	if it.KeyResult.Kind != okrs.Milestone {
		facts = append(facts, progressText(k))
	}
	facts = append(facts, "grade "+strconv.FormatFloat(okrs.PrefillGrade(it.KeyResult, it.Final), 'f', 1, 64))
	return line + "\n" + strings.Join(facts, " · ")
}
