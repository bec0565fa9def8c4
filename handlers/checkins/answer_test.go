package checkins_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	jobcheckins "github.com/trellis-bot/trellis/jobs/checkins"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// inputBlock returns the modal's input block with id, or fails.
func inputBlock(t *testing.T, m slack.ModalViewRequest, id string) *slack.InputBlock {
	t.Helper()
	for _, b := range m.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok && in.BlockID == id {
			return in
		}
	}
	t.Fatalf("no input block %q", id)
	return nil
}

// hasBlock reports whether the modal has a block with id, of any type.
func hasBlock(m slack.ModalViewRequest, id string) bool {
	for _, b := range m.Blocks.BlockSet {
		if b.ID() == id {
			return true
		}
	}
	return false
}

// answer changes what a person puts in one block, the way Slack reports
// it: text as value, a picked option (one the form offers) as
// selected_option, a person as selected_user.
func answer(t *testing.T, m slack.ModalViewRequest, values map[string]map[string]slack.BlockAction, block, value string) {
	t.Helper()
	in := inputBlock(t, m, block)
	var opts []*slack.OptionBlockObject
	for id, a := range values[block] {
		switch e := in.Element.(type) {
		case *slack.PlainTextInputBlockElement:
			a.Value = value
		case *slack.RadioButtonsBlockElement:
			opts = e.Options
		case *slack.SelectBlockElement:
			if e.Type == slack.OptTypeUser {
				a.SelectedUser = value
			}
			opts = e.Options
		}
		if opts != nil {
			a.SelectedOption = slack.OptionBlockObject{}
			for _, o := range opts {
				if o.Value == value {
					a.SelectedOption = *o
				}
			}
			if value != "" && a.SelectedOption.Value == "" {
				t.Fatalf("block %s offers no option %q", block, value)
			}
		}
		values[block][id] = a
	}
}

// everyKind has a question of every kind, anonymous and optional ones, and
// a choice long enough to be a menu.
func everyKind() checkinmodels.Checkin {
	c := checkinmodels.NewCheckin()
	c.ID, c.ChannelID, c.Name = 7, "C42", "Team pulse"
	c.Questions = []checkinmodels.Question{
		{Kind: checkinmodels.KindText, Prompt: "What did you ship?", Required: true},
		{Kind: checkinmodels.KindScale, Prompt: "How was your week?", Options: []string{"rough", "great"}, Required: true},
		{Kind: checkinmodels.KindChoice, Prompt: "Where are you working?", Options: []string{"office", "home"}, Required: true},
		{Kind: checkinmodels.KindChoice, Prompt: "Which day suits?", Options: []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}, Required: true},
		{Kind: checkinmodels.KindBlocked, Prompt: "Is anything blocking you?", Required: true},
		{Kind: checkinmodels.KindScale, Prompt: "How much say did you have?", Options: []string{"none", "all"}, Anonymous: true, Required: true},
		{Kind: checkinmodels.KindChoice, Prompt: "Do you have what you need?", Options: []string{"Yes", "Not yet"}, Anonymous: true},
		{Kind: checkinmodels.KindText, Prompt: "Anything else?"},
	}
	return c
}

var aRound = checkinmodels.Round{ID: 12, CheckinID: 7}

// largestAnswerCheckin stays inside every model limit at its maximum.
func largestAnswerCheckin() checkinmodels.Checkin {
	c := checkinmodels.NewCheckin()
	c.ID, c.ChannelID, c.Name = 1<<62, "C0123456789", strings.Repeat("n", checkinmodels.MaxNameLen)
	c.Cadence = "weekdays at 09:30"
	prompt := strings.Repeat("q", checkinmodels.MaxPromptLen-1) + "?"
	var choices []string
	for i := range checkinmodels.MaxChoices {
		choices = append(choices, fmt.Sprintf("%d%s", i, strings.Repeat("o", checkinmodels.MaxOptionLen-1)))
	}
	labels := []string{strings.Repeat("l", checkinmodels.MaxScaleLabelLen), strings.Repeat("h", checkinmodels.MaxScaleLabelLen)}
	for i := range checkinmodels.MaxQuestions {
		q := checkinmodels.Question{Prompt: prompt, Required: i%3 != 0}
		switch i % 4 {
		case 0:
			q.Kind = checkinmodels.KindText
		case 1:
			q.Kind, q.Options, q.Anonymous = checkinmodels.KindScale, labels, true
		case 2:
			q.Kind, q.Options, q.Anonymous = checkinmodels.KindChoice, choices, i%2 == 0
		case 3:
			q.Kind = checkinmodels.KindBlocked
		}
		c.Questions = append(c.Questions, q)
	}
	return c
}

