package okrs

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The weekly team digest: a post in a team's channel with its objectives
// of the active cycle, their progress, what moved in the week and by how
// much, confidence changes, and the key results due soon.
//
// Who is named: the owner of each objective shown, by display name
// (never a mention, which would notify them whatever their hours, and
// never a Slack id), and nobody else. Key results' owners and the authors
// of updates are not named, and nothing lists or counts who did or did
// not update: a digest reports results, not people.

// DigestWeek is the span a digest reports on: the updates after the
// previous digest, a week before at the same local time, up to this one.
const DigestWeek = 7

// DueSoonDays is how close the end of a cycle is, in days, for its key
// results below target to be listed as due soon.
const DueSoonDays = 14

// Digest layout: within Slack's limits (50 blocks, 3000 characters a
// section, about 12,000 of block text in a message) with room for the
// engine's "Why did I get this?" line.
const (
	// digestMaxBlocks is the most blocks a digest has.
	digestMaxBlocks = 44
	// digestTextBudget is the most characters of block text a digest has.
	digestTextBudget = 9000
	// digestDueListed is how many key results due soon a digest lists;
	// the rest are counted.
	digestDueListed = 8
	// digestNameMax bounds an owner's display name (Slack's is 80).
	digestNameMax = 80
	// digestBarCells is the length of a progress bar.
	digestBarCells = 10
)

// DigestInput is what a team's digest shows.
type DigestInput struct {
	// Now is the digest's nominal instant; Since the previous digest's,
	// DigestWeek days before at the same local time (DigestSince).
	Now, Since time.Time
	// Loc is the channel's zone, in which dates are read; nil is UTC.
	Loc *time.Location
	// Objectives are the team's open objectives of its active cycles, in
	// the order to show them (the order they were created in).
	Objectives []DigestObjective
}

// DigestObjective is one objective in a digest.
type DigestObjective struct {
	// Objective is the objective; its KeyResults are not read (see
	// KeyResults).
	Objective okrs.Objective
	// Cycle is the objective's cycle.
	Cycle okrs.Cycle
	// OwnerName is the display name of the objective's owner, "" when it
	// is not known (the objective is then shown without one).
	OwnerName string
	// KeyResults are its key results, in order, each read then and now.
	KeyResults []DigestKR
}

// DigestKR is a key result read at the previous digest and now.
type DigestKR struct {
	KeyResult okrs.KeyResult
	// Then is its effective state at DigestInput.Since, Now at
	// DigestInput.Now, each as the history up to then tells it: a
	// correction made in the week moves the value from what it was then
	// to what it is corrected to.
	Then, Now okrs.Effective
}

// DigestSince is the previous digest's instant before now: the same local
// time DigestWeek days before in loc (a week is not 168 hours across a
// change of the clocks), so that the weeks digests report on follow each
// other without a gap or an overlap.
func DigestSince(now time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return now.In(loc).AddDate(0, 0, -DigestWeek).UTC()
}

// EffectiveAt is a key result's effective state (okrs.Current) at t: as
// the entries of history appended at or before t tell it. A correction
// whose entry is not among them (a clock between replicas a little off)
// is left out with it.
func EffectiveAt(history []okrs.Update, t time.Time) (okrs.Effective, error) {
	kept := make([]okrs.Update, 0, len(history))
	seen := map[int64]bool{}
	for _, u := range history {
		if u.At.After(t) || (u.Corrects != 0 && !seen[u.Corrects]) {
			continue
		}
		seen[u.ID] = true
		kept = append(kept, u)
	}
	if len(kept) == 0 {
		return okrs.Effective{}, nil
	}
	return okrs.Current(kept)
}

// digestValue is the key result's value in e: its last value, or where it
// started (a milestone: not done) when it has none.
func digestValue(k okrs.KeyResult, e okrs.Effective) float64 {
	switch {
	case e.HasValue:
		return e.Value
	case k.Kind == okrs.Milestone:
		return 0
	}
	return k.Start
}

// percent is a fraction in whole percent, rounded down (okrs.Percent).
func percent(p float64) int { return okrs.Percent(p) }

// progressBar is p (whole percent) as digestBarCells cells: ▰▰▰▱▱▱▱▱▱▱.
func progressBar(pct int) string {
	full := pct * digestBarCells / 100
	return strings.Repeat("▰", full) + strings.Repeat("▱", digestBarCells-full)
}

