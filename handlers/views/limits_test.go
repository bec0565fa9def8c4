package views_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// checkModalLimits reports every Block Kit limit a modal breaks: Slack's
// documented limits on blocks, titles, labels (2000), hints (2000) and
// placeholders (150).
func checkModalLimits(t *testing.T, m slack.ModalViewRequest) {
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
	c.max("private_metadata", str(v["private_metadata"]), 3000)
	c.max("callback_id", str(v["callback_id"]), 255)
	blocks, _ := v["blocks"].([]any)
	if len(blocks) == 0 || len(blocks) > 100 {
		t.Errorf("modal has %d blocks, want 1 to 100", len(blocks))
	}
	blockIDs := map[string]bool{}
	for i, b := range blocks {
		b := b.(map[string]any)
		where := fmt.Sprintf("block %d (%s %s)", i, b["type"], str(b["block_id"]))
		if id := str(b["block_id"]); id != "" {
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

// submit fills view.state.values from a modal's initial values, as Slack
// submits a form the person did not touch: a text input's value, a
// radio's or menu's selected_option, a person picker's selected_user.
func submit(t *testing.T, m slack.ModalViewRequest) map[string]map[string]slack.BlockAction {
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
			case e.InitialOption != nil:
				a.SelectedOption = *e.InitialOption
			}
		case *slack.RadioButtonsBlockElement:
			id, a.Type = e.ActionID, "radio_buttons"
			if e.InitialOption != nil {
				a.SelectedOption = *e.InitialOption
			}
		case *slack.MultiSelectBlockElement:
			id, a.Type, a.SelectedUsers = e.ActionID, "multi_users_select", e.InitialUsers
		default:
			t.Fatalf("block %s: unexpected element %T", in.BlockID, e)
		}
		values[in.BlockID] = map[string]slack.BlockAction{id: a}
	}
	return values
}
