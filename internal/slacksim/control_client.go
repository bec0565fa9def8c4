package slacksim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Control is a client for the emulator's control API. End-to-end tests use
// it to play the people in the workspace through the same HTTP API as the
// sandbox's web page.
type Control struct {
	base string
	http *http.Client
	// clock moves the simulated clock: the bot runs every instant with
	// work on the way before the call returns, so a month of a busy
	// sandbox takes tens of seconds, more under the race detector.
	clock *http.Client
}

// NewControl returns a client for the emulator at baseURL (Server.URL()).
func NewControl(baseURL string) *Control {
	return &Control{base: strings.TrimSuffix(baseURL, "/"), http: &http.Client{Timeout: 30 * time.Second},
		clock: &http.Client{Timeout: 5 * time.Minute}}
}

// ControlError is a control API refusal: HTTP status and message.
type ControlError struct {
	Status  int
	Message string
}

// Error describes the refusal.
func (e *ControlError) Error() string {
	return fmt.Sprintf("slacksim control: HTTP %d: %s", e.Status, e.Message)
}

func (c *Control) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("slacksim control: encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("slacksim control: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := c.http
	if path == "/control/clock" && method == http.MethodPost {
		client = c.clock
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("slacksim control: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("slacksim control: read %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(rb, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(rb))
		}
		return &ControlError{Status: resp.StatusCode, Message: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(rb, out); err != nil {
		return fmt.Errorf("slacksim control: decode %s %s: %w", method, path, err)
	}
	return nil
}

// Info describes the workspace (GET /control/info).
func (c *Control) Info(ctx context.Context) (Info, error) {
	var out Info
	err := c.do(ctx, http.MethodGet, "/control/info", nil, &out)
	return out, err
}

// People lists the people in the workspace, bots excluded (GET /control/people).
func (c *Control) People(ctx context.Context) ([]Person, error) {
	var out struct {
		People []Person `json:"people"`
	}
	err := c.do(ctx, http.MethodGet, "/control/people", nil, &out)
	return out.People, err
}

// AddPerson adds a person (POST /control/people).
func (c *Control) AddPerson(ctx context.Context, p NewPerson) (Person, error) {
	var out Person
	err := c.do(ctx, http.MethodPost, "/control/people", p, &out)
	return out, err
}

// UpdatePerson changes a person and emits user_change
// (PATCH /control/people/{id}).
func (c *Control) UpdatePerson(ctx context.Context, id string, p PersonPatch) (Person, error) {
	var out Person
	err := c.do(ctx, http.MethodPatch, "/control/people/"+url.PathEscape(id), p, &out)
	return out, err
}

// Command runs a slash command as a person and returns the bot's ack
// (POST /control/command).
func (c *Control) Command(ctx context.Context, r CommandRequest) (CommandResult, error) {
	var out CommandResult
	err := c.do(ctx, http.MethodPost, "/control/command", r, &out)
	return out, err
}

// Action clicks an element on a message or view (POST /control/actions).
func (c *Control) Action(ctx context.Context, r ActionRequest) (ActionResult, error) {
	var out ActionResult
	err := c.do(ctx, http.MethodPost, "/control/actions", r, &out)
	return out, err
}

// Suggest types a query into an external select as a person and returns
// the options the bot answered (POST /control/suggestions).
func (c *Control) Suggest(ctx context.Context, r SuggestionRequest) (SuggestionResult, error) {
	var out SuggestionResult
	err := c.do(ctx, http.MethodPost, "/control/suggestions", r, &out)
	return out, err
}

// Views returns a person's modal stack, top last (GET /control/views).
func (c *Control) Views(ctx context.Context, user string) ([]View, error) {
	var out struct {
		Views []View `json:"views"`
	}
	err := c.do(ctx, http.MethodGet, "/control/views?user="+url.QueryEscape(user), nil, &out)
	return out.Views, err
}

// SubmitView submits a person's top modal
// (POST /control/views/{view_id}/submit).
func (c *Control) SubmitView(ctx context.Context, viewID string, r SubmitRequest) (SubmitResult, error) {
	var out SubmitResult
	err := c.do(ctx, http.MethodPost, "/control/views/"+url.PathEscape(viewID)+"/submit", r, &out)
	return out, err
}

// CloseView closes a person's top modal as Cancel does
// (POST /control/views/{view_id}/close).
func (c *Control) CloseView(ctx context.Context, viewID, user string) (SubmitResult, error) {
	var out SubmitResult
	err := c.do(ctx, http.MethodPost, "/control/views/"+url.PathEscape(viewID)+"/close", UserRequest{User: user}, &out)
	return out, err
}

// Home returns a person's published home view, or nil (GET /control/home).
func (c *Control) Home(ctx context.Context, user string) (*View, error) {
	var out struct {
		View *View `json:"view"`
	}
	err := c.do(ctx, http.MethodGet, "/control/home?user="+url.QueryEscape(user), nil, &out)
	return out.View, err
}

// OpenHome opens a person's Home tab: it emits app_home_opened and waits for
// the ack (POST /control/home/open).
func (c *Control) OpenHome(ctx context.Context, user string) (HomeResult, error) {
	var out HomeResult
	err := c.do(ctx, http.MethodPost, "/control/home/open", UserRequest{User: user}, &out)
	return out, err
}

// Conversations lists the conversations a person is in, or all of them when
// user is empty (GET /control/conversations).
func (c *Control) Conversations(ctx context.Context, user string) ([]Conversation, error) {
	var out struct {
		Conversations []Conversation `json:"conversations"`
	}
	err := c.do(ctx, http.MethodGet, "/control/conversations?user="+url.QueryEscape(user), nil, &out)
	return out.Conversations, err
}

// CreateChannel creates a channel (POST /control/channels).
func (c *Control) CreateChannel(ctx context.Context, r NewChannel) (Conversation, error) {
	var out Conversation
	err := c.do(ctx, http.MethodPost, "/control/channels", r, &out)
	return out, err
}

// JoinChannel adds a person to a channel (POST /control/channels/{id}/members).
func (c *Control) JoinChannel(ctx context.Context, channel, user string) (Conversation, error) {
	var out Conversation
	err := c.do(ctx, http.MethodPost, "/control/channels/"+url.PathEscape(channel)+"/members", UserRequest{User: user}, &out)
	return out, err
}

// LeaveChannel removes a person from a channel
// (DELETE /control/channels/{id}/members/{user}).
func (c *Control) LeaveChannel(ctx context.Context, channel, user string) (Conversation, error) {
	var out Conversation
	err := c.do(ctx, http.MethodDelete, "/control/channels/"+url.PathEscape(channel)+"/members/"+url.PathEscape(user), nil, &out)
	return out, err
}

// Messages lists a conversation's messages in order, with the ephemeral
// ones visible to as (GET /control/conversations/{channel}/messages).
// channel may be a person's id, meaning their DM with the bot.
func (c *Control) Messages(ctx context.Context, channel, as string) ([]Message, error) {
	var out struct {
		Messages []Message `json:"messages"`
	}
	err := c.do(ctx, http.MethodGet, "/control/conversations/"+url.PathEscape(channel)+"/messages?as="+url.QueryEscape(as), nil, &out)
	return out.Messages, err
}

// GroupDM finds the group DM (a multi-person IM, kind "mpim") of exactly
// users and the bot, in any order; ok is false when none was opened
// (conversations.open with those users). It does not open one.
func (c *Control) GroupDM(ctx context.Context, users ...string) (conv Conversation, ok bool, err error) {
	info, err := c.Info(ctx)
	if err != nil {
		return Conversation{}, false, err
	}
	convs, err := c.Conversations(ctx, "")
	if err != nil {
		return Conversation{}, false, err
	}
	want := slices.Sorted(slices.Values(append(slices.Clone(users), info.BotUserID)))
	want = slices.Compact(want)
	for _, cv := range convs {
		if cv.Kind == "mpim" && slices.Equal(slices.Sorted(slices.Values(cv.Members)), want) {
			return cv, true, nil
		}
	}
	return Conversation{}, false, nil
}

// GroupMessages lists the bot's messages in the group DM of exactly users
// (GroupDM), oldest first; none when that group DM was never opened.
func (c *Control) GroupMessages(ctx context.Context, users ...string) ([]Message, error) {
	conv, ok, err := c.GroupDM(ctx, users...)
	if err != nil || !ok {
		return nil, err
	}
	msgs, err := c.Messages(ctx, conv.ID, "")
	if err != nil {
		return nil, err
	}
	out := msgs[:0]
	for _, m := range msgs {
		if m.BotID != "" {
			out = append(out, m)
		}
	}
	return out, nil
}

// Files lists the files the bot shared into a conversation, oldest first,
// with their content (GET /control/conversations/{channel}/files). channel
// may be a person's id, meaning their DM with the bot.
func (c *Control) Files(ctx context.Context, channel string) ([]File, error) {
	var out struct {
		Files []File `json:"files"`
	}
	err := c.do(ctx, http.MethodGet, "/control/conversations/"+url.PathEscape(channel)+"/files", nil, &out)
	return out.Files, err
}

// WaitMessages polls Messages until done returns true or ctx ends.
func (c *Control) WaitMessages(ctx context.Context, channel, as string, done func([]Message) bool) ([]Message, error) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		msgs, err := c.Messages(ctx, channel, as)
		if err != nil {
			return nil, err
		}
		if done(msgs) {
			return msgs, nil
		}
		select {
		case <-ctx.Done():
			return msgs, fmt.Errorf("slacksim control: waiting for messages in %s: %w", channel, ctx.Err())
		case <-t.C:
		}
	}
}

