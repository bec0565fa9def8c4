package okrs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// digestHarness is three replicas of the delivery engine with the digest
// composer registered, on one database, one Redis and one Slack emulator,
// on one simulated clock.
type digestHarness struct {
	t         *testing.T
	ctx       context.Context
	env       *testenv.Env
	engines   []*engine.Engine
	store     *okrs.Store
	people    *models.People
	schedules *models.Schedules
}

func newDigestHarness(t *testing.T, dialect string, start time.Time) *digestHarness {
	t.Helper()
	env := testenv.New(t, testenv.Options{Dialect: dialect, Replicas: 3, Start: start,
		Slack: slacksim.Config{RetryDelays: []time.Duration{}}})
	h := &digestHarness{t: t, ctx: context.Background(), env: env, store: okrs.NewStore(env.DBs[0]),
		people: models.NewPeople(env.DBs[0]), schedules: models.NewSchedules(env.DBs[0])}
	for i, db := range env.DBs {
		api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(env.Slack.Server.APIURL()),
			slack.OptionHTTPClient(bot.NewTransport(bot.TransportConfig{Store: env.Redis, Logger: env.Log, TeamID: testenv.Team, Backoff: 10 * time.Millisecond})))
		e, err := engine.New(engine.Config{DB: db, Clients: func(context.Context, string) (engine.Slack, error) { return api, nil },
			Clock: env.Clock, Logger: env.Log.With("engine", i)})
		if err != nil {
			t.Fatalf("engine: %v", err)
		}
		if err := e.Register(DigestKind, DigestComposer(okrs.NewStore(db), models.NewPeople(db))); err != nil {
			t.Fatalf("register the digest: %v", err)
		}
		h.engines = append(h.engines, e)
	}
	return h
}

// person adds a person to the emulator and the database.
func (h *digestHarness) person(name string) string {
	h.t.Helper()
	p, err := h.env.Slack.Control.AddPerson(h.ctx, slacksim.NewPerson{Name: strings.ToLower(strings.Fields(name)[0]), RealName: name, TZ: "Europe/Berlin"})
	if err != nil {
		h.t.Fatalf("add person %s: %v", name, err)
	}
	if _, err := h.people.SyncProfile(h.ctx, models.Person{WorkspaceID: testenv.Team, UserID: p.ID, Name: name, SlackTZ: "Europe/Berlin"}); err != nil {
		h.t.Fatalf("store person %s: %v", name, err)
	}
	return p.ID
}

// runTo moves the clock to `to`, ticking every engine at once at each
// whole minute with work due on the way.
func (h *digestHarness) runTo(to time.Time) {
	h.t.Helper()
	next := func() (time.Time, bool, error) { return h.schedules.NextDue(h.ctx) }
	tickThrough(h.t, h.ctx, h.env.Clock.Set, h.engines, next, to)
}

// posts are the bot's messages in the channel, oldest first.
func (h *digestHarness) posts(channel, as string) []slacksim.Message {
	h.t.Helper()
	msgs, err := h.env.Slack.Control.Messages(h.ctx, channel, as)
	if err != nil {
		h.t.Fatalf("messages of %s: %v", channel, err)
	}
	var out []slacksim.Message
	for _, m := range msgs {
		if m.BotID != "" {
			out = append(out, m)
		}
	}
	return out
}

// postedAt is the instant a message's ts names.
func postedAt(m slacksim.Message) time.Time {
	sec, frac, _ := strings.Cut(m.TS, ".")
	s, _ := strconv.ParseInt(sec, 10, 64)
	us, _ := strconv.ParseInt(frac, 10, 64)
	return time.Unix(s, us*1000).UTC()
}

// TestDigestInTheChannel: with three replicas on one database, a team's
// digest is posted in its channel exactly once a week, Monday at 09:30 in
// the channel's zone before and after the clocks change, from the first
// Monday of the cycle to the last before its end; it reports each week's
// moves, names the objectives' owners and nobody else (not a key
// result's owner who never updates), and is not posted once the cycle
// has ended, its occurrences skipped with the reason; the next sync after
// the review deletes the schedule.
func TestDigestInTheChannel(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			testDigestInTheChannel(t, dialect)
		})
	}
}

