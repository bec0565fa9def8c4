package main

import (
	"encoding/json"
	"strings"
	"testing"

	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// TestOKRCyclesOfTheTeam: the new-objective form's cycles, its default
// and export's cycles are the workspace's and those of the channel the
// command runs in, a team's own cycle taking the place of the
// workspace's when both cover today; no other team's cycle is ever
// named. Export with no cycle named takes the cycle running for that
// channel (the workspace's in a DM).
func TestOKRCyclesOfTheTeam(t *testing.T) {
	o := startOKRs(t)
	ctx, ws := o.ctx, slacksim.DefaultTeamID
	other, err := o.ctl.CreateChannel(ctx, slacksim.NewChannel{Name: "other", Members: []string{o.dee}})
	if err != nil {
		t.Fatal(err)
	}
	clk, err := o.ctl.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	today := calendar.DateOf(clk.Now.UTC())
	for _, c := range []okrs.Cycle{
		{Name: "Growth sprint", Team: o.growth, Start: today.AddDays(-3), End: okrs.EndAfterMonths(today.AddDays(-3), 1)},
		{Name: "Quiet plans", Team: other.ID, Start: today.AddDays(-3), End: okrs.EndAfterMonths(today.AddDays(-3), 1)},
	} {
		if _, err := o.store.CreateCycle(ctx, ws, c, o.dee); err != nil {
			t.Fatalf("cycle %q: %v", c.Name, err)
		}
	}
	for _, c := range []struct {
		where, channel, running string
		never                   []string
	}{
		{"the growth channel", o.growth, "Growth sprint", []string{"Quiet plans", o.cycle.Name}},
		{"a DM", "", o.cycle.Name, []string{"Quiet plans", "Growth sprint"}},
	} {
		o.commandIn(t, o.ana, c.channel, "/trellis okr new")
		v := o.topView(t, o.ana, okrhandlers.CallbackNewObjective)
		var form struct {
			Blocks []struct {
				BlockID string `json:"block_id"`
				Element struct {
					Initial struct {
						Text struct{ Text string } `json:"text"`
					} `json:"initial_option"`
				} `json:"element"`
			}
		}
		if err := json.Unmarshal([]byte(`{"blocks":`+string(v.Blocks)+`}`), &form); err != nil {
			t.Fatal(err)
		}
		picked := ""
		for _, b := range form.Blocks {
			if b.BlockID == okrhandlers.BlockNewCycle {
				picked = b.Element.Initial.Text.Text
			}
		}
		if !strings.HasPrefix(picked, c.running) {
			t.Errorf("in %s the form picks %q, want %q", c.where, picked, c.running)
		}
		if _, err := o.ctl.CloseView(ctx, v.ID, o.ana); err != nil {
			t.Fatal(err)
		}
		replies := []string{string(v.Blocks), o.commandIn(t, o.ana, c.channel, "/trellis okr export Nowhere")}
		if got := o.commandIn(t, o.ana, c.channel, "/trellis okr export"); !strings.Contains(got, "*"+c.running+"*") {
			t.Errorf("export in %s: %q, want %q", c.where, got, c.running)
		} else {
			replies = append(replies, got)
		}
		for i, r := range replies {
			for _, n := range c.never {
				if strings.Contains(r, n) {
					t.Errorf("in %s, %q is named (reply %d)", c.where, n, i)
				}
			}
		}
	}
}
