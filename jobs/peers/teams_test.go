package peers

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

// Team channels through the emulator: each channel is one team of its
// members, every page of them; someone in neither is on no known team;
// only the network's people are labelled.
func TestChannelTeams(t *testing.T) {
	var api *slack.Client
	h := newHarness(t, models.DialectSQLite, 1, time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC), harnessOptions{
		teams: func(c *slack.Client) TeamsFunc {
			api = c
			return SlackTeams(func(context.Context, string) (TeamsAPI, error) { return api, nil })
		}})
	var people []string
	for _, name := range []string{"Ana", "Ben", "Cai", "Dee", "Eli"} {
		people = append(people, h.person(name, "Europe/London", ""))
	}
	pay, err := h.ctl.CreateChannel(h.ctx, slacksim.NewChannel{Name: "team-pay", Members: people[:2]})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := h.ctl.CreateChannel(h.ctx, slacksim.NewChannel{Name: "team-ops", Members: append([]string{people[1]}, people[2:4]...)})
	if err != nil {
		t.Fatal(err)
	}
	n := peers.Network{TeamSource: "channels:" + pay.ID + "," + ops.ID}
	got, err := h.svcs[0].teams(h.ctx, team, n, people[:4])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{people[0]: {pay.ID}, people[1]: {pay.ID, ops.ID}, people[2]: {ops.ID}, people[3]: {ops.ID}}
	for u, w := range want {
		if !slices.Equal(got[u], w) {
			t.Errorf("teams of %s = %v, want %v", h.names[u], got[u], w)
		}
	}
	if len(got[people[4]]) != 0 {
		t.Errorf("Eli, not in the network, is labelled %v", got[people[4]])
	}
}
