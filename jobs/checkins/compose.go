package checkins

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// compose writes every DM a check-in sends, by the one-off's payload: the
// round's question (the cadence's own occurrences and "run now"), a
// reminder, a snoozed prompt coming back, a reader's digest, and the
// notice to someone named as able to help. Whatever no longer applies —
// the person answered, the round closed, the check-in was deleted — is
// declined with engine.Skip and the reason.
func (s *Service) compose(ctx context.Context, ec engine.Context) (engine.Message, error) {
	id, err := checkinID(ec.Schedule.Key)
	if err != nil {
		return engine.Message{}, engine.Skip(err.Error())
	}
	if ec.Person == nil {
		return engine.Message{}, engine.Skip("check-ins only send direct messages")
	}
	c, err := s.store.Get(ctx, ec.Schedule.WorkspaceID, id)
	if errors.Is(err, models.ErrNotFound) {
		return engine.Message{}, engine.Skip("the check-in was deleted")
	}
	if err != nil {
		return engine.Message{}, err
	}
	switch p := ec.OneOff.(type) {
	case nil, runNow:
		return s.composeAsk(ctx, c, ec)
	case reminder:
		return s.composeAgain(ctx, c, ec, p.Round, int64(p.N), nil)
	case snoozed:
		return s.composeAgain(ctx, c, ec, p.Round, 0, &p)
	case digest:
		return s.composeDigest(ctx, c, ec, p.Round)
	case helperNotice:
		return s.composeHelper(ctx, c, ec, p)
	}
	return engine.Message{}, engine.Skip(fmt.Sprintf("unknown check-in message %q", ec.OneOff.OneOffKind()))
}

// RoundLabel names a round for people: "Daily stand-up · Tue 24 Nov".
func RoundLabel(c checkinmodels.Checkin, d calendar.Date) string {
	return c.Name + " · " + d.Format("Mon 2 Jan")
}

// AnswersGoTo says where a check-in's answers are shown, for the prompt
// and the answer form: people should know who reads them.
func AnswersGoTo(c checkinmodels.Checkin) string {
	switch c.Destination {
	case checkinmodels.DestinationChannel:
		return "<#" + c.ChannelID + ">"
	case checkinmodels.DestinationDigest:
		return "a digest sent to the check-in's participants at the start of their day"
	}
	return "the round's thread in <#" + c.ChannelID + ">"
}

// composeAsk opens the person's round (the local date of the occurrence)
// and asks its questions. The first time a person is asked in a round,
// their reminders are planned: spread evenly over the time the round stays
// open for them, each sent only inside their working window (the engine
// defers it otherwise, and it is dropped once the round has closed).
func (s *Service) composeAsk(ctx context.Context, c checkinmodels.Checkin, ec engine.Context) (engine.Message, error) {
	if c.Paused {
		return engine.Message{}, engine.Skip("the check-in is paused")
	}
	p := *ec.Person
	now := s.clock.Now()
	loc := ec.Location
	date := calendar.DateOf(ec.Occurrence.NominalAt.In(loc))
	if _, run := ec.OneOff.(runNow); run {
		// "Run now" asks for today, wherever today is for the person when
		// it reaches them.
		date = calendar.DateOf(now.In(loc))
	}
	closes := now.Add(c.RoundLength)
	round, err := s.store.OpenRound(ctx, c.WorkspaceID, c.ID, date, now, closes)
	if err != nil {
		return engine.Message{}, err
	}
	resp, err := s.store.MyResponse(ctx, c.WorkspaceID, round.ID, p.UserID)
	switch {
	case err == nil && resp.Status == checkinmodels.ResponseAnswered:
		return engine.Message{}, engine.Skip("already answered this round")
	case err == nil && resp.Status == checkinmodels.ResponseSkipped:
		return engine.Message{}, engine.Skip("skipped this round")
	case err != nil && !errors.Is(err, models.ErrNotFound):
		return engine.Message{}, err
	}
	first, err := s.store.MarkAsked(ctx, c.WorkspaceID, round.ID, p.UserID, ec.Occurrence.ID)
	if err != nil {
		return engine.Message{}, err
	}
	if first != ec.Occurrence.ID {
		// Another message asked this round ("run now" twice, or on a day
		// the cadence asked too): its buttons still work.
		return engine.Message{}, engine.Skip("already asked in this round; the earlier message's buttons still work")
	}
	if resp.Status == "" {
		// Asked for the first time (a retry after Slack failed finds its
		// own mark and its reminders planned).
		for k := 1; k <= c.Reminders; k++ {
			at := now.Add(c.RoundLength * time.Duration(k) / time.Duration(c.Reminders+1)).Truncate(time.Minute)
			if _, err := s.eng.PlanOnce(ctx, c.WorkspaceID, ec.Schedule.Key, reminder{Round: round.ID, N: k}, p.UserID, at); err != nil {
				return engine.Message{}, err
			}
		}
	}
	return s.prompt(ctx, c, round, p, 0, false, closes)
}

