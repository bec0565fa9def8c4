package okrs

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The update form: one modal with every key result of the person. Each
// key result is four blocks, keyed by its id: a section naming it, with a
// "No change" checkbox beside it (UpdateKRBlockID), its new value
// (UpdateValueBlockID: a number, or done / not done for a milestone), its
// confidence (UpdateConfidenceBlockID) and an optional note
// (UpdateNoteBlockID). ParseUpdate reads blocks by block id alone, so its
// errors name the same ids for response_action "errors".
//
// The checkbox sits in a section so that a key result takes four blocks
// and twenty-four fit in Slack's 100; ticking it sends a block_actions
// event (ActionUpdateNoChange) that needs only an ack.
const (
	CallbackUpdate = "okr_update"

	ActionUpdateNoChange   = "okr:update-same"
	ActionUpdateValue      = "okr:update-value"
	ActionUpdateConfidence = "okr:update-confidence"
	ActionUpdateNote       = "okr:update-note"

	// ValueNoChange is the "No change" checkbox's value; ValueDone and
	// ValueNotDone a milestone's two choices.
	ValueNoChange = "same"
	ValueDone     = "done"
	ValueNotDone  = "not_done"
)

// UpdateKRBlockID is the block id of the section naming key result id,
// which holds its "No change" checkbox.
func UpdateKRBlockID(id int64) string { return "okr_kr_" + strconv.FormatInt(id, 10) }

// UpdateValueBlockID is the block id of key result id's new value.
func UpdateValueBlockID(id int64) string { return "okr_value_" + strconv.FormatInt(id, 10) }

// UpdateConfidenceBlockID is the block id of key result id's confidence.
func UpdateConfidenceBlockID(id int64) string { return "okr_conf_" + strconv.FormatInt(id, 10) }

// UpdateNoteBlockID is the block id of key result id's note.
func UpdateNoteBlockID(id int64) string { return "okr_note_" + strconv.FormatInt(id, 10) }

// updateIDs are the block ids of one key result's inputs: the update
// form's own (formIDs), or the same under a prefix where another form
// embeds them (prefixedIDs).
type updateIDs struct {
	prefix string
}

// formIDs are the update form's block ids.
var formIDs = updateIDs{}

// prefixedIDs are the block ids under prefix.
func prefixedIDs(prefix string) updateIDs { return updateIDs{prefix: prefix} }

func (ids updateIDs) kr(id int64) string    { return ids.prefix + UpdateKRBlockID(id) }
func (ids updateIDs) value(id int64) string { return ids.prefix + UpdateValueBlockID(id) }
func (ids updateIDs) conf(id int64) string  { return ids.prefix + UpdateConfidenceBlockID(id) }
func (ids updateIDs) note(id int64) string  { return ids.prefix + UpdateNoteBlockID(id) }

// Bounds of the update form.
const (
	// maxViewBlocks is the most blocks a modal holds.
	maxViewBlocks = 100
	// maxMetadata is the most characters of a view's private_metadata.
	maxMetadata = 3000
	// blocksPerKR is what one key result takes in the form.
	blocksPerKR = 4
	// maxValueText is the value input's max_length.
	maxValueText = 40
	// updateFormVersion starts the form's private_metadata: a form opened
	// by a Trellis that wrote another shape is refused, not misread.
	updateFormVersion = "okr-update/1"
)

// ErrUpdateFormOutdated means an update form's private_metadata cannot be
// read (an older Trellis drew it); the person opens the form again.
var ErrUpdateFormOutdated = errors.New("the OKR update form was opened by another version of Trellis")

// shownKR is what the form showed of one key result: its id, the last
// check-in it was drawn after (0 for none), and its prefilled value and
// confidence, so that ParseUpdate knows what the person left untouched
// even when the key result changed since.
type shownKR struct {
	ID, LastID int64
	Value      string
	Confidence okrs.Confidence
}

// prefill is the value input's text (or a milestone's choice) for it.
func prefill(it Item) string {
	if it.KR.Kind == okrs.Milestone {
		if it.value() >= 1 {
			return ValueDone
		}
		return ValueNotDone
	}
	return FormatNumber(it.value(), it.KR.Decimals)
}

// encodeShown writes the form's private_metadata.
func encodeShown(shown []shownKR) string {
	var b strings.Builder
	b.WriteString(updateFormVersion)
	for _, s := range shown {
		fmt.Fprintf(&b, ";%d,%d,%s,%s", s.ID, s.LastID, s.Value, s.Confidence)
	}
	return b.String()
}

