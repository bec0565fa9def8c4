package bot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// HTTPDoer sends an HTTP request; *http.Client and *Transport both are.
type HTTPDoer interface {
	Do(req *http.Request) (*http.Response, error)
}

// SocketConfig configures a SocketMode transport. Dispatcher and AppToken
// are required.
type SocketConfig struct {
	Dispatcher *Dispatcher
	Logger     *slog.Logger
	// AppToken is the app-level token (xapp-…) with connections:write.
	AppToken string
	// BotToken is the bot token of the client the socket is opened with.
	// apps.connections.open only needs AppToken.
	BotToken string
	// APIURL is the Web API base URL, ending in a slash. Default
	// slack.APIURL; tests point it at the emulator.
	APIURL string
	// HTTPClient sends apps.connections.open, normally a *Transport.
	// Default: an http.Client with a 30 s timeout.
	HTTPClient HTTPDoer
	// Dialer opens the WebSocket. Default: slack-go's.
	Dialer *websocket.Dialer
	// PingInterval is how long without a ping from Slack before the
	// connection counts as dead. Default: slack-go's (30 s).
	PingInterval time.Duration
	// MinBackoff and MaxBackoff bound the wait before reconnecting after
	// slack-go's loop gave up. Defaults 1 s and 2 min.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// AckTimeout bounds the wait to hand an ack to the connection.
	// Default 5 s.
	AckTimeout time.Duration
}

// SocketMode receives Slack's requests over a Socket Mode WebSocket and
// hands them to the same Dispatcher as the HTTP transport. Each envelope
// is acknowledged after the handler returns, with the ack payload (a
// command's reply, a view_submission's response_action, a
// block_suggestion's options). An envelope whose
// Dispatch failed is not acknowledged, so Slack delivers an event again.
//
// slack-go reconnects on its own when Slack asks it to, but gives up on
// invalid_auth, token_revoked and similar; Run wraps it in a loop with a
// capped backoff, so a revoked-then-restored token or a long outage heals
// without a restart.
type SocketMode struct {
	d            *Dispatcher
	log          *slog.Logger
	appToken     string
	botToken     string
	apiURL       string
	httpClient   HTTPDoer
	dialer       *websocket.Dialer
	pingInterval time.Duration
	minBackoff   time.Duration
	maxBackoff   time.Duration
	ackTimeout   time.Duration
}

// NewSocketMode returns a SocketMode for cfg.
func NewSocketMode(cfg SocketConfig) *SocketMode {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.APIURL == "" {
		cfg.APIURL = slack.APIURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 2 * time.Minute
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = 5 * time.Second
	}
	return &SocketMode{
		d:            cfg.Dispatcher,
		log:          cfg.Logger,
		appToken:     cfg.AppToken,
		botToken:     cfg.BotToken,
		apiURL:       cfg.APIURL,
		httpClient:   cfg.HTTPClient,
		dialer:       cfg.Dialer,
		pingInterval: cfg.PingInterval,
		minBackoff:   cfg.MinBackoff,
		maxBackoff:   cfg.MaxBackoff,
		ackTimeout:   cfg.AckTimeout,
	}
}

// Run connects and serves envelopes until ctx is done, reconnecting after
// every failure. It returns nil once ctx is done and the envelopes in
// flight have been dispatched.
func (s *SocketMode) Run(ctx context.Context) error {
	var inflight sync.WaitGroup
	defer inflight.Wait()
	backoff := s.minBackoff
	for {
		connected, err := s.runOnce(ctx, &inflight)
		if ctx.Err() != nil {
			return nil
		}
		if connected {
			backoff = s.minBackoff
		}
		level := slog.LevelWarn
		if isAuthError(err) {
			level = slog.LevelError
		}
		s.log.Log(ctx, level, "socket mode connection lost; reconnecting", "err", err, "backoff", backoff)
		if err := sleepCtx(ctx, backoff); err != nil {
			return nil
		}
		backoff = min(2*backoff, s.maxBackoff)
	}
}

func isAuthError(err error) bool {
	if err == nil {
		return false
	}
	switch err.Error() {
	case "invalid_auth", "account_inactive", "not_authed", "token_revoked":
		return true
	}
	if e, ok := errors.AsType[slack.StatusCodeError](err); ok && e.Code == http.StatusNotFound {
		return true
	}
	return false
}

