// Package handlers is what happens when a person acts in Slack: the /trellis
// slash command, button clicks and modal submissions, and the events Trellis
// subscribes to. Handlers answer with friendly text; detail goes to the log.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/holidays"
)

// people is what handlers need of the people store.
type people interface {
	Get(ctx context.Context, workspaceID, userID string) (models.Person, error)
	View(ctx context.Context, workspaceID, userID string, from calendar.Date) (models.PersonView, error)
	SyncProfile(ctx context.Context, p models.Person) (models.Person, error)
	SetTZOverride(ctx context.Context, workspaceID, userID, tz string) error
	SetHours(ctx context.Context, workspaceID, userID string, h *calendar.WorkingHours) error
	SetHolidayRegion(ctx context.Context, workspaceID, userID, region string) error
	AddAway(ctx context.Context, a models.AwayPeriod) (models.AwayPeriod, error)
	AwayPeriods(ctx context.Context, workspaceID, userID string, from calendar.Date) ([]models.AwayPeriod, error)
	EndAway(ctx context.Context, workspaceID, userID string, today calendar.Date) (int, error)
	DeleteAway(ctx context.Context, workspaceID, userID string, id int64) error
	SetDailyBudget(ctx context.Context, workspaceID, userID string, n int) error
}

// workspaces is what handlers need of the workspace store.
type workspaces interface {
	Get(ctx context.Context, id string) (models.Workspace, error)
	Ensure(ctx context.Context, id, name string) (models.Workspace, error)
	SetDefaultHours(ctx context.Context, id string, h calendar.WorkingHours, actorID string) error
	SetHolidayRegion(ctx context.Context, id, region, actorID string) error
	AddHoliday(ctx context.Context, h models.Holiday) error
	RemoveHoliday(ctx context.Context, workspaceID string, d calendar.Date, actorID string) error
	Holidays(ctx context.Context, workspaceID string, from, to calendar.Date) ([]models.Holiday, error)
	Audit(ctx context.Context, workspaceID string, limit int) ([]models.AuditEntry, error)
	SetDailyBudget(ctx context.Context, id string, n int, actorID string) error
	SetMinGroupSize(ctx context.Context, id string, n int, actorID string) error
}

// forecaster reads what the delivery engine needs to forecast a person's
// next proactive messages.
type forecaster interface {
	ForecastInput(ctx context.Context, workspaceID, userID string, now time.Time) (engine.ForecastInput, error)
}

// installations is what handlers need to react to an uninstall.
type installations interface {
	Deactivate(ctx context.Context, workspaceID string) error
}

// openedViews records the modals Trellis opens, so a view id in a payload
// is checked before it is used.
type openedViews interface {
	Record(ctx context.Context, workspaceID, viewID, userID, callbackID string) error
	Opened(ctx context.Context, workspaceID, viewID, userID, callbackID string) (bool, error)
}

// Config wires the handlers to their stores.
type Config struct {
	Logger        *slog.Logger
	Clock         clock.Clock
	People        people
	Workspaces    workspaces
	Installations installations
	// Views records the modals Trellis opens; an action that updates a
	// view is refused without it.
	Views openedViews
	// Forecast, when set, lets /trellis me and the Home tab list the next
	// proactive messages a person will get.
	Forecast forecaster
}

// Handlers serves every Slack request Trellis understands.
type Handlers struct {
	log   *slog.Logger
	clock clock.Clock
	ppl   people
	ws    workspaces
	inst  installations
	views openedViews
	fc    forecaster
	cache wsCache

	// What the features registered (see Register): their subcommands by
	// word, their names in the order the reply to a bare /trellis lists
	// them, their help lines and their Home sections in order.
	subcommands  map[string]Subcommand
	commandNames []string
	helpLines    []string
	home         []homeSection
	// And their /trellis admin words, with their lines in help's admin
	// section and the examples those lines begin with.
	adminSubcommands map[string]Subcommand
	adminHelpLines   []string
	adminExamples    []string
	// And the question kinds they offer other features' forms, by name.
	questionKinds map[string]QuestionKind

	// learning holds the people whose Slack profile is being read after
	// an ack ("team/user"), so a burst of their requests reads it once.
	learning sync.Map
}

// New returns Handlers over the given stores.
func New(cfg Config) *Handlers {
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	return &Handlers{log: cfg.Logger, clock: cfg.Clock, ppl: cfg.People, ws: cfg.Workspaces, inst: cfg.Installations, views: cfg.Views, fc: cfg.Forecast}
}

// Command is the root slash command.
const Command = "/trellis"

