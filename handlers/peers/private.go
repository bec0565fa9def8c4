package peers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

// The avoid list, skills and capacity, anonymous asks and "why": each reply goes to
// the person who typed the command alone (an ephemeral reply), and the
// avoid list and the asker are never logged.

// avoidHint says how the avoid list works.
const avoidHint = "Only you ever see this list: it is never shown, explained or logged, and nobody is told they are on it. " +
	"`/trellis network unavoid @person` takes someone off."

// avoid answers /trellis network avoid [@person …]: with people, adds
// them to the person's own list; without (or with "list"), shows it.
func (h *Handlers) avoid(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	if a := strings.ToLower(strings.TrimSpace(args)); a == "" || a == "list" {
		return h.avoidList(ctx, req, "")
	}
	before, users, other := cutMentions(args)
	if before != "" || other != "" || len(users) == 0 {
		bad := strings.TrimSpace(before + " " + other)
		return handlers.Notice(fmt.Sprintf("I can only read people picked from Slack's suggestions, and %s isn't one. Nothing was changed.", views.Code(bad)),
			"Like `/trellis network avoid @someone`. "+avoidHint), nil
	}
	err := h.db.Tx(ctx, func(ctx context.Context) error {
		for _, u := range users {
			if err := h.store.Avoid(ctx, req.TeamID, req.UserID, u); err != nil {
				return err
			}
		}
		return nil
	})
	if resp, ok := refused(err, avoidHint); ok {
		return resp, nil
	}
	if err != nil {
		// The store's error names the person who avoids, never whom.
		return nil, fmt.Errorf("avoid: %w", err)
	}
	return h.avoidList(ctx, req, "Done: you won't be put in a group with them. ")
}

// unavoid answers /trellis network unavoid @person ….
func (h *Handlers) unavoid(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	before, users, other := cutMentions(args)
	if before != "" || other != "" || len(users) == 0 {
		return handlers.Notice("Who should come off your list? Name them with @. Nothing was changed.", "Like `/trellis network unavoid @someone`."), nil
	}
	for _, u := range users {
		if err := h.store.Unavoid(ctx, req.TeamID, req.UserID, u); err != nil {
			return nil, errors.New("unavoid: the store failed")
		}
	}
	return h.avoidList(ctx, req, "Done. ")
}

// avoidList is the person's own list, to them alone.
func (h *Handlers) avoidList(ctx context.Context, req *bot.Request, lead string) (*bot.Response, error) {
	list, err := h.store.AvoidList(ctx, req.TeamID, req.UserID)
	if err != nil {
		return nil, errors.New("avoid list: the store failed")
	}
	if len(list) == 0 {
		return handlers.Notice(lead+"Your private list of people you'd rather not be paired with is empty.",
			"`/trellis network avoid @person` adds someone. "+avoidHint), nil
	}
	mentions := make([]string, len(list))
	for i, u := range list {
		mentions[i] = "<@" + u + ">"
	}
	return handlers.Notice(fmt.Sprintf("%sYou won't be put in a group with: %s.", lead, strings.Join(mentions, ", ")), avoidHint), nil
}

// skills answers /trellis network skills [NETWORK] [teach: …; learn: …]
// in a learning network: with skills, stores them; with "show" (the last
// word), shows the person's own; with neither, opens the skills form,
// prefilled with them.
func (h *Handlers) skills(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	const hint = "Like `/trellis network skills teach: sql 4, hiring; learn: okrs`: what you can teach and what you'd like to learn, each with your own level from 1 (new to it) to 5 (expert) if you like. A learner is paired with someone who rates themselves higher in that skill. `/trellis network skills` alone opens a form."
	ref, text, show := args, "", false
	if i := skillsStart(args); i >= 0 {
		ref, text = args[:i], args[i:]
	} else if f := strings.Fields(args); len(f) > 0 && strings.EqualFold(f[len(f)-1], "show") {
		ref, show = strings.TrimSpace(args[:strings.LastIndex(strings.ToLower(args), "show")]), true
	}
	n, resp, err := h.pick(ctx, req, ref, "skills")
	if resp != nil || err != nil {
		return resp, err
	}
	if n.Kind != peers.KindLearning {
		return handlers.Notice(fmt.Sprintf("%s is a network of %s: skills are for learning pairs. Nothing was changed.", name(n), kindLabel(n.Kind)), ""), nil
	}
	part, err := h.store.Participant(ctx, req.TeamID, n.ID, req.UserID)
	if errors.Is(err, peers.ErrNotFound) || (err == nil && part.Left) {
		return notIn(n), nil
	}
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" && !show && req.Command != nil && req.Command.TriggerID != "" {
		return h.core.OpenModal(ctx, req, req.Command.TriggerID, SkillsModal(n, part.Skills))
	}
	if strings.TrimSpace(text) == "" {
		if part.Skills == "" {
			return handlers.Notice(fmt.Sprintf("You haven't said what you teach or learn in %s yet.", name(n)), hint), nil
		}
		return handlers.Notice(fmt.Sprintf("Your skills in %s: %s", name(n), views.Mrkdwn(part.Skills, peers.MaxSkillsLen)), hint), nil
	}
	canonical, problem := parseSkills(text)
	if problem != "" {
		return handlers.Notice(views.Mrkdwn(problem, 500)+" Nothing was changed.", hint), nil
	}
	err = h.store.SetSkills(ctx, req.TeamID, n.ID, req.UserID, canonical)
	if resp, ok := refused(err, hint); ok {
		return resp, nil
	}
	if err != nil {
		return nil, err
	}
	h.changed(req, n.ID)
	return handlers.Notice(fmt.Sprintf("Saved your skills in %s: %s", name(n), views.Mrkdwn(canonical, peers.MaxSkillsLen)), "You're matched by them from the next round."), nil
}

