package slacksim

import (
	"encoding/json"
	"time"
)

// This file holds the control API's request and response bodies, shared by
// the server's handlers and the Control client.

// Info describes the emulated workspace (GET /control/info).
type Info struct {
	TeamID            string    `json:"team_id"`
	TeamName          string    `json:"team_name"`
	AppID             string    `json:"app_id"`
	BotUserID         string    `json:"bot_user_id"`
	BotID             string    `json:"bot_id"`
	APIURL            string    `json:"api_url"`
	Now               time.Time `json:"now"`
	Delivery          string    `json:"delivery"`
	SocketConnections int       `json:"socket_connections"`
	Installed         bool      `json:"installed"`
}

// Person is a person in the workspace as the control API shows them.
type Person struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	RealName         string `json:"real_name"`
	Email            string `json:"email,omitempty"`
	TZ               string `json:"tz"`
	TZLabel          string `json:"tz_label"`
	TZOffset         int    `json:"tz_offset"`
	IsAdmin          bool   `json:"is_admin"`
	IsOwner          bool   `json:"is_owner"`
	Deleted          bool   `json:"deleted"`
	StatusText       string `json:"status_text"`
	StatusEmoji      string `json:"status_emoji"`
	StatusExpiration int64  `json:"status_expiration"`
	DNDEnabled       bool   `json:"dnd_enabled"`
	DM               string `json:"dm"`
	// Fields are the person's custom profile fields, label → value.
	Fields map[string]string `json:"fields,omitempty"`
}

// NewPerson is the body of POST /control/people.
type NewPerson struct {
	Name             string `json:"name"`
	RealName         string `json:"real_name"`
	Email            string `json:"email,omitempty"`
	TZ               string `json:"tz"`
	IsAdmin          bool   `json:"is_admin"`
	IsOwner          bool   `json:"is_owner"`
	StatusText       string `json:"status_text,omitempty"`
	StatusEmoji      string `json:"status_emoji,omitempty"`
	StatusExpiration int64  `json:"status_expiration,omitempty"`
	// Fields are custom profile fields, label → value, like {"Team":
	// "Payments"}. The workspace defines each label once, with an id
	// like Slack's ("Xf…"), the first time any person uses it.
	Fields map[string]string `json:"fields,omitempty"`
	// IsBot makes the person an integration's bot user (is_bot true in
	// users.info), which a channel's members include.
	IsBot bool `json:"is_bot,omitempty"`
}

// PersonPatch is the body of PATCH /control/people/{id}; nil fields are left
// alone.
type PersonPatch struct {
	RealName         *string `json:"real_name,omitempty"`
	TZ               *string `json:"tz,omitempty"`
	StatusText       *string `json:"status_text,omitempty"`
	StatusEmoji      *string `json:"status_emoji,omitempty"`
	StatusExpiration *int64  `json:"status_expiration,omitempty"`
	IsAdmin          *bool   `json:"is_admin,omitempty"`
	Deleted          *bool   `json:"deleted,omitempty"`
	// Fields sets custom profile fields, label → value; an empty value
	// clears that field, labels not named are left alone. Changing only
	// fields emits no user_change, as in Slack.
	Fields map[string]string `json:"fields,omitempty"`
}

// CommandRequest runs a slash command as a person (POST /control/command).
type CommandRequest struct {
	User string `json:"user"`
	// Text is the whole line typed, like "/trellis me".
	Text string `json:"text"`
	// Channel defaults to the person's DM with the bot.
	Channel string `json:"channel,omitempty"`
}

// CommandResponse is the bot's ack to a slash command.
type CommandResponse struct {
	ResponseType string          `json:"response_type,omitempty"`
	Text         string          `json:"text,omitempty"`
	Blocks       json.RawMessage `json:"blocks,omitempty"`
}

// CommandResult is what POST /control/command returns.
type CommandResult struct {
	OK          bool             `json:"ok"`
	Status      int              `json:"status"`
	Response    *CommandResponse `json:"response,omitempty"`
	Error       string           `json:"error,omitempty"`
	Channel     string           `json:"channel"`
	TriggerID   string           `json:"trigger_id"`
	ResponseURL string           `json:"response_url"`
}

