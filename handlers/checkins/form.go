package checkins

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// The check-in modal: its callback id, block ids and action ids.
//
// Handlers route on CallbackCheckin and ActionCheckinTemplate only. The form
// fields' action ids are ActionCheckin… plus "~" and the key of the template
// the modal was drawn from, because Slack keeps what an input holds across
// views.update while its block id and action id stay the same: without the
// suffix, picking a template would not replace the name or questions already
// shown. Block ids never change, so response_action errors can name them;
// ParseCheckinSubmission reads blocks by block id alone.
const (
	CallbackCheckin = "checkin"

	// ActionCheckinTemplate is the template picker's action id. The picker
	// dispatches a block_actions event as soon as a template is chosen; the
	// handler then redraws the modal with views.update and CheckinModal.
	ActionCheckinTemplate = "checkin:template"

	BlockCheckinTemplate = "checkin_template"
	BlockCheckinName     = "checkin_name"
	// BlockCheckinCadence is where the handler puts jobs/cadence.Parse's
	// error: ParseCheckinSubmission checks only that a cadence is given.
	BlockCheckinCadence      = "checkin_cadence"
	BlockCheckinQuestions    = "checkin_questions"
	BlockCheckinParticipants = "checkin_participants"
	BlockCheckinPeople       = "checkin_people"
	BlockCheckinDestination  = "checkin_destination"
	BlockCheckinRoundLength  = "checkin_round"
	BlockCheckinReminders    = "checkin_reminders"

	ActionCheckinName         = "checkin:name"
	ActionCheckinCadence      = "checkin:cadence"
	ActionCheckinQuestions    = "checkin:questions"
	ActionCheckinParticipants = "checkin:participants"
	ActionCheckinPeople       = "checkin:people"
	ActionCheckinDestination  = "checkin:destination"
	ActionCheckinRoundLength  = "checkin:round"
	ActionCheckinReminders    = "checkin:reminders"

	// ValueCheckinBlank is the template picker's "Start from scratch".
	ValueCheckinBlank = "blank"
)

// maxQuestionsText is the questions box's max_length: the most Slack allows
// in a plain_text_input.
const maxQuestionsText = 3000

// roundLengths are the round lengths the modal offers.
var roundLengths = []time.Duration{2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 24 * time.Hour, 48 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour}

// questionsHelp explains the one-question-per-line syntax. Every example
// parses (`okr:` in a build with the OKR feature registered, as serve is).
const questionsHelp = "One question per line. Start a line with its type; a line without one is a free-text question.\n" +
	"`What will you work on today?`\n" +
	"`blocked: Is anything in your way?` — yes or no, then an optional “who could help?”\n" +
	"`scale: How was your week? | rough | great` — 1 to 5, with labels for 1 and 5\n" +
	"`choice: Where are you working? | office | home | on the road` — 2 to 10 options\n" +
	"`okr: Your key results` — each person's key results, updated right in the answer form (one such question per check-in)\n" +
	"Put `anon` before a scale or choice to keep its answers anonymous (`anon scale: …`), " +
	"and `optional` before any question people may skip (`optional: Anything else?`)."

