package checkins_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models/calendar"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// set changes the submitted value of one block.
func set(values map[string]map[string]slack.BlockAction, block string, change func(*slack.BlockAction)) {
	for id, a := range values[block] {
		change(&a)
		values[block][id] = a
	}
}

func TestCheckinModalLimits(t *testing.T) {
	templates := checkinmodels.Templates()
	for _, tt := range templates {
		t.Run(tt.Key, func(t *testing.T) {
			checkModalLimits(t, checkinhandlers.CheckinModal(tt.Checkin, templates, tt.Key))
		})
	}
	t.Run("blank", func(t *testing.T) {
		checkModalLimits(t, checkinhandlers.CheckinModal(checkinmodels.NewCheckin(), templates, ""))
	})
	t.Run("largest", func(t *testing.T) {
		c := largestCheckin()
		if err := c.Validate(nil); err != nil {
			t.Fatalf("the largest check-in is invalid: %v", err)
		}
		checkModalLimits(t, checkinhandlers.CheckinModal(c, templates, ""))
	})
	t.Run("edit", func(t *testing.T) {
		c := templates[0].Checkin
		c.ID = 7
		m := checkinhandlers.CheckinModal(c, templates, "")
		checkModalLimits(t, m)
		if got := blockIDs(m); got[0] == checkinhandlers.BlockCheckinTemplate {
			t.Errorf("editing offers the template picker: %v", got)
		}
	})
}

// largestCheckin stays inside every model limit at its maximum.
func largestCheckin() checkinmodels.Checkin {
	c := checkinmodels.NewCheckin()
	c.Name = strings.Repeat("n", checkinmodels.MaxNameLen)
	c.Cadence = "monthly on the first monday at 10:00"
	c.Participants = checkinmodels.ParticipantsChosen
	for i := range 50 {
		c.People = append(c.People, fmt.Sprintf("U%08d", i))
	}
	for i := range checkinmodels.MaxQuestions {
		q := checkinmodels.Question{Kind: checkinmodels.KindText, Prompt: strings.Repeat("q", checkinmodels.MaxPromptLen-1) + "?", Required: true}
		if i%2 == 0 {
			q.Kind = checkinmodels.KindScale
			q.Options = []string{strings.Repeat("l", checkinmodels.MaxScaleLabelLen), strings.Repeat("h", checkinmodels.MaxScaleLabelLen)}
		}
		c.Questions = append(c.Questions, q)
	}
	c.RoundLength = checkinmodels.MaxRoundLength
	return c
}

func blockIDs(m slack.ModalViewRequest) []string {
	var ids []string
	for _, b := range m.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			ids = append(ids, in.BlockID)
		}
	}
	return ids
}

func TestCheckinModalTemplatePicker(t *testing.T) {
	templates := checkinmodels.Templates()
	m := checkinhandlers.CheckinModal(checkinmodels.NewCheckin(), templates, "")
	if m.CallbackID != checkinhandlers.CallbackCheckin {
		t.Errorf("callback id = %q, want %q", m.CallbackID, checkinhandlers.CallbackCheckin)
	}
	picker, ok := m.Blocks.BlockSet[0].(*slack.InputBlock)
	if !ok || picker.BlockID != checkinhandlers.BlockCheckinTemplate || !picker.DispatchAction {
		t.Fatalf("first block = %+v, want the template picker with dispatch_action", m.Blocks.BlockSet[0])
	}
	sel := picker.Element.(*slack.SelectBlockElement)
	if sel.ActionID != checkinhandlers.ActionCheckinTemplate {
		t.Errorf("picker action id = %q, want %q", sel.ActionID, checkinhandlers.ActionCheckinTemplate)
	}
	if got, want := len(sel.Options), len(templates)+1; got != want {
		t.Errorf("picker has %d options, want %d", got, want)
	}

	// Picking a template redraws the form with new action ids, or Slack
	// would keep the old name and questions in place.
	nameAction := func(m slack.ModalViewRequest) string {
		for id := range submit(t, m)[checkinhandlers.BlockCheckinName] {
			return id
		}
		return ""
	}
	standup := checkinhandlers.CheckinModal(templates[0].Checkin, templates, templates[0].Key)
	weekly := checkinhandlers.CheckinModal(templates[1].Checkin, templates, templates[1].Key)
	if a, b := nameAction(standup), nameAction(weekly); a == b || !strings.HasPrefix(a, checkinhandlers.ActionCheckinName) {
		t.Errorf("name action ids %q and %q, want distinct ids starting %q", a, b, checkinhandlers.ActionCheckinName)
	}
	if got := standup.Blocks.BlockSet[0].(*slack.InputBlock).Element.(*slack.SelectBlockElement).InitialOption; got == nil || got.Value != templates[0].Key {
		t.Errorf("picker shows %+v, want %q", got, templates[0].Key)
	}
}

