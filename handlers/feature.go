package handlers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
)

// Feature is how a capability (check-ins, OKRs, peer networks) plugs into
// Trellis: everything it adds, declared in one value that Register takes.
// Nothing of a feature is registered anywhere else, and a feature never
// registers itself. Every name a feature declares must be its own:
// Register refuses one another owner has taken.
type Feature struct {
	// Name names the feature in errors and logs ("checkins").
	Name string

	// Composers write the messages of the feature's schedules, by kind:
	// the part of a schedule key before the colon ("checkin").
	Composers map[string]engine.Composer
	// Steppers are the feature's time-driven work, run at every engine
	// tick, each isolated from the others within its own budget.
	Steppers []engine.StepperSpec

	// Subcommands are the feature's /trellis subcommands.
	Subcommands []Subcommand
	// Help are the feature's lines in /trellis help, in order.
	Help []string
	// Admin are the feature's words under /trellis admin. They are served
	// only to a person Slack confirms as a workspace admin, after the
	// same check as the core's admin words, and refused to anyone else
	// with the same reply; Serve's p is the person as Slack just said.
	Admin []Subcommand
	// AdminHelp are the feature's lines in the admin section of /trellis
	// help, in order. Each begins with its example in backticks, like the
	// core's ("`/trellis admin hours mon-fri 09:00-17:30` — workspace
	// default working hours"); the reply to an unknown /trellis admin word
	// lists those examples.
	AdminHelp []string
	// Home is the feature's section of the Home tab; nil for none.
	Home *HomeSection

	// Actions route block actions by action id (or an id's prefix up to a
	// colon), Views view submissions by callback id, ViewsClosed
	// view_closed by callback id.
	Actions, Views, ViewsClosed map[string]bot.HandlerFunc
	// Suggestions answer block_suggestion by action id (or prefix), as
	// Actions do: the options of the feature's external selects for what
	// a person typed, in Response.Options or OptionGroups. Each keystroke
	// is a request, answered on the ack: a handler that fails or is slow
	// answers no options (see bot.Dispatcher).
	Suggestions map[string]bot.HandlerFunc
	// Events subscribe the feature to Events API events by type. Other
	// features may subscribe to the same types: each is served.
	Events map[string]bot.HandlerFunc

	// QuestionKinds are the questions the feature lets other features'
	// forms ask, by name: a lowercase word (see ValidQuestionKindName)
	// that a host feature's people write, such as a check-in question
	// starting "name:". A host finds them with Handlers.QuestionKind and
	// never imports the feature.
	QuestionKinds map[string]QuestionKind
}

// QuestionKind is a question a feature offers to other features' forms:
// its own inputs, embedded in a host's form (a check-in's answer form),
// read and stored by the feature when the host's form is submitted. The
// host knows nothing of what it asks: it places the blocks, keeps their
// State, hands back what was entered, and stores the Commit's summary as
// its answer.
//
// A submission is two steps, so that a problem anywhere stores nothing
// anywhere: Check reads and validates (storing nothing), the host checks
// its own fields, and only when both are clean does the host run
// PendingAnswer.Commit inside its own database transaction, storing its
// answer in the same one. What follows from the stored records
// without being part of them runs after that transaction commits
// (Commit's after).
type QuestionKind interface {
	// Blocks returns the inputs to ask person q.UserID, within q's
	// bounds, and the State Check needs back. No blocks means there is
	// nothing to ask this person now; the host then shows a short line
	// of its own instead.
	Blocks(ctx context.Context, q QuestionRequest) (QuestionBlocks, error)
	// Check reads what the person entered in the blocks Blocks gave
	// (values is the host view's state.values, whole; state the State
	// Blocks returned). It stores nothing. With problems it returns no
	// PendingAnswer and a friendly message per block id (its own,
	// under q.Prefix) for the host's response_action "errors"; err is
	// for failures that are not the person's.
	Check(ctx context.Context, q QuestionRequest, state string, values map[string]map[string]slack.BlockAction) (PendingAnswer, map[string]string, error)
}

// QuestionRequest says whose question a host asks and where.
type QuestionRequest struct {
	TeamID, UserID string
	// Request is the host's request from the person (their button or
	// form submission): the kind reads the person and asks Slack what it
	// must (who is in a channel now) through it, as its own surfaces do.
	// Check is given it before the ack; Commit runs without it.
	Request *bot.Request
	// Prefix begins the id of every block the kind returns, so that its
	// ids never clash with the host's ("answer_3_").
	Prefix string
	// MaxBlocks is the most blocks Blocks may return: what the host's
	// view has left of Slack's 100. MaxState is the longest State, in
	// bytes: what the host's private_metadata has left of its 3000.
	MaxBlocks, MaxState int
}

