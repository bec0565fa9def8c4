package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/app/apptest"
	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	peerhandlers "github.com/trellis-bot/trellis/handlers/peers"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testenv"
	"github.com/trellis-bot/trellis/internal/testlog"
	jobpeers "github.com/trellis-bot/trellis/jobs/peers"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// peersWorld is Trellis as operators scale it: replicas of the App that
// serve runs (three on Postgres, one on SQLite, which one process owns),
// on one database and one Redis, all connected over Socket Mode to one
// Slack emulator, all on one simulated clock that the test moves. At each
// instant on the way every replica's engine ticks at once, as their
// minute ticks would.
type peersWorld struct {
	t     *testing.T
	ctx   context.Context
	clk   *clock.Sim
	ctl   *slacksim.Control
	apps  []*apptest.App
	db    *models.DB
	store *peers.Store
	logs  testlog.Buffer
	names map[string]string // user id → name, for messages
	zone  *time.Location    // the networks' zone, where their days start
}

// startPeersWorld starts the emulator and the replicas at start.
func startPeersWorld(t *testing.T, start time.Time) *peersWorld {
	t.Helper()
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	w := &peersWorld{t: t, ctx: context.Background(), clk: clock.NewFrozen(start), names: map[string]string{}, zone: london}
	slack := testenv.StartSlack(t, slacksim.Config{Clock: w.clk, RetryDelays: []time.Duration{0, 500 * time.Millisecond, time.Second},
		MessageCapPerMinute: 1_000_000},
		"conversations.open", "chat.postMessage", "chat.delete", "users.info", "conversations.members", "conversations.history",
		"conversations.info", "views.open", "views.update", "views.push", "chat.postEphemeral", "chat.update")
	w.ctl = slack.Control
	env, _ := apptest.DatabaseEnv(t, "")
	for k, v := range apptest.SlackEnv(t, slack.Server, "socket") {
		env[k] = v
	}
	env["TRELLIS_LOG_LEVEL"] = "info"
	replicas := 1
	if testenv.Dialect() == models.DialectPostgres {
		replicas = 3
	}
	// Slack's per-minute tiers, counted in real time, would make eight
	// simulated weeks of group DMs wait minutes: the emulator lifts its
	// limits for these methods, and the replicas pace them as fast.
	fast := bot.Rate{Limit: 1_000_000, Per: time.Minute, Burst: 1_000_000}
	rates := map[string]bot.Rate{}
	for _, m := range []string{"conversations.open", "chat.postMessage", "chat.delete", "users.info", "conversations.members",
		"conversations.history", "conversations.info", "views.open", "chat.postEphemeral", "chat.update"} {
		rates[m] = fast
	}
	for i := range replicas {
		a := apptest.Start(t, env, apptest.Options{Clock: w.clk, Rates: rates, Logs: &w.logs})
		w.apps = append(w.apps, a)
		apptest.WaitReady(t, a.URL(), w.ctl, "http") // its HTTP listener
		eventually(t, "replica "+strconv.Itoa(i)+"'s Socket Mode connection", func() error {
			info, err := w.ctl.Info(w.ctx)
			if err != nil {
				return err
			}
			if info.SocketConnections < i+1 {
				return fmt.Errorf("%d connections, want %d", info.SocketConnections, i+1)
			}
			return nil
		})
	}
	w.db = w.apps[0].DB()
	w.store = peers.NewStore(w.db)
	t.Cleanup(func() {
		if t.Failed() {
			lines := strings.Split(w.logs.String(), "\n")
			t.Logf("the replicas' last log lines:\n%s", strings.Join(lines[max(0, len(lines)-80):], "\n"))
		}
	})
	return w
}