func TestCheckinRoundTrip(t *testing.T) {
	templates := checkinmodels.Templates()
	custom := checkinmodels.Checkin{
		Name:         "Ops | night shift",
		Cadence:      "tue,thu at 16:00",
		Participants: checkinmodels.ParticipantsChosen,
		People:       []string{"U1", "U2"},
		Destination:  checkinmodels.DestinationDigest,
		RoundLength:  48 * time.Hour,
		Reminders:    2,
		Questions: []checkinmodels.Question{
			{Kind: checkinmodels.KindText, Prompt: "Today: what's the plan?", Required: true},
			{Kind: checkinmodels.KindText, Prompt: "scale: is a word here", Required: true},
			{Kind: checkinmodels.KindText, Prompt: "1. Numbered on purpose", Required: true},
			{Kind: checkinmodels.KindChoice, Prompt: "Pipe | or slash?", Options: []string{"a|b", "a/b"}, Anonymous: true, Required: true},
			{Kind: checkinmodels.KindScale, Prompt: "Energy?", Options: []string{"low", "high"}, Anonymous: true},
			{Kind: checkinmodels.KindBlocked, Prompt: "Blocked?", Required: true},
			{Kind: checkinmodels.KindText, Prompt: "Anything else?"},
		},
	}
	odd := templates[2].Checkin
	odd.RoundLength = 10 * 24 * time.Hour // not in the list: offered as an extra option

	cases := map[string]checkinmodels.Checkin{"custom": custom, "odd round": odd}
	for _, tt := range templates {
		cases[tt.Key] = tt.Checkin
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			m := checkinhandlers.CheckinModal(want, templates, "")
			got, errs := checkinhandlers.ParseCheckinSubmission(submit(t, m))
			if errs != nil {
				t.Fatalf("ParseCheckinSubmission errors = %v, want none", errs)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestCheckinQuestionSyntax(t *testing.T) {
	values := submit(t, checkinhandlers.CheckinModal(checkinmodels.Templates()[0].Checkin, nil, ""))
	set(values, checkinhandlers.BlockCheckinQuestions, func(a *slack.BlockAction) {
		a.Value = "- What's new?\n\n2) optional: Anything else?\nANON Choice: Where? | office | home |\nblocked:Stuck?\nscale: How much say? | none | all"
	})
	got, errs := checkinhandlers.ParseCheckinSubmission(values)
	if errs != nil {
		t.Fatalf("errors = %v", errs)
	}
	want := []checkinmodels.Question{
		{Kind: checkinmodels.KindText, Prompt: "What's new?", Required: true},
		{Kind: checkinmodels.KindText, Prompt: "Anything else?"},
		{Kind: checkinmodels.KindChoice, Prompt: "Where?", Options: []string{"office", "home"}, Anonymous: true, Required: true},
		{Kind: checkinmodels.KindBlocked, Prompt: "Stuck?", Required: true},
		{Kind: checkinmodels.KindScale, Prompt: "How much say?", Options: []string{"none", "all"}, Required: true},
	}
	if !reflect.DeepEqual(got.Questions, want) {
		t.Errorf("questions:\n got %+v\nwant %+v", got.Questions, want)
	}
}

// TestCheckinHelpExamplesParse: the examples the modal shows are correct.
func TestCheckinHelpExamplesParse(t *testing.T) {
	m := checkinhandlers.CheckinModal(checkinmodels.NewCheckin(), checkinmodels.Templates(), "")
	raw, _ := json.Marshal(m)
	var v struct {
		Blocks []struct {
			BlockID string `json:"block_id"`
			Hint    struct{ Text string }
			Element struct{ Placeholder struct{ Text string } }
		}
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	anchor := calendar.Date{Year: 2026, Month: time.March, Day: 2}
	for _, b := range v.Blocks {
		if b.BlockID != checkinhandlers.BlockCheckinCadence {
			continue
		}
		examples := regexp.MustCompile(`“([^”]+)”`).FindAllStringSubmatch(b.Hint.Text, -1)
		if len(examples) < 5 {
			t.Fatalf("cadence hint %q has %d examples", b.Hint.Text, len(examples))
		}
		for _, e := range append(examples, []string{"", b.Element.Placeholder.Text}) {
			if _, err := cadence.Parse(e[1], anchor); err != nil {
				t.Errorf("cadence example %q: %v", e[1], err)
			}
		}
		return
	}
	t.Fatal("no cadence block")
}

func TestCheckinSubmissionErrors(t *testing.T) {
	base := func() map[string]map[string]slack.BlockAction {
		templates := checkinmodels.Templates()
		return submit(t, checkinhandlers.CheckinModal(templates[0].Checkin, templates, templates[0].Key))
	}
	questions := func(s string) func(map[string]map[string]slack.BlockAction) {
		return func(v map[string]map[string]slack.BlockAction) {
			set(v, checkinhandlers.BlockCheckinQuestions, func(a *slack.BlockAction) { a.Value = s })
		}
	}
	lines := func(n int) string {
		var qs []string
		for i := range n {
			qs = append(qs, fmt.Sprintf("Question %d?", i+1))
		}
		return strings.Join(qs, "\n")
	}
	tests := []struct {
		name   string
		change func(map[string]map[string]slack.BlockAction)
		block  string
		want   string
	}{
		{"no questions", questions(" \n\n"), checkinhandlers.BlockCheckinQuestions, "at least one question"},
		{"11 questions", questions(lines(11)), checkinhandlers.BlockCheckinQuestions, "There are 11 questions"},
		{"question over the label limit", questions("Fine?\n" + strings.Repeat("x", 2001)), checkinhandlers.BlockCheckinQuestions, "Line 2: This question is 2001 characters"},
		{"question over the header limit", questions(strings.Repeat("x", 151)), checkinhandlers.BlockCheckinQuestions, "Line 1:"},
		{"options without a type", questions("Fine?\nWhere? | office | home"), checkinhandlers.BlockCheckinQuestions, "Line 2 has options"},
		{"two types", questions("scale choice: Where? | a | b"), checkinhandlers.BlockCheckinQuestions, "two types"},
		{"type without a question", questions("blocked:"), checkinhandlers.BlockCheckinQuestions, "no question"},
		{"choice with one option", questions("choice: Where? | home"), checkinhandlers.BlockCheckinQuestions, "Line 1: A choice needs 2 to 10"},
		{"anonymous text", questions("anon: Secret?"), checkinhandlers.BlockCheckinQuestions, "can be anonymous"},
		{"round length missing", func(v map[string]map[string]slack.BlockAction) {
			delete(v, checkinhandlers.BlockCheckinRoundLength)
		}, checkinhandlers.BlockCheckinRoundLength, "how long a round"},
		{"round length unreadable", func(v map[string]map[string]slack.BlockAction) {
			set(v, checkinhandlers.BlockCheckinRoundLength, func(a *slack.BlockAction) { a.SelectedOption.Value = "soon" })
		}, checkinhandlers.BlockCheckinRoundLength, "from the list"},
		{"unknown template", func(v map[string]map[string]slack.BlockAction) {
			set(v, checkinhandlers.BlockCheckinTemplate, func(a *slack.BlockAction) { a.SelectedOption.Value = "okr" })
		}, checkinhandlers.BlockCheckinTemplate, "don't know that template"},
		{"no name", func(v map[string]map[string]slack.BlockAction) {
			set(v, checkinhandlers.BlockCheckinName, func(a *slack.BlockAction) { a.Value = " " })
		}, checkinhandlers.BlockCheckinName, "Give the check-in a name"},
		{"no cadence", func(v map[string]map[string]slack.BlockAction) {
			set(v, checkinhandlers.BlockCheckinCadence, func(a *slack.BlockAction) { a.Value = "" })
		}, checkinhandlers.BlockCheckinCadence, "weekdays at 09:30"},
		{"chosen without people", func(v map[string]map[string]slack.BlockAction) {
			set(v, checkinhandlers.BlockCheckinParticipants, func(a *slack.BlockAction) { a.SelectedOption.Value = string(checkinmodels.ParticipantsChosen) })
		}, checkinhandlers.BlockCheckinPeople, "at least one person"},
		{"no destination", func(v map[string]map[string]slack.BlockAction) {
			delete(v, checkinhandlers.BlockCheckinDestination)
		}, checkinhandlers.BlockCheckinDestination, "where answers go"},
		{"reminders missing", func(v map[string]map[string]slack.BlockAction) {
			delete(v, checkinhandlers.BlockCheckinReminders)
		}, checkinhandlers.BlockCheckinReminders, "0, 1 or 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := base()
			tt.change(values)
			_, errs := checkinhandlers.ParseCheckinSubmission(values)
			if len(errs) != 1 {
				t.Errorf("errors = %v, want exactly one, on %s", errs, tt.block)
			}
			if got := errs[tt.block]; !strings.Contains(got, tt.want) {
				t.Errorf("error on %s = %q, want it to contain %q", tt.block, got, tt.want)
			}
		})
	}
}

func TestCheckinSubmissionManyProblemsStayShort(t *testing.T) {
	values := submit(t, checkinhandlers.CheckinModal(checkinmodels.NewCheckin(), nil, ""))
	set(values, checkinhandlers.BlockCheckinQuestions, func(a *slack.BlockAction) {
		a.Value = strings.Repeat("Where? | a | b\n", 10)
	})
	_, errs := checkinhandlers.ParseCheckinSubmission(values)
	got := errs[checkinhandlers.BlockCheckinQuestions]
	if !strings.HasPrefix(got, "Line 1 has options") || !strings.Contains(got, "(And 7 more.)") {
		t.Errorf("error = %q, want the first three lines and a count of the rest", got)
	}
}
