package okrs

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// ActionUpdate is the Update button of MyOKRs and the Home tab: it opens
// UpdateModal with the person's key results. Its value is empty: the
// handler reads whose key results they are from the click's user.
const ActionUpdate = "okr:update"

// BlockUpdateButton is the block id of the Update button's row in MyOKRs.
const BlockUpdateButton = "okr_update_button"

// group is one objective and the items of it, in the order first met.
type group struct {
	items []Item
}

// groupByObjective keeps items' order, gathering each objective's key
// results under its first appearance.
func groupByObjective(items []Item) []group {
	var out []group
	at := map[int64]int{}
	for _, it := range items {
		key := it.Objective.ID
		if i, ok := at[key]; ok && key != 0 {
			out[i].items = append(out[i].items, it)
			continue
		}
		at[key] = len(out)
		out = append(out, group{items: []Item{it}})
	}
	return out
}

// objectiveSection is one objective with its key results, one line each,
// as one section: within 3000 characters since a title is at most 150 and
// an objective has at most 5 key results; more lines than fit are counted.
func objectiveSection(g group, now time.Time, owners bool) *slack.SectionBlock {
	o := g.items[0]
	head := ":dart: *" + titleOf(o.Objective.Title, "Objective") + "*"
	if c := strings.TrimSpace(o.Cycle.Name); c != "" {
		head += " · " + views.Mrkdwn(c, maxShownCycle)
	}
	if who := ownerLine(o.Objective); owners && who != "" {
		head += " · " + who
	}
	lines := []string{head}
	used := runes(head)
	for i, it := range g.items {
		line := "• *" + titleOf(it.KR.Title, "Key result") + "*\n      " + progressLine(it, now)
		if used+runes(line)+1 > mrkdwn.MaxSectionText-60 {
			lines = append(lines, fmt.Sprintf("…and %d more key results.", len(g.items)-i))
			break
		}
		used += runes(line) + 1
		lines = append(lines, line)
	}
	return views.Section(strings.Join(lines, "\n"), nil)
}

// objectiveBlocks are the objectives of items, one section each (with
// their owner and team when owners is set), within maxBlocks blocks and
// budget characters of text, with a context line counting those left out
// (reserved within the limits).
func objectiveBlocks(items []Item, now time.Time, maxBlocks, budget int, owners bool, more string) []slack.Block {
	groups := groupByObjective(items)
	var blocks []slack.Block
	used := 0
	const reserve = 120
	for i, g := range groups {
		b := objectiveSection(g, now, owners)
		w := mrkdwn.TextLen(b)
		last := i == len(groups)-1
		need := 1
		if !last {
			need = 2 // room for the count line
		}
		if len(blocks)+need > maxBlocks || used+w+reserve > budget {
			left := len(groups) - i
			if len(blocks)+1 <= maxBlocks {
				blocks = append(blocks, slack.NewContextBlock("", views.MrkdwnText(fmt.Sprintf("…and %d more %s. %s",
					left, views.Plural(left, "objective", "objectives"), more))))
			}
			return blocks
		}
		blocks = append(blocks, b)
		used += w
	}
	return blocks
}

// MyOKRs is the /trellis okr reply: the person's key results grouped by
// objective, each with its progress bar, value and unit, confidence and
// when it was last updated, and an Update button (ActionUpdate). It stays
// within a message's 50 blocks and text budget, counting the objectives it
// leaves out; with no key results it says how to create one. now dates
// "updated 3 days ago".
func MyOKRs(items []Item, now time.Time) []slack.Block {
	if len(items) == 0 {
		return []slack.Block{views.Section(emptyLine, nil)}
	}
	header := slack.NewHeaderBlock(mrkdwn.HeaderText("Your OKRs"))
	button := slack.NewActionBlock(BlockUpdateButton, views.Button(ActionUpdate, "Update my key results", ""))
	blocks := []slack.Block{header}
	blocks = append(blocks, objectiveBlocks(items, now, mrkdwn.MaxMessageBlocks-2, mrkdwn.MessageTextBudget-mrkdwn.TextLen(header), false,
		"`/trellis okr list` shows them all.")...)
	return append(blocks, button)
}

// HomeSection is the OKRs' part of the Home tab: the person's key results
// by objective with their progress, and an Update button (ActionUpdate),
// within the room the tab leaves (views.HomeRoom); with no room it is
// empty, with no key results one line on how to create one.
func HomeSection(items []Item, now time.Time) views.HomeSectionFunc {
	return func(room views.HomeRoom) []slack.Block { return homeBlocks(items, now, room) }
}

// homeBlocks is HomeSection's blocks for room.
func homeBlocks(items []Item, now time.Time, room views.HomeRoom) []slack.Block {
	if room.Blocks < 1 {
		return nil
	}
	if len(items) == 0 {
		b := views.Section(":dart: *OKRs:* you have no key results in this cycle. Create an objective with `/trellis okr new`.", nil)
		if mrkdwn.TextLen(b) > room.Text {
			return nil
		}
		return []slack.Block{b}
	}
	head := views.Section(":dart: *Your OKRs*", slack.NewAccessory(views.Button(ActionUpdate, "Update", "")))
	head.BlockID = "home_okrs"
	blocks := []slack.Block{head}
	if room.Text < mrkdwn.TextLen(head) {
		return nil
	}
	return append(blocks, objectiveBlocks(items, now, room.Blocks-1, room.Text-mrkdwn.TextLen(head), false, "`/trellis okr` lists them all.")...)
}
