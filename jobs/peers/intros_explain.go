package peers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

// Explain answers user's "why was I paired with …?" about the latest
// round of intros network networkID, from what is stored: their group
// and its shared spans, the history of their own meetings, or the reason
// they were told when left out. It does not replay the matching (that
// would need everyone's windows as they were); it never reads anyone's
// Avoid list, nor another person's away or paused state, so it cannot
// reveal them.
func (s *Service) Explain(ctx context.Context, ws string, networkID int64, user string) (string, error) {
	n, err := s.store.Network(ctx, ws, networkID)
	if err != nil {
		return "", fmt.Errorf("explain: %w", err)
	}
	if n.Kind != peers.KindIntros {
		return "This network doesn't make intros, so there is no pairing to explain.", nil
	}
	r, ok, err := s.store.LatestRound(ctx, ws, n.ID, peers.RoundRound)
	if err != nil {
		return "", fmt.Errorf("explain: %w", err)
	}
	if !ok {
		return "This network hasn't had a round of intros yet.", nil
	}
	g, grouped, err := s.store.GroupOf(ctx, ws, r.ID, user)
	if err != nil {
		return "", fmt.Errorf("explain: %w", err)
	}
	if !grouped {
		left, err := s.store.Unmatched(ctx, ws, r.ID)
		if err != nil {
			return "", fmt.Errorf("explain: %w", err)
		}
		for _, u := range left {
			if u.User == user {
				return fmt.Sprintf("Round %d: %s", r.Number, ParseReason(u.Reason).Text()), nil
			}
		}
		return fmt.Sprintf("You weren't taking part in round %d of intros.", r.Number), nil
	}
	history, err := s.store.History(ctx, ws, n.ID, peers.RoundRound, HistoryRounds)
	if err != nil {
		return "", fmt.Errorf("explain: %w", err)
	}
	loc := n.Location()
	if p, err := s.ppl.Get(ctx, ws, user); err == nil {
		loc = p.Location()
	} else if !errors.Is(err, models.ErrNotFound) {
		return "", fmt.Errorf("explain: %w", err)
	}
	var b strings.Builder
	var others []string
	for _, u := range g.Users() {
		if u != user {
			others = append(others, "<@"+u+">")
		}
	}
	fmt.Fprintf(&b, "In round %d you're meeting %s.", r.Number, joinAnd(others))
	repeat := false
	for _, u := range g.Users() {
		if u == user {
			continue
		}
		last := 0
		for _, h := range history {
			if h.Round < r.Number && h.Round > last && ((h.A == user && h.B == u) || (h.B == user && h.A == u)) {
				last = h.Round
			}
		}
		if last > 0 {
			repeat = true
			fmt.Fprintf(&b, " You and <@%s> met before, most recently in round %d.", u, last)
		} else {
			fmt.Fprintf(&b, " You and <@%s> haven't been introduced before.", u)
		}
	}
	if repeat {
		b.WriteString(" We always look for people you haven't met first; this round nobody new who shares enough of your working hours could be put with you.")
	}
	b.WriteString(" We put together people who share at least half an hour of working time on two days of the round, preferring people from other teams.")
	if len(g.Shared) > 0 {
		days := plural(len(g.Shared), "day", "days")
		fmt.Fprintf(&b, " You share working hours on %d %s, first %s (your time).", len(g.Shared), days,
			g.Shared[0].Start.In(loc).Format("Mon 2 Jan 15:04"))
	}
	return b.String(), nil
}