// decodeShown reads what encodeShown wrote.
func decodeShown(meta string) ([]shownKR, error) {
	parts := strings.Split(meta, ";")
	if parts[0] != updateFormVersion {
		return nil, fmt.Errorf("%w: %.40q", ErrUpdateFormOutdated, meta)
	}
	var out []shownKR
	for _, p := range parts[1:] {
		f := strings.Split(p, ",")
		if len(f) != 4 {
			return nil, fmt.Errorf("%w: entry %q", ErrUpdateFormOutdated, p)
		}
		id, err1 := strconv.ParseInt(f[0], 10, 64)
		last, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil || id <= 0 {
			return nil, fmt.Errorf("%w: entry %q", ErrUpdateFormOutdated, p)
		}
		out = append(out, shownKR{ID: id, LastID: last, Value: f[2], Confidence: okrs.Confidence(f[3])})
	}
	return out, nil
}

// UpdateModal is the one form a person updates their key results with:
// per key result its title, objective and cycle, progress bar, current
// value and last update, a "No change" checkbox, the new value (prefilled
// with the current one; done / not done for a milestone), the confidence
// (prefilled) and an optional note. now dates "updated 3 days ago"; notice,
// text Trellis wrote (mrkdwn), heads the form when set.
//
// Key results show in the order given. When they do not all fit Slack's
// 100 blocks and 3000 characters of private_metadata, the form shows those
// updated longest ago (never updated first; ties in the order given), still
// in the order given, and says how many it left out: once these are saved,
// opening the form again shows the rest. With no key results it says how
// to create one and has no Submit button.
func UpdateModal(items []Item, now time.Time, notice string) slack.ModalViewRequest {
	var blocks []slack.Block
	if strings.TrimSpace(notice) != "" {
		blocks = append(blocks, views.Section(notice, nil))
	}
	var valid []int // indexes of items with an id
	for i, it := range items {
		if it.KR.ID > 0 {
			valid = append(valid, i)
		}
	}
	if len(valid) == 0 {
		blocks = append(blocks, views.Section(emptyLine, nil))
		m := views.Modal(CallbackUpdate, "Update OKRs", "Save", blocks...)
		m.Submit = nil
		m.PrivateMetadata = encodeShown(nil)
		return m
	}
	blocks = append(blocks, slack.NewContextBlock("okr_intro", views.MrkdwnText(
		"Change what moved, tick *No change* for what stayed the same, and leave the rest: untouched key results are not saved.")))

	picked := pickShown(items, valid, len(blocks), maxViewBlocks, maxMetadata)
	shown := make([]shownKR, 0, len(picked))
	for _, i := range picked {
		shown = append(shown, shownOf(items[i]))
		blocks = append(blocks, updateBlocks(items[i], now, formIDs)...)
	}
	if left := len(valid) - len(picked); left > 0 {
		blocks = append(blocks, slack.NewContextBlock("okr_more", views.MrkdwnText(fmt.Sprintf(
			"%d more %s don't fit in one form: these are the ones updated longest ago. Save them and open the form again for the rest.",
			left, views.Plural(left, "key result", "key results")))))
	}
	m := views.Modal(CallbackUpdate, "Update OKRs", "Save", blocks...)
	m.PrivateMetadata = encodeShown(shown)
	return m
}

// shownOf is what the form shows of it.
func shownOf(it Item) shownKR {
	return shownKR{ID: it.KR.ID, LastID: it.Current.LastID, Value: prefill(it), Confidence: it.Current.Confidence}
}

// pickShown is which of items (by index; valid are those with an id) a
// form shows when fixed blocks are taken already and it holds maxBlocks
// blocks and maxMeta bytes of encodeShown: all of them when they fit;
// otherwise, keeping a block for the line that counts what is left out,
// those waiting longest for an update (never updated first; ties in the
// order given), in the order given.
func pickShown(items []Item, valid []int, fixed, maxBlocks, maxMeta int) []int {
	entryLen := func(it Item) int { return len(encodeShown([]shownKR{shownOf(it)})) - len(updateFormVersion) }
	fits := func(picked []int, fixed int) bool {
		meta := len(updateFormVersion)
		for _, i := range picked {
			meta += entryLen(items[i])
		}
		return fixed+blocksPerKR*len(picked) <= maxBlocks && meta <= maxMeta
	}
	if fits(valid, fixed) {
		return valid
	}
	byAge := slices.Clone(valid)
	slices.SortStableFunc(byAge, func(a, b int) int {
		return items[a].Current.LastAt.Compare(items[b].Current.LastAt)
	})
	var picked []int
	for _, i := range byAge {
		if !fits(append(picked, i), fixed+1) {
			break
		}
		picked = append(picked, i)
	}
	slices.Sort(picked)
	return picked
}