// CheckinModal is the form that creates a check-in, or edits one when c.ID
// is set. templates fill the "Start from a template" picker (it is left out
// when editing or when there are none) and template is the key of the one
// picked, or ValueCheckinBlank, or "". A new check-in starts from
// checkinmodels.NewCheckin(); a picked template from its Checkin.
//
// Validation errors are not drawn here: the handler returns
// ParseCheckinSubmission's map as response_action "errors" and Slack shows
// each under its field. The handler sets PrivateMetadata (channel, id).
func CheckinModal(c checkinmodels.Checkin, templates []checkinmodels.Template, template string) slack.ModalViewRequest {
	action := func(base string) string {
		if template == "" {
			return base
		}
		return base + "~" + template
	}
	var blocks []slack.Block

	if c.ID == 0 && len(templates) > 0 {
		blank := slack.NewOptionBlockObject(ValueCheckinBlank, views.PlainText("Start from scratch"), nil)
		opts := []*slack.OptionBlockObject{blank}
		var initial *slack.OptionBlockObject
		if template == ValueCheckinBlank {
			initial = blank
		}
		for _, t := range templates {
			if len(opts) == 100 { // Slack: a static select holds ≤ 100 options
				break
			}
			o := slack.NewOptionBlockObject(t.Key, views.PlainText(views.Clip(t.Title, 75)), nil)
			opts = append(opts, o)
			if t.Key == template {
				initial = o
			}
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, views.PlainText("Pick a template"), ActionCheckinTemplate, opts...)
		sel.InitialOption = initial
		in := views.Input(BlockCheckinTemplate, "Start from a template", sel, true, "Fills in the form below; you can change everything.")
		in.DispatchAction = true
		blocks = append(blocks, in)
	}

	name := slack.NewPlainTextInputBlockElement(views.PlainText("Team stand-up"), action(ActionCheckinName))
	name.MaxLength = checkinmodels.MaxNameLen
	name.InitialValue = views.Clip(strings.TrimSpace(c.Name), checkinmodels.MaxNameLen)
	blocks = append(blocks, views.Input(BlockCheckinName, "Name", name, false, ""))

	cad := slack.NewPlainTextInputBlockElement(views.PlainText("weekdays at 09:30"), action(ActionCheckinCadence))
	cad.MaxLength = models.MaxCadenceLen
	cad.InitialValue = views.Clip(strings.TrimSpace(c.Cadence), models.MaxCadenceLen)
	blocks = append(blocks, views.Input(BlockCheckinCadence, "When", cad, false,
		"Like “weekdays at 09:30”, “fridays at 14:00”, “every 2 weeks on tue at 10:00”, "+
			"“monthly on the first monday at 10:00”, “last friday of the month at 15:00”, or cron like “30 9 * * 1-5”. "+
			"Everyone gets it at that time in their own timezone, and only inside their working hours."))

	qs := slack.NewPlainTextInputBlockElement(views.PlainText("What will you work on today?"), action(ActionCheckinQuestions))
	qs.Multiline = true
	qs.MaxLength = maxQuestionsText
	qs.InitialValue = views.Clip(formatQuestions(c.Questions), maxQuestionsText)
	blocks = append(blocks,
		views.Input(BlockCheckinQuestions, "Questions (1 to 10)", qs, false, ""),
		slack.NewContextBlock("", views.MrkdwnText(questionsHelp)),
	)

	everyone := radioOption(string(checkinmodels.ParticipantsChannel), "Everyone in this channel", "Kept in sync as people join and leave")
	chosen := radioOption(string(checkinmodels.ParticipantsChosen), "Only the people I pick below", "")
	who := slack.NewRadioButtonsBlockElement(action(ActionCheckinParticipants), everyone, chosen)
	who.InitialOption = views.Pick(string(c.Participants), everyone, chosen)
	blocks = append(blocks, views.Input(BlockCheckinParticipants, "Who answers", who, false, ""))

	people := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeUser, views.PlainText("Pick people"), action(ActionCheckinPeople))
	if c.Participants == checkinmodels.ParticipantsChosen {
		people.InitialUsers = c.People
	}
	blocks = append(blocks, views.Input(BlockCheckinPeople, "People", people, true, "Only used when you choose “Only the people I pick below”."))

	dests := []*slack.OptionBlockObject{
		radioOption(string(checkinmodels.DestinationThread), "One thread per round in this channel", "Each round is one message; answers go in its thread"),
		radioOption(string(checkinmodels.DestinationChannel), "Each answer as a message in this channel", ""),
		radioOption(string(checkinmodels.DestinationDigest), "Each reader's own digest", "A DM at the start of their day; nothing in the channel"),
	}
	dest := slack.NewRadioButtonsBlockElement(action(ActionCheckinDestination), dests...)
	dest.InitialOption = views.Pick(string(c.Destination), dests...)
	blocks = append(blocks, views.Input(BlockCheckinDestination, "Where answers go", dest, false, ""))

	var rounds []*slack.OptionBlockObject
	for _, d := range roundLengths {
		rounds = append(rounds, slack.NewOptionBlockObject(roundValue(d), views.PlainText(describeDuration(d)), nil))
	}
	if c.RoundLength > 0 && c.RoundLength <= checkinmodels.MaxRoundLength && views.Pick(roundValue(c.RoundLength), rounds...) == nil {
		rounds = append(rounds, slack.NewOptionBlockObject(roundValue(c.RoundLength), views.PlainText(describeDuration(c.RoundLength)), nil))
	}
	round := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, views.PlainText("Pick a length"), action(ActionCheckinRoundLength), rounds...)
	round.InitialOption = views.Pick(roundValue(c.RoundLength), rounds...)
	blocks = append(blocks, views.Input(BlockCheckinRoundLength, "A round stays open for", round, false,
		"How long each round waits for answers; reminders go out within it. Late answers are still welcome until the next round starts."))

	var rems []*slack.OptionBlockObject
	for n := 0; n <= checkinmodels.MaxReminders; n++ {
		rems = append(rems, slack.NewOptionBlockObject(strconv.Itoa(n), views.PlainText(describeReminders(n)), nil))
	}
	rem := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, views.PlainText("Pick a number"), action(ActionCheckinReminders), rems...)
	rem.InitialOption = views.Pick(strconv.Itoa(c.Reminders), rems...)
	blocks = append(blocks, views.Input(BlockCheckinReminders, "Reminders", rem, false,
		"Sent by DM while the round is open, only inside each person's working hours. Nobody is ever called out in the channel."))

	if c.ID != 0 {
		return views.Modal(CallbackCheckin, "Edit check-in", "Save", blocks...)
	}
	return views.Modal(CallbackCheckin, "New check-in", "Create", blocks...)
}