// PostMessage makes a person type a message (POST /control/messages).
func (c *Control) PostMessage(ctx context.Context, r PostMessageRequest) (Message, error) {
	var out Message
	err := c.do(ctx, http.MethodPost, "/control/messages", r, &out)
	return out, err
}

// Clock returns the emulator's clock (GET /control/clock).
func (c *Control) Clock(ctx context.Context) (ClockState, error) {
	var out ClockState
	err := c.do(ctx, http.MethodGet, "/control/clock", nil, &out)
	return out, err
}

// SetClock moves a simulated clock to t (POST /control/clock).
func (c *Control) SetClock(ctx context.Context, t time.Time) (ClockState, error) {
	var out ClockState
	err := c.do(ctx, http.MethodPost, "/control/clock", ClockRequest{Set: t.Format(time.RFC3339Nano)}, &out)
	return out, err
}

// AdvanceClock moves a simulated clock by d (POST /control/clock).
func (c *Control) AdvanceClock(ctx context.Context, d time.Duration) (ClockState, error) {
	var out ClockState
	err := c.do(ctx, http.MethodPost, "/control/clock", ClockRequest{Advance: d.String()}, &out)
	return out, err
}

// Calls returns the Web API call log, for one method or all when method is
// empty (GET /control/calls).
func (c *Control) Calls(ctx context.Context, method string) ([]Call, error) {
	var out struct {
		Calls []Call `json:"calls"`
	}
	err := c.do(ctx, http.MethodGet, "/control/calls?method="+url.QueryEscape(method), nil, &out)
	return out.Calls, err
}

