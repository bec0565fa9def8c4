package peers

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// warmHarness is one replica whose teams come from api through one
// SlackTeams, with the teams each round's opening got recorded.
type warmHarness struct {
	*harness
	api *fakeProfiles

	once sync.Once
	r    *SlackTeams

	mu     sync.Mutex
	opened map[int64]map[string][]string // network → the teams its round got
}

func newWarmHarness(t *testing.T, start time.Time, api *fakeProfiles) *warmHarness {
	w := &warmHarness{api: api, opened: map[int64]map[string][]string{}}
	w.harness = newHarness(t, models.DialectSQLite, 1, start, harnessOptions{
		teams: func(*slack.Client) TeamsFunc {
			return func(ctx context.Context, ws string, n peers.Network, users []string) (map[string][]string, error) {
				got, err := w.reader().Teams(ctx, ws, n, users)
				w.mu.Lock()
				w.opened[n.ID] = got
				w.mu.Unlock()
				return got, err
			}
		},
		warm: func(*slack.Client) WarmFunc {
			return func(ctx context.Context, ws string, n peers.Network, users []string, at time.Time, b *WarmBatch) (int, error) {
				return w.reader().Warm(ctx, ws, n, users, at, b)
			}
		},
	})
	return w
}

// reader is the harness's one SlackTeams, on its clock (made at first
// use: the clock comes with the harness).
func (w *warmHarness) reader() *SlackTeams {
	w.once.Do(func() {
		w.r = NewSlackTeams(func(context.Context, string) (TeamsAPI, error) { return w.api, nil },
			TeamsOptions{Clock: w.clk, Logger: testlog.Logger(w.t)})
	})
	return w.r
}

