package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/app"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigModes(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want app.Mode
	}{
		{map[string]string{}, app.ModeSandbox},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "TRELLIS_ENCRYPTION_KEY": "k"}, app.ModeSocket},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "TRELLIS_ENCRYPTION_KEY": "k"}, app.ModeHTTP},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_SIGNING_SECRET": "s", "TRELLIS_ENCRYPTION_KEY": "k"}, app.ModeBoth},
	}
	for _, tt := range tests {
		c, err := app.LoadConfig(envOf(tt.env))
		if err != nil || c.Mode != tt.want {
			t.Errorf("LoadConfig(%v) = %v, %v; want mode %v", tt.env, c.Mode, err, tt.want)
		}
	}
	c, _ := app.LoadConfig(envOf(nil))
	if c.Addr != "127.0.0.1:8080" || c.SandboxAddr != "127.0.0.1:3000" || c.DataDir != "trellis-data" {
		t.Errorf("sandbox defaults = %q %q %q", c.Addr, c.SandboxAddr, c.DataDir)
	}
}

// TestLoadConfigNamesTheVariable: each invalid or missing value stops start-up
// with one line that names the variable.
func TestLoadConfigNamesTheVariable(t *testing.T) {
	real := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "TRELLIS_ENCRYPTION_KEY": "k"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range real {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		env     map[string]string
		wantVar string
	}{
		{map[string]string{"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"},
		{map[string]string{"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"},
		{with("SLACK_BOT_TOKEN", "xoxp-user-token"), "SLACK_BOT_TOKEN"},
		{with("SLACK_APP_TOKEN", "xoxb-wrong"), "SLACK_APP_TOKEN"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "TRELLIS_ENCRYPTION_KEY": "k"}, "SLACK_APP_TOKEN"},
		{with("TRELLIS_ENCRYPTION_KEY", ""), "TRELLIS_ENCRYPTION_KEY"},
		{with("DATABASE_URL", "mysql://x"), "DATABASE_URL"},
		{with("REDIS_URL", "localhost:6379"), "REDIS_URL"},
		{with("TRELLIS_ADDR", "8080"), "TRELLIS_ADDR"},
		{map[string]string{"TRELLIS_SANDBOX_ADDR": "0.0.0.0:3000"}, "TRELLIS_SANDBOX_ADDR"},
		{map[string]string{"TRELLIS_ADDR": "0.0.0.0:8080"}, "TRELLIS_ADDR"},
		{map[string]string{"TRELLIS_SANDBOX_TRANSPORT": "carrier-pigeon"}, "TRELLIS_SANDBOX_TRANSPORT"},
		{with("TRELLIS_LOG_LEVEL", "loud"), "TRELLIS_LOG_LEVEL"},
		{with("TRELLIS_LOG_FORMAT", "xml"), "TRELLIS_LOG_FORMAT"},
	}
	for _, tt := range tests {
		_, err := app.LoadConfig(envOf(tt.env))
		var ce *app.ConfigError
		if !errors.As(err, &ce) || ce.Var != tt.wantVar {
			t.Errorf("LoadConfig(%v) error = %v, want one naming %s", tt.env, err, tt.wantVar)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, tt.wantVar+": ") || strings.Contains(msg, "\n") {
			t.Errorf("error %q is not one line starting with %s", msg, tt.wantVar)
		}
	}

	// run reports it too, before doing anything else.
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"serve"}, envOf(with("REDIS_URL", "nope")), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "REDIS_URL") {
		t.Errorf("run with a bad REDIS_URL = %v, want an error naming it", err)
	}
}

// TestSecretsNeverPrinted: the config, printed or logged whole, shows no secret.
func TestSecretsNeverPrinted(t *testing.T) {
	secrets := map[string]string{
		"SLACK_BOT_TOKEN":        "xoxb-very-secret-bot",
		"SLACK_APP_TOKEN":        "xapp-very-secret-app",
		"SLACK_SIGNING_SECRET":   "very-secret-signing",
		"TRELLIS_ENCRYPTION_KEY": "very-secret-key",
		"DATABASE_URL":           "postgres://u:very-secret-password@db/trellis",
		"REDIS_URL":              "redis://:very-secret-redis@redis:6379/0",
	}
	c, err := app.LoadConfig(envOf(secrets))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("config", "config", c, "token", c.BotToken)
	printed := buf.String() + fmt.Sprintf("%v %+v %s", c, c, c.AppToken)
	if strings.Contains(printed, "very-secret") {
		t.Errorf("a secret was printed: %s", printed)
	}
	if c.BotToken.Reveal() != secrets["SLACK_BOT_TOKEN"] {
		t.Error("Reveal lost the value")
	}
}
