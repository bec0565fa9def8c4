// Package bot speaks Slack: it receives requests over Socket Mode or signed
// HTTP, drops duplicates, acknowledges within Slack's three seconds, and hands
// each request to the handler registered for it. It also owns the one
// outbound path to the Slack Web API, which paces calls and honours 429s.
// It knows nothing of Trellis's domain: it imports no models, jobs or
// handlers, and what it needs of them (a workspace's bot token) it asks
// through small interfaces of its own.
package bot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Kind says what sort of Slack request a Request carries.
type Kind int

// The kinds of request Trellis handles.
const (
	KindCommand Kind = iota + 1
	KindBlockAction
	KindViewSubmission
	KindViewClosed
	KindEvent
	// KindSuggestion is a block_suggestion: a person typing in an
	// external select, whose options the ack must carry.
	KindSuggestion
)

func (k Kind) String() string {
	switch k {
	case KindCommand:
		return "command"
	case KindBlockAction:
		return "block_action"
	case KindViewSubmission:
		return "view_submission"
	case KindViewClosed:
		return "view_closed"
	case KindEvent:
		return "event"
	case KindSuggestion:
		return "block_suggestion"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Request is one thing a person (or Slack) did, whichever transport brought it.
type Request struct {
	Kind         Kind
	TeamID       string
	EnterpriseID string
	UserID       string
	ChannelID    string

	// Exactly one of these is set, according to Kind.
	Command     *slack.SlashCommand
	Interaction *slack.InteractionCallback
	Event       *slackevents.EventsAPIInnerEvent

	// EventID and RetryNum describe an Events API delivery.
	EventID  string
	RetryNum int

	// Slack is the Web API client for the request's workspace. It goes
	// through the shared paced transport; never call it inside a database
	// transaction.
	Slack *slack.Client

	mu    sync.Mutex
	after []func(ctx context.Context)
	// redacted says the request's log line must not name its person.
	redacted bool
	// subs deduplicates an event's subscribers one by one; the
	// Dispatcher sets it. Nil serves every subscriber.
	subs *subscriberClaims
}

// forSubscriber returns a copy of r for one subscriber of an event: the
// same request, with After functions of its own.
func (r *Request) forSubscriber() *Request {
	return &Request{
		Kind:         r.Kind,
		TeamID:       r.TeamID,
		EnterpriseID: r.EnterpriseID,
		UserID:       r.UserID,
		ChannelID:    r.ChannelID,
		Command:      r.Command,
		Interaction:  r.Interaction,
		Event:        r.Event,
		EventID:      r.EventID,
		RetryNum:     r.RetryNum,
		Slack:        r.Slack,
	}
}

// Redact keeps the person who made the request out of its log line
// (Logging): for a request whose point is that nobody can tell who made
// it, such as an anonymous question.
func (r *Request) Redact() {
	r.mu.Lock()
	r.redacted = true
	r.mu.Unlock()
}

// Redacted reports whether Redact was called.
func (r *Request) Redacted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.redacted
}

// After schedules fn to run once the request has been acknowledged. Slow work
// (Slack API calls that are not needed for the ack, fan-out) belongs here. fn
// gets its own context with a timeout, detached from the request.
func (r *Request) After(fn func(ctx context.Context)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.after = append(r.after, fn)
}

// TakeAfter returns and clears the functions scheduled with After. Transports
// call it once the ack has been sent.
func (r *Request) TakeAfter() []func(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fns := r.after
	r.after = nil
	return fns
}

// Response is what a handler acknowledges with. A nil Response (or a nil
// Body) acks with an empty 200. Body is marshalled to JSON: a slash command's
// reply message, or a view_submission's response_action.
//
// A block_suggestion (KindSuggestion) is answered with Options or
// OptionGroups instead, never Body: the Dispatcher writes them as Slack's
// {"options": [...]} or {"option_groups": [...]}, fitted to Slack's
// limits (see MaxSuggestionOptions), and answers no options when both
// are empty.
type Response struct {
	Body any

	Options      []*slack.OptionBlockObject
	OptionGroups []*slack.OptionGroupBlockObject
}

// Handler answers one Slack request. The returned Response becomes the ack;
// an error acks with a generic, friendly message and is logged.
type Handler interface {
	ServeSlack(ctx context.Context, req *Request) (*Response, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, req *Request) (*Response, error)

// ServeSlack calls f.
func (f HandlerFunc) ServeSlack(ctx context.Context, req *Request) (*Response, error) {
	return f(ctx, req)
}

// Middleware wraps a Handler.
type Middleware func(Handler) Handler

// Mux routes requests to handlers by slash command, action_id (block
// actions and, on their own routes, block suggestions), view callback_id or
// event type. Action, suggestion and view routes match by prefix up to a
// colon, so "checkin:answer" is served by the handler registered for
// "checkin:answer" or, failing that, "checkin".
//
// A command, action id or callback id has one handler: registering one
// that is taken is refused with an error naming both owners, and Err keeps
// every refusal so that start-up can check them all at once. An event type
// may have several subscribers: each is served (see ServeSlack).
//
// Owner returns a view of the same Mux whose registrations are credited to
// a named owner (a feature), for those errors. Register every route before
// the Mux serves its first request.
type Mux struct {
	t     *routeTable
	owner string
}

// routeTable is what every view of one Mux shares.
type routeTable struct {
	commands map[string]route
	actions  map[string]route
	suggest  map[string]route
	views    map[string]route
	closed   map[string]route
	events   map[string][]route
	mw       []Middleware
	errs     []error
}

// route is a handler and who registered it.
type route struct {
	h     Handler
	owner string
}

// NewMux returns an empty Mux.
func NewMux() *Mux {
	return &Mux{t: &routeTable{
		commands: map[string]route{},
		actions:  map[string]route{},
		suggest:  map[string]route{},
		views:    map[string]route{},
		closed:   map[string]route{},
		events:   map[string][]route{},
	}}
}

// Owner returns a view of m whose registrations are credited to owner.
// Routes and middleware are shared with m.
func (m *Mux) Owner(owner string) *Mux { return &Mux{t: m.t, owner: owner} }

// Use adds middleware applied to every route, outermost first.
func (m *Mux) Use(mw ...Middleware) { m.t.mw = append(m.t.mw, mw...) }

// ErrDuplicateRoute is wrapped by the error of a registration refused
// because its command, action id or callback id is taken.
var ErrDuplicateRoute = errors.New("bot: route registered twice")

// Command routes a slash command, given with its slash ("/trellis").
func (m *Mux) Command(name string, h Handler) error {
	return m.add(m.t.commands, "command", name, h)
}

// Action routes block_actions by action_id.
func (m *Mux) Action(actionID string, h Handler) error {
	return m.add(m.t.actions, "action id", actionID, h)
}

// Suggestion routes block_suggestion by action_id: the options of an
// external select (external_select, multi_external_select) for what a
// person typed. An element's block_actions (the person picking an option)
// go to the Action route of the same id.
func (m *Mux) Suggestion(actionID string, h Handler) error {
	return m.add(m.t.suggest, "suggestion action id", actionID, h)
}

// View routes view_submission by callback_id.
func (m *Mux) View(callbackID string, h Handler) error {
	return m.add(m.t.views, "view callback id", callbackID, h)
}

// ViewClosed routes view_closed by callback_id.
func (m *Mux) ViewClosed(callbackID string, h Handler) error {
	return m.add(m.t.closed, "view_closed callback id", callbackID, h)
}

// Event subscribes h to Events API events of an inner event type
// ("app_home_opened"). Several handlers may subscribe to one type.
func (m *Mux) Event(eventType string, h Handler) error {
	if eventType == "" || h == nil {
		return m.refuse(fmt.Errorf("bot: event subscription by %s needs a type and a handler", ownerName(m.owner)))
	}
	m.t.events[eventType] = append(m.t.events[eventType], route{h: h, owner: m.owner})
	return nil
}

func (m *Mux) add(routes map[string]route, what, id string, h Handler) error {
	if id == "" || h == nil {
		return m.refuse(fmt.Errorf("bot: %s route by %s needs an id and a handler", what, ownerName(m.owner)))
	}
	if old, taken := routes[id]; taken {
		return m.refuse(fmt.Errorf("%w: %s %q of %s is already registered by %s", ErrDuplicateRoute, what, id, ownerName(m.owner), ownerName(old.owner)))
	}
	routes[id] = route{h: h, owner: m.owner}
	return nil
}

func (m *Mux) refuse(err error) error {
	m.t.errs = append(m.t.errs, err)
	return err
}

// ownerName names an owner in an error; routes registered without one
// belong to the core.
func ownerName(owner string) string {
	if owner == "" {
		return "the core"
	}
	return owner
}

// Err reports every registration refused so far, joined, or nil. Start-up
// checks it once every route is registered, and refuses to serve if it is
// not nil.
func (m *Mux) Err() error { return errors.Join(m.t.errs...) }

// Routes lists the action ids and view callback ids routed, each sorted:
// what a test that must cover every button and form enumerates.
func (m *Mux) Routes() (actions, views []string) {
	return slices.Sorted(maps.Keys(m.t.actions)), slices.Sorted(maps.Keys(m.t.views))
}

// SuggestionRoutes lists the action ids whose block suggestions are
// routed, sorted, for the same tests.
func (m *Mux) SuggestionRoutes() []string { return slices.Sorted(maps.Keys(m.t.suggest)) }

// ErrNoRoute is returned for a request no handler is registered for.
var ErrNoRoute = fmt.Errorf("bot: no handler for request")

// ServeSlack dispatches req to its handler through the middleware.
//
// An event goes to every subscriber of its type, each through the
// middleware, all at once, each isolated: one that fails or panics does
// not stop the others, nor costs them their work. Each subscriber's After
// functions are its own: they are kept when it succeeds and dropped when it
// fails. The event is acked as handled only when every subscriber
// succeeded; otherwise the subscribers' errors are returned, joined, so that
// Slack retries the event. Served by a Dispatcher with a Deduper, each
// subscriber is also deduplicated on its own (see subscriberClaims): the
// retry serves only the subscribers that have not yet succeeded, and the
// After functions of those that did run even though the delivery is not
// acked. The response is the first subscriber's, in the order they
// subscribed, that is not nil.
func (m *Mux) ServeSlack(ctx context.Context, req *Request) (*Response, error) {
	if req.Kind == KindEvent {
		if req.Event == nil {
			return nil, ErrNoRoute
		}
		subs := m.t.events[req.Event.Type]
		switch len(subs) {
		case 0:
			return nil, ErrNoRoute
		case 1:
			return m.wrap(subs[0].h).ServeSlack(ctx, req)
		}
		return m.fanOut(ctx, req, subs)
	}
	r, ok := m.route(req)
	if !ok {
		return nil, ErrNoRoute
	}
	return m.wrap(r.h).ServeSlack(ctx, req)
}

// wrap applies the middleware to h.
func (m *Mux) wrap(h Handler) Handler {
	for i := len(m.t.mw) - 1; i >= 0; i-- {
		h = m.t.mw[i](h)
	}
	return h
}

// fanOut serves an event to each of its subscribers on its own goroutine,
// each with its own copy of req so that its After functions are its own.
// Those of the subscribers that succeeded move to req; when some failed,
// the error wraps errSubscribersFailed so that the Dispatcher still runs
// them.
func (m *Mux) fanOut(ctx context.Context, req *Request, subs []route) (*Response, error) {
	res := make([]*Response, len(subs))
	errs := make([]error, len(subs))
	var wg sync.WaitGroup
	for i, sub := range subs {
		wg.Go(func() {
			defer func() {
				if errs[i] != nil {
					errs[i] = fmt.Errorf("%s's %s subscriber: %w", ownerName(sub.owner), req.Event.Type, errs[i])
				}
			}()
			run, err := req.subs.claim(ctx, sub.owner)
			if !run {
				errs[i] = err // nil when an earlier delivery served it
				return
			}
			own := req.forSubscriber()
			func() {
				defer func() {
					if p := recover(); p != nil {
						errs[i] = fmt.Errorf("%w: %v\n%s", ErrHandlerPanic, p, debug.Stack())
					}
				}()
				res[i], errs[i] = m.wrap(sub.h).ServeSlack(ctx, own)
			}()
			fns := own.TakeAfter()
			if errs[i] == nil {
				for _, fn := range fns {
					req.After(fn)
				}
			} // else a retry schedules them again
			req.subs.settle(ctx, sub.owner, errs[i])
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%w: %w", errSubscribersFailed, err)
	}
	for _, r := range res {
		if r != nil {
			return r, nil
		}
	}
	return nil, nil
}

// errSubscribersFailed is wrapped by the error of an event some of whose
// subscribers failed: the After functions left on the request are those of
// the subscribers that succeeded, whose work is done and will not be served
// again, so they run although the event is not acked.
var errSubscribersFailed = errors.New("bot: some event subscribers failed")

func (m *Mux) route(req *Request) (route, bool) {
	var r route
	var ok bool
	switch req.Kind {
	case KindCommand:
		if req.Command != nil {
			r, ok = m.t.commands[req.Command.Command]
		}
	case KindBlockAction:
		if req.Interaction != nil && len(req.Interaction.ActionCallback.BlockActions) > 0 {
			r, ok = byPrefix(m.t.actions, req.Interaction.ActionCallback.BlockActions[0].ActionID)
		}
	case KindSuggestion:
		if req.Interaction != nil {
			r, ok = byPrefix(m.t.suggest, req.Interaction.ActionID)
		}
	case KindViewSubmission:
		if req.Interaction != nil {
			r, ok = byPrefix(m.t.views, req.Interaction.View.CallbackID)
		}
	case KindViewClosed:
		if req.Interaction != nil {
			r, ok = byPrefix(m.t.closed, req.Interaction.View.CallbackID)
		}
	}
	return r, ok
}

// byPrefix finds the handler for id, trying ever shorter colon-separated prefixes.
func byPrefix(routes map[string]route, id string) (route, bool) {
	for {
		if r, ok := routes[id]; ok {
			return r, true
		}
		i := strings.LastIndexByte(id, ':')
		if i < 0 {
			return route{}, false
		}
		id = id[:i]
	}
}