func testDigestInTheChannel(t *testing.T, dialect string) {
	berlin, err := calendar.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2027, 2, 26, 12, 0, 0, 0, time.UTC)
	h := newDigestHarness(t, dialect, start)
	ada, bob, cy := h.person("Ada Lovelace"), h.person("Bob Silent"), h.person("Cy Quiet")
	ch, err := h.env.Slack.Control.CreateChannel(h.ctx, slacksim.NewChannel{Name: "growth", Members: []string{ada, bob, cy}})
	if err != nil {
		t.Fatal(err)
	}
	team := ch.ID

	// Spring 2027 runs through March and April; Berlin moves its clocks on
	// 28 March.
	c, err := h.store.CreateCycle(h.ctx, testenv.Team, okrs.Cycle{Name: "Spring 2027", Start: calendar.Date{Year: 2027, Month: 3, Day: 1},
		End: calendar.Date{Year: 2027, Month: 4, Day: 30}}, ada)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := SyncDigest(h.ctx, h.schedules, h.store, testenv.Team, team, "Europe/Berlin", h.env.Clock.Now()); err != nil || ok {
		t.Fatalf("SyncDigest with no objectives = %v, %v; want no schedule", ok, err)
	}
	grow, err := h.store.CreateObjective(h.ctx, testenv.Team, okrs.Objective{CycleID: c.ID, Title: "Grow <!channel> usage", Owner: ada, Team: team,
		Visibility: okrs.VisibleTeam, KeyResults: []okrs.KeyResult{
			{Title: "Weekly active teams", Owner: ada, Kind: okrs.IncreaseTo, Start: 40, Target: 60, Unit: "teams"},
			{Title: "Churn", Owner: bob, Kind: okrs.DecreaseTo, Start: 5, Target: 3, Unit: "%", Decimals: 1},
		}}, ada)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.CreateObjective(h.ctx, testenv.Team, okrs.Objective{CycleID: c.ID, Title: "Ship the new onboarding", Owner: cy, Team: team,
		KeyResults: []okrs.KeyResult{{Title: "Guide shipped", Owner: bob, Kind: okrs.Milestone}}}, cy); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if ok, err := SyncDigest(h.ctx, h.schedules, h.store, testenv.Team, team, "Europe/Berlin", h.env.Clock.Now()); err != nil || !ok {
			t.Fatalf("SyncDigest = %v, %v; want a schedule", ok, err)
		}
	}
	if targets, err := h.schedules.Targets(h.ctx, testenv.Team, DigestKey(team)); err != nil || len(targets) != 1 || targets[0] != team {
		t.Fatalf("targets = %v, %v; want the channel", targets, err)
	}

	// Ada updates her key result every Wednesday; Bob and Cy never do.
	krWAT := grow.KeyResults[0].ID
	value := 40.0
	wed := time.Date(2027, 3, 3, 14, 0, 0, 0, time.UTC)
	for ; wed.Before(time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)); wed = wed.AddDate(0, 0, 7) {
		h.runTo(wed)
		value += 2
		if _, err := h.store.AddUpdates(h.ctx, testenv.Team, ada, false, []okrs.Update{{KeyResultID: krWAT, Value: value, Confidence: okrs.OnTrack}},
			okrs.SourceForm, wed); err != nil {
			t.Fatal(err)
		}
	}
	h.runTo(time.Date(2027, 5, 20, 0, 0, 0, 0, time.UTC))

	posts := h.posts(team, ada)
	var mondays []calendar.Date
	for d := (calendar.Date{Year: 2027, Month: 3, Day: 1}); !d.After(calendar.Date{Year: 2027, Month: 4, Day: 30}); d = d.AddDays(7) {
		mondays = append(mondays, d)
	}
	if len(posts) != len(mondays) {
		for _, p := range posts {
			t.Logf("posted %s: %s", postedAt(p).In(berlin), p.Text)
		}
		t.Fatalf("%d digests posted, want %d (one a Monday of the cycle)", len(posts), len(mondays))
	}
	for i, p := range posts {
		local := postedAt(p).In(berlin)
		if calendar.DateOf(local) != mondays[i] || local.Hour() != 9 || local.Minute() != 30 {
			t.Errorf("digest %d posted %v, want %s at 09:30 in Berlin", i+1, local, mondays[i])
		}
		var blocks slack.Blocks
		if err := blocks.UnmarshalJSON(p.Blocks); err != nil {
			t.Fatalf("digest %d: blocks: %v", i+1, err)
		}
		for _, problem := range blockkit.Check(blockkit.Message, blocks) {
			t.Errorf("digest %d: %s", i+1, problem)
		}
		raw := string(p.Blocks) + p.Text
		for _, who := range []string{"Bob Silent", bob, ada, cy} {
			if strings.Contains(raw, who) {
				t.Errorf("digest %d shows %q:\n%s", i+1, who, raw)
			}
		}
		for _, owner := range []string{"Ada Lovelace", "Cy Quiet"} {
			if !strings.Contains(raw, owner) {
				t.Errorf("digest %d does not name %s, an objective's owner", i+1, owner)
			}
		}
		// The first Monday comes before any update; each later one reports
		// the Wednesday before it.
		want := "no key result moved this week"
		if i > 0 {
			want = fmt.Sprintf("%d → %d teams", 40+2*(i-1), 40+2*i)
		}
		if !strings.Contains(raw, want) {
			t.Errorf("digest %d (%s) does not say %q:\n%s", i+1, mondays[i], want, raw)
		}
		if strings.Contains(raw, "<!channel>") {
			t.Errorf("digest %d has a live broadcast", i+1)
		}
	}

	type occ struct {
		NominalAt time.Time `gorm:"column:nominal_at"`
		Status    string    `gorm:"column:status"`
		Reason    string    `gorm:"column:reason"`
	}
	occs, err := models.QueryRows[occ](h.ctx, h.env.DBs[0], "SELECT nominal_at, status, reason FROM occurrences WHERE cadence_id = ? ORDER BY nominal_at", DigestKey(team))
	if err != nil {
		t.Fatal(err)
	}
	after := 0
	for _, o := range occs {
		if o.NominalAt.After(time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)) {
			after++
			if o.Status != models.OccurrenceSkipped || !strings.Contains(o.Reason, "no open objectives in an active cycle") {
				t.Errorf("the digest of %s after the cycle: %s (%s), want skipped", o.NominalAt, o.Status, o.Reason)
			}
		}
	}
	if after == 0 {
		t.Errorf("no digest was planned after the cycle ended; want them skipped with a reason: %+v", occs)
	}

	if ok, err := SyncDigest(h.ctx, h.schedules, h.store, testenv.Team, team, "Europe/Berlin", h.env.Clock.Now()); err != nil || ok {
		t.Fatalf("SyncDigest after the review = %v, %v; want no schedule", ok, err)
	}
	if _, err := h.schedules.Get(h.ctx, testenv.Team, DigestKey(team)); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the schedule after the review: %v, want ErrNotFound", err)
	}
	if ok, err := SyncDigest(h.ctx, h.schedules, h.store, testenv.Team, team, "Europe/Berlin", h.env.Clock.Now()); err != nil || ok {
		t.Fatalf("SyncDigest again = %v, %v; want no schedule and no error", ok, err)
	}
}
