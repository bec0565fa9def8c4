package okrs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// usage is the hint under a reply to a bare or unknown /trellis okr word.
const usage = "`/trellis okr`, `/trellis okr update`, `/trellis okr new`, `/trellis okr list [#channel | @person]`, `/trellis okr tree`, " +
	"`/trellis okr show|edit|close|delete ID`, `/trellis okr correct KR-ID value`, `/trellis okr export [cycle]`, `/trellis okr nudges weekly|every 2 weeks|off|default`."

// cmdOKR serves /trellis okr and its subcommands.
func (h *Handlers) cmdOKR(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	sub, rest := handlers.SplitCommand(args)
	switch sub {
	case "", "mine", "me":
		return h.mine(ctx, req, p)
	case "update", "check-in", "checkin":
		return h.openUpdateFor(ctx, req, p, req.Command.TriggerID, "")
	case "new", "create", "add":
		return h.newObjective(ctx, req, p)
	case "list", "ls":
		return h.list(ctx, req, p, rest)
	case "tree":
		return h.tree(ctx, req, rest)
	case "show", "edit", "close", "delete", "remove":
		idText, more := handlers.SplitCommand(rest)
		o, resp, err := h.pickObjective(ctx, req, sub, idText)
		if resp != nil || err != nil {
			return resp, err
		}
		switch sub {
		case "show":
			return h.show(ctx, req, p, o)
		case "edit":
			return h.edit(ctx, req, p, o)
		case "close":
			return h.closeObjective(ctx, req, p, o)
		default:
			return h.deleteObjective(ctx, req, p, o, strings.EqualFold(strings.TrimSpace(more), "confirm"))
		}
	case "correct", "fix":
		return h.correct(ctx, req, p, rest)
	case "export":
		return h.export(ctx, req, p, rest)
	case "nudges", "nudge":
		return h.nudges(ctx, req, p, rest)
	case "help":
		return handlers.Notice("Here is what `/trellis okr` does.", usage), nil
	}
	return handlers.Notice("I don't know "+views.Code("/trellis okr "+sub)+".", usage), nil
}

// mine answers /trellis okr: the person's key results this cycle.
func (h *Handlers) mine(ctx context.Context, req *bot.Request, p models.Person) (*bot.Response, error) {
	items, err := h.myItems(ctx, req, p)
	if err != nil {
		return nil, err
	}
	return handlers.Reply(fmt.Sprintf("Your OKRs: %d key %s", len(items), views.Plural(len(items), "result", "results")), MyOKRs(items, h.clock.Now())), nil
}

// pickObjective finds the objective a command names by its number, as
// "not found" when the person may not see it.
func (h *Handlers) pickObjective(ctx context.Context, req *bot.Request, verb, idText string) (okrs.Objective, *bot.Response, error) {
	hint := "`/trellis okr list` shows the numbers."
	if idText == "" {
		return okrs.Objective{}, handlers.Notice(fmt.Sprintf("Which objective? Give its number, like `/trellis okr %s 12`.", verb), hint), nil
	}
	id, ok := parseID(idText)
	if !ok {
		return okrs.Objective{}, handlers.Notice(fmt.Sprintf("%s isn't an objective's number.", views.Code(idText)), hint), nil
	}
	o, err := h.store.Objective(ctx, req.TeamID, id)
	if err == nil && !h.viewerOf(req).sees(ctx, o) {
		err = models.ErrNotFound
	}
	if errors.Is(err, models.ErrNotFound) {
		return okrs.Objective{}, handlers.Notice(fmt.Sprintf("There is no objective %d.", id), hint), nil
	}
	return o, nil, err
}

