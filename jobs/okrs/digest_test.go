package okrs

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// dgNow is a digest's nominal instant, Monday 8 March 2027 09:30 UTC;
// dgSince the previous digest's.
var (
	dgNow   = time.Date(2027, 3, 8, 9, 30, 0, 0, time.UTC)
	dgSince = dgNow.AddDate(0, 0, -7)
)

// dgCycle is Q1 2027, active on dgNow and ending 23 days after it.
var dgCycle = okrs.Cycle{ID: 1, Name: "Q1 2027", Start: date(2027, 1, 1), End: date(2027, 3, 31)}

// dgUpdate is an entry of a key result's history.
func dgUpdate(id, kr int64, at time.Time, v float64, c okrs.Confidence) okrs.Update {
	return okrs.Update{ID: id, KeyResultID: kr, At: at, Value: v, Confidence: c}
}

// dgRead reads k from history at dgSince and dgNow, as the composer does.
func dgRead(t *testing.T, k okrs.KeyResult, history []okrs.Update) DigestKR {
	t.Helper()
	then, err := EffectiveAt(history, dgSince)
	if err != nil {
		t.Fatal(err)
	}
	now, err := EffectiveAt(history, dgNow)
	if err != nil {
		t.Fatal(err)
	}
	return DigestKR{KeyResult: k, Then: then, Now: now}
}

// dgText is every text of a message as a reader sees it, with its
// notification text.
func dgText(t *testing.T, blocks []slack.Block, text string) string {
	t.Helper()
	return blockkittest.ReportMrkdwn(t, text, blocks)
}

