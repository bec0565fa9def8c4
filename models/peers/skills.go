package peers

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trellis-bot/trellis/models/invalid"
)

// The limits and defaults of a person's skills.
const (
	// MaxSkillNameLen is the longest skill name, in characters.
	MaxSkillNameLen = 40
	// MaxSkillsPerSide is the most skills to teach, and to learn.
	MaxSkillsPerSide = 10
	// MinSkillLevel and MaxSkillLevel bound a self-rated level.
	MinSkillLevel, MaxSkillLevel = 1, 5
	// DefaultTeachLevel is the level of a skill to teach given without one.
	DefaultTeachLevel = 3
	// DefaultLearnLevel is the level of a skill to learn given without
	// one: where the person stands now.
	DefaultLearnLevel = 1
)

// FieldSkills names a person's skills text in a refusal.
const FieldSkills = "skills"

// skillsExample is the syntax shown when the text cannot be read.
const skillsExample = "teach: sql (4), hiring; learn: okrs"

// Skill is one skill and its self-rated level, 1 (beginner) to 5 (expert).
type Skill struct {
	// Name is normalised: trimmed, lower case, inner spaces single.
	Name  string
	Level int
}

// Skills are what a person can teach and wants to learn, each in the order
// given, without duplicates.
type Skills struct {
	Teach, Learn []Skill
}

// ParseSkills reads the text of "/trellis network skills": sections
// "teach:" and "learn:" separated by ";" or new lines, each a list of
// skills separated by commas, or "none". A skill may carry a level from 1
// to 5, in brackets or after a space: "sql (4)", "sql 4". Without one, a
// skill to teach is at level 3 and a skill to learn at level 1 (where the
// person stands now). Names are trimmed, put in lower case and have their
// inner spaces made single; a name repeated on one side is kept once, at
// its highest level. Bad text gets an *invalid.Error on FieldSkills that
// says, in words a person can read, everything wrong with it.
func ParseSkills(text string) (Skills, error) {
	var s Skills
	e := invalid.Error{Subject: "skills"}
	bad := func(format string, args ...any) { e.Add(FieldSkills, 0, format, args...) }
	if strings.TrimSpace(text) == "" {
		bad("Say what you can teach and want to learn, like \"%s\".", skillsExample)
		return Skills{}, e.Err()
	}
	sawNone := false
	sections := strings.FieldsFunc(text, func(r rune) bool { return r == ';' || r == '\n' || r == '\r' })
	for _, section := range sections {
		if strings.TrimSpace(section) == "" {
			continue
		}
		word, list, ok := strings.Cut(section, ":")
		word = strings.ToLower(strings.TrimSpace(word))
		var side *[]Skill
		level := DefaultTeachLevel
		switch {
		case !ok:
			bad("Start each list with \"teach:\" or \"learn:\", like \"%s\".", skillsExample)
			continue
		case word == "teach":
			side = &s.Teach
		case word == "learn":
			side, level = &s.Learn, DefaultLearnLevel
		default:
			bad("I don't know %q: start each list with \"teach:\" or \"learn:\", like \"%s\".", clip(word), skillsExample)
			continue
		}
		if strings.EqualFold(strings.TrimSpace(list), "none") {
			sawNone = true
			continue
		}
		if strings.TrimSpace(list) == "" {
			bad("Name at least one skill after \"%s:\", or write \"%s: none\".", word, word)
			continue
		}
		for _, item := range strings.Split(list, ",") {
			sk, problem := parseSkill(item, level)
			if problem != "" {
				bad("%s", problem)
				continue
			}
			*side = mergeSkill(*side, sk)
		}
	}
	for _, side := range []struct {
		word   string
		skills []Skill
	}{{"teach", s.Teach}, {"learn", s.Learn}} {
		if n := len(side.skills); n > MaxSkillsPerSide {
			bad("You can list at most %d skills to %s; you listed %d.", MaxSkillsPerSide, side.word, n)
		}
	}
	if err := e.Err(); err != nil {
		return Skills{}, err
	}
	if len(s.Teach) == 0 && len(s.Learn) == 0 && !sawNone {
		bad("Say what you can teach and want to learn, like \"%s\".", skillsExample)
		return Skills{}, e.Err()
	}
	return s, nil
}

