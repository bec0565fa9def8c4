package okrs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// ObjectiveList is the /trellis okr list reply: heading (plain text the
// handler wrote, such as "Objectives in #growth") as a header, then each
// objective of items with its owner and team and its key results, as
// MyOKRs shows them. Owners and teams are mentions built only from ids
// shaped like Slack's. It stays within a message's limits, counting the
// objectives it leaves out; an empty list says how to create one.
func ObjectiveList(items []Item, heading string, now time.Time) []slack.Block {
	var blocks []slack.Block
	used := 0
	if h := strings.TrimSpace(heading); h != "" {
		b := slack.NewHeaderBlock(mrkdwn.HeaderText(views.Plain(h, mrkdwn.MaxHeaderText)))
		blocks = append(blocks, b)
		used += mrkdwn.TextLen(b)
	}
	if len(items) == 0 {
		return append(blocks, views.Section("No objectives here yet. Create one with `/trellis okr new`.", nil))
	}
	return append(blocks, objectiveBlocks(items, now, mrkdwn.MaxMessageBlocks-len(blocks), mrkdwn.MessageTextBudget-used, true,
		"Narrow the list with `/trellis okr list #channel` or `/trellis okr list @person`.")...)
}

// ownerLine is "<@U1> · <#C1>" for an objective's owner and team, from
// ids shaped like Slack's only; "" when neither is.
func ownerLine(o okrs.Objective) string {
	var parts []string
	if mrkdwn.IsUserID(o.Owner) {
		parts = append(parts, "<@"+o.Owner+">")
	}
	if mrkdwn.IsChannelID(o.Team) {
		parts = append(parts, "<#"+o.Team+">")
	}
	return strings.Join(parts, " · ")
}

// Action ids of the tree's page buttons; a button's value is the number
// (1-based) of the page it shows.
const (
	ActionTreePrev = "okr:tree-prev"
	ActionTreeNext = "okr:tree-next"
	// BlockTreePages is the block id of the tree's page buttons.
	BlockTreePages = "okr_tree_pages"
)

// treePageSize is how many objectives a page of the tree shows: with the
// longest titles, 25 lines stay well inside a message's text budget.
const treePageSize = 25

// maxIndent is the deepest indentation drawn; deeper objectives say their
// level.
const maxIndent = 6

// TreeObjective is an objective in the alignment tree, with its progress
// (okrs.ObjectiveProgress of its key results' current values).
type TreeObjective struct {
	Objective okrs.Objective
	Progress  float64
}

// treeLine is one objective placed in the tree.
type treeLine struct {
	o     TreeObjective
	depth int
	// via is the title of the key result it aligns to, or "".
	via string
	// others is how many more parents it aligns to than the one it is
	// drawn under.
	others int
}

