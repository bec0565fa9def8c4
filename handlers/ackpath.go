package handlers

import (
	"context"
	"time"

	"github.com/trellis-bot/trellis/bot"
)

// slackAckBudget is how long, counted from when a request reaches its
// handler, the Slack calls its reply cannot do without (opening a form
// with the request's trigger, asking Slack who is an admin or in a
// channel) may take in all. The transport paces every method and holds a
// method back for as long as a 429's Retry-After asks, which can be far
// longer than Slack's three seconds; waiting past this budget would miss
// the ack (the dispatcher acks at 2.5 s), so the handler gives up first
// and answers the person in words.
const slackAckBudget = 2 * time.Second

// ackMargin is the time kept, before the deadline of the handler's
// context, for the reply to be made after the Slack budget runs out.
const ackMargin = 500 * time.Millisecond

// profileWait bounds how long reading a profile after the ack may wait
// for users.info.
const profileWait = 10 * time.Second

// ackPathKey marks a context as the ack path of a request: its value is
// the time the Slack budget runs out.
type ackPathKey struct{}

// onAckPath wraps every route: the handler's context says that the person
// is still waiting for the ack, and until when Slack may be asked.
func onAckPath(next bot.HandlerFunc) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		// Wall-clock time, not the injected clock: the budget is about
		// Slack's real ack deadline. When the caller set a deadline for the
		// ack (the dispatcher does), the budget also ends early enough
		// before it for the reply to be written.
		until := time.Now().Add(slackAckBudget)
		if dl, ok := ctx.Deadline(); ok && dl.Add(-ackMargin).Before(until) {
			until = dl.Add(-ackMargin)
		}
		ctx = context.WithValue(ctx, ackPathKey{}, until)
		return next(ctx, req)
	})
}

// Acking reports whether ctx is a request's ack path, where nothing may
// wait on a Slack call that is not the reply's purpose.
func Acking(ctx context.Context) bool {
	_, ok := ctx.Value(ackPathKey{}).(time.Time)
	return ok
}

// SlackCtx bounds a Slack call the reply needs by what is left of the
// request's Slack budget. After the ack (no budget) ctx is returned as it
// is, with its own timeout.
func SlackCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	until, ok := ctx.Value(ackPathKey{}).(time.Time)
	if !ok {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, until)
}

// msgAdminUnconfirmed answers a workspace change whose author Slack could
// not confirm as an admin in time: the stored profile says they are not,
// but it may be out of date.
const msgAdminUnconfirmed = "I couldn't confirm with Slack that you're a workspace admin just now, so nothing was changed. Please try again in a minute."