// capacityHint says how a person's capacity works.
const capacityHint = "Like `/trellis network capacity Learn 1`: how many learners you take at a time, from 1 to 5; " +
	"`/trellis network capacity Learn default` goes back to the network's number. Pairs you already have go on either way."

// capacity answers /trellis network capacity [NETWORK] [N|default] in a
// learning network: with N (1 to peers.MaxCapacity) stores how many
// learners the person takes at a time, with "default" goes back to the
// network's number, and without either shows theirs. The last word is
// the value when it is a number or "default": "capacity 2" sets 2 rather
// than naming network 2.
func (h *Handlers) capacity(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	ref, value := strings.TrimSpace(args), ""
	if ref != "" {
		i := strings.LastIndexAny(ref, " \t\n") // -1: one word
		if last := ref[i+1:]; strings.EqualFold(last, "default") || strings.ContainsAny(last[:1], "-+0123456789") {
			ref, value = strings.TrimSpace(ref[:i+1]), last
		}
	}
	set := 0 // 0: the network's
	if value != "" && !strings.EqualFold(value, "default") {
		v, err := strconv.Atoi(value)
		if err != nil || v < 1 || v > peers.MaxCapacity {
			return handlers.Notice(fmt.Sprintf("Give a whole number of learners from 1 to %d, or `default`; %s isn't one. Nothing was changed.",
				peers.MaxCapacity, views.Code(value)), capacityHint), nil
		}
		set = v
	}
	n, resp, err := h.pick(ctx, req, ref, "capacity")
	if resp != nil || err != nil {
		return resp, err
	}
	if n.Kind != peers.KindLearning {
		return handlers.Notice(fmt.Sprintf("%s is a network of %s: capacity is for learning pairs. Nothing was changed.", name(n), kindLabel(n.Kind)), ""), nil
	}
	part, err := h.store.Participant(ctx, req.TeamID, n.ID, req.UserID)
	if errors.Is(err, peers.ErrNotFound) || (err == nil && part.Left) {
		return notIn(n), nil
	}
	if err != nil {
		return nil, err
	}
	if value == "" {
		if part.Capacity == 0 {
			return handlers.Notice(fmt.Sprintf("You take up to %s at a time in %s: the network's number.", learners(n.Capacity), name(n)), capacityHint), nil
		}
		return handlers.Notice(fmt.Sprintf("You take up to %s at a time in %s (the network's number is %d).", learners(part.Capacity), name(n), n.Capacity), capacityHint), nil
	}
	err = h.store.SetCapacity(ctx, req.TeamID, n.ID, req.UserID, set)
	if resp, ok := refused(err, capacityHint); ok {
		return resp, nil
	}
	if err != nil {
		return nil, err
	}
	h.changed(req, n.ID)
	if set == 0 {
		return handlers.Notice(fmt.Sprintf("Done: you take the network's number in %s, up to %s at a time.", name(n), learners(n.Capacity)),
			"From the next round; pairs you already have go on."), nil
	}
	return handlers.Notice(fmt.Sprintf("Done: you take up to %s at a time in %s.", learners(set), name(n)),
		"From the next round; pairs you already have go on."), nil
}

// learners is "1 learner" or "n learners".
func learners(n int) string { return fmt.Sprintf("%d %s", n, views.Plural(n, "learner", "learners")) }

