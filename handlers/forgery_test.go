package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/handlers"
	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/jobs/checkins"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/modelstest"
)

const (
	team  = slacksim.DefaultTeamID
	other = "T0OTHER"
)

// fixture is Trellis's handlers over a real database and the Slack
// emulator, with two check-ins: "team" in #team, which asks Omar (the
// person forging payloads) and Lena, and "secret" in the private #secret,
// which only Lena is in and which asked only her. Another workspace has a
// check-in whose round asked a person with Omar's id.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	clk   *clock.Sim
	sim   *slacksim.Server
	ctl   *slacksim.Control
	api   *slack.Client
	db    *models.DB
	store *checkinmodels.Store
	ppl   *models.People
	ws    *models.Workspaces
	occ   *models.Occurrences
	mux   *bot.Mux
	svc   *checkins.Service
	eng   *engine.Engine

	lena, omar       string
	teamCh, secretCh string
	teamC, secretC   checkinmodels.Checkin
	otherC           checkinmodels.Checkin
	// Each round's id; otherRound is in the other workspace.
	teamRound, secretRound, otherRound int64
	// The prompts Trellis sent: Omar's of the team round, Lena's of the
	// secret round.
	omarMsg, lenaMsg models.Receipt
	lenaAway         models.AwayPeriod
}

