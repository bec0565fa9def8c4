package main

import (
	"context"
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/app"
	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	peerhandlers "github.com/trellis-bot/trellis/handlers/peers"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// notBuiltYet names the capabilities Trellis does not have yet, with the
// words that would promise them. This is the one list: when a capability
// lands, its issue removes its entry here and adds its words to help, the
// Home tab, the demo DM, the manifest and the README.
var notBuiltYet = []struct {
	capability string
	words      *regexp.Regexp
}{
	// Every capability announced so far has landed: check-ins, OKRs and
	// manager peer networks. The next one announced before it is built
	// goes here, with its words.
}

// notBuiltHeader opens every page in docs/next.
const notBuiltHeader = "**Not built yet.**"

// TestNothingPromisesWhatIsNotBuilt: no surface a person or an operator
// reads — /trellis help, /trellis me, the Home tab and its forms, the
// sandbox's demo DM, the Slack manifest, the README, docs/ and the
// command's package doc — names a capability that is not built.
func TestNothingPromisesWhatIsNotBuilt(t *testing.T) {
	surfaces := map[string]string{}
	blocks := func(name string, v any) {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		surfaces[name] = string(raw)
	}
	file := func(path string) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		surfaces[path] = string(data)
	}

	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, loc)
	empty := views.Summary{TimeZone: "Europe/Berlin", LocalNow: now, Hours: calendar.DefaultWorkingHours, Budget: 3, BudgetLimit: 3}
	full := empty
	full.Upcoming = []views.Upcoming{{Title: "Stand-up", Cadence: "weekdays at 09:30", Nominal: now, DeliverAt: now, Status: "on time"}}
	fullCheckins := checkinhandlers.HomeCheckins{
		Waiting: []checkinhandlers.HomeWaiting{{RoundID: 1, CheckinID: 1, Label: "Stand-up · Tue 24 Nov"}},
		Mine:    []checkinhandlers.CheckinListItem{{ID: 1, Name: "Stand-up", CanChange: true}},
	}
	blocks("/trellis help", views.Help(append(append(checkinhandlers.HelpLines(), okrhandlers.HelpLines()...), peerhandlers.HelpLines()...), nil))
	blocks("/trellis me", views.Me(full))
	blocks("Home tab (empty)", views.Home(empty, checkinhandlers.HomeCheckinSection(checkinhandlers.HomeCheckins{})))
	blocks("Home tab", views.Home(full, checkinhandlers.HomeCheckinSection(fullCheckins)))
	kr := okrs.KeyResult{ID: 2, ObjectiveID: 1, Owner: "U1", Title: "Weekly active teams", Kind: okrs.IncreaseTo, Start: 40, Target: 60}
	okrItems := []okrhandlers.Item{{Objective: okrs.Objective{ID: 1, Title: "Make onboarding effortless", Owner: "U1", KeyResults: []okrs.KeyResult{kr}}, KR: kr}}
	blocks("Home tab with OKRs", views.Home(full, checkinhandlers.HomeCheckinSection(fullCheckins), okrhandlers.HomeSection(okrItems, now)))
	blocks("Home tab without OKRs", views.Home(full, okrhandlers.HomeSection(nil, now)))
	blocks("/trellis okr", okrhandlers.MyOKRs(okrItems, now))
	blocks("hours form", views.HoursModal(calendar.DefaultWorkingHours, true, false, calendar.DefaultWorkingHours))
	blocks("workspace hours form", views.HoursModal(calendar.DefaultWorkingHours, false, true, calendar.DefaultWorkingHours))
	blocks("timezone form", views.TZModal("Europe/Berlin", "Europe/Berlin", true))
	blocks("time-off form", views.AwayModal(calendar.DateOf(now)))
	blocks("region form", views.RegionModal("DE", nil, false))

	demo, err := app.DemoComposer(context.Background(), engine.Context{Occurrence: models.Occurrence{NominalAt: now}, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	blocks("sandbox demo DM", struct {
		Text   string
		Blocks []slack.Block
	}{demo.Text, demo.Blocks})

	file("deploy/slack-manifest.yaml")
	file("README.md")
	docs, err := filepath.Glob("docs/*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("docs/*.md: %v, %v", docs, err)
	}
	for _, d := range docs {
		file(d)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil || f.Doc == nil {
		t.Fatalf("main.go's package doc: %v", err)
	}
	surfaces["main.go package doc"] = f.Doc.Text()

	// docs/next holds the pages of what is being built; each says so at
	// its top, and none is linked from a page people read.
	next, err := filepath.Glob("docs/next/*.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range next {
		data, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.SplitN(string(data), "\n\n", 3)[1], notBuiltHeader) {
			t.Errorf("%s does not begin by saying %q", d, notBuiltHeader)
		}
	}
	for name, text := range surfaces {
		if strings.Contains(text, "docs/next/") || strings.Contains(text, "(next/") {
			t.Errorf("%s links to docs/next, the pages of what is not built", name)
		}
		for _, nb := range notBuiltYet {
			if found := nb.words.FindAllString(text, 3); len(found) > 0 {
				t.Errorf("%s names %s (%q), which Trellis does not have yet", name, nb.capability, found)
			}
		}
	}
}

// TestLandedCapabilitiesAreNamed: a capability that has landed is named
// where people and operators first look — /trellis help, the README and
// the Slack manifest — and has its own page in docs/.
func TestLandedCapabilitiesAreNamed(t *testing.T) {
	read := func(path string) string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	help := strings.Join(append(append(checkinhandlers.HelpLines(), okrhandlers.HelpLines()...), peerhandlers.HelpLines()...), "\n")
	readme, manifest := read("README.md"), read("deploy/slack-manifest.yaml")
	for _, c := range []struct{ name, command, words, doc string }{
		{"check-ins", "/trellis checkin", "check-ins", "docs/checkins.md"},
		{"OKRs", "/trellis okr", "OKRs", "docs/okrs.md"},
		{"peer networks", "/trellis network", "peer networks", "docs/peers.md"},
	} {
		if !strings.Contains(help, c.command) {
			t.Errorf("/trellis help does not show %s (%s)", c.name, c.command)
		}
		if !strings.Contains(readme, c.command) || !strings.Contains(strings.ToLower(readme), strings.ToLower(c.words)) {
			t.Errorf("the README does not name %s (%s)", c.name, c.command)
		}
		if !strings.Contains(strings.ToLower(manifest), strings.ToLower(c.words)) {
			t.Errorf("the Slack manifest does not name %s", c.name)
		}
		if !strings.Contains(readme, "("+c.doc+")") {
			t.Errorf("the README does not link %s", c.doc)
		}
		read(c.doc)
	}
}