func TestAnswerModalLimits(t *testing.T) {
	largest := largestAnswerCheckin()
	if err := largest.Validate(nil); err != nil {
		t.Fatalf("the largest check-in is invalid: %v", err)
	}
	long := map[int]string{}
	for i, q := range largest.Questions {
		switch q.Kind {
		case checkinmodels.KindText:
			long[i+1] = strings.Repeat("a", 3500) // clipped to the input's max_length
		case checkinmodels.KindScale:
			long[i+1] = "5"
		case checkinmodels.KindChoice:
			long[i+1] = q.Options[9]
		case checkinmodels.KindBlocked:
			long[i+1] = "yes"
		}
	}
	cases := map[string]checkinmodels.Checkin{"largest": largest, "every kind": everyKind()}
	for _, tt := range checkinmodels.Templates() {
		cases[tt.Key] = tt.Checkin
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			label := strings.Repeat("r", 200) // longer than a header holds
			checkModalLimits(t, checkinhandlers.AnswerModal(c, aRound, label, nil, nil))
			checkModalLimits(t, checkinhandlers.AnswerModal(c, aRound, "", long, long))
			checkModalLimits(t, checkinhandlers.AnswerModal(c, checkinmodels.Round{ID: 1 << 62, Closed: true}, "", nil, long))
		})
	}
}

func TestAnswerModalShape(t *testing.T) {
	c := everyKind()
	first := checkinhandlers.AnswerModal(c, aRound, "Team pulse · Fri 6 Mar", nil, nil)
	edit := checkinhandlers.AnswerModal(c, aRound, "Team pulse · Fri 6 Mar", map[int]string{}, nil)
	tests := []struct{ name, got, want string }{
		{"callback id", first.CallbackID, checkinhandlers.CallbackAnswer},
		{"title", first.Title.Text, "Answer"},
		{"submit", first.Submit.Text, "Send"},
		{"edit title", edit.Title.Text, "Edit your answer"},
		{"edit submit", edit.Submit.Text, "Update"},
		{"private_metadata", first.PrivateMetadata, checkinhandlers.AnswerFormMetadata(aRound.ID, c.ID)},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}

	for i, q := range c.Questions {
		in := inputBlock(t, first, checkinhandlers.AnswerBlockID(i+1))
		if in.Optional == q.Required {
			t.Errorf("question %d: optional = %v, want %v", i+1, in.Optional, !q.Required)
		}
		anonymous := strings.HasSuffix(in.Label.Text, "(anonymous — only shown as a total once enough people answer)")
		if anonymous != q.Anonymous || !strings.HasPrefix(in.Label.Text, q.Prompt) {
			t.Errorf("question %d: label %q, want the prompt, marked anonymous: %v", i+1, in.Label.Text, q.Anonymous)
		}
		var want string
		switch q.Kind {
		case checkinmodels.KindText:
			want = "*slack.PlainTextInputBlockElement"
			e := in.Element.(*slack.PlainTextInputBlockElement)
			if !e.Multiline || e.MaxLength != 3000 || in.Hint == nil || !strings.Contains(in.Hint.Text, "kept in full") {
				t.Errorf("question %d: multiline %v, max_length %d, hint %+v; want a multiline 3000 with a hint on long answers", i+1, e.Multiline, e.MaxLength, in.Hint)
			}
		case checkinmodels.KindScale, checkinmodels.KindBlocked:
			want = "*slack.RadioButtonsBlockElement"
		case checkinmodels.KindChoice:
			want = "*slack.RadioButtonsBlockElement"
			if len(q.Options) > 5 {
				want = "*slack.SelectBlockElement"
			}
		}
		if got := fmt.Sprintf("%T", in.Element); got != want {
			t.Errorf("question %d (%s): element %s, want %s", i+1, q.Kind, got, want)
		}
		helper := hasBlock(first, checkinhandlers.AnswerHelperBlockID(i+1))
		if helper != (q.Kind == checkinmodels.KindBlocked) {
			t.Errorf("question %d (%s): helper picker shown = %v", i+1, q.Kind, helper)
		}
	}

	scale := inputBlock(t, first, checkinhandlers.AnswerBlockID(2)).Element.(*slack.RadioButtonsBlockElement)
	var texts, vals []string
	for _, o := range scale.Options {
		texts, vals = append(texts, o.Text.Text), append(vals, o.Value)
	}
	if want := []string{"1 – rough", "2", "3", "4", "5 – great"}; !reflect.DeepEqual(texts, want) {
		t.Errorf("scale options %q, want %q", texts, want)
	}
	if want := []string{"1", "2", "3", "4", "5"}; !reflect.DeepEqual(vals, want) {
		t.Errorf("scale values %q, want %q", vals, want)
	}

	helper := inputBlock(t, first, checkinhandlers.AnswerHelperBlockID(5))
	if sel, ok := helper.Element.(*slack.SelectBlockElement); !ok || sel.Type != slack.OptTypeUser || !helper.Optional {
		t.Errorf("helper block = %+v, want an optional users_select", helper)
	}
}