// runOnce runs one slack-go client until its loop returns, and reports
// whether it ever connected.
func (s *SocketMode) runOnce(ctx context.Context, inflight *sync.WaitGroup) (connected bool, err error) {
	logOut := slogOutput{s.log}
	api := slack.New(s.botToken,
		slack.OptionAppLevelToken(s.appToken),
		slack.OptionAPIURL(s.apiURL),
		slack.OptionHTTPClient(s.httpClient),
		slack.OptionLog(logOut),
	)
	opts := []socketmode.Option{socketmode.OptionLog(logOut)}
	if s.dialer != nil {
		opts = append(opts, socketmode.OptionDialer(s.dialer))
	}
	if s.pingInterval > 0 {
		opts = append(opts, socketmode.OptionPingInterval(s.pingInterval))
	}
	client := socketmode.New(api, opts...)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- client.RunContext(runCtx) }()

	// Envelopes are dispatched on a context that outlives this connection
	// and a shutdown signal: a request already taken finishes (it is bounded
	// by the ack deadline) and Run waits for it.
	dispatchCtx := context.WithoutCancel(ctx)
	for {
		select {
		case err := <-errc:
			return connected, err
		case evt := <-client.Events:
			switch evt.Type {
			case socketmode.EventTypeConnected:
				connected = true
				s.log.InfoContext(ctx, "socket mode connected")
			case socketmode.EventTypeConnecting, socketmode.EventTypeHello:
				s.log.DebugContext(ctx, "socket mode", "event", string(evt.Type))
			case socketmode.EventTypeConnectionError:
				if ctx.Err() != nil {
					continue // shutting down
				}
				s.log.WarnContext(ctx, "socket mode connection failed", "err", eventErr(evt))
			case socketmode.EventTypeInvalidAuth:
				s.log.ErrorContext(ctx, "socket mode: invalid app token")
			case socketmode.EventTypeErrorBadMessage:
				s.ackBadMessage(ctx, client, evt)
			case socketmode.EventTypeEventsAPI, socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
				inflight.Add(1)
				go func() {
					defer inflight.Done()
					s.serve(dispatchCtx, client, evt)
				}()
			default:
				s.log.DebugContext(ctx, "socket mode event", "event", string(evt.Type), "err", eventErr(evt))
			}
		}
	}
}

// serve converts one envelope to a Request, dispatches it and acks.
func (s *SocketMode) serve(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	if evt.Request == nil {
		return
	}
	req, ok := s.request(ctx, evt)
	if !ok {
		s.ack(ctx, client, evt.Request.EnvelopeID, nil)
		return
	}
	ack, err := s.d.Dispatch(ctx, req)
	if err != nil {
		// Not acked: Slack redelivers an event, and a modal shows an error.
		return
	}
	s.ack(ctx, client, evt.Request.EnvelopeID, ack)
}

// request converts an envelope; false means "ack and ignore".
func (s *SocketMode) request(ctx context.Context, evt socketmode.Event) (*Request, bool) {
	switch evt.Type {
	case socketmode.EventTypeEventsAPI:
		if ev, ok := evt.Data.(slackevents.EventsAPIEvent); !ok || ev.Type != slackevents.CallbackEvent {
			s.log.InfoContext(ctx, "ignored events API envelope", "type", ev.Type)
			return nil, false
		}
		req, err := eventRequest(evt.Request.Payload)
		if err != nil {
			s.log.WarnContext(ctx, "unparseable event", "err", err)
			return nil, false
		}
		req.RetryNum = evt.Request.RetryAttempt
		return req, true
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			return nil, false
		}
		return commandRequest(cmd), true
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			return nil, false
		}
		req, ok := interactionRequest(&cb)
		if !ok {
			s.log.InfoContext(ctx, "ignored interaction", "type", string(cb.Type))
		}
		return req, ok
	}
	return nil, false
}

// ackBadMessage acks an envelope slack-go could not parse (an event type it
// does not know, say): a redelivery would not parse either.
func (s *SocketMode) ackBadMessage(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var env struct {
		EnvelopeID string `json:"envelope_id"`
		Type       string `json:"type"`
	}
	_ = json.Unmarshal(bad.Message, &env)
	s.log.WarnContext(ctx, "socket mode: unparseable envelope", "type", env.Type, "err", bad.Cause)
	if env.EnvelopeID != "" {
		s.ack(ctx, client, env.EnvelopeID, nil)
	}
}

func (s *SocketMode) ack(ctx context.Context, client *socketmode.Client, envelopeID string, ack []byte) {
	var payload any
	if len(ack) > 0 {
		payload = json.RawMessage(ack)
	}
	ctx, cancel := context.WithTimeout(ctx, s.ackTimeout)
	defer cancel()
	if err := client.AckCtx(ctx, envelopeID, payload); err != nil {
		s.log.WarnContext(ctx, "socket mode ack failed", "envelope", envelopeID, "err", err)
	}
}

func eventErr(evt socketmode.Event) error {
	switch d := evt.Data.(type) {
	case *slack.ConnectionErrorEvent:
		return d.ErrorObj
	case *slack.IncomingEventError:
		return d.ErrorObj
	case *socketmode.ErrorWriteFailed:
		return d.Cause
	case error:
		return d
	}
	return nil
}

// slogOutput adapts slog to slack-go's logger; slack-go only writes to it
// in debug mode, which Trellis leaves off (its payload logs carry message
// text).
type slogOutput struct{ log *slog.Logger }

func (o slogOutput) Output(_ int, s string) error {
	o.log.Debug(strings.TrimSpace(s), "component", "slack-go")
	return nil
}
