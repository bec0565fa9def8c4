package okrs

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// reviewWorld is replicas of the engine with the review DMs registered,
// on one database, one emulator and one frozen clock.
type reviewWorld struct {
	t       *testing.T
	ctx     context.Context
	env     *testenv.Env
	engines []*engine.Engine
	svcs    []*Service
	store   *okrs.Store
	people  *models.People
}

func newReviewWorld(t *testing.T, dialect string, replicas int, start time.Time) *reviewWorld {
	t.Helper()
	env := testenv.New(t, testenv.Options{Dialect: dialect, Replicas: replicas, Start: start,
		Slack:     slacksim.Config{RetryDelays: []time.Duration{}, MessageCapPerMinute: 1_000_000},
		Unlimited: []string{"chat.postMessage", "conversations.open", "users.info", "conversations.members"}})
	w := &reviewWorld{t: t, ctx: context.Background(), env: env, store: okrs.NewStore(env.DBs[0]), people: models.NewPeople(env.DBs[0])}
	for i, db := range env.DBs {
		api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(env.Slack.Server.APIURL()))
		eng, err := engine.New(engine.Config{DB: db, Clock: env.Clock, Logger: env.Log.With("engine", i),
			Clients: func(context.Context, string) (engine.Slack, error) { return api, nil }})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := New(Config{DB: db, Engine: eng, Clock: env.Clock, Logger: env.Log.With("replica", i),
			Members: SlackMembers(func(context.Context, string) (MemberLister, error) { return api, nil })})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.RegisterReviews(); err != nil {
			t.Fatal(err)
		}
		if err := svc.RegisterReviews(); err == nil {
			t.Fatal("registering the reviews twice was not refused")
		}
		w.engines, w.svcs = append(w.engines, eng), append(w.svcs, svc)
	}
	return w
}

// person adds someone in tz with hours ("" for the workspace's).
func (w *reviewWorld) person(name, tz, hours string) string {
	w.t.Helper()
	p, err := w.env.Slack.Control.AddPerson(w.ctx, slacksim.NewPerson{Name: name, RealName: name, TZ: tz})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.people.SyncProfile(w.ctx, models.Person{WorkspaceID: testenv.Team, UserID: p.ID, Name: name, SlackTZ: tz}); err != nil {
		w.t.Fatal(err)
	}
	if hours != "" {
		wh, err := calendar.ParseWorkingHours(hours)
		if err != nil {
			w.t.Fatal(err)
		}
		if err := w.people.SetHours(w.ctx, testenv.Team, p.ID, &wh); err != nil {
			w.t.Fatal(err)
		}
	}
	return p.ID
}

// runAll ticks every replica at once at each minute with work due, up to
// to.
func (w *reviewWorld) runAll(to time.Time) {
	w.t.Helper()
	next := func() (time.Time, bool, error) { return w.engines[0].Schedules().NextDue(w.ctx) }
	tickThrough(w.t, w.ctx, w.env.Clock.Set, w.engines, next, to)
}

// reviewDMs are the review DMs a person got, with when each was sent;
// each must say why it came: a cycle ending on 31 March asks at 10:00 on
// 1 April.
func (w *reviewWorld) reviewDMs(user string) []time.Time {
	w.t.Helper()
	convs, err := w.env.Slack.Control.Conversations(w.ctx, user)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []time.Time
	for _, c := range convs {
		if c.Kind != "im" {
			continue
		}
		msgs, err := w.env.Slack.Control.Messages(w.ctx, c.ID, user)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, m := range msgs {
			if m.BotID == "" || m.Ephemeral {
				continue
			}
			n := strings.Count(string(m.Blocks), `"action_id":"okr:review:`)
			if n > 0 && !strings.Contains(string(m.Blocks), "0 10 1 4 *") {
				w.t.Errorf("a review DM does not say when its schedule asks (10:00 on 1 April): %s", m.Blocks)
			}
			secs, _ := strconv.ParseFloat(m.TS, 64)
			for range n {
				out = append(out, time.Unix(int64(secs), 0))
			}
		}
	}
	return out
}

