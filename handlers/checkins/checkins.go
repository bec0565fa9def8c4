package checkins

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	jobcheckins "github.com/trellis-bot/trellis/jobs/checkins"
	"github.com/trellis-bot/trellis/models"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

const checkinExample = "`/trellis checkin new` (in the team's channel), `/trellis checkin list`, " +
	"`/trellis checkin edit|pause|resume|delete|run|export ID`."

// cmdCheckin serves /trellis checkin and its subcommands.
func (h *Handlers) cmdCheckin(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	sub, rest := handlers.SplitCommand(args)
	switch sub {
	case "new", "create", "add":
		return h.newCheckin(ctx, req)
	case "list", "ls", "":
		return h.listCheckins(ctx, req, p)
	case "edit", "pause", "resume", "delete", "remove", "run", "export":
		// "run now 12" reads as "run 12".
		if sub == "run" {
			if w, r := handlers.SplitCommand(rest); w == "now" {
				rest = r
			}
		}
		c, resp, err := h.pickCheckin(ctx, req, sub, rest)
		if resp != nil || err != nil {
			return resp, err
		}
		switch sub {
		case "edit":
			return h.editCheckin(ctx, req, p, c)
		case "pause", "resume":
			return h.pauseCheckin(ctx, req, p, c, sub == "pause")
		case "delete", "remove":
			return h.deleteCheckin(ctx, req, p, c)
		case "run":
			return h.runCheckin(ctx, req, p, c)
		case "export":
			return h.exportCheckin(ctx, req, p, c, strings.Contains(rest, "mine"))
		}
	}
	return handlers.Notice("I don't know "+views.Code("/trellis checkin "+sub)+".", checkinExample), nil
}

// pickCheckin finds the check-in a command names by id, or the channel's
// only one when no id is given.
func (h *Handlers) pickCheckin(ctx context.Context, req *bot.Request, verb, args string) (checkinmodels.Checkin, *bot.Response, error) {
	store := h.ck.Store()
	idText, _ := handlers.SplitCommand(args)
	if idText == "" {
		cs, err := store.InChannel(ctx, req.TeamID, req.Command.ChannelID)
		if err != nil {
			return checkinmodels.Checkin{}, nil, err
		}
		if len(cs) == 1 {
			return cs[0], nil, nil
		}
		return checkinmodels.Checkin{}, handlers.Notice(fmt.Sprintf("Which check-in? Give its number, like `/trellis checkin %s 12`.", verb),
			"`/trellis checkin list` shows the numbers."), nil
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(idText, "#"), 10, 64)
	if err != nil || id <= 0 {
		return checkinmodels.Checkin{}, handlers.Notice(fmt.Sprintf("%s isn't a check-in number.", views.Code(idText)), "`/trellis checkin list` shows the numbers."), nil
	}
	c, err := store.Get(ctx, req.TeamID, id)
	if err == nil && !h.maySee(ctx, req, c) {
		// A check-in of another channel the person has no part in, which
		// may be private: answer as if it did not exist.
		err = models.ErrNotFound
	}
	if errors.Is(err, models.ErrNotFound) {
		return checkinmodels.Checkin{}, handlers.Notice(fmt.Sprintf("There is no check-in %d.", id), "`/trellis checkin list` shows the numbers."), nil
	}
	return c, nil, err
}

// maySee reports whether the person may know of c: it belongs to the
// channel the command came from, or they own it, answer it or administer
// the workspace.
func (h *Handlers) maySee(ctx context.Context, req *bot.Request, c checkinmodels.Checkin) bool {
	if c.ChannelID == req.Command.ChannelID || c.OwnerID == req.UserID {
		return true
	}
	if people, err := h.ck.Participants(ctx, c); err == nil && slices.Contains(people, req.UserID) {
		return true
	}
	p, err := h.core.Person(ctx, req)
	return err == nil && p.IsAdmin
}

// mayChange reports whether the person may change c: its owner or a
// workspace admin (read fresh from Slack, since it is a permission).
func (h *Handlers) mayChange(ctx context.Context, req *bot.Request, p models.Person, c checkinmodels.Checkin) (admin, ok bool, err error) {
	if c.OwnerID == p.UserID {
		return p.IsAdmin, true, nil
	}
	fresh, _, err := h.core.FreshPerson(ctx, req)
	if err != nil {
		return false, false, err
	}
	return fresh.IsAdmin, fresh.IsAdmin, nil
}

// notOwner is the friendly refusal for someone who may not change c.
func notOwner(c checkinmodels.Checkin) *bot.Response {
	return handlers.Notice(fmt.Sprintf("Only <@%s>, who set up *%s*, or a workspace admin can change it.", c.OwnerID, views.Escape(c.Name)),
		"You can still answer it, skip or snooze a round, and export your own answers with `/trellis checkin export "+strconv.FormatInt(c.ID, 10)+"`.")
}

