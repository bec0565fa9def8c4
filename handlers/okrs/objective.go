package okrs

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The new-objective form: its callback id, block ids and action ids. Each
// key result row i (1 to okrs.MaxKeyResults) has its blocks under
// NewKRBlockID(i, field). ParseNewObjective reads blocks by block id
// alone, so its errors name the same ids for response_action "errors".
const (
	CallbackNewObjective = "okr_new"

	BlockNewTitle      = "okr_new_title"
	BlockNewCycle      = "okr_new_cycle"
	BlockNewTeam       = "okr_new_team"
	BlockNewVisibility = "okr_new_visibility"
	BlockNewParents    = "okr_new_parents"

	ActionNewTitle      = "okr:new-title"
	ActionNewCycle      = "okr:new-cycle"
	ActionNewTeam       = "okr:new-team"
	ActionNewVisibility = "okr:new-visibility"
	// ActionNewParents is the alignment picker, a multi_external_select:
	// Slack asks for its options with a block_suggestion of this action
	// id, answered with AlignmentOptions.
	ActionNewParents = "okr:new-parents"

	// The fields of a key result row, for NewKRBlockID and its action ids
	// ("okr:new-kr-" + field).
	KRFieldTitle    = "title"
	KRFieldKind     = "kind"
	KRFieldStart    = "start"
	KRFieldTarget   = "target"
	KRFieldUnit     = "unit"
	KRFieldDecimals = "decimals"
	KRFieldOwner    = "owner"
)

// NewKRBlockID is the block id of field (KRField…) of key result row
// (1-based) in the new-objective form.
func NewKRBlockID(row int, field string) string {
	return "okr_new_kr" + strconv.Itoa(row) + "_" + field
}

// newKRAction is the action id of a key result row's field.
func newKRAction(field string) string { return "okr:new-kr-" + field }

// kinds are the key result kinds in the order the form offers them.
var kinds = []struct {
	kind  okrs.Kind
	label string
}{
	{okrs.IncreaseTo, "Increase to"},
	{okrs.DecreaseTo, "Decrease to"},
	{okrs.StayAtOrAbove, "Stay at or above"},
	{okrs.StayAtOrBelow, "Stay at or below"},
	{okrs.Milestone, "Milestone (done / not done)"},
}

// Alignment is an objective or key result a new objective may align to,
// as the alignment picker offers it.
type Alignment struct {
	Ref okrs.Ref
	// Title is the objective's or key result's title; Objective the
	// title of a key result's objective ("" for an objective); Cycle the
	// cycle's name.
	Title, Objective, Cycle string
}

// alignmentValue is an option's value: "o:12" for an objective, "k:34"
// for a key result.
func alignmentValue(r okrs.Ref) string {
	p := "o:"
	if r.Kind == okrs.RefKeyResult {
		p = "k:"
	}
	return p + strconv.FormatInt(r.ID, 10)
}

// parseAlignmentValue reads what alignmentValue wrote.
func parseAlignmentValue(s string) (okrs.Ref, bool) {
	kind := okrs.RefObjective
	rest, ok := strings.CutPrefix(s, "o:")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "k:"); !ok {
			return okrs.Ref{}, false
		}
		kind = okrs.RefKeyResult
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != rest {
		return okrs.Ref{}, false
	}
	return okrs.Ref{Kind: kind, ID: id}, true
}

// alignmentOption is a candidate as an option: its title (a key result's
// after its objective's) within 75 characters, and its cycle as the
// description.
func alignmentOption(a Alignment) *slack.OptionBlockObject {
	label := strings.TrimSpace(a.Title)
	if a.Ref.Kind == okrs.RefKeyResult {
		label = "KR: " + label
		if o := strings.TrimSpace(a.Objective); o != "" {
			label += " — " + o
		}
	}
	if label == "" {
		label = "Untitled"
	}
	var desc *slack.TextBlockObject
	if c := strings.TrimSpace(a.Cycle); c != "" {
		desc = views.PlainText(views.Plain(c, maxOptionText))
	}
	return slack.NewOptionBlockObject(alignmentValue(a.Ref), views.PlainText(views.Plain(label, maxOptionText)), desc)
}

// Limits of options.
const (
	maxOptionText = 75
	maxOptions    = 100
)

