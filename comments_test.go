package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// outsideRef matches a comment that points at something a reader of the
// repository cannot open: the design notes and Slack notes kept beside it,
// an issue by number, or a numbered invariant of the design. A comment says
// the rule itself, or points at a file inside the repository (docs/*.md).
var outsideRef = regexp.MustCompile(`DESIGN\.md|SLACK\.md|STYLE\.md|\.\./shared/|\b[Ii]ssues? #?[0-9]+|\b[Ii]nvariants? [0-9]+`)

// outsideRefs returns, for one Go source file, each comment line that
// points outside the repository, as "file:line: text".
func outsideRefs(fset *token.FileSet, name string, src any) ([]string, error) {
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, group := range f.Comments {
		for _, c := range group.List {
			for i, line := range strings.Split(c.Text, "\n") {
				if outsideRef.MatchString(line) {
					pos := fset.Position(c.Slash)
					text := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(line, "//"), "/*"), "*/"))
					out = append(out, pos.Filename+":"+strconv.Itoa(pos.Line+i)+": "+text)
				}
			}
		}
	}
	return out, nil
}

// TestCommentsStayInsideTheRepository: no comment in any .go file points
// at a file outside the repository or at an issue, so every comment can be
// followed by whoever reads the code.
func TestCommentsStayInsideTheRepository(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		files++
		refs, err := outsideRefs(fset, path, nil)
		if err != nil {
			return err
		}
		for _, r := range refs {
			t.Errorf("a comment points outside the repository: %s", r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("read %d Go files; the walk missed the repository", files)
	}
}

// TestOutsideRefsFindsThem: the check finds each kind of reference, in line
// and block comments, and leaves strings and in-repository pointers alone.
func TestOutsideRefsFindsThem(t *testing.T) {
	// The fixture's references are spelled in pieces, so that a search of
	// the repository's sources for them finds none here either.
	slackDoc, designDoc, styleDoc, issue := "SLACK"+".md", "DESIGN"+".md", "STYLE"+".md", "iss"+"ue"
	src := strings.NewReplacer("{slack}", slackDoc, "{design}", designDoc, "{style}", styleDoc, "{issue}", issue).Replace(`package p

// Limits from ../shared/{slack}.
var a = "{issue} 4 in a string is not a comment"

/*
Built for {issue} 12.
*/
var b = 1 // see {design} invariant 9

// The rules are in docs/engine.md; {style} says how code reads.
var c = 2

// Fine: docs/checkins.md, "Reports".
var d = 3
`)
	got, err := outsideRefs(token.NewFileSet(), "p.go", src)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"p.go:3: Limits from ../shared/" + slackDoc + ".",
		"p.go:7: Built for " + issue + " 12.",
		"p.go:9: see " + designDoc + " invariant 9",
		"p.go:11: The rules are in docs/engine.md; " + styleDoc + " says how code reads.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("outsideRefs found\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
