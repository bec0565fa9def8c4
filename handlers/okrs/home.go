package okrs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// homeSection is the OKRs' part of the Home tab: the person's key
// results with the Update button (HomeSection), then the team objectives
// they follow — open objectives of the current cycles whose channel they
// are in and in which they own nothing — as many as fit the room.
func (h *Handlers) homeSection(ctx context.Context, req *bot.Request, p models.Person, room views.HomeRoom) ([]slack.Block, error) {
	items, err := h.myItems(ctx, req, p)
	if err != nil {
		return nil, err
	}
	blocks := HomeSection(items, h.clock.Now())(room)
	room.Blocks -= len(blocks)
	for _, b := range blocks {
		room.Text -= mrkdwn.TextLen(b)
	}
	follow, err := h.followed(ctx, req, p)
	if err != nil {
		return blocks, err
	}
	return append(blocks, followBlocks(follow, room)...), nil
}

// followed are the team objectives p follows, with their progress.
func (h *Handlers) followed(ctx context.Context, req *bot.Request, p models.Person) ([]TreeObjective, error) {
	cycles, err := h.store.Cycles(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	v := h.viewerOf(req)
	var objs []okrs.Objective
	for _, c := range currentCycles(cycles, h.today(p)) {
		os, err := h.store.Objectives(ctx, req.TeamID, okrs.Filter{CycleID: c.ID})
		if err != nil {
			return nil, err
		}
		for _, o := range os {
			if o.Team == "" || !o.ClosedAt.IsZero() || o.Owner == p.UserID ||
				slices.ContainsFunc(o.KeyResults, func(k okrs.KeyResult) bool { return k.Owner == p.UserID }) {
				continue
			}
			if v.inChannel(ctx, o.Team) {
				objs = append(objs, o)
			}
		}
	}
	return h.withProgress(ctx, req.TeamID, objs)
}

// followBlocks are the followed objectives within room: a heading, then
// one line each, and a count of those left out.
func followBlocks(objs []TreeObjective, room views.HomeRoom) []slack.Block {
	if len(objs) == 0 || room.Blocks < 2 {
		return nil
	}
	head := views.Section("*Team objectives you follow*", nil)
	used := mrkdwn.TextLen(head)
	if used > room.Text {
		return nil
	}
	var lines []string
	for i, t := range objs {
		o := t.Objective
		line := fmt.Sprintf("%s %d%% · *%s* · <#%s>", Bar(t.Progress), Percent(t.Progress), views.Mrkdwn(strings.TrimSpace(o.Title), maxShownTitle), o.Team)
		rest := len(objs) - i - 1
		more := ""
		if rest > 0 {
			more = fmt.Sprintf("\n_and %d more in `/trellis okr list`_", rest)
		}
		if used+len(strings.Join(append(lines, line), "\n"))+len(more)+8 > min(room.Text, 2900) {
			lines = append(lines, fmt.Sprintf("_and %d more in `/trellis okr list`_", len(objs)-i))
			break
		}
		lines = append(lines, line)
	}
	return []slack.Block{head, views.Section(strings.Join(lines, "\n"), nil)}
}