// fieldNetwork creates a weekly intros network on Mondays from anchor
// whose teams are the profile field field, with users joined.
func (w *warmHarness) fieldNetwork(name, field string, anchor calendar.Date, users []string) peers.Network {
	w.t.Helper()
	n := peers.DefaultNetwork(peers.KindIntros)
	n.Name, n.Channel, n.ChannelTZ, n.Anchor, n.Owner = name, "C"+strings.ToUpper(name)+"1", "Europe/London", anchor, users[0]
	n.Membership, n.Cadence, n.TeamSource = peers.MembershipChosen, peers.CadenceWeekly, "field:"+field
	n, err := w.store.CreateNetwork(w.ctx, team, n)
	if err != nil {
		w.t.Fatalf("create network: %v", err)
	}
	for _, u := range users {
		if _, err := w.store.Join(w.ctx, team, n.ID, u); err != nil {
			w.t.Fatalf("join: %v", err)
		}
	}
	if err := w.svcs[0].NetworkChanged(w.ctx, team, n.ID); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// tick runs the stepper at the instant it says it is next due and
// returns that instant and the profiles it read.
func (w *warmHarness) tick() (time.Time, int) {
	w.t.Helper()
	at, _, err := w.svcs[0].NextDue(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	if at.Before(w.clk.Now()) {
		at = w.clk.Now()
	}
	w.clk.Set(at)
	before := w.api.count()
	if err := w.svcs[0].Tick(w.ctx, at); err != nil {
		w.t.Fatalf("tick at %s: %v", at, err)
	}
	return at, w.api.count() - before
}

// Teams from a profile field are read ahead of the round, a batch a
// minute per workspace over all its networks, so that the round finds
// every one kept: nothing is read before the two days ahead, none twice,
// never more than the batch in one run; once all are kept the stepper
// runs no more than hourly and reads nothing, and the round's opening
// reads nothing. Someone joining meanwhile is read at the next run.
func TestWarmTeams(t *testing.T) {
	t.Parallel()
	start := time.Date(2027, 1, 8, 21, 0, 0, 0, time.UTC) // a Friday, three hours before the read-ahead
	anchor := calendar.Date{Year: 2027, Month: time.January, Day: 11}
	opens := anchor.In(time.UTC) // London is on UTC in January
	fields, users := peopleOnTeams(200)
	w := newWarmHarness(t, start, &fakeProfiles{fields: fields})
	big := w.fieldNetwork("big", "Team", anchor, users)
	small := w.fieldNetwork("small", "Office", anchor, users[:30]) // nobody has the field: kept as on no team

	from := opens.Add(-WarmAhead)
	var warmRuns int
	var last time.Time
	joined := false
	for range 1000 {
		at, reads := w.tick()
		if !at.Before(opens) {
			if reads != 0 {
				t.Errorf("the round's opening read %d profiles, want 0", reads)
			}
			break
		}
		switch {
		case at.Before(from) && reads != 0:
			t.Errorf("%d profiles read at %s, before the read-ahead from %s", reads, at, from)
		case reads > WarmProfiles:
			t.Errorf("%d profiles read at %s, over the batch of %d", reads, at, WarmProfiles)
		case reads > 0:
			warmRuns++
		}
		if !last.IsZero() && at.Sub(last) < time.Hour && reads == 0 && !joined {
			t.Errorf("the stepper ran at %s, %s after %s, with nothing to read", at, at.Sub(last), last)
		}
		last = at
		// Once every team is kept, someone joins: read at the next run.
		if w.api.count() == 230 && !joined {
			joined = true
			if _, err := w.store.Join(w.ctx, team, big.ID, "U9999"); err != nil {
				t.Fatal(err)
			}
			if err := w.svcs[0].NetworkChanged(w.ctx, team, big.ID); err != nil {
				t.Fatal(err)
			}
			if _, reads := w.tick(); reads != 1 {
				t.Errorf("the newcomer: %d profiles read, want 1", reads)
			}
			last = time.Time{}
		}
	}
	if got, want := w.api.count(), 231; got != want {
		t.Errorf("%d profiles read in all, want %d: each once", got, want)
	}
	if want := (230 + WarmProfiles - 1) / WarmProfiles; warmRuns != want {
		t.Errorf("read over %d runs, want %d", warmRuns, want)
	}
	if got := w.opened[big.ID]; len(got) != 200 {
		t.Errorf("the big round knew %d teams, want 200", len(got))
	}
	if got, ok := w.opened[small.ID]; !ok || len(got) != 0 {
		t.Errorf("the small round: %v (opened %v), want no teams", got, ok)
	}
}

// A 429 ends the workspace's batch for the run, for every network, and the
// stepper runs again a minute later; so does running out of the batch's
// time.
func TestWarmTeamsStops(t *testing.T) {
	t.Parallel()
	anchor := calendar.Date{Year: 2027, Month: time.January, Day: 11}
	from := anchor.In(time.UTC).Add(-WarmAhead)
	fields, users := peopleOnTeams(50)
	api := &fakeProfiles{fields: fields, limitAt: 5}
	w := newWarmHarness(t, from, api)
	w.fieldNetwork("a", "Team", anchor, users[:40])
	w.fieldNetwork("b", "Office", anchor, users[40:])

	steps := []struct {
		name  string
		reads int
	}{
		{"rate limited", 5}, // four read, the fifth refused: network b is not asked
		{"a minute on", 20},
		{"the next minute", 20}, // a's last 16, then b's first 4
	}
	for _, s := range steps {
		at, reads := w.tick()
		if reads != s.reads {
			t.Errorf("%s, at %s: %d profiles read, want %d", s.name, at, reads, s.reads)
		}
		if next, _, _ := w.svcs[0].NextDue(w.ctx); !next.Equal(at.Add(time.Minute)) {
			t.Errorf("%s: next due %s, want a minute on from %s", s.name, next, at)
		}
	}

	// Each read taking a second of the clock, a run reads for WarmTime.
	api.mu.Lock()
	api.clk, api.perCall = w.clk, time.Second
	api.mu.Unlock()
	if _, reads := w.tick(); reads != int(WarmTime/time.Second) {
		t.Errorf("at a second a read: %d read in one run, want %d", reads, int(WarmTime/time.Second))
	}
}
