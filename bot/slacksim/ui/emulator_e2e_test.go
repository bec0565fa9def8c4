//go:build slacksim_e2e

package ui

// This test drives the page against the real emulator (package slacksim)
// and a tiny bot written with slack-go. It is behind a build tag so the
// package's own tests never depend on the emulator:
//
//	go test -tags slacksim_e2e -run TestEmulator ./bot/slacksim/ui/

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot/slacksim"
	"github.com/trellis-bot/trellis/clock"
)

func plainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}
func mrkdwnText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func hoursModal() slack.ModalViewRequest {
	tz := slack.NewPlainTextInputBlockElement(plainText("Europe/Berlin"), "tz_input")
	tz.InitialValue = "Mars/Olympus"
	days := slack.NewCheckboxGroupsBlockElement("days",
		slack.NewOptionBlockObject("Mon", plainText("Monday"), nil), slack.NewOptionBlockObject("Tue", plainText("Tuesday"), nil))
	start := slack.NewTimePickerBlockElement("start")
	start.InitialTime = "09:00"
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: "hours", Title: plainText("Working hours"),
		Submit: plainText("Save"), Close: plainText("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwnText("Hours are in *your* timezone."), nil, nil),
			slack.NewInputBlock("tz", plainText("Timezone"), nil, tz),
			slack.NewInputBlock("days", plainText("Days"), nil, days),
			slack.NewInputBlock("start", plainText("Start"), nil, start),
		}},
	}
}

// tinyBot answers /trellis, opens the modal from a button, validates the
// submission and publishes a home tab.
func tinyBot(t *testing.T, api func() *slack.Client) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/commands", func(w http.ResponseWriter, r *http.Request) {
		cmd, err := slack.SlashCommandParse(r)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		if cmd.Text == "hours" {
			if _, err := api().OpenView(cmd.TriggerID, hoursModal()); err != nil {
				t.Errorf("views.open: %v", err)
			}
			w.WriteHeader(200)
			return
		}
		msg := slack.Msg{ResponseType: "ephemeral", Text: "You are <@" + cmd.UserID + ">", Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwnText("You are <@"+cmd.UserID+">, working *09:00–17:00*."), nil, nil),
			slack.NewActionBlock("me_actions", slack.NewButtonBlockElement("open_hours", "hours", plainText("Change hours"))),
		}}}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(msg)
	})
	mux.HandleFunc("/interactions", func(w http.ResponseWriter, r *http.Request) {
		var cb slack.InteractionCallback
		if err := json.Unmarshal([]byte(r.FormValue("payload")), &cb); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		switch cb.Type {
		case slack.InteractionTypeBlockActions:
			if len(cb.ActionCallback.BlockActions) > 0 && cb.ActionCallback.BlockActions[0].ActionID == "open_hours" {
				if _, err := api().OpenView(cb.TriggerID, hoursModal()); err != nil {
					t.Errorf("views.open: %v", err)
				}
			}
			w.WriteHeader(200)
		case slack.InteractionTypeViewSubmission:
			tz := cb.View.State.Values["tz"]["tz_input"].Value
			if _, err := time.LoadLocation(tz); err != nil || !strings.Contains(tz, "/") {
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]any{"response_action": "errors", "errors": map[string]string{"tz": "Unknown timezone " + tz + "."}})
				return
			}
			w.WriteHeader(200)
			go func() {
				if _, _, err := api().PostMessage(cb.User.ID, slack.MsgOptionText("Saved. Your timezone is *"+tz+"*.", false)); err != nil {
					t.Errorf("chat.postMessage: %v", err)
				}
			}()
		default:
			w.WriteHeader(200)
		}
	})
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var env struct {
			Type  string `json:"type"`
			Event struct {
				Type string `json:"type"`
				User string `json:"user"`
			} `json:"event"`
		}
		_ = json.Unmarshal(b, &env)
		w.WriteHeader(200)
		if env.Event.Type == "app_home_opened" {
			user := env.Event.User
			go func() {
				home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
					slack.NewHeaderBlock(plainText("Your Trellis")),
					slack.NewSectionBlock(mrkdwnText("Hello <@"+user+">"), nil, nil),
				}}}
				if _, err := api().PublishView(user, home, ""); err != nil {
					t.Errorf("views.publish: %v", err)
				}
			}()
		}
	})
	return mux
}

