package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

// option is a plain-text option.
func option(text, value string) *slack.OptionBlockObject {
	return slack.NewOptionBlockObject(value, slack.NewTextBlockObject(slack.PlainTextType, text, false, false), nil)
}

// suggestionAnswer is the JSON Slack reads from a block_suggestion's ack.
type suggestionAnswer struct {
	Options      []*slack.OptionBlockObject      `json:"options"`
	OptionGroups []*slack.OptionGroupBlockObject `json:"option_groups"`
}

func readAnswer(t *testing.T, ack []byte) suggestionAnswer {
	t.Helper()
	var a suggestionAnswer
	if err := json.Unmarshal(ack, &a); err != nil {
		t.Fatalf("ack %q is not JSON options: %v", ack, err)
	}
	if a.Options == nil && a.OptionGroups == nil {
		t.Fatalf("ack %s has neither options nor option_groups: Slack would show the menu as failed", ack)
	}
	return a
}

func values(opts []*slack.OptionBlockObject) []string {
	out := make([]string, len(opts))
	for i, o := range opts {
		out[i] = o.Value
	}
	return out
}

// Whatever its handler does, a block suggestion is answered on the ack,
// never with an error: the handler's options or groups when it gives
// them, otherwise no options — when it fails, panics, answers with a Body
// Slack would not read, returns nothing, has no route, or is still working
// when the ack is due (it is held until the test's end).
func TestDispatchAnswersSuggestions(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	for _, tt := range []struct {
		name   string
		h      bot.HandlerFunc
		want   []string // option values, in order
		groups []string // group labels, for an answer in groups
	}{
		{"options", func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
			return &bot.Response{Options: []*slack.OptionBlockObject{option("Ada Lovelace", "U1"), option("Adam Smith", "U2")}}, nil
		}, []string{"U1", "U2"}, nil},
		{"groups", func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
			return &bot.Response{OptionGroups: []*slack.OptionGroupBlockObject{
				slack.NewOptionGroupBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "Mine", false, false), option("Ship it", "1")),
				slack.NewOptionGroupBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "Team", false, false), option("Hire", "2"), option("Grow", "3")),
			}}, nil
		}, []string{"1", "2", "3"}, []string{"Mine", "Team"}},
		{"nothing", func(ctx context.Context, req *bot.Request) (*bot.Response, error) { return nil, nil }, nil, nil},
		{"fails", func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
			return &bot.Response{Options: []*slack.OptionBlockObject{option("x", "x")}}, errors.New("database down")
		}, nil, nil},
		{"panics", func(ctx context.Context, req *bot.Request) (*bot.Response, error) { panic("bug") }, nil, nil},
		{"body", func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
			return &bot.Response{Body: map[string]any{"options": []any{}}, Options: []*slack.OptionBlockObject{option("x", "x")}}, nil
		}, nil, nil},
		{"both", func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
			return &bot.Response{Options: []*slack.OptionBlockObject{option("x", "x")},
				OptionGroups: []*slack.OptionGroupBlockObject{slack.NewOptionGroupBlockElement(nil, option("y", "y"))}}, nil
		}, nil, nil},
		{"slow", func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
			<-release
			return &bot.Response{Options: []*slack.OptionBlockObject{option("late", "late")}}, nil
		}, nil, nil},
		{"no route", nil, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mux := bot.NewMux()
			if tt.h != nil {
				if err := mux.Suggestion("pick", tt.h); err != nil {
					t.Fatal(err)
				}
			}
			d := bot.NewDispatcher(bot.DispatcherConfig{Logger: kvtest.Logger(t), Handler: mux, AckTimeout: 100 * time.Millisecond,
				Deduper: bot.NewDeduper(bot.DeduperConfig{Store: kvtest.New(t), Logger: kvtest.Logger(t)})})
			ack, err := d.Dispatch(context.Background(), suggestion("pick:person", "ada"))
			if err != nil {
				t.Fatalf("Dispatch error %v; a suggestion is always answered", err)
			}
			a := readAnswer(t, ack)
			var got []string
			var labels []string
			for _, g := range a.OptionGroups {
				labels = append(labels, g.Label.Text)
				got = append(got, values(g.Options)...)
			}
			got = append(got, values(a.Options)...)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || fmt.Sprint(labels) != fmt.Sprint(tt.groups) {
				t.Errorf("answer %s: options %v in groups %v, want %v in %v", ack, got, labels, tt.want, tt.groups)
			}
		})
	}
}