// newCheckin opens the form in the channel the command came from.
func (h *Handlers) newCheckin(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	ch := req.Command.ChannelID
	if !strings.HasPrefix(ch, "C") && !strings.HasPrefix(ch, "G") {
		return handlers.Notice("Run `/trellis checkin new` in the channel of the team it is for: its answers are shown there, and its members can be the participants.",
			"In a DM, `/trellis checkin list` shows the check-ins you are in."), nil
	}
	m := CheckinModal(checkinmodels.NewCheckin(), checkinmodels.Templates(), "")
	m.PrivateMetadata = "new:" + ch
	return h.core.OpenModal(ctx, req, req.Command.TriggerID, m)
}

// checkinTemplate fills the form from the template picked.
func (h *Handlers) checkinTemplate(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	view := req.Interaction.View
	key := req.Interaction.ActionCallback.BlockActions[0].SelectedOption.Value
	c := checkinmodels.NewCheckin()
	if tpl, ok := checkinmodels.FindTemplate(key); ok {
		c = tpl.Checkin
	} else if key != ValueCheckinBlank {
		h.core.Tell(ctx, req, "That isn't one of the templates. Pick one from the list, or start from scratch.")
		return nil, nil
	}
	// The view id comes with the payload: only a form Trellis opened for
	// this person is changed.
	if ok, err := h.core.OpenedFor(ctx, req, view.ID, CallbackCheckin); err != nil || !ok {
		if err == nil {
			h.core.Tell(ctx, req, "I can only fill in a check-in form I opened for you. Run `/trellis checkin new` again.")
		}
		return nil, err
	}
	m := CheckinModal(c, checkinmodels.Templates(), key)
	m.PrivateMetadata = view.PrivateMetadata
	if req.Slack == nil {
		return nil, nil
	}
	// Filling the form is what the pick is for, so the form is filled by
	// the time the pick is acked — unless Slack does not take it within
	// the request's Slack budget.
	sctx, cancel := handlers.SlackCtx(ctx)
	defer cancel()
	if _, err := req.Slack.UpdateViewContext(sctx, m, "", view.Hash, view.ID); err != nil {
		h.log.WarnContext(ctx, "views.update failed", "view", view.ID, "err", err)
		if sctx.Err() != nil {
			h.core.Tell(ctx, req, "Slack is busy and didn't let me fill in the form in time. Pick the template again in a minute.")
		}
	}
	return nil, nil
}

// submitCheckin creates or edits a check-in from the form. Every problem
// is shown under its field and nothing is stored until there are none.
func (h *Handlers) submitCheckin(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	verb, arg, _ := strings.Cut(req.Interaction.View.PrivateMetadata, ":")
	var values map[string]map[string]slack.BlockAction
	if req.Interaction.View.State != nil {
		values = req.Interaction.View.State.Values
	}
	c, errs := ParseCheckinSubmissionWith(values, func(name string) bool {
		_, ok := h.core.QuestionKind(name)
		return ok
	})
	if errs == nil {
		errs = map[string]string{}
	}
	if _, bad := errs[BlockCheckinCadence]; !bad && c.Cadence != "" {
		if err := jobcheckins.ParseCadence(c.Cadence); err != nil {
			errs[BlockCheckinCadence] = fmt.Sprintf("I couldn't read that: %v. Try “weekdays at 09:30”, “fridays at 14:00” or cron like “30 9 * * 1-5”.", err)
		}
	}
	if len(errs) > 0 {
		return handlers.FieldErrors(errs), nil
	}
	p, err := h.core.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	var saved checkinmodels.Checkin
	switch verb {
	case "new":
		// The channel comes from private_metadata, which a person can
		// change: they must be in it, asked of Slack now.
		if resp, err := h.mayCreateIn(ctx, req, arg); resp != nil || err != nil {
			return resp, err
		}
		c.WorkspaceID, c.ChannelID, c.OwnerID = req.TeamID, arg, req.UserID
		saved, err = h.ck.Create(ctx, c)
	case "edit":
		id, perr := strconv.ParseInt(arg, 10, 64)
		if perr != nil || id <= 0 {
			return handlers.FieldErrors(map[string]string{BlockCheckinName: "I can't tell which check-in this form is for. Close it and run `/trellis checkin edit ID` again."}), nil
		}
		old, gerr := h.ck.Store().Get(ctx, req.TeamID, id)
		if errors.Is(gerr, models.ErrNotFound) {
			return handlers.FieldErrors(map[string]string{BlockCheckinName: "There is no such check-in any more: it may have been deleted. Nothing was saved."}), nil
		}
		if gerr != nil {
			return nil, gerr
		}
		admin, ok, merr := h.mayChange(ctx, req, p, old)
		if merr != nil {
			return nil, merr
		}
		if !ok {
			return handlers.FieldErrors(map[string]string{BlockCheckinName: fmt.Sprintf("Only <@%s>, who set up this check-in, or a workspace admin can change it.", old.OwnerID)}), nil
		}
		c.ID, c.WorkspaceID, c.ChannelID, c.OwnerID = old.ID, old.WorkspaceID, old.ChannelID, old.OwnerID
		c.Anchor, c.Paused = old.Anchor, old.Paused
		saved, err = h.ck.Update(ctx, c, req.UserID, admin)
	default:
		return handlers.FieldErrors(map[string]string{BlockCheckinName: "I can't tell what this form is for. Close it and run `/trellis checkin new` in the team's channel again."}), nil
	}
	var ce *checkinmodels.ValidationError
	switch {
	case errors.As(err, &ce):
		out := map[string]string{}
		for _, pr := range ce.Problems {
			b := CheckinFieldBlock(pr.Field)
			if out[b] == "" {
				out[b] = pr.Message
			}
		}
		return handlers.FieldErrors(out), nil
	case errors.Is(err, checkinmodels.ErrNotOwner):
		return handlers.FieldErrors(map[string]string{BlockCheckinName: "Only the person who set up this check-in, or a workspace admin, can change it."}), nil
	case err != nil:
		return nil, err
	}
	created := verb == "new"
	req.After(func(ctx context.Context) { h.afterCheckinSaved(ctx, req, saved, created) })
	return nil, nil
}

