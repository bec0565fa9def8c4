package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/holidays"
)

// Reply is an ephemeral answer to a slash command.
func Reply(text string, blocks []slack.Block) *bot.Response {
	return &bot.Response{Body: slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: text, Blocks: slack.Blocks{BlockSet: blocks}}}
}

// Notice is a short ephemeral answer with an optional example underneath.
func Notice(msg, hint string) *bot.Response {
	return Reply(msg, views.Notice(msg, hint))
}

// command serves /trellis and its subcommands: the core's (coreCommands),
// then the features'.
func (h *Handlers) command(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	sub, rest := SplitCommand(req.Command.Text)
	cc, core := findCoreCommand(sub)
	if core && cc.anonymous {
		return cc.serve(h, ctx, req, models.Person{}, rest)
	}
	// Know the person (and their Slack timezone) before any setting is stored.
	p, err := h.Person(ctx, req)
	if err != nil {
		return nil, err
	}
	if core {
		return cc.serve(h, ctx, req, p, rest)
	}
	if sc, ok := h.subcommands[sub]; ok {
		return sc.Serve(ctx, req, p, rest)
	}
	return Notice(fmt.Sprintf("I don't know the command %s.", views.Code(sub)),
		"Try `/trellis help` for the full list, or `/trellis me` to see your settings."), nil
}

// coreCommand is a /trellis subcommand the core serves itself.
type coreCommand struct {
	// words are the subcommand's word and then its aliases.
	words []string
	// listed puts words[0] in the reply to a bare /trellis.
	listed bool
	// anonymous subcommands are served before the person is known (p is
	// then the zero Person).
	anonymous bool
	serve     func(h *Handlers, ctx context.Context, req *bot.Request, p models.Person, rest string) (*bot.Response, error)
}

// coreCommands is the one list of the core's subcommands: command serves
// them and Register reserves their words, so the two cannot drift. The
// listed ones are in the order the reply to a bare /trellis lists them. A
// function rather than a variable, since help reads the list it is in.
func coreCommands() []coreCommand {
	return []coreCommand{
		{words: []string{"", "help"}, anonymous: true, serve: func(h *Handlers, _ context.Context, _ *bot.Request, _ models.Person, _ string) (*bot.Response, error) {
			names := slices.Concat(coreListed(), h.commandNames, []string{"help"})
			return Reply("Trellis commands: /trellis "+strings.Join(names, ", ")+".", views.Help(h.helpLines, h.adminHelpLines)), nil
		}},
		{words: []string{"me"}, listed: true, anonymous: true, serve: func(h *Handlers, ctx context.Context, req *bot.Request, _ models.Person, _ string) (*bot.Response, error) {
			return h.cmdMe(ctx, req)
		}},
		{words: []string{"hours"}, listed: true, serve: func(h *Handlers, ctx context.Context, req *bot.Request, _ models.Person, rest string) (*bot.Response, error) {
			return h.cmdHours(ctx, req, rest)
		}},
		{words: []string{"tz", "timezone"}, listed: true, serve: func(h *Handlers, ctx context.Context, req *bot.Request, _ models.Person, rest string) (*bot.Response, error) {
			return h.cmdTZ(ctx, req, rest)
		}},
		{words: []string{"away", "off", "vacation"}, listed: true, serve: (*Handlers).cmdAway},
		{words: []string{"back"}, listed: true, serve: func(h *Handlers, ctx context.Context, req *bot.Request, p models.Person, _ string) (*bot.Response, error) {
			return h.cmdBack(ctx, req, p)
		}},
		{words: []string{"holidays", "holiday"}, listed: true, serve: (*Handlers).cmdHolidays},
		{words: []string{"budget", "limit"}, listed: true, serve: (*Handlers).cmdBudget},
		{words: []string{"admin"}, serve: func(h *Handlers, ctx context.Context, req *bot.Request, _ models.Person, rest string) (*bot.Response, error) {
			return h.cmdAdmin(ctx, req, rest)
		}},
	}
}

// findCoreCommand is the core subcommand word names, by its word or an
// alias.
func findCoreCommand(word string) (coreCommand, bool) {
	for _, cc := range coreCommands() {
		if slices.Contains(cc.words, word) {
			return cc, true
		}
	}
	return coreCommand{}, false
}

