package peers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// usage is the hint under a reply to a bare or unknown /trellis network
// word.
const usage = "`/trellis network new`, `list`, `edit|pause|resume|delete NETWORK`, `pause me [NETWORK] [until 2027-01-15]`, `resume me`, " +
	"`leave`, `join`, `add|remove NETWORK @person`, `avoid @person`, `unavoid @person`, `skills`, `capacity [NETWORK] N|default`, `ask QUESTION`, `ask delete CODE`, `why`."

// cmdNetwork serves /trellis network and its subcommands.
func (h *Handlers) cmdNetwork(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	sub, rest := handlers.SplitCommand(args)
	switch sub {
	case "", "list", "ls":
		return h.list(ctx, req, p)
	case "new", "create":
		return h.newNetwork(ctx, req, p, rest)
	case "edit":
		return h.edit(ctx, req, p, rest)
	case "pause":
		return h.pause(ctx, req, p, rest)
	case "resume", "unpause":
		return h.resume(ctx, req, p, rest)
	case "delete", "remove-network":
		return h.deleteNetwork(ctx, req, p, rest)
	case "leave":
		return h.leave(ctx, req, p, rest)
	case "join":
		return h.join(ctx, req, p, rest)
	case "add":
		return h.addPeople(ctx, req, p, rest)
	case "remove":
		return h.removePeople(ctx, req, p, rest)
	case "avoid":
		return h.avoid(ctx, req, p, rest)
	case "unavoid":
		return h.unavoid(ctx, req, p, rest)
	case "skills", "skill":
		return h.skills(ctx, req, p, rest)
	case "capacity":
		return h.capacity(ctx, req, p, rest)
	case "ask":
		return h.ask(ctx, req, p, rest)
	case "why":
		return h.why(ctx, req, p, rest)
	case "help":
		return handlers.Notice("Here is what `/trellis network` does.", usage), nil
	}
	return handlers.Notice("I don't know "+views.Code("/trellis network "+sub)+".", usage), nil
}

// today is the date in n's zone now.
func (h *Handlers) today(n peers.Network) calendar.Date {
	return calendar.DateOf(h.clock.Now().In(n.Location()))
}

// name is n's name as mrkdwn: escaped and bounded.
func name(n peers.Network) string { return "*" + views.Mrkdwn(n.Name, peers.MaxNameLen) + "*" }

// asManager runs do as the person, and once more as an admin when the
// store refused them (ErrNotAllowed) and Slack says now that they are
// one: the store checks every change, and Slack is asked only then.
func (h *Handlers) asManager(ctx context.Context, req *bot.Request, do func(admin bool) error) error {
	err := do(false)
	if !errors.Is(err, peers.ErrNotAllowed) {
		return err
	}
	admin, aerr := h.adminNow(ctx, req)
	if aerr != nil || !admin {
		return err
	}
	return do(true)
}

// adminNow reads from Slack whether the person is a workspace admin now.
func (h *Handlers) adminNow(ctx context.Context, req *bot.Request) (bool, error) {
	fresh, _, err := h.core.FreshPerson(ctx, req)
	if err != nil {
		return false, err
	}
	return fresh.IsAdmin, nil
}

// mayManage reports whether the person may manage n: its owner, or a
// workspace admin as Slack says now.
func (h *Handlers) mayManage(ctx context.Context, req *bot.Request, n peers.Network) (bool, error) {
	if peers.CanManage(n, req.UserID, false) {
		return true, nil
	}
	return h.adminNow(ctx, req)
}

// notManager is the friendly refusal for someone who may not manage n.
func notManager(n peers.Network, what string) *bot.Response {
	return handlers.Notice(fmt.Sprintf("Only <@%s>, who set up %s, or a workspace admin can %s it. Nothing was changed.", n.Owner, name(n), what),
		"You can always pause, leave or rejoin it yourself: `/trellis network pause me`, `leave`, `join`.")
}

// changed tells the runtime, after the ack, that n changed.
func (h *Handlers) changed(req *bot.Request, id int64) {
	if h.rt == nil {
		return
	}
	ws := req.TeamID
	req.After(func(ctx context.Context) {
		if err := h.rt.NetworkChanged(ctx, ws, id); err != nil {
			h.log.ErrorContext(ctx, "peer network changed: runtime", "workspace", ws, "network", id, "err", err)
		}
	})
}

