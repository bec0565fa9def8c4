package peers

import (
	"context"
	"fmt"
	"strconv"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models/peers"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// CountsPost is the one-off of the post in an intros network's channel,
// the day after a round ends, saying how its intros went. It never names
// anyone.
type CountsPost struct {
	Round int64 `json:"round"`
}

// OneOffKind names the counts post among the one-offs of Kind.
func (CountsPost) OneOffKind() string { return "counts" }

// OneOffVersion is the version of CountsPost's JSON form.
func (CountsPost) OneOffVersion() int { return 1 }

// OneOffKey is the round: one post per round.
func (p CountsPost) OneOffKey() string { return strconv.FormatInt(p.Round, 10) }

// Counts are how a round's intros went.
type Counts struct {
	Intros, Met, NotYet, Couldnt, NoAnswer int
}

// CountOutcomes counts the outcomes of groups.
func CountOutcomes(groups []peers.RoundGroup) Counts {
	c := Counts{Intros: len(groups)}
	for _, g := range groups {
		switch g.Outcome {
		case peers.OutcomeMet:
			c.Met++
		case peers.OutcomeNotYet:
			c.NotYet++
		case peers.OutcomeCouldnt:
			c.Couldnt++
		default:
			c.NoAnswer++
		}
	}
	return c
}

// CountsText is the counts line: "This round: 12 intros — 8 met, 2 not
// yet, 1 couldn't, 1 no answer", split only when the round had at least
// minGroup intros (the workspace's minimum group size for anonymous
// aggregates), else only the total.
func CountsText(c Counts, minGroup int) string {
	total := fmt.Sprintf("This round: %d %s", c.Intros, plural(c.Intros, "intro", "intros"))
	if c.Intros < max(minGroup, 1) {
		return total
	}
	return fmt.Sprintf("%s — %d met, %d not yet, %d couldn't, %d no answer", total, c.Met, c.NotYet, c.Couldnt, c.NoAnswer)
}

// CountsMessage is the channel post of a round's counts.
func CountsMessage(network string, c Counts, minGroup int) engine.Message {
	line := CountsText(c, minGroup)
	name := mrkdwn.Bound(network, peers.MaxNameLen)
	blocks := []slack.Block{
		section(fmt.Sprintf("*%s* · %s", name, line)),
		slack.NewContextBlock("", mrkdwn.Text("Counted from the follow-ups' answers; nobody is named.")),
	}
	return engine.Message{Text: mrkdwn.Bound(network+": "+line, textMax), Blocks: blocks}
}

func (p CountsPost) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	ws := c.Occurrence.WorkspaceID
	r, err := s.store.Round(ctx, ws, p.Round)
	if err != nil {
		return skipIfGone(err, "the round no longer exists")
	}
	n, err := s.liveNetwork(ctx, ws, r.NetworkID)
	if err != nil {
		return engine.Message{}, err
	}
	groups, err := s.store.Groups(ctx, ws, r.ID)
	if err != nil {
		return engine.Message{}, err
	}
	if len(groups) == 0 {
		return engine.Message{}, engine.Skip("the round made no intros")
	}
	w, err := s.wss.Get(ctx, ws)
	if err != nil {
		return engine.Message{}, err
	}
	return CountsMessage(n.Name, CountOutcomes(groups), w.MinGroupSize), nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
