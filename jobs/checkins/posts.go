package checkins

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// postMetadataType is the event_type of the metadata on every check-in
// post: the post's id and which part of it the message is, so a post
// whose outcome is unknown is looked for before it is sent again.
const postMetadataType = "trellis_checkin_post"

// postOutbox names the check-ins' post outbox to the engine, which holds
// and renews its claims.
const postOutbox = "checkin_posts"

// Tick closes the rounds whose time is up (queueing their summaries, or
// planning each reader's digest) and sends the posts that are due. Every
// replica runs it each minute; the sandbox and tests step it with the
// engine.
func (s *Service) Tick(ctx context.Context, now time.Time) error {
	// A round that cannot close does not hold the posts back.
	_, closeErr := s.store.CloseDueRounds(ctx, now, 100, s.onClose)
	if closeErr != nil {
		closeErr = fmt.Errorf("close rounds: %w", closeErr)
	}
	if err := s.sweepPrompts(ctx, now); err != nil {
		closeErr = errors.Join(closeErr, fmt.Errorf("mark prompts closed: %w", err))
	}
	// Posts go out at their channel's pace, about one a second; a backlog
	// is sent over several ticks rather than holding this one (and the
	// engine's next) for minutes.
	start := s.clock.Now()
	// Rounds whose answers another sender has: it takes the rest, and
	// their summary waits for a later tick, so it never comes before
	// answers it counts.
	yielded := map[int64]bool{}
	for range 100 {
		if s.clock.Now().Sub(start) > postBudget {
			break
		}
		due, err := s.store.DuePosts(ctx, now, 50)
		if err != nil {
			return fmt.Errorf("due posts: %w", err)
		}
		progress := false
		for _, p := range due {
			if s.clock.Now().Sub(start) > postBudget {
				break
			}
			// The round's answers, and its summary after them, are the
			// other sender's to post.
			if yielded[p.RoundID] {
				continue
			}
			switch err := s.deliver(ctx, p, 0); {
			case errors.Is(err, errYielded):
				yielded[p.RoundID] = true
			case err != nil:
				s.log.WarnContext(ctx, "check-in post not sent; it will be tried again", "post", p.ID, "err", err)
			default:
				progress = true
			}
		}
		// Posts queued meanwhile (answers coming in while others were
		// sent) are due too: look again until none is left.
		if len(due) == 0 || !progress {
			break
		}
	}
	return closeErr
}

// postBudget is how long one Tick spends sending posts.
const postBudget = 45 * time.Second