// refused is the reply to what the store refused: its problems,
// escaped, and that nothing was saved; false for an error that is no
// refusal.
func refused(err error, hint string) (*bot.Response, bool) {
	var ve *peers.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) == 0 {
		return nil, false
	}
	var msgs []string
	for _, p := range ve.Problems {
		msgs = append(msgs, mrkdwn.Escape(p.Message))
	}
	return handlers.Notice(strings.Join(msgs, " ")+" Nothing was saved.", hint), true
}

// notIn is the reply to a person acting on their part of a network they
// are not in.
func notIn(n peers.Network) *bot.Response {
	hint := "Its people are chosen by its owner: ask its owner to add you."
	if n.Membership == peers.MembershipChannel {
		hint = fmt.Sprintf("Its people are the members of <#%s>: join the channel, or `/trellis network join %d` if you left it.", n.Channel, n.ID)
	}
	return handlers.Notice(fmt.Sprintf("You aren't in %s, so there is nothing of yours to change. Nothing was changed.", name(n)), hint)
}

// untilRE is a pause's end: "until 2027-01-15" at the end of the words.
var untilRE = regexp.MustCompile(`(?i)(^|\s)until\s+(\S+)\s*$`)

// cutUntil splits "… until DATE" into what comes before and the date's
// text; has is false without "until".
func cutUntil(s string) (before, date string, has bool) {
	m := untilRE.FindStringSubmatchIndex(s)
	if m == nil {
		return s, "", false
	}
	return strings.TrimSpace(s[:m[0]]), s[m[4]:m[5]], true
}

// cutWord cuts word (any case) from the start of s.
func cutWord(s, word string) (string, bool) {
	first, rest := handlers.SplitCommand(s)
	if first == word {
		return rest, true
	}
	return s, false
}

// pause answers /trellis network pause: `pause me [NETWORK] [until
// DATE]` and `pause [NETWORK] until DATE` pause the person; `pause
// NETWORK` pauses the whole network (owner or admin).
func (h *Handlers) pause(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	rest, me := cutWord(args, "me")
	ref, dateText, until := cutUntil(rest)
	if !me && !until {
		if strings.TrimSpace(args) == "" {
			return handlers.Notice("Pause yourself, or the whole network?",
				"`/trellis network pause me` (add `until 2027-01-15` to come back by yourself), or `/trellis network pause NETWORK` for everyone, by its owner."), nil
		}
		return h.pauseNetwork(ctx, req, args, true)
	}
	n, resp, err := h.pick(ctx, req, ref, "pause me")
	if resp != nil || err != nil {
		return resp, err
	}
	var last calendar.Date
	if until {
		today := h.today(n)
		d, err := calendar.ParseDate(dateText)
		if err != nil {
			return handlers.Notice(fmt.Sprintf("I read the end of a pause as a date like 2027-01-15; I got %s. Nothing was changed.", views.Code(dateText)),
				"For example `/trellis network pause me until 2027-01-15`, or without `until` to pause until you resume."), nil
		}
		if !d.After(today) {
			return handlers.Notice(fmt.Sprintf("%s isn't in the future (it is %s in %s's time zone). Nothing was changed.", d, today, name(n)),
				"Give the last day of your pause, like `/trellis network pause me until "+today.AddDays(14).String()+"`."), nil
		}
		last = d
	}
	err = h.store.PauseSelf(ctx, req.TeamID, n.ID, req.UserID, last)
	if errors.Is(err, peers.ErrNotFound) {
		return notIn(n), nil
	}
	if resp, ok := refused(err, ""); ok {
		return resp, nil
	}
	if err != nil {
		return nil, err
	}
	h.changed(req, n.ID)
	if last.IsZero() {
		return handlers.Notice(fmt.Sprintf("You're paused in %s until you resume. Nobody is told why, and you don't have to say.", name(n)),
			fmt.Sprintf("`/trellis network resume me %d` brings you back.", n.ID)), nil
	}
	return handlers.Notice(fmt.Sprintf("You're paused in %s through %s, and back by yourself after. Nobody is told why, and you don't have to say.", name(n), last.Format("Mon 2 Jan 2006")),
		fmt.Sprintf("`/trellis network resume me %d` brings you back sooner.", n.ID)), nil
}

