package checkins_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/checkins"
)

// parseCadence is what the handler passes to Validate.
func parseCadence(anchor calendar.Date) func(string) error {
	return func(s string) error {
		_, err := cadence.Parse(s, anchor)
		return err
	}
}

func TestCheckinValidateProblems(t *testing.T) {
	valid := func() checkins.Checkin {
		c, _ := checkins.FindTemplate("standup")
		return c.Checkin
	}
	q := func(kind checkins.QuestionKind, prompt string, opts ...string) checkins.Question {
		return checkins.Question{Kind: kind, Prompt: prompt, Options: opts, Required: true}
	}
	many := func(n int) []checkins.Question {
		qs := make([]checkins.Question, n)
		for i := range qs {
			qs[i] = q(checkins.KindText, "Question?")
		}
		return qs
	}
	tests := []struct {
		name     string
		change   func(*checkins.Checkin)
		field    string
		question int
		want     string // part of the message
	}{
		{"no name", func(c *checkins.Checkin) { c.Name = "  " }, checkins.FieldName, 0, "“Daily stand-up”"},
		{"long name", func(c *checkins.Checkin) { c.Name = strings.Repeat("n", checkins.MaxNameLen+1) }, checkins.FieldName, 0, "keep it to 60"},
		{"no cadence", func(c *checkins.Checkin) { c.Cadence = "" }, checkins.FieldCadence, 0, "weekdays at 09:30"},
		{"bad cadence", func(c *checkins.Checkin) { c.Cadence = "whenever" }, checkins.FieldCadence, 0, "couldn't read"},
		{"no questions", func(c *checkins.Checkin) { c.Questions = nil }, checkins.FieldQuestions, 0, "at least one question"},
		{"11 questions", func(c *checkins.Checkin) { c.Questions = many(11) }, checkins.FieldQuestions, 0, "Remove 1"},
		{"empty prompt", func(c *checkins.Checkin) { c.Questions[1].Prompt = " " }, checkins.FieldQuestions, 2, "no text"},
		{"prompt over the header limit", func(c *checkins.Checkin) { c.Questions[0].Prompt = strings.Repeat("x", 151) }, checkins.FieldQuestions, 1, "at most 150"},
		{"prompt over the label limit", func(c *checkins.Checkin) { c.Questions[0].Prompt = strings.Repeat("x", 2001) }, checkins.FieldQuestions, 1, "shorten it"},
		{"choice with one option", func(c *checkins.Checkin) { c.Questions[0] = q(checkins.KindChoice, "Where?", "home") }, checkins.FieldQuestions, 1, "2 to 10 options"},
		{"choice with 11 options", func(c *checkins.Checkin) {
			c.Questions[0] = q(checkins.KindChoice, "Where?", strings.Split("a b c d e f g h i j k", " ")...)
		}, checkins.FieldQuestions, 1, "(it has 11)"},
		{"long option", func(c *checkins.Checkin) {
			c.Questions[2] = q(checkins.KindChoice, "Where?", "home", strings.Repeat("o", 76))
		}, checkins.FieldQuestions, 3, "at most 75"},
		{"duplicate option", func(c *checkins.Checkin) { c.Questions[0] = q(checkins.KindChoice, "Where?", "home", "Home") }, checkins.FieldQuestions, 1, "twice"},
		{"scale with one label", func(c *checkins.Checkin) { c.Questions[0] = q(checkins.KindScale, "How?", "low") }, checkins.FieldQuestions, 1, "two labels"},
		{"options on text", func(c *checkins.Checkin) { c.Questions[0].Options = []string{"a", "b"} }, checkins.FieldQuestions, 1, "have options"},
		{"anonymous text", func(c *checkins.Checkin) { c.Questions[0].Anonymous = true }, checkins.FieldQuestions, 1, "can be anonymous"},
		{"anonymous blocked", func(c *checkins.Checkin) { c.Questions[2].Anonymous = true }, checkins.FieldQuestions, 3, "can be anonymous"},
		{"unknown kind", func(c *checkins.Checkin) { c.Questions[0].Kind = "essay" }, checkins.FieldQuestions, 1, "text, scale, choice or blocked"},
		{"zero round", func(c *checkins.Checkin) { c.RoundLength = 0 }, checkins.FieldRoundLength, 0, "how long a round"},
		{"negative round", func(c *checkins.Checkin) { c.RoundLength = -time.Hour }, checkins.FieldRoundLength, 0, "how long a round"},
		{"round too long", func(c *checkins.Checkin) { c.RoundLength = 15 * 24 * time.Hour }, checkins.FieldRoundLength, 0, "at most 14 days"},
		{"3 reminders", func(c *checkins.Checkin) { c.Reminders = 3 }, checkins.FieldReminders, 0, "0, 1 or 2"},
		{"negative reminders", func(c *checkins.Checkin) { c.Reminders = -1 }, checkins.FieldReminders, 0, "0, 1 or 2"},
		{"chosen without people", func(c *checkins.Checkin) { c.Participants = checkins.ParticipantsChosen }, checkins.FieldPeople, 0, "at least one person"},
		{"unknown participants", func(c *checkins.Checkin) { c.Participants = "" }, checkins.FieldParticipants, 0, "who answers"},
		{"unknown destination", func(c *checkins.Checkin) { c.Destination = "email" }, checkins.FieldDestination, 0, "where answers go"},
	}
	anchor := calendar.Date{Year: 2026, Month: time.March, Day: 6}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			err := c.Validate(parseCadence(anchor))
			var ce *checkins.ValidationError
			if !errors.As(err, &ce) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
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
			if got[0].Item != tt.question {
				t.Errorf("problem on question %d, want %d", got[0].Item, tt.question)
			}
			if !strings.Contains(got[0].Message, tt.want) {
				t.Errorf("message %q, want it to contain %q", got[0].Message, tt.want)
			}
		})
	}
}

func TestCheckinValidateWithoutCadenceParser(t *testing.T) {
	c := checkins.NewCheckin()
	c.Name, c.Cadence = "Team", "whenever"
	c.Questions = []checkins.Question{{Kind: checkins.KindText, Prompt: "Anything new?"}}
	if err := c.Validate(nil); err != nil {
		t.Errorf("Validate(nil) = %v, want nil: the caller parses the cadence", err)
	}
}

func TestCheckinValidateReportsEverything(t *testing.T) {
	err := checkins.Checkin{}.Validate(nil)
	var ce *checkins.ValidationError
	if !errors.As(err, &ce) {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	for _, f := range []string{checkins.FieldName, checkins.FieldCadence, checkins.FieldQuestions, checkins.FieldParticipants, checkins.FieldDestination, checkins.FieldRoundLength} {
		if len(ce.On(f)) == 0 {
			t.Errorf("no problem on %q in %v", f, err)
		}
	}
	if len(ce.On(checkins.FieldReminders)) != 0 {
		t.Errorf("0 reminders refused: %v", err)
	}
}
