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
	"fmt"
	"maps"
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
type Response struct {
	Body any
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

// Mux routes requests to handlers by slash command, action_id, view
// callback_id or event type. Action and view routes match by prefix up to a
// colon, so "checkin:answer" is served by the handler registered for
// "checkin:answer" or, failing that, "checkin".
type Mux struct {
	commands map[string]Handler
	actions  map[string]Handler
	views    map[string]Handler
	closed   map[string]Handler
	events   map[string]Handler
	mw       []Middleware
}

// NewMux returns an empty Mux.
func NewMux() *Mux {
	return &Mux{
		commands: map[string]Handler{},
		actions:  map[string]Handler{},
		views:    map[string]Handler{},
		closed:   map[string]Handler{},
		events:   map[string]Handler{},
	}
}

// Use adds middleware applied to every route, outermost first.
func (m *Mux) Use(mw ...Middleware) { m.mw = append(m.mw, mw...) }

// Command routes a slash command, given with its slash ("/trellis").
func (m *Mux) Command(name string, h Handler) { m.commands[name] = h }

// Action routes block_actions by action_id.
func (m *Mux) Action(actionID string, h Handler) { m.actions[actionID] = h }

// View routes view_submission by callback_id.
func (m *Mux) View(callbackID string, h Handler) { m.views[callbackID] = h }

// ViewClosed routes view_closed by callback_id.
func (m *Mux) ViewClosed(callbackID string, h Handler) { m.closed[callbackID] = h }

// Event routes Events API events by inner event type ("app_home_opened").
func (m *Mux) Event(eventType string, h Handler) { m.events[eventType] = h }

// Routes lists the action ids and view callback ids routed, each sorted:
// what a test that must cover every button and form enumerates.
func (m *Mux) Routes() (actions, views []string) {
	return slices.Sorted(maps.Keys(m.actions)), slices.Sorted(maps.Keys(m.views))
}

// ErrNoRoute is returned for a request no handler is registered for.
var ErrNoRoute = fmt.Errorf("bot: no handler for request")

// ServeSlack dispatches req to its handler through the middleware.
func (m *Mux) ServeSlack(ctx context.Context, req *Request) (*Response, error) {
	h := m.route(req)
	if h == nil {
		return nil, ErrNoRoute
	}
	for i := len(m.mw) - 1; i >= 0; i-- {
		h = m.mw[i](h)
	}
	return h.ServeSlack(ctx, req)
}

func (m *Mux) route(req *Request) Handler {
	switch req.Kind {
	case KindCommand:
		if req.Command != nil {
			return m.commands[req.Command.Command]
		}
	case KindBlockAction:
		if req.Interaction != nil && len(req.Interaction.ActionCallback.BlockActions) > 0 {
			return byPrefix(m.actions, req.Interaction.ActionCallback.BlockActions[0].ActionID)
		}
	case KindViewSubmission:
		if req.Interaction != nil {
			return byPrefix(m.views, req.Interaction.View.CallbackID)
		}
	case KindViewClosed:
		if req.Interaction != nil {
			return byPrefix(m.closed, req.Interaction.View.CallbackID)
		}
	case KindEvent:
		if req.Event != nil {
			return m.events[req.Event.Type]
		}
	}
	return nil
}

// byPrefix finds the handler for id, trying ever shorter colon-separated prefixes.
func byPrefix(routes map[string]Handler, id string) Handler {
	for {
		if h, ok := routes[id]; ok {
			return h
		}
		i := strings.LastIndexByte(id, ':')
		if i < 0 {
			return nil
		}
		id = id[:i]
	}
}