// list answers /trellis okr list [#channel | @person]: the objectives of
// the current cycles the person may see, of a team or a person when
// named.
func (h *Handlers) list(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	var f okrs.Filter
	heading := "Objectives this cycle"
	arg := strings.TrimSpace(args)
	switch {
	case arg == "":
	case mrkdwn.IsChannelID(channelRef(arg)):
		f.Team = channelRef(arg)
		heading = "Team objectives this cycle"
	case mrkdwn.IsUserID(userRef(arg)):
		f.Owner = userRef(arg)
		heading = "Their objectives this cycle"
		if f.Owner == p.UserID {
			heading = "Your objectives this cycle"
		}
	default:
		return handlers.Notice(fmt.Sprintf("I can list a channel's or a person's objectives, and %s is neither.", views.Code(arg)),
			"Try `/trellis okr list #team` or `/trellis okr list @someone`, picked from Slack's suggestions."), nil
	}
	cycles, err := h.store.Cycles(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	cur := currentCycles(cycles, h.today(p))
	var objs []okrs.Objective
	for _, c := range cur {
		f.CycleID = c.ID
		os, err := h.store.Objectives(ctx, req.TeamID, f)
		if err != nil {
			return nil, err
		}
		objs = append(objs, os...)
	}
	v := h.viewerOf(req)
	objs = v.filter(ctx, objs)
	objs = slices.DeleteFunc(objs, func(o okrs.Objective) bool { return !o.ClosedAt.IsZero() })
	items, err := h.itemsOf(ctx, req.TeamID, objs, byID(cycles))
	if err != nil {
		return nil, err
	}
	blocks := ObjectiveList(items, heading, h.clock.Now())
	if v.unknown > 0 {
		blocks = append(blocks, views.Notice("Slack didn't tell me in time whether you're in some teams' channels, so their channel-only objectives are not listed. Please try again in a minute.", "")...)
	}
	return handlers.Reply(fmt.Sprintf("%s: %d", heading, len(objs)), blocks), nil
}

// channelRef reads a channel as Slack writes a picked one ("<#C1|name>")
// or as its id.
func channelRef(s string) string {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "<#"); ok {
		s, _, _ = strings.Cut(strings.TrimSuffix(rest, ">"), "|")
	}
	return s
}

// userRef reads a person as Slack writes a picked one ("<@U1|name>") or
// as their id.
func userRef(s string) string {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "<@"); ok {
		s, _, _ = strings.Cut(strings.TrimSuffix(rest, ">"), "|")
	}
	return s
}

