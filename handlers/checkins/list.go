package checkins

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The list of check-ins (/trellis checkin list), also shown, with buttons
// in place of commands, in the check-ins' part of the Home tab
// (home_blocks.go). The Block Kit of the check-ins' own messages (the
// prompt DM, digests, channel posts) is in jobs/checkins. Everything a
// person typed is escaped, so nothing here can @-mention anyone.

// CheckinListItem is one check-in in a list.
type CheckinListItem struct {
	ID int64
	// OwnerID is who set it up. The list does not show it, so that it
	// mentions nobody.
	Name, Cadence, ChannelID, OwnerID string
	Participants                      int
	Paused                            bool
	// NextForMe is when the next round reaches the reader; zero when
	// unknown (or they are not in it).
	NextForMe time.Time
	// Loc is the reader's timezone; nil means UTC.
	Loc *time.Location
	// CanChange says the reader may edit, pause, delete, run or export it.
	CanChange bool
}

// CheckinList lists check-ins, one section each — name, channel, whether
// it is paused, cadence, participants and when the next round reaches the
// reader — with the commands that change it underneath when the reader may.
// title heads it as a header unless empty. It stays within 50 blocks and
// the message text limit, saying "and N more" when it cuts the list; an
// empty list says how to start a check-in. It mentions nobody.
func CheckinList(items []CheckinListItem, title string) []slack.Block {
	return checkinList(items, title, mrkdwn.MaxMessageBlocks, mrkdwn.MessageTextBudget, false)
}

// checkinList is CheckinList within maxBlocks blocks and budget characters
// of text.
// On the Home tab (buttons), each check-in has buttons instead of commands.
func checkinList(items []CheckinListItem, title string, maxBlocks, budget int, buttons bool) []slack.Block {
	var blocks []slack.Block
	used := 0
	if t := strings.TrimSpace(title); t != "" {
		h := slack.NewHeaderBlock(mrkdwn.HeaderText(views.Plain(t, mrkdwn.MaxHeaderText)))
		blocks = append(blocks, h)
		used += mrkdwn.TextLen(h)
	}
	if len(items) == 0 {
		return append(blocks, views.Section("No check-ins yet. Start one with `/trellis checkin new` in the channel it's for.", nil))
	}
	const reserve = 40 // the "and N more" line
	for i, it := range items {
		item := checkinListBlocks(it, buttons)
		w := 0
		for _, b := range item {
			w += mrkdwn.TextLen(b)
		}
		if len(blocks)+len(item)+1 > maxBlocks || used+w+reserve > budget {
			return append(blocks, slack.NewContextBlock("", views.MrkdwnText(fmt.Sprintf("and %d more", len(items)-i))))
		}
		blocks = append(blocks, item...)
		used += w
	}
	return blocks
}

// checkinListBlocks is one check-in of CheckinList, with the Home tab's
// buttons when buttons is set.
func checkinListBlocks(it CheckinListItem, buttons bool) []slack.Block {
	name := views.Mrkdwn(strings.TrimSpace(it.Name), mrkdwn.MaxHeaderText)
	if name == "" {
		name = "Check-in"
	}
	first := "*" + name + "*"
	if mrkdwn.IsChannelID(it.ChannelID) {
		first += " in <#" + it.ChannelID + ">"
	}
	if it.Paused {
		first += " · :double_vertical_bar: _paused_"
	}
	var facts []string
	if cad := strings.TrimSpace(it.Cadence); cad != "" {
		facts = append(facts, views.Mrkdwn(cad, models.MaxCadenceLen))
	}
	facts = append(facts, count(max(it.Participants, 0), "person", "people"))
	switch {
	case it.Paused:
	case !it.NextForMe.IsZero():
		facts = append(facts, "next for you: "+localTime(it.NextForMe, it.Loc).Format("Mon 2 Jan, 15:04"))
	}
	body := first + "\n" + strings.Join(facts, " · ")
	if buttons {
		if it.CanChange && it.ID > 0 {
			// Deleting stays a typed command: it cannot be undone.
			body += "\n_Delete it with_ `/trellis checkin delete " + strconv.FormatInt(it.ID, 10) + "`"
		}
		blocks := []slack.Block{views.Section(body, nil)}
		if row := homeCheckinActions(it); row != nil {
			blocks = append(blocks, row)
		}
		return blocks
	}
	blocks := []slack.Block{views.Section(body, nil)}
	if it.CanChange && it.ID > 0 {
		id := strconv.FormatInt(it.ID, 10)
		toggle := "pause"
		if it.Paused {
			toggle = "resume"
		}
		var cmds []string
		for _, verb := range []string{"edit", toggle, "run", "export", "delete"} {
			cmds = append(cmds, "`/trellis checkin "+verb+" "+id+"`")
		}
		blocks = append(blocks, slack.NewContextBlock("", views.MrkdwnText(strings.Join(cmds, " · "))))
	}
	return blocks
}

// localTime is t in loc, or in UTC when loc is nil.
func localTime(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc)
}
