package checkins_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// berlinZone is the zone the list and Home tests read times in.
func berlinZone(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestCheckinList(t *testing.T) {
	if got := blockJSON(t, checkinhandlers.CheckinList(nil, "Check-ins in #team")); !strings.Contains(got, "`/trellis checkin new` in the channel") ||
		!strings.Contains(got, `"type":"header"`) {
		t.Errorf("empty list: %s", got)
	}
	berlin := berlinZone(t)
	items := []checkinhandlers.CheckinListItem{
		{ID: 12, Name: "Daily stand-up", Cadence: "weekdays at 09:30", ChannelID: "C0TEAM", OwnerID: "U0OWNER", Participants: 8,
			NextForMe: time.Date(2026, 11, 24, 8, 30, 0, 0, time.UTC), Loc: berlin, CanChange: true},
		{ID: 13, Name: "Retro", Cadence: "every 2 weeks on fri at 15:00", ChannelID: "C0TEAM", OwnerID: "U0OWNER", Participants: 1, Paused: true, CanChange: true},
		{ID: 14, Name: "Weekly <!channel>", Cadence: "fridays at 14:00", ChannelID: "not a channel", OwnerID: "U0OTHER", Participants: 3},
	}
	blocks := checkinhandlers.CheckinList(items, "")
	checkDM(t, "list", "x", blocks)
	all := blockJSON(t, blocks)
	for _, want := range []string{
		`*Daily stand-up* in <#C0TEAM>\nweekdays at 09:30 · 8 people · next for you: Tue 24 Nov, 09:30`,
		"`/trellis checkin edit 12` · `/trellis checkin pause 12` · `/trellis checkin run 12` · `/trellis checkin export 12` · `/trellis checkin delete 12`",
		`*Retro* in <#C0TEAM> · :double_vertical_bar: _paused_\nevery 2 weeks on fri at 15:00 · 1 person"`,
		"`/trellis checkin resume 13`",
		`*Weekly &lt;!channel&gt;*\nfridays at 14:00 · 3 people"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("list lacks %s:\n%s", want, all)
		}
	}
	if strings.Contains(all, "checkin edit 14") || strings.Contains(all, "header") {
		t.Errorf("commands shown for a check-in the reader can't change, or a header without a title:\n%s", all)
	}
	if m := reportMrkdwn(t, "", blocks); strings.Contains(m, "<@") || strings.Contains(m, "<!") {
		t.Errorf("the list mentions someone:\n%s", m)
	}

	// 200 long ones are cut, and counted.
	var many []checkinhandlers.CheckinListItem
	for i := range 200 {
		many = append(many, checkinhandlers.CheckinListItem{ID: int64(i + 1), Name: strings.Repeat("<&", 100), Cadence: strings.Repeat("é<", 150),
			ChannelID: "C0TEAM", Participants: 5, NextForMe: time.Now(), CanChange: true})
	}
	blocks = checkinhandlers.CheckinList(many, strings.Repeat("日", 300))
	checkDM(t, "200 check-ins", "x", blocks)
	bs := reportBlocks(t, blocks)
	sections := 0
	for _, b := range bs {
		if b["type"] == "section" {
			sections++
		}
	}
	last := bs[len(bs)-1]
	els, _ := last["elements"].([]any)
	if want := fmt.Sprintf("and %d more", 200-sections); len(els) != 1 || mrkdwnOf(els[0]) != want {
		t.Errorf("%d shown, last block %v; want %q", sections, last, want)
	}
}

func TestHomeCheckins(t *testing.T) {
	s := views.Summary{TimeZone: "Europe/Berlin", LocalNow: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), Budget: 3}
	var ck checkinhandlers.HomeCheckins
	home := func(s views.Summary) ([]slack.Block, string) {
		v := views.Home(s, checkinhandlers.HomeCheckinSection(ck))
		checkBlockLimits(t, "home", v.Blocks.BlockSet, 100)
		return v.Blocks.BlockSet, blockJSON(t, v.Blocks.BlockSet)
	}
	_, all := home(s)
	if !strings.Contains(all, "*Check-ins:* you're not in any yet. Start one with `/trellis checkin new`") {
		t.Errorf("Home without check-ins should say how to start one:\n%s", all)
	}
	if !strings.Contains(all, "*Coming up:*") || !strings.Contains(all, "home:tz") {
		t.Errorf("Home lost its existing sections:\n%s", all)
	}

	berlin := berlinZone(t)
	ck = checkinhandlers.HomeCheckins{
		Waiting: []checkinhandlers.HomeWaiting{
			{RoundID: 12, CheckinID: 7, Label: "Daily stand-up · Tue 24 Nov", ClosesAt: time.Date(2026, 11, 24, 16, 30, 0, 0, time.UTC), Loc: berlin},
			{RoundID: 13, CheckinID: 8, Label: "Retro <!here>", Status: checkinmodels.ResponseSnoozed},
		},
		Mine: []checkinhandlers.CheckinListItem{{ID: 7, Name: "Daily stand-up", Cadence: "weekdays at 09:30", ChannelID: "C0TEAM", Participants: 8}},
	}
	blocks, all := home(s)
	for _, tt := range []struct {
		id, text, value string
	}{
		{"home_checkin_12", "*Daily stand-up · Tue 24 Nov* is waiting for your answer · open until Tue 24 Nov, 17:30", "12:7"},
		{"home_checkin_13", "*Retro &lt;!here&gt;* is waiting for your answer · _Snoozed_", "13:8"},
	} {
		b := blockByID(t, blocks, tt.id)
		if b == nil {
			t.Fatalf("Home has no block %s:\n%s", tt.id, all)
		}
		acc, _ := b["accessory"].(map[string]any)
		if mrkdwnOf(b["text"]) != tt.text || acc["action_id"] != "checkin:answer" || acc["value"] != tt.value || mrkdwnOf(acc["text"]) != "Answer" {
			t.Errorf("block %s = %v, want %q with an Answer button worth %s", tt.id, b, tt.text, tt.value)
		}
	}
	for _, want := range []string{"*Daily stand-up* in <#C0TEAM>", "*Coming up* above says when one will wait"} {
		if !strings.Contains(all, want) {
			t.Errorf("Home lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "you're not in any yet") {
		t.Errorf("Home says there are no check-ins")
	}
	if m := reportMrkdwn(t, "", blocks); strings.Contains(m, "<@") || strings.Contains(m, "<!") {
		t.Errorf("Home mentions someone:\n%s", m)
	}

	// The most Home can hold stays within 100 blocks.
	for i := range 20 {
		s.Away = append(s.Away, models.AwayPeriod{ID: int64(i + 1), Note: strings.Repeat("n", 100)})
	}
	ck = checkinhandlers.HomeCheckins{}
	for i := range 100 {
		ck.Waiting = append(ck.Waiting, checkinhandlers.HomeWaiting{RoundID: int64(i + 1), CheckinID: 1, Label: strings.Repeat("<", 200)})
	}
	for i := range 200 {
		ck.Mine = append(ck.Mine, checkinhandlers.CheckinListItem{ID: int64(i + 1), Name: "x", CanChange: true})
	}
	_, all = home(s)
	if !strings.Contains(all, "and 90 more waiting for you") || !strings.Contains(all, "more\"") {
		t.Errorf("a full Home should count what it leaves out:\n%.3000s", all)
	}
}