func radioOption(value, label, description string) *slack.OptionBlockObject {
	var desc *slack.TextBlockObject
	if description != "" {
		desc = views.PlainText(description)
	}
	return slack.NewOptionBlockObject(value, views.PlainText(label), desc)
}

func roundValue(d time.Duration) string { return strconv.FormatInt(int64(d/time.Minute), 10) + "m" }

func describeDuration(d time.Duration) string {
	switch {
	case d%(7*24*time.Hour) == 0:
		return count(int(d/(7*24*time.Hour)), "week", "weeks")
	case d%(24*time.Hour) == 0:
		return count(int(d/(24*time.Hour)), "day", "days")
	case d%time.Hour == 0:
		return count(int(d/time.Hour), "hour", "hours")
	}
	return count(int(d/time.Minute), "minute", "minutes")
}

func describeReminders(n int) string {
	if n == 0 {
		return "No reminders"
	}
	return count(n, "reminder", "reminders")
}

// ParseCheckinSubmission is ParseCheckinSubmissionWith with no question
// kinds of other features.
func ParseCheckinSubmission(values map[string]map[string]slack.BlockAction) (checkinmodels.Checkin, map[string]string) {
	return ParseCheckinSubmissionWith(values, nil)
}

// ParseCheckinSubmissionWith reads the check-in modal's submitted state
// (view.state.values: block id → action id → value) into a Checkin, and
// returns what is wrong keyed by block id, ready for response_action
// "errors"; nil when nothing is. It reports unreadable question lines, every
// problem of checkinmodels.Checkin.Validate on the field it concerns, and an
// unknown template. It does not parse the cadence: the handler runs
// jobs/cadence.Parse and puts its error on BlockCheckinCadence.
//
// The ids, owner, channel and anchor are the handler's to fill in. Question
// ids are not carried through the form; an edit matches questions to the
// stored ones.
//
// questionKinds reports whether another feature offers a question kind of
// that name (handlers.Handlers.QuestionKind): a line "name: prompt" is
// then a checkinmodels.KindFeature question asking it. A lowercase word
// before a colon that names no kind is refused, saying how to write a
// free-text question that starts with it. nil knows none.
func ParseCheckinSubmissionWith(values map[string]map[string]slack.BlockAction, questionKinds func(name string) bool) (checkinmodels.Checkin, map[string]string) {
	errs := map[string][]string{}
	add := func(block, msg string) { errs[block] = append(errs[block], msg) }
	get := func(block string) (slack.BlockAction, bool) {
		for _, a := range values[block] { // one element per block
			return a, true
		}
		return slack.BlockAction{}, false
	}

	if a, ok := get(BlockCheckinTemplate); ok {
		if k := a.SelectedOption.Value; k != "" && k != ValueCheckinBlank {
			if _, found := checkinmodels.FindTemplate(k); !found {
				add(BlockCheckinTemplate, "I don't know that template any more. Pick another one, or “Start from scratch”.")
			}
		}
	}

	var c checkinmodels.Checkin
	if a, ok := get(BlockCheckinName); ok {
		c.Name = strings.TrimSpace(a.Value)
	}
	if a, ok := get(BlockCheckinCadence); ok {
		c.Cadence = strings.TrimSpace(a.Value)
	}

	var lines []int
	if a, ok := get(BlockCheckinQuestions); ok {
		var problems []string
		c.Questions, lines, problems = parseQuestions(a.Value, questionKinds)
		for _, p := range problems {
			add(BlockCheckinQuestions, p)
		}
		if n := utf8.RuneCountInString(formatQuestions(c.Questions)); len(problems) == 0 && n > maxQuestionsText {
			add(BlockCheckinQuestions, fmt.Sprintf("Written out, these questions take %d characters and the box holds %d. Shorten a few.", n, maxQuestionsText))
		}
	}

	if a, ok := get(BlockCheckinParticipants); ok {
		c.Participants = checkinmodels.ParticipantMode(a.SelectedOption.Value)
	}
	if a, ok := get(BlockCheckinPeople); ok && c.Participants == checkinmodels.ParticipantsChosen && len(a.SelectedUsers) > 0 {
		c.People = append([]string(nil), a.SelectedUsers...)
	}
	if a, ok := get(BlockCheckinDestination); ok {
		c.Destination = checkinmodels.Destination(a.SelectedOption.Value)
	}

	if a, ok := get(BlockCheckinRoundLength); ok && a.SelectedOption.Value != "" {
		d, err := time.ParseDuration(a.SelectedOption.Value)
		if err != nil {
			add(BlockCheckinRoundLength, "Pick how long a round stays open from the list, like 8 hours or 1 day.")
		}
		c.RoundLength = d
	}

	c.Reminders = -1
	if a, ok := get(BlockCheckinReminders); ok {
		if n, err := strconv.Atoi(a.SelectedOption.Value); err == nil {
			c.Reminders = n
		}
	}

	if err := c.Validate(nil); err != nil {
		var ce *checkinmodels.ValidationError
		if errors.As(err, &ce) {
			syntax := len(errs[BlockCheckinQuestions]) > 0
			for _, p := range ce.Problems {
				block := checkinBlock(p.Field)
				if p.Field == checkinmodels.FieldQuestions && syntax {
					continue // the unreadable lines come first
				}
				if p.Field != checkinmodels.FieldQuestions && len(errs[block]) > 0 {
					continue // already said
				}
				msg := p.Message
				if p.Item > 0 && p.Item <= len(lines) {
					msg = fmt.Sprintf("Line %d: %s", lines[p.Item-1], msg)
				}
				add(block, msg)
			}
		}
	}
	if c.Reminders < 0 {
		c.Reminders = 0
	}

	if len(errs) == 0 {
		return c, nil
	}
	out := make(map[string]string, len(errs))
	for block, msgs := range errs {
		out[block] = joinProblems(msgs)
	}
	return c, out
}

