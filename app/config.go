package app

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
)

// Secret is a credential read from the environment. It prints and logs as
// "[redacted]" so a token can never reach a log line by accident.
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// LogValue hides the value from slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText hides the value from JSON and every other text encoding, so a
// whole Config logged as a struct leaks nothing.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the value, for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }

// Mode is how Trellis reaches Slack.
type Mode string

// The modes: the built-in emulator, or a real workspace over Socket Mode,
// HTTP, or both.
const (
	ModeSandbox Mode = "sandbox"
	ModeSocket  Mode = "socket"
	ModeHTTP    Mode = "http"
	ModeBoth    Mode = "socket+http"
)

// Config is every setting Trellis reads from its environment.
type Config struct {
	Mode Mode

	BotToken      Secret // SLACK_BOT_TOKEN, xoxb-
	AppToken      Secret // SLACK_APP_TOKEN, xapp- (Socket Mode)
	SigningSecret Secret // SLACK_SIGNING_SECRET (HTTP)
	SlackAPIURL   string // SLACK_API_URL, to point at another Slack-compatible API

	DatabaseURL   Secret // DATABASE_URL (postgres://); empty: SQLite in DataDir
	RedisURL      Secret // REDIS_URL; empty: embedded Redis
	RedisPrefix   string // TRELLIS_REDIS_PREFIX
	DataDir       string // TRELLIS_DATA_DIR
	EncryptionKey Secret // TRELLIS_ENCRYPTION_KEY: 32 bytes, base64 or hex

	Addr             string // TRELLIS_ADDR: /slack/*, /healthz, /readyz, /metrics
	SandboxAddr      string // TRELLIS_SANDBOX_ADDR: the sandbox page and control API
	SandboxTransport string // TRELLIS_SANDBOX_TRANSPORT: socket or http

	LogLevel  slog.Level // TRELLIS_LOG_LEVEL
	LogFormat string     // TRELLIS_LOG_FORMAT: json or text
}

// ConfigError names the environment variable that is wrong.
type ConfigError struct {
	Var string
	Msg string
}

// Error says which variable is wrong and why, on one line.
func (e *ConfigError) Error() string { return e.Var + ": " + e.Msg }

// LoadConfig reads the environment through getenv. The first invalid or
// missing value stops it with an error naming the variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		BotToken:         Secret(get("SLACK_BOT_TOKEN", "")),
		AppToken:         Secret(get("SLACK_APP_TOKEN", "")),
		SigningSecret:    Secret(get("SLACK_SIGNING_SECRET", "")),
		SlackAPIURL:      get("SLACK_API_URL", ""),
		DatabaseURL:      Secret(get("DATABASE_URL", "")),
		RedisURL:         Secret(get("REDIS_URL", "")),
		RedisPrefix:      get("TRELLIS_REDIS_PREFIX", "trellis:"),
		DataDir:          get("TRELLIS_DATA_DIR", "trellis-data"),
		EncryptionKey:    Secret(get("TRELLIS_ENCRYPTION_KEY", "")),
		SandboxAddr:      get("TRELLIS_SANDBOX_ADDR", "127.0.0.1:3000"),
		SandboxTransport: strings.ToLower(get("TRELLIS_SANDBOX_TRANSPORT", "socket")),
		LogFormat:        strings.ToLower(get("TRELLIS_LOG_FORMAT", "json")),
	}
	if err := c.pickMode(); err != nil {
		return c, err
	}
	def := "0.0.0.0:8080"
	if c.Mode == ModeSandbox {
		def = "127.0.0.1:8080"
	}
	c.Addr = get("TRELLIS_ADDR", def)
	for _, check := range []func() error{c.checkAddrs, c.checkStorage} {
		if err := check(); err != nil {
			return c, err
		}
	}
	if err := c.readLogLevel(get("TRELLIS_LOG_LEVEL", "info")); err != nil {
		return c, err
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return c, &ConfigError{"TRELLIS_LOG_FORMAT", "must be json or text"}
	}
	return c, nil
}

