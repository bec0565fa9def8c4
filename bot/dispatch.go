package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Errors Dispatch returns. A transport that gets one must not acknowledge
// the request as handled: over HTTP it answers 500, over Socket Mode it does
// not ack, so that Slack retries an event (or shows an error in a modal).
var (
	// ErrHandlerFailed wraps the error of a handler whose failure the
	// sender must see: an event (Slack will retry it) or a view submission
	// (Slack keeps the modal open and shows an error).
	ErrHandlerFailed = errors.New("bot: handler failed")
	// ErrAckTimeout means the handler did not return before the ack
	// deadline. It keeps running in the background; a retry of an event is
	// deduplicated against its outcome.
	ErrAckTimeout = errors.New("bot: handler did not return before the ack deadline")
	// ErrInProgress means another delivery of the same event or form
	// submission is still being handled: it is not known to be done, so
	// this one must not be acked as a success.
	ErrInProgress = errors.New("bot: the same request is still being handled")
	// ErrHandlerPanic wraps a panic recovered from a handler.
	ErrHandlerPanic = errors.New("bot: handler panicked")
)

// What a person sees when their command could not be served. Never the
// internal error: the log keeps the detail.
const (
	msgFailed       = "Something went wrong on my side; nothing was changed. Please try again in a minute."
	msgStillWorking = "This is taking longer than it should. If you don't see the result in a minute, please try again."
)

// WorkspaceClients gives the Web API client of a workspace. The clients it
// returns should go through a Transport.
type WorkspaceClients interface {
	ClientFor(ctx context.Context, teamID string) (*slack.Client, error)
}

// DispatcherConfig configures a Dispatcher. Handler is required.
type DispatcherConfig struct {
	Logger *slog.Logger
	// Handler serves every request, normally a *Mux.
	Handler Handler
	// Deduper drops repeated deliveries of one event, command or
	// interaction (see dedupeKeys). Nil disables dedupe.
	Deduper *Deduper
	Metrics *Metrics
	// Clients sets Request.Slack for the request's workspace. Nil leaves it
	// unset.
	Clients WorkspaceClients
	// BotUserID returns the bot's own user ID in a workspace, so that
	// message events the bot caused itself are ignored. Nil ignores none.
	BotUserID func(ctx context.Context, teamID string) string
	// AckTimeout bounds the handler so the ack beats Slack's 3 s. Default
	// 2.5 s.
	AckTimeout time.Duration
	// AfterTimeout bounds each function scheduled with Request.After.
	// Default 30 s.
	AfterTimeout time.Duration
	// AfterWorkers bounds how many functions scheduled with Request.After
	// run at once; the others wait their turn. After work reads the same
	// database the next acks need, and on SQLite's one connection an
	// unbounded crowd of it (a burst of commands each refreshing a Home
	// tab) would take the connection from the acks. Default 4.
	AfterWorkers int
}

// Dispatcher is the one path from a transport (HTTP or Socket Mode) to the
// handlers: it drops duplicate deliveries, bounds the handler by the ack
// deadline, turns failures into friendly acks, and runs the work scheduled
// with Request.After once the ack is on its way.
type Dispatcher struct {
	log          *slog.Logger
	handler      Handler
	dedupe       *Deduper
	metrics      *Metrics
	clients      WorkspaceClients
	botUserID    func(ctx context.Context, teamID string) string
	ackTimeout   time.Duration
	afterTimeout time.Duration
	afterSlots   chan struct{} // one token per After function running

	// base is the parent of every After context: detached from requests,
	// cancelled only when Shutdown runs out of time.
	base       context.Context
	cancelBase context.CancelFunc

	mu     sync.Mutex
	closed bool
	active int // tracked goroutines running; wg.Add is safe while > 0
	wg     sync.WaitGroup
}

// NewDispatcher returns a Dispatcher for cfg.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = 2500 * time.Millisecond
	}
	if cfg.AfterTimeout <= 0 {
		cfg.AfterTimeout = 30 * time.Second
	}
	if cfg.AfterWorkers <= 0 {
		cfg.AfterWorkers = 4
	}
	base, cancel := context.WithCancel(context.Background())
	return &Dispatcher{
		log:          cfg.Logger,
		handler:      cfg.Handler,
		dedupe:       cfg.Deduper,
		metrics:      cfg.Metrics,
		clients:      cfg.Clients,
		botUserID:    cfg.BotUserID,
		ackTimeout:   cfg.AckTimeout,
		afterTimeout: cfg.AfterTimeout,
		afterSlots:   make(chan struct{}, cfg.AfterWorkers),
		base:         base,
		cancelBase:   cancel,
	}
}

