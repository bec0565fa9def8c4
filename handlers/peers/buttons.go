package peers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers/views"
	jobpeers "github.com/trellis-bot/trellis/jobs/peers"
	"github.com/trellis-bot/trellis/models/peers"
)

// The buttons of the runtime's messages (jobs/peers): the intros'
// follow-up in a group's DM, the pause check and a learning pair's
// check-in in a person's own DM. Each button's value is an id that a
// payload can alter, so it is never trusted: the runtime checks it
// against the stored group or network and the person who clicked, and
// stores nothing when they don't match. The answer is stored before the
// ack, and the clicker alone is told after it (an ephemeral message) that
// it worked. The message clicked is never replaced: the engine merges a
// person's messages that fall due together into one Slack message, so it
// may hold other questions, whose buttons must stay; and the follow-up's
// buttons stay usable, since any member may change the group's answer.

// Replies to a button that does not match what is stored. One wording
// whether the id exists or not, so a forged id confirms nothing.
const (
	msgNotYourIntro = "That button belongs to another intro's message, so I didn't record anything. Use the buttons in your own intro's message."
	msgNotYourPause = "That question isn't about a network you take part in now, so nothing was changed. `/trellis network list` shows yours."
	msgNotYourPair  = "That check-in isn't about a learning pair of yours, so I didn't record anything. Use the buttons in your own check-in."
)

// buttonValue is the clicked button's value as a positive id; false when
// the request holds none.
func buttonValue(req *bot.Request) (actionID string, id int64, ok bool) {
	if req.Interaction == nil || len(req.Interaction.ActionCallback.BlockActions) == 0 {
		return "", 0, false
	}
	a := req.Interaction.ActionCallback.BlockActions[0]
	id, err := strconv.ParseInt(strings.TrimSpace(a.Value), 10, 64)
	if err != nil || id <= 0 {
		return a.ActionID, 0, false
	}
	return a.ActionID, id, true
}

// refusedID reports whether err is the runtime saying the clicked id
// does not match the person: not found, not theirs.
func refusedID(err error) bool {
	return errors.Is(err, peers.ErrNotFound) || errors.Is(err, peers.ErrNotAllowed) || errors.Is(err, jobpeers.ErrNotMember)
}

// followUp answers the follow-up's buttons (we met, not yet, we
// couldn't): the outcome is recorded for the group as the clicker, one
// of its members, who alone is told so; the group's message stays as it
// is, buttons and all, since any member may change the answer. Anyone
// else is told, privately, that the button is not theirs, and nothing is
// stored.
func (h *Handlers) followUp(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	action, groupID, ok := buttonValue(req)
	outcome, known := jobpeers.OutcomeOfAction(action)
	if !ok || !known || h.rt == nil {
		h.core.Tell(ctx, req, msgNotYourIntro)
		return nil, nil
	}
	err := h.rt.RecordOutcome(ctx, req.TeamID, groupID, req.UserID, outcome)
	if refusedID(err) {
		h.core.Tell(ctx, req, msgNotYourIntro)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	h.core.Tell(ctx, req, "Noted: "+outcomeWords(outcome)+". Anyone in this group can change it with the buttons above; nobody is told who answered.")
	return nil, nil
}

// outcomeWords is an intro's outcome as the follow-up's confirmation
// says it.
func outcomeWords(o peers.Outcome) string {
	switch o {
	case peers.OutcomeMet:
		return "*you met*"
	case peers.OutcomeNotYet:
		return "*not yet* (no rush: meet when it suits you)"
	}
	return "*you couldn't meet* (you'll be first in line next round)"
}

// pauseCheck answers the pause check's buttons: "pause me" pauses the
// person's intros until they resume them; either answer ends the check.
// The person alone is told what was done; their DM stays as it is.
func (h *Handlers) pauseCheck(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	action, networkID, ok := buttonValue(req)
	pause := action == jobpeers.ActionPauseMe
	if !ok || h.rt == nil {
		h.core.Tell(ctx, req, msgNotYourPause)
		return nil, nil
	}
	err := h.rt.AnswerPauseCheck(ctx, req.TeamID, networkID, req.UserID, pause)
	if refusedID(err) {
		h.core.Tell(ctx, req, msgNotYourPause)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	n, err := h.store.Network(ctx, req.TeamID, networkID)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("Glad to keep you in %s: nothing changes. `/trellis network pause me %d` pauses you any time.", name(n), n.ID)
	if pause {
		h.changed(req, n.ID)
		text = fmt.Sprintf("Done: your intros in %s are paused until you resume them with `/trellis network resume me %d`. Nobody is told why.", name(n), n.ID)
	}
	h.core.Tell(ctx, req, text)
	return nil, nil
}

// learningCheckin answers a learning pair's check-in: going well, not
// met yet, or end the pair (the button asks first). The person alone is
// told their answer was recorded; their DM stays as it is (it may hold
// another pair's check-in).
func (h *Handlers) learningCheckin(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	action, groupID, ok := buttonValue(req)
	answer, known := map[string]jobpeers.LearningAnswer{
		jobpeers.ActionLearningWell:   jobpeers.LearningWell,
		jobpeers.ActionLearningNotMet: jobpeers.LearningNotMet,
		jobpeers.ActionLearningEnd:    jobpeers.LearningEnd,
	}[action]
	if !ok || !known || h.rt == nil {
		h.core.Tell(ctx, req, msgNotYourPair)
		return nil, nil
	}
	err := h.rt.LearningCheckin(ctx, req.TeamID, groupID, req.UserID, answer)
	if refusedID(err) {
		h.core.Tell(ctx, req, msgNotYourPair)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var text string
	switch answer {
	case jobpeers.LearningWell:
		text = "Thanks — glad your learning pair is going well!"
	case jobpeers.LearningNotMet:
		text = "Noted: you haven't met yet. A short message to your pair is often all it takes to find a time."
	default:
		text = "Your learning pair is ended: no more check-ins about it. Thanks for giving it a go!"
		if g, err := h.store.Group(ctx, req.TeamID, groupID); err == nil && strings.TrimSpace(g.Skill) != "" {
			text = fmt.Sprintf("Your learning pair on *%s* is ended: no more check-ins about it. Thanks for giving it a go!", views.Mrkdwn(g.Skill, maxShownSkill))
		}
	}
	h.core.Tell(ctx, req, text)
	return nil, nil
}

// maxShownSkill bounds a skill's name where a reply shows it.
const maxShownSkill = 80