// treeObjectives are the open objectives of the current cycles the
// person may see, with their progress, for the alignment tree.
func (h *Handlers) treeObjectives(ctx context.Context, req *bot.Request, p models.Person) ([]TreeObjective, error) {
	cycles, err := h.store.Cycles(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	var objs []okrs.Objective
	for _, c := range currentCycles(cycles, h.today(p)) {
		os, err := h.store.Objectives(ctx, req.TeamID, okrs.Filter{CycleID: c.ID})
		if err != nil {
			return nil, err
		}
		objs = append(objs, os...)
	}
	objs = slices.DeleteFunc(objs, func(o okrs.Objective) bool { return !o.ClosedAt.IsZero() })
	objs = h.viewerOf(req).filter(ctx, objs)
	return h.withProgress(ctx, req.TeamID, objs)
}

// tree answers /trellis okr tree [page].
func (h *Handlers) tree(ctx context.Context, req *bot.Request, args string) (*bot.Response, error) {
	page := 1
	if a := strings.TrimSpace(args); a != "" {
		n, ok := ParseTreePage(a)
		if !ok {
			return handlers.Notice(fmt.Sprintf("%s isn't a page number.", views.Code(a)), "Try `/trellis okr tree` or `/trellis okr tree 2`."), nil
		}
		page = n
	}
	p, err := h.core.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	objs, err := h.treeObjectives(ctx, req, p)
	if err != nil {
		return nil, err
	}
	return handlers.Reply("The alignment tree", Tree(objs, page)), nil
}

// treePage answers the tree's Previous and Next buttons with the page
// they name, replacing the message.
func (h *Handlers) treePage(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	acts := req.Interaction.ActionCallback.BlockActions
	if len(acts) == 0 {
		return nil, nil
	}
	page, ok := ParseTreePage(acts[0].Value)
	if !ok {
		h.core.Tell(ctx, req, "I can't tell which page that button is for. Run `/trellis okr tree` again.")
		return nil, nil
	}
	p, err := h.core.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	objs, err := h.treeObjectives(ctx, req, p)
	if err != nil {
		return nil, err
	}
	blocks := Tree(objs, page)
	url := req.Interaction.ResponseURL
	req.After(func(ctx context.Context) {
		if url == "" || req.Slack == nil {
			return
		}
		msg := slack.WebhookMessage{Text: "The alignment tree", Blocks: &slack.Blocks{BlockSet: blocks}, ReplaceOriginal: true}
		if err := slack.PostWebhookContext(ctx, url, &msg); err != nil {
			h.log.WarnContext(ctx, "could not turn a tree page", "err", err)
		}
	})
	return nil, nil
}

// show answers /trellis okr show ID: the objective, its key results and
// each one's recent history, corrections beside what they correct.
func (h *Handlers) show(ctx context.Context, req *bot.Request, p models.Person, o okrs.Objective) (*bot.Response, error) {
	cycle, err := h.store.Cycle(ctx, req.TeamID, o.CycleID)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	items, err := h.itemsOf(ctx, req.TeamID, []okrs.Objective{o}, map[int64]okrs.Cycle{cycle.ID: cycle})
	if err != nil {
		return nil, err
	}
	blocks := ObjectiveList(items, fmt.Sprintf("Objective %d", o.ID), h.clock.Now())
	loc := p.Location()
	for _, k := range o.KeyResults {
		hist, err := h.store.History(ctx, req.TeamID, k.ID)
		if err != nil {
			return nil, err
		}
		if len(blocks) >= mrkdwn.MaxMessageBlocks-1 {
			break
		}
		blocks = append(blocks, views.Section(historyText(k, hist, loc), nil))
	}
	return handlers.Reply(fmt.Sprintf("Objective %d: %s", o.ID, views.Plain(o.Title, okrs.MaxTitleLen)), blocks), nil
}

// shownHistory is how many entries of a key result's history show shows.
const shownHistory = 6

// historyText is a key result's last entries, newest first, dated in
// loc, a correction saying which entry it corrects.
func historyText(k okrs.KeyResult, hist []okrs.Update, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*KR %d · %s* — history", k.ID, views.Mrkdwn(strings.TrimSpace(k.Title), okrs.MaxTitleLen))
	if len(hist) == 0 {
		b.WriteString("\n_no updates yet_")
		return b.String()
	}
	from := max(0, len(hist)-shownHistory)
	for i := len(hist) - 1; i >= from; i-- {
		u := hist[i]
		line := fmt.Sprintf("\n• #%d %s: ", u.ID, u.At.In(loc).Format("Mon 2 Jan 15:04"))
		switch {
		case u.NoChange:
			line += "no change"
		case k.Kind == okrs.Milestone && u.Value >= 1:
			line += "done"
		case k.Kind == okrs.Milestone:
			line += "not done"
		default:
			line += views.Mrkdwn(FormatNumber(u.Value, k.Decimals)+unitSuffix(k.Unit), 80)
		}
		if c := confidenceLabel(u.Confidence); c != "" && !u.NoChange {
			line += ", " + c
		}
		if u.Corrects != 0 {
			line += fmt.Sprintf(" _(corrects #%d)_", u.Corrects)
		}
		if n := strings.TrimSpace(u.Note); n != "" {
			line += " — " + views.Mrkdwn(n, 120)
		}
		b.WriteString(line)
	}
	if from > 0 {
		fmt.Fprintf(&b, "\n_and %d earlier %s in `/trellis okr export`_", from, views.Plural(from, "entry", "entries"))
	}
	fmt.Fprintf(&b, "\nFix a number with `/trellis okr correct %d value`: both entries stay.", k.ID)
	return b.String()
}

// unitSuffix is " unit" for a unit, "" for none.
func unitSuffix(unit string) string {
	if u := strings.TrimSpace(unit); u != "" {
		if u == "%" {
			return "%"
		}
		return " " + u
	}
	return ""
}

// adminNow reads from Slack whether the person is a workspace admin now:
// asked only when the store refused them as neither owner.
func (h *Handlers) adminNow(ctx context.Context, req *bot.Request) (bool, error) {
	fresh, _, err := h.core.FreshPerson(ctx, req)
	if err != nil {
		return false, err
	}
	return fresh.IsAdmin, nil
}

// asOwnerOrAdmin runs do as the person, and once more as an admin when
// the store refused them (ErrNotOwner) and Slack says they are one: the
// store checks every change, and asking Slack only then keeps the
// owner's path free of calls.
func (h *Handlers) asOwnerOrAdmin(ctx context.Context, req *bot.Request, do func(admin bool) error) error {
	err := do(false)
	if !errors.Is(err, okrs.ErrNotOwner) {
		return err
	}
	admin, aerr := h.adminNow(ctx, req)
	if aerr != nil || !admin {
		return err
	}
	return do(true)
}

// notOwner is the friendly refusal for someone who may not change o.
func notOwner(o okrs.Objective, what string) *bot.Response {
	return handlers.Notice(fmt.Sprintf("Only <@%s>, who owns objective %d, or a workspace admin can %s it.", o.Owner, o.ID, what),
		"A key result's owner can change its title, target and unit with `/trellis okr edit`, and post its updates.")
}

// closeObjective answers /trellis okr close ID.
func (h *Handlers) closeObjective(ctx context.Context, req *bot.Request, p models.Person, o okrs.Objective) (*bot.Response, error) {
	if !o.ClosedAt.IsZero() {
		return handlers.Notice(fmt.Sprintf("Objective %d is closed already.", o.ID), ""), nil
	}
	err := h.asOwnerOrAdmin(ctx, req, func(admin bool) error { return h.store.CloseObjective(ctx, req.TeamID, o.ID, p.UserID, admin) })
	if errors.Is(err, okrs.ErrNotOwner) {
		return notOwner(o, "close"), nil
	}
	if err != nil {
		return nil, err
	}
	after := o
	after.ClosedAt = h.clock.Now()
	h.afterChange(req, p, o, after)
	return handlers.Notice(fmt.Sprintf("Objective %d, *%s*, is closed: its key results are kept with their history, and nobody is nudged about them any more.",
		o.ID, views.Mrkdwn(o.Title, okrs.MaxTitleLen)), ""), nil
}

// deleteObjective answers /trellis okr delete ID [confirm]: without
// "confirm" it says what would go and asks for it.
func (h *Handlers) deleteObjective(ctx context.Context, req *bot.Request, p models.Person, o okrs.Objective, confirmed bool) (*bot.Response, error) {
	if !confirmed {
		if o.Owner != p.UserID {
			admin, err := h.adminNow(ctx, req)
			if err != nil {
				return nil, err
			}
			if !admin {
				return notOwner(o, "delete"), nil
			}
		}
		return handlers.Notice(fmt.Sprintf("Deleting objective %d, *%s*, removes it and its %d key %s with their whole history, for everyone. To keep the history, `/trellis okr close %d` instead.",
			o.ID, views.Mrkdwn(o.Title, okrs.MaxTitleLen), len(o.KeyResults), views.Plural(len(o.KeyResults), "result", "results"), o.ID),
			fmt.Sprintf("To delete it, type `/trellis okr delete %d confirm`.", o.ID)), nil
	}
	err := h.asOwnerOrAdmin(ctx, req, func(admin bool) error { return h.store.DeleteObjective(ctx, req.TeamID, o.ID, p.UserID, admin) })
	if errors.Is(err, okrs.ErrNotOwner) {
		return notOwner(o, "delete"), nil
	}
	if errors.Is(err, models.ErrNotFound) {
		return handlers.Notice(fmt.Sprintf("There is no objective %d.", o.ID), ""), nil
	}
	if err != nil {
		return nil, err
	}
	h.afterChange(req, p, o, okrs.Objective{})
	return handlers.Notice(fmt.Sprintf("Objective %d, *%s*, is deleted.", o.ID, views.Mrkdwn(o.Title, okrs.MaxTitleLen)), ""), nil
}

// afterChange, after the ack, re-syncs the nudges of the owners an
// objective's change concerns and its team's digest, and refreshes the
// Home tab of the person who changed it.
func (h *Handlers) afterChange(req *bot.Request, p models.Person, before, after okrs.Objective) {
	req.After(func(ctx context.Context) {
		defer h.core.PublishHome(ctx, req)
		if err := h.svc.ObjectiveChanged(ctx, req.TeamID, before, after); err != nil {
			h.log.WarnContext(ctx, "could not re-sync OKR nudges", "objective", before.ID+after.ID, "err", err)
		}
		for _, team := range slices.Compact([]string{before.Team, after.Team}) {
			if team == "" {
				continue
			}
			if _, err := h.svc.SyncTeamDigest(ctx, req.TeamID, team, p.TimeZone()); err != nil {
				h.log.WarnContext(ctx, "could not re-sync an OKR digest", "team", team, "err", err)
			}
		}
	})
}

// correct answers /trellis okr correct KR-ID value [confidence] [note]: a
// new entry correcting the key result's last entry, both kept.
func (h *Handlers) correct(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	const hint = "Like `/trellis okr correct 34 52 at risk the first number was a typo`; `/trellis okr show ID` shows the key results' numbers."
	idText, rest := handlers.SplitCommand(args)
	id, ok := parseID(idText)
	if !ok {
		return handlers.Notice("Which key result? Give its number and the right value.", hint), nil
	}
	valueText, rest := handlers.SplitCommand(rest)
	if valueText == "" {
		return handlers.Notice(fmt.Sprintf("What is the right value of key result %d?", id), hint), nil
	}
	o, k, found, err := h.keyResult(ctx, req, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return handlers.Notice(fmt.Sprintf("There is no key result %d.", id), hint), nil
	}
	var value float64
	if k.Kind == okrs.Milestone {
		switch strings.ToLower(valueText) {
		case "done", "yes", "1":
			value = 1
		case "not_done", "no", "0", "not-done":
		default:
			return handlers.Notice(fmt.Sprintf("Key result %d is a milestone: its value is `done` or `not_done`.", id), hint), nil
		}
	} else {
		v, msg := ParseNumber(valueText, k.Unit)
		if msg != "" {
			return handlers.Notice(msg, hint), nil
		}
		value = v
	}
	conf, note := parseConfidence(rest)
	hist, err := h.store.History(ctx, req.TeamID, id)
	if err != nil {
		return nil, err
	}
	var last okrs.Update
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].Corrects == 0 {
			last = hist[i]
			break
		}
	}
	if last.ID == 0 {
		return handlers.Notice(fmt.Sprintf("Key result %d has no update to correct yet. Post one with `/trellis okr update`.", id), ""), nil
	}
	if conf == "" {
		cur, err := okrs.Current(hist)
		if err == nil {
			conf = cur.Confidence
		}
	}
	u := okrs.Update{KeyResultID: id, Value: value, Confidence: conf, Note: note, Corrects: last.ID}
	var stored []okrs.Update
	err = h.asOwnerOrAdmin(ctx, req, func(admin bool) error {
		var err error
		stored, err = h.store.AddUpdates(ctx, req.TeamID, p.UserID, admin, []okrs.Update{u}, okrs.SourceForm, h.clock.Now())
		return err
	})
	var ve *okrs.ValidationError
	switch {
	case errors.Is(err, okrs.ErrNotOwner):
		return handlers.Notice(fmt.Sprintf("Only <@%s>, who owns key result %d, its objective's owner or a workspace admin can correct it.", k.Owner, id), ""), nil
	case errors.As(err, &ve):
		return handlers.Notice(problemText(ve), hint), nil
	case err != nil:
		return nil, err
	}
	_ = o
	req.After(func(ctx context.Context) {
		if _, err := h.svc.Updated(ctx, req.TeamID, p.UserID, stored); err != nil {
			h.log.WarnContext(ctx, "could not record an OKR correction", "err", err)
		}
	})
	return handlers.Notice(fmt.Sprintf("Corrected entry #%d of *%s*: the history keeps both, the correction marked.", last.ID, views.Mrkdwn(k.Title, okrs.MaxTitleLen)),
		fmt.Sprintf("`/trellis okr show %d` shows it.", k.ObjectiveID)), nil
}

