package okrs

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// today is the person's date now.
func (h *Handlers) today(p models.Person) calendar.Date {
	return calendar.DateOf(h.clock.Now().In(p.Location()))
}

// currentCycles are the cycles a person's "this cycle" means on today:
// those active, else those being planned; and those in review, whose
// key results are still being updated and reviewed.
func currentCycles(cycles []okrs.Cycle, today calendar.Date) []okrs.Cycle {
	var active, planning, review []okrs.Cycle
	for _, c := range cycles {
		switch c.State(today) {
		case okrs.CycleActive:
			active = append(active, c)
		case okrs.CyclePlanning:
			planning = append(planning, c)
		case okrs.CycleReview:
			review = append(review, c)
		}
	}
	out := active
	if len(out) == 0 {
		out = planning
	}
	return append(out, review...)
}

// openCycles are the cycles an objective may be created in on today: the
// active ones and those being planned, the soonest first.
func openCycles(cycles []okrs.Cycle, today calendar.Date) []okrs.Cycle {
	var out []okrs.Cycle
	for _, c := range cycles {
		if s := c.State(today); s == okrs.CycleActive || s == okrs.CyclePlanning {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b okrs.Cycle) int {
		switch {
		case a.Start.Before(b.Start):
			return -1
		case b.Start.Before(a.Start):
			return 1
		}
		return 0
	})
	return out
}

// cycleIDs are the ids of cycles.
func cycleIDs(cycles []okrs.Cycle) []int64 {
	out := make([]int64, len(cycles))
	for i, c := range cycles {
		out[i] = c.ID
	}
	return out
}

// byID indexes cycles by id.
func byID(cycles []okrs.Cycle) map[int64]okrs.Cycle {
	out := make(map[int64]okrs.Cycle, len(cycles))
	for _, c := range cycles {
		out[c.ID] = c
	}
	return out
}

// teamCycles are the cycles an objective of team (a channel, or "" for
// none) may be in on today, as okrs.Store.CycleOn reads them: the
// workspace's and the team's own, a team's own cycle taking the place of
// the workspace's that cover today when it covers today too. Other
// teams' cycles are never among them.
func teamCycles(cycles []okrs.Cycle, team string, today calendar.Date) []okrs.Cycle {
	covers := func(c okrs.Cycle) bool { return !today.Before(c.Start) && !c.End.Before(today) }
	own := team != "" && slices.ContainsFunc(cycles, func(c okrs.Cycle) bool { return c.Team == team && covers(c) })
	var out []okrs.Cycle
	for _, c := range cycles {
		switch {
		case team != "" && c.Team == team:
		case c.Team == "" && !(own && covers(c)):
		default:
			continue
		}
		out = append(out, c)
	}
	return out
}

// myItems are person p's key results in the open objectives of their
// current cycles (currentCycles) that the viewer of req may see now, as
// the surfaces show them: an owner who left a team-only objective's
// channel no longer sees its key results.
func (h *Handlers) myItems(ctx context.Context, req *bot.Request, p models.Person) ([]Item, error) {
	ws := req.TeamID
	cycles, err := h.store.Cycles(ctx, ws)
	if err != nil {
		return nil, err
	}
	cur := currentCycles(cycles, h.today(p))
	if len(cur) == 0 {
		return nil, nil
	}
	owned, err := h.store.KeyResultsOf(ctx, ws, p.UserID, cycleIDs(cur))
	if err != nil {
		return nil, err
	}
	cs := byID(cycles)
	v := h.viewerOf(req)
	items := make([]Item, 0, len(owned))
	for _, o := range owned {
		if !o.Objective.ClosedAt.IsZero() || !v.sees(ctx, o.Objective) {
			continue
		}
		items = append(items, Item{Objective: o.Objective, KR: o.KeyResult, Current: o.Effective, Cycle: cs[o.Objective.CycleID]})
	}
	return items, nil
}

// itemsOf are the key results of objs as the surfaces show them, each
// with its effective state; an objective without key results shows as
// one item with a zero key result, so the lists still name it.
func (h *Handlers) itemsOf(ctx context.Context, ws string, objs []okrs.Objective, cycles map[int64]okrs.Cycle) ([]Item, error) {
	var ids []int64
	for _, o := range objs {
		for _, k := range o.KeyResults {
			ids = append(ids, k.ID)
		}
	}
	eff, err := h.store.Effective(ctx, ws, ids)
	if err != nil {
		return nil, err
	}
	var items []Item
	for _, o := range objs {
		if len(o.KeyResults) == 0 {
			items = append(items, Item{Objective: o, Cycle: cycles[o.CycleID]})
		}
		for _, k := range o.KeyResults {
			items = append(items, Item{Objective: o, KR: k, Current: eff[k.ID], Cycle: cycles[o.CycleID]})
		}
	}
	return items, nil
}

// progressOf is o's progress from its key results' effective values.
func progressOf(o okrs.Objective, eff map[int64]okrs.Effective) float64 {
	var rs []okrs.Reading
	for _, k := range o.KeyResults {
		it := Item{KR: k, Current: eff[k.ID]}
		rs = append(rs, okrs.Reading{KeyResult: k, Value: it.value()})
	}
	return okrs.ObjectiveProgress(rs)
}

// parseID reads an objective's or key result's number as a person types
// it ("12" or "#12").
func parseID(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}

// findCycle finds a cycle by its id or its name (case and blanks
// ignored).
func findCycle(cycles []okrs.Cycle, text string) (okrs.Cycle, bool) {
	text = strings.TrimSpace(text)
	if id, ok := parseID(text); ok {
		for _, c := range cycles {
			if c.ID == id {
				return c, true
			}
		}
	}
	for _, c := range cycles {
		if strings.EqualFold(strings.TrimSpace(c.Name), text) {
			return c, true
		}
	}
	return okrs.Cycle{}, false
}

// cycleNames lists cycles' names for a hint.
func cycleNames(cycles []okrs.Cycle) string {
	var names []string
	for _, c := range cycles {
		names = append(names, fmt.Sprintf("%q", strings.TrimSpace(c.Name)))
	}
	return strings.Join(names, ", ")
}