// CheckinFieldBlock is the block id of the check-in form where a problem
// with a models.Field* field is shown.
func CheckinFieldBlock(field string) string { return checkinBlock(field) }

// checkinBlock is the block id where a problem with field is shown.
func checkinBlock(field string) string {
	switch field {
	case checkinmodels.FieldName:
		return BlockCheckinName
	case checkinmodels.FieldCadence:
		return BlockCheckinCadence
	case checkinmodels.FieldQuestions:
		return BlockCheckinQuestions
	case checkinmodels.FieldPeople:
		return BlockCheckinPeople
	case checkinmodels.FieldDestination:
		return BlockCheckinDestination
	case checkinmodels.FieldRoundLength:
		return BlockCheckinRoundLength
	case checkinmodels.FieldReminders:
		return BlockCheckinReminders
	}
	return BlockCheckinParticipants
}

// joinProblems shows the first three problems of a field and counts the
// rest, so the message under a field stays readable.
func joinProblems(msgs []string) string {
	const show = 3
	if len(msgs) <= show {
		return strings.Join(msgs, " ")
	}
	return strings.Join(msgs[:show], " ") + fmt.Sprintf(" (And %d more.)", len(msgs)-show)
}

// Question syntax: "[optional] [anon] kind: prompt | option | option".

