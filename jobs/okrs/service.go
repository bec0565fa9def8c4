package okrs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// Kind is the schedule kind of OKR nudges. Each person nudged has one
// schedule, keyed NudgeKey(person), whose only target is them.
const Kind = "okr"

// NudgeKey is the key of person's nudge schedule: "okr:<user id>".
func NudgeKey(person string) string { return Kind + ":" + person }

// nudgeTitle is what a person reads about their nudge schedule.
const nudgeTitle = "OKR nudges"

// StepBudget bounds one run of the OKRs' minute work (re-syncing the nudge
// schedules of cycles that turn): a few people's schedules, far less than
// a minute.
const StepBudget = 20 * time.Second

// Config wires a Service. DB and Engine are required.
type Config struct {
	DB     *models.DB
	Engine *engine.Engine
	// Members reads a channel's members from Slack (SlackMembers): a
	// nudge or a review DM shows a team-only objective only to its
	// channel's members. Nil hides every team-only objective from them.
	Members MembersFunc
	Clock   clock.Clock
	Logger  *slog.Logger
}

// Service runs OKRs' time-driven work: it keeps every person's nudge
// schedule true to their key results, cycles and settings, and writes the
// nudges the engine delivers. It is safe for concurrent use, on any
// number of replicas: what it keeps is in the database, and every write
// of a schedule is idempotent.
type Service struct {
	db    *models.DB
	store *okrs.Store
	ppl   *models.People
	eng   *engine.Engine
	clock clock.Clock
	log   *slog.Logger
	// members says who is in a team's channel, for the DMs.
	members *membership

	// turns is the stepper's memory of its last run (see Tick).
	turns turnClock
}

// New returns a Service. Its composer (Composer) and its minute work
// (Stepper) are plugged into the engine by whoever wires the application.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Engine == nil {
		return nil, errors.New("okrs: a database and the engine are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{
		db:      cfg.DB,
		store:   okrs.NewStore(cfg.DB),
		ppl:     models.NewPeople(cfg.DB),
		eng:     cfg.Engine,
		clock:   cfg.Clock,
		log:     cfg.Logger.With("component", "okrs"),
		members: &membership{read: cfg.Members, clock: cfg.Clock, lists: map[string]memberList{}},
	}, nil
}

// Store is the OKR store the service works on.
func (s *Service) Store() *okrs.Store { return s.store }

// Composer writes the nudges of schedules of kind Kind.
func (s *Service) Composer() engine.Composer { return engine.ComposerFunc(s.compose) }

// Stepper is the OKRs' minute work — re-syncing the nudge schedules of
// the owners of cycles that start or end — for the engine's ticks to run.
func (s *Service) Stepper() engine.StepperSpec {
	return engine.StepperSpec{Name: "okrs", Budget: StepBudget, Stepper: s}
}

// nudgePlan is what a person's nudges follow at an instant.
type nudgePlan struct {
	state State
	// krs are the key results of the person's open objectives, of every
	// cycle not closed (an update to any counts, see Decide).
	krs []KRStatus
	// live says the person has a key result in an active cycle, or, with
	// none active, in a cycle being planned; policy and weekday are then
	// the shortest interval's (see planFor).
	live    bool
	policy  Policy
	weekday time.Weekday
	loc     *time.Location
	// unknown says a key result was left out because Slack could not be
	// asked whether the person is in its team-only objective's channel.
	unknown bool
}