// askHint says how an ask works.
const askHint = "Your question is posted in the network's channel as “Someone in this network asks: …”. Nothing stored says who asked."

// ask answers /trellis network ask [NETWORK] QUESTION and ask delete
// CODE. Nothing here logs, stores or tells anyone who asked: the only
// reply is the asker's own, and the runtime is given the question alone.
func (h *Handlers) ask(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	// Not even the request's log line says who asked, or who deleted.
	req.Redact()
	if rest, ok := cutWord(args, "delete"); ok {
		return h.deleteAsk(ctx, req, rest)
	}
	if strings.TrimSpace(args) == "" {
		return handlers.Notice("What would you like to ask? Nothing was posted.", "Like `/trellis network ask How do you run your first 1:1 with a new report?`. "+askHint), nil
	}
	ref, question, err := h.splitAsk(ctx, req, args)
	if err != nil {
		return nil, errors.New("ask: reading the networks failed")
	}
	n, resp, err := h.pick(ctx, req, ref, "ask")
	if resp != nil || err != nil {
		if err != nil {
			err = errors.New("ask: picking the network failed")
		}
		return resp, err
	}
	if question = strings.TrimSpace(question); question == "" {
		return handlers.Notice(fmt.Sprintf("What would you like to ask %s? Nothing was posted.", name(n)), askHint), nil
	}
	if c := len([]rune(question)); c > peers.MaxAskLen {
		return handlers.Notice(fmt.Sprintf("That question is %d characters; keep it to %d. Nothing was posted.", c, peers.MaxAskLen), askHint), nil
	}
	part, err := h.store.Participant(ctx, req.TeamID, n.ID, req.UserID)
	if errors.Is(err, peers.ErrNotFound) || (err == nil && part.Left) {
		return handlers.Notice(fmt.Sprintf("Only the people of %s can ask it. Nothing was posted.", name(n)), ""), nil
	}
	if err != nil {
		return nil, errors.New("ask: reading the participation failed")
	}
	ws, err := h.ws.Get(ctx, req.TeamID)
	if err != nil {
		return nil, errors.New("ask: reading the workspace failed")
	}
	active, err := h.activeCount(ctx, req.TeamID, n)
	if err != nil {
		return nil, errors.New("ask: counting the participants failed")
	}
	if active < ws.MinGroupSize {
		// How many take part now is not said: with the network's size it
		// would tell who paused.
		return handlers.Notice(fmt.Sprintf("An anonymous question in %s needs at least %d people taking part, so that nobody can tell who asked. Nothing was posted.",
			name(n), ws.MinGroupSize), ""), nil
	}
	if h.rt == nil {
		return handlers.Notice("Questions can't be posted yet. Nothing was posted.", ""), nil
	}
	code, err := h.rt.Ask(ctx, req.TeamID, n.ID, question)
	if resp, ok := refused(err, askHint); ok {
		return resp, nil
	}
	if err != nil {
		// The question and the network only: never the asker.
		h.log.ErrorContext(ctx, "anonymous ask failed", "workspace", req.TeamID, "network", n.ID, "err", err)
		return handlers.Notice("I couldn't post your question just now. Nothing was posted; please try again in a minute.", ""), nil
	}
	return handlers.Notice(fmt.Sprintf("Your question is on its way to <#%s>, without your name. Only you have its code: *%s*.", n.Channel, views.Mrkdwn(code, 40)),
		fmt.Sprintf("To delete it, type `/trellis network ask delete %s`. Keep the code: I can't give it again, as I don't know who asked.", views.Mrkdwn(code, 40))), nil
}

// deleteAsk answers /trellis network ask delete CODE.
func (h *Handlers) deleteAsk(ctx context.Context, req *bot.Request, code string) (*bot.Response, error) {
	code = strings.TrimSpace(code)
	const hint = "The code came with the reply to your question, like `/trellis network ask delete ABCDE23456`."
	if code == "" || len(code) > 40 || strings.ContainsAny(code, " \t\n") {
		return handlers.Notice("Which question? Give its code. Nothing was deleted.", hint), nil
	}
	if h.rt == nil {
		return handlers.Notice("Questions can't be deleted yet. Nothing was deleted.", ""), nil
	}
	err := h.rt.DeleteAsk(ctx, req.TeamID, code)
	if errors.Is(err, peers.ErrNotFound) {
		return handlers.Notice(fmt.Sprintf("No question has the code %s (or it was deleted already). Nothing was deleted.", views.Code(code)), hint), nil
	}
	if err != nil {
		h.log.ErrorContext(ctx, "deleting an anonymous ask failed", "workspace", req.TeamID, "err", err)
		return handlers.Notice("I couldn't delete that question just now. Please try again in a minute.", ""), nil
	}
	return handlers.Notice("Your question is deleted, and its post removed from the channel.", ""), nil
}

