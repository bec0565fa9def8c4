package peers

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/trellis-bot/trellis/models/invalid"
)

// Prompt is a question a circle spends a session on.
type Prompt struct {
	// ID is stable: built-in ones are "<theme>-NN"; a custom one's is
	// given by the store.
	ID string
	// Theme is a PromptTheme's ID; a custom prompt may have none.
	Theme string
	Text  string
	// Custom is true for a prompt an admin added.
	Custom bool
}

// PromptTheme is a theme of the built-in prompts.
type PromptTheme struct {
	ID, Name string
}

// Themes lists the themes of the built-in prompts, in the order they are
// shown.
func Themes() []PromptTheme {
	return []PromptTheme{
		{"trust", "Trust and transparency"},
		{"outcomes", "Managing by outcomes"},
		{"always-on", "The \"always on\" risk and boundaries"},
		{"silos", "Silos and collaboration"},
		{"autonomy", "Autonomy across roles and career stages"},
		{"learning", "Pairing people to learn"},
		{"flexibility", "Shift and schedule flexibility"},
	}
}

// SessionFormat is how every circle session runs, shown with its prompt.
const SessionFormat = `How this session runs (about 45 minutes):
1. Check-in round (10 min): each person says in a sentence or two how they arrive today, and nobody responds yet.
2. One challenge (25 min): one person brings a live challenge, tied to today's prompt if it fits. The others first ask only open questions, the kind that help the presenter think (what have you tried, what would change your mind), and give advice only once the presenter asks for it.
3. Commitments (10 min): each person names one small thing they will try before the next session, and the circle checks in on the last ones.
What is said in the circle stays in the circle.`

// builtin holds the built-in prompts by theme, in ID order.
var builtin = map[string][]string{
	"trust": {
		"When did someone on your team last bring you bad news early? What did you do in the next five minutes, and what did that teach them about coming to you again?",
		"Which decision of yours would your team be surprised to hear the reasons for? What keeps you from sharing that reasoning as a habit?",
		"Where do you check on work because you doubt the person, and where because you doubt the process? How would you tell the two apart?",
		"What is something you could share with your team this month that you usually keep to yourself: a number, a worry, a trade-off? What is the risk, and what is the cost of not sharing it?",
		"Think of someone whose trust you lost, or who lost yours. What did rebuilding it take, or what would it take?",
		"How do people on your team learn about a mistake you made? What would it look like to admit one out loud next week?",
	},
	"outcomes": {
		"Pick one goal your team holds now. If nobody reported hours or activity, how would you know by the end of the quarter whether it went well?",
		"Where do you still reward visible effort over results? What would change if you stopped?",
		"Describe an outcome you handed to someone without telling them how to get there. What did you struggle not to specify?",
		"When a goal turns out to be the wrong goal halfway through, how does your team find out, and who gets to change it?",
		"What does 'done' mean for the work your team ships? Would each person on your team give the same answer?",
		"Which metric do you watch that your team could game without meaning to? What would a better signal be?",
	},
	"always-on": {
		"When do you send messages outside working hours, and what do people on your team believe you expect when they see one?",
		"What would your team notice if you truly switched off for a week? What are you doing to make that possible?",
		"Who on your team answers fastest at night or at weekends? Is that a strength you rely on or a risk you are building?",
		"Which agreement about response times does your team have, written or not? Whom does it serve, and who pays for it?",
		"How do you notice someone heading for burnout when you do not share an office? What signs have you missed before?",
		"What boundary of your own do you keep least well? What would help you keep it, and who would be glad if you did?",
	},
	"silos": {
		"Which team do you depend on the most and talk to the least? What is one step to change that this month?",
		"Think of a recent handoff between teams that went badly. Where did the knowledge get lost, and who noticed first?",
		"When your team's goals conflict with another team's, how is that settled today? How would you like it to be settled?",
		"What does your team know that another team would pay for, and what keeps that knowledge inside?",
		"How would a newcomer to your team find out who to ask for help in the rest of the company?",
		"Where has autonomy made your team faster at the cost of everyone else? How would you find out?",
	},
	"autonomy": {
		"Does everyone on your team have the same room to decide how they work? Who has less, and is that by design?",
		"How much freedom did you get in your first year at work, and how does that shape what you give newcomers now?",
		"What does autonomy mean for someone junior who wants more guidance, not less? How do you give structure without taking ownership away?",
		"Which roles on your team, such as support, on-call or operations, have the least say over their time? What could change that?",
		"Tell the circle about a time you gave someone more autonomy than they were ready for. What would you do differently?",
		"Who on your team has quietly earned more autonomy than they have been given? What is stopping you from giving it?",
	},
	"learning": {
		"Who on your team knows something the others would benefit from learning? What would it take for them to teach it?",
		"When did you last learn something at work from a peer rather than a course? What made it work?",
		"How do you pair people to learn without it becoming one more meeting in a full week?",
		"What skill would you like to learn from someone on another team, and what could you offer in return?",
		"How does your team make time for learning when delivery pressure is high? What gets dropped first?",
		"Think of a pairing between a senior and a junior person that did not work. What went wrong, and what did each side need?",
	},
	"flexibility": {
		"How does your team decide who covers the less popular shifts or hours? Would everyone call it fair?",
		"Where does schedule flexibility for one person turn into extra load for someone else on your team?",
		"What does your team lose, and what does it gain, when people rarely overlap in their working hours?",
		"How do you make sure people on early, late or part-time schedules are not left out of decisions?",
		"What would it take for your team to hold no meetings one day a week? What would break?",
		"Tell the circle about a request for flexible hours you found hard to answer. What made it hard, and what did you decide?",
	},
}

