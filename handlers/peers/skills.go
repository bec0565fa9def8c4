package peers

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The skills a person teaches and learns, as they type them:
// "teach: sql 4, hiring; learn: okrs". parseSkills is a stand-in, to be
// replaced by models/peers' skills parser (ParseSkills) when it lands on
// this branch: it keeps what the store needs (a canonical text), and the
// handler calls nothing else of it.

// skillsLead finds where the skills begin in a command's words.
var skillsLead = regexp.MustCompile(`(?i)(^|\s)(teach|learn)\s*:`)

// skillsStart is the byte offset where "teach:" or "learn:" begins in s,
// or -1.
func skillsStart(s string) int {
	m := skillsLead.FindStringSubmatchIndex(s)
	if m == nil {
		return -1
	}
	return m[4]
}

// Bounds of one skill.
const (
	maxSkillLen = 40
	maxSkills   = 20
)

// parseSkills reads "teach: sql 4, hiring; learn: okrs" into its
// canonical text ("teach: sql 4, hiring; learn: okrs", lower case,
// trimmed, each skill once), or says what is wrong, in words a person
// reads. A number after a skill taught is how many learners the person
// takes in it (1 to 5).
//
// TODO(lead): replace by models/peers.ParseSkills.
func parseSkills(text string) (string, string) {
	var teach, learn []string
	for _, part := range strings.Split(text, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		head, list, ok := strings.Cut(part, ":")
		if !ok {
			return "", fmt.Sprintf("I read skills as `teach: …` and `learn: …`, separated by `;`; I couldn't place “%s”.", part)
		}
		var into *[]string
		switch strings.ToLower(strings.TrimSpace(head)) {
		case "teach":
			into = &teach
		case "learn":
			into = &learn
		default:
			return "", fmt.Sprintf("I read skills as `teach: …` and `learn: …`; “%s” is neither.", strings.TrimSpace(head))
		}
		for _, s := range strings.Split(list, ",") {
			s = strings.Join(strings.Fields(strings.ToLower(s)), " ")
			if s == "" {
				continue
			}
			if f := strings.Fields(s); into == &teach && len(f) > 1 {
				if n, err := strconv.Atoi(f[len(f)-1]); err == nil && (n < 1 || n > 5) {
					return "", fmt.Sprintf("You can take 1 to 5 learners at a time in a skill; “%s” says %d.", s, n)
				}
			}
			if utf8.RuneCountInString(s) > maxSkillLen {
				return "", fmt.Sprintf("Keep each skill to %d characters.", maxSkillLen)
			}
			if !containsStr(*into, s) {
				*into = append(*into, s)
			}
		}
	}
	if len(teach)+len(learn) == 0 {
		return "", "Say what you can teach or want to learn."
	}
	if len(teach) > maxSkills || len(learn) > maxSkills {
		return "", fmt.Sprintf("List at most %d skills to teach and %d to learn.", maxSkills, maxSkills)
	}
	var out []string
	if len(teach) > 0 {
		out = append(out, "teach: "+strings.Join(teach, ", "))
	}
	if len(learn) > 0 {
		out = append(out, "learn: "+strings.Join(learn, ", "))
	}
	return strings.Join(out, "; "), ""
}