// updateBlocks are one key result's four blocks of the update form, with
// the block ids ids gives.
func updateBlocks(it Item, now time.Time, ids updateIDs) []slack.Block {
	id := it.KR.ID
	head := "*" + titleOf(it.KR.Title, "Key result") + "*\n" +
		"_" + titleOf(it.Objective.Title, "Objective") + "_"
	if c := strings.TrimSpace(it.Cycle.Name); c != "" {
		head += " · " + views.Mrkdwn(c, maxShownCycle)
	}
	head += "\n" + progressLine(it, now)
	same := slack.NewOptionBlockObject(ValueNoChange, views.PlainText("No change"), views.PlainText("Same value and confidence"))
	box := slack.NewCheckboxGroupsBlockElement(ActionUpdateNoChange, same)
	sec := views.Section(head, slack.NewAccessory(box))
	sec.BlockID = ids.kr(id)

	var value *slack.InputBlock
	if it.KR.Kind == okrs.Milestone {
		done := slack.NewOptionBlockObject(ValueDone, views.PlainText("Done"), nil)
		notDone := slack.NewOptionBlockObject(ValueNotDone, views.PlainText("Not done yet"), nil)
		radio := slack.NewRadioButtonsBlockElement(ActionUpdateValue, done, notDone)
		radio.InitialOption = views.Pick(prefill(it), done, notDone)
		value = views.Input(ids.value(id), "Milestone", radio, false, "")
	} else {
		in := slack.NewPlainTextInputBlockElement(views.PlainText("A number, like "+FormatNumber(it.KR.Target, it.KR.Decimals)), ActionUpdateValue)
		in.MaxLength = maxValueText
		in.InitialValue = prefill(it)
		label := "New value"
		if u := strings.TrimSpace(it.KR.Unit); u != "" {
			label += " (" + views.Plain(u, maxShownUnit) + ")"
		}
		value = views.Input(ids.value(id), label, in, false, "")
	}

	var opts []*slack.OptionBlockObject
	for _, c := range []okrs.Confidence{okrs.OnTrack, okrs.AtRisk, okrs.OffTrack} {
		opts = append(opts, slack.NewOptionBlockObject(string(c), views.PlainText(confidenceLabel(c)), nil))
	}
	radio := slack.NewRadioButtonsBlockElement(ActionUpdateConfidence, opts...)
	radio.InitialOption = views.Pick(string(it.Current.Confidence), opts...)
	conf := views.Input(ids.conf(id), "Confidence", radio, true, "")

	note := slack.NewPlainTextInputBlockElement(views.PlainText("What moved it, what's in the way"), ActionUpdateNote)
	note.Multiline = true
	note.MaxLength = okrs.MaxNoteLen
	noteIn := views.Input(ids.note(id), "Note", note, true, "")
	return []slack.Block{sec, value, conf, noteIn}
}

