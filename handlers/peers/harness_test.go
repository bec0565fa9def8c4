package peers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/handlers"
	peerhandlers "github.com/trellis-bot/trellis/handlers/peers"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/jobs/engine"
	jobpeers "github.com/trellis-bot/trellis/jobs/peers"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

const team = testenv.Team

// start is Wednesday 10 February 2027, 10:00 UTC.
var start = time.Date(2027, 2, 10, 10, 0, 0, 0, time.UTC)

// fakeRuntime records what the handlers ask of the runtime. Ask and
// DeleteAsk go to the real store, as the runtime will; the buttons'
// methods go to the real runtime (svc), on the same database and engine.
type fakeRuntime struct {
	store *peers.Store
	svc   *jobpeers.Service
	mu    sync.Mutex
	calls []string
	// explain is what Explain answers.
	explain string
	// failAsk makes Ask fail.
	failAsk bool
}

func (f *fakeRuntime) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeRuntime) NetworkChanged(_ context.Context, ws string, id int64) error {
	f.record(fmt.Sprintf("changed %d", id))
	return nil
}

func (f *fakeRuntime) NetworkDeleted(_ context.Context, ws string, id int64) error {
	f.record(fmt.Sprintf("deleted %d", id))
	return nil
}

func (f *fakeRuntime) Ask(ctx context.Context, ws string, id int64, text string) (string, error) {
	if f.failAsk {
		return "", errors.New("the runtime is down")
	}
	_, code, err := f.store.CreateAsk(ctx, ws, id, text)
	if err == nil {
		f.record(fmt.Sprintf("ask %d", id))
	}
	return code, err
}

func (f *fakeRuntime) DeleteAsk(ctx context.Context, ws, code string) error {
	_, err := f.store.DeleteAskByCode(ctx, ws, code)
	if err == nil {
		f.record("delete ask")
	}
	return err
}

func (f *fakeRuntime) Explain(_ context.Context, ws string, id int64, user string) (string, error) {
	f.record(fmt.Sprintf("explain %d %s", id, user))
	return f.explain, nil
}

func (f *fakeRuntime) RecordOutcome(ctx context.Context, ws string, id int64, user string, o peers.Outcome) error {
	err := f.svc.RecordOutcome(ctx, ws, id, user, o)
	if err == nil {
		f.record(fmt.Sprintf("outcome %d %s", id, o))
	}
	return err
}

func (f *fakeRuntime) AnswerPauseCheck(ctx context.Context, ws string, id int64, user string, pause bool) error {
	err := f.svc.AnswerPauseCheck(ctx, ws, id, user, pause)
	if err == nil {
		f.record(fmt.Sprintf("pause check %d %s %v", id, user, pause))
	}
	return err
}

func (f *fakeRuntime) SetCommitment(ctx context.Context, ws string, id int64, user, text string, share bool) (peers.Commitment, error) {
	cm, err := f.svc.SetCommitment(ctx, ws, id, user, text, share)
	if err == nil {
		f.record(fmt.Sprintf("commitment %d %s %v", id, user, share))
	}
	return cm, err
}

func (f *fakeRuntime) LearningCheckin(ctx context.Context, ws string, id int64, user string, answer jobpeers.LearningAnswer) error {
	err := f.svc.LearningCheckin(ctx, ws, id, user, answer)
	if err == nil {
		f.record(fmt.Sprintf("learning %d %s %s", id, user, answer))
	}
	return err
}

// seen returns the calls so far.
func (f *fakeRuntime) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Calls returns the calls so far and forgets them.
func (f *fakeRuntime) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.calls
	f.calls = nil
	return out
}

// env is the peer handlers registered on the core, as a feature
// declares them, over a real store and the emulator.
type env struct {
	t     *testing.T
	ctx   context.Context
	tenv  *testenv.Env
	mux   *bot.Mux
	api   *slack.Client
	db    *models.DB
	store *peers.Store
	rt    *fakeRuntime
	// logs is every log line of the handlers and the core.
	logs *testlog.Buffer
	// People: owner sets networks up, admin is a workspace admin, the
	// others are members of the channel.
	owner, admin, kai, lena, omar, ravi, sven string
	// channel is #eng-managers, with everyone but the admin and Trellis
	// in it; other is #random, with the admin only.
	channel, other string
}