func TestAnswerRoundTrip(t *testing.T) {
	c := everyKind()
	m := checkinhandlers.AnswerModal(c, aRound, "", nil, nil)
	values := submit(t, m)
	for block, v := range map[string]string{
		checkinhandlers.AnswerBlockID(1):       "  Shipped the planner.\nAnd tests.  ",
		checkinhandlers.AnswerBlockID(2):       "4",
		checkinhandlers.AnswerBlockID(3):       "home",
		checkinhandlers.AnswerBlockID(4):       "Fri",
		checkinhandlers.AnswerBlockID(5):       jobcheckins.ValueYes,
		checkinhandlers.AnswerHelperBlockID(5): "U0HELPER",
		checkinhandlers.AnswerBlockID(6):       "2",
		checkinhandlers.AnswerBlockID(7):       "Not yet",
		checkinhandlers.AnswerBlockID(8):       " \n ",
	} {
		answer(t, m, values, block, v)
	}
	sub, helpers, errs := checkinhandlers.ParseAnswerSubmission(c, values)
	if errs != nil {
		t.Fatalf("errors = %v, want none", errs)
	}
	want := checkinmodels.Submission{
		Answers:   map[int]string{1: "Shipped the planner.\nAnd tests.", 2: "4", 3: "home", 4: "Fri", 5: "yes"},
		Anonymous: map[int]string{6: "2", 7: "Not yet"},
	}
	if !reflect.DeepEqual(sub, want) {
		t.Errorf("submission:\n got %+v\nwant %+v", sub, want)
	}
	if want := map[int]string{5: "U0HELPER"}; !reflect.DeepEqual(helpers, want) {
		t.Errorf("helpers = %v, want %v", helpers, want)
	}

	// Sent back as the earlier answer, it shows again and parses the same.
	edit := checkinhandlers.AnswerModal(c, aRound, "", sub.Answers, nil)
	again, _, errs := checkinhandlers.ParseAnswerSubmission(c, answerStateWith(t, edit, map[string]string{
		checkinhandlers.AnswerBlockID(6): "2", checkinhandlers.AnswerBlockID(7): "Not yet",
	}))
	if errs != nil || !reflect.DeepEqual(again, want) {
		t.Errorf("editing unchanged = %+v, %v, want %+v, no errors", again, errs, want)
	}
}