// AlignmentOptions answers the alignment picker's block_suggestion for
// query: at most 100 of candidates, best match first — the title equal to
// the query, then starting with it, then a word of it starting with it,
// then containing it, then the objective's or cycle's name containing it;
// ties keep the candidates' order, so the answer is stable. Case and
// surrounding blanks are ignored; an empty query offers the candidates in
// their order. Candidates that do not match are left out.
func AlignmentOptions(query string, candidates []Alignment) *slack.OptionsResponse {
	q := strings.ToLower(strings.TrimSpace(query))
	type scored struct {
		a     Alignment
		score int
	}
	var hits []scored
	for _, a := range candidates {
		if a.Ref.ID <= 0 {
			continue
		}
		if s, ok := matchScore(q, a); ok {
			hits = append(hits, scored{a, s})
		}
	}
	slices.SortStableFunc(hits, func(x, y scored) int { return x.score - y.score })
	resp := &slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}
	for _, h := range hits {
		if len(resp.Options) == maxOptions {
			break
		}
		resp.Options = append(resp.Options, alignmentOption(h.a))
	}
	return resp
}

// matchScore ranks how well a matches q (lower is better).
func matchScore(q string, a Alignment) (int, bool) {
	if q == "" {
		return 0, true
	}
	t := strings.ToLower(strings.TrimSpace(a.Title))
	switch {
	case t == q:
		return 0, true
	case strings.HasPrefix(t, q):
		return 1, true
	case slices.ContainsFunc(strings.Fields(t), func(w string) bool { return strings.HasPrefix(w, q) }):
		return 2, true
	case strings.Contains(t, q):
		return 3, true
	case strings.Contains(strings.ToLower(a.Objective), q) || strings.Contains(strings.ToLower(a.Cycle), q):
		return 4, true
	}
	return 0, false
}

// NewObjective is what NewObjectiveModal starts from.
type NewObjective struct {
	// Cycles are the cycles an objective may be created in (at most 100
	// are offered), Cycle the id of the one picked first.
	Cycles []okrs.Cycle
	Cycle  int64
	// Team is the channel the command was typed in, picked first as the
	// team, or "".
	Team string
	// Submitter owns the objective and, until changed, each key result.
	Submitter string
	// Aligned are the alignment picks shown first (at most okrs.MaxParents).
	Aligned []Alignment
	// Editing, when set, is the stored objective the form changes: its
	// title, team, visibility and key results fill the form, which is
	// titled for editing.
	Editing *okrs.Objective
}