// Dispatch serves req and returns the ack body: nil for an empty 200, else
// JSON. Every delivery is deduplicated first (see dedupeKeys): a duplicate
// acks empty and the handler does not run. The handler runs with a deadline of AckTimeout.
//
// A failed handler is logged with its error; the person sees a generic,
// friendly message for a command, and its dedupe claim is released so that
// a Slack retry may succeed. For an event or a view submission Dispatch
// returns an error wrapping ErrHandlerFailed, ErrAckTimeout or
// ErrInProgress (a delivery of it is being handled and not done yet), and the
// transport must not ack success. Functions scheduled with Request.After
// start once Dispatch returns the ack, only when the handler succeeded or,
// for an event several features subscribe to, those of each subscriber
// that succeeded (see Mux.ServeSlack).
//
// A block suggestion is never deduplicated (each keystroke is a request of
// its own) and is always answered on the ack, never an error: the options
// the handler returned (see suggestionAck), or none when it failed, has no
// route, or missed the ack deadline.
func (d *Dispatcher) Dispatch(ctx context.Context, req *Request) (ack []byte, err error) {
	start := time.Now()
	outcome := "ok"
	defer func() { d.metrics.inbound(req.Kind, outcome, time.Since(start).Seconds()) }()

	if req.Kind == KindEvent && d.ownMessage(ctx, req) {
		outcome = "ignored"
		return nil, nil
	}
	keys, seen := d.claim(ctx, req)
	if seen == InProgress && (req.Kind == KindEvent || req.Kind == KindViewSubmission) {
		// Another delivery is being handled and may yet fail, or its
		// replica die: acking this one would tell Slack (and the person
		// submitting a form) it was done when it may never be. Not acking
		// makes Slack send the event again, and the person submit again,
		// once the other is settled.
		outcome = "in_progress"
		d.log.InfoContext(ctx, "a delivery of the same request is still being handled; not acked", requestAttrs(req)...)
		return nil, fmt.Errorf("%s %s: %w", req.Kind, routeOf(req), ErrInProgress)
	}
	if seen != New {
		outcome = "duplicate"
		d.log.InfoContext(ctx, "dropped duplicate delivery", requestAttrs(req)...)
		return nil, nil
	}
	d.attachClient(ctx, req)
	if req.Kind == KindEvent && req.Event != nil {
		req.subs = &subscriberClaims{d: d, keys: keys, eventType: req.Event.Type, attrs: requestAttrs(req)}
	}

	hctx, cancel := context.WithTimeout(ctx, d.ackTimeout)
	done := make(chan handlerResult, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- handlerResult{err: fmt.Errorf("%w: %v\n%s", ErrHandlerPanic, p, debug.Stack())}
			}
		}()
		res, err := d.handler.ServeSlack(hctx, req)
		done <- handlerResult{res: res, err: err}
	}()

	select {
	case r := <-done:
		cancel()
		ack, outcome, err = d.complete(ctx, req, keys, r)
		return ack, err
	case <-hctx.Done():
	}

	// The handler is still running. Ack now and settle its outcome when it
	// returns; Shutdown waits for that too.
	outcome = "timeout"
	d.log.ErrorContext(ctx, "handler missed the ack deadline", requestAttrs(req, "deadline", d.ackTimeout)...)
	d.goTracked(func() {
		r := <-done
		cancel()
		_, outcome, _ := d.complete(d.base, req, keys, r)
		switch {
		case req.Kind == KindCommand && outcome == "error":
			// The person was told "still working"; tell them it failed.
			d.tellFailure(req)
		case r.res != nil && (r.res.Body != nil || len(r.res.Options) > 0 || len(r.res.OptionGroups) > 0):
			d.log.Warn("late handler's reply dropped; the ack was already sent", requestAttrs(req)...)
		}
	})
	switch req.Kind {
	case KindCommand:
		return ephemeral(msgStillWorking), nil
	case KindSuggestion:
		// The person is typing; whatever the handler finds now is too
		// late for this keystroke, and the next one asks again.
		return noOptions, nil
	case KindEvent, KindViewSubmission:
		return nil, fmt.Errorf("%s %s: %w", req.Kind, routeOf(req), ErrAckTimeout)
	}
	return nil, nil
}

