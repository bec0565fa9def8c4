package peers

import (
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trellis-bot/trellis/models/invalid"
)

func TestParseSkills(t *testing.T) {
	for _, tc := range []struct {
		text string
		want Skills
	}{
		{"teach: sql, hiring; learn: okrs", Skills{Teach: []Skill{{"sql", 3}, {"hiring", 3}}, Learn: []Skill{{"okrs", 1}}}},
		{"Teach:  SQL (4) ,Hiring  Plans 5\nLEARN: okrs(2)", Skills{Teach: []Skill{{"sql", 4}, {"hiring plans", 5}}, Learn: []Skill{{"okrs", 2}}}},
		{"learn: go; teach: none", Skills{Learn: []Skill{{"go", 1}}}},
		{"teach: sql 2, SQL (4), sql; teach: c++, node.js", Skills{Teach: []Skill{{"sql", 4}, {"c++", 3}, {"node.js", 3}}}},
		{"teach: none; learn: none", Skills{}},
		{"teach: python3, web 3 (2)", Skills{Teach: []Skill{{"python3", 3}, {"web 3", 2}}}},
	} {
		got, err := ParseSkills(tc.text)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSkills(%q) = %+v, %v; want %+v", tc.text, got, err, tc.want)
		}
	}
}

func TestParseSkillsRefuses(t *testing.T) {
	long := strings.Repeat("a", 41)
	var eleven []string
	for i := 0; i < 11; i++ {
		eleven = append(eleven, fmt.Sprintf("s%c", 'a'+i))
	}
	for _, tc := range []struct {
		text, want string
	}{
		{"", `Say what you can teach and want to learn, like "teach: sql (4), hiring; learn: okrs".`},
		{"  ;\n ", `Say what you can teach and want to learn, like "teach: sql (4), hiring; learn: okrs".`},
		{"sql, hiring", `Start each list with "teach:" or "learn:", like "teach: sql (4), hiring; learn: okrs".`},
		{"share: sql", `I don't know "share": start each list with "teach:" or "learn:", like "teach: sql (4), hiring; learn: okrs".`},
		{"teach: sql (6)", `The level of "sql" must be a number from 1 to 5.`},
		{"teach: sql 0", `The level of "sql" must be a number from 1 to 5.`},
		{"learn: okrs (high)", `The level of "okrs" must be a number from 1 to 5.`},
		{"teach: sql ()", `Put a level from 1 to 5 in the brackets after "sql ".`},
		{"teach:", `Name at least one skill after "teach:", or write "teach: none".`},
		{"teach: sql,, hiring", `There is an empty skill between two commas.`},
		{"teach: (4)", `Each level needs a skill before it, like "sql (4)".`},
		{"teach: <@U123>", `"<@u123>" has a character a skill name can't use: '<'. Use letters, digits, spaces and - + # . / & ' _`},
		{"teach: " + long, `"` + long[:40] + `…" is too long: a skill name can be at most 40 characters.`},
		{"learn: " + strings.Join(eleven, ", "), `You can list at most 10 skills to learn; you listed 11.`},
		{"teach: none, none", `"none" can't be a skill name; write "teach: none" to list nothing.`},
	} {
		got, err := ParseSkills(tc.text)
		var ve *invalid.Error
		if !errors.As(err, &ve) || !errors.Is(err, invalid.ErrInvalid) {
			t.Errorf("ParseSkills(%q) = %+v, %v; want a refusal", tc.text, got, err)
			continue
		}
		if p := ve.On(FieldSkills); len(p) == 0 || p[0].Message != tc.want {
			t.Errorf("ParseSkills(%q) refused with %v, want %q", tc.text, ve.Problems, tc.want)
		}
	}
}

// randomSkills draws Skills as ParseSkills returns them.
func randomSkills(rng *rand.Rand, names []string) Skills {
	side := func(max int) []Skill {
		var out []Skill
		for _, i := range rng.Perm(len(names))[:rng.Intn(max+1)] {
			out = append(out, Skill{Name: names[i], Level: 1 + rng.Intn(5)})
		}
		return out
	}
	return Skills{Teach: side(min(MaxSkillsPerSide, len(names))), Learn: side(min(MaxSkillsPerSide, len(names)))}
}

// TestSkillsRoundTrip: ParseSkills reads String back to the same Skills.
func TestSkillsRoundTrip(t *testing.T) {
	names := []string{"sql", "hiring", "okrs", "c++", "node.js", "web 3", "4", "ci/cd", "r&d", "public speaking",
		"o'reilly", "été", "a_b", "x 1 2", strings.Repeat("z", 40)}
	runs := propertyRuns(t, 3000)
	first := propertySeed(t)
	for seed := first; seed < first+int64(runs); seed++ {
		s := randomSkills(rand.New(rand.NewSource(seed)), names)
		got, err := ParseSkills(s.String())
		if err != nil || !reflect.DeepEqual(got, s) {
			t.Fatalf("seed %d: ParseSkills(%q) = %+v, %v; want %+v", seed, s.String(), got, err, s)
		}
	}
}

// FuzzParseSkills: any text is either refused with an *invalid.Error or
// read into Skills within the limits, which String writes back to the same
// Skills.
func FuzzParseSkills(f *testing.F) {
	for _, s := range []string{
		"teach: sql, hiring; learn: okrs", "teach: sql (4)\nlearn: okrs 2", "learn: none", "teach:", "x: y",
		"teach: a (", "teach: )", "teach: a ((3))", "teach: a 3 (4)", "teach: \u00a0 4", "learn: none, none",
		"teach: a,b,c,d,e,f,g,h,i,j,k",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseSkills(text)
		if err != nil {
			var ve *invalid.Error
			if !errors.As(err, &ve) || len(ve.On(FieldSkills)) == 0 {
				t.Fatalf("ParseSkills(%q) error %v is not an *invalid.Error on %s", text, err, FieldSkills)
			}
			return
		}
		for _, side := range [][]Skill{s.Teach, s.Learn} {
			if len(side) > MaxSkillsPerSide {
				t.Fatalf("ParseSkills(%q) accepted %d skills on a side", text, len(side))
			}
			seen := map[string]bool{}
			for _, sk := range side {
				if sk.Name == "" || utf8.RuneCountInString(sk.Name) > MaxSkillNameLen || sk.Level < MinSkillLevel || sk.Level > MaxSkillLevel ||
					seen[sk.Name] || sk.Name != strings.ToLower(strings.Join(strings.Fields(sk.Name), " ")) {
					t.Fatalf("ParseSkills(%q) accepted %+v", text, sk)
				}
				seen[sk.Name] = true
			}
		}
		again, err := ParseSkills(s.String())
		if err != nil || !reflect.DeepEqual(again, s) {
			t.Fatalf("ParseSkills(%q) = %+v; its String %q reads as %+v, %v", text, s, s.String(), again, err)
		}
	})
}
