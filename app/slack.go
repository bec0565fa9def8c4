package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/models"
)

// openSlack settles how the App reaches Slack (the sandbox's emulator
// when there are no credentials), makes the paced clients, and registers
// the installation the bot token belongs to and its workspace.
func (a *App) openSlack(ctx context.Context) error {
	a.slack = slackAccess{
		botToken: a.cfg.BotToken.Reveal(),
		appToken: a.cfg.AppToken.Reveal(),
		signing:  a.cfg.SigningSecret.Reveal(),
		apiURL:   a.cfg.SlackAPIURL,
		socket:   a.cfg.Mode == ModeSocket || a.cfg.Mode == ModeBoth,
		http:     a.cfg.Mode == ModeHTTP || a.cfg.Mode == ModeBoth,
	}
	if a.cfg.Mode == ModeSandbox {
		if err := a.startEmulator(); err != nil {
			return err
		}
	}

	a.installs = models.NewInstallations(a.db, a.cipher)
	a.clients = bot.NewClients(a.installs, a.slack.apiURL, bot.TransportConfig{Store: a.store, Metrics: a.metrics, Logger: a.log, Rates: a.rates})
	team, err := registerInstallation(ctx, a.log, a.installs, a.clients, a.slack.botToken)
	if err != nil {
		return err
	}
	a.team = team
	a.workspaces = models.NewWorkspaces(a.db)
	if _, err := a.workspaces.Ensure(ctx, team.TeamID, team.Team); err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// registerInstallation asks Slack who the bot token belongs to and stores the
// installation, token encrypted.
func registerInstallation(ctx context.Context, log *slog.Logger, installs *models.Installations, clients *bot.Clients, token string) (*slack.AuthTestResponse, error) {
	// The workspace is not known until auth.test answers; pace it alone.
	api := clients.New("auth", token)
	var (
		team *slack.AuthTestResponse
		err  error
	)
	// Slack may be briefly unreachable at start; try a few times.
	for attempt := 0; attempt < 5; attempt++ {
		team, err = api.AuthTestContext(ctx)
		if err == nil {
			break
		}
		var se slack.SlackErrorResponse
		if errors.As(err, &se) || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(attempt+1) * time.Second)
	}
	if err != nil {
		return nil, fmt.Errorf("SLACK_BOT_TOKEN: auth.test failed: %w", err)
	}
	inst := models.Installation{
		WorkspaceID:  team.TeamID,
		EnterpriseID: team.EnterpriseID,
		BotUserID:    team.UserID,
		BotToken:     token,
		InstalledAt:  time.Now().UTC(),
		Active:       true,
	}
	if err := installs.Save(ctx, inst); err != nil {
		return nil, fmt.Errorf("save installation: %w", err)
	}
	log.Info("connected to slack", "team", team.TeamID, "team_name", team.Team, "bot_user", team.UserID)
	return team, nil
}
