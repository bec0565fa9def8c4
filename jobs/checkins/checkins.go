// Package checkins runs check-ins (docs/checkins.md) once they exist: it
// writes the DM that asks a person their questions (a composer of the delivery
// engine, so every prompt, reminder, snoozed prompt, digest and helper
// notice passes the attention policy), and it keeps the check-in's posts in
// its channel — the round's thread, each answer, the closing summary — in
// an outbox in Postgres, sent through the engine's post path (one lease,
// renewal, check before the wire, reconciliation and Slack error policy
// with DMs), so that a Slack error, a crash or a second replica never
// loses or duplicates one.
//
// What a person does (commands, buttons, the answer form) is in package
// handlers; it calls the Service here for everything past storing.
package checkins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/jobs/attention"
	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// Kind is the schedule kind of check-ins: their schedules are keyed
// "checkin:<id>".
const Kind = "checkin"

// Slack is what check-ins need of a Web API client; *slack.Client has it.
type Slack interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
	GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error)
	GetUsersInConversationContext(ctx context.Context, params *slack.GetUsersInConversationParameters) ([]string, string, error)
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
}

// ClientFunc returns the Slack client of a workspace.
type ClientFunc func(ctx context.Context, teamID string) (Slack, error)

// Config wires a Service. DB, Engine and Clients are required.
type Config struct {
	DB      *models.DB
	Engine  *engine.Engine
	Clients ClientFunc
	// BotUserID returns the bot's own user id in a workspace, so it is
	// never counted as a participant. May be nil.
	BotUserID func(ctx context.Context, teamID string) string
	Clock     clock.Clock
	Logger    *slog.Logger
	// Lease is how long one replica holds a closed round's prompt updates
	// while making them. Default 2 minutes. Channel posts are held under
	// the engine's lease, renewed by its heartbeat.
	Lease time.Duration
	// RetryAfter is how long a post or a prompt update waits when Trellis
	// itself could not prepare it (a database error), and a prompt update
	// Slack did not take. Default 1 minute. What Slack does not
	// take waits as the engine's rule for Slack's answers says.
	RetryAfter time.Duration
	// BackgroundPromptUpdates makes Tick change closed rounds' prompts
	// beside the tick rather than in it (see sweepPrompts): what serve
	// does; tests leave it off to step it with the tick.
	BackgroundPromptUpdates bool
}

// Service runs check-ins. It is safe for concurrent use, on any number of
// replicas.
type Service struct {
	db      *models.DB
	store   *checkinmodels.Store
	occ     *models.Occurrences
	ppl     *models.People
	ws      *models.Workspaces
	eng     *engine.Engine
	clients ClientFunc
	botUser func(ctx context.Context, teamID string) string
	clock   clock.Clock
	log     *slog.Logger
	lease   time.Duration
	retry   time.Duration
	// memberLists are the channels' member lists RecentMember keeps, by
	// workspace/channel.
	membersMu   sync.Mutex
	memberLists map[string]memberList
	// background and sweeping: see sweepPrompts.
	background bool
	sweeping   sync.Mutex
}

// New returns a Service. Its composer (Composer) and its minute work
// (Stepper) are plugged into the engine by whoever wires the application,
// through the one contract every feature uses.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Engine == nil || cfg.Clients == nil {
		return nil, errors.New("checkins: a database, the engine and a Slack client source are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		db:      cfg.DB,
		store:   checkinmodels.NewStore(cfg.DB),
		occ:     models.NewOccurrences(cfg.DB),
		ppl:     models.NewPeople(cfg.DB),
		ws:      models.NewWorkspaces(cfg.DB),
		eng:     cfg.Engine,
		clients: cfg.Clients,
		botUser: cfg.BotUserID,
		clock:   cfg.Clock,
		log:     cfg.Logger.With("component", "checkins"),
		lease:   cfg.Lease,
		retry:   cfg.RetryAfter,

		background:  cfg.BackgroundPromptUpdates,
		memberLists: map[string]memberList{},
	}
	if s.lease <= 0 {
		s.lease = 2 * time.Minute
	}
	if s.retry <= 0 {
		s.retry = time.Minute
	}
	// The one-off types are the engine's to read back for the composer
	// (Composer), however the composer is registered.
	if err := acceptOneOffs(cfg.Engine); err != nil {
		return nil, fmt.Errorf("checkins: %w", err)
	}
	return s, nil
}

