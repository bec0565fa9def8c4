package slacksim

import (
	"testing"

	"github.com/slack-go/slack"
)

// chat.postMessage keeps the name and picture a message is posted under
// (username, icon_url) and shows them wherever the message is read; a
// reply with reply_broadcast is in its thread and in the channel too,
// and one without is in the thread only.
func TestPostMessageCustomizedAndBroadcast(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	const icon = "https://avatars.slack-edge.com/sandbox/ada_72.png"
	_, parent, err := e.api.PostMessage(DemoTeam, slack.MsgOptionText("Round", false))
	if err != nil {
		t.Fatal(err)
	}
	_, plain, err := e.api.PostMessage(DemoTeam, slack.MsgOptionText("Ada's answer", false), slack.MsgOptionTS(parent),
		slack.MsgOptionUsername("Ada Lovelace"), slack.MsgOptionIconURL(icon))
	if err != nil {
		t.Fatal(err)
	}
	_, broad, err := e.api.PostMessage(DemoTeam, slack.MsgOptionText("Summary", false), slack.MsgOptionTS(parent), slack.MsgOptionBroadcast())
	if err != nil {
		t.Fatal(err)
	}

	msgs, err := e.ctl.Messages(ctx, DemoTeam, "")
	if err != nil {
		t.Fatal(err)
	}
	byTS := map[string]Message{}
	for _, m := range msgs {
		byTS[m.TS] = m
	}
	if m := byTS[plain]; m.Username != "Ada Lovelace" || m.IconURL != icon || m.Broadcast || m.ThreadTS != parent {
		t.Errorf("customized reply = %+v, want Ada's name and picture in the thread", m)
	}
	if m := byTS[broad]; !m.Broadcast || m.Username != "" || m.IconURL != "" || m.ThreadTS != parent {
		t.Errorf("broadcast reply = %+v, want a broadcast in the thread under the bot's own name", m)
	}

	hist, err := e.api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: DemoTeam, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	inChannel := map[string]slack.Message{}
	for _, m := range hist.Messages {
		inChannel[m.Timestamp] = m
	}
	if _, ok := inChannel[plain]; ok {
		t.Errorf("a reply without reply_broadcast is in the channel's history")
	}
	if m, ok := inChannel[broad]; !ok || m.SubType != "thread_broadcast" {
		t.Errorf("broadcast reply in history = %+v, %v; want it there as a thread_broadcast", m, ok)
	}
	replies, _, _, err := e.api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: DemoTeam, Timestamp: parent})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]slack.Message{}
	for _, m := range replies {
		found[m.Timestamp] = m
	}
	if m, ok := found[plain]; !ok || m.Username != "Ada Lovelace" {
		t.Errorf("customized reply in the thread = %+v, %v; want it under Ada's name", m, ok)
	}
	if _, ok := found[broad]; !ok {
		t.Errorf("broadcast reply is not in its thread")
	}
}