// composeAgain writes a reminder (n is its number) or, when snooze is
// set, a snoozed prompt coming back, unless it no longer applies.
func (s *Service) composeAgain(ctx context.Context, c checkinmodels.Checkin, ec engine.Context, roundID int64, n int64, snooze *snoozed) (engine.Message, error) {
	if c.Paused {
		return engine.Message{}, engine.Skip("the check-in is paused")
	}
	p := *ec.Person
	round, err := s.store.Round(ctx, c.WorkspaceID, roundID)
	if errors.Is(err, models.ErrNotFound) {
		return engine.Message{}, engine.Skip("the round no longer exists")
	}
	if err != nil {
		return engine.Message{}, err
	}
	now := s.clock.Now()
	if snooze == nil && (round.Closed || !now.Before(round.ClosesAt)) {
		return engine.Message{}, engine.Skip("the round closed before a reminder could reach you in your working hours")
	}
	later, err := s.store.AskedLater(ctx, c.WorkspaceID, c.ID, p.UserID, round.Date)
	if err != nil {
		return engine.Message{}, err
	}
	if later {
		return engine.Message{}, engine.Skip("you have been asked a newer round since")
	}
	resp, err := s.store.MyResponse(ctx, c.WorkspaceID, round.ID, p.UserID)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return engine.Message{}, err
	}
	switch resp.Status {
	case checkinmodels.ResponseAnswered:
		return engine.Message{}, engine.Skip("already answered this round")
	case checkinmodels.ResponseSkipped:
		return engine.Message{}, engine.Skip("skipped this round")
	case checkinmodels.ResponseSnoozed:
		if snooze == nil {
			return engine.Message{}, engine.Skip("snoozed: the snoozed prompt comes instead of a reminder")
		}
	}
	if snooze != nil {
		// Snoozed again since (a double click, or a change of mind): the
		// later snooze brings the prompt back, this one does not.
		again, err := s.occ.PlannedAfter(ctx, c.WorkspaceID, p.UserID, snooze.sameRound(ec.Schedule.Key), ec.Occurrence.ID)
		if err != nil {
			return engine.Message{}, err
		}
		if again {
			return engine.Message{}, engine.Skip("you snoozed this round again; the later snooze brings it back")
		}
		// Back from snoozing: asked again, as a reminder would.
		if _, err := s.store.MarkAsked(ctx, c.WorkspaceID, round.ID, p.UserID, ec.Occurrence.ID); err != nil {
			return engine.Message{}, err
		}
		return s.prompt(ctx, c, round, p, 0, true, round.ClosesAt)
	}
	return s.prompt(ctx, c, round, p, int(n), false, round.ClosesAt)
}

// prompt is the DM asking a round's questions.
func (s *Service) prompt(ctx context.Context, c checkinmodels.Checkin, round checkinmodels.Round, p models.Person, reminder int, snoozed bool, closes time.Time) (engine.Message, error) {
	ploc := p.Location()
	text, blocks := CheckinPrompt(PromptInput{
		Checkin:       c,
		Round:         round,
		RoundLabel:    RoundLabel(c, round.Date),
		Reminder:      reminder,
		Snoozed:       snoozed,
		AnswersGoTo:   AnswersGoTo(c),
		ClosesAt:      closes,
		Loc:           ploc,
		SnoozeOptions: SnoozeOptions(),
	})
	return engine.Message{Text: text, Blocks: blocks}, nil
}