// answerStateWith is answerState with some blocks answered.
func answerStateWith(t *testing.T, m slack.ModalViewRequest, answers map[string]string) map[string]map[string]slack.BlockAction {
	t.Helper()
	values := submit(t, m)
	for block, v := range answers {
		answer(t, m, values, block, v)
	}
	return values
}

// TestAnswerTemplatesRoundTrip answers every template's questions and gets
// back what checkinmodels.Store.Answer takes.
func TestAnswerTemplatesRoundTrip(t *testing.T) {
	for _, tt := range checkinmodels.Templates() {
		t.Run(tt.Key, func(t *testing.T) {
			c := tt.Checkin
			m := checkinhandlers.AnswerModal(c, aRound, tt.Title, nil, nil)
			values := submit(t, m)
			want := checkinmodels.Submission{Answers: map[int]string{}, Anonymous: map[int]string{}}
			for i, q := range c.Questions {
				pos := i + 1
				var v string
				switch q.Kind {
				case checkinmodels.KindText:
					v = fmt.Sprintf("Answer %d", pos)
				case checkinmodels.KindScale:
					v = "3"
				case checkinmodels.KindChoice:
					v = q.Options[len(q.Options)-1]
				case checkinmodels.KindBlocked:
					v = jobcheckins.ValueNo
				}
				answer(t, m, values, checkinhandlers.AnswerBlockID(pos), v)
				if q.Anonymous {
					want.Anonymous[pos] = v
				} else {
					want.Answers[pos] = v
				}
			}
			sub, helpers, errs := checkinhandlers.ParseAnswerSubmission(c, values)
			if errs != nil {
				t.Fatalf("errors = %v, want none", errs)
			}
			if !reflect.DeepEqual(sub, want) || len(helpers) != 0 {
				t.Errorf("got %+v, helpers %v\nwant %+v, no helpers", sub, helpers, want)
			}
		})
	}
}

func TestAnswerPrefill(t *testing.T) {
	c := everyKind()
	lastTime := map[int]string{1: "Planner work", 2: "3", 3: "office", 5: "yes", 8: "  "}

	t.Run("as last time", func(t *testing.T) {
		m := checkinhandlers.AnswerModal(c, aRound, "", nil, lastTime)
		checkModalLimits(t, m)
		if got := inputBlock(t, m, checkinhandlers.AnswerBlockID(1)).Element.(*slack.PlainTextInputBlockElement).InitialValue; got != "Planner work" {
			t.Errorf("text question shows %q, want last time's answer", got)
		}
		if !hasBlock(m, checkinhandlers.AnswerBlockID(1)+"_last") {
			t.Error("no line says the text question is filled in as last time")
		}
		for _, pos := range []int{2, 3, 5} {
			if got := inputBlock(t, m, checkinhandlers.AnswerBlockID(pos)).Element.(*slack.RadioButtonsBlockElement).InitialOption; got != nil {
				t.Errorf("question %d shows %q from last time, want only free text filled in", pos, got.Value)
			}
		}
		if hasBlock(m, checkinhandlers.AnswerBlockID(8)+"_last") {
			t.Error("a blank answer last time is said to be filled in")
		}
		sub, _, errs := checkinhandlers.ParseAnswerSubmission(c, submit(t, m))
		if sub.Answers[1] != "Planner work" {
			t.Errorf("untouched, question 1 sends %q, want last time's answer", sub.Answers[1])
		}
		if errs[checkinhandlers.AnswerBlockID(2)] == "" {
			t.Errorf("errors = %v, want the unanswered scale flagged", errs)
		}
	})

	t.Run("earlier answer wins", func(t *testing.T) {
		previous := map[int]string{1: "This round's answer", 2: "5", 3: "home", 4: "Sat", 5: "no"}
		m := checkinhandlers.AnswerModal(c, aRound, "", previous, lastTime)
		checkModalLimits(t, m)
		if got := inputBlock(t, m, checkinhandlers.AnswerBlockID(1)).Element.(*slack.PlainTextInputBlockElement).InitialValue; got != previous[1] {
			t.Errorf("text question shows %q, want %q", got, previous[1])
		}
		if got := inputBlock(t, m, checkinhandlers.AnswerBlockID(8)).Element.(*slack.PlainTextInputBlockElement).InitialValue; got != "" {
			t.Errorf("an answer left blank this round shows %q, want it blank", got)
		}
		if hasBlock(m, checkinhandlers.AnswerBlockID(1)+"_last") {
			t.Error("an edit says it is filled in as last time")
		}
		for pos, want := range map[int]string{2: "5", 3: "home", 5: "no"} {
			got := inputBlock(t, m, checkinhandlers.AnswerBlockID(pos)).Element.(*slack.RadioButtonsBlockElement).InitialOption
			if got == nil || got.Value != want {
				t.Errorf("question %d shows %+v, want %q", pos, got, want)
			}
		}
		if got := inputBlock(t, m, checkinhandlers.AnswerBlockID(4)).Element.(*slack.SelectBlockElement).InitialOption; got == nil || got.Value != "Sat" {
			t.Errorf("menu shows %+v, want Sat", got)
		}
	})

	t.Run("an earlier pick no longer offered", func(t *testing.T) {
		m := checkinhandlers.AnswerModal(c, aRound, "", map[int]string{2: "9", 3: "moon"}, nil)
		checkModalLimits(t, m) // an initial_option must be one of the options
	})
}