// problemText is a validation error's problems as one line.
func problemText(ve *okrs.ValidationError) string {
	var msgs []string
	for _, pr := range ve.Problems {
		msgs = append(msgs, pr.Message)
	}
	return strings.Join(msgs, " ")
}

// parseConfidence reads a confidence at the start of text ("on track",
// "at risk", "off track", with - or _ too) and the note after it.
func parseConfidence(text string) (okrs.Confidence, string) {
	t := strings.TrimSpace(text)
	norm := strings.ToLower(strings.NewReplacer("-", " ", "_", " ").Replace(t))
	for _, c := range []struct {
		words string
		conf  okrs.Confidence
	}{{"on track", okrs.OnTrack}, {"at risk", okrs.AtRisk}, {"off track", okrs.OffTrack}} {
		if strings.HasPrefix(norm, c.words) && (len(norm) == len(c.words) || norm[len(c.words)] == ' ') {
			return c.conf, strings.TrimSpace(t[len(c.words):])
		}
	}
	return "", t
}

// keyResult finds key result id with its objective, as not found when the
// person may not see the objective.
func (h *Handlers) keyResult(ctx context.Context, req *bot.Request, id int64) (okrs.Objective, okrs.KeyResult, bool, error) {
	objs, err := h.store.Objectives(ctx, req.TeamID, okrs.Filter{})
	if err != nil {
		return okrs.Objective{}, okrs.KeyResult{}, false, err
	}
	for _, o := range objs {
		for _, k := range o.KeyResults {
			if k.ID == id {
				if !h.viewerOf(req).sees(ctx, o) {
					return okrs.Objective{}, okrs.KeyResult{}, false, nil
				}
				return o, k, true, nil
			}
		}
	}
	return okrs.Objective{}, okrs.KeyResult{}, false, nil
}

