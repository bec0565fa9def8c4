package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// This file keeps the package graph pointing one way. It reads the real
// graph with `go list -deps -json ./...` (non-test imports only: a test may
// import what it likes) and checks every rule below on every Trellis package,
// following imports transitively, so that a rule cannot be dodged through a
// package no rule names.

// modulePath is the module every rule is written against. Package names in
// rules and reports are relative to it: "jobs/attention", "." for the root.
const modulePath = "github.com/trellis-bot/trellis"

// shared are the folders directly under models/, jobs/ and handlers/ that
// belong to no capability: what the layer's capabilities share. Every
// other folder there is a capability, living in every layer under one
// name (models/checkins, jobs/checkins, handlers/checkins), so a new
// capability is checked by the rules from its first commit; a new shared
// folder must be named here, and TestSharedFolders fails on a name that
// is not a folder.
var shared = []string{
	"models/calendar", "models/holidays", "models/invalid", "models/migrations", "models/modelstest",
	"jobs/attention", "jobs/cadence", "jobs/engine",
	"handlers/views",
}

// leaves are the small packages every layer may import. They import no
// Trellis package but each other, so importing one never smuggles in a
// layer.
var leaves = []string{"clock", "csvsafe", "kv", "kv/kvtest", "mrkdwn", "internal/blockkit", "internal/txn", "internal/testlog"}

// databaseModules are the ORM and database drivers the time rules must not
// reach.
var databaseModules = []string{
	"gorm.io/", "github.com/glebarez/", "modernc.org/sqlite", "modernc.org/libc",
	"github.com/jackc/pgx", "github.com/lib/pq", "github.com/mattn/go-sqlite3",
}

// pending are import edges tolerated for now, each for a move that is
// under way. The rules ignore them; an entry whose import no longer exists
// fails the test, so that it is removed as soon as the move lands.
var pending = []edge{}

// layerRules are the import rules of Trellis, in the words of its
// architecture: main → handlers → jobs → models; bot (the Slack transport)
// stands apart; the time rules depend on no database; only main wires
// capabilities in, so what a layer shares knows none of them;
// capabilities do not import one another; leaves stay leaves.
var layerRules = []layerRule{
	{
		name:    "imports point one way: main → handlers → jobs → models",
		applies: func(p string) bool { return layerOf(p) >= 0 && layerOf(p) < mainLayer },
		forbids: func(p, dep string) bool { return layerOf(dep) > layerOf(p) },
	},
	{
		name:    "only main imports the main layer",
		applies: func(p string) bool { return isModule(p) && layerOf(p) < 0 },
		forbids: func(_, dep string) bool { return layerOf(dep) == mainLayer },
	},
	{
		name:    "models knows nothing of Slack's transport: it imports no bot",
		applies: func(p string) bool { return layerOf(p) == modelsLayer },
		forbids: func(_, dep string) bool { return under(dep, "bot") },
	},
	{
		name:    "bot is the Slack transport alone: it imports no models, jobs, handlers or emulator",
		applies: func(p string) bool { return under(p, "bot") },
		forbids: func(_, dep string) bool {
			return under(dep, "models") || under(dep, "jobs") || under(dep, "handlers") || under(dep, "internal/slacksim")
		},
	},
	{
		name: "the time rules and the values they use depend on no database driver or ORM",
		applies: func(p string) bool {
			return under(p, "jobs/cadence") || under(p, "jobs/attention") || under(p, "models/calendar") || under(p, "models/holidays")
		},
		forbids: func(_, dep string) bool {
			return slices.ContainsFunc(databaseModules, func(m string) bool { return strings.HasPrefix(dep, m) })
		},
	},
	{
		name: "only main wires capabilities in: no other package, shared or outside the layers, imports one",
		applies: func(p string) bool {
			return isModule(p) && layerOf(p) != mainLayer && capabilityOf(p) == ""
		},
		forbids: func(_, dep string) bool { return capabilityOf(dep) != "" },
	},
	{
		name:    "a capability imports no other capability",
		applies: func(p string) bool { return capabilityOf(p) != "" },
		forbids: func(p, dep string) bool { c := capabilityOf(dep); return c != "" && c != capabilityOf(p) },
	},
	{
		name:    "leaf packages import only leaf packages",
		applies: func(p string) bool { return slices.Contains(leaves, p) },
		forbids: func(_, dep string) bool { return isModule(dep) && !slices.Contains(leaves, dep) },
	},
}

