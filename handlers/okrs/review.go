package okrs

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models/okrs"
)

// The review form: per key result a grade (0.0 to 1.0 in tenths, the
// prefilled one chosen) and a decision (done, carry over, drop), and per
// objective a "what we learned" note. The cycle rides in the view's
// private_metadata; ParseReview reads it back, and the store checks every
// id against what is stored.

// CallbackReview is the callback id of the review form.
const CallbackReview = "okr_review"

// MaxReviewItems is how many key results one review form holds: with a
// grade and a decision each and a heading and a note per objective, 20
// keep the form inside Slack's 100 blocks however they are spread over
// objectives. A person with more reviews them over several forms.
const MaxReviewItems = 20

// The action ids inside the review form's blocks, whose ids name the key
// result or objective ("okr_review_grade_12").
const (
	actionGrade    = "grade"
	actionDecision = "decision"
	actionLearned  = "learned"
)

// Block id prefixes of the review form.
const (
	blockGrade    = "okr_review_grade_"
	blockDecision = "okr_review_decision_"
	blockLearned  = "okr_review_learned_"
	blockHead     = "okr_review_objective_"
)

// ReviewGradeBlock, ReviewDecisionBlock and ReviewLearnedBlock are the
// block ids of a key result's grade and decision and of an objective's
// note, where a form shows their problems.
func ReviewGradeBlock(krID int64) string { return blockGrade + strconv.FormatInt(krID, 10) }

// ReviewDecisionBlock is the block id of a key result's decision.
func ReviewDecisionBlock(krID int64) string { return blockDecision + strconv.FormatInt(krID, 10) }

// ReviewLearnedBlock is the block id of an objective's note.
func ReviewLearnedBlock(objectiveID int64) string {
	return blockLearned + strconv.FormatInt(objectiveID, 10)
}

// ReviewItem is one key result in the review form, with what the form
// starts from.
type ReviewItem struct {
	KeyResult okrs.KeyResult
	// Objective is the key result's objective (its id and title are read).
	Objective okrs.Objective
	// Final is the key result's effective state at the cycle's end.
	Final okrs.Effective
	// Grade is the grade the form starts from: okrs.PrefillGrade, or the
	// grade of a review submitted before.
	Grade float64
	// Decision is the decision the form starts from, "" for none chosen.
	Decision okrs.Decision
	// Learned is the person's note on the objective so far; the first
	// item of an objective gives it.
	Learned string
}

// ReviewModal is the review form of cycle for items (at most
// MaxReviewItems; the caller keeps the rest for another form), grouped by
// objective in the order their first key result comes.
func ReviewModal(cycle okrs.Cycle, items []ReviewItem) slack.ModalViewRequest {
	items = items[:min(len(items), MaxReviewItems)]
	intro := fmt.Sprintf("*%s* ended on %s. Each grade starts from the key result's progress; change it as you see fit. "+
		"*Carry over* continues a key result in the next cycle from its final value, with its history.",
		views.Mrkdwn(strings.TrimSpace(cycle.Name), okrs.MaxNameLen), cycle.End.Format("2 January 2006"))
	blocks := []slack.Block{views.Section(intro, nil)}
	var order []int64
	byObjective := map[int64][]ReviewItem{}
	for _, it := range items {
		id := it.Objective.ID
		if _, ok := byObjective[id]; !ok {
			order = append(order, id)
		}
		byObjective[id] = append(byObjective[id], it)
	}
	for _, id := range order {
		its := byObjective[id]
		head := slack.NewSectionBlock(views.MrkdwnText("*"+views.Mrkdwn(strings.TrimSpace(its[0].Objective.Title), okrs.MaxTitleLen)+"*"),
			nil, nil, slack.SectionBlockOptionBlockID(blockHead+strconv.FormatInt(id, 10)))
		blocks = append(blocks, head)
		for _, it := range its {
			blocks = append(blocks, gradeInput(it), decisionInput(it))
		}
		note := slack.NewPlainTextInputBlockElement(views.PlainText("What worked, what didn't, what you'd do differently"), actionLearned)
		note.Multiline = true
		note.MaxLength = okrs.MaxLearnedLen
		note.InitialValue = views.Clip(strings.TrimSpace(its[0].Learned), okrs.MaxLearnedLen)
		blocks = append(blocks, views.Input(ReviewLearnedBlock(id), "What we learned", note, true, ""))
	}
	m := views.Modal(CallbackReview, "Review key results", "Save review", blocks...)
	m.PrivateMetadata = strconv.FormatInt(cycle.ID, 10)
	return m
}

// gradeOptions are the grades a form offers: 0.0 to 1.0 in tenths.
func gradeOptions() []*slack.OptionBlockObject {
	opts := make([]*slack.OptionBlockObject, 0, 11)
	for i := 0; i <= 10; i++ {
		v := gradeValue(float64(i) / 10)
		opts = append(opts, slack.NewOptionBlockObject(v, views.PlainText(v), nil))
	}
	return opts
}

