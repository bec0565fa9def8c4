package okrs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// The review DM. When a cycle ends, each owner of a key result in it gets
// one DM asking them to review: it lists their key results with the final
// value, progress and the grade the form will start from, and a button
// opening the review form.
//
// Each DM is a one-off of the engine (PlanOnce), so it passes the
// attention policy like every proactive message: it is timed at ReviewAt,
// 10:00 of the day after the cycle's end in the owner's own zone, and the
// policy moves it into their working hours, off their holidays and time
// off. It hangs on a schedule of its own per cycle, "okrreview:<cycle>"
// (ReviewScheduleKey), not on the person's nudge schedule: that one does
// not exist when nudges are off, and a review is owed either way. The
// engine wants a schedule with a cadence it can read, so the review's
// schedule has one naming the day (onceCadence), and no targets: the
// planner never plans it, and only the one-offs hang on it.

// ReviewKind is the schedule kind of the review DMs, which
// Service.ReviewComposer writes.
const ReviewKind = "okrreview"

// ReviewListed is how many key results a review DM lists; the rest are
// counted, as a nudge counts them.
const ReviewListed = NudgeListed

// ReviewAt is the local time of day the review DM is timed at, the day
// after the cycle ends; the attention policy moves it into the person's
// working hours.
const ReviewAt calendar.TimeOfDay = NudgeAt

// onceCadence is the cadence of a review's schedule, which has no targets
// and is never planned: the engine reads every schedule's cadence, and
// its "Why did I get this?" line shows it, so it names the one local time
// the schedule's one-offs are timed at, ReviewAt on day, as standard cron
// ("0 10 1 4 *", 10:00 on 1 April).
func onceCadence(day calendar.Date) string {
	return fmt.Sprintf("%d %d %d %d *", int(ReviewAt)%60, int(ReviewAt)/60, day.Day, int(day.Month))
}

// actionReviewPrefix starts the action id of the review DM's button.
const actionReviewPrefix = "okr:review:"

// ReviewActionID is the action id of the "Review my key results" button
// of cycle: "okr:review:<cycleID>".
func ReviewActionID(cycleID int64) string {
	return actionReviewPrefix + strconv.FormatInt(cycleID, 10)
}