// mayCreateIn checks, at submit time, that the person may set up a
// check-in for channel: a channel id, and they are in it now, as Slack
// says. It returns the friendly refusal, or nil when they may.
func (h *Handlers) mayCreateIn(ctx context.Context, req *bot.Request, channel string) (*bot.Response, error) {
	if !isChannelID(channel) {
		return handlers.FieldErrors(map[string]string{BlockCheckinName: "I can't tell which channel this check-in is for. Close the form and run `/trellis checkin new` in the team's channel."}), nil
	}
	in, err := h.member(ctx, req.TeamID, channel, req.UserID)
	if err != nil {
		h.log.WarnContext(ctx, "could not check channel membership", "channel", channel, "err", err)
		return handlers.FieldErrors(map[string]string{BlockCheckinName: fmt.Sprintf("I couldn't check with Slack that you're in <#%s> (%s). Nothing is saved yet; please try again in a moment. In a private channel, invite me first with `/invite @Trellis`.", channel, handlers.SlackErrorText(err))}), nil
	}
	if !in {
		return handlers.FieldErrors(map[string]string{BlockCheckinName: fmt.Sprintf("You can set up a check-in only for a channel you're in, and you aren't in <#%s>. Nothing was saved.", channel)}), nil
	}
	return nil, nil
}

// member asks Slack now whether a person is in a channel, within what is
// left of the request's Slack budget on the ack path.
func (h *Handlers) member(ctx context.Context, teamID, channel, userID string) (bool, error) {
	sctx, cancel := handlers.SlackCtx(ctx)
	defer cancel()
	return h.ck.Member(sctx, teamID, channel, userID)
}

// isChannelID reports whether id looks like a channel's id (public "C…"
// or private "G…"), not a DM or anything else.
func isChannelID(id string) bool {
	if len(id) < 2 || len(id) > 32 || (id[0] != 'C' && id[0] != 'G') {
		return false
	}
	for _, r := range id[1:] {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// afterCheckinSaved reads the channel's members into a channel-mode
// check-in and says in the channel what was set up, or tells the owner
// privately what stops it.
func (h *Handlers) afterCheckinSaved(ctx context.Context, req *bot.Request, c checkinmodels.Checkin, created bool) {
	if _, _, err := h.ck.SyncMembers(ctx, c); err != nil {
		h.log.WarnContext(ctx, "could not read the channel's members", "checkin", c.ID, "err", err)
		h.core.DM(ctx, req, fmt.Sprintf("I couldn't read the members of <#%s> for *%s* (%s). If it's a private channel, invite me with `/invite @Trellis`; I'll pick them up as soon as I'm in.",
			c.ChannelID, views.Escape(c.Name), handlers.SlackErrorText(err)))
	}
	if req.Slack == nil {
		return
	}
	people, err := h.ck.Participants(ctx, c)
	if err != nil {
		h.log.WarnContext(ctx, "could not count participants", "checkin", c.ID, "err", err)
	}
	verb := "set up"
	if !created {
		verb = "changed"
	}
	who := fmt.Sprintf("%d %s", len(people), views.Plural(len(people), "person", "people"))
	if c.Participants == checkinmodels.ParticipantsChannel {
		who = "everyone in this channel (" + who + " now)"
	}
	text := fmt.Sprintf("*%s* was %s here (check-in %d): %s, each person at that time in their own timezone and only inside their working hours, by DM. It asks %s. Answers go to %s.",
		views.Escape(c.Name), verb, c.ID, views.Escape(c.Cadence), who, jobcheckins.AnswersGoTo(c))
	_, _, err = req.Slack.PostMessageContext(ctx, c.ChannelID, slack.MsgOptionText(text, false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil),
			slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, "Nobody is ever named for not answering. `/trellis checkin list` shows this channel's check-ins.", false, false))))
	if err != nil {
		h.log.WarnContext(ctx, "could not announce a check-in", "checkin", c.ID, "err", err)
		h.core.DM(ctx, req, fmt.Sprintf("*%s* is saved, but I couldn't post in <#%s> (%s). Invite me with `/invite @Trellis` so its answers can be posted there.",
			views.Escape(c.Name), c.ChannelID, handlers.SlackErrorText(err)))
	}
}

