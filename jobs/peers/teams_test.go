package peers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/kv"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

// Team channels through the emulator: each channel is one team of its
// members, every page of them; someone in neither is on no known team;
// only the network's people are labelled.
func TestChannelTeams(t *testing.T) {
	var api *slack.Client
	h := newHarness(t, models.DialectSQLite, 1, time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC), harnessOptions{
		teams: func(c *slack.Client) TeamsFunc {
			api = c
			return NewSlackTeams(func(context.Context, string) (TeamsAPI, error) { return api, nil }, TeamsOptions{}).Teams
		}})
	var people []string
	for _, name := range []string{"Ana", "Ben", "Cai", "Dee", "Eli"} {
		people = append(people, h.person(name, "Europe/London", ""))
	}
	pay, err := h.ctl.CreateChannel(h.ctx, slacksim.NewChannel{Name: "team-pay", Members: people[:2]})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := h.ctl.CreateChannel(h.ctx, slacksim.NewChannel{Name: "team-ops", Members: append([]string{people[1]}, people[2:4]...)})
	if err != nil {
		t.Fatal(err)
	}
	n := peers.Network{TeamSource: "channels:" + pay.ID + "," + ops.ID}
	got, err := h.svcs[0].teams(h.ctx, team, n, people[:4])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{people[0]: {pay.ID}, people[1]: {pay.ID, ops.ID}, people[2]: {ops.ID}, people[3]: {ops.ID}}
	for u, w := range want {
		if !slices.Equal(got[u], w) {
			t.Errorf("teams of %s = %v, want %v", h.names[u], got[u], w)
		}
	}
	if len(got[people[4]]) != 0 {
		t.Errorf("Eli, not in the network, is labelled %v", got[people[4]])
	}
}

// Teams from a profile field through the emulator: users.profile.get
// with its labels, the field matched whatever its case, its value
// trimmed and lower-cased; someone without it, or outside the network,
// is on no known team. A second call within the day reads no profile.
func TestFieldTeamsThroughSlack(t *testing.T) {
	var api *slack.Client
	h := newHarness(t, models.DialectSQLite, 1, time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC), harnessOptions{
		teams: func(c *slack.Client) TeamsFunc {
			api = c
			return NewSlackTeams(func(context.Context, string) (TeamsAPI, error) { return api, nil }, TeamsOptions{}).Teams
		}})
	fields := map[string]map[string]string{
		"Ana": {"Team": "Payments", "Office": "Leeds"},
		"Ben": {"team": " payments "},
		"Cai": {"Team": "Ops"},
		"Dee": {"Office": "Lagos"},
		"Eli": {"Team": "Ops"},
	}
	var people []string
	for _, name := range []string{"Ana", "Ben", "Cai", "Dee", "Eli"} {
		u := h.person(name, "Europe/London", "")
		if _, err := h.ctl.UpdatePerson(h.ctx, u, slacksim.PersonPatch{Fields: fields[name]}); err != nil {
			t.Fatal(err)
		}
		people = append(people, u)
	}
	if err := h.ctl.ClearCalls(h.ctx); err != nil {
		t.Fatal(err)
	}
	n := peers.Network{ID: 1, TeamSource: "field:TEAM"}
	for round := range 2 {
		got, err := h.svcs[0].teams(h.ctx, team, n, people[:4])
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{people[0]: {"payments"}, people[1]: {"payments"}, people[2]: {"ops"}}
		if len(got) != len(want) {
			t.Errorf("round %d: %d people on teams, want %d: %v", round, len(got), len(want), got)
		}
		for u, w := range want {
			if !slices.Equal(got[u], w) {
				t.Errorf("round %d: teams of %s = %v, want %v", round, h.names[u], got[u], w)
			}
		}
	}
	calls, err := h.ctl.Calls(h.ctx, "users.profile.get")
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 4 {
		t.Errorf("%d users.profile.get calls over two rounds, want 4: one per member, once", len(calls))
	}
}

// fakeProfiles serves profiles with custom fields, as users.profile.get
// with include_labels does, and counts the calls. Each call moves clk on
// by perCall; the call numbered limitAt (from 1) is refused with a 429.
type fakeProfiles struct {
	mu      sync.Mutex
	fields  map[string]map[string]string // user → label → value
	calls   int
	clk     *clock.Sim
	perCall time.Duration
	limitAt int
}

func (f *fakeProfiles) GetUsersInConversationContext(context.Context, *slack.GetUsersInConversationParameters) ([]string, string, error) {
	return nil, "", nil
}

