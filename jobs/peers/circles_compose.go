package peers

import (
	"context"
	"errors"
	"strconv"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

// circleWelcome is a new circle's welcome group DM.
type circleWelcome struct {
	GroupID int64 `json:"group"`
}

func (circleWelcome) OneOffKind() string  { return "circle_welcome" }
func (circleWelcome) OneOffVersion() int  { return 1 }
func (m circleWelcome) OneOffKey() string { return strconv.FormatInt(m.GroupID, 10) }
func (m circleWelcome) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	ws := c.Occurrence.WorkspaceID
	n, g, err := s.circleState(ctx, ws, m.GroupID)
	if err != nil {
		return engine.Message{}, err
	}
	if !g.EndedOn.IsZero() {
		return engine.Message{}, engine.Skip("the circle ended")
	}
	term, err := s.store.Round(ctx, ws, g.RoundID)
	if err != nil {
		return engine.Message{}, err
	}
	if today(n, c.Occurrence.NominalAt).After(term.EndsOn) {
		return engine.Message{}, engine.Skip("the circle's term is over")
	}
	return welcomeMessage(n, term, g), nil
}

// circleLeft is the personal DM to someone a term left out of every
// circle, with why.
type circleLeft struct {
	RoundID int64 `json:"round"`
}

func (circleLeft) OneOffKind() string  { return "circle_left" }
func (circleLeft) OneOffVersion() int  { return 1 }
func (m circleLeft) OneOffKey() string { return strconv.FormatInt(m.RoundID, 10) }
func (m circleLeft) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	ws, user := c.Occurrence.WorkspaceID, recipientOf(c)
	term, err := s.store.Round(ctx, ws, m.RoundID)
	if errors.Is(err, models.ErrNotFound) {
		return engine.Message{}, engine.Skip("removed: the peer network was deleted")
	}
	if err != nil {
		return engine.Message{}, err
	}
	n, err := s.store.Network(ctx, ws, term.NetworkID)
	if errors.Is(err, models.ErrNotFound) {
		return engine.Message{}, engine.Skip("removed: the peer network was deleted")
	}
	if err != nil {
		return engine.Message{}, err
	}
	if err := s.stillMember(ctx, ws, n, user); err != nil {
		return engine.Message{}, err
	}
	if _, in, err := s.store.GroupOf(ctx, ws, term.ID, user); err != nil {
		return engine.Message{}, err
	} else if in {
		return engine.Message{}, engine.Skip("you joined a circle this term since")
	}
	left, err := s.store.Unmatched(ctx, ws, term.ID)
	if err != nil {
		return engine.Message{}, err
	}
	for _, l := range left {
		if l.User == user {
			minSize := n.MinSize
			if minSize == 0 {
				minSize = peers.DefaultCircleMin
			}
			why := peers.CircleLeftReason(l.Reason).Text(minSize, peers.DefaultCircleMinOverlap)
			return leftMessage(n, term, why), nil
		}
	}
	return engine.Message{}, engine.Skip("you are in a circle this term")
}