// listCheckins lists the channel's check-ins, or in a DM the person's own.
func (h *Handlers) listCheckins(ctx context.Context, req *bot.Request, p models.Person) (*bot.Response, error) {
	store := h.ck.Store()
	var (
		cs      []checkinmodels.Checkin
		err     error
		title   string
		unknown int // channels Slack could not be asked about in time
	)
	ch := req.Command.ChannelID
	if strings.HasPrefix(ch, "C") || strings.HasPrefix(ch, "G") {
		cs, err = store.InChannel(ctx, req.TeamID, ch)
		title = "Check-ins in this channel"
	} else {
		cs, err = store.ForPerson(ctx, req.TeamID, req.UserID)
		title = "Your check-ins"
		// Only check-ins of channels the person is in now.
		in := h.inChannel(req.TeamID, req.UserID, &unknown)
		cs = slices.DeleteFunc(cs, func(c checkinmodels.Checkin) bool { return !in(ctx, c.ChannelID) })
	}
	if err != nil {
		return nil, err
	}
	items, err := h.checkinItems(ctx, req.TeamID, p, cs)
	if err != nil {
		return nil, err
	}
	blocks := CheckinList(items, title)
	if unknown > 0 {
		// Hidden, not shown on a guess: say so rather than look complete.
		blocks = append(blocks, views.Notice(fmt.Sprintf("Slack didn't tell me in time whether you're in %d of your check-ins' %s, so %s not listed. Please try again in a minute.",
			unknown, views.Plural(unknown, "channel", "channels"), views.Plural(unknown, "that one is", "those are")), "")...)
	}
	return handlers.Reply(fmt.Sprintf("%s: %d", title, len(items)), blocks), nil
}

// inChannel returns a test of whether the person is in a channel, by its
// member list at most a minute old (RecentMember), looked up once per
// channel for as long as the returned func is kept (one request). When
// Slack cannot be asked the answer is no: access is never granted on a
// guess; unknown, when not nil, counts the channels Slack could not be
// asked about.
func (h *Handlers) inChannel(teamID, userID string, unknown *int) func(ctx context.Context, channel string) bool {
	known := map[string]bool{}
	return func(ctx context.Context, channel string) bool {
		if in, ok := known[channel]; ok {
			return in
		}
		sctx, cancel := handlers.SlackCtx(ctx)
		in, err := h.ck.RecentMember(sctx, teamID, channel, userID)
		cancel()
		if err != nil {
			h.log.WarnContext(ctx, "could not check channel membership", "channel", channel, "err", err)
			if unknown != nil {
				*unknown++
			}
		}
		known[channel] = in && err == nil
		return known[channel]
	}
}

// checkinItems describes check-ins for the list and the Home tab, with
// when each next reaches the person.
func (h *Handlers) checkinItems(ctx context.Context, teamID string, p models.Person, cs []checkinmodels.Checkin) ([]CheckinListItem, error) {
	next := map[string]time.Time{}
	if len(cs) > 0 {
		in, ok, err := h.core.Forecast(ctx, teamID, p.UserID)
		if ok && err == nil {
			for _, t := range in.Targets {
				next[t.Schedule.Key] = t.NextAt
			}
		}
	}
	items := make([]CheckinListItem, 0, len(cs))
	for _, c := range cs {
		people, err := h.ck.Participants(ctx, c)
		if err != nil {
			return nil, err
		}
		items = append(items, CheckinListItem{
			ID: c.ID, Name: c.Name, Cadence: c.Cadence, ChannelID: c.ChannelID, OwnerID: c.OwnerID,
			Participants: len(people), Paused: c.Paused, NextForMe: next[checkinmodels.ScheduleKey(c.ID)],
			Loc: p.Location(), CanChange: c.OwnerID == p.UserID || p.IsAdmin,
		})
	}
	return items, nil
}

func (h *Handlers) editCheckin(ctx context.Context, req *bot.Request, p models.Person, c checkinmodels.Checkin) (*bot.Response, error) {
	if _, ok, err := h.mayChange(ctx, req, p, c); err != nil || !ok {
		return notOwner(c), err
	}
	m := CheckinModal(c, nil, "")
	m.PrivateMetadata = "edit:" + strconv.FormatInt(c.ID, 10)
	return h.core.OpenModal(ctx, req, req.Command.TriggerID, m)
}

func (h *Handlers) pauseCheckin(ctx context.Context, req *bot.Request, p models.Person, c checkinmodels.Checkin, pause bool) (*bot.Response, error) {
	admin, ok, err := h.mayChange(ctx, req, p, c)
	if err != nil || !ok {
		return notOwner(c), err
	}
	if _, err := h.ck.Store().SetPaused(ctx, req.TeamID, c.ID, pause, req.UserID, admin); errors.Is(err, checkinmodels.ErrNotOwner) {
		return notOwner(c), nil
	} else if err != nil {
		return nil, err
	}
	if pause {
		return handlers.Notice(fmt.Sprintf("Paused *%s*: nobody is asked until you resume it.", views.Escape(c.Name)), fmt.Sprintf("`/trellis checkin resume %d` starts it again.", c.ID)), nil
	}
	return handlers.Notice(fmt.Sprintf("Resumed *%s*: people are asked again from its next time (%s).", views.Escape(c.Name), views.Escape(c.Cadence)), ""), nil
}