// coreListed is the words of the listed core subcommands, in order.
func coreListed() []string {
	var names []string
	for _, cc := range coreCommands() {
		if cc.listed {
			names = append(names, cc.words[0])
		}
	}
	return names
}

const budgetExample = "For example `/trellis budget 2` for at most two a day, or `/trellis budget default` to follow the workspace."

// cmdBudget shows or lowers the person's daily budget of proactive DMs.
func (h *Handlers) cmdBudget(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	ws, err := h.workspace(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	limit := ws.DailyBudget
	args = strings.TrimSpace(args)
	switch {
	case args == "":
		return Notice(fmt.Sprintf("You get at most %d proactive %s from Trellis a day (the workspace allows %d).",
			p.DailyBudgetIn(ws), views.Plural(p.DailyBudgetIn(ws), "message", "messages"), limit), budgetExample), nil
	case strings.EqualFold(args, "default"):
		if err := h.ppl.SetDailyBudget(ctx, req.TeamID, req.UserID, 0); err != nil {
			return nil, err
		}
		req.After(h.RefreshHome(req))
		return Notice(fmt.Sprintf("Done: you follow the workspace's limit of %d a day.", limit), ""), nil
	}
	n, err := strconv.Atoi(args)
	switch {
	case err != nil || n < 1:
		return Notice(fmt.Sprintf("%s isn't a number of messages from 1 up.", views.Code(args)), budgetExample), nil
	case n > limit:
		return Notice(fmt.Sprintf("The workspace allows at most %d a day, so %d would change nothing: you can only lower it.", limit, n), budgetExample), nil
	}
	if err := h.ppl.SetDailyBudget(ctx, req.TeamID, req.UserID, n); err != nil {
		return nil, err
	}
	req.After(h.RefreshHome(req))
	return Notice(fmt.Sprintf("Saved: at most %d proactive %s from Trellis a day.", n, views.Plural(n, "message", "messages")),
		"Anything more waits for your next working day, or is skipped when the next one is due by then."), nil
}

func (h *Handlers) cmdMe(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	_, s, err := h.summary(ctx, req)
	if err != nil {
		return nil, err
	}
	zone := s.TimeZone
	if s.TZPending {
		zone = "not known yet (reading it from Slack)"
	}
	text := fmt.Sprintf("Timezone %s; working hours %s.", zone, views.DescribeHours(s.Hours))
	return Reply(text, views.Me(s)), nil
}

const hoursExample = "For example `/trellis hours mon-fri 09:00-17:30`, `/trellis hours sun-thu 8:00-16:00` or a night shift `/trellis hours mon-fri 22:00-06:00`. `/trellis hours default` follows the workspace."

func (h *Handlers) cmdHours(ctx context.Context, req *bot.Request, args string) (*bot.Response, error) {
	if args == "" {
		return h.openHoursFor(ctx, req, req.Command.TriggerID)
	}
	if strings.EqualFold(args, "default") {
		if err := h.ppl.SetHours(ctx, req.TeamID, req.UserID, nil); err != nil {
			return nil, err
		}
		ws, err := h.workspace(ctx, req.TeamID)
		if err != nil {
			return nil, err
		}
		req.After(h.RefreshHome(req))
		return Notice("Done: you follow the workspace's working hours, "+views.DescribeHours(ws.DefaultHours)+".", ""), nil
	}
	wh, err := calendar.ParseWorkingHours(args)
	if err != nil {
		return Notice(hoursProblem(args, err), hoursExample), nil
	}
	if err := h.ppl.SetHours(ctx, req.TeamID, req.UserID, &wh); err != nil {
		return nil, err
	}
	req.After(h.RefreshHome(req))
	return Notice("Saved: your working hours are "+views.DescribeHours(wh)+".", "I'll only message you inside them, in your own timezone."), nil
}

// hoursProblem says, in plain words, what is wrong with working hours text.
func hoursProblem(args string, err error) string {
	switch {
	case errors.Is(err, calendar.ErrZeroLength):
		return fmt.Sprintf("%s starts and ends at the same time, so it has no working time at all.", views.Code(args))
	case errors.Is(err, calendar.ErrInvalidTime):
		return fmt.Sprintf("I couldn't read the times in %s: use 24-hour `HH:MM` from 00:00 to 23:59 (or `9am`).", views.Code(args))
	case errors.Is(err, calendar.ErrInvalidDays):
		return fmt.Sprintf("I couldn't read the days in %s: use `mon-fri`, `sun-thu` or a list like `tue,thu,sat`.", views.Code(args))
	case errors.Is(err, calendar.ErrInvalidHours):
		return fmt.Sprintf("%s needs a start and an end, like 09:00-17:30.", views.Code(args))
	}
	return fmt.Sprintf("I couldn't read %s as working hours: give days and a time span.", views.Code(args))
}

const tzExample = "For example `/trellis tz Europe/Berlin`, `/trellis tz America/New_York` or `/trellis tz Asia/Kolkata`; `/trellis tz auto` follows your Slack profile."

func (h *Handlers) cmdTZ(ctx context.Context, req *bot.Request, args string) (*bot.Response, error) {
	if args == "" {
		return h.openTZFor(ctx, req, req.Command.TriggerID)
	}
	if strings.EqualFold(args, "auto") {
		if err := h.ppl.SetTZOverride(ctx, req.TeamID, req.UserID, ""); err != nil {
			return nil, err
		}
		// Slack's zone is what the person asked for: read it now, within
		// the request's Slack budget; failing that it is read after the ack.
		p, confirmed, err := h.FreshPerson(ctx, req)
		if err != nil {
			return nil, err
		}
		req.After(h.RefreshHome(req))
		if !confirmed && p.SlackTZ == "" {
			return Notice("Done: your timezone follows your Slack profile. I'm reading it from Slack now; `/trellis me` shows it in a moment.", ""), nil
		}
		return Notice(fmt.Sprintf("Done: your timezone follows your Slack profile (now *%s*).", p.TimeZone()), ""), nil
	}
	zone, ok := canonicalZone(args)
	if !ok {
		return Notice(fmt.Sprintf("%s isn't a timezone I know. Use an IANA name (Region/City).", views.Code(args)), tzExample), nil
	}
	if err := h.ppl.SetTZOverride(ctx, req.TeamID, req.UserID, zone); err != nil {
		return nil, err
	}
	req.After(h.RefreshHome(req))
	now := h.clock.Now().In(mustLoad(zone))
	return Notice(fmt.Sprintf("Saved: your timezone is *%s* (it's %s there now).", zone, now.Format("Mon 15:04")),
		"Your Slack profile's timezone no longer changes it; `/trellis tz auto` undoes this."), nil
}

// canonicalZone accepts an IANA zone name in any letter case.
func canonicalZone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "local") {
		return "", false
	}
	if _, err := calendar.LoadLocation(s); err == nil {
		return s, true
	}
	// Title-case each path element: "europe/berlin" → "Europe/Berlin".
	parts := strings.Split(s, "/")
	for i, p := range parts {
		words := strings.Split(strings.ToLower(p), "_")
		for j, w := range words {
			if w != "" {
				words[j] = strings.ToUpper(w[:1]) + w[1:]
			}
		}
		parts[i] = strings.Join(words, "_")
	}
	c := strings.Join(parts, "/")
	if _, err := calendar.LoadLocation(c); err == nil {
		return c, true
	}
	if strings.EqualFold(s, "utc") {
		return "UTC", true
	}
	return "", false
}