// points is a change of progress in points: "+12 pts", "−3 pts".
func points(d int) string {
	switch {
	case d > 0:
		return fmt.Sprintf("+%d pts", d)
	case d < 0:
		return fmt.Sprintf("−%d pts", -d)
	}
	return "±0 pts"
}

// digestKRFacts is what a digest reads of one key result.
type digestKRFacts struct {
	then, now       float64 // values
	pThen, pNow     int     // progress, whole percent
	moved           bool    // its value changed in the week
	confidenceMoved bool    // its confidence changed from one to another
}

// krFacts reads k's values, progress and changes over the week.
func krFacts(k DigestKR) digestKRFacts {
	f := digestKRFacts{then: digestValue(k.KeyResult, k.Then), now: digestValue(k.KeyResult, k.Now)}
	f.pThen, f.pNow = percent(k.KeyResult.Progress(f.then)), percent(k.KeyResult.Progress(f.now))
	f.moved = f.then != f.now
	f.confidenceMoved = k.Then.Confidence != "" && k.Now.Confidence != "" && k.Then.Confidence != k.Now.Confidence
	return f
}

// objectiveProgress is o's progress, whole percent, then and now.
func objectiveProgress(o DigestObjective) (then, now int) {
	var rThen, rNow []okrs.Reading
	for _, k := range o.KeyResults {
		rThen = append(rThen, okrs.Reading{KeyResult: k.KeyResult, Value: digestValue(k.KeyResult, k.Then)})
		rNow = append(rNow, okrs.Reading{KeyResult: k.KeyResult, Value: digestValue(k.KeyResult, k.Now)})
	}
	return percent(okrs.ObjectiveProgress(rThen)), percent(okrs.ObjectiveProgress(rNow))
}

// digestKRLine is one key result of an objective in a digest, such as
// "• Weekly active teams: 44 → 50 teams (target 60) · 50% (+30 pts) · on
// track → at risk": the value then → now only when it moved, the points
// only when the progress changed, the confidence then → now only when it
// changed from one to another.
func digestKRLine(k DigestKR) string {
	kr := k.KeyResult
	f := krFacts(k)
	unit := mrkdwn.Bound(strings.TrimSpace(kr.Unit), okrs.MaxUnitLen)
	line := "• " + mrkdwn.Bound(strings.TrimSpace(kr.Title), okrs.MaxTitleLen) + ": "
	var facts []string
	switch kr.Kind {
	case okrs.Milestone:
		done := func(v float64) string {
			if v >= 1 {
				return "done"
			}
			return "not done"
		}
		if f.moved && done(f.then) != done(f.now) {
			facts = append(facts, done(f.then)+" → "+done(f.now))
		} else {
			facts = append(facts, done(f.now))
		}
	default:
		val := withUnit(number(f.now, kr.Decimals), unit)
		if f.moved {
			val = number(f.then, kr.Decimals) + " → " + val
		}
		target := number(kr.Target, kr.Decimals)
		switch kr.Kind {
		case okrs.StayAtOrAbove:
			val += " (at or above " + target + ")"
		case okrs.StayAtOrBelow:
			val += " (at or below " + target + ")"
		default:
			val += " (target " + target + ")"
		}
		facts = append(facts, val)
		switch kr.Kind {
		case okrs.StayAtOrAbove, okrs.StayAtOrBelow:
			met := "not met"
			if f.pNow >= 100 {
				met = "met"
			}
			if f.pThen != f.pNow {
				met = "now " + met
			}
			facts = append(facts, met)
		default:
			p := fmt.Sprintf("%d%%", f.pNow)
			if f.pThen != f.pNow {
				p += " (" + points(f.pNow-f.pThen) + ")"
			}
			facts = append(facts, p)
		}
	}
	switch {
	case f.confidenceMoved:
		facts = append(facts, confidenceText(k.Then.Confidence)+" → "+confidenceText(k.Now.Confidence))
	case k.Now.Confidence != "":
		facts = append(facts, confidenceText(k.Now.Confidence))
	}
	return line + strings.Join(facts, " · ")
}

