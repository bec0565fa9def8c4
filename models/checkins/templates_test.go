package checkins_test

import (
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/checkins"
)

func TestCheckinTemplatesValidate(t *testing.T) {
	anchor := calendar.Date{Year: 2026, Month: time.March, Day: 6}
	keys := map[string]bool{}
	for _, tt := range checkins.Templates() {
		t.Run(tt.Key, func(t *testing.T) {
			if err := tt.Checkin.Validate(parseCadence(anchor)); err != nil {
				t.Errorf("template %q: Validate = %v, want nil", tt.Key, err)
			}
			if tt.Title == "" || tt.Description == "" {
				t.Errorf("template %q has no title or description", tt.Key)
			}
			if got, want := tt.Checkin.Reminders, checkins.DefaultReminders; got != want {
				t.Errorf("template %q: Reminders = %d, want %d", tt.Key, got, want)
			}
			got, ok := checkins.FindTemplate(tt.Key)
			if !ok || got.Title != tt.Title {
				t.Errorf("FindTemplate(%q) = %+v, %v; want %q", tt.Key, got, ok, tt.Title)
			}
		})
		keys[tt.Key] = true
	}
	for _, k := range []string{"standup", "weekly", "pulse", "retro"} {
		if !keys[k] {
			t.Errorf("no template %q", k)
		}
	}
	if _, ok := checkins.FindTemplate("nope"); ok {
		t.Error(`FindTemplate("nope") found a template`)
	}
}

func TestCheckinTemplatesAreFresh(t *testing.T) {
	a := checkins.Templates()
	a[0].Checkin.Questions[0].Prompt = "changed"
	if b := checkins.Templates(); b[0].Checkin.Questions[0].Prompt == "changed" {
		t.Error("changing a returned template changed the next call's")
	}
}

func TestPulseTemplateQuestions(t *testing.T) {
	p, ok := checkins.FindTemplate("pulse")
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
	if last := qs[4]; last.Kind != checkins.KindScale || len(last.Options) != 2 {
		t.Errorf("pulse question 5 = %+v, want a 1–5 scale with two labels", last)
	}
	if got, want := p.Checkin.Cadence, "monthly on the first monday at 10:00"; got != want {
		t.Errorf("pulse cadence = %q, want %q", got, want)
	}
}