type handlerResult struct {
	res *Response
	err error
}

// complete settles a handler's result: dedupe, logging, the ack, and the
// After functions.
func (d *Dispatcher) complete(ctx context.Context, req *Request, keys []string, r handlerResult) (ack []byte, outcome string, err error) {
	if req.Kind == KindSuggestion {
		return d.completeSuggestion(ctx, req, r)
	}
	if r.err == nil {
		if r.res != nil && r.res.Body != nil {
			ack, err = json.Marshal(r.res.Body)
			if err != nil {
				r.err = fmt.Errorf("marshal ack: %w", err)
			}
		}
	}
	switch {
	case r.err == nil && req.Kind == KindViewSubmission && refusedForm(ack):
		// The form stays open for the person to correct; its next
		// submission is a new one.
		d.abort(ctx, keys)
		d.runAfter(req, req.TakeAfter())
		return ack, "ok", nil
	case r.err == nil:
		d.finish(ctx, keys)
		d.runAfter(req, req.TakeAfter())
		return ack, "ok", nil
	case errors.Is(r.err, ErrNoRoute):
		// A retry would not find a route either.
		d.finish(ctx, keys)
		d.log.WarnContext(ctx, "no handler for request", requestAttrs(req)...)
		if req.Kind == KindCommand {
			return ephemeral(noRouteMessage(req)), "no_route", nil
		}
		return nil, "no_route", nil
	}

	if fns := req.TakeAfter(); errors.Is(r.err, errSubscribersFailed) {
		// Those of an event's subscribers that succeeded: a retry will
		// not serve them again (see subscriberClaims).
		d.runAfter(req, fns)
	} // else the work they belong to failed; a retry schedules them again
	d.abort(ctx, keys)
	d.log.ErrorContext(ctx, "handler failed", requestAttrs(req, "err", r.err)...)
	switch req.Kind {
	case KindCommand:
		return ephemeral(msgFailed), "error", nil
	case KindBlockAction:
		d.tellFailure(req)
		return nil, "error", nil
	case KindEvent, KindViewSubmission:
		return nil, "error", fmt.Errorf("%s %s: %w", req.Kind, routeOf(req), ErrHandlerFailed)
	}
	return nil, "error", nil
}

// completeSuggestion settles a block suggestion's result: its options,
// or none (and the error logged) when it failed. A suggestion has no
// dedupe claim to settle.
func (d *Dispatcher) completeSuggestion(ctx context.Context, req *Request, r handlerResult) (ack []byte, outcome string, err error) {
	if r.err == nil {
		var dropped int
		ack, dropped, r.err = suggestionAck(r.res)
		if r.err == nil {
			if dropped > 0 {
				d.log.WarnContext(ctx, "suggestion options left out to fit Slack's limits", requestAttrs(req, "dropped", dropped)...)
			}
			d.runAfter(req, req.TakeAfter())
			return ack, "ok", nil
		}
	}
	req.TakeAfter()
	if errors.Is(r.err, ErrNoRoute) {
		d.log.WarnContext(ctx, "no handler for request", requestAttrs(req)...)
		return noOptions, "no_route", nil
	}
	d.log.ErrorContext(ctx, "handler failed", requestAttrs(req, "err", r.err)...)
	return noOptions, "error", nil
}

// refusedForm reports whether a view submission's ack keeps the form open
// with field errors (response_action "errors").
func refusedForm(ack []byte) bool {
	if len(ack) == 0 {
		return false
	}
	var r struct {
		Action string `json:"response_action"`
	}
	return json.Unmarshal(ack, &r) == nil && r.Action == "errors"
}