// gradeValue is a grade as the form writes it: "0.7".
func gradeValue(g float64) string { return strconv.FormatFloat(okrs.RoundGrade(g), 'f', 1, 64) }

// gradeInput is a key result's grade: its title as the label, its final
// value and progress as the hint, the grade chosen.
func gradeInput(it ReviewItem) *slack.InputBlock {
	opts := gradeOptions()
	menu := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, views.PlainText("Grade"), actionGrade, opts...)
	menu.InitialOption = views.Pick(gradeValue(it.Grade), opts...)
	label := views.Plain(strings.TrimSpace(it.KeyResult.Title), okrs.MaxTitleLen)
	return views.Input(ReviewGradeBlock(it.KeyResult.ID), label, menu, false, finalHint(it))
}

// finalHint says where a key result ended: "Ended at 55 % (target 60 %),
// 75% of the way." Units are plain text here.
func finalHint(it ReviewItem) string {
	k := it.KeyResult
	final := okrs.FinalValue(k, it.Final)
	p := okrs.Percent(k.Progress(final))
	switch k.Kind {
	case okrs.Milestone:
		if final >= 1 {
			return "Done."
		}
		return "Not done."
	case okrs.StayAtOrAbove, okrs.StayAtOrBelow:
		met := "met"
		if p < 100 {
			met = "not met"
		}
		return fmt.Sprintf("Ended at %s (%s %s): %s.", reviewWithUnit(final, k), reviewKindWords(k.Kind), reviewWithUnit(k.Target, k), met)
	}
	return fmt.Sprintf("Ended at %s (target %s), %d%% of the way.", reviewWithUnit(final, k), reviewWithUnit(k.Target, k), p)
}

// reviewKindWords names a threshold in a hint.
func reviewKindWords(k okrs.Kind) string {
	if k == okrs.StayAtOrBelow {
		return "stay at or below"
	}
	return "stay at or above"
}

// reviewWithUnit is v with k's decimals and unit, for plain text.
func reviewWithUnit(v float64, k okrs.KeyResult) string {
	s := strconv.FormatFloat(v, 'f', max(0, min(k.Decimals, okrs.MaxDecimals)), 64)
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1e12 {
		s = strconv.FormatFloat(v, 'g', 6, 64)
	}
	switch u := views.Plain(strings.TrimSpace(k.Unit), okrs.MaxUnitLen); u {
	case "":
		return s
	case "%":
		return s + "%"
	default:
		return s + " " + u
	}
}

// decisionOptions are the decisions a form offers.
func decisionOptions() []*slack.OptionBlockObject {
	return []*slack.OptionBlockObject{
		slack.NewOptionBlockObject(string(okrs.DecisionDone), views.PlainText("Done"), nil),
		slack.NewOptionBlockObject(string(okrs.DecisionCarryOver), views.PlainText("Carry over"),
			views.PlainText("Continue it in the next cycle from its final value")),
		slack.NewOptionBlockObject(string(okrs.DecisionDrop), views.PlainText("Drop"), nil),
	}
}

// decisionInput is a key result's decision, the given one chosen.
func decisionInput(it ReviewItem) *slack.InputBlock {
	opts := decisionOptions()
	radio := slack.NewRadioButtonsBlockElement(actionDecision, opts...)
	radio.InitialOption = views.Pick(string(it.Decision), opts...)
	return views.Input(ReviewDecisionBlock(it.KeyResult.ID), "What becomes of it", radio, false, "")
}

