// Package blockkittest checks Block Kit the way Slack does, for the tests
// of every package that builds it: the limits Slack enforces on modals,
// messages and the Home tab, and the blocks as Slack receives them.
package blockkittest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/trellis-bot/trellis/internal/blockkit"
)

// CheckModalLimits reports every Block Kit limit a modal breaks: Slack's
// documented limits on blocks, titles, labels (2000), hints (2000) and
// placeholders (150).
func CheckModalLimits(t *testing.T, m slack.ModalViewRequest) {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	c := limitChecker{t: t}
	c.text("title", v["title"], 24)
	c.text("submit", v["submit"], 24)
	c.text("close", v["close"], 24)
	c.max("private_metadata", Str(v["private_metadata"]), 3000)
	c.max("callback_id", Str(v["callback_id"]), 255)
	blocks, _ := v["blocks"].([]any)
	if len(blocks) == 0 || len(blocks) > 100 {
		t.Errorf("modal has %d blocks, want 1 to 100", len(blocks))
	}
	blockIDs := map[string]bool{}
	for i, b := range blocks {
		b := b.(map[string]any)
		where := fmt.Sprintf("block %d (%s %s)", i, b["type"], Str(b["block_id"]))
		if id := Str(b["block_id"]); id != "" {
			c.max(where+" block_id", id, 255)
			if blockIDs[id] {
				t.Errorf("%s: block_id used twice", where)
			}
			blockIDs[id] = true
		}
		switch b["type"] {
		case "header":
			c.text(where, b["text"], 150)
		case "section":
			c.text(where, b["text"], 3000)
			fields, _ := b["fields"].([]any)
			if len(fields) > 10 {
				t.Errorf("%s: %d fields, want ≤ 10", where, len(fields))
			}
			for _, f := range fields {
				c.text(where+" field", f, 2000)
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				t.Errorf("%s: %d elements, want 1 to 10", where, len(els))
			}
			for _, e := range els {
				c.text(where, e, 3000)
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 25 {
				t.Errorf("%s: %d elements, want 1 to 25", where, len(els))
			}
			for _, e := range els {
				c.element(where, e.(map[string]any))
			}
		case "input":
			c.text(where+" label", b["label"], 2000)
			if b["hint"] != nil {
				c.text(where+" hint", b["hint"], 2000)
			}
			c.element(where, b["element"].(map[string]any))
		case "divider":
		default:
			t.Errorf("%s: unexpected block type", where)
		}
	}
}

// limitChecker reports the Block Kit limits a text object or an element
// breaks.
type limitChecker struct{ t *testing.T }

// Str is v when it is a string, else "".
func Str(v any) string { s, _ := v.(string); return s }

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
	s := Str(o["text"])
	if strings.TrimSpace(s) == "" {
		c.t.Errorf("%s: empty text", where)
	}
	c.max(where, s, n)
}

func (c limitChecker) element(where string, e map[string]any) {
	c.t.Helper()
	where += " " + Str(e["type"])
	c.max(where+" action_id", Str(e["action_id"]), 255)
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
			v := Str(o["value"])
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
		c.max(where+" initial_value", Str(e["initial_value"]), int(maxLen))
	case "button":
		c.text(where, e["text"], 75)
	}
	if io, ok := e["initial_option"].(map[string]any); ok {
		found := false
		for _, v := range values {
			found = found || v == Str(io["value"])
		}
		if !found {
			c.t.Errorf("%s: initial_option %v is not one of its options", where, io["value"])
		}
	}
}