// The layers, lowest first; -1 is a package outside them (bot, leaves,
// internal/...).
const (
	modelsLayer = iota
	jobsLayer
	handlersLayer
	mainLayer
)

// layerOf is the layer of a Trellis package: models/**, jobs/**,
// handlers/**, or main (the root package and app/**); -1 for any other.
func layerOf(p string) int {
	switch {
	case p == "." || under(p, "app"):
		return mainLayer
	case under(p, "handlers"):
		return handlersLayer
	case under(p, "jobs"):
		return jobsLayer
	case under(p, "models"):
		return modelsLayer
	}
	return -1
}

// capabilityOf is the capability a package belongs to ("checkins" for
// jobs/checkins, models/checkins and models/checkins/checkinstest), or ""
// for a layer's root, its shared folders and anything outside the layers.
func capabilityOf(p string) string {
	if layerOf(p) < 0 || layerOf(p) == mainLayer {
		return ""
	}
	parts := strings.Split(p, "/")
	if len(parts) < 2 || parts[1] == "testdata" || slices.Contains(shared, parts[0]+"/"+parts[1]) {
		return ""
	}
	return parts[1]
}

// under reports whether package p is dir or inside it.
func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

// isModule reports whether p is a Trellis package (relative name) rather
// than an import path of another module.
func isModule(p string) bool { return p == "." || !strings.Contains(strings.Split(p, "/")[0], ".") }

// layerRule is one import rule: no package it applies to may reach, by any
// chain of imports, a package it forbids.
type layerRule struct {
	name    string
	applies func(pkg string) bool
	forbids func(pkg, dep string) bool
}

// edge is one import, from a package to a package it imports.
type edge struct{ from, to string }

// importGraph maps each package to the packages it imports directly
// (non-test imports; standard library left out).
type importGraph map[string][]string

// violation is one rule broken, with the chain of imports that breaks it.
type violation struct {
	rule  string
	chain []string
}

func (v violation) String() string {
	return fmt.Sprintf("%s: %s", v.rule, strings.Join(v.chain, " → "))
}

// checkLayers applies rules to g with the pending edges left out, and
// returns every violation (one per rule, package and forbidden package
// reached, with the shortest chain) and every pending edge g does not have.
func checkLayers(g importGraph, rules []layerRule, pending []edge) (violations []violation, stale []edge) {
	tolerated := map[edge]bool{}
	for _, e := range pending {
		if !slices.Contains(g[e.from], e.to) {
			stale = append(stale, e)
		}
		tolerated[e] = true
	}
	pkgs := make([]string, 0, len(g))
	for p := range g {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	for _, r := range rules {
		for _, p := range pkgs {
			if !isModule(p) || !r.applies(p) {
				continue
			}
			// Breadth first, so each chain is a shortest one; a forbidden
			// package ends its chain (what it imports is its own matter).
			parent := map[string]string{p: ""}
			queue := []string{p}
			for len(queue) > 0 {
				cur := queue[0]
				queue = queue[1:]
				for _, dep := range g[cur] {
					if _, seen := parent[dep]; seen || tolerated[edge{cur, dep}] {
						continue
					}
					parent[dep] = cur
					if r.forbids(p, dep) {
						violations = append(violations, violation{rule: r.name, chain: chainTo(parent, dep)})
						continue
					}
					queue = append(queue, dep)
				}
			}
		}
	}
	return violations, stale
}

// chainTo walks parent links back from dep to the start of the search.
func chainTo(parent map[string]string, dep string) []string {
	var chain []string
	for p := dep; p != ""; p = parent[p] {
		chain = append(chain, p)
	}
	slices.Reverse(chain)
	return chain
}

// listedPackage is the part of `go list -json` output the graph needs.
type listedPackage struct {
	ImportPath string
	Standard   bool
	Imports    []string
}

// readImportGraph decodes `go list -deps -json` output into a graph with
// Trellis packages named relative to the module.
func readImportGraph(r io.Reader) (importGraph, error) {
	g := importGraph{}
	dec := json.NewDecoder(r)
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("decode go list output: %w", err)
		}
		if p.Standard {
			continue
		}
		imports := []string{}
		for _, imp := range p.Imports {
			if imp == "C" || !strings.Contains(strings.Split(imp, "/")[0], ".") {
				continue // the standard library (and cgo's pseudo-package)
			}
			imports = append(imports, relName(imp))
		}
		slices.Sort(imports)
		g[relName(p.ImportPath)] = imports
	}
	return g, nil
}