// NewObjectiveModal is the form that creates an objective and its key
// results: title, cycle, team (a channel, optional), visibility (the
// workspace, or only the team's channel), what it aligns to (a searchable
// multi_external_select answered by AlignmentOptions, at most
// okrs.MaxParents) and up to okrs.MaxKeyResults key results, each with a
// title, kind, start, target, unit, decimals and owner (the submitter
// unless changed). Rows left blank are ignored. With no cycle to create it
// in, it says so and has no Submit button.
func NewObjectiveModal(n NewObjective) slack.ModalViewRequest {
	if len(n.Cycles) == 0 {
		m := views.Modal(CallbackNewObjective, "New objective", "Create",
			views.Section("There is no cycle to plan in yet. Ask a workspace admin to create one, then try again.", nil))
		m.Submit = nil
		return m
	}
	title := slack.NewPlainTextInputBlockElement(views.PlainText("Make onboarding effortless"), ActionNewTitle)
	title.MaxLength = okrs.MaxTitleLen
	if n.Editing != nil {
		title.InitialValue = n.Editing.Title
	}
	blocks := []slack.Block{views.Input(BlockNewTitle, "Objective", title, false, "A qualitative outcome, in a line.")}

	var cycleOpts []*slack.OptionBlockObject
	for _, c := range n.Cycles {
		if len(cycleOpts) == maxOptions {
			break
		}
		label := strings.TrimSpace(c.Name)
		dates := fmt.Sprintf(" (%s – %s)", c.Start.Format("2 Jan"), c.End.Format("2 Jan 2006"))
		label = views.Plain(label, maxOptionText-runes(dates)) + dates
		cycleOpts = append(cycleOpts, slack.NewOptionBlockObject(strconv.FormatInt(c.ID, 10), views.PlainText(label), nil))
	}
	cycle := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, views.PlainText("Pick a cycle"), ActionNewCycle, cycleOpts...)
	cycle.InitialOption = views.Pick(strconv.FormatInt(n.Cycle, 10), cycleOpts...)
	blocks = append(blocks, views.Input(BlockNewCycle, "Cycle", cycle, false, ""))

	team := slack.NewOptionsSelectBlockElement(slack.OptTypeConversations, views.PlainText("Pick the team's channel"), ActionNewTeam)
	team.Filter = &slack.SelectBlockElementFilter{Include: []string{"public", "private"}, ExcludeBotUsers: true, ExcludeExternalSharedChannels: true}
	if mrkdwn.IsChannelID(n.Team) {
		team.InitialConversation = n.Team
	}
	blocks = append(blocks, views.Input(BlockNewTeam, "Team", team, true, "The team's channel, if it is a team objective."))

	everyone := slack.NewOptionBlockObject(string(okrs.VisibleWorkspace), views.PlainText("The whole workspace"), nil)
	teamOnly := slack.NewOptionBlockObject(string(okrs.VisibleTeam), views.PlainText("Only the team's channel"), views.PlainText("Its members, as Slack has them"))
	vis := slack.NewRadioButtonsBlockElement(ActionNewVisibility, everyone, teamOnly)
	vis.InitialOption = everyone
	if n.Editing != nil && n.Editing.Visibility == okrs.VisibleTeam {
		vis.InitialOption = teamOnly
	}
	blocks = append(blocks, views.Input(BlockNewVisibility, "Who sees it", vis, false, ""))

	parents := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeExternal, views.PlainText("Search objectives and key results"), ActionNewParents)
	parents.MinQueryLength = new(int) // 0: the list shows as soon as it opens, and narrows as one types
	maxParents := okrs.MaxParents
	parents.MaxSelectedItems = &maxParents
	for i, a := range n.Aligned {
		if i == okrs.MaxParents {
			break
		}
		parents.InitialOptions = append(parents.InitialOptions, alignmentOption(a))
	}
	blocks = append(blocks, views.Input(BlockNewParents, "Aligns to", parents, true,
		fmt.Sprintf("Up to %d objectives or key results this one contributes to, in this cycle or one that ends earlier.", okrs.MaxParents)))

	for row := 1; row <= okrs.MaxKeyResults; row++ {
		var kr *okrs.KeyResult
		if n.Editing != nil && row <= len(n.Editing.KeyResults) {
			kr = &n.Editing.KeyResults[row-1]
		}
		blocks = append(blocks, krRow(row, n.Submitter, kr)...)
	}
	if n.Editing != nil {
		return views.Modal(CallbackNewObjective, "Edit objective", "Save", blocks...)
	}
	return views.Modal(CallbackNewObjective, "New objective", "Create", blocks...)
}