// CustomPromptID is the Prompt ID of a workspace's own prompt: "custom-"
// and its stored ID, so it never collides with a built-in one.
func CustomPromptID(id int64) string { return fmt.Sprintf("custom-%d", id) }

// Prompt is the custom prompt as NextPrompt takes it.
func (p CustomPrompt) Prompt() Prompt {
	return Prompt{ID: CustomPromptID(p.ID), Theme: p.Theme, Text: p.Text, Custom: true}
}

// BuiltinPrompts returns the built-in prompts, theme by theme in the order
// of Themes.
func BuiltinPrompts() []Prompt {
	var out []Prompt
	for _, th := range Themes() {
		for i, text := range builtin[th.ID] {
			out = append(out, Prompt{ID: fmt.Sprintf("%s-%02d", th.ID, i+1), Theme: th.ID, Text: text})
		}
	}
	return out
}

// ValidatePromptText refuses a custom prompt's text that is empty or longer
// than MaxPromptLen characters, with a *ValidationError on FieldText.
func ValidatePromptText(text string) error {
	var e invalid.Error
	e.Subject = "prompt"
	text = strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		e.Add(FieldText, 0, "A prompt needs a question for the circle to talk about.")
	case n > MaxPromptLen:
		e.Add(FieldText, 0, "A prompt can be at most %d characters; this one has %d. Try asking one question.", MaxPromptLen, n)
	}
	return e.Err()
}

// NextPrompt picks a circle's next prompt from library, given the IDs the
// circle used, oldest first. No prompt repeats until every prompt of the
// library has been used: prompts never used come first, drawn at random
// (by seed and the number of sessions so far), preferring a theme other
// than the last prompt's; once all have been used, the least recently used
// comes next. Custom prompts take part like built-in ones, so one added
// later is used before anything repeats. It returns false for an empty
// library.
func NextPrompt(library []Prompt, used []string, seed int64) (Prompt, bool) {
	lastUse := map[string]int{}
	for i, id := range used {
		lastUse[id] = i
	}
	seen := map[string]bool{}
	var fresh []Prompt
	var oldest Prompt
	oldestAt, found := 0, false
	for _, p := range library {
		if seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		at, ok := lastUse[p.ID]
		if !ok {
			fresh = append(fresh, p)
			continue
		}
		if !found || at < oldestAt {
			oldest, oldestAt, found = p, at, true
		}
	}
	if len(fresh) == 0 {
		return oldest, found
	}
	lastTheme := ""
	if len(used) > 0 {
		for _, p := range library {
			if p.ID == used[len(used)-1] {
				lastTheme = p.Theme
			}
		}
	}
	slices.SortStableFunc(fresh, func(a, b Prompt) int { return strings.Compare(a.ID, b.ID) })
	if other := slices.DeleteFunc(slices.Clone(fresh), func(p Prompt) bool { return lastTheme != "" && p.Theme == lastTheme }); len(other) > 0 {
		fresh = other
	}
	rng := rand.New(rand.NewSource(seed ^ int64(len(used))*0x5851F42D4C957F2D))
	return fresh[rng.Intn(len(fresh))], true
}
