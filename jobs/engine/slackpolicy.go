package engine

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
)

// failure is what a failed chat.postMessage means for what it carried,
// read the same way for DMs and channel posts.
type failure int

const (
	// failUnsent: stopped before the call went on the wire (the check
	// right before it said no, or the caller stopped); nothing can be in
	// Slack.
	failUnsent failure = iota + 1
	// failAmbiguous: the call may have reached Slack; it is looked for in
	// the conversation before anything is sent again.
	failAmbiguous
	// failRateLimited: Slack asked to wait (429); its Retry-After is in
	// slackFailure.retryAfter.
	failRateLimited
	// failRefused: Slack answered with an error code.
	failRefused
	// failOther: anything else that kept Slack from taking it.
	failOther
)

// slackFailure is a failed post, read by readFailure.
type slackFailure struct {
	kind       failure
	retryAfter time.Duration
	code       string
}

// readFailure reads an error from sending a message (err is not nil).
func readFailure(ctx context.Context, err error) slackFailure {
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	switch {
	case errors.Is(err, bot.ErrAmbiguous):
		return slackFailure{kind: failAmbiguous}
	case errors.Is(err, errLeaseEnding), errors.Is(err, errStale), errors.Is(err, errWindowClosed), errors.Is(err, errUnmarked):
		return slackFailure{kind: failUnsent}
	case ctx.Err() != nil:
		// Stopped before the call went on the wire (an ambiguous one is
		// the case above).
		return slackFailure{kind: failUnsent}
	case errors.As(err, &rl):
		return slackFailure{kind: failRateLimited, retryAfter: rl.RetryAfter}
	case errors.As(err, &se):
		return slackFailure{kind: failRefused, code: se.Err}
	}
	return slackFailure{kind: failOther}
}

// maxPostAge bounds how long a post Slack keeps refusing is tried: long
// enough for someone to invite Trellis back into its channel.
const maxPostAge = 24 * time.Hour

// retryAt is the one rule for when something Slack did not take is tried
// again, and when it is given up:
//
//   - Slack asked to wait (429): after its Retry-After (at least a second);
//   - Slack refused an occurrence with a code that can never pass
//     (permanent): given up — an occurrence has its own window, and the
//     next one comes;
//   - Slack refused a feature's post (tries claims so far, first queued at
//     queued): someone may fix it (invite Trellis back into the channel),
//     so it waits longer each time, 30 minutes a try up to two hours, for a
//     day; then it is given up;
//   - anything else: after the engine's RetryAfter.
func (e *Engine) retryAt(f slackFailure, post bool, tries int, queued, now time.Time) (at time.Time, giveUp bool) {
	switch {
	case f.kind == failRateLimited:
		return now.Add(max(f.retryAfter, time.Second)), false
	case f.kind == failRefused && post && now.Sub(queued) > maxPostAge:
		return time.Time{}, true
	case f.kind == failRefused && post:
		return now.Add(min(time.Duration(max(tries, 1))*30*time.Minute, 2*time.Hour)), false
	case f.kind == failRefused && permanent(f.code):
		return time.Time{}, true
	}
	return now.Add(e.retryAfter), false
}

// permanent reports whether a Slack error code means the message can
// never be delivered, so trying again would only repeat it.
func permanent(code string) bool {
	switch code {
	case "channel_not_found", "user_not_found", "account_inactive", "user_disabled", "is_archived",
		"not_in_channel", "cannot_dm_bot", "messages_tab_disabled", "restricted_action", "msg_too_long",
		"invalid_blocks", "msg_blocks_too_long", "no_text", "too_many_attachments":
		return true
	}
	return false
}