// tellFailure lets the person who clicked a button (or whose slow command
// failed after the ack) know it did not work, as an ephemeral message.
func (d *Dispatcher) tellFailure(req *Request) {
	api := req.Slack
	if api == nil || req.ChannelID == "" || req.UserID == "" {
		return
	}
	channel, user := req.ChannelID, req.UserID
	d.runAfter(req, []func(context.Context){func(ctx context.Context) {
		if _, err := api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(msgFailed, false)); err != nil {
			d.log.WarnContext(ctx, "could not tell a person their action failed", "err", err)
		}
	}})
}

func noRouteMessage(req *Request) string {
	name := "that command"
	if req.Command != nil && req.Command.Command != "" {
		name = "`" + req.Command.Command + "`"
	}
	return "Sorry, I don't know how to handle " + name + " yet. Try `/trellis help` to see what I can do."
}

// ephemeral builds a slash-command ack only the invoking person sees.
func ephemeral(text string) []byte {
	b, _ := json.Marshal(struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}{slack.ResponseTypeEphemeral, text})
	return b
}

// ownMessage reports whether req is a message event the bot posted itself.
func (d *Dispatcher) ownMessage(ctx context.Context, req *Request) bool {
	if d.botUserID == nil || req.Event == nil {
		return false
	}
	msg, ok := req.Event.Data.(*slackevents.MessageEvent)
	if !ok || msg.User == "" {
		return false
	}
	return msg.User == d.botUserID(ctx, req.TeamID)
}

// dedupeKeys names a delivery, so that the same delivery seen again (a
// Slack retry, a Socket Mode envelope sent again, a replay of the same
// signed request inside its window) is dropped. Each key is built from
// values Slack sets once per delivery and keeps in every copy of it:
//
//   - an event: its event_id, and for a message event also (team, channel,
//     ts), since Slack sometimes re-sends a message under a new event_id;
//   - a slash command: its trigger_id;
//   - a block action: the acting user, the message or view it was clicked
//     in, the action_id and the action_ts Slack stamps on each click (the
//     trigger_id when there is no action_ts);
//   - a view submission: the view's id and hash and the submission's
//     trigger_id, so that submitting again after a validation error (same
//     view, new trigger) is served;
//   - a view closed: the view's id and hash (a view closes once);
//   - a block suggestion: none. Each keystroke is a request of its own,
//     the same query typed twice asks twice, and each must be answered:
//     Slack does not retry one, and dropping it would leave the menu
//     empty.
//
// A double click is two deliveries with different values and is not
// deduplicated here; handlers guard what must not happen twice. A request
// without the values gets no key and is always served.
func dedupeKeys(req *Request) []string {
	var keys []string
	add := func(parts ...string) {
		for _, p := range parts[1:] {
			if p == "" {
				return
			}
		}
		keys = append(keys, strings.Join(parts, ":"))
	}
	switch req.Kind {
	case KindEvent:
		add("event", req.EventID)
		if req.Event != nil {
			if msg, ok := req.Event.Data.(*slackevents.MessageEvent); ok {
				add("message", req.TeamID, msg.Channel, msg.TimeStamp)
			}
		}
	case KindCommand:
		if req.Command != nil {
			add("command", req.TeamID, req.Command.TriggerID)
		}
	case KindBlockAction:
		if cb := req.Interaction; cb != nil {
			where := cb.Container.ViewID
			if where == "" && cb.Container.MessageTs != "" {
				where = cb.Container.ChannelID + "/" + cb.Container.MessageTs
			}
			var actionID, actionTS string
			if a := cb.ActionCallback.BlockActions; len(a) > 0 {
				actionID, actionTS = a[0].ActionID, a[0].ActionTs
			}
			if where != "" && actionTS != "" {
				add("action", req.TeamID, req.UserID, where, actionID, actionTS)
			} else {
				add("action", req.TeamID, req.UserID, cb.TriggerID)
			}
		}
	case KindViewSubmission:
		// The view as submitted, without the submission's trigger: a
		// double click on Submit sends the same view twice under two
		// triggers, and acts once. A submission refused with field errors
		// gives its key back (see complete), so the corrected form, which
		// Slack sends with the same id and hash, is served.
		if cb := req.Interaction; cb != nil {
			add("view_submission", req.TeamID, cb.View.ID, cb.View.Hash)
		}
	case KindViewClosed:
		if cb := req.Interaction; cb != nil {
			add("view_closed", req.TeamID, cb.View.ID, cb.View.Hash)
		}
	}
	return keys
}