// Submit fills view.state.values from a modal's initial values, as Slack
// submits a form the person did not touch: a text input's value, a
// radio's or menu's selected_option, a person picker's selected_user, a
// conversation picker's selected_conversation, a multi-select's or
// checkboxes' selected_options.
func Submit(t *testing.T, m slack.ModalViewRequest) map[string]map[string]slack.BlockAction {
	t.Helper()
	values := map[string]map[string]slack.BlockAction{}
	for _, b := range m.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		var a slack.BlockAction
		var id string
		switch e := in.Element.(type) {
		case *slack.PlainTextInputBlockElement:
			id, a.Type, a.Value = e.ActionID, "plain_text_input", e.InitialValue
		case *slack.SelectBlockElement:
			id, a.Type = e.ActionID, slack.ActionType(e.Type)
			switch {
			case e.Type == slack.OptTypeUser:
				a.SelectedUser = e.InitialUser
			case e.Type == slack.OptTypeConversations:
				a.SelectedConversation = e.InitialConversation
			case e.InitialOption != nil:
				a.SelectedOption = *e.InitialOption
			}
		case *slack.RadioButtonsBlockElement:
			id, a.Type = e.ActionID, "radio_buttons"
			if e.InitialOption != nil {
				a.SelectedOption = *e.InitialOption
			}
		case *slack.MultiSelectBlockElement:
			id, a.Type, a.SelectedUsers = e.ActionID, slack.ActionType(e.Type), e.InitialUsers
			for _, o := range e.InitialOptions {
				a.SelectedOptions = append(a.SelectedOptions, *o)
			}
		case *slack.CheckboxGroupsBlockElement:
			id, a.Type = e.ActionID, "checkboxes"
			for _, o := range e.InitialOptions {
				a.SelectedOptions = append(a.SelectedOptions, *o)
			}
		default:
			t.Fatalf("block %s: unexpected element %T", in.BlockID, e)
		}
		values[in.BlockID] = map[string]slack.BlockAction{id: a}
	}
	return values
}

// The checks every message and Home tab test here shares.