// TestDigestKeyResultLines: each key result's line says its value then →
// now (only when it moved) in its unit and decimals, against its target,
// its progress in whole percent rounded down with the points gained or
// lost (only when the progress changed), and its confidence then → now
// (only when it changed), whatever its kind and however it moved: an
// update, a correction, "no change", or nothing.
func TestDigestKeyResultLines(t *testing.T) {
	before, during := dgSince.Add(-48*time.Hour), dgSince.Add(72*time.Hour)
	inc := okrs.KeyResult{ID: 1, Title: "Weekly active teams", Kind: okrs.IncreaseTo, Start: 40, Target: 60, Unit: "teams"}
	dec := okrs.KeyResult{ID: 1, Title: "Days to first value", Kind: okrs.DecreaseTo, Start: 14, Target: 7, Unit: "days"}
	pct := okrs.KeyResult{ID: 1, Title: "Churn", Kind: okrs.DecreaseTo, Start: 5, Target: 3, Unit: "%", Decimals: 1}
	above := okrs.KeyResult{ID: 1, Title: "NPS", Kind: okrs.StayAtOrAbove, Start: 30, Target: 40}
	mile := okrs.KeyResult{ID: 1, Title: "Launch v2", Kind: okrs.Milestone}
	tests := []struct {
		name    string
		k       okrs.KeyResult
		history []okrs.Update
		want    []string
		not     []string
	}{
		{"moved up", inc, []okrs.Update{dgUpdate(1, 1, before, 44, okrs.OnTrack), dgUpdate(2, 1, during, 50, okrs.OnTrack)},
			[]string{"Weekly active teams: 44 → 50 teams (target 60)", "50% (+30 pts)", "on track"}, []string{"→ on track", "this week)"}},
		{"moved down", inc, []okrs.Update{dgUpdate(1, 1, before, 50, okrs.AtRisk), dgUpdate(2, 1, during, 45, okrs.AtRisk)},
			[]string{"50 → 45 teams", "25% (−25 pts)", "at risk"}, []string{"+"}},
		{"first update in the week, from the start", inc, []okrs.Update{dgUpdate(1, 1, during, 43, okrs.OnTrack)},
			[]string{"40 → 43 teams", "15% (+15 pts)"}, nil},
		{"corrected in the week: then as it was known, now corrected", inc, []okrs.Update{
			dgUpdate(1, 1, before, 50, okrs.OnTrack), {ID: 2, KeyResultID: 1, At: during, Value: 48, Confidence: okrs.OnTrack, Corrects: 1}},
			[]string{"50 → 48 teams", "40% (−10 pts)"}, nil},
		{"corrected before the week: not a move", inc, []okrs.Update{
			dgUpdate(1, 1, before.Add(-time.Hour), 50, okrs.OnTrack), {ID: 2, KeyResultID: 1, At: before, Value: 48, Confidence: okrs.OnTrack, Corrects: 1}},
			[]string{"48 teams (target 60)", "40%"}, []string{"→", "pts"}},
		{"no change in the week", inc, []okrs.Update{dgUpdate(1, 1, before, 50, okrs.OnTrack), {ID: 2, KeyResultID: 1, At: during, NoChange: true}},
			[]string{"50 teams (target 60)", "50%", "on track"}, []string{"→", "pts"}},
		{"nothing in the week", inc, []okrs.Update{dgUpdate(1, 1, before, 50, okrs.OnTrack)},
			[]string{"50 teams (target 60)", "50%"}, []string{"→", "pts"}},
		{"never updated", inc, nil, []string{"40 teams (target 60)", "0%"}, []string{"→", "pts", "track", "risk"}},
		{"after the digest: not yet", inc, []okrs.Update{dgUpdate(1, 1, before, 50, okrs.OnTrack), dgUpdate(2, 1, dgNow.Add(time.Minute), 60, okrs.AtRisk)},
			[]string{"50 teams", "50%", "on track"}, []string{"60 teams", "→"}},
		{"confidence change only", inc, []okrs.Update{dgUpdate(1, 1, before, 50, okrs.OnTrack), dgUpdate(2, 1, during, 50, okrs.AtRisk)},
			[]string{"50 teams (target 60)", "on track → at risk"}, []string{"50 →", "pts"}},
		{"value and confidence", inc, []okrs.Update{dgUpdate(1, 1, before, 50, okrs.AtRisk), dgUpdate(2, 1, during, 52, okrs.OffTrack)},
			[]string{"50 → 52 teams", "60% (+10 pts)", "at risk → off track"}, nil},
		{"beyond the target: clamped at 100%", inc, []okrs.Update{dgUpdate(1, 1, before, 65, okrs.OnTrack), dgUpdate(2, 1, during, 70, okrs.OnTrack)},
			[]string{"65 → 70 teams (target 60)", "100%"}, []string{"pts", "110%"}},
		{"reaching beyond the target", inc, []okrs.Update{dgUpdate(1, 1, before, 58, okrs.OnTrack), dgUpdate(2, 1, during, 75, okrs.OnTrack)},
			[]string{"58 → 75 teams", "100% (+10 pts)"}, nil},
		{"below the start: never negative", inc, []okrs.Update{dgUpdate(1, 1, before, 41, okrs.OnTrack), dgUpdate(2, 1, during, 30, okrs.OffTrack)},
			[]string{"41 → 30 teams", "0% (−5 pts)"}, []string{"-"}},
		{"decreasing, going down is progress", dec, []okrs.Update{dgUpdate(1, 1, before, 12, okrs.AtRisk), dgUpdate(2, 1, during, 9, okrs.OnTrack)},
			[]string{"12 → 9 days (target 7)", "71% (+43 pts)", "at risk → on track"}, nil},
		{"decreasing, going up is lost", dec, []okrs.Update{dgUpdate(1, 1, before, 9, okrs.OnTrack), dgUpdate(2, 1, during, 13, okrs.AtRisk)},
			[]string{"9 → 13 days", "14% (−57 pts)"}, nil},
		{"decimals and a percent unit", pct, []okrs.Update{dgUpdate(1, 1, before, 4.6, okrs.OnTrack), dgUpdate(2, 1, during, 4.25, okrs.OnTrack)},
			[]string{"4.6 → 4.25% (target 3.0)", "37% (+17 pts)"}, []string{"4.25 %"}},
		{"a threshold now met", above, []okrs.Update{dgUpdate(1, 1, before, 35, okrs.AtRisk), dgUpdate(2, 1, during, 42, okrs.OnTrack)},
			[]string{"35 → 42 (at or above 40)", "now met"}, []string{"%", "pts", "not met"}},
		{"a threshold still met", above, []okrs.Update{dgUpdate(1, 1, before, 41, okrs.OnTrack), dgUpdate(2, 1, during, 45, okrs.OnTrack)},
			[]string{"41 → 45 (at or above 40)", "met"}, []string{"now met", "not met"}},
		{"a milestone done", mile, []okrs.Update{dgUpdate(1, 1, during, 1, okrs.OnTrack)},
			[]string{"Launch v2: not done → done"}, []string{"%", "target"}},
		{"a milestone not done", mile, []okrs.Update{dgUpdate(1, 1, before, 0, okrs.AtRisk)},
			[]string{"Launch v2: not done", "at risk"}, []string{"→", "%"}},
	}
	for _, tt := range tests {
		line := digestKRLine(dgRead(t, tt.k, tt.history))
		for _, w := range tt.want {
			if !strings.Contains(line, w) {
				t.Errorf("%s: %q does not say %q", tt.name, line, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(line, n) {
				t.Errorf("%s: %q says %q", tt.name, line, n)
			}
		}
	}
}

// TestEffectiveAt: the state at t reads only the entries appended at or
// before t, and a correction of an entry left out is left out too.
func TestEffectiveAt(t *testing.T) {
	t0 := dgSince
	h := []okrs.Update{
		dgUpdate(1, 1, t0, 10, okrs.OnTrack),
		dgUpdate(2, 1, t0.Add(time.Hour), 20, okrs.AtRisk),
		{ID: 3, KeyResultID: 1, At: t0.Add(2 * time.Hour), Value: 15, Confidence: okrs.AtRisk, Corrects: 2},
		{ID: 4, KeyResultID: 1, At: t0.Add(3 * time.Hour), NoChange: true},
		{ID: 5, KeyResultID: 1, At: t0.Add(4 * time.Hour), Value: 16, Confidence: okrs.OffTrack, Corrects: 3},
	}
	tests := []struct {
		at      time.Time
		has     bool
		value   float64
		conf    okrs.Confidence
		updates int
	}{
		{t0.Add(-time.Second), false, 0, "", 0},
		{t0, true, 10, okrs.OnTrack, 1},
		{t0.Add(time.Hour), true, 20, okrs.AtRisk, 2},
		{t0.Add(2 * time.Hour), true, 15, okrs.AtRisk, 2},
		{t0.Add(3 * time.Hour), true, 15, okrs.AtRisk, 3},
		{t0.Add(5 * time.Hour), true, 16, okrs.OffTrack, 3},
	}
	for _, tt := range tests {
		got, err := EffectiveAt(h, tt.at)
		if err != nil || got.HasValue != tt.has || got.Value != tt.value || got.Confidence != tt.conf || got.Updates != tt.updates {
			t.Errorf("EffectiveAt(%v) = %+v, %v; want value %v (%v), %s, %d updates", tt.at.Sub(t0), got, err, tt.value, tt.has, tt.conf, tt.updates)
		}
	}
	// A correction stamped before the entry it corrects (clocks a little
	// apart): at a time between them, neither is read.
	skew := []okrs.Update{dgUpdate(1, 1, t0, 10, okrs.OnTrack), dgUpdate(2, 1, t0.Add(time.Minute), 20, okrs.OnTrack),
		{ID: 3, KeyResultID: 1, At: t0.Add(30 * time.Second), Value: 19, Confidence: okrs.OnTrack, Corrects: 2}}
	if got, err := EffectiveAt(skew, t0.Add(40*time.Second)); err != nil || got.Value != 10 {
		t.Errorf("EffectiveAt with a correction before its entry = %+v, %v; want 10", got, err)
	}
}

// TestDigestSince: the previous digest is at the same local time a week
// before, across a change of the clocks too.
func TestDigestSince(t *testing.T) {
	berlin, err := calendar.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, now := range []time.Time{
		time.Date(2027, 3, 29, 9, 30, 0, 0, berlin), // the Monday after spring forward
		time.Date(2027, 11, 1, 9, 30, 0, 0, berlin), // the Monday after fall back
		time.Date(2027, 6, 7, 9, 30, 0, 0, berlin),
	} {
		got := DigestSince(now, berlin).In(berlin)
		if got.Weekday() != time.Monday || got.Hour() != 9 || got.Minute() != 30 || calendar.DateOf(got) != calendar.DateOf(now).AddDays(-7) {
			t.Errorf("DigestSince(%v) = %v, want the Monday before at 09:30", now, got)
		}
	}
}

// dgObjective is an objective of owner in dgCycle with key results read
// from histories.
func dgObjective(t *testing.T, id int64, title, owner, name string, krs []okrs.KeyResult, histories map[int64][]okrs.Update) DigestObjective {
	t.Helper()
	o := DigestObjective{Objective: okrs.Objective{ID: id, CycleID: dgCycle.ID, Title: title, Owner: owner, Team: "C0TEAM"}, Cycle: dgCycle, OwnerName: name}
	for _, k := range krs {
		o.KeyResults = append(o.KeyResults, dgRead(t, k, histories[k.ID]))
	}
	return o
}

// TestDigestMessage: the digest has its header, the cycle and the week,
// the one-line total, each objective with its owner's name, bar and
// change, and the key results due soon only when the cycle ends within
// two weeks and they are below target; a week in which nothing moved
// still has its digest, which says so.
func TestDigestMessage(t *testing.T) {
	before, during := dgSince.Add(-48*time.Hour), dgSince.Add(72*time.Hour)
	krs := []okrs.KeyResult{
		{ID: 1, Title: "Weekly active teams", Kind: okrs.IncreaseTo, Start: 40, Target: 60, Unit: "teams"},
		{ID: 2, Title: "Setup guide shipped", Kind: okrs.Milestone},
	}
	moved := map[int64][]okrs.Update{
		1: {dgUpdate(1, 1, before, 44, okrs.OnTrack), dgUpdate(3, 1, during, 50, okrs.AtRisk)},
		2: {dgUpdate(2, 2, before, 1, okrs.OnTrack)},
	}
	still := map[int64][]okrs.Update{
		1: {dgUpdate(1, 1, before, 50, okrs.OnTrack), {ID: 3, KeyResultID: 1, At: during, NoChange: true}},
		2: {dgUpdate(2, 2, before, 1, okrs.OnTrack)},
	}
	endsSoon := dgCycle
	endsSoon.End = date(2027, 3, 17)
	tests := []struct {
		name      string
		histories map[int64][]okrs.Update
		cycle     okrs.Cycle
		want      []string
		not       []string
	}{
		{"moved", moved, dgCycle, []string{"Weekly OKR digest", "*Q1 2027* (1 Jan–31 Mar, 23 days left)", "The week since Mon 1 Mar",
			"*1 objective* · 75% on average · 1 key result moved this week · 1 confidence change",
			"*Make onboarding effortless*  ·  Ada Lovelace", "▰▰▰▰▰▰▰▱▱▱ 75% (+15 pts this week)",
			"44 → 50 teams (target 60) · 50% (+30 pts) · on track → at risk", "Setup guide shipped: done · on track"},
			[]string{"Due soon", "due soon"}},
		{"nothing moved", still, dgCycle, []string{"*1 objective* · 75% on average · no key result moved this week",
			"▰▰▰▰▰▰▰▱▱▱ 75%\n", "50 teams (target 60) · 50% · on track"},
			[]string{"→", "pts", "Due soon"}},
		{"due soon", still, endsSoon, []string{"1 key result due soon", "*Due soon*", "• Weekly active teams: 50% · the cycle ends Wed 17 Mar, in 9 days"},
			[]string{"Setup guide shipped: done · the cycle"}},
	}
	for _, tt := range tests {
		o := dgObjective(t, 7, "Make onboarding effortless", "U0ADA", "Ada Lovelace", krs, tt.histories)
		o.Cycle = tt.cycle
		msg := DigestMessage(DigestInput{Now: dgNow, Since: dgSince, Loc: time.UTC, Objectives: []DigestObjective{o}})
		text := dgText(t, msg.Blocks, msg.Text)
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the digest does not say %q:\n%s", tt.name, w, text)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(text, n) {
				t.Errorf("%s: the digest says %q:\n%s", tt.name, n, text)
			}
		}
		if strings.Contains(text, "U0ADA") {
			t.Errorf("%s: the digest shows the owner's id:\n%s", tt.name, text)
		}
		blockkittest.CheckDM(t, tt.name, msg.Text, msg.Blocks)
	}
}