// ParseReview reads a submitted review form: the cycle from its
// private_metadata, each key result's grade and decision and each
// objective's note from its state, key results and notes ordered by id.
// It returns the review, or the problems keyed by the block id of the
// input they are about (ReviewErrors of Review.Validate, and a grade or
// decision that is not one the form offered); a form with no key result,
// which Slack never sends, has its problem under the block id "". The ids are what the form
// says; the store checks them against what is stored.
func ParseReview(view slack.View) (okrs.Review, map[string]string) {
	errs := map[string]string{}
	var r okrs.Review
	if id, err := strconv.ParseInt(view.PrivateMetadata, 10, 64); err == nil && id > 0 {
		r.CycleID = id
	}
	var values map[string]map[string]slack.BlockAction
	if view.State != nil {
		values = view.State.Values
	}
	grades, decisions := map[int64]string{}, map[int64]string{}
	for block, actions := range values {
		switch {
		case strings.HasPrefix(block, blockGrade):
			if id, ok := reviewBlockID(block, blockGrade); ok {
				grades[id] = actions[actionGrade].SelectedOption.Value
			}
		case strings.HasPrefix(block, blockDecision):
			if id, ok := reviewBlockID(block, blockDecision); ok {
				decisions[id] = actions[actionDecision].SelectedOption.Value
			}
		case strings.HasPrefix(block, blockLearned):
			if id, ok := reviewBlockID(block, blockLearned); ok {
				r.Learned = append(r.Learned, okrs.Learned{ObjectiveID: id, Note: strings.TrimSpace(actions[actionLearned].Value)})
			}
		}
	}
	var ids []int64
	for id := range grades {
		ids = append(ids, id)
	}
	for id := range decisions {
		if _, ok := grades[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	slices.SortFunc(r.Learned, func(a, b okrs.Learned) int { return cmp.Compare(a.ObjectiveID, b.ObjectiveID) })
	for _, id := range ids {
		k := okrs.KeyResultReview{KeyResultID: id, Grade: math.NaN(), Decision: okrs.Decision(decisions[id])}
		if g, err := strconv.ParseFloat(grades[id], 64); err == nil && g >= 0 && g <= 1 && gradeValue(g) == grades[id] {
			k.Grade = g
		} else {
			errs[ReviewGradeBlock(id)] = "Pick a grade from 0.0 to 1.0."
		}
		if !k.Decision.Valid() {
			errs[ReviewDecisionBlock(id)] = "Pick what becomes of it: done, carry over or drop."
		}
		r.KeyResults = append(r.KeyResults, k)
	}
	verr := r.Validate()
	for block, msg := range ReviewErrors(r, verr) {
		if _, ok := errs[block]; !ok {
			errs[block] = msg
		}
	}
	if verr != nil && len(errs) == 0 {
		// A form with no key result at all, which Slack never sends.
		errs[""] = "There is nothing to review in this form."
	}
	if len(errs) > 0 {
		return okrs.Review{}, errs
	}
	return r, nil
}

// reviewBlockID reads the id after prefix in a block id.
func reviewBlockID(block, prefix string) (int64, bool) {
	rest := strings.TrimPrefix(block, prefix)
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0 && strconv.FormatInt(id, 10) == rest
}

// ReviewErrors keys the problems of err (a *okrs.ValidationError of r,
// from Review.Validate or Store.SubmitReview) by the block id of the
// review form's input they are about: a key result's on its grade or
// decision block (its own key result problems on the decision), a note's
// on its note block, and the ones about the whole review (the cycle) on
// the first key result's decision. Problems of one block are joined. It
// returns nil for an error that is not a *okrs.ValidationError.
func ReviewErrors(r okrs.Review, err error) map[string]string {
	var ve *okrs.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	out := map[string]string{}
	add := func(block, msg string) {
		if old, ok := out[block]; ok {
			msg = old + " " + msg
		}
		out[block] = views.Clip(msg, 2000)
	}
	for _, p := range ve.Problems {
		switch {
		case p.Field == okrs.FieldLearned && p.Item >= 1 && p.Item <= len(r.Learned):
			add(ReviewLearnedBlock(r.Learned[p.Item-1].ObjectiveID), p.Message)
		case p.Field == okrs.FieldGrade && p.Item >= 1 && p.Item <= len(r.KeyResults):
			add(ReviewGradeBlock(r.KeyResults[p.Item-1].KeyResultID), p.Message)
		case p.Item >= 1 && p.Item <= len(r.KeyResults):
			add(ReviewDecisionBlock(r.KeyResults[p.Item-1].KeyResultID), p.Message)
		case len(r.KeyResults) > 0:
			add(ReviewDecisionBlock(r.KeyResults[0].KeyResultID), p.Message)
		case len(r.Learned) > 0:
			add(ReviewLearnedBlock(r.Learned[0].ObjectiveID), p.Message)
		}
	}
	return out
}

// ReviewItems are the form's items for person: each of their key results
// (owned, as okrs.Store.KeyResultsOf reads them), starting from the grade
// and decision of its stored review (reviews) when it has one, else from
// okrs.PrefillGrade and no decision, and each objective's note from
// person's own stored note (notes). Key results of closed objectives are
// reviewed too: they were part of the cycle.
func ReviewItems(owned []okrs.OwnedKeyResult, reviews []okrs.StoredReview, notes []okrs.StoredLearned, person string) []ReviewItem {
	byKR := make(map[int64]okrs.StoredReview, len(reviews))
	for _, r := range reviews {
		byKR[r.KeyResultID] = r
	}
	own := map[int64]string{}
	for _, n := range notes {
		if n.Author == person {
			own[n.ObjectiveID] = n.Note
		}
	}
	out := make([]ReviewItem, 0, len(owned))
	for _, k := range owned {
		it := ReviewItem{KeyResult: k.KeyResult, Objective: k.Objective, Final: k.Effective,
			Grade: okrs.PrefillGrade(k.KeyResult, k.Effective), Learned: own[k.Objective.ID]}
		if r, ok := byKR[k.KeyResult.ID]; ok {
			it.Grade, it.Decision = r.Grade, r.Decision
		}
		out = append(out, it)
	}
	return out
}