func (h *Handlers) deleteCheckin(ctx context.Context, req *bot.Request, p models.Person, c checkinmodels.Checkin) (*bot.Response, error) {
	admin, ok, err := h.mayChange(ctx, req, p, c)
	if err != nil || !ok {
		return notOwner(c), err
	}
	if _, err := h.ck.Store().Delete(ctx, req.TeamID, c.ID, req.UserID, admin); errors.Is(err, checkinmodels.ErrNotOwner) {
		return notOwner(c), nil
	} else if err != nil {
		return nil, err
	}
	return handlers.Notice(fmt.Sprintf("Deleted *%s* and its answers. Nothing more of it will be sent.", views.Escape(c.Name)), ""), nil
}

func (h *Handlers) runCheckin(ctx context.Context, req *bot.Request, p models.Person, c checkinmodels.Checkin) (*bot.Response, error) {
	if _, ok, err := h.mayChange(ctx, req, p, c); err != nil || !ok {
		return notOwner(c), err
	}
	if c.Paused {
		return handlers.Notice(fmt.Sprintf("*%s* is paused.", views.Escape(c.Name)), fmt.Sprintf("Resume it first: `/trellis checkin resume %d`.", c.ID)), nil
	}
	n, err := h.ck.RunNow(ctx, c)
	if err != nil {
		return nil, err
	}
	return handlers.Notice(fmt.Sprintf("Asking %d %s for *%s* now.", n, views.Plural(n, "person", "people"), views.Escape(c.Name)),
		"Those inside their working hours get it within a minute; the others when their working day starts. Nobody on holiday or away is asked."), nil
}

// exportCheckin sends a CSV of answers to the person's DM: everyone's to
// the owner and admins (unless they ask for their own), each person's own
// to anyone else. Anonymous answers are never in it: they are stored
// without the person.
func (h *Handlers) exportCheckin(ctx context.Context, req *bot.Request, p models.Person, c checkinmodels.Checkin, mine bool) (*bot.Response, error) {
	everyone, left := false, false
	if !mine {
		_, ok, err := h.mayChange(ctx, req, p, c)
		if err != nil {
			return nil, err
		}
		if ok {
			// Everyone's answers only while the owner or admin is in the
			// channel they were given to, as Slack says now.
			in, err := h.member(ctx, req.TeamID, c.ChannelID, req.UserID)
			if err != nil {
				h.log.WarnContext(ctx, "could not check channel membership", "channel", c.ChannelID, "err", err)
				return handlers.Notice(fmt.Sprintf("I couldn't check with Slack that you're in <#%s> (%s), so I can't export everyone's answers yet. Please try again in a moment.", c.ChannelID, handlers.SlackErrorText(err)),
					fmt.Sprintf("`/trellis checkin export %d mine` exports your own answers.", c.ID)), nil
			}
			everyone, left = in, !in
		}
	}
	filter := req.UserID
	if everyone {
		filter = ""
	}
	rows, err := h.ck.Store().Export(ctx, req.TeamID, c.ID, filter)
	if err != nil {
		return nil, err
	}
	if everyone {
		// Nobody is named for not answering: the owner sees others'
		// answers, never who skipped a round.
		rows = slices.DeleteFunc(rows, func(r checkinmodels.ExportRow) bool {
			return r.Status == checkinmodels.ResponseSkipped && r.UserID != req.UserID
		})
	}
	if len(rows) == 0 {
		if everyone {
			return handlers.Notice(fmt.Sprintf("*%s* has no answers yet.", views.Escape(c.Name)), ""), nil
		}
		return handlers.Notice(fmt.Sprintf("You haven't answered *%s* yet, so there is nothing to export.", views.Escape(c.Name)), leftNote(left, c)), nil
	}
	data, err := jobcheckins.ExportCSV(ctx, h.ck, c, rows)
	if err != nil {
		return nil, err
	}
	whose := "your answers"
	if everyone {
		whose = "everyone's answers"
	}
	name := fmt.Sprintf("checkin-%d-%s.csv", c.ID, h.clock.Now().UTC().Format("2006-01-02"))
	req.After(func(ctx context.Context) {
		if req.Slack == nil {
			return
		}
		ch, _, _, err := req.Slack.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{req.UserID}, ReturnIM: true})
		if err == nil {
			_, err = req.Slack.UploadFileContext(ctx, slack.UploadFileParameters{
				Reader: strings.NewReader(string(data)), FileSize: len(data), Filename: name,
				Title: c.Name + " — " + whose, Channel: ch.ID,
				InitialComment: fmt.Sprintf("Here are %s to *%s* (%d %s). Anonymous answers are never exported: nobody knows whose they are.", whose, views.Escape(c.Name), len(rows), views.Plural(len(rows), "row", "rows")),
			})
		}
		if err != nil {
			h.log.WarnContext(ctx, "could not send an export", "checkin", c.ID, "err", err)
			h.core.DM(ctx, req, fmt.Sprintf("I couldn't send the export of *%s* (%s). Please try again.", views.Escape(c.Name), handlers.SlackErrorText(err)))
		}
	})
	return handlers.Notice(fmt.Sprintf("Exporting %s to *%s*: the CSV arrives in your DM with me in a moment.", whose, views.Escape(c.Name)), leftNote(left, c)), nil
}

