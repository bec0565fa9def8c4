package handlers

import (
	"context"
	"errors"
	"log/slog"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/jobs/engine"
)

// Tell answers a button press privately: an ephemeral message where the
// button was, or a DM from the Home tab. On the ack path it is sent after
// the ack: chat.postEphemeral is paced like any method.
func (h *Handlers) Tell(ctx context.Context, req *bot.Request, text string) {
	if req.Slack == nil {
		return
	}
	if Acking(ctx) {
		req.After(func(ctx context.Context) { h.Tell(ctx, req, text) })
		return
	}
	ch := req.Interaction.Container.ChannelID
	if ch == "" {
		ch = req.Interaction.Channel.ID
	}
	if ch == "" {
		h.DM(ctx, req, text)
		return
	}
	if _, err := req.Slack.PostEphemeralContext(ctx, ch, req.UserID, slack.MsgOptionText(text, false)); err != nil {
		h.log.WarnContext(ctx, "could not answer a button", "user", req.UserID, "err", err)
	}
}

// DM writes to the person who acted, in their DM with Trellis: a reply to
// their own action, so not a proactive message.
func (h *Handlers) DM(ctx context.Context, req *bot.Request, text string) {
	if req.Slack == nil {
		return
	}
	if _, _, err := req.Slack.PostMessageContext(ctx, req.UserID, slack.MsgOptionText(text, false)); err != nil {
		h.log.WarnContext(ctx, "could not reply by DM", "user", req.UserID, "err", err)
	}
}

// ReplyLater sends resp, a command's answer, to the person after the ack:
// as an ephemeral message where the button was, or from the Home tab by
// DM, since a reply to their own click is not a proactive message.
func (h *Handlers) ReplyLater(req *bot.Request, resp *bot.Response) {
	if resp == nil {
		return
	}
	msg, ok := resp.Body.(slack.Msg)
	if !ok {
		return
	}
	req.After(func(ctx context.Context) {
		if req.Slack == nil {
			return
		}
		opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks.BlockSet...)}
		var err error
		if ch := req.Interaction.Container.ChannelID; ch != "" {
			_, err = req.Slack.PostEphemeralContext(ctx, ch, req.UserID, opts...)
		} else {
			_, _, err = req.Slack.PostMessageContext(ctx, req.UserID, opts...)
		}
		if err != nil {
			h.log.WarnContext(ctx, "could not answer a Home button", "user", req.UserID, "err", err)
		}
	})
}

// OpenedFor reports whether viewID is a form with callbackID that Trellis
// opened for the person acting.
func (h *Handlers) OpenedFor(ctx context.Context, req *bot.Request, viewID, callbackID string) (bool, error) {
	if h.views == nil || viewID == "" {
		return false, nil
	}
	return h.views.Opened(ctx, req.TeamID, viewID, req.UserID, callbackID)
}

// SlackErrorText is the error code Slack gave for err, or a plain
// "Slack did not answer", for a person to read.
func SlackErrorText(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return "Slack did not answer"
}

// Forecast reads what forecasting a person's next proactive messages
// needs, at the clock's now. ok is false when no forecast is configured.
func (h *Handlers) Forecast(ctx context.Context, teamID, userID string) (in engine.ForecastInput, ok bool, err error) {
	if h.fc == nil {
		return in, false, nil
	}
	in, err = h.fc.ForecastInput(ctx, teamID, userID, h.clock.Now())
	return in, true, err
}

// Logger is the handlers' logger, for features' handlers.
func (h *Handlers) Logger() *slog.Logger { return h.log }

// Clock is the handlers' clock, for features' handlers.
func (h *Handlers) Clock() clock.Clock { return h.clock }
