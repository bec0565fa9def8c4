// Package slacksim is a built-in Slack emulator: one workspace, one installed
// app, the Web API methods Trellis calls, Slack's rate limits and error codes,
// and delivery of events, slash commands and interactions to the bot over
// signed HTTP or Socket Mode. A control API under /control/ plays the people
// in the workspace. The sandbox (`go run .` without Slack credentials) and
// every end-to-end test run the bot against it with an unmodified slack-go
// client pointed at APIURL.
package slacksim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
)

// Defaults used when the corresponding Config field is zero.
const (
	DefaultTeamID        = "T0SANDBOX"
	DefaultTeamName      = "Trellis Sandbox"
	DefaultTeamDomain    = "trellis-sandbox"
	DefaultAppID         = "A0TRELLIS"
	DefaultBotUserID     = "U0TRELLIS"
	DefaultBotID         = "B0TRELLIS"
	DefaultBotName       = "trellis"
	DefaultBotToken      = "xoxb-trellis-sandbox"
	DefaultAppToken      = "xapp-trellis-sandbox"
	DefaultSigningSecret = "trellis-sandbox-signing-secret"
)

// Config configures a Server. The zero value is usable: every field has a
// default.
type Config struct {
	// Clock is the workspace's notion of now: message ts, event_time,
	// tz_offset and status expirations follow it. Default: the system clock.
	// Rate-limit windows, ack timeouts and retry delays use real time.
	Clock clock.Clock

	TeamID     string // default "T0SANDBOX"
	TeamName   string // default "Trellis Sandbox"
	TeamDomain string // default "trellis-sandbox"
	AppID      string // default "A0TRELLIS"
	BotUserID  string // default "U0TRELLIS"
	BotID      string // default "B0TRELLIS"
	BotName    string // the bot user's name, default "trellis"

	// BotToken is the only xoxb token Web API methods accept (Authorization:
	// Bearer or the form field token).
	BotToken string
	// AppToken is the only xapp token apps.connections.open accepts.
	AppToken string
	// SigningSecret signs HTTP deliveries with Slack's v0 scheme.
	SigningSecret string
	// VerificationToken is the deprecated token field in payloads.
	VerificationToken string

	// MessageCapPerMinute is the workspace-wide chat.postMessage cap.
	// Default 600.
	MessageCapPerMinute int
	// RetryDelays is Slack's event retry schedule: the delay before each
	// retry after the first try. Default {0, 1m, 5m}. A non-nil empty slice
	// disables retries.
	RetryDelays []time.Duration
	// AckTimeout is how long a delivery may take before Slack gives up on
	// it. Default 3s.
	AckTimeout time.Duration
	// TriggerTTL is how long a trigger_id stays usable. Default 3s.
	TriggerTTL time.Duration
	// RateWindow is the length of a rate-limit window. Default 1 minute;
	// tests may shorten it.
	RateWindow time.Duration
	// SocketPingInterval is how often Socket Mode connections are pinged;
	// slack-go drops a connection that is not pinged within 30 s. Default 10s.
	SocketPingInterval time.Duration

	// StateFile, when set, keeps people, conversations, messages and home
	// tabs across restarts: New loads it if it exists and Close saves it.
	StateFile string

	// UI, when set, is mounted at "/": the sandbox's web page
	// (internal/slacksim/ui), which talks to the control API.
	UI http.Handler

	// ClockMover, when set, moves a simulated clock forward in place of a
	// jump: the control API calls it with the target instant, and it steps
	// the clock there itself, stopping where the app has work (the
	// sandbox runs its delivery engine at each). It must leave the clock
	// at to. Moves backward always jump.
	ClockMover func(ctx context.Context, to time.Time) error

	// ClockMoved, when set, is called after each move of the clock through
	// the control API, forward or back, with the clock's new instant (the
	// sandbox saves it in its data directory).
	ClockMoved func(now time.Time)

	// Logger receives the emulator's logs. Default: discarded.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.TeamID, DefaultTeamID)
	def(&c.TeamName, DefaultTeamName)
	def(&c.TeamDomain, DefaultTeamDomain)
	def(&c.AppID, DefaultAppID)
	def(&c.BotUserID, DefaultBotUserID)
	def(&c.BotID, DefaultBotID)
	def(&c.BotName, DefaultBotName)
	def(&c.BotToken, DefaultBotToken)
	def(&c.AppToken, DefaultAppToken)
	def(&c.SigningSecret, DefaultSigningSecret)
	def(&c.VerificationToken, "sandbox-verification-token")
	if c.Clock == nil {
		c.Clock = clock.System{}
	}
	if c.MessageCapPerMinute <= 0 {
		c.MessageCapPerMinute = 600
	}
	if c.RetryDelays == nil {
		c.RetryDelays = []time.Duration{0, time.Minute, 5 * time.Minute}
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = 3 * time.Second
	}
	if c.TriggerTTL <= 0 {
		c.TriggerTTL = 3 * time.Second
	}
	if c.RateWindow <= 0 {
		c.RateWindow = time.Minute
	}
	if c.SocketPingInterval <= 0 {
		c.SocketPingInterval = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Delivery modes reported by the control API.
const (
	ModeSocket = "socket"
	ModeHTTP   = "http"
)

type deliveryConfig struct {
	mode            string
	eventsURL       string
	commandsURL     string
	interactionsURL string
}

// Server is the emulated Slack: Web API, delivery to the bot and control API.
type Server struct {
	cfg   Config
	log   *slog.Logger
	clock clock.Clock
	mux   *http.ServeMux
	root  http.Handler // mux behind the browser guard

	// mu guards ws, delivery and base.
	mu       sync.Mutex
	ws       *workspace
	delivery deliveryConfig
	base     string

	limits *limiter
	calls  *callLog
	hub    *socketHub
	dlog   *deliveryLog
	client *http.Client

	methods map[string]apiMethod

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	startOnce sync.Once
	closeOnce sync.Once
	closeErr  error
	srv       *http.Server
	ln        net.Listener
}

// New returns a Server with an empty workspace (call SeedDemo for the demo
// people). It delivers over Socket Mode until SetHTTPDelivery is called.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		clock:    cfg.Clock,
		ws:       newWorkspace(cfg),
		delivery: deliveryConfig{mode: ModeSocket},
		limits:   newLimiter(cfg.RateWindow, cfg.MessageCapPerMinute),
		calls:    newCallLog(),
		dlog:     newDeliveryLog(),
		client:   &http.Client{Timeout: cfg.AckTimeout},
		ctx:      ctx,
		cancel:   cancel,
	}
	s.hub = newSocketHub(s)
	s.methods = s.apiMethods()
	if err := s.loadState(); err != nil {
		s.log.Error("slacksim: starting with an empty workspace", "err", err)
	}
	s.mux = http.NewServeMux()
	s.routes()
	s.root = s.guardBrowser(s.mux)
	s.wg.Go(s.sweepLoop)
	return s
}