// ActionRequest clicks or changes an interactive element on a message or a
// view (POST /control/actions). Without MessageTS and ViewID the element is
// looked up in the person's top modal, then their home tab, then the newest
// messages they can see in Channel.
type ActionRequest struct {
	User      string `json:"user"`
	Channel   string `json:"channel,omitempty"`
	MessageTS string `json:"message_ts,omitempty"`
	ViewID    string `json:"view_id,omitempty"`
	ActionID  string `json:"action_id"`
	BlockID   string `json:"block_id,omitempty"`
	// Value overrides a button's value, or is the text of a text input.
	Value           string          `json:"value,omitempty"`
	SelectedOption  json.RawMessage `json:"selected_option,omitempty"`
	SelectedOptions json.RawMessage `json:"selected_options,omitempty"`
	SelectedDate    string          `json:"selected_date,omitempty"`
	SelectedTime    string          `json:"selected_time,omitempty"`
	SelectedUser    string          `json:"selected_user,omitempty"`
	SelectedUsers   []string        `json:"selected_users,omitempty"`
	SelectedChannel string          `json:"selected_channel,omitempty"`
	// The rest of the state keys Slack reports, so a page can send back an
	// element's state object as is.
	SelectedChannels      []string        `json:"selected_channels,omitempty"`
	SelectedConversation  string          `json:"selected_conversation,omitempty"`
	SelectedConversations []string        `json:"selected_conversations,omitempty"`
	SelectedDateTime      int64           `json:"selected_date_time,omitempty"`
	RichTextValue         json.RawMessage `json:"rich_text_value,omitempty"`
}

// ActionResult is what POST /control/actions returns.
type ActionResult struct {
	OK          bool            `json:"ok"`
	Status      int             `json:"status"`
	Ack         json.RawMessage `json:"ack,omitempty"`
	Error       string          `json:"error,omitempty"`
	TriggerID   string          `json:"trigger_id,omitempty"`
	ResponseURL string          `json:"response_url,omitempty"`
}

// SuggestionRequest types a query into an external select
// (external_select or multi_external_select) on a message or a view, as a
// person does before picking (POST /control/suggestions): the bot is sent
// a block_suggestion with the query as value and answers with the options
// to show. The element is looked up as for ActionRequest.
type SuggestionRequest struct {
	User      string `json:"user"`
	Channel   string `json:"channel,omitempty"`
	MessageTS string `json:"message_ts,omitempty"`
	ViewID    string `json:"view_id,omitempty"`
	ActionID  string `json:"action_id"`
	BlockID   string `json:"block_id,omitempty"`
	// Value is what the person typed. Slack sends nothing until it has
	// the element's min_query_length characters (3 when not set).
	Value string `json:"value"`
}

// SuggestionResult is what POST /control/suggestions returns: the options
// the bot answered, each group's flattened into Options with its label, or
// an Error saying why Slack would show the menu as failed to load (no ack
// in time, an answer that is not JSON options, more than 100 options, an
// option's text over 75 characters or value over 150).
type SuggestionResult struct {
	OK      bool              `json:"ok"`
	Status  int               `json:"status"`
	Options []SuggestedOption `json:"options"`
	Ack     json.RawMessage   `json:"ack,omitempty"`
	Error   string            `json:"error,omitempty"`
}

// SuggestedOption is one option of the bot's answer to a block_suggestion.
type SuggestedOption struct {
	Text  string `json:"text"`
	Value string `json:"value"`
	// Group is the label of the option group it is in, if any.
	Group string `json:"group,omitempty"`
}

