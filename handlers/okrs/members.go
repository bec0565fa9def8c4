package okrs

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/models/okrs"
)

// memberListAge is how long a channel's member list read from Slack is
// trusted for who sees a team-limited objective.
const memberListAge = time.Minute

// memberList is a channel's members as read in full from Slack.
type memberList struct {
	ids    map[string]bool
	readAt time.Time
}

// recentMember reports whether userID is in channel by its member list as
// Slack gave it at most memberListAge ago (conversations.members, every
// page), so that a list or a page of suggestions reads each channel once.
// When Slack cannot be asked the answer is an error, never a yes.
func (h *Handlers) recentMember(ctx context.Context, req *bot.Request, channel, userID string) (bool, error) {
	if channel == "" || userID == "" {
		return false, nil
	}
	key := req.TeamID + "/" + channel
	now := h.clock.Now()
	h.membersMu.Lock()
	l, ok := h.members[key]
	h.membersMu.Unlock()
	if ok && now.Sub(l.readAt) < memberListAge && !now.Before(l.readAt) {
		return l.ids[userID], nil
	}
	if req.Slack == nil {
		return false, fmt.Errorf("members of %s: no Slack client", channel)
	}
	sctx, cancel := handlers.SlackCtx(ctx)
	defer cancel()
	ids := map[string]bool{}
	params := &slack.GetUsersInConversationParameters{ChannelID: channel, Limit: 200}
	for {
		page, cursor, err := req.Slack.GetUsersInConversationContext(sctx, params)
		if err != nil {
			return false, fmt.Errorf("members of %s: %w", channel, err)
		}
		for _, id := range page {
			ids[id] = true
		}
		if cursor == "" {
			break
		}
		params.Cursor = cursor
	}
	h.membersMu.Lock()
	h.members[key] = memberList{ids: ids, readAt: now}
	h.membersMu.Unlock()
	return ids[userID], nil
}

// member asks Slack now, not a kept list, whether userID is in channel:
// what creating a team's objective checks.
func (h *Handlers) member(ctx context.Context, req *bot.Request, channel, userID string) (bool, error) {
	h.membersMu.Lock()
	delete(h.members, req.TeamID+"/"+channel)
	h.membersMu.Unlock()
	return h.recentMember(ctx, req, channel, userID)
}

// viewer decides, for one request, which objectives the person may see:
// every objective visible to the workspace, and a team-limited one only
// while they are in its channel as Slack says. Each channel is asked
// about once per viewer; a channel Slack could not be asked about hides
// its objectives (unknown counts them).
type viewer struct {
	h       *Handlers
	req     *bot.Request
	user    string
	known   map[string]bool
	unknown int
}

// viewerOf returns the viewer of req's person.
func (h *Handlers) viewerOf(req *bot.Request) *viewer {
	return &viewer{h: h, req: req, user: req.UserID, known: map[string]bool{}}
}

// sees reports whether the viewer may see o.
func (v *viewer) sees(ctx context.Context, o okrs.Objective) bool {
	if o.Visibility != okrs.VisibleTeam {
		return true
	}
	return v.inChannel(ctx, o.Team)
}

// inChannel reports whether the viewer is in channel now (a minute-old
// list at most).
func (v *viewer) inChannel(ctx context.Context, channel string) bool {
	if in, ok := v.known[channel]; ok {
		return in
	}
	in, err := v.h.recentMember(ctx, v.req, channel, v.user)
	if err != nil {
		v.h.log.WarnContext(ctx, "could not check channel membership", "channel", channel, "err", err)
		v.unknown++
	}
	v.known[channel] = in && err == nil
	return v.known[channel]
}

// filter keeps the objectives the viewer may see.
func (v *viewer) filter(ctx context.Context, objs []okrs.Objective) []okrs.Objective {
	return slices.DeleteFunc(objs, func(o okrs.Objective) bool { return !v.sees(ctx, o) })
}
