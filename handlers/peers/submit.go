package peers

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// newNetwork answers /trellis network new: in a channel, the form.
func (h *Handlers) newNetwork(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	ch := inChannel(req)
	if ch == "" {
		return handlers.Notice("A network belongs to a channel: run `/trellis network new` in the channel the network belongs to.",
			"Its members can take part, or people you choose; its news is posted there."), nil
	}
	return h.core.OpenModal(ctx, req, req.Command.TriggerID, NetworkModal(NetworkForm{Channel: ch, ChannelName: req.Command.ChannelName, TZ: p.TimeZone()}))
}

// edit answers /trellis network edit NETWORK: the form, prefilled, for
// its owner or an admin.
func (h *Handlers) edit(ctx context.Context, req *bot.Request, p models.Person, ref string) (*bot.Response, error) {
	n, resp, err := h.pick(ctx, req, ref, "edit")
	if resp != nil || err != nil {
		return resp, err
	}
	ok, err := h.mayManage(ctx, req, n)
	if err != nil {
		return nil, err
	}
	if !ok {
		return notManager(n, "change"), nil
	}
	return h.core.OpenModal(ctx, req, req.Command.TriggerID, NetworkModal(NetworkForm{Channel: n.Channel, TZ: n.ChannelTZ, Editing: &n}))
}

// submitNetwork stores the form before the ack, or answers with each
// problem on its field: the network, and its people (the channel's
// members as Slack gives them now, or the people picked), in one
// transaction. After the ack the runtime is told.
func (h *Handlers) submitNetwork(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	view := req.Interaction.View
	edit, channel, id, ok := parseMeta(view.PrivateMetadata)
	if !ok {
		return handlers.FieldErrors(map[string]string{BlockName: "This form can't be read any more. Close it and run the command again; nothing was saved."}), nil
	}
	var values map[string]map[string]slack.BlockAction
	if view.State != nil {
		values = view.State.Values
	}
	base := peers.Network{Channel: channel, Owner: req.UserID}
	if edit {
		stored, err := h.store.Network(ctx, req.TeamID, id)
		if errors.Is(err, peers.ErrNotFound) {
			return handlers.FieldErrors(map[string]string{BlockName: "This network was deleted meanwhile. Nothing was saved."}), nil
		}
		if err != nil {
			return nil, err
		}
		base = stored
	} else {
		// A date the network's zone is not known in yet: Validate wants
		// one; the real anchor is set once the zone is read.
		base.Anchor = calendar.DateOf(h.clock.Now())
	}
	n, chosen, errs := ParseNetworkForm(values, base)
	if len(errs) > 0 {
		return handlers.FieldErrors(errs), nil
	}
	today := calendar.DateOf(h.clock.Now().In(n.Location()))
	if !edit {
		n.Anchor = peers.Anchor(today, n.Weekday)
	} else if n.Weekday != base.Weekday {
		n.Anchor = peers.Anchor(base.Anchor, n.Weekday)
	}

	// The channel's members, as Slack says now: who takes part in a
	// channel network, and a check that the submitter is in the channel
	// the payload names and that Trellis is.
	var members map[string]bool
	if n.Membership == peers.MembershipChannel || !edit {
		var err error
		members, err = h.channelMembers(ctx, req, n.Channel)
		if err != nil {
			h.log.WarnContext(ctx, "network form: could not read a channel's members", "channel", n.Channel, "err", err)
			return handlers.FieldErrors(map[string]string{BlockMembership: fmt.Sprintf("I couldn't read who is in <#%s> (%s). In a private channel, invite me first with `/invite @Trellis`. Nothing is saved yet; please try again.",
				n.Channel, handlers.SlackErrorText(err))}), nil
		}
		if bot := h.bot(ctx, req.TeamID); bot != "" && !members[bot] {
			return handlers.FieldErrors(map[string]string{BlockMembership: fmt.Sprintf("I'm not in <#%s> yet, and I post the network's news there. Invite me with `/invite @Trellis`, then save again. Nothing was saved.", n.Channel)}), nil
		}
		if !edit && !members[req.UserID] {
			return handlers.FieldErrors(map[string]string{BlockName: fmt.Sprintf("You can make a network only in a channel you're in, and you aren't in <#%s>. Nothing was saved.", n.Channel)}), nil
		}
	}
	if bot := h.bot(ctx, req.TeamID); bot != "" && containsStr(chosen, bot) {
		return handlers.FieldErrors(map[string]string{BlockPeople: "I take part in no network myself: pick people only."}), nil
	}

	var saved peers.Network
	store := func(admin bool) error {
		return h.db.Tx(ctx, func(ctx context.Context) error {
			var err error
			if edit {
				saved, err = h.store.UpdateNetwork(ctx, req.TeamID, n, req.UserID, admin)
			} else {
				saved, err = h.store.CreateNetwork(ctx, req.TeamID, n)
			}
			if err != nil {
				return err
			}
			if saved.Membership == peers.MembershipChannel {
				// Also right after a switch from chosen people: those not in
				// the channel go now.
				_, err = h.syncChannel(ctx, req, saved.ID, members, req.UserID)
				return err
			}
			if len(chosen) > 0 {
				_, err = h.store.AddChosen(ctx, req.TeamID, saved.ID, chosen, req.UserID, admin)
			}
			return err
		})
	}
	err := store(false)
	if edit && errors.Is(err, peers.ErrNotAllowed) {
		if admin, aerr := h.adminNow(ctx, req); aerr == nil && admin {
			err = store(true)
		}
	}
	var ve *peers.ValidationError
	switch {
	case errors.Is(err, peers.ErrNotAllowed):
		return handlers.FieldErrors(map[string]string{BlockName: "Only the network's owner or a workspace admin can change it. Nothing was saved."}), nil
	case errors.As(err, &ve):
		out := map[string]string{}
		for _, p := range ve.Problems {
			if out[FieldBlock(p.Field)] == "" {
				out[FieldBlock(p.Field)] = p.Message
			}
		}
		return handlers.FieldErrors(out), nil
	case err != nil:
		return nil, err
	}
	h.changed(req, saved.ID)
	return nil, nil
}

