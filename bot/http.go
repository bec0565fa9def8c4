package bot

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/trellis-bot/trellis/clock"
)

// Body limits for Slack's HTTP requests. Slack's own payloads are far
// smaller; the limits only stop a flood before the signature is checked.
const (
	maxEventBody       = 1 << 20
	maxCommandBody     = 64 << 10
	maxInteractionBody = 1 << 20
)

// NewHTTPHandler serves Slack's HTTP deliveries. A request whose
// Content-Type is not the one Slack sends to its endpoint (JSON for events,
// a form for the others) gets 400; every other one is verified with
// VerifySignature before it is parsed:
//
//   - POST /slack/events: url_verification answers the challenge;
//     event_callback becomes a KindEvent Request (RetryNum from
//     X-Slack-Retry-Num).
//   - POST /slack/commands: ssl_check answers 200; a slash command becomes a
//     KindCommand Request.
//   - POST /slack/interactions: the payload form field's block_actions,
//     block_suggestion, view_submission and view_closed become Requests of
//     the matching Kind; other interaction types are acknowledged and
//     ignored. A block_suggestion's options are the response body.
//
// The ack is the Dispatcher's: JSON when non-empty. When Dispatch returns an
// error the answer is 500, so Slack retries an event.
func NewHTTPHandler(d *Dispatcher, signingSecret string, clk clock.Clock, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &httpTransport{d: d, log: log}
	verify := func(mediaType string, limit int64, next http.HandlerFunc) http.Handler {
		return requireContentType(mediaType, log,
			VerifySignature(signingSecret, clk, limit, next, VerifyLogger(log), VerifyMetrics(d.metrics)))
	}
	mux := http.NewServeMux()
	mux.Handle("POST /slack/events", verify(contentJSON, maxEventBody, h.events))
	mux.Handle("POST /slack/commands", verify(contentForm, maxCommandBody, h.commands))
	mux.Handle("POST /slack/interactions", verify(contentForm, maxInteractionBody, h.interactions))
	return mux
}

// The content types Slack sends: JSON for events, a form for commands and
// interactions.
const (
	contentJSON = "application/json"
	contentForm = "application/x-www-form-urlencoded"
)

// requireContentType answers 400 to a request whose Content-Type is not
// mediaType (parameters such as charset aside), before its body is read or
// its signature checked, so that nothing behind it ever parses a body it
// was not built for.
func requireContentType(mediaType string, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || got != mediaType {
			log.WarnContext(r.Context(), "rejected slack request", "reason", "content_type",
				"path", r.URL.Path, "remote", r.RemoteAddr)
			http.Error(w, "expected Content-Type "+mediaType, http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type httpTransport struct {
	d   *Dispatcher
	log *slog.Logger
}

func (h *httpTransport) events(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		http.Error(w, "malformed JSON", http.StatusBadRequest)
		return
	}
	switch outer.Type {
	case slackevents.URLVerification:
		writeJSON(w, map[string]string{"challenge": outer.Challenge})
		return
	case slackevents.CallbackEvent:
	default:
		// app_rate_limited and anything newer: nothing to run, and a retry
		// would not help.
		h.log.InfoContext(ctx, "ignored events API envelope", "type", outer.Type)
		w.WriteHeader(http.StatusOK)
		return
	}
	req, err := eventRequest(body)
	if err != nil {
		// An event slack-go cannot parse will not parse on a retry either.
		h.log.WarnContext(ctx, "unparseable event", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
		req.RetryNum, _ = strconv.Atoi(n)
	}
	ack, err := h.d.Dispatch(ctx, req)
	h.reply(w, ack, err)
}

func (h *httpTransport) commands(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	if r.PostForm.Get("ssl_check") == "1" {
		w.WriteHeader(http.StatusOK)
		return
	}
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	ack, err := h.d.Dispatch(r.Context(), commandRequest(cmd))
	h.reply(w, ack, err)
}

func (h *httpTransport) interactions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(r.PostForm.Get("payload")), &cb); err != nil {
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	req, ok := interactionRequest(&cb)
	if !ok {
		h.log.InfoContext(ctx, "ignored interaction", "type", string(cb.Type))
		w.WriteHeader(http.StatusOK)
		return
	}
	ack, err := h.d.Dispatch(ctx, req)
	h.reply(w, ack, err)
}

func (h *httpTransport) reply(w http.ResponseWriter, ack []byte, err error) {
	if err != nil {
		// Dispatch has logged the detail; Slack only needs to know.
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if len(ack) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(ack)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// eventRequest turns an Events API event_callback envelope into a Request.
// RetryNum is left for the transport to fill.
func eventRequest(raw []byte) (*Request, error) {
	var cb slackevents.EventsAPICallbackEvent
	if err := json.Unmarshal(raw, &cb); err != nil {
		return nil, fmt.Errorf("parse event envelope: %w", err)
	}
	ev, err := slackevents.ParseEvent(raw, slackevents.OptionNoVerifyToken())
	if err != nil {
		return nil, fmt.Errorf("parse event %s: %w", cb.EventID, err)
	}
	inner := ev.InnerEvent
	req := &Request{
		Kind:         KindEvent,
		TeamID:       cb.TeamID,
		EnterpriseID: cb.EnterpriseID,
		Event:        &inner,
		EventID:      cb.EventID,
	}
	if cb.InnerEvent != nil {
		req.UserID, req.ChannelID = eventUserChannel(*cb.InnerEvent)
	}
	return req, nil
}

// eventUserChannel reads the acting user and the channel of an inner event,
// whichever event type it is: "user" and "channel" are either IDs or objects
// with an "id" (user_change, channel_created).
func eventUserChannel(raw json.RawMessage) (user, channel string) {
	var ev struct {
		User    json.RawMessage `json:"user"`
		Channel json.RawMessage `json:"channel"`
	}
	if json.Unmarshal(raw, &ev) != nil {
		return "", ""
	}
	return idOf(ev.User), idOf(ev.Channel)
}

func idOf(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.ID
	}
	return ""
}

// commandRequest turns a slash command into a Request.
func commandRequest(cmd slack.SlashCommand) *Request {
	return &Request{
		Kind:         KindCommand,
		TeamID:       cmd.TeamID,
		EnterpriseID: cmd.EnterpriseID,
		UserID:       cmd.UserID,
		ChannelID:    cmd.ChannelID,
		Command:      &cmd,
	}
}

// interactionRequest turns an interaction payload into a Request; false
// for the types Trellis does not handle (shortcut, message_action, ...).
func interactionRequest(cb *slack.InteractionCallback) (*Request, bool) {
	var kind Kind
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		kind = KindBlockAction
	case slack.InteractionTypeBlockSuggestion:
		kind = KindSuggestion
	case slack.InteractionTypeViewSubmission:
		kind = KindViewSubmission
	case slack.InteractionTypeViewClosed:
		kind = KindViewClosed
	default:
		return nil, false
	}
	team := cb.Team.ID
	if team == "" {
		team = cb.View.TeamID
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	return &Request{
		Kind:         kind,
		TeamID:       team,
		EnterpriseID: cb.Enterprise.ID,
		UserID:       cb.User.ID,
		ChannelID:    channel,
		Interaction:  cb,
	}, true
}
