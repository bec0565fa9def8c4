package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/trellis-bot/trellis/app"
)

// manifest is the part of a Slack app manifest Trellis depends on.
type manifest struct {
	DisplayInformation struct {
		Name        string `yaml:"name"`
		Description string `yaml:"description"`
	} `yaml:"display_information"`
	Features struct {
		AppHome struct {
			HomeTab bool `yaml:"home_tab_enabled"`
		} `yaml:"app_home"`
		SlashCommands []struct {
			Command string `yaml:"command"`
			URL     string `yaml:"url"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuth struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Events struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			Enabled    bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
			OptionsURL string `yaml:"message_menu_options_url"`
		} `yaml:"interactivity"`
		SocketMode bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

// TestSlackManifest keeps deploy/slack-manifest.yaml in step with what the
// code serves, within Slack's manifest limits, with least-privilege scopes.
func TestSlackManifest(t *testing.T) {
	b, err := os.ReadFile("deploy/slack-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest is not valid YAML: %v", err)
	}
	if n := len(m.DisplayInformation.Name); n == 0 || n > 35 {
		t.Errorf("name %q: %d chars, Slack allows 1-35", m.DisplayInformation.Name, n)
	}
	if n := len(m.DisplayInformation.Description); n > 140 {
		t.Errorf("description: %d chars, Slack allows 140", n)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/trellis" ||
		!strings.HasSuffix(m.Features.SlashCommands[0].URL, "/slack/commands") {
		t.Errorf("slash commands = %+v, want /trellis at /slack/commands", m.Features.SlashCommands)
	}
	if !strings.HasSuffix(m.Settings.Events.RequestURL, "/slack/events") ||
		!m.Settings.Interactivity.Enabled || !strings.HasSuffix(m.Settings.Interactivity.RequestURL, "/slack/interactions") {
		t.Errorf("request URLs = %q, %q", m.Settings.Events.RequestURL, m.Settings.Interactivity.RequestURL)
	}
	// An external select's options (block_suggestion) come over HTTP
	// only from the options load URL, which the interactions endpoint
	// serves.
	if !strings.HasSuffix(m.Settings.Interactivity.OptionsURL, "/slack/interactions") {
		t.Errorf("options load URL = %q, want the interactions endpoint", m.Settings.Interactivity.OptionsURL)
	}
	if !m.Features.AppHome.HomeTab || !m.Settings.SocketMode {
		t.Error("the Home tab and Socket Mode must be enabled")
	}
	// Exactly the events the handlers register, and exactly the scopes the
	// code calls for: commands; chat:write (postEphemeral, postMessage);
	// chat:write.customize (answers under each person's name and picture);
	// im:write (conversations.open); im:history (reconciling DMs);
	// mpim:write (conversations.open with several people: group DMs);
	// mpim:history (reconciling group DMs);
	// users:read (users.info, user_change); users.profile:read
	// (users.profile.get: a custom profile field); channels:read and groups:read
	// (check-in channel members and their events); channels:history and
	// groups:history (reconciling check-in posts); files:write (exports).
	events := slices.Sorted(slices.Values(m.Settings.Events.BotEvents))
	if want := []string{"app_home_opened", "app_uninstalled", "member_joined_channel", "member_left_channel", "tokens_revoked", "user_change"}; !slices.Equal(events, want) {
		t.Errorf("bot events = %v, want %v", events, want)
	}
	scopes := slices.Sorted(slices.Values(m.OAuth.Scopes.Bot))
	if want := []string{"channels:history", "channels:read", "chat:write", "chat:write.customize", "commands", "files:write", "groups:history", "groups:read", "im:history", "im:write", "mpim:history", "mpim:write", "users.profile:read", "users:read"}; !slices.Equal(scopes, want) {
		t.Errorf("bot scopes = %v, want exactly %v", scopes, want)
	}
	// The README's install step names every scope the manifest asks for.
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scopes {
		if !strings.Contains(string(readme), "`"+sc+"`") {
			t.Errorf("README.md does not say why Trellis asks for %s", sc)
		}
	}
}

// TestComposeFile checks deploy/compose.yaml without a Docker engine: the
// services, their health checks and the environment Trellis reads.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Build       any               `yaml:"build"`
			Image       string            `yaml:"image"`
			Environment map[string]string `yaml:"environment"`
			DependsOn   map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yaml is not valid YAML: %v", err)
	}
	bot, ok := c.Services["trellis"]
	if !ok || bot.Build == nil {
		t.Fatalf("no trellis service built from the Dockerfile: %+v", c.Services)
	}
	env := func(k string) string { return bot.Environment[k] }
	cfg, err := app.LoadConfig(func(k string) string {
		switch k {
		case "SLACK_BOT_TOKEN":
			return "xoxb-compose"
		case "SLACK_APP_TOKEN":
			return "xapp-compose"
		case "TRELLIS_ENCRYPTION_KEY":
			return "key"
		}
		return env(k)
	})
	if err != nil {
		t.Fatalf("the compose environment does not load: %v", err)
	}
	if cfg.DatabaseURL == "" || cfg.RedisURL == "" || cfg.Addr != "0.0.0.0:8080" {
		t.Errorf("compose config = %+v, want Postgres, Redis and 0.0.0.0:8080", cfg)
	}
	for _, dep := range []string{"postgres", "redis"} {
		if _, ok := c.Services[dep]; !ok {
			t.Errorf("no %s service", dep)
		}
		if bot.DependsOn[dep].Condition != "service_healthy" {
			t.Errorf("trellis does not wait for a healthy %s", dep)
		}
		if len(c.Services[dep].Healthcheck.Test) == 0 {
			t.Errorf("%s has no health check", dep)
		}
	}
	if got := strings.Join(bot.Healthcheck.Test, " "); got != "CMD /trellis healthcheck" {
		t.Errorf("trellis health check = %q", got)
	}
}

// TestDockerfile checks what can be checked without an engine: two stages,
// a static build, a non-root user and the binary as entrypoint.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d := string(b)
	for _, want := range []string{"AS build", "CGO_ENABLED=0", "USER 65532:65532", `ENTRYPOINT ["/trellis"]`, "HEALTHCHECK", "-trimpath"} {
		if !strings.Contains(d, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if n := strings.Count(d, "\nFROM "); n != 2 {
		t.Errorf("Dockerfile has %d stages, want 2 (build, then a minimal runtime)", n)
	}
	if !strings.Contains(d, "FROM golang:1.26") {
		t.Error("the build stage must use the Go version in go.mod (1.26)")
	}
}
