package slacksim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// httpBot is a fake bot behind HTTP delivery that checks every request's
// signature the way slack-go does and records what it got.
type httpBot struct {
	t      *testing.T
	secret string
	srv    *httptest.Server

	mu       sync.Mutex
	events   []recvEvent
	commands []slack.SlashCommand
	inter    []slack.InteractionCallback

	onEvent       func(attempt int, ev slackevents.EventsAPIEvent, w http.ResponseWriter) bool
	onCommand     func(cmd slack.SlashCommand, w http.ResponseWriter)
	onInteraction func(ic slack.InteractionCallback, w http.ResponseWriter)
}

type recvEvent struct {
	id     string
	typ    string
	retry  string
	reason string
	inner  any
}

func newHTTPBot(t *testing.T, secret string) *httpBot {
	b := &httpBot{t: t, secret: secret}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /events", b.serveEvent)
	mux.HandleFunc("POST /commands", b.serveCommand)
	mux.HandleFunc("POST /interactions", b.serveInteraction)
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	return b
}

// verified reads the body and checks the signature with slack-go's verifier.
func (b *httpBot) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), 400)
		return nil, false
	}
	sv, err := slack.NewSecretsVerifier(r.Header, b.secret)
	if err == nil {
		_, _ = sv.Write(body)
		err = sv.Ensure()
	}
	if err != nil {
		b.t.Errorf("%s: bad signature: %v", r.URL.Path, err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

func (b *httpBot) serveEvent(w http.ResponseWriter, r *http.Request) {
	body, ok := b.verified(w, r)
	if !ok {
		return
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		b.t.Errorf("ParseEvent: %v: %s", err, body)
		return
	}
	var env struct {
		EventID string `json:"event_id"`
	}
	_ = json.Unmarshal(body, &env)
	b.mu.Lock()
	b.events = append(b.events, recvEvent{
		id: env.EventID, typ: ev.InnerEvent.Type, retry: r.Header.Get("X-Slack-Retry-Num"),
		reason: r.Header.Get("X-Slack-Retry-Reason"), inner: ev.InnerEvent.Data,
	})
	attempt := len(b.events)
	on := b.onEvent
	b.mu.Unlock()
	if on != nil && on(attempt, ev, w) {
		return
	}
	w.WriteHeader(200)
}

func (b *httpBot) serveCommand(w http.ResponseWriter, r *http.Request) {
	if _, ok := b.verified(w, r); !ok {
		return
	}
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		b.t.Errorf("SlashCommandParse: %v", err)
		return
	}
	b.mu.Lock()
	b.commands = append(b.commands, cmd)
	on := b.onCommand
	b.mu.Unlock()
	if on != nil {
		on(cmd, w)
	}
}

func (b *httpBot) serveInteraction(w http.ResponseWriter, r *http.Request) {
	if _, ok := b.verified(w, r); !ok {
		return
	}
	ic, err := slack.InteractionCallbackParse(r)
	if err != nil {
		b.t.Errorf("InteractionCallbackParse: %v", err)
		return
	}
	b.mu.Lock()
	b.inter = append(b.inter, ic)
	on := b.onInteraction
	b.mu.Unlock()
	if on != nil {
		on(ic, w)
	}
}

func (b *httpBot) eventCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.events)
}

func (b *httpBot) attach(e *testEnv) {
	e.srv.SetHTTPDelivery(b.srv.URL+"/events", b.srv.URL+"/commands", b.srv.URL+"/interactions")
}