// claim begins every dedupe key of req; if any is a duplicate it releases
// the ones it took.
func (d *Dispatcher) claim(ctx context.Context, req *Request) ([]string, Seen) {
	if d.dedupe == nil || req.Kind == KindSuggestion {
		return nil, New
	}
	keys := dedupeKeys(req)
	if seen := d.claimKeys(ctx, keys); seen != New {
		return nil, seen
	}
	return keys, New
}

// claimKeys begins every key in keys; if any is a duplicate it releases
// the ones it took and says what it found.
func (d *Dispatcher) claimKeys(ctx context.Context, keys []string) Seen {
	for i, k := range keys {
		if seen := d.dedupe.Claim(ctx, k); seen != New {
			d.abort(ctx, keys[:i])
			return seen
		}
	}
	return New
}

// subscriberClaims deduplicates each subscriber of one event delivery on
// its own, so that the subscribers are isolated from one another: when one
// fails, the event is not acked and Slack retries it, and the retry must
// serve the failed subscriber again without serving twice the ones that
// succeeded (a second welcome message, a second post), nor lose the After
// work they scheduled. A subscriber's keys are the delivery's dedupe keys
// suffixed with its owner; each is finished when the subscriber succeeds
// and released when it fails. A failure is logged and counted here, once
// per subscriber.
type subscriberClaims struct {
	d         *Dispatcher
	keys      []string // the delivery's own dedupe keys; none without a Deduper
	eventType string
	attrs     []any
}

func (c *subscriberClaims) keysOf(owner string) []string {
	keys := make([]string, len(c.keys))
	for i, k := range c.keys {
		keys[i] = k + "#" + ownerName(owner)
	}
	return keys
}

// claim says whether owner's subscriber is to be served by this delivery:
// not when an earlier delivery served it (run is false, err nil), nor when
// one is still serving it (err wraps ErrInProgress, so that the event is
// not acked). A nil c serves every subscriber.
func (c *subscriberClaims) claim(ctx context.Context, owner string) (run bool, err error) {
	if c == nil || c.d.dedupe == nil {
		return true, nil
	}
	switch c.d.claimKeys(ctx, c.keysOf(owner)) {
	case New:
		return true, nil
	case Handled:
		c.d.log.InfoContext(ctx, "event subscriber already served by an earlier delivery; skipped",
			append([]any{"owner", ownerName(owner)}, c.attrs...)...)
		return false, nil
	}
	return false, ErrInProgress
}

// settle finishes owner's claim when its subscriber succeeded (err is
// nil), and otherwise releases it, so that a retry serves it again, and
// logs and counts the failure.
func (c *subscriberClaims) settle(ctx context.Context, owner string, err error) {
	if c == nil {
		return
	}
	// The handler's context may be past its ack deadline by now.
	ctx = context.WithoutCancel(ctx)
	if err == nil {
		c.d.finish(ctx, c.keysOf(owner))
		return
	}
	c.d.abort(ctx, c.keysOf(owner))
	c.d.metrics.subscriberFailure(c.eventType, ownerName(owner))
	c.d.log.ErrorContext(ctx, "event subscriber failed; Slack's retry serves it again",
		append([]any{"owner", ownerName(owner), "err", err}, c.attrs...)...)
}

func (d *Dispatcher) finish(ctx context.Context, keys []string) {
	for _, k := range keys {
		d.dedupe.Finish(ctx, k)
	}
}

func (d *Dispatcher) abort(ctx context.Context, keys []string) {
	for _, k := range keys {
		d.dedupe.Abort(ctx, k)
	}
}

func (d *Dispatcher) attachClient(ctx context.Context, req *Request) {
	if req.Slack != nil || d.clients == nil || req.TeamID == "" {
		return
	}
	api, err := d.clients.ClientFor(ctx, req.TeamID)
	if err != nil {
		// Not fatal: an app_uninstalled event, say, arrives after the token
		// is gone. Handlers that need Slack check req.Slack.
		d.log.WarnContext(ctx, "no Slack client for workspace", "team", req.TeamID, "err", err)
		return
	}
	req.Slack = api
}

