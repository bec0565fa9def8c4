package app

import (
	"context"
	"fmt"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	peerhandlers "github.com/trellis-bot/trellis/handlers/peers"
	"github.com/trellis-bot/trellis/jobs/checkins"
	"github.com/trellis-bot/trellis/jobs/engine"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	jobpeers "github.com/trellis-bot/trellis/jobs/peers"
	"github.com/trellis-bot/trellis/models"
)

// openServices builds the delivery engine and the capabilities on it. A
// capability's wiring is here: its service, and what it registers with
// the engine.
func (a *App) openServices(ctx context.Context) error {
	// The delivery engine: every proactive message goes through it.
	eng, err := engine.New(engine.Config{
		DB:      a.db,
		Clients: func(ctx context.Context, team string) (engine.Slack, error) { return a.clients.ClientFor(ctx, team) },
		Clock:   a.clk,
		Logger:  a.log,
		Metrics: engine.NewMetrics(a.reg),
	})
	if err != nil {
		return err
	}
	a.eng = eng
	a.engineRef.Store(eng)
	// Check-ins: the engine writes their DMs and its ticks close their
	// rounds and send their channel posts, once the feature is registered
	// (openHandlers).
	a.checkins, err = checkins.New(checkins.Config{
		DB:        a.db,
		Engine:    eng,
		Clients:   func(ctx context.Context, team string) (checkins.Slack, error) { return a.clients.ClientFor(ctx, team) },
		BotUserID: a.clients.BotUserID,
		Clock:     a.clk,
		Logger:    a.log,

		BackgroundPromptUpdates: true,
	})
	if err != nil {
		return err
	}
	// OKRs: nudges, digests and reviews. The reviews' one-offs are
	// declared here, where the engine is built; their composer comes
	// with the feature (openHandlers). The DMs read a team's channel
	// members from Slack, so a team-only objective reaches its members
	// only.
	a.okrs, err = jobokrs.New(jobokrs.Config{DB: a.db, Engine: eng, Clock: a.clk, Logger: a.log,
		Members: jobokrs.SlackMembers(func(ctx context.Context, team string) (jobokrs.MemberLister, error) {
			return a.clients.ClientFor(ctx, team)
		})})
	if err != nil {
		return err
	}
	if err := jobokrs.AcceptReviews(eng); err != nil {
		return err
	}
	// Peer networks: rounds, circles, learning pairs and anonymous asks.
	// People's teams are read from Slack (a profile field or team
	// channels), a profile field's cached in Redis for every replica and
	// read ahead of each round; an ask's post is deleted with chat.delete.
	teams := jobpeers.NewSlackTeams(func(ctx context.Context, team string) (jobpeers.TeamsAPI, error) {
		return a.clients.ClientFor(ctx, team)
	}, jobpeers.TeamsOptions{Cache: a.store, Clock: a.clk, Logger: a.log})
	a.peers, err = jobpeers.New(jobpeers.Config{DB: a.db, Engine: eng, Clock: a.clk, Logger: a.log,
		Teams: teams.Teams, Warm: teams.Warm,
		Delete: func(ctx context.Context, team, channel, ts string) error {
			api, err := a.clients.ClientFor(ctx, team)
			if err != nil {
				return err
			}
			_, _, err = api.DeleteMessageContext(ctx, channel, ts)
			return err
		}})
	if err != nil {
		return err
	}
	if err := jobpeers.AcceptOneOffs(eng); err != nil {
		return err
	}
	if a.sim != nil {
		if err := eng.Register("demo", engine.ComposerFunc(DemoComposer)); err != nil {
			return err
		}
		if err := seedSandbox(ctx, eng, a.team.TeamID, a.clk.Now()); err != nil {
			return err
		}
		if err := seedSandboxOKRs(ctx, a.db, a.okrs, a.team.TeamID, a.clk.Now()); err != nil {
			return err
		}
		api, err := a.clients.ClientFor(ctx, a.team.TeamID)
		if err != nil {
			return err
		}
		if err := seedSandboxPeers(ctx, a.db, a.peers, api, a.team.TeamID, a.clients.BotUserID(ctx, a.team.TeamID), a.clk.Now()); err != nil {
			return err
		}
	}
	return nil
}

// openHandlers builds what happens when a person acts: the handlers on a
// router, and the dispatcher that acks Slack and runs them.
func (a *App) openHandlers(context.Context) error {
	mux := bot.NewMux()
	mux.Use(bot.Recover(), bot.Logging(a.log))
	core := handlers.New(handlers.Config{
		Logger:        a.log,
		Clock:         a.clk,
		People:        models.NewPeople(a.db),
		Workspaces:    a.workspaces,
		Installations: a.installs,
		Views:         models.NewOpenedViews(a.db),
		Forecast:      a.eng,
	})
	// Every feature plugs in here, one line each; a name two of them
	// claim stops the start.
	features := []handlers.Feature{
		checkinhandlers.New(core, a.checkins).Feature(),
		okrhandlers.New(core, a.okrs, models.NewPeople(a.db), a.clients.BotUserID).Feature(),
		peerhandlers.New(peerhandlers.Config{Core: core, DB: a.db, Jobs: a.peers, BotUserID: a.clients.BotUserID}).Feature(),
	}
	if err := core.Register(mux, a.eng, features...); err != nil {
		return fmt.Errorf("register features: %w", err)
	}
	a.dispatcher = bot.NewDispatcher(bot.DispatcherConfig{
		Logger:    a.log,
		Handler:   mux,
		Deduper:   bot.NewDeduper(bot.DeduperConfig{Store: a.store, Logger: a.log, Metrics: a.metrics}),
		Metrics:   a.metrics,
		Clients:   a.clients,
		BotUserID: a.clients.BotUserID,
	})
	return nil
}
