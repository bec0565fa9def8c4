package bot_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

// people is what the test's person picker searches.
var people = []string{"Ada Lovelace", "Adam Smith", "Grace Hopper", "Alan Turing", "Radia Perlman"}

// pickerMux serves four external selects' suggestions: pick:person
// answers the people whose name contains the query, pick:slow answers only
// once the test ends (long after the ack is due), pick:fail fails, and
// pick:long gives a hundred options of the longest text and value.
func pickerMux(t *testing.T, release <-chan struct{}) *bot.Mux {
	mux := bot.NewMux()
	for id, h := range map[string]bot.HandlerFunc{
		"pick:person": func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
			var res bot.Response
			for i, name := range people {
				if strings.Contains(strings.ToLower(name), strings.ToLower(req.Interaction.Value)) {
					res.Options = append(res.Options, option(name, fmt.Sprint(i)))
				}
			}
			return &res, nil
		},
		"pick:slow": func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
			<-release
			return &bot.Response{Options: []*slack.OptionBlockObject{option("late", "late")}}, nil
		},
		"pick:fail": func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
			return nil, errors.New("search index unavailable")
		},
		"pick:long": func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
			var res bot.Response
			for i := range bot.MaxSuggestionOptions {
				v := fmt.Sprint(i)
				res.Options = append(res.Options, option(strings.Repeat("é", bot.MaxOptionText), v+strings.Repeat("v", bot.MaxOptionValue-len(v))))
			}
			return &res, nil
		},
	} {
		if err := mux.Suggestion(id, h); err != nil {
			t.Fatal(err)
		}
	}
	return mux
}

// A person types into an external select on a message the bot posted; the
// emulator sends the block_suggestion over Socket Mode or signed HTTP, and
// the bot's options come back on the ack: the matching people for each
// query, and — from a handler that fails or is still working when the ack
// is due — no options, in time for Slack to show an empty menu rather than
// an error.
func TestSuggestionsThroughEmulator(t *testing.T) {
	for _, transport := range []string{"socket", "http"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			sim, ctl := newEmulator(t)
			log := kvtest.Logger(t)
			release := make(chan struct{})
			d := bot.NewDispatcher(bot.DispatcherConfig{Logger: log, Handler: pickerMux(t, release), AckTimeout: 300 * time.Millisecond,
				Deduper: bot.NewDeduper(bot.DeduperConfig{Store: kvtest.New(t), Logger: log})})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			var run sync.WaitGroup
			t.Cleanup(func() {
				close(release)
				cancel()
				run.Wait()
				sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer scancel()
				if err := d.Shutdown(sctx); err != nil {
					t.Error(err)
				}
			})
			switch transport {
			case "socket":
				sm := bot.NewSocketMode(bot.SocketConfig{Dispatcher: d, Logger: log, AppToken: slacksim.DefaultAppToken,
					BotToken: slacksim.DefaultBotToken, APIURL: sim.APIURL(), MinBackoff: 20 * time.Millisecond})
				run.Go(func() {
					if err := sm.Run(ctx); err != nil {
						t.Errorf("Run: %v", err)
					}
				})
				waitFor(t, 10*time.Second, "a Socket Mode connection", func() bool {
					info, err := ctl.Info(ctx)
					return err == nil && info.SocketConnections > 0
				})
			case "http":
				srv := httptest.NewServer(bot.NewHTTPHandler(d, slacksim.DefaultSigningSecret, clock.System{}, log))
				t.Cleanup(srv.Close)
				sim.SetHTTPDelivery(srv.URL+"/slack/events", srv.URL+"/slack/commands", srv.URL+"/slack/interactions")
			}

			api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(sim.APIURL()))
			var selects []slack.BlockElement
			for _, id := range []string{"pick:person", "pick:slow", "pick:fail", "pick:long"} {
				sel := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, slack.NewTextBlockObject(slack.PlainTextType, "Pick", false, false), id)
				sel.MinQueryLength = new(int)
				*sel.MinQueryLength = 1
				selects = append(selects, sel)
			}
			if _, _, err := api.PostMessageContext(ctx, slacksim.DemoAda, slack.MsgOptionText("Who?", false),
				slack.MsgOptionBlocks(slack.NewActionBlock("picker", selects...))); err != nil {
				t.Fatal(err)
			}

			// A hundred options of the longest text and value are more
			// than a Socket Mode ack may carry: the answer keeps those
			// that fit, and arrives.
			res, err := ctl.Suggest(ctx, slacksim.SuggestionRequest{User: slacksim.DemoAda, ActionID: "pick:long", Value: "é"})
			if err != nil || !res.OK || len(res.Options) == 0 || len(res.Ack) > bot.MaxSuggestionBytes {
				t.Errorf("pick:long: ok %v (%s), %d options in %d bytes, %v; want the options that fit", res.OK, res.Error, len(res.Options), len(res.Ack), err)
			}

			for _, tt := range []struct {
				action, query string
				want          []string
			}{
				{"pick:person", "ad", []string{"Ada Lovelace", "Adam Smith", "Radia Perlman"}},
				{"pick:person", "ada", []string{"Ada Lovelace", "Adam Smith"}},
				{"pick:person", "ada", []string{"Ada Lovelace", "Adam Smith"}}, // the same keystroke again is answered again
				{"pick:person", "zz", nil},
				{"pick:slow", "ada", nil},
				{"pick:fail", "ada", nil},
			} {
				res, err := ctl.Suggest(ctx, slacksim.SuggestionRequest{User: slacksim.DemoAda, ActionID: tt.action, Value: tt.query})
				if err != nil {
					t.Fatalf("suggest %s %q: %v", tt.action, tt.query, err)
				}
				var got []string
				for _, o := range res.Options {
					got = append(got, o.Text)
				}
				if !res.OK || fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("%s %q: ok %v (%s), options %q; want ok and %q", tt.action, tt.query, res.OK, res.Error, got, tt.want)
				}
			}
		})
	}
}