// leftNote tells an owner or admin who is not in a check-in's channel why
// they get only their own answers.
func leftNote(left bool, c checkinmodels.Checkin) string {
	if !left {
		return ""
	}
	return fmt.Sprintf("Everyone's answers go only to people in <#%s>, and you aren't in it now, so this is only your own.", c.ChannelID)
}

// openAnswer opens the answer form of a round: a first answer, with free
// text filled in from last time, or an edit of the person's answer. Only
// people the round asked may open it.
func (h *Handlers) openAnswer(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	action := req.Interaction.ActionCallback.BlockActions[0]
	roundID, checkinID, err := jobcheckins.ParseAnswerMetadata(action.Value)
	if err != nil {
		h.core.Tell(ctx, req, "I can't tell which round that button is for. Use the buttons in your latest DM from me, or your Home tab.")
		return nil, nil
	}
	store := h.ck.Store()
	ra, stop, err := h.openRound(ctx, req, roundID, checkinID)
	if stop || err != nil {
		return nil, err
	}
	c, round, resp := ra.c, ra.round, ra.resp
	if !resp.AnonymousCounted(round) {
		c = c.AnonymousOptional() // not counted, so not required
	}
	var previous, last map[int]string
	if resp.Status == checkinmodels.ResponseAnswered {
		previous = resp.Answers
		if previous == nil {
			previous = map[int]string{}
		}
	} else if last, err = store.LastAnswers(ctx, req.TeamID, c.ID, req.UserID, round.Date); err != nil {
		return nil, err
	}
	label := jobcheckins.RoundLabel(c, round.Date)
	embed, err := h.embedBlocks(ctx, req, c, round, label, previous, last)
	if err != nil {
		return nil, err
	}
	m := AnswerModalWith(c, round, label, previous, last, embed)
	return h.core.OpenModal(ctx, req, handlers.Trigger(req), m)
}

// featureQuestion is c's checkinmodels.KindFeature question (a check-in
// asks at most one), its answer key, and the question kind that asks it;
// ok is false when c asks none or no feature offers that kind now.
func (h *Handlers) featureQuestion(c checkinmodels.Checkin) (key int, kind handlers.QuestionKind, ok bool) {
	for i, q := range c.Questions {
		if q.Kind != checkinmodels.KindFeature {
			continue
		}
		kind, ok = h.core.QuestionKind(q.Provider())
		return jobcheckins.AnswerKey(i, q), kind, ok
	}
	return 0, nil, false
}

// embedRequest is what a question kind is told of the answer form.
func embedRequest(req *bot.Request, key, maxBlocks, maxState int) handlers.QuestionRequest {
	return handlers.QuestionRequest{TeamID: req.TeamID, UserID: req.UserID, Request: req, Prefix: AnswerEmbedPrefix(key), MaxBlocks: maxBlocks, MaxState: maxState}
}

// embedBlocks asks the question kind of c's feature question, if any, for
// its inputs, within the room the answer form leaves it. A kind that
// fails is logged and the question shows that there is nothing to fill
// in: the rest of the check-in is still worth answering.
func (h *Handlers) embedBlocks(ctx context.Context, req *bot.Request, c checkinmodels.Checkin, round checkinmodels.Round, label string, previous, last map[int]string) (EmbeddedQuestion, error) {
	key, kind, ok := h.featureQuestion(c)
	if !ok {
		return EmbeddedQuestion{}, nil
	}
	maxBlocks, maxState := AnswerEmbedRoom(c, round, label, previous, last)
	qb, err := kind.Blocks(ctx, embedRequest(req, key, maxBlocks, maxState))
	if err == nil && (len(qb.Blocks) > maxBlocks || len(qb.State) > maxState) {
		err = fmt.Errorf("question kind gave %d blocks and %d bytes of state, over %d and %d", len(qb.Blocks), len(qb.State), maxBlocks, maxState)
	}
	if err != nil {
		h.log.WarnContext(ctx, "answer form: embedded question", "checkin", c.ID, "err", err)
		return EmbeddedQuestion{}, nil
	}
	return EmbeddedQuestion{Blocks: qb.Blocks, State: qb.State}, nil
}

// roundAction is a round a button names, with the check-in and the
// person's response to it.
type roundAction struct {
	c     checkinmodels.Checkin
	round checkinmodels.Round
	resp  checkinmodels.Response
}