// relName names a package of this module relative to it ("." for the
// root); other import paths stay whole.
func relName(path string) string {
	if path == modulePath {
		return "."
	}
	if rest, ok := strings.CutPrefix(path, modulePath+"/"); ok {
		return rest
	}
	return path
}

// goCommand is the go command of the toolchain running the test.
func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// TestImportLayers reads the package graph and fails on every import that
// breaks a rule of layerRules, naming the chain of imports.
func TestImportLayers(t *testing.T) {
	cmd := exec.Command(goCommand(), "list", "-deps", "-json", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	g, err := readImportGraph(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	// A rule that matches no package would pass without checking anything.
	for _, r := range layerRules {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(g)), r.applies) {
			t.Errorf("rule %q applies to no package of the graph; is the graph complete?", r.name)
		}
	}
	violations, stale := checkLayers(g, layerRules, pending)
	for _, v := range violations {
		t.Errorf("%s", v)
	}
	for _, e := range stale {
		t.Errorf("pending exception %s → %s: the import is gone; remove it from pending in layers_test.go", e.from, e.to)
	}
}

// The checker catches each kind of violation in a graph built to break
// every rule, names the chain, honours and reports pending edges, and finds
// nothing in a graph that keeps the rules.
func TestCheckLayersFindsViolations(t *testing.T) {
	clean := importGraph{
		".":                            {"app", "bot", "handlers"},
		"app":                          {"bot", "handlers", "handlers/checkins", "internal/slacksim", "jobs/checkins", "jobs/engine"},
		"handlers":                     {"bot", "handlers/views", "jobs/engine"},
		"handlers/checkins":            {"handlers/views", "jobs/checkins", "models/checkins"},
		"handlers/views":               {"internal/blockkit", "models"},
		"jobs/checkins":                {"jobs/engine", "models/checkins"},
		"jobs/engine":                  {"bot", "clock", "jobs/attention", "models"},
		"jobs/attention":               {"jobs/cadence", "models/calendar"},
		"jobs/cadence":                 {"models/calendar"},
		"models":                       {"gorm.io/gorm", "internal/txn", "models/calendar"},
		"models/calendar":              {},
		"models/checkins":              {"models"},
		"models/modelstest":            {"models"},
		"internal/testenv":             {"models/modelstest"},
		"bot":                          {"clock", "github.com/slack-go/slack", "internal/txn", "kv"},
		"internal/slacksim":            {"bot"},
		"internal/blockkit":            {},
		"internal/txn":                 {},
		"clock":                        {},
		"kv":                           {"github.com/redis/go-redis/v9"},
		"gorm.io/gorm":                 {"gorm.io/gorm/clause"},
		"gorm.io/gorm/clause":          {},
		"github.com/slack-go/slack":    {},
		"github.com/redis/go-redis/v9": {},
	}
	if v, stale := checkLayers(clean, layerRules, nil); len(v) != 0 || len(stale) != 0 {
		t.Fatalf("a graph that keeps the rules: violations %v, stale %v; want none", v, stale)
	}

	broken := importGraph{}
	for p, imps := range clean {
		broken[p] = slices.Clone(imps)
	}
	add := func(from, to string) { broken[from] = append(broken[from], to) }
	add("models", "jobs/cadence")         // upward, models → jobs
	add("jobs/engine", "handlers/views")  // upward, jobs → handlers
	add("handlers/views", "app")          // upward, to the main layer
	add("internal/slacksim", "app")       // the main layer, from outside the layers
	add("bot", "internal/slacksim")       // the transport and the emulator
	add("jobs/cadence", "models")         // the time rules reach gorm through models
	add("handlers/checkins", "jobs/okrs") // one capability into another
	broken["jobs/okrs"] = []string{"models"}
	add("models/checkins", "models/okrs") // one capability's storage into another's
	broken["models/okrs"] = []string{"models"}
	add("handlers", "handlers/checkins")         // the shared router knows a capability
	add("handlers/views", "jobs/checkins")       // shared views built from a capability's runtime
	add("jobs/engine", "jobs/okrs")              // the delivery core knows a capability
	add("models/modelstest", "models/checkins")  // a shared test helper reaches into a capability
	add("internal/testenv", "handlers/checkins") // outside the layers, only main wires capabilities in
	add("models/checkins", "bot")                // storage that calls Slack
	add("clock", "internal/slacksim")            // a leaf that is no longer one
	add("jobs/checkins", "handlers/checkins")    // tolerated below: pending

	got, stale := checkLayers(broken, layerRules, []edge{{"jobs/checkins", "handlers/checkins"}, {"models", "bot"}})
	var lines []string
	for _, v := range got {
		lines = append(lines, v.String())
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		"imports point one way: main → handlers → jobs → models: models → jobs/cadence",
		"imports point one way: main → handlers → jobs → models: models/checkins → models → jobs/cadence",
		"imports point one way: main → handlers → jobs → models: jobs/engine → handlers/views",
		"imports point one way: main → handlers → jobs → models: jobs/checkins → jobs/engine → handlers/views",
		"imports point one way: main → handlers → jobs → models: handlers/views → app",
		"only main imports the main layer: internal/slacksim → app",
		"only main imports the main layer: bot → internal/slacksim → app",
		"bot is the Slack transport alone: it imports no models, jobs, handlers or emulator: bot → internal/slacksim",
		"the time rules and the values they use depend on no database driver or ORM: jobs/cadence → models → gorm.io/gorm",
		"the time rules and the values they use depend on no database driver or ORM: jobs/attention → jobs/cadence → models → gorm.io/gorm",
		"only main wires capabilities in: no other package, shared or outside the layers, imports one: handlers → handlers/checkins",
		"only main wires capabilities in: no other package, shared or outside the layers, imports one: handlers → handlers/views → jobs/checkins",
		"only main wires capabilities in: no other package, shared or outside the layers, imports one: handlers/views → jobs/checkins",
		"only main wires capabilities in: no other package, shared or outside the layers, imports one: jobs/engine → jobs/okrs",
		"only main wires capabilities in: no other package, shared or outside the layers, imports one: models/modelstest → models/checkins",
		"only main wires capabilities in: no other package, shared or outside the layers, imports one: internal/testenv → handlers/checkins",
		"only main wires capabilities in: no other package, shared or outside the layers, imports one: internal/testenv → models/modelstest → models/checkins",
		"a capability imports no other capability: handlers/checkins → jobs/okrs",
		"a capability imports no other capability: models/checkins → models/okrs",
		"models knows nothing of Slack's transport: it imports no bot: models/checkins → bot",
		"leaf packages import only leaf packages: clock → internal/slacksim",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("violations lack %q; got:\n%s", want, text)
		}
	}
	if strings.Contains(text, "jobs/checkins → handlers/checkins") {
		t.Errorf("a pending edge was reported:\n%s", text)
	}
	if len(stale) != 1 || stale[0] != (edge{"models", "bot"}) {
		t.Errorf("stale pending = %v, want only models → bot, an import the graph does not have", stale)
	}
}

