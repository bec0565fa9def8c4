// Package blockkit checks Block Kit surfaces the way Slack would, for tests:
// every limit Slack documents for its surfaces and Block Kit, and that no
// mention, broadcast or link is live except the ones a test allows. It
// walks the JSON Slack receives, so it sees every text object and every
// field, whatever built them.
package blockkit

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Surface is where blocks are shown; each has its own block limit.
type Surface int

// The surfaces.
const (
	Message Surface = iota // ≤ 50 blocks
	Home                   // ≤ 100 blocks
	Modal                  // ≤ 100 blocks, title/submit/close ≤ 24, private_metadata ≤ 3000
)

// Limits from Slack's Block Kit reference.
const (
	MaxMessageBlocks = 50
	MaxViewBlocks    = 100
	MaxSectionText   = 3000
	MaxField         = 2000
	MaxFields        = 10
	MaxHeader        = 150
	MaxActions       = 25
	MaxContext       = 10
	MaxButtonText    = 75
	MaxButtonValue   = 2000
	MaxOptionText    = 75
	MaxOptionValue   = 150
	MaxSelectOptions = 100
	MaxChecks        = 10
	MaxInputLength   = 3000
	MaxLabel         = 2000
	MaxModalTitle    = 24
	MaxMetadata      = 3000
	MaxID            = 255
	MaxMessageText   = 4000
	// MaxBlockText is the cumulative block text a message may carry:
	// Slack refuses "around 12,000" with msg_blocks_too_long.
	MaxBlockText = 12000
)

// live matches what Slack turns into a mention, a broadcast or a link in
// mrkdwn: "<!channel>", "<@U1>", "<#C1>", "<http://x|y>", "<mailto:...>".
var live = regexp.MustCompile(`<[!@#]?[^<>\s]*>|<(?:https?|mailto|ftp|slack):[^<>]*>`)

// mention is one live reference: "<@U1>" gives "@U1".
var mention = regexp.MustCompile(`^<([@#])([A-Z0-9]+)(?:\|[^<>]*)?>$`)

// Check returns every problem of one surface: v is what is sent to Slack
// (blocks, a view, or anything marshalling to them). allowed are the
// mentions built on purpose ("@U1", "#C1"); any other live sequence in a
// mrkdwn text is a problem (an allowed entry starting with "http" allows
// links to addresses starting with it), as is a mrkdwn text object without verbatim
// (Slack would auto-link what a person typed).
func Check(surface Surface, v any, allowed ...string) []string {
	raw, err := json.Marshal(v)
	if err != nil {
		return []string{fmt.Sprintf("marshal: %v", err)}
	}
	var root any
	if err := json.Unmarshal(raw, &root); err != nil {
		return []string{fmt.Sprintf("unmarshal: %v", err)}
	}
	c := checker{allowed: map[string]bool{}}
	for _, a := range allowed {
		c.allowed[a] = true
	}
	var blocks []any
	switch r := root.(type) {
	case []any:
		blocks = r
	case map[string]any:
		if b, ok := r["blocks"].([]any); ok {
			blocks = b
		}
		c.view(surface, r)
	}
	max := MaxMessageBlocks
	if surface != Message {
		max = MaxViewBlocks
	}
	if len(blocks) > max {
		c.fail("", "%d blocks, limit %d", len(blocks), max)
	}
	for i, b := range blocks {
		c.block(fmt.Sprintf("blocks[%d]", i), b)
	}
	c.walk("", root)
	if surface == Message && c.textTotal > MaxBlockText {
		c.fail("", "%d characters of block text, limit %d", c.textTotal, MaxBlockText)
	}
	return c.problems
}

// CheckText returns the problems of a message's notification text: its
// length, and live sequences (mrkdwn) other than the allowed ones.
func CheckText(s string, allowed ...string) []string {
	c := checker{allowed: map[string]bool{}}
	for _, a := range allowed {
		c.allowed[a] = true
	}
	c.limit("text", s, MaxMessageText)
	c.liveIn("text", s)
	return c.problems
}

type checker struct {
	allowed   map[string]bool
	problems  []string
	textTotal int
}