// NextDue is when Tick next has work: a round closing or a post due.
func (s *Service) NextDue(ctx context.Context) (time.Time, bool, error) {
	a, aok, err := s.store.NextRoundClose(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	b, bok, err := s.store.NextPostDue(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	switch {
	case aok && bok:
		if b.Before(a) {
			return b, true, nil
		}
		return a, true, nil
	case aok:
		return a, true, nil
	}
	return b, bok, nil
}

// onClose runs in the transaction that closes a round: whatever it queues
// or plans commits with the close, or not at all.
func (s *Service) onClose(ctx context.Context, c checkinmodels.Checkin, r checkinmodels.Round) error {
	now := s.clock.Now()
	if last, ok, err := s.stillToAsk(ctx, c, r, now); err != nil {
		return err
	} else if ok {
		return &checkinmodels.PostponeClose{Until: last.Add(c.RoundLength)}
	}
	// Every asked person's prompt then says the round closed.
	if _, err := s.store.QueuePromptUpdates(ctx, c.WorkspaceID, r.ID, now); err != nil {
		return err
	}
	if c.Destination != checkinmodels.DestinationDigest {
		_, err := s.store.QueuePost(ctx, checkinmodels.Post{WorkspaceID: c.WorkspaceID, RoundID: r.ID, CheckinID: c.ID,
			Kind: checkinmodels.PostSummary, Version: 1, Channel: c.ChannelID})
		return err
	}
	// Each participant reads the round at the start of their next day.
	readers, err := s.readers(ctx, c)
	if err != nil {
		return err
	}
	key := checkinmodels.ScheduleKey(c.ID)
	for _, u := range readers {
		p, err := s.ppl.Get(ctx, c.WorkspaceID, u)
		at := now
		if err == nil {
			rec, rerr := s.recipient(ctx, p)
			if rerr != nil {
				return rerr
			}
			at = dayStart(rec, now)
		} else if !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if _, err := s.eng.PlanOnce(ctx, c.WorkspaceID, key, digest{Round: r.ID}, u, at); err != nil {
			return err
		}
	}
	return nil
}

// stillToAsk is the latest instant at which a participant is still to be
// asked a round, on its date in their own zone: their cadence's instant
// that day when it has not come yet (people further west), or their prompt
// waiting for later that day (a night shift starting in the evening). A
// prompt put off by more than a day — time off, a holiday — does not hold
// the round open; it is superseded by the next one.
func (s *Service) stillToAsk(ctx context.Context, c checkinmodels.Checkin, r checkinmodels.Round, now time.Time) (time.Time, bool, error) {
	key := checkinmodels.ScheduleKey(c.ID)
	// A date's instants run from its midnight at UTC+14 to its end at
	// UTC-12.
	from := time.Date(r.Date.Year, r.Date.Month, r.Date.Day, 0, 0, 0, 0, time.UTC).Add(-14 * time.Hour)
	to := from.Add(50 * time.Hour)
	targets, err := s.eng.Schedules().TargetsOf(ctx, c.WorkspaceID, key)
	if err != nil {
		return time.Time{}, false, err
	}
	waiting, err := s.occ.Waiting(ctx, c.WorkspaceID, key, from, to)
	if err != nil {
		return time.Time{}, false, err
	}
	var ids []string
	for _, t := range targets {
		ids = append(ids, t.Recipient)
	}
	for _, o := range waiting {
		ids = append(ids, o.Recipient)
	}
	if len(ids) == 0 {
		return time.Time{}, false, nil
	}
	people, _, err := s.ppl.GetMany(ctx, c.WorkspaceID, ids, r.Date)
	if err != nil {
		return time.Time{}, false, err
	}
	onDate := func(user string, t time.Time) bool {
		loc := time.UTC
		if p, ok := people[user]; ok {
			loc = p.Location()
		}
		return calendar.DateOf(t.In(loc)) == r.Date
	}
	var last time.Time
	found := false
	later := func(t time.Time) {
		if !found || t.After(last) {
			last, found = t, true
		}
	}
	for _, t := range targets {
		if t.NextAt.After(now) && !t.NextAt.After(to) && onDate(t.Recipient, t.NextAt) {
			later(t.NextAt)
		}
	}
	for _, o := range waiting {
		if onDate(o.Recipient, o.NominalAt) && o.DeliverAt.Sub(o.NominalAt) <= 24*time.Hour {
			later(latest(o.DeliverAt, now))
		}
	}
	return last, found, nil
}

// latest is the later of two instants.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// readers are the people a digest goes to: the participants, and the owner.
func (s *Service) readers(ctx context.Context, c checkinmodels.Checkin) ([]string, error) {
	targets, err := s.eng.Schedules().Targets(ctx, c.WorkspaceID, checkinmodels.ScheduleKey(c.ID))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, u := range append(targets, c.OwnerID) {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out, nil
}

// DeliverPost sends a queued post now, after the ack of what queued it.
// Whatever fails is left for Tick to try again.
//
// An answer waits when another answer of its round is being sent: that
// sender takes the answers waiting once its message is out, several in one
// message, so a busy round's thread fills at the channel's pace in
// messages rather than in answers. Otherwise the answer goes out now (with
// any others waiting), and then whatever answers of the round came in
// meanwhile, within postBudget; what is left is Tick's.
func (s *Service) DeliverPost(ctx context.Context, p checkinmodels.Post) {
	if p.Kind == checkinmodels.PostAnswer {
		busy, err := s.store.AnswerInFlight(ctx, p.RoundID, p.ID, s.clock.Now())
		if err == nil && busy {
			return
		}
	}
	switch err := s.deliver(ctx, p, 0); {
	case errors.Is(err, errYielded):
		// Another sender has the round's answers and takes the rest.
		return
	case err != nil:
		s.log.WarnContext(ctx, "check-in post not sent yet; it will be tried again", "post", p.ID, "err", err)
		return
	}
	if p.Kind != checkinmodels.PostAnswer {
		return
	}
	start := s.clock.Now()
	for range 100 {
		if s.clock.Now().Sub(start) > postBudget {
			return
		}
		next, ok, err := s.store.NextDueAnswer(ctx, p.RoundID, s.clock.Now())
		if err != nil || !ok {
			return
		}
		if err := s.deliver(ctx, next, 0); err != nil {
			if !errors.Is(err, errYielded) {
				s.log.WarnContext(ctx, "check-in post not sent yet; it will be tried again", "post", next.ID, "err", err)
			}
			return
		}
	}
}

// markPosted, retryPost and releasePost write the outcome of a post's
// claim with engine.WriteContext: a sender that is stopping, or whose
// run's time is up, still records what it sent and hands back at once
// what it did not, rather than leaving it claimed for the rest of its
// lease.
func (s *Service) markPosted(ctx context.Context, id int64, token, channel string, ts []string) error {
	ctx, cancel := engine.WriteContext(ctx)
	defer cancel()
	return s.store.MarkPosted(ctx, id, token, channel, ts)
}

func (s *Service) retryPost(ctx context.Context, id int64, token string, at time.Time) error {
	ctx, cancel := engine.WriteContext(ctx)
	defer cancel()
	return s.store.RetryPost(ctx, id, token, at)
}

// releasePost hands back p, claimed under token, not tried: its wire mark
// stays only if the claim found it (p.MayBeInSlack).
func (s *Service) releasePost(ctx context.Context, p checkinmodels.Post, token string) error {
	ctx, cancel := engine.WriteContext(ctx)
	defer cancel()
	return s.store.ReleasePost(ctx, p.ID, token, p.MayBeInSlack)
}

// setThreadTS records a round's thread once its header is posted, with
// engine.WriteContext like the post's outcome.
func (s *Service) setThreadTS(ctx context.Context, roundID int64, ts string) error {
	ctx, cancel := engine.WriteContext(ctx)
	defer cancel()
	return s.store.SetThreadTS(ctx, roundID, ts)
}

// newToken is a post claim's token. Its prefix says the claim marks the
// wire before it sends (models.MarkingToken): a claim taking it over
// looks for the post in Slack only if it is marked.
func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return models.MarkingToken + hex.EncodeToString(b)
}

// deliver claims a post and sends it: the round's thread first, when the
// post goes in one. A post that may already be in Slack (its claim found
// it marked: a send of it began, or was taken by a build that left no
// mark) is looked for in the channel (or thread) by its metadata first,
// and only its missing parts are sent.
//
// The engine holds the claim: its heartbeat renews the lease while the
// post waits for Slack, the post goes on the wire only while the lease is
// held with a quarter left, and what Slack does not take is tried again by
// the engine's rule for Slack's errors and Retry-After.
func (s *Service) deliver(ctx context.Context, p checkinmodels.Post, depth int) error {
	now := s.clock.Now()
	token := newToken()
	p, ok, err := s.store.ClaimPost(ctx, p.WorkspaceID, p.ID, token, now, s.eng.Lease())
	if err != nil || !ok {
		return err
	}
	hold := s.eng.HoldPosts(ctx, postOutbox, s.store.RenewPost, s.store.RenewPostToSend, engine.PostClaim{ID: p.ID, Token: token, Until: p.ClaimUntil})
	defer hold.Release()
	if p.NextAttemptAt.After(now) {
		// Put off since it was found due (it failed in a packed message
		// meanwhile): not yet.
		return s.releasePost(ctx, p, token)
	}
	retry := func(at time.Time, cause error) error {
		if err := s.retryPost(ctx, p.ID, token, at); err != nil {
			return fmt.Errorf("%w (and releasing it failed: %v)", cause, err)
		}
		return cause
	}
	giveUp := func(cause error) error {
		s.log.ErrorContext(ctx, "check-in post given up", "post", p.ID, "kind", p.Kind, "attempts", p.Attempts, "err", cause)
		return s.markPosted(ctx, p.ID, token, p.Channel, nil)
	}
	// retryAfterSlack hands the post back as the engine's rule for Slack's
	// answers says (engine.RetryPost), or at once when it was stopped
	// before the wire: released, not counting the attempt, if nothing of
	// it reached Slack in this attempt (its wire mark kept only if the
	// claim found it), retried, keeping the mark (so the next attempt looks
	// for the parts sent), if some did.
	// sent says a part of the post reached Slack in this attempt.
	sent := false
	retryAfterSlack := func(err error) error {
		if engine.Unsent(ctx, err) && sent {
			return retry(s.clock.Now(), err)
		}
		if engine.Unsent(ctx, err) {
			if rerr := s.releasePost(ctx, p, token); rerr != nil {
				return fmt.Errorf("%w (and handing it back failed: %v)", err, rerr)
			}
			return err
		}
		at, never := s.eng.RetryPost(ctx, err, p.Attempts, p.CreatedAt)
		if never {
			return giveUp(err)
		}
		return retry(at, err)
	}

	c, err := s.store.Get(ctx, p.WorkspaceID, p.CheckinID)
	if errors.Is(err, models.ErrNotFound) {
		// Deleted: there is nothing to post any more.
		return s.markPosted(ctx, p.ID, token, p.Channel, nil)
	}
	if err != nil {
		return retry(now.Add(s.retry), err)
	}
	round, err := s.store.Round(ctx, p.WorkspaceID, p.RoundID)
	if err != nil {
		return retry(now.Add(s.retry), err)
	}
	if p.Kind == checkinmodels.PostAnswer {
		// A later edit is posted instead: this version would repeat it.
		later, err := s.store.AnswerPosts(ctx, p.RoundID, p.UserID)
		if err != nil {
			return retry(now.Add(s.retry), err)
		}
		if len(later) > 0 && later[len(later)-1].Version > p.Version {
			return s.markPosted(ctx, p.ID, token, p.Channel, nil)
		}
		if earlierInFlight(later, p, now) {
			// The version this edit replaces is being sent: the edit
			// follows it, never the other way round.
			return retry(now.Add(editWait), errors.New("the answer's earlier version is being sent"))
		}
	}
	api, err := s.clients(ctx, p.WorkspaceID)
	if err != nil {
		return retry(now.Add(s.retry), err)
	}

	thread := ""
	if c.Destination == checkinmodels.DestinationThread && p.Kind != checkinmodels.PostHeader {
		hdr, err := s.store.QueuePost(ctx, checkinmodels.Post{WorkspaceID: p.WorkspaceID, RoundID: p.RoundID, CheckinID: p.CheckinID,
			Kind: checkinmodels.PostHeader, Version: 1, Channel: c.ChannelID, NextAttemptAt: now})
		if err != nil {
			return retry(now.Add(s.retry), err)
		}
		if hdr.Posted && len(hdr.TS) == 0 {
			// The thread was given up on (the channel is gone): post at
			// the top level rather than lose the post.
			hdr.TS = nil
		} else if !hdr.Posted && depth == 0 && !hdr.NextAttemptAt.After(s.clock.Now()) {
			if err := s.deliver(ctx, hdr, depth+1); err != nil {
				s.log.WarnContext(ctx, "round thread not started yet", "round", p.RoundID, "err", err)
			}
			if hdr, err = s.store.RoundPost(ctx, p.RoundID, checkinmodels.PostHeader); err != nil {
				return retry(now.Add(s.retry), err)
			}
			if !hdr.Posted && hdr.ClaimToken != "" && hdr.ClaimUntil.After(s.clock.Now()) {
				// Another sender (an answer's, on this replica or another)
				// is starting the thread right now: it takes the round's
				// answers due once the thread is there, this one with them,
				// rather than this one waiting a minute.
				if err := s.releasePost(ctx, p, token); err != nil {
					return err
				}
				return errYielded
			}
		}
		switch {
		case !hdr.Posted:
			// Wait for the thread, as long as it waits for Slack.
			return retry(latest(hdr.NextAttemptAt, s.clock.Now().Add(s.retry)), errors.New("the round's thread is not posted yet"))
		case len(hdr.TS) > 0:
			thread = hdr.TS[0]
		}
	}

	if p.Kind == checkinmodels.PostAnswer && depth == 0 {
		done, err := s.deliverAnswers(ctx, hold, api, c, round, thread, p, token)
		if done {
			return err
		}
		if err != nil {
			return retry(now.Add(s.retry), err)
		}
	}

	msgs, err := s.render(ctx, c, round, p)
	if err != nil {
		return retry(now.Add(s.retry), err)
	}
	have := make([]string, len(msgs))
	if p.MayBeInSlack {
		found, err := s.findPosted(ctx, api, c.ChannelID, thread, p)
		if err != nil {
			return retryAfterSlack(fmt.Errorf("look for an earlier attempt: %w", err))
		}
		for i := range have {
			have[i] = found[i]
		}
	}
	for i, m := range msgs {
		if have[i] != "" {
			continue
		}
		opts := []slack.MsgOption{
			slack.MsgOptionText(m.Text, false),
			slack.MsgOptionBlocks(m.Blocks...),
			slack.MsgOptionMetadata(slack.SlackMetadata{EventType: postMetadataType, EventPayload: map[string]any{
				"post_id": strconv.FormatInt(p.ID, 10), "part": strconv.Itoa(i), "workspace": p.WorkspaceID,
			}}),
		}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
			if p.Kind == checkinmodels.PostSummary {
				// The summary is also shown in the channel, so people
				// see it without opening the thread.
				opts = append(opts, slack.MsgOptionBroadcast())
			}
		}
		if p.Kind == checkinmodels.PostAnswer {
			opts = append(opts, s.postedAs(ctx, p.WorkspaceID, p.UserID)...)
		}
		ts, err := hold.Post(ctx, api, c.ChannelID, []int64{p.ID}, opts...)
		if err != nil {
			// An ambiguous failure is looked for first on the next
			// attempt: the post keeps the wire mark Post wrote.
			return retryAfterSlack(err)
		}
		have[i] = ts
		sent = true
	}
	if err := s.markPosted(ctx, p.ID, token, c.ChannelID, have); err != nil {
		return err
	}
	if p.Kind == checkinmodels.PostHeader && len(have) > 0 {
		if err := s.setThreadTS(ctx, p.RoundID, have[0]); err != nil {
			s.log.WarnContext(ctx, "could not store the round's thread", "round", p.RoundID, "err", err)
		}
	}
	if p.Kind == checkinmodels.PostAnswer && p.Version > 1 {
		s.markReplaced(ctx, api, c, round, p)
	}
	return nil
}

// maxUsername bounds the name a message is posted under (Slack's display
// names are at most 80 characters).
const maxUsername = 80

// postedAs posts a person's answer under their name and profile picture,
// as stand-up bots do (chat:write.customize); as the bot when Trellis does
// not know the person.
func (s *Service) postedAs(ctx context.Context, workspaceID, userID string) []slack.MsgOption {
	p, err := s.ppl.Get(ctx, workspaceID, userID)
	name := strings.Join(strings.Fields(p.Name), " ")
	if err != nil || name == "" {
		return nil
	}
	if r := []rune(name); len(r) > maxUsername {
		name = string(r[:maxUsername-1]) + "…"
	}
	opts := []slack.MsgOption{slack.MsgOptionUsername(name)}
	if p.AvatarURL != "" {
		opts = append(opts, slack.MsgOptionIconURL(p.AvatarURL))
	}
	return opts
}

// render writes a post's messages as they should read now.
func (s *Service) render(ctx context.Context, c checkinmodels.Checkin, round checkinmodels.Round, p checkinmodels.Post) ([]ReportMessage, error) {
	label := RoundLabel(c, round.Date)
	// A round's posts show the questions as they were answered: an edit of
	// the check-in since relabels nothing.
	c, err := s.store.AsAnswered(ctx, c, round.ID)
	if err != nil {
		return nil, err
	}
	switch p.Kind {
	case checkinmodels.PostHeader:
		text, blocks := RoundHeader(c, label)
		return []ReportMessage{{Text: text, Blocks: blocks}}, nil
	case checkinmodels.PostSummary:
		sum, err := s.summary(ctx, c, round)
		if err != nil {
			return nil, err
		}
		text, blocks := RoundSummary(c, label, sum.answered, sum.asked, sum.aggs, sum.blockers)
		return []ReportMessage{{Text: text, Blocks: blocks}}, nil
	case checkinmodels.PostAnswer:
		a, err := s.packedAnswer(ctx, c, round, p)
		if err != nil {
			return nil, err
		}
		return AnswerMessage(c, a.Name, a.UserID, a.Answers, a.Helper, a.Edited), nil
	}
	return nil, fmt.Errorf("unknown post kind %q", p.Kind)
}

// findPosted looks for the parts of p already in the channel or thread,
// by their metadata, and returns their timestamps by part.
func (s *Service) findPosted(ctx context.Context, api Slack, channel, thread string, p checkinmodels.Post) (map[int]string, error) {
	found := map[int]string{}
	err := s.eng.FindPosts(ctx, api, channel, thread, p.CreatedAt, postMetadataType, func(payload map[string]any, ts string) {
		id, _ := payload["post_id"].(string)
		part, _ := payload["part"].(string)
		n, err := strconv.Atoi(part)
		if id == strconv.FormatInt(p.ID, 10) && err == nil {
			found[n] = ts
		}
	})
	return found, err
}

// markReplaced shortens the earlier versions of an edited answer to a line
// pointing at the new one, so the thread does not show both in full; an
// earlier version inside a packed message shrinks to that line within it,
// the other answers there unchanged.
func (s *Service) markReplaced(ctx context.Context, api Slack, c checkinmodels.Checkin, round checkinmodels.Round, p checkinmodels.Post) {
	posts, err := s.store.AnswerPosts(ctx, p.RoundID, p.UserID)
	if err != nil {
		s.log.WarnContext(ctx, "could not read earlier answers", "post", p.ID, "err", err)
		return
	}
	line := "_This answer was edited; the new version is below._"
	for _, old := range posts {
		if old.Version >= p.Version || !old.Posted {
			continue
		}
		for _, ts := range old.TS {
			if ts == "" {
				continue
			}
			if len(old.TS) == 1 {
				inMsg, err := s.store.AnswersPostedAs(ctx, p.RoundID, ts)
				if err != nil {
					s.log.WarnContext(ctx, "could not mark an edited answer", "post", old.ID, "err", err)
					continue
				}
				if len(inMsg) > 1 {
					if err := s.repack(ctx, api, c, round, ts, inMsg); err != nil {
						s.log.WarnContext(ctx, "could not mark an edited answer in a packed message", "post", old.ID, "err", err)
					}
					continue
				}
			}
			if _, _, _, err := api.UpdateMessageContext(ctx, c.ChannelID, ts, slack.MsgOptionText(line, false),
				slack.MsgOptionBlocks(slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, line, false, false)))); err != nil {
				s.log.WarnContext(ctx, "could not mark an edited answer", "post", old.ID, "err", err)
			}
		}
	}
}