// runAfter starts fns in the background, at most AfterWorkers at once
// across the Dispatcher, each with its own timeout (counted from when it
// starts) on a context detached from the request.
func (d *Dispatcher) runAfter(req *Request, fns []func(context.Context)) {
	for _, fn := range fns {
		d.goTracked(func() {
			select {
			case d.afterSlots <- struct{}{}:
			case <-d.base.Done():
				d.log.Warn("after-ack work dropped at shutdown", requestAttrs(req)...)
				return
			}
			defer func() { <-d.afterSlots }()
			ctx, cancel := context.WithTimeout(d.base, d.afterTimeout)
			defer cancel()
			defer func() {
				if p := recover(); p != nil {
					d.log.ErrorContext(ctx, "after-ack work panicked",
						requestAttrs(req, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))...)
				}
			}()
			fn(ctx)
		})
	}
}

// goTracked runs fn in a goroutine that Shutdown waits for. Once Shutdown
// has begun and nothing is left running, fn still runs but is not waited
// for; work started by tracked work (a late handler's After functions) is
// always tracked.
func (d *Dispatcher) goTracked(fn func()) {
	d.mu.Lock()
	if d.closed && d.active == 0 {
		d.mu.Unlock()
		d.log.Warn("background work started after shutdown; not waiting for it")
		go fn()
		return
	}
	d.active++
	d.wg.Add(1)
	d.mu.Unlock()
	go func() {
		defer func() {
			d.mu.Lock()
			d.active--
			d.mu.Unlock()
			d.wg.Done()
		}()
		fn()
	}()
}

// Shutdown waits for background work (After functions and handlers that
// missed their ack deadline) to finish, or for ctx to end, in which case it
// cancels their contexts and returns ctx's error. Call it after the
// transports have stopped taking requests.
func (d *Dispatcher) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		d.cancelBase()
		return nil
	case <-ctx.Done():
		d.cancelBase()
		return fmt.Errorf("bot: background work still running at shutdown: %w", ctx.Err())
	}
}

// Recover returns middleware that turns a handler's panic into an error
// wrapping ErrHandlerPanic, with the stack, so it is logged and acked like
// any other failure.
func Recover() Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, req *Request) (res *Response, err error) {
			defer func() {
				if p := recover(); p != nil {
					res, err = nil, fmt.Errorf("%w: %v\n%s", ErrHandlerPanic, p, debug.Stack())
				}
			}()
			return next.ServeSlack(ctx, req)
		})
	}
}

// Logging returns middleware that writes one line per request: kind, team,
// user, route (command, action_id, callback_id or event type), duration and
// outcome. It never logs tokens or message text, and leaves the user out of
// a request its handler redacted (Request.Redact).
func Logging(log *slog.Logger) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
			start := time.Now()
			res, err := next.ServeSlack(ctx, req)
			attrs := requestAttrs(req, "duration", time.Since(start))
			if err != nil {
				log.WarnContext(ctx, "slack request", append(attrs, "outcome", "error", "err", err)...)
			} else {
				log.InfoContext(ctx, "slack request", append(attrs, "outcome", "ok")...)
			}
			return res, err
		})
	}
}

// requestAttrs describes req for a log line, followed by extra.
func requestAttrs(req *Request, extra ...any) []any {
	user := req.UserID
	if req.Redacted() {
		user = "(redacted)"
	}
	attrs := []any{"kind", req.Kind.String(), "team", req.TeamID, "user", user, "route", routeOf(req)}
	if req.EventID != "" {
		attrs = append(attrs, "event_id", req.EventID, "retry", req.RetryNum)
	}
	return append(attrs, extra...)
}

// routeOf names what req is routed by: the slash command, the first
// action_id, a suggestion's action_id, the view's callback_id or the event
// type.
func routeOf(req *Request) string {
	switch {
	case req.Command != nil:
		return req.Command.Command
	case req.Interaction != nil && req.Kind == KindBlockAction:
		if a := req.Interaction.ActionCallback.BlockActions; len(a) > 0 {
			return a[0].ActionID
		}
	case req.Interaction != nil && req.Kind == KindSuggestion:
		return req.Interaction.ActionID
	case req.Interaction != nil:
		return req.Interaction.View.CallbackID
	case req.Event != nil:
		return req.Event.Type
	}
	return ""
}
