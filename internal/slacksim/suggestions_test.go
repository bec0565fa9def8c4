package slacksim

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// suggestModal is a modal with an external select ("who", asking from two
// typed characters) and a static one ("plain").
func suggestModal() slack.ModalViewRequest {
	m := testModal("Pick")
	m.Submit = slack.NewTextBlockObject("plain_text", "Save", false, false)
	who := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, slack.NewTextBlockObject("plain_text", "Who", false, false), "who")
	two := 2
	who.MinQueryLength = &two
	plain := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, slack.NewTextBlockObject("plain_text", "Plain", false, false), "plain",
		slack.NewOptionBlockObject("a", slack.NewTextBlockObject("plain_text", "A", false, false), nil))
	m.Blocks.BlockSet = append(m.Blocks.BlockSet,
		slack.NewInputBlock("person", slack.NewTextBlockObject("plain_text", "Person", false, false), nil, who),
		slack.NewInputBlock("other", slack.NewTextBlockObject("plain_text", "Other", false, false), nil, plain))
	return m
}

// opts is n options whose texts and values have the given lengths.
func opts(n, textLen, valueLen int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		v := fmt.Sprintf("%d", i)
		out[i] = map[string]any{"text": map[string]any{"type": "plain_text", "text": strings.Repeat("t", textLen)},
			"value": v + strings.Repeat("v", max(valueLen-len(v), 0))}
	}
	return out
}

// Typing into an external select sends the bot a block_suggestion with
// the query, the element's ids and the view, and the emulator returns the
// options the bot answered; an answer Slack would refuse (over 100
// options, an option's text over 75 characters or value over 150, both
// options and groups, no JSON, nothing, too late) is reported as a failed
// menu with no options.
func TestSuggestions(t *testing.T) {
	e := newEnv(t, Config{AckTimeout: 300 * time.Millisecond})
	ctx := testCtx(t)
	bot := newHTTPBot(t, e.srv.cfg.SigningSecret)
	bot.attach(e)
	v, err := e.api.OpenView(e.issueTrigger(DemoAda), suggestModal())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var answer func(w http.ResponseWriter)
	bot.onInteraction = func(ic slack.InteractionCallback, w http.ResponseWriter) {
		if ic.Type != slack.InteractionTypeBlockSuggestion || ic.ActionID != "who" || ic.BlockID != "person" || ic.Value != "ad" ||
			ic.View.ID != v.ID || ic.User.ID != DemoAda || ic.Team.ID != e.srv.cfg.TeamID || ic.Container.ViewID != v.ID {
			t.Errorf("block_suggestion payload: type %q action %q block %q value %q view %q user %q team %q container %+v",
				ic.Type, ic.ActionID, ic.BlockID, ic.Value, ic.View.ID, ic.User.ID, ic.Team.ID, ic.Container)
		}
		mu.Lock()
		a := answer
		mu.Unlock()
		a(w)
	}
	body := func(v any) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) { writeJSONBody(w, v) }
	}
	for _, tt := range []struct {
		name    string
		answer  func(w http.ResponseWriter)
		want    []SuggestedOption // nil: refused
		problem string
	}{
		{"options", body(map[string]any{"options": opts(2, 5, 3)}),
			[]SuggestedOption{{Text: "ttttt", Value: "0vv"}, {Text: "ttttt", Value: "1vv"}}, ""},
		{"none", body(map[string]any{"options": []any{}}), []SuggestedOption{}, ""},
		{"groups", body(map[string]any{"option_groups": []any{
			map[string]any{"label": map[string]any{"type": "plain_text", "text": "Mine"}, "options": opts(1, 2, 1)},
			map[string]any{"label": map[string]any{"type": "plain_text", "text": "Team"}, "options": opts(1, 3, 1)},
		}}), []SuggestedOption{{Text: "tt", Value: "0", Group: "Mine"}, {Text: "ttt", Value: "0", Group: "Team"}}, ""},
		{"100 options of 75 characters", body(map[string]any{"options": opts(100, 75, 150)}), nil, ""},
		{"101 options", body(map[string]any{"options": opts(101, 5, 3)}), nil, "/options"},
		{"text of 76", body(map[string]any{"options": opts(3, 76, 3)}), nil, "/options/0/text/text"},
		{"value of 151", body(map[string]any{"options": opts(3, 5, 151)}), nil, "/options/0/value"},
		{"group of 101", body(map[string]any{"option_groups": []any{
			map[string]any{"label": map[string]any{"type": "plain_text", "text": "All"}, "options": opts(101, 5, 3)}}}), nil, "/option_groups/0/options"},
		{"both", body(map[string]any{"options": opts(1, 5, 3), "option_groups": []any{}}), nil, "not both"},
		{"neither", body(map[string]any{"text": "hi"}), nil, "must have options"},
		{"not JSON", func(w http.ResponseWriter) { _, _ = w.Write([]byte("ok")) }, nil, "not a JSON object"},
		{"empty", func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }, nil, "empty ack"},
		{"late", func(w http.ResponseWriter) {
			time.Sleep(500 * time.Millisecond)
			writeJSONBody(w, map[string]any{"options": opts(1, 5, 3)})
		}, nil, "operation_timeout"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			answer = tt.answer
			mu.Unlock()
			res, err := e.ctl.Suggest(ctx, SuggestionRequest{User: DemoAda, ViewID: v.ID, ActionID: "who", Value: "ad"})
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "100 options of 75 characters" {
				if !res.OK || len(res.Options) != 100 {
					t.Errorf("ok %v (%s) with %d options, want 100 accepted", res.OK, res.Error, len(res.Options))
				}
				return
			}
			switch {
			case tt.want != nil && (!res.OK || fmt.Sprint(res.Options) != fmt.Sprint(tt.want)):
				t.Errorf("ok %v (%s), options %+v; want ok and %+v", res.OK, res.Error, res.Options, tt.want)
			case tt.want == nil && (res.OK || len(res.Options) != 0 || !strings.Contains(res.Error, tt.problem)):
				t.Errorf("ok %v, options %+v, error %q; want refused, naming %q", res.OK, res.Options, res.Error, tt.problem)
			}
		})
	}

	// Below min_query_length Slack sends nothing; only external selects
	// ask the app at all.
	bot.mu.Lock()
	sent := len(bot.inter)
	bot.mu.Unlock()
	res, err := e.ctl.Suggest(ctx, SuggestionRequest{User: DemoAda, ActionID: "who", Value: "a"})
	if err != nil || res.OK || !strings.Contains(res.Error, "min_query_length") {
		t.Errorf("one character under min_query_length 2: %+v, %v; want nothing sent", res, err)
	}
	bot.mu.Lock()
	if len(bot.inter) != sent {
		t.Errorf("a query under min_query_length reached the bot")
	}
	bot.mu.Unlock()
	var ce *ControlError
	if _, err := e.ctl.Suggest(ctx, SuggestionRequest{User: DemoAda, ActionID: "plain", Value: "abc"}); !errors.As(err, &ce) || ce.Status != http.StatusBadRequest {
		t.Errorf("suggest on a static select: %v, want HTTP 400", err)
	}
	if _, err := e.ctl.Suggest(ctx, SuggestionRequest{User: DemoRavi, ViewID: v.ID, ActionID: "who", Value: "abc"}); !errors.As(err, &ce) || ce.Status != http.StatusBadRequest {
		t.Errorf("suggest in another person's view: %v, want HTTP 400", err)
	}
}