func (c *checker) fail(path, format string, args ...any) {
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

func (c *checker) limit(path, s string, n int) {
	if l := utf8.RuneCountInString(s); l > n {
		c.fail(path, "%d characters, limit %d", l, n)
	}
}

func (c *checker) liveIn(path, s string) {
	for _, m := range live.FindAllString(s, -1) {
		if sub := mention.FindStringSubmatch(m); sub != nil && c.allowed[sub[1]+sub[2]] {
			continue
		}
		if c.allowedLink(m) {
			continue
		}
		c.fail(path, "live %q", m)
	}
}

// allowedLink reports whether m is a link to an allowed address prefix.
func (c *checker) allowedLink(m string) bool {
	for a := range c.allowed {
		if strings.HasPrefix(a, "http") && strings.HasPrefix(m, "<"+a) {
			return true
		}
	}
	return false
}

// view checks a modal's or Home tab's own fields.
func (c *checker) view(surface Surface, v map[string]any) {
	if surface != Modal {
		return
	}
	for _, k := range []string{"title", "submit", "close"} {
		if t, ok := v[k].(map[string]any); ok {
			c.limit(k, str(t["text"]), MaxModalTitle)
		}
	}
	c.limit("private_metadata", str(v["private_metadata"]), MaxMetadata)
	c.limit("callback_id", str(v["callback_id"]), MaxID)
}

// block checks one block's limits.
func (c *checker) block(path string, v any) {
	b, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "not an object")
		return
	}
	c.limit(path+".block_id", str(b["block_id"]), MaxID)
	switch b["type"] {
	case "section":
		c.limit(path+".text", textOf(b["text"]), MaxSectionText)
		fields, _ := b["fields"].([]any)
		if len(fields) > MaxFields {
			c.fail(path, "%d fields, limit %d", len(fields), MaxFields)
		}
		for i, f := range fields {
			c.limit(fmt.Sprintf("%s.fields[%d]", path, i), textOf(f), MaxField)
		}
		if a, ok := b["accessory"]; ok {
			c.element(path+".accessory", a)
		}
	case "header":
		c.limit(path+".text", textOf(b["text"]), MaxHeader)
	case "context":
		els, _ := b["elements"].([]any)
		if len(els) > MaxContext {
			c.fail(path, "%d elements, limit %d", len(els), MaxContext)
		}
	case "actions":
		els, _ := b["elements"].([]any)
		if len(els) > MaxActions {
			c.fail(path, "%d elements, limit %d", len(els), MaxActions)
		}
		for i, e := range els {
			c.element(fmt.Sprintf("%s.elements[%d]", path, i), e)
		}
	case "input":
		c.limit(path+".label", textOf(b["label"]), MaxLabel)
		c.limit(path+".hint", textOf(b["hint"]), MaxLabel)
		c.element(path+".element", b["element"])
	}
}

// element checks an interactive element.
func (c *checker) element(path string, v any) {
	e, ok := v.(map[string]any)
	if !ok {
		return
	}
	c.limit(path+".action_id", str(e["action_id"]), MaxID)
	options := func(max int) {
		opts, _ := e["options"].([]any)
		if len(opts) > max {
			c.fail(path, "%d options, limit %d", len(opts), max)
		}
		all := opts
		if io, ok := e["initial_options"].([]any); ok {
			all = append(all, io...)
		}
		if io, ok := e["initial_option"]; ok {
			all = append(all, io)
		}
		for i, o := range all {
			om, _ := o.(map[string]any)
			c.limit(fmt.Sprintf("%s.options[%d].text", path, i), textOf(om["text"]), MaxOptionText)
			c.limit(fmt.Sprintf("%s.options[%d].value", path, i), str(om["value"]), MaxOptionValue)
		}
	}
	switch e["type"] {
	case "button":
		c.limit(path+".text", textOf(e["text"]), MaxButtonText)
		c.limit(path+".value", str(e["value"]), MaxButtonValue)
	case "static_select", "multi_static_select", "overflow":
		options(MaxSelectOptions)
	case "checkboxes", "radio_buttons":
		options(MaxChecks)
	case "plain_text_input":
		n := MaxInputLength
		if m, ok := e["max_length"].(float64); ok {
			if int(m) > MaxInputLength {
				c.fail(path, "max_length %d, limit %d", int(m), MaxInputLength)
			}
			if m > 0 {
				n = int(m)
			}
		}
		c.limit(path+".initial_value", str(e["initial_value"]), n)
	}
}

// walk visits every text object: mrkdwn must be verbatim and carry no live
// sequence but the allowed ones; every text counts towards the total.
func (c *checker) walk(path string, v any) {
	switch t := v.(type) {
	case []any:
		for i, e := range t {
			c.walk(fmt.Sprintf("%s[%d]", path, i), e)
		}
	case map[string]any:
		if s, ok := t["text"].(string); ok && (t["type"] == "mrkdwn" || t["type"] == "plain_text") {
			c.textTotal += utf8.RuneCountInString(s)
			if t["type"] == "mrkdwn" {
				c.liveIn(path, s)
				if t["verbatim"] != true {
					c.fail(path, "mrkdwn without verbatim: Slack would auto-link what a person typed")
				}
			}
		}
		for k, e := range t {
			c.walk(path+"."+k, e)
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func textOf(v any) string {
	t, _ := v.(map[string]any)
	return str(t["text"])
}
