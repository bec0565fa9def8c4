package peers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// Kind is the schedule kind of every message a peer network sends: each
// network has one schedule, "peers:<network id>" (ScheduleKey), with no
// targets, on which every intro, prompt, follow-up and post is a one-off.
// Pausing the network pauses the schedule, so what waits is skipped as
// paused; deleting the network deletes it, so what waits is skipped as
// removed.
const Kind = "peers"

// StepBudget bounds one run of the stepper.
const StepBudget = 40 * time.Second

// recheck is how long a replica trusts its own idea of when the stepper
// next has work: another replica may have changed a network since.
const recheck = time.Hour

// ScheduleKey is the key of a network's schedule.
func ScheduleKey(networkID int64) string { return Kind + ":" + strconv.FormatInt(networkID, 10) }

// NetworkOfKey reads the network id out of a schedule key, reporting
// false for any other key.
func NetworkOfKey(key string) (int64, bool) {
	rest, ok := strings.CutPrefix(key, Kind+":")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0 && strconv.FormatInt(id, 10) == rest
}

// TeamsFunc says which teams each of users is on in network n, by the
// network's TeamSource (a profile field, or team channels' members). A
// person missing from the map is on no known team. An error leaves every
// team unknown for the round: the matching then only loses its
// preference for mixing teams.
type TeamsFunc func(ctx context.Context, ws string, n peers.Network, users []string) (map[string][]string, error)

// WarmFunc reads people's teams ahead of a round (SlackTeams.Warm): of
// users in network n, those whose teams would not be known at at, within
// what b still allows, and reports how many would still not be known
// then. Reading less than asked is not an error: b says why.
type WarmFunc func(ctx context.Context, ws string, n peers.Network, users []string, at time.Time, b *WarmBatch) (missing int, err error)

// Reading teams ahead: from WarmAhead before an intros round opens, each
// run of the stepper reads at most WarmProfiles profiles for WarmTime in
// each workspace (a fifth of Slack's tier 4 a minute, leaving the rest to
// everything else), and runs again a minute later while some are left.
// 2 days give even a network of thousands time to be read before its
// round, however often Slack says 429.
const (
	WarmAhead    = 48 * time.Hour
	WarmProfiles = 20
	WarmTime     = 5 * time.Second
)

// Config configures a Service. DB and Engine are required.
type Config struct {
	DB     *models.DB
	Engine *engine.Engine
	// Teams reads people's teams from Slack; nil leaves them unknown.
	Teams TeamsFunc
	// Warm reads teams ahead of intros rounds into the cache Teams reads;
	// nil reads them only when a round opens.
	Warm WarmFunc
	// Delete deletes a message Trellis posted (chat.delete with the
	// workspace's client): an anonymous ask's post when its asker deletes
	// it. nil leaves posted asks in the channel.
	Delete DeleteFunc
	Clock  clock.Clock
	Logger *slog.Logger
}

