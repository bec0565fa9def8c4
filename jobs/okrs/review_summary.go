package okrs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// The team's review summary. When a cycle's review period is over, each
// team channel with objectives in the cycle gets one post: its
// objectives with their final progress, each key result's grade, which
// ones carried over to the next cycle, and the notes on what was
// learned, without their authors. It posts when the review period ends
// rather than once everyone reviewed: the moment says nothing about who
// reviewed, and nothing in the post names anyone or tells a reviewed key
// result from one not reviewed: each shows a grade, the reviewed one or
// else the one the review form starts from (okrs.PrefillGrade), and of
// the decisions only a carry-over, a fact of the next cycle; "done" and
// "drop" are not shown. So two summaries of a cycle that differ only in
// which owners reviewed, keeping the prefilled grades and not carrying
// over, are the same post.
//
// The post is a one-off of the engine to the channel, on a schedule of
// its own per cycle, "okrreview:<cycle>:summary", whose zone is the
// channel's: it is timed at ReviewAt on the day after the review period,
// in that zone.

// SummaryBudget is the block text a summary spends on objectives; the
// rest are counted. It stays well inside a message's budget
// (mrkdwn.MessageTextBudget).
const SummaryBudget = 9000

// summaryNoteLen bounds a note as a summary quotes it, in characters.
const summaryNoteLen = 280

// summaryNotes is how many notes a summary quotes per objective.
const summaryNotes = 3

// ReviewSummary is the payload of a team's review summary: the cycle and
// the team's channel.
type ReviewSummary struct {
	Cycle   int64  `json:"cycle"`
	Channel string `json:"channel"`
}

// OneOffKind names review summaries among the one-offs of ReviewKind.
func (ReviewSummary) OneOffKind() string { return "summary" }

// OneOffVersion is the version of ReviewSummary's JSON form.
func (ReviewSummary) OneOffVersion() int { return 1 }

// OneOffKey is the cycle and the channel.
func (s ReviewSummary) OneOffKey() string { return strconv.FormatInt(s.Cycle, 10) + ":" + s.Channel }

// ReviewSummaryScheduleKey is the key of the schedule a cycle's review
// summaries hang on.
func ReviewSummaryScheduleKey(cycleID int64) string { return ReviewScheduleKey(cycleID) + ":summary" }

// SummaryInstant is when the review summary of c is posted in a channel
// of zone loc: ReviewAt on the day after its review period.
func SummaryInstant(c okrs.Cycle, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return cadence.LocalInstant(c.End.AddDays(c.Grace()+1), ReviewAt, loc)
}

// PlanReviewSummaries plans the review summary of cycle in every team
// channel with an objective of it, at SummaryInstant in zone tz (the
// channels' zone, an IANA name; "" is UTC), and puts the schedule they
// hang on. Planning again plans nothing new. It returns how many it
// planned.
func PlanReviewSummaries(ctx context.Context, eng *engine.Engine, store *okrs.Store, ws string, cycle okrs.Cycle, tz string) (int, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return 0, fmt.Errorf("plan review summaries of cycle %d: %w", cycle.ID, err)
	}
	objs, err := store.Objectives(ctx, ws, okrs.Filter{CycleID: cycle.ID})
	if err != nil {
		return 0, fmt.Errorf("plan review summaries of cycle %d: %w", cycle.ID, err)
	}
	var channels []string
	for _, o := range objs {
		if o.Team != "" && !slices.Contains(channels, o.Team) {
			channels = append(channels, o.Team)
		}
	}
	if len(channels) == 0 {
		return 0, nil
	}
	key := ReviewSummaryScheduleKey(cycle.ID)
	day := cycle.End.AddDays(cycle.Grace() + 1)
	sc := models.Schedule{WorkspaceID: ws, Key: key, Title: "OKR review summary of " + cycle.Name + ", once its review is over",
		Cadence: onceCadence(day), Anchor: day, ChannelTZ: tz}
	if _, err := eng.Schedules().Put(ctx, sc); err != nil {
		if _, gerr := eng.Schedules().Get(ctx, ws, key); gerr != nil {
			return 0, fmt.Errorf("plan review summaries of cycle %d: %w", cycle.ID, err)
		}
	}
	planned := 0
	for _, ch := range channels {
		ok, err := eng.PlanOnce(ctx, ws, key, ReviewSummary{Cycle: cycle.ID, Channel: ch}, ch, SummaryInstant(cycle, loc))
		if err != nil {
			return planned, fmt.Errorf("plan the review summary of cycle %d in %s: %w", cycle.ID, ch, err)
		}
		if ok {
			planned++
		}
	}
	return planned, nil
}

