package bot

import (
	"log/slog"
	"net/http"
	"time"
)

// ServerLimits are the deadlines and sizes every Trellis HTTP listener
// keeps (the bot's: Slack endpoints, health and metrics; and the sandbox's
// emulator). A zero field takes its value from DefaultServerLimits.
type ServerLimits struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, headers and body: a
	// client that trickles its body is cut off when it runs out, before
	// any handler has done anything with the request.
	ReadTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for its
	// next request.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the size of a request's headers.
	MaxHeaderBytes int
}

// DefaultServerLimits returns the limits NewServer uses by default. Slack
// sends its whole request at once and expects an answer within 3 s, so a
// request still arriving after 10 s is not Slack's.
func DefaultServerLimits() ServerLimits {
	return ServerLimits{
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// NewServer returns an http.Server for h with limits, zero fields taking
// their defaults. It sets no write timeout: the handlers bound their own
// work (Slack's acks by the Dispatcher's deadline), and some of the
// sandbox's, such as moving its clock a week, may rightly take longer. A
// body's size is bounded per endpoint (see NewHTTPHandler). The server's
// own errors (a broken connection, a bad TLS handshake) go to log.
func NewServer(h http.Handler, limits ServerLimits, log *slog.Logger) *http.Server {
	def := DefaultServerLimits()
	if limits.ReadHeaderTimeout <= 0 {
		limits.ReadHeaderTimeout = def.ReadHeaderTimeout
	}
	if limits.ReadTimeout <= 0 {
		limits.ReadTimeout = def.ReadTimeout
	}
	if limits.IdleTimeout <= 0 {
		limits.IdleTimeout = def.IdleTimeout
	}
	if limits.MaxHeaderBytes <= 0 {
		limits.MaxHeaderBytes = def.MaxHeaderBytes
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: limits.ReadHeaderTimeout,
		ReadTimeout:       limits.ReadTimeout,
		IdleTimeout:       limits.IdleTimeout,
		MaxHeaderBytes:    limits.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}