// ParseUpdate reads a submitted update form: privateMetadata is the
// view's, values its state.values (block id → action id → value), and
// items the person's key results as stored now (the form's
// own ids are checked against them). It returns the updates to append,
// with KeyResultID, Value, Confidence, Note and NoChange set (the handler
// adds Author and At), or, when anything is wrong, no updates and a
// message per block id for response_action "errors". err is
// ErrUpdateFormOutdated when privateMetadata cannot be read.
//
// Per key result the form showed:
//
//   - "No change" ticked gives an update with NoChange (and the note, if
//     any); a value or confidence changed at the same time is refused on
//     its field, as it contradicts the tick.
//   - Left untouched (the value and confidence as prefilled, no note, not
//     ticked), it is skipped: nothing is stored. Counting it as "no
//     change" would mark a key result as checked in that the person did
//     not look at, and a nudge would then skip it.
//   - Otherwise the value (a number, read by ParseNumber, or done / not
//     done) and the confidence give an update, checked by
//     okrs.Update.Validate, each problem on its field. A value left as
//     prefilled keeps the exact stored value, not its rounded display; a
//     milestone is 1 (done) or 0.
//   - A key result changed elsewhere since the form opened, or no longer
//     among items, is refused on its value field when the person entered
//     anything for it, so nothing overwrites what they have not seen.
//
// A form where nothing at all was entered is refused on the first key
// result's value, saying how to record "no change".
func ParseUpdate(items []Item, privateMetadata string, values map[string]map[string]slack.BlockAction) ([]okrs.Update, map[string]string, error) {
	shown, err := decodeShown(privateMetadata)
	if err != nil {
		return nil, nil, err
	}
	ups, errs := parseShown(items, shown, values, formIDs)
	if len(errs) > 0 {
		return nil, errs, nil
	}
	if len(ups) == 0 && len(shown) > 0 {
		return nil, map[string]string{UpdateValueBlockID(shown[0].ID): "Nothing to save yet: change a value or a confidence, or tick “No change” beside each key result that stayed the same."}, nil
	}
	return ups, nil, nil
}

