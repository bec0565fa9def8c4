package okrs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// openUpdate answers the Update button (the nudge, /trellis okr, the
// Home tab): the one form with all the person's key results.
func (h *Handlers) openUpdate(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	p, err := h.core.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	return h.openUpdateFor(ctx, req, p, handlers.Trigger(req), "")
}

// openUpdateFor opens the update form for p with trigger.
func (h *Handlers) openUpdateFor(ctx context.Context, req *bot.Request, p models.Person, trigger, notice string) (*bot.Response, error) {
	items, err := h.myItems(ctx, req, p)
	if err != nil {
		return nil, err
	}
	return h.core.OpenModal(ctx, req, trigger, UpdateModal(items, h.clock.Now(), notice))
}

// submitUpdate stores every update of the form in one transaction before
// the ack, or answers with each problem on its field; after the ack it
// records the check-in with the nudges and offers help, privately, for
// each key result the person just marked off track.
func (h *Handlers) submitUpdate(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	p, err := h.core.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	items, err := h.myItems(ctx, req, p)
	if err != nil {
		return nil, err
	}
	view := req.Interaction.View
	var values map[string]map[string]slack.BlockAction
	if view.State != nil {
		values = view.State.Values
	}
	ups, errs, err := ParseUpdate(items, view.PrivateMetadata, values)
	if errors.Is(err, ErrUpdateFormOutdated) {
		first := ""
		for _, b := range view.Blocks.BlockSet {
			if in, ok := b.(*slack.InputBlock); ok {
				first = in.BlockID
				break
			}
		}
		if first == "" {
			return nil, err
		}
		return handlers.FieldErrors(map[string]string{first: "This form was opened by an older Trellis. Close it and open it again; nothing was saved."}), nil
	}
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return handlers.FieldErrors(errs), nil
	}
	var stored []okrs.Update
	err = h.asOwnerOrAdmin(ctx, req, func(admin bool) error {
		var err error
		stored, err = h.store.AddUpdates(ctx, req.TeamID, p.UserID, admin, ups, okrs.SourceForm, h.clock.Now())
		return err
	})
	var ve *okrs.ValidationError
	switch {
	case errors.As(err, &ve):
		return handlers.FieldErrors(updateErrors(ups, ve)), nil
	case errors.Is(err, okrs.ErrNotOwner):
		if len(ups) > 0 {
			return handlers.FieldErrors(map[string]string{UpdateValueBlockID(ups[0].KeyResultID): "You can update only your own key results and those of objectives you own. Nothing was saved."}), nil
		}
		return nil, err
	case err != nil:
		return nil, err
	}
	req.After(func(ctx context.Context) { h.afterUpdate(ctx, req, stored, items) })
	return nil, nil
}

// updateErrors places the store's problems with ups on the form: each on
// its key result's value, confidence or note.
func updateErrors(ups []okrs.Update, ve *okrs.ValidationError) map[string]string {
	out := map[string]string{}
	for _, pr := range ve.Problems {
		var id int64
		if pr.Item >= 1 && pr.Item <= len(ups) {
			id = ups[pr.Item-1].KeyResultID
		} else if len(ups) > 0 {
			id = ups[0].KeyResultID
		}
		block := UpdateValueBlockID(id)
		switch pr.Field {
		case okrs.FieldConfidence:
			block = UpdateConfidenceBlockID(id)
		case okrs.FieldNote:
			block = UpdateNoteBlockID(id)
		}
		if old, ok := out[block]; ok {
			out[block] = old + " " + pr.Message
		} else {
			out[block] = pr.Message
		}
	}
	return out
}