// move runs every replica's engine, all at once, through each instant up
// to to at which there is work: a delivery due (or a lease to take
// over), and the start of each day in the networks' zone, when rounds,
// terms and sessions open. It leaves the clock at to. Like the engine's
// RunUntil, it skips the empty minutes, and also the hourly looks a
// stepper takes for changes another replica made, which find nothing in
// this story: eight weeks stay quick under -race.
func (w *peersWorld) move(to time.Time) {
	w.t.Helper()
	last := w.clk.Now()
	for range 100_000 {
		at, ok, err := w.apps[0].Engine().Schedules().NextDue(w.ctx)
		if err != nil {
			w.t.Fatalf("next due: %v", err)
		}
		l := last.In(w.zone)
		midnight := time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, w.zone)
		if !ok || midnight.Before(at) {
			at = midnight
		}
		tick := at.Truncate(time.Minute)
		if tick.Before(at) {
			tick = tick.Add(time.Minute)
		}
		if !tick.After(last) {
			tick = last.Add(time.Minute)
		}
		if tick.After(to) {
			break
		}
		w.clk.Set(tick)
		var wg sync.WaitGroup
		errs := make([]error, len(w.apps))
		for i, a := range w.apps {
			wg.Go(func() { _, errs[i] = a.Engine().Tick(w.ctx, tick) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			w.t.Fatalf("tick at %s: %v", tick.Format(time.RFC3339), err)
		}
		last = tick
	}
	if to.After(w.clk.Now()) {
		w.clk.Set(to)
	}
}

// command runs a slash command as user in channel ("" for their DM) and
// returns the reply's text.
func (w *peersWorld) command(user, channel, line string) string {
	w.t.Helper()
	res, err := w.ctl.Command(w.ctx, slacksim.CommandRequest{User: user, Text: line, Channel: channel})
	if err != nil || res.Status != 200 {
		w.t.Fatalf("%s as %s: %+v, %v", line, w.names[user], res, err)
	}
	if res.Response == nil {
		return ""
	}
	return res.Response.Text + "\n" + blockText(res.Response.Blocks)
}

// botMessages are the bot's messages in a conversation, oldest first.
func (w *peersWorld) botMessages(channel string) []slacksim.Message {
	w.t.Helper()
	msgs, err := w.ctl.Messages(w.ctx, channel, "")
	if err != nil {
		w.t.Fatalf("messages of %s: %v", channel, err)
	}
	var out []slacksim.Message
	for _, m := range msgs {
		if m.BotID != "" && !m.Ephemeral {
			out = append(out, m)
		}
	}
	return out
}

// groupMessages are the bot's messages in the group DM of exactly users.
func (w *peersWorld) groupMessages(users ...string) []slacksim.Message {
	w.t.Helper()
	msgs, err := w.ctl.GroupMessages(w.ctx, users...)
	if err != nil {
		w.t.Fatalf("group messages: %v", err)
	}
	return msgs
}

// click presses a button of a message as user.
func (w *peersWorld) click(user string, m slacksim.Message, actionID string) {
	w.t.Helper()
	res, err := w.ctl.Action(w.ctx, slacksim.ActionRequest{User: user, Channel: m.Channel, MessageTS: m.TS, ActionID: actionID})
	if err != nil || !res.OK {
		w.t.Fatalf("%s clicks %s: %+v, %v", w.names[user], actionID, res, err)
	}
}

// peerPerson is one of the story's people.
type peerPerson struct {
	name, id string
	loc      *time.Location
	hours    calendar.WorkingHours
	// away is the days off, in their zone.
	away [2]calendar.Date
}

// working reports whether at lies inside p's working hours, on one of
// their working days, not on a day off: the night shift's window belongs
// to the day it starts.
func (p peerPerson) working(at time.Time) bool {
	l := at.In(p.loc)
	day := calendar.DateOf(l)
	mins := calendar.TimeOfDay(l.Hour()*60 + l.Minute())
	off := func(d calendar.Date) bool { return !p.away[0].IsZero() && !d.Before(p.away[0]) && !d.After(p.away[1]) }
	if !p.hours.Overnight() {
		return p.hours.Days.Has(l.Weekday()) && !off(day) && mins >= p.hours.Start && mins < p.hours.End
	}
	if mins >= p.hours.Start {
		return p.hours.Days.Has(l.Weekday()) && !off(day)
	}
	prev := day.AddDays(-1)
	return mins < p.hours.End && p.hours.Days.Has(prev.Weekday()) && !off(prev)
}

// windows are p's working windows starting on the days from first to
// last (their own dates), cut to [lo, hi).
func (p peerPerson) windows(first, last calendar.Date, lo, hi time.Time) [][2]time.Time {
	var out [][2]time.Time
	for d := first.AddDays(-1); !d.After(last); d = d.AddDays(1) {
		if !p.hours.Days.Has(d.Weekday()) || (!p.away[0].IsZero() && !d.Before(p.away[0]) && !d.After(p.away[1])) {
			continue
		}
		start := d.In(p.loc).Add(time.Duration(p.hours.Start) * time.Minute)
		endDay := d
		if p.hours.Overnight() {
			endDay = d.AddDays(1)
		}
		end := endDay.In(p.loc).Add(time.Duration(p.hours.End) * time.Minute)
		if start.Before(lo) {
			start = lo
		}
		if end.After(hi) {
			end = hi
		}
		if end.After(start) {
			out = append(out, [2]time.Time{start, end})
		}
	}
	return out
}

// canMeet reports whether a and b share 30 minutes of working hours on at
// least two days between lo and hi: the matching's hard rule.
func canMeet(a, b peerPerson, first, last calendar.Date, lo, hi time.Time) bool {
	spans := 0
	for _, x := range a.windows(first, last, lo, hi) {
		for _, y := range b.windows(first, last, lo, hi) {
			s, e := x[0], x[1]
			if y[0].After(s) {
				s = y[0]
			}
			if y[1].Before(e) {
				e = y[1]
			}
			if e.Sub(s) >= 30*time.Minute {
				spans++
			}
		}
	}
	return spans >= 2
}

// timePart is one member's part of a suggested time: "Tue 2 Mar 15:00
// (Ada, London)", the day left out when it is the part before's.
var timePart = regexp.MustCompile(`^(?:([A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}) )?(\d{2}:\d{2}) \(([^,()]+), ([^()]+)\)$`)

// suggestedTimes reads the suggested times of an intro: each instant and,
// per line, the parts as written. A line that does not read as a time
// line fails the test.
func suggestedTimes(t *testing.T, m slacksim.Message, byName map[string]peerPerson, members []peerPerson) []time.Time {
	t.Helper()
	txt := blockText(m.Blocks)
	_, after, ok := strings.Cut(txt, "*Times you all work*")
	if !ok {
		return nil
	}
	var out []time.Time
	for _, line := range strings.Split(after, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "• ") {
			continue
		}
		parts := strings.Split(strings.TrimPrefix(line, "• "), " · ")
		var at time.Time
		prevDay := ""
		seen := map[string]bool{}
		for i, part := range parts {
			sub := timePart.FindStringSubmatch(part)
			if sub == nil {
				t.Errorf("intro time line %q: part %q does not read as \"Tue 2 Mar 15:00 (Name, City)\"", line, part)
				return out
			}
			p, ok := byName[sub[3]]
			if !ok {
				t.Errorf("intro time line %q names %q, who is not in the story", line, sub[3])
				return out
			}
			seen[p.id] = true
			day := sub[1]
			if i == 0 {
				if day == "" {
					t.Errorf("intro time line %q: the first part has no day", line)
					return out
				}
				var err error
				if at, err = time.ParseInLocation("Mon 2 Jan 2006 15:04", day+" 2027 "+sub[2], p.loc); err != nil {
					t.Errorf("intro time line %q: %v", line, err)
					return out
				}
			}
			local := at.In(p.loc)
			wantDay := local.Format("Mon 2 Jan")
			if day == "" {
				day = prevDay
			}
			if day != wantDay || sub[2] != local.Format("15:04") || sub[4] != cityOf(p.loc) {
				t.Errorf("intro time line %q: %s's part %q, want %s %s (%s)", line, p.name, part, wantDay, local.Format("15:04"), cityOf(p.loc))
			}
			prevDay = wantDay
		}
		for _, p := range members {
			if !seen[p.id] {
				t.Errorf("intro time line %q leaves out %s", line, p.name)
			}
		}
		out = append(out, at)
	}
	return out
}

