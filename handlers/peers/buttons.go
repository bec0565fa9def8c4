package peers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/jobs/engine"
	jobpeers "github.com/trellis-bot/trellis/jobs/peers"
	"github.com/trellis-bot/trellis/models/peers"
)

// The buttons of the runtime's messages (jobs/peers): the intros'
// follow-up in a group's DM, the pause check and a learning pair's
// check-in in a person's own DM. Each button's value is an id that a
// payload can alter, so it is never trusted: the runtime checks it
// against the stored group or network and the person who clicked, and
// stores nothing when they don't match. The answer is stored before the
// ack; the message is replaced after it (through the response_url), so
// the person sees at once that it worked.

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
// of its members; the group's message is then replaced by the answered
// follow-up, naming nobody and keeping the buttons, since any member may
// change the answer. Anyone else is told so, privately, and nothing is
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
	name := ""
	if g, err := h.store.Group(ctx, req.TeamID, groupID); err == nil {
		if n, err := h.store.Network(ctx, req.TeamID, g.NetworkID); err == nil {
			name = n.Name
		}
	}
	h.replace(req, jobpeers.FollowUpAnsweredMessage(name, groupID, outcome), "Thanks — your answer is noted.")
	return nil, nil
}

// pauseCheck answers the pause check's buttons: "pause me" pauses the
// person's intros until they resume them; either answer ends the check.
// The person's own DM is replaced by what was done.
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
	h.replace(req, textMessage(text), text)
	return nil, nil
}

// learningCheckin answers a learning pair's check-in: going well, not
// met yet, or end the pair (the button asks first). The person's own DM
// is replaced by their answer.
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
	h.replace(req, textMessage(text), text)
	return nil, nil
}

// maxShownSkill bounds a skill's name where a reply shows it.
const maxShownSkill = 80

// textMessage is a message of one line of mrkdwn, already escaped.
func textMessage(text string) engine.Message {
	return engine.Message{Text: text, Blocks: []slack.Block{views.Section(text, nil)}}
}

// replace replaces the message whose button was clicked by msg, after
// the ack, through the request's response_url; without one (or when
// Slack refuses it) the person is told note privately instead.
func (h *Handlers) replace(req *bot.Request, msg engine.Message, note string) {
	url := ""
	if req.Interaction != nil {
		url = req.Interaction.ResponseURL
	}
	req.After(func(ctx context.Context) {
		if url == "" {
			h.core.Tell(ctx, req, note)
			return
		}
		blocks := slack.Blocks{BlockSet: msg.Blocks}
		wm := slack.WebhookMessage{Text: msg.Text, Blocks: &blocks, ReplaceOriginal: true}
		if err := slack.PostWebhookContext(ctx, url, &wm); err != nil {
			h.log.WarnContext(ctx, "could not replace a peer network message", "err", err)
			h.core.Tell(ctx, req, note)
		}
	})
}
