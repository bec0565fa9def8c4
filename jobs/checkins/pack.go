package checkins

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/engine"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// Packing: Slack posts about one message a second into a channel, so a
// round whose answers queue up (a big team answering at 09:30) would fill
// its thread one answer a second. Answers of a round that are due together
// go out as one message holding several, each under its person's name in
// the text, within Block Kit's limits (PackAnswers). The outbox's
// guarantees hold for a packed message as for one answer: every post in
// it is claimed under the sender's lease, the message's metadata lists
// their ids (so an ambiguous send is found before any of them is sent
// again), and each is marked posted as that message. A person's versions
// keep their order: a version with a later one queued is never sent, and
// an edit waits while the version it replaces is being sent. An edit
// whose earlier version sits in a packed message rewrites that message
// with the earlier version shrunk to a pointer, the others as they are.

// errYielded is what sending an answer returns when it was left to
// another sender of the round's answers (deliverAnswers).
var errYielded = errors.New("another sender has the round's answers; it takes this one")

// maxPack is the most answers claimed for one message; PackAnswers
// takes as many of them as Slack's limits allow.
const maxPack = 48

// editWait is how long an edit waits for the version it replaces to be
// sent first.
const editWait = 5 * time.Second

// postIDsKey is the metadata field listing the posts a packed message
// carries, as comma-separated ids.
const postIDsKey = "post_ids"

// earlierInFlight reports whether an earlier version of p's answer, among
// posts (the person's answer posts in the round), is held by another
// claim at now and not posted yet.
func earlierInFlight(posts []checkinmodels.Post, p checkinmodels.Post, now time.Time) bool {
	for _, e := range posts {
		if e.Version < p.Version && !e.Posted && e.ClaimToken != "" && e.ClaimToken != p.ClaimToken && e.ClaimUntil.After(now) {
			return true
		}
	}
	return false
}

// packedAnswer is a post's answer as it should read now: the person's
// current answers, "edited" only when an earlier version is in the
// channel for people to have read.
func (s *Service) packedAnswer(ctx context.Context, c checkinmodels.Checkin, round checkinmodels.Round, p checkinmodels.Post) (PackedAnswer, error) {
	resp, err := s.store.MyResponse(ctx, c.WorkspaceID, round.ID, p.UserID)
	if err != nil {
		return PackedAnswer{}, err
	}
	edited := false
	if p.Version > 1 {
		earlier, err := s.store.AnswerPosts(ctx, round.ID, p.UserID)
		if err != nil {
			return PackedAnswer{}, err
		}
		for _, e := range earlier {
			edited = edited || (e.Version < p.Version && e.Posted && len(e.TS) > 0)
		}
	}
	return PackedAnswer{Name: s.name(ctx, c.WorkspaceID, p.UserID), UserID: p.UserID, Answers: resp.Answers, Edited: edited}, nil
}

