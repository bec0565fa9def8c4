package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// Only package main imports app, and only tests import app/apptest; the
// shared test harness below them imports neither app nor the jobs, so the
// internal tests of any package can use it without a cycle.
func TestWhoImportsApp(t *testing.T) {
	const mod = "github.com/trellis-bot/trellis"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{.Name}} {{join .Deps \" \"}}", mod+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, name, deps := fields[0], fields[1], fields[2:]
		for _, dep := range deps {
			switch {
			case dep == mod+"/app" && name != "main" && pkg != mod+"/app/apptest":
				t.Errorf("%s imports app; only package main may", pkg)
			case dep == mod+"/app/apptest":
				t.Errorf("%s imports app/apptest outside its tests", pkg)
			case pkg == mod+"/internal/testenv" && (dep == mod+"/app" || strings.HasPrefix(dep, mod+"/jobs")):
				t.Errorf("internal/testenv depends on %s", dep)
			}
		}
	}
}