// Each owner of a key result of the cycle gets one review DM, at 10:00
// of the day after the end in their own zone, moved by the attention
// policy into their working hours and past their time off; an owner of
// a closed objective only gets none. Planning on three replicas at once,
// and again, plans each once, and three replicas deliver each once.
func TestPlanReviewsOncePerOwner(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			start := time.Date(2027, 3, 30, 0, 0, 0, 0, time.UTC)
			w := newReviewWorld(t, dialect, 3, start)
			tokyo := w.person("aiko", "Asia/Tokyo", "")
			london := w.person("ben", "Europe/London", "mon-fri 13:00-17:00") // BST since 28 March
			la := w.person("cara", "America/Los_Angeles", "")
			away := w.person("dev", "Europe/Berlin", "")
			closed := w.person("eve", "UTC", "")
			if _, err := w.people.AddAway(w.ctx, models.AwayPeriod{WorkspaceID: testenv.Team, UserID: away,
				First: calendar.Date{Year: 2027, Month: 4, Day: 1}, Last: calendar.Date{Year: 2027, Month: 4, Day: 1}}); err != nil {
				t.Fatal(err)
			}
			q1, err := w.store.CreateCycle(w.ctx, testenv.Team, okrs.Cycle{Name: "Q1 <!channel>", Start: calendar.Date{Year: 2027, Month: 1, Day: 1},
				End: calendar.Date{Year: 2027, Month: 3, Day: 31}}, "UA")
			if err != nil {
				t.Fatal(err)
			}
			krs := []okrs.KeyResult{
				{Title: "Ship A", Owner: tokyo, Kind: okrs.Milestone},
				{Title: "Ship B", Owner: london, Kind: okrs.Milestone},
				{Title: "Grow C", Owner: la, Kind: okrs.IncreaseTo, Start: 0, Target: 10},
				{Title: "Ship D", Owner: away, Kind: okrs.Milestone},
				{Title: "Ship E", Owner: tokyo, Kind: okrs.Milestone},
			}
			if _, err := w.store.CreateObjective(w.ctx, testenv.Team, okrs.Objective{CycleID: q1.ID, Title: "Grow", Owner: tokyo, KeyResults: krs}, tokyo); err != nil {
				t.Fatal(err)
			}
			done, err := w.store.CreateObjective(w.ctx, testenv.Team, okrs.Objective{CycleID: q1.ID, Title: "Old", Owner: closed,
				KeyResults: []okrs.KeyResult{{Title: "Gone", Kind: okrs.Milestone}}}, closed)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.store.CloseObjective(w.ctx, testenv.Team, done.ID, closed, false); err != nil {
				t.Fatal(err)
			}

			var mu sync.Mutex
			total := 0
			for round := range 2 {
				var wg sync.WaitGroup
				for i, svc := range w.svcs {
					wg.Go(func() {
						n, err := svc.PlanReviews(w.ctx, testenv.Team, q1, start.Add(time.Duration(round)*time.Hour))
						if err != nil {
							t.Errorf("PlanReviews on replica %d: %v", i, err)
						}
						mu.Lock()
						total += n
						mu.Unlock()
					})
				}
				wg.Wait()
			}
			if total != 4 {
				t.Errorf("planned %d review DMs over two rounds on three replicas, want 4 (one per owner)", total)
			}

			w.runAll(time.Date(2027, 4, 5, 0, 0, 0, 0, time.UTC))
			tests := []struct {
				user, tz string
				day      int
				hour     int
			}{
				{tokyo, "Asia/Tokyo", 1, 10},
				{london, "Europe/London", 1, 13},
				{la, "America/Los_Angeles", 1, 10},
				{away, "Europe/Berlin", 2, 9},
			}
			for _, tt := range tests {
				got := w.reviewDMs(tt.user)
				if len(got) != 1 {
					t.Errorf("%s got %d review DMs, want 1", tt.tz, len(got))
					continue
				}
				loc, _ := time.LoadLocation(tt.tz)
				l := got[0].In(loc)
				if l.Day() != tt.day || l.Month() != time.April || l.Hour() != tt.hour {
					t.Errorf("%s: review DM at %s, want 2027-04-%02d %02d:xx local", tt.tz, l, tt.day, tt.hour)
				}
			}
			if got := w.reviewDMs(closed); len(got) != 0 {
				t.Errorf("the owner of a closed objective got %d review DMs", len(got))
			}
		})
	}
}