// channelMembers reads channel's members from Slack now, every page
// (conversations.members), within the request's Slack budget. When Slack
// cannot be asked the answer is an error, never a guess.
func (h *Handlers) channelMembers(ctx context.Context, req *bot.Request, channel string) (map[string]bool, error) {
	if req.Slack == nil {
		return nil, fmt.Errorf("members of %s: no Slack client", channel)
	}
	sctx, cancel := handlers.SlackCtx(ctx)
	defer cancel()
	ids := map[string]bool{}
	params := &slack.GetUsersInConversationParameters{ChannelID: channel, Limit: 200}
	for {
		page, cursor, err := req.Slack.GetUsersInConversationContext(sctx, params)
		if err != nil {
			return nil, fmt.Errorf("members of %s: %w", channel, err)
		}
		for _, id := range page {
			ids[id] = true
		}
		if cursor == "" {
			return ids, nil
		}
		params.Cursor = cursor
	}
}

// memberEvent answers member_joined_channel and member_left_channel: each
// channel network of the channel is synced with the channel's members as
// Slack gives them now (SyncChannelMembers: twice is once, and a person
// who left a network themselves is never added back). When Slack cannot
// give the list, the event fails, so that Slack retries it, rather than
// guess: a retry reads the whole list again.
func (h *Handlers) memberEvent(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	var channel string
	switch ev := req.Event.Data.(type) {
	case *slackevents.MemberJoinedChannelEvent:
		channel = ev.Channel
	case *slackevents.MemberLeftChannelEvent:
		channel = ev.Channel
	default:
		return nil, nil
	}
	nets, err := h.store.NetworksInChannel(ctx, req.TeamID, channel)
	if err != nil {
		return nil, err
	}
	var synced []int64
	var members map[string]bool
	for _, n := range nets {
		if n.Membership != peers.MembershipChannel {
			continue
		}
		if members == nil {
			if members, err = h.channelMembers(ctx, req, channel); err != nil {
				return nil, fmt.Errorf("sync peer networks of %s: %w", channel, err)
			}
		}
		s, err := h.syncChannel(ctx, req, n.ID, members)
		if err != nil {
			return nil, err
		}
		if len(s.Added)+len(s.Removed) > 0 {
			synced = append(synced, n.ID)
		}
	}
	for _, id := range synced {
		h.changed(req, id)
	}
	return nil, nil
}
