package peers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models/peers"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The circles' messages. Text people typed — the network's name, an
// admin's prompt, a commitment, an ask, a display name — reaches them
// only through mrkdwn.Bound, so nothing in it can mention, broadcast or
// link; the only mentions are built from stored Slack ids. Blocks carry
// no block ids: the engine may merge several messages into one.

// bound lengths of what people typed, as shown.
const (
	shownName   = peers.MaxNameLen + 20
	shownText   = 2800
	shownPerson = 100
)

// circSection is a mrkdwn section; text must already be escaped.
func circSection(text string) slack.Block {
	return slack.NewSectionBlock(mrkdwn.Text(text), nil, nil)
}

// mention is a mention of a stored Slack id, or nothing for anything else.
func mention(user string) string {
	if !mrkdwn.IsUserID(user) {
		return "someone"
	}
	return "<@" + user + ">"
}

// mentions lists users as mentions: "<@A>, <@B> and <@C>".
func mentions(users []string) string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = mention(u)
	}
	switch len(out) {
	case 0:
		return "nobody"
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

// quoteText is the most characters of a quote, counted as Slack counts
// them: escaped, with its "> " marks. Every section quoting typed text
// adds less than 300 characters of its own (a bounded name and network
// name, a sentence), so it stays within mrkdwn.MaxSectionText.
const quoteText = 2600

// quote is typed text as a mrkdwn quote, escaped and bounded to quoteText
// characters once escaped and quoted: each line's "> " counts, so text
// of many short lines or of "&", "<" and ">" is cut, ending in "…", and
// never breaks Slack's section limit.
func quote(text string) string {
	const mark = len("> ")
	budget := quoteText - mark - len("…")
	w, end := 0, len(text)
	for i, r := range text {
		cost := mrkdwn.Width(string(r))
		if r == '\n' {
			cost += mark
		}
		if w+cost > budget {
			end = i
			break
		}
		w += cost
	}
	body := mrkdwn.Escape(text[:end])
	if end < len(text) {
		body += "…"
	}
	return "> " + strings.ReplaceAll(body, "\n", "\n> ")
}

// netName is the network's name, escaped and bounded, in bold.
func netName(n peers.Network) string { return "*" + mrkdwn.Bound(n.Name, shownName) + "*" }

// rhythm says when circles meet: "every 2 weeks on Mondays".
func rhythm(n peers.Network) string { return fmt.Sprintf("%s on %ss", n.Cadence, n.Weekday) }

// welcomeMessage welcomes a circle to its term.
func welcomeMessage(n peers.Network, term peers.Round, g peers.RoundGroup) engine.Message {
	head := fmt.Sprintf("*Welcome to your circle* in %s: %s.", netName(n), mentions(g.Users()))
	when := fmt.Sprintf("You meet %s, from %s to %s. Each session, Trellis names a facilitator and a prompt here; find a time that suits you all.",
		rhythm(n), term.StartsOn.Format("Mon 2 Jan 2006"), term.EndsOn.Format("Mon 2 Jan 2006"))
	return engine.Message{Text: "Welcome to your circle in " + mrkdwn.Bound(n.Name, shownName),
		Blocks: []slack.Block{circSection(head), circSection(when), circSection(mrkdwn.Bound(peers.SessionFormat, shownText))}}
}

// leftMessage tells someone they are in no circle this term, and why.
func leftMessage(n peers.Network, term peers.Round, why string) engine.Message {
	text := fmt.Sprintf("You are not in a circle of %s this term (%s to %s): %s. Trellis looks again at each session, and at the next term.",
		netName(n), term.StartsOn.Format("2 Jan"), term.EndsOn.Format("2 Jan 2006"), mrkdwn.Bound(why, 300))
	return engine.Message{Text: "No circle for you this term", Blocks: []slack.Block{circSection(text)}}
}

// sessionMessage is a session's group DM to the members present, saying
// who joins the circle at it (joined).
func sessionMessage(n peers.Network, ss peers.Session, p peers.Prompt, joined []string) engine.Message {
	head := fmt.Sprintf("*Circle session %d* of %s, %s. With %s.", ss.Number, netName(n), ss.On.Format("Monday 2 January"), mentions(ss.Present))
	blocks := []slack.Block{circSection(head)}
	if len(joined) > 0 {
		blocks = append(blocks, circSection(fmt.Sprintf("%s %s the circle: welcome!", mentions(joined), plural(len(joined), "joins", "join"))))
	}
	if ss.Facilitator != "" {
		blocks = append(blocks, circSection(fmt.Sprintf("%s facilitates this time.", mention(ss.Facilitator))))
	}
	if p.Text != "" {
		blocks = append(blocks, circSection("*Today's prompt*\n"+quote(p.Text)))
	}
	blocks = append(blocks, circSection(mrkdwn.Bound(peers.SessionFormat, shownText)))
	return engine.Message{Text: fmt.Sprintf("Circle session %d of %s", ss.Number, mrkdwn.Bound(n.Name, shownName)), Blocks: blocks}
}

// recallMessage reminds one person, privately, of what they said they
// would try.
func recallMessage(n peers.Network, cm peers.Commitment) engine.Message {
	text := fmt.Sprintf("Your circle in %s meets today. Last time you said you'd try:\n%s\nHow did it go? Only you see this.", netName(n), quote(cm.Text))
	return engine.Message{Text: "Last time you said you'd try something", Blocks: []slack.Block{circSection(text)}}
}

// commitAskMessage asks one person what they will try before the next
// session.
func commitAskMessage(n peers.Network, ss peers.Session) engine.Message {
	text := fmt.Sprintf("*What will you try* before your next circle session in %s? Write it down: only you see it, unless you choose to share it with your circle.", netName(n))
	btn := slack.NewButtonBlockElement(ActionCommit, strconv.FormatInt(ss.ID, 10), mrkdwn.PlainText("What will you try?"))
	return engine.Message{Text: "What will you try before your next circle session?",
		Blocks: []slack.Block{circSection(text), slack.NewActionBlock("", btn)}}
}

// shareMessage posts a shared commitment to the circle, under its
// author's name.
func shareMessage(n peers.Network, name string, cm peers.Commitment) engine.Message {
	text := fmt.Sprintf("*%s* shares what they will try before the next session of %s:\n%s", mrkdwn.Bound(name, shownPerson), netName(n), quote(cm.Text))
	return engine.Message{Text: mrkdwn.Bound(name, shownPerson) + " shares what they will try", Blocks: []slack.Block{circSection(text)}}
}

// askMessage is an anonymous ask in the network's channel.
func askMessage(n peers.Network, a peers.Ask) engine.Message {
	text := fmt.Sprintf("Someone in this network asks:\n%s\nReply in a thread if you can help.", quote(a.Text))
	return engine.Message{Text: "Someone in " + mrkdwn.Bound(n.Name, shownName) + " asks a question", Blocks: []slack.Block{circSection(text)}}
}
