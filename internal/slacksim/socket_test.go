package slacksim

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

func TestSocketModeWithSlackGo(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	sm := socketmode.New(e.api)
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sm.RunContext(runCtx)
	}()
	t.Cleanup(func() { stop(); <-done })

	modal := slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: "goal",
		Title:  slack.NewTextBlockObject("plain_text", "Goal", false, false),
		Submit: slack.NewTextBlockObject("plain_text", "Save", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("goal", slack.NewTextBlockObject("plain_text", "Goal", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "goal_input")),
		}},
	}
	events := make(chan slackevents.EventsAPIEvent, 10)
	go func() {
		for evt := range sm.Events {
			switch evt.Type {
			case socketmode.EventTypeSlashCommand:
				cmd := evt.Data.(slack.SlashCommand)
				if cmd.Text == "modal" {
					if _, err := e.api.OpenView(cmd.TriggerID, modal); err != nil {
						t.Errorf("OpenView: %v", err)
					}
					sm.Ack(*evt.Request)
					continue
				}
				sm.Ack(*evt.Request, map[string]any{"response_type": "in_channel", "text": "pong " + cmd.Text})
			case socketmode.EventTypeEventsAPI:
				sm.Ack(*evt.Request)
				events <- evt.Data.(slackevents.EventsAPIEvent)
			case socketmode.EventTypeInteractive:
				ic := evt.Data.(slack.InteractionCallback)
				if ic.Type == slack.InteractionTypeViewSubmission {
					sm.Ack(*evt.Request, slack.NewErrorsViewSubmissionResponse(map[string]string{"goal": "Goals need a verb."}))
					continue
				}
				sm.Ack(*evt.Request)
			}
		}
	}()
	connections := func(n int) func() bool {
		return func() bool {
			info, err := e.ctl.Info(ctx)
			return err == nil && info.SocketConnections == n
		}
	}
	eventually(t, "a Socket Mode connection", connections(1))

	res, err := e.ctl.Command(ctx, CommandRequest{User: DemoCarlos, Text: "/trellis ping"})
	if err != nil || !res.OK || res.Response == nil || res.Response.Text != "pong ping" || res.Response.ResponseType != "in_channel" {
		t.Fatalf("Command = %+v, %v", res, err)
	}
	msgs, _ := e.ctl.Messages(ctx, DemoCarlos, "")
	if len(msgs) != 2 || msgs[0].Text != "/trellis ping" || msgs[0].User != DemoCarlos || msgs[1].Text != "pong ping" || msgs[1].BotID == "" {
		t.Errorf("DM after in_channel ack = %+v", msgs)
	}

	if _, err := e.ctl.PostMessage(ctx, PostMessageRequest{User: DemoCarlos, Text: "olá"}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		m, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
		if ev.TeamID != "T0SANDBOX" || !ok || m.Text != "olá" || m.User != DemoCarlos {
			t.Errorf("event = %+v / %#v", ev, ev.InnerEvent.Data)
		}
	case <-ctx.Done():
		t.Fatal("no message event over Socket Mode")
	}

	if res, err := e.ctl.Command(ctx, CommandRequest{User: DemoCarlos, Text: "/trellis modal"}); err != nil || !res.OK || res.Response != nil {
		t.Fatalf("modal command = %+v, %v", res, err)
	}
	views, _ := e.ctl.Views(ctx, DemoCarlos)
	if len(views) != 1 {
		t.Fatalf("views = %+v", views)
	}
	sub, err := e.ctl.SubmitView(ctx, views[0].ID, SubmitRequest{User: DemoCarlos, Values: map[string]map[string]json.RawMessage{
		"goal": {"goal_input": json.RawMessage(`{"value":"tests"}`)},
	}})
	if err != nil || sub.ResponseAction != "errors" || sub.Errors["goal"] != "Goals need a verb." || len(sub.Views) != 1 || sub.Views[0].Errors["goal"] == "" {
		t.Errorf("submission = %+v, %v", sub, err)
	}

	// Slack asks for a refresh; slack-go reconnects through apps.connections.open.
	if n, err := e.ctl.DisconnectSockets(ctx); err != nil || n != 1 {
		t.Fatalf("DisconnectSockets = %d, %v", n, err)
	}
	eventually(t, "a reconnection", func() bool {
		calls, _ := e.ctl.Calls(ctx, "apps.connections.open")
		return len(calls) == 2 && connections(1)()
	})
	if res, err := e.ctl.Command(ctx, CommandRequest{User: DemoAda, Text: "/trellis again"}); err != nil || res.Response == nil || res.Response.Text != "pong again" {
		t.Errorf("command after reconnect = %+v, %v", res, err)
	}
}

func TestSocketModeRetriesUnackedEvents(t *testing.T) {
	e := newEnv(t, Config{AckTimeout: 100 * time.Millisecond, RetryDelays: []time.Duration{0, 10 * time.Millisecond}})
	ctx := testCtx(t)
	_, wsURL, err := e.api.StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	type envelope struct {
		Type         string          `json:"type"`
		EnvelopeID   string          `json:"envelope_id"`
		Payload      json.RawMessage `json:"payload"`
		RetryAttempt int             `json:"retry_attempt"`
		RetryReason  string          `json:"retry_reason"`
		Accepts      bool            `json:"accepts_response_payload"`
	}
	read := func() (envelope, error) {
		var env envelope
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		err := conn.ReadJSON(&env)
		return env, err
	}
	if hello, err := read(); err != nil || hello.Type != "hello" {
		t.Fatalf("first message = %+v, %v", hello, err)
	}
	// A ticket works once.
	if _, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil); err == nil {
		t.Error("a used ticket was accepted")
	}
	if _, err := e.ctl.PostMessage(ctx, PostMessageRequest{User: DemoNoor, Text: "hallo"}); err != nil {
		t.Fatal(err)
	}
	first, err := read()
	if err != nil || first.Type != "events_api" || first.RetryAttempt != 0 || first.Accepts {
		t.Fatalf("first envelope = %+v, %v", first, err)
	}
	second, err := read() // not acked: Slack retries
	if err != nil || second.RetryAttempt != 1 || second.RetryReason != "timeout" || second.EnvelopeID == first.EnvelopeID {
		t.Fatalf("retry envelope = %+v, %v", second, err)
	}
	var a, b struct {
		EventID string `json:"event_id"`
	}
	_ = json.Unmarshal(first.Payload, &a)
	_ = json.Unmarshal(second.Payload, &b)
	if a.EventID == "" || a.EventID != b.EventID {
		t.Errorf("event ids %q and %q, want the same", a.EventID, b.EventID)
	}
	if err := conn.WriteJSON(map[string]any{"envelope_id": second.EnvelopeID}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the acked retry", func() bool {
		ds, _ := e.ctl.Deliveries(ctx)
		return len(ds) == 2 && ds[1].Acked && ds[1].Attempt == 1
	})
	_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	var extra envelope
	if err := conn.ReadJSON(&extra); err == nil {
		t.Errorf("unexpected envelope after the ack: %+v", extra)
	}
}