// openRound loads a round a button names, and tells the person (stop)
// when it is not theirs or cannot be answered any more.
func (h *Handlers) openRound(ctx context.Context, req *bot.Request, roundID, checkinID int64) (ra roundAction, stop bool, err error) {
	store := h.ck.Store()
	if ra.c, err = store.Get(ctx, req.TeamID, checkinID); errors.Is(err, models.ErrNotFound) {
		h.core.Tell(ctx, req, "That check-in was deleted, so there is nothing to answer.")
		return ra, true, nil
	} else if err != nil {
		return ra, true, err
	}
	if ra.round, err = store.Round(ctx, req.TeamID, roundID); err != nil || ra.round.CheckinID != ra.c.ID {
		h.core.Tell(ctx, req, "I can't find that round any more.")
		return ra, true, nil
	}
	// Only people the round asked may act on it.
	if ra.resp, err = store.MyResponse(ctx, req.TeamID, roundID, req.UserID); errors.Is(err, models.ErrNotFound) {
		h.core.Tell(ctx, req, fmt.Sprintf("You aren't asked in *%s*, so there is nothing for you to answer.", views.Escape(ra.c.Name)))
		return ra, true, nil
	} else if err != nil {
		return ra, true, err
	}
	later, err := store.AskedLater(ctx, req.TeamID, ra.c.ID, req.UserID, ra.round.Date)
	if err != nil {
		return ra, true, err
	}
	if later {
		h.core.Tell(ctx, req, fmt.Sprintf("That round of *%s* is over: you've been asked a newer one. Answer that one instead.", views.Escape(ra.c.Name)))
		return ra, true, nil
	}
	return ra, false, nil
}

// submitAnswer stores a round's answers — before Slack is acknowledged —
// then posts them and marks the DM prompt answered.
func (h *Handlers) submitAnswer(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	roundID, checkinID, err := ParseAnswerForm(req.Interaction.View.PrivateMetadata)
	if errors.Is(err, ErrAnswerFormOutdated) {
		return handlers.FieldErrors(map[string]string{AnswerBlockID(1): "This form was opened before Trellis was updated, so nothing was saved. Close it and press Answer in your DM again."}), nil
	}
	if err != nil {
		return handlers.FieldErrors(map[string]string{AnswerBlockID(1): "I can't tell which round this form is for. Close it and press Answer in your DM again."}), nil
	}
	store := h.ck.Store()
	c, err := store.Get(ctx, req.TeamID, checkinID)
	if errors.Is(err, models.ErrNotFound) {
		return handlers.FieldErrors(map[string]string{AnswerBlockID(1): "This check-in was deleted while you were answering, so there is nowhere to keep the answer."}), nil
	}
	if err != nil {
		return nil, err
	}
	first := AnswerBlockID(1)
	round, err := store.Round(ctx, req.TeamID, roundID)
	if err != nil || round.CheckinID != c.ID {
		return handlers.FieldErrors(map[string]string{first: "I can't find this round any more."}), nil
	}
	resp, err := store.MyResponse(ctx, req.TeamID, roundID, req.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return handlers.FieldErrors(map[string]string{first: "You aren't asked in this check-in."}), nil
	} else if err != nil {
		return nil, err
	}
	if later, err := store.AskedLater(ctx, req.TeamID, c.ID, req.UserID, round.Date); err != nil {
		return nil, err
	} else if later {
		return handlers.FieldErrors(map[string]string{first: "This round is over: you've been asked a newer one. Close this and answer that one from your DMs."}), nil
	}
	var values map[string]map[string]slack.BlockAction
	if req.Interaction.View.State != nil {
		values = req.Interaction.View.State.Values
	}
	form := c
	if !resp.AnonymousCounted(round) {
		form = c.AnonymousOptional() // not counted, so not required
	}
	sub, helpers, errs := ParseAnswerSubmission(form, values)
	// Another feature's question is checked with the rest, storing
	// nothing, so that every problem shows at once and none is stored.
	var commit func(ctx context.Context) (map[int]string, error)
	// after is the kind's work once the answer is stored: set by the
	// last run of commit (a retried transaction runs it again).
	var after func(ctx context.Context) error
	if key, kind, ok := h.featureQuestion(c); ok {
		// Only a form that showed the kind's blocks is checked: with none
		// shown, there is nothing to read, and an earlier answer stays.
		var pending handlers.PendingAnswer
		var kindErrs map[string]string
		if state, shown := AnswerFormState(req.Interaction.View.PrivateMetadata); shown {
			if pending, kindErrs, err = kind.Check(ctx, embedRequest(req, key, 0, 0), state, values); err != nil {
				return nil, err
			}
		}
		if errs == nil && len(kindErrs) > 0 {
			errs = map[string]string{}
		}
		for block, msg := range kindErrs {
			errs[block] = msg
		}
		if len(errs) == 0 {
			// Committed in the answer's own transaction: if storing the
			// answer fails after it, the feature's records go too, and
			// the person sending the form again adds nothing twice.
			commit = func(ctx context.Context) (map[int]string, error) {
				if pending == nil {
					return map[int]string{key: ""}, nil
				}
				summary, then, err := pending.Commit(ctx)
				if err != nil {
					return nil, err
				}
				after = then
				return map[int]string{key: summary}, nil
			}
		}
	}
	if len(errs) > 0 {
		return handlers.FieldErrors(errs), nil
	}
	res, err := h.ck.SubmitWith(ctx, c, roundID, req.UserID, sub, helpers, commit)
	if errors.Is(err, models.ErrInvalid) {
		return handlers.FieldErrors(map[string]string{first: "Some answers don't fit their questions: " + strings.TrimPrefix(err.Error(), "answer round ")}), nil
	}
	if err != nil {
		return nil, err
	}
	req.After(func(ctx context.Context) {
		// The feature's own follow-up, outside the answer's transaction:
		// the answer is stored whatever becomes of it.
		if after != nil {
			if err := after(ctx); err != nil {
				h.log.WarnContext(ctx, "answer: the embedded question's follow-up failed", "checkin", c.ID, "err", err)
			}
		}
		if res.Post.ID != 0 {
			h.ck.DeliverPost(ctx, res.Post)
		}
		h.markPrompt(ctx, req, c, roundID, checkinmodels.ResponseAnswered, time.Time{})
		h.core.PublishHome(ctx, req)
	})
	return nil, nil
}