// View is a modal or home view, in the shape Slack's API returns it.
type View struct {
	ID                 string            `json:"id"`
	TeamID             string            `json:"team_id"`
	Type               string            `json:"type"`
	Title              json.RawMessage   `json:"title"`
	Close              json.RawMessage   `json:"close"`
	Submit             json.RawMessage   `json:"submit"`
	Blocks             json.RawMessage   `json:"blocks"`
	PrivateMetadata    string            `json:"private_metadata"`
	CallbackID         string            `json:"callback_id"`
	State              ViewState         `json:"state"`
	Hash               string            `json:"hash"`
	ClearOnClose       bool              `json:"clear_on_close"`
	NotifyOnClose      bool              `json:"notify_on_close"`
	RootViewID         string            `json:"root_view_id"`
	PreviousViewID     *string           `json:"previous_view_id"`
	AppID              string            `json:"app_id"`
	ExternalID         string            `json:"external_id"`
	AppInstalledTeamID string            `json:"app_installed_team_id"`
	BotID              string            `json:"bot_id"`
	Errors             map[string]string `json:"errors,omitempty"` // sandbox only: the errors the bot last showed
}

// ViewState is a view's state.values: block_id → action_id → value object.
type ViewState struct {
	Values map[string]map[string]json.RawMessage `json:"values"`
}

// SubmitRequest submits a person's top modal
// (POST /control/views/{view_id}/submit). Values are merged into the view's
// state: block_id → action_id → value object such as {"value":"x"},
// {"selected_option":{...}}, {"selected_date":"2024-05-01"}; "type" may be
// left out.
type SubmitRequest struct {
	User   string                                `json:"user"`
	Values map[string]map[string]json.RawMessage `json:"values,omitempty"`
}

// SubmitResult is what view submission and closing return.
type SubmitResult struct {
	OK             bool              `json:"ok"`
	Status         int               `json:"status"`
	ResponseAction string            `json:"response_action,omitempty"`
	Errors         map[string]string `json:"errors,omitempty"`
	Views          []View            `json:"views"`
	Error          string            `json:"error,omitempty"`
}

// UserRequest is a body naming one person.
type UserRequest struct {
	User string `json:"user"`
}

// HomeResult is what POST /control/home/open returns.
type HomeResult struct {
	OK     bool   `json:"ok"`
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
	View   *View  `json:"view"`
}

// Conversation is a DM, group DM or channel as the control API shows it.
type Conversation struct {
	ID      string   `json:"id"`
	Kind    string   `json:"kind"` // "im", "mpim" (a group DM) or "channel"
	Name    string   `json:"name"`
	User    string   `json:"user,omitempty"`
	Members []string `json:"members"`
}

// NewChannel is the body of POST /control/channels.
type NewChannel struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
	Private bool     `json:"private,omitempty"`
	// WithoutBot leaves the bot out of the channel.
	WithoutBot bool `json:"without_bot,omitempty"`
}

// Message is a message as the control API shows it.
type Message struct {
	TS        string          `json:"ts"`
	Channel   string          `json:"channel"`
	User      string          `json:"user,omitempty"`
	BotID     string          `json:"bot_id,omitempty"`
	Text      string          `json:"text"`
	Blocks    json.RawMessage `json:"blocks,omitempty"`
	ThreadTS  string          `json:"thread_ts,omitempty"`
	Metadata  *Metadata       `json:"metadata,omitempty"`
	Ephemeral bool            `json:"ephemeral,omitempty"`
	VisibleTo string          `json:"visible_to,omitempty"`
	Edited    bool            `json:"edited,omitempty"`
	// Files are the files the message shares (files.completeUploadExternal).
	Files []File `json:"files,omitempty"`
	// Username and IconURL are the name and picture a bot message was
	// posted under (chat.postMessage's username and icon_url), if any.
	Username string `json:"username,omitempty"`
	IconURL  string `json:"icon_url,omitempty"`
	// Broadcast marks a thread reply also shown in the channel
	// (reply_broadcast).
	Broadcast bool `json:"broadcast,omitempty"`
}

// PostMessageRequest makes a person type a message (POST /control/messages).
type PostMessageRequest struct {
	User     string `json:"user"`
	Channel  string `json:"channel"`
	Text     string `json:"text"`
	ThreadTS string `json:"thread_ts,omitempty"`
}

// ClockState is what GET and POST /control/clock return.
type ClockState struct {
	Now       time.Time `json:"now"`
	Simulated bool      `json:"simulated"`
	Frozen    bool      `json:"frozen"`
}