// TestDigestNamesOnlyOwnersShown is the property that a digest never
// names or counts who did not update: over random teams — objectives and
// key results owned by random people, updates by random authors, some
// people never updating — the digest names exactly the owners of the
// objectives it shows, by display name, and no other person: not a key
// result's owner, not an author, not someone silent; it never shows a
// Slack user id nor a mention; and nothing in it counts people.
func TestDigestNamesOnlyOwnersShown(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 2027))
	idOf := func(i int) string { return fmt.Sprintf("U%03dQX", i) }
	nameOf := func(i int) string { return fmt.Sprintf("Person%03dZ", i) }
	during := dgSince.Add(24 * time.Hour)
	truncated := 0
	defer func() {
		if truncated == 0 {
			t.Errorf("no digest had to leave objectives out: the property was not tried there")
		}
	}()
	for round := range 300 {
		people := 2 + rng.IntN(12)
		objectives := 1 + rng.IntN(45)
		var in DigestInput
		in.Now, in.Since, in.Loc = dgNow, dgSince, time.UTC
		var next int64
		for i := range objectives {
			owner := rng.IntN(people)
			name := nameOf(owner)
			if rng.IntN(8) == 0 {
				name = "" // not known: shown without a name
			}
			var krs []okrs.KeyResult
			histories := map[int64][]okrs.Update{}
			for range rng.IntN(okrs.MaxKeyResults + 1) {
				next++
				k := okrs.KeyResult{ID: next, Owner: idOf(rng.IntN(people)), Title: fmt.Sprintf("KR%04dK", next) + strings.Repeat("y", rng.IntN(100)), Kind: okrs.IncreaseTo, Start: 0, Target: 10}
				krs = append(krs, k)
				for u := range rng.IntN(3) {
					next++
					at := before(rng, during, u)
					histories[k.ID] = append(histories[k.ID], okrs.Update{ID: next, KeyResultID: k.ID, Author: idOf(rng.IntN(people)), At: at,
						Value: float64(rng.IntN(12)), Confidence: []okrs.Confidence{okrs.OnTrack, okrs.AtRisk, okrs.OffTrack}[rng.IntN(3)]})
				}
			}
			title := fmt.Sprintf("Obj%03dT", i) + strings.Repeat("x", rng.IntN(okrs.MaxTitleLen-8))
			in.Objectives = append(in.Objectives, dgObjective(t, int64(i+1), title, idOf(owner), name, krs, histories))
		}
		msg := DigestMessage(in)
		text := dgText(t, msg.Blocks, msg.Text)
		if strings.Contains(text, "not shown here") {
			truncated++
		}
		raw := blockkittest.BlockJSON(t, msg.Blocks) + msg.Text
		named := map[string]bool{}
		for _, o := range in.Objectives {
			if strings.Contains(text, "*"+o.Objective.Title+"*") && o.OwnerName != "" {
				named[o.OwnerName] = true
			}
		}
		for p := range people {
			if strings.Contains(raw, idOf(p)) {
				t.Fatalf("round %d: the digest shows the id of person %d:\n%s", round, p, text)
			}
			if got := strings.Contains(text, nameOf(p)); got != named[nameOf(p)] {
				t.Fatalf("round %d: person %d named %v, want %v (named only as the owner of an objective shown):\n%s", round, p, got, named[nameOf(p)], text)
			}
		}
		if regexp.MustCompile(`<@|<!|\b(people|person|members?|who|nobody|everyone)\b`).MatchString(text) {
			t.Fatalf("round %d: the digest speaks of people:\n%s", round, text)
		}
		for _, p := range blockkit.Check(blockkit.Message, msg.Blocks) {
			t.Fatalf("round %d: %s", round, p)
		}
	}
}