// Every answer fits Slack's limits, whatever the handler gave: at most
// MaxSuggestionOptions options in all and MaxSuggestionBytes of JSON, the
// first ones given whose value fits (an option whose value is too long is
// left out, never cut into another value) — as many of them as fit, each
// text at most MaxOptionText characters, cut ones ending in an ellipsis
// after the start of the text given.
func TestSuggestionAnswerFitsSlackLimits(t *testing.T) {
	mixed := []string{"a", strings.Repeat("é", bot.MaxOptionText), strings.Repeat("x", bot.MaxOptionText+1), strings.Repeat("ü", 300)}
	for _, n := range []int{0, 1, 99, 100, 101, 350} {
		for _, c := range []struct {
			grouped, long bool
		}{{false, false}, {true, false}, {false, true}, {true, true}} {
			texts, valueLens := mixed, []int{1, bot.MaxOptionValue, bot.MaxOptionValue + 1}
			if c.long { // every option as long as Slack allows
				texts, valueLens = []string{strings.Repeat("é", bot.MaxOptionText)}, []int{bot.MaxOptionValue}
			}
			grouped := c.grouped
			t.Run(fmt.Sprintf("%d options, grouped %v, long %v", n, grouped, c.long), func(t *testing.T) {
				var given []*slack.OptionBlockObject
				var fitting []*slack.OptionBlockObject // those whose value fits, in order
				for i := range n {
					v := fmt.Sprintf("%d-", i)
					v += strings.Repeat("v", max(valueLens[i%len(valueLens)]-len(v), 0))
					o := option(texts[i%len(texts)], v)
					given = append(given, o)
					if utf8.RuneCountInString(v) <= bot.MaxOptionValue {
						fitting = append(fitting, o)
					}
				}
				res := &bot.Response{Options: given}
				if grouped {
					res = &bot.Response{}
					for i := 0; i < len(given); i += 30 {
						res.OptionGroups = append(res.OptionGroups, slack.NewOptionGroupBlockElement(
							slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("g", 80), false, false), given[i:min(i+30, len(given))]...))
					}
				}
				d := bot.NewDispatcher(bot.DispatcherConfig{Logger: kvtest.Logger(t), Handler: bot.HandlerFunc(
					func(context.Context, *bot.Request) (*bot.Response, error) { return res, nil })})
				ack, err := d.Dispatch(context.Background(), suggestion("pick", "abc"))
				if err != nil {
					t.Fatal(err)
				}
				a := readAnswer(t, ack)
				got := a.Options
				for _, g := range a.OptionGroups {
					if l := utf8.RuneCountInString(g.Label.Text); l > bot.MaxOptionText {
						t.Errorf("group label of %d characters", l)
					}
					got = append(got, g.Options...)
				}
				if len(ack) > bot.MaxSuggestionBytes {
					t.Errorf("answer of %d bytes, over %d", len(ack), bot.MaxSuggestionBytes)
				}
				want := fitting[:min(len(fitting), bot.MaxSuggestionOptions, len(got))]
				if fmt.Sprint(values(got)) != fmt.Sprint(values(want)) {
					t.Fatalf("answered values %v, want %v", values(got), values(want))
				}
				if short := len(got) < min(len(fitting), bot.MaxSuggestionOptions); short && !grouped {
					// Left out only for room: the next one would not fit.
					next := *fitting[len(got)]
					if r := []rune(next.Text.Text); len(r) > bot.MaxOptionText {
						next.Text = slack.NewTextBlockObject(slack.PlainTextType, string(r[:bot.MaxOptionText-1])+"…", false, false)
					}
					raw, _ := json.Marshal(&next)
					if len(ack)+len(raw)+1 <= bot.MaxSuggestionBytes {
						t.Errorf("answered %d of %d options in %d bytes; the next (%d bytes) fits", len(got), len(fitting), len(ack), len(raw))
					}
				}
				if c.long && n >= bot.MaxSuggestionOptions && len(got) == bot.MaxSuggestionOptions {
					t.Errorf("a hundred options of the longest text and value fit in %d bytes; the case tests nothing", len(ack))
				}
				for i, o := range got {
					orig := want[i].Text.Text
					text := o.Text.Text
					switch {
					case utf8.RuneCountInString(text) > bot.MaxOptionText:
						t.Errorf("option %s: text of %d characters", o.Value, utf8.RuneCountInString(text))
					case utf8.RuneCountInString(orig) <= bot.MaxOptionText && text != orig:
						t.Errorf("option %s: text %q changed from %q, which fits", o.Value, text, orig)
					case utf8.RuneCountInString(orig) > bot.MaxOptionText && (!strings.HasSuffix(text, "…") || !strings.HasPrefix(orig, strings.TrimSuffix(text, "…"))):
						t.Errorf("option %s: text %q is not a cut of %q", o.Value, text, orig)
					}
				}
				// The handler's own options are left as they were.
				for i, o := range given {
					if o.Text.Text != texts[i%len(texts)] {
						t.Fatalf("the handler's option %d was changed to %q", i, o.Text.Text)
					}
				}
			})
		}
	}
}

// The same suggestion delivered again, to the same replica or another one
// sharing Redis, is served and answered each time: each keystroke is a
// request of its own, unlike the retry of an event, and dropping it as a
// duplicate would leave the person's menu empty.
func TestSuggestionsAreNotDeduplicated(t *testing.T) {
	store := kvtest.New(t)
	var served atomic.Int32
	h := bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		served.Add(1)
		return &bot.Response{Options: []*slack.OptionBlockObject{option("Ada Lovelace", "U1")}}, nil
	})
	mux := bot.NewMux()
	if err := mux.Suggestion("pick", h); err != nil {
		t.Fatal(err)
	}
	replicas := []*instance{newInstance(t, store, mux, bot.DispatcherConfig{}), newInstance(t, replicaStore(t, store), mux, bot.DispatcherConfig{})}
	payload := mustJSON(t, map[string]any{"type": "block_suggestion", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": "U1"},
		"action_id": "pick", "block_id": "b1", "value": "ada",
		"container": map[string]any{"type": "view", "view_id": "V1"}, "view": map[string]any{"id": "V1", "hash": "1.a", "type": "modal"}})
	const deliveries = 4
	for i := range deliveries {
		status, body, header := postForm(t, replicas[i%2], "/slack/interactions", url.Values{"payload": {payload}})
		if status != http.StatusOK || header.Get("Content-Type") != "application/json" {
			t.Fatalf("delivery %d: status %d, Content-Type %q", i, status, header.Get("Content-Type"))
		}
		if got := values(readAnswer(t, body).Options); fmt.Sprint(got) != "[U1]" {
			t.Errorf("delivery %d answered %v, want [U1]", i, got)
		}
	}
	if got := served.Load(); got != deliveries {
		t.Errorf("handler served %d of %d identical suggestions", got, deliveries)
	}
}
