package slacksim

import (
	"slices"
	"testing"

	"github.com/slack-go/slack"
)

// The demo workspace has #managers with Ada, Carlos, Jordan and the bot,
// once however often it is seeded, and a workspace that lost it (or was
// kept from before it existed) gets it back at the next seeding.
func TestSeedDemoManagers(t *testing.T) {
	e := newEnv(t, Config{})
	members := func() []string {
		t.Helper()
		ids, _, err := e.api.GetUsersInConversation(&slack.GetUsersInConversationParameters{ChannelID: DemoManagers})
		if err != nil {
			t.Fatalf("members of #managers: %v", err)
		}
		slices.Sort(ids)
		return ids
	}
	want := []string{e.srv.cfg.BotUserID, DemoAda, DemoCarlos, DemoJordan}
	slices.Sort(want)
	if got := members(); !slices.Equal(got, want) {
		t.Errorf("#managers holds %v, want %v", got, want)
	}
	e.srv.SeedDemo()
	if got := members(); !slices.Equal(got, want) {
		t.Errorf("after a second SeedDemo #managers holds %v, want %v", got, want)
	}
	info, err := e.api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: DemoManagers})
	if err != nil || info.Name != "managers" || info.IsGeneral {
		t.Errorf("#managers: %+v, %v", info, err)
	}

	e.srv.mu.Lock()
	delete(e.srv.ws.convs, DemoManagers)
	e.srv.mu.Unlock()
	e.srv.SeedDemo()
	if got := members(); !slices.Equal(got, want) {
		t.Errorf("re-seeded #managers holds %v, want %v", got, want)
	}
}
