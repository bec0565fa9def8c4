package blockkit

import (
	"strings"
	"testing"
)

func mrkdwn(s string, verbatim bool) map[string]any {
	return map[string]any{"type": "mrkdwn", "text": s, "verbatim": verbatim}
}

func section(s string) map[string]any {
	return map[string]any{"type": "section", "text": mrkdwn(s, true)}
}

// TestCheckFindsProblems: the checker sees each kind of problem it exists
// for, and none in a clean surface, so a test using it can fail.
func TestCheckFindsProblems(t *testing.T) {
	many := make([]any, 51)
	for i := range many {
		many[i] = map[string]any{"type": "divider"}
	}
	tests := []struct {
		name    string
		surface Surface
		v       any
		want    string // "" for no problem
	}{
		{"clean", Message, []any{section("Hi &lt;!channel&gt; <@U1>")}, ""},
		{"broadcast", Message, []any{section("Hi <!channel>")}, `live "<!channel>"`},
		{"here", Message, []any{section("<!here|here>")}, "live"},
		{"mention", Message, []any{section("<@U2>")}, `live "<@U2>"`},
		{"channel", Message, []any{section("<#C9>")}, "live"},
		{"link", Message, []any{section("<http://evil|x y>")}, "live"},
		{"allowed link", Message, []any{section("<https://ok.example/a|more>")}, ""},
		{"not verbatim", Message, []any{map[string]any{"type": "section", "text": mrkdwn("x", false)}}, "verbatim"},
		{"header", Message, []any{map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": strings.Repeat("é", 151)}}}, "limit 150"},
		{"section", Message, []any{section(strings.Repeat("a", 3001))}, "limit 3000"},
		{"blocks", Message, many, "51 blocks"},
		{"total", Message, []any{section(strings.Repeat("a", 3000)), section(strings.Repeat("a", 3000)), section(strings.Repeat("a", 3000)), section(strings.Repeat("a", 3000)), section("a")}, "block text"},
		{"button", Message, []any{map[string]any{"type": "actions", "elements": []any{map[string]any{"type": "button", "text": map[string]any{"type": "plain_text", "text": strings.Repeat("b", 76)}}}}}, "limit 75"},
		{"option value", Message, []any{map[string]any{"type": "actions", "elements": []any{map[string]any{"type": "static_select", "options": []any{map[string]any{"text": map[string]any{"type": "plain_text", "text": "o"}, "value": strings.Repeat("v", 151)}}}}}}, "limit 150"},
		{"input", Modal, map[string]any{"type": "modal", "blocks": []any{map[string]any{"type": "input", "label": map[string]any{"type": "plain_text", "text": "l"}, "element": map[string]any{"type": "plain_text_input", "max_length": 10.0, "initial_value": strings.Repeat("x", 11)}}}}, "limit 10"},
		{"title", Modal, map[string]any{"type": "modal", "title": map[string]any{"type": "plain_text", "text": strings.Repeat("t", 25)}}, "limit 24"},
		{"metadata", Modal, map[string]any{"type": "modal", "private_metadata": strings.Repeat("m", 3001)}, "limit 3000"},
	}
	for _, tt := range tests {
		got := strings.Join(Check(tt.surface, tt.v, "@U1", "https://ok.example/"), "\n")
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: problems %q, want %q", tt.name, got, tt.want)
		}
	}
	if p := CheckText("a <!everyone> b"); len(p) != 1 {
		t.Errorf("CheckText(broadcast) = %v, want one problem", p)
	}
	if p := CheckText(strings.Repeat("x", 4001)); len(p) != 1 {
		t.Errorf("CheckText(4001 characters) = %v, want one problem", p)
	}
}