// deliverAnswers sends p, a claimed answer of round, with the round's
// other answers that are due, in one message when there are several (or
// alone, under the person's name and picture). done is false, with
// nothing claimed beyond p, when p needs messages of its own (a long
// answer): the caller then sends it alone. When done, err is what the
// caller returns.
func (s *Service) deliverAnswers(ctx context.Context, hold *engine.Hold, api Slack, c checkinmodels.Checkin, round checkinmodels.Round, thread string, p checkinmodels.Post, token string) (done bool, err error) {
	// Two senders of a round's answers at once would each send a few;
	// the one holding the later answer yields, leaving its answer to the
	// other, which takes the answers waiting once its message is out.
	if busy, err := s.store.EarlierAnswerInFlight(ctx, p.RoundID, p.ID, token, s.clock.Now()); err == nil && busy {
		if err := s.releasePost(ctx, p, token); err != nil {
			return true, err
		}
		return true, errYielded
	}
	// The answers show the questions as they were answered, as render
	// does: an edit of the check-in since relabels and drops nothing.
	c, err = s.store.AsAnswered(ctx, c, round.ID)
	if err != nil {
		return false, err
	}
	first, err := s.packedAnswer(ctx, c, round, p)
	if err != nil {
		return false, err
	}
	if len(AnswerMessage(c, first.Name, first.UserID, first.Answers, first.Helper, first.Edited)) != 1 {
		return false, nil
	}
	now := s.clock.Now()
	others, err := s.store.ClaimRoundAnswers(ctx, p.WorkspaceID, p.RoundID, p.ID, token, now, s.eng.Lease(), maxPack)
	if err != nil {
		return false, err
	}
	for _, q := range others {
		hold.Add(engine.PostClaim{ID: q.ID, Token: token, Until: q.ClaimUntil})
	}
	release := func(q checkinmodels.Post) {
		hold.Drop(q.ID)
		if err := s.releasePost(ctx, q, token); err != nil {
			s.log.WarnContext(ctx, "could not release a check-in post", "post", q.ID, "err", err)
		}
	}
	batch := []checkinmodels.Post{p}
	items := map[int64]PackedAnswer{p.ID: first}
	for _, q := range others {
		versions, err := s.store.AnswerPosts(ctx, q.RoundID, q.UserID)
		if err != nil {
			release(q)
			continue
		}
		if versions[len(versions)-1].Version > q.Version {
			// A later edit is posted instead.
			if err := s.markPosted(ctx, q.ID, token, q.Channel, nil); err != nil {
				s.log.WarnContext(ctx, "could not drop an answer replaced before it was posted", "post", q.ID, "err", err)
			}
			continue
		}
		a, err := s.packedAnswer(ctx, c, round, q)
		if err != nil || earlierInFlight(versions, q, now) || q.UserID == p.UserID ||
			len(AnswerMessage(c, a.Name, a.UserID, a.Answers, a.Helper, a.Edited)) != 1 {
			// It goes later, or alone.
			release(q)
			continue
		}
		batch = append(batch, q)
		items[q.ID] = a
	}
	slices.SortFunc(batch, func(a, b checkinmodels.Post) int { return cmp.Compare(a.ID, b.ID) })

	// May be in Slack already (marked): whichever of them Slack has (alone
	// or in a packed message) is marked posted, not sent again.
	if slices.ContainsFunc(batch, func(q checkinmodels.Post) bool { return q.MayBeInSlack }) {
		oldest := batch[0].CreatedAt
		for _, q := range batch {
			if q.CreatedAt.Before(oldest) {
				oldest = q.CreatedAt
			}
		}
		found, err := s.findPostedIDs(ctx, api, c.ChannelID, thread, oldest)
		if err != nil {
			return true, s.retryAll(ctx, hold, batch, token, fmt.Errorf("look for an earlier attempt: %w", err))
		}
		kept := batch[:0]
		for _, q := range batch {
			ts, ok := found[q.ID]
			if !ok {
				kept = append(kept, q)
				continue
			}
			if err := s.markPosted(ctx, q.ID, token, c.ChannelID, []string{ts}); err != nil {
				s.log.WarnContext(ctx, "could not mark a found answer posted", "post", q.ID, "err", err)
				continue
			}
			if q.Version > 1 {
				s.markReplaced(ctx, api, c, round, q)
			}
		}
		batch = kept
	}
	if len(batch) == 0 {
		return true, nil
	}

	list := make([]PackedAnswer, len(batch))
	for i, q := range batch {
		list[i] = items[q.ID]
	}
	msg, n := PackAnswers(c, list)
	if n == 0 {
		// Cannot happen: each was checked to fit a message alone.
		n = 1
	}
	for _, q := range batch[n:] {
		release(q)
	}
	batch = batch[:n]

	var opts []slack.MsgOption
	if n == 1 {
		a := list[0]
		m := AnswerMessage(c, a.Name, a.UserID, a.Answers, a.Helper, a.Edited)[0]
		opts = append(opts, slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...),
			slack.MsgOptionMetadata(slack.SlackMetadata{EventType: postMetadataType, EventPayload: map[string]any{
				"post_id": strconv.FormatInt(batch[0].ID, 10), "part": "0", "workspace": p.WorkspaceID,
			}}))
		opts = append(opts, s.postedAs(ctx, p.WorkspaceID, batch[0].UserID)...)
	} else {
		ids := make([]string, n)
		for i, q := range batch {
			ids[i] = strconv.FormatInt(q.ID, 10)
		}
		opts = append(opts, slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...),
			slack.MsgOptionMetadata(slack.SlackMetadata{EventType: postMetadataType, EventPayload: map[string]any{
				postIDsKey: strings.Join(ids, ","), "workspace": p.WorkspaceID,
			}}))
	}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	ids := make([]int64, len(batch))
	for i, q := range batch {
		ids[i] = q.ID
	}
	ts, err := hold.Post(ctx, api, c.ChannelID, ids, opts...)
	if err != nil {
		// An ambiguous failure is looked for first on the next attempt:
		// the posts keep the wire mark Post wrote.
		return true, s.retryAll(ctx, hold, batch, token, err)
	}
	var errs []error
	for _, q := range batch {
		if err := s.markPosted(ctx, q.ID, token, c.ChannelID, []string{ts}); err != nil {
			errs = append(errs, err)
		}
	}
	for _, q := range batch {
		if q.Version > 1 {
			s.markReplaced(ctx, api, c, round, q)
		}
	}
	return true, errors.Join(errs...)
}

