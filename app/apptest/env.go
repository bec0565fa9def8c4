package apptest

import (
	"testing"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/models"
)

// DatabaseEnv is the environment of an App on a fresh database of the
// dialect (testenv.Dialect's choice when empty), with a data directory of
// its own, and the database's url.
func DatabaseEnv(tb testing.TB, dialect string) (map[string]string, string) {
	tb.Helper()
	if dialect == "" {
		dialect = testenv.Dialect()
	}
	env := map[string]string{"TRELLIS_DATA_DIR": tb.TempDir()}
	if dialect == models.DialectPostgres {
		url := testenv.DatabaseURL(tb, dialect)
		env["DATABASE_URL"] = url
		return env, url
	}
	return env, env["TRELLIS_DATA_DIR"] + "/trellis.db"
}

// SlackEnv is the environment of an App installed in the emulated
// workspace of sim as in a real one, reached over transport ("socket" or
// "http"), on the test Redis under a prefix of its own, with a fresh
// encryption key, logging text at debug level, listening on a free port.
// Over Socket Mode the emulator delivers there from now on; over HTTP,
// App.DeliverHTTP points it at the App once it runs.
func SlackEnv(tb testing.TB, sim *slacksim.Server, transport string) map[string]string {
	tb.Helper()
	env := map[string]string{
		"SLACK_BOT_TOKEN":        slacksim.DefaultBotToken,
		"SLACK_API_URL":          sim.APIURL(),
		"TRELLIS_ENCRYPTION_KEY": EncryptionKey(tb),
		"TRELLIS_ADDR":           "127.0.0.1:0",
		"REDIS_URL":              testenv.RedisURL(),
		"TRELLIS_REDIS_PREFIX":   testenv.RedisPrefix("trellis-e2e"),
		"TRELLIS_LOG_FORMAT":     "text",
		"TRELLIS_LOG_LEVEL":      "debug",
	}
	switch transport {
	case "socket":
		env["SLACK_APP_TOKEN"] = slacksim.DefaultAppToken
		sim.SetSocketDelivery()
	case "http":
		env["SLACK_SIGNING_SECRET"] = slacksim.DefaultSigningSecret
	default:
		tb.Fatalf("apptest: unknown transport %q", transport)
	}
	return env
}

// SandboxEnv is the environment of a sandbox (no Slack credentials) keeping
// its data in dir, its page and the App on the given loopback addresses,
// delivering over transport, logging text.
func SandboxEnv(dir, sandboxAddr, addr, transport string) map[string]string {
	env := map[string]string{
		"TRELLIS_DATA_DIR":     dir,
		"TRELLIS_SANDBOX_ADDR": sandboxAddr,
		"TRELLIS_ADDR":         addr,
		"TRELLIS_LOG_FORMAT":   "text",
	}
	if transport != "" {
		env["TRELLIS_SANDBOX_TRANSPORT"] = transport
	}
	return env
}
