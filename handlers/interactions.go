package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// OpenModal opens view with the trigger. It runs before the ack because a
// trigger_id lives only three seconds, and gives up when the request's
// Slack budget runs out (views.open held behind a 429, say), answering in
// words instead of missing the ack. A button press, whose ack carries no
// message, gets that answer after the ack.
func (h *Handlers) OpenModal(ctx context.Context, req *bot.Request, triggerID string, view slack.ModalViewRequest) (*bot.Response, error) {
	var refusal *bot.Response
	switch {
	case req.Slack == nil || triggerID == "":
		refusal = Notice("I can't open a form from here; use the command with arguments instead.", "Try `/trellis help`.")
	default:
		sctx, cancel := SlackCtx(ctx)
		opened, err := req.Slack.OpenViewContext(sctx, triggerID, view)
		cancel()
		if err == nil {
			h.recordOpened(ctx, req, opened, view.CallbackID)
			return nil, nil
		}
		h.log.WarnContext(ctx, "views.open failed", "callback", view.CallbackID, "err", err)
		refusal = Notice("Slack is busy and didn't let me open the form in time. Please try again in a minute.", "Or type the setting directly, see `/trellis help`.")
	}
	if req.Kind == bot.KindBlockAction {
		h.ReplyLater(req, refusal)
		return nil, nil
	}
	return refusal, nil
}

// recordOpened records a modal Trellis opened for the person.
func (h *Handlers) recordOpened(ctx context.Context, req *bot.Request, opened *slack.ViewResponse, callbackID string) {
	if h.views != nil && opened != nil && opened.ID != "" {
		// What lets an action in the form change it later, for this
		// person only.
		if err := h.views.Record(ctx, req.TeamID, opened.ID, req.UserID, callbackID); err != nil {
			h.log.WarnContext(ctx, "could not record an opened view", "view", opened.ID, "err", err)
		}
	}
}

