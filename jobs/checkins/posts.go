package checkins

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
)

// postMetadataType is the event_type of the metadata on every check-in
// post: the post's id and which part of it the message is, so a post
// whose outcome is unknown is looked for before it is sent again.
const postMetadataType = "trellis_checkin_post"

// maxPostAttempts bounds how often a post Slack keeps refusing is tried:
// about a day at the longest wait.
const maxPostAttempts = 30

// Tick closes the rounds whose time is up (queueing their summaries, or
// planning each reader's digest) and sends the posts that are due. Every
// replica runs it each minute; the sandbox and tests step it with the
// engine.
func (s *Service) Tick(ctx context.Context, now time.Time) error {
	if _, err := s.store.CloseDueRounds(ctx, now, 100, s.onClose); err != nil {
		return fmt.Errorf("close rounds: %w", err)
	}
	for range 100 {
		due, err := s.store.DuePosts(ctx, now, 50)
		if err != nil {
			return fmt.Errorf("due posts: %w", err)
		}
		for _, p := range due {
			if err := s.deliver(ctx, p, 0); err != nil {
				s.log.WarnContext(ctx, "check-in post not sent; it will be tried again", "post", p.ID, "err", err)
			}
		}
		if len(due) < 50 {
			break
		}
	}
	return nil
}

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
func (s *Service) onClose(ctx context.Context, c models.Checkin, r models.Round) error {
	if c.Destination != models.DestinationDigest {
		_, err := s.store.QueuePost(ctx, models.CheckinPost{WorkspaceID: c.WorkspaceID, RoundID: r.ID, CheckinID: c.ID,
			Kind: models.PostSummary, Version: 1, Channel: c.ChannelID})
		return err
	}
	// Each participant reads the round at the start of their next day.
	readers, err := s.readers(ctx, c)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	key := models.CheckinScheduleKey(c.ID)
	for _, u := range readers {
		p, err := s.ppl.Get(ctx, c.WorkspaceID, u)
		at := now
		if err == nil {
			rec, rerr := s.recipient(ctx, p)
			if rerr != nil {
				return rerr
			}
			at = nextDayStart(rec, now)
		} else if !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if _, err := s.eng.PlanOnce(ctx, c.WorkspaceID, key, fmt.Sprintf("%s:%d", tagDigest, r.ID), u, at); err != nil {
			return err
		}
	}
	return nil
}