// cityOf is a zone's city as messages write it.
func cityOf(loc *time.Location) string {
	name := loc.String()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return strings.ReplaceAll(name, "_", " ")
}

// occurrenceIDs are the engine's occurrence ids a message's metadata names.
func messageOccurrences(m slacksim.Message) []string {
	if m.Metadata == nil || m.Metadata.EventType != "trellis_occurrence" {
		return nil
	}
	var p struct {
		IDs string `json:"occurrence_ids"`
	}
	if json.Unmarshal(m.Metadata.EventPayload, &p) != nil || p.IDs == "" {
		return nil
	}
	return strings.Split(p.IDs, ",")
}

// submitNetworkForm opens the network form with /trellis network new in
// channel as user and submits it with overrides by block id.
func (w *peersWorld) submitNetworkForm(user, channel string, overrides map[string]any) {
	w.t.Helper()
	w.command(user, channel, "/trellis network new")
	stack, err := w.ctl.Views(w.ctx, user)
	if err != nil || len(stack) == 0 || stack[len(stack)-1].CallbackID != peerhandlers.CallbackNetwork {
		w.t.Fatalf("after /trellis network new, views = %+v, %v; want the network form", stack, err)
	}
	v := stack[len(stack)-1]
	st, err := slacksim.FormState(v.Blocks, overrides)
	if err != nil {
		w.t.Fatal(err)
	}
	res, err := w.ctl.SubmitView(w.ctx, v.ID, slacksim.SubmitRequest{User: user, Values: st})
	if err != nil || res.ResponseAction == "errors" || len(res.Errors) > 0 {
		w.t.Fatalf("submitting the network form: %+v, %v", res, err)
	}
}

