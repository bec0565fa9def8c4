package checkins

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	jobcheckins "github.com/trellis-bot/trellis/jobs/checkins"
	"github.com/trellis-bot/trellis/models"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// homeSection builds the check-ins' section of the Home tab: the rounds
// waiting for the person's answer, and their check-ins with buttons. With
// an error it still returns what was read.
func (h *Handlers) homeSection(ctx context.Context, req *bot.Request, p models.Person, room views.HomeRoom) ([]slack.Block, error) {
	ck, err := h.homeCheckins(ctx, req.TeamID, p)
	return HomeCheckinSection(ck)(room), err
}

// homeCheckins is the Home tab's check-in section: the rounds waiting for
// the person's answer, and their check-ins with when each next reaches
// them.
func (h *Handlers) homeCheckins(ctx context.Context, teamID string, p models.Person) (HomeCheckins, error) {
	store := h.ck.Store()
	var out HomeCheckins
	pending, err := store.Pending(ctx, teamID, p.UserID)
	if err != nil {
		return out, err
	}
	// Nothing of a channel the person is not in now is shown.
	in := h.inChannel(teamID, p.UserID, nil)
	for _, pr := range pending {
		if !in(ctx, pr.Checkin.ChannelID) {
			continue
		}
		out.Waiting = append(out.Waiting, HomeWaiting{
			RoundID: pr.Round.ID, CheckinID: pr.Checkin.ID, Label: jobcheckins.RoundLabel(pr.Checkin, pr.Round.Date),
			ClosesAt: pr.Round.ClosesAt, Loc: p.Location(), Status: pr.Status,
		})
	}
	mine, err := store.ForPerson(ctx, teamID, p.UserID)
	if err != nil {
		return out, err
	}
	mine = slices.DeleteFunc(mine, func(c checkinmodels.Checkin) bool { return !in(ctx, c.ChannelID) })
	out.Mine, err = h.checkinItems(ctx, teamID, p, mine)
	return out, err
}

// homeCheckin loads the check-in a Home button names. The value is only a
// number the person could have changed: the check-in is read from the
// store, within the person's workspace, and shown only to people who may
// know of it — its owner, its participants and admins (read fresh from
// Slack). For anything else the person is told, as for a check-in that
// does not exist, and stop is set.
func (h *Handlers) homeCheckin(ctx context.Context, req *bot.Request) (c checkinmodels.Checkin, p models.Person, stop bool, err error) {
	value := req.Interaction.ActionCallback.BlockActions[0].Value
	id, perr := strconv.ParseInt(value, 10, 64)
	if perr != nil || id <= 0 {
		h.core.ReplyLater(req, handlers.Notice("That button doesn't name a check-in I know.", "Open the Trellis Home tab again to see your check-ins."))
		return c, p, true, nil
	}
	gone := handlers.Notice(fmt.Sprintf("There is no check-in %d.", id), "Open the Trellis Home tab again to see your check-ins.")
	c, err = h.ck.Store().Get(ctx, req.TeamID, id)
	if errors.Is(err, models.ErrNotFound) {
		h.core.ReplyLater(req, gone)
		return c, p, true, nil
	}
	if err != nil {
		return c, p, true, err
	}
	if p, err = h.core.Person(ctx, req); err != nil {
		return c, p, true, err
	}
	known, err := h.mayKnow(ctx, req, p, c)
	if err != nil {
		return c, p, true, err
	}
	if !known {
		// It may belong to a private channel: answer as if it did not exist.
		h.core.ReplyLater(req, gone)
		return c, p, true, nil
	}
	return c, p, false, nil
}

// mayKnow reports whether p may know of c: its owner, one of the people
// it asks, or a workspace admin (read fresh from Slack).
func (h *Handlers) mayKnow(ctx context.Context, req *bot.Request, p models.Person, c checkinmodels.Checkin) (bool, error) {
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
	fresh, _, err := h.core.FreshPerson(ctx, req)
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
		h.core.ReplyLater(req, notOwner(c))
		return nil, nil
	}
	m := CheckinModal(c, nil, "")
	m.PrivateMetadata = "edit:" + strconv.FormatInt(c.ID, 10)
	// The trigger lives three seconds: the form opens before the ack.
	return h.core.OpenModal(ctx, req, handlers.Trigger(req), m)
}

func (h *Handlers) homeCheckinPause(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	return h.homeCheckinVerb(ctx, req, true, func(p models.Person, c checkinmodels.Checkin) (*bot.Response, error) {
		return h.pauseCheckin(ctx, req, p, c, true)
	})
}

func (h *Handlers) homeCheckinResume(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	return h.homeCheckinVerb(ctx, req, true, func(p models.Person, c checkinmodels.Checkin) (*bot.Response, error) {
		return h.pauseCheckin(ctx, req, p, c, false)
	})
}

func (h *Handlers) homeCheckinRun(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	return h.homeCheckinVerb(ctx, req, true, func(p models.Person, c checkinmodels.Checkin) (*bot.Response, error) {
		return h.runCheckin(ctx, req, p, c)
	})
}

// homeCheckinExport sends the CSV of /trellis checkin export: everyone's
// answers to the owner and admins, the person's own to anyone else.
func (h *Handlers) homeCheckinExport(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	return h.homeCheckinVerb(ctx, req, false, func(p models.Person, c checkinmodels.Checkin) (*bot.Response, error) {
		return h.exportCheckin(ctx, req, p, c, false)
	})
}

// homeCheckinVerb runs the command behind a Home button on the check-in
// it names — the command checks who may — and sends its answer to the
// person, then republishes their Home tab. For a button that changes the
// check-in (manage), someone who may not change it is refused first, and
// their Home tab is left as it is.
func (h *Handlers) homeCheckinVerb(ctx context.Context, req *bot.Request, manage bool, do func(models.Person, checkinmodels.Checkin) (*bot.Response, error)) (*bot.Response, error) {
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
			h.core.ReplyLater(req, notOwner(c))
			return nil, nil
		}
	}
	resp, err := do(p, c)
	if err != nil {
		return nil, err
	}
	h.core.ReplyLater(req, resp)
	req.After(h.core.RefreshHome(req))
	return nil, nil
}