// readers are the people a digest goes to: the participants, and the owner.
func (s *Service) readers(ctx context.Context, c models.Checkin) ([]string, error) {
	targets, err := s.eng.Schedules().Targets(ctx, c.WorkspaceID, models.CheckinScheduleKey(c.ID))
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
func (s *Service) DeliverPost(ctx context.Context, p models.CheckinPost) {
	if err := s.deliver(ctx, p, 0); err != nil {
		s.log.WarnContext(ctx, "check-in post not sent yet; it will be tried again", "post", p.ID, "err", err)
	}
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// deliver claims a post and sends it: the round's thread first, when the
// post goes in one. A post tried before is looked for in the channel (or
// thread) by its metadata first, and only its missing parts are sent.
func (s *Service) deliver(ctx context.Context, p models.CheckinPost, depth int) error {
	now := s.clock.Now()
	token := newToken()
	p, ok, err := s.store.ClaimPost(ctx, p.WorkspaceID, p.ID, token, now, s.lease)
	if err != nil || !ok {
		return err
	}
	retry := func(at time.Time, cause error) error {
		if err := s.store.RetryPost(ctx, p.ID, token, at); err != nil {
			return fmt.Errorf("%w (and releasing it failed: %v)", cause, err)
		}
		return cause
	}
	giveUp := func(cause error) error {
		s.log.ErrorContext(ctx, "check-in post given up", "post", p.ID, "kind", p.Kind, "attempts", p.Attempts, "err", cause)
		return s.store.MarkPosted(ctx, p.ID, token, p.Channel, nil)
	}

	c, err := s.store.Get(ctx, p.WorkspaceID, p.CheckinID)
	if errors.Is(err, models.ErrNotFound) {
		// Deleted: there is nothing to post any more.
		return s.store.MarkPosted(ctx, p.ID, token, p.Channel, nil)
	}
	if err != nil {
		return retry(now.Add(s.retry), err)
	}
	round, err := s.store.Round(ctx, p.WorkspaceID, p.RoundID)
	if err != nil {
		return retry(now.Add(s.retry), err)
	}
	if p.Kind == models.PostAnswer {
		// A later edit is posted instead: this version would repeat it.
		later, err := s.store.AnswerPosts(ctx, p.RoundID, p.UserID)
		if err != nil {
			return retry(now.Add(s.retry), err)
		}
		if len(later) > 0 && later[len(later)-1].Version > p.Version {
			return s.store.MarkPosted(ctx, p.ID, token, p.Channel, nil)
		}
	}
	api, err := s.clients(ctx, p.WorkspaceID)
	if err != nil {
		return retry(now.Add(s.retry), err)
	}

	thread := ""
	if c.Destination == models.DestinationThread && p.Kind != models.PostHeader {
		hdr, err := s.store.QueuePost(ctx, models.CheckinPost{WorkspaceID: p.WorkspaceID, RoundID: p.RoundID, CheckinID: p.CheckinID,
			Kind: models.PostHeader, Version: 1, Channel: c.ChannelID})
		if err != nil {
			return retry(now.Add(s.retry), err)
		}
		if !hdr.Posted && depth == 0 {
			if err := s.deliver(ctx, hdr, depth+1); err != nil {
				s.log.WarnContext(ctx, "round thread not started yet", "round", p.RoundID, "err", err)
			}
			if hdr, err = s.store.RoundPost(ctx, p.RoundID, models.PostHeader); err != nil {
				return retry(now.Add(s.retry), err)
			}
		}
		if !hdr.Posted || len(hdr.TS) == 0 {
			return retry(s.clock.Now().Add(s.retry), errors.New("the round's thread is not posted yet"))
		}
		thread = hdr.TS[0]
	}

	msgs, err := s.render(ctx, c, round, p)
	if err != nil {
		return retry(now.Add(s.retry), err)
	}
	have := make([]string, len(msgs))
	if p.Attempts > 1 {
		found, err := s.findPosted(ctx, api, c.ChannelID, thread, p)
		if err != nil {
			return retry(s.clock.Now().Add(s.retry), fmt.Errorf("look for an earlier attempt: %w", err))
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
		}
		_, ts, err := api.PostMessageContext(ctx, c.ChannelID, opts...)
		if err != nil {
			var rl *slack.RateLimitedError
			var se slack.SlackErrorResponse
			switch {
			case errors.As(err, &rl):
				return retry(s.clock.Now().Add(max(rl.RetryAfter, time.Second)), err)
			case errors.As(err, &se) && p.Attempts >= maxPostAttempts:
				return giveUp(err)
			case errors.As(err, &se):
				// not_in_channel, channel_not_found, …: someone may fix it
				// (invite Trellis back); wait longer each time.
				return retry(s.clock.Now().Add(time.Duration(p.Attempts)*time.Hour/2), err)
			case errors.Is(err, bot.ErrAmbiguous):
				// The next attempt looks for it first.
				return retry(s.clock.Now().Add(s.retry), err)
			}
			return retry(s.clock.Now().Add(s.retry), err)
		}
		have[i] = ts
	}
	if err := s.store.MarkPosted(ctx, p.ID, token, c.ChannelID, have); err != nil {
		return err
	}
	if p.Kind == models.PostHeader && len(have) > 0 {
		if err := s.store.SetThreadTS(ctx, p.RoundID, have[0]); err != nil {
			s.log.WarnContext(ctx, "could not store the round's thread", "round", p.RoundID, "err", err)
		}
	}
	if p.Kind == models.PostAnswer && p.Version > 1 {
		s.markReplaced(ctx, api, c, p)
	}
	return nil
}

// render writes a post's messages as they should read now.
func (s *Service) render(ctx context.Context, c models.Checkin, round models.Round, p models.CheckinPost) ([]views.ReportMessage, error) {
	label := RoundLabel(c, round.Date)
	switch p.Kind {
	case models.PostHeader:
		text, blocks := views.RoundHeader(c, label)
		return []views.ReportMessage{{Text: text, Blocks: blocks}}, nil
	case models.PostSummary:
		sum, err := s.summary(ctx, c, round)
		if err != nil {
			return nil, err
		}
		text, blocks := views.RoundSummary(c, label, sum.answered, sum.asked, sum.aggs, sum.blockers)
		return []views.ReportMessage{{Text: text, Blocks: blocks}}, nil
	case models.PostAnswer:
		resp, err := s.store.MyResponse(ctx, c.WorkspaceID, round.ID, p.UserID)
		if err != nil {
			return nil, err
		}
		return views.AnswerMessage(c, s.name(ctx, c.WorkspaceID, p.UserID), p.UserID, resp.Answers, nil, p.Version > 1), nil
	}
	return nil, fmt.Errorf("unknown post kind %q", p.Kind)
}

// findPosted looks for the parts of p already in the channel or thread,
// by their metadata, and returns their timestamps by part.
func (s *Service) findPosted(ctx context.Context, api Slack, channel, thread string, p models.CheckinPost) (map[int]string, error) {
	found := map[int]string{}
	match := func(m slack.Message) {
		if m.Metadata.EventType != postMetadataType {
			return
		}
		id, _ := m.Metadata.EventPayload["post_id"].(string)
		part, _ := m.Metadata.EventPayload["part"].(string)
		n, err := strconv.Atoi(part)
		if id == strconv.FormatInt(p.ID, 10) && err == nil {
			found[n] = m.Timestamp
		}
	}
	oldest := strconv.FormatInt(p.CreatedAt.Add(-time.Minute).Unix(), 10) + ".000000"
	if thread != "" {
		params := &slack.GetConversationRepliesParameters{ChannelID: channel, Timestamp: thread, Oldest: oldest, Limit: 200, IncludeAllMetadata: true}
		for range 20 {
			msgs, more, cursor, err := api.GetConversationRepliesContext(ctx, params)
			if err != nil {
				return nil, err
			}
			for _, m := range msgs {
				match(m)
			}
			if !more || cursor == "" {
				break
			}
			params.Cursor = cursor
		}
		return found, nil
	}
	params := &slack.GetConversationHistoryParameters{ChannelID: channel, Oldest: oldest, Limit: 200, IncludeAllMetadata: true}
	for range 20 {
		resp, err := api.GetConversationHistoryContext(ctx, params)
		if err != nil {
			return nil, err
		}
		for _, m := range resp.Messages {
			match(m)
		}
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			break
		}
		params.Cursor = resp.ResponseMetaData.NextCursor
	}
	return found, nil
}

// markReplaced shortens the earlier versions of an edited answer to a line
// pointing at the new one, so the thread does not show both in full.
func (s *Service) markReplaced(ctx context.Context, api Slack, c models.Checkin, p models.CheckinPost) {
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
			if _, _, _, err := api.UpdateMessageContext(ctx, c.ChannelID, ts, slack.MsgOptionText(line, false),
				slack.MsgOptionBlocks(slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, line, false, false)))); err != nil {
				s.log.WarnContext(ctx, "could not mark an edited answer", "post", old.ID, "err", err)
			}
		}
	}
}