func writeJSONBody(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func TestHTTPEventsSignedAndRetried(t *testing.T) {
	e := newEnv(t, Config{AckTimeout: 200 * time.Millisecond})
	ctx := testCtx(t)
	bot := newHTTPBot(t, e.srv.cfg.SigningSecret)
	bot.attach(e)
	// First try: HTTP 500. Second: too slow. Third: acked.
	bot.onEvent = func(attempt int, ev slackevents.EventsAPIEvent, w http.ResponseWriter) bool {
		switch attempt {
		case 1:
			w.WriteHeader(500)
			return true
		case 2:
			time.Sleep(300 * time.Millisecond)
		}
		return false
	}
	if _, err := e.ctl.PostMessage(ctx, PostMessageRequest{User: DemoAda, Text: "hello bot"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "three deliveries", func() bool { return bot.eventCount() >= 3 })
	time.Sleep(100 * time.Millisecond) // no fourth try must follow
	bot.mu.Lock()
	got := append([]recvEvent{}, bot.events...)
	bot.mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("got %d deliveries, want 3", len(got))
	}
	want := []struct{ retry, reason string }{{"", ""}, {"1", "http_error"}, {"2", "http_timeout"}}
	for i, w := range want {
		if got[i].retry != w.retry || got[i].reason != w.reason || got[i].id != got[0].id || got[i].typ != "message" {
			t.Errorf("delivery %d = %+v, want retry %q reason %q, same event id, type message", i, got[i], w.retry, w.reason)
		}
	}
	msg, ok := got[0].inner.(*slackevents.MessageEvent)
	if !ok || msg.Text != "hello bot" || msg.User != DemoAda || msg.ChannelType != "im" || msg.Channel != "D0DEMOADA" {
		t.Errorf("message event = %#v", got[0].inner)
	}
	ds, _ := e.ctl.Deliveries(ctx)
	if len(ds) != 3 || !ds[2].Acked || ds[0].Acked || ds[1].RetryReason != "http_error" {
		t.Errorf("deliveries = %+v", ds)
	}

	// X-Slack-No-Retry stops retries.
	bot.mu.Lock()
	bot.events = nil
	bot.onEvent = func(_ int, _ slackevents.EventsAPIEvent, w http.ResponseWriter) bool {
		w.Header().Set("X-Slack-No-Retry", "1")
		w.WriteHeader(503)
		return true
	}
	bot.mu.Unlock()
	if _, err := e.ctl.UpdatePerson(ctx, DemoRavi, PersonPatch{TZ: ptr("Asia/Kathmandu")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "user_change", func() bool { return bot.eventCount() >= 1 })
	time.Sleep(100 * time.Millisecond)
	bot.mu.Lock()
	defer bot.mu.Unlock()
	if len(bot.events) != 1 || bot.events[0].typ != "user_change" {
		t.Fatalf("events after X-Slack-No-Retry = %+v", bot.events)
	}
	uc := bot.events[0].inner.(*slackevents.UserChangeEvent)
	if uc.User.ID != DemoRavi || uc.User.TZ != "Asia/Kathmandu" || uc.User.TZOffset != 20700 {
		t.Errorf("user_change user = %+v", uc.User)
	}
}

func ptr[T any](v T) *T { return &v }

func TestHTTPCommandAndInteractions(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	bot := newHTTPBot(t, e.srv.cfg.SigningSecret)
	bot.attach(e)
	bot.onCommand = func(cmd slack.SlashCommand, w http.ResponseWriter) {
		// Post a message with a button, then answer ephemerally.
		btn := slack.NewButtonBlockElement("done", "occ-7", slack.NewTextBlockObject("plain_text", "Done", false, false))
		_, _, err := e.api.PostMessage(cmd.ChannelID, slack.MsgOptionText("Check-in", false),
			slack.MsgOptionBlocks(slack.NewActionBlock("checkin", btn)))
		if err != nil {
			t.Errorf("PostMessage: %v", err)
		}
		writeJSONBody(w, map[string]any{"response_type": "ephemeral", "text": "Hi " + cmd.UserName + ", you said " + cmd.Text})
	}
	res, err := e.ctl.Command(ctx, CommandRequest{User: DemoAda, Text: "/trellis me"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Status != 200 || res.Response == nil || res.Response.Text != "Hi ada, you said me" || res.Channel != "D0DEMOADA" {
		t.Fatalf("Command = %+v", res)
	}
	cmd := bot.commands[0]
	if cmd.Command != "/trellis" || cmd.Text != "me" || cmd.UserID != DemoAda || cmd.TeamID != "T0SANDBOX" || cmd.TriggerID == "" || cmd.ResponseURL == "" {
		t.Errorf("slash command = %+v", cmd)
	}
	mine, _ := e.ctl.Messages(ctx, DemoAda, DemoAda)
	others, _ := e.ctl.Messages(ctx, DemoAda, DemoRavi)
	if len(mine) != 2 || !mine[1].Ephemeral || mine[1].Text != "Hi ada, you said me" || len(others) != 1 {
		t.Fatalf("messages as Ada = %+v; as Ravi = %+v", mine, others)
	}

	// Click the button; the bot replaces the message through response_url.
	bot.onInteraction = func(ic slack.InteractionCallback, w http.ResponseWriter) {
		if _, _, _, err := e.api.SendMessage("", slack.MsgOptionReplaceOriginal(ic.ResponseURL), slack.MsgOptionText("Thanks!", false)); err != nil {
			t.Errorf("response_url: %v", err)
		}
		w.WriteHeader(200)
	}
	ar, err := e.ctl.Action(ctx, ActionRequest{User: DemoAda, ActionID: "done"})
	if err != nil || !ar.OK {
		t.Fatalf("Action = %+v, %v", ar, err)
	}
	ic := bot.inter[0]
	if ic.Type != slack.InteractionTypeBlockActions || len(ic.ActionCallback.BlockActions) != 1 || ic.TriggerID == "" {
		t.Fatalf("interaction = %+v", ic)
	}
	act := ic.ActionCallback.BlockActions[0]
	if act.ActionID != "done" || act.BlockID != "checkin" || act.Value != "occ-7" || ic.Container.Type != "message" || ic.Channel.ID != "D0DEMOADA" || ic.Message.Text != "Check-in" || ic.User.ID != DemoAda {
		t.Errorf("block action = %+v, container %+v", act, ic.Container)
	}
	mine, _ = e.ctl.Messages(ctx, DemoAda, DemoAda)
	if mine[0].Text != "Thanks!" || len(mine[0].Blocks) != 0 {
		t.Errorf("replaced message = %+v", mine[0])
	}
}

func TestViewSubmissionOverHTTP(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	bot := newHTTPBot(t, e.srv.cfg.SigningSecret)
	bot.attach(e)
	modal := slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           slack.NewTextBlockObject("plain_text", "Check-in", false, false),
		Submit:          slack.NewTextBlockObject("plain_text", "Send", false, false),
		CallbackID:      "checkin_answer",
		PrivateMetadata: "occ-9",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("answer", slack.NewTextBlockObject("plain_text", "What did you do?", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "answer_input")),
			slack.NewInputBlock("mood", slack.NewTextBlockObject("plain_text", "Mood", false, false), nil,
				slack.NewOptionsSelectBlockElement("static_select", nil, "mood_select",
					slack.NewOptionBlockObject("good", slack.NewTextBlockObject("plain_text", "Good", false, false), nil),
					slack.NewOptionBlockObject("meh", slack.NewTextBlockObject("plain_text", "Meh", false, false), nil))),
		}},
	}
	bot.onCommand = func(cmd slack.SlashCommand, w http.ResponseWriter) {
		if _, err := e.api.OpenView(cmd.TriggerID, modal); err != nil {
			t.Errorf("OpenView: %v", err)
		}
		w.WriteHeader(200)
	}
	bot.onInteraction = func(ic slack.InteractionCallback, w http.ResponseWriter) {
		if ic.Type != slack.InteractionTypeViewSubmission {
			w.WriteHeader(200)
			return
		}
		v := ic.View.State.Values["answer"]["answer_input"].Value
		if len(v) < 5 {
			writeJSONBody(w, slack.NewErrorsViewSubmissionResponse(map[string]string{"answer": "Tell us a bit more."}))
			return
		}
		w.WriteHeader(200)
	}
	if res, err := e.ctl.Command(ctx, CommandRequest{User: DemoMei, Text: "/trellis checkin"}); err != nil || !res.OK {
		t.Fatalf("Command = %+v, %v", res, err)
	}
	views, err := e.ctl.Views(ctx, DemoMei)
	if err != nil || len(views) != 1 || views[0].CallbackID != "checkin_answer" || views[0].PrivateMetadata != "occ-9" || views[0].Hash == "" {
		t.Fatalf("Views = %+v, %v", views, err)
	}
	id := views[0].ID

	// Slack's client refuses to submit with required inputs empty.
	res, err := e.ctl.SubmitView(ctx, id, SubmitRequest{User: DemoMei})
	if err != nil || res.OK || res.Errors["answer"] == "" || len(bot.inter) != 0 {
		t.Fatalf("empty submit = %+v, %v (deliveries %d)", res, err, len(bot.inter))
	}

	values := map[string]map[string]json.RawMessage{
		"answer": {"answer_input": json.RawMessage(`{"value":"ok"}`)},
		"mood":   {"mood_select": json.RawMessage(`{"selected_option":{"text":{"type":"plain_text","text":"Good"},"value":"good"}}`)},
	}
	res, err = e.ctl.SubmitView(ctx, id, SubmitRequest{User: DemoMei, Values: values})
	if err != nil || !res.OK || res.ResponseAction != "errors" || res.Errors["answer"] != "Tell us a bit more." || len(res.Views) != 1 {
		t.Fatalf("submit with errors = %+v, %v", res, err)
	}
	ic := bot.inter[0]
	if ic.View.ID != id || ic.View.CallbackID != "checkin_answer" || ic.View.PrivateMetadata != "occ-9" ||
		ic.View.State.Values["mood"]["mood_select"].SelectedOption.Value != "good" ||
		ic.View.State.Values["answer"]["answer_input"].Type != "plain_text_input" {
		t.Errorf("view_submission = %+v", ic.View)
	}

	values["answer"]["answer_input"] = json.RawMessage(`{"value":"shipped the emulator"}`)
	res, err = e.ctl.SubmitView(ctx, id, SubmitRequest{User: DemoMei, Values: values})
	if err != nil || !res.OK || res.ResponseAction != "" || len(res.Views) != 0 {
		t.Fatalf("good submit = %+v, %v", res, err)
	}
}

func TestResponseURLUses(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	bot := newHTTPBot(t, e.srv.cfg.SigningSecret)
	bot.attach(e)
	bot.onCommand = func(_ slack.SlashCommand, w http.ResponseWriter) { w.WriteHeader(200) }
	res, err := e.ctl.Command(ctx, CommandRequest{User: DemoJordan, Text: "/trellis later", Channel: DemoTeam})
	if err != nil || !res.OK || res.Channel != DemoTeam {
		t.Fatalf("Command = %+v, %v", res, err)
	}
	for i := range 5 {
		rt := slack.ResponseTypeEphemeral
		if i == 0 {
			rt = slack.ResponseTypeInChannel
		}
		if _, _, err := e.api.PostMessage("", slack.MsgOptionResponseURL(res.ResponseURL, rt), slack.MsgOptionText("answer", false)); err != nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
	}
	_, _, err = e.api.PostMessage("", slack.MsgOptionResponseURL(res.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("sixth", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusNotFound {
		t.Errorf("sixth use = %v, want HTTP 404 used_url", err)
	}
	asJordan, _ := e.ctl.Messages(ctx, DemoTeam, DemoJordan)
	asAda, _ := e.ctl.Messages(ctx, DemoTeam, DemoAda)
	if len(asJordan)-len(asAda) != 4 {
		t.Errorf("Jordan sees %d messages, Ada %d: want 4 ephemeral answers for Jordan only", len(asJordan), len(asAda))
	}
}
