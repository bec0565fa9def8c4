package peers

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// Typed text quoted in a section — an ask, a commitment, a prompt — never
// breaks Slack's 3,000-character section limit once escaped and quoted,
// whatever it holds: "&", "<", ">" (each grows when escaped) and line
// breaks (each adds a "> " mark), at any length and beside the longest
// names. A quote is the escaped text with its marks, cut only at a
// character's end and then marked "…".
func TestQuotedTextFitsASection(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"&", "<", ">", "\n", "a", "é", "👋", " ", "<!channel>", "\n\n"}
	text := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	worst := []string{strings.Repeat("&\n", 500), strings.Repeat("\n", 1000), strings.Repeat("&", 1000), strings.Repeat("<>", 2000)}
	name := strings.Repeat("&", peers.MaxNameLen)
	n := peers.Network{Name: name, Cadence: peers.CadenceWeekly}
	for i := range 400 {
		typed := text(1 + rng.IntN(4000))
		if i < len(worst) {
			typed = worst[i]
		}
		q := quote(typed)
		body := strings.ReplaceAll(strings.TrimPrefix(q, "> "), "\n> ", "\n")
		if body != mrkdwn.Escape(typed) && (!strings.HasSuffix(body, "…") || !strings.HasPrefix(mrkdwn.Escape(typed), strings.TrimSuffix(body, "…"))) {
			t.Fatalf("quote(%q) = %q: not the escaped text, nor its start marked cut", typed, q)
		}
		cm := peers.Commitment{ID: 1, Text: typed}
		msgs := map[string]engine.Message{
			"ask":     askMessage(n, peers.Ask{Text: typed}),
			"recall":  recallMessage(n, cm),
			"share":   shareMessage(n, strings.Repeat("<", 200), cm),
			"session": sessionMessage(n, peers.Session{Number: 3, On: calendar.Date{Year: 2027, Month: 1, Day: 4}, Present: []string{"U1", "U2"}, Facilitator: "U1"}, peers.Prompt{ID: "c1", Text: typed}, []string{"U2"}),
		}
		for kind, m := range msgs {
			raw, err := json.Marshal(m.Blocks)
			if err != nil {
				t.Fatal(err)
			}
			var blocks any
			if err := json.Unmarshal(raw, &blocks); err != nil {
				t.Fatal(err)
			}
			if probs := blockkit.Check(blockkit.Message, blocks, "@U1", "@U2"); len(probs) > 0 {
				t.Fatalf("%s quoting %d characters of typed text: %v", kind, utf8.RuneCountInString(typed), probs)
			}
			for _, b := range m.Blocks {
				if l := mrkdwn.TextLen(b); l > mrkdwn.MaxSectionText {
					t.Fatalf("%s: a section of %d characters", kind, l)
				}
			}
		}
	}
}
