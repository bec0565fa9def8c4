// Package checkins is what happens when a person acts on a check-in in
// Slack: /trellis checkin and its subcommands, the check-in form, the
// answer form, the prompts' buttons, the Home tab's check-in section and
// its buttons, and the channel membership events that keep participants
// in step. It plugs into Trellis as a handlers.Feature.
package checkins

import (
	"log/slog"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/handlers"
	jobcheckins "github.com/trellis-bot/trellis/jobs/checkins"
	"github.com/trellis-bot/trellis/jobs/engine"
)

// Handlers serves the check-in requests, over the check-in service and
// the core handlers' shared helpers.
type Handlers struct {
	core  *handlers.Handlers
	ck    *jobcheckins.Service
	log   *slog.Logger
	clock clock.Clock
}

// New returns the check-in handlers over core and the check-in service.
func New(core *handlers.Handlers, svc *jobcheckins.Service) *Handlers {
	return &Handlers{core: core, ck: svc, log: core.Logger(), clock: core.Clock()}
}

// Feature declares everything check-ins add to Trellis.
func (h *Handlers) Feature() handlers.Feature {
	return handlers.Feature{
		Name:      "checkins",
		Composers: map[string]engine.Composer{jobcheckins.Kind: h.ck.Composer()},
		Steppers:  []engine.StepperSpec{h.ck.Stepper()},
		Subcommands: []handlers.Subcommand{
			{Name: "checkin", Aliases: []string{"checkins", "check-in"}, Serve: h.cmdCheckin},
		},
		Help: HelpLines(),
		Home: &handlers.HomeSection{Order: 100, Build: h.homeSection},
		Actions: map[string]bot.HandlerFunc{
			ActionCheckinTemplate:           h.checkinTemplate,
			jobcheckins.ActionCheckinAnswer: h.openAnswer,
			jobcheckins.ActionCheckinEdit:   h.openAnswer,
			jobcheckins.ActionCheckinSkip:   h.skipRound,
			jobcheckins.ActionCheckinSnooze: h.snoozeRound,
			ActionHomeCheckinEdit:           h.homeCheckinEdit,
			ActionHomeCheckinPause:          h.homeCheckinPause,
			ActionHomeCheckinResume:         h.homeCheckinResume,
			ActionHomeCheckinRun:            h.homeCheckinRun,
			ActionHomeCheckinExport:         h.homeCheckinExport,
		},
		Views: map[string]bot.HandlerFunc{
			CallbackCheckin: h.submitCheckin,
			CallbackAnswer:  h.submitAnswer,
		},
		Events: map[string]bot.HandlerFunc{
			"member_joined_channel": h.membersChanged,
			"member_left_channel":   h.membersChanged,
		},
	}
}

// HelpLines are the check-ins' lines in /trellis help.
func HelpLines() []string {
	return []string{
		"`/trellis checkin new` — in a channel, set up a check-in its team answers by DM (from a template: stand-up, weekly, autonomy pulse, retro)",
		"`/trellis checkin list` — this channel's check-ins (in a DM: yours); `/trellis checkin edit|pause|resume|delete|run ID` for the owner",
		"`/trellis checkin export ID` — a CSV of the answers (the owner or an admin gets everyone's while in the channel, anyone else their own)",
	}
}