// CheckBlockLimits reports every Block Kit limit that blocks break, for a
// message (maxBlocks 50) or the Home tab (100): block ids of at most 255
// characters and unique, 150 characters a header, 3000 a section or context
// text, 10 elements a context block and 25 an actions block, the elements'
// own limits (limitChecker), and the ~12k cumulative text of a message.
func CheckBlockLimits(t *testing.T, where string, blocks []slack.Block, maxBlocks int) {
	t.Helper()
	c := limitChecker{t: t}
	bs := ReportBlocks(t, blocks)
	if len(bs) == 0 || len(bs) > maxBlocks {
		t.Errorf("%s: %d blocks, want 1 to %d", where, len(bs), maxBlocks)
	}
	total := 0
	count := func(v any) {
		o, _ := v.(map[string]any)
		total += utf8.RuneCountInString(Str(o["text"]))
	}
	ids := map[string]bool{}
	for i, b := range bs {
		w := fmt.Sprintf("%s block %d (%s %s)", where, i, b["type"], Str(b["block_id"]))
		if id := Str(b["block_id"]); id != "" {
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
				if id := Str(e["action_id"]); actionIDs[id] {
					t.Errorf("%s: action_id %s twice in one block", w, id)
				}
				actionIDs[Str(e["action_id"])] = true
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

// CheckDM checks a DM: its blocks and its notification text.
func CheckDM(t *testing.T, where, msgText string, blocks []slack.Block) {
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
	CheckBlockLimits(t, where, blocks, 50)
}

// BlockJSON is blocks as Slack receives them, with JSON's HTML escaping
// undone so tests can look for "<@".
func BlockJSON(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(raw))
}

// BlockByID is the JSON of the block with id, or nil.
func BlockByID(t *testing.T, blocks []slack.Block, id string) map[string]any {
	t.Helper()
	for _, b := range ReportBlocks(t, blocks) {
		if Str(b["block_id"]) == id {
			return b
		}
	}
	return nil
}

// Elements are an actions block's elements.
func Elements(b map[string]any) []map[string]any {
	var out []map[string]any
	els, _ := b["elements"].([]any)
	for _, e := range els {
		out = append(out, e.(map[string]any))
	}
	return out
}

func MrkdwnOf(v any) string {
	o, _ := v.(map[string]any)
	return Str(o["text"])
}

// ReportBlocks turns blocks into the JSON Slack receives, as generic maps.
func ReportBlocks(t *testing.T, blocks []slack.Block) []map[string]any {
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

// ReportMrkdwn is the text of a message Slack reads for mentions: its
// notification text and every mrkdwn text object. Plain text, as in headers,
// never mentions anyone.
func ReportMrkdwn(t *testing.T, msgText string, blocks []slack.Block) string {
	t.Helper()
	out := []string{msgText}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "mrkdwn" {
				out = append(out, Str(v["text"]))
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
	for _, b := range ReportBlocks(t, blocks) {
		walk(b)
	}
	return strings.Join(out, "\n")
}

// MaxLen reports s when it is longer than n characters.
func MaxLen(t *testing.T, where, s string, n int) {
	t.Helper()
	limitChecker{t: t}.max(where, s, n)
}

// TextLimit reports a text object that is not one, or whose text is longer
// than n characters.
func TextLimit(t *testing.T, where string, v any, n int) {
	t.Helper()
	limitChecker{t: t}.text(where, v, n)
}

// Hostile is text a person could type (or set as their Slack name or
// status) meaning harm or just being unusual: broadcasts, mentions, links,
// text already escaped, mrkdwn, very long text, newlines, emoji, right-to-
// left marks, 3- and 4-byte characters.
var Hostile = map[string]string{
	"channel":      "<!channel>",
	"here":         "hi <!here|here> @here @channel",
	"user":         "<@U123> and <@W9|boss>",
	"conversation": "<#C1> <#C2|general>",
	"link":         "<http://evil.example|click me> <https://x.example> <mailto:a@b.c|mail>",
	"subteam":      "<!subteam^S1|@team> <!date^1392734382^{date}|x>",
	"escaped":      "&lt;!channel&gt; &amp;lt;@U1&amp;gt;",
	"markup":       "*bold* _it_ ~s~ `code` ```block``` > quote",
	"newlines":     "one\n\n<!here>\r\ntwo\n",
	"emoji":        "🌴🔥👩‍👩‍👧 :tada:",
	"rtl":          "\u202eevil\u202c \u200fשלום\u200f",
	"wide3":        strings.Repeat("€", 5000),
	"wide4":        strings.Repeat("𝕏", 5000),
	"long":         strings.Repeat("<!channel> & ", 2000),
	"angles":       strings.Repeat("<>&", 3000),
}

// Stored bounds s as the store would have bounded it before it could be
// shown: a field with a storage limit never holds more.
func Stored(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// Surface is one thing a package shows, built for a hostile-text test: its
// name in reports, its kind, what it sends (blocks, a modal, a Home tab)
// and its notification text, if any.
type Surface struct {
	Name string
	Kind blockkit.Surface
	V    any
	Text string
}

// CheckHostileText builds the surfaces with each Hostile text in every
// field a person typed and reports, per surface, every live broadcast,
// mention or link but the allowed ones Trellis builds on purpose, every
// mrkdwn text that is not verbatim, and every Block Kit limit broken
// (blockkit.Check, blockkit.CheckText).
func CheckHostileText(t *testing.T, surfaces func(v string) []Surface, allowed ...string) {
	t.Helper()
	for kind, v := range Hostile {
		for _, s := range surfaces(v) {
			for _, p := range blockkit.Check(s.Kind, s.V, allowed...) {
				t.Errorf("%s with %s text: %s", s.Name, kind, p)
			}
			if s.Text != "" {
				for _, p := range blockkit.CheckText(s.Text, allowed...) {
					t.Errorf("%s with %s text, notification: %s", s.Name, kind, p)
				}
			}
		}
	}
}

// CheckTextShown reports each of the surfaces, built with "<!channel>" in
// every field a person typed, that does not show it (escaped) but drops
// it; showsNothing names the surfaces that show nothing anyone typed.
func CheckTextShown(t *testing.T, surfaces []Surface, showsNothing ...string) {
	t.Helper()
	for _, s := range surfaces {
		if slices.Contains(showsNothing, s.Name) {
			continue
		}
		raw, err := json.Marshal(s.V)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), "!channel") {
			t.Errorf("%s does not show the typed text", s.Name)
		}
	}
}