// parseShown reads the inputs of the key results shown, under the block
// ids ids gives, as ParseUpdate says; nothing entered at all gives no
// updates and no problems.
func parseShown(items []Item, shown []shownKR, values map[string]map[string]slack.BlockAction, ids updateIDs) ([]okrs.Update, map[string]string) {
	byID := make(map[int64]Item, len(items))
	for _, it := range items {
		byID[it.KR.ID] = it
	}
	get := func(block string) slack.BlockAction {
		for _, a := range values[block] { // one element per block
			return a
		}
		return slack.BlockAction{}
	}
	errs := map[string]string{}
	var ups []okrs.Update
	for _, s := range shown {
		valueBlock, confBlock, noteBlock := ids.value(s.ID), ids.conf(s.ID), ids.note(s.ID)
		ticked := false
		for _, o := range get(ids.kr(s.ID)).SelectedOptions {
			ticked = ticked || o.Value == ValueNoChange
		}
		va := get(valueBlock)
		raw := strings.TrimSpace(va.Value)
		if va.SelectedOption.Value != "" || va.Type == "radio_buttons" {
			raw = va.SelectedOption.Value
		}
		conf := okrs.Confidence(get(confBlock).SelectedOption.Value)
		note := strings.TrimSpace(get(noteBlock).Value)

		if !ticked && raw == s.Value && conf == s.Confidence && note == "" {
			continue // untouched: skipped
		}
		it, ok := byID[s.ID]
		switch {
		case !ok:
			errs[valueBlock] = "This key result isn't yours to update any more (it may have been deleted or handed over). Close the form and open it again."
			continue
		case it.Current.LastID != s.LastID:
			now := valuePlain(it)
			if c := confidenceLabel(it.Current.Confidence); c != "" {
				now += ", " + strings.ToLower(c)
			}
			errs[valueBlock] = fmt.Sprintf("This key result was updated somewhere else after this form opened (it's now %s). Close the form and open it again to see the latest.", now)
			continue
		}

		u := okrs.Update{KeyResultID: s.ID, Note: note}
		if ticked {
			if raw != s.Value {
				errs[valueBlock] = "You ticked “No change” but changed the value. Untick it, or put the value back."
			}
			if conf != s.Confidence {
				errs[confBlock] = "You ticked “No change” but changed the confidence. Untick it, or put it back."
			}
			if errs[valueBlock] != "" || errs[confBlock] != "" {
				continue
			}
			u.NoChange = true
		} else {
			u.Confidence = conf
			switch {
			case raw == s.Value && it.KR.Kind != okrs.Milestone:
				u.Value = it.value()
			case it.KR.Kind == okrs.Milestone:
				switch raw {
				case ValueDone:
					u.Value = 1
				case ValueNotDone:
					u.Value = 0
				default:
					errs[valueBlock] = "Pick done or not done yet."
					continue
				}
			default:
				v, msg := ParseNumber(raw, it.KR.Unit)
				if msg != "" {
					errs[valueBlock] = msg
					continue
				}
				u.Value = v
			}
		}
		if err := u.Validate(); err != nil {
			var ve *okrs.ValidationError
			if errors.As(err, &ve) {
				for _, p := range ve.Problems {
					block := valueBlock
					switch p.Field {
					case okrs.FieldConfidence:
						block = confBlock
					case okrs.FieldNote:
						block = noteBlock
					}
					if errs[block] == "" {
						errs[block] = p.Message
					}
				}
			}
			continue
		}
		ups = append(ups, u)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return ups, nil
}

// ParseNumber reads a value a person typed for a key result with unit:
// surrounding blanks, a leading "+", a Unicode minus, thousands separators
// ("1,234.5", "1 234,5", "1.234,5") and a trailing "%" or the key result's
// own unit ("14 customers") are accepted. A comma is a decimal comma when
// it is the only separator and is not followed by exactly three digits
// ("3,5" is 3.5, "1,234" is 1234). Exponents are accepted ("1e6");
// infinities, NaN and hexadecimal are not. msg says, in words a person
// can act on, why s is not a number; it is "" when it is.
func ParseNumber(s, unit string) (v float64, msg string) {
	orig := strings.TrimSpace(s)
	t := orig
	if u := strings.TrimSpace(unit); u != "" && len(t) > len(u) && strings.EqualFold(t[len(t)-len(u):], u) {
		t = strings.TrimSpace(t[:len(t)-len(u)])
	}
	t = strings.TrimSpace(strings.TrimSuffix(t, "%"))
	t = strings.NewReplacer("\u2212", "-", " ", "", "\u00a0", "", "\u202f", "", "\u2009", "", "'", "").Replace(t)
	t = strings.TrimPrefix(t, "+")
	commas, dots := strings.Count(t, ","), strings.Count(t, ".")
	switch {
	case commas > 0 && dots > 0:
		// The last separator is the decimal one.
		if strings.LastIndex(t, ",") > strings.LastIndex(t, ".") {
			if dots > 0 && !grouped(t[:strings.LastIndex(t, ",")], '.') {
				return 0, notNumber(orig)
			}
			t = strings.ReplaceAll(t[:strings.LastIndex(t, ",")], ".", "") + "." + t[strings.LastIndex(t, ",")+1:]
		} else {
			if !grouped(t[:strings.LastIndex(t, ".")], ',') {
				return 0, notNumber(orig)
			}
			t = strings.ReplaceAll(t, ",", "")
		}
	case commas == 1 && len(t)-strings.Index(t, ",")-1 != 3:
		t = strings.Replace(t, ",", ".", 1)
	case commas > 0:
		if !grouped(t, ',') {
			return 0, notNumber(orig)
		}
		t = strings.ReplaceAll(t, ",", "")
	case dots > 1:
		if !grouped(t, '.') {
			return 0, notNumber(orig)
		}
		t = strings.ReplaceAll(t, ".", "")
	}
	if !plainNumber(t) {
		return 0, notNumber(orig)
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !finiteNumber(v) {
		return 0, "That number is too large. Type a smaller one."
	}
	return v, ""
}

// grouped reports whether s is digits grouped in threes by sep, like
// "-1,234,567" (the first group one to three digits).
func grouped(s string, sep rune) bool {
	s = strings.TrimPrefix(s, "-")
	groups := strings.Split(s, string(sep))
	for i, g := range groups {
		if !allDigits(g) || (i == 0 && (len(g) == 0 || len(g) > 3)) || (i > 0 && len(g) != 3) {
			return false
		}
	}
	return true
}

// plainNumber reports whether s is a decimal number: an optional minus,
// digits with at most one point, and an optional exponent.
func plainNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	if hasExp {
		exp = strings.TrimLeft(exp, "+-")
		if exp == "" || !allDigits(exp) {
			return false
		}
	}
	whole, frac, _ := strings.Cut(mant, ".")
	return (whole != "" || frac != "") && allDigits(whole) && allDigits(frac)
}

// allDigits reports whether s holds only ASCII digits ("" does).
func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// finiteNumber reports whether f is neither infinite nor NaN.
func finiteNumber(f float64) bool { return f-f == 0 }

// notNumber is the message for text that is not a number.
func notNumber(s string) string {
	if s == "" {
		return "Type the new value, like 42 or 3.5."
	}
	return fmt.Sprintf("“%s” isn't a number. Type just the number, like 42, 3.5 or 1,200.", mrkdwn.Plain(s, maxValueText))
}

// emptyLine is what a person without key results reads.
const emptyLine = "You have no key results in this cycle yet. Create an objective and its key results with `/trellis okr new`."

// runes counts characters.
func runes(s string) int { return utf8.RuneCountInString(s) }
