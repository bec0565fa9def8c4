package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// wallClockCalls are the functions of package time that read or wait on
// the machine's clock rather than the injected one.
var wallClockCalls = []string{"Now", "Since", "Until", "After", "AfterFunc", "Sleep", "Tick", "NewTimer", "NewTicker"}

// wallClockAllowed are the uses of the machine's clock in scheduled code,
// by file and function, each with why it is not the time of the schedule.
// A use not listed fails TestScheduledCodeReadsTheInjectedClock; a listed
// one that is gone fails it too, so the list stays true.
var wallClockAllowed = map[string]string{
	"jobs/checkins/actions.go:SyncMembers":   "orders reads of a channel's members by when the calls to Slack began, whatever a test's clock says",
	"jobs/checkins/prompts.go:rewritePrompt": "waits for another goroutine or replica to let a prompt go: real contention takes real time",
	"jobs/engine/engine.go:Tick":             "measures how long a tick took, for the tick-duration metric",
	"jobs/engine/leases.go:realPulse":        "wakes the heartbeat to look at the injected clock, which decides when a renewal is due",
	"jobs/scheduler.go:run":                  "measures how long a job took, for its log line and metric",
	"jobs/peers/teams.go:read":               "leaves half of what is left of the caller's deadline, a real-time limit, to the rest of the round opening",
}

// wallClockUses returns "file:function" for every call of a wallClockCalls
// function in the Go source of one file.
func wallClockUses(fset *token.FileSet, name string, src any) ([]string, error) {
	f, err := parser.ParseFile(fset, name, src, 0)
	if err != nil {
		return nil, err
	}
	timeName := ""
	for _, imp := range f.Imports {
		if imp.Path.Value == `"time"` {
			timeName = "time"
			if imp.Name != nil {
				timeName = imp.Name.Name
			}
		}
	}
	if timeName == "" {
		return nil, nil
	}
	var uses []string
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == timeName && slices.Contains(wallClockCalls, sel.Sel.Name) {
				uses = append(uses, filepath.ToSlash(name)+":"+fn.Name.Name)
			}
			return true
		})
	}
	return uses, nil
}

// TestScheduledCodeReadsTheInjectedClock: the code that decides when
// things happen (everything under jobs/) reads the time and waits only
// through the injected clock, so the sandbox, the tests and every replica
// agree on what time it is. The few uses of the machine's clock are for
// measuring work or waiting on real contention, and are listed with why.
func TestScheduledCodeReadsTheInjectedClock(t *testing.T) {
	fset := token.NewFileSet()
	seen := map[string]bool{}
	err := filepath.WalkDir("jobs", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		uses, err := wallClockUses(fset, path, nil)
		if err != nil {
			return err
		}
		for _, u := range uses {
			seen[u] = true
			if _, ok := wallClockAllowed[u]; !ok {
				t.Errorf("%s reads the machine's clock; scheduled code reads the injected clock (clock.Clock)", u)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for u := range wallClockAllowed {
		if !seen[u] {
			t.Errorf("%s is allowed the machine's clock but no longer uses it: remove it from wallClockAllowed", u)
		}
	}
}

// TestWallClockUsesFindsThem shows the check finds each way of reading or
// waiting on the machine's clock, under a renamed import too.
func TestWallClockUsesFindsThem(t *testing.T) {
	src := `package p
import stdtime "time"
func a() { _ = stdtime.Now() }
func b() { <-stdtime.After(1) }
func c() { stdtime.Sleep(1) }
func d(c interface{ Now() stdtime.Time }) { _ = c.Now() }
`
	got, err := wallClockUses(token.NewFileSet(), "p.go", src)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"p.go:a", "p.go:b", "p.go:c"}
	if !slices.Equal(got, want) {
		t.Errorf("found %v, want %v", got, want)
	}
}