// planFor reads what person's nudges follow at now, the dates read in
// loc (nil: the person's zone).
//
// Only key results the person may be shown count (reader.sees): one of
// a team-only objective whose channel they are not in is not theirs to
// be nudged about, and nothing of it reaches the plan.
//
// The cycle they follow is one of the cycles, active on that date, in
// which the person owns a key result of an open objective; with none
// active, the one being planned that starts first (so that the schedule,
// and the forecast `/trellis me` shows, exist before it starts; its
// first nudge is a week into it, see Anchor). The team settings are those
// of each such objective's team (okrs.Store.Settings: the team's own,
// else the workspace's, else the defaults). A person in several cycles or
// teams gets the shortest interval any of them gives (a team that turned
// nudges off gives none), since that is what one of their teams asked
// for; on a tie, the earliest cycle and then the team sorted first,
// whose check-in day is the nudges' day.
func (s *Service) planFor(ctx context.Context, ws, person string, now time.Time, loc *time.Location) (nudgePlan, error) {
	pl := nudgePlan{loc: loc, weekday: DefaultWeekday}
	if loc == nil {
		pl.loc = time.UTC
		p, err := s.ppl.Get(ctx, ws, person)
		switch {
		case err == nil:
			pl.loc = p.Location()
		case !errors.Is(err, models.ErrNotFound):
			return nudgePlan{}, err
		}
	}
	ns, err := s.store.NudgeState(ctx, ws, person)
	if err != nil {
		return nudgePlan{}, err
	}
	pl.state = StateOf(ns)
	cycles, err := s.store.Cycles(ctx, ws)
	if err != nil {
		return nudgePlan{}, err
	}
	// Only cycles not closed matter: an update to a key result of a
	// cycle long closed is no answer to a nudge.
	today := calendar.DateOf(now.In(pl.loc))
	byID := make(map[int64]okrs.Cycle, len(cycles))
	var open []int64
	for _, c := range cycles {
		if c.State(today) != okrs.CycleClosed {
			byID[c.ID] = c
			open = append(open, c.ID)
		}
	}
	if len(open) == 0 {
		return pl, nil
	}
	owned, err := s.store.KeyResultsOf(ctx, ws, person, open)
	if err != nil {
		return nudgePlan{}, err
	}

	type pair struct {
		cycle okrs.Cycle
		team  string
	}
	var active, planning []pair
	r := s.readerOf(ws, person)
	for _, o := range owned {
		c, ok := byID[o.Objective.CycleID]
		if !ok || !o.Objective.ClosedAt.IsZero() || !r.sees(ctx, o.Objective) {
			continue
		}
		pl.krs = append(pl.krs, KRStatus{KeyResult: o.KeyResult, Objective: o.Objective.Title, Cycle: c, Current: o.Effective, Created: o.Created})
		switch c.State(today) {
		case okrs.CycleActive:
			active = append(active, pair{c, o.Objective.Team})
		case okrs.CyclePlanning:
			planning = append(planning, pair{c, o.Objective.Team})
		}
	}
	byOrder := func(a, b pair) int {
		return cmp.Or(a.cycle.Start.In(time.UTC).Compare(b.cycle.Start.In(time.UTC)), cmp.Compare(a.cycle.ID, b.cycle.ID), strings.Compare(a.team, b.team))
	}
	candidates := active
	if len(candidates) == 0 && len(planning) > 0 {
		slices.SortFunc(planning, byOrder)
		first := planning[0].cycle.Start
		for _, p := range planning {
			if p.cycle.Start == first {
				candidates = append(candidates, p)
			}
		}
	}
	pl.unknown = r.unknown > 0
	if len(candidates) == 0 {
		return pl, nil
	}
	slices.SortFunc(candidates, byOrder)
	settings := map[string]okrs.Settings{}
	best, bestWeeks := -1, 0
	var bestSet okrs.Settings
	for i, c := range candidates {
		set, ok := settings[c.team]
		if !ok {
			if set, err = s.store.Settings(ctx, ws, c.team); err != nil {
				return nudgePlan{}, err
			}
			settings[c.team] = set
		}
		w := Weeks(c.cycle, pl.state.Cadence, string(set.NudgeCadence), false)
		if best < 0 || (w != 0 && (bestWeeks == 0 || w < bestWeeks)) {
			best, bestWeeks, bestSet = i, w, set
		}
	}
	pl.live = true
	pl.policy = Policy{Cycle: candidates[best].cycle, TeamSetting: string(bestSet.NudgeCadence)}
	if d := time.Weekday(bestSet.NudgeWeekday); d >= time.Sunday && d <= time.Saturday {
		pl.weekday = d
	}
	return pl, nil
}

// SyncPerson makes person's nudge schedule what their key results, cycles,
// settings and nudge state say (see planFor): put, with its cadence
// (CadenceFor, halved as the state says) anchored by Anchor and the person
// its only target, or deleted when they own no key result of an open
// objective in an active or planned cycle, or their nudges are off. It is
// idempotent: syncing again with nothing changed writes nothing. A
// schedule is not deleted on a plan that left out key results because
// Slack could not be asked (a schedule shows nothing of them; the nudge
// asks again when it is written).
func (s *Service) SyncPerson(ctx context.Context, ws, person string) error {
	if strings.TrimSpace(person) == "" {
		return fmt.Errorf("sync OKR nudges: %w: no person given", models.ErrInvalid)
	}
	pl, err := s.planFor(ctx, ws, person, s.clock.Now(), nil)
	if err != nil {
		return fmt.Errorf("sync OKR nudges of %s: %w", person, err)
	}
	if err := s.apply(ctx, ws, person, pl, pl.state.Halved, !pl.unknown); err != nil {
		return fmt.Errorf("sync OKR nudges of %s: %w", person, err)
	}
	return nil
}