// StepBudget bounds one run of the check-ins' minute work: the sending of
// posts stops after postBudget, and the rest of a minute is left so that
// a run never reaches the next tick.
const StepBudget = 55 * time.Second

// Composer writes the DMs of check-in schedules (kind Kind).
func (s *Service) Composer() engine.Composer { return engine.ComposerFunc(s.compose) }

// Stepper is the check-ins' minute work — closing rounds, marking their
// prompts closed, sending channel posts — for the engine's ticks to run.
func (s *Service) Stepper() engine.StepperSpec {
	return engine.StepperSpec{Name: "checkins", Budget: StepBudget, Stepper: s}
}

// Store is the check-in store the service works on.
func (s *Service) Store() *checkinmodels.Store { return s.store }

// cadenceCheckAnchor is the anchor ParseCadence reads a cadence with.
var cadenceCheckAnchor = calendar.Date{Year: 2026, Month: time.January, Day: 5}

// ParseCadence checks a cadence the way the engine will read it.
func ParseCadence(text string) error {
	// Whether text is a cadence does not depend on the anchor, which only
	// sets the phase of "every n weeks"; a fixed one keeps this check free
	// of the clock.
	_, err := cadence.Parse(text, cadenceCheckAnchor)
	return err
}

// checkinID reads the check-in id from a schedule key "checkin:<id>".
func checkinID(key string) (int64, error) {
	kind, id, ok := strings.Cut(key, ":")
	if !ok || kind != Kind {
		return 0, fmt.Errorf("%q is not a check-in schedule", key)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a check-in schedule", key)
	}
	return n, nil
}

// recipient reads what the attention policy needs of a person now, for
// times the service picks itself (the end of a working window, the start
// of the next day).
func (s *Service) recipient(ctx context.Context, p models.Person) (attention.Recipient, error) {
	ws, err := s.ws.Get(ctx, p.WorkspaceID)
	if err != nil {
		return attention.Recipient{}, fmt.Errorf("workspace %s: %w", p.WorkspaceID, err)
	}
	now := s.clock.Now()
	today := calendar.DateOf(now.In(p.Location()))
	away, err := s.ppl.AwayPeriods(ctx, p.WorkspaceID, p.UserID, today.AddDays(-1))
	if err != nil {
		return attention.Recipient{}, fmt.Errorf("time off of %s: %w", p.UserID, err)
	}
	hols, err := s.ws.Holidays(ctx, p.WorkspaceID, today.AddDays(-1), today.AddDays(cadence.WindowHorizonDays))
	if err != nil {
		return attention.Recipient{}, fmt.Errorf("holidays of %s: %w", p.WorkspaceID, err)
	}
	return engine.RecipientView(p, ws, away, hols), nil
}

// windowEnd is when the person's working window that contains now ends;
// zero when they are not inside one.
func windowEnd(r attention.Recipient, now time.Time) time.Time {
	end, ok := cadence.WindowEnd(now, r.Loc(), r.WorkingHours(), attention.Off(r, now))
	if !ok {
		return time.Time{}
	}
	return end
}

// startOn is the first working instant from the start of the person's
// hours on local date d (later when d is off); ok is false when no window
// opens at all.
func startOn(r attention.Recipient, d calendar.Date, now time.Time) (time.Time, bool) {
	loc, hours := r.Loc(), r.WorkingHours()
	from := time.Date(d.Year, d.Month, d.Day, int(hours.Start)/60, int(hours.Start)%60, 0, 0, loc)
	at, ok, _ := cadence.DeliverAt(from, loc, hours, attention.Off(r, now))
	if !ok {
		return from, false
	}
	return at, true
}

// dayStart is the start of the person's next working window that opens
// after now: today's when their day has not begun yet, else the next
// day's. What a digest waits for.
func dayStart(r attention.Recipient, now time.Time) time.Time {
	today := calendar.DateOf(now.In(r.Loc()))
	if at, ok := startOn(r, today, now); ok && at.After(now) && calendar.DateOf(at.In(r.Loc())) == today {
		return at
	}
	return nextDayStart(r, now)
}

// nextDayStart is the start of the person's first working window on a
// later local date than now's: "tomorrow morning", or the start of a night
// shift.
func nextDayStart(r attention.Recipient, now time.Time) time.Time {
	at, _ := startOn(r, calendar.DateOf(now.In(r.Loc())).AddDays(1), now)
	return at
}