func (s *Server) routes() {
	s.mux.HandleFunc("/api/{method}", s.serveAPI)
	s.mux.HandleFunc("GET /socket", s.hub.serveWS)
	s.mux.HandleFunc("POST /response/{token}", s.serveResponseURL)
	s.controlRoutes()
	s.fileRoutes()
	if s.cfg.UI != nil {
		s.mux.Handle("/", s.cfg.UI)
	}
}

// Handler returns the emulator's HTTP handler, so tests can mount it on
// their own server. It refuses browser requests from other origins and
// hosts as Start's server does (see guardBrowser).
func (s *Server) Handler() http.Handler { return s.root }

// Start listens on addr (for example "127.0.0.1:0") and serves until Close.
// The emulator only ever listens on loopback: a host that is empty or not a
// loopback address is refused.
func (s *Server) Start(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("slacksim: listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("slacksim: refusing to listen on %q: only loopback addresses are allowed", addr)
	}
	started := false
	var lerr error
	s.startOnce.Do(func() {
		started = true
		ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			lerr = fmt.Errorf("slacksim: listen: %w", err)
			return
		}
		s.ln = ln
		s.srv = bot.NewServer(s.root, bot.ServerLimits{}, s.log)
		s.mu.Lock()
		s.base = "http://" + ln.Addr().String()
		s.mu.Unlock()
		s.wg.Go(func() {
			if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("slacksim: serve", "err", err)
			}
		})
		s.log.Info("slack emulator listening", "url", s.URL())
	})
	if !started {
		return errors.New("slacksim: already started")
	}
	return lerr
}

// URL returns the emulator's base URL, like http://127.0.0.1:PORT. It is
// empty before Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.base
}

// APIURL returns the Web API base for slack.OptionAPIURL: URL()+"/api/".
func (s *Server) APIURL() string { return s.URL() + "/api/" }

// Close disconnects Socket Mode clients, stops pending event retries and
// the listener, waits for the emulator's goroutines and saves the state file
// if there is one. Calling it again returns the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.hub.closeAll()
		if s.srv != nil {
			// Longer than the five seconds net/http gives a connection
			// that was opened but never sent a request (a client's spare
			// dial) before Shutdown closes it: such a connection is not
			// work in progress, and must not make closing fail.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := s.srv.Shutdown(ctx); err != nil {
				s.closeErr = fmt.Errorf("slacksim: shutdown: %w", err)
				_ = s.srv.Close()
			}
		}
		s.wg.Wait()
		if err := s.SaveState(); err != nil && s.closeErr == nil {
			s.closeErr = err
		}
	})
	return s.closeErr
}

// SetHTTPDelivery makes the emulator deliver events, slash commands and
// interactions as signed HTTP POSTs to the given URLs (an empty URL drops
// that kind of delivery).
func (s *Server) SetHTTPDelivery(eventsURL, commandsURL, interactionsURL string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delivery = deliveryConfig{mode: ModeHTTP, eventsURL: eventsURL, commandsURL: commandsURL, interactionsURL: interactionsURL}
}

// SetSocketDelivery makes the emulator deliver over Socket Mode connections
// (the default).
func (s *Server) SetSocketDelivery() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delivery = deliveryConfig{mode: ModeSocket}
}

// baseURL is the URL the emulator is reachable at: the listener's, or, when
// only Handler is mounted, the host of the request being served.
func (s *Server) baseURL(r *http.Request) string {
	s.mu.Lock()
	base := s.base
	s.mu.Unlock()
	if base != "" || r == nil {
		return base
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// sweepLoop clears expired statuses once a second, as Slack does.
func (s *Server) sweepLoop() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.sweepStatuses()
		}
	}
}

func wsScheme(base string) string {
	if rest, ok := strings.CutPrefix(base, "https://"); ok {
		return "wss://" + rest
	}
	return "ws://" + strings.TrimPrefix(base, "http://")
}