func mustLoad(zone string) *time.Location {
	loc, err := calendar.LoadLocation(zone)
	if err != nil {
		return time.UTC
	}
	return loc
}

const awayExample = "For example `/trellis away until 2026-12-24`, `/trellis away 3d`, `/trellis away tomorrow` or `/trellis away 2026-12-20 to 2026-12-31`."

// msgZoneUnknown answers a command whose meaning depends on the person's
// date ("tomorrow", "today") while their Slack profile, and so their
// timezone, has not been read yet and Slack did not answer in time.
const msgZoneUnknown = "I'm still reading your timezone from your Slack profile, and which day it is for you depends on it, so nothing was changed. Please try again in a moment, or set it yourself with `/trellis tz Europe/Berlin`."

// zoned returns the person with a known timezone for a command that works
// out their local date: as given when they have one, else read from
// Slack within the request's budget. ok is false when the zone is still
// unknown; the command must then change nothing and say so
// (msgZoneUnknown) rather than take UTC's date for theirs.
func (h *Handlers) zoned(ctx context.Context, req *bot.Request, p models.Person) (models.Person, bool, error) {
	if p.TZOverride != "" || p.SlackTZ != "" {
		return p, true, nil
	}
	fresh, confirmed, err := h.FreshPerson(ctx, req)
	if err != nil {
		return p, false, err
	}
	return fresh, confirmed && (fresh.TZOverride != "" || fresh.SlackTZ != ""), nil
}

