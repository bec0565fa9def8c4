// Package engine is Trellis's time and delivery engine: the one path by
// which every proactive message — check-in prompts and reminders today, and
// any later feature's messages — reaches a person or a channel.
//
// A feature registers a models.Schedule ("send this, to these recipients,
// on this cadence") and a Composer for its kind. Each minute's Tick, on
// every replica, plans, and then, like the Sweep every replica runs every
// few seconds between ticks, claims, decides and delivers:
//
//  1. Plan (Tick only): targets whose next instant has come are locked
//     (FOR UPDATE SKIP LOCKED) and their nominal instants, computed in the
//     recipient's zone, become occurrences — idempotently, on their
//     identity (workspace, schedule, recipient, nominal instant).
//  2. Claim: a few recipients at a time are leased to this replica, each
//     with all they are due; no recipient is claimed while another claim on
//     them is live. So one replica at a time decides and sends for one
//     person, and the daily budget and the merging of what is due together
//     see everything sent or on its way. Leases are short (DefaultLease)
//     and a heartbeat renews every claim a replica holds while it works, so
//     a replica that dies holds its recipients up for one lease.
//  3. Decide, one recipient at a time right before sending: anything that
//     may already be in Slack (a takeover, a send Slack did not confirm) is
//     looked for in the conversation first; then the attention policy is
//     asked, now, with the settings as they are now: deliver, defer
//     (released to a later time) or skip; late ones follow the catch-up rule
//     (sent while their window is open, else missed) and deferred ones the
//     supersede rule.
//  4. Deliver: what one person is due together goes out as one DM, with
//     the occurrence ids in the message metadata. Right before the call goes
//     on the wire (after the transport's wait for a rate-limit slot) the
//     leases, the decision's age and the person's working window are checked
//     again, without a query; what fails is handed back unsent, to be
//     decided again at once. An ambiguous failure is reconciled against the
//     conversation's history instead of being sent again.
//
// Channel and thread posts of a feature's own outbox (posts.go) go
// through the same leases, heartbeat, check before the wire,
// reconciliation and Slack error policy.
//
// Postgres decides at-most-once delivery; Redis only paces the calls.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/models"
)

// Slack is what the engine needs of a Web API client; *slack.Client has
// it.
type Slack interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
	GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error)
	OpenConversationContext(ctx context.Context, params *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error)
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
}

// ClientFunc returns the Slack client of a workspace.
type ClientFunc func(ctx context.Context, teamID string) (Slack, error)

// DefaultLease is how long a claim holds its occurrences unless renewed.
const DefaultLease = 30 * time.Second

// Config configures an Engine. DB and Clients are required.
type Config struct {
	DB      *models.DB
	Clients ClientFunc
	Clock   clock.Clock
	Logger  *slog.Logger
	// Metrics may be nil.
	Metrics *Metrics
	// Lease is how long a claim holds an occurrence without being
	// renewed. While a replica works on its claims a heartbeat renews
	// them every third of it, so it bounds how long a replica that died
	// holds up the messages it had claimed. Default 30 seconds.
	Lease time.Duration
	// Batch is how many schedule targets one planning round handles; a
	// tick runs rounds until nothing is due. Default 500.
	Batch int
	// Recipients is how many recipients one claim takes, each with all
	// they are due: few enough that a replica sends them well within a
	// lease at Slack's pace, so that replicas share a minute's work claim
	// by claim. Default 25.
	Recipients int
	// Grace is how late a delivery may be and still count as on time (the
	// tick runs once a minute). Default 2 minutes.
	Grace time.Duration
	// CatchUp is how far back the planner goes after downtime: nominal
	// instants older than that are not planned at all. Default 24 hours.
	CatchUp time.Duration
	// ChannelWindow is how late a channel post, which has no working
	// hours, may still be sent after downtime. Default 1 hour.
	ChannelWindow time.Duration
	// RetryAfter is how long a delivery Slack could not take waits before
	// it is tried again. Default 1 minute.
	RetryAfter time.Duration
	// Pulse wakes the heartbeat that renews leases, in place of a real
	// one-second ticker: it returns the channel of wake-ups and a
	// function that stops them. The heartbeat renews only when woken and
	// a third of the lease has passed on Clock, so a test that moves the
	// clock itself drives it (or never fires it, so no lease is renewed
	// behind its back). Nil means a real one-second ticker.
	Pulse func() (<-chan time.Time, func())
}

