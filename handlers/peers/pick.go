package peers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models/peers"
)

// maxChoices bounds the networks a "which network?" reply names.
const maxChoices = 15

// inChannel is the channel a command was typed in, "" in a DM or
// elsewhere.
func inChannel(req *bot.Request) string {
	if req.Command == nil {
		return ""
	}
	ch := req.Command.ChannelID
	if strings.HasPrefix(ch, "C") || strings.HasPrefix(ch, "G") {
		return ch
	}
	return ""
}

// choices are the networks a person sees without naming one: in a
// channel its networks, then (and in a DM) the networks they are in.
func (h *Handlers) choices(ctx context.Context, req *bot.Request) (channel, mine []peers.Network, err error) {
	if ch := inChannel(req); ch != "" {
		if channel, err = h.store.NetworksInChannel(ctx, req.TeamID, ch); err != nil {
			return nil, nil, err
		}
	}
	of, err := h.store.NetworksOf(ctx, req.TeamID, req.UserID)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range of {
		mine = append(mine, m.Network)
	}
	return channel, mine, nil
}

// pick finds the network ref names (an id, or a name whatever its case)
// for verb, or, when ref is empty, the one network the person means: the
// channel's only network, else the only network they are in. Otherwise
// the reply asks which, listing the networks they can see.
func (h *Handlers) pick(ctx context.Context, req *bot.Request, ref, verb string) (peers.Network, *bot.Response, error) {
	ref = unquote(ref)
	if ref != "" {
		n, ok, err := h.find(ctx, req.TeamID, ref)
		if err != nil || ok {
			return n, nil, err
		}
		resp, err := h.which(ctx, req, fmt.Sprintf("I couldn't find a network called %s.", views.Code(ref)), verb)
		return peers.Network{}, resp, err
	}
	channel, mine, err := h.choices(ctx, req)
	if err != nil {
		return peers.Network{}, nil, err
	}
	switch {
	case len(channel) == 1:
		return channel[0], nil, nil
	case len(channel) == 0 && len(mine) == 1:
		return mine[0], nil, nil
	}
	resp, err := h.which(ctx, req, "Which network?", verb)
	return peers.Network{}, resp, err
}

// find reads the network ref names: its id, or its name whatever its
// case.
func (h *Handlers) find(ctx context.Context, ws, ref string) (peers.Network, bool, error) {
	all, err := h.store.Networks(ctx, ws)
	if err != nil {
		return peers.Network{}, false, err
	}
	if id, err := strconv.ParseInt(strings.TrimPrefix(ref, "#"), 10, 64); err == nil {
		if i := slices.IndexFunc(all, func(n peers.Network) bool { return n.ID == id }); i >= 0 {
			return all[i], true, nil
		}
	}
	key := strings.ToLower(strings.TrimSpace(ref))
	if i := slices.IndexFunc(all, func(n peers.Network) bool { return strings.ToLower(strings.TrimSpace(n.Name)) == key }); i >= 0 {
		return all[i], true, nil
	}
	return peers.Network{}, false, nil
}

// which is the reply asking which network verb is for, listing the
// networks the person sees (the channel's and their own).
func (h *Handlers) which(ctx context.Context, req *bot.Request, lead, verb string) (*bot.Response, error) {
	channel, mine, err := h.choices(ctx, req)
	if err != nil {
		return nil, err
	}
	var seen []peers.Network
	for _, n := range append(channel, mine...) {
		if !slices.ContainsFunc(seen, func(s peers.Network) bool { return s.ID == n.ID }) {
			seen = append(seen, n)
		}
	}
	example := fmt.Sprintf("`/trellis network %s NETWORK`, by its name or number.", verb)
	if len(seen) == 0 {
		return handlers.Notice(lead+" You aren't in any network, and there is none in this channel.",
			"`/trellis network list` in a channel lists its networks; "+example), nil
	}
	lines := []string{lead + " Name it: " + example}
	for i, n := range seen {
		if i == maxChoices {
			lines = append(lines, fmt.Sprintf("…and %d more.", len(seen)-i))
			break
		}
		lines = append(lines, fmt.Sprintf("• %d · *%s* (%s)", n.ID, views.Mrkdwn(n.Name, peers.MaxNameLen), kindLabel(n.Kind)))
	}
	return handlers.Notice(strings.Join(lines, "\n"), ""), nil
}

// unquote trims s and the straight or curly quotes around it.
func unquote(s string) string {
	s = strings.TrimSpace(s)
	for _, q := range [][2]string{{`"`, `"`}, {"“", "”"}, {"'", "'"}} {
		if len(s) >= len(q[0])+len(q[1]) && strings.HasPrefix(s, q[0]) && strings.HasSuffix(s, q[1]) {
			return strings.TrimSpace(s[len(q[0]) : len(s)-len(q[1])])
		}
	}
	return s
}

// kindLabel names a kind as people read it.
func kindLabel(k peers.NetworkKind) string {
	switch k {
	case peers.KindIntros:
		return "intros"
	case peers.KindCircles:
		return "manager circles"
	case peers.KindLearning:
		return "learning pairs"
	}
	return "network"
}