func newEnv(t *testing.T, dialect string) *env {
	t.Helper()
	ctx := context.Background()
	logs := &testlog.Buffer{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(logs, testlog.NewWriter(t)), &slog.HandlerOptions{Level: slog.LevelDebug}))
	tenv := testenv.New(t, testenv.Options{Dialect: dialect, Start: start, Logger: log,
		Slack:     slacksim.Config{RetryDelays: []time.Duration{}, MessageCapPerMinute: 1_000_000},
		Unlimited: []string{"conversations.members", "users.info", "views.open", "chat.postEphemeral", "conversations.open", "views.publish"}})
	db := tenv.DBs[0]
	api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(tenv.Slack.Server.APIURL()))
	eng, err := engine.New(engine.Config{DB: db, Clock: tenv.Clock, Logger: log,
		Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := jobpeers.AcceptOneOffs(eng); err != nil {
		t.Fatal(err)
	}
	svc, err := jobpeers.New(jobpeers.Config{DB: db, Engine: eng, Clock: tenv.Clock, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, tenv: tenv, api: api, db: db, store: peers.NewStore(db), logs: logs}
	e.rt = &fakeRuntime{store: e.store, svc: svc, explain: "You met *Kai* <!channel> because you share Tuesday mornings."}
	add := func(name string, admin bool) string {
		p, err := tenv.Slack.Control.AddPerson(ctx, slacksim.NewPerson{Name: name, RealName: strings.ToUpper(name[:1]) + name[1:], TZ: "Europe/London", IsAdmin: admin})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	e.owner, e.admin = add("olga", false), add("grace", true)
	e.kai, e.lena, e.omar, e.ravi, e.sven = add("kai", false), add("lena", false), add("omar", false), add("ravi", false), add("sven", false)
	ch, err := tenv.Slack.Control.CreateChannel(ctx, slacksim.NewChannel{Name: "eng-managers", Members: []string{e.owner, e.kai, e.lena, e.omar, e.ravi, e.sven}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := tenv.Slack.Control.CreateChannel(ctx, slacksim.NewChannel{Name: "random", Members: []string{e.admin}})
	if err != nil {
		t.Fatal(err)
	}
	e.channel, e.other = ch.ID, other.ID

	core := handlers.New(handlers.Config{Logger: log, Clock: tenv.Clock, People: models.NewPeople(db), Workspaces: models.NewWorkspaces(db),
		Views: models.NewOpenedViews(db), Forecast: eng})
	h := peerhandlers.New(peerhandlers.Config{Core: core, DB: db, Runtime: e.rt,
		BotUserID: func(context.Context, string) string { return tenv.Slack.BotUserID }})
	e.mux = bot.NewMux()
	if err := core.Register(e.mux, eng, h.Feature()); err != nil {
		t.Fatalf("register: %v", err)
	}
	return e
}

// serve runs req as the transport does: the handler, then what it left
// for after the ack.
func (e *env) serve(req *bot.Request) *bot.Response {
	e.t.Helper()
	req.TeamID, req.Slack = team, e.api
	resp, err := e.mux.ServeSlack(e.ctx, req)
	for _, fn := range req.TakeAfter() {
		fn(e.ctx)
	}
	if err != nil {
		e.t.Fatalf("serve %v: %v", req.Kind, err)
	}
	return resp
}

// do runs /trellis TEXT as user in channel ("" for their DM) and returns
// the reply's text and blocks.
func (e *env) do(user, channel, text string) string {
	e.t.Helper()
	name := "eng-managers"
	if channel == "" {
		channel, name = "D"+user[1:], "directmessage"
	}
	resp := e.serve(&bot.Request{Kind: bot.KindCommand, UserID: user,
		Command: &slack.SlashCommand{Command: handlers.Command, Text: text, TeamID: team, UserID: user, ChannelID: channel, ChannelName: name}})
	if resp == nil {
		return ""
	}
	msg, _ := resp.Body.(slack.Msg)
	if msg.ResponseType != "" && msg.ResponseType != slack.ResponseTypeEphemeral {
		e.t.Errorf("/trellis %s: reply is %q, want ephemeral", text, msg.ResponseType)
	}
	return replyText(e.t, msg)
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
	return msg.Text + "\n" + b.String()
}

// formValues are the network form's values, as Slack sends them.
type formValues map[string]map[string]slack.BlockAction

// set puts a in values under block.
func (v formValues) set(block string, a slack.BlockAction) formValues {
	v[block] = map[string]slack.BlockAction{block: a}
	return v
}

func text(s string) slack.BlockAction { return slack.BlockAction{Value: s} }
func choice(s string) slack.BlockAction {
	return slack.BlockAction{SelectedOption: slack.OptionBlockObject{Value: s}}
}

// goodForm is a form making an intros network called name of the
// channel's members, every 2 weeks on Mondays, in Europe/London.
func goodForm(name string) formValues {
	v := formValues{}
	v.set(peerhandlers.BlockName, text(name)).
		set(peerhandlers.BlockKind, choice("intros")).
		set(peerhandlers.BlockMembership, choice("channel")).
		set(peerhandlers.BlockCadence, choice("every 2 weeks")).
		set(peerhandlers.BlockWeekday, choice("1")).
		set(peerhandlers.BlockTZ, text("Europe/London")).
		set(peerhandlers.BlockGroupSize, choice("2")).
		set(peerhandlers.BlockTeams, choice("none"))
	return v
}

// submit submits the network form (metadata meta) as user and returns
// the field errors.
func (e *env) submit(user, meta string, values formValues) map[string]string {
	e.t.Helper()
	in := &slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: user},
		View: slack.View{ID: "V1", CallbackID: peerhandlers.CallbackNetwork, PrivateMetadata: meta, State: &slack.ViewState{Values: values}}}
	resp := e.serve(&bot.Request{Kind: bot.KindViewSubmission, UserID: user, Interaction: in})
	if resp == nil {
		return nil
	}
	if r, ok := resp.Body.(*slack.ViewSubmissionResponse); ok {
		return r.Errors
	}
	e.t.Fatalf("submit: response %#v", resp.Body)
	return nil
}

// create makes a network through the form and returns it.
func (e *env) create(user, channel string, values formValues) peers.Network {
	e.t.Helper()
	if errs := e.submit(user, "new:"+channel, values); len(errs) > 0 {
		e.t.Fatalf("create: %v", errs)
	}
	want := values[peerhandlers.BlockName][peerhandlers.BlockName].Value
	n, ok := e.network(strings.TrimSpace(want))
	if !ok {
		e.t.Fatalf("create: no network %q", want)
	}
	return n
}

// network is the stored network called name.
func (e *env) network(name string) (peers.Network, bool) {
	e.t.Helper()
	all, err := e.store.Networks(e.ctx, team)
	if err != nil {
		e.t.Fatal(err)
	}
	i := slices.IndexFunc(all, func(n peers.Network) bool { return n.Name == name })
	if i < 0 {
		return peers.Network{}, false
	}
	return all[i], true
}

// event delivers an Events API event of typ for user in channel.
func (e *env) event(typ, user, channel string) {
	e.t.Helper()
	var data any
	switch typ {
	case "member_joined_channel":
		data = &slackevents.MemberJoinedChannelEvent{Type: typ, User: user, Channel: channel}
	default:
		data = &slackevents.MemberLeftChannelEvent{Type: typ, User: user, Channel: channel}
	}
	e.serve(&bot.Request{Kind: bot.KindEvent, UserID: user, Event: &slackevents.EventsAPIInnerEvent{Type: typ, Data: data}})
}

// active are the network's people taking part (not left), sorted, and
// those who left.
func (e *env) people(id int64) (in, left []string) {
	e.t.Helper()
	ps, err := e.store.Participants(e.ctx, team, id)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, p := range ps {
		if p.Left {
			left = append(left, p.User)
		} else {
			in = append(in, p.User)
		}
	}
	return in, left
}

// tables are every table a peer command or button may write, and the
// engine's occurrences (what the runtime plans).
var tables = []string{"peer_networks", "peer_participants", "peer_avoid", "peer_rounds", "peer_groups", "peer_group_members",
	"peer_unmatched", "peer_sessions", "peer_commitments", "peer_prompts", "peer_asks", "audit_log", "occurrences"}

// state is every row the peer commands may change, as text: a command
// that changes nothing leaves it as it was.
func (e *env) state() string {
	e.t.Helper()
	var b strings.Builder
	for _, table := range tables {
		var rows []map[string]any
		if err := e.db.Conn(e.ctx).Raw("SELECT * FROM " + table + " ORDER BY 1, 2").Scan(&rows).Error; err != nil {
			e.t.Fatalf("read %s: %v", table, err)
		}
		fmt.Fprintf(&b, "%s %d\n", table, len(rows))
		for _, r := range rows {
			keys := make([]string, 0, len(r))
			for k := range r {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				fmt.Fprintf(&b, "%s=%v ", k, r[k])
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// live makes the emulator deliver to the handlers over signed HTTP, as
// Slack does to Trellis in production, through the transport's
// Dispatcher.
func (e *env) live() {
	e.t.Helper()
	log := testlog.Logger(e.t)
	d := bot.NewDispatcher(bot.DispatcherConfig{Logger: log.With("component", "dispatch"), Handler: e.mux,
		Clients: fixedClient{e.api}, AfterTimeout: time.Minute})
	srv := httptest.NewServer(bot.NewHTTPHandler(d, slacksim.DefaultSigningSecret, clock.System{}, log))
	e.t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = d.Shutdown(ctx)
	})
	e.tenv.Slack.Server.SetHTTPDelivery(srv.URL+"/slack/events", srv.URL+"/slack/commands", srv.URL+"/slack/interactions")
}

type fixedClient struct{ api *slack.Client }

func (c fixedClient) ClientFor(context.Context, string) (*slack.Client, error) { return c.api, nil }

// itoa is id as text.
func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// slacksimChannel is a channel named name with members, without Trellis.
func slacksimChannel(name string, members ...string) slacksim.NewChannel {
	return slacksim.NewChannel{Name: name, Members: members, WithoutBot: true}
}

// newWorkspaces is the workspace store of e's database.
func newWorkspaces(e *env) *models.Workspaces { return models.NewWorkspaces(e.db) }