// resume answers /trellis network resume: `resume me [NETWORK]` ends the
// person's pause; `resume NETWORK` the whole network's (owner or admin).
func (h *Handlers) resume(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	ref, me := cutWord(args, "me")
	if !me {
		if strings.TrimSpace(args) == "" {
			return handlers.Notice("Resume yourself, or the whole network?",
				"`/trellis network resume me`, or `/trellis network resume NETWORK` for everyone, by its owner."), nil
		}
		return h.pauseNetwork(ctx, req, args, false)
	}
	n, resp, err := h.pick(ctx, req, ref, "resume me")
	if resp != nil || err != nil {
		return resp, err
	}
	err = h.store.Resume(ctx, req.TeamID, n.ID, req.UserID)
	if errors.Is(err, peers.ErrNotFound) {
		return notIn(n), nil
	}
	if err != nil {
		return nil, err
	}
	h.changed(req, n.ID)
	return handlers.Notice(fmt.Sprintf("Welcome back: you take part in %s again from its next round.", name(n)), ""), nil
}

// pauseNetwork pauses or resumes the whole network ref names.
func (h *Handlers) pauseNetwork(ctx context.Context, req *bot.Request, ref string, paused bool) (*bot.Response, error) {
	verb := map[bool]string{true: "pause", false: "resume"}[paused]
	n, resp, err := h.pick(ctx, req, ref, verb)
	if resp != nil || err != nil {
		return resp, err
	}
	if n.Paused == paused {
		return handlers.Notice(fmt.Sprintf("%s is %s already.", name(n), map[bool]string{true: "paused", false: "running"}[paused]), ""), nil
	}
	err = h.asManager(ctx, req, func(admin bool) error {
		return h.store.SetNetworkPaused(ctx, req.TeamID, n.ID, paused, req.UserID, admin)
	})
	if errors.Is(err, peers.ErrNotAllowed) {
		return notManager(n, verb), nil
	}
	if err != nil {
		return nil, err
	}
	h.changed(req, n.ID)
	if paused {
		return handlers.Notice(fmt.Sprintf("%s is paused: no round starts and nothing of it is sent until it resumes.", name(n)),
			fmt.Sprintf("`/trellis network resume %d` starts it again.", n.ID)), nil
	}
	return handlers.Notice(fmt.Sprintf("%s runs again from its next round.", name(n)), ""), nil
}

// deleteNetwork answers /trellis network delete NETWORK [confirm]:
// without "confirm" it says what would go.
func (h *Handlers) deleteNetwork(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	ref, confirmed := strings.TrimSpace(args), false
	if i := strings.LastIndexAny(ref, " \t"); strings.EqualFold(ref[i+1:], "confirm") {
		ref, confirmed = strings.TrimSpace(ref[:i+1]), true
	}
	n, resp, err := h.pick(ctx, req, ref, "delete")
	if resp != nil || err != nil {
		return resp, err
	}
	if !confirmed {
		ok, err := h.mayManage(ctx, req, n)
		if err != nil {
			return nil, err
		}
		if !ok {
			return notManager(n, "delete"), nil
		}
		ps, err := h.store.Participants(ctx, req.TeamID, n.ID)
		if err != nil {
			return nil, err
		}
		return handlers.Notice(fmt.Sprintf("Deleting %s removes it for its %d %s: who takes part, its rounds and groups, circle sessions, commitments and anonymous questions, for good. To stop it for a while, `/trellis network pause %d` instead.",
			name(n), len(ps), views.Plural(len(ps), "person", "people"), n.ID),
			fmt.Sprintf("To delete it, type `/trellis network delete %d confirm`.", n.ID)), nil
	}
	err = h.asManager(ctx, req, func(admin bool) error { return h.store.DeleteNetwork(ctx, req.TeamID, n.ID, req.UserID, admin) })
	switch {
	case errors.Is(err, peers.ErrNotAllowed):
		return notManager(n, "delete"), nil
	case errors.Is(err, peers.ErrNotFound):
		return handlers.Notice("That network is gone already.", ""), nil
	case err != nil:
		return nil, err
	}
	if h.rt != nil {
		ws, id := req.TeamID, n.ID
		req.After(func(ctx context.Context) {
			if err := h.rt.NetworkDeleted(ctx, ws, id); err != nil {
				h.log.ErrorContext(ctx, "peer network deleted: runtime", "workspace", ws, "network", id, "err", err)
			}
		})
	}
	return handlers.Notice(fmt.Sprintf("%s is deleted, with everything of it.", name(n)), ""), nil
}