// splitAsk splits an ask's words into the network it names first and
// the question. Leading words name the network only when all of these
// hold, so that a question is never sent to another network by how it
// happens to begin ("3 ways to run a retro?"):
//   - they are a network's name (any case, one or more words) or its
//     "#ID", never a bare number, maybe followed by ":";
//   - that network is one the person can choose without naming it (the
//     channel's, or one they are in);
//   - the person has more than one network to choose from, or ended the
//     name with ":" ("Intros: how do you…"), or nothing follows (then
//     the reply asks for the question).
//
// Someone with no network to choose from who names one is answered about
// that network (only its people ask it).
//
// Otherwise the whole text is the question, for the network pick finds
// without a name.
func (h *Handlers) splitAsk(ctx context.Context, req *bot.Request, text string) (ref, question string, err error) {
	text = strings.TrimSpace(text)
	channel, mine, err := h.choices(ctx, req)
	if err != nil {
		return "", "", err
	}
	choices := map[int64]bool{}
	for _, n := range append(channel, mine...) {
		choices[n.ID] = true
	}
	ends := wordEnds(text)
	for i := len(ends) - 1; i >= 0; i-- {
		prefix, rest := text[:ends[i]], strings.TrimSpace(text[ends[i]:])
		name, colon := strings.CutSuffix(prefix, ":")
		name = unquote(name)
		if name == "" || isNumber(name) {
			continue
		}
		n, ok, err := h.find(ctx, req.TeamID, name)
		if err != nil {
			return "", "", err
		}
		// Someone with no network to choose from who names one is told
		// it is not theirs; a name alone asks for the question.
		if ok && (len(choices) == 0 || (choices[n.ID] && (rest == "" || len(choices) > 1 || colon))) {
			return name, rest, nil
		}
	}
	return "", text, nil
}

// isNumber reports whether s is digits only.
func isNumber(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// wordEnds are the byte offsets where each word of s ends, at most the
// first 12 words (a network's name is shorter).
func wordEnds(s string) []int {
	var out []int
	in := false
	for i, r := range s {
		space := r == ' ' || r == '\t' || r == '\n'
		if in && space {
			out = append(out, i)
			if len(out) == 12 {
				return out
			}
		}
		in = !space
	}
	if in {
		out = append(out, len(s))
	}
	return out
}

// activeCount is how many of n's people take part today, in its zone,
// counting only people whose Slack profile Trellis has stored (never a
// bot, nor a member not known yet to be a person): the asks' threshold
// counts people who could have asked.
func (h *Handlers) activeCount(ctx context.Context, ws string, n peers.Network) (int, error) {
	ps, err := h.store.Participants(ctx, ws, n.ID)
	if err != nil {
		return 0, err
	}
	stored, err := h.storedPeople(ctx, ws)
	if err != nil {
		return 0, err
	}
	today, now, count := h.today(n), h.clock.Now(), 0
	for _, p := range ps {
		if person, known := h.kinds.get(ws, p.User, now); known && !person {
			continue
		}
		if p.Active(today) && stored[p.User] {
			count++
		}
	}
	return count, nil
}

// why answers /trellis network why [NETWORK]: the runtime's explanation
// of the person's own match, to them alone.
func (h *Handlers) why(ctx context.Context, req *bot.Request, p models.Person, ref string) (*bot.Response, error) {
	n, resp, err := h.pick(ctx, req, ref, "why")
	if resp != nil || err != nil {
		return resp, err
	}
	if _, err := h.store.Participant(ctx, req.TeamID, n.ID, req.UserID); errors.Is(err, peers.ErrNotFound) {
		return notIn(n), nil
	} else if err != nil {
		return nil, err
	}
	if h.rt == nil {
		return handlers.Notice(fmt.Sprintf("%s hasn't matched anyone yet.", name(n)), ""), nil
	}
	text, err := h.rt.Explain(ctx, req.TeamID, n.ID, req.UserID)
	if errors.Is(err, peers.ErrNotFound) {
		return handlers.Notice(fmt.Sprintf("%s hasn't had a round with you in it yet.", name(n)), ""), nil
	}
	if err != nil {
		return nil, err
	}
	// The explanation is Trellis's own words around people's ids (their
	// mentions) and numbers: nothing anyone typed, so it is shown as it
	// is, mentions and all (it is a few sentences, well inside a section).
	return handlers.Notice(text, "Only you see this."), nil
}