// composeSummary writes a review summary: the channel's objectives of the
// cycle as they ended and as they were reviewed.
func composeSummary(ctx context.Context, store *okrs.Store, c engine.Context, s ReviewSummary) (engine.Message, error) {
	ws := c.Occurrence.WorkspaceID
	if c.Occurrence.Recipient != s.Channel {
		return engine.Message{}, engine.Skip("a review summary goes to its team's channel only")
	}
	cycle, err := store.Cycle(ctx, ws, s.Cycle)
	if errors.Is(err, okrs.ErrNotFound) {
		return engine.Message{}, engine.Skip("the reviewed cycle was deleted")
	}
	if err != nil {
		return engine.Message{}, err
	}
	if !SummaryInstant(cycle, c.Location).Equal(c.Occurrence.NominalAt) {
		return engine.Message{}, engine.Skip("the channel's time zone changed; the summary timed in the new zone goes instead")
	}
	objs, err := store.Objectives(ctx, ws, okrs.Filter{CycleID: cycle.ID, Team: s.Channel})
	if err != nil {
		return engine.Message{}, err
	}
	if len(objs) == 0 {
		return engine.Message{}, engine.Skip("the team has no objective in the cycle any more")
	}
	var ids []int64
	for _, o := range objs {
		for _, k := range o.KeyResults {
			ids = append(ids, k.ID)
		}
	}
	eff, err := store.Effective(ctx, ws, ids)
	if err != nil {
		return engine.Message{}, err
	}
	reviews, notes, err := store.CycleReviews(ctx, ws, cycle.ID)
	if err != nil {
		return engine.Message{}, err
	}
	carried, err := store.Continuations(ctx, ws, ids)
	if err != nil {
		return engine.Message{}, err
	}
	next, hasNext, err := store.NextCycle(ctx, ws, cycle, s.Channel)
	if err != nil {
		return engine.Message{}, err
	}
	in := summaryOf(cycle, objs, eff, reviews, notes, carried)
	if hasNext {
		in.Next = next.Name
	}
	return ReviewSummaryMessage(in), nil
}

// summaryOf is what a team's review summary shows of its objectives objs
// of cycle: each key result's final state (eff), its grade — the
// reviewed one (reviews), else okrs.PrefillGrade of its final state —
// and whether it continues in the next cycle (carried), and each
// objective's notes without their authors. A review's decision is not
// read: only a carry-over is shown, by the continuation it made.
func summaryOf(cycle okrs.Cycle, objs []okrs.Objective, eff map[int64]okrs.Effective, reviews []okrs.StoredReview,
	notes []okrs.StoredLearned, carried map[int64]int64) SummaryInput {
	graded := map[int64]float64{}
	for _, r := range reviews {
		graded[r.KeyResultID] = r.Grade
	}
	in := SummaryInput{Cycle: cycle}
	for _, o := range objs {
		so := SummaryObjective{Title: o.Title}
		for _, k := range o.KeyResults {
			sk := SummaryKR{KeyResult: k, Final: eff[k.ID]}
			g, ok := graded[k.ID]
			if !ok {
				g = okrs.PrefillGrade(k, sk.Final)
			}
			sk.Grade = okrs.RoundGrade(g)
			_, sk.Carried = carried[k.ID]
			so.KeyResults = append(so.KeyResults, sk)
		}
		for _, n := range notes {
			if n.ObjectiveID == o.ID {
				so.Learned = append(so.Learned, n.Note)
			}
		}
		in.Objectives = append(in.Objectives, so)
	}
	return in
}

// SummaryKR is a key result in a review summary.
type SummaryKR struct {
	KeyResult okrs.KeyResult
	Final     okrs.Effective
	// Grade is the reviewed grade, else the prefilled one: the summary
	// shows both alike.
	Grade float64
	// Carried is set when the key result continues in the next cycle.
	Carried bool
}

// SummaryObjective is an objective in a review summary, with its notes
// (authors left out).
type SummaryObjective struct {
	Title      string
	KeyResults []SummaryKR
	Learned    []string
}

// SummaryInput is what a team's review summary shows.
type SummaryInput struct {
	Cycle      okrs.Cycle
	Objectives []SummaryObjective
	// Next is the name of the cycle key results carry over to, "" for
	// none yet.
	Next string
}