func (h *Handlers) cmdAway(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	p, ok, err := h.zoned(ctx, req, p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return Notice(msgZoneUnknown, ""), nil
	}
	today := localToday(h.clock.Now(), p.Location())
	if args == "" {
		periods, err := h.ppl.AwayPeriods(ctx, req.TeamID, req.UserID, today)
		if err != nil {
			return nil, err
		}
		if len(periods) == 0 {
			return Notice("You have no time off planned.", awayExample), nil
		}
		var lines []string
		for _, a := range periods {
			lines = append(lines, "• "+views.DescribeAway(a))
		}
		return Notice("Your time off:\n"+strings.Join(lines, "\n"), "`/trellis back` ends the one covering today; the Home tab can remove any of them."), nil
	}
	first, last, err := parseAway(args, today)
	if err != nil {
		msg := fmt.Sprintf("I couldn't read %s as time off.", views.Code(args))
		if errors.Is(err, errPastDate) {
			msg = fmt.Sprintf("%s is in the past: today is %s for you.", views.Code(args), today.Format("Mon 2 Jan 2006"))
		} else if last.Before(first) && !first.IsZero() && !last.IsZero() {
			msg = fmt.Sprintf("%s ends before it starts.", views.Code(args))
		}
		return Notice(msg, awayExample), nil
	}
	a, err := h.ppl.AddAway(ctx, models.AwayPeriod{WorkspaceID: req.TeamID, UserID: req.UserID, First: first, Last: last})
	if errors.Is(err, models.ErrDuplicate) {
		return Notice("That time off is already recorded: "+views.DescribeAway(a)+". Nothing changed.", "`/trellis away` lists your time off."), nil
	}
	if err != nil {
		return nil, err
	}
	req.After(h.RefreshHome(req))
	return Notice("Enjoy your time off: "+views.DescribeAway(a)+". I won't message you on those days.",
		fmt.Sprintf("Back early? `/trellis back`. I'll be in touch again from %s.", last.AddDays(1).Format("Mon 2 Jan"))), nil
}

func (h *Handlers) cmdBack(ctx context.Context, req *bot.Request, p models.Person) (*bot.Response, error) {
	p, ok, err := h.zoned(ctx, req, p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return Notice(msgZoneUnknown, ""), nil
	}
	today := localToday(h.clock.Now(), p.Location())
	n, err := h.ppl.EndAway(ctx, req.TeamID, req.UserID, today)
	if err != nil {
		return nil, err
	}
	req.After(h.RefreshHome(req))
	msg := "Welcome back! Your time off is over."
	if n == 0 {
		msg = "You weren't away today, so nothing changed."
	}
	hint := ""
	if away, _ := calendar.StatusAway(p.Status, h.clock.Now()); away {
		hint = "Your Slack status still says you're away; clear it and I'll notice."
	}
	return Notice(msg, hint), nil
}

const regionExample = "For example `/trellis holidays region GB`, `/trellis holidays region DE-BY` or `/trellis holidays region default`; `/trellis holidays regions` lists every code."

func (h *Handlers) cmdHolidays(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	sub, rest := SplitCommand(args)
	switch sub {
	case "regions":
		return Notice("Holiday regions: "+regionList(), "Pick yours with `/trellis holidays region CODE`."), nil
	case "region":
		if rest == "" {
			return h.openRegionFor(ctx, req, req.Command.TriggerID, false)
		}
		code, ok := normaliseRegion(rest, true)
		if !ok {
			return unknownRegion(rest, p.TimeZone(), "/trellis holidays region"), nil
		}
		if err := h.ppl.SetHolidayRegion(ctx, req.TeamID, req.UserID, code); err != nil {
			return nil, err
		}
		req.After(h.RefreshHome(req))
		if code == "" {
			return Notice("Done: you follow the workspace's holiday region.", ""), nil
		}
		return Notice(fmt.Sprintf("Saved: the public holidays of *%s* apply to you.", regionName(code)), ""), nil
	case "":
		_, s, err := h.summary(ctx, req)
		if err != nil {
			return nil, err
		}
		if len(s.Holidays) == 0 {
			return Notice("No holidays apply to you in the next 90 days.", regionExample), nil
		}
		var lines []string
		for _, hd := range s.Holidays {
			lines = append(lines, "• "+views.DescribeHoliday(hd))
		}
		return Notice("Holidays in the next 90 days:\n"+strings.Join(lines, "\n"), "Trellis sends nothing on these days."), nil
	}
	return Notice("I don't know "+views.Code("/trellis holidays "+sub)+".", regionExample), nil
}