// apply puts person's schedule as pl says, its cadence halved as given;
// when pl says no nudges, it deletes the schedule if mayDelete, else
// leaves it (the composer does not delete the schedule whose occurrence
// it writes; the next sync does).
func (s *Service) apply(ctx context.Context, ws, person string, pl nudgePlan, halved, mayDelete bool) error {
	key := NudgeKey(person)
	text, reason := SettingOff, "no key results in an active or planned cycle"
	if pl.live {
		text = CadenceFor(pl.policy.Cycle, pl.state.Cadence, pl.policy.TeamSetting, pl.weekday, halved)
		reason = "OKR nudges were turned off"
	}
	if text == SettingOff {
		if !mayDelete {
			return nil
		}
		err := s.eng.Schedules().Delete(ctx, ws, key, reason)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		return nil
	}
	sc := models.Schedule{WorkspaceID: ws, Key: key, Title: nudgeTitle, Cadence: text,
		Anchor: Anchor(pl.policy.Cycle, pl.state.LastNudgedAt, pl.loc)}
	// What is already so is not written again: the stepper syncs the same
	// people every hour while their cycles turn.
	old, err := s.eng.Schedules().Get(ctx, ws, key)
	switch {
	case errors.Is(err, models.ErrNotFound):
	case err != nil:
		return err
	case old.Title == sc.Title && old.Cadence == sc.Cadence && old.Anchor == sc.Anchor && old.ChannelTZ == "" && !old.Paused:
		targets, err := s.eng.Schedules().Targets(ctx, ws, key)
		if err != nil {
			return err
		}
		if slices.Equal(targets, []string{person}) {
			return nil
		}
	}
	if _, err := s.eng.Schedules().Put(ctx, sc); err != nil {
		return err
	}
	if _, _, err := s.eng.Schedules().SetTargets(ctx, ws, key, []string{person}, s.clock.Now()); err != nil {
		return err
	}
	return nil
}

