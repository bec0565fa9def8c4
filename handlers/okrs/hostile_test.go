package okrs_test

import (
	"strings"
	"testing"

	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// allowedMentions are the mentions the OKR surfaces build on purpose, from
// the ids of an objective's owner and team.
var allowedMentions = []string{"@U0OWNER", "#C0TEAM"}

// surface is one thing Trellis shows: what it sends and where.
type surface = blockkittest.Surface

// surfaces builds every OKR surface with v in every field a person typed
// (titles, units, notes, cycle names), bounded as the store bounds it.
func surfaces(v string) []surface {
	its := items(30, v)
	var cands []okrhandlers.Alignment
	var treeObjs []okrhandlers.TreeObjective
	for i, it := range its {
		cands = append(cands, okrhandlers.Alignment{Ref: okrs.Ref{Kind: okrs.RefKeyResult, ID: it.KR.ID}, Title: it.KR.Title, Objective: it.Objective.Title, Cycle: it.Cycle.Name})
		o := it.Objective
		o.ID = int64(i + 1)
		o.KeyResults = []okrs.KeyResult{it.KR}
		if i > 0 {
			o.Parents = []okrs.Ref{{Kind: okrs.RefKeyResult, ID: its[i-1].KR.ID}, {Kind: okrs.RefObjective, ID: int64(i)}}
		}
		treeObjs = append(treeObjs, okrhandlers.TreeObjective{Objective: o, Progress: 0.5})
	}
	home := views.Home(views.Summary{UserID: "U1", LocalNow: now, Budget: 3}, okrhandlers.HomeSection(its, now))
	return []surface{
		{Name: "UpdateModal", Kind: blockkit.Modal, V: okrhandlers.UpdateModal(its, now, "")},
		{Name: "NewObjectiveModal", Kind: blockkit.Modal, V: newForm(v)},
		{Name: "AlignmentOptions", Kind: blockkit.Modal, V: okrhandlers.AlignmentOptions("", cands)},
		{Name: "MyOKRs", Kind: blockkit.Message, V: okrhandlers.MyOKRs(its, now)},
		{Name: "ObjectiveList", Kind: blockkit.Message, V: okrhandlers.ObjectiveList(its, v, now)},
		{Name: "Tree", Kind: blockkit.Message, V: okrhandlers.Tree(treeObjs, 1)},
		{Name: "Tree page 2", Kind: blockkit.Message, V: okrhandlers.Tree(treeObjs, 2)},
		{Name: "Home", Kind: blockkit.Home, V: home},
	}
}

// TestHostileTextOnEverySurface: whatever a person typed into an
// objective, a key result, its unit, a note or a cycle's name, every OKR
// surface shows it as text (no live broadcast, mention or link but the
// owners and teams built from ids, every mrkdwn text verbatim) and keeps
// every Block Kit limit.
func TestHostileTextOnEverySurface(t *testing.T) {
	blockkittest.CheckHostileText(t, surfaces, allowedMentions...)
}

// TestHostileTextShown: the text survives as text: a broadcast typed into
// a title shows, escaped, rather than vanishing.
func TestHostileTextShown(t *testing.T) {
	blockkittest.CheckTextShown(t, surfaces("<!channel>"))
}

// TestHostileModalsKeepLimits: the forms drawn from hostile text keep
// every limit CheckModalLimits knows (labels, hints, placeholders, option
// texts, initial values within max_length).
func TestHostileModalsKeepLimits(t *testing.T) {
	for kind, v := range hostile {
		t.Run(kind, func(t *testing.T) {
			checkModalLimits(t, okrhandlers.UpdateModal(items(30, v), now, ""))
			checkModalLimits(t, newForm(v))
		})
	}
}

// TestStableIDs: the ids Slack echoes back — action ids of buttons in
// messages already sent, callback ids of open forms, block ids that
// errors name — keep their values, so a click on an old message or a form
// opened before an upgrade still reaches its handler.
func TestStableIDs(t *testing.T) {
	for got, want := range map[string]string{
		okrhandlers.ActionUpdate:                "okr:update",
		okrhandlers.ActionUpdateNoChange:        "okr:update-same",
		okrhandlers.ActionUpdateValue:           "okr:update-value",
		okrhandlers.ActionUpdateConfidence:      "okr:update-confidence",
		okrhandlers.ActionUpdateNote:            "okr:update-note",
		okrhandlers.ActionTreePrev:              "okr:tree-prev",
		okrhandlers.ActionTreeNext:              "okr:tree-next",
		okrhandlers.ActionNewParents:            "okr:new-parents",
		okrhandlers.CallbackUpdate:              "okr_update",
		okrhandlers.CallbackNewObjective:        "okr_new",
		okrhandlers.UpdateValueBlockID(42):      "okr_value_42",
		okrhandlers.UpdateConfidenceBlockID(42): "okr_conf_42",
		okrhandlers.UpdateNoteBlockID(42):       "okr_note_42",
		okrhandlers.UpdateKRBlockID(42):         "okr_kr_42",
		okrhandlers.NewKRBlockID(2, "target"):   "okr_new_kr2_target",
		okrhandlers.BlockNewParents:             "okr_new_parents",
		okrhandlers.BlockTreePages:              "okr_tree_pages",
		okrhandlers.BlockUpdateButton:           "okr_update_button",
		okrhandlers.ValueNoChange + "/" + okrhandlers.ValueDone + "/" + okrhandlers.ValueNotDone: "same/done/not_done",
	} {
		if got != want {
			t.Errorf("id %q, want %q", got, want)
		}
	}
	// Every interactive element of every surface is namespaced "okr:",
	// and none is shared with another capability's ids.
	for _, s := range surfaces("x") {
		raw := string(mustJSON(t, s.V))
		for _, part := range strings.Split(raw, `"action_id":"`)[1:] {
			id := part[:strings.IndexByte(part, '"')]
			if !strings.HasPrefix(id, "okr:") && !strings.HasPrefix(id, "home:") {
				t.Errorf("%s: action id %q is not namespaced okr:", s.Name, id)
			}
			if s.Name != "Home" && !strings.HasPrefix(id, "okr:") {
				t.Errorf("%s: action id %q is not namespaced okr:", s.Name, id)
			}
		}
	}
}