// Each layer's packages under a capability's name belong to it, however
// deep; the layers' roots, their shared packages and what lies outside the
// layers belong to none.
func TestCapabilityOf(t *testing.T) {
	for p, want := range map[string]string{
		"models/checkins":              "checkins",
		"models/checkins/checkinstest": "checkins",
		"jobs/checkins":                "checkins",
		"handlers/checkins":            "checkins",
		"models/okrs":                  "okrs",
		"handlers/peers":               "peers",
		"jobs/reminders/compose":       "reminders", // any folder not shared is a capability
		"models":                       "",
		"models/modelstest":            "",
		"models/calendar":              "",
		"models/holidays":              "",
		"models/migrations":            "",
		"models/testdata":              "",
		"jobs":                         "",
		"jobs/engine":                  "",
		"jobs/cadence":                 "",
		"jobs/attention":               "",
		"handlers":                     "",
		"handlers/views":               "",
		"app":                          "",
		"app/apptest":                  "",
		"internal/checkins":            "",
		"bot":                          "",
	} {
		if got := capabilityOf(p); got != want {
			t.Errorf("capabilityOf(%q) = %q, want %q", p, got, want)
		}
	}
}

// Every name in shared is a folder of the repository, so the list holds no
// stale or misspelt entry; every other folder directly under models/,
// jobs/ or handlers/ is a capability (Go's testdata folders aside), and
// check-ins, the first, are found in every layer.
func TestSharedFolders(t *testing.T) {
	for _, s := range shared {
		if fi, err := os.Stat(filepath.FromSlash(s)); err != nil || !fi.IsDir() {
			t.Errorf("shared %s is no folder of the repository (%v); remove it from shared in layers_test.go", s, err)
		}
	}
	layers := map[string][]string{} // capability → the layers it is in
	for _, layer := range []string{"models", "jobs", "handlers"} {
		entries, err := os.ReadDir(layer)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			p := layer + "/" + e.Name()
			got := capabilityOf(p)
			switch {
			case slices.Contains(shared, p) || e.Name() == "testdata":
				if got != "" {
					t.Errorf("capabilityOf(%q) = %q, want none: the folder is shared", p, got)
				}
			case got != e.Name():
				t.Errorf("capabilityOf(%q) = %q, want %q: a folder that is not shared is a capability", p, got, e.Name())
			default:
				layers[got] = append(layers[got], layer)
			}
		}
	}
	if got, want := layers["checkins"], []string{"models", "jobs", "handlers"}; !slices.Equal(got, want) {
		t.Errorf("check-ins found in %v, want %v (capabilities on disk: %v)", got, want, layers)
	}
}

