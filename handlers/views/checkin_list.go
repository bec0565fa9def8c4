package views

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/checkins"
	"github.com/trellis-bot/trellis/models"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The list of check-ins (/trellis checkin list) and the check-ins part of
// the Home tab. The Block Kit of the check-ins' own messages (the prompt
// DM, digests, channel posts) is in jobs/checkins. Everything a person
// typed is escaped, so nothing here can @-mention anyone.

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
		h := slack.NewHeaderBlock(mrkdwn.HeaderText(Plain(t, mrkdwn.MaxHeaderText)))
		blocks = append(blocks, h)
		used += mrkdwn.TextLen(h)
	}
	if len(items) == 0 {
		return append(blocks, section("No check-ins yet. Start one with `/trellis checkin new` in the channel it's for.", nil))
	}
	const reserve = 40 // the "and N more" line
	for i, it := range items {
		item := checkinListBlocks(it, buttons)
		w := 0
		for _, b := range item {
			w += mrkdwn.TextLen(b)
		}
		if len(blocks)+len(item)+1 > maxBlocks || used+w+reserve > budget {
			return append(blocks, slack.NewContextBlock("", text(fmt.Sprintf("and %d more", len(items)-i))))
		}
		blocks = append(blocks, item...)
		used += w
	}
	return blocks
}

// checkinListBlocks is one check-in of CheckinList, with the Home tab's
// buttons when buttons is set.
func checkinListBlocks(it CheckinListItem, buttons bool) []slack.Block {
	name := Mrkdwn(strings.TrimSpace(it.Name), mrkdwn.MaxHeaderText)
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
		facts = append(facts, Mrkdwn(cad, models.MaxCadenceLen))
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
		blocks := []slack.Block{section(body, nil)}
		if row := homeCheckinActions(it); row != nil {
			blocks = append(blocks, row)
		}
		return blocks
	}
	blocks := []slack.Block{section(body, nil)}
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
		blocks = append(blocks, slack.NewContextBlock("", text(strings.Join(cmds, " · "))))
	}
	return blocks
}

// HomeCheckins is the check-ins part of the Home tab.
type HomeCheckins struct {
	// Mine are the check-ins the person takes part in.
	Mine []CheckinListItem
	// Waiting are the rounds waiting for their answer.
	Waiting []HomeWaiting
}

// HomeWaiting is a round waiting for the person's answer.
type HomeWaiting struct {
	RoundID, CheckinID int64
	// Label names the round, such as "Daily stand-up · Tue 24 Nov".
	Label    string
	ClosesAt time.Time
	// Loc is the person's timezone; nil means UTC.
	Loc *time.Location
	// Status is checkinmodels.ResponseSnoozed or checkinmodels.ResponseSkipped when the
	// person did that, else empty.
	Status string
}

// homeMaxWaiting is the most waiting rounds the Home tab shows.
const homeMaxWaiting = 10

// homeCheckinBlocks is the check-ins part of the Home tab: the rounds
// waiting for an answer, each with an Answer button, then the person's
// check-ins as CheckinList shows them, with buttons instead of commands. When the next one waits (outside
// working hours, on a holiday), the Coming up list above says why. It
// takes at most maxBlocks blocks (at least 4) and about budget characters
// of text.
func homeCheckinBlocks(h HomeCheckins, maxBlocks, budget int) []slack.Block {
	if len(h.Mine) == 0 && len(h.Waiting) == 0 {
		return []slack.Block{section(":memo: *Check-ins:* you're not in any yet. "+
			"Start one with `/trellis checkin new` in the channel it's for.", nil)}
	}
	blocks := []slack.Block{section(":memo: *Check-ins*", nil)}
	seen := map[int64]bool{}
	waiting := 0
	for _, w := range h.Waiting {
		if w.RoundID <= 0 || w.CheckinID <= 0 || seen[w.RoundID] {
			continue
		}
		seen[w.RoundID] = true
		if waiting++; waiting > homeMaxWaiting {
			continue
		}
		label := Mrkdwn(strings.TrimSpace(w.Label), mrkdwn.MaxHeaderText)
		if label == "" {
			label = "A check-in"
		}
		s := "*" + label + "* is waiting for your answer"
		if !w.ClosesAt.IsZero() {
			s += " · open until " + localTime(w.ClosesAt, w.Loc).Format("Mon 2 Jan, 15:04")
		}
		switch w.Status {
		case checkinmodels.ResponseSnoozed:
			s += " · _Snoozed_"
		case checkinmodels.ResponseSkipped:
			s += " · _Skipped, you can still answer_"
		}
		b := section(s, slack.NewAccessory(button(checkins.ActionCheckinAnswer, "Answer", checkins.AnswerMetadata(w.RoundID, w.CheckinID))))
		b.BlockID = "home_checkin_" + strconv.FormatInt(w.RoundID, 10)
		blocks = append(blocks, b)
	}
	if waiting > homeMaxWaiting {
		blocks = append(blocks, slack.NewContextBlock("", text(fmt.Sprintf("and %d more waiting for you — they're in your DMs with Trellis.", waiting-homeMaxWaiting))))
	}
	if len(h.Mine) > 0 {
		why := slack.NewContextBlock("", text("Each one reaches you at its time in your timezone, inside your working hours; "+
			"*Coming up* above says when one will wait, and why."))
		used := mrkdwn.TextLen(why)
		for _, b := range blocks {
			used += mrkdwn.TextLen(b)
		}
		blocks = append(blocks, checkinList(h.Mine, "", max(maxBlocks-len(blocks)-1, 1), max(budget-used, 0), true)...)
		blocks = append(blocks, why)
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