// monday10 is a Monday, 10:00 UTC: inside everyone's default hours.
var monday10 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, dialect string) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFrozen(monday10)
	log := testlog.Logger(t)
	sim := slacksim.New(slacksim.Config{Clock: clk, Logger: log.With("component", "slacksim"), RetryDelays: []time.Duration{}, MessageCapPerMinute: 1_000_000})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	f := &fixture{t: t, ctx: ctx, clk: clk, sim: sim, ctl: slacksim.NewControl(sim.URL())}
	unlimited := map[string]int{}
	for _, m := range []string{"conversations.history", "conversations.open", "conversations.members", "users.info", "chat.update",
		"chat.postEphemeral", "views.open", "views.update", "views.publish"} {
		unlimited[m] = 0
	}
	if err := f.ctl.SetLimits(ctx, slacksim.Limits{Methods: unlimited}); err != nil {
		t.Fatalf("limits: %v", err)
	}
	info, err := f.ctl.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.api = slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(sim.APIURL()))

	db, err := models.Open(ctx, log, modelstest.URL(t, dialect), models.WithClock(clk))
	if err != nil {
		t.Fatalf("open db: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	f.db, f.store, f.ppl, f.ws, f.occ = db, checkinmodels.NewStore(db), models.NewPeople(db), models.NewWorkspaces(db), models.NewOccurrences(db)
	for _, id := range []string{team, other} {
		if _, err := f.ws.Ensure(ctx, id, id); err != nil {
			t.Fatal(err)
		}
	}
	eng, err := engine.New(engine.Config{DB: db, Clients: func(context.Context, string) (engine.Slack, error) { return f.api, nil }, Clock: clk, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := checkins.New(checkins.Config{DB: db, Engine: eng, Clients: func(context.Context, string) (checkins.Slack, error) { return f.api, nil },
		BotUserID: func(context.Context, string) string { return info.BotUserID }, Clock: clk, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	f.svc, f.eng = svc, eng
	f.mux = bot.NewMux()
	core := handlers.New(handlers.Config{Logger: log, Clock: clk, People: f.ppl, Workspaces: f.ws, Views: models.NewOpenedViews(db), Forecast: eng})
	if err := core.Register(f.mux, eng, checkinhandlers.New(core, svc).Feature()); err != nil {
		t.Fatal(err)
	}

	f.lena, f.omar = f.person("lena"), f.person("omar")
	// Omar's day ends at noon: a snooze past it is not offered.
	short := calendar.WorkingHours{Days: calendar.DefaultWorkingHours.Days, Start: 9 * 60, End: 12 * 60}
	if err := f.ppl.SetHours(ctx, team, f.omar, &short); err != nil {
		t.Fatal(err)
	}
	f.teamCh = f.channel("team", false, f.lena, f.omar)
	f.secretCh = f.channel("secret", true, f.lena)
	f.teamC = f.checkin(svc, team, f.teamCh, f.lena, f.lena, f.omar)
	f.secretC = f.checkin(svc, team, f.secretCh, f.lena, f.lena)
	for _, c := range []checkinmodels.Checkin{f.teamC, f.secretC} {
		if _, err := svc.RunNow(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := eng.Tick(ctx, monday10); err != nil {
		t.Fatal(err)
	}
	f.omarMsg, f.teamRound = f.prompt(f.omar, f.teamC.ID)
	f.lenaMsg, f.secretRound = f.prompt(f.lena, f.secretC.ID)
	opened := models.NewOpenedViews(db)
	for _, v := range []struct{ id, user string }{{"V0OMAR", f.omar}, {"V0LENA", f.lena}} {
		if err := opened.Record(ctx, team, v.id, v.user, checkinhandlers.CallbackCheckin); err != nil {
			t.Fatal(err)
		}
	}

	// The other workspace: the same user ids, a round that asked "Omar".
	oc, err := f.store.Create(ctx, checkinmodels.Checkin{WorkspaceID: other, ChannelID: "C0ELSEWHERE", OwnerID: f.omar, Name: "Elsewhere",
		Questions: []checkinmodels.Question{{Kind: checkinmodels.KindText, Prompt: "Anything?", Required: true}}, Cadence: "weekdays at 09:30",
		Participants: checkinmodels.ParticipantsChosen, People: []string{f.omar}, Destination: checkinmodels.DestinationThread,
		RoundLength: 8 * time.Hour, Reminders: 0}, checkins.ParseCadence)
	if err != nil {
		t.Fatal(err)
	}
	f.otherC = oc
	r, err := f.store.OpenRound(ctx, other, oc.ID, calendar.DateOf(monday10), monday10, monday10.Add(8*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.MarkAsked(ctx, other, r.ID, f.omar, 0); err != nil {
		t.Fatal(err)
	}
	f.otherRound = r.ID

	if f.lenaAway, err = f.ppl.AddAway(ctx, models.AwayPeriod{WorkspaceID: team, UserID: f.lena, First: calendar.DateOf(monday10).AddDays(7), Last: calendar.DateOf(monday10).AddDays(8)}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) person(name string) string {
	f.t.Helper()
	p, err := f.ctl.AddPerson(f.ctx, slacksim.NewPerson{Name: name, RealName: name, TZ: "UTC"})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.ppl.SyncProfile(f.ctx, models.Person{WorkspaceID: team, UserID: p.ID, Name: name, SlackTZ: "UTC"}); err != nil {
		f.t.Fatal(err)
	}
	return p.ID
}

func (f *fixture) channel(name string, private bool, members ...string) string {
	f.t.Helper()
	ch, err := f.ctl.CreateChannel(f.ctx, slacksim.NewChannel{Name: name, Members: members, Private: private})
	if err != nil {
		f.t.Fatal(err)
	}
	return ch.ID
}

func (f *fixture) checkin(svc *checkins.Service, ws, channel, owner string, people ...string) checkinmodels.Checkin {
	f.t.Helper()
	c, err := svc.Create(f.ctx, checkinmodels.Checkin{WorkspaceID: ws, ChannelID: channel, OwnerID: owner, Name: "Check-in of " + channel,
		Questions: []checkinmodels.Question{{Kind: checkinmodels.KindText, Prompt: "What are you working on?", Required: true}},
		Cadence:   "weekdays at 09:30", Participants: checkinmodels.ParticipantsChosen, People: people,
		Destination: checkinmodels.DestinationThread, RoundLength: 8 * time.Hour, Reminders: 0})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// prompt is the DM that asked a person a round of a check-in, as
// recorded, and the round.
func (f *fixture) prompt(user string, checkinID int64) (models.Receipt, int64) {
	f.t.Helper()
	pending, err := f.store.Pending(f.ctx, team, user)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, p := range pending {
		if p.Checkin.ID != checkinID {
			continue
		}
		msgs, err := f.store.PromptMessages(f.ctx, team, checkinID, p.Round.ID, user)
		if err != nil || len(msgs) != 1 {
			f.t.Fatalf("prompts of %s: %v, %v; want one", user, msgs, err)
		}
		return msgs[0], p.Round.ID
	}
	f.t.Fatalf("%s has no prompt", user)
	return models.Receipt{}, 0
}

// snapshot is everything stored that a forged payload could change.
func (f *fixture) snapshot() string {
	f.t.Helper()
	var b strings.Builder
	add := func(v any, err error) {
		if err != nil {
			f.t.Fatalf("snapshot: %v", err)
		}
		fmt.Fprintf(&b, "%+v\n", v)
	}
	for _, ws := range []string{team, other} {
		for _, ch := range []string{f.teamCh, f.secretCh, "C0ELSEWHERE"} {
			cs, err := f.store.InChannel(f.ctx, ws, ch)
			for i := range cs {
				cs[i].UpdatedAt, cs[i].CreatedAt = time.Time{}, time.Time{}
			}
			add(cs, err)
		}
		w, err := f.ws.Get(f.ctx, ws)
		w.UpdatedAt = time.Time{}
		add(w, err)
		add(f.occ.CountByStatus(f.ctx, ws))
	}
	for _, r := range []struct {
		ws string
		id int64
	}{{team, f.teamRound}, {team, f.secretRound}, {other, f.otherRound}} {
		add(f.store.Responses(f.ctx, r.ws, r.id))
	}
	for _, u := range []string{f.lena, f.omar} {
		p, err := f.ppl.Get(f.ctx, team, u)
		add(fmt.Sprint(p.TZOverride, p.Hours, p.HolidayRegion, p.DailyBudget), err)
		add(f.ppl.AwayPeriods(f.ctx, team, u, calendar.DateOf(monday10).AddDays(-30)))
		add(f.occ.ForRecipient(f.ctx, team, u, monday10.Add(-time.Hour), 100))
	}
	add(f.store.DuePosts(f.ctx, monday10.Add(365*24*time.Hour), 1000))
	return b.String()
}

// calls counts the emulator's calls by method, and chat.update's by
// channel.
func (f *fixture) calls() map[string]int {
	f.t.Helper()
	cs, err := f.ctl.Calls(f.ctx, "")
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]int{}
	for _, c := range cs {
		out[c.Method]++
		if c.Method == "chat.update" || c.Method == "chat.postMessage" {
			out[c.Method+" "+c.Channel]++
		}
	}
	return out
}

// do serves a request as Slack would deliver it, runs what it left for
// after the ack, and returns the response.
func (f *fixture) do(req *bot.Request) *bot.Response {
	f.t.Helper()
	req.TeamID, req.Slack = team, f.api
	resp, err := f.mux.ServeSlack(f.ctx, req)
	if err != nil {
		f.t.Fatalf("handler error (a person would see a failure, not a friendly refusal): %v", err)
	}
	for _, fn := range req.TakeAfter() {
		fn(f.ctx)
	}
	return resp
}

// action is a block_actions payload from Omar, pressed in his own prompt
// DM unless the case moves it.
func (f *fixture) action(actionID string, el slack.BlockAction, container slack.Container) *bot.Request {
	el.ActionID = actionID
	in := &slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, TriggerID: "", Container: container,
		User: slack.User{ID: f.omar}}
	in.ActionCallback.BlockActions = []*slack.BlockAction{&el}
	if container.Type == "view" {
		in.View = slack.View{ID: container.ViewID, CallbackID: checkinhandlers.CallbackCheckin}
	}
	return &bot.Request{Kind: bot.KindBlockAction, UserID: f.omar, ChannelID: container.ChannelID, Interaction: in}
}

// submission is a view_submission from Omar of a form with callbackID,
// private_metadata meta and the given state.
func (f *fixture) submission(callbackID, meta string, state map[string]map[string]slack.BlockAction) *bot.Request {
	in := &slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: f.omar},
		View: slack.View{ID: "V0FORGED", CallbackID: callbackID, PrivateMetadata: meta, State: &slack.ViewState{Values: state}}}
	return &bot.Request{Kind: bot.KindViewSubmission, UserID: f.omar, Interaction: in}
}

// formValues is what Slack would submit for a modal left as it opened,
// with overrides by block id (slacksim.FormState).
func formValues(t *testing.T, m slack.ModalViewRequest, overrides map[string]any) map[string]map[string]slack.BlockAction {
	t.Helper()
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	st, err := slacksim.FormState(raw, overrides)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]slack.BlockAction{}
	for id, byAction := range st {
		for action, v := range byAction {
			var a slack.BlockAction
			if err := json.Unmarshal(v, &a); err != nil {
				t.Fatal(err)
			}
			out[id] = map[string]slack.BlockAction{action: a}
		}
	}
	return out
}

// forgery is one forged payload and what must come of it.
type forgery struct {
	name string
	req  func(f *fixture) *bot.Request
	// legit marks a payload whose ids are the person's own, with only a
	// message reference forged: what it asks is done, for them, and the
	// forged message is left alone.
	legit bool
}

// TestForgedPayloadsAreRefused forges, for every action id and view
// callback id the router knows (a new one without cases fails), each
// value a person can change in a payload — a round of another check-in,
// of another workspace or that never asked them, a check-in id of
// another check-in, a channel they are not in, a message Trellis did not
// send them for that round, a view id of a form not theirs, snooze
// minutes not offered, dates out of range, settings reserved to admins —
// and checks each is refused in words (an ephemeral note or the form's
// field errors), with nothing stored changed and no message posted to
// anyone else or updated.
func TestForgedPayloadsAreRefused(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, dialect)
			cases := forgeries()
			actions, callbacks := f.mux.Routes()
			for _, id := range append(actions, callbacks...) {
				if len(cases[id]) == 0 {
					t.Errorf("no forged payloads for %q: add its cases to forgeries()", id)
				}
			}
			for _, id := range append(actions, callbacks...) {
				for _, fc := range cases[id] {
					t.Run(id+"/"+fc.name, func(t *testing.T) {
						f.t = t
						f.check(id, fc)
					})
				}
			}
		})
	}
}

func (f *fixture) check(id string, fc forgery) {
	t := f.t
	before, calls := f.snapshot(), f.calls()
	req := fc.req(f)
	resp := f.do(req)
	after, now := f.snapshot(), f.calls()
	lenaDM := "chat.update " + f.lenaMsg.Channel
	if got := now[lenaDM] - calls[lenaDM]; got != 0 {
		t.Errorf("Lena's prompt, which Trellis sent her and not Omar, was updated %d times", got)
	}
	if fc.legit {
		if before == after {
			t.Errorf("the person's own action did nothing")
		}
		return
	}
	if before != after {
		t.Errorf("stored state changed:\nbefore %s\nafter  %s", before, after)
	}
	for _, m := range []string{"chat.update", "views.open", "views.update", "views.publish", "files.completeUploadExternal"} {
		if now[m] != calls[m] {
			t.Errorf("%s was called %d times", m, now[m]-calls[m])
		}
	}
	own := now["chat.postMessage "+f.omar] - calls["chat.postMessage "+f.omar] + now["chat.postMessage "+f.omarMsg.Channel] - calls["chat.postMessage "+f.omarMsg.Channel]
	if posted := now["chat.postMessage"] - calls["chat.postMessage"]; posted != own {
		t.Errorf("%d messages posted, %d of them to Omar", posted, own)
	}
	told := own + now["chat.postEphemeral"] - calls["chat.postEphemeral"]
	switch req.Kind {
	case bot.KindViewSubmission:
		if resp == nil || !strings.Contains(fmt.Sprint(resp.Body), "errors") {
			t.Errorf("response %+v; want the form's field errors", resp)
		}
	default:
		if told == 0 && (resp == nil || resp.Body == nil) {
			t.Errorf("nobody was told why nothing happened")
		}
	}
}

// inDM is a press in Omar's own prompt DM.
func (f *fixture) inDM() slack.Container {
	return slack.Container{Type: "message", ChannelID: f.omarMsg.Channel, MessageTs: f.omarMsg.TS}
}

// inLenaDM names Lena's prompt as the message pressed in.
func (f *fixture) inLenaDM() slack.Container {
	return slack.Container{Type: "message", ChannelID: f.lenaMsg.Channel, MessageTs: f.lenaMsg.TS}
}

// roundValues are the forged round/check-in pairs a prompt button can
// carry.
func roundValues() []struct {
	name  string
	value func(f *fixture) string
} {
	return []struct {
		name  string
		value func(f *fixture) string
	}{
		{"round of another check-in", func(f *fixture) string { return checkins.AnswerMetadata(f.teamRound, f.secretC.ID) }},
		{"check-in of another round", func(f *fixture) string { return checkins.AnswerMetadata(f.secretRound, f.teamC.ID) }},
		{"round that never asked them", func(f *fixture) string { return checkins.AnswerMetadata(f.secretRound, f.secretC.ID) }},
		{"round of another workspace", func(f *fixture) string { return checkins.AnswerMetadata(f.otherRound, f.otherC.ID) }},
		{"round that does not exist", func(f *fixture) string { return checkins.AnswerMetadata(f.teamRound+1000, f.teamC.ID) }},
		{"not ids", func(*fixture) string { return "12:x" }},
		{"negative ids", func(*fixture) string { return "-1:-2" }},
		{"empty", func(*fixture) string { return "" }},
	}
}

func forgeries() map[string][]forgery {
	out := map[string][]forgery{}
	// The prompt's buttons.
	for _, id := range []string{checkins.ActionCheckinAnswer, checkins.ActionCheckinEdit, checkins.ActionCheckinSkip} {
		for _, rv := range roundValues() {
			out[id] = append(out[id], forgery{name: rv.name, req: func(f *fixture) *bot.Request {
				return f.action(id, slack.BlockAction{Value: rv.value(f)}, f.inDM())
			}})
		}
	}
	out[checkins.ActionCheckinSkip] = append(out[checkins.ActionCheckinSkip], forgery{name: "message Trellis did not send them", legit: true,
		req: func(f *fixture) *bot.Request {
			return f.action(checkins.ActionCheckinSkip, slack.BlockAction{Value: checkins.AnswerMetadata(f.teamRound, f.teamC.ID)}, f.inLenaDM())
		}})
	snooze := func(v func(f *fixture) string) func(f *fixture) *bot.Request {
		return func(f *fixture) *bot.Request {
			return f.action(checkins.ActionCheckinSnooze, slack.BlockAction{SelectedOption: slack.OptionBlockObject{Value: v(f)}}, f.inDM())
		}
	}
	for _, rv := range roundValues() {
		out[checkins.ActionCheckinSnooze] = append(out[checkins.ActionCheckinSnooze], forgery{name: rv.name,
			req: snooze(func(f *fixture) string { return "30|" + rv.value(f) })})
	}
	for _, m := range []string{"45", "0", "-5", "100000", "x"} {
		out[checkins.ActionCheckinSnooze] = append(out[checkins.ActionCheckinSnooze], forgery{name: "minutes " + m + " not offered",
			req: snooze(func(f *fixture) string { return m + "|" + checkins.AnswerMetadata(f.teamRound, f.teamC.ID) })})
	}

	// The check-in form's template picker updates the view it names.
	template := func(viewID, key string) func(f *fixture) *bot.Request {
		return func(f *fixture) *bot.Request {
			if viewID == "mine" {
				viewID = "V0OMAR"
			}
			return f.action(checkinhandlers.ActionCheckinTemplate, slack.BlockAction{SelectedOption: slack.OptionBlockObject{Value: key}},
				slack.Container{Type: "view", ViewID: viewID})
		}
	}
	out[checkinhandlers.ActionCheckinTemplate] = []forgery{
		{name: "view opened for someone else", req: template("V0LENA", "standup")},
		{name: "view never opened", req: template("V0NEVER", "standup")},
		{name: "template that does not exist", req: template("mine", "nope")},
	}

	// Home tab buttons that open the person's own forms carry nothing
	// Trellis reads; a value put on them changes nothing.
	for _, id := range []string{views.ActionEditHours, views.ActionEditTZ, views.ActionAddAway, views.ActionEditRegion} {
		out[id] = []forgery{{name: "value ignored", req: func(f *fixture) *bot.Request {
			return f.action(id, slack.BlockAction{Value: "workspace"}, slack.Container{Type: "view", ViewID: "V0HOME"})
		}}}
	}
	removeAway := func(v func(f *fixture) string) func(f *fixture) *bot.Request {
		return func(f *fixture) *bot.Request {
			return f.action(views.ActionRemoveAway, slack.BlockAction{Value: v(f)}, f.inDM())
		}
	}
	out[views.ActionRemoveAway] = []forgery{
		{name: "someone else's time off", req: removeAway(func(f *fixture) string { return strconv.FormatInt(f.lenaAway.ID, 10) })},
		{name: "time off that does not exist", req: removeAway(func(f *fixture) string { return strconv.FormatInt(f.lenaAway.ID+1000, 10) })},
		{name: "not a number", req: removeAway(func(*fixture) string { return "x" })},
	}

	// The check-in form.
	checkinForm := func(meta string) func(f *fixture) *bot.Request {
		return func(f *fixture) *bot.Request {
			tpl, _ := checkinmodels.FindTemplate("standup")
			m := checkinhandlers.CheckinModal(tpl.Checkin, nil, "")
			switch meta {
			case "secret":
				meta = "new:" + f.secretCh
			case "edit secret":
				meta = "edit:" + strconv.FormatInt(f.secretC.ID, 10)
			case "edit other":
				meta = "edit:" + strconv.FormatInt(f.otherC.ID, 10)
			}
			return f.submission(checkinhandlers.CallbackCheckin, meta, formValues(f.t, m, map[string]any{checkinhandlers.BlockCheckinName: "Forged"}))
		}
	}
	for _, c := range []struct{ name, meta string }{
		{"channel they are not in", "secret"},
		{"channel that does not exist", "new:C0NOWHERE"},
		{"a DM, not a channel", "new:D0123"},
		{"no channel", "new:"},
		{"not a channel id", "new:c0team"},
		{"check-in they may not change", "edit secret"},
		{"check-in of another workspace", "edit other"},
		{"check-in id not a number", "edit:x"},
		{"unknown verb", "delete:1"},
		{"empty", ""},
	} {
		out[checkinhandlers.CallbackCheckin] = append(out[checkinhandlers.CallbackCheckin], forgery{name: c.name, req: checkinForm(c.meta)})
	}

	// The answer form.
	answerForm := func(meta func(f *fixture) string) func(f *fixture) *bot.Request {
		return func(f *fixture) *bot.Request {
			m := checkinhandlers.AnswerModal(f.teamC, checkinmodels.Round{ID: f.teamRound, CheckinID: f.teamC.ID}, "", nil, nil)
			return f.submission(checkinhandlers.CallbackAnswer, meta(f), formValues(f.t, m, map[string]any{checkinhandlers.AnswerBlockID(checkins.AnswerKey(0, f.teamC.Questions[0])): "forged"}))
		}
	}
	// The form's mark (its blocks are keyed by question id) follows the
	// ids in its private_metadata.
	mark := strings.TrimPrefix(checkinhandlers.AnswerFormMetadata(1, 1), checkins.AnswerMetadata(1, 1))
	for _, rv := range roundValues() {
		out[checkinhandlers.CallbackAnswer] = append(out[checkinhandlers.CallbackAnswer], forgery{name: rv.name, req: answerForm(func(f *fixture) string { return rv.value(f) + mark })})
	}
	out[checkinhandlers.CallbackAnswer] = append(out[checkinhandlers.CallbackAnswer],
		forgery{name: "message Trellis did not send them", req: answerForm(func(f *fixture) string {
			return checkins.AnswerMetadata(f.teamRound, f.teamC.ID) + "|" + f.lenaMsg.Channel + "|" + f.lenaMsg.TS + mark
		})},
		// A form an older Trellis opened keys its blocks by position, which
		// can equal another question's id: it is refused, never read.
		forgery{name: "form opened by an older Trellis", req: answerForm(func(f *fixture) string {
			return checkins.AnswerMetadata(f.teamRound, f.teamC.ID)
		})},
		forgery{name: "their own form", legit: true, req: answerForm(func(f *fixture) string {
			return checkinhandlers.AnswerFormMetadata(f.teamRound, f.teamC.ID)
		})})

	// The settings forms.
	settings := func(callback, meta string, state func(f *fixture) map[string]map[string]slack.BlockAction) func(f *fixture) *bot.Request {
		return func(f *fixture) *bot.Request { return f.submission(callback, meta, state(f)) }
	}
	hours := func(days []string, start, end string) func(f *fixture) map[string]map[string]slack.BlockAction {
		return func(f *fixture) map[string]map[string]slack.BlockAction {
			return formValues(f.t, views.HoursModal(calendar.DefaultWorkingHours, true, false, calendar.DefaultWorkingHours),
				map[string]any{views.BlockDays: days, views.BlockStart: start, views.BlockEnd: end})
		}
	}
	out[views.CallbackHours] = []forgery{
		{name: "workspace default by a non-admin", req: settings(views.CallbackHours, "workspace", hours([]string{"mon"}, "07:00", "11:00"))},
		{name: "day that does not exist", req: settings(views.CallbackHours, "", hours([]string{"funday"}, "07:00", "11:00"))},
		{name: "time out of range", req: settings(views.CallbackHours, "", hours([]string{"mon"}, "25:00", "11:00"))},
	}
	tz := func(zone string) func(f *fixture) map[string]map[string]slack.BlockAction {
		return func(f *fixture) map[string]map[string]slack.BlockAction {
			return formValues(f.t, views.TZModal("UTC", "UTC", true), map[string]any{views.BlockTZ: zone})
		}
	}
	out[views.CallbackTZ] = []forgery{
		{name: "zone that does not exist", req: settings(views.CallbackTZ, "", tz("Mars/Olympus_Mons"))},
	}
	away := func(first, last int) func(f *fixture) map[string]map[string]slack.BlockAction {
		return func(f *fixture) map[string]map[string]slack.BlockAction {
			today := calendar.DateOf(monday10)
			return formValues(f.t, views.AwayModal(today), map[string]any{
				views.BlockFirst: today.AddDays(first).String(), views.BlockLast: today.AddDays(last).String()})
		}
	}
	out[views.CallbackAway] = []forgery{
		{name: "first day past", req: settings(views.CallbackAway, "", away(-3, 1))},
		{name: "last before first", req: settings(views.CallbackAway, "", away(5, 2))},
		{name: "first day years ahead", req: settings(views.CallbackAway, "", away(3000, 3001))},
		{name: "last day years ahead", req: settings(views.CallbackAway, "", away(1, 5000))},
	}
	region := func(code string) func(f *fixture) map[string]map[string]slack.BlockAction {
		return func(f *fixture) map[string]map[string]slack.BlockAction {
			return formValues(f.t, views.RegionModal("", nil, false), map[string]any{views.BlockRegion: code})
		}
	}
	out[views.CallbackRegion] = []forgery{
		{name: "workspace region by a non-admin", req: settings(views.CallbackRegion, "workspace", region("DE"))},
		{name: "region that does not exist", req: settings(views.CallbackRegion, "", region("XX-NOPE"))},
	}

	// The Home tab's check-in buttons name a check-in by its number only;
	// Omar takes part in "team" but does not own it, and is not in
	// "secret". Exporting "team" is his right (his own answers), so it is
	// not forged here.
	home := slack.Container{Type: "view", ViewID: "V0HOME"}
	checkinIDs := []struct {
		name  string
		value func(f *fixture) string
	}{
		{"check-in of a channel they are not in", func(f *fixture) string { return strconv.FormatInt(f.secretC.ID, 10) }},
		{"check-in of another workspace", func(f *fixture) string { return strconv.FormatInt(f.otherC.ID, 10) }},
		{"check-in that does not exist", func(f *fixture) string { return strconv.FormatInt(f.teamC.ID+1000, 10) }},
		{"not a number", func(*fixture) string { return "x" }},
		{"zero", func(*fixture) string { return "0" }},
		{"negative", func(*fixture) string { return "-3" }},
		{"empty", func(*fixture) string { return "" }},
	}
	for _, id := range []string{checkinhandlers.ActionHomeCheckinEdit, checkinhandlers.ActionHomeCheckinPause, checkinhandlers.ActionHomeCheckinResume,
		checkinhandlers.ActionHomeCheckinRun, checkinhandlers.ActionHomeCheckinExport} {
		for _, cv := range checkinIDs {
			out[id] = append(out[id], forgery{name: cv.name, req: func(f *fixture) *bot.Request {
				return f.action(id, slack.BlockAction{Value: cv.value(f)}, home)
			}})
		}
		if id == checkinhandlers.ActionHomeCheckinExport {
			continue
		}
		out[id] = append(out[id], forgery{name: "check-in they take part in but do not own", req: func(f *fixture) *bot.Request {
			return f.action(id, slack.BlockAction{Value: strconv.FormatInt(f.teamC.ID, 10)}, home)
		}})
	}
	// The daily-limit menu offers the workspace default and 1 to the
	// workspace's limit (3).
	for _, v := range []string{"0", "4", "99", "-1", "abc", "", "2.5", "01"} {
		out[views.ActionHomeBudget] = append(out[views.ActionHomeBudget], forgery{name: "limit " + strconv.Quote(v) + " not offered",
			req: func(f *fixture) *bot.Request {
				return f.action(views.ActionHomeBudget, slack.BlockAction{SelectedOption: slack.OptionBlockObject{Value: v}}, home)
			}})
	}
	return out
}

// command runs /trellis text as user in channel.
func (f *fixture) command(user, channel, text string) *bot.Response {
	f.t.Helper()
	return f.do(&bot.Request{Kind: bot.KindCommand, UserID: user, ChannelID: channel,
		Command: &slack.SlashCommand{Command: handlers.Command, Text: text, UserID: user, ChannelID: channel, TeamID: team}})
}

// TestAccessFollowsChannelMembership: every surface that shows a check-in's
// answers or rounds — the export of everyone's answers, the Home tab, the
// list of one's check-ins in a DM — shows them to its owner while she is
// in the check-in's private channel, and stops the moment she leaves it,
// as Slack says then (no event needs to arrive first).
func TestAccessFollowsChannelMembership(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, dialect)
			// Lena answers the secret round; Omar answers the team round,
			// which asked Lena too.
			for _, a := range []struct {
				user  string
				round int64
				c     checkinmodels.Checkin
				text  string
			}{{f.lena, f.secretRound, f.secretC, "Lena-secret"}, {f.omar, f.teamRound, f.teamC, "Omar-team"}} {
				m := checkinhandlers.AnswerModal(a.c, checkinmodels.Round{ID: a.round, CheckinID: a.c.ID}, "", nil, nil)
				req := f.submission(checkinhandlers.CallbackAnswer, checkinhandlers.AnswerFormMetadata(a.round, a.c.ID), formValues(t, m, map[string]any{checkinhandlers.AnswerBlockID(checkins.AnswerKey(0, a.c.Questions[0])): a.text}))
				req.UserID, req.Interaction.User.ID = a.user, a.user
				if resp := f.do(req); resp != nil {
					t.Fatalf("answer of %s: %+v", a.user, resp)
				}
			}
			lenaDM := f.lenaMsg.Channel
			surfaces := []struct {
				name string
				// shows reports whether the surface shows Lena the secret
				// check-in's answers or rounds.
				shows func(t *testing.T) bool
			}{
				{"export of everyone's answers", func(t *testing.T) bool {
					// Omar's answer to the team check-in shows the export
					// works either way; Lena's own is always in it.
					f.command(f.lena, lenaDM, fmt.Sprintf("checkin export %d", f.teamC.ID))
					resp := f.command(f.lena, lenaDM, fmt.Sprintf("checkin export %d", f.secretC.ID))
					files, err := f.ctl.Files(f.ctx, lenaDM)
					if err != nil || len(files) == 0 {
						t.Fatalf("files %v, %v", files, err)
					}
					last := string(files[len(files)-1].Content)
					if !strings.Contains(last, "Lena-secret") {
						t.Errorf("Lena's export lacks her own answer: %s", last)
					}
					return strings.Contains(fmt.Sprint(resp.Body), "everyone's answers")
				}},
				{"Home tab", func(t *testing.T) bool {
					f.do(&bot.Request{Kind: bot.KindEvent, UserID: f.lena, Event: &slackevents.EventsAPIInnerEvent{Type: "app_home_opened",
						Data: &slackevents.AppHomeOpenedEvent{User: f.lena, Tab: "home"}}})
					v, err := f.ctl.Home(f.ctx, f.lena)
					if err != nil || v == nil {
						t.Fatalf("home %v, %v", v, err)
					}
					// The check-in in her list ("… in #secret"); its
					// prompts still reach her (she is still asked), so
					// the forecast may name it.
					return strings.Contains(string(v.Blocks), "#"+f.secretCh)
				}},
				{"list in a DM", func(t *testing.T) bool {
					resp := f.command(f.lena, lenaDM, "checkin list")
					raw, err := json.Marshal(resp.Body)
					if err != nil {
						t.Fatal(err)
					}
					return strings.Contains(string(raw), "#"+f.secretCh)
				}},
			}
			for _, s := range surfaces {
				if !s.shows(t) {
					t.Errorf("%s: hidden from the owner while she is in the channel", s.name)
				}
			}
			// She leaves; Slack tells Trellis (member_left_channel), which
			// drops the member list it kept for the channel.
			if _, err := f.ctl.LeaveChannel(f.ctx, f.secretCh, f.lena); err != nil {
				t.Fatal(err)
			}
			f.do(&bot.Request{Kind: bot.KindEvent, Event: &slackevents.EventsAPIInnerEvent{Type: "member_left_channel",
				Data: &slackevents.MemberLeftChannelEvent{Type: "member_left_channel", User: f.lena, Channel: f.secretCh}}})
			for _, s := range surfaces {
				if s.shows(t) {
					t.Errorf("%s: still shown to the owner after she left the channel", s.name)
				}
			}
		})
	}
}