func TestEmulatorFlow(t *testing.T) {
	ctx := browser(t)
	sim := slacksim.New(slacksim.Config{Clock: clock.NewFrozen(time.Date(2025, 3, 4, 13, 5, 0, 0, time.UTC)), UI: Handler()})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	sim.SeedDemo()
	api := func() *slack.Client { return slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(sim.APIURL())) }
	bot := httptest.NewServer(tinyBot(t, api))
	t.Cleanup(bot.Close)
	sim.SetHTTPDelivery(bot.URL+"/events", bot.URL+"/commands", bot.URL+"/interactions")

	ada := slacksim.DemoAda
	run(t, ctx, "open the page as Ada",
		chromedp.Navigate(sim.URL()+"/#user="+ada),
		chromedp.WaitVisible(css(`[data-testid="person-`+ada+`"][aria-current="true"]`)),
		chromedp.WaitVisible(css(`[data-testid="person-`+slacksim.DemoNoor+`"]`)),
		waitFor(`document.querySelector('[data-testid=clock-now]')?.dataset.now === '2025-03-04T13:05:00Z'`),
		waitFor(`document.querySelector('[data-testid="conv-`+slacksim.DemoTeam+`"]') !== null`),
		waitFor(`document.querySelector('#convs [aria-pressed=true]')?.textContent.includes('Trellis')`),
	)

	run(t, ctx, "run /trellis me",
		chromedp.SendKeys(css(`[data-testid="composer"]`), "/trellis me"),
		chromedp.Click(css(`[data-testid="composer-send"]`)),
		waitFor(`[...document.querySelectorAll('[data-testid=message][data-ephemeral=true]')].some(m => m.textContent.includes('You are @Ada Lovelace') && m.textContent.includes('Only visible to you'))`),
	)
	// The emulator stores the ack as an ephemeral; the local copy must give way to it.
	time.Sleep(2 * time.Second)
	run(t, ctx, "one copy of the ack",
		waitFor(`document.querySelectorAll('[data-testid=message][data-ephemeral=true]').length === 1 && document.querySelectorAll('[data-local=true]').length === 0`),
	)

	run(t, ctx, "button opens the modal",
		chromedp.Click(css(`[data-testid="messages"] [data-action-id="open_hours"]`)),
		chromedp.WaitVisible(css(`[data-testid="modal"]`)),
		waitFor(`document.querySelector('[data-testid=modal] .modal-title')?.textContent === 'Working hours'`),
	)

	run(t, ctx, "required inputs, then the bot's errors",
		// Days start unticked: the emulator refuses like Slack's client.
		chromedp.Click(css(`[data-testid="modal-submit"]`)),
		waitFor(`document.querySelector('.bk-error[data-error-for="days"]')?.textContent === 'This field is required.'`),
		chromedp.Click(css(`[data-block-id="days"] input[data-option-value="Mon"]`)),
		chromedp.Click(css(`[data-testid="modal-submit"]`)),
		waitFor(`document.querySelector('.bk-error[data-error-for="tz"]')?.textContent.includes('Unknown timezone Mars/Olympus')`),
		waitFor(`document.querySelector('.bk-error[data-error-for="days"]')?.hidden === true`),
		chromedp.WaitVisible(css(`[data-testid="modal"]`)),
	)

	run(t, ctx, "fix and save",
		chromedp.Click(css(`[data-block-id="days"] input[data-option-value="Tue"]`)),
		eval(`(() => { const i = document.querySelector('[data-block-id="tz"] [data-action-id="tz_input"]'); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true})); })()`),
		chromedp.SendKeys(css(`[data-block-id="tz"] [data-action-id="tz_input"]`), "Europe/Berlin"),
		chromedp.Click(css(`[data-testid="modal-submit"]`)),
		chromedp.WaitNotPresent(css(`[data-testid="modal"]`)),
		waitFor(`document.querySelector('[data-testid=messages]')?.textContent.includes('Saved. Your timezone is Europe/Berlin.')`),
	)

	run(t, ctx, "slash command opens a modal, cancel closes it",
		chromedp.SendKeys(css(`[data-testid="composer"]`), "/trellis hours\n"),
		chromedp.WaitVisible(css(`[data-testid="modal"]`)),
		chromedp.Click(css(`[data-testid="modal-close"]`)),
		chromedp.WaitNotPresent(css(`[data-testid="modal"]`)),
	)

	run(t, ctx, "home tab",
		chromedp.Click(css(`[data-testid="tab-home"]`)),
		waitFor(`document.querySelector('[data-testid=home]')?.textContent.includes('Hello @Ada Lovelace')`),
	)

	run(t, ctx, "advance the clock",
		chromedp.Click(css(`[data-testid="clock-plus-1d"]`)),
		waitFor(`document.querySelector('[data-testid=clock-now]')?.dataset.now === '2025-03-05T13:05:00Z'`),
	)

	run(t, ctx, "post in #team",
		chromedp.Click(css(`[data-testid="tab-messages"]`)),
		chromedp.Click(css(`[data-testid="conv-`+slacksim.DemoTeam+`"]`)),
		chromedp.SendKeys(css(`[data-testid="composer"]`), "hello team\n"),
		waitFor(`[...document.querySelectorAll('[data-testid=message].msg-mine')].some(m => m.textContent.includes('hello team'))`),
	)
}

// TestEmulatorServe serves the real emulator with the demo people, the page
// and the tiny bot, for a person to look at:
// TRELLIS_UI_E2E_ADDR=127.0.0.1:8098 go test -tags slacksim_e2e -run TestEmulatorServe ./bot/slacksim/ui/
func TestEmulatorServe(t *testing.T) {
	addr := os.Getenv("TRELLIS_UI_E2E_ADDR")
	if addr == "" {
		t.Skip("set TRELLIS_UI_E2E_ADDR to serve the emulator with the page")
	}
	sim := slacksim.New(slacksim.Config{Clock: clock.NewSim(time.Time{}), UI: Handler()})
	if err := sim.Start(addr); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.SeedDemo()
	api := func() *slack.Client { return slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(sim.APIURL())) }
	bot := httptest.NewServer(tinyBot(t, api))
	defer bot.Close()
	sim.SetHTTPDelivery(bot.URL+"/events", bot.URL+"/commands", bot.URL+"/interactions")
	t.Logf("serving on %s", sim.URL())
	select {}
}