func (f *fakeProfiles) GetUserProfileContext(_ context.Context, p *slack.GetUserProfileParameters) (*slack.UserProfile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.clk != nil {
		f.clk.Advance(f.perCall)
	}
	if f.calls == f.limitAt {
		return nil, &slack.RateLimitedError{RetryAfter: 30 * time.Second}
	}
	if _, ok := f.fields[p.UserID]; !ok {
		return nil, slack.SlackErrorResponse{Err: "user_not_found"}
	}
	prof := &slack.UserProfile{}
	m := map[string]slack.UserProfileCustomField{}
	i := 0
	for label, v := range f.fields[p.UserID] {
		if p.IncludeLabels {
			m["Xf"+strings.Repeat("0", i)] = slack.UserProfileCustomField{Label: label, Value: v}
		}
		i++
	}
	prof.Fields.SetMap(m)
	return prof, nil
}

func (f *fakeProfiles) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// peopleOnTeams is n people, each on team "t<i mod 3>", ids U0000….
func peopleOnTeams(n int) (map[string]map[string]string, []string) {
	fields := map[string]map[string]string{}
	var users []string
	for i := range n {
		u := fmt.Sprintf("U%04d", i)
		fields[u] = map[string]string{"Team": fmt.Sprintf("T%d", i%3)}
		users = append(users, u)
	}
	return fields, users
}

var fieldNetwork = peers.Network{ID: 7, TeamSource: "field:team"}

