package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the repository's top directory, from this package's.
const repoRoot = "../../.."

// notEmoji are colon-wrapped words in Trellis's strings that are not emoji.
var notEmoji = map[string]string{
	"memory": "SQLite's in-memory database name",
	"review": "the OKR review button's action id prefix, okr:review:",
}

// shortcode matches an emoji shortcode such as :palm_tree: or :+1:.
var shortcode = regexp.MustCompile(`:([a-z0-9_+'-]*[a-z][a-z0-9_+'-]*):`)

// sentShortcodes returns every emoji shortcode in a string literal of the
// repository's Go code (tests aside), with where it was first seen: what
// the bot can send in messages and views, and the status emoji it knows
// and the demo people wear.
func sentShortcodes(t *testing.T) map[string]string {
	t.Helper()
	found := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != repoRoot && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			// A colon ends one shortcode and may start the next
			// (":baby::skin-tone-2:"), so match from each colon.
			for i := 0; i < len(s); i++ {
				m := shortcode.FindStringSubmatchIndex(s[i:])
				if m == nil {
					break
				}
				name := s[i+m[2] : i+m[3]]
				i += m[3] - 1 // the closing colon is tried as an opening one
				if strings.HasPrefix(name, "skin-tone-") || notEmoji[name] != "" {
					continue
				}
				if _, seen := found[name]; !seen {
					found[name] = fset.Position(lit.Pos()).String()
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// pageEmoji returns the shortcodes the page's EMOJI table renders.
func pageEmoji(t *testing.T) map[string]bool {
	t.Helper()
	js, err := os.ReadFile("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(js), "const EMOJI = {")
	end := strings.Index(string(js)[start:], "};")
	if start < 0 || end < 0 {
		t.Fatal("app.js has no EMOJI table")
	}
	table := string(js)[start : start+end]
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?:'([^']+)'|([a-z0-9_]+)):\s*'[^']+'`).FindAllStringSubmatch(table, -1) {
		out[m[1]+m[2]] = true
	}
	return out
}

// Every emoji shortcode Trellis can send (in a message, a view, a status
// it recognises or the demo's) shows as an emoji on the sandbox page, not
// as its :name:.
func TestPageRendersEveryEmojiTheBotSends(t *testing.T) {
	sent := sentShortcodes(t)
	rendered := pageEmoji(t)
	for _, must := range []string{"palm_tree", "mailbox_with_mail", "soon", "warning"} {
		if sent[must] == "" {
			t.Errorf("the source scan missed :%s:; it found %v", must, slices.Sorted(maps.Keys(sent)))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(sent)) {
		if !rendered[name] {
			t.Errorf(":%s: (%s) has no rendering in static/app.js's EMOJI table", name, sent[name])
		}
	}
}