// export answers /trellis okr export [cycle]: a CSV of a cycle's
// objectives the person may see, with every key result's history, in
// their DM.
func (h *Handlers) export(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	all, err := h.store.Cycles(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	team := ""
	if req.Command != nil && mrkdwn.IsChannelID(req.Command.ChannelID) {
		team = req.Command.ChannelID
	}
	today := h.today(p)
	cycles := teamCycles(all, team, today)
	if len(cycles) == 0 {
		return handlers.Notice("There are no cycles yet, so nothing to export.", ""), nil
	}
	var cycle okrs.Cycle
	if a := strings.TrimSpace(args); a != "" {
		c, ok := findCycle(cycles, a)
		if !ok {
			return handlers.Notice(fmt.Sprintf("There is no cycle called %s.", views.Code(a)), "The cycles are "+views.Escape(cycleNames(cycles))+"."), nil
		}
		cycle = c
	} else {
		c, ok, err := h.store.CycleOn(ctx, req.TeamID, team, today)
		if err != nil {
			return nil, err
		}
		if !ok {
			return handlers.Notice("No cycle is running now: name the one to export.", "The cycles are "+views.Escape(cycleNames(cycles))+"."), nil
		}
		cycle = c
	}
	objs, err := h.store.Objectives(ctx, req.TeamID, okrs.Filter{CycleID: cycle.ID})
	if err != nil {
		return nil, err
	}
	objs = h.viewerOf(req).filter(ctx, objs)
	var ids []int64
	for _, o := range objs {
		for _, k := range o.KeyResults {
			ids = append(ids, k.ID)
		}
	}
	hists, err := h.store.Histories(ctx, req.TeamID, ids)
	if err != nil {
		return nil, err
	}
	var rows []ExportRow
	for _, o := range objs {
		for _, k := range o.KeyResults {
			owner := k.Owner
			if person, err := h.ppl.Get(ctx, req.TeamID, k.Owner); err == nil && strings.TrimSpace(person.Name) != "" {
				owner = person.Name
			}
			hist := hists[k.ID]
			if len(hist) == 0 {
				rows = append(rows, ExportRow{Cycle: cycle, Objective: o, KR: k, Owner: owner})
			}
			for _, u := range hist {
				rows = append(rows, ExportRow{Cycle: cycle, Objective: o, KR: k, Owner: owner, Entry: u, Source: string(u.Source)})
			}
		}
	}
	if len(rows) == 0 {
		return handlers.Notice(fmt.Sprintf("*%s* has no objectives you can see yet, so there is nothing to export.", views.Mrkdwn(cycle.Name, okrs.MaxNameLen)), ""), nil
	}
	var buf bytes.Buffer
	if err := ExportCSV(&buf, rows); err != nil {
		return nil, err
	}
	data := buf.String()
	name := fmt.Sprintf("okrs-%d-%s.csv", cycle.ID, h.clock.Now().UTC().Format("2006-01-02"))
	req.After(func(ctx context.Context) {
		if req.Slack == nil {
			return
		}
		ch, _, _, err := req.Slack.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{req.UserID}, ReturnIM: true})
		if err == nil {
			_, err = req.Slack.UploadFileContext(ctx, slack.UploadFileParameters{
				Reader: strings.NewReader(data), FileSize: len(data), Filename: name,
				Title: views.Plain(cycle.Name, okrs.MaxNameLen) + " — OKRs", Channel: ch.ID,
				InitialComment: fmt.Sprintf("Here are the OKRs of *%s* with their history (%d %s).", views.Mrkdwn(cycle.Name, okrs.MaxNameLen), len(rows), views.Plural(len(rows), "row", "rows")),
			})
		}
		if err != nil {
			h.log.WarnContext(ctx, "could not send an OKR export", "cycle", cycle.ID, "err", err)
			h.core.DM(ctx, req, fmt.Sprintf("I couldn't send the export of *%s* (%s). Please try again.", views.Mrkdwn(cycle.Name, okrs.MaxNameLen), handlers.SlackErrorText(err)))
		}
	})
	return handlers.Notice(fmt.Sprintf("Exporting *%s*: the CSV arrives in your DM with me in a moment.", views.Mrkdwn(cycle.Name, okrs.MaxNameLen)),
		"Objectives limited to a channel you aren't in are left out."), nil
}

