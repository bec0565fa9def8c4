// Command trellis is the Trellis Slack bot: recurring check-ins by DM that
// respect everyone's working hours. With no Slack credentials it starts a
// sandbox: a built-in Slack emulator with demo people and a web page to act
// as any of them.
//
// Usage:
//
//	trellis [serve]          run the bot (the default)
//	trellis migrate          apply database migrations and exit
//	trellis migrate status   list applied and pending migrations
//	trellis schedule preview show when a cadence fires for a person, and why
//	trellis healthcheck      exit 0 when the local /healthz answers (for Docker)
//	trellis emulator         run the Slack emulator on its own (process-level tests)
//	trellis version          print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // every IANA zone, whatever the host has installed

	"github.com/redis/go-redis/v9"

	"github.com/trellis-bot/trellis/app"
	"github.com/trellis-bot/trellis/clock"
)

// errUsage is returned for a command line Trellis does not understand.
var errUsage = errors.New("usage")

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, usage)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "trellis:", err)
		os.Exit(1)
	}
}

const usage = `usage: trellis [serve | migrate [status] | schedule preview --help | emulator --help | healthcheck | version]

With no Slack credentials Trellis starts a sandbox on localhost. See README.md
for the environment variables that connect it to a real Slack workspace.`

// run is the whole program: it reads the config, then runs one verb until ctx
// is cancelled.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	verb := "serve"
	if len(args) > 0 {
		verb = args[0]
	}
	switch verb {
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "trellis", version)
		return nil
	case "help", "--help", "-h":
		fmt.Fprintln(stdout, usage)
		return nil
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "emulator":
		return emulator(ctx, args[1:], getenv, stdout, stderr)
	case "schedule":
		if len(args) < 2 || args[1] != "preview" {
			return errUsage
		}
		return schedulePreview(args[2:], clock.System{}, stdout, stderr)
	case "serve", "migrate":
	default:
		return errUsage
	}

	cfg, err := app.LoadConfig(getenv)
	if err != nil {
		return err
	}
	log := app.NewLogger(stderr, cfg)
	// go-redis reports dial failures through its own logger; send them to
	// ours, at debug: kv.Store already reports Redis health once per change.
	redis.SetLogger(redisLogger{log})

	switch verb {
	case "migrate":
		return migrate(ctx, log, cfg, args[1:], stdout)
	default:
		return serve(ctx, log, cfg, stdout)
	}
}

// healthcheck asks the local server's /healthz, for container health checks
// in images without curl.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	addr := getenv("TRELLIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return &app.ConfigError{Var: "TRELLIS_ADDR", Msg: fmt.Sprintf("%q is not host:port", addr)}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}

// redisLogger adapts slog to go-redis's internal logger.
type redisLogger struct{ log *slog.Logger }

// Printf logs one go-redis message at debug level.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}
