package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// echoStepper counts the instants it ran at.
type echoStepper struct {
	mu  sync.Mutex
	ran []time.Time
}

func (s *echoStepper) NextDue(context.Context) (time.Time, bool, error) {
	return time.Time{}, false, nil
}

func (s *echoStepper) Tick(_ context.Context, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ran = append(s.ran, now)
	return nil
}

func (s *echoStepper) runs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ran)
}

const (
	echoHelp       = "`/trellis echo TEXT` — says TEXT back"
	echoAdminHelp  = "`/trellis admin echo-reset` — forgets every echo"
	echoSection    = "*Echo:* the test feature's Home section"
	echoAction     = "echo:press"
	echoSuggestion = "echo:pick"
)

// echoWords are what the test feature's select searches.
var echoWords = []string{"apple", "banana", "grape", "pineapple"}

// echoFeature is the smallest feature: a composer, a stepper, a
// subcommand with an alias, a help line, an admin word with an alias and
// its help line, a Home section, a button, a searchable select's
// suggestions and an event subscription, declared through the contract as
// a real one is.
func echoFeature(st *echoStepper, pressed, joined *int) handlers.Feature {
	return handlers.Feature{
		Name: "echo",
		Composers: map[string]engine.Composer{"echo": engine.ComposerFunc(func(ctx context.Context, c engine.Context) (engine.Message, error) {
			text := "echo for " + c.Occurrence.Recipient
			return engine.Message{Text: text, Blocks: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)}}, nil
		})},
		Steppers: []engine.StepperSpec{{Name: "echo", Budget: time.Second, Stepper: st}},
		Subcommands: []handlers.Subcommand{{Name: "echo", Aliases: []string{"say"},
			Serve: func(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
				return handlers.Notice("echo: "+args, ""), nil
			}}},
		Help: []string{echoHelp},
		Admin: []handlers.Subcommand{{Name: "echo-reset", Aliases: []string{"echoreset"},
			Serve: func(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error) {
				return handlers.Notice("echo reset by "+p.UserID+": "+args, ""), nil
			}}},
		AdminHelp: []string{echoAdminHelp},
		Suggestions: map[string]bot.HandlerFunc{echoSuggestion: func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
			var res bot.Response
			for _, w := range echoWords {
				if strings.Contains(w, req.Interaction.Value) {
					res.Options = append(res.Options, slack.NewOptionBlockObject(w, slack.NewTextBlockObject(slack.PlainTextType, w, false, false), nil))
				}
			}
			return &res, nil
		}},
		Home: &handlers.HomeSection{Order: 1, Build: func(ctx context.Context, req *bot.Request, p models.Person, room views.HomeRoom) ([]slack.Block, error) {
			return []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, echoSection, false, false), nil, nil)}, nil
		}},
		Actions: map[string]bot.HandlerFunc{echoAction: func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
			*pressed++
			return nil, nil
		}},
		Events: map[string]bot.HandlerFunc{"member_joined_channel": func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
			*joined++
			return nil, nil
		}},
	}
}