// krRow is key result row's blocks: a heading and its seven inputs,
// filled from kr when it is set (the edit form).
func krRow(row int, owner string, kr *okrs.KeyResult) []slack.Block {
	head := fmt.Sprintf("*Key result %d*", row)
	if row == 1 {
		head += "\nHow you'll know the objective is reached. Leave a row empty to skip it."
	}
	text := func(field, placeholder string, maxLen int) *slack.PlainTextInputBlockElement {
		e := slack.NewPlainTextInputBlockElement(views.PlainText(placeholder), newKRAction(field))
		e.MaxLength = maxLen
		return e
	}
	var kindOpts []*slack.OptionBlockObject
	for _, k := range kinds {
		kindOpts = append(kindOpts, slack.NewOptionBlockObject(string(k.kind), views.PlainText(k.label), nil))
	}
	kind := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, views.PlainText("Pick how it's measured"), newKRAction(KRFieldKind), kindOpts...)
	kind.InitialOption = kindOpts[0]
	if kr != nil {
		kind.InitialOption = views.Pick(string(kr.Kind), kindOpts...)
		owner = kr.Owner
	}
	var decOpts []*slack.OptionBlockObject
	for d := 0; d <= okrs.MaxDecimals; d++ {
		decOpts = append(decOpts, slack.NewOptionBlockObject(strconv.Itoa(d), views.PlainText(strconv.Itoa(d)), nil))
	}
	dec := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, views.PlainText("0"), newKRAction(KRFieldDecimals), decOpts...)
	titleIn := text(KRFieldTitle, "Weekly active teams from 40 to 60", okrs.MaxTitleLen)
	startIn := text(KRFieldStart, "40", maxValueText)
	targetIn := text(KRFieldTarget, "60", maxValueText)
	unitIn := text(KRFieldUnit, "teams", okrs.MaxUnitLen)
	if kr != nil {
		titleIn.InitialValue, unitIn.InitialValue = kr.Title, kr.Unit
		if kr.Kind != okrs.Milestone {
			startIn.InitialValue = strconv.FormatFloat(kr.Start, 'f', -1, 64)
			targetIn.InitialValue = strconv.FormatFloat(kr.Target, 'f', -1, 64)
		}
		dec.InitialOption = views.Pick(strconv.Itoa(kr.Decimals), decOpts...)
	}
	who := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, views.PlainText("Pick a person"), newKRAction(KRFieldOwner))
	if mrkdwn.IsUserID(owner) {
		who.InitialUser = owner
	}
	heading := views.Section(head, nil)
	heading.BlockID = NewKRBlockID(row, "head")
	return []slack.Block{
		heading,
		views.Input(NewKRBlockID(row, KRFieldTitle), "Title", titleIn, true, ""),
		views.Input(NewKRBlockID(row, KRFieldKind), "Kind", kind, true, ""),
		views.Input(NewKRBlockID(row, KRFieldStart), "Start", startIn, true, "Where it stands now. Not needed for a milestone."),
		views.Input(NewKRBlockID(row, KRFieldTarget), "Target", targetIn, true, "Not needed for a milestone."),
		views.Input(NewKRBlockID(row, KRFieldUnit), "Unit", unitIn, true, "Like %, customers or ms."),
		views.Input(NewKRBlockID(row, KRFieldDecimals), "Decimals shown", dec, true, "0 unless you pick more."),
		views.Input(NewKRBlockID(row, KRFieldOwner), "Owner", who, true, "Who updates it; you, unless you pick someone."),
	}
}