// Engine plans, claims and delivers occurrences. It is safe for
// concurrent use, and any number of replicas may run one each against the
// same database.
type Engine struct {
	db        *models.DB
	occ       *models.Occurrences
	schedules *models.Schedules
	people    *models.People
	ws        *models.Workspaces
	clients   ClientFunc
	clock     clock.Clock
	log       *slog.Logger
	metrics   *Metrics

	lease, grace, catchUp, channelWindow, retryAfter time.Duration
	batch, recipients                                int

	// held is every claim this engine holds, with its lease, for the
	// heartbeat and the check before the wire.
	held leases
	// beat is the heartbeat renewing held, while anyone holds a claim.
	beat beat
	// pulse paces the heartbeat's look at the clock.
	pulse func() (<-chan time.Time, func())

	mu        sync.RWMutex
	composers map[string]Composer
	steppers  steppers
	// oneOffs are the one-off payload types declared per schedule kind,
	// by their kind (AcceptOneOff).
	oneOffs map[string]map[string]oneOffType

	// hooks for tests: called after a claim, before anything is sent, and
	// right before a message is checked and sent.
	afterClaim func(ctx context.Context, claims []models.Claim)
	beforeSend func(ctx context.Context, items []item)
	running    sync.Mutex // one Tick or Sweep at a time per Engine

	// upSince is when this engine's current stretch of runs began: runs
	// (ticks and sweeps) no further apart than the grace, by the instants
	// they ran at. lastEnd is when the last run ended. Both are guarded by
	// running; lateWhy reads them to tell downtime from a backlog.
	upSince, lastEnd time.Time
}