// nearCountries is how many covered countries an unknown region's reply
// suggests.
const nearCountries = 5

// unknownRegion answers a region code the holidays table does not have:
// the covered regions nearest the person's zone, and what to do when none
// of them is theirs (company holidays, or their own time off).
func unknownRegion(code, zone, command string) *bot.Response {
	var near []string
	for _, c := range holidays.Near(zone, nearCountries) {
		codes := make([]string, len(c.Regions))
		for i, r := range c.Regions {
			codes[i] = "`" + r + "`"
		}
		near = append(near, strings.Join(codes, ", ")+" "+c.Name)
	}
	msg := fmt.Sprintf("%s isn't a holiday region I know. The covered regions nearest your timezone (%s): %s.",
		views.Code(code), views.Escape(zone), strings.Join(near, "; "))
	return Notice(msg, "Pick one with `"+command+" CODE`; `/trellis holidays regions` lists them all. "+
		"Not covered? An admin can add your public holidays as company days off (`/trellis admin holidays add 2027-01-26 Republic Day`), "+
		"or add them as your own time off (`/trellis away 2027-01-26`).")
}

// normaliseRegion validates a region code; "default" (when allowed) means
// the workspace's region and returns "".
func normaliseRegion(s string, allowDefault bool) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	switch s {
	case "DEFAULT":
		return "", allowDefault
	case "NONE":
		return views.ValueNoRegion, true
	}
	if _, ok := holidays.Lookup(s); ok {
		return s, true
	}
	return "", false
}

func regionList() string {
	var codes []string
	for _, r := range holidays.Regions() {
		codes = append(codes, r.Code)
	}
	sort.Strings(codes)
	return strings.Join(codes, ", ")
}

func viewRegions() []views.Region {
	var out []views.Region
	for _, r := range holidays.Regions() {
		out = append(out, views.Region{Code: r.Code, Name: r.Name})
	}
	return out
}

// adminExamples are the core's examples in the reply to an unknown (or
// no) /trellis admin word; the features' follow them (see adminHint).
var adminExamples = []string{"`/trellis admin hours mon-fri 09:00-17:30`", "`/trellis admin holidays region GB`",
	"`/trellis admin holidays add 2026-12-24 Office closed`", "`/trellis admin holidays remove 2026-12-24`",
	"`/trellis admin budget 3`", "`/trellis admin min-group 5`", "`/trellis admin audit`"}

// adminHint lists the admin commands, the core's examples then each
// feature's (the example its AdminHelp line begins with).
func (h *Handlers) adminHint() string {
	return "Admin commands: " + strings.Join(slices.Concat(adminExamples, h.adminExamples), ", ") + "."
}

// coreAdminCommand is a /trellis admin subcommand the core serves itself.
type coreAdminCommand struct {
	// words are the subcommand's word and then its aliases.
	words []string
	serve func(h *Handlers, ctx context.Context, req *bot.Request, rest string) (*bot.Response, error)
}

// coreAdminCommands is the one list of the core's words under /trellis
// admin: cmdAdmin serves them and Register reserves them, so that no
// feature's admin word can take one.
func coreAdminCommands() []coreAdminCommand {
	return []coreAdminCommand{
		{words: []string{"hours"}, serve: (*Handlers).cmdAdminHours},
		{words: []string{"holidays"}, serve: (*Handlers).cmdAdminHolidays},
		{words: []string{"budget", "limit"}, serve: (*Handlers).cmdAdminBudget},
		{words: []string{"min-group", "mingroup", "group-size"}, serve: (*Handlers).cmdAdminMinGroup},
		{words: []string{"audit"}, serve: func(h *Handlers, ctx context.Context, req *bot.Request, _ string) (*bot.Response, error) {
			return h.cmdAdminAudit(ctx, req)
		}},
	}
}

