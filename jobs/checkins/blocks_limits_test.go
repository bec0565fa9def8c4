package checkins_test

import (
	"strings"
	"testing"
	"unicode/utf8"
)

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
