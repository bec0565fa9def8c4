package okrs_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/jobs/engine"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

const adminTeam = slacksim.DefaultTeamID

// adminChannel is the channel the admin tests type team commands in.
const adminChannel = "C0ADMTEAM"

// adminEnv is the core handlers with the OKRs' admin word registered,
// as a feature declares it, over a real store, service and engine.
type adminEnv struct {
	t            *testing.T
	ctx          context.Context
	mux          *bot.Mux
	api          *slack.Client
	store        *okrs.Store
	eng          *engine.Engine
	admin, plain string
}

// adminStart is Wednesday 10 February 2027, 10:00 UTC: in Q1 2027.
var adminStart = time.Date(2027, 2, 10, 10, 0, 0, 0, time.UTC)

func newAdminEnv(t *testing.T, dialect string) *adminEnv {
	t.Helper()
	ctx := context.Background()
	log := testlog.Logger(t)
	env := testenv.New(t, testenv.Options{Dialect: dialect, Start: adminStart, Logger: log,
		Slack: slacksim.Config{RetryDelays: []time.Duration{}, MessageCapPerMinute: 1_000_000}})
	db := env.DBs[0]
	api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(env.Slack.Server.APIURL()))
	eng, err := engine.New(engine.Config{DB: db, Clock: env.Clock, Logger: log,
		Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := jobokrs.New(jobokrs.Config{DB: db, Engine: eng, Clock: env.Clock, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := env.Slack.Control.AddPerson(ctx, slacksim.NewPerson{Name: "grace", RealName: "Grace", TZ: "UTC", IsAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := env.Slack.Control.AddPerson(ctx, slacksim.NewPerson{Name: "kai", RealName: "Kai", TZ: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	ppl := models.NewPeople(db)
	core := handlers.New(handlers.Config{Logger: log, Clock: env.Clock, People: ppl, Workspaces: models.NewWorkspaces(db),
		Views: models.NewOpenedViews(db), Forecast: eng})
	mux := bot.NewMux()
	f := handlers.Feature{Name: "okrs-admin",
		Admin:     []handlers.Subcommand{okrhandlers.AdminSubcommand(svc.Store(), svc, env.Clock, log)},
		AdminHelp: okrhandlers.AdminHelpLines()}
	if err := core.Register(mux, eng, f); err != nil {
		t.Fatalf("register: %v", err)
	}
	return &adminEnv{t: t, ctx: ctx, mux: mux, api: api, store: svc.Store(), eng: eng, admin: admin.ID, plain: plain.ID}
}

// commandIn runs /trellis TEXT as user in channel (named name), running
// what it leaves for after the ack, and returns the reply.
func (e *adminEnv) commandIn(user, channel, name, text string) slack.Msg {
	e.t.Helper()
	req := &bot.Request{Kind: bot.KindCommand, TeamID: adminTeam, UserID: user, Slack: e.api,
		Command: &slack.SlashCommand{Command: handlers.Command, Text: text, TeamID: adminTeam, UserID: user, ChannelID: channel, ChannelName: name}}
	resp, err := e.mux.ServeSlack(e.ctx, req)
	if err != nil {
		e.t.Fatalf("/trellis %s: %v", text, err)
	}
	for _, fn := range req.TakeAfter() {
		fn(e.ctx)
	}
	msg, _ := resp.Body.(slack.Msg)
	return msg
}

// adminDo runs /trellis admin okr TEXT as the admin in their DM and
// returns the reply's text and blocks.
func (e *adminEnv) adminDo(text string) string {
	e.t.Helper()
	return replyText(e.t, e.commandIn(e.admin, "D0GRACE", "directmessage", "admin okr "+text))
}

// replyText is a reply's text and its blocks' JSON, with "<" and ">" as
// they are.
func replyText(t *testing.T, msg slack.Msg) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(msg.Blocks.BlockSet); err != nil {
		t.Fatal(err)
	}
	// Block Kit's text objects marshal with HTML escapes of their own.
	return msg.Text + "\n" + strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace(b.String())
}

// state is everything the admin commands may change: the cycles and the
// settings of the workspace and of the test team.
func (e *adminEnv) state() string {
	e.t.Helper()
	cycles, err := e.store.Cycles(e.ctx, adminTeam)
	if err != nil {
		e.t.Fatal(err)
	}
	ws, err := e.store.OwnSettings(e.ctx, adminTeam, "")
	if err != nil {
		e.t.Fatal(err)
	}
	tm, err := e.store.OwnSettings(e.ctx, adminTeam, adminChannel)
	if err != nil {
		e.t.Fatal(err)
	}
	raw, err := json.Marshal(struct {
		Cycles     []okrs.Cycle
		WS, Team   okrs.Settings
		CycleCount int
	}{cycles, ws, tm, len(cycles)})
	if err != nil {
		e.t.Fatal(err)
	}
	return string(raw)
}

// cycle is the stored cycle called name (of any team).
func (e *adminEnv) cycle(name string) (okrs.Cycle, bool) {
	e.t.Helper()
	cycles, err := e.store.Cycles(e.ctx, adminTeam)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range cycles {
		if c.Name == name {
			return c, true
		}
	}
	return okrs.Cycle{}, false
}

func adminDate(s string) calendar.Date {
	d, err := calendar.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Every bad input is answered with what went wrong and what to type,
// and stores nothing: the cycles and the settings stay as they were.
func TestAdminRefusesBadInput(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			e := newAdminEnv(t, dialect)
			for _, text := range []string{
				`cycle new "Q1 2027" 2027-01-01 2027-03-31`,
				`cycle new "Q2 2027" 2027-04-01 +3m`,
				`cycle new "Team H1" 2027-01-01 2027-04-30 <#` + adminChannel + `|team>`,
			} {
				if got := e.adminDo(text); !strings.Contains(got, "Created") {
					t.Fatalf("%s = %s, want it created", text, got)
				}
			}
			for _, tc := range []struct{ text, want string }{
				{`cycle new "Backwards" 2027-09-30 2027-07-01`, "before the first"},
				{`cycle new "Short" 2027-07-01 2027-07-15`, "at least 1 month"},
				{`cycle new "Long" 2027-07-01 2027-11-30`, "at most 4 months"},
				{`cycle new "Overlap" 2027-03-01 2027-05-31`, "don't overlap"},
				{`cycle new "Team overlap" 2027-04-01 2027-05-31 <#` + adminChannel + `>`, "don't overlap"},
				{`cycle new "q1 2027" 2027-07-01 2027-09-30`, "already a cycle called"},
				{`cycle new “Q1 2027” 2027-07-01 2027-09-30`, "already a cycle called"},
				{`cycle new "Nowhere" 2027-07-01 2027-09-30 #nowhere`, "can't tell which channel"},
				{`cycle new "DM" 2027-07-01 2027-09-30 <#D0GRACE>`, "direct message is not a team"},
				{`cycle new "Broken" 2027-07-01 2027-09-30 <#C12`, "isn't a channel"},
				{`cycle new "Two" 2027-07-01 2027-09-30 <#C111> <#C222>`, "one channel at most"},
				{`cycle new "Unclosed 2027-07-01 2027-09-30`, "never closed"},
				{`cycle new "Words" July 2027-09-30`, "first day is a date"},
				{`cycle new "Feb 30" 2027-02-30 2027-05-31`, "first day is a date"},
				{`cycle new "Five" 2027-07-01 +5m`, "1 to 4 months"},
				{`cycle new "Zero" 2027-07-01 +0m`, "1 to 4 months"},
				{`cycle new "Soon" 2027-07-01 soon`, "last day is a date"},
				{`cycle new "Extra" 2027-07-01 2027-09-30 please`, "didn't expect"},
				{`cycle new 2027-07-01 2027-09-30`, "name"},
				{`cycle new`, "name"},
				{`cycle new "Q3" `, "When does"},
				{`cycle new "` + strings.Repeat("x", okrs.MaxNameLen+1) + `" 2027-07-01 +3m`, "characters long"},
				{`cycle rename 999 Anything`, "couldn't find a cycle"},
				{`cycle rename Q2 2027`, "couldn't find a cycle"},
				{`cycle rename "Q2 2027"`, "which cycle"},
				{`cycle rename "Q2 2027" "Q1 2027"`, "already a cycle called"},
				{`cycle rename "Q2 2027" "  "`, "Give the cycle a name"},
				{`length 5`, "1 to 4 months"},
				{`length 0`, "1 to 4 months"},
				{`length soon`, "1 to 4 months"},
				{`length 2 #nowhere`, "can't tell which channel"},
				{`nudges sometimes`, "`weekly`"},
				{`nudges daily <#` + adminChannel + `>`, "`weekly`"},
				{`day someday`, "day of the week"},
				{`day tu`, "day of the week"},
			} {
				before := e.state()
				got := e.adminDo(tc.text)
				if !strings.Contains(got, tc.want) || !strings.Contains(got, "Nothing was saved") {
					t.Errorf("/trellis admin okr %s = %s, want %q and “Nothing was saved”", tc.text, got, tc.want)
				}
				if after := e.state(); after != before {
					t.Errorf("/trellis admin okr %s changed the store:\nbefore %s\nafter  %s", tc.text, before, after)
				}
			}
		})
	}
}

// What an admin types is stored as they meant it: quoted names in
// straight or curly quotes and unquoted ones, an end or a length in
// months or the team's default length, a team's own cycle, renames by id
// and by name; settings set and unset, the workspace's and a team's.
func TestAdminStores(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			e := newAdminEnv(t, dialect)
			for _, tc := range []struct {
				text       string
				name       string
				start, end string
				team       string
				reply      []string
			}{
				{`cycle new "Q1 2027" 2027-01-01 2027-03-31`, "Q1 2027", "2027-01-01", "2027-03-31", "", []string{"3 months", "active: 50 days left", "the workspace's"}},
				{`cycle new “Q2 2027” 2027-04-01 +3m`, "Q2 2027", "2027-04-01", "2027-06-30", "", []string{"3 months", "planning: starts in 50 days"}},
				{`cycle new Q3 2027 2027-07-01 to 2027-08-15`, "Q3 2027", "2027-07-01", "2027-08-15", "", []string{"1 month and 15 days"}},
				{`cycle new "Late 2027" 2027-10-01`, "Late 2027", "2027-10-01", "2027-12-31", "", []string{"3 months"}},
				{`cycle new "Team H1" 2027-01-01 2027-04-30 <#` + adminChannel + `|team>`, "Team H1", "2027-01-01", "2027-04-30", adminChannel, []string{"4 months", "<#" + adminChannel + ">'s own"}},
				{`cycle new "Old" 2026-09-01 2026-11-30`, "Old", "2026-09-01", "2026-11-30", "", []string{"closed"}},
				{`cycle new "Just ended" 2026-11-01 2027-01-31 <#C0OTHER>`, "Just ended", "2026-11-01", "2027-01-31", "C0OTHER", []string{"in review until Sun 14 Feb"}},
			} {
				got := e.adminDo(tc.text)
				for _, w := range append(tc.reply, "Created") {
					if !strings.Contains(got, w) {
						t.Errorf("/trellis admin okr %s = %s, want %q in it", tc.text, got, w)
					}
				}
				c, ok := e.cycle(tc.name)
				if !ok || c.Start != adminDate(tc.start) || c.End != adminDate(tc.end) || c.Team != tc.team {
					t.Errorf("/trellis admin okr %s stored %+v (found %v), want %s %s–%s of %q", tc.text, c, ok, tc.name, tc.start, tc.end, tc.team)
				}
			}

			// A team's default length, set in its channel by name, is the
			// length of its cycles created without an end.
			if got := e.commandIn(e.admin, adminChannel, "team", "admin okr length 2 #team").Text; !strings.Contains(got, "Saved") || !strings.Contains(got, "*2 months*") {
				t.Errorf("length 2 #team = %s", got)
			}
			if got := e.commandIn(e.admin, adminChannel, "team", `admin okr cycle new "Team Sprint" 2027-05-01 #team`).Text; !strings.Contains(got, "2 months") {
				t.Errorf("cycle new in #team with its default length = %s", got)
			}
			if c, ok := e.cycle("Team Sprint"); !ok || c.End != adminDate("2027-06-30") || c.Team != adminChannel {
				t.Errorf("Team Sprint stored as %+v, %v; want 2027-05-01 to 2027-06-30 of %s", c, ok, adminChannel)
			}

			// Renames, by id and by an unquoted name of several words.
			q3, _ := e.cycle("Q3 2027")
			for _, tc := range []struct{ text, from, to string }{
				{"cycle rename " + strconv.FormatInt(q3.ID, 10) + ` "Summer 2027"`, "Q3 2027", "Summer 2027"},
				{"cycle rename Late 2027 Autumn 2027 (final)", "Late 2027", "Autumn 2027 (final)"},
				{"cycle rename “Summer 2027” Summer", "Summer 2027", "Summer"},
			} {
				if got := e.adminDo(tc.text); !strings.Contains(got, "Renamed") {
					t.Errorf("%s = %s", tc.text, got)
				}
				if _, ok := e.cycle(tc.from); ok {
					t.Errorf("%s: %q is still there", tc.text, tc.from)
				}
				if _, ok := e.cycle(tc.to); !ok {
					t.Errorf("%s: no cycle %q", tc.text, tc.to)
				}
			}

			// Settings, set and unset, each alone: the others are kept.
			for _, tc := range []struct {
				text     string
				team     string
				want     okrs.Settings
				inReply  string
				fromTeam bool
			}{
				{"length 4", "", okrs.Settings{CycleMonths: 4, NudgeWeekday: okrs.NoWeekday}, "*4 months*", false},
				{"nudges every 2 weeks", "", okrs.Settings{CycleMonths: 4, NudgeCadence: okrs.NudgeBiweekly, NudgeWeekday: okrs.NoWeekday}, "*every 2 weeks*", false},
				{"day thursday", "", okrs.Settings{CycleMonths: 4, NudgeCadence: okrs.NudgeBiweekly, NudgeWeekday: int(time.Thursday)}, "*Thursdays*", false},
				{"nudges default", "", okrs.Settings{CycleMonths: 4, NudgeWeekday: int(time.Thursday)}, "as the cycle suggests", false},
				{"day default", "", okrs.Settings{CycleMonths: 4, NudgeWeekday: okrs.NoWeekday}, "*Tuesdays*", false},
				{"nudges off <#" + adminChannel + "|team>", adminChannel, okrs.Settings{CycleMonths: 2, NudgeCadence: okrs.NudgeOff, NudgeWeekday: okrs.NoWeekday}, "*off*", true},
				{"day MON <#" + adminChannel + ">", adminChannel, okrs.Settings{CycleMonths: 2, NudgeCadence: okrs.NudgeOff, NudgeWeekday: int(time.Monday)}, "*Mondays*", true},
				{"length default <#" + adminChannel + ">", adminChannel, okrs.Settings{NudgeCadence: okrs.NudgeOff, NudgeWeekday: int(time.Monday)}, "*4 months* (the workspace's)", true},
			} {
				got := e.adminDo(tc.text)
				if !strings.Contains(got, "Saved") || !strings.Contains(got, tc.inReply) {
					t.Errorf("%s = %s, want “Saved” and %q", tc.text, got, tc.inReply)
				}
				if tc.fromTeam && !strings.Contains(got, "set for <#"+adminChannel+">") {
					t.Errorf("%s = %s: the team's own setting is not said to be its own", tc.text, got)
				}
				own, err := e.store.OwnSettings(e.ctx, adminTeam, tc.team)
				if err != nil || own != tc.want {
					t.Errorf("%s stored %+v (%v), want %+v", tc.text, own, err, tc.want)
				}
			}

			// The list shows every cycle, its state and whose it is.
			got := e.adminDo("cycles")
			for _, w := range []string{"OKR cycles* (8)", "Q1 2027", "Autumn 2027 (final)", "Summer", "Team Sprint", "active: 50 days left",
				"planning: starts in", "closed", "<#" + adminChannel + ">'s own", "<#C0OTHER>'s own"} {
				if !strings.Contains(got, w) {
					t.Errorf("cycles = %s\nlacks %q", got, w)
				}
			}
		})
	}
}

// A setting reaches the nudges after the ack: turning the team's nudges
// off deletes its owners' schedules, turning them back on puts them
// again; a new cycle syncs its owners.
func TestAdminSyncsNudges(t *testing.T) {
	e := newAdminEnv(t, testenv.Dialect())
	if got := e.adminDo(`cycle new "Q1 2027" 2027-01-01 2027-03-31`); !strings.Contains(got, "Created") {
		t.Fatal(got)
	}
	q1, _ := e.cycle("Q1 2027")
	owner := "U0OWNERX"
	_, err := e.store.CreateObjective(e.ctx, adminTeam, okrs.Objective{CycleID: q1.ID, Title: "Ship", Owner: owner, Team: adminChannel,
		Visibility: okrs.VisibleWorkspace, KeyResults: []okrs.KeyResult{{Title: "Users", Owner: owner, Kind: okrs.IncreaseTo, Start: 0, Target: 10}}}, owner)
	if err != nil {
		t.Fatal(err)
	}
	has := func() bool {
		_, err := e.eng.Schedules().Get(e.ctx, adminTeam, jobokrs.NudgeKey(owner))
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	steps := []struct {
		text string
		want bool
	}{
		{"nudges weekly <#" + adminChannel + ">", true},
		{"nudges off <#" + adminChannel + ">", false},
		{"nudges default <#" + adminChannel + ">", true},
		{"nudges off", false},
		{"nudges weekly", true},
	}
	for _, s := range steps {
		if got := e.adminDo(s.text); !strings.Contains(got, "Saved") {
			t.Fatalf("%s = %s", s.text, got)
		}
		if got := has(); got != s.want {
			t.Errorf("after %s, the owner's nudge schedule exists: %v, want %v", s.text, got, s.want)
		}
	}
}

// A name a person typed is shown as text in every reply: escaped, never
// a live mention or broadcast.
func TestAdminEscapesNames(t *testing.T) {
	e := newAdminEnv(t, testenv.Dialect())
	for _, text := range []string{
		`cycle new "<!channel> & <@U1>" 2027-01-01 +3m`,
		`cycle new "<!channel> & <@U1>" 2027-04-01 +3m`,
		`cycle rename "<!channel> & <@U1>" "<!here>"`,
		`cycles`,
		`cycle new "<!here>" 2027-09-30 2027-07-01`,
	} {
		got := e.adminDo(text)
		if strings.Contains(got, "<!") || strings.Contains(got, "<@") || !strings.Contains(got, "&lt;!") {
			t.Errorf("%s = %s: the typed name is not escaped", text, got)
		}
	}
}

// The OKRs' admin word is the core's to guard: anyone but a workspace
// admin gets the core's refusal, and nothing is stored.
func TestAdminOnlyForAdmins(t *testing.T) {
	e := newAdminEnv(t, testenv.Dialect())
	before := e.state()
	for _, text := range []string{`admin okr cycle new "Q1 2027" 2027-01-01 2027-03-31`, "admin okr length 2", "admin okrs cycles"} {
		if got := e.commandIn(e.plain, "D0KAI", "directmessage", text).Text; got != "Only workspace admins and owners can change workspace settings." {
			t.Errorf("non-admin /trellis %s = %q, want the core's refusal", text, got)
		}
	}
	if after := e.state(); after != before {
		t.Errorf("a non-admin changed the store:\nbefore %s\nafter  %s", before, after)
	}
	// The admin's help lists the OKRs' lines; the reply to an unknown
	// admin word names their example.
	if got := replyText(t, e.commandIn(e.admin, "D0GRACE", "directmessage", "admin nonsense")); !strings.Contains(got, "/trellis admin okr cycle new") {
		t.Errorf("/trellis admin nonsense = %q, want the OKRs' example listed", got)
	}
}

// However many cycles there are, with the longest names, the list keeps
// to a message's limits and says how many it leaves out.
func TestAdminCyclesListFits(t *testing.T) {
	e := newAdminEnv(t, testenv.Dialect())
	const n = 45
	first := calendar.Date{Year: 2020, Month: 1, Day: 1}
	for i := range n {
		start := okrs.EndAfterMonths(first, i).AddDays(1)
		if i == 0 {
			start = first
		}
		name := strings.Repeat("&", okrs.MaxNameLen-3) + strconv.Itoa(100+i)
		if _, err := e.store.CreateCycle(e.ctx, adminTeam, okrs.Cycle{Name: name, Start: start, End: okrs.EndAfterMonths(start, 1), Team: "C0123456789"}, "U1"); err != nil {
			t.Fatal(err)
		}
	}
	msg := e.commandIn(e.admin, "D0GRACE", "directmessage", "admin okr cycles")
	blocks := msg.Blocks.BlockSet
	total := 0
	for _, b := range blocks {
		total += mrkdwn.TextLen(b)
	}
	if len(blocks) > mrkdwn.MaxMessageBlocks || total > mrkdwn.MessageTextBudget {
		t.Errorf("the list of %d cycles has %d blocks and %d characters; the limits are %d and %d", n, len(blocks), total, mrkdwn.MaxMessageBlocks, mrkdwn.MessageTextBudget)
	}
	if got := replyText(t, msg); !strings.Contains(got, "5 earlier are not shown") || !strings.Contains(got, "1 Sep – 30 Sep 2023") || strings.Contains(got, "1 Jan – 31 Jan 2020") {
		t.Errorf("the list of %d cycles = %s, want the latest 40 (to September 2023) and the count of those left out", n, got)
	}
}

// auditLines is /trellis admin audit's reply as the admin, one line per
// entry shown.
func (e *adminEnv) auditLines() []string {
	e.t.Helper()
	msg := e.commandIn(e.admin, "D0GRACE", "directmessage", "admin audit")
	var out []string
	for _, l := range strings.Split(msg.Text, "\n") {
		if strings.HasPrefix(l, "• ") {
			out = append(out, l)
		}
	}
	return out
}

// Every OKR admin change appears in /trellis admin audit, newest first,
// with who made it, its action and what changed, a cycle's name shown as
// text (its markup escaped); a refused change adds no entry.
func TestAdminChangesAreAudited(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			e := newAdminEnv(t, dialect)
			tests := []struct {
				text   string
				action string   // "" when refused: no entry
				detail []string // what the entry's detail says
			}{
				{`cycle new "Q1 <!channel> & <@U1>" 2027-01-01 2027-03-31`, okrs.AuditCycleNew,
					[]string{"“Q1 &lt;!channel&gt; &amp; &lt;@U1&gt;”", "the workspace's", "2027-01-01 to 2027-03-31"}},
				{`cycle new "Team H1" 2027-01-01 2027-04-30 <#` + adminChannel + `|team>`, okrs.AuditCycleNew,
					[]string{"“Team H1”", "channel " + adminChannel + "'s"}},
				{`cycle new "Overlap" 2027-03-01 2027-05-31`, "", nil},
				{`cycle rename "Team H1" "Team first half"`, okrs.AuditCycleRename, []string{"“Team H1” → “Team first half”"}},
				{`cycle rename "Team first half" "Q1 <!channel> & <@U1>"`, okrs.AuditCycleRename, []string{"→ “Q1 &lt;!channel&gt; &amp; &lt;@U1&gt;”"}},
				{`cycle rename "Nope" "Other"`, "", nil},
				{`length 2`, okrs.AuditSettings, []string{"workspace: cycle length (not set) → 2 months"}},
				{`length 9`, "", nil},
				{`nudges off <#` + adminChannel + `>`, okrs.AuditSettings, []string{"channel " + adminChannel + ": nudges (not set) → off"}},
				{`nudges sometimes`, "", nil},
				{`day monday`, okrs.AuditSettings, []string{"workspace: nudge day (not set) → monday"}},
				{`day someday`, "", nil},
				{`day default`, okrs.AuditSettings, []string{"workspace: nudge day monday → (not set)"}},
			}
			for _, tt := range tests {
				before := e.auditLines()
				reply := e.adminDo(tt.text)
				after := e.auditLines()
				if tt.action == "" {
					if len(after) != len(before) {
						t.Errorf("%s (refused: %s): audit %d → %d entries: %q", tt.text, reply, len(before), len(after), after)
					}
					continue
				}
				if len(after) != len(before)+1 {
					t.Fatalf("%s (%s): audit %d → %d entries, want one more", tt.text, reply, len(before), len(after))
				}
				got := after[0]
				if !strings.Contains(got, "<@"+e.admin+"> "+tt.action+": ") {
					t.Errorf("%s: entry %q, want <@%s> %s", tt.text, got, e.admin, tt.action)
				}
				for _, d := range tt.detail {
					if !strings.Contains(got, d) {
						t.Errorf("%s: entry %q, want it to say %q", tt.text, got, d)
					}
				}
				if strings.Contains(got, "<!channel>") || strings.Contains(got, "<@U1>") {
					t.Errorf("%s: entry %q shows a name's markup as markup", tt.text, got)
				}
			}
		})
	}
}
