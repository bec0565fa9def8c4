package peers

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// IgnoredToAsk is the number of follow-ups in a row a person leaves
// unanswered before a personal DM asks whether to pause their intros:
// once per streak.
const IgnoredToAsk = 3

// ErrNotMember is returned when a person answers for a group they are not
// in: nothing is stored.
var ErrNotMember = errors.New("peers: only the group's members can answer for it")

// FollowUpDM is the one-off of the group DM asking a group how its intro
// went. Ask is 1 for the first asking, 2 for the one after "not yet".
type FollowUpDM struct {
	Group int64 `json:"group"`
	Ask   int   `json:"ask"`
}

// OneOffKind names follow-ups among the one-offs of Kind.
func (FollowUpDM) OneOffKind() string { return "followup" }

// OneOffVersion is the version of FollowUpDM's JSON form.
func (FollowUpDM) OneOffVersion() int { return 1 }

// OneOffKey is the group and the asking.
func (d FollowUpDM) OneOffKey() string {
	return strconv.FormatInt(d.Group, 10) + ":" + strconv.Itoa(d.Ask)
}

func (d FollowUpDM) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	g, n, err := s.liveGroup(ctx, c.Occurrence.WorkspaceID, d.Group)
	if err != nil {
		return engine.Message{}, err
	}
	second := d.Ask > 1
	switch {
	case !second && g.Outcome != peers.OutcomeNone:
		return engine.Message{}, engine.Skip("the group already said how it went")
	case second && g.Outcome != peers.OutcomeNotYet:
		return engine.Message{}, engine.Skip("the group already said how it went")
	}
	return FollowUpMessage(n.Name, g.ID, second), nil
}

// RecordOutcome records how group groupID's intro went, as user, one of
// its members, answered a follow-up (the button's value is the group id,
// checked here against the stored group). A group of another workspace,
// or not of an intros network, is not found; a person not in the group
// gets ErrNotMember; neither stores anything. The outcome names nobody;
// the members' streak of ignored follow-ups starts again; "couldn't"
// gives them priority next round (the store does); the first "not yet"
// plans the second asking (SecondAskAt), whose answer is final.
func (s *Service) RecordOutcome(ctx context.Context, ws string, groupID int64, user string, o peers.Outcome) error {
	g, err := s.store.Group(ctx, ws, groupID)
	if err != nil {
		return fmt.Errorf("record outcome: %w", err)
	}
	n, err := s.store.Network(ctx, ws, g.NetworkID)
	if err != nil {
		return fmt.Errorf("record outcome: %w", err)
	}
	if n.Kind != peers.KindIntros {
		return fmt.Errorf("record outcome of group %d: %w", groupID, models.ErrNotFound)
	}
	if !g.Has(user) {
		return fmt.Errorf("record outcome of group %d: %w", groupID, ErrNotMember)
	}
	err = s.db.Tx(ctx, func(ctx context.Context) error {
		if err := s.store.SetOutcome(ctx, ws, groupID, user, o); err != nil {
			return err
		}
		if err := s.store.ResetIgnored(ctx, ws, n.ID, g.Users()); err != nil {
			return err
		}
		if o != peers.OutcomeNotYet {
			return nil
		}
		// Asked counts the second askings planned: of two members saying
		// "not yet" at once, one gets 1 and plans it.
		asked, err := s.store.IncAsked(ctx, ws, groupID)
		if err != nil || asked != 1 {
			return err
		}
		at, ok := SecondAskAt(g.Shared, s.clock.Now())
		if !ok {
			return nil
		}
		rcp, err := engine.GroupRecipient(g.Users()...)
		if err != nil {
			return err
		}
		_, err = s.eng.PlanOnce(ctx, ws, ScheduleKey(n.ID), FollowUpDM{Group: groupID, Ask: 2}, rcp, at)
		return err
	})
	if err != nil {
		return fmt.Errorf("record outcome of group %d: %w", groupID, err)
	}
	return nil
}

// PauseCheckDM is the one-off of the personal DM asking a person who left
// IgnoredToAsk follow-ups in a row unanswered whether to pause their
// intros. Round is the round at whose opening the streak reached it: one
// per streak.
type PauseCheckDM struct {
	Network int64 `json:"network"`
	Round   int   `json:"round"`
}

// OneOffKind names pause checks among the one-offs of Kind.
func (PauseCheckDM) OneOffKind() string { return "pausecheck" }

// OneOffVersion is the version of PauseCheckDM's JSON form.
func (PauseCheckDM) OneOffVersion() int { return 1 }

// OneOffKey is the network and the round.
func (d PauseCheckDM) OneOffKey() string {
	return strconv.FormatInt(d.Network, 10) + ":" + strconv.Itoa(d.Round)
}

func (d PauseCheckDM) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	ws, user := c.Occurrence.WorkspaceID, c.Occurrence.Recipient
	n, err := s.liveNetwork(ctx, ws, d.Network)
	if err != nil {
		return engine.Message{}, err
	}
	p, err := s.store.Participant(ctx, ws, n.ID, user)
	if err != nil {
		return skipIfGone(err, "they left the network")
	}
	switch {
	case p.Left:
		return engine.Message{}, engine.Skip("they left the network")
	case p.PausedOn(today(n, s.clock.Now())):
		return engine.Message{}, engine.Skip("they paused their intros already")
	case p.IgnoredRounds < IgnoredToAsk:
		return engine.Message{}, engine.Skip("they answered a follow-up since")
	}
	return PauseCheckMessage(n.Name, n.ID, p.IgnoredRounds), nil
}

// AnswerPauseCheck records user's answer to the pause check of network
// networkID (the button's value, checked here): pause stops their intros
// until they resume them; either way their streak of ignored follow-ups
// starts again. A person not in the network (or who left it) gets
// ErrNotFound and nothing changes.
func (s *Service) AnswerPauseCheck(ctx context.Context, ws string, networkID int64, user string, pause bool) error {
	p, err := s.store.Participant(ctx, ws, networkID, user)
	if err == nil && p.Left {
		err = models.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("answer pause check: %w", err)
	}
	err = s.db.Tx(ctx, func(ctx context.Context) error {
		if pause {
			if err := s.store.PauseSelf(ctx, ws, networkID, user, calendar.Date{}); err != nil {
				return err
			}
		}
		return s.store.ResetIgnored(ctx, ws, networkID, []string{user})
	})
	if err != nil {
		return fmt.Errorf("answer pause check: %w", err)
	}
	return nil
}