// nudges answers /trellis okr nudges weekly|every 2 weeks|off|default.
func (h *Handlers) nudges(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	const hint = "`/trellis okr nudges weekly`, `every 2 weeks`, `off`, or `default` (your team's choice)."
	if strings.TrimSpace(args) == "" {
		return handlers.Notice("How often should I remind you of key results you haven't updated?", hint), nil
	}
	setting, err := jobokrs.ParseSetting(args)
	if err != nil {
		return handlers.Notice(fmt.Sprintf("I can't read %s as a nudge setting.", views.Code(strings.TrimSpace(args))), hint), nil
	}
	if err := h.svc.SetNudges(ctx, req.TeamID, p.UserID, setting); err != nil {
		if errors.Is(err, models.ErrInvalid) {
			return handlers.Notice("I can't store that nudge setting.", hint), nil
		}
		return nil, err
	}
	return handlers.Notice(nudgesMeaning(setting),
		"A nudge lists only the key results you haven't updated since the last one, and is skipped when there are none."), nil
}

// nudgesMeaning says what a person's nudge setting means for them.
func nudgesMeaning(setting string) string {
	switch setting {
	case jobokrs.SettingOff:
		return "OKR nudges are off: I won't remind you of your key results. `/trellis okr nudges default` turns them back on."
	case jobokrs.SettingDefault:
		return "OKR nudges follow the cycle again: every week in cycles of up to two months, every 2 weeks in longer ones, on your team's day at your local working time."
	}
	return "OKR nudges: " + jobokrs.SettingText(setting) + ", on your team's day at your local working time, while you have key results you haven't updated."
}

// withProgress pairs each of objs with its progress, read from its key
// results' effective values in one query.
func (h *Handlers) withProgress(ctx context.Context, ws string, objs []okrs.Objective) ([]TreeObjective, error) {
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
	out := make([]TreeObjective, 0, len(objs))
	for _, o := range objs {
		out = append(out, TreeObjective{Objective: o, Progress: progressOf(o, eff)})
	}
	return out, nil
}