// syncAll syncs each of people once, in order, carrying on past a
// failure; the failures are joined.
func (s *Service) syncAll(ctx context.Context, ws string, people []string) error {
	people = slices.Clone(people)
	slices.Sort(people)
	var errs []error
	for _, p := range slices.Compact(people) {
		if p == "" {
			continue
		}
		if err := s.SyncPerson(ctx, ws, p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// owners are the owners of o's key results.
func owners(o okrs.Objective) []string {
	out := make([]string, 0, len(o.KeyResults))
	for _, k := range o.KeyResults {
		out = append(out, k.Owner)
	}
	return out
}

// ObjectiveChanged re-syncs the nudges of everyone an objective's change
// concerns: the owners of its key results before and after it (created:
// a zero before; deleted: a zero after; closed: after with ClosedAt set).
func (s *Service) ObjectiveChanged(ctx context.Context, ws string, before, after okrs.Objective) error {
	return s.syncAll(ctx, ws, append(owners(before), owners(after)...))
}

// CycleChanged re-syncs the nudges of the owners of key results in the
// open objectives of the cycle (created, its dates changed).
func (s *Service) CycleChanged(ctx context.Context, ws string, cycleID int64) error {
	people, err := s.store.Owners(ctx, ws, cycleID)
	if err != nil {
		return err
	}
	return s.syncAll(ctx, ws, people)
}

// SettingsChanged re-syncs the nudges that team's settings may change
// (team "" is the workspace's): the owners of key results in the open
// objectives of the team (for "", of every team, whose settings fall back
// to the workspace's) in cycles that have not ended.
func (s *Service) SettingsChanged(ctx context.Context, ws, team string) error {
	cycles, err := s.store.Cycles(ctx, ws)
	if err != nil {
		return err
	}
	// A day of margin: a cycle that ended yesterday in UTC may not have
	// ended yet in the zones behind it.
	yesterday := calendar.DateOf(s.clock.Now().UTC()).AddDays(-1)
	var people []string
	for _, c := range cycles {
		if c.End.Before(yesterday) {
			continue
		}
		objs, err := s.store.Objectives(ctx, ws, okrs.Filter{CycleID: c.ID, Team: team})
		if err != nil {
			return err
		}
		for _, o := range objs {
			if o.ClosedAt.IsZero() {
				people = append(people, owners(o)...)
			}
		}
	}
	return s.syncAll(ctx, ws, people)
}

// SetNudges stores person's own nudge setting (ParseSetting's value, for
// `/trellis okr nudges weekly|every 2 weeks|off|default`), which ends any
// halving (SetCadence), and re-syncs their schedule. A setting ParseSetting
// does not give is refused, naming the field, and nothing changes.
func (s *Service) SetNudges(ctx context.Context, ws, person, setting string) error {
	if !okrs.NudgeCadence(setting).Valid() {
		return fmt.Errorf("nudges: %w: choose weekly, every 2 weeks, off, or default", models.ErrInvalid)
	}
	_, _, err := s.store.ChangeNudgeState(ctx, ws, person, func(n okrs.NudgeState) (okrs.NudgeState, error) {
		return SetCadence(StateOf(n), setting).Stored(), nil
	})
	if err != nil {
		return fmt.Errorf("nudges of %s: %w", person, err)
	}
	return s.SyncPerson(ctx, ws, person)
}

// Updated records that person posted ups, as okrs.Store.AddUpdates
// returned them (stored, with their ids), and returns those that moved
// their key result to off track from anything else (OffTrackOffer), for
// which the person is offered help (OffTrackMessage).
//
// The confidence before each update is read from the key result's
// history, the entries before it, so the caller passes nothing else and
// an update made elsewhere between reading and writing cannot mislead
// the offer. A check-in (anything but a correction, "no change"
// included) shows the nudges reach the person: their count of ignored
// nudges starts again, and halved nudges return to their cadence
// (Updated), the schedule with them. It is the person who posted whose
// nudges are reset, whoever owns the key result: the nudges are theirs.
func (s *Service) Updated(ctx context.Context, ws, person string, ups []okrs.Update) ([]okrs.Update, error) {
	byKR := map[int64][]okrs.Update{}
	var krIDs []int64
	checkedIn := false
	for _, u := range ups {
		if _, ok := byKR[u.KeyResultID]; !ok {
			krIDs = append(krIDs, u.KeyResultID)
		}
		byKR[u.KeyResultID] = append(byKR[u.KeyResultID], u)
		if u.Corrects == 0 {
			checkedIn = true
		}
	}
	var offer []okrs.Update
	for _, id := range krIDs {
		hist, err := s.store.History(ctx, ws, id)
		if err != nil {
			return nil, fmt.Errorf("updates of %s: %w", person, err)
		}
		for _, u := range byKR[id] {
			i := slices.IndexFunc(hist, func(h okrs.Update) bool { return h.ID == u.ID })
			if i < 0 {
				continue
			}
			before, err := okrs.Current(hist[:i])
			if err != nil {
				return nil, fmt.Errorf("updates of %s: %w", person, err)
			}
			after, err := okrs.Current(hist[:i+1])
			if err != nil {
				return nil, fmt.Errorf("updates of %s: %w", person, err)
			}
			if OffTrackOffer(before.Confidence, after.Confidence) {
				offer = append(offer, u)
			}
		}
	}
	if !checkedIn {
		return offer, nil
	}
	before, _, err := s.store.ChangeNudgeState(ctx, ws, person, func(n okrs.NudgeState) (okrs.NudgeState, error) {
		return Updated(StateOf(n)).Stored(), nil
	})
	if err != nil {
		return nil, fmt.Errorf("updates of %s: %w", person, err)
	}
	if before.Halved {
		if err := s.SyncPerson(ctx, ws, person); err != nil {
			return nil, err
		}
	}
	return offer, nil
}

// compose writes the nudge of an occurrence of a person's nudge schedule:
// Decide at the occurrence's nominal instant (so that composing it again
// decides the same, and counts once), the state it gives stored, and the
// schedule's cadence and anchor moved when the halving starts or ends or a
// nudge is written.
func (s *Service) compose(ctx context.Context, ec engine.Context) (engine.Message, error) {
	person, ok := strings.CutPrefix(ec.Schedule.Key, Kind+":")
	if !ok || person == "" || ec.Person == nil || ec.Person.UserID != person {
		return engine.Message{}, engine.Skip(fmt.Sprintf("%q is not a person's OKR nudges", ec.Schedule.Key))
	}
	ws := ec.Schedule.WorkspaceID
	loc := ec.Location
	if loc == nil {
		loc = time.UTC
	}
	nominal := ec.Occurrence.NominalAt.In(loc)
	pl, err := s.planFor(ctx, ws, person, nominal, loc)
	if err != nil {
		return engine.Message{}, fmt.Errorf("OKR nudge of %s: %w", person, err)
	}
	// Decided on the state as it is under the lock of the person's row,
	// so that an update posted meanwhile on another replica is not lost.
	var d Decision
	before, _, err := s.store.ChangeNudgeState(ctx, ws, person, func(n okrs.NudgeState) (okrs.NudgeState, error) {
		d = Decide(nominal, StateOf(n), pl.policy, pl.krs)
		return d.Next.Stored(), nil
	})
	if err != nil {
		return engine.Message{}, fmt.Errorf("OKR nudge of %s: %w", person, err)
	}
	pl.state = StateOf(before)
	if pl.live && (d.Halved != pl.state.Halved || !sameInstant(d.Next.LastNudgedAt, pl.state.LastNudgedAt)) {
		next := pl
		next.state = d.Next
		if err := s.apply(ctx, ws, person, next, d.Halved, false); err != nil {
			return engine.Message{}, fmt.Errorf("OKR nudge of %s: %w", person, err)
		}
	}
	if !d.Send {
		return engine.Message{}, engine.Skip(d.Reason)
	}
	return NudgeMessage(NudgeInput{Stale: d.Stale, Now: s.clock.Now(), Loc: loc, TellHalved: d.TellHalved, Weeks: d.Weeks}), nil
}

// turnClock is when the stepper last ran and next has work; one
// replica's memory, which costs another replica at most a run of its
// own.
type turnClock struct {
	mu   sync.Mutex
	last time.Time // the UTC hour of the last run
	next time.Time
}

// NextDue is when the stepper next has work: the next UTC hour while a
// cycle turns within a day of today (UTC), else the next UTC day.
func (s *Service) NextDue(ctx context.Context) (time.Time, bool, error) {
	s.turns.mu.Lock()
	defer s.turns.mu.Unlock()
	if s.turns.next.IsZero() {
		return s.clock.Now(), true, nil
	}
	return s.turns.next, true, nil
}

// cycleTurned does what a cycle's turn asks beyond nudges: the digests
// of its teams follow it (SyncTeamDigest), and once its active days end
// (its last day from two days before today to today in UTC, which holds
// every zone's day after the end) the review DMs of its owners and the
// review summaries of its teams are planned. Each is idempotent, so every
// replica running it each hour plans each message once.
func (s *Service) cycleTurned(ctx context.Context, ws string, c okrs.Cycle, today calendar.Date, now time.Time) error {
	objs, err := s.store.Objectives(ctx, ws, okrs.Filter{CycleID: c.ID})
	if err != nil {
		return fmt.Errorf("cycle %d turned: %w", c.ID, err)
	}
	var teams []string
	for _, o := range objs {
		if o.Team != "" && !slices.Contains(teams, o.Team) {
			teams = append(teams, o.Team)
		}
	}
	slices.Sort(teams)
	var errs []error
	zones := map[string]int{}
	for _, team := range teams {
		tz, err := s.SyncTeamDigest(ctx, ws, team, "")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		zones[tz]++
	}
	if c.End.Before(today.AddDays(-2)) || c.End.After(today) {
		return errors.Join(errs...)
	}
	if _, err := s.PlanReviews(ctx, ws, c, now); err != nil {
		errs = append(errs, err)
	}
	if _, err := PlanReviewSummaries(ctx, s.eng, s.store, ws, c, summaryZone(zones)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// summaryZone is the zone a cycle's review summaries are timed in: the
// one most of its teams' digests are posted in (ties to the name sorted
// first), else UTC. A cycle's summaries hang on one schedule, so they
// share one zone; a team's digest zone is the best word Trellis has for
// its channel's.
func summaryZone(zones map[string]int) string {
	best, n := "", 0
	for _, z := range slices.Sorted(maps.Keys(zones)) {
		if zones[z] > n {
			best, n = z, zones[z]
		}
	}
	return best
}

// SyncTeamDigest makes team's digest schedule follow its objectives now
// (SyncDigest) and returns the zone it is posted in. A channel has no
// zone of its own in Slack, so the digest keeps the zone it was first
// given: the one of the schedule already there, else tz — the zone of
// the person whose objective gave the team its first (the handlers pass
// theirs) — else UTC.
func (s *Service) SyncTeamDigest(ctx context.Context, ws, team, tz string) (string, error) {
	switch sc, err := s.eng.Schedules().Get(ctx, ws, DigestKey(team)); {
	case err == nil:
		tz = sc.ChannelTZ
	case !errors.Is(err, models.ErrNotFound):
		return "", fmt.Errorf("digest of %s: %w", team, err)
	}
	if _, err := SyncDigest(ctx, s.eng.Schedules(), s.store, ws, team, tz, s.clock.Now()); err != nil {
		return "", err
	}
	return tz, nil
}

// Tick re-syncs, once per UTC hour, the nudges of the owners of every
// cycle that starts, or whose active days end, within a day of today in
// UTC, so that schedules follow cycles without anyone acting: a cycle's
// day begins somewhere between 14 hours before and 12 hours after UTC's
// (UTC+14 to UTC−12), so the days from yesterday to tomorrow in UTC hold
// every boundary some person crosses now, and each person's sync reads
// the dates in their own zone. Hourly runs over those three days mean a
// schedule follows its cycle within an hour of the person's midnight.
// With no cycle turning, it looks again at the next UTC midnight (a cycle
// created since was synced by CycleChanged). Each turning cycle's team
// digests are re-synced too, and when its active days end its reviews
// and review summaries are planned (cycleTurned). Idempotent syncs and
// plans make the repeated runs, and every replica running them, harmless.
func (s *Service) Tick(ctx context.Context, now time.Time) error {
	hour := now.UTC().Truncate(time.Hour)
	s.turns.mu.Lock()
	if !s.turns.last.IsZero() && !hour.After(s.turns.last) {
		s.turns.mu.Unlock()
		return nil
	}
	s.turns.mu.Unlock()

	today := calendar.DateOf(now.UTC())
	turns, err := s.store.CyclesTurning(ctx, today.AddDays(-1), today.AddDays(1))
	if err != nil {
		return fmt.Errorf("OKR cycles turning: %w", err)
	}
	s.turns.mu.Lock()
	since := s.turns.last
	s.turns.mu.Unlock()
	var errs []error
	for _, t := range turns {
		if err := s.syncTurned(ctx, t.Workspace, t.Cycle, since, now); err != nil {
			errs = append(errs, err)
		}
		if err := s.cycleTurned(ctx, t.Workspace, t.Cycle, today, now); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		// Not remembered as run: the next tick tries again.
		return fmt.Errorf("OKR cycles turning: %w", err)
	}
	next := hour.Add(time.Hour)
	if len(turns) == 0 {
		next = today.AddDays(1).In(time.UTC)
	}
	s.turns.mu.Lock()
	s.turns.last, s.turns.next = hour, next
	s.turns.mu.Unlock()
	return nil
}

// syncTurned re-syncs the nudges of the owners of c whose own day crossed
// one of c's boundaries (its first day, or the day after its last) since
// this replica's last run, read in each owner's zone: the rest are synced
// already, so an hourly run costs a read of the owners, not a sync of
// each. A replica that has not run yet (since zero) syncs every owner
// once.
func (s *Service) syncTurned(ctx context.Context, ws string, c okrs.Cycle, since, now time.Time) error {
	owners, err := s.store.Owners(ctx, ws, c.ID)
	if err != nil {
		return err
	}
	if since.IsZero() {
		return s.syncAll(ctx, ws, owners)
	}
	people, _, err := s.ppl.GetMany(ctx, ws, owners, calendar.DateOf(now.UTC()))
	if err != nil {
		return fmt.Errorf("owners of cycle %d: %w", c.ID, err)
	}
	var turned []string
	for _, o := range owners {
		loc := time.UTC
		if p, ok := people[o]; ok {
			loc = p.Location()
		}
		if crossed(c, calendar.DateOf(since.In(loc)), calendar.DateOf(now.In(loc))) {
			turned = append(turned, o)
		}
	}
	return s.syncAll(ctx, ws, turned)
}

// crossed reports whether a day from after `from` to `to` (both a
// person's dates) is c's first day or the day after its last: the days
// on which the cycle the person's nudges follow can change.
func crossed(c okrs.Cycle, from, to calendar.Date) bool {
	for _, b := range []calendar.Date{c.Start, c.End.AddDays(1)} {
		if from.Before(b) && !to.Before(b) {
			return true
		}
	}
	return false
}