// ReviewSummaryMessage is the team's review summary: a head with the
// cycle and its average progress, then each objective (while they fit
// SummaryBudget; the rest counted) with its final progress, each key
// result's final value, grade and whether it carried over, and up to three
// notes on what was learned; then how many key results carry over and
// to which cycle. It names nobody.
func ReviewSummaryMessage(in SummaryInput) engine.Message {
	name := mrkdwn.Bound(strings.TrimSpace(in.Cycle.Name), okrs.MaxNameLen)
	var sum float64
	carried := 0
	for _, o := range in.Objectives {
		sum += summaryProgress(o)
		for _, k := range o.KeyResults {
			if k.Carried {
				carried++
			}
		}
	}
	avg := 0
	if n := len(in.Objectives); n > 0 {
		avg = okrs.Percent(sum / float64(n))
	}
	head := fmt.Sprintf("*Review of “%s”*\n%s, %d%% progress on average.", name, plural(len(in.Objectives), "objective", "objectives"), avg)
	blocks := []slack.Block{section("", head)}
	spent := mrkdwn.TextLen(blocks[0])
	shown := 0
	for _, o := range in.Objectives {
		bs := summaryBlocks(o)
		n := 0
		for _, b := range bs {
			n += mrkdwn.TextLen(b)
		}
		if spent+n > SummaryBudget || len(blocks)+len(bs) > mrkdwn.MaxMessageBlocks-3 {
			break
		}
		blocks = append(blocks, bs...)
		spent += n
		shown++
	}
	if more := len(in.Objectives) - shown; more > 0 {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn.Text(fmt.Sprintf("…and %d more %s.", more, pluralVerb(more, "objective", "objectives")))))
	}
	if carried > 0 {
		to := "the next cycle"
		if in.Next != "" {
			to = "“" + mrkdwn.Bound(strings.TrimSpace(in.Next), okrs.MaxNameLen) + "”"
		}
		blocks = append(blocks, section("", fmt.Sprintf("%s %s over to %s, from %s.",
			plural(carried, "key result", "key results"), pluralVerb(carried, "carries", "carry"), to, pluralVerb(carried, "its final value", "their final values"))))
	}
	text := "OKR review of " + name + ": " + plural(len(in.Objectives), "objective", "objectives") + fmt.Sprintf(", %d%% progress on average", avg)
	return engine.Message{Text: clipBytes(text, nudgeTextMax), Blocks: blocks}
}

// pluralVerb is one for a count of 1, else many: a verb or a noun
// without its count.
func pluralVerb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// summaryProgress is an objective's final progress from its key
// results' final values.
func summaryProgress(o SummaryObjective) float64 {
	rs := make([]okrs.Reading, len(o.KeyResults))
	for i, k := range o.KeyResults {
		rs[i] = okrs.Reading{KeyResult: k.KeyResult, Value: okrs.FinalValue(k.KeyResult, k.Final)}
	}
	return okrs.ObjectiveProgress(rs)
}

// summaryBlocks are one objective of a summary: its line with its key
// results, then its notes.
func summaryBlocks(o SummaryObjective) []slack.Block {
	var b strings.Builder
	fmt.Fprintf(&b, "*%s*  ·  %d%%", mrkdwn.Bound(strings.TrimSpace(o.Title), okrs.MaxTitleLen), okrs.Percent(summaryProgress(o)))
	for _, k := range o.KeyResults {
		st := KRStatus{KeyResult: k.KeyResult, Current: k.Final}
		facts := []string{valueText(st)}
		if k.KeyResult.Kind != okrs.Milestone {
			facts = append(facts, progressText(st))
		}
		facts = append(facts, "grade "+strconv.FormatFloat(k.Grade, 'f', 1, 64))
		if k.Carried {
			facts = append(facts, "→ carried over")
		}
		fmt.Fprintf(&b, "\n• %s: %s", mrkdwn.Bound(strings.TrimSpace(k.KeyResult.Title), okrs.MaxTitleLen), strings.Join(facts, " · "))
	}
	out := []slack.Block{section("", b.String())}
	var quotes []slack.MixedElement
	for i, n := range o.Learned {
		if i == summaryNotes {
			break
		}
		quotes = append(quotes, mrkdwn.Text("_What we learned:_ "+mrkdwn.Bound(strings.Join(strings.Fields(n), " "), summaryNoteLen)))
	}
	if len(quotes) > 0 {
		out = append(out, slack.NewContextBlock("", quotes...))
	}
	return out
}