// before is an instant of update number u: before the week, in it, or
// after the digest.
func before(rng *rand.Rand, during time.Time, u int) time.Time {
	return during.Add(time.Duration(u)*time.Hour + []time.Duration{-10 * 24 * time.Hour, 0, 8 * 24 * time.Hour}[rng.IntN(3)])
}

// TestDigestLimits: a team with 30 objectives of 5 key results each, with
// the longest titles, units and names and every key result moving, keeps
// to Block Kit's limits with room for the engine's line; the objectives
// not shown are counted, what moved comes first, and shown plus counted
// is every objective.
func TestDigestLimits(t *testing.T) {
	long := strings.Repeat("&<>", okrs.MaxTitleLen/3)
	unit := strings.Repeat("&", okrs.MaxUnitLen)
	during := dgSince.Add(24 * time.Hour)
	for _, n := range []int{1, 5, 12, 30, 100} {
		var in DigestInput
		in.Now, in.Since, in.Loc = dgNow, dgSince, time.UTC
		endsSoon := dgCycle
		endsSoon.End = date(2027, 3, 12)
		for i := range n {
			var krs []okrs.KeyResult
			histories := map[int64][]okrs.Update{}
			for j := range okrs.MaxKeyResults {
				id := int64(i*10 + j + 1)
				krs = append(krs, okrs.KeyResult{ID: id, Title: long, Kind: okrs.IncreaseTo, Start: -1e11, Target: 1e11, Unit: unit, Decimals: okrs.MaxDecimals})
				if i%2 == 1 { // every other objective moves
					histories[id] = []okrs.Update{dgUpdate(id*2, id, during.Add(-20*24*time.Hour), -99999999999.1234, okrs.OnTrack),
						dgUpdate(id*2+1, id, during, 99999999999.1234, okrs.OffTrack)}
				}
			}
			o := dgObjective(t, int64(i+1), fmt.Sprintf("Obj%03dT", i)+long, "U1", strings.Repeat("&", 80), krs, histories)
			o.Cycle = endsSoon
			in.Objectives = append(in.Objectives, o)
		}
		msg := DigestMessage(in)
		where := fmt.Sprintf("%d objectives", n)
		blockkittest.CheckDM(t, where, msg.Text, msg.Blocks)
		for _, p := range blockkit.Check(blockkit.Message, msg.Blocks) {
			t.Errorf("%s: %s", where, p)
		}
		if len(msg.Blocks) > digestMaxBlocks {
			t.Errorf("%s: %d blocks, want at most %d (room for the engine's line)", where, len(msg.Blocks), digestMaxBlocks)
		}
		text := dgText(t, msg.Blocks, "")
		shown, movedShown := 0, 0
		for i := range n {
			if strings.Contains(text, fmt.Sprintf("Obj%03dT", i)) {
				shown++
				if i%2 == 1 {
					movedShown++
				}
			}
		}
		counted := 0
		if m := regexp.MustCompile(`…and (\d+) more objectives?, not shown`).FindStringSubmatch(text); m != nil {
			fmt.Sscan(m[1], &counted)
		}
		if shown+counted != n || shown == 0 {
			t.Errorf("%s: %d shown and %d counted", where, shown, counted)
		}
		if counted > 0 && movedShown != min(shown, n/2) {
			t.Errorf("%s: %d of the %d shown moved; what moved comes first", where, movedShown, shown)
		}
		if !strings.Contains(text, fmt.Sprintf("%d key results due soon", n*okrs.MaxKeyResults)) {
			t.Errorf("%s: the total does not count %d due soon", where, n*okrs.MaxKeyResults)
		}
	}
}