// registerCore adds the core's own routes to mux: /trellis, the settings'
// buttons and forms, the Home tab's daily-limit menu and the events the
// core subscribes to. Refusals are read from mux.Err.
func (h *Handlers) registerCore(mux *bot.Mux) {
	mux.Command(Command, onAckPath(h.command))
	mux.Action(views.ActionHomeBudget, onAckPath(h.homeBudget))

	mux.Action(views.ActionEditHours, onAckPath(h.openHoursModal))
	mux.Action(views.ActionEditTZ, onAckPath(h.openTZModal))
	mux.Action(views.ActionAddAway, onAckPath(h.openAwayModal))
	mux.Action(views.ActionEditRegion, onAckPath(h.openRegionModal))
	mux.Action(views.ActionRemoveAway, onAckPath(h.removeAway))

	mux.View(views.CallbackHours, onAckPath(h.submitHours))
	mux.View(views.CallbackTZ, onAckPath(h.submitTZ))
	mux.View(views.CallbackAway, onAckPath(h.submitAway))
	mux.View(views.CallbackRegion, onAckPath(h.submitRegion))

	mux.Event("app_home_opened", onAckPath(h.homeOpened))
	mux.Event("user_change", onAckPath(h.userChanged))
	mux.Event("app_uninstalled", onAckPath(h.uninstalled))
	mux.Event("tokens_revoked", onAckPath(h.uninstalled))
}

// firstReadBudget is how long the ack path gives Slack to answer the
// users.info of someone Trellis has not read yet, so that a newcomer's
// first reply already knows their zone when Slack is quick.
const firstReadBudget = 500 * time.Millisecond

// Person returns the stored person. Someone whose Slack profile Trellis
// has not read yet is served with what is stored (their own settings,
// else the workspace's defaults) unless Slack answers users.info within
// firstReadBudget: that method is paced and can be held behind a 429 for
// far longer than the ack allows, so the ack never waits on it longer. On
// the ack path a profile not read in time is read after the ack
// (learnLater), so the next request has it.
func (h *Handlers) Person(ctx context.Context, req *bot.Request) (models.Person, error) {
	p, synced, err := h.stored(ctx, req)
	if err != nil {
		return p, err
	}
	if !synced && Acking(ctx) {
		if fresh, ok := h.quickProfile(ctx, req); ok {
			return fresh, nil
		}
		h.learnLater(req)
	}
	return p, nil
}

// quickProfile reads and stores the person's Slack profile if Slack
// answers within firstReadBudget (and the request's Slack budget).
func (h *Handlers) quickProfile(ctx context.Context, req *bot.Request) (models.Person, bool) {
	if req.Slack == nil {
		return models.Person{}, false
	}
	sctx, cancel := SlackCtx(ctx)
	defer cancel()
	qctx, qcancel := context.WithTimeout(sctx, firstReadBudget)
	defer qcancel()
	u, err := req.Slack.GetUserInfoContext(qctx, req.UserID)
	if err != nil {
		return models.Person{}, false
	}
	p, err := h.ppl.SyncProfile(ctx, engine.PersonFromSlack(req.TeamID, u))
	if err != nil {
		h.log.WarnContext(ctx, "could not store a Slack profile", "user", req.UserID, "err", err)
		return models.Person{}, false
	}
	return p, true
}

// stored reads the person as stored, or a blank person of the request's
// workspace when there is no row yet. synced reports whether Slack's
// profile has been read into it: a row made by a setting before that has
// no name and no zone.
func (h *Handlers) stored(ctx context.Context, req *bot.Request) (p models.Person, synced bool, err error) {
	p, err = h.ppl.Get(ctx, req.TeamID, req.UserID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return models.Person{WorkspaceID: req.TeamID, UserID: req.UserID}, false, nil
	case err != nil:
		return p, false, fmt.Errorf("load person: %w", err)
	}
	return p, p.Name != "" || p.SlackTZ != "", nil
}

// FreshPerson reads the person's profile from Slack now, for a check of
// their admin rights, within what is left of the request's Slack budget.
// When Slack does not answer in time (or fails) the stored person is
// returned with confirmed unset, and on the ack path the profile is read
// again after the ack.
func (h *Handlers) FreshPerson(ctx context.Context, req *bot.Request) (p models.Person, confirmed bool, err error) {
	if req.Slack != nil {
		sctx, cancel := SlackCtx(ctx)
		u, serr := req.Slack.GetUserInfoContext(sctx, req.UserID)
		cancel()
		if serr == nil {
			p, err = h.ppl.SyncProfile(ctx, engine.PersonFromSlack(req.TeamID, u))
			return p, err == nil, err
		}
		h.log.WarnContext(ctx, "users.info failed; using the stored profile", "user", req.UserID, "err", serr)
	}
	p, _, err = h.stored(ctx, req)
	if err == nil && Acking(ctx) {
		h.learnLater(req)
	}
	return p, false, err
}