// ClearCalls empties the call log (DELETE /control/calls).
func (c *Control) ClearCalls(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/control/calls", nil, nil)
}

// AddFault injects failures into a method (POST /control/faults) and
// returns the rule with its defaults filled in.
func (c *Control) AddFault(ctx context.Context, f Fault) (Fault, error) {
	var out Fault
	err := c.do(ctx, http.MethodPost, "/control/faults", f, &out)
	return out, err
}

// ClearFaults removes injected faults, for one method or all when method is
// empty (DELETE /control/faults).
func (c *Control) ClearFaults(ctx context.Context, method string) error {
	return c.do(ctx, http.MethodDelete, "/control/faults?method="+url.QueryEscape(method), nil, nil)
}

// SetLimits changes rate limits (POST /control/limits).
func (c *Control) SetLimits(ctx context.Context, l Limits) error {
	return c.do(ctx, http.MethodPost, "/control/limits", l, nil)
}

// SetDND sets a person's Do Not Disturb state (POST /control/dnd).
func (c *Control) SetDND(ctx context.Context, d DND) error {
	return c.do(ctx, http.MethodPost, "/control/dnd", d, nil)
}

// DisconnectSockets sends disconnect (reason refresh_requested) to every
// Socket Mode connection (POST /control/socket/disconnect).
func (c *Control) DisconnectSockets(ctx context.Context) (int, error) {
	var out SocketDisconnectResult
	err := c.do(ctx, http.MethodPost, "/control/socket/disconnect", nil, &out)
	return out.Disconnected, err
}

