package okrs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// AdminWord is the OKRs' word under /trellis admin.
const AdminWord = "okr"

// The examples the admin replies and help lines give.
const (
	exCycleNew    = "`/trellis admin okr cycle new \"Q1 2027\" 2027-01-01 2027-03-31`"
	exCycleMonths = "`/trellis admin okr cycle new \"Q1 2027\" 2027-01-01 +3m`"
	exCycleRename = "`/trellis admin okr cycle rename 3 \"Q1 2027 (EMEA)\"`"
	exLength      = "`/trellis admin okr length 3`"
	exNudges      = "`/trellis admin okr nudges every 2 weeks`"
	exDay         = "`/trellis admin okr day thursday`"
)

// maxListedCycles bounds the cycles /trellis admin okr cycles shows, one
// section each, within a message's 50 blocks.
const maxListedCycles = 40

// AdminHelpLines are the OKRs' lines in the admin section of /trellis
// help, each beginning with its example.
func AdminHelpLines() []string {
	return []string{
		exCycleNew + " — a cycle of 1 to 4 months (`+3m` for its length instead of its last day; with neither, the default length); add a #channel to make it that team's own",
		"`/trellis admin okr cycles` — every cycle with its state and whose it is; " + exCycleRename + " by id or name",
		exLength + " — the default length of new cycles in months; " + exNudges + " (or `weekly`, `off`, `default`), " +
			exDay + "; add a #channel for a team's own, `default` to follow the workspace",
	}
}

// adminCommands serves /trellis admin okr.
type adminCommands struct {
	store *okrs.Store
	svc   *jobokrs.Service
	clock clock.Clock
	log   *slog.Logger
}

