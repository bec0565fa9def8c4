package peers

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/models/invalid"
)

func TestBuiltinPrompts(t *testing.T) {
	prompts := BuiltinPrompts()
	if len(prompts) < 40 {
		t.Fatalf("%d built-in prompts, want at least 40", len(prompts))
	}
	themes := map[string]int{}
	for _, th := range Themes() {
		themes[th.ID] = 0
	}
	ids, texts := map[string]bool{}, map[string]bool{}
	for _, p := range prompts {
		if _, ok := themes[p.Theme]; !ok {
			t.Errorf("%s: theme %q is not in Themes()", p.ID, p.Theme)
		}
		themes[p.Theme]++
		if ids[p.ID] || texts[p.Text] {
			t.Errorf("%s: repeated ID or text", p.ID)
		}
		ids[p.ID], texts[p.Text] = true, true
		if !strings.HasPrefix(p.ID, p.Theme+"-") || p.Custom {
			t.Errorf("%s: ID does not start with its theme %q, or marked custom", p.ID, p.Theme)
		}
		if err := ValidatePromptText(p.Text); err != nil || !strings.Contains(p.Text, "?") {
			t.Errorf("%s: not a valid open question: %v", p.ID, err)
		}
	}
	for th, n := range themes {
		if n < 5 {
			t.Errorf("theme %s has %d prompts, want at least 5", th, n)
		}
	}
	if BuiltinPrompts()[0].ID != "trust-01" {
		t.Errorf("first prompt is %s, want trust-01", BuiltinPrompts()[0].ID)
	}
	for _, step := range []string{"Check-in round", "open questions", "advice", "Commitments"} {
		if !strings.Contains(SessionFormat, step) {
			t.Errorf("SessionFormat lacks %q", step)
		}
	}
}

func TestValidatePromptText(t *testing.T) {
	for _, tc := range []struct {
		text string
		want string // "" for valid
	}{
		{"What keeps you up at night?", ""},
		{"   ", "A prompt needs a question for the circle to talk about."},
		{"", "A prompt needs a question for the circle to talk about."},
		{strings.Repeat("é", 500), ""},
		{strings.Repeat("é", 501), "A prompt can be at most 500 characters; this one has 501. Try asking one question."},
	} {
		err := ValidatePromptText(tc.text)
		if tc.want == "" {
			if err != nil {
				t.Errorf("ValidatePromptText(%.20q) = %v, want nil", tc.text, err)
			}
			continue
		}
		var ve *invalid.Error
		if !errors.As(err, &ve) || !errors.Is(err, invalid.ErrInvalid) || len(ve.On(FieldText)) != 1 || ve.On(FieldText)[0].Message != tc.want {
			t.Errorf("ValidatePromptText(%.20q) = %v, want %q on %s", tc.text, err, tc.want, FieldText)
		}
	}
}

// TestNextPromptNoRepeat: over long runs, with custom prompts added (and
// some removed) along the way, a prompt is used again only once every
// prompt of the library at that time has been used since its last use;
// the choice is the same for the same seed and history.
func TestNextPromptNoRepeat(t *testing.T) {
	runs := propertyRuns(t, 100)
	first := propertySeed(t)
	for seed := first; seed < first+int64(runs); seed++ {
		rng := rand.New(rand.NewSource(seed))
		library := BuiltinPrompts()
		if rng.Intn(3) == 0 {
			library = library[:1+rng.Intn(10)]
		}
		var used []string
		custom := 0
		for session := 0; session < 150; session++ {
			switch rng.Intn(20) {
			case 0:
				custom++
				library = append(library, Prompt{ID: fmt.Sprintf("custom-%d", custom), Text: "Our own question?", Custom: true})
			case 1:
				if len(library) > 1 {
					i := rng.Intn(len(library))
					library = append(library[:i:i], library[i+1:]...)
				}
			}
			p, ok := NextPrompt(library, used, seed)
			if !ok {
				t.Fatalf("seed %d: no prompt from a library of %d", seed, len(library))
			}
			if again, _ := NextPrompt(library, used, seed); again != p {
				t.Fatalf("seed %d: NextPrompt is not deterministic: %s then %s", seed, p.ID, again.ID)
			}
			inLibrary := false
			for _, q := range library {
				inLibrary = inLibrary || q == p
			}
			if !inLibrary {
				t.Fatalf("seed %d: %s is not in the library", seed, p.ID)
			}
			prev := -1
			for i, id := range used {
				if id == p.ID {
					prev = i
				}
			}
			if prev >= 0 {
				for _, q := range library {
					since := false
					for _, id := range used[prev+1:] {
						since = since || id == q.ID
					}
					if q.ID != p.ID && !since {
						t.Fatalf("seed %d session %d: %s repeats before %s was used since", seed, session, p.ID, q.ID)
					}
				}
			}
			used = append(used, p.ID)
		}
	}
	if _, ok := NextPrompt(nil, []string{"trust-01"}, 1); ok {
		t.Fatal("NextPrompt(empty library) found a prompt")
	}
}

// TestNextPromptVaries: different circles (seeds) do not all walk the
// library in the same order, and the next theme differs from the last.
func TestNextPromptVaries(t *testing.T) {
	firsts := map[string]bool{}
	for seed := int64(0); seed < 20; seed++ {
		p, _ := NextPrompt(BuiltinPrompts(), nil, seed)
		firsts[p.ID] = true
		q, _ := NextPrompt(BuiltinPrompts(), []string{p.ID}, seed)
		if q.Theme == p.Theme {
			t.Errorf("seed %d: %s follows %s, same theme", seed, q.ID, p.ID)
		}
	}
	if len(firsts) < 5 {
		t.Errorf("20 circles start with only %d different prompts", len(firsts))
	}
}

func TestCustomPromptInLibrary(t *testing.T) {
	got := CustomPrompt{ID: 7, Theme: "Feedback", Text: "What feedback did you sit on this month?"}.Prompt()
	want := Prompt{ID: "custom-7", Theme: "Feedback", Text: "What feedback did you sit on this month?", Custom: true}
	if got != want {
		t.Fatalf("CustomPrompt.Prompt() = %+v, want %+v", got, want)
	}
	p, _ := NextPrompt(append(BuiltinPrompts()[:1], got), []string{"trust-01"}, 1)
	if p != want {
		t.Fatalf("NextPrompt after trust-01 = %s, want the custom prompt", p.ID)
	}
}
