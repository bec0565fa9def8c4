package views_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// The checks every message and Home tab test here shares.

// checkBlockLimits reports every Block Kit limit that blocks break, for a
// message (maxBlocks 50) or the Home tab (100): block ids of at most 255
// characters and unique, 150 characters a header, 3000 a section or context
// text, 10 elements a context block and 25 an actions block, the elements'
// own limits (limitChecker), and the ~12k cumulative text of a message.
func checkBlockLimits(t *testing.T, where string, blocks []slack.Block, maxBlocks int) {
	t.Helper()
	c := limitChecker{t: t}
	bs := reportBlocks(t, blocks)
	if len(bs) == 0 || len(bs) > maxBlocks {
		t.Errorf("%s: %d blocks, want 1 to %d", where, len(bs), maxBlocks)
	}
	total := 0
	count := func(v any) {
		o, _ := v.(map[string]any)
		total += utf8.RuneCountInString(str(o["text"]))
	}
	ids := map[string]bool{}
	for i, b := range bs {
		w := fmt.Sprintf("%s block %d (%s %s)", where, i, b["type"], str(b["block_id"]))
		if id := str(b["block_id"]); id != "" {
			c.max(w+" block_id", id, 255)
			if ids[id] {
				t.Errorf("%s: block_id used twice", w)
			}
			ids[id] = true
		}
		switch b["type"] {
		case "header":
			c.text(w, b["text"], 150)
			count(b["text"])
		case "section":
			c.text(w, b["text"], 3000)
			count(b["text"])
			if a, ok := b["accessory"].(map[string]any); ok {
				c.element(w+" accessory", a)
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				t.Errorf("%s: %d elements, want 1 to 10", w, len(els))
			}
			for _, e := range els {
				c.text(w, e, 3000)
				count(e)
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 25 {
				t.Errorf("%s: %d elements, want 1 to 25", w, len(els))
			}
			actionIDs := map[string]bool{}
			for _, e := range els {
				e := e.(map[string]any)
				c.element(w, e)
				if id := str(e["action_id"]); actionIDs[id] {
					t.Errorf("%s: action_id %s twice in one block", w, id)
				}
				actionIDs[str(e["action_id"])] = true
			}
		case "divider":
		default:
			t.Errorf("%s: unexpected block type", w)
		}
	}
	if total > 12000 {
		t.Errorf("%s: %d characters of block text, want ≤ 12000", where, total)
	}
}

// checkDM checks a DM: its blocks and its notification text.
func checkDM(t *testing.T, where, msgText string, blocks []slack.Block) {
	t.Helper()
	if strings.TrimSpace(msgText) == "" {
		t.Errorf("%s: empty text", where)
	}
	if len(msgText) > 3900 {
		t.Errorf("%s: text is %d bytes, want ≤ 3900", where, len(msgText))
	}
	if !utf8.ValidString(msgText) {
		t.Errorf("%s: text is not valid UTF-8", where)
	}
	checkBlockLimits(t, where, blocks, 50)
}

// blockJSON is blocks as Slack receives them, with JSON's HTML escaping
// undone so tests can look for "<@".
func blockJSON(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(raw))
}

// blockByID is the JSON of the block with id, or nil.
func blockByID(t *testing.T, blocks []slack.Block, id string) map[string]any {
	t.Helper()
	for _, b := range reportBlocks(t, blocks) {
		if str(b["block_id"]) == id {
			return b
		}
	}
	return nil
}

// elements are an actions block's elements.
func elements(b map[string]any) []map[string]any {
	var out []map[string]any
	els, _ := b["elements"].([]any)
	for _, e := range els {
		out = append(out, e.(map[string]any))
	}
	return out
}

func mrkdwnOf(v any) string {
	o, _ := v.(map[string]any)
	return str(o["text"])
}

// reportBlocks turns blocks into the JSON Slack receives, as generic maps.
func reportBlocks(t *testing.T, blocks []slack.Block) []map[string]any {
	t.Helper()
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// reportMrkdwn is the text of a message Slack reads for mentions: its
// notification text and every mrkdwn text object. Plain text, as in headers,
// never mentions anyone.
func reportMrkdwn(t *testing.T, msgText string, blocks []slack.Block) string {
	t.Helper()
	out := []string{msgText}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "mrkdwn" {
				out = append(out, str(v["text"]))
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	for _, b := range reportBlocks(t, blocks) {
		walk(b)
	}
	return strings.Join(out, "\n")
}
