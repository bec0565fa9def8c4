package checkins

import "time"

// Template is a ready-made check-in a person can start from.
type Template struct {
	Key         string // stable identifier, such as "standup"
	Title       string // what the template picker shows
	Description string // one line on what it is for
	Checkin     Checkin
}

// Templates returns the built-in templates, in the order a picker
// shows them: daily stand-up, weekly check-in, autonomy pulse and retro. Each
// call returns fresh copies, so callers may change them.
func Templates() []Template {
	base := func(name, cadence string, round time.Duration, qs ...Question) Checkin {
		c := NewCheckin()
		c.Name, c.Cadence, c.RoundLength, c.Questions = name, cadence, round, qs
		return c
	}
	text := func(p string) Question { return Question{Kind: KindText, Prompt: p, Required: true} }
	return []Template{
		{
			Key:         "standup",
			Title:       "Daily stand-up",
			Description: "Yesterday, today and anything in the way, every weekday morning.",
			Checkin: base("Daily stand-up", "weekdays at 09:30", 8*time.Hour,
				text("What did you get done yesterday?"),
				text("What will you work on today?"),
				Question{Kind: KindBlocked, Prompt: "Is anything blocking you?", Required: true},
			),
		},
		{
			Key:         "weekly",
			Title:       "Weekly check-in",
			Description: "What moved this week and what comes next, on Friday afternoon.",
			// Three days, so people off on Friday can still answer on Monday.
			Checkin: base("Weekly check-in", "fridays at 14:00", 3*24*time.Hour,
				text("What did you get done this week?"),
				text("What will you focus on next week?"),
				Question{Kind: KindBlocked, Prompt: "Is anything blocking you?", Required: true},
				Question{Kind: KindScale, Prompt: "How was your week?", Options: []string{"rough", "great"}, Required: true},
			),
		},
		{
			Key:         "pulse",
			Title:       "Autonomy pulse",
			Description: "Once a month: outcomes, what would help, and how much say people have.",
			Checkin: base("Autonomy pulse", "monthly on the first monday at 10:00", 7*24*time.Hour,
				text("What outcome are you driving?"),
				text("What would help you move faster?"),
				Question{Kind: KindChoice, Prompt: "Do you have the skills, tools and people you need?", Options: []string{"Yes", "Mostly", "Not yet"}, Required: true},
				Question{Kind: KindText, Prompt: "Who could help you?"},
				// Anonymous: people answer a question about their own
				// autonomy honestly only if no one watches the number.
				Question{Kind: KindScale, Prompt: "How much say did you have in how you did your work?", Options: []string{"none at all", "all of it"}, Anonymous: true, Required: true},
			),
		},
		{
			Key:         "retro",
			Title:       "Retro",
			Description: "Every other Friday: what went well, what didn't, what to try.",
			Checkin: base("Retro", "every 2 weeks on fri at 15:00", 3*24*time.Hour,
				text("What went well?"),
				text("What didn't go well?"),
				text("What should we try next?"),
				Question{Kind: KindScale, Prompt: "How well did we work together?", Options: []string{"poorly", "very well"}, Required: true},
			),
		},
	}
}

// FindTemplate returns the built-in template with key.
func FindTemplate(key string) (Template, bool) {
	for _, t := range Templates() {
		if t.Key == key {
			return t, true
		}
	}
	return Template{}, false
}