// Service runs peer networks' time-driven work: it opens each network's
// rounds, terms and sessions once, whatever the number of replicas, and
// writes the messages the engine delivers. It is safe for concurrent use.
type Service struct {
	db    *models.DB
	store *peers.Store
	ppl   *models.People
	wss   *models.Workspaces
	eng   *engine.Engine
	teams TeamsFunc
	warm  WarmFunc
	del   DeleteFunc
	clock clock.Clock
	log   *slog.Logger

	// next is when this replica's stepper looks at the networks again:
	// the earliest work it knows of, or an hour on (recheck), whichever
	// comes first; zero means now. work is the earliest work it knows of
	// alone (zero: none), which is all NextDue reports: the hourly look
	// is for what another replica may have changed, not work. synced is
	// when this replica last checked each network's schedule
	// (healSchedule).
	mu     sync.Mutex
	next   time.Time
	work   time.Time
	synced map[int64]time.Time
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Engine == nil {
		return nil, errors.New("peers: a database and the engine are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: cfg.DB, store: peers.NewStore(cfg.DB), ppl: models.NewPeople(cfg.DB),
		wss: models.NewWorkspaces(cfg.DB), eng: cfg.Engine, synced: map[int64]time.Time{}, teams: cfg.Teams, warm: cfg.Warm, del: cfg.Delete, clock: cfg.Clock,
		log: cfg.Logger.With("component", "peers")}, nil
}

// Store is the peers store the service works on.
func (s *Service) Store() *peers.Store { return s.store }

// Stepper is the service's minute work, for the engine.
func (s *Service) Stepper() engine.StepperSpec {
	return engine.StepperSpec{Name: "peers", Budget: StepBudget, Stepper: s}
}

// wake makes the stepper look at every network at its next run.
func (s *Service) wake() {
	s.mu.Lock()
	s.next = time.Time{}
	s.mu.Unlock()
}

// NextDue is when the stepper next has work, as this replica knows it:
// now after a change (wake) or a failed run, else the earliest opening,
// session or reading ahead its last run found, and nothing when it found
// none. The hourly look of Tick is not reported: it finds work only
// another replica made, and that replica's stepper reports it. So the
// sandbox, which runs the engine only at instants with work, does not
// stop every hour for it.
func (s *Service) NextDue(context.Context) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.next.IsZero():
		return s.clock.Now(), true, nil
	case s.work.IsZero():
		return time.Time{}, false, nil
	}
	return s.work, true, nil
}

// Tick opens what is due at now in every network: a round, a term, a
// session. Each opening is idempotent, so replicas running it at once,
// or one running it again after a restart, open each once.
func (s *Service) Tick(ctx context.Context, now time.Time) error {
	s.mu.Lock()
	due := s.next.IsZero() || !now.Before(s.next)
	s.mu.Unlock()
	if !due {
		return nil
	}
	all, err := s.store.AllNetworks(ctx)
	if err != nil {
		return fmt.Errorf("peers step: %w", err)
	}
	next, work := now.Add(recheck), time.Time{}
	var errs []error
	batches := map[string]*WarmBatch{} // each workspace's, made when first needed
	for _, wn := range all {
		n := wn.Network
		if _, err := s.healSchedule(ctx, wn.Workspace, n, now); err != nil {
			errs = append(errs, fmt.Errorf("network %d: %w", n.ID, err))
		}
		if n.Paused {
			continue
		}
		batch := func() *WarmBatch {
			b, ok := batches[wn.Workspace]
			if !ok {
				b = &WarmBatch{Profiles: WarmProfiles, Until: s.clock.Now().Add(WarmTime)}
				batches[wn.Workspace] = b
			}
			return b
		}
		at, err := s.step(ctx, wn.Workspace, n, now, batch)
		if err != nil {
			errs = append(errs, fmt.Errorf("network %d: %w", n.ID, err))
			continue
		}
		if !at.IsZero() && at.Before(next) {
			next = at
		}
		if !at.IsZero() && (work.IsZero() || at.Before(work)) {
			work = at
		}
	}
	if len(errs) > 0 {
		// Try again at the next tick.
		next, work = time.Time{}, time.Time{}
	}
	s.mu.Lock()
	s.next, s.work = next, work
	s.mu.Unlock()
	return errors.Join(errs...)
}

// step opens what network n has due at now and returns when it next has
// work (zero: nothing known). batch is the workspace's reading ahead for
// this run.
func (s *Service) step(ctx context.Context, ws string, n peers.Network, now time.Time, batch func() *WarmBatch) (time.Time, error) {
	switch n.Kind {
	case peers.KindIntros:
		return s.stepIntros(ctx, ws, n, now, batch)
	case peers.KindCircles:
		return s.stepCircles(ctx, ws, n, now)
	case peers.KindLearning:
		return s.stepLearning(ctx, ws, n, now)
	}
	return time.Time{}, nil
}

// today is the date of now in the network's channel zone.
func today(n peers.Network, now time.Time) calendar.Date {
	return calendar.DateOf(now.In(n.Location()))
}

// dayStart is the first instant of day in the network's channel zone.
func dayStart(n peers.Network, day calendar.Date) time.Time { return day.In(n.Location()) }