// TestFeatureContract plugs a test feature in through the contract, as
// serve plugs in check-ins, and checks each part shows up and works:
// its subcommand and alias answer, /trellis help lists it and its line,
// the Home tab shows its section, its button, suggestions and event are
// routed, its admin word serves only confirmed admins and help lists it,
// the engine writes its schedule's DM with its composer and runs its
// stepper every tick. Registering it again fails, naming both owners.
func TestFeatureContract(t *testing.T) {
	ctx := context.Background()
	env := testenv.New(t, testenv.Options{
		Dialect: modelstest.Dialects()[0],
		Start:   monday10,
		Slack:   slacksim.Config{RetryDelays: []time.Duration{}, MessageCapPerMinute: 1_000_000},
	})
	clk, log, ctl, db := env.Clock, env.Log, env.Slack.Control, env.DBs[0]
	api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(env.Slack.Server.APIURL()))
	ppl, ws := models.NewPeople(db), models.NewWorkspaces(db)
	eng, err := engine.New(engine.Config{DB: db, Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }, Clock: clk, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ctl.AddPerson(ctx, slacksim.NewPerson{Name: "ada", RealName: "Ada", TZ: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	ada := sp.ID
	if _, err := ppl.SyncProfile(ctx, models.Person{WorkspaceID: team, UserID: ada, Name: "ada", SlackTZ: "UTC"}); err != nil {
		t.Fatal(err)
	}

	st := &echoStepper{}
	var pressed, joined int
	mux := bot.NewMux()
	core := handlers.New(handlers.Config{Logger: log, Clock: clk, People: ppl, Workspaces: ws, Views: models.NewOpenedViews(db), Forecast: eng})
	if err := core.Register(mux, eng, echoFeature(st, &pressed, &joined)); err != nil {
		t.Fatalf("register the echo feature: %v", err)
	}
	doAs := func(user string, req *bot.Request) *bot.Response {
		t.Helper()
		req.TeamID, req.UserID, req.Slack = team, user, api
		if req.Command != nil {
			req.Command.UserID = user
		}
		resp, err := mux.ServeSlack(ctx, req)
		if err != nil {
			t.Fatalf("serve %v: %v", req.Kind, err)
		}
		for _, fn := range req.TakeAfter() {
			fn(ctx)
		}
		return resp
	}
	do := func(req *bot.Request) *bot.Response {
		t.Helper()
		return doAs(ada, req)
	}
	commandAs := func(user, text string) slack.Msg {
		t.Helper()
		resp := doAs(user, &bot.Request{Kind: bot.KindCommand, Command: &slack.SlashCommand{Command: handlers.Command, Text: text, TeamID: team, ChannelID: "D0ADA"}})
		msg, _ := resp.Body.(slack.Msg)
		return msg
	}
	command := func(text string) string {
		t.Helper()
		return commandAs(ada, text).Text
	}

	// The subcommand and its alias.
	for _, text := range []string{"echo hello", "say hello", "ECHO hello"} {
		if got := command(text); got != "echo: hello" {
			t.Errorf("/trellis %s = %q, want %q", text, got, "echo: hello")
		}
	}
	// Help lists the subcommand and the feature's line, before help's own.
	resp := do(&bot.Request{Kind: bot.KindCommand, Command: &slack.SlashCommand{Command: handlers.Command, Text: "help", TeamID: team, UserID: ada}})
	msg, _ := resp.Body.(slack.Msg)
	if want := "Trellis commands: /trellis me, hours, tz, away, back, holidays, budget, echo, help."; msg.Text != want {
		t.Errorf("help text = %q, want %q", msg.Text, want)
	}
	helpJSON := blocksJSON(t, msg.Blocks.BlockSet)
	if i, j := strings.Index(helpJSON, "says TEXT back"), strings.Index(helpJSON, "this message"); i < 0 || j < i {
		t.Errorf("help does not list the echo line before help's own:\n%s", helpJSON)
	}
	if i, j := strings.Index(helpJSON, "recent admin changes"), strings.Index(helpJSON, "forgets every echo"); i < 0 || j < i {
		t.Errorf("help's admin section does not list the echo admin line after the core's:\n%s", helpJSON)
	}
	// The Home tab shows its section between the settings and the end.
	do(&bot.Request{Kind: bot.KindEvent, Event: &slackevents.EventsAPIInnerEvent{Type: "app_home_opened", Data: &slackevents.AppHomeOpenedEvent{User: ada, Tab: "home"}}})
	home, err := ctl.Home(ctx, ada)
	if err != nil || home == nil {
		t.Fatalf("home of ada: %v, %v", home, err)
	}
	homeJSON := string(home.Blocks)
	if i, j := strings.Index(homeJSON, "test feature's Home section"), strings.Index(homeJSON, "for every command"); i < 0 || j < i || !strings.Contains(homeJSON[:max(i, 0)], "Daily limit") {
		t.Errorf("Home tab lacks the echo section after the settings:\n%s", homeJSON)
	}
	// Its button and its event are routed to it.
	in := &slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: ada}}
	in.ActionCallback.BlockActions = []*slack.BlockAction{{ActionID: echoAction}}
	do(&bot.Request{Kind: bot.KindBlockAction, Interaction: in})
	do(&bot.Request{Kind: bot.KindEvent, Event: &slackevents.EventsAPIInnerEvent{Type: "member_joined_channel", Data: &slackevents.MemberJoinedChannelEvent{Channel: "C1", User: ada}}})
	if pressed != 1 || joined != 1 {
		t.Errorf("button pressed %d times, event seen %d times; want 1 and 1", pressed, joined)
	}
	// Its select's suggestions are routed to it, by the id's prefix too,
	// and answer what the person typed.
	for _, tt := range []struct {
		action, query string
		want          []string
	}{
		{echoSuggestion, "apple", []string{"apple", "pineapple"}},
		{echoSuggestion + ":7", "ap", []string{"apple", "grape", "pineapple"}},
		{echoSuggestion, "kiwi", nil},
	} {
		resp := do(&bot.Request{Kind: bot.KindSuggestion, Interaction: &slack.InteractionCallback{
			Type: slack.InteractionTypeBlockSuggestion, ActionID: tt.action, Value: tt.query, User: slack.User{ID: ada}}})
		var got []string
		for _, o := range resp.Options {
			got = append(got, o.Value)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("suggestions for %q on %s = %v, want %v", tt.query, tt.action, got, tt.want)
		}
	}

	// Its admin word, by name or alias, serves a workspace admin Slack
	// confirms, and no one else: the reply to a non-admin, or to an admin
	// Slack cannot confirm just now, is the core's own.
	gp, err := ctl.AddPerson(ctx, slacksim.NewPerson{Name: "grace", RealName: "Grace", TZ: "UTC", IsAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	grace := gp.ID
	for _, word := range []string{"echo-reset", "echoreset", "ECHO-RESET"} {
		if got := command("admin " + word + " now"); got != "Only workspace admins and owners can change workspace settings." {
			t.Errorf("non-admin /trellis admin %s = %q, want the core's refusal", word, got)
		}
	}
	if _, err := ctl.AddFault(ctx, slacksim.Fault{Method: "users.info", Every: 1, Status: http.StatusInternalServerError}); err != nil {
		t.Fatal(err)
	}
	if got := commandAs(grace, "admin echo-reset now").Text; !strings.HasPrefix(got, "I couldn't confirm with Slack that you're a workspace admin") {
		t.Errorf("unconfirmed admin /trellis admin echo-reset = %q, want the core's refusal", got)
	}
	if err := ctl.ClearFaults(ctx, "users.info"); err != nil {
		t.Fatal(err)
	}
	for _, word := range []string{"echo-reset", "echoreset", "ECHO-RESET"} {
		if got, want := commandAs(grace, "admin "+word+" now").Text, "echo reset by "+grace+": now"; got != want {
			t.Errorf("admin /trellis admin %s = %q, want %q", word, got, want)
		}
	}
	// The admin commands' list names the feature's word after the core's.
	for _, text := range []string{"admin", "admin nonsense", "admin holidays nonsense"} {
		msg := commandAs(grace, text)
		listJSON := msg.Text + blocksJSON(t, msg.Blocks.BlockSet)
		if i, j := strings.Index(listJSON, "/trellis admin audit"), strings.Index(listJSON, "/trellis admin echo-reset"); i < 0 || j < i {
			t.Errorf("/trellis %s lists the admin commands without the echo word after the core's: %s", text, listJSON)
		}
	}

	// The engine composes its schedule's DM with its composer, and runs
	// its stepper at every tick.
	scheds := eng.Schedules()
	sc, err := scheds.Put(ctx, models.Schedule{WorkspaceID: team, Key: "echo:1", Title: "Echo", Cadence: "weekdays at 10:30", Anchor: calendar.DateOf(clk.Now())})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := scheds.SetTargets(ctx, team, sc.Key, []string{ada}, clk.Now()); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		at := monday10.Add(time.Duration(30+i) * time.Minute)
		clk.Set(at)
		if _, err := eng.Tick(ctx, at); err != nil {
			t.Fatalf("tick %v: %v", at, err)
		}
	}
	if got := st.runs(); got != 3 {
		t.Errorf("echo stepper ran %d times in 3 ticks, want 3", got)
	}
	if got := dmTexts(t, ctl, ada); !strings.Contains(strings.Join(got, "\n"), "echo for "+ada) {
		t.Errorf("ada's DMs %q lack the echo composer's message", got)
	}

	// Registering the same feature again is refused, naming both owners,
	// for each of its names.
	err = core.Register(bot.NewMux(), eng, echoFeature(&echoStepper{}, new(int), new(int)), renamed(echoFeature(&echoStepper{}, new(int), new(int)), "echo2"))
	if err == nil {
		t.Fatal("registering the echo feature twice succeeded")
	}
	for _, want := range []string{
		`composer kind "echo"`, `stepper "echo"`, `subcommand "echo" of echo2 is already registered by echo`,
		`subcommand "say" of echo2`, `action id "echo:press" of echo2 is already registered by echo`,
		`admin subcommand "echo-reset" of echo2 is already registered by echo`, `admin subcommand "echoreset" of echo2`,
		`suggestion action id "echo:pick" of echo2 is already registered by echo`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !errors.Is(err, engine.ErrDuplicate) {
		t.Errorf("error %v: the engine should refuse the kind it has already", err)
	}
	// A feature's subcommand may not take a core one either.
	core2 := handlers.New(handlers.Config{Logger: log, Clock: clk, People: ppl, Workspaces: ws})
	f := renamed(echoFeature(&echoStepper{}, new(int), new(int)), "clash")
	f.Composers, f.Steppers, f.Actions = nil, nil, nil
	f.Subcommands[0].Name = "hours"
	if err := core2.Register(bot.NewMux(), eng, f); err == nil || !strings.Contains(err.Error(), `subcommand "hours" of clash is already registered by the core`) {
		t.Errorf("a feature taking /trellis hours: error %v", err)
	}
	// Nor any of the core's admin words, aliases included.
	for _, word := range []string{"hours", "holidays", "budget", "limit", "min-group", "mingroup", "group-size", "audit"} {
		f := renamed(echoFeature(&echoStepper{}, new(int), new(int)), "clash")
		f.Composers, f.Steppers, f.Subcommands, f.Actions, f.Suggestions = nil, nil, nil, nil, nil
		f.Admin[0].Name = word
		err := handlers.New(handlers.Config{Logger: log, Clock: clk, People: ppl, Workspaces: ws}).Register(bot.NewMux(), eng, f)
		if want := `admin subcommand "` + word + `" of clash is already registered by the core`; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a feature taking /trellis admin %s: error %v, want %q", word, err, want)
		}
	}
}

// renamed is f under another name.
func renamed(f handlers.Feature, name string) handlers.Feature {
	f.Name = name
	return f
}

// dmTexts are the texts of the bot's DMs to user.
func dmTexts(t *testing.T, ctl *slacksim.Control, user string) []string {
	t.Helper()
	convs, err := ctl.Conversations(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range convs {
		if c.Kind != "im" {
			continue
		}
		msgs, err := ctl.Messages(context.Background(), c.ID, user)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.BotID != "" {
				out = append(out, m.Text)
			}
		}
	}
	return out
}

func blocksJSON(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