// afterUpdate records the updates with the nudges and offers help for
// each key result just marked off track: a reply to the person's own
// act, in their DM.
func (h *Handlers) afterUpdate(ctx context.Context, req *bot.Request, stored []okrs.Update, items []Item) {
	offer, err := h.svc.Updated(ctx, req.TeamID, req.UserID, stored)
	if err != nil {
		h.log.WarnContext(ctx, "could not record OKR updates with the nudges", "user", req.UserID, "err", err)
	}
	h.core.PublishHome(ctx, req)
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

// helpAction answers the off-track offer's buttons. Only the key
// result's owner may use them; "ask in the team's channel" posts a short
// note there on their behalf, now that they asked for it.
func (h *Handlers) helpAction(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	acts := req.Interaction.ActionCallback.BlockActions
	if len(acts) == 0 {
		return nil, nil
	}
	action, krID, ok := jobokrs.ParseHelpAction(acts[0].ActionID)
	if !ok {
		h.core.Tell(ctx, req, "I can't tell what that button is for.")
		return nil, nil
	}
	o, k, found, err := h.keyResult(ctx, req, krID)
	if err != nil {
		return nil, err
	}
	if !found || (k.Owner != req.UserID) {
		h.core.Tell(ctx, req, "That offer is for the key result's owner, and this key result isn't yours (or is gone).")
		return nil, nil
	}
	title := views.Mrkdwn(strings.TrimSpace(k.Title), okrs.MaxTitleLen)
	var reply string
	switch action {
	case jobokrs.ActionHelpNo:
		reply = "No problem: nothing was sent to anyone."
	case jobokrs.ActionHelpCheckin:
		reply = fmt.Sprintf("Good idea: mention *%s* in your next check-in, where your team will see it. Nothing was sent for you.", title)
	case jobokrs.ActionHelpChannel:
		if !mrkdwn.IsChannelID(o.Team) {
			h.core.Tell(ctx, req, "This key result's objective has no team channel to ask in.")
			return nil, nil
		}
		reply = fmt.Sprintf("I asked in <#%s> for you.", o.Team)
		team, owner := o.Team, k.Owner
		text := fmt.Sprintf("<@%s> could use help with *%s*. If you can lend a hand or have an idea, reply in the thread.", owner, title)
		req.After(func(ctx context.Context) {
			if req.Slack == nil {
				return
			}
			if _, _, err := req.Slack.PostMessageContext(ctx, team, slack.MsgOptionText(text, false)); err != nil {
				h.log.WarnContext(ctx, "could not ask for help", "channel", team, "err", err)
				h.core.DM(ctx, req, fmt.Sprintf("I couldn't post in <#%s> (%s). Invite me with `/invite @Trellis` and try again.", team, handlers.SlackErrorText(err)))
			}
		})
	}
	h.replaceOffer(req, reply)
	return nil, nil
}

// replaceOffer replaces the offer, buttons and all, by text.
func (h *Handlers) replaceOffer(req *bot.Request, text string) {
	url := req.Interaction.ResponseURL
	req.After(func(ctx context.Context) {
		if url == "" {
			h.core.DM(ctx, req, text)
			return
		}
		msg := slack.WebhookMessage{Text: text, ReplaceOriginal: true}
		if err := slack.PostWebhookContext(ctx, url, &msg); err != nil {
			h.log.WarnContext(ctx, "could not replace the offer", "err", err)
			h.core.DM(ctx, req, text)
		}
	})
}

// newObjective answers /trellis okr new: the form, its team the channel
// it was typed in.
func (h *Handlers) newObjective(ctx context.Context, req *bot.Request, p models.Person) (*bot.Response, error) {
	cycles, err := h.store.Cycles(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	n := NewObjective{Submitter: p.UserID}
	if ch := req.Command.ChannelID; mrkdwn.IsChannelID(ch) {
		n.Team = ch
	}
	today := h.today(p)
	open := openCycles(teamCycles(cycles, n.Team, today), today)
	n.Cycles = open
	if c, ok, err := h.store.CycleOn(ctx, req.TeamID, n.Team, today); err != nil {
		return nil, err
	} else if ok && slices.ContainsFunc(open, func(o okrs.Cycle) bool { return o.ID == c.ID }) {
		n.Cycle = c.ID
	} else if len(open) > 0 {
		n.Cycle = open[0].ID
	}
	m := NewObjectiveModal(n)
	m.PrivateMetadata = metaNew
	return h.core.OpenModal(ctx, req, req.Command.TriggerID, m)
}

// The new-objective form's private_metadata: metaNew, or metaEdit
// followed by the objective's id and its key results' ids in row order
// ("edit:12:34,35").
const (
	metaNew  = "new"
	metaEdit = "edit"
)

// editMeta writes the private_metadata of o's edit form.
func editMeta(o okrs.Objective) string {
	ids := make([]string, len(o.KeyResults))
	for i, k := range o.KeyResults {
		ids[i] = strconv.FormatInt(k.ID, 10)
	}
	return metaEdit + ":" + strconv.FormatInt(o.ID, 10) + ":" + strings.Join(ids, ",")
}

// parseEditMeta reads what editMeta wrote.
func parseEditMeta(meta string) (int64, []int64, bool) {
	parts := strings.Split(meta, ":")
	if len(parts) != 3 || parts[0] != metaEdit {
		return 0, nil, false
	}
	id, ok := parseID(parts[1])
	if !ok {
		return 0, nil, false
	}
	var krs []int64
	if parts[2] != "" {
		for _, s := range strings.Split(parts[2], ",") {
			k, ok := parseID(s)
			if !ok {
				return 0, nil, false
			}
			krs = append(krs, k)
		}
	}
	return id, krs, true
}

// edit answers /trellis okr edit ID: the objective's form, prefilled.
// Whether the person may change what they submit is the store's to say.
func (h *Handlers) edit(ctx context.Context, req *bot.Request, p models.Person, o okrs.Objective) (*bot.Response, error) {
	mayEdit := o.Owner == p.UserID || slices.ContainsFunc(o.KeyResults, func(k okrs.KeyResult) bool { return k.Owner == p.UserID })
	if !mayEdit {
		admin, err := h.adminNow(ctx, req)
		if err != nil {
			return nil, err
		}
		if !admin {
			return notOwner(o, "change"), nil
		}
	}
	cycles, err := h.store.Cycles(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	today := h.today(p)
	open := openCycles(teamCycles(cycles, o.Team, today), today)
	if !slices.ContainsFunc(open, func(c okrs.Cycle) bool { return c.ID == o.CycleID }) {
		for _, c := range cycles {
			if c.ID == o.CycleID {
				open = append([]okrs.Cycle{c}, open...)
			}
		}
	}
	aligned, err := h.alignmentsOf(ctx, req, o.Parents, cycles)
	if err != nil {
		return nil, err
	}
	m := NewObjectiveModal(NewObjective{Cycles: open, Cycle: o.CycleID, Team: o.Team, Submitter: o.Owner, Aligned: aligned, Editing: &o})
	m.PrivateMetadata = editMeta(o)
	return h.core.OpenModal(ctx, req, req.Command.TriggerID, m)
}

// alignmentsOf describes refs as the alignment picker shows them, those
// the viewer of req may see now; the others are left out of the form
// (and kept on save, checkParents).
func (h *Handlers) alignmentsOf(ctx context.Context, req *bot.Request, refs []okrs.Ref, cycles []okrs.Cycle) ([]Alignment, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	objs, err := h.store.Objectives(ctx, req.TeamID, okrs.Filter{})
	if err != nil {
		return nil, err
	}
	objs = h.viewerOf(req).filter(ctx, objs)
	all := candidates(objs, byID(cycles), 0)
	var out []Alignment
	for _, r := range refs {
		if i := slices.IndexFunc(all, func(a Alignment) bool { return a.Ref == r }); i >= 0 {
			out = append(out, all[i])
		}
	}
	return out, nil
}

// candidates are objs and their key results as alignment picks, leaving
// out the objective skip (the one being edited) and its key results.
func candidates(objs []okrs.Objective, cycles map[int64]okrs.Cycle, skip int64) []Alignment {
	var out []Alignment
	for _, o := range objs {
		if o.ID == skip {
			continue
		}
		cname := cycles[o.CycleID].Name
		out = append(out, Alignment{Ref: okrs.Ref{Kind: okrs.RefObjective, ID: o.ID}, Title: o.Title, Cycle: cname})
		for _, k := range o.KeyResults {
			out = append(out, Alignment{Ref: okrs.Ref{Kind: okrs.RefKeyResult, ID: k.ID}, Title: k.Title, Objective: o.Title, Cycle: cname})
		}
	}
	return out
}

// suggestAlignment answers the alignment picker: the open objectives of
// cycles not closed, and their key results, that the person may see.
func (h *Handlers) suggestAlignment(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	p, err := h.core.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	cycles, err := h.store.Cycles(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	today := h.today(p)
	var objs []okrs.Objective
	for _, c := range cycles {
		if c.State(today) == okrs.CycleClosed {
			continue
		}
		os, err := h.store.Objectives(ctx, req.TeamID, okrs.Filter{CycleID: c.ID})
		if err != nil {
			return nil, err
		}
		objs = append(objs, os...)
	}
	objs = slices.DeleteFunc(objs, func(o okrs.Objective) bool { return !o.ClosedAt.IsZero() })
	objs = h.viewerOf(req).filter(ctx, objs)
	var skip int64
	if req.Interaction != nil {
		skip, _, _ = parseEditMeta(req.Interaction.View.PrivateMetadata)
	}
	query := ""
	if req.Interaction != nil {
		query = req.Interaction.Value
	}
	resp := AlignmentOptions(query, candidates(objs, byID(cycles), skip))
	return &bot.Response{Options: resp.Options}, nil
}

// submitObjective stores a new objective, or the changes to one, before
// the ack, or answers with each problem on its field.
func (h *Handlers) submitObjective(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	view := req.Interaction.View
	var values map[string]map[string]slack.BlockAction
	if view.State != nil {
		values = view.State.Values
	}
	p, err := h.core.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	o, errs := ParseNewObjective(values, p.UserID)
	if len(errs) > 0 {
		return handlers.FieldErrors(errs), nil
	}
	editID, krIDs, editing := parseEditMeta(view.PrivateMetadata)
	if !editing && view.PrivateMetadata != metaNew {
		return handlers.FieldErrors(map[string]string{BlockNewTitle: "I can't tell what this form is for. Close it and run `/trellis okr new` again."}), nil
	}
	var before, saved okrs.Objective
	if editing {
		before, err = h.store.Objective(ctx, req.TeamID, editID)
		if errors.Is(err, models.ErrNotFound) || (err == nil && !h.viewerOf(req).sees(ctx, before)) {
			return handlers.FieldErrors(map[string]string{BlockNewTitle: "This objective is gone: it may have been deleted. Nothing was saved."}), nil
		}
		if err != nil {
			return nil, err
		}
	}
	if resp, err := h.checkPicks(ctx, req, o, before, editing); resp != nil || err != nil {
		return resp, err
	}
	parents, resp, err := h.checkParents(ctx, req, o.Parents, before.Parents)
	if resp != nil || err != nil {
		return resp, err
	}
	o.Parents = parents
	if editing {
		o.ID, o.Owner, o.ClosedAt = before.ID, before.Owner, before.ClosedAt
		rows := filledRows(values)
		for i := range o.KeyResults {
			if i < len(rows) && rows[i]-1 < len(krIDs) {
				o.KeyResults[i].ID = krIDs[rows[i]-1]
			}
			// What the form does not show stays as stored: a key
			// result's weight and the one it continues.
			for _, k := range before.KeyResults {
				if k.ID == o.KeyResults[i].ID && k.ID != 0 {
					o.KeyResults[i].Weight, o.KeyResults[i].CarriedFrom = k.Weight, k.CarriedFrom
				}
			}
		}
		err = h.asOwnerOrAdmin(ctx, req, func(admin bool) error {
			var err error
			saved, err = h.store.UpdateObjective(ctx, req.TeamID, o, p.UserID, admin)
			return err
		})
	} else {
		saved, err = h.store.CreateObjective(ctx, req.TeamID, o, p.UserID)
	}
	var ve *okrs.ValidationError
	switch {
	case errors.As(err, &ve):
		out := map[string]string{}
		for _, pr := range ve.Problems {
			b := NewObjectiveFieldBlock(pr.Field, pr.Item)
			if old, ok := out[b]; ok {
				out[b] = old + " " + pr.Message
			} else {
				out[b] = pr.Message
			}
		}
		return handlers.FieldErrors(out), nil
	case errors.Is(err, okrs.ErrNotOwner):
		return handlers.FieldErrors(map[string]string{BlockNewTitle: fmt.Sprintf("Only <@%s>, who owns this objective, or a workspace admin can change this; a key result's owner can change its title, target and unit. Nothing was saved.", before.Owner)}), nil
	case errors.Is(err, models.ErrNotFound):
		return handlers.FieldErrors(map[string]string{BlockNewTitle: "This objective is gone: it may have been deleted. Nothing was saved."}), nil
	case err != nil:
		return nil, err
	}
	h.afterChange(req, p, before, saved)
	verb := "created"
	if editing {
		verb = "saved"
	}
	text := fmt.Sprintf("Objective %d, *%s*, is %s with %d key %s. `/trellis okr show %d` shows it; its owners update them with `/trellis okr update`.",
		saved.ID, views.Mrkdwn(saved.Title, okrs.MaxTitleLen), verb, len(saved.KeyResults), views.Plural(len(saved.KeyResults), "result", "results"), saved.ID)
	req.After(func(ctx context.Context) { h.core.DM(ctx, req, text) })
	return nil, nil
}

// filledRows are the key result rows of the form that are not blank, in
// order (1-based), as ParseNewObjective reads them.
func filledRows(values map[string]map[string]slack.BlockAction) []int {
	get := func(block string) string {
		for _, a := range values[block] {
			return strings.TrimSpace(a.Value)
		}
		return ""
	}
	var rows []int
	for row := 1; row <= okrs.MaxKeyResults; row++ {
		if get(NewKRBlockID(row, KRFieldTitle))+get(NewKRBlockID(row, KRFieldStart))+get(NewKRBlockID(row, KRFieldTarget))+get(NewKRBlockID(row, KRFieldUnit)) != "" {
			rows = append(rows, row)
		}
	}
	return rows
}

// checkPicks checks what the form's pickers gave, which a payload can
// alter. When the team is new (a new objective, or an edit that changes
// it) it is a channel the submitter and Trellis are in now, as Slack
// says; an edit that keeps the team asks nothing of the submitter's
// membership (who may see the objective rules who edits it). Every key
// result's owner is a person of the workspace (not a bot, not
// deactivated), and, for an objective only its team sees, a member of the
// team's channel now. When Slack cannot tell, the form says so and
// nothing is stored.
func (h *Handlers) checkPicks(ctx context.Context, req *bot.Request, o, before okrs.Objective, editing bool) (*bot.Response, error) {
	couldnt := func(who string, err error) *bot.Response {
		h.log.WarnContext(ctx, "could not check channel membership", "channel", o.Team, "err", err)
		return handlers.FieldErrors(map[string]string{BlockNewTeam: fmt.Sprintf("I couldn't check with Slack that %s in <#%s> (%s). Nothing is saved yet; please try again. In a private channel, invite me first with `/invite @Trellis`.", who, o.Team, handlers.SlackErrorText(err))})
	}
	if o.Team != "" && !mrkdwn.IsChannelID(o.Team) {
		return handlers.FieldErrors(map[string]string{BlockNewTeam: "Pick the team's channel from the list."}), nil
	}
	fresh := false // whether the channel's member list was just read
	if o.Team != "" && (!editing || o.Team != before.Team) {
		in, err := h.member(ctx, req, o.Team, req.UserID)
		fresh = true
		if err != nil {
			return couldnt("you're", err), nil
		}
		if !in {
			return handlers.FieldErrors(map[string]string{BlockNewTeam: fmt.Sprintf("You can give an objective only to a team whose channel you're in, and you aren't in <#%s>. Nothing was saved.", o.Team)}), nil
		}
		// Trellis posts the team's digest and review summary there, and
		// asks for help there on an owner's behalf.
		if h.botUserID != nil {
			if bot := h.botUserID(ctx, req.TeamID); bot != "" {
				in, err := h.recentMember(ctx, req, o.Team, bot)
				if err != nil {
					return couldnt("I'm", err), nil
				}
				if !in {
					return handlers.FieldErrors(map[string]string{BlockNewTeam: fmt.Sprintf("I'm not in <#%s> yet, and I post the team's digest there. Invite me with `/invite @Trellis`, then save again. Nothing was saved.", o.Team)}), nil
				}
			}
		}
	}
	teamOnly := o.Team != "" && o.Visibility == okrs.VisibleTeam
	checked := map[string]bool{}
	for i, k := range o.KeyResults {
		if k.Owner == "" || checked[k.Owner] {
			continue
		}
		block := NewKRBlockID(filledRowOf(req, i), KRFieldOwner)
		if k.Owner != req.UserID {
			if !mrkdwn.IsUserID(k.Owner) || req.Slack == nil {
				return handlers.FieldErrors(map[string]string{block: "Pick the key result's owner from the list."}), nil
			}
			sctx, cancel := handlers.SlackCtx(ctx)
			u, err := req.Slack.GetUserInfoContext(sctx, k.Owner)
			cancel()
			if err != nil {
				h.log.WarnContext(ctx, "could not read a key result owner", "user", k.Owner, "err", err)
				return handlers.FieldErrors(map[string]string{block: fmt.Sprintf("I couldn't check that person with Slack (%s). Nothing is saved yet; please try again.", handlers.SlackErrorText(err))}), nil
			}
			if u.IsBot || u.Deleted || u.ID == "USLACKBOT" {
				return handlers.FieldErrors(map[string]string{block: "A key result's owner must be a person of this workspace, not a bot or a deactivated account."}), nil
			}
		}
		if teamOnly {
			ask := h.recentMember
			if !fresh {
				ask, fresh = h.member, true
			}
			in, err := ask(ctx, req, o.Team, k.Owner)
			if err != nil {
				h.log.WarnContext(ctx, "could not check a key result owner's channel", "channel", o.Team, "err", err)
				return handlers.FieldErrors(map[string]string{block: fmt.Sprintf("I couldn't check with Slack that this owner is in <#%s> (%s). Nothing is saved yet; please try again.", o.Team, handlers.SlackErrorText(err))}), nil
			}
			if !in {
				return handlers.FieldErrors(map[string]string{block: fmt.Sprintf("<@%s> isn't in <#%s>, and only its members see this objective. Pick an owner from the channel, invite them there, or let the whole workspace see it. Nothing was saved.", k.Owner, o.Team)}), nil
			}
		}
		checked[k.Owner] = true
	}
	return nil, nil
}

// checkParents checks the alignment picks against what the submitter may
// see now: a pick that is not an objective or key result they see is
// refused as unknown, whether or not it exists, so the answer confirms
// nothing. The parents an edit keeps that the editor cannot see (prev,
// as stored) are put back: the form never showed them, so leaving them
// out is no choice of the editor's.
func (h *Handlers) checkParents(ctx context.Context, req *bot.Request, picked, prev []okrs.Ref) ([]okrs.Ref, *bot.Response, error) {
	if len(picked) == 0 && len(prev) == 0 {
		return picked, nil, nil
	}
	seen, err := h.visibleRefs(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range picked {
		if !seen[r] {
			return nil, handlers.FieldErrors(map[string]string{BlockNewParents: "I don't know one of the objectives or key results this aligns to. Pick it from the list. Nothing was saved."}), nil
		}
	}
	out := slices.Clone(picked)
	for _, r := range prev {
		if !seen[r] && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil, nil
}

// visibleRefs are the objectives and key results the viewer of req may
// see now, as alignment refs.
func (h *Handlers) visibleRefs(ctx context.Context, req *bot.Request) (map[okrs.Ref]bool, error) {
	objs, err := h.store.Objectives(ctx, req.TeamID, okrs.Filter{})
	if err != nil {
		return nil, err
	}
	out := map[okrs.Ref]bool{}
	for _, o := range h.viewerOf(req).filter(ctx, objs) {
		out[okrs.Ref{Kind: okrs.RefObjective, ID: o.ID}] = true
		for _, k := range o.KeyResults {
			out[okrs.Ref{Kind: okrs.RefKeyResult, ID: k.ID}] = true
		}
	}
	return out, nil
}

// filledRowOf is the form row of the i-th (0-based) key result read.
func filledRowOf(req *bot.Request, i int) int {
	var values map[string]map[string]slack.BlockAction
	if req.Interaction.View.State != nil {
		values = req.Interaction.View.State.Values
	}
	rows := filledRows(values)
	if i < len(rows) {
		return rows[i]
	}
	return 1
}

// openReview answers a review DM's button: the review form of the
// cycle, with the person's key results of it.
func (h *Handlers) openReview(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	acts := req.Interaction.ActionCallback.BlockActions
	if len(acts) == 0 {
		return nil, nil
	}
	cycleID, ok := jobokrs.ParseReviewAction(acts[0].ActionID)
	if !ok {
		h.core.Tell(ctx, req, "I can't tell which cycle that button is for. Use the button in your latest review DM.")
		return nil, nil
	}
	cycle, err := h.store.Cycle(ctx, req.TeamID, cycleID)
	if errors.Is(err, models.ErrNotFound) {
		h.core.Tell(ctx, req, "That cycle is gone: it may have been deleted.")
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	owned, err := h.store.KeyResultsOf(ctx, req.TeamID, req.UserID, []int64{cycle.ID})
	if err != nil {
		return nil, err
	}
	v := h.viewerOf(req)
	owned = slices.DeleteFunc(owned, func(o okrs.OwnedKeyResult) bool { return !v.sees(ctx, o.Objective) })
	if len(owned) == 0 {
		h.core.Tell(ctx, req, "You own no key result of that cycle, so there is nothing for you to review.")
		return nil, nil
	}
	reviews, notes, err := h.store.CycleReviews(ctx, req.TeamID, cycle.ID)
	if err != nil {
		return nil, err
	}
	return h.core.OpenModal(ctx, req, handlers.Trigger(req), ReviewModal(cycle, ReviewItems(owned, reviews, notes, req.UserID)))
}

// hiddenInReview finds what review r names that the viewer of req may
// not see now (a team-only objective whose channel they left): each such
// key result or objective gets a problem on its field, worded as gone, so
// nothing is stored and nothing is confirmed.
func (h *Handlers) hiddenInReview(ctx context.Context, req *bot.Request, r okrs.Review) (map[string]string, error) {
	objs, err := h.store.Objectives(ctx, req.TeamID, okrs.Filter{CycleID: r.CycleID})
	if err != nil {
		return nil, err
	}
	objs = h.viewerOf(req).filter(ctx, objs)
	seenObj, seenKR := map[int64]bool{}, map[int64]bool{}
	for _, o := range objs {
		seenObj[o.ID] = true
		for _, k := range o.KeyResults {
			seenKR[k.ID] = true
		}
	}
	const gone = "This key result isn't yours to review any more (it may have been deleted or handed over). Close the form and open it again; nothing was saved."
	out := map[string]string{}
	for _, k := range r.KeyResults {
		if !seenKR[k.KeyResultID] {
			out[ReviewDecisionBlock(k.KeyResultID)] = gone
		}
	}
	for _, l := range r.Learned {
		if !seenObj[l.ObjectiveID] {
			out[ReviewLearnedBlock(l.ObjectiveID)] = "This objective isn't yours to review any more. Close the form and open it again; nothing was saved."
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// submitReview stores a review before the ack, or answers with each
// problem on its field; after the ack it re-syncs the nudges of what
// was carried over and says what carried over.
func (h *Handlers) submitReview(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	p, err := h.core.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	r, errs := ParseReview(req.Interaction.View)
	if len(errs) > 0 {
		return handlers.FieldErrors(errs), nil
	}
	if fe, err := h.hiddenInReview(ctx, req, r); err != nil {
		return nil, err
	} else if fe != nil {
		return handlers.FieldErrors(fe), nil
	}
	now := h.clock.Now()
	var res okrs.ReviewResult
	err = h.asOwnerOrAdmin(ctx, req, func(admin bool) error {
		var err error
		res, err = h.store.SubmitReview(ctx, req.TeamID, r, p.UserID, admin, h.today(p), now)
		return err
	})
	if fe := ReviewErrors(r, err); fe != nil {
		return handlers.FieldErrors(fe), nil
	}
	if errors.Is(err, okrs.ErrNotOwner) && len(r.KeyResults) > 0 {
		return handlers.FieldErrors(map[string]string{ReviewDecisionBlock(r.KeyResults[0].KeyResultID): "You can review only your own key results and those of objectives you own. Nothing was saved."}), nil
	}
	if err != nil {
		return nil, err
	}
	req.After(func(ctx context.Context) {
		seen := map[int64]bool{}
		var lines []string
		for _, c := range res.Carried {
			lines = append(lines, fmt.Sprintf("• KR %d continues as KR %d (objective %d)", c.From, c.To, c.ObjectiveID))
			if seen[c.ObjectiveID] {
				continue
			}
			seen[c.ObjectiveID] = true
			o, err := h.store.Objective(ctx, req.TeamID, c.ObjectiveID)
			if err == nil {
				err = h.svc.ObjectiveChanged(ctx, req.TeamID, okrs.Objective{}, o)
			}
			if err != nil {
				h.log.WarnContext(ctx, "could not re-sync nudges after a review", "objective", c.ObjectiveID, "err", err)
			}
		}
		text := fmt.Sprintf("Thanks — your review of %d key %s is saved.", len(res.Reviews), views.Plural(len(res.Reviews), "result", "results"))
		if len(lines) > 0 {
			text += " Carried over into the next cycle, starting from their final values:\n" + strings.Join(lines, "\n")
		}
		h.core.DM(ctx, req, text)
	})
	return nil, nil
}
