package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/trellis-bot/trellis/app"
	"github.com/trellis-bot/trellis/internal/slacksim"
)

// emulatorUsage explains the `trellis emulator` verb's flags.
const emulatorUsage = `usage: trellis emulator [flags]

Runs the Slack emulator on its own, on loopback, until SIGTERM. It prints one
JSON line with its URLs on stdout. Point replicas at it with SLACK_API_URL set
to api_url, SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode) or
SLACK_SIGNING_SECRET (HTTP, with -http). Drive it with its control API.`

// emulatorReady is the line `trellis emulator` prints once it listens.
type emulatorReady struct {
	URL        string `json:"url"`
	APIURL     string `json:"api_url"`
	ControlURL string `json:"control_url"`
	TeamID     string `json:"team_id"`
	Delivery   string `json:"delivery"`
}

// emulator is the `trellis emulator` verb: the Slack emulator as a process
// of its own, for tests that run several Trellis processes against one
// workspace and kill them at will.
func emulator(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f, err := parseEmulatorFlags(args, getenv, stderr)
	if err != nil || f == nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: f.level}))

	sim := slacksim.New(slacksim.Config{
		TeamID:        f.team,
		TeamName:      f.teamName,
		BotToken:      f.botToken,
		AppToken:      f.appToken,
		SigningSecret: f.signing,
		Logger:        log.With("component", "slacksim"),
	})
	if err := sim.Start(f.addr); err != nil {
		_ = sim.Close()
		return err
	}
	if f.demo {
		sim.SeedDemo()
	}
	delivery := slacksim.ModeSocket
	if base := strings.TrimSuffix(f.httpBase, "/"); base != "" {
		sim.SetHTTPDelivery(base+"/slack/events", base+"/slack/commands", base+"/slack/interactions")
		delivery = slacksim.ModeHTTP
	}
	ready := emulatorReady{URL: sim.URL(), APIURL: sim.APIURL(), ControlURL: sim.URL() + "/control/", TeamID: f.team, Delivery: delivery}
	if err := json.NewEncoder(stdout).Encode(ready); err != nil {
		_ = sim.Close()
		return fmt.Errorf("emulator: %w", err)
	}
	<-ctx.Done()
	log.Info("emulator shutting down")
	return sim.Close()
}

// emulatorFlags are the `trellis emulator` verb's settings.
type emulatorFlags struct {
	addr, team, teamName        string
	botToken, appToken, signing string
	demo                        bool
	httpBase                    string
	level                       slog.Level
}

// parseEmulatorFlags reads the verb's flags, with defaults from the
// environment. It returns nil and no error when -help was asked for.
func parseEmulatorFlags(args []string, getenv func(string) string, stderr io.Writer) (*emulatorFlags, error) {
	fs := flag.NewFlagSet("trellis emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, emulatorUsage)
		fs.PrintDefaults()
	}
	env := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	var f emulatorFlags
	fs.StringVar(&f.addr, "addr", env("TRELLIS_EMULATOR_ADDR", "127.0.0.1:0"), "loopback host:port to listen on (env TRELLIS_EMULATOR_ADDR)")
	fs.StringVar(&f.team, "team", slacksim.DefaultTeamID, "the workspace's team id")
	fs.StringVar(&f.teamName, "team-name", slacksim.DefaultTeamName, "the workspace's name")
	fs.StringVar(&f.botToken, "bot-token", env("SLACK_BOT_TOKEN", slacksim.DefaultBotToken), "the one xoxb- token the Web API accepts (env SLACK_BOT_TOKEN)")
	fs.StringVar(&f.appToken, "app-token", env("SLACK_APP_TOKEN", slacksim.DefaultAppToken), "the one xapp- token apps.connections.open accepts (env SLACK_APP_TOKEN)")
	fs.StringVar(&f.signing, "signing-secret", env("SLACK_SIGNING_SECRET", slacksim.DefaultSigningSecret), "signs HTTP deliveries (env SLACK_SIGNING_SECRET)")
	fs.BoolVar(&f.demo, "demo", false, "add the sandbox's demo people and channels")
	fs.StringVar(&f.httpBase, "http", "", "deliver over signed HTTP to this bot base URL (its /slack/events, /slack/commands, /slack/interactions) instead of Socket Mode")
	level := fs.String("log-level", env("TRELLIS_LOG_LEVEL", "info"), "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil
		}
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "trellis emulator: unexpected argument %q\n", fs.Arg(0))
		return nil, errUsage
	}
	if err := f.level.UnmarshalText([]byte(*level)); err != nil {
		return nil, &app.ConfigError{Var: "TRELLIS_LOG_LEVEL", Msg: "must be debug, info, warn or error"}
	}
	if !strings.HasPrefix(f.botToken, "xoxb-") {
		return nil, &app.ConfigError{Var: "SLACK_BOT_TOKEN", Msg: "must start with xoxb-"}
	}
	if !strings.HasPrefix(f.appToken, "xapp-") {
		return nil, &app.ConfigError{Var: "SLACK_APP_TOKEN", Msg: "must start with xapp-"}
	}
	return &f, nil
}