// QuestionBlocks are a question kind's inputs for one person.
type QuestionBlocks struct {
	Blocks []slack.Block
	// State is what Check needs to read the blocks back (what they
	// showed), kept by the host and returned as given.
	State string
}

// PendingAnswer is what a QuestionKind's Check read, not yet stored.
type PendingAnswer interface {
	// Commit stores it, all or nothing, and returns a short plain-text
	// summary for the host's answer ("Updated 3 key results"), or "" when
	// there was nothing to store. The summary holds counts only, never
	// text the person typed; the host shows it to the person alone (see
	// docs/checkins.md), since whether they used the feature is theirs.
	// The host runs Commit inside its database transaction (ctx carries
	// it): the feature's stores join it, so the host's answer and the
	// feature's records are stored together or not at all. Commit makes
	// no Slack call (the Slack client refuses inside a transaction).
	//
	// after, when not nil, is the feature's work that follows from what
	// Commit stored without being part of it (the OKRs' nudge schedule,
	// a private offer of help): the host runs it once its transaction has
	// committed, never inside it, and only logs its error, so that a
	// failure there never loses the answer.
	Commit(ctx context.Context) (summary string, after func(ctx context.Context) error, err error)
}

// ValidQuestionKindName reports whether name can name a question kind:
// 2 to 20 lowercase ASCII letters, a word a person types before a colon.
func ValidQuestionKindName(name string) bool {
	if len(name) < 2 || len(name) > 20 {
		return false
	}
	for _, r := range name {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// QuestionKind returns the question kind registered under name.
func (h *Handlers) QuestionKind(name string) (QuestionKind, bool) {
	k, ok := h.questionKinds[name]
	return k, ok
}

// Subcommand is one /trellis subcommand of a feature, or one word under
// /trellis admin.
type Subcommand struct {
	// Name is the subcommand's word ("checkin"); the reply to a bare
	// /trellis lists a feature's subcommands.
	Name string
	// Aliases are other words for it ("checkins", "check-in").
	Aliases []string
	// Serve answers it. p is the person, read before any setting is
	// stored; args is the text after the subcommand's word.
	Serve func(ctx context.Context, req *bot.Request, p models.Person, args string) (*bot.Response, error)
}

// HomeSection is a feature's part of the Home tab, below the person's
// settings.
type HomeSection struct {
	// Order places the section among the features', lowest first.
	Order int
	// Build returns the section for person p, fitting room: what is left
	// of the tab's blocks and text. With an error, the blocks it returns
	// (if any) are still shown, and the error is logged: the rest of the
	// tab is worth showing.
	Build func(ctx context.Context, req *bot.Request, p models.Person, room views.HomeRoom) ([]slack.Block, error)
}

// homeSection is a registered HomeSection and its feature.
type homeSection struct {
	HomeSection
	feature string
}

// jobs is where features' composers and steppers go: the delivery engine.
type jobs interface {
	Register(kind string, c engine.Composer) error
	AddStepper(s engine.StepperSpec) error
}

// coreOwner names the core as an owner in registration errors.
const coreOwner = "the core"

// registry checks that no name is registered twice, remembering who took
// each one.
type registry struct {
	owners map[string]string // "what name" → owner
	errs   []error
}

// take records owner as what's name's owner, or records an error naming
// both owners when it is taken.
func (r *registry) take(what, name, owner string) bool {
	key := what + " " + name
	if old, taken := r.owners[key]; taken {
		r.errs = append(r.errs, fmt.Errorf("%s %q of %s is already registered by %s", what, name, owner, old))
		return false
	}
	r.owners[key] = owner
	return true
}

// Register adds the core's routes and every feature's to mux, and the
// features' composers and steppers to jobs. It returns every refusal,
// each naming both owners: a feature name, composer kind, stepper name,
// /trellis subcommand or alias, /trellis admin word or alias, action id,
// suggestion action id, callback id or question kind registered twice. serve does not
// start when it returns an error.
func (h *Handlers) Register(mux *bot.Mux, jobs jobs, features ...Feature) error {
	h.registerCore(mux)
	reg := &registry{owners: map[string]string{}}
	for _, cc := range coreCommands() {
		for _, w := range cc.words {
			reg.take("subcommand", w, coreOwner)
		}
	}
	for _, ac := range coreAdminCommands() {
		for _, w := range ac.words {
			reg.take("admin subcommand", w, coreOwner)
		}
	}
	h.subcommands = map[string]Subcommand{}
	h.adminSubcommands = map[string]Subcommand{}
	h.questionKinds = map[string]QuestionKind{}
	for _, f := range features {
		if f.Name == "" {
			reg.errs = append(reg.errs, errors.New("a feature needs a name"))
			continue
		}
		if _, taken := reg.owners["feature "+f.Name]; taken {
			reg.errs = append(reg.errs, fmt.Errorf("two features are named %q", f.Name))
			continue
		}
		reg.owners["feature "+f.Name] = f.Name
		h.registerFeature(mux.Owner(f.Name), jobs, reg, f)
	}
	slices.SortStableFunc(h.home, func(a, b homeSection) int { return a.Order - b.Order })
	return errors.Join(append(reg.errs, mux.Err())...)
}

// registerFeature registers one feature's parts.
func (h *Handlers) registerFeature(mux *bot.Mux, jobs jobs, reg *registry, f Feature) {
	fail := func(err error) {
		if err != nil {
			reg.errs = append(reg.errs, fmt.Errorf("feature %s: %w", f.Name, err))
		}
	}
	for _, kind := range slices.Sorted(maps.Keys(f.Composers)) {
		if reg.take("composer kind", kind, f.Name) {
			fail(jobs.Register(kind, f.Composers[kind]))
		}
	}
	for _, s := range f.Steppers {
		if reg.take("stepper", s.Name, f.Name) {
			fail(jobs.AddStepper(s))
		}
	}
	for _, sc := range f.Subcommands {
		if sc.Serve == nil {
			fail(fmt.Errorf("subcommand %q has no Serve", sc.Name))
			continue
		}
		if reg.take("subcommand", sc.Name, f.Name) {
			h.subcommands[sc.Name] = sc
			h.commandNames = append(h.commandNames, sc.Name)
		}
		for _, a := range sc.Aliases {
			if reg.take("subcommand", a, f.Name) {
				h.subcommands[a] = sc
			}
		}
	}
	h.helpLines = append(h.helpLines, f.Help...)
	for _, sc := range f.Admin {
		if sc.Name == "" || sc.Serve == nil {
			fail(fmt.Errorf("admin subcommand %q needs a name and a Serve", sc.Name))
			continue
		}
		for _, w := range append([]string{sc.Name}, sc.Aliases...) {
			if reg.take("admin subcommand", w, f.Name) {
				h.adminSubcommands[w] = sc
			}
		}
	}
	for _, line := range f.AdminHelp {
		h.adminHelpLines = append(h.adminHelpLines, line)
		if ex, ok := leadingCode(line); ok {
			h.adminExamples = append(h.adminExamples, ex)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(f.QuestionKinds)) {
		k := f.QuestionKinds[name]
		if !ValidQuestionKindName(name) || k == nil {
			fail(fmt.Errorf("question kind %q needs a name of 2 to 20 lowercase letters and an implementation", name))
			continue
		}
		if reg.take("question kind", name, f.Name) {
			h.questionKinds[name] = k
		}
	}
	if f.Home != nil && f.Home.Build != nil {
		h.home = append(h.home, homeSection{HomeSection: *f.Home, feature: f.Name})
	}
	// The router refuses ids already taken, naming both owners; its
	// errors are read once every feature is in.
	for _, id := range slices.Sorted(maps.Keys(f.Actions)) {
		_ = mux.Action(id, onAckPath(f.Actions[id]))
	}
	for _, id := range slices.Sorted(maps.Keys(f.Suggestions)) {
		_ = mux.Suggestion(id, onAckPath(f.Suggestions[id]))
	}
	for _, id := range slices.Sorted(maps.Keys(f.Views)) {
		_ = mux.View(id, onAckPath(f.Views[id]))
	}
	for _, id := range slices.Sorted(maps.Keys(f.ViewsClosed)) {
		_ = mux.ViewClosed(id, onAckPath(f.ViewsClosed[id]))
	}
	for _, ev := range slices.Sorted(maps.Keys(f.Events)) {
		_ = mux.Event(ev, onAckPath(f.Events[ev]))
	}
}

// leadingCode is the code span a help line begins with ("`/trellis admin
// x`"), backticks included.
func leadingCode(line string) (string, bool) {
	if !strings.HasPrefix(line, "`") {
		return "", false
	}
	end := strings.IndexByte(line[1:], '`')
	if end < 1 {
		return "", false
	}
	return line[:end+2], true
}

// homeSections builds every feature's Home section for p, in order, as
// the Home tab's frame asks for them.
func (h *Handlers) homeSections(ctx context.Context, req *bot.Request, p models.Person) []views.HomeSectionFunc {
	out := make([]views.HomeSectionFunc, 0, len(h.home))
	for _, sec := range h.home {
		out = append(out, func(room views.HomeRoom) []slack.Block {
			blocks, err := sec.Build(ctx, req, p, room)
			if err != nil {
				h.log.WarnContext(ctx, "publish home: "+sec.feature, "user", req.UserID, "err", err)
			}
			return blocks
		})
	}
	return out
}