// readImportGraph reads go list's stream of JSON objects, names Trellis
// packages relative to the module and leaves the standard library out.
func TestReadImportGraph(t *testing.T) {
	in := `{"ImportPath": "fmt", "Standard": true, "Imports": ["errors"]}
{"ImportPath": "gorm.io/gorm", "Imports": ["context", "gorm.io/gorm/clause"]}
{"ImportPath": "github.com/trellis-bot/trellis/models", "Imports": ["C", "fmt", "gorm.io/gorm", "github.com/trellis-bot/trellis/models/calendar"]}
{"ImportPath": "github.com/trellis-bot/trellis", "Imports": ["github.com/trellis-bot/trellis/models"]}
`
	g, err := readImportGraph(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := importGraph{
		"gorm.io/gorm": {"gorm.io/gorm/clause"},
		"models":       {"gorm.io/gorm", "models/calendar"},
		".":            {"models"},
	}
	if len(g) != len(want) {
		t.Errorf("graph = %v, want %v", g, want)
	}
	for p, imps := range want {
		if !slices.Equal(g[p], imps) {
			t.Errorf("graph[%q] = %v, want %v", p, g[p], imps)
		}
	}
	if _, err := readImportGraph(strings.NewReader(`{"ImportPath": `)); err == nil {
		t.Error("truncated go list output read without an error")
	}
}
