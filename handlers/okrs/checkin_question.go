package okrs

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/models/okrs"
)

// CheckinQuestionName is the name the OKR question kind is registered
// under: a check-in question written "okr: Your key results" asks it.
const CheckinQuestionName = "okr"

// CheckinQuestion is the question kind that puts a person's key results
// inside another feature's form (a check-in's answer form), so that
// answering it and updating them are one act: per key result the update
// form's inputs (UpdateModal), under the host's prefix, and on submit the
// updates ParseUpdate would read, stored as okrs.SourceCheckin.
//
// It lists exactly the key results the update form lists (updateItems):
// the same cycles, on the person's own date, and the same visibility, so
// a team-only objective's only while the person is in its channel.
//
// It differs from the update form where a host's question must: a form
// where nothing was entered is no problem (the person had nothing to
// update; the host stores no answer), and a person with no key result
// to update gets no blocks.
func (h *Handlers) CheckinQuestion() handlers.QuestionKind {
	return checkinQuestion{h: h}
}

// checkinQuestion is CheckinQuestion's handlers.QuestionKind.
type checkinQuestion struct {
	h *Handlers
}

// updateItems are the key results the update form (/trellis okr update)
// lists for req's person: myItems, on the person's own date and only the
// objectives they may see now, so a team-only objective's only while
// they are in its channel.
func (h *Handlers) updateItems(ctx context.Context, req *bot.Request) ([]Item, error) {
	p, err := h.core.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	return h.myItems(ctx, req, p)
}

// items are the key results person may update now (updateItems), for
// the host's request r.
func (q checkinQuestion) items(ctx context.Context, r handlers.QuestionRequest) ([]Item, error) {
	req := r.Request
	if req == nil || req.TeamID != r.TeamID || req.UserID != r.UserID {
		return nil, fmt.Errorf("no request from %s to read their key results by", r.UserID)
	}
	return q.h.updateItems(ctx, req)
}

// Blocks are a short line, then the update form's four blocks per key
// result, as many as fit r's bounds (those updated longest ago first,
// with a line counting the rest), and the key results shown as the
// state. None when the person has no key result to update, or not even
// one fits.
func (q checkinQuestion) Blocks(ctx context.Context, r handlers.QuestionRequest) (handlers.QuestionBlocks, error) {
	items, err := q.items(ctx, r)
	if err != nil {
		return handlers.QuestionBlocks{}, fmt.Errorf("OKR check-in question of %s: %w", r.UserID, err)
	}
	valid := make([]int, 0, len(items))
	for i, it := range items {
		if it.KR.ID > 0 {
			valid = append(valid, i)
		}
	}
	const fixed = 1 // the intro line
	picked := pickShown(items, valid, fixed, r.MaxBlocks, r.MaxState)
	if len(picked) == 0 {
		return handlers.QuestionBlocks{}, nil
	}
	ids := prefixedIDs(r.Prefix)
	now := q.h.clock.Now()
	blocks := []slack.Block{slack.NewContextBlock(r.Prefix+"okr_intro", views.MrkdwnText(
		"Change what moved and tick *No change* for what stayed the same; key results you leave untouched are not saved."))}
	shown := make([]shownKR, 0, len(picked))
	for _, i := range picked {
		shown = append(shown, shownOf(items[i]))
		blocks = append(blocks, updateBlocks(items[i], now, ids)...)
	}
	if left := len(valid) - len(picked); left > 0 {
		blocks = append(blocks, slack.NewContextBlock(r.Prefix+"okr_more", views.MrkdwnText(fmt.Sprintf(
			"%d more %s don't fit here: these are the ones updated longest ago. The rest are in `/trellis okr update`.",
			left, views.Plural(left, "key result", "key results")))))
	}
	return handlers.QuestionBlocks{Blocks: blocks, State: encodeShown(shown)}, nil
}