// digestObjectiveText is one objective's section: its title and owner, its
// progress bar and change, and a line per key result.
func digestObjectiveText(o DigestObjective) string {
	title := "*" + mrkdwn.Bound(strings.TrimSpace(o.Objective.Title), okrs.MaxTitleLen) + "*"
	if name := strings.TrimSpace(o.OwnerName); name != "" {
		title += "  ·  " + mrkdwn.Bound(name, digestNameMax)
	}
	then, now := objectiveProgress(o)
	prog := progressBar(now) + fmt.Sprintf(" %d%%", now)
	if then != now {
		prog += " (" + points(now-then) + " this week)"
	}
	lines := []string{title, prog}
	for _, k := range o.KeyResults {
		lines = append(lines, digestKRLine(k))
	}
	if len(o.KeyResults) == 0 {
		lines = append(lines, "_No key results yet._")
	}
	return strings.Join(lines, "\n")
}

// digestDue is a key result due soon: below target in a cycle ending
// within DueSoonDays.
type digestDue struct {
	kr       DigestKR
	end      calendar.Date
	daysLeft int
}

// dueSoon lists the key results of in due soon, the cycle ending first
// first, then in the order shown.
func dueSoon(in DigestInput) []digestDue {
	today := calendar.DateOf(in.Now.In(digestLoc(in.Loc)))
	var out []digestDue
	for _, o := range in.Objectives {
		left := daysBetween(today, o.Cycle.End)
		if left < 0 || left > DueSoonDays {
			continue
		}
		for _, k := range o.KeyResults {
			if krFacts(k).pNow < 100 {
				out = append(out, digestDue{kr: k, end: o.Cycle.End, daysLeft: left})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b digestDue) int { return a.daysLeft - b.daysLeft })
	return out
}

// daysBetween counts the days from a to b (negative when b is before a).
func daysBetween(a, b calendar.Date) int {
	return int(math.Round(b.In(time.UTC).Sub(a.In(time.UTC)).Hours() / 24))
}

// digestLoc is loc, UTC when nil.
func digestLoc(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// inDays is "today", "tomorrow" or "in 9 days".
func inDays(n int) string {
	switch n {
	case 0:
		return "today"
	case 1:
		return "tomorrow"
	}
	return fmt.Sprintf("in %d days", n)
}

// digestDueText is the due-soon section.
func digestDueText(due []digestDue) string {
	lines := []string{"*Due soon* — below target, with the cycle ending within two weeks:"}
	for i, d := range due {
		if i == digestDueListed {
			lines = append(lines, fmt.Sprintf("…and %d more", len(due)-digestDueListed))
			break
		}
		lines = append(lines, fmt.Sprintf("• %s: %d%% · the cycle ends %s, %s",
			mrkdwn.Bound(strings.TrimSpace(d.kr.KeyResult.Title), okrs.MaxTitleLen), krFacts(d.kr).pNow,
			d.end.Format("Mon 2 Jan"), inDays(d.daysLeft)))
	}
	return strings.Join(lines, "\n")
}

// digestTotals counts what the total line says.
type digestTotals struct {
	objectives, average, moved, confidence, due int
}

// totals counts in's objectives, their average progress (whole
// percent, rounded down), the key results that moved or changed
// confidence, and due, the key results due soon.
func totals(in DigestInput, due int) digestTotals {
	t := digestTotals{objectives: len(in.Objectives), due: due}
	sum := 0
	for _, o := range in.Objectives {
		_, now := objectiveProgress(o)
		sum += now
		for _, k := range o.KeyResults {
			f := krFacts(k)
			if f.moved {
				t.moved++
			}
			if f.confidenceMoved {
				t.confidence++
			}
		}
	}
	if t.objectives > 0 {
		t.average = sum / t.objectives
	}
	return t
}

// line is the one-line total: "*3 objectives* · 54% on average · 4 key
// results moved this week · 1 confidence change · 2 key results due
// soon".
func (t digestTotals) line() string {
	parts := []string{"*" + plural(t.objectives, "objective", "objectives") + "*", fmt.Sprintf("%d%% on average", t.average)}
	if t.moved == 0 {
		parts = append(parts, "no key result moved this week")
	} else {
		parts = append(parts, plural(t.moved, "key result", "key results")+" moved this week")
	}
	if t.confidence > 0 {
		parts = append(parts, plural(t.confidence, "confidence change", "confidence changes"))
	}
	if t.due > 0 {
		parts = append(parts, plural(t.due, "key result", "key results")+" due soon")
	}
	return strings.Join(parts, " · ")
}

// objectiveMoved reports whether a key result of o moved or changed
// confidence in the week.
func objectiveMoved(o DigestObjective) bool {
	for _, k := range o.KeyResults {
		if f := krFacts(k); f.moved || f.confidenceMoved {
			return true
		}
	}
	return false
}

// DigestMessage is a team's weekly digest, posted in its channel: a
// header, the cycles and the week it covers, the one-line total, the key
// results due soon, then each objective with its owner's name, its
// progress bar (whole percent, rounded down) and change in the week, and
// its key results: value (then → now when it moved, in the key result's
// unit and decimals) against the target, progress and the points gained
// or lost, and confidence (then → now when it changed).
//
// A week in which nothing moved still has its digest: it is the team's
// weekly view, and it says so without naming anyone. Every text a person
// typed is escaped and bounded, and the digest keeps to Block Kit's
// limits however many objectives there are: when they do not all fit,
// those with something that moved come first and the rest are counted.
func DigestMessage(in DigestInput) engine.Message {
	loc := digestLoc(in.Loc)
	due := dueSoon(in)
	tot := totals(in, len(due))

	var cycles []string
	seen := map[int64]bool{}
	for _, o := range in.Objectives {
		if !seen[o.Cycle.ID] {
			seen[o.Cycle.ID] = true
			left := daysBetween(calendar.DateOf(in.Now.In(loc)), o.Cycle.End)
			cycles = append(cycles, fmt.Sprintf("*%s* (%s–%s, %s)", mrkdwn.Bound(strings.TrimSpace(o.Cycle.Name), okrs.MaxNameLen),
				o.Cycle.Start.Format("2 Jan"), o.Cycle.End.Format("2 Jan"), daysLeft(left)))
		}
	}
	week := fmt.Sprintf("The week since %s", in.Since.In(loc).Format("Mon 2 Jan"))
	head := []slack.Block{
		slack.NewHeaderBlock(mrkdwn.HeaderText("Weekly OKR digest")),
		slack.NewContextBlock("", mrkdwn.Text(mrkdwn.Clip(strings.Join(append(cycles, week), " · "), 2900))),
		section("", tot.line()),
	}
	if len(due) > 0 {
		head = append(head, section("", digestDueText(due)))
	}
	head = append(head, slack.NewDividerBlock())

	texts := make([]string, len(in.Objectives))
	for i, o := range in.Objectives {
		texts[i] = digestObjectiveText(o)
	}
	order := make([]int, len(in.Objectives))
	for i := range order {
		order[i] = i
	}
	blocks, left := fitObjectives(head, texts, order)
	if left > 0 {
		// Not all fit: what moved comes first.
		slices.SortStableFunc(order, func(a, b int) int {
			return boolRank(objectiveMoved(in.Objectives[b])) - boolRank(objectiveMoved(in.Objectives[a]))
		})
		blocks, left = fitObjectives(head, texts, order)
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn.Text(
			fmt.Sprintf("…and %d more %s, not shown here to keep this short.", left, pluralWord(left, "objective", "objectives")))))
	}

	text := fmt.Sprintf("Weekly OKR digest: %s, %d%% on average", plural(tot.objectives, "objective", "objectives"), tot.average)
	if tot.moved == 0 {
		text += "; no key result moved this week"
	} else {
		text += "; " + plural(tot.moved, "key result", "key results") + " moved this week"
	}
	return engine.Message{Text: text, Blocks: blocks}
}

// fitObjectives adds the objectives' sections, in order, to head while
// they keep within the digest's blocks and text (leaving room for the
// line counting the rest), and returns the blocks and how many did not
// fit.
func fitObjectives(head []slack.Block, texts []string, order []int) ([]slack.Block, int) {
	blocks := slices.Clone(head)
	used := 0
	for _, b := range blocks {
		used += mrkdwn.TextLen(b)
	}
	const reserve = 100 // the line counting the rest
	for n, i := range order {
		w := min(utf8.RuneCountInString(texts[i]), mrkdwn.MaxSectionText)
		if len(blocks)+2 > digestMaxBlocks || used+w+reserve > digestTextBudget {
			return blocks, len(order) - n
		}
		blocks = append(blocks, section("", texts[i]))
		used += w
	}
	return blocks, 0
}

// boolRank orders true after false.
func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// daysLeft is "ends today", "1 day left", "23 days left" or "ended".
func daysLeft(n int) string {
	switch {
	case n < 0:
		return "ended"
	case n == 0:
		return "ends today"
	case n == 1:
		return "1 day left"
	}
	return fmt.Sprintf("%d days left", n)
}

// pluralWord is one for 1, else many.
func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
