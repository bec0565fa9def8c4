package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/trellis-bot/trellis/app"
	"github.com/trellis-bot/trellis/models"
)

// serve runs the bot until ctx is cancelled, then shuts down in order: stop
// taking requests, drain work in flight, close Redis and the database.
func serve(ctx context.Context, log *slog.Logger, cfg app.Config, out io.Writer) error {
	a, err := app.New(ctx, cfg, app.WithLogger(log), app.WithOutput(out), app.WithVersion(version))
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Run(ctx)
}

// migrate is the `trellis migrate` verb.
func migrate(ctx context.Context, log *slog.Logger, cfg app.Config, args []string, out io.Writer) error {
	db, err := app.OpenDB(ctx, log, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	switch {
	case len(args) > 0 && args[0] == "status":
		return migrationStatus(ctx, db, out)
	case len(args) > 0:
		return errUsage
	}
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "migrations applied")
	return nil
}

// migrationStatus lists every migration, applied (and when) or pending.
func migrationStatus(ctx context.Context, db *models.DB, out io.Writer) error {
	states, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, s := range states {
		applied := "pending"
		if s.Applied {
			applied = "applied " + s.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(out, "%4d  %-40s %s\n", s.Version, s.Name, applied)
	}
	return nil
}
