package peers

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models/peers"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The intros' messages. Text a person typed — the network's name, people's
// display names — reaches them only through mrkdwn.Bound, so nothing in
// it can mention, broadcast or link; the only mentions are the members'
// own, built from stored Slack ids. The blocks carry no block ids: the
// engine may put two messages due together for the same people into one.

// nameMax bounds a display name where a message shows it.
const nameMax = 40

// textMax bounds a notification text, in characters.
const textMax = 300

// Starters are the conversation starters an intro offers, one per group
// (by its id).
var Starters = []string{
	"What's something your team shipped recently that you're proud of?",
	"What does a good week look like in your role?",
	"What's a problem you're chewing on that an outside view might help with?",
	"How did you end up doing the work you do now?",
	"What's one thing about your team that the rest of the company might not know?",
	"What's something you learned in the last month that surprised you?",
	"If you could fix one thing about how teams here work together, what would it be?",
	"What's a tool, habit or book that changed how you work?",
}

// Starter is the conversation starter of group id.
func Starter(id int64) string {
	if id < 0 {
		id = -id
	}
	return Starters[id%int64(len(Starters))]
}

// IntroMember is one person an intro introduces.
type IntroMember struct {
	User string
	// Name is their display name (typed by them in Slack; escaped here).
	Name string
	// Loc is their zone.
	Loc *time.Location
}

// IntroInput is what an intro shows.
type IntroInput struct {
	Network string
	Members []IntroMember
	// Times are the suggested start times, in the order to offer them.
	Times   []time.Time
	Starter string
}

// IntroMessage is the intro group DM: who they are, the network,
// suggested times in each member's own time, and a conversation starter.
func IntroMessage(in IntroInput) engine.Message {
	network := mrkdwn.Bound(in.Network, peers.MaxNameLen)
	mentions := make([]string, len(in.Members))
	for i, m := range in.Members {
		mentions[i] = "<@" + m.User + ">"
	}
	head := fmt.Sprintf("*Say hello: an intro from %s* :wave:\n%s — meet each other! You're in the *%s* peer network, "+
		"and this round it put you together for a half-hour chat: no agenda, just getting to know each other.",
		network, joinAnd(mentions), network)
	var who []string
	for _, m := range in.Members {
		line := "• <@" + m.User + ">"
		if name := strings.TrimSpace(m.Name); name != "" {
			line += " · " + mrkdwn.Bound(name, nameMax)
		}
		line += " · " + city(m.Loc) + " time"
		who = append(who, line)
	}
	blocks := []slack.Block{section(head), section(strings.Join(who, "\n"))}
	if len(in.Times) > 0 {
		lines := []string{"*Times you all work* (half an hour from each):"}
		for _, t := range in.Times {
			lines = append(lines, "• "+TimeLine(t, in.Members))
		}
		blocks = append(blocks, section(strings.Join(lines, "\n")))
	}
	if in.Starter != "" {
		blocks = append(blocks, section("*To get you started:* "+mrkdwn.Bound(in.Starter, 300)))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn.Text(
		"Pick a time that suits you all right here. Near the end of the round I'll ask how it went — just one click.")))
	text := mrkdwn.Bound("Intro from "+in.Network+": say hello to each other", textMax)
	return engine.Message{Text: text, Blocks: blocks}
}

// TimeLine is one suggested time in each member's own time: "Tue 12 Jan
// 15:00 (Ada, London) · 23:30 (Ravi, Kolkata)", a member's day written
// again only when it is not the one before's.
func TimeLine(t time.Time, members []IntroMember) string {
	var parts []string
	var prev string
	for _, m := range members {
		loc := m.Loc
		if loc == nil {
			loc = time.UTC
		}
		local := t.In(loc)
		day := local.Format("Mon 2 Jan")
		clock := local.Format("15:04")
		if day != prev {
			clock = day + " " + clock
		}
		prev = day
		who := mrkdwn.Bound(strings.TrimSpace(m.Name), nameMax)
		if who == "" {
			who = "<@" + m.User + ">"
		}
		parts = append(parts, fmt.Sprintf("%s (%s, %s)", clock, who, city(loc)))
	}
	return strings.Join(parts, " · ")
}

// city is a zone as people name it: "Europe/London" is London,
// "America/Argentina/Buenos_Aires" Buenos Aires.
func city(loc *time.Location) string {
	if loc == nil {
		return "UTC"
	}
	name := loc.String()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return strings.ReplaceAll(name, "_", " ")
}

// UnmatchedMessage is the personal note to someone a round left out: the
// reason, kindly, which for those who could take part says they come
// first next round.
func UnmatchedMessage(network string, reason peers.UnmatchedReason) engine.Message {
	name := mrkdwn.Bound(network, peers.MaxNameLen)
	blocks := []slack.Block{
		section(fmt.Sprintf("*No intro for you this round in %s*\n%s", name, mrkdwn.Bound(reason.Text(), 1000))),
	}
	return engine.Message{Text: mrkdwn.Bound("No intro this round in "+network, textMax), Blocks: blocks}
}

// section is a section of mrkdwn text already escaped.
func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn.Text(text), nil, nil)
}

// joinAnd joins "a", "a and b", "a, b and c".
func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}
