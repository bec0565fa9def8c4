package checkins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/models"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// RewritePrompts changes the DMs that asked a person a round of c: only
// the messages Trellis recorded as its own for that person and round (the
// receipts of the occurrences that asked, reminded or brought a snoozed
// prompt back; see checkinmodels.Store.PromptMessages). Each is read back
// from Slack — Trellis's own message, which nobody else can edit — and
// change is given its blocks; a message change leaves as it was is not
// updated. The caller checks the round belongs to c.
func (s *Service) RewritePrompts(ctx context.Context, c checkinmodels.Checkin, roundID int64, userID string, change func([]slack.Block) []slack.Block) error {
	msgs, err := s.store.PromptMessages(ctx, c.WorkspaceID, c.ID, roundID, userID)
	if err != nil || len(msgs) == 0 {
		return err
	}
	api, err := s.clients(ctx, c.WorkspaceID)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range msgs {
		if err := s.rewritePrompt(ctx, api, c.WorkspaceID, m, change); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// errPromptBusy is a prompt another writer kept changing for longer than
// rewritePrompt waits; the caller tries again later (or gives up).
var errPromptBusy = errors.New("another change of the prompt is under way")

// Several rounds' prompts can share one DM, and each change reads the
// message, changes its round's part and writes the whole message back: a
// writer holds the message (checkinmodels.Store.LockMessage) from its read to
// its write, so no change is written over. promptLockLease bounds a hold
// a stopped replica leaves; promptLockWait is how long a writer waits for
// another's, in steps of promptLockStep.
const (
	promptLockLease = time.Minute
	promptLockWait  = 3 * time.Second
	promptLockStep  = 100 * time.Millisecond
)

// rewritePrompt changes one recorded prompt message, holding it while it
// reads and writes it.
func (s *Service) rewritePrompt(ctx context.Context, api Slack, workspaceID string, m models.Receipt, change func([]slack.Block) []slack.Block) error {
	token := newToken()
	for waited := time.Duration(0); ; waited += promptLockStep {
		held, err := s.store.LockMessage(ctx, workspaceID, m.Channel, m.TS, token, s.clock.Now(), promptLockLease)
		if err != nil {
			return err
		}
		if held {
			break
		}
		if waited >= promptLockWait {
			return fmt.Errorf("prompt %s/%s: %w", m.Channel, m.TS, errPromptBusy)
		}
		// Real time, whatever the injected clock says: the other writer
		// is a real goroutine or replica.
		t := time.NewTimer(promptLockStep)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	defer func() {
		if err := s.store.UnlockMessage(context.WithoutCancel(ctx), m.Channel, m.TS, token); err != nil {
			s.log.WarnContext(ctx, "could not release a prompt message", "channel", m.Channel, "ts", m.TS, "err", err)
		}
	}()
	hist, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
		ChannelID: m.Channel, Latest: m.TS, Oldest: m.TS, Inclusive: true, Limit: 1})
	if err != nil {
		return fmt.Errorf("read prompt %s/%s: %w", m.Channel, m.TS, err)
	}
	i := slices.IndexFunc(hist.Messages, func(x slack.Message) bool { return x.Timestamp == m.TS })
	if i < 0 {
		return nil // deleted in Slack: nothing to change
	}
	msg := hist.Messages[i]
	blocks := change(msg.Blocks.BlockSet)
	if sameBlocks(blocks, msg.Blocks.BlockSet) {
		return nil
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, m.Channel, m.TS, slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return fmt.Errorf("update prompt %s/%s: %w", m.Channel, m.TS, err)
	}
	return nil
}

// sameBlocks reports whether two block lists say the same in Slack's JSON.
func sameBlocks(a, b []slack.Block) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// promptBatch is how many queued prompt updates one claim takes, and
// promptClaims how many claims one sweep makes. Each update is two Tier 3
// calls (conversations.history and chat.update, 50 a minute each), paced
// by the outbound client; a big round's prompts are changed over several
// sweeps. A wait for a slot is never cut short: the pacer has reserved the
// slot by then.
const (
	promptBatch       = 10
	promptClaims      = 2
	promptMaxAttempts = 30
	// promptSweepTimeout bounds one background sweep.
	promptSweepTimeout = 3 * time.Minute
)

// sweepPrompts runs closePrompts: in the tick, or, with
// Config.BackgroundPromptUpdates, beside it — one sweep at a time per
// process — so that its pacing never holds up the tick's DMs and posts.
// The changes are best effort, a notice on a message whose buttons
// already answer correctly, so they do not make a tick due by themselves:
// the next tick that runs (every minute in production) takes them.
func (s *Service) sweepPrompts(ctx context.Context, now time.Time) error {
	if !s.background {
		return s.closePrompts(ctx, now)
	}
	if !s.sweeping.TryLock() {
		return nil
	}
	go func() {
		defer s.sweeping.Unlock()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), promptSweepTimeout)
		defer cancel()
		if err := s.closePrompts(ctx, now); err != nil {
			s.log.WarnContext(ctx, "could not mark every closed prompt", "err", err)
		}
	}()
	return nil
}

// closePrompts changes the prompts of closed rounds, queued by the close
// (onClose), to say the round closed. Each person's update is claimed
// under a lease and marked done afterwards; one lost to a crash is claimed
// again when its lease runs out and made again, which chat.update makes
// harmless.
func (s *Service) closePrompts(ctx context.Context, now time.Time) error {
	token := newToken()
	var errs []error
	for range promptClaims {
		ups, err := s.store.ClaimPromptUpdates(ctx, token, now, s.lease, promptBatch)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		for _, u := range ups {
			var retry time.Time
			if err := s.closePrompt(ctx, u); err != nil {
				if u.Attempts < promptMaxAttempts {
					retry = now.Add(s.retry)
				}
				s.log.WarnContext(ctx, "could not mark a prompt closed", "round", u.RoundID, "attempt", u.Attempts, "err", err)
			}
			if err := s.store.FinishPromptUpdate(ctx, u, retry); err != nil {
				errs = append(errs, err)
			}
		}
		if len(ups) < promptBatch {
			break
		}
	}
	return errors.Join(errs...)
}

// closePrompt changes one person's prompts of a closed round.
func (s *Service) closePrompt(ctx context.Context, u checkinmodels.PromptUpdate) error {
	round, err := s.store.Round(ctx, u.WorkspaceID, u.RoundID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	c, err := s.store.Get(ctx, u.WorkspaceID, round.CheckinID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	resp, err := s.store.MyResponse(ctx, u.WorkspaceID, round.ID, u.UserID)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	loc := time.UTC
	if p, err := s.ppl.Get(ctx, u.WorkspaceID, u.UserID); err == nil {
		loc = p.Location()
	}
	where := AnswersGoTo(c)
	return s.RewritePrompts(ctx, c, round.ID, u.UserID, func(b []slack.Block) []slack.Block {
		return PromptClosed(b, c, round.ID, resp.Status, round.ClosesAt, loc, where)
	})
}