// NetworkChanged keeps network id's schedule true to it (its zone, its
// paused state, its title) and has the stepper look at it at once. Call
// it after creating, editing, pausing or resuming a network, and after
// its members changed.
func (s *Service) NetworkChanged(ctx context.Context, ws string, id int64) error {
	n, err := s.store.Network(ctx, ws, id)
	if err != nil {
		return fmt.Errorf("network %d changed: %w", id, err)
	}
	if err := s.putSchedule(ctx, ws, n); err != nil {
		return fmt.Errorf("network %d changed: %w", id, err)
	}
	s.wake()
	return nil
}

// NetworkDeleted deletes network id's schedule: what it had waiting is
// skipped as removed.
func (s *Service) NetworkDeleted(ctx context.Context, ws string, id int64) error {
	err := s.eng.Schedules().Delete(ctx, ws, ScheduleKey(id), "the peer network was deleted")
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("network %d deleted: %w", id, err)
	}
	s.wake()
	return nil
}

// healEvery is how often each replica checks that a network's schedule
// is true to it.
const healEvery = time.Hour

// healSchedule makes n's schedule true to n (its paused state, zone,
// title, day) when it is not, at most once per healEvery per network on
// this replica: a NetworkChanged lost after the handler's ack (a failure,
// a replica gone) heals within the hour. It reports whether it changed
// the schedule.
func (s *Service) healSchedule(ctx context.Context, ws string, n peers.Network, now time.Time) (bool, error) {
	s.mu.Lock()
	last, seen := s.synced[n.ID]
	due := !seen || !now.Before(last.Add(healEvery))
	if due {
		s.synced[n.ID] = now
	}
	s.mu.Unlock()
	if !due {
		return false, nil
	}
	sc, err := s.eng.Schedules().Get(ctx, ws, ScheduleKey(n.ID))
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return false, err
	}
	want := schedule(ws, n)
	if err == nil && sc.Paused == want.Paused && sc.ChannelTZ == want.ChannelTZ && sc.Title == want.Title &&
		sc.Cadence == want.Cadence && sc.Anchor == want.Anchor {
		return false, nil
	}
	s.log.InfoContext(ctx, "peers: the network's schedule was not true to it; putting it right", "network", n.ID)
	return true, s.putSchedule(ctx, ws, n)
}

// schedule is network n's schedule, as putSchedule stores it.
func schedule(ws string, n peers.Network) models.Schedule {
	return models.Schedule{WorkspaceID: ws, Key: ScheduleKey(n.ID), Title: n.Name + " (peer network)",
		Cadence: fmt.Sprintf("0 0 * * %d", int(n.Weekday)), Anchor: n.Anchor, ChannelTZ: n.ChannelTZ, Paused: n.Paused}
}

// putSchedule creates or updates n's schedule. Its cadence is never
// planned (it has no targets); it names the network's day at midnight in
// its zone, when rounds open, for the "Why did I get this?" line.
func (s *Service) putSchedule(ctx context.Context, ws string, n peers.Network) error {
	key := ScheduleKey(n.ID)
	sc := schedule(ws, n)
	if _, err := s.eng.Schedules().Put(ctx, sc); err != nil {
		// Another replica may have created it in the same instant.
		if _, gerr := s.eng.Schedules().Get(ctx, ws, key); gerr != nil {
			return err
		}
		if _, err := s.eng.Schedules().Put(ctx, sc); err != nil {
			return err
		}
	}
	return nil
}

// message is a one-off payload of Kind that writes its own message.
type message interface {
	engine.OneOff
	compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error)
}

// Composer writes every message of Kind, each by its payload. A person
// paused in the network gets nothing from it: whatever the payload, a
// message to someone paused today, or to a group with a member paused
// today, is skipped first (pausedGate).
func (s *Service) Composer() engine.Composer {
	return engine.ComposerFunc(func(ctx context.Context, c engine.Context) (engine.Message, error) {
		m, ok := c.OneOff.(message)
		if !ok {
			return engine.Message{}, engine.Skip("a peer network sends only one-off messages")
		}
		if err := s.pausedGate(ctx, c); err != nil {
			return engine.Message{}, err
		}
		return m.compose(ctx, s, c)
	})
}