// New returns an Engine for cfg.
func New(cfg Config) (*Engine, error) {
	if cfg.DB == nil || cfg.Clients == nil {
		return nil, errors.New("engine: a database and a Slack client source are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		db:            cfg.DB,
		occ:           models.NewOccurrences(cfg.DB),
		schedules:     models.NewSchedules(cfg.DB),
		people:        models.NewPeople(cfg.DB),
		ws:            models.NewWorkspaces(cfg.DB),
		clients:       cfg.Clients,
		clock:         cfg.Clock,
		log:           cfg.Logger.With("component", "engine"),
		metrics:       cfg.Metrics,
		lease:         orDuration(cfg.Lease, DefaultLease),
		grace:         orDuration(cfg.Grace, 2*time.Minute),
		catchUp:       orDuration(cfg.CatchUp, 24*time.Hour),
		channelWindow: orDuration(cfg.ChannelWindow, time.Hour),
		retryAfter:    orDuration(cfg.RetryAfter, time.Minute),
		batch:         cfg.Batch,
		recipients:    cfg.Recipients,
		composers:     map[string]Composer{},
		oneOffs:       map[string]map[string]oneOffType{},
		steppers:      steppers{log: cfg.Logger.With("component", "engine"), metrics: cfg.Metrics},
		pulse:         realPulse,
	}
	e.held = leases{m: map[leaseKey]*heldLease{}, occ: e.occ.Renew}
	if cfg.Pulse != nil {
		e.pulse = cfg.Pulse
	}
	if e.batch <= 0 {
		e.batch = 500
	}
	if e.recipients <= 0 {
		e.recipients = 25
	}
	return e, nil
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Register makes c write the messages of schedules of kind (the part of a
// schedule's key before the colon: "checkin" for "checkin:42"). A kind
// already registered is refused: an error wrapping ErrDuplicate.
func (e *Engine) Register(kind string, c Composer) error {
	if kind == "" || c == nil || strings.ContainsAny(kind, ":"+oneOffSep) {
		return fmt.Errorf("engine: composer kind %q needs a composer and no %q or %q", kind, ":", oneOffSep)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, taken := e.composers[kind]; taken {
		return fmt.Errorf("%w: composer kind %q", ErrDuplicate, kind)
	}
	e.composers[kind] = c
	return nil
}

func (e *Engine) composer(key string) (Composer, bool) {
	kind, _, _ := strings.Cut(key, ":")
	e.mu.RLock()
	defer e.mu.RUnlock()
	c, ok := e.composers[kind]
	return c, ok
}

// AddStepper makes every Tick run spec's stepper, isolated from the
// others (see StepperSpec). A name already taken is refused: an error
// wrapping ErrDuplicate.
func (e *Engine) AddStepper(spec StepperSpec) error { return e.steppers.add(spec) }

// Drain waits, once the ticks have stopped, for every stepper run still
// under way — one that ran past its budget and was left to finish by its
// tick included — so that nothing a stepper does outlives the stores it
// uses. When ctx ends first, it returns an error naming the steppers
// still running.
func (e *Engine) Drain(ctx context.Context) error { return e.steppers.drain(ctx) }

// nextDue is the earliest instant the engine or a stepper has work.
func (e *Engine) nextDue(ctx context.Context) (time.Time, bool, error) {
	at, ok, err := e.schedules.NextDue(ctx)
	if err != nil {
		return at, ok, err
	}
	if t, sok := e.steppers.nextDue(ctx); sok && (!ok || t.Before(at)) {
		at, ok = t, true
	}
	return at, ok, nil
}

// Schedules is the engine's schedule store, for features registering what
// they send.
func (e *Engine) Schedules() *models.Schedules { return e.schedules }

// PlanOnce asks for one message outside the schedule's cadence — a
// reminder, a snoozed prompt, a round's summary — to recipient at at
// (a person, a channel, or a group DM made by GroupRecipient, which is
// sent at the first instant at or after at inside every member's
// working hours),
// written by the schedule's composer, which finds p in Context.OneOff.
// p's type must be declared for the schedule's kind (AcceptOneOff). It
// goes through the same policy, leases and reconciliation as the
// cadence's own, except the supersede rule. Asking again for the same
// schedule, one-off kind and key, recipient and instant does nothing: it
// reports false.
func (e *Engine) PlanOnce(ctx context.Context, workspaceID, key string, p OneOff, recipient string, at time.Time) (bool, error) {
	if p == nil || strings.Contains(key, oneOffSep) {
		return false, fmt.Errorf("plan once: a one-off needs a payload and a schedule key without %q", oneOffSep)
	}
	if isGroup(recipient) {
		if _, ok := GroupMembers(recipient); !ok {
			return false, fmt.Errorf("plan once: %q is not a group recipient as GroupRecipient writes it", recipient)
		}
	}
	kind, _, _ := strings.Cut(key, ":")
	payload, err := e.encodeOneOff(kind, p)
	if err != nil {
		return false, fmt.Errorf("plan once: %w", err)
	}
	n, err := e.occ.Plan(ctx, []models.Occurrence{{
		WorkspaceID: workspaceID, CadenceID: OneOffID(key, p), Payload: payload, Recipient: recipient, NominalAt: at, DeliverAt: at,
	}})
	if err != nil {
		return false, fmt.Errorf("plan once: %w", err)
	}
	return n == 1, nil
}

// Stats counts what one Tick did.
type Stats struct {
	Planned    int // occurrences planned
	Claimed    int // occurrences claimed
	Delivered  int // occurrences delivered (several may share one message)
	Messages   int // messages sent
	Deferred   int // occurrences released to a later time
	Settled    int // occurrences settled as skipped, superseded or missed
	LeaseLost  int // claims lost to another replica before completing
	Reconciled int // occurrences found already delivered by a reconciliation
	HandedBack int // occurrences handed back unsent, to be decided again at once
}

// Add adds o's counts to s.
func (s *Stats) Add(o Stats) {
	s.Planned += o.Planned
	s.Claimed += o.Claimed
	s.Delivered += o.Delivered
	s.Messages += o.Messages
	s.Deferred += o.Deferred
	s.Settled += o.Settled
	s.LeaseLost += o.LeaseLost
	s.Reconciled += o.Reconciled
	s.HandedBack += o.HandedBack
}

// maxRounds bounds the rounds of one Tick, so a tick always ends; what is
// left is due at the next one.
const maxRounds = 1000

// Tick does the engine's work due at now: it plans what has come due,
// then claims and delivers due occurrences, a few recipients at a time
// (Recipients), until nothing more is due. The scheduler calls it every minute with the clock's
// time; the sandbox and tests call it with the instants they step through.
func (e *Engine) Tick(ctx context.Context, now time.Time) (Stats, error) {
	began := e.clock.Now()
	e.running.Lock()
	defer e.running.Unlock()
	start := time.Now()
	var total Stats
	defer func() { e.metrics.tick(time.Since(start)) }()

	for range maxRounds {
		handled, planned, sync, err := e.plan(ctx, now)
		total.Planned += planned
		if len(sync) > 0 {
			e.syncProfiles(ctx, sync)
		}
		if err != nil {
			return total, err
		}
		if handled < e.batch {
			break
		}
	}
	// Steppers (the check-ins' round closing and channel posts) run beside
	// the deliveries: channel posts are paced by their channel, DMs by the
	// workspace, so neither waits for the other, however long either takes.
	// Each runs isolated, within its own budget; one that fails is logged
	// and counted, and fails neither the tick nor another stepper.
	waitSteps := e.steppers.start(ctx, now)
	defer waitSteps()
	st, err := e.deliverDue(ctx, now, began, 0)
	total.Add(st)
	if err != nil {
		return total, err
	}
	waitSteps()
	if total.Claimed > 0 || total.Planned > 0 {
		e.log.DebugContext(ctx, "engine tick", "now", now, "planned", total.Planned, "claimed", total.Claimed,
			"delivered", total.Delivered, "messages", total.Messages, "deferred", total.Deferred, "settled", total.Settled)
	}
	return total, nil
}

// Sweep claims and delivers what is due at now, as a tick does, without
// planning or steppers: serve runs it every few seconds between the minute
// ticks, so that what a stopped replica held, or a claim handed back, is
// taken up within seconds, and replicas share a minute's work claim by
// claim.
//
// A sweep that finds this engine already running (a tick, or a sweep still
// working through a backlog) does nothing: that run is delivering. A sweep
// stops claiming after sweepFor, so a backlog never keeps the minute's
// tick — and its planning — waiting for long.
func (e *Engine) Sweep(ctx context.Context, now time.Time) (Stats, error) {
	began := e.clock.Now()
	if !e.running.TryLock() {
		return Stats{}, nil
	}
	defer e.running.Unlock()
	return e.deliverDue(ctx, now, began, sweepFor)
}

// sweepFor is how long one Sweep goes on claiming.
const sweepFor = 50 * time.Second

// deliverDue claims and delivers, claim by claim, until nothing more is
// due or ctx ends. A round of claims takes a while at Slack's pace, so each
// claims at the instant it starts — now moved on by the time taken so far,
// by the engine's clock — so that its leases run from when they are taken
// and its decisions are taken at the time they are sent.
//
// began is when the caller was asked to run, by the engine's clock (before
// it waited for another run to end), so that at() is never behind. With
// limit > 0 no claim is started once limit has passed.
func (e *Engine) deliverDue(ctx context.Context, now, began time.Time, limit time.Duration) (Stats, error) {
	var total Stats
	at := func() time.Time {
		if d := e.clock.Now().Sub(began); d > 0 {
			return now.Add(d)
		}
		return now
	}
	if e.lastEnd.IsZero() || now.Sub(e.lastEnd) > e.grace {
		e.upSince = now
	}
	defer func() { e.lastEnd = at() }()
	for range maxRounds {
		if ctx.Err() != nil || (limit > 0 && at().Sub(now) >= limit) {
			break
		}
		st, err := e.claimAndDeliver(ctx, at)
		total.Add(st)
		if err != nil {
			return total, err
		}
		// Nothing claimed, or nothing but hand-backs (a pace too slow for
		// the lease): the next sweep tries again.
		if st.Claimed == 0 || st.HandedBack == st.Claimed {
			break
		}
	}
	return total, nil
}

// RunUntil runs Tick at every instant, up to and including to, at which
// the engine has work, in order: what a run of the scheduler's minute ticks
// would do over that span, without the empty minutes. Ticks fall on whole
// minutes, as the scheduler's do, and always move forward. before, when
// set, is called with each tick's instant first: the sandbox moves its
// simulated clock there, so what is sent carries the time it was sent at.
func (e *Engine) RunUntil(ctx context.Context, to time.Time, before func(time.Time)) (Stats, error) {
	var total Stats
	var last time.Time
	for ctx.Err() == nil {
		at, ok, err := e.nextDue(ctx)
		if err != nil {
			return total, err
		}
		if !ok || at.After(to) {
			break
		}
		tick := nextTick(at, last)
		if tick.After(to) {
			break
		}
		if before != nil {
			before(tick)
		}
		st, err := e.Tick(ctx, tick)
		total.Add(st)
		if err != nil {
			return total, err
		}
		last = tick
	}
	return total, ctx.Err()
}

// nextTick is the whole minute at which a tick handles work due at due,
// after a tick at last: the minute at or after due, or the one after last
// when that is not later (nothing moved at last — a lease not over yet, a
// row another replica holds — so step on).
func nextTick(due, last time.Time) time.Time {
	tick := due.Truncate(time.Minute)
	if tick.Before(due) {
		tick = tick.Add(time.Minute)
	}
	if !tick.After(last) {
		tick = last.Add(time.Minute)
	}
	return tick
}

// syncProfiles reads from Slack the people the planner met without a
// profile, so their zone is known at the next tick.
func (e *Engine) syncProfiles(ctx context.Context, people []personKey) {
	for _, p := range people {
		api, err := e.clients(ctx, p.workspace)
		if err != nil {
			e.log.WarnContext(ctx, "no slack client for a recipient's workspace", "workspace", p.workspace, "err", err)
			continue
		}
		u, err := api.GetUserInfoContext(ctx, p.user)
		if err != nil {
			e.log.WarnContext(ctx, "could not read a recipient's profile", "workspace", p.workspace, "user", p.user, "err", err)
			continue
		}
		if _, err := e.people.SyncProfile(ctx, PersonFromSlack(p.workspace, u)); err != nil {
			e.log.WarnContext(ctx, "could not store a recipient's profile", "workspace", p.workspace, "user", p.user, "err", err)
		}
	}
}

type personKey struct{ workspace, user string }

// isPerson reports whether a recipient is a person (a DM) rather than a
// channel or a group ("mpim:…", see isGroup).
func isPerson(recipient string) bool {
	return strings.HasPrefix(recipient, "U") || strings.HasPrefix(recipient, "W")
}