// ParseNewObjective reads the new-objective form's state.values into an
// objective owned by submitter, with its key results (owned by the person
// picked, else submitter) in row order, blank rows left out. It returns,
// when anything is wrong, a message per block id for response_action
// "errors": numbers that cannot be read (ParseNumber), an alignment pick
// the form does not offer, every problem okrs.Objective.Validate finds,
// each on its field and row (a problem about the key results as a whole,
// or no key result at all, on the first row's title). Whether the parents
// exist and may be aligned to is okrs.CheckAlignment's: the handler puts
// its problems on BlockNewParents (NewObjectiveFieldBlock). The team and
// the owners are ids from Slack's pickers, as a payload carries them: the
// handler checks them (the team is a channel the submitter is in) before
// storing anything.
//
// A key result row is blank when its title, start, target and unit are
// all empty (kind, decimals and owner have defaults). A milestone ignores
// start, target, unit and decimals; a threshold (stay at or above/below)
// left without a start starts at 0, as it is only a baseline.
func ParseNewObjective(values map[string]map[string]slack.BlockAction, submitter string) (okrs.Objective, map[string]string) {
	get := func(block string) slack.BlockAction {
		for _, a := range values[block] { // one element per block
			return a
		}
		return slack.BlockAction{}
	}
	errs := map[string]string{}
	add := func(block, msg string) {
		if errs[block] == "" {
			errs[block] = msg
		}
	}

	o := okrs.Objective{
		Title:      strings.TrimSpace(get(BlockNewTitle).Value),
		Owner:      submitter,
		Team:       get(BlockNewTeam).SelectedConversation,
		Visibility: okrs.Visibility(get(BlockNewVisibility).SelectedOption.Value),
	}
	if o.Visibility == "" {
		o.Visibility = okrs.VisibleWorkspace
	}
	if v := get(BlockNewCycle).SelectedOption.Value; v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			add(BlockNewCycle, "Pick the cycle from the list.")
		}
		o.CycleID = id
	} else {
		add(BlockNewCycle, "Pick the cycle the objective belongs to.")
	}
	for _, opt := range get(BlockNewParents).SelectedOptions {
		r, ok := parseAlignmentValue(opt.Value)
		if !ok {
			add(BlockNewParents, "Pick what it aligns to from the list.")
			continue
		}
		o.Parents = append(o.Parents, r)
	}

	var rows []int // rows[i] is the form row of o.KeyResults[i]
	for row := 1; row <= okrs.MaxKeyResults; row++ {
		b := func(field string) string { return NewKRBlockID(row, field) }
		k := okrs.KeyResult{
			Title: strings.TrimSpace(get(b(KRFieldTitle)).Value),
			Kind:  okrs.Kind(get(b(KRFieldKind)).SelectedOption.Value),
			Unit:  strings.TrimSpace(get(b(KRFieldUnit)).Value),
			Owner: get(b(KRFieldOwner)).SelectedUser,
		}
		start := strings.TrimSpace(get(b(KRFieldStart)).Value)
		target := strings.TrimSpace(get(b(KRFieldTarget)).Value)
		if k.Title == "" && start == "" && target == "" && k.Unit == "" {
			continue
		}
		if k.Owner == "" {
			k.Owner = submitter
		}
		if k.Kind == "" {
			k.Kind = okrs.IncreaseTo
		}
		if k.Kind == okrs.Milestone {
			k.Start, k.Target, k.Unit = 0, 1, ""
		} else {
			if d := get(b(KRFieldDecimals)).SelectedOption.Value; d != "" {
				n, err := strconv.Atoi(d)
				if err != nil {
					add(b(KRFieldDecimals), "Pick how many decimals from the list.")
				}
				k.Decimals = n
			}
			switch {
			case start != "":
				v, msg := ParseNumber(start, k.Unit)
				if msg != "" {
					add(b(KRFieldStart), msg)
				}
				k.Start = v
			case k.Kind == okrs.IncreaseTo || k.Kind == okrs.DecreaseTo:
				add(b(KRFieldStart), "Give the value it starts from, like 40.")
			}
			if target == "" {
				add(b(KRFieldTarget), "Give the target, like 60.")
			} else {
				v, msg := ParseNumber(target, k.Unit)
				if msg != "" {
					add(b(KRFieldTarget), msg)
				}
				k.Target = v
			}
		}
		o.KeyResults = append(o.KeyResults, k)
		rows = append(rows, row)
	}
	if len(o.KeyResults) == 0 {
		add(NewKRBlockID(1, KRFieldTitle), "Add at least one key result: how will you know the objective is reached?")
	}

	if err := o.Validate(); err != nil {
		var ve *okrs.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				row := 0
				if p.Item > 0 && p.Item <= len(rows) {
					row = rows[p.Item-1]
				}
				add(NewObjectiveFieldBlock(p.Field, row), p.Message)
			}
		}
	}
	if len(errs) > 0 {
		return okrs.Objective{}, errs
	}
	return o, nil
}

// NewObjectiveFieldBlock is the block id of the new-objective form where a
// problem on field (okrs.Field…) of key result row (1-based; 0 for the
// objective) is shown.
func NewObjectiveFieldBlock(field string, row int) string {
	if row > 0 {
		switch field {
		case okrs.FieldKind:
			return NewKRBlockID(row, KRFieldKind)
		case okrs.FieldStart:
			return NewKRBlockID(row, KRFieldStart)
		case okrs.FieldTarget:
			return NewKRBlockID(row, KRFieldTarget)
		case okrs.FieldUnit:
			return NewKRBlockID(row, KRFieldUnit)
		case okrs.FieldDecimals:
			return NewKRBlockID(row, KRFieldDecimals)
		case okrs.FieldOwner:
			return NewKRBlockID(row, KRFieldOwner)
		}
		return NewKRBlockID(row, KRFieldTitle)
	}
	switch field {
	case okrs.FieldTeam:
		return BlockNewTeam
	case okrs.FieldVisibility:
		return BlockNewVisibility
	case okrs.FieldParents:
		return BlockNewParents
	case okrs.FieldKeyResults:
		return NewKRBlockID(1, KRFieldTitle)
	}
	return BlockNewTitle
}