var questionKinds = map[string]checkinmodels.QuestionKind{
	"text":    checkinmodels.KindText,
	"scale":   checkinmodels.KindScale,
	"choice":  checkinmodels.KindChoice,
	"blocked": checkinmodels.KindBlocked,
}

// questionPrefix reads the words before a line's first colon. ok is false
// when they are not all question keywords: the colon is then part of a
// free-text question ("Today: what's the plan?"). A word another feature's
// question kind has (providers reports which; nil knows none) gives
// checkinmodels.KindFeature, its name in provider. Words written as type
// words are (lowercase letters only, see typeWords) but naming no kind are
// a problem, not free text, so a kind not offered here is not silently
// asked as a text question.
func questionPrefix(prefix string, providers func(string) bool) (kind checkinmodels.QuestionKind, provider string, anon, optional, ok bool, problem string) {
	words := strings.Fields(strings.ToLower(prefix))
	if len(words) == 0 {
		return "", "", false, false, false, ""
	}
	for _, w := range words {
		switch w {
		case "anon", "anonymous":
			anon = true
		case "optional":
			optional = true
		default:
			k, known := questionKinds[w]
			switch {
			case known:
			case providers != nil && providers(w):
				k, provider = checkinmodels.KindFeature, w
			case typeWords(prefix):
				return "", "", false, false, false, fmt.Sprintf("I don't know `%s:` questions. Use text, scale, choice or blocked; for a free-text question that starts with “%s:”, write `text: %s: …`.", w, w, w)
			default:
				return "", "", false, false, false, ""
			}
			if kind != "" && kind != k {
				problem = fmt.Sprintf("“%s” names two types; pick one of text, scale, choice or blocked.", strings.TrimSpace(prefix))
			}
			kind = k
		}
	}
	return kind, provider, anon, optional, true, problem
}

// typeWords reports whether prefix is written the way question types
// are: one to three words of lowercase ASCII letters ("anon scale",
// "xyz"), not text that happens to come before a colon ("Today",
// "Note to self").
func typeWords(prefix string) bool {
	words := strings.Fields(prefix)
	if len(words) == 0 || len(words) > 3 {
		return false
	}
	for _, w := range words {
		for _, r := range w {
			if r < 'a' || r > 'z' {
				return false
			}
		}
	}
	return true
}

