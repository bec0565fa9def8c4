package main

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot/slacksim"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
)

// demoScheduleKey is the sandbox's own schedule: a message each working
// morning, so the delivery engine has something to show before any
// check-in exists.
const demoScheduleKey = "demo:morning"

// seedSandbox registers the demo schedule for every demo person. It is
// idempotent: a restarted sandbox keeps the schedule and where it stands.
func seedSandbox(ctx context.Context, eng *engine.Engine, team string, now time.Time) error {
	sc, err := eng.Schedules().Put(ctx, models.Schedule{
		WorkspaceID: team,
		Key:         demoScheduleKey,
		Title:       "Sandbox demo: good morning",
		Cadence:     "weekdays at 09:30",
		Anchor:      models.DateOf(now.UTC()),
	})
	if err != nil {
		return fmt.Errorf("sandbox schedule: %w", err)
	}
	people := []string{slacksim.DemoAda, slacksim.DemoRavi, slacksim.DemoMei, slacksim.DemoCarlos, slacksim.DemoJordan, slacksim.DemoNoor}
	// Targets already there keep their place; new ones start from now.
	if _, _, err := eng.Schedules().SetTargets(ctx, team, sc.Key, people, now); err != nil {
		return fmt.Errorf("sandbox schedule: %w", err)
	}
	return nil
}

// demoComposer writes the demo schedule's message.
func demoComposer(_ context.Context, c engine.Context) (engine.Message, error) {
	local := c.Occurrence.NominalAt.In(c.Location)
	text := fmt.Sprintf("Good morning! This is the sandbox's scheduled message for %s.", local.Format("Monday 2 January"))
	return engine.Message{
		Text: text,
		Blocks: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text+
				"\nCheck-ins and their reminders reach you the same way: at their local time, inside your working hours, never while you're away.",
				false, false), nil, nil),
		},
	}, nil
}