func TestAnswerSubmissionErrors(t *testing.T) {
	c := everyKind()
	m := checkinhandlers.AnswerModal(c, aRound, "", nil, nil)
	full := map[string]string{
		checkinhandlers.AnswerBlockID(1): "Done", checkinhandlers.AnswerBlockID(2): "4", checkinhandlers.AnswerBlockID(3): "home",
		checkinhandlers.AnswerBlockID(4): "Mon", checkinhandlers.AnswerBlockID(5): "no", checkinhandlers.AnswerBlockID(6): "3",
	}
	tests := []struct {
		name   string
		change func(map[string]map[string]slack.BlockAction)
		block  string // "" for no error
		want   string
	}{
		{"all required answered", func(map[string]map[string]slack.BlockAction) {}, "", ""},
		{"text missing", func(v map[string]map[string]slack.BlockAction) {
			delete(v, checkinhandlers.AnswerBlockID(1))
		}, checkinhandlers.AnswerBlockID(1), "needs an answer"},
		{"text only whitespace", func(v map[string]map[string]slack.BlockAction) {
			answer(t, m, v, checkinhandlers.AnswerBlockID(1), " \n\t ")
		}, checkinhandlers.AnswerBlockID(1), "needs an answer"},
		{"scale unpicked", func(v map[string]map[string]slack.BlockAction) {
			answer(t, m, v, checkinhandlers.AnswerBlockID(2), "")
		}, checkinhandlers.AnswerBlockID(2), "1 to 5"},
		{"menu unpicked", func(v map[string]map[string]slack.BlockAction) {
			answer(t, m, v, checkinhandlers.AnswerBlockID(4), "")
		}, checkinhandlers.AnswerBlockID(4), "needs an answer"},
		{"blocked unpicked", func(v map[string]map[string]slack.BlockAction) {
			answer(t, m, v, checkinhandlers.AnswerBlockID(5), "")
		}, checkinhandlers.AnswerBlockID(5), "yes or no"},
		{"anonymous unpicked", func(v map[string]map[string]slack.BlockAction) {
			answer(t, m, v, checkinhandlers.AnswerBlockID(6), "")
		}, checkinhandlers.AnswerBlockID(6), "1 to 5"},
		{"blocked without a helper", func(v map[string]map[string]slack.BlockAction) {
			answer(t, m, v, checkinhandlers.AnswerBlockID(5), "yes")
		}, "", ""},
		{"a choice since removed", func(v map[string]map[string]slack.BlockAction) {
			state := v[checkinhandlers.AnswerBlockID(3)]
			for id, a := range state {
				a.SelectedOption.Value = "moon"
				state[id] = a
			}
		}, checkinhandlers.AnswerBlockID(3), "pick again"},
		{"a scale out of range", func(v map[string]map[string]slack.BlockAction) {
			state := v[checkinhandlers.AnswerBlockID(2)]
			for id, a := range state {
				a.SelectedOption.Value = "6"
				state[id] = a
			}
		}, checkinhandlers.AnswerBlockID(2), "1 to 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := answerStateWith(t, m, full)
			tt.change(values)
			_, _, errs := checkinhandlers.ParseAnswerSubmission(c, values)
			if tt.block == "" {
				if errs != nil {
					t.Errorf("errors = %v, want none", errs)
				}
				return
			}
			if len(errs) != 1 {
				t.Errorf("errors = %v, want exactly one, on %s", errs, tt.block)
			}
			if got := errs[tt.block]; !strings.Contains(got, tt.want) {
				t.Errorf("error on %s = %q, want it to contain %q", tt.block, got, tt.want)
			}
		})
	}
}

