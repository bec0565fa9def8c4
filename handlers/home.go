package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
)

// registerHome adds the routes of the Home tab's check-in buttons and its
// daily-limit menu.
func (h *Handlers) registerHome(mux *bot.Mux) {
	mux.Action(views.ActionHomeCheckinEdit, onAckPath(h.homeCheckinEdit))
	mux.Action(views.ActionHomeCheckinPause, onAckPath(h.homeCheckinPause))
	mux.Action(views.ActionHomeCheckinResume, onAckPath(h.homeCheckinResume))
	mux.Action(views.ActionHomeCheckinRun, onAckPath(h.homeCheckinRun))
	mux.Action(views.ActionHomeCheckinExport, onAckPath(h.homeCheckinExport))
	mux.Action(views.ActionHomeBudget, onAckPath(h.homeBudget))
}

// homeCheckin loads the check-in a Home button names. The value is only a
// number the person could have changed: the check-in is read from the
// store, within the person's workspace, and shown only to people who may
// know of it — its owner, its participants and admins (read fresh from
// Slack). For anything else the person is told, as for a check-in that
// does not exist, and stop is set.
func (h *Handlers) homeCheckin(ctx context.Context, req *bot.Request) (c models.Checkin, p models.Person, stop bool, err error) {
	if h.ck == nil {
		return c, p, true, errors.New("check-ins are not configured")
	}
	value := req.Interaction.ActionCallback.BlockActions[0].Value
	id, perr := strconv.ParseInt(value, 10, 64)
	if perr != nil || id <= 0 {
		h.replyLater(req, notice("That button doesn't name a check-in I know.", "Open the Trellis Home tab again to see your check-ins."))
		return c, p, true, nil
	}
	gone := notice(fmt.Sprintf("There is no check-in %d.", id), "Open the Trellis Home tab again to see your check-ins.")
	c, err = h.ck.Store().Get(ctx, req.TeamID, id)
	if errors.Is(err, models.ErrNotFound) {
		h.replyLater(req, gone)
		return c, p, true, nil
	}
	if err != nil {
		return c, p, true, err
	}
	if p, err = h.person(ctx, req); err != nil {
		return c, p, true, err
	}
	known, err := h.mayKnow(ctx, req, p, c)
	if err != nil {
		return c, p, true, err
	}
	if !known {
		// It may belong to a private channel: answer as if it did not exist.
		h.replyLater(req, gone)
		return c, p, true, nil
	}
	return c, p, false, nil
}

// mayKnow reports whether p may know of c: its owner, one of the people
// it asks, or a workspace admin (read fresh from Slack).
func (h *Handlers) mayKnow(ctx context.Context, req *bot.Request, p models.Person, c models.Checkin) (bool, error) {
	if c.OwnerID == p.UserID {
		return true, nil
	}
	people, err := h.ck.Participants(ctx, c)
	if err != nil {
		return false, err
	}
	if slices.Contains(people, p.UserID) {
		return true, nil
	}
	fresh, _, err := h.freshPerson(ctx, req)
	if err != nil {
		return false, err
	}
	return fresh.IsAdmin, nil
}

// homeCheckinEdit opens the form of /trellis checkin edit, for the owner
// and admins only.
func (h *Handlers) homeCheckinEdit(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	c, p, stop, err := h.homeCheckin(ctx, req)
	if stop || err != nil {
		return nil, err
	}
	_, ok, err := h.mayChange(ctx, req, p, c)
	if err != nil {
		return nil, err
	}
	if !ok {
		h.replyLater(req, notOwner(c))
		return nil, nil
	}
	m := views.CheckinModal(c, nil, "")
	m.PrivateMetadata = "edit:" + strconv.FormatInt(c.ID, 10)
	// The trigger lives three seconds: the form opens before the ack.
	return h.openModal(ctx, req, trigger(req), m)
}

func (h *Handlers) homeCheckinPause(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	return h.homeCheckinVerb(ctx, req, true, func(p models.Person, c models.Checkin) (*bot.Response, error) {
		return h.pauseCheckin(ctx, req, p, c, true)
	})
}

func (h *Handlers) homeCheckinResume(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	return h.homeCheckinVerb(ctx, req, true, func(p models.Person, c models.Checkin) (*bot.Response, error) {
		return h.pauseCheckin(ctx, req, p, c, false)
	})
}

func (h *Handlers) homeCheckinRun(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	return h.homeCheckinVerb(ctx, req, true, func(p models.Person, c models.Checkin) (*bot.Response, error) {
		return h.runCheckin(ctx, req, p, c)
	})
}

// homeCheckinExport sends the CSV of /trellis checkin export: everyone's
// answers to the owner and admins, the person's own to anyone else.
func (h *Handlers) homeCheckinExport(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	return h.homeCheckinVerb(ctx, req, false, func(p models.Person, c models.Checkin) (*bot.Response, error) {
		return h.exportCheckin(ctx, req, p, c, false)
	})
}

// homeCheckinVerb runs the command behind a Home button on the check-in
// it names — the command checks who may — and sends its answer to the
// person, then republishes their Home tab. For a button that changes the
// check-in (manage), someone who may not change it is refused first, and
// their Home tab is left as it is.
func (h *Handlers) homeCheckinVerb(ctx context.Context, req *bot.Request, manage bool, do func(models.Person, models.Checkin) (*bot.Response, error)) (*bot.Response, error) {
	c, p, stop, err := h.homeCheckin(ctx, req)
	if stop || err != nil {
		return nil, err
	}
	if manage {
		_, ok, err := h.mayChange(ctx, req, p, c)
		if err != nil {
			return nil, err
		}
		if !ok {
			h.replyLater(req, notOwner(c))
			return nil, nil
		}
	}
	resp, err := do(p, c)
	if err != nil {
		return nil, err
	}
	h.replyLater(req, resp)
	req.After(h.refreshHome(req))
	return nil, nil
}

// homeBudget sets the person's daily limit from the Home tab's menu, as
// /trellis budget does. Only the values the menu offers are taken: the
// workspace default, or 1 up to the workspace's limit as it stands now.
func (h *Handlers) homeBudget(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	value := req.Interaction.ActionCallback.BlockActions[0].SelectedOption.Value
	ws, err := h.workspace(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	n, ok := views.ParseBudgetChoice(value, ws.DailyBudget)
	if !ok {
		h.replyLater(req, notice(fmt.Sprintf("I can only set your daily limit to one of the choices in the menu: 1 to %d a day, or the workspace default.", ws.DailyBudget),
			budgetExample))
		return nil, nil
	}
	if err := h.ppl.SetDailyBudget(ctx, req.TeamID, req.UserID, n); err != nil {
		return nil, err
	}
	req.After(h.refreshHome(req))
	return nil, nil
}

// replyLater sends resp, a command's answer, to the person after the ack:
// as an ephemeral message where the button was, or from the Home tab by
// DM, since a reply to their own click is not a proactive message.
func (h *Handlers) replyLater(req *bot.Request, resp *bot.Response) {
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
