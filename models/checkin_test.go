package models_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models"
)

// parseCadence is what the handler passes to Validate.
func parseCadence(anchor models.Date) func(string) error {
	return func(s string) error {
		_, err := cadence.Parse(s, anchor)
		return err
	}
}

func TestCheckinTemplatesValidate(t *testing.T) {
	anchor := models.Date{Year: 2026, Month: time.March, Day: 6}
	keys := map[string]bool{}
	for _, tt := range models.CheckinTemplates() {
		t.Run(tt.Key, func(t *testing.T) {
			if err := tt.Checkin.Validate(parseCadence(anchor)); err != nil {
				t.Errorf("template %q: Validate = %v, want nil", tt.Key, err)
			}
			if tt.Title == "" || tt.Description == "" {
				t.Errorf("template %q has no title or description", tt.Key)
			}
			if got, want := tt.Checkin.Reminders, models.DefaultReminders; got != want {
				t.Errorf("template %q: Reminders = %d, want %d", tt.Key, got, want)
			}
			got, ok := models.FindCheckinTemplate(tt.Key)
			if !ok || got.Title != tt.Title {
				t.Errorf("FindCheckinTemplate(%q) = %+v, %v; want %q", tt.Key, got, ok, tt.Title)
			}
		})
		keys[tt.Key] = true
	}
	for _, k := range []string{"standup", "weekly", "pulse", "retro"} {
		if !keys[k] {
			t.Errorf("no template %q", k)
		}
	}
	if _, ok := models.FindCheckinTemplate("nope"); ok {
		t.Error(`FindCheckinTemplate("nope") found a template`)
	}
}

func TestCheckinTemplatesAreFresh(t *testing.T) {
	a := models.CheckinTemplates()
	a[0].Checkin.Questions[0].Prompt = "changed"
	if b := models.CheckinTemplates(); b[0].Checkin.Questions[0].Prompt == "changed" {
		t.Error("changing a returned template changed the next call's")
	}
}

func TestPulseTemplateQuestions(t *testing.T) {
	p, ok := models.FindCheckinTemplate("pulse")
	if !ok {
		t.Fatal("no pulse template")
	}
	want := []string{
		"What outcome are you driving?",
		"What would help you move faster?",
		"Do you have the skills, tools and people you need?",
		"Who could help you?",
		"How much say did you have in how you did your work?",
	}
	qs := p.Checkin.Questions
	if len(qs) != len(want) {
		t.Fatalf("pulse has %d questions, want %d", len(qs), len(want))
	}
	for i, q := range qs {
		if q.Prompt != want[i] {
			t.Errorf("pulse question %d = %q, want %q", i+1, q.Prompt, want[i])
		}
	}
	if last := qs[4]; last.Kind != models.KindScale || len(last.Options) != 2 {
		t.Errorf("pulse question 5 = %+v, want a 1–5 scale with two labels", last)
	}
	if got, want := p.Checkin.Cadence, "monthly on the first monday at 10:00"; got != want {
		t.Errorf("pulse cadence = %q, want %q", got, want)
	}
}