// ClockRequest moves a simulated clock: Set (RFC 3339) or Advance (a Go
// duration like "90m").
type ClockRequest struct {
	Set     string `json:"set,omitempty"`
	Advance string `json:"advance,omitempty"`
}

// Call is one Web API call in the call log.
type Call struct {
	Method string `json:"method"`
	// Time is when the call arrived; Answered when its response was sent.
	Time     time.Time `json:"time"`
	Answered time.Time `json:"answered"`
	Status   int       `json:"status"`
	OK       bool      `json:"ok"`
	Error    string    `json:"error,omitempty"`
	Channel  string    `json:"channel,omitempty"`
	// Trigger is the call's trigger_id (views.open and views.push), so
	// a test can tell which command or click a form answered.
	Trigger    string `json:"trigger,omitempty"`
	Team       string `json:"team"`
	RetryAfter int    `json:"retry_after,omitempty"`
	// EarlyRetry is set when the call came before the Retry-After of an
	// earlier 429 for the same method (and channel, for chat.postMessage's
	// per-channel limit) had passed.
	EarlyRetry bool `json:"early_retry,omitempty"`
}

// Fault injects failures into one method (or "*" for every method). With
// Every, every Nth call from now on is answered with Status (default 429,
// with Retry-After RetryAfter, default 1). With Next, the next K calls are
// answered with Status (default 500). With AfterEffect the call takes
// effect first (the message is posted) and only the answer is the error:
// the timeout-after-Slack-accepted case a sender must reconcile. With
// Hang (and neither Every nor Next), every call is held unanswered until
// the fault is cleared — then it is served as usual — or the caller gives
// up: a method that is slow without end.
//
// Hold (a duration like "4s") holds the answer back that long after the
// call was handled: with no Status the call takes effect and its normal
// answer comes late (a slow Slack); a Hold longer than the client waits is
// a message Slack accepted whose answer never arrives. The emulator stops
// holding when the client hangs up.
type Fault struct {
	Method      string `json:"method"`
	Every       int    `json:"every,omitempty"`
	Next        int    `json:"next,omitempty"`
	Status      int    `json:"status,omitempty"`
	RetryAfter  int    `json:"retry_after,omitempty"`
	AfterEffect bool   `json:"after_effect,omitempty"`
	Hold        string `json:"hold,omitempty"`
	Hang        bool   `json:"hang,omitempty"`
}

// Limits changes rate limits (POST /control/limits).
type Limits struct {
	MessageCapPerMinute int `json:"message_cap_per_minute,omitempty"`
	// Methods overrides a method's calls-per-window limit (0 means
	// unlimited, a negative number restores the tier's limit).
	Methods map[string]int `json:"methods,omitempty"`
	// Window changes the window length, like "2s" (tests only).
	Window string `json:"window,omitempty"`
	// Reset forgets the calls counted so far.
	Reset bool `json:"reset,omitempty"`
}

// DND sets a person's Do Not Disturb state (POST /control/dnd).
type DND struct {
	User           string `json:"user"`
	DNDEnabled     bool   `json:"dnd_enabled"`
	NextDNDStartTS int64  `json:"next_dnd_start_ts"`
	NextDNDEndTS   int64  `json:"next_dnd_end_ts"`
}

// UninstallRequest uninstalls the app (POST /control/uninstall): tokens stop
// working and the bot gets tokens_revoked and app_uninstalled.
type UninstallRequest struct {
	// UninstalledFirst sends app_uninstalled before tokens_revoked (Slack
	// does not promise an order).
	UninstalledFirst bool `json:"uninstalled_first,omitempty"`
}

// Delivery is one attempt to deliver an event, command or interaction.
type Delivery struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"` // "event", "command" or "interaction"
	Type        string    `json:"type"`
	Mode        string    `json:"mode"`
	Attempt     int       `json:"attempt"`
	RetryReason string    `json:"retry_reason,omitempty"`
	Time        time.Time `json:"time"`
	Acked       bool      `json:"acked"`
	Status      int       `json:"status"`
	Error       string    `json:"error,omitempty"`
}

// SocketDisconnectResult is what POST /control/socket/disconnect returns.
type SocketDisconnectResult struct {
	Disconnected int `json:"disconnected"`
}