// markPrompt changes the person's DM prompts of a round to say what they
// did with it, leaving any other check-in in the same message as it was.
// Only the messages Trellis recorded as asking this person this round are
// changed — never one a payload names — and each is rebuilt from Slack's
// copy of Trellis's own message, never from the blocks a payload carries.
func (h *Handlers) markPrompt(ctx context.Context, req *bot.Request, c checkinmodels.Checkin, roundID int64, status string, until time.Time) {
	if req.Slack == nil {
		return
	}
	p, err := h.core.Person(ctx, req)
	if err != nil {
		return
	}
	at := until
	if at.IsZero() {
		at = h.clock.Now()
	}
	err = h.ck.RewritePrompts(ctx, c, roundID, req.UserID, func(blocks []slack.Block) []slack.Block {
		return jobcheckins.PromptDone(blocks, roundID, c.ID, status, at, p.Location())
	})
	if err != nil {
		h.log.WarnContext(ctx, "could not update the prompt", "round", roundID, "err", err)
	}
}

// skipRound records a skip: no reminders, nothing posted for the person.
func (h *Handlers) skipRound(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	roundID, checkinID, err := jobcheckins.ParseAnswerMetadata(req.Interaction.ActionCallback.BlockActions[0].Value)
	if err != nil {
		h.core.Tell(ctx, req, "I can't tell which round that button is for. Use the buttons in your latest DM from me, or your Home tab.")
		return nil, nil
	}
	ra, stop, err := h.openRound(ctx, req, roundID, checkinID)
	if stop || err != nil {
		return nil, err
	}
	if err := h.ck.Skip(ctx, ra.c, roundID, req.UserID); err != nil {
		return nil, err
	}
	req.After(func(ctx context.Context) {
		h.markPrompt(ctx, req, ra.c, roundID, checkinmodels.ResponseSkipped, time.Time{})
		h.core.PublishHome(ctx, req)
	})
	return nil, nil
}

// snoozeRound puts the round off to the time picked; the prompt comes back
// then, inside the person's working hours.
func (h *Handlers) snoozeRound(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	minutes, roundID, checkinID, err := jobcheckins.ParseSnoozeValue(req.Interaction.ActionCallback.BlockActions[0].SelectedOption.Value)
	if err != nil || !jobcheckins.SnoozeOffered(minutes) {
		h.core.Tell(ctx, req, "That isn't one of the snooze choices. Pick one from the Snooze… menu.")
		return nil, nil
	}
	ra, stop, err := h.openRound(ctx, req, roundID, checkinID)
	if stop || err != nil {
		return nil, err
	}
	if ra.resp.Status == checkinmodels.ResponseAnswered {
		h.core.Tell(ctx, req, "You've answered this one already; there is nothing to snooze.")
		return nil, nil
	}
	p, err := h.core.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	until, moved, err := h.ck.Snooze(ctx, ra.c, roundID, p, minutes)
	if err != nil {
		return nil, err
	}
	req.After(func(ctx context.Context) {
		h.markPrompt(ctx, req, ra.c, roundID, checkinmodels.ResponseSnoozed, until)
		if moved {
			h.core.Tell(ctx, req, jobcheckins.SnoozeMoved(minutes, until, p.Location()))
		}
	})
	return nil, nil
}

// membersChanged keeps channel-mode check-ins' participants in step with
// the channel.
func (h *Handlers) membersChanged(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	if req.Event == nil {
		return nil, nil
	}
	var channel string
	switch ev := req.Event.Data.(type) {
	case *slackevents.MemberJoinedChannelEvent:
		channel = ev.Channel
	case *slackevents.MemberLeftChannelEvent:
		channel = ev.Channel
	default:
		return nil, fmt.Errorf("%s: unexpected payload %T", req.Event.Type, req.Event.Data)
	}
	req.After(func(ctx context.Context) {
		if err := h.ck.SyncChannel(ctx, req.TeamID, channel); err != nil {
			h.log.WarnContext(ctx, "could not sync a channel's check-in participants", "channel", channel, "err", err)
		}
	})
	return nil, nil
}
