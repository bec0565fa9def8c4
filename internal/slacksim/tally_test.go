package slacksim

import (
	"testing"

	"github.com/slack-go/slack"
)

// TallyDMs counts the bot's messages per DM: one each is clean, a DM with
// none is missing, a second message or a key seen twice is a duplicate,
// and people's own messages do not count.
func TestTallyDMs(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	dms := map[string]string{}
	for _, u := range []string{DemoAda, DemoRavi, DemoMei, DemoJordan} {
		ch, _, _, err := e.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{u}})
		if err != nil {
			t.Fatal(err)
		}
		dms[u] = ch.ID
	}
	post := func(u, text string) {
		t.Helper()
		if _, _, err := e.api.PostMessageContext(ctx, dms[u], slack.MsgOptionText(text, false)); err != nil {
			t.Fatal(err)
		}
	}
	post(DemoAda, "k1")
	post(DemoRavi, "k2")
	post(DemoMei, "k3")
	post(DemoMei, "k4") // a second message in one DM
	post(DemoJordan, "k1")
	if _, err := e.ctl.PostMessage(ctx, PostMessageRequest{User: DemoJordan, Channel: dms[DemoJordan], Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	keys := func(m Message) []string { return []string{m.Text} }

	got, err := e.ctl.TallyDMs(ctx, dms, keys)
	if err != nil {
		t.Fatal(err)
	}
	// Mei's second message and the key k1 in Ada's and Jordan's DMs.
	if want := (DMTally{Messages: 5, Missing: 0, Duplicates: 2}); got != want {
		t.Errorf("tally = %+v, want %+v", got, want)
	}

	ch, _, _, err := e.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{DemoCarlos}})
	if err != nil {
		t.Fatal(err)
	}
	got, err = e.ctl.TallyDMs(ctx, map[string]string{DemoCarlos: ch.ID, DemoAda: dms[DemoAda]}, nil)
	if err != nil || got != (DMTally{Messages: 1, Missing: 1}) {
		t.Errorf("tally with a DM without a message = %+v, %v", got, err)
	}
	if _, err := e.ctl.TallyDMs(ctx, map[string]string{DemoAda: "D_NOPE"}, nil); err == nil {
		t.Error("an unknown DM gave no error")
	}
}