// cmdAdmin serves /trellis admin: the core's words (coreAdminCommands),
// then the features' (Feature.Admin), only for a person Slack confirms as
// a workspace admin.
func (h *Handlers) cmdAdmin(ctx context.Context, req *bot.Request, args string) (*bot.Response, error) {
	// Whatever an admin changes here, this replica shows at once.
	defer h.cache.forget(req.TeamID)
	p, confirmed, err := h.FreshPerson(ctx, req)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin && !confirmed {
		return Notice(msgAdminUnconfirmed, "Your own settings are yours to change at any time: `/trellis me`."), nil
	}
	if !p.IsAdmin {
		return Notice("Only workspace admins and owners can change workspace settings.", "Your own settings are yours to change: `/trellis me`."), nil
	}
	sub, rest := SplitCommand(args)
	for _, cc := range coreAdminCommands() {
		if slices.Contains(cc.words, sub) {
			return cc.serve(h, ctx, req, rest)
		}
	}
	if sc, ok := h.adminSubcommands[sub]; ok {
		return sc.Serve(ctx, req, p, rest)
	}
	if sub == "" {
		return Notice(h.adminHint(), "`/trellis help` says what each one does."), nil
	}
	return Notice("I don't know "+views.Code("/trellis admin "+sub)+".", h.adminHint()), nil
}

func (h *Handlers) cmdAdminHours(ctx context.Context, req *bot.Request, rest string) (*bot.Response, error) {
	if rest == "" {
		ws, err := h.workspace(ctx, req.TeamID)
		if err != nil {
			return nil, err
		}
		return h.OpenModal(ctx, req, req.Command.TriggerID, views.HoursModal(ws.DefaultHours, false, true, ws.DefaultHours))
	}
	wh, err := calendar.ParseWorkingHours(rest)
	if err != nil {
		return Notice(hoursProblem(rest, err), "For example `/trellis admin hours mon-fri 09:00-17:30`."), nil
	}
	if err := h.ws.SetDefaultHours(ctx, req.TeamID, wh, req.UserID); err != nil {
		return nil, err
	}
	return Notice("Saved: the workspace default is "+views.DescribeHours(wh)+".", "People who set their own hours keep them."), nil
}

func (h *Handlers) cmdAdminBudget(ctx context.Context, req *bot.Request, rest string) (*bot.Response, error) {
	n, err := strconv.Atoi(strings.TrimSpace(rest))
	if err != nil || n < 1 || n > models.MaxDailyBudget {
		return Notice(fmt.Sprintf("The daily limit must be a whole number from 1 to %d; I got %s.", models.MaxDailyBudget, views.Code(rest)),
			"For example `/trellis admin budget 3`: nobody gets more than 3 proactive messages from Trellis a day."), nil
	}
	if err := h.ws.SetDailyBudget(ctx, req.TeamID, n, req.UserID); err != nil {
		return nil, err
	}
	return Notice(fmt.Sprintf("Saved: people get at most %d proactive %s from Trellis a day.", n, views.Plural(n, "message", "messages")),
		"Anyone can choose fewer for themselves with `/trellis budget`. Replies to what people do themselves don't count."), nil
}

func (h *Handlers) cmdAdminMinGroup(ctx context.Context, req *bot.Request, rest string) (*bot.Response, error) {
	n, err := strconv.Atoi(strings.TrimSpace(rest))
	if err != nil || n < models.MinGroupSizeFloor || n > 1000 {
		return Notice(fmt.Sprintf("The minimum group size must be a whole number from %d up; I got %s.", models.MinGroupSizeFloor, views.Code(rest)),
			"For example `/trellis admin min-group 5`: an anonymous question's total shows only once 5 people have answered it."), nil
	}
	if err := h.ws.SetMinGroupSize(ctx, req.TeamID, n, req.UserID); err != nil {
		return nil, err
	}
	return Notice(fmt.Sprintf("Saved: anonymous answers are shown as a total only once at least %d people have answered.", n),
		"Below that, summaries say there are not enough answers to show without identifying people."), nil
}

