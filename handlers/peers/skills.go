package peers

import (
	"errors"
	"regexp"
	"strings"

	"github.com/trellis-bot/trellis/models/invalid"
	"github.com/trellis-bot/trellis/models/peers"
)

// The skills a person teaches and learns, as they type them:
// "teach: sql 4, hiring; learn: okrs" (see models/peers ParseSkills).

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

// parseSkills reads what a person typed ("teach: sql 4, hiring; learn:
// okrs") with models/peers' parser, and returns the canonical text the
// store keeps, or, when it cannot be read, every problem in words a
// person reads.
func parseSkills(text string) (string, string) {
	sk, err := peers.ParseSkills(text)
	if err != nil {
		var bad *invalid.Error
		if errors.As(err, &bad) && len(bad.Problems) > 0 {
			msgs := make([]string, len(bad.Problems))
			for i, p := range bad.Problems {
				msgs[i] = p.Message
			}
			return "", strings.Join(msgs, " ")
		}
		return "", "I couldn't read those skills."
	}
	return sk.String(), ""
}