func TestFieldTeams(t *testing.T) {
	api := &fakeProfiles{fields: map[string]map[string]string{
		"U1": {"Team": "Payments", "Office": "Leeds"},
		"U2": {"team": " payments "},
		"U3": {"Office": "Lagos"},
	}}
	teams := NewSlackTeams(func(context.Context, string) (TeamsAPI, error) { return api, nil }, TeamsOptions{}).Teams
	got, err := teams(context.Background(), "T1", peers.Network{TeamSource: "field:TEAM"}, []string{"U1", "U2", "U3", "U9"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got["U1"]) != 1 || got["U1"][0] != got["U2"][0] || len(got["U3"]) != 0 || len(got["U9"]) != 0 {
		t.Errorf("teams = %v; want U1 and U2 on one team, U3 and U9 (gone) on none", got)
	}
}

// The cache: what one call read, the next one does not read again, for a
// day by the injected clock (someone on no team included); then it reads
// again. Workspaces and fields are kept apart.
func TestFieldTeamsCache(t *testing.T) {
	clk := clock.NewFrozen(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	fields, users := peopleOnTeams(5)
	fields["U0000"] = map[string]string{"Office": "Leeds"}
	api := &fakeProfiles{fields: fields}
	teams := NewSlackTeams(func(context.Context, string) (TeamsAPI, error) { return api, nil }, TeamsOptions{Clock: clk}).Teams
	ctx := context.Background()
	read := func(ws string, n peers.Network, want int) map[string][]string {
		t.Helper()
		before := api.count()
		got, err := teams(ctx, ws, n, users)
		if err != nil {
			t.Fatal(err)
		}
		if d := api.count() - before; d != want {
			t.Errorf("%d profile reads, want %d", d, want)
		}
		return got
	}
	first := read("T1", fieldNetwork, 5)
	if again := read("T1", fieldNetwork, 0); !mapsEqual(first, again) || len(again) != 4 {
		t.Errorf("from the cache: %v; first read %v", again, first)
	}
	read("T2", fieldNetwork, 5)                                     // another workspace
	read("T1", peers.Network{ID: 8, TeamSource: "field:Office"}, 5) // another field
	read("T1", peers.Network{ID: 9, TeamSource: "field:TEAM"}, 0)   // the same field, another network
	clk.Advance(TeamTTL - time.Second)
	read("T1", fieldNetwork, 0)
	clk.Advance(time.Second)
	read("T1", fieldNetwork, 5)
}

// Redis shares the cache: what one replica read, another does not read
// again; and a Redis that dies leaves each replica its own cache.
func TestFieldTeamsSharedCache(t *testing.T) {
	clk := clock.NewFrozen(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	fields, users := peopleOnTeams(6)
	store := testenv.Redis(t)
	ctx := context.Background()
	apiA, apiB := &fakeProfiles{fields: fields}, &fakeProfiles{fields: fields}
	a := NewSlackTeams(func(context.Context, string) (TeamsAPI, error) { return apiA, nil }, TeamsOptions{Cache: store, Clock: clk}).Teams
	b := NewSlackTeams(func(context.Context, string) (TeamsAPI, error) { return apiB, nil }, TeamsOptions{Cache: store, Clock: clk}).Teams
	gotA, err := a(ctx, "T1", fieldNetwork, users)
	if err != nil {
		t.Fatal(err)
	}
	gotB, err := b(ctx, "T1", fieldNetwork, users)
	if err != nil {
		t.Fatal(err)
	}
	if apiA.count() != 6 || apiB.count() != 0 || !mapsEqual(gotA, gotB) || len(gotB) != 6 {
		t.Errorf("replica A read %d, B %d (want 6, 0); A %v, B %v", apiA.count(), apiB.count(), gotA, gotB)
	}
	// The day is over by the injected clock for Redis's copy too.
	clk.Advance(TeamTTL)
	if _, err := b(ctx, "T1", fieldNetwork, users); err != nil || apiB.count() != 6 {
		t.Errorf("after a day B read %d profiles (%v), want 6", apiB.count(), err)
	}

	dead, err := kv.Open(ctx, testlog.Logger(t), "", "trellis-test:dead:")
	if err != nil {
		t.Fatal(err)
	}
	_ = dead.Close()
	apiC := &fakeProfiles{fields: fields}
	c := NewSlackTeams(func(context.Context, string) (TeamsAPI, error) { return apiC, nil }, TeamsOptions{Cache: dead, Clock: clk}).Teams
	for range 2 {
		got, err := c(ctx, "T1", fieldNetwork, users)
		if err != nil || len(got) != 6 {
			t.Fatalf("with Redis dead: %v, %v", got, err)
		}
	}
	if apiC.count() != 6 {
		t.Errorf("with Redis dead, %d profile reads over two calls, want 6", apiC.count())
	}
}

// A large population is read over several calls, each within its budget
// (here each read takes 1 s of the injected clock, the budget 15 s): each
// returns what it knows without an error, and the next reads on.
func TestFieldTeamsBudget(t *testing.T) {
	clk := clock.NewFrozen(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	fields, users := peopleOnTeams(40)
	api := &fakeProfiles{fields: fields, clk: clk, perCall: time.Second}
	teams := NewSlackTeams(func(context.Context, string) (TeamsAPI, error) { return api, nil },
		TeamsOptions{Clock: clk, Budget: 15 * time.Second, Logger: testlog.Logger(t)}).Teams
	for i, want := range []struct{ known, reads int }{{15, 15}, {30, 30}, {40, 40}, {40, 40}} {
		got, err := teams(context.Background(), "T1", fieldNetwork, users)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if len(got) != want.known || api.count() != want.reads {
			t.Errorf("call %d: %d on known teams after %d reads, want %d after %d", i, len(got), api.count(), want.known, want.reads)
		}
		for u, ts := range got {
			if len(ts) != 1 || ts[0] != strings.ToLower(fields[u]["Team"]) {
				t.Errorf("call %d: %s on %v, want %s", i, u, ts, fields[u]["Team"])
			}
		}
	}
	// A context already at its end reads nothing and fails nothing.
	_, more := peopleOnTeams(50)
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	before := api.count()
	if got, err := teams(ctx, "T1", fieldNetwork, more); err != nil || len(got) != 40 || api.count() != before {
		t.Errorf("at the context's end: %d known, %v, %d reads; want the 40 kept, no error, no read", len(got), err, api.count()-before)
	}
}

// A 429 stops the reads at once, without waiting it out: what was read
// is returned and kept, and the next call reads on.
func TestFieldTeamsRateLimited(t *testing.T) {
	fields, users := peopleOnTeams(10)
	api := &fakeProfiles{fields: fields, limitAt: 4}
	teams := NewSlackTeams(func(context.Context, string) (TeamsAPI, error) { return api, nil }, TeamsOptions{Logger: testlog.Logger(t)}).Teams
	got, err := teams(context.Background(), "T1", fieldNetwork, users)
	if err != nil || len(got) != 3 || api.count() != 4 {
		t.Fatalf("rate limited: %d known after %d calls, %v; want 3 after 4, no error", len(got), api.count(), err)
	}
	got, err = teams(context.Background(), "T1", fieldNetwork, users)
	if err != nil || len(got) != 10 || api.count() != 11 {
		t.Errorf("next call: %d known after %d calls, %v; want 10 after 11", len(got), api.count(), err)
	}
}

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
