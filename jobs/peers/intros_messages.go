package peers

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

// IntroDM is the one-off of a group's intro, a group DM to its members.
type IntroDM struct {
	Group int64 `json:"group"`
}

// OneOffKind names intros among the one-offs of Kind.
func (IntroDM) OneOffKind() string { return "intro" }

// OneOffVersion is the version of IntroDM's JSON form.
func (IntroDM) OneOffVersion() int { return 1 }

// OneOffKey is the group: one intro per group.
func (d IntroDM) OneOffKey() string { return strconv.FormatInt(d.Group, 10) }

// suggested is how many times an intro suggests, and how long after it is
// sent the first may start.
const (
	suggested  = 3
	suggestGap = time.Hour
)

func (d IntroDM) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	ws := c.Occurrence.WorkspaceID
	g, n, err := s.liveGroup(ctx, ws, d.Group)
	if err != nil {
		return engine.Message{}, err
	}
	byID := map[string]models.Person{}
	for _, p := range c.Members {
		byID[p.UserID] = p
	}
	var members []IntroMember
	for _, u := range g.Users() {
		p, ok := byID[u]
		if !ok {
			if p, err = s.ppl.Get(ctx, ws, u); err != nil {
				return skipIfGone(err, "a member is no longer known to Trellis")
			}
		}
		members = append(members, IntroMember{User: u, Name: p.Name, Loc: p.Location()})
	}
	times := peers.SuggestTimes(after(g.Shared, s.clock.Now().Add(suggestGap)), suggested, peers.DefaultSlot)
	return IntroMessage(IntroInput{Network: n.Name, Members: members, Times: times, Starter: Starter(g.ID)}), nil
}

// UnmatchedDM is the one-off of the note to a person a round left out.
type UnmatchedDM struct {
	Round int64 `json:"round"`
}

// OneOffKind names the notes among the one-offs of Kind.
func (UnmatchedDM) OneOffKind() string { return "unmatched" }

// OneOffVersion is the version of UnmatchedDM's JSON form.
func (UnmatchedDM) OneOffVersion() int { return 1 }

// OneOffKey is the round: one note per round and person.
func (d UnmatchedDM) OneOffKey() string { return strconv.FormatInt(d.Round, 10) }

func (d UnmatchedDM) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	ws, user := c.Occurrence.WorkspaceID, c.Occurrence.Recipient
	r, err := s.store.Round(ctx, ws, d.Round)
	if err != nil {
		return skipIfGone(err, "the round no longer exists")
	}
	n, err := s.liveNetwork(ctx, ws, r.NetworkID)
	if err != nil {
		return engine.Message{}, err
	}
	if err := s.stillIn(ctx, ws, n.ID, user); err != nil {
		return engine.Message{}, err
	}
	left, err := s.store.Unmatched(ctx, ws, r.ID)
	if err != nil {
		return engine.Message{}, err
	}
	for _, u := range left {
		if u.User == user {
			return UnmatchedMessage(n.Name, ParseReason(u.Reason)), nil
		}
	}
	return engine.Message{}, engine.Skip("they were not left out of the round")
}

// ParseReason reads a stored reason (UnmatchedReason.String); anything
// else is NoPartner.
func ParseReason(s string) peers.UnmatchedReason {
	for _, r := range []peers.UnmatchedReason{peers.NoOverlap, peers.Away, peers.Paused} {
		if r.String() == s {
			return r
		}
	}
	return peers.NoPartner
}

// liveNetwork is network id, or a skip when it was deleted or is paused.
func (s *Service) liveNetwork(ctx context.Context, ws string, id int64) (peers.Network, error) {
	n, err := s.store.Network(ctx, ws, id)
	if err != nil {
		_, err := skipIfGone(err, "the peer network was deleted")
		return peers.Network{}, err
	}
	if n.Paused {
		return peers.Network{}, engine.Skip("the peer network is paused")
	}
	return n, nil
}

// liveGroup is group id and its network, or a skip when the group or its
// network is gone, the network is paused, or a member left it.
func (s *Service) liveGroup(ctx context.Context, ws string, id int64) (peers.RoundGroup, peers.Network, error) {
	g, err := s.store.Group(ctx, ws, id)
	if err != nil {
		_, err := skipIfGone(err, "the group no longer exists")
		return peers.RoundGroup{}, peers.Network{}, err
	}
	n, err := s.liveNetwork(ctx, ws, g.NetworkID)
	if err != nil {
		return peers.RoundGroup{}, peers.Network{}, err
	}
	parts, err := s.store.Participants(ctx, ws, n.ID)
	if err != nil {
		return peers.RoundGroup{}, peers.Network{}, err
	}
	in := map[string]bool{}
	for _, p := range parts {
		in[p.User] = !p.Left
	}
	for _, u := range g.Users() {
		if !in[u] {
			return peers.RoundGroup{}, peers.Network{}, engine.Skip("a member of the group left the network")
		}
	}
	return g, n, nil
}

// stillIn is nil when user is in network id, else a skip.
func (s *Service) stillIn(ctx context.Context, ws string, id int64, user string) error {
	p, err := s.store.Participant(ctx, ws, id, user)
	if err != nil {
		_, err := skipIfGone(err, "they left the network")
		return err
	}
	if p.Left {
		return engine.Skip("they left the network")
	}
	return nil
}

// skipIfGone turns a not-found into a skip with reason; other errors
// (the database) make the engine try again.
func skipIfGone(err error, reason string) (engine.Message, error) {
	if errors.Is(err, models.ErrNotFound) {
		return engine.Message{}, engine.Skip(reason)
	}
	return engine.Message{}, err
}