// leave answers /trellis network leave [NETWORK].
func (h *Handlers) leave(ctx context.Context, req *bot.Request, p models.Person, ref string) (*bot.Response, error) {
	n, resp, err := h.pick(ctx, req, ref, "leave")
	if resp != nil || err != nil {
		return resp, err
	}
	part, err := h.store.Participant(ctx, req.TeamID, n.ID, req.UserID)
	if errors.Is(err, peers.ErrNotFound) {
		return notIn(n), nil
	}
	if err != nil {
		return nil, err
	}
	if part.Left {
		return handlers.Notice(fmt.Sprintf("You left %s already.", name(n)), fmt.Sprintf("`/trellis network join %d` brings you back.", n.ID)), nil
	}
	if err := h.store.Leave(ctx, req.TeamID, n.ID, req.UserID); err != nil {
		return nil, err
	}
	h.changed(req, n.ID)
	return handlers.Notice(fmt.Sprintf("You left %s: you won't be matched in it, even while you stay in its channel. Nobody is told why.", name(n)),
		fmt.Sprintf("`/trellis network join %d` brings you back.", n.ID)), nil
}

// join answers /trellis network join [NETWORK]: nobody puts themselves
// into a network, so it brings back only someone who left it themselves.
// A chosen network's people are added by its owner (someone the owner
// removed stays out); a channel network's are its channel's members as
// Slack says now: a member the channel's sync missed comes in, and
// someone who left the channel is refused.
func (h *Handlers) join(ctx context.Context, req *bot.Request, p models.Person, ref string) (*bot.Response, error) {
	n, resp, err := h.pick(ctx, req, ref, "join")
	if resp != nil || err != nil {
		return resp, err
	}
	part, err := h.store.Participant(ctx, req.TeamID, n.ID, req.UserID)
	found := err == nil
	switch {
	case err != nil && !errors.Is(err, peers.ErrNotFound):
		return nil, err
	case found && !part.Left:
		return handlers.Notice(fmt.Sprintf("You're in %s already.", name(n)), ""), nil
	case !found && n.Membership == peers.MembershipChosen:
		return handlers.Notice(fmt.Sprintf("The people of %s are chosen by its owner: ask its owner to add you. Nothing was changed.", name(n)),
			"Only someone who left a network themselves can rejoin it by themselves."), nil
	}
	if n.Membership == peers.MembershipChannel {
		members, err := h.channelMembers(ctx, req, n.Channel)
		if err != nil {
			h.log.WarnContext(ctx, "join: could not read a channel's members", "channel", n.Channel, "err", err)
			return handlers.Notice(fmt.Sprintf("I couldn't check with Slack that you're in <#%s> (%s). Nothing was changed; please try again.", n.Channel, handlers.SlackErrorText(err)), ""), nil
		}
		if !members[req.UserID] {
			return handlers.Notice(fmt.Sprintf("The people of %s are the members of <#%s>: join the channel, and you're in. Nothing was changed.", name(n), n.Channel), ""), nil
		}
		if !found {
			// In the channel, but the sync (on Slack's events) missed them:
			// sync now; one who typed a command is a person.
			if _, err := h.syncChannel(ctx, req, n.ID, members, req.UserID); err != nil {
				return nil, err
			}
			h.changed(req, n.ID)
			return handlers.Notice(fmt.Sprintf("You're in %s: you take part from its next round.", name(n)),
				"`/trellis network pause me` or `leave` whenever you like; nobody has to explain."), nil
		}
	}
	if _, err := h.store.Join(ctx, req.TeamID, n.ID, req.UserID); err != nil {
		return nil, err
	}
	h.changed(req, n.ID)
	return handlers.Notice(fmt.Sprintf("You're in %s again: you take part from its next round.", name(n)),
		"`/trellis network pause me` or `leave` whenever you like; nobody has to explain."), nil
}

// mentionRE is a person as Slack writes one picked in a command.
var mentionRE = regexp.MustCompile(`<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>`)

