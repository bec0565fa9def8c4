package okrs

import (
	"context"
	"log/slog"
	"sync"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/jobs/engine"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/okrs"
)

// Handlers serves the OKR requests, over the OKR service and the core
// handlers' shared helpers.
type Handlers struct {
	core  *handlers.Handlers
	svc   *jobokrs.Service
	store *okrs.Store
	ppl   *models.People
	log   *slog.Logger
	clock clock.Clock
	// botUserID is Trellis's own user id in a workspace, "" when unknown.
	botUserID func(ctx context.Context, team string) string

	// members are channels' member lists as Slack last gave them (see
	// recentMember).
	membersMu sync.Mutex
	members   map[string]memberList
}

// New returns the OKR handlers over core, the OKR service and the
// workspace's people. botUserID gives Trellis's own user id in a
// workspace, so that a team's channel is checked to have Trellis in it
// before an objective is given to the team (nil skips the check).
func New(core *handlers.Handlers, svc *jobokrs.Service, people *models.People, botUserID func(ctx context.Context, team string) string) *Handlers {
	return &Handlers{core: core, svc: svc, store: svc.Store(), ppl: people, log: core.Logger(), clock: core.Clock(),
		botUserID: botUserID, members: map[string]memberList{}}
}

// Feature declares everything OKRs add to Trellis. The review DMs' and
// summaries' one-offs are declared on the engine where the service is
// built (jobokrs.AcceptReviews); their composer is here.
func (h *Handlers) Feature() handlers.Feature {
	return handlers.Feature{
		Name: "okrs",
		Composers: map[string]engine.Composer{
			jobokrs.Kind:       h.svc.Composer(),
			jobokrs.DigestKind: jobokrs.DigestComposer(h.store, h.ppl),
			jobokrs.ReviewKind: h.svc.ReviewComposer(),
		},
		Steppers: []engine.StepperSpec{h.svc.Stepper()},
		Subcommands: []handlers.Subcommand{
			{Name: "okr", Aliases: []string{"okrs"}, Serve: h.cmdOKR},
		},
		Help:      HelpLines(),
		Admin:     []handlers.Subcommand{AdminSubcommand(h.store, h.svc, h.clock, h.log)},
		AdminHelp: AdminHelpLines(),
		Home:      &handlers.HomeSection{Order: 200, Build: h.homeSection},
		// A check-in question `okr: …` asks a person's key results inside
		// the check-in's answer form (handlers.QuestionKind).
		QuestionKinds: map[string]handlers.QuestionKind{CheckinQuestionName: h.CheckinQuestion()},
		Actions: map[string]bot.HandlerFunc{
			ActionUpdate:              h.openUpdate,
			ActionUpdateNoChange:      ack,
			ActionTreePrev:            h.treePage,
			ActionTreeNext:            h.treePage,
			"okr:review":              h.openReview,
			jobokrs.ActionHelpChannel: h.helpAction,
			jobokrs.ActionHelpCheckin: h.helpAction,
			jobokrs.ActionHelpNo:      h.helpAction,
		},
		Views: map[string]bot.HandlerFunc{
			CallbackUpdate:       h.submitUpdate,
			CallbackNewObjective: h.submitObjective,
			CallbackReview:       h.submitReview,
		},
		Suggestions: map[string]bot.HandlerFunc{
			ActionNewParents: h.suggestAlignment,
		},
	}
}

// HelpLines are the OKRs' lines in /trellis help.
func HelpLines() []string {
	return []string{
		"`/trellis okr` — your key results this cycle with progress; `/trellis okr update` updates them all in one form",
		"`/trellis okr new` — an objective and its key results (in a channel: for its team); `/trellis okr list [#channel | @person]`, `/trellis okr tree`, `/trellis okr show ID`",
		"`/trellis okr edit|close|delete ID` for the owner; `/trellis okr correct KR-ID value [on track|at risk|off track] [note]` fixes the last entry, keeping both in the history",
		"`/trellis okr export [cycle]` — a CSV of a cycle with its history; `/trellis okr nudges weekly|every 2 weeks|off|default`",
	}
}

// ack answers an action that needs nothing done: the update form's "No
// change" ticks.
func ack(context.Context, *bot.Request) (*bot.Response, error) { return nil, nil }