func (h *Handlers) openHoursFor(ctx context.Context, req *bot.Request, trigger string) (*bot.Response, error) {
	p, err := h.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	ws, err := h.workspace(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	return h.OpenModal(ctx, req, trigger, views.HoursModal(p.WorkingHoursIn(ws), p.Hours == nil, false, ws.DefaultHours))
}

func (h *Handlers) openTZFor(ctx context.Context, req *bot.Request, trigger string) (*bot.Response, error) {
	p, err := h.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	current := p.TimeZone()
	if p.TZOverride == "" && p.SlackTZ == "" {
		current = "" // not read from Slack yet: the form must not name a stand-in
	}
	return h.OpenModal(ctx, req, trigger, views.TZModal(current, p.SlackTZ, p.TZOverride == ""))
}

func (h *Handlers) openRegionFor(ctx context.Context, req *bot.Request, trigger string, workspace bool) (*bot.Response, error) {
	p, err := h.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	return h.OpenModal(ctx, req, trigger, views.RegionModal(p.HolidayRegion, viewRegions(), workspace))
}

func Trigger(req *bot.Request) string {
	if req.Interaction != nil {
		return req.Interaction.TriggerID
	}
	return ""
}

func (h *Handlers) openHoursModal(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	return h.openHoursFor(ctx, req, Trigger(req))
}

func (h *Handlers) openTZModal(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	return h.openTZFor(ctx, req, Trigger(req))
}

func (h *Handlers) openRegionModal(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	return h.openRegionFor(ctx, req, Trigger(req), false)
}

func (h *Handlers) openAwayModal(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	p, err := h.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	return h.OpenModal(ctx, req, Trigger(req), views.AwayModal(localToday(h.clock.Now(), p.Location())))
}

func (h *Handlers) removeAway(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	action := req.Interaction.ActionCallback.BlockActions[0]
	id, err := strconv.ParseInt(action.Value, 10, 64)
	if err != nil || id <= 0 {
		h.Tell(ctx, req, "I couldn't tell which time off to remove. Open your Home tab again and use its button.")
		return nil, nil
	}
	// DeleteAway only removes the person's own periods.
	if err := h.ppl.DeleteAway(ctx, req.TeamID, req.UserID, id); errors.Is(err, models.ErrNotFound) {
		h.Tell(ctx, req, "That time off isn't in your list any more, so there was nothing to remove.")
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	req.After(h.RefreshHome(req))
	return nil, nil
}

// state reads one input of a submitted view.
func state(req *bot.Request, blockID string) slack.BlockAction {
	if req.Interaction.View.State == nil {
		return slack.BlockAction{}
	}
	if b, ok := req.Interaction.View.State.Values[blockID]; ok {
		if a, ok := b[blockID]; ok {
			return a
		}
		for _, a := range b {
			return a
		}
	}
	return slack.BlockAction{}
}

func FieldErrors(errs map[string]string) *bot.Response {
	return &bot.Response{Body: slack.NewErrorsViewSubmissionResponse(errs)}
}

func (h *Handlers) submitHours(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	workspace := req.Interaction.View.PrivateMetadata == "workspace"
	var days calendar.Weekdays
	for _, o := range state(req, views.BlockDays).SelectedOptions {
		d, err := calendar.ParseWeekdays(o.Value)
		if err != nil {
			return FieldErrors(map[string]string{views.BlockDays: "Pick days from the list."}), nil
		}
		days |= d
	}
	errs := map[string]string{}
	start, err := calendar.ParseTimeOfDay(state(req, views.BlockStart).SelectedTime)
	if err != nil {
		errs[views.BlockStart] = "Pick a start time."
	}
	end, err := calendar.ParseTimeOfDay(state(req, views.BlockEnd).SelectedTime)
	if err != nil {
		errs[views.BlockEnd] = "Pick an end time."
	}
	if days == 0 {
		errs[views.BlockDays] = "Pick at least one working day."
	}
	wh := calendar.WorkingHours{Days: days, Start: start, End: end}
	if len(errs) == 0 && errors.Is(wh.Validate(), calendar.ErrZeroLength) {
		errs[views.BlockEnd] = "The end can't equal the start: that leaves no working time. For a night shift, end before the start (22:00 to 06:00)."
	}
	if len(errs) > 0 {
		return FieldErrors(errs), nil
	}
	if workspace {
		defer h.cache.forget(req.TeamID)
		p, confirmed, err := h.FreshPerson(ctx, req)
		if err != nil {
			return nil, err
		}
		if !p.IsAdmin && !confirmed {
			return FieldErrors(map[string]string{views.BlockDays: msgAdminUnconfirmed}), nil
		}
		if !p.IsAdmin {
			return FieldErrors(map[string]string{views.BlockDays: "Only workspace admins can change the workspace default."}), nil
		}
		if err := h.ws.SetDefaultHours(ctx, req.TeamID, wh, req.UserID); err != nil {
			return nil, err
		}
	} else {
		ws, err := h.workspace(ctx, req.TeamID)
		if err != nil {
			return nil, err
		}
		own := &wh
		if wh == ws.DefaultHours {
			own = nil // exactly the default: follow it
		}
		if err := h.ppl.SetHours(ctx, req.TeamID, req.UserID, own); err != nil {
			return nil, err
		}
	}
	req.After(h.RefreshHome(req))
	return nil, nil
}

func (h *Handlers) submitTZ(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	raw := strings.TrimSpace(state(req, views.BlockTZ).Value)
	zone := "" // empty: follow the Slack profile
	if raw != "" {
		z, ok := canonicalZone(raw)
		if !ok {
			return FieldErrors(map[string]string{views.BlockTZ: fmt.Sprintf("“%s” isn't a timezone I know: use a Region/City name like Europe/Berlin.", raw)}), nil
		}
		zone = z
	}
	if err := h.ppl.SetTZOverride(ctx, req.TeamID, req.UserID, zone); err != nil {
		return nil, err
	}
	req.After(h.RefreshHome(req))
	return nil, nil
}

// maxAwayAhead is how far ahead, in days, time off can be entered: the
// date pickers offer any date, and a period years away is a slip.
const maxAwayAhead = 366

func (h *Handlers) submitAway(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	p, err := h.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	today := localToday(h.clock.Now(), p.Location())
	errs := map[string]string{}
	first, err := calendar.ParseDate(state(req, views.BlockFirst).SelectedDate)
	if err != nil {
		errs[views.BlockFirst] = "Pick the first day off."
	} else if first.Before(today) {
		errs[views.BlockFirst] = "That day is in the past; pick today or later."
	}
	horizon := today.AddDays(maxAwayAhead)
	if err == nil && first.After(horizon) {
		errs[views.BlockFirst] = fmt.Sprintf("Pick a day within the next year (until %s).", horizon.Format("2 Jan 2006"))
	}
	last, err := calendar.ParseDate(state(req, views.BlockLast).SelectedDate)
	switch {
	case err != nil:
		errs[views.BlockLast] = "Pick the last day off."
	case last.After(horizon):
		errs[views.BlockLast] = fmt.Sprintf("Pick a day within the next year (until %s).", horizon.Format("2 Jan 2006"))
	default:
		if _, ok := errs[views.BlockFirst]; !ok && last.Before(first) {
			errs[views.BlockLast] = "The last day can't be before the first."
		}
	}
	if len(errs) > 0 {
		return FieldErrors(errs), nil
	}
	note := strings.TrimSpace(state(req, views.BlockNote).Value)
	if n := utf8.RuneCountInString(note); n > models.MaxAwayNoteLen {
		return FieldErrors(map[string]string{views.BlockNote: fmt.Sprintf("The note is %d characters long; keep it to %d.", n, models.MaxAwayNoteLen)}), nil
	}
	a, err := h.ppl.AddAway(ctx, models.AwayPeriod{WorkspaceID: req.TeamID, UserID: req.UserID, First: first, Last: last, Note: note})
	if errors.Is(err, models.ErrDuplicate) {
		return FieldErrors(map[string]string{views.BlockFirst: fmt.Sprintf("That time off is already recorded: you're off from %s to %s. Nothing changed.", a.First.Format("Mon 2 Jan"), a.Last.Format("Mon 2 Jan 2006"))}), nil
	}
	if err != nil {
		return nil, err
	}
	req.After(h.RefreshHome(req))
	return nil, nil
}

func (h *Handlers) submitRegion(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	workspace := req.Interaction.View.PrivateMetadata == "workspace"
	code, ok := normaliseRegion(state(req, views.BlockRegion).SelectedOption.Value, !workspace)
	if !ok {
		return FieldErrors(map[string]string{views.BlockRegion: "Pick a region from the list."}), nil
	}
	if workspace {
		defer h.cache.forget(req.TeamID)
		p, confirmed, err := h.FreshPerson(ctx, req)
		if err != nil {
			return nil, err
		}
		if !p.IsAdmin && !confirmed {
			return FieldErrors(map[string]string{views.BlockRegion: msgAdminUnconfirmed}), nil
		}
		if !p.IsAdmin {
			return FieldErrors(map[string]string{views.BlockRegion: "Only workspace admins can change the workspace region."}), nil
		}
		if err := h.ws.SetHolidayRegion(ctx, req.TeamID, code, req.UserID); err != nil {
			return nil, err
		}
		return nil, nil
	}
	if err := h.ppl.SetHolidayRegion(ctx, req.TeamID, req.UserID, code); err != nil {
		return nil, err
	}
	req.After(h.RefreshHome(req))
	return nil, nil
}

// homeOpened publishes the Home tab after the ack.
func (h *Handlers) homeOpened(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	if req.Event.Data != nil {
		if ev, ok := req.Event.Data.(*slackevents.AppHomeOpenedEvent); ok && ev.Tab != "" && ev.Tab != "home" {
			return nil, nil
		}
	}
	req.After(h.RefreshHome(req))
	return nil, nil
}

// userChanged refreshes the Slack-sourced part of a profile: timezone, name,
// admin flag and status (which may mean the person is away).
func (h *Handlers) userChanged(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	ev, ok := req.Event.Data.(*slackevents.UserChangeEvent)
	if !ok {
		return nil, fmt.Errorf("user_change: unexpected payload %T", req.Event.Data)
	}
	u := slackUserFromEvent(ev)
	if _, err := h.ppl.SyncProfile(ctx, engine.PersonFromSlack(req.TeamID, u)); err != nil {
		return nil, err
	}
	return nil, nil
}

// uninstalled deactivates the workspace's installation: its token is gone.
func (h *Handlers) uninstalled(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	if h.inst == nil {
		return nil, nil
	}
	if err := h.inst.Deactivate(ctx, req.TeamID); err != nil {
		return nil, err
	}
	h.log.InfoContext(ctx, "installation deactivated", "team", req.TeamID, "event", req.Event.Type)
	return nil, nil
}

// slackUserFromEvent converts the user object of a user_change event to the
// shape users.info returns, so one mapping serves both.
func slackUserFromEvent(ev *slackevents.UserChangeEvent) *slack.User {
	u := ev.User
	return &slack.User{
		ID:             u.ID,
		Name:           u.Name,
		RealName:       u.RealName,
		TZ:             u.TZ,
		IsAdmin:        u.IsAdmin,
		IsOwner:        u.IsOwner,
		IsPrimaryOwner: u.IsPrimaryOwner,
		Deleted:        u.Deleted,
		Profile: slack.UserProfile{
			StatusText:       u.Profile.StatusText,
			StatusEmoji:      u.Profile.StatusEmoji,
			StatusExpiration: u.Profile.StatusExpiration,
		},
	}
}