// Check reads the inputs Blocks drew against the person's key results as
// stored now (ParseUpdate's rules), each problem on its block under
// r.Prefix. A state it cannot read is a problem on the form, not an
// error: the person opens it again.
func (q checkinQuestion) Check(ctx context.Context, r handlers.QuestionRequest, state string, values map[string]map[string]slack.BlockAction) (handlers.PendingAnswer, map[string]string, error) {
	if state == "" {
		return checkinUpdates{}, nil, nil // nothing was asked
	}
	shown, err := decodeShown(state)
	if err != nil {
		// Said on the first value input the form holds.
		for _, block := range slices.Sorted(maps.Keys(values)) {
			if strings.HasPrefix(block, r.Prefix+"okr_value_") {
				return nil, map[string]string{block: "This form was opened by another version of Trellis, so nothing was saved. Close it and open it again."}, nil
			}
		}
		return nil, nil, fmt.Errorf("OKR check-in question of %s: %w", r.UserID, err)
	}
	items, err := q.items(ctx, r)
	if err != nil {
		return nil, nil, fmt.Errorf("OKR check-in question of %s: %w", r.UserID, err)
	}
	ups, errs := parseShown(items, shown, values, prefixedIDs(r.Prefix))
	if len(errs) > 0 {
		return nil, errs, nil
	}
	return checkinUpdates{h: q.h, req: r.Request, items: items, ups: ups}, nil, nil
}

// checkinUpdates are the updates a check-in's answer form read, stored
// by Commit.
type checkinUpdates struct {
	h     *Handlers
	req   *bot.Request
	items []Item
	ups   []okrs.Update
}

// Commit appends the updates, as the person's and from a check-in, in
// the host's transaction. The summary counts them: "Updated 2 key
// results, 1 unchanged"; "" when there were none. What the update form
// does after its ack is the after step, run by the host once the answer
// is stored: the nudges start counting again (the schedule with them)
// and the person is offered help, privately, for each key result they
// just marked off track. A failure there never loses the answer or the
// updates.
func (c checkinUpdates) Commit(ctx context.Context) (string, func(context.Context) error, error) {
	if len(c.ups) == 0 {
		return "", nil, nil
	}
	ws, person := c.req.TeamID, c.req.UserID
	stored, err := c.h.store.AddUpdates(ctx, ws, person, false, c.ups, okrs.SourceCheckin, c.h.clock.Now())
	if err != nil {
		return "", nil, fmt.Errorf("OKR updates from a check-in: %w", err)
	}
	after := func(ctx context.Context) error {
		offer, err := c.h.svc.Updated(ctx, ws, person, stored)
		c.h.offerHelp(ctx, c.req, offer, c.items)
		if err != nil {
			return fmt.Errorf("OKR updates from a check-in: %w", err)
		}
		return nil
	}
	return CheckinSummary(c.ups), after, nil
}

// offerHelp offers req's person help, in their DM, for each update of
// offer (jobokrs.Service.Updated's), with the key result as items show
// it; one that cannot be sent is logged.
func (h *Handlers) offerHelp(ctx context.Context, req *bot.Request, offer []okrs.Update, items []Item) {
	if req.Slack == nil {
		return
	}
	for _, u := range offer {
		i := slices.IndexFunc(items, func(it Item) bool { return it.KR.ID == u.KeyResultID })
		if i < 0 {
			continue
		}
		msg := jobokrs.OffTrackMessage(jobokrs.OfferInput{KeyResult: items[i].KR, Channel: items[i].Objective.Team})
		if _, _, err := req.Slack.PostMessageContext(ctx, req.UserID, slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...)); err != nil {
			h.log.WarnContext(ctx, "could not offer help", "user", req.UserID, "err", err)
		}
	}
}

// CheckinSummary is the check-in answer's text for ups: how many key
// results were updated and how many of those stayed the same, counts
// only.
func CheckinSummary(ups []okrs.Update) string {
	same := 0
	for _, u := range ups {
		if u.NoChange {
			same++
		}
	}
	s := fmt.Sprintf("Updated %d %s", len(ups), views.Plural(len(ups), "key result", "key results"))
	if same > 0 {
		s += fmt.Sprintf(", %d unchanged", same)
	}
	return s
}
