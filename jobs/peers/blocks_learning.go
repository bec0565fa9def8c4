package peers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The learning pairs' messages; text people typed (the network's name, a
// skill) goes through mrkdwn.Bound, as in blocks_circle.go.

// teacherLearner are a learning pair's teacher and learners.
func teacherLearner(g peers.RoundGroup) (string, []string) {
	teacher, learners := "", []string(nil)
	for _, m := range g.Members {
		if m.Role == peers.RoleTeacher {
			teacher = m.User
		} else {
			learners = append(learners, m.User)
		}
	}
	return teacher, learners
}

// skillName is a skill, escaped and bounded, in bold.
func skillName(g peers.RoundGroup) string { return "*" + mrkdwn.Bound(g.Skill, 80) + "*" }

// learningIntroMessage introduces a new learning pair, with suggested
// times in each person's own zone.
func learningIntroMessage(n peers.Network, g peers.RoundGroup, r peers.Round, members []models.Person) engine.Message {
	teacher, learners := teacherLearner(g)
	head := fmt.Sprintf("*A new learning pair* in %s: %s teaches %s to %s, until %s.",
		netName(n), mention(teacher), skillName(g), mentions(learners), r.EndsOn.Format("Mon 2 Jan 2006"))
	blocks := []slack.Block{circSection(head)}
	times := peers.SuggestTimes(g.Shared, suggested, peers.DefaultSlot)
	if len(times) > 0 {
		var sb strings.Builder
		sb.WriteString("*Times you both work* (30 minutes each):")
		for _, t := range times {
			var each []string
			for _, p := range members {
				loc := p.Location()
				each = append(each, fmt.Sprintf("%s %s", mention(p.UserID), t.In(loc).Format("Mon 2 Jan 15:04")))
			}
			sb.WriteString("\n• " + strings.Join(each, " · "))
		}
		blocks = append(blocks, circSection(sb.String()))
	}
	blocks = append(blocks, circSection("Trellis checks in with each of you every two weeks: a tap says how it goes, or ends the pair."))
	return engine.Message{Text: "A new learning pair: " + mrkdwn.Bound(g.Skill, 80), Blocks: blocks}
}

// learningCheckinMessage is the fortnightly check-in to one of a pair.
func learningCheckinMessage(n peers.Network, g peers.RoundGroup, user string) engine.Message {
	teacher, learners := teacherLearner(g)
	with := mention(teacher)
	if user == teacher {
		with = mentions(learners)
	}
	text := fmt.Sprintf("How is your learning pair on %s with %s going (%s)?", skillName(g), with, netName(n))
	id := strconv.FormatInt(g.ID, 10)
	// Ending cannot be undone from here: Slack asks before it sends.
	end := slack.NewButtonBlockElement(ActionLearningEnd, id, mrkdwn.PlainText("End the pair")).WithStyle(slack.StyleDanger).
		WithConfirm(slack.NewConfirmationBlockObject(mrkdwn.PlainText("End the pair?"),
			mrkdwn.PlainText("This ends your learning pair for both of you: no more check-ins about it. Your skills stay as they are."),
			mrkdwn.PlainText("End it"), mrkdwn.PlainText("Keep it")))
	return engine.Message{Text: "How is your learning pair going?", Blocks: []slack.Block{circSection(text), slack.NewActionBlock("",
		slack.NewButtonBlockElement(ActionLearningWell, id, mrkdwn.PlainText("Going well")),
		slack.NewButtonBlockElement(ActionLearningNotMet, id, mrkdwn.PlainText("We haven't met")),
		end)}}
}

// learningClosingMessage thanks one of a pair on its last day.
func learningClosingMessage(n peers.Network, g peers.RoundGroup, user string) engine.Message {
	teacher, learners := teacherLearner(g)
	with := mention(teacher)
	if user == teacher {
		with = mentions(learners)
	}
	text := fmt.Sprintf("Your learning pair on %s with %s (%s) ends today. Thank you! To keep learning, update your skills and the next round may pair you again.",
		skillName(g), with, netName(n))
	return engine.Message{Text: "Your learning pair ends today", Blocks: []slack.Block{circSection(text)}}
}
