package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	"github.com/trellis-bot/trellis/internal/slacksim"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// cyclePerson is one of the story's people.
type cyclePerson struct {
	name, id string
	loc      *time.Location
}

// TestOKRCycleEndToEnd tells one eight-week team cycle and the start of
// the next through Slack: an admin creates both cycles for a team's
// channel by command; Ada (Berlin, whose clocks change on 28 March), Bo
// (Tokyo, night shift) and Cy (Los Angeles, away a week) create
// objectives through the form, Bo's aligned to Ada's key result through
// the picker's suggestions. Week by week, each nudge arrives at its
// owner's local working time on the nudge day (Bo's at the start of his
// night, Cy's held while she is away); Ada's nudge after she updated
// everything through the nudge's form is skipped; Cy's "no change" is
// stored as such; three ignored nudges halve the rhythm, the next coming
// two weeks later with a one-time line; the channel gets the Monday
// digest; the tree shows the alignment; a correction shows beside the
// entry it corrects. At the end every owner gets the review DM, Ada
// carries a key result over (its final value the new start, linked to
// its history), and the summary reaches the channel after the grace
// period.
func TestOKRCycleEndToEnd(t *testing.T) {
	h := startSandbox(t)
	ctx, ws := h.ctx, slacksim.DefaultTeamID
	o := &okrHarness{ckHarness: h, store: okrs.NewStore(h.db), seeded: map[int64]bool{}}
	// To the eve of the story, a week at a time: the sandbox's own
	// people keep Trellis busy on the way.
	clk, err := h.ctl.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	eve := time.Date(2027, 2, 26, 12, 0, 0, 0, time.UTC)
	// move sets the clock, asking again when Trellis is still busy with
	// the instant (rate-limited calls wait in real time) when the control
	// call times out.
	move := func(at time.Time) {
		t.Helper()
		var err error
		for range 6 {
			if _, err = h.ctl.SetClock(ctx, at); err == nil {
				return
			}
		}
		t.Fatalf("move the clock to %s: %v", at.Format(time.RFC3339), err)
	}
	walk := func(from, to time.Time, by time.Duration) {
		for at := from.Add(by); at.Before(to); at = at.Add(by) {
			move(at)
		}
		move(to)
	}
	walk(clk.Now, eve, 7*24*time.Hour)
	for _, ob := range o.objectives(t) {
		o.seeded[ob.ID] = true
	}
	add := func(name, tz string, admin bool) cyclePerson {
		p, err := h.ctl.AddPerson(ctx, slacksim.NewPerson{Name: "cycle-" + strings.ToLower(name), RealName: name, TZ: tz, IsAdmin: admin})
		if err != nil {
			t.Fatal(err)
		}
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		h.commandIn(t, p.ID, "", "/trellis me") // Trellis learns the zone
		return cyclePerson{name, p.ID, loc}
	}
	ada, bo, cy := add("Ada", "Europe/Berlin", false), add("Bo", "Asia/Tokyo", false), add("Cy", "America/Los_Angeles", false)
	dee := add("Dee", "Europe/Lisbon", true)
	people := []cyclePerson{ada, bo, cy}
	ch, err := h.ctl.CreateChannel(ctx, slacksim.NewChannel{Name: "cyclers", Members: []string{ada.id, bo.id, cy.id, dee.id}})
	if err != nil {
		t.Fatal(err)
	}
	team := ch.ID
	mention := "<#" + team + "|cyclers>"

	// Bo works nights; Cy is away the third week.
	if got := h.commandIn(t, bo.id, "", "/trellis hours mon-fri 22:00-06:00"); !strings.Contains(got, "22:00") {
		t.Fatalf("Bo's hours: %q", got)
	}
	if got := h.commandIn(t, cy.id, "", "/trellis away 2027-03-15 to 2027-03-21"); !strings.Contains(got, "15") {
		t.Fatalf("Cy's time off: %q", got)
	}

	// The admin creates the team's cycle and the next.
	for _, line := range []string{
		`/trellis admin okr cycle new "Spring team" 2027-03-01 2027-04-25 ` + mention,
		`/trellis admin okr cycle new "Summer team" 2027-04-26 2027-06-20 ` + mention,
	} {
		if got := h.commandIn(t, dee.id, team, line); strings.Contains(got, "For example") {
			t.Fatalf("%s: %q", line, got)
		}
	}
	var spring, summer okrs.Cycle
	cycles, err := o.store.Cycles(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cycles {
		switch {
		case c.Name == "Spring team" && c.Team == team:
			spring = c
		case c.Name == "Summer team" && c.Team == team:
			summer = c
		}
	}
	if spring.ID == 0 || summer.ID == 0 || spring.Start != (calendar.Date{Year: 2027, Month: 3, Day: 1}) || summer.End != (calendar.Date{Year: 2027, Month: 6, Day: 20}) {
		t.Fatalf("the team's cycles: %+v", cycles)
	}

	// Each creates an objective with two key results through the form,
	// in the team's spring cycle; Bo aligns his to Ada's first key result,
	// picked from the suggestions.
	create := func(p cyclePerson, title string, parents []string, query string, krs ...string) okrs.Objective {
		t.Helper()
		h.commandIn(t, p.id, team, "/trellis okr new")
		v := h.topView(t, p.id, okrhandlers.CallbackNewObjective)
		if query != "" {
			if got := o.suggest(t, p.id, v, query); !containsAll(got, parents...) {
				t.Fatalf("%s's suggestions for %q = %v, want %v", p.name, query, got, parents)
			}
		}
		var rows [][4]string
		for _, k := range krs {
			rows = append(rows, [4]string{k, "0", "10", ""})
		}
		st := o.objectiveForm(t, v, title, team, "", parents, rows)
		st[okrhandlers.BlockNewCycle] = map[string]json.RawMessage{okrhandlers.ActionNewCycle: raw(t, map[string]any{"type": "static_select", "selected_option": option(strconv.FormatInt(spring.ID, 10))})}
		if got := h.submit(p.id, v, st); got.ResponseAction == "errors" || !got.OK {
			t.Fatalf("%s creates %q: %+v", p.name, title, got)
		}
		for _, ob := range o.objectives(t) {
			if ob.Title == title {
				if ob.CycleID != spring.ID || ob.Team != team || len(ob.KeyResults) != len(krs) {
					t.Fatalf("%s's objective: %+v", p.name, ob)
				}
				return ob
			}
		}
		t.Fatalf("%q is not stored", title)
		return okrs.Objective{}
	}
	adaObj := create(ada, "Make onboarding effortless", nil, "", "Ada signups", "Ada guides")
	adaKR := adaObj.KeyResults[0]
	boObj := create(bo, "Night support everywhere", []string{"k:" + strconv.FormatInt(adaKR.ID, 10)}, "signups", "Bo tickets", "Bo docs")
	cyObj := create(cy, "West coast partners", nil, "", "Cy partners", "Cy events")
	if len(boObj.Parents) != 1 || boObj.Parents[0] != (okrs.Ref{Kind: okrs.RefKeyResult, ID: adaKR.ID}) {
		t.Fatalf("Bo's objective aligns to %+v, want Ada's key result %d", boObj.Parents, adaKR.ID)
	}
	tree := h.commandIn(t, cy.id, team, "/trellis okr tree")
	if i, j := strings.Index(tree, "Make onboarding effortless"), strings.Index(tree, "Night support everywhere"); i < 0 || j < i {
		t.Errorf("/trellis okr tree: %q, want Bo's objective under Ada's", tree)
	}

	nudges := func(p cyclePerson) []slacksim.Message {
		var out []slacksim.Message
		for _, m := range h.dms(t, p.id) {
			if strings.HasPrefix(m.Text, "OKR update:") {
				out = append(out, m)
			}
		}
		return out
	}
	digests := func() []slacksim.Message {
		msgs, err := h.ctl.Messages(ctx, team, ada.id)
		if err != nil {
			t.Fatal(err)
		}
		var out []slacksim.Message
		for _, m := range msgs {
			if strings.Contains(blockText(m.Blocks), "Weekly OKR digest") {
				out = append(out, m)
			}
		}
		return out
	}
	// update submits the form the nudge's button opens: values for some
	// key results, "no change" for others.
	update := func(p cyclePerson, values map[int64]string, noChange []int64) {
		t.Helper()
		ns := nudges(p)
		h.click(t, p.id, ns[len(ns)-1], jobokrs.ActionUpdate, "", "")
		v := h.topView(t, p.id, okrhandlers.CallbackUpdate)
		over := map[string]any{}
		for id, val := range values {
			over[okrhandlers.UpdateValueBlockID(id)] = val
			over[okrhandlers.UpdateConfidenceBlockID(id)] = string(okrs.OnTrack)
		}
		st := formState(t, v.Blocks, over)
		for _, id := range noChange {
			st[okrhandlers.UpdateKRBlockID(id)] = map[string]json.RawMessage{okrhandlers.ActionUpdateNoChange: raw(t, map[string]any{"type": "checkboxes", "selected_options": []map[string]any{option(okrhandlers.ValueNoChange)}})}
		}
		if got := h.submit(p.id, v, st); got.ResponseAction == "errors" || !got.OK {
			t.Fatalf("%s's update: %+v", p.name, got)
		}
	}

	// Week by week: Monday 09:30 in Berlin (the channel's digest), then
	// each person's Tuesday 10:00 (Bo's 22:00), and Cy's first working
	// hour after her week away. After each instant, each person holds
	// the nudges due by then.
	berlin := ada.loc
	type step struct {
		at   time.Time
		want map[string]int
		then func()
	}
	local := func(p cyclePerson, d, hh int) time.Time { return time.Date(2027, 3, d, hh, 0, 30, 0, p.loc) }
	var steps []step
	counts := map[string]int{}
	expect := map[string][]string{}
	due := func(p cyclePerson, at time.Time, then func()) {
		counts[p.name]++
		expect[p.name] = append(expect[p.name], at.In(p.loc).Format("2006-01-02 Mon 15:04"))
		want := map[string]int{p.name: counts[p.name]}
		steps = append(steps, step{at: at, want: want, then: then})
	}
	quiet := func(at time.Time, then func()) { steps = append(steps, step{at: at, then: then}) }
	// Ada updates everything after her first nudge: the second is
	// skipped. She then ignores three (the third after Berlin's change to
	// summer time, still 10:00 there), so the next is skipped and the one
	// after carries the line. Bo ignores all. Cy answers "no change".
	for week := 0; week < 8; week++ {
		mon, tue := 1+7*week, 2+7*week
		quiet(time.Date(2027, 3, mon, 9, 30, 30, 0, berlin), nil)
		if week == 0 {
			continue // the first week has no nudges
		}
		if tue == 23 {
			due(cy, local(cy, 22, 9), nil) // the nudge of 16 March, after her week away
		}
		adaDue := week != 2 && week != 6
		boDue := week != 4 && week != 6
		if adaDue {
			var then func()
			if week == 1 {
				then = func() { update(ada, map[int64]string{adaKR.ID: "4", adaObj.KeyResults[1].ID: "2"}, nil) }
			}
			due(ada, local(ada, tue, 10), then)
		} else {
			quiet(local(ada, tue, 10), nil)
		}
		if boDue {
			due(bo, local(bo, tue, 22), nil)
		} else {
			quiet(local(bo, tue, 22), nil)
		}
		switch {
		case tue == 16:
			quiet(local(cy, tue, 10), nil) // away
		case tue == 30:
			quiet(local(cy, tue, 10), nil) // skipped: "no change" for everything
		case tue == 23:
			due(cy, local(cy, tue, 10), func() { update(cy, nil, []int64{cyObj.KeyResults[0].ID, cyObj.KeyResults[1].ID}) })
		default:
			due(cy, local(cy, tue, 10), nil)
		}
	}
	slices.SortStableFunc(steps, func(a, b step) int { return a.at.Compare(b.at) })
	got := map[string]int{}
	for _, s := range steps {
		h.setClock(t, s.at)
		for name, n := range s.want {
			got[name] = n
		}
		eventually(t, "the nudges due by "+s.at.UTC().Format(time.RFC3339), func() error {
			for _, p := range people {
				if n := len(nudges(p)); n != got[p.name] {
					return fmt.Errorf("%s has %d nudges, want %d", p.name, n, got[p.name])
				}
			}
			return nil
		})
		if s.then != nil {
			s.then()
		}
	}

	// Every nudge arrived on its day at its owner's local working time.
	for _, p := range people {
		var at []string
		for _, m := range nudges(p) {
			at = append(at, tsTime(m.TS).In(p.loc).Format("2006-01-02 Mon 15:04"))
		}
		if !slices.Equal(at, expect[p.name]) {
			t.Errorf("%s's nudges at\n%q\nwant\n%q", p.name, at, expect[p.name])
		}
	}
	// The one-time line comes with the first nudge after the halving only.
	for _, c := range []struct {
		p    cyclePerson
		told int
	}{{ada, 4}, {bo, 3}, {cy, -1}} {
		for i, m := range nudges(c.p) {
			if told := strings.Contains(blockText(m.Blocks), "/trellis okr nudges"); told != (i == c.told) {
				t.Errorf("%s's nudge %d tells of the halving: %v, want %v", c.p.name, i, told, i == c.told)
			}
		}
	}
	// Cy's "no change" is stored as such, carrying her value forward.
	for _, kr := range cyObj.KeyResults {
		if hist := o.history(t, kr.ID); len(hist) != 1 || !hist[0].NoChange {
			t.Errorf("Cy's %s history: %+v, want one no-change entry", kr.Title, hist)
		}
	}
	// The Monday digests, each at 09:30 in Berlin, and the one after
	// Ada's update shows her move.
	ds := digests()
	if len(ds) == 0 {
		t.Fatalf("no digest in the channel")
	}
	moved := false
	for _, d := range ds {
		at := tsTime(d.TS).In(berlin)
		if at.Weekday() != time.Monday || at.Format("15:04") != "09:30" {
			t.Errorf("a digest at %s, want Mondays 09:30 in Berlin", at)
		}
		if at.Format("2006-01-02") == "2027-03-15" {
			txt := blockText(d.Blocks)
			moved = strings.Contains(txt, "Ada signups") && strings.Contains(txt, "4")
		}
	}
	if !moved {
		t.Errorf("the digest of 15 March does not show Ada's move: %d digests", len(ds))
	}

	// A correction: a new entry, shown beside the one it corrects.
	h.setClock(t, time.Date(2027, 4, 21, 12, 0, 0, 0, time.UTC))
	if got := h.commandIn(t, ada.id, team, fmt.Sprintf("/trellis okr correct %d 6 on track typo", adaKR.ID)); !strings.Contains(got, "Corrected") {
		t.Fatalf("correct: %q", got)
	}
	hist := o.history(t, adaKR.ID)
	if len(hist) != 2 || hist[1].Corrects != hist[0].ID || hist[0].Value != 4 || hist[1].Value != 6 {
		t.Fatalf("Ada's history after the correction: %+v", hist)
	}
	if got := h.commandIn(t, bo.id, team, "/trellis okr show "+strconv.FormatInt(adaObj.ID, 10)); !strings.Contains(got, fmt.Sprintf("corrects #%d", hist[0].ID)) {
		t.Errorf("show after the correction: %q, want both entries", got)
	}

	// The cycle over: each owner's review DM, in their own hours.
	reviews := map[string]slacksim.Message{}
	for _, p := range people {
		hour := 10
		if p.id == bo.id {
			hour = 22 // the start of his night
		}
		clk, err := h.ctl.Clock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2027, 4, 26, hour, 0, 30, 0, p.loc)
		walk(clk.Now, at, 24*time.Hour)
		eventually(t, p.name+"'s review DM", func() error {
			// A minute on each look, for the engine to try again what
			// rate limits held up.
			at = at.Add(time.Minute)
			move(at)
			for _, m := range h.dms(t, p.id) {
				if strings.Contains(m.Text, "OKR review") {
					reviews[p.name] = m
				}
			}
			if _, ok := reviews[p.name]; !ok {
				return fmt.Errorf("no review DM for %s", p.name)
			}
			return nil
		})
	}
	if at := tsTime(reviews["Bo"].TS).In(bo.loc); at.Hour() < 22 {
		t.Errorf("Bo's review DM at %s, outside his night", at)
	}
	for _, p := range people {
		h.click(t, p.id, reviews[p.name], jobokrs.ReviewActionID(spring.ID), "", "")
		v := h.topView(t, p.id, okrhandlers.CallbackReview)
		over := map[string]any{}
		for _, ob := range []okrs.Objective{adaObj, boObj, cyObj} {
			for _, kr := range ob.KeyResults {
				over[okrhandlers.ReviewDecisionBlock(kr.ID)] = string(okrs.DecisionDrop)
			}
		}
		over[okrhandlers.ReviewDecisionBlock(adaKR.ID)] = string(okrs.DecisionCarryOver)
		if got := h.submit(p.id, v, formState(t, v.Blocks, over)); got.ResponseAction == "errors" || !got.OK {
			t.Fatalf("%s's review: %+v", p.name, got)
		}
	}
	next, err := o.store.Objectives(ctx, ws, okrs.Filter{CycleID: summer.ID})
	if err != nil || len(next) != 1 || len(next[0].KeyResults) != 1 {
		t.Fatalf("the summer cycle's objectives: %+v, %v", next, err)
	}
	if c := next[0].KeyResults[0]; c.CarriedFrom != adaKR.ID || c.Start != 6 || c.Target != 10 || c.Owner != ada.id {
		t.Errorf("carried over: %+v, want Ada's from %d starting at its final 6", c, adaKR.ID)
	}

	// The summary waits out the grace period, then reaches the channel.
	summary := func() bool {
		msgs, err := h.ctl.Messages(ctx, team, ada.id)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(msgs, func(m slacksim.Message) bool {
			return strings.Contains(m.Text, "OKR review of") && strings.Contains(m.Text, "Spring team")
		})
	}
	walk(time.Date(2027, 4, 26, 17, 0, 30, 0, time.UTC), time.Date(2027, 5, 10, 7, 0, 0, 0, time.UTC), 24*time.Hour)
	if summary() {
		t.Errorf("the review summary came before the grace period ended")
	}
	at := time.Date(2027, 5, 10, 8, 0, 30, 0, time.UTC)
	move(at)
	eventually(t, "the review summary in the channel", func() error {
		at = at.Add(time.Minute)
		move(at)
		if !summary() {
			return fmt.Errorf("no summary yet")
		}
		return nil
	})
}
