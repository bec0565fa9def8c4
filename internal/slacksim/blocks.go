package slacksim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits Slack enforces.
const (
	maxMessageBlocks = 50
	maxViewBlocks    = 100
	maxMessageText   = 40000
	maxSectionText   = 3000
	maxSectionFields = 10
	maxFieldText     = 2000
	maxHeaderText    = 150
	maxActions       = 25
	maxContextElems  = 10
	maxButtonText    = 75
	maxOptionText    = 75
	maxOptionValue   = 150
	maxStaticOptions = 100
	maxChoiceOptions = 10
	maxInputLength   = 3000
	maxBlockID       = 255
)

// decodeJSON decodes raw keeping numbers exact, so blocks round-trip.
func decodeJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// parseBlocks decodes a blocks argument into generic JSON values.
func parseBlocks(raw json.RawMessage) ([]any, error) {
	var blocks []any
	if err := decodeJSON(raw, &blocks); err != nil {
		return nil, fmt.Errorf("blocks: %w", err)
	}
	if blocks == nil {
		blocks = []any{}
	}
	return blocks, nil
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// elementsOf returns a block's interactive elements: an actions block's
// elements, a section's accessory, an input's element.
func elementsOf(b map[string]any) []map[string]any {
	var out []map[string]any
	switch str(b, "type") {
	case "actions":
		for _, e := range asList(b["elements"]) {
			if m := asMap(e); m != nil {
				out = append(out, m)
			}
		}
	case "section":
		if m := asMap(b["accessory"]); m != nil {
			out = append(out, m)
		}
	case "input":
		if m := asMap(b["element"]); m != nil {
			out = append(out, m)
		}
	}
	return out
}

// normalizeBlocks gives every block a block_id and every interactive
// element an action_id, as Slack does when it stores blocks.
func (w *workspace) normalizeBlocks(blocks []any) {
	for _, b := range blocks {
		m := asMap(b)
		if m == nil {
			continue
		}
		if str(m, "block_id") == "" {
			w.seq++
			m["block_id"] = fmt.Sprintf("%05x", uint32(w.seq)*2654435761>>12)
		}
		for _, e := range elementsOf(m) {
			if str(e, "action_id") == "" && str(e, "type") != "image" {
				w.seq++
				e["action_id"] = fmt.Sprintf("%05x", uint32(w.seq)*2246822519>>12)
			}
		}
	}
}

// blockChecker collects Slack-style validation errors for blocks.
type blockChecker struct {
	errs []string
}

func (c *blockChecker) add(ptr, format string, a ...any) {
	c.errs = append(c.errs, fmt.Sprintf("[ERROR] "+format+" [json-pointer:%s]", append(a, ptr)...))
}

func (c *blockChecker) text(ptr string, v any, max int, plainOnly bool) {
	t := asMap(v)
	if t == nil {
		c.add(ptr, "must be a text object")
		return
	}
	typ := str(t, "type")
	if typ != "plain_text" && (plainOnly || typ != "mrkdwn") {
		c.add(ptr+"/type", "must be a valid enum value")
	}
	text, ok := t["text"].(string)
	switch {
	case !ok || text == "":
		c.add(ptr+"/text", "must be more than 0 characters")
	case runes(text) > max:
		c.add(ptr+"/text", "must be less than %d characters", max+1)
	}
}

func (c *blockChecker) options(ptr string, v any, max int) {
	opts := asList(v)
	if len(opts) > max {
		c.add(ptr, "must be less than %d items", max+1)
	}
	for i, o := range opts {
		om := asMap(o)
		if om == nil {
			c.add(fmt.Sprintf("%s/%d", ptr, i), "must be an object")
			continue
		}
		c.text(fmt.Sprintf("%s/%d/text", ptr, i), om["text"], maxOptionText, false)
		if runes(str(om, "value")) > maxOptionValue {
			c.add(fmt.Sprintf("%s/%d/value", ptr, i), "must be less than %d characters", maxOptionValue+1)
		}
	}
}

func (c *blockChecker) element(ptr string, e map[string]any) {
	if runes(str(e, "action_id")) > maxBlockID {
		c.add(ptr+"/action_id", "must be less than %d characters", maxBlockID+1)
	}
	switch str(e, "type") {
	case "":
		c.add(ptr+"/type", "missing required field: type")
	case "button":
		c.text(ptr+"/text", e["text"], maxButtonText, true)
	case "static_select", "multi_static_select":
		if groups := asList(e["option_groups"]); groups != nil {
			for i, g := range groups {
				c.options(fmt.Sprintf("%s/option_groups/%d/options", ptr, i), asMap(g)["options"], maxStaticOptions)
			}
		} else {
			c.options(ptr+"/options", e["options"], maxStaticOptions)
		}
	case "overflow":
		c.options(ptr+"/options", e["options"], 5)
	case "checkboxes", "radio_buttons":
		c.options(ptr+"/options", e["options"], maxChoiceOptions)
	case "plain_text_input":
		if n, err := numberField(e, "max_length"); err == nil && n > maxInputLength {
			c.add(ptr+"/max_length", "must be less than %d", maxInputLength+1)
		}
	}
}

func numberField(m map[string]any, k string) (int64, error) {
	n, ok := m[k].(json.Number)
	if !ok {
		return 0, fmt.Errorf("no number %q", k)
	}
	return n.Int64()
}

// check validates blocks against Slack's Block Kit limits.
func (c *blockChecker) check(ptr string, blocks []any, maxBlocks int) {
	if len(blocks) > maxBlocks {
		c.add(ptr, "must be less than %d items", maxBlocks+1)
	}
	seen := map[string]bool{}
	for i, b := range blocks {
		bp := fmt.Sprintf("%s/%d", ptr, i)
		m := asMap(b)
		if m == nil {
			c.add(bp, "must be an object")
			continue
		}
		if id := str(m, "block_id"); id != "" {
			if seen[id] {
				c.add(bp+"/block_id", "duplicate block_id %q", id)
			}
			seen[id] = true
			if runes(id) > maxBlockID {
				c.add(bp+"/block_id", "must be less than %d characters", maxBlockID+1)
			}
		}
		switch str(m, "type") {
		case "":
			c.add(bp+"/type", "missing required field: type")
		case "section":
			if m["text"] == nil && m["fields"] == nil {
				c.add(bp, "must provide text or fields")
			}
			if m["text"] != nil {
				c.text(bp+"/text", m["text"], maxSectionText, false)
			}
			if f := asList(m["fields"]); f != nil {
				if len(f) > maxSectionFields {
					c.add(bp+"/fields", "must be less than %d items", maxSectionFields+1)
				}
				for j, t := range f {
					c.text(fmt.Sprintf("%s/fields/%d", bp, j), t, maxFieldText, false)
				}
			}
		case "header":
			c.text(bp+"/text", m["text"], maxHeaderText, true)
		case "actions":
			els := asList(m["elements"])
			if len(els) == 0 || len(els) > maxActions {
				c.add(bp+"/elements", "must be between 1 and %d items", maxActions)
			}
		case "context":
			els := asList(m["elements"])
			if len(els) == 0 || len(els) > maxContextElems {
				c.add(bp+"/elements", "must be between 1 and %d items", maxContextElems)
			}
		case "input":
			c.text(bp+"/label", m["label"], maxFieldText, true)
			if asMap(m["element"]) == nil {
				c.add(bp+"/element", "missing required field: element")
			}
		}
		for j, e := range elementsOf(m) {
			ep := bp + "/element"
			switch str(m, "type") {
			case "actions":
				ep = fmt.Sprintf("%s/elements/%d", bp, j)
			case "section":
				ep = bp + "/accessory"
			}
			c.element(ep, e)
		}
	}
}

// findElement finds the element with actionID (and blockID, when given).
func findElement(blocks []any, blockID, actionID string) (block, elem map[string]any) {
	for _, b := range blocks {
		m := asMap(b)
		if m == nil || (blockID != "" && str(m, "block_id") != blockID) {
			continue
		}
		for _, e := range elementsOf(m) {
			if str(e, "action_id") == actionID {
				return m, e
			}
		}
	}
	return nil, nil
}

// stateSpec says where an element keeps its initial and current value.
type stateSpec struct {
	initial, current string
	multi            bool
}

var stateful = map[string]stateSpec{
	"plain_text_input":           {"initial_value", "value", false},
	"number_input":               {"initial_value", "value", false},
	"email_text_input":           {"initial_value", "value", false},
	"url_text_input":             {"initial_value", "value", false},
	"rich_text_input":            {"initial_value", "rich_text_value", false},
	"static_select":              {"initial_option", "selected_option", false},
	"external_select":            {"initial_option", "selected_option", false},
	"radio_buttons":              {"initial_option", "selected_option", false},
	"multi_static_select":        {"initial_options", "selected_options", true},
	"multi_external_select":      {"initial_options", "selected_options", true},
	"checkboxes":                 {"initial_options", "selected_options", true},
	"users_select":               {"initial_user", "selected_user", false},
	"multi_users_select":         {"initial_users", "selected_users", true},
	"conversations_select":       {"initial_conversation", "selected_conversation", false},
	"multi_conversations_select": {"initial_conversations", "selected_conversations", true},
	"channels_select":            {"initial_channel", "selected_channel", false},
	"multi_channels_select":      {"initial_channels", "selected_channels", true},
	"datepicker":                 {"initial_date", "selected_date", false},
	"timepicker":                 {"initial_time", "selected_time", false},
	"datetimepicker":             {"initial_date_time", "selected_date_time", false},
}

// initialValue is the state object of a stateful element before anyone
// touches it.
func initialValue(e map[string]any) (json.RawMessage, bool) {
	typ := str(e, "type")
	spec, ok := stateful[typ]
	if !ok {
		return nil, false
	}
	v, has := e[spec.initial]
	if !has {
		if spec.multi {
			v = []any{}
		} else {
			v = nil
		}
	}
	out, err := json.Marshal(map[string]any{"type": typ, spec.current: v})
	if err != nil {
		return nil, false
	}
	return out, true
}

// initialState returns view state for blocks: stateful elements of input,
// actions and section blocks with their initial values, keeping the values
// of elements that prev already had under the same block_id and action_id.
func initialState(blocks []any, prev map[string]map[string]json.RawMessage) map[string]map[string]json.RawMessage {
	out := map[string]map[string]json.RawMessage{}
	for _, b := range blocks {
		m := asMap(b)
		if m == nil {
			continue
		}
		bid := str(m, "block_id")
		for _, e := range elementsOf(m) {
			aid := str(e, "action_id")
			v, ok := initialValue(e)
			if !ok {
				continue
			}
			if old, ok := prev[bid][aid]; ok {
				v = old
			}
			if out[bid] == nil {
				out[bid] = map[string]json.RawMessage{}
			}
			out[bid][aid] = v
		}
	}
	return out
}

// isEmptyValue reports whether a state value object holds nothing.
func isEmptyValue(raw json.RawMessage) bool {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return true
	}
	for k, v := range m {
		if k == "type" {
			continue
		}
		switch x := v.(type) {
		case nil:
		case string:
			if x != "" {
				return false
			}
		case []any:
			if len(x) > 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}