func (h *Handlers) cmdAdminAudit(ctx context.Context, req *bot.Request) (*bot.Response, error) {
	entries, err := h.ws.Audit(ctx, req.TeamID, 20)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return Notice("No admin changes yet.", ""), nil
	}
	var lines []string
	for _, e := range entries {
		lines = append(lines, fmt.Sprintf("• %s <@%s> %s: %s", e.At.UTC().Format("2006-01-02 15:04 UTC"), e.ActorID, e.Action, views.Escape(e.Detail)))
	}
	return Notice("Recent admin changes:\n"+strings.Join(lines, "\n"), ""), nil
}

func (h *Handlers) cmdAdminHolidays(ctx context.Context, req *bot.Request, args string) (*bot.Response, error) {
	sub, rest := SplitCommand(args)
	switch sub {
	case "region":
		if rest == "" {
			ws, err := h.workspace(ctx, req.TeamID)
			if err != nil {
				return nil, err
			}
			return h.OpenModal(ctx, req, req.Command.TriggerID, views.RegionModal(ws.HolidayRegion, viewRegions(), true))
		}
		code, ok := normaliseRegion(rest, false)
		if !ok {
			p, err := h.Person(ctx, req)
			if err != nil {
				return nil, err
			}
			return unknownRegion(rest, p.TimeZone(), "/trellis admin holidays region"), nil
		}
		if err := h.ws.SetHolidayRegion(ctx, req.TeamID, code, req.UserID); err != nil {
			return nil, err
		}
		return Notice(fmt.Sprintf("Saved: the workspace follows the public holidays of *%s*.", regionName(code)), "People can pick their own with `/trellis holidays region`."), nil
	case "add":
		dateText, name, _ := strings.Cut(rest, " ")
		d, err := calendar.ParseDate(dateText)
		if err != nil || strings.TrimSpace(name) == "" {
			return Notice(fmt.Sprintf("I need a date and a name, like `2026-12-24 Office closed`; I got %s.", views.Code(rest)), "For example `/trellis admin holidays add 2026-12-24 Office closed`."), nil
		}
		if d.Before(calendar.DateOf(h.clock.Now().UTC()).AddDays(-1)) {
			return Notice(fmt.Sprintf("%s is in the past.", d), "Add a date from today on."), nil
		}
		name = strings.TrimSpace(name)
		if n := utf8.RuneCountInString(name); n > models.MaxHolidayNameLen {
			return Notice(fmt.Sprintf("That holiday name is %d characters long; keep it to %d.", n, models.MaxHolidayNameLen),
				"For example `/trellis admin holidays add "+d.String()+" Office closed`."), nil
		}
		err = h.ws.AddHoliday(ctx, models.Holiday{WorkspaceID: req.TeamID, Date: d, Name: name, AddedBy: req.UserID})
		if errors.Is(err, models.ErrDuplicate) {
			return Notice(views.DescribeHoliday(models.Holiday{Date: d, Name: name})+" is already recorded as a workspace holiday. Nothing changed.", ""), nil
		}
		if errors.Is(err, models.ErrConflict) {
			return Notice(fmt.Sprintf("%s is already a workspace holiday.", d.Format("Mon 2 Jan 2006")), "Remove it first with `/trellis admin holidays remove "+d.String()+"`."), nil
		}
		if err != nil {
			return nil, err
		}
		return Notice("Added: "+views.DescribeHoliday(models.Holiday{Date: d, Name: name})+". Nobody gets Trellis messages that day.", ""), nil
	case "remove":
		d, err := calendar.ParseDate(rest)
		if err != nil {
			return Notice(fmt.Sprintf("%s isn't a date like 2026-12-24.", views.Code(rest)), "For example `/trellis admin holidays remove 2026-12-24`."), nil
		}
		err = h.ws.RemoveHoliday(ctx, req.TeamID, d, req.UserID)
		if errors.Is(err, models.ErrNotFound) {
			return Notice(fmt.Sprintf("%s isn't a workspace holiday.", d), ""), nil
		}
		if err != nil {
			return nil, err
		}
		return Notice(fmt.Sprintf("Removed the workspace holiday on %s.", d.Format("Mon 2 Jan 2006")), ""), nil
	}
	return Notice("I don't know "+views.Code("/trellis admin holidays "+sub)+".", h.adminHint()), nil
}

// RefreshHome returns an After function that republishes the person's Home
// tab, so a change made by command shows there too.
func (h *Handlers) RefreshHome(req *bot.Request) func(context.Context) {
	return func(ctx context.Context) { h.PublishHome(ctx, req) }
}