func TestCheckinValidateProblems(t *testing.T) {
	valid := func() models.Checkin {
		c, _ := models.FindCheckinTemplate("standup")
		return c.Checkin
	}
	q := func(kind models.QuestionKind, prompt string, opts ...string) models.Question {
		return models.Question{Kind: kind, Prompt: prompt, Options: opts, Required: true}
	}
	many := func(n int) []models.Question {
		qs := make([]models.Question, n)
		for i := range qs {
			qs[i] = q(models.KindText, "Question?")
		}
		return qs
	}
	tests := []struct {
		name     string
		change   func(*models.Checkin)
		field    string
		question int
		want     string // part of the message
	}{
		{"no name", func(c *models.Checkin) { c.Name = "  " }, models.FieldName, 0, "“Daily stand-up”"},
		{"long name", func(c *models.Checkin) { c.Name = strings.Repeat("n", models.MaxNameLen+1) }, models.FieldName, 0, "keep it to 60"},
		{"no cadence", func(c *models.Checkin) { c.Cadence = "" }, models.FieldCadence, 0, "weekdays at 09:30"},
		{"bad cadence", func(c *models.Checkin) { c.Cadence = "whenever" }, models.FieldCadence, 0, "couldn't read"},
		{"no questions", func(c *models.Checkin) { c.Questions = nil }, models.FieldQuestions, 0, "at least one question"},
		{"11 questions", func(c *models.Checkin) { c.Questions = many(11) }, models.FieldQuestions, 0, "Remove 1"},
		{"empty prompt", func(c *models.Checkin) { c.Questions[1].Prompt = " " }, models.FieldQuestions, 2, "no text"},
		{"prompt over the header limit", func(c *models.Checkin) { c.Questions[0].Prompt = strings.Repeat("x", 151) }, models.FieldQuestions, 1, "at most 150"},
		{"prompt over the label limit", func(c *models.Checkin) { c.Questions[0].Prompt = strings.Repeat("x", 2001) }, models.FieldQuestions, 1, "shorten it"},
		{"choice with one option", func(c *models.Checkin) { c.Questions[0] = q(models.KindChoice, "Where?", "home") }, models.FieldQuestions, 1, "2 to 10 options"},
		{"choice with 11 options", func(c *models.Checkin) {
			c.Questions[0] = q(models.KindChoice, "Where?", strings.Split("a b c d e f g h i j k", " ")...)
		}, models.FieldQuestions, 1, "(it has 11)"},
		{"long option", func(c *models.Checkin) {
			c.Questions[2] = q(models.KindChoice, "Where?", "home", strings.Repeat("o", 76))
		}, models.FieldQuestions, 3, "at most 75"},
		{"duplicate option", func(c *models.Checkin) { c.Questions[0] = q(models.KindChoice, "Where?", "home", "Home") }, models.FieldQuestions, 1, "twice"},
		{"scale with one label", func(c *models.Checkin) { c.Questions[0] = q(models.KindScale, "How?", "low") }, models.FieldQuestions, 1, "two labels"},
		{"options on text", func(c *models.Checkin) { c.Questions[0].Options = []string{"a", "b"} }, models.FieldQuestions, 1, "have options"},
		{"anonymous text", func(c *models.Checkin) { c.Questions[0].Anonymous = true }, models.FieldQuestions, 1, "can be anonymous"},
		{"anonymous blocked", func(c *models.Checkin) { c.Questions[2].Anonymous = true }, models.FieldQuestions, 3, "can be anonymous"},
		{"unknown kind", func(c *models.Checkin) { c.Questions[0].Kind = "essay" }, models.FieldQuestions, 1, "text, scale, choice or blocked"},
		{"zero round", func(c *models.Checkin) { c.RoundLength = 0 }, models.FieldRoundLength, 0, "how long a round"},
		{"negative round", func(c *models.Checkin) { c.RoundLength = -time.Hour }, models.FieldRoundLength, 0, "how long a round"},
		{"round too long", func(c *models.Checkin) { c.RoundLength = 15 * 24 * time.Hour }, models.FieldRoundLength, 0, "at most 14 days"},
		{"3 reminders", func(c *models.Checkin) { c.Reminders = 3 }, models.FieldReminders, 0, "0, 1 or 2"},
		{"negative reminders", func(c *models.Checkin) { c.Reminders = -1 }, models.FieldReminders, 0, "0, 1 or 2"},
		{"chosen without people", func(c *models.Checkin) { c.Participants = models.ParticipantsChosen }, models.FieldPeople, 0, "at least one person"},
		{"unknown participants", func(c *models.Checkin) { c.Participants = "" }, models.FieldParticipants, 0, "who answers"},
		{"unknown destination", func(c *models.Checkin) { c.Destination = "email" }, models.FieldDestination, 0, "where answers go"},
	}
	anchor := models.Date{Year: 2026, Month: time.March, Day: 6}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			err := c.Validate(parseCadence(anchor))
			var ce *models.CheckinError
			if !errors.As(err, &ce) {
				t.Fatalf("Validate = %v, want a *CheckinError", err)
			}
			if !errors.Is(err, models.ErrInvalid) {
				t.Errorf("Validate = %v, want it to match ErrInvalid", err)
			}
			if len(ce.Problems) != 1 {
				t.Errorf("Validate problems = %+v, want exactly one", ce.Problems)
			}
			got := ce.On(tt.field)
			if len(got) == 0 {
				t.Fatalf("Validate problems = %+v, want one on %q", ce.Problems, tt.field)
			}
			if got[0].Question != tt.question {
				t.Errorf("problem on question %d, want %d", got[0].Question, tt.question)
			}
			if !strings.Contains(got[0].Message, tt.want) {
				t.Errorf("message %q, want it to contain %q", got[0].Message, tt.want)
			}
		})
	}
}

func TestCheckinValidateWithoutCadenceParser(t *testing.T) {
	c := models.NewCheckin()
	c.Name, c.Cadence = "Team", "whenever"
	c.Questions = []models.Question{{Kind: models.KindText, Prompt: "Anything new?"}}
	if err := c.Validate(nil); err != nil {
		t.Errorf("Validate(nil) = %v, want nil: the caller parses the cadence", err)
	}
}

func TestCheckinValidateReportsEverything(t *testing.T) {
	err := models.Checkin{}.Validate(nil)
	var ce *models.CheckinError
	if !errors.As(err, &ce) {
		t.Fatalf("Validate = %v, want a *CheckinError", err)
	}
	for _, f := range []string{models.FieldName, models.FieldCadence, models.FieldQuestions, models.FieldParticipants, models.FieldDestination, models.FieldRoundLength} {
		if len(ce.On(f)) == 0 {
			t.Errorf("no problem on %q in %v", f, err)
		}
	}
	if len(ce.On(models.FieldReminders)) != 0 {
		t.Errorf("0 reminders refused: %v", err)
	}
}