// ParseReviewAction reads the cycle id out of a review button's action
// id, reporting false for any other action id.
func ParseReviewAction(actionID string) (int64, bool) {
	rest, ok := strings.CutPrefix(actionID, actionReviewPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != rest {
		return 0, false
	}
	return id, true
}

// ReviewScheduleKey is the key of the schedule a cycle's review DMs hang
// on.
func ReviewScheduleKey(cycleID int64) string {
	return ReviewKind + ":" + strconv.FormatInt(cycleID, 10)
}

// ReviewDM is the payload of a review DM: the cycle to review.
type ReviewDM struct {
	Cycle int64 `json:"cycle"`
}

// OneOffKind names review DMs among the one-offs of ReviewKind.
func (ReviewDM) OneOffKind() string { return "review" }

// OneOffVersion is the version of ReviewDM's JSON form.
func (ReviewDM) OneOffVersion() int { return 1 }

// OneOffKey is the cycle: one review DM per cycle, person and instant.
func (r ReviewDM) OneOffKey() string { return strconv.FormatInt(r.Cycle, 10) }

// AcceptReviews declares the one-offs of ReviewKind on eng, ReviewDM and
// ReviewSummary, so that the engine can read them back: what is done
// where the engine is built, while Service.ReviewComposer, the kind's
// composer, is declared with the feature (handlers.Feature's Composers).
// It refuses what was declared already.
func AcceptReviews(eng *engine.Engine) error {
	if err := engine.AcceptOneOff[ReviewDM](eng, ReviewKind); err != nil {
		return err
	}
	return engine.AcceptOneOff[ReviewSummary](eng, ReviewKind)
}

// RegisterReviews makes the service's engine send review DMs and the
// teams' review summaries on its own: AcceptReviews, then ReviewComposer
// registered for ReviewKind. It refuses what was registered already.
func (s *Service) RegisterReviews() error {
	if err := AcceptReviews(s.eng); err != nil {
		return err
	}
	return s.eng.Register(ReviewKind, s.ReviewComposer())
}

// ReviewInstant is when the review DM of c is timed for a person in loc:
// ReviewAt on the day after c's end, in loc.
func ReviewInstant(c okrs.Cycle, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return cadence.LocalInstant(c.End.AddDays(1), ReviewAt, loc)
}

// PlanReviews plans the review DM of cycle for each person owning a key
// result of an open objective in it, at ReviewInstant in their zone (UTC
// for someone Trellis has no profile of yet), and puts the cycle's review
// schedule. Nothing is planned for someone whose review closed by now in
// their zone, nor for someone whose key results of the cycle are all of
// team-only objectives whose channels they are not in now (or Slack
// could not say: the next hourly run plans again). Planning again plans
// nothing new: a one-off's identity is its schedule, cycle, person and
// instant, and Postgres keeps one of each whatever the number of
// replicas. It returns how many it planned.
func (s *Service) PlanReviews(ctx context.Context, ws string, cycle okrs.Cycle, now time.Time) (int, error) {
	eng, store, people := s.eng, s.store, s.ppl
	owners, err := store.Owners(ctx, ws, cycle.ID)
	if err != nil {
		return 0, fmt.Errorf("plan reviews of cycle %d: %w", cycle.ID, err)
	}
	if len(owners) == 0 {
		return 0, nil
	}
	key := ReviewScheduleKey(cycle.ID)
	sc := models.Schedule{WorkspaceID: ws, Key: key, Title: "OKR review of " + cycle.Name + ", the day after it ended",
		Cadence: onceCadence(cycle.End.AddDays(1)), Anchor: cycle.End.AddDays(1)}
	if _, err := eng.Schedules().Put(ctx, sc); err != nil {
		// Another replica may have created it in the same instant.
		if _, gerr := eng.Schedules().Get(ctx, ws, key); gerr != nil {
			return 0, fmt.Errorf("plan reviews of cycle %d: %w", cycle.ID, err)
		}
	}
	planned := 0
	for _, u := range owners {
		loc := time.UTC
		switch p, err := people.Get(ctx, ws, u); {
		case err == nil:
			loc = p.Location()
		case !errors.Is(err, models.ErrNotFound):
			return planned, fmt.Errorf("plan reviews of cycle %d: %w", cycle.ID, err)
		}
		if cycle.State(calendar.DateOf(now.In(loc))) == okrs.CycleClosed {
			continue
		}
		items, err := s.reviewLines(ctx, ws, u, cycle.ID)
		if err != nil {
			return planned, fmt.Errorf("plan the review of cycle %d for %s: %w", cycle.ID, u, err)
		}
		if len(items) == 0 {
			continue
		}
		ok, err := eng.PlanOnce(ctx, ws, key, ReviewDM{Cycle: cycle.ID}, u, ReviewInstant(cycle, loc))
		if err != nil {
			return planned, fmt.Errorf("plan the review of cycle %d for %s: %w", cycle.ID, u, err)
		}
		if ok {
			planned++
		}
	}
	return planned, nil
}

// ReviewComposer writes the messages of ReviewKind: a team's review
// summary (ReviewSummary, see ReviewSummaryMessage) and review DMs
// (ReviewDM): the person's key results of the cycle that they may be
// shown (reviewLines), read when the DM goes, by ReviewMessage. It skips,
// with the reason, a cycle deleted since, a review already closed when
// the DM goes, a person who owns no such key result of an open objective
// of it any more, and a DM timed in a zone the person has left (planning
// again for their new zone times the one that goes).
func (s *Service) ReviewComposer() engine.Composer {
	return engine.ComposerFunc(func(ctx context.Context, c engine.Context) (engine.Message, error) {
		if sum, ok := c.OneOff.(ReviewSummary); ok {
			return composeSummary(ctx, s.store, c, sum)
		}
		dm, ok := c.OneOff.(ReviewDM)
		if !ok || c.Person == nil {
			return engine.Message{}, engine.Skip("a review goes to a person, as a one-off")
		}
		ws, person := c.Occurrence.WorkspaceID, c.Person.UserID
		cycle, err := s.store.Cycle(ctx, ws, dm.Cycle)
		if errors.Is(err, okrs.ErrNotFound) {
			return engine.Message{}, engine.Skip("the cycle to review was deleted")
		}
		if err != nil {
			return engine.Message{}, err
		}
		loc := c.Person.Location()
		if !ReviewInstant(cycle, loc).Equal(c.Occurrence.NominalAt) {
			return engine.Message{}, engine.Skip("your time zone changed; the review timed in your new zone goes instead")
		}
		now := c.Occurrence.NominalAt
		if c.Occurrence.DeliverAt.After(now) {
			now = c.Occurrence.DeliverAt
		}
		if cycle.State(calendar.DateOf(now.In(loc))) == okrs.CycleClosed {
			return engine.Message{}, engine.Skip("the review of the cycle closed before it could be sent")
		}
		items, err := s.reviewLines(ctx, ws, person, cycle.ID)
		if err != nil {
			return engine.Message{}, err
		}
		if len(items) == 0 {
			return engine.Message{}, engine.Skip("you own no key result of the cycle to review any more")
		}
		return ReviewMessage(ReviewInput{Cycle: cycle, Items: items}), nil
	})
}

// reviewLines are the key results person owns in the open objectives of
// a cycle that they may be shown: a team-only objective's only while
// they are in its channel (reader.sees; hidden when Slack cannot say).
func (s *Service) reviewLines(ctx context.Context, ws, person string, cycleID int64) ([]ReviewLine, error) {
	owned, err := s.store.KeyResultsOf(ctx, ws, person, []int64{cycleID})
	if err != nil {
		return nil, err
	}
	r := s.readerOf(ws, person)
	var items []ReviewLine
	for _, k := range owned {
		if !k.Objective.ClosedAt.IsZero() || !r.sees(ctx, k.Objective) {
			continue
		}
		items = append(items, ReviewLine{KeyResult: k.KeyResult, Objective: k.Objective.Title, Final: k.Effective})
	}
	return items, nil
}