// pickMode decides how Trellis reaches Slack from the credentials given:
// none is the sandbox.
func (c *Config) pickMode() error {
	switch {
	case c.BotToken == "" && (c.AppToken != "" || c.SigningSecret != ""):
		return &ConfigError{"SLACK_BOT_TOKEN", "is required when SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set (the xoxb- token from OAuth & Permissions)"}
	case c.BotToken == "":
		c.Mode = ModeSandbox
	case !strings.HasPrefix(c.BotToken.Reveal(), "xoxb-") && !strings.HasPrefix(c.BotToken.Reveal(), "xoxe.xoxb-"):
		return &ConfigError{"SLACK_BOT_TOKEN", "must be a bot token starting with xoxb-"}
	case c.AppToken != "" && !strings.HasPrefix(c.AppToken.Reveal(), "xapp-"):
		return &ConfigError{"SLACK_APP_TOKEN", "must be an app-level token starting with xapp- (Basic Information → App-Level Tokens, scope connections:write)"}
	case c.AppToken != "" && c.SigningSecret != "":
		c.Mode = ModeBoth
	case c.AppToken != "":
		c.Mode = ModeSocket
	case c.SigningSecret != "":
		c.Mode = ModeHTTP
	default:
		return &ConfigError{"SLACK_APP_TOKEN", "or SLACK_SIGNING_SECRET must be set with SLACK_BOT_TOKEN: xapp- for Socket Mode, the signing secret for HTTP"}
	}
	return nil
}

// checkAddrs checks the listening addresses; the sandbox, which has no
// authentication, listens on loopback only.
func (c *Config) checkAddrs() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return &ConfigError{"TRELLIS_ADDR", fmt.Sprintf("%q is not host:port", c.Addr)}
	}
	if c.Mode != ModeSandbox {
		return nil
	}
	host, _, err := net.SplitHostPort(c.SandboxAddr)
	if err != nil {
		return &ConfigError{"TRELLIS_SANDBOX_ADDR", fmt.Sprintf("%q is not host:port", c.SandboxAddr)}
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return &ConfigError{"TRELLIS_SANDBOX_ADDR", "must be a loopback address such as 127.0.0.1:3000: the sandbox has no authentication"}
	}
	if host, _, _ := net.SplitHostPort(c.Addr); host != "localhost" && !net.ParseIP(host).IsLoopback() {
		return &ConfigError{"TRELLIS_ADDR", "must be a loopback address in the sandbox"}
	}
	if c.SandboxTransport != "socket" && c.SandboxTransport != "http" {
		return &ConfigError{"TRELLIS_SANDBOX_TRANSPORT", "must be socket or http"}
	}
	return nil
}

// checkStorage checks the database and Redis URLs and that a real
// workspace has an encryption key.
func (c *Config) checkStorage() error {
	if u := c.DatabaseURL.Reveal(); u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		return &ConfigError{"DATABASE_URL", "must be a postgres:// URL (leave it unset for the embedded SQLite)"}
	}
	if u := c.RedisURL.Reveal(); u != "" && !strings.HasPrefix(u, "redis://") && !strings.HasPrefix(u, "rediss://") {
		return &ConfigError{"REDIS_URL", "must be a redis:// or rediss:// URL (leave it unset for the embedded Redis)"}
	}
	if c.Mode != ModeSandbox && c.EncryptionKey == "" {
		return &ConfigError{"TRELLIS_ENCRYPTION_KEY", "is required with a real Slack workspace (it encrypts the bot token at rest): 32 random bytes, e.g. `openssl rand -base64 32`"}
	}
	return nil
}

// readLogLevel reads TRELLIS_LOG_LEVEL.
func (c *Config) readLogLevel(level string) error {
	switch level {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		return &ConfigError{"TRELLIS_LOG_LEVEL", "must be debug, info, warn or error"}
	}
	return nil
}

// sqlitePath is where the embedded database lives.
func (c Config) sqlitePath() string { return filepath.Join(c.DataDir, "trellis.db") }

// keyPath is where the sandbox keeps its generated encryption key.
func (c Config) keyPath() string { return filepath.Join(c.DataDir, "encryption.key") }
