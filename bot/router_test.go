package bot_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/trellis-bot/trellis/bot"
)

// answer is a handler that replies with its name.
func answer(name string) bot.Handler {
	return bot.HandlerFunc(func(context.Context, *bot.Request) (*bot.Response, error) {
		return &bot.Response{Body: name}, nil
	})
}

func served(t *testing.T, mux *bot.Mux, req *bot.Request) any {
	t.Helper()
	res, err := mux.ServeSlack(context.Background(), req)
	if err != nil {
		t.Fatalf("ServeSlack(%v) error %v", req.Kind, err)
	}
	if res == nil {
		return nil
	}
	return res.Body
}

// A command, action id, callback id or view_closed callback id registered
// a second time is refused with an error naming both owners, Err keeps the
// refusal, and the first registration keeps serving.
func TestMuxRefusesDuplicates(t *testing.T) {
	for _, tt := range []struct {
		name     string
		register func(m *bot.Mux, h bot.Handler) error
		req      *bot.Request
		want     string
	}{
		{"command", func(m *bot.Mux, h bot.Handler) error { return m.Command("/trellis", h) },
			&bot.Request{Kind: bot.KindCommand, Command: &slack.SlashCommand{Command: "/trellis"}}, `command "/trellis"`},
		{"action", func(m *bot.Mux, h bot.Handler) error { return m.Action("home:hours", h) },
			&bot.Request{Kind: bot.KindBlockAction, Interaction: &slack.InteractionCallback{ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: "home:hours"}}}}}, `action id "home:hours"`},
		{"suggestion", func(m *bot.Mux, h bot.Handler) error { return m.Suggestion("pick:parent", h) },
			suggestion("pick:parent", "ada"), `suggestion action id "pick:parent"`},
		{"view", func(m *bot.Mux, h bot.Handler) error { return m.View("hours", h) },
			&bot.Request{Kind: bot.KindViewSubmission, Interaction: &slack.InteractionCallback{View: slack.View{CallbackID: "hours"}}}, `view callback id "hours"`},
		{"view closed", func(m *bot.Mux, h bot.Handler) error { return m.ViewClosed("hours", h) },
			&bot.Request{Kind: bot.KindViewClosed, Interaction: &slack.InteractionCallback{View: slack.View{CallbackID: "hours"}}}, `view_closed callback id "hours"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mux := bot.NewMux()
			if err := tt.register(mux, answer("core")); err != nil {
				t.Fatalf("first registration: %v", err)
			}
			if err := mux.Err(); err != nil {
				t.Fatalf("Err() after one registration = %v, want nil", err)
			}
			err := tt.register(mux.Owner("okrs"), answer("okrs"))
			if !errors.Is(err, bot.ErrDuplicateRoute) {
				t.Fatalf("second registration error = %v, want ErrDuplicateRoute", err)
			}
			for _, want := range []string{tt.want, "okrs", "the core"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %s", err, want)
				}
			}
			if !errors.Is(mux.Err(), bot.ErrDuplicateRoute) {
				t.Errorf("Err() = %v, want the refusal kept", mux.Err())
			}
			if got := served(t, mux, tt.req); got != "core" {
				t.Errorf("served by %v, want the first registration (core)", got)
			}
		})
	}
}

// Two features registering the same id: the error names both.
func TestMuxDuplicateNamesBothOwners(t *testing.T) {
	mux := bot.NewMux()
	if err := mux.Owner("checkins").Action("checkin:answer", answer("checkins")); err != nil {
		t.Fatal(err)
	}
	err := mux.Owner("peers").Action("checkin:answer", answer("peers"))
	if err == nil || !strings.Contains(err.Error(), "peers") || !strings.Contains(err.Error(), "already registered by checkins") {
		t.Errorf("error = %v, want one naming peers and checkins", err)
	}
}

func joined(channel string) *bot.Request {
	return &bot.Request{Kind: bot.KindEvent, Event: &slackevents.EventsAPIInnerEvent{
		Type: "member_joined_channel", Data: &slackevents.MemberJoinedChannelEvent{Channel: channel}}}
}

// Several features subscribe to one event: each is served.
func TestMuxEventFansOut(t *testing.T) {
	mux := bot.NewMux()
	var mu sync.Mutex
	seen := map[string]int{}
	sub := func(name string) bot.Handler {
		return bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
			mu.Lock()
			defer mu.Unlock()
			seen[name]++
			return nil, nil
		})
	}
	for _, owner := range []string{"checkins", "peers"} {
		if err := mux.Owner(owner).Event("member_joined_channel", sub(owner)); err != nil {
			t.Fatalf("subscribe %s: %v", owner, err)
		}
	}
	if err := mux.Err(); err != nil {
		t.Fatalf("Err() = %v: several subscribers to one event are allowed", err)
	}
	served(t, mux, joined("C1"))
	if seen["checkins"] != 1 || seen["peers"] != 1 {
		t.Errorf("subscribers served %v, want each once", seen)
	}
}

// A subscriber that fails or panics does not keep the others from the
// event; the event is not acked as handled (so Slack retries it), and the
// error says whose subscriber failed.
func TestMuxEventSubscriberIsolated(t *testing.T) {
	for _, bad := range []struct {
		name string
		h    bot.HandlerFunc
		want error
	}{
		{"fails", func(context.Context, *bot.Request) (*bot.Response, error) { return nil, errors.New("boom") }, nil},
		{"panics", func(context.Context, *bot.Request) (*bot.Response, error) { panic("boom") }, bot.ErrHandlerPanic},
	} {
		t.Run(bad.name, func(t *testing.T) {
			mux := bot.NewMux()
			var mu sync.Mutex
			var got []string
			good := func(name string) bot.Handler {
				return bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
					mu.Lock()
					defer mu.Unlock()
					got = append(got, name)
					return nil, nil
				})
			}
			_ = mux.Owner("first").Event("member_joined_channel", good("first"))
			_ = mux.Owner("broken").Event("member_joined_channel", bad.h)
			_ = mux.Owner("last").Event("member_joined_channel", good("last"))
			_, err := mux.ServeSlack(context.Background(), joined("C1"))
			if err == nil || !strings.Contains(err.Error(), "broken") {
				t.Errorf("error = %v, want one naming the broken subscriber", err)
			}
			if bad.want != nil && !errors.Is(err, bad.want) {
				t.Errorf("error = %v, want %v", err, bad.want)
			}
			if len(got) != 2 {
				t.Errorf("served %v, want first and last despite the broken one", got)
			}
		})
	}
}

// An event nobody subscribed to has no route.
func TestMuxEventWithoutSubscriber(t *testing.T) {
	mux := bot.NewMux()
	if _, err := mux.ServeSlack(context.Background(), joined("C1")); !errors.Is(err, bot.ErrNoRoute) {
		t.Errorf("error = %v, want ErrNoRoute", err)
	}
}

// suggestion is a block_suggestion for actionID with query typed.
func suggestion(actionID, query string) *bot.Request {
	return &bot.Request{Kind: bot.KindSuggestion, Interaction: &slack.InteractionCallback{
		Type: slack.InteractionTypeBlockSuggestion, ActionID: actionID, Value: query}}
}

// A block suggestion is routed by its action id, or the id's prefix up to
// a colon as actions are, on routes of its own: a block action of the
// same id (the person picking an option) goes to the action's handler,
// and a suggestion no Suggestion route serves has no route.
func TestMuxRoutesSuggestions(t *testing.T) {
	mux := bot.NewMux()
	for _, reg := range []error{
		mux.Suggestion("pick:person", answer("person")),
		mux.Suggestion("pick", answer("pick")),
		mux.Action("pick:person", answer("picked")),
	} {
		if reg != nil {
			t.Fatal(reg)
		}
	}
	for _, tt := range []struct {
		req  *bot.Request
		want any
	}{
		{suggestion("pick:person", "ada"), "person"},
		{suggestion("pick:person:42", "ada"), "person"},
		{suggestion("pick:team", "eng"), "pick"},
		{&bot.Request{Kind: bot.KindBlockAction, Interaction: &slack.InteractionCallback{ActionCallback: slack.ActionCallbacks{
			BlockActions: []*slack.BlockAction{{ActionID: "pick:person"}}}}}, "picked"},
	} {
		if got := served(t, mux, tt.req); got != tt.want {
			t.Errorf("%v %q served by %v, want %v", tt.req.Kind, tt.req.Interaction.ActionID, got, tt.want)
		}
	}
	if got := mux.SuggestionRoutes(); strings.Join(got, ",") != "pick,pick:person" {
		t.Errorf("SuggestionRoutes() = %v, want [pick pick:person]", got)
	}
	if actions, _ := mux.Routes(); strings.Join(actions, ",") != "pick:person" {
		t.Errorf("Routes() actions = %v, want only the action route", actions)
	}
	for _, id := range []string{"other", "picker", "person"} {
		if _, err := mux.ServeSlack(context.Background(), suggestion(id, "ada")); !errors.Is(err, bot.ErrNoRoute) {
			t.Errorf("suggestion %q: error %v, want ErrNoRoute", id, err)
		}
	}
}