// cutMentions splits text into what comes before its first mention and
// the people mentioned, in order, once each; other is what else there is
// among the mentions.
func cutMentions(text string) (before string, users []string, other string) {
	loc := mentionRE.FindStringIndex(text)
	if loc == nil {
		return strings.TrimSpace(text), nil, ""
	}
	before, tail := strings.TrimSpace(text[:loc[0]]), text[loc[0]:]
	for _, m := range mentionRE.FindAllStringSubmatch(tail, -1) {
		if !containsStr(users, m[1]) {
			users = append(users, m[1])
		}
	}
	other = strings.TrimSpace(mentionRE.ReplaceAllString(tail, " "))
	return before, users, other
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// maxPeoplePerCommand bounds the people one add or remove names.
const maxPeoplePerCommand = 50

// peopleArgs reads `NETWORK @a @b` for add and remove.
func (h *Handlers) peopleArgs(ctx context.Context, req *bot.Request, args, verb string) (peers.Network, []string, *bot.Response, error) {
	hint := fmt.Sprintf("Like `/trellis network %s NETWORK @someone @someone-else`, picking the people from Slack's suggestions.", verb)
	ref, users, other := cutMentions(args)
	if other != "" {
		return peers.Network{}, nil, handlers.Notice(fmt.Sprintf("I can only read people picked from Slack's suggestions, and %s isn't one. Nothing was changed.", views.Code(other)), hint), nil
	}
	if len(users) == 0 {
		return peers.Network{}, nil, handlers.Notice("Who? Name the people with @. Nothing was changed.", hint), nil
	}
	if len(users) > maxPeoplePerCommand {
		return peers.Network{}, nil, handlers.Notice(fmt.Sprintf("That's %d people; name at most %d at a time. Nothing was changed.", len(users), maxPeoplePerCommand), hint), nil
	}
	n, resp, err := h.pick(ctx, req, ref, verb+" NETWORK @person")
	return n, users, resp, err
}

// addPeople answers /trellis network add NETWORK @a @b (chosen networks,
// owner or admin).
func (h *Handlers) addPeople(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	n, users, resp, err := h.peopleArgs(ctx, req, args, "add")
	if resp != nil || err != nil {
		return resp, err
	}
	if bot := h.bot(ctx, req.TeamID); bot != "" && containsStr(users, bot) {
		return handlers.Notice("I take part in no network myself. Nothing was changed.", ""), nil
	}
	var added []string
	err = h.asManager(ctx, req, func(admin bool) error {
		var err error
		added, err = h.store.AddChosen(ctx, req.TeamID, n.ID, users, req.UserID, admin)
		return err
	})
	if errors.Is(err, peers.ErrNotAllowed) {
		return notManager(n, "add people to"), nil
	}
	if resp, ok := refused(err, ""); ok {
		return resp, nil
	}
	if err != nil {
		return nil, err
	}
	if len(added) > 0 {
		h.changed(req, n.ID)
	}
	msg := fmt.Sprintf("Added %d %s to %s.", len(added), views.Plural(len(added), "person", "people"), name(n))
	if skipped := len(users) - len(added); skipped > 0 {
		msg += fmt.Sprintf(" %d %s in it already, or left it themselves: only they can rejoin.", skipped, views.Plural(skipped, "was", "were"))
	}
	return handlers.Notice(msg, ""), nil
}

// removePeople answers /trellis network remove NETWORK @a (chosen
// networks, owner or admin).
func (h *Handlers) removePeople(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	n, users, resp, err := h.peopleArgs(ctx, req, args, "remove")
	if resp != nil || err != nil {
		return resp, err
	}
	ok, err := h.mayManage(ctx, req, n)
	if err != nil {
		return nil, err
	}
	if !ok {
		return notManager(n, "remove people from"), nil
	}
	if n.Membership != peers.MembershipChosen {
		return handlers.Notice(fmt.Sprintf("The people of %s are the members of <#%s>: they leave it by leaving the channel, or themselves. Nothing was changed.", name(n), n.Channel), ""), nil
	}
	// Not the owner, so an admin as Slack just said.
	admin := !peers.CanManage(n, req.UserID, false)
	removed := 0
	err = h.db.Tx(ctx, func(ctx context.Context) error {
		removed = 0
		for _, u := range users {
			err := h.store.Remove(ctx, req.TeamID, n.ID, u, req.UserID, admin)
			if errors.Is(err, peers.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			removed++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if removed > 0 {
		h.changed(req, n.ID)
	}
	msg := fmt.Sprintf("Removed %d %s from %s; their past groups stay.", removed, views.Plural(removed, "person", "people"), name(n))
	if rest := len(users) - removed; rest > 0 {
		msg += fmt.Sprintf(" %d %s not in it.", rest, views.Plural(rest, "was", "were"))
	}
	return handlers.Notice(msg, ""), nil
}

// bot is Trellis's own user id in ws, or "".
func (h *Handlers) bot(ctx context.Context, ws string) string {
	if h.botUserID == nil {
		return ""
	}
	return h.botUserID(ctx, ws)
}