// parseSkill reads one "name", "name (4)" or "name 4"; it returns a
// problem in words when it cannot.
func parseSkill(item string, level int) (Skill, string) {
	item = strings.TrimSpace(item)
	if item == "" {
		return Skill{}, "There is an empty skill between two commas."
	}
	name := item
	levelText := ""
	if strings.HasSuffix(item, ")") {
		open := strings.LastIndex(item, "(")
		if open < 0 {
			return Skill{}, "A level goes in brackets after the skill, like \"sql (4)\"."
		}
		name, levelText = item[:open], strings.TrimSpace(item[open+1:len(item)-1])
		if levelText == "" {
			return Skill{}, "Put a level from 1 to 5 in the brackets after " + strconv.Quote(clip(name)) + "."
		}
	} else if i := strings.LastIndexFunc(item, unicode.IsSpace); i >= 0 && isDigits(item[i+1:]) {
		name, levelText = item[:i], item[i+1:]
	}
	name = strings.ToLower(strings.Join(strings.Fields(name), " "))
	if name == "" {
		return Skill{}, "Each level needs a skill before it, like \"sql (4)\"."
	}
	if levelText != "" {
		n, err := strconv.Atoi(levelText)
		if err != nil || n < MinSkillLevel || n > MaxSkillLevel {
			return Skill{}, "The level of " + strconv.Quote(clip(name)) + " must be a number from 1 to 5."
		}
		level = n
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" -+#./&'_", r) {
			return Skill{}, strconv.Quote(clip(name)) + " has a character a skill name can't use: " + strconv.QuoteRune(r) + ". Use letters, digits, spaces and - + # . / & ' _"
		}
	}
	if name == "none" {
		return Skill{}, "\"none\" can't be a skill name; write \"teach: none\" to list nothing."
	}
	if n := utf8.RuneCountInString(name); n > MaxSkillNameLen {
		return Skill{}, strconv.Quote(clip(name)) + " is too long: a skill name can be at most 40 characters."
	}
	return Skill{Name: name, Level: level}, ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// clip shortens text a person typed, for quoting it back in a message.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= MaxSkillNameLen {
		return s
	}
	return string([]rune(s)[:MaxSkillNameLen]) + "…"
}

// mergeSkill adds sk to side, or raises the level of the same name.
func mergeSkill(side []Skill, sk Skill) []Skill {
	for i := range side {
		if side[i].Name == sk.Name {
			side[i].Level = max(side[i].Level, sk.Level)
			return side
		}
	}
	return append(side, sk)
}

// String writes the skills as ParseSkills reads them back, levels left out
// where they are the default: "teach: sql (4), hiring; learn: okrs".
func (s Skills) String() string {
	side := func(word string, skills []Skill, def int) string {
		if len(skills) == 0 {
			return word + ": none"
		}
		parts := make([]string, len(skills))
		for i, sk := range skills {
			parts[i] = sk.Name
			words := strings.Fields(sk.Name)
			if sk.Level != def || len(words) > 1 && isDigits(words[len(words)-1]) {
				parts[i] += " (" + strconv.Itoa(sk.Level) + ")"
			}
		}
		return word + ": " + strings.Join(parts, ", ")
	}
	return side("teach", s.Teach, DefaultTeachLevel) + "; " + side("learn", s.Learn, DefaultLearnLevel)
}

// skillLevel is the level of the named skill on a side, and whether it
// is there.
func skillLevel(side []Skill, name string) (int, bool) {
	for _, sk := range side {
		if sk.Name == name {
			return sk.Level, true
		}
	}
	return 0, false
}
