package peers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// Item is one network as the list and the Home tab show it.
type Item struct {
	Network peers.Network
	// People counts its people: those taking part and those paused
	// alike (not those who left), so that the count never tells who
	// paused, or when.
	People int
	// Next is the day its next round starts (circles meet), in its zone.
	Next calendar.Date
	// Mine is the viewer's own participation; nil when they are not in
	// it.
	Mine *peers.Participant
}

// maxListed bounds the networks a list shows, within a message's 50
// blocks.
const maxListed = 40

// NextRound is the first day on or after today a round of n starts (its
// circles meet), by the calendar of models/peers (rounds.go).
func NextRound(n peers.Network, today calendar.Date) calendar.Date {
	period := n.Cadence.Period()
	if period <= 0 {
		return calendar.Date{}
	}
	k, ok := peers.RoundOn(n.Anchor, period, today)
	if !ok {
		return n.Anchor
	}
	if start := peers.RoundStart(n.Anchor, period, k); start == today {
		return start
	}
	return peers.RoundStart(n.Anchor, period, k+1)
}

// itemOf is n with its count of people, next round and the viewer's
// part.
func (h *Handlers) itemOf(ctx context.Context, ws, user string, n peers.Network) (Item, error) {
	ps, err := h.store.Participants(ctx, ws, n.ID)
	if err != nil {
		return Item{}, err
	}
	today := h.today(n)
	it := Item{Network: n, Next: NextRound(n, today)}
	for _, p := range ps {
		if !p.Left {
			it.People++
		}
		if p.User == user {
			p := p
			it.Mine = &p
		}
	}
	return it, nil
}

// list answers /trellis network list: in a channel its networks, in a DM
// the networks the person is in (or left).
func (h *Handlers) list(ctx context.Context, req *bot.Request, p models.Person) (*bot.Response, error) {
	var nets []peers.Network
	heading := "Your networks"
	if ch := inChannel(req); ch != "" {
		var err error
		if nets, err = h.store.NetworksInChannel(ctx, req.TeamID, ch); err != nil {
			return nil, err
		}
		heading = "Networks of this channel"
		if len(nets) == 0 {
			return handlers.Notice("This channel has no network yet.", "`/trellis network new` makes one here: intros, manager circles or learning pairs."), nil
		}
	} else {
		of, err := h.store.NetworksOf(ctx, req.TeamID, req.UserID)
		if err != nil {
			return nil, err
		}
		for _, m := range of {
			nets = append(nets, m.Network)
		}
		if len(nets) == 0 {
			return handlers.Notice("You aren't in any network.", "In a channel, `/trellis network list` lists its networks."), nil
		}
	}
	var items []Item
	for _, n := range nets {
		it, err := h.itemOf(ctx, req.TeamID, req.UserID, n)
		if errors.Is(err, peers.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return handlers.Reply(fmt.Sprintf("%s: %d", heading, len(items)), NetworkList(items, heading)), nil
}

// NetworkList is the list of networks: a heading, then one section each
// (its name and number, kind, cadence and day, next round in its zone,
// its number of people, paused or not, and the viewer's own state), at most maxListed.
func NetworkList(items []Item, heading string) []slack.Block {
	blocks := []slack.Block{views.Section(fmt.Sprintf("*%s* (%d)", views.Mrkdwn(heading, 100), len(items)), nil)}
	used := mrkdwn.TextLen(blocks[0]) + 300 // the closing lines
	for i, it := range items {
		b := views.Section(itemText(it), nil)
		if i == maxListed || used+mrkdwn.TextLen(b) > mrkdwn.MessageTextBudget {
			blocks = append(blocks, views.Section(fmt.Sprintf("…and %d more.", len(items)-i), nil))
			break
		}
		used += mrkdwn.TextLen(b)
		blocks = append(blocks, b)
	}
	blocks = append(blocks, slack.NewContextBlock("", views.MrkdwnText("`/trellis network pause me NETWORK`, `leave NETWORK`, `join NETWORK`: your part is yours to change, and nobody has to explain.")))
	return blocks
}

// itemText is one network's lines.
func itemText(it Item) string {
	n := it.Network
	var b strings.Builder
	fmt.Fprintf(&b, "%s · %d · %s", name(n), n.ID, kindLabel(n.Kind))
	if mrkdwn.IsChannelID(n.Channel) {
		fmt.Fprintf(&b, " in <#%s>", n.Channel)
	}
	fmt.Fprintf(&b, "\n%s on %ss", cadenceLabel(n.Cadence), n.Weekday)
	switch {
	case n.Paused:
		b.WriteString(" · _paused by its owner_")
	case !it.Next.IsZero():
		fmt.Fprintf(&b, " · next round %s (%s)", it.Next.Format("Mon 2 Jan"), views.Mrkdwn(n.ChannelTZ, maxZoneLen))
	}
	fmt.Fprintf(&b, " · %d %s", it.People, views.Plural(it.People, "person", "people"))
	if it.Mine != nil {
		b.WriteString("\nYou: " + stateText(*it.Mine))
	}
	return b.String()
}

// stateText is a person's own state in a network.
func stateText(p peers.Participant) string {
	switch {
	case p.Left:
		return "you left it"
	case p.Paused:
		return "paused until you resume"
	case !p.PausedUntil.IsZero():
		return "paused through " + p.PausedUntil.Format("Mon 2 Jan 2006")
	}
	return "taking part"
}

// homeSection is the peer networks' part of the Home tab: the person's
// networks and their state in each, as text.
func (h *Handlers) homeSection(ctx context.Context, req *bot.Request, p models.Person, room views.HomeRoom) ([]slack.Block, error) {
	of, err := h.store.NetworksOf(ctx, req.TeamID, req.UserID)
	if err != nil {
		return nil, err
	}
	var items []Item
	for _, m := range of {
		it, err := h.itemOf(ctx, req.TeamID, req.UserID, m.Network)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return HomeSection(items, room), nil
}

// HomeSection is the Home tab's section for the person's networks,
// within room: a heading and one line each, and a count of those left
// out. No networks, no section.
func HomeSection(items []Item, room views.HomeRoom) []slack.Block {
	if len(items) == 0 || room.Blocks < 2 {
		return nil
	}
	head := views.Section("*Your peer networks*", nil)
	used := mrkdwn.TextLen(head)
	var lines []string
	for i, it := range items {
		n := it.Network
		line := fmt.Sprintf("• %s (%s) · ", name(n), kindLabel(n.Kind))
		if it.Mine != nil {
			line += stateText(*it.Mine)
		}
		if n.Paused {
			line += " · the network is paused"
		} else if !it.Next.IsZero() && it.Mine != nil && it.Mine.Active(it.Next) {
			line += " · next round " + it.Next.Format("Mon 2 Jan")
		}
		more := fmt.Sprintf("\n_and %d more in `/trellis network list`_", len(items)-i)
		if used+len(strings.Join(append(lines, line), "\n"))+len(more)+8 > min(room.Text, mrkdwn.MaxSectionText-100) {
			lines = append(lines, strings.TrimPrefix(more, "\n"))
			break
		}
		lines = append(lines, line)
	}
	return []slack.Block{head, views.Section(strings.Join(lines, "\n"), nil)}
}