// learnLater reads the person's Slack profile after the ack, unless
// another read stored it first (a request may ask more than once).
func (h *Handlers) learnLater(req *bot.Request) {
	req.After(func(ctx context.Context) {
		if _, synced, err := h.stored(ctx, req); err == nil && synced {
			return
		}
		h.learnProfile(ctx, req)
	})
}

// learnProfile reads the person's Slack profile and stores it. It runs
// after the ack, where waiting for users.info keeps no one from an ack,
// but for at most profileWait. At most one read per person runs at a time
// in this process; a request that finds one running leaves it to that
// one. It reports whether the profile was stored.
func (h *Handlers) learnProfile(ctx context.Context, req *bot.Request) bool {
	if req.Slack == nil {
		return false
	}
	key := req.TeamID + "/" + req.UserID
	if _, busy := h.learning.LoadOrStore(key, struct{}{}); busy {
		return false
	}
	defer h.learning.Delete(key)
	// After-ack work shares a few workers (bot.DispatcherConfig's
	// AfterWorkers): a profile held behind a long 429 must not keep one
	// from other people's replies for long. The next request tries again.
	ctx, cancel := context.WithTimeout(ctx, profileWait)
	defer cancel()
	u, err := req.Slack.GetUserInfoContext(ctx, req.UserID)
	if err != nil {
		h.log.WarnContext(ctx, "users.info failed; the profile is read again on the next request", "user", req.UserID, "err", err)
		return false
	}
	if _, err := h.ppl.SyncProfile(ctx, engine.PersonFromSlack(req.TeamID, u)); err != nil {
		h.log.WarnContext(ctx, "could not store a Slack profile", "user", req.UserID, "err", err)
		return false
	}
	return true
}

// workspace reads a workspace's settings. Start-up and installs create the
// row, so creating it here is only a fallback.
func (h *Handlers) workspace(ctx context.Context, id string) (models.Workspace, error) {
	ws, err := h.ws.Get(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return h.ws.Ensure(ctx, id, "")
	}
	return ws, err
}

// summary gathers what /trellis me and the Home tab show, in one round of
// reads: the person with their time off (one query), and the workspace with
// its holidays (cached briefly), all keyed by ids the request carries. Only "today" depends on
// the person's timezone, so dated rows are read for a day either side of
// UTC's today and trimmed once the zone is known.
func (h *Handlers) summary(ctx context.Context, req *bot.Request) (models.Person, views.Summary, error) {
	// A newcomer's zone, if Slack tells it within firstReadBudget.
	if Acking(ctx) {
		if _, synced, err := h.stored(ctx, req); err == nil && !synced {
			h.quickProfile(ctx, req)
		}
	}
	utcToday := calendar.DateOf(h.clock.Now().UTC())
	from, to := utcToday.AddDays(-1), utcToday.AddDays(91)
	var (
		wg          sync.WaitGroup
		p           models.Person
		away        []models.AwayPeriod
		pErr, wsErr error
	)
	ws, own, cached := h.cachedWorkspace(req.TeamID, from, to)
	if !cached {
		// Read the workspace while the person is read. When it is cached,
		// as it mostly is, no goroutine is needed.
		wg.Go(func() { ws, own, wsErr = h.workspaceAround(ctx, req.TeamID, from, to) })
	}
	view, pErr := h.ppl.View(ctx, req.TeamID, req.UserID, from)
	p, away = view.Person, view.Away
	wg.Wait()
	// Only people some schedule sends messages to have a forecast to read.
	var fcIn engine.ForecastInput
	if view.Scheduled && h.fc != nil {
		var err error
		if fcIn, err = h.fc.ForecastInput(ctx, req.TeamID, req.UserID, h.clock.Now()); err != nil {
			// The settings are still worth showing; the forecast is not vital.
			h.log.WarnContext(ctx, "could not read the schedules to forecast", "err", err)
		}
	}
	switch {
	case pErr != nil && !errors.Is(pErr, models.ErrNotFound):
		return p, views.Summary{}, fmt.Errorf("load person: %w", pErr)
	case wsErr != nil:
		return p, views.Summary{}, fmt.Errorf("load workspace: %w", wsErr)
	}
	// Not yet read from Slack: show what is known now and say the zone is
	// on its way; the profile is read after the ack.
	pending := pErr != nil || (p.Name == "" && p.SlackTZ == "")
	if pErr != nil {
		p = models.Person{WorkspaceID: req.TeamID, UserID: req.UserID}
	}
	if pending && Acking(ctx) {
		h.learnLater(req)
	}
	if pending && p.TZOverride == "" {
		// A forecast in a zone that is only a stand-in would be wrong.
		fcIn = engine.ForecastInput{}
	}

	now := h.clock.Now().In(p.Location())
	today := calendar.DateOf(now)
	away = slices.DeleteFunc(away, func(a models.AwayPeriod) bool { return a.Last.Before(today) })
	own = slices.DeleteFunc(slices.Clone(own), func(hd models.Holiday) bool { return hd.Date.Before(today) || hd.Date.After(today.AddDays(90)) })

	region := p.HolidayRegionIn(ws)
	statusAway, until := calendar.StatusAway(p.Status, h.clock.Now())
	return p, views.Summary{
		UserID:         p.UserID,
		TimeZone:       p.TimeZone(),
		TZFromSlack:    p.TZOverride == "",
		TZPending:      pending && p.TZOverride == "",
		LocalNow:       now,
		Hours:          p.WorkingHoursIn(ws),
		HoursDefault:   p.Hours == nil,
		Away:           away,
		StatusAway:     statusAway,
		StatusUntil:    until,
		StatusText:     statusLabel(p.Status),
		Region:         region,
		RegionName:     regionName(region),
		RegionOwn:      p.HolidayRegion != "",
		Holidays:       mergeHolidays(own, region, today, today.AddDays(90)),
		IsAdmin:        p.IsAdmin,
		WorkspaceHours: ws.DefaultHours,
		Budget:         p.DailyBudgetIn(ws),
		BudgetOwn:      p.DailyBudget > 0 && p.DailyBudget < ws.DailyBudget,
		BudgetLimit:    ws.DailyBudget,
		Upcoming:       forecast(fcIn, p, ws, away, own, h.clock.Now()),
	}, nil
}