// Uninstall revokes the app's tokens and emits tokens_revoked and
// app_uninstalled (POST /control/uninstall).
func (c *Control) Uninstall(ctx context.Context, r UninstallRequest) (Info, error) {
	var out Info
	err := c.do(ctx, http.MethodPost, "/control/uninstall", r, &out)
	return out, err
}

// Install makes the app's tokens work again (POST /control/install).
func (c *Control) Install(ctx context.Context) (Info, error) {
	var out Info
	err := c.do(ctx, http.MethodPost, "/control/install", nil, &out)
	return out, err
}

// Deliveries lists every attempt to deliver something to the bot
// (GET /control/deliveries).
func (c *Control) Deliveries(ctx context.Context) ([]Delivery, error) {
	var out struct {
		Deliveries []Delivery `json:"deliveries"`
	}
	err := c.do(ctx, http.MethodGet, "/control/deliveries", nil, &out)
	return out.Deliveries, err
}

// DMTally counts the bot's messages across many DMs.
type DMTally struct {
	Messages   int64 // the bot's messages in all the DMs
	Missing    int64 // DMs without one
	Duplicates int64 // messages past the first in a DM, plus keys seen in two messages
}

// TallyDMs reads the DMs in dms (user id → DM channel id), eight at a
// time, and tallies the bot's messages there: what a benchmark checks
// after delivering one message to each person. keys, when set, names what
// a message delivers (the occurrence ids in its metadata, say); a key in
// two messages is a duplicate too. It stops at the first error.
func (c *Control) TallyDMs(ctx context.Context, dms map[string]string, keys func(Message) []string) (DMTally, error) {
	users := make([]string, 0, len(dms))
	for u := range dms {
		users = append(users, u)
	}
	var (
		msgs, missing, dupes atomic.Int64
		next                 atomic.Int64
		seen                 sync.Map
		wg                   sync.WaitGroup
		errOnce              sync.Once
		firstErr             error
	)
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(users) {
					return
				}
				list, err := c.Messages(ctx, dms[users[i]], users[i])
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("messages of %s: %w", users[i], err) })
					return
				}
				var bots int64
				for _, m := range list {
					if m.BotID == "" {
						continue
					}
					bots++
					if keys == nil {
						continue
					}
					for _, k := range keys(m) {
						if _, dup := seen.LoadOrStore(k, true); dup {
							dupes.Add(1)
						}
					}
				}
				msgs.Add(bots)
				switch {
				case bots == 0:
					missing.Add(1)
				case bots > 1:
					dupes.Add(bots - 1)
				}
			}
		})
	}
	wg.Wait()
	return DMTally{Messages: msgs.Load(), Missing: missing.Load(), Duplicates: dupes.Load()}, firstErr
}