// TestPeersEightWeeks is the peer networks' end-to-end test,
// through Slack only — slash commands, the network form and buttons
// through the emulator — on three replicas of Trellis sharing one
// Postgres (one replica on SQLite). Seven people in five zones (London,
// Berlin, New York, Kolkata with one night shift, Tokyo) make a weekly
// intros network of their channel, and four of them a circles network
// meeting every two weeks; Ben (Berlin) is away the third week. Over
// eight weeks: every round is opened once; everyone is placed or told
// (the odd one out joins a triple); every intro is one group DM sent
// inside every member's hours, suggesting times inside the hours they
// share, written in each member's own time and city; the away person is
// not paired and not written to; a pair meets again only when no
// exchange with another pair would give both new partners; each group
// gets one follow-up, answered with its buttons ("not yet" asked again
// once, "couldn't" first in line next round), and the channel one counts
// post a round, split by answer and naming nobody. The circle is formed once and welcomed once; each session's
// prompt reaches the group DM of those present once, every two weeks; the
// facilitator rotates and is never the person away; what three of them
// say they will try, through the button's form, comes back to each alone
// at their next session (the shared one reaches the circle once). An
// anonymous ask is
// refused in the circles network (below the workspace's minimum group
// size), posted without a name in the intros network and deleted with its
// code. No occurrence reaches Slack twice.
func TestPeersEightWeeks(t *testing.T) {
	start := time.Date(2027, 2, 25, 12, 0, 0, 0, time.UTC) // a Thursday
	w := startPeersWorld(t, start)
	ctx, ws := w.ctx, slacksim.DefaultTeamID
	people := models.NewPeople(w.db)

	add := func(name, tz, hours string) peerPerson {
		t.Helper()
		p, err := w.ctl.AddPerson(ctx, slacksim.NewPerson{Name: "peer-" + strings.ToLower(name), RealName: name, TZ: tz, IsAdmin: name == "Ada"})
		if err != nil {
			t.Fatal(err)
		}
		w.names[p.ID] = name
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		pp := peerPerson{name: name, id: p.ID, loc: loc, hours: calendar.DefaultWorkingHours}
		w.command(p.ID, "", "/trellis me") // Trellis reads the profile after the ack
		eventually(t, name+"'s profile read", func() error {
			got, err := people.Get(ctx, ws, p.ID)
			if err != nil || got.SlackTZ != tz {
				return fmt.Errorf("stored %+v, %v", got, err)
			}
			return nil
		})
		if hours != "" {
			if got := w.command(p.ID, "", "/trellis hours "+hours); !strings.Contains(got, "Saved") {
				t.Fatalf("%s's hours: %q", name, got)
			}
			if pp.hours, err = calendar.ParseWorkingHours(hours); err != nil {
				t.Fatal(err)
			}
		}
		return pp
	}
	ada := add("Ada", "Europe/London", "")
	ben := add("Ben", "Europe/Berlin", "")
	cleo := add("Cleo", "America/New_York", "")
	gia := add("Gia", "America/New_York", "")
	dev := add("Dev", "Asia/Kolkata", "")
	raj := add("Raj", "Asia/Kolkata", "mon-fri 22:00-06:00") // a night shift
	emi := add("Emi", "Asia/Tokyo", "")
	everyone := []peerPerson{ada, ben, cleo, gia, dev, raj, emi}
	byID, byName := map[string]peerPerson{}, map[string]peerPerson{}
	for _, p := range everyone {
		byID[p.id], byName[p.name] = p, p
	}
	// Ben is away the third week, his own dates.
	if got := w.command(ben.id, "", "/trellis away 2027-03-15 to 2027-03-21"); !strings.Contains(got, "15") {
		t.Fatalf("Ben's time off: %q", got)
	}
	ben.away = [2]calendar.Date{{Year: 2027, Month: 3, Day: 15}, {Year: 2027, Month: 3, Day: 21}}
	byID[ben.id], byName[ben.name] = ben, ben
	everyone[1] = ben

	ids := func(ps ...peerPerson) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.id)
		}
		return out
	}
	introsCh, err := w.ctl.CreateChannel(ctx, slacksim.NewChannel{Name: "peer-intros", Members: ids(everyone...)})
	if err != nil {
		t.Fatal(err)
	}
	circlesCh, err := w.ctl.CreateChannel(ctx, slacksim.NewChannel{Name: "peer-circles", Members: ids(ada, ben, cleo, gia)})
	if err != nil {
		t.Fatal(err)
	}

	// The networks, through the form: a weekly intros network of the
	// channel's people and a circles network meeting every two weeks,
	// both on Mondays, counted in London.
	form := func(kind peers.NetworkKind, cadence peers.Cadence) map[string]any {
		return map[string]any{
			peerhandlers.BlockKind:       string(kind),
			peerhandlers.BlockMembership: string(peers.MembershipChannel),
			peerhandlers.BlockCadence:    string(cadence),
			peerhandlers.BlockWeekday:    strconv.Itoa(int(time.Monday)),
			peerhandlers.BlockTZ:         "Europe/London",
		}
	}
	w.submitNetworkForm(ada.id, introsCh.ID, form(peers.KindIntros, peers.CadenceWeekly))
	w.submitNetworkForm(ada.id, circlesCh.ID, form(peers.KindCircles, peers.CadenceEvery2Weeks))
	nets, err := w.store.Networks(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	var intros, circles peers.Network
	for _, n := range nets {
		switch {
		case n.Kind == peers.KindIntros && n.Channel == introsCh.ID:
			intros = n
		case n.Kind == peers.KindCircles && n.Channel == circlesCh.ID:
			circles = n
		}
	}
	monday := calendar.Date{Year: 2027, Month: 3, Day: 1}
	if intros.ID == 0 || circles.ID == 0 || intros.Anchor != monday || circles.Anchor != monday ||
		intros.Cadence != peers.CadenceWeekly || circles.Cadence != peers.CadenceEvery2Weeks || intros.GroupSize != 2 {
		t.Fatalf("the networks made through the form: %+v", nets)
	}
	for _, c := range []struct {
		n    peers.Network
		want []string
	}{{intros, ids(everyone...)}, {circles, ids(ada, ben, cleo, gia)}} {
		ps, err := w.store.Participants(ctx, ws, c.n.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.User)
		}
		if slices.Sort(got); !slices.Equal(got, slices.Sorted(slices.Values(c.want))) {
			t.Fatalf("%s's people = %v, want the channel's %v", c.n.Name, got, c.want)
		}
	}

	// An anonymous ask: refused in the circles network (four people,
	// under the workspace's minimum group size of five), posted in the
	// intros network's channel without a name, and deleted with its code.
	if got := w.command(cleo.id, circlesCh.ID, "/trellis network ask "+circles.Name+" How do you say no to a VP?"); !strings.Contains(got, "needs at least 5") {
		t.Errorf("an ask in a network of 4: %q, want it refused for the minimum group size", got)
	}
	question := "How do you run a skip-level without it feeling like an audit?"
	reply := w.command(cleo.id, introsCh.ID, "/trellis network ask "+intros.Name+" "+question)
	code := regexp.MustCompile(`code: \*([A-Z0-9]+)\*`).FindStringSubmatch(reply)
	if code == nil {
		t.Fatalf("an ask in a network of 7: %q, want its code", reply)
	}
	// The post goes at a random 5-minute mark 2 to 15 minutes later, so
	// that its time does not point at the request.
	w.move(w.clk.Now().Add(16 * time.Minute))
	var askPost slacksim.Message
	for _, m := range w.botMessages(introsCh.ID) {
		if strings.Contains(blockText(m.Blocks), question) {
			askPost = m
		}
	}
	if askPost.TS == "" {
		t.Fatalf("the ask is not in the channel: %+v", w.botMessages(introsCh.ID))
	}
	for _, p := range everyone {
		if txt := askPost.Text + blockText(askPost.Blocks); strings.Contains(txt, p.name) || strings.Contains(txt, p.id) {
			t.Errorf("the anonymous ask names %s: %q", p.name, txt)
		}
	}
	if got := w.command(cleo.id, introsCh.ID, "/trellis network ask delete "+code[1]); !strings.Contains(got, "deleted") {
		t.Errorf("deleting the ask: %q", got)
	}
	for _, m := range w.botMessages(introsCh.ID) {
		if strings.Contains(blockText(m.Blocks), question) {
			t.Errorf("the ask is still in the channel after its deletion")
		}
	}
	if got := w.command(cleo.id, introsCh.ID, "/trellis network ask delete "+code[1]); !strings.Contains(got, "No question has the code") {
		t.Errorf("deleting the ask again: %q, want the code unknown", got)
	}

	// The admin lowers the workspace's minimum group size to 3, so that a
	// round of three intros shows its counts split by answer.
	if got := w.command(ada.id, "", "/trellis admin min-group 3"); !strings.Contains(got, "Saved") {
		t.Fatalf("/trellis admin min-group 3: %q", got)
	}

	// Eight weeks, a round a week. Within each, the clock stops just
	// after each group's follow-up, and one of the group answers with its
	// buttons: in the first round one group met, one not yet (asked again
	// once), one couldn't (first in line next round); later, all met.
	// After the first circle session, Ada and Ben say what they will try
	// (privately) and Cleo too, sharing hers with the circle.
	london := ada.loc
	const weeks = 8
	type roundInfo struct {
		round     peers.Round
		opened    time.Time
		groups    []peers.RoundGroup
		unmatched []peers.RoundUnmatched
	}
	type stop struct {
		at time.Time
		do func()
	}
	var rounds []roundInfo
	outcomes := map[int64]string{} // group → the button clicked
	secondAsk := map[int64]bool{}  // group → a second asking is due
	var couldnt []string           // the members of the group that couldn't meet
	followUpOf := func(g peers.RoundGroup, from, to time.Time, marker string) (slacksim.Message, bool) {
		for _, m := range w.groupMessages(g.Users()...) {
			if at := tsTime(m.TS); !at.Before(from) && at.Before(to) && strings.Contains(blockText(m.Blocks), marker) {
				return m, true
			}
		}
		return slacksim.Message{}, false
	}
	commitTexts := map[string]string{
		ada.id:  "Ask my team what one thing they would stop doing",
		ben.id:  "Block an hour each Friday to prepare my one-to-ones",
		cleo.id: "Say no to one meeting a week",
	}
	commit := func(p peerPerson, share bool) {
		t.Helper()
		var ask slacksim.Message
		for _, m := range w.botMessages(p.id) {
			if strings.Contains(blockText(m.Blocks), "*What will you try*") {
				ask = m
			}
		}
		if ask.TS == "" {
			t.Fatalf("%s has no \"What will you try?\" DM after the first session", p.name)
		}
		if at := tsTime(ask.TS); !p.working(at) || calendar.DateOf(at.In(p.loc)) != (calendar.Date{Year: 2027, Month: 3, Day: 2}) {
			t.Errorf("%s's \"What will you try?\" at %s, want inside their hours on the working day after the session", p.name, at.In(p.loc))
		}
		w.click(p.id, ask, jobpeers.ActionCommit)
		stack, err := w.ctl.Views(ctx, p.id)
		if err != nil || len(stack) == 0 || stack[len(stack)-1].CallbackID != peerhandlers.CallbackCommit {
			t.Fatalf("%s's views after the button = %+v, %v; want the commitment form", p.name, stack, err)
		}
		v := stack[len(stack)-1]
		over := map[string]any{peerhandlers.BlockCommitText: commitTexts[p.id]}
		if share {
			over[peerhandlers.BlockCommitShare] = []string{peerhandlers.ValueShare}
		}
		st, err := slacksim.FormState(v.Blocks, over)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := w.ctl.SubmitView(ctx, v.ID, slacksim.SubmitRequest{User: p.id, Values: st}); err != nil || res.ResponseAction == "errors" || len(res.Errors) > 0 {
			t.Fatalf("%s's commitment: %+v, %v", p.name, res, err)
		}
	}
	for week := range weeks {
		first := monday.AddDays(7 * week)
		opened := first.In(london)
		end := first.AddDays(7).In(london)
		w.move(opened.Add(time.Minute))
		r, err := w.store.RoundByNumber(ctx, ws, intros.ID, peers.RoundRound, week+1)
		if err != nil {
			t.Fatalf("round %d is not opened at %s: %v", week+1, opened, err)
		}
		gs, err := w.store.Groups(ctx, ws, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		un, err := w.store.Unmatched(ctx, ws, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		rounds = append(rounds, roundInfo{round: r, opened: opened, groups: gs, unmatched: un})
		if week == 1 {
			// The members of the group that couldn't meet: placed, and
			// their priority spent.
			for _, u := range couldnt {
				if _, ok, err := w.store.GroupOf(ctx, ws, r.ID, u); err != nil || !ok {
					t.Errorf("round 2: %s, first in line after \"couldn't\", is in no group (%v)", w.names[u], err)
				}
				if pt, err := w.store.Participant(ctx, ws, intros.ID, u); err != nil || pt.Priority {
					t.Errorf("round 2: %s placed, priority still %v (%v)", w.names[u], pt.Priority, err)
				}
			}
		}
		var stops []stop
		for gi, g := range gs {
			intro := jobpeers.IntroAt(g.Shared, opened)
			fu := jobpeers.FollowUpAt(g.Shared, intro).Add(time.Minute)
			stops = append(stops, stop{at: fu, do: func() {
				m, ok := followUpOf(g, opened, end, "*How did your intro go?*")
				if !ok {
					t.Errorf("round %d: no follow-up for %v by %s", week+1, names(w, g.Users()), fu.UTC())
					return
				}
				action := jobpeers.ActionMet
				if week == 0 {
					action = []string{jobpeers.ActionMet, jobpeers.ActionNotYet, jobpeers.ActionCouldnt}[gi%3]
				}
				users := g.Users()
				w.click(users[len(users)-1], m, action)
				outcomes[g.ID] = action
				switch action {
				case jobpeers.ActionCouldnt:
					couldnt = append(couldnt, users...)
					for _, u := range users {
						if pt, err := w.store.Participant(ctx, ws, intros.ID, u); err != nil || !pt.Priority {
							t.Errorf("after \"couldn't\", %s's priority is %v (%v), want first in line", w.names[u], pt.Priority, err)
						}
					}
				case jobpeers.ActionNotYet:
					if _, ok := jobpeers.SecondAskAt(g.Shared, w.clk.Now()); ok {
						secondAsk[g.ID] = true
					}
				}
			}})
		}
		if week == 0 {
			// The day after the first session, once everyone's 10:00 has
			// passed (New York's is 15:00 UTC).
			stops = append(stops, stop{at: time.Date(2027, 3, 2, 22, 0, 0, 0, time.UTC), do: func() {
				commit(ada, false)
				commit(ben, false)
				commit(cleo, true)
			}})
		}
		sort.SliceStable(stops, func(i, j int) bool { return stops[i].at.Before(stops[j].at) })
		for _, s := range stops {
			w.move(s.at)
			s.do()
		}
	}
	// The last round's counts, the day after it.
	w.move(monday.AddDays(7 * weeks).In(london).Add(11 * time.Hour))

	// One row per round of either network (rounds and terms), whatever
	// the replicas: eight rounds and the ninth opened on its Monday, one
	// term.
	rows, err := models.QueryRows[struct {
		NetworkID int64  `gorm:"column:network_id"`
		Kind      string `gorm:"column:kind"`
		Number    int    `gorm:"column:number"`
		N         int    `gorm:"column:n"`
	}](ctx, w.db, `SELECT network_id, kind, number, COUNT(*) AS n FROM peer_rounds GROUP BY network_id, kind, number ORDER BY network_id, kind, number`)
	if err != nil {
		t.Fatal(err)
	}
	perNetwork := map[int64]int{}
	for _, r := range rows {
		perNetwork[r.NetworkID]++
		if r.N != 1 {
			t.Errorf("network %d's %s %d is stored %d times", r.NetworkID, r.Kind, r.Number, r.N)
		}
	}
	if perNetwork[intros.ID] != weeks+1 || perNetwork[circles.ID] != 1 {
		t.Errorf("rounds stored: %+v, want %d of intros and 1 term of circles", rows, weeks+1)
	}

	// Every round is stored once, numbered 1 to 8.
	for i, ri := range rounds {
		if ri.round.Number != i+1 || ri.round.StartsOn != monday.AddDays(7*i) || ri.round.EndsOn != monday.AddDays(7*i+6) {
			t.Errorf("round %d: %+v", i+1, ri.round)
		}
	}

	// Each round: everyone placed or told; the away person neither; one
	// triple when seven take part; every intro one group DM inside
	// everyone's hours, its suggested times in their shared hours, in
	// each one's own time; one follow-up per group.
	type pairKey [2]string
	pair := func(a, b string) pairKey {
		if a > b {
			a, b = b, a
		}
		return pairKey{a, b}
	}
	met := map[pairKey]bool{}
	for i, ri := range rounds {
		first, last := ri.round.StartsOn, ri.round.EndsOn
		end := last.AddDays(1).In(london)
		placed := map[string]int{}
		triples := 0
		for _, g := range ri.groups {
			for _, u := range g.Users() {
				placed[u]++
			}
			if len(g.Members) == 3 {
				triples++
			}
		}
		told := map[string]bool{}
		for _, u := range ri.unmatched {
			told[u.User] = true
		}
		active := 0
		for _, p := range everyone {
			away := p.id == ben.id && i == 2
			notes := 0
			for _, m := range w.botMessages(p.id) {
				if at := tsTime(m.TS); !at.Before(ri.opened) && at.Before(end) && strings.Contains(blockText(m.Blocks), "*No intro for you this round in") {
					notes += strings.Count(blockText(m.Blocks), "*No intro for you this round in")
					if !p.working(at) {
						t.Errorf("round %d: the note to %s at %s, outside their hours", i+1, p.name, at.In(p.loc))
					}
				}
			}
			switch {
			case away:
				if placed[p.id] > 0 || notes > 0 {
					t.Errorf("round %d: Ben, away, is in %d groups and got %d notes; want neither", i+1, placed[p.id], notes)
				}
			case placed[p.id] == 1:
				active++
				if told[p.id] || notes > 0 {
					t.Errorf("round %d: %s is placed and also told they were left out", i+1, p.name)
				}
			case placed[p.id] == 0 && told[p.id]:
				active++
				if notes != 1 {
					t.Errorf("round %d: %s was left out and got %d notes, want 1", i+1, p.name, notes)
				}
			default:
				t.Errorf("round %d: %s is in %d groups, told: %v", i+1, p.name, placed[p.id], told[p.id])
			}
		}
		if (active%2 == 1 && len(ri.unmatched) == 0) != (triples == 1) || triples > 1 {
			t.Errorf("round %d: %d taking part, %d left out, %d triples: want one triple exactly when an odd number are all placed", i+1, active, len(ri.unmatched), triples)
		}

		for _, g := range ri.groups {
			var members []peerPerson
			for _, u := range g.Users() {
				members = append(members, byID[u])
			}
			msgs := w.groupMessages(g.Users()...)
			var introMsgs, followUps []slacksim.Message
			for _, m := range msgs {
				at := tsTime(m.TS)
				if at.Before(ri.opened) || !at.Before(end) {
					continue // another round's (a pair that meets again)
				}
				txt := blockText(m.Blocks)
				for range strings.Count(txt, "*Say hello: an intro from") {
					introMsgs = append(introMsgs, m)
				}
				for range strings.Count(txt, "*How did your intro go?*") {
					followUps = append(followUps, m)
				}
			}
			if len(introMsgs) != 1 {
				t.Errorf("round %d: the group of %v got %d intros, want 1", i+1, names(w, g.Users()), len(introMsgs))
				continue
			}
			intro := introMsgs[0]
			sent := tsTime(intro.TS)
			for _, p := range members {
				if !p.working(sent) {
					t.Errorf("round %d: the intro of %v at %s, outside %s's hours (%s there)", i+1, names(w, g.Users()), sent.UTC(), p.name, sent.In(p.loc).Format("Mon 15:04"))
				}
			}
			times := suggestedTimes(t, intro, byName, members)
			if len(times) == 0 {
				t.Errorf("round %d: the intro of %v suggests no time: %q", i+1, names(w, g.Users()), blockText(intro.Blocks))
			}
			for _, at := range times {
				if at.Before(sent.Truncate(time.Second).Add(time.Hour)) || at.Add(30*time.Minute).After(end) { // a ts is unique to the microsecond
					t.Errorf("round %d: suggested %s, not between an hour after the intro (%s) and the round's end", i+1, at.UTC(), sent.UTC())
				}
				for _, p := range members {
					if !p.working(at) || !p.working(at.Add(29*time.Minute)) {
						t.Errorf("round %d: suggested %s, outside %s's hours (%s there)", i+1, at.UTC(), p.name, at.In(p.loc).Format("Mon 15:04"))
					}
				}
			}
			var seconds []slacksim.Message
			for _, m := range msgs {
				if at := tsTime(m.TS); !at.Before(ri.opened) && at.Before(end) {
					for range strings.Count(blockText(m.Blocks), "*Did you manage to meet?*") {
						seconds = append(seconds, m)
					}
				}
			}
			if want := map[bool]int{true: 1}[secondAsk[g.ID]]; len(seconds) != want {
				t.Errorf("round %d: the group of %v (answered %q) was asked again %d times, want %d", i+1, names(w, g.Users()), outcomes[g.ID], len(seconds), want)
			}
			for _, m := range seconds {
				for _, p := range members {
					if at := tsTime(m.TS); !p.working(at) {
						t.Errorf("round %d: the second asking of %v at %s, outside %s's hours", i+1, names(w, g.Users()), at.UTC(), p.name)
					}
				}
			}
			if len(followUps) != 1 {
				t.Errorf("round %d: the group of %v got %d follow-ups, want 1", i+1, names(w, g.Users()), len(followUps))
			} else {
				at := tsTime(followUps[0].TS)
				for _, p := range members {
					if !p.working(at) {
						t.Errorf("round %d: the follow-up of %v at %s, outside %s's hours", i+1, names(w, g.Users()), at.UTC(), p.name)
					}
				}
			}
		}

		// A pair meets again only when no exchange with another pair
		// of the round would give both new partners within the rules:
		// for repeat pair {A, B} and pair {C, D}, A with C and B with
		// D, both new and both able to meet.
		lo := ri.opened
		can := func(a, b string) bool {
			pa, pb := byID[a], byID[b]
			return canMeet(pa, pb, first, last, lo, end)
		}
		for _, g := range ri.groups {
			us := g.Users()
			for x := 0; x < len(us); x++ {
				for y := x + 1; y < len(us); y++ {
					a, b := us[x], us[y]
					if !met[pair(a, b)] {
						continue
					}
					for _, h := range ri.groups {
						if h.ID == g.ID || len(h.Members) != 2 || len(us) != 2 {
							continue
						}
						c, d := h.Users()[0], h.Users()[1]
						for _, sw := range [][2]string{{c, d}, {d, c}} {
							for _, ab := range [][2]string{{a, b}, {b, a}} {
								if !met[pair(ab[0], sw[0])] && !met[pair(ab[1], sw[1])] && can(ab[0], sw[0]) && can(ab[1], sw[1]) {
									t.Errorf("round %d: %s and %s meet again, though %s could meet %s and %s %s, all new",
										i+1, w.names[a], w.names[b], w.names[ab[0]], w.names[sw[0]], w.names[ab[1]], w.names[sw[1]])
								}
							}
						}
					}
				}
			}
		}
		for _, g := range ri.groups {
			us := g.Users()
			for x := 0; x < len(us); x++ {
				for y := x + 1; y < len(us); y++ {
					met[pair(us[x], us[y])] = true
				}
			}
		}
	}

	// The counts: one post a round in the channel, the day after it at
	// 10:00 in London, naming nobody.
	var counts []slacksim.Message
	for _, m := range w.botMessages(introsCh.ID) {
		for range strings.Count(blockText(m.Blocks), "This round:") {
			counts = append(counts, m)
		}
	}
	if len(counts) != weeks {
		t.Errorf("%d counts posts, want %d", len(counts), weeks)
	}
	for i, m := range counts {
		at := tsTime(m.TS).In(london)
		want := monday.AddDays(7 * (i + 1)).In(london).Add(10 * time.Hour)
		if !at.Equal(want) {
			t.Errorf("counts post %d at %s, want %s", i+1, at, want)
		}
		txt := m.Text + blockText(m.Blocks)
		if i < len(rounds) {
			c := map[string]int{}
			for _, g := range rounds[i].groups {
				c[outcomes[g.ID]]++
			}
			gs := len(rounds[i].groups)
			want := fmt.Sprintf("This round: %d intros — %d met, %d not yet, %d couldn't, %d no answer", gs,
				c[jobpeers.ActionMet], c[jobpeers.ActionNotYet], c[jobpeers.ActionCouldnt], gs-c[jobpeers.ActionMet]-c[jobpeers.ActionNotYet]-c[jobpeers.ActionCouldnt])
			if !strings.Contains(txt, want) {
				t.Errorf("counts post %d: %q, want %q", i+1, txt, want)
			}
		}
		for _, p := range everyone {
			if strings.Contains(txt, p.name) || strings.Contains(txt, p.id) {
				t.Errorf("counts post %d names %s: %q", i+1, p.name, txt)
			}
		}
	}

	// Circles: one term, one circle of the four, welcomed once; a
	// session every two weeks, its prompt once to the group DM of those
	// present; the facilitator rotating, always present, never Ben while
	// he is away.
	term, err := w.store.RoundByNumber(ctx, ws, circles.ID, peers.RoundTerm, 1)
	if err != nil {
		t.Fatalf("the circles' term: %v", err)
	}
	if _, err := w.store.RoundByNumber(ctx, ws, circles.ID, peers.RoundTerm, 2); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a second term within the first's months: %v", err)
	}
	cs, err := w.store.Groups(ctx, ws, term.ID)
	if err != nil {
		t.Fatal(err)
	}
	circleOf := slices.Sorted(slices.Values(ids(ada, ben, cleo, gia)))
	if len(cs) != 1 || !slices.Equal(slices.Sorted(slices.Values(cs[0].Users())), circleOf) {
		t.Fatalf("the circles of the term: %+v, want one of the four", cs)
	}
	circle := cs[0]
	welcomes := 0
	for _, m := range w.groupMessages(circleOf...) {
		welcomes += strings.Count(blockText(m.Blocks), "*Welcome to your circle*")
	}
	if welcomes != 1 {
		t.Errorf("the circle got %d welcomes, want 1", welcomes)
	}
	all, err := w.store.Sessions(ctx, ws, circle.ID)
	if err != nil {
		t.Fatal(err)
	}
	var sessions []peers.Session // the eight weeks' (the ninth Monday's opened too)
	for _, ss := range all {
		if ss.On.Before(monday.AddDays(7 * weeks)) {
			sessions = append(sessions, ss)
		}
	}
	if len(sessions) != weeks/2 {
		t.Fatalf("%d sessions over %d weeks, want %d: %+v", len(sessions), weeks, weeks/2, sessions)
	}
	facilitators := map[string]bool{}
	for i, ss := range sessions {
		wantOn := monday.AddDays(14 * i)
		if ss.Number != i+1 || ss.On != wantOn {
			t.Errorf("session %d: number %d on %s, want on %s", i+1, ss.Number, ss.On, wantOn)
		}
		wantPresent := circleOf
		if ss.On == (calendar.Date{Year: 2027, Month: 3, Day: 15}) {
			wantPresent = slices.Sorted(slices.Values(ids(ada, cleo, gia)))
		}
		if got := slices.Sorted(slices.Values(ss.Present)); !slices.Equal(got, wantPresent) {
			t.Errorf("session %d: present %v, want %v", i+1, names(w, got), names(w, wantPresent))
		}
		if !slices.Contains(ss.Present, ss.Facilitator) {
			t.Errorf("session %d: the facilitator %s is not present", i+1, w.names[ss.Facilitator])
		}
		if facilitators[ss.Facilitator] {
			t.Errorf("session %d: %s facilitates again while others present have not", i+1, w.names[ss.Facilitator])
		}
		facilitators[ss.Facilitator] = true
		var prompts []slacksim.Message
		for _, m := range w.groupMessages(wantPresent...) {
			for range strings.Count(blockText(m.Blocks), fmt.Sprintf("*Circle session %d* of", ss.Number)) {
				prompts = append(prompts, m)
			}
		}
		if len(prompts) != 1 {
			t.Errorf("session %d: %d prompts in the group DM of those present, want 1", i+1, len(prompts))
			continue
		}
		at := tsTime(prompts[0].TS)
		if calendar.DateOf(at.In(london)) != ss.On {
			t.Errorf("session %d: its prompt at %s, not on its day %s", i+1, at.In(london), ss.On)
		}
		for _, u := range wantPresent {
			if !byID[u].working(at) {
				t.Errorf("session %d: its prompt at %s, outside %s's hours", i+1, at.UTC(), w.names[u])
			}
		}
		if txt := blockText(prompts[0].Blocks); !strings.Contains(txt, "<@"+ss.Facilitator+"> facilitates this time") || !strings.Contains(txt, "Today's prompt") {
			t.Errorf("session %d's prompt: %q, want the facilitator and the prompt", i+1, txt)
		}
	}

	// What each said they would try came back to them alone, in their
	// own DM, at their next session: Ada's and Cleo's on 15 March, Ben's
	// (away that day) on 29 March; Cleo's, shared, reached the circle
	// once; no commitment is in any other conversation.
	recallOn := map[string]calendar.Date{ada.id: {Year: 2027, Month: 3, Day: 15}, cleo.id: {Year: 2027, Month: 3, Day: 15}, ben.id: {Year: 2027, Month: 3, Day: 29}}
	for _, p := range []peerPerson{ada, ben, cleo, gia} {
		var recalls []time.Time
		for _, m := range w.botMessages(p.id) {
			txt := blockText(m.Blocks)
			for range strings.Count(txt, "Last time you said you'd try") {
				recalls = append(recalls, tsTime(m.TS))
				if !strings.Contains(txt, commitTexts[p.id]) {
					t.Errorf("%s's recall: %q, want their own commitment %q", p.name, txt, commitTexts[p.id])
				}
			}
		}
		want, ok := recallOn[p.id]
		switch {
		case !ok && len(recalls) > 0:
			t.Errorf("%s, who committed to nothing, got %d recalls", p.name, len(recalls))
		case ok && len(recalls) != 1:
			t.Errorf("%s got %d recalls, want 1 (at the session of %s)", p.name, len(recalls), want)
		case ok && (calendar.DateOf(recalls[0].In(london)) != want || !p.working(recalls[0])):
			t.Errorf("%s's recall at %s, want inside their hours on %s", p.name, recalls[0].In(p.loc), want)
		}
	}
	allConvs, err := w.ctl.Conversations(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	shared := 0
	for _, c := range allConvs {
		for _, m := range w.botMessages(c.ID) {
			txt := m.Text + blockText(m.Blocks)
			for author, text := range commitTexts {
				if !strings.Contains(txt, text) {
					continue
				}
				own := c.Kind == "im" && slices.Contains(c.Members, author)
				circleDM := c.Kind == "mpim" && slices.Equal(slices.Sorted(slices.Values(slices.DeleteFunc(slices.Clone(c.Members), func(u string) bool { return byID[u].id == "" }))), circleOf)
				switch {
				case own:
				case author == cleo.id && circleDM && strings.Contains(txt, "shares what they will try"):
					shared++
				default:
					t.Errorf("%s's commitment is in conversation %s (%s of %v): %q", w.names[author], c.ID, c.Kind, names(w, c.Members), txt)
				}
			}
		}
	}
	if shared != 1 {
		t.Errorf("Cleo's shared commitment reached her circle %d times, want 1", shared)
	}

	// Everyone answered every follow-up: nobody was asked to pause.
	for _, p := range everyone {
		for _, m := range w.botMessages(p.id) {
			if strings.Contains(blockText(m.Blocks), "Shall I pause your intros") {
				t.Errorf("%s was asked whether to pause, having answered: %q", p.name, blockText(m.Blocks))
			}
		}
	}

	// No occurrence reached Slack twice, whichever replica sent it.
	convs, err := w.ctl.Conversations(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	total := 0
	for _, c := range convs {
		for _, m := range w.botMessages(c.ID) {
			for _, id := range messageOccurrences(m) {
				total++
				if prev, dup := seen[id]; dup {
					t.Errorf("occurrence %s delivered twice: %s and %s/%s", id, prev, c.ID, m.TS)
				}
				seen[id] = c.ID + "/" + m.TS
			}
		}
	}
	if total == 0 {
		t.Errorf("no message carries an occurrence id: nothing was checked")
	}
	t.Logf("%d replicas; %d occurrences delivered over %d weeks", len(w.apps), total, weeks)
}

// names are users' names, for messages.
func names(w *peersWorld, users []string) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = w.names[u]
	}
	return out
}