// TestDigestHostileText: whatever the titles, units, cycle names and
// owners' names hold, the digest shows them as text, with no live
// mention, broadcast or link, within every limit.
func TestDigestHostileText(t *testing.T) {
	surfaces := func(v string) []blockkittest.Surface {
		c := dgCycle
		c.Name = blockkittest.Stored(v, okrs.MaxNameLen)
		c.End = date(2027, 3, 15)
		title := blockkittest.Stored(v, okrs.MaxTitleLen)
		var objs []DigestObjective
		for i := range 30 {
			var krs []okrs.KeyResult
			for j := range okrs.MaxKeyResults {
				krs = append(krs, okrs.KeyResult{ID: int64(i*10 + j + 1), Title: title, Kind: []okrs.Kind{okrs.IncreaseTo, okrs.DecreaseTo, okrs.StayAtOrAbove, okrs.StayAtOrBelow, okrs.Milestone}[j],
					Start: 10, Target: 20 - float64(j%2)*15, Unit: blockkittest.Stored(v, okrs.MaxUnitLen)})
			}
			o := dgObjective(t, int64(i+1), title, "U1", blockkittest.Stored(v, 80), krs, nil)
			o.Cycle = c
			objs = append(objs, o)
		}
		msg := DigestMessage(DigestInput{Now: dgNow, Since: dgSince, Loc: time.UTC, Objectives: objs})
		return []blockkittest.Surface{{Name: "digest", Kind: blockkit.Message, V: msg.Blocks, Text: msg.Text}}
	}
	blockkittest.CheckHostileText(t, surfaces)
	blockkittest.CheckTextShown(t, surfaces("<!channel>"))
	for kind, v := range blockkittest.Hostile {
		for _, s := range surfaces(v) {
			blockkittest.CheckDM(t, s.Name+" with "+kind+" text", s.Text, s.V.([]slack.Block))
		}
	}
}

// TestPercent: whole percent rounded down, 100 only at the target, never
// below 0 or above 100, and a fraction that binary cannot hold exactly
// is not one point short.
func TestPercent(t *testing.T) {
	for _, tt := range []struct {
		p    float64
		want int
	}{
		{0, 0}, {-0.5, 0}, {0.001, 0}, {0.29, 29}, {0.57, 57}, {0.999, 99}, {0.9999999999956171, 99}, {1, 100}, {1.7, 100},
		{5.0 / 7, 71}, {2.0 / 7, 28},
	} {
		if got := percent(tt.p); got != tt.want {
			t.Errorf("percent(%v) = %d, want %d", tt.p, got, tt.want)
		}
	}
	for pct, want := range map[int]string{0: "▱▱▱▱▱▱▱▱▱▱", 9: "▱▱▱▱▱▱▱▱▱▱", 42: "▰▰▰▰▱▱▱▱▱▱", 99: "▰▰▰▰▰▰▰▰▰▱", 100: "▰▰▰▰▰▰▰▰▰▰"} {
		if got := progressBar(pct); got != want {
			t.Errorf("progressBar(%d) = %s, want %s", pct, got, want)
		}
	}
}