// forecastLen is how many upcoming messages /trellis me lists.
const forecastLen = 5

// forecast turns the engine's forecast into what the views show.
func forecast(in engine.ForecastInput, p models.Person, ws models.Workspace, away []models.AwayPeriod, own []models.Holiday, now time.Time) []views.Upcoming {
	rec := engine.RecipientView(p, ws, away, own)
	var out []views.Upcoming
	for _, u := range engine.Forecast(in, rec, now, forecastLen) {
		out = append(out, views.Upcoming{Title: u.Title, Cadence: u.Cadence, Nominal: u.Nominal, DeliverAt: u.DeliverAt, Status: u.Status, Reason: u.Reason})
	}
	return out
}

func statusLabel(s calendar.Status) string {
	if s.Text == "" {
		return s.Emoji
	}
	if s.Emoji == "" {
		return s.Text
	}
	return s.Emoji + " " + s.Text
}

// mergeHolidays merges the workspace's own days off with the public holidays
// of region, in date order, one entry per date.
func mergeHolidays(own []models.Holiday, region string, from, to calendar.Date) []models.Holiday {
	seen := map[calendar.Date]bool{}
	var out []models.Holiday
	for _, hd := range own {
		seen[hd.Date] = true
		out = append(out, hd)
	}
	if cal, ok := holidays.Lookup(region); ok {
		for _, hd := range cal.Between(from, to) {
			if !seen[hd.Date] {
				seen[hd.Date] = true
				out = append(out, models.Holiday{Date: hd.Date, Name: hd.Name})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// regionName is the name of the region whose code is exactly code, else
// code itself. It looks the code up rather than scanning a copy of
// holidays.Regions: /trellis me and the Home tab ask on every request.
func regionName(code string) string {
	if cal, ok := holidays.Lookup(code); ok && cal.Region().Code == code {
		return cal.Region().Name
	}
	return code
}

// PublishHome renders and publishes a person's Home tab. It calls Slack, so it
// runs after the ack. For someone whose Slack profile is not read yet the
// tab is published at once with what is known, then again once the
// profile is in.
func (h *Handlers) PublishHome(ctx context.Context, req *bot.Request) {
	s, ok := h.publishHomeOnce(ctx, req)
	if ok && s.TZPending && h.learnProfile(ctx, req) {
		h.publishHomeOnce(ctx, req)
	}
}

func (h *Handlers) publishHomeOnce(ctx context.Context, req *bot.Request) (views.Summary, bool) {
	_, s, err := h.summary(ctx, req)
	if err != nil {
		h.log.ErrorContext(ctx, "publish home: summary", "user", req.UserID, "err", err)
		return s, false
	}
	var sections []views.HomeSectionFunc
	if len(h.home) > 0 {
		p, err := h.Person(ctx, req)
		if err != nil {
			// The settings are still worth showing.
			h.log.WarnContext(ctx, "publish home: features' sections", "user", req.UserID, "err", err)
		} else {
			sections = h.homeSections(ctx, req, p)
		}
	}
	if req.Slack == nil {
		return s, false
	}
	if _, err := req.Slack.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: req.UserID, View: views.Home(s, sections...)}); err != nil {
		h.log.ErrorContext(ctx, "views.publish failed", "user", req.UserID, "err", err)
		return s, false
	}
	return s, true
}
