// Package peers is the Slack surface of peer networks: the /trellis
// network subcommands and their form, the /trellis admin network words
// (the workspace's own discussion prompts), the channel membership events
// that keep a channel network's people its channel's, the Home tab's
// section, and the buttons of the runtime's messages with the commitment
// form they open. What happens on time (rounds, intros, circles, asks' posts) is
// the runtime's, jobs/peers, which the handlers call through the Runtime
// interface they declare, so that tests can give a fake.
package peers

import (
	"context"
	"log/slog"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/jobs/engine"
	jobpeers "github.com/trellis-bot/trellis/jobs/peers"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

// Runtime is what the handlers need of the peer networks' runtime
// (jobs/peers). Every method is told the workspace; none is called inside
// a database transaction of the handlers'.
type Runtime interface {
	// NetworkChanged is called after a network was created or edited,
	// paused or resumed, or its people changed (a join, a leave, a pause
	// of one's own, a channel sync, people added or removed): the runtime
	// keeps the network's schedule and its next round true.
	NetworkChanged(ctx context.Context, ws string, networkID int64) error
	// NetworkDeleted is called after a network and its rows were deleted:
	// the runtime deletes its schedule.
	NetworkDeleted(ctx context.Context, ws string, networkID int64) error
	// Ask stores an anonymous question for a network and plans its post
	// in the network's channel, in one transaction, and returns the code
	// that alone deletes it. It is given nothing about the asker.
	Ask(ctx context.Context, ws string, networkID int64, text string) (code string, err error)
	// DeleteAsk deletes the ask code belongs to, and its post;
	// peers.ErrNotFound when the code matches no ask of the workspace.
	DeleteAsk(ctx context.Context, ws, code string) error
	// Explain says, for user alone, why they were paired as they were
	// (or not) in the network's latest round: mrkdwn of Trellis's own
	// words around people's mentions and numbers, with nothing anyone
	// typed in it, shown as it is.
	Explain(ctx context.Context, ws string, networkID int64, user string) (string, error)
	// RecordOutcome records how an intro group's meeting went, as user
	// answered its follow-up; groupID is the button's value, checked
	// against the stored group: jobpeers.ErrNotMember for a person not
	// in the group, peers.ErrNotFound for a group of another workspace or
	// not of an intros network, and nothing stored for either.
	RecordOutcome(ctx context.Context, ws string, groupID int64, user string, o peers.Outcome) error
	// AnswerPauseCheck records user's answer to the pause check of a
	// network (the button's value): pause stops their intros until they
	// resume them. peers.ErrNotFound, changing nothing, for a person not
	// in the network.
	AnswerPauseCheck(ctx context.Context, ws string, networkID int64, user string, pause bool) error
	// SetCommitment stores what user will try after a circle's session
	// (the form's session id, checked against the stored session:
	// peers.ErrNotAllowed when they were not present at it,
	// peers.ErrNotFound for no such session), privately, and with share
	// plans its post to the circle. Bad text is a *peers.ValidationError
	// on peers.FieldText; nothing is stored on any error.
	SetCommitment(ctx context.Context, ws string, sessionID int64, user, text string, share bool) (peers.Commitment, error)
	// LearningCheckin records user's answer to a learning pair's
	// check-in (groupID is the button's value, checked against the stored
	// group: peers.ErrNotAllowed for a person not in that pair,
	// peers.ErrNotFound for no such group); LearningEnd ends the pair.
	LearningCheckin(ctx context.Context, ws string, groupID int64, user string, answer jobpeers.LearningAnswer) error
}

// Config wires the handlers.
type Config struct {
	// Core is the core handlers: people, forms, admin checks.
	Core *handlers.Handlers
	// DB is the database the peer store, the workspace (its minimum group
	// size) and the audit log are read from and written to.
	DB *models.DB
	// Jobs is the peer networks' runtime (jobs/peers): its composers and
	// stepper are declared with the feature, and it is the Runtime unless
	// Runtime is set.
	Jobs *jobpeers.Service
	// Runtime is what the handlers call of the runtime; nil means Jobs.
	// Tests give a fake.
	Runtime Runtime
	// BotUserID gives Trellis's own user id in a workspace, so that a
	// channel network is made only where Trellis is a member and Trellis
	// itself is never one of its people; nil or "" skips the check.
	BotUserID func(ctx context.Context, team string) string
}

// Handlers serves the peer networks' requests.
type Handlers struct {
	core      *handlers.Handlers
	db        *models.DB
	store     *peers.Store
	ws        *models.Workspaces
	rt        Runtime
	jobs      *jobpeers.Service
	log       *slog.Logger
	clock     clock.Clock
	botUserID func(ctx context.Context, team string) string
	// kinds is what Slack said of channel members: person or not.
	kinds memberKinds
}

// New returns the peer networks' handlers.
func New(cfg Config) *Handlers {
	log := cfg.Core.Logger()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rt := cfg.Runtime
	if rt == nil && cfg.Jobs != nil {
		rt = cfg.Jobs
	}
	return &Handlers{core: cfg.Core, db: cfg.DB, store: peers.NewStore(cfg.DB), ws: models.NewWorkspaces(cfg.DB), rt: rt, jobs: cfg.Jobs,
		log: log.With("component", "peers"), clock: cfg.Core.Clock(), botUserID: cfg.BotUserID}
}

// Store is the peer store the handlers use.
func (h *Handlers) Store() *peers.Store { return h.store }

// Feature declares everything peer networks add to Trellis: with Jobs,
// the runtime's composer (every message of jobpeers.Kind) and stepper
// (rounds, terms and sessions opened once). The one-offs the composer
// writes are declared on the engine where it is built
// (jobpeers.AcceptOneOffs).
func (h *Handlers) Feature() handlers.Feature {
	var composers map[string]engine.Composer
	var steppers []engine.StepperSpec
	if h.jobs != nil {
		composers = map[string]engine.Composer{jobpeers.Kind: h.jobs.Composer()}
		steppers = []engine.StepperSpec{h.jobs.Stepper()}
	}
	return handlers.Feature{
		Name:      "peers",
		Composers: composers,
		Steppers:  steppers,
		Subcommands: []handlers.Subcommand{
			{Name: "network", Aliases: []string{"networks"}, Serve: h.cmdNetwork},
		},
		Help:      HelpLines(),
		Admin:     []handlers.Subcommand{{Name: AdminWord, Aliases: []string{"networks"}, Serve: h.admin}},
		AdminHelp: AdminHelpLines(),
		Home:      &handlers.HomeSection{Order: 300, Build: h.homeSection},
		// The runtime's messages' buttons. Their ids share the prefix
		// "peers", so each is registered whole.
		Actions: map[string]bot.HandlerFunc{
			jobpeers.ActionMet:            h.followUp,
			jobpeers.ActionNotYet:         h.followUp,
			jobpeers.ActionCouldnt:        h.followUp,
			jobpeers.ActionPauseMe:        h.pauseCheck,
			jobpeers.ActionKeepMe:         h.pauseCheck,
			jobpeers.ActionCommit:         h.openCommit,
			jobpeers.ActionLearningWell:   h.learningCheckin,
			jobpeers.ActionLearningNotMet: h.learningCheckin,
			jobpeers.ActionLearningEnd:    h.learningCheckin,
		},
		Views: map[string]bot.HandlerFunc{
			CallbackNetwork: h.submitNetwork,
			CallbackCommit:  h.submitCommit,
			CallbackSkills:  h.submitSkills,
		},
		Events: map[string]bot.HandlerFunc{
			"member_joined_channel": h.memberEvent,
			"member_left_channel":   h.memberEvent,
		},
	}
}

// HelpLines are the peer networks' lines for /trellis help. They are not
// shown anywhere yet: help promises peer networks only once they have
// landed (honesty_test.go).
func HelpLines() []string {
	return []string{
		"`/trellis network new` — in a channel: a network of intros, manager circles or learning pairs; `/trellis network list` lists them",
		"`/trellis network edit|pause|resume|delete NETWORK` for its owner; `add|remove NETWORK @person` for a network of chosen people",
		"`/trellis network pause me [NETWORK] [until 2027-01-15]`, `resume me`, `leave`, `join` — your own part; nobody has to explain",
		"`/trellis network avoid @person` — a private list of people you'd rather not be paired with; only you ever see it",
		"`/trellis network skills [NETWORK]` — a form for what you teach and learn (or type `skills teach: sql 4; learn: okrs`; `skills show`), `capacity [NETWORK] 1-5|default` — how many learners you take",
		"`/trellis network ask QUESTION` (anonymous), `why` — why you were paired",
	}
}