// retryAll gives back every post of a message Slack did not take, each
// due again as the engine's rule for Slack's answers says (or given up) —
// or at once, not counting the attempt, when it was stopped before the
// wire — and returns cause.
func (s *Service) retryAll(ctx context.Context, hold *engine.Hold, batch []checkinmodels.Post, token string, cause error) error {
	unsent := engine.Unsent(ctx, cause)
	for _, q := range batch {
		hold.Drop(q.ID)
		if unsent {
			if err := s.releasePost(ctx, q, token); err != nil {
				s.log.WarnContext(ctx, "could not give a check-in post back", "post", q.ID, "err", err)
			}
			continue
		}
		at, never := s.eng.RetryPost(ctx, cause, q.Attempts, q.CreatedAt)
		var err error
		if never {
			s.log.ErrorContext(ctx, "check-in post given up", "post", q.ID, "kind", q.Kind, "attempts", q.Attempts, "err", cause)
			err = s.markPosted(ctx, q.ID, token, q.Channel, nil)
		} else {
			err = s.retryPost(ctx, q.ID, token, at)
		}
		if err != nil {
			s.log.WarnContext(ctx, "could not give a check-in post back", "post", q.ID, "err", err)
		}
	}
	return cause
}

// findPostedIDs looks in the channel (or thread) since oldest for the
// messages holding answers, by their metadata, and returns each answer
// post's message: a packed message for every post it lists, a single
// answer's first part for its post.
func (s *Service) findPostedIDs(ctx context.Context, api Slack, channel, thread string, oldest time.Time) (map[int64]string, error) {
	found := map[int64]string{}
	err := s.eng.FindPosts(ctx, api, channel, thread, oldest, postMetadataType, func(payload map[string]any, ts string) {
		if list, ok := payload[postIDsKey].(string); ok {
			for _, id := range strings.Split(list, ",") {
				if n, err := strconv.ParseInt(id, 10, 64); err == nil {
					found[n] = ts
				}
			}
			return
		}
		id, _ := payload["post_id"].(string)
		part, _ := payload["part"].(string)
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && part == "0" {
			found[n] = ts
		}
	})
	return found, err
}

// repack rewrites the packed message ts, which holds old (an earlier
// version of an edited answer) among others: each answer replaced by a
// later version shrinks to a pointer at it, the others read as they do
// now.
func (s *Service) repack(ctx context.Context, api Slack, c checkinmodels.Checkin, round checkinmodels.Round, ts string, inMsg []checkinmodels.Post) error {
	c, err := s.store.AsAnswered(ctx, c, round.ID)
	if err != nil {
		return err
	}
	list := make([]PackedAnswer, 0, len(inMsg))
	for _, q := range inMsg {
		versions, err := s.store.AnswerPosts(ctx, round.ID, q.UserID)
		if err != nil {
			return err
		}
		replaced := slices.ContainsFunc(versions, func(v checkinmodels.Post) bool {
			return v.Version > q.Version && !(v.Posted && len(v.TS) == 0)
		})
		a := PackedAnswer{Name: s.name(ctx, c.WorkspaceID, q.UserID), UserID: q.UserID, Replaced: true}
		if !replaced {
			if a, err = s.packedAnswer(ctx, c, round, q); err != nil {
				return err
			}
		}
		list = append(list, a)
	}
	msg, n := PackAnswers(c, list)
	if n != len(list) {
		return fmt.Errorf("the packed message no longer fits (%d of %d answers)", n, len(list))
	}
	_, _, _, err = api.UpdateMessageContext(ctx, c.ChannelID, ts, slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...))
	return err
}