// flattenTree orders objectives as the tree draws them: each under its
// first parent among objectives (an objective, or the objective of a key
// result), children after their parent, siblings and roots by id, so the
// order is stable. An objective whose parents are all unknown is a root;
// parents that loop (which okrs.CheckAlignment prevents) are drawn once.
func flattenTree(objectives []TreeObjective) []treeLine {
	byID := map[int64]TreeObjective{}
	krOwner := map[int64]okrs.Objective{}
	for _, t := range objectives {
		byID[t.Objective.ID] = t
		for _, k := range t.Objective.KeyResults {
			krOwner[k.ID] = t.Objective
		}
	}
	type placed struct {
		parent int64
		via    string
		others int
	}
	place := map[int64]placed{}
	children := map[int64][]int64{}
	var roots []int64
	ids := make([]int64, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		o := byID[id].Objective
		found := false
		known := 0
		var p placed
		for _, r := range o.Parents {
			var parent int64
			var via string
			switch r.Kind {
			case okrs.RefObjective:
				if _, ok := byID[r.ID]; ok {
					parent = r.ID
				}
			case okrs.RefKeyResult:
				if po, ok := krOwner[r.ID]; ok {
					parent = po.ID
					for _, k := range po.KeyResults {
						if k.ID == r.ID {
							via = k.Title
						}
					}
				}
			}
			if parent == 0 || parent == id {
				continue
			}
			known++
			if !found {
				found, p = true, placed{parent: parent, via: via}
			}
		}
		if !found {
			roots = append(roots, id)
			continue
		}
		p.others = known - 1
		place[id] = p
		children[p.parent] = append(children[p.parent], id)
	}
	var out []treeLine
	seen := map[int64]bool{}
	var walk func(id int64, depth int)
	walk = func(id int64, depth int) {
		if seen[id] {
			return
		}
		seen[id] = true
		p := place[id]
		out = append(out, treeLine{o: byID[id], depth: depth, via: p.via, others: p.others})
		for _, c := range children[id] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	// Objectives only reachable through a loop have no root: draw them too.
	for _, id := range ids {
		if !seen[id] {
			walk(id, 0)
		}
	}
	return out
}

// Tree is the /trellis okr tree reply: the alignment tree of objectives,
// each indented under what it aligns to with its progress, title and
// owner, page (1-based; clamped into range) of it at treePageSize
// objectives a page, with Previous and Next buttons (ActionTreePrev,
// ActionTreeNext, valued with the page they show) and where it stands.
// The order is stable: roots and siblings by id. An empty tree says how to
// create an objective.
func Tree(objectives []TreeObjective, page int) []slack.Block {
	lines := flattenTree(objectives)
	if len(lines) == 0 {
		return []slack.Block{views.Section("No objectives to show yet. Create one with `/trellis okr new`.", nil)}
	}
	pages := (len(lines) + treePageSize - 1) / treePageSize
	page = max(1, min(page, pages))
	header := slack.NewHeaderBlock(mrkdwn.HeaderText("Alignment tree"))
	blocks := []slack.Block{header}
	var cur []string
	curLen := 0
	flush := func() {
		if len(cur) > 0 {
			blocks = append(blocks, views.Section(strings.Join(cur, "\n"), nil))
			cur, curLen = nil, 0
		}
	}
	for _, l := range lines[(page-1)*treePageSize : min(page*treePageSize, len(lines))] {
		s := treeText(l)
		if curLen+runes(s)+1 > mrkdwn.MaxSectionText {
			flush()
		}
		cur = append(cur, s)
		curLen += runes(s) + 1
	}
	flush()
	blocks = append(blocks, slack.NewContextBlock("", views.MrkdwnText(fmt.Sprintf("Page %d of %d · %d %s",
		page, pages, len(lines), views.Plural(len(lines), "objective", "objectives")))))
	var nav []slack.BlockElement
	if page > 1 {
		nav = append(nav, views.Button(ActionTreePrev, "← Previous page", strconv.Itoa(page-1)))
	}
	if page < pages {
		nav = append(nav, views.Button(ActionTreeNext, "Next page →", strconv.Itoa(page+1)))
	}
	if len(nav) > 0 {
		blocks = append(blocks, slack.NewActionBlock(BlockTreePages, nav...))
	}
	return blocks
}

// treeText is one line of the tree.
func treeText(l treeLine) string {
	var b strings.Builder
	b.WriteString(strings.Repeat("\u2003\u2003", min(l.depth, maxIndent)))
	if l.depth > 0 {
		b.WriteString("↳ ")
	}
	b.WriteString(Bar(l.o.Progress) + " *" + titleOf(l.o.Objective.Title, "Objective") + "*")
	if who := ownerLine(l.o.Objective); who != "" {
		b.WriteString(" · " + who)
	}
	var notes []string
	if l.depth > maxIndent {
		notes = append(notes, fmt.Sprintf("level %d", l.depth+1))
	}
	if v := strings.TrimSpace(l.via); v != "" {
		notes = append(notes, "via "+views.Mrkdwn(v, 60))
	}
	if l.others > 0 {
		notes = append(notes, fmt.Sprintf("also aligns to %d more", l.others))
	}
	if len(notes) > 0 {
		b.WriteString(" _(" + strings.Join(notes, ", ") + ")_")
	}
	return b.String()
}

// ParseTreePage reads a page button's value: the page, and false for a
// value the buttons never carry.
func ParseTreePage(value string) (int, bool) {
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 || strconv.Itoa(n) != value {
		return 0, false
	}
	return n, true
}
