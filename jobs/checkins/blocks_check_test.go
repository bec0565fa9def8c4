package checkins_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// The checks every Block Kit test here shares: the limits Slack enforces,
// and the blocks as Slack receives them.

// limitChecker reports the Block Kit limits a text object or an element
// breaks: Slack refuses a message that breaks any of them.
type limitChecker struct{ t *testing.T }

func str(v any) string { s, _ := v.(string); return s }

func (c limitChecker) max(where, s string, n int) {
	c.t.Helper()
	if got := utf8.RuneCountInString(s); got > n {
		c.t.Errorf("%s: %d characters, want ≤ %d: %.40q…", where, got, n, s)
	}
}

// text checks a text object: present, not empty, within n characters.
func (c limitChecker) text(where string, v any, n int) {
	c.t.Helper()
	o, ok := v.(map[string]any)
	if !ok {
		c.t.Errorf("%s: missing text object", where)
		return
	}
	if ty := o["type"]; ty != "plain_text" && ty != "mrkdwn" {
		c.t.Errorf("%s: text type %v", where, ty)
	}
	s := str(o["text"])
	if strings.TrimSpace(s) == "" {
		c.t.Errorf("%s: empty text", where)
	}
	c.max(where, s, n)
}

func (c limitChecker) element(where string, e map[string]any) {
	c.t.Helper()
	where += " " + str(e["type"])
	c.max(where+" action_id", str(e["action_id"]), 255)
	if e["action_id"] == nil {
		c.t.Errorf("%s: no action_id", where)
	}
	if e["placeholder"] != nil {
		c.text(where+" placeholder", e["placeholder"], 150)
	}
	var values []string
	if opts, ok := e["options"].([]any); ok {
		for _, o := range opts {
			o := o.(map[string]any)
			c.text(where+" option", o["text"], 75)
			if o["description"] != nil {
				c.text(where+" option description", o["description"], 75)
			}
			v := str(o["value"])
			if v == "" {
				c.t.Errorf("%s: option %v has no value", where, o["text"])
			}
			c.max(where+" option value", v, 150)
			values = append(values, v)
		}
	}
	switch e["type"] {
	case "static_select", "multi_static_select":
		if n := len(values); n == 0 || n > 100 {
			c.t.Errorf("%s: %d options, want 1 to 100", where, n)
		}
	case "radio_buttons", "checkboxes":
		if n := len(values); n == 0 || n > 10 {
			c.t.Errorf("%s: %d options, want 1 to 10", where, n)
		}
	case "plain_text_input":
		maxLen, _ := e["max_length"].(float64)
		if maxLen <= 0 || maxLen > 3000 {
			c.t.Errorf("%s: max_length %v, want 1 to 3000", where, e["max_length"])
		}
		c.max(where+" initial_value", str(e["initial_value"]), int(maxLen))
	case "button":
		c.text(where, e["text"], 75)
	}
	if io, ok := e["initial_option"].(map[string]any); ok {
		found := false
		for _, v := range values {
			found = found || v == str(io["value"])
		}
		if !found {
			c.t.Errorf("%s: initial_option %v is not one of its options", where, io["value"])
		}
	}
}

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

// viaSlack gives blocks back the way a block_actions payload carries them.
func viaSlack(t *testing.T, blocks []slack.Block) []slack.Block {
	t.Helper()
	raw, err := json.Marshal(slack.Blocks{BlockSet: blocks})
	if err != nil {
		t.Fatal(err)
	}
	var out slack.Blocks
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out.BlockSet
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