func TestAnswerHelpers(t *testing.T) {
	c := everyKind()
	m := checkinhandlers.AnswerModal(c, aRound, "", nil, nil)
	base := map[string]string{
		checkinhandlers.AnswerBlockID(1): "Done", checkinhandlers.AnswerBlockID(2): "4", checkinhandlers.AnswerBlockID(3): "home",
		checkinhandlers.AnswerBlockID(4): "Mon", checkinhandlers.AnswerBlockID(6): "3", checkinhandlers.AnswerHelperBlockID(5): "U0HELPER",
	}
	for blocked, want := range map[string]map[int]string{"yes": {5: "U0HELPER"}, "no": {}} {
		values := answerStateWith(t, m, base)
		answer(t, m, values, checkinhandlers.AnswerBlockID(5), blocked)
		_, helpers, errs := checkinhandlers.ParseAnswerSubmission(c, values)
		if errs != nil || !reflect.DeepEqual(helpers, want) {
			t.Errorf("blocked %s with a helper: helpers %v, errors %v; want %v, none", blocked, helpers, errs, want)
		}
	}
}

func TestAnswerAnonymousStaysAnonymous(t *testing.T) {
	c := everyKind()
	m := checkinhandlers.AnswerModal(c, aRound, "", nil, nil)
	values := answerStateWith(t, m, map[string]string{
		checkinhandlers.AnswerBlockID(1): "Done", checkinhandlers.AnswerBlockID(2): "4", checkinhandlers.AnswerBlockID(3): "home",
		checkinhandlers.AnswerBlockID(4): "Mon", checkinhandlers.AnswerBlockID(5): "no", checkinhandlers.AnswerBlockID(6): "1", checkinhandlers.AnswerBlockID(7): "Yes",
	})
	sub, _, errs := checkinhandlers.ParseAnswerSubmission(c, values)
	if errs != nil {
		t.Fatalf("errors = %v", errs)
	}
	for i, q := range c.Questions {
		pos := i + 1
		_, named := sub.Answers[pos]
		_, anon := sub.Anonymous[pos]
		if q.Anonymous && (named || !anon) || !q.Anonymous && anon {
			t.Errorf("question %d (anonymous %v): in Answers %v, in Anonymous %v", pos, q.Anonymous, named, anon)
		}
	}

	edit := checkinhandlers.AnswerModal(c, aRound, "", sub.Answers, nil)
	if hint := inputBlock(t, edit, checkinhandlers.AnswerBlockID(6)).Hint; hint == nil || !strings.Contains(hint.Text, "can't be changed") {
		t.Errorf("editing, the anonymous question's hint is %+v, want it to say the first answer stays", hint)
	}
}
