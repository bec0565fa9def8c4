package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Channel and thread posts. A feature that posts in a channel (the
// check-ins' round threads, answers and summaries) keeps its own outbox
// rows — what to post, in which order, under which thread — and sends them
// through the engine's machinery, the same as DMs:
//
//   - its claims are held by the engine (HoldPosts), under the engine's
//     lease (Lease), and renewed by the engine's one heartbeat while the
//     message waits for Slack;
//   - the message goes on the wire only while every claim it carries is
//     still held with a quarter of its lease left (Hold.Post), checked by
//     the transport after its wait for a rate-limit slot, and only once
//     every claim's row is marked as started towards Slack (the wire
//     mark, written by the renewal right before it);
//   - a post that may already be in Slack — marked, or taken over from a
//     build that left no mark — is looked for in the channel or thread by
//     its metadata (FindPosts) before it is sent again; one that is not is
//     sent without a look;
//   - what Slack did not take is tried again, or given up, by the one rule
//     for Slack's errors and Retry-After (RetryPost).

// poster sends a message.
type poster interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
}

// Poster is what the post path needs of a Web API client; *slack.Client
// has it.
type Poster interface {
	poster
	conversations
}

// PostClaim is a feature's claim on one row of its post outbox: its id and
// the claim's token, leased until Until.
type PostClaim struct {
	ID    int64
	Token string
	Until time.Time
}

// Lease is how long a claim holds what it claimed without being renewed:
// a feature claims its posts for as long.
func (e *Engine) Lease() time.Duration { return e.lease }

// Marker is a Renewer for a claim about to go on the wire: it extends the
// lease to until, and marks the row as started towards Slack at at, so
// whoever claims the row next looks for it in Slack first; it returns
// models.ErrLeaseLost when token no longer holds the row. The check-ins
// store's RenewPostToSend is one (on models.Outbox.RenewToSend).
type Marker func(ctx context.Context, id int64, token string, until, at time.Time) error

// Hold is a set of a feature's post claims the engine holds: renewed by
// its heartbeat until Release, and marked and checked before the wire by
// Post.
type Hold struct {
	e       *Engine
	outbox  string
	renew   Renewer
	mark    Marker
	release func()

	mu   sync.Mutex
	keys map[int64]string // post id → claim token
}

// HoldPosts makes the engine hold claims on rows of the outbox named
// outbox (the feature's table), renewed with renew, until Release; Post
// marks them with mark right before the wire (nil marks nothing: for an
// outbox with no wire mark, whose posts are looked for whenever retried).
func (e *Engine) HoldPosts(ctx context.Context, outbox string, renew Renewer, mark Marker, claims ...PostClaim) *Hold {
	h := &Hold{e: e, outbox: outbox, renew: renew, mark: mark, keys: map[int64]string{}, release: e.keepAlive(ctx)}
	h.Add(claims...)
	return h
}

// Add holds more claims (posts claimed to go in the same message).
func (h *Hold) Add(claims ...PostClaim) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range claims {
		h.keys[c.ID] = c.Token
		h.e.held.hold(leaseKey{outbox: h.outbox, id: c.ID}, c.Token, c.Until, h.renew)
	}
}

// Drop stops holding a claim that was settled or given back.
func (h *Hold) Drop(id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.e.held.forget(leaseKey{outbox: h.outbox, id: id}, h.keys[id])
	delete(h.keys, id)
}

// Release stops holding every claim of h. It is safe to call more than
// once.
func (h *Hold) Release() {
	h.mu.Lock()
	for id, token := range h.keys {
		h.e.held.forget(leaseKey{outbox: h.outbox, id: id}, token)
	}
	h.keys = map[int64]string{}
	h.mu.Unlock()
	h.release()
}

// Post sends one message carrying the posts ids into channel (options say
// its text, blocks, metadata and thread), and returns its timestamp. First
// it renews every claim, marking its row as started towards Slack (the
// Marker); then the message goes on the wire only while every one of the
// claims is held with a quarter of its lease left, asked again by the
// transport right before the request. If a mark cannot be written, or a
// claim is not held, nothing is sent, and Unsent reports the error as
// such.
func (h *Hold) Post(ctx context.Context, api Poster, channel string, ids []int64, options ...slack.MsgOption) (string, error) {
	keys := make([]leaseKey, len(ids))
	for i, id := range ids {
		keys[i] = leaseKey{outbox: h.outbox, id: id}
	}
	if err := h.markWire(ctx, keys); err != nil {
		return "", err
	}
	check := func() error { return h.e.leasesHeld(keys, h.e.clock.Now()) }
	_, ts, err := onTheWire(ctx, api, channel, check, options...)
	return ts, err
}

// markWire renews the claims keys name, marking their rows as started
// towards Slack; an error, wrapping errUnmarked, when a mark could not be
// written: the message must not be sent.
func (h *Hold) markWire(ctx context.Context, keys []leaseKey) error {
	if h.mark == nil {
		return nil
	}
	now := h.e.clock.Now()
	until := now.Add(h.e.lease)
	for _, k := range keys {
		h.mu.Lock()
		token, ok := h.keys[k.id]
		h.mu.Unlock()
		if !ok {
			return fmt.Errorf("%w: post %d is not held", errUnmarked, k.id)
		}
		err := h.mark(ctx, k.id, token, until, now)
		h.e.held.renewedKey(k, token, until, err)
		if err != nil {
			return fmt.Errorf("%w: post %d: %w", errUnmarked, k.id, err)
		}
	}
	return nil
}

// Unsent reports whether err, from Hold.Post, means the message certainly
// did not reach Slack: it was stopped before the wire.
func Unsent(ctx context.Context, err error) bool {
	return err != nil && readFailure(ctx, err).kind == failUnsent
}

// RetryPost is when a post Slack did not take (err, from Hold.Post) is
// tried again, by the engine's one rule for Slack's errors and
// Retry-After; giveUp when it never will be. tries is how many times it
// was claimed so far, and queued when it was first queued.
func (e *Engine) RetryPost(ctx context.Context, err error, tries int, queued time.Time) (at time.Time, giveUp bool) {
	return e.retryAt(readFailure(ctx, err), true, tries, queued, e.clock.Now())
}

// FindPosts is the reconciliation of a post that may already be in Slack:
// it reads the thread under thread (or, with none, the channel) since a
// minute before oldest, and calls found with the metadata payload and
// timestamp of every message whose metadata event type is eventType.
func (e *Engine) FindPosts(ctx context.Context, api Poster, channel, thread string, oldest time.Time, eventType string, found func(payload map[string]any, ts string)) error {
	return scanConversation(ctx, api, channel, thread, oldest.Add(-time.Minute), func(m slack.Message) bool {
		if m.Metadata.EventType == eventType {
			found(m.Metadata.EventPayload, m.Timestamp)
		}
		return false
	})
}