// AdminSubcommand is the OKRs' word under /trellis admin, served by the
// core only to a workspace admin Slack confirms (handlers.Feature.Admin):
//
//	cycle new NAME START END|+Nm [#channel]   create a cycle
//	cycle new NAME START [#channel]           of the team's default length
//	cycle rename ID|NAME NEW-NAME
//	cycles                                    list them, with states
//	length 1-4|default [#channel]             default cycle length
//	nudges weekly|every 2 weeks|off|default [#channel]
//	day WEEKDAY|default [#channel]            the nudges' day
//	settings [#channel]                       the settings in force
//
// Names may be quoted, in straight or curly quotes. A channel makes the
// cycle or setting that team's own. Every bad input is answered with
// what to type instead, and nothing is stored. After the ack, a cycle
// created re-syncs its owners' nudges (CycleChanged), a nudge setting
// its team's (SettingsChanged).
func AdminSubcommand(store *okrs.Store, svc *jobokrs.Service, clk clock.Clock, log *slog.Logger) handlers.Subcommand {
	if clk == nil {
		clk = clock.System{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &adminCommands{store: store, svc: svc, clock: clk, log: log.With("component", "okrs-admin")}
	return handlers.Subcommand{Name: AdminWord, Aliases: []string{"okrs"}, Serve: a.serve}
}

// adminUsage is the reply to /trellis admin okr alone, or to a word it does
// not know.
func adminUsage(first string) *bot.Response {
	return handlers.Notice(first+" The OKR admin commands:\n• "+strings.Join(AdminHelpLines(), "\n• "), "")
}

func (a *adminCommands) serve(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
	toks, err := splitAdminArgs(args)
	if err != nil {
		return handlers.Notice("A quote is open and never closed, so I can't tell where the name ends. Nothing was saved.",
			"Put the name between two quotes, like "+exCycleNew+"."), nil
	}
	if len(toks) == 0 {
		return adminUsage("Cycles and OKR settings."), nil
	}
	today := calendar.DateOf(a.clock.Now().In(p.Location()))
	word, rest := strings.ToLower(toks[0].text), toks[1:]
	switch word {
	case "cycle":
		if len(rest) == 0 {
			return adminUsage("What should I do with the cycle?"), nil
		}
		switch sub := strings.ToLower(rest[0].text); sub {
		case "new", "add", "create":
			return a.cycleNew(ctx, req, rest[1:], today)
		case "rename":
			return a.cycleRename(ctx, req, rest[1:])
		case "list":
			return a.cycles(ctx, req, today)
		default:
			return adminUsage("I don't know " + views.Code("/trellis admin okr cycle "+sub) + "."), nil
		}
	case "cycles":
		return a.cycles(ctx, req, today)
	case "length":
		return a.length(ctx, req, rest)
	case "nudges", "nudge":
		return a.nudges(ctx, req, rest)
	case "day", "weekday":
		return a.day(ctx, req, rest)
	case "settings":
		team, extra, problem := takeChannel(rest, req.Command)
		if problem == "" && len(extra) > 0 {
			problem = "I didn't expect " + views.Code(joinTokens(extra)) + "."
		}
		if problem != "" {
			return handlers.Notice(problem, "For example `/trellis admin okr settings` or `/trellis admin okr settings #team`."), nil
		}
		return a.showSettings(ctx, req, team, "")
	}
	return adminUsage("I don't know " + views.Code("/trellis admin okr "+word) + "."), nil
}

// refused is the reply to what the store refused: every problem, each
// escaped (they quote the names people typed), and that nothing was
// saved. It reports false for an error that is no refusal.
func refused(err error, hint string) (*bot.Response, bool) {
	var ve *okrs.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) == 0 {
		return nil, false
	}
	lines := make([]string, len(ve.Problems))
	for i, p := range ve.Problems {
		lines[i] = mrkdwn.Escape(p.Message)
	}
	msg := strings.Join(lines, "\n")
	if len(lines) > 1 {
		msg = "• " + strings.Join(lines, "\n• ")
	}
	return handlers.Notice(msg+"\nNothing was saved.", hint), true
}

// after runs fn once the command is acknowledged, logging its failure:
// what it re-syncs is the runtime's, and the admin's change is stored.
func (a *adminCommands) after(req *bot.Request, what string, fn func(ctx context.Context) error) {
	req.After(func(ctx context.Context) {
		if err := fn(ctx); err != nil {
			a.log.ErrorContext(ctx, what, "workspace", req.TeamID, "err", err)
		}
	})
}

// cycleNew creates a cycle: NAME START [to] END|+Nm [#channel], or
// without an end, the team's default length.
func (a *adminCommands) cycleNew(ctx context.Context, req *bot.Request, toks []adminToken, today calendar.Date) (*bot.Response, error) {
	bad := func(msg string) (*bot.Response, error) {
		return handlers.Notice(msg+" Nothing was saved.", "For example "+exCycleNew+", or "+exCycleMonths+" for three months."), nil
	}
	// The name: a quoted phrase, or the words before the first date.
	var name string
	switch {
	case len(toks) == 0:
		return bad("Give the cycle a name and its first day.")
	case toks[0].quoted:
		name, toks = toks[0].text, toks[1:]
	default:
		i := 0
		for i < len(toks) && (toks[i].quoted || !isDate(toks[i].text)) && !looksLikeChannel(toks[i]) {
			i++
		}
		name, toks = joinTokens(toks[:i]), toks[i:]
	}
	if strings.TrimSpace(name) == "" {
		return bad("Give the cycle a name before its dates.")
	}
	team, toks, problem := takeChannel(toks, req.Command)
	if problem != "" {
		return bad(problem)
	}
	if len(toks) == 0 {
		return bad(fmt.Sprintf("When does *%s* start? Give its first day as a date like 2027-01-01.", mrkdwn.Bound(name, okrs.MaxNameLen)))
	}
	start, err := calendar.ParseDate(toks[0].text)
	if err != nil {
		return bad(fmt.Sprintf("The first day is a date like 2027-01-01; I got %s.", views.Code(toks[0].text)))
	}
	toks = toks[1:]
	if len(toks) > 1 && isConnector(toks[0].text) {
		toks = toks[1:]
	}
	var end calendar.Date
	switch {
	case len(toks) > 1:
		return bad("I didn't expect " + views.Code(joinTokens(toks[1:])) + " after the dates.")
	case len(toks) == 1 && isDate(toks[0].text):
		end, _ = calendar.ParseDate(toks[0].text)
		if end.Before(start) {
			return handlers.Notice(fmt.Sprintf("The last day (%s) is before the first (%s). Nothing was saved.", end, start),
				fmt.Sprintf("Give the first day first: `/trellis admin okr cycle new \"%s\" %s %s`.", mrkdwn.Bound(strings.ReplaceAll(name, "`", "'"), okrs.MaxNameLen), end, start)), nil
		}
	case len(toks) == 1:
		n, ok := parseMonths(toks[0].text)
		if !ok {
			return bad(fmt.Sprintf("The last day is a date like 2027-03-31, or a length like `+3m` for three months; I got %s.", views.Code(toks[0].text)))
		}
		if n < okrs.MinCycleMonths || n > okrs.MaxCycleMonths {
			return bad(fmt.Sprintf("A cycle lasts %d to %d months; I got %s.", okrs.MinCycleMonths, okrs.MaxCycleMonths, views.Code(toks[0].text)))
		}
		end = okrs.EndAfterMonths(start, n)
	default:
		set, err := a.store.Settings(ctx, req.TeamID, team)
		if err != nil {
			return nil, err
		}
		end = okrs.EndAfterMonths(start, set.CycleMonths)
	}

	c, err := a.store.CreateCycle(ctx, req.TeamID, okrs.Cycle{Name: name, Start: start, End: end, Team: team}, req.UserID)
	if err != nil {
		if resp, ok := refused(err, "For example "+exCycleNew+". `/trellis admin okr cycles` lists the cycles there are."); ok {
			return resp, nil
		}
		return nil, err
	}
	a.after(req, "OKR cycle created: sync nudges", func(ctx context.Context) error {
		return a.svc.CycleChanged(ctx, req.TeamID, c.ID)
	})
	return handlers.Notice(fmt.Sprintf("Created *%s* (id %d), %s cycle: %s, %s. It is %s.",
		mrkdwn.Bound(c.Name, okrs.MaxNameLen), c.ID, whose(c.Team), cycleDates(c), cycleLength(c), cycleState(c, today)),
		"Rename it with `/trellis admin okr cycle rename "+strconv.FormatInt(c.ID, 10)+" NEW NAME`; `/trellis admin okr cycles` lists them all."), nil
}

// cycleRename renames a cycle, named by its id or its name: ID NEW, "OLD
// NAME" NEW, or OLD NAME NEW where OLD NAME is the longest run of words
// that names a cycle.
func (a *adminCommands) cycleRename(ctx context.Context, req *bot.Request, toks []adminToken) (*bot.Response, error) {
	hint := "For example " + exCycleRename + ", or `/trellis admin okr cycle rename \"Q1 2027\" \"Q1 2027 (EMEA)\"`."
	if len(toks) < 2 {
		return handlers.Notice("Say which cycle, by its id or name, and its new name. Nothing was saved.", hint), nil
	}
	all, err := a.store.Cycles(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	var matches []okrs.Cycle
	var newName []adminToken
	if id, err := strconv.ParseInt(toks[0].text, 10, 64); err == nil && !toks[0].quoted {
		for _, c := range all {
			if c.ID == id {
				matches, newName = []okrs.Cycle{c}, toks[1:]
			}
		}
	}
	if len(matches) == 0 {
		// The longest run of leading words that names a cycle; a quoted
		// name is one word.
		for n := len(toks) - 1; n >= 1 && len(matches) == 0; n-- {
			ref := joinTokens(toks[:n])
			for _, c := range all {
				if strings.EqualFold(strings.TrimSpace(c.Name), strings.TrimSpace(ref)) {
					matches = append(matches, c)
				}
			}
			newName = toks[n:]
		}
	}
	switch len(matches) {
	case 0:
		return handlers.Notice(fmt.Sprintf("I couldn't find a cycle called %s. Nothing was saved.", views.Code(toks[0].text)),
			"`/trellis admin okr cycles` lists every cycle with its id. "+hint), nil
	case 1:
	default:
		ids := make([]string, len(matches))
		for i, c := range matches {
			ids[i] = fmt.Sprintf("%d (%s)", c.ID, whose(c.Team))
		}
		return handlers.Notice(fmt.Sprintf("Several cycles are called *%s*: ids %s. Nothing was saved.",
			mrkdwn.Bound(matches[0].Name, okrs.MaxNameLen), strings.Join(ids, ", ")), "Rename one by its id, like "+exCycleRename+"."), nil
	}
	c, name := matches[0], joinTokens(newName)
	if err := a.store.RenameCycle(ctx, req.TeamID, c.ID, name, req.UserID); err != nil {
		if resp, ok := refused(err, hint); ok {
			return resp, nil
		}
		return nil, err
	}
	return handlers.Notice(fmt.Sprintf("Renamed *%s* (id %d) to *%s*.", mrkdwn.Bound(c.Name, okrs.MaxNameLen), c.ID,
		mrkdwn.Bound(strings.TrimSpace(name), okrs.MaxNameLen)), ""), nil
}

// cycles lists the workspace's cycles and the teams', by start, each
// with its dates, length, state and whose it is: the latest
// maxListedCycles of them.
func (a *adminCommands) cycles(ctx context.Context, req *bot.Request, today calendar.Date) (*bot.Response, error) {
	all, err := a.store.Cycles(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return handlers.Notice("There are no OKR cycles yet.", "Create one with "+exCycleNew+"."), nil
	}
	head := fmt.Sprintf("*OKR cycles* (%d)", len(all))
	if left := len(all) - maxListedCycles; left > 0 {
		head += fmt.Sprintf(": the latest %d; %d earlier %s not shown", maxListedCycles, left, views.Plural(left, "is", "are"))
		all = all[left:]
	}
	blocks := []slack.Block{views.Section(head, nil)}
	for _, c := range all {
		blocks = append(blocks, views.Section(fmt.Sprintf("*%s* · id %d · %s (%s) · %s · %s",
			mrkdwn.Bound(c.Name, okrs.MaxNameLen), c.ID, cycleDates(c), cycleLength(c), cycleState(c, today), whose(c.Team)), nil))
	}
	blocks = append(blocks, slack.NewContextBlock("", views.MrkdwnText("A team's own cycle is the one its objectives use while it runs; other teams use the workspace's. "+
		"Create one with `/trellis admin okr cycle new NAME START END #channel`.")))
	return handlers.Reply(head, blocks), nil
}

// settingsArgs splits a setting's words from its optional channel,
// answering what is wrong with hint.
func settingsArgs(req *bot.Request, toks []adminToken, hint string) (team, value string, resp *bot.Response) {
	team, rest, problem := takeChannel(toks, req.Command)
	if problem != "" {
		return "", "", handlers.Notice(problem+" Nothing was saved.", hint)
	}
	return team, strings.TrimSpace(joinTokens(rest)), nil
}

// isDefault reports whether v asks to unset a setting.
func isDefault(v string) bool {
	switch strings.ToLower(v) {
	case "default", "reset", "auto":
		return true
	}
	return false
}

// length sets the default length of new cycles, the workspace's or a
// team's.
func (a *adminCommands) length(ctx context.Context, req *bot.Request, toks []adminToken) (*bot.Response, error) {
	hint := fmt.Sprintf("For example %s, `/trellis admin okr length 2 #team`, or `/trellis admin okr length default #team`.", exLength)
	team, v, resp := settingsArgs(req, toks, hint)
	if resp != nil {
		return resp, nil
	}
	if v == "" {
		return a.showSettings(ctx, req, team, "")
	}
	n := 0
	if !isDefault(v) {
		var ok bool
		n, ok = parseMonths(v)
		if !ok || n < okrs.MinCycleMonths || n > okrs.MaxCycleMonths {
			return handlers.Notice(fmt.Sprintf("A cycle lasts %d to %d months; I got %s. Nothing was saved.",
				okrs.MinCycleMonths, okrs.MaxCycleMonths, views.Code(v)), hint), nil
		}
	}
	return a.change(ctx, req, team, hint, "", func(s *okrs.Settings) { s.CycleMonths = n })
}

// nudges sets how often key results' owners are nudged, for the
// workspace or a team.
func (a *adminCommands) nudges(ctx context.Context, req *bot.Request, toks []adminToken) (*bot.Response, error) {
	hint := fmt.Sprintf("For example %s, `/trellis admin okr nudges weekly #team`, `/trellis admin okr nudges off`, or `/trellis admin okr nudges default`.", exNudges)
	team, v, resp := settingsArgs(req, toks, hint)
	if resp != nil {
		return resp, nil
	}
	if v == "" {
		return a.showSettings(ctx, req, team, "")
	}
	setting, err := jobokrs.ParseSetting(v)
	if err != nil {
		return handlers.Notice(fmt.Sprintf("Nudges come `weekly`, `every 2 weeks`, `off`, or `default`; I got %s. Nothing was saved.", views.Code(v)), hint), nil
	}
	return a.change(ctx, req, team, hint, "OKR nudge setting changed: sync nudges", func(s *okrs.Settings) { s.NudgeCadence = okrs.NudgeCadence(setting) })
}

// day sets the day of the week nudges go out, for the workspace or a
// team.
func (a *adminCommands) day(ctx context.Context, req *bot.Request, toks []adminToken) (*bot.Response, error) {
	hint := fmt.Sprintf("For example %s, `/trellis admin okr day monday #team`, or `/trellis admin okr day default`.", exDay)
	team, v, resp := settingsArgs(req, toks, hint)
	if resp != nil {
		return resp, nil
	}
	if v == "" {
		return a.showSettings(ctx, req, team, "")
	}
	day := okrs.NoWeekday
	if !isDefault(v) {
		d, ok := parseWeekday(v)
		if !ok {
			return handlers.Notice(fmt.Sprintf("The nudges' day is a day of the week, like `tuesday` or `thu`; I got %s. Nothing was saved.", views.Code(v)), hint), nil
		}
		day = int(d)
	}
	return a.change(ctx, req, team, hint, "OKR nudge day changed: sync nudges", func(s *okrs.Settings) { s.NudgeWeekday = day })
}

// change stores team's own settings (the workspace's for "") as set
// changes them, keeping what it does not touch, then shows the settings
// in force. With sync set, it re-syncs the nudges the team's settings
// reach after the ack, logging sync as what failed.
func (a *adminCommands) change(ctx context.Context, req *bot.Request, team, hint, sync string, set func(*okrs.Settings)) (*bot.Response, error) {
	own, err := a.store.OwnSettings(ctx, req.TeamID, team)
	if err != nil {
		return nil, err
	}
	set(&own)
	if err := a.store.SetSettings(ctx, req.TeamID, team, own, req.UserID); err != nil {
		if resp, ok := refused(err, hint); ok {
			return resp, nil
		}
		return nil, err
	}
	if sync != "" {
		a.after(req, sync, func(ctx context.Context) error { return a.svc.SettingsChanged(ctx, req.TeamID, team) })
	}
	return a.showSettings(ctx, req, team, "Saved. ")
}

// showSettings is the reply listing the OKR settings team (the
// workspace, for "") works with, each saying where it comes from.
func (a *adminCommands) showSettings(ctx context.Context, req *bot.Request, team, lead string) (*bot.Response, error) {
	own, err := a.store.OwnSettings(ctx, req.TeamID, team)
	if err != nil {
		return nil, err
	}
	ws := own
	if team != "" {
		if ws, err = a.store.OwnSettings(ctx, req.TeamID, ""); err != nil {
			return nil, err
		}
	}
	from := func(ownSet, wsSet bool) string {
		switch {
		case ownSet && team != "":
			return "set for <#" + team + ">"
		case ownSet || wsSet:
			return "the workspace's"
		}
		return "Trellis's default"
	}
	def := okrs.DefaultSettings()
	eff := own.Over(ws).Over(def)
	nudges := "as the cycle suggests: every week for cycles of up to 2 months, every 2 weeks for longer ones"
	if eff.NudgeCadence != okrs.NudgeFollowCycle {
		nudges = jobokrs.SettingText(string(eff.NudgeCadence))
	}
	title := "OKR settings of the workspace"
	if team != "" {
		title = "OKR settings of <#" + team + ">"
	}
	lines := []string{
		lead + "*" + title + "*",
		fmt.Sprintf("• New cycles last *%d %s* (%s).", eff.CycleMonths, views.Plural(eff.CycleMonths, "month", "months"),
			from(own.CycleMonths != 0, ws.CycleMonths != 0)),
		fmt.Sprintf("• Key results' owners are nudged *%s* (%s).", nudges,
			from(own.NudgeCadence != okrs.NudgeFollowCycle, ws.NudgeCadence != okrs.NudgeFollowCycle)),
		fmt.Sprintf("• Nudges go out on *%ss* at %s in each person's own time zone, moved into their working hours (%s).",
			time.Weekday(eff.NudgeWeekday), jobokrs.NudgeAt, from(own.NudgeWeekday != okrs.NoWeekday, ws.NudgeWeekday != okrs.NoWeekday)),
	}
	hint := "Change them with " + exLength + ", " + exNudges + " or " + exDay + "; add a #channel for a team's own."
	if team != "" {
		hint = "A person's own nudge choice comes before the team's. `default` makes the team follow the workspace again."
	}
	return handlers.Notice(strings.Join(lines, "\n"), hint), nil
}
