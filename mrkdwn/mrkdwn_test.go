package mrkdwn

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"<!channel>":           "&lt;!channel&gt;",
		"<@U1> & <http://x|y>": "&lt;@U1&gt; &amp; &lt;http://x|y&gt;",
		"&lt;!here&gt;":        "&amp;lt;!here&amp;gt;",
		"plain ünïcödé 🙂":      "plain ünïcödé 🙂",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBound: whatever the input, the result is escaped, at most n
// characters as Slack counts them, valid UTF-8, never ends inside an
// escape, and is the whole text when it fits.
func TestBound(t *testing.T) {
	inputs := []string{"", "short", strings.Repeat("<", 50), strings.Repeat("&", 33), strings.Repeat("🙂", 80),
		strings.Repeat("a<b&c>", 40), "x" + strings.Repeat("é", 200), "\xff\xfe<!channel>"}
	for _, in := range inputs {
		for _, n := range []int{1, 2, 5, 10, 37, 100, 1000} {
			got := Bound(in, n)
			if c := utf8.RuneCountInString(got); c > n {
				t.Errorf("Bound(%q, %d) is %d characters", in, n, c)
			}
			if strings.ContainsAny(strings.TrimSuffix(got, "…"), "<>") {
				t.Errorf("Bound(%q, %d) = %q has a live angle bracket", in, n, got)
			}
			body := strings.TrimSuffix(got, "…")
			if i := strings.LastIndexByte(body, '&'); i >= 0 && !strings.Contains(body[i:], ";") {
				t.Errorf("Bound(%q, %d) = %q ends inside an escape", in, n, got)
			}
			if utf8.ValidString(in) && !utf8.ValidString(got) {
				t.Errorf("Bound(%q, %d) = %q is not valid UTF-8", in, n, got)
			}
			if Width(in) <= n && got != Escape(in) {
				t.Errorf("Bound(%q, %d) = %q, want it whole", in, n, got)
			}
		}
	}
}