// A review DM lists the person's key results with the grade the form
// starts from; one whose person left the cycle's key results, or was
// timed in a zone they left, is skipped with a reason.
func TestReviewComposer(t *testing.T) {
	start := time.Date(2027, 3, 30, 0, 0, 0, 0, time.UTC)
	w := newReviewWorld(t, models.DialectSQLite, 1, start)
	u := w.person("aiko", "Asia/Tokyo", "")
	q1, err := w.store.CreateCycle(w.ctx, testenv.Team, okrs.Cycle{Name: "Q1", Start: calendar.Date{Year: 2027, Month: 1, Day: 1},
		End: calendar.Date{Year: 2027, Month: 3, Day: 31}}, "UA")
	if err != nil {
		t.Fatal(err)
	}
	o, err := w.store.CreateObjective(w.ctx, testenv.Team, okrs.Objective{CycleID: q1.ID, Title: "Grow", Owner: u,
		KeyResults: []okrs.KeyResult{{Title: "Teams", Kind: okrs.IncreaseTo, Start: 40, Target: 60}}}, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.AddUpdates(w.ctx, testenv.Team, u, false, []okrs.Update{{KeyResultID: o.KeyResults[0].ID, Value: 55, Confidence: okrs.OnTrack}}, okrs.SourceForm, start); err != nil {
		t.Fatal(err)
	}
	p, err := w.people.Get(w.ctx, testenv.Team, u)
	if err != nil {
		t.Fatal(err)
	}
	comp := w.svcs[0].ReviewComposer()
	when := ReviewInstant(q1, p.Location())
	ctx := func(nominal, deliver time.Time, cycle int64) engine.Context {
		return engine.Context{Occurrence: models.Occurrence{WorkspaceID: testenv.Team, NominalAt: nominal, DeliverAt: deliver},
			OneOff: ReviewDM{Cycle: cycle}, Person: &p, Location: p.Location()}
	}
	msg, err := comp.Compose(w.ctx, ctx(when, when, q1.ID))
	if err != nil {
		t.Fatal(err)
	}
	text := mrkdwnText(t, msg.Blocks)
	for _, want := range []string{"Teams", "Grow", "55 (target 60)", "75%", "grade 0.8"} {
		if !strings.Contains(text, want) {
			t.Errorf("review DM %q lacks %q", text, want)
		}
	}
	skips := []struct {
		name string
		c    engine.Context
	}{
		{"a cycle deleted", ctx(when, when, 9999)},
		{"a zone left", ctx(when.Add(time.Hour), when.Add(time.Hour), q1.ID)},
		{"a review closed", ctx(when, when.AddDate(0, 0, 30), q1.ID)},
		{"a payload of another kind", engine.Context{Occurrence: models.Occurrence{WorkspaceID: testenv.Team, NominalAt: when}, Person: &p}},
	}
	for _, s := range skips {
		if _, err := comp.Compose(w.ctx, s.c); err == nil || !strings.HasPrefix(err.Error(), "nothing to send") {
			t.Errorf("%s: %v, want a skip", s.name, err)
		}
	}
	// Delivered late but inside the review, it still goes.
	if _, err := comp.Compose(w.ctx, ctx(when, when.AddDate(0, 0, 5), q1.ID)); err != nil {
		t.Errorf("five days late, inside the review: %v", err)
	}
	if err := w.store.CloseObjective(w.ctx, testenv.Team, o.ID, u, false); err != nil {
		t.Fatal(err)
	}
	if _, err := comp.Compose(w.ctx, ctx(when, when, q1.ID)); err == nil || !strings.HasPrefix(err.Error(), "nothing to send") {
		t.Errorf("no key result left: %v, want a skip", err)
	}
}