// composeDigest is one reader's digest of a closed round: the summary and
// everyone's answers, for check-ins whose answers go to digests.
func (s *Service) composeDigest(ctx context.Context, c checkinmodels.Checkin, ec engine.Context, roundID int64) (engine.Message, error) {
	// Only people still in the check-in read its answers.
	readers, err := s.readers(ctx, c)
	if err != nil {
		return engine.Message{}, err
	}
	if !slices.Contains(readers, ec.Person.UserID) {
		return engine.Message{}, engine.Skip("no longer a participant of the check-in")
	}
	// And only while they are in its channel, as Slack says (a member
	// list at most a minute old, shared by the round's readers): a reader
	// who left loses the answers. When Slack cannot say, the digest waits
	// (the engine tries again) rather than guess.
	in, err := s.RecentMember(ctx, c.WorkspaceID, c.ChannelID, ec.Person.UserID)
	if err != nil {
		return engine.Message{}, fmt.Errorf("is %s in %s: %w", ec.Person.UserID, c.ChannelID, err)
	}
	if !in {
		return engine.Message{}, engine.Skip("not in the check-in's channel: its answers reach only the channel's members")
	}
	round, err := s.store.Round(ctx, c.WorkspaceID, roundID)
	if errors.Is(err, models.ErrNotFound) {
		return engine.Message{}, engine.Skip("the round no longer exists")
	}
	if err != nil {
		return engine.Message{}, err
	}
	// The round's questions as they were answered, so an edit since
	// relabels nothing.
	if c, err = s.store.AsAnswered(ctx, c, round.ID); err != nil {
		return engine.Message{}, err
	}
	sum, err := s.summary(ctx, c, round)
	if err != nil {
		return engine.Message{}, err
	}
	resps, err := s.store.Responses(ctx, c.WorkspaceID, round.ID)
	if err != nil {
		return engine.Message{}, err
	}
	var answers []DigestAnswer
	for _, r := range resps {
		if r.Status != checkinmodels.ResponseAnswered {
			continue
		}
		answers = append(answers, DigestAnswer{Name: s.name(ctx, c.WorkspaceID, r.UserID), UserID: r.UserID, Answers: r.Answers})
	}
	text, blocks := CheckinDigest(c, RoundLabel(c, round.Date), sum.answered, sum.asked, sum.aggs, sum.blockers, answers,
		fmt.Sprintf("`/trellis checkin export %d`", c.ID))
	return engine.Message{Text: text, Blocks: blocks}, nil
}

// composeHelper tells the person someone named as able to help with their
// blocker, if the asker still says they are blocked.
func (s *Service) composeHelper(ctx context.Context, c checkinmodels.Checkin, ec engine.Context, h helperNotice) (engine.Message, error) {
	roundID, key := h.Round, h.Question
	// The notice names the blocked question by its id (AnswerKey): the
	// question the person answered, even if the check-in changed since.
	asked, err := s.store.AsAnswered(ctx, c, roundID)
	if err != nil {
		return engine.Message{}, err
	}
	i := slices.IndexFunc(asked.Questions, func(q checkinmodels.Question) bool {
		return q.Kind == checkinmodels.KindBlocked && AnswerKey(0, q) == key
	})
	if i < 0 {
		// Planned before questions had ids (migration 7), the notice
		// names the blocked question by its 1-based position among the
		// questions asked now.
		if cur := c.Questions; key >= 1 && key <= len(cur) && cur[key-1].Kind == checkinmodels.KindBlocked {
			i = slices.IndexFunc(asked.Questions, func(q checkinmodels.Question) bool { return q.ID == cur[key-1].ID })
			key = AnswerKey(0, cur[key-1])
		}
	}
	if i < 0 {
		return engine.Message{}, engine.Skip(fmt.Sprintf("no blocked question %d in the round %d the notice names", h.Question, h.Round))
	}
	asker := h.Asker
	resp, err := s.store.MyResponse(ctx, c.WorkspaceID, roundID, asker)
	if errors.Is(err, models.ErrNotFound) || (err == nil && resp.Answers[key] != ValueYes) {
		return engine.Message{}, engine.Skip("the person is no longer blocked")
	}
	if err != nil {
		return engine.Message{}, err
	}
	text, blocks := HelperNotice(c, asker, asked.Questions[i].Prompt)
	return engine.Message{Text: text, Blocks: blocks}, nil
}

// roundSummary is what a closing summary and a digest count.
type roundSummary struct {
	asked, answered, blockers int
	aggs                      []checkinmodels.Aggregate
}

func (s *Service) summary(ctx context.Context, c checkinmodels.Checkin, round checkinmodels.Round) (roundSummary, error) {
	var out roundSummary
	var err error
	if out.asked, out.answered, out.blockers, err = s.store.RoundCounts(ctx, c.WorkspaceID, round.ID); err != nil {
		return out, err
	}
	ws, err := s.ws.Get(ctx, c.WorkspaceID)
	if err != nil {
		return out, fmt.Errorf("workspace %s: %w", c.WorkspaceID, err)
	}
	out.aggs, err = s.store.Aggregates(ctx, c.WorkspaceID, round.ID, ws.MinGroupSize)
	return out, err
}

// name is a person's display name, or "A teammate" when Trellis does not
// know it: a report never falls back to a mention, which would notify the
// person whatever their hours.
func (s *Service) name(ctx context.Context, workspaceID, userID string) string {
	p, err := s.ppl.Get(ctx, workspaceID, userID)
	if err != nil || strings.TrimSpace(p.Name) == "" {
		return "A teammate"
	}
	return p.Name
}