// parseQuestions reads one question per line. lines[i] is the line of
// question i, and problems are the lines it could not read, each saying
// which line and how to write it.
func parseQuestions(s string, providers func(string) bool) (qs []checkinmodels.Question, lines []int, problems []string) {
	for i, line := range strings.Split(s, "\n") {
		n := i + 1
		line = stripListMarker(strings.TrimSpace(line))
		if line == "" {
			continue
		}
		var kind checkinmodels.QuestionKind
		var provider string
		var anon, optional bool
		if before, after, found := strings.Cut(line, ":"); found {
			k, pr, a, o, ok, problem := questionPrefix(before, providers)
			if problem != "" {
				problems = append(problems, fmt.Sprintf("Line %d: %s", n, problem))
				continue
			}
			if ok {
				kind, provider, anon, optional, line = k, pr, a, o, after
			}
		}
		parts := splitOptions(line)
		prompt := strings.TrimSpace(parts[0])
		var opts []string
		for _, p := range parts[1:] {
			if p = strings.TrimSpace(p); p != "" {
				opts = append(opts, p)
			}
		}
		if kind == "" {
			if len(opts) > 0 {
				problems = append(problems, fmt.Sprintf("Line %d has options after “|” but no type. Start it with `choice:` or `scale:`, like `choice: Where are you working? | office | home`.", n))
				continue
			}
			kind = checkinmodels.KindText
		}
		if prompt == "" {
			problems = append(problems, fmt.Sprintf("Line %d has a type but no question. Write it after the colon, like `blocked: Is anything in your way?`.", n))
			continue
		}
		if kind == checkinmodels.KindFeature {
			if len(opts) > 0 {
				problems = append(problems, fmt.Sprintf("Line %d: `%s:` questions take no options after “|”.", n, provider))
				continue
			}
			// Never required: a person with nothing to enter there is
			// not held up (checkinmodels.KindFeature).
			qs = append(qs, checkinmodels.Question{Kind: kind, Prompt: prompt, Options: []string{provider}, Anonymous: anon})
			lines = append(lines, n)
			continue
		}
		qs = append(qs, checkinmodels.Question{Kind: kind, Prompt: prompt, Options: opts, Anonymous: anon, Required: !optional})
		lines = append(lines, n)
	}
	return qs, lines, problems
}

// stripListMarker drops a bullet or number a pasted list starts a line with
// ("- ", "• ", "3. ", "3) ").
func stripListMarker(s string) string {
	for _, b := range []string{"- ", "* ", "• "} {
		if rest, ok := strings.CutPrefix(s, b); ok {
			return strings.TrimSpace(rest)
		}
	}
	digits := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) })
	if digits > 0 && digits <= 2 && len(s) > digits+1 && (s[digits] == '.' || s[digits] == ')') && s[digits+1] == ' ' {
		return strings.TrimSpace(s[digits+2:])
	}
	return s
}

// splitOptions splits at "|"; "\|" is a literal bar.
func splitOptions(s string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '|':
			cur.WriteByte('|')
			i++
		case s[i] == '|':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(parts, cur.String())
}

// formatQuestions writes questions in the syntax parseQuestions reads, so
// that parseQuestions(formatQuestions(qs)) gives qs back (without ids).
func formatQuestions(qs []checkinmodels.Question) string {
	escape := func(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "|", `\|`) }
	var b strings.Builder
	for i, q := range qs {
		if i > 0 {
			b.WriteByte('\n')
		}
		var words []string
		if !q.Required && q.Kind != checkinmodels.KindFeature {
			words = append(words, "optional")
		}
		if q.Anonymous {
			words = append(words, "anon")
		}
		prompt := escape(q.Prompt)
		switch {
		case q.Kind == checkinmodels.KindFeature:
			words = append(words, q.Provider())
		case q.Kind != checkinmodels.KindText || stripListMarker(prompt) != prompt:
			words = append(words, string(q.Kind))
		default:
			if before, _, found := strings.Cut(prompt, ":"); found && len(words) == 0 {
				if _, _, _, _, ok, problem := questionPrefix(before, nil); ok || problem != "" {
					words = append(words, string(q.Kind)) // "text: scale: …", "text: note: …"
				}
			}
		}
		if len(words) > 0 {
			b.WriteString(strings.Join(words, " ") + ": ")
		}
		b.WriteString(prompt)
		if q.Kind == checkinmodels.KindFeature {
			continue // its one option is its name, written before the colon
		}
		for _, o := range q.Options {
			b.WriteString(" | " + escape(o))
		}
	}
	return b.String()
}

// count is "1 day" or "3 days".
func count(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, views.Plural(n, one, many))
}
