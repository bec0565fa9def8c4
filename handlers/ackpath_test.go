package handlers_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// liveBot serves the fixture's handlers as Trellis does in production: the
// emulator delivers signed HTTP requests, with Slack's own 3 s ack
// deadline, to a Dispatcher whose Slack client goes through the paced
// Transport. The Transport's clock is its own, so a test lapses a 429
// block by moving it instead of waiting.
type liveBot struct {
	clk *clock.Sim
}

func (f *fixture) live(t *testing.T) *liveBot {
	t.Helper()
	log := testlog.Logger(t)
	tclk := clock.NewSim(time.Now())
	tr := bot.NewTransport(bot.TransportConfig{TeamID: team, Clock: tclk, Logger: log.With("component", "transport"),
		Sleep: func(ctx context.Context, d time.Duration) error {
			until := tclk.Now().Add(d)
			tick := time.NewTicker(2 * time.Millisecond)
			defer tick.Stop()
			for tclk.Now().Before(until) {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-tick.C:
				}
			}
			return nil
		}})
	api := slack.New(slacksim.DefaultBotToken, slack.OptionAPIURL(f.sim.APIURL()), slack.OptionHTTPClient(tr))
	d := bot.NewDispatcher(bot.DispatcherConfig{Logger: log.With("component", "dispatch"), Handler: f.mux,
		Clients: fixedClient{api}, AfterTimeout: time.Minute})
	srv := httptest.NewServer(bot.NewHTTPHandler(d, slacksim.DefaultSigningSecret, clock.System{}, log))
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = d.Shutdown(ctx)
	})
	f.sim.SetHTTPDelivery(srv.URL+"/slack/events", srv.URL+"/slack/commands", srv.URL+"/slack/interactions")
	return &liveBot{clk: tclk}
}

type fixedClient struct{ api *slack.Client }

func (c fixedClient) ClientFor(context.Context, string) (*slack.Client, error) { return c.api, nil }

// blockings are the ways users.info can keep a caller waiting: held
// unanswered until released, or answered 429 with an hour's Retry-After,
// which the Transport honours for every later call of the method.
var blockings = []struct {
	name    string
	block   func(f *fixture) error
	release func(f *fixture, lb *liveBot) error
}{
	{"hangs",
		func(f *fixture) error {
			_, err := f.ctl.AddFault(f.ctx, slacksim.Fault{Method: "users.info", Hang: true})
			return err
		},
		func(f *fixture, _ *liveBot) error { return f.ctl.ClearFaults(f.ctx, "users.info") }},
	{"429 for an hour",
		func(f *fixture) error {
			_, err := f.ctl.AddFault(f.ctx, slacksim.Fault{Method: "users.info", Every: 1, RetryAfter: 3600})
			return err
		},
		func(f *fixture, lb *liveBot) error {
			// Slack answers again before the hour is up for the Transport,
			// so nothing it sends after the hour meets the old 429.
			err := f.ctl.ClearFaults(f.ctx, "users.info")
			lb.clk.Advance(61 * time.Minute)
			return err
		}},
}

// TestFirstSeenPersonIsAckedWhileUsersInfoIsBlocked: a person Trellis has
// never read from Slack runs /trellis me, opens the Home tab, presses a Home
// button and runs /trellis tz (whose purpose is a form) while users.info is
// blocked. Every one is acked before Slack's deadline (the emulator
// records none as timed out) with a reply that claims no timezone Trellis
// does not know, and the form opens. Once users.info answers again the
// profile is stored and the next command shows the zone from Slack.
func TestFirstSeenPersonIsAckedWhileUsersInfoIsBlocked(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		for _, b := range blockings {
			t.Run(dialect+"/"+b.name, func(t *testing.T) {
				f := newFixture(t, dialect)
				lb := f.live(t)
				ctx := f.ctx
				nia, err := f.ctl.AddPerson(ctx, slacksim.NewPerson{Name: "nia", RealName: "Nia Okafor", TZ: "Asia/Tokyo"})
				if err != nil {
					t.Fatal(err)
				}
				if err := b.block(f); err != nil {
					t.Fatal(err)
				}

				me := f.liveCommand(nia.ID, "/trellis me")
				if strings.Contains(me, "Asia/Tokyo") || strings.Contains(me, "UTC (from your Slack profile)") || !strings.Contains(me, "not known yet") {
					t.Errorf("/trellis me before the profile is read claims a zone or hides that it is unknown:\n%s", me)
				}

				home, err := f.ctl.OpenHome(ctx, nia.ID)
				if err != nil || !home.OK {
					t.Fatalf("app_home_opened: %+v, %v; want it acked", home, err)
				}
				v := waitHome(t, f, nia.ID, func(blocks string) bool { return strings.Contains(blocks, views.ActionEditHours) })
				if !strings.Contains(v, "not known yet") || strings.Contains(v, "Asia/Tokyo") {
					t.Errorf("the Home tab before the profile is read claims a zone or hides that it is unknown:\n%s", v)
				}

				res, err := f.ctl.Action(ctx, slacksim.ActionRequest{User: nia.ID, ActionID: views.ActionEditHours})
				if err != nil || !res.OK {
					t.Fatalf("Home button: %+v, %v; want it acked", res, err)
				}
				f.wantModal(nia.ID, views.CallbackHours)
				if _, err := f.ctl.CloseView(ctx, topView(t, f, nia.ID), nia.ID); err != nil {
					t.Fatal(err)
				}

				tz := f.liveCommand(nia.ID, "/trellis tz")
				if tz != "" {
					t.Errorf("/trellis tz answered %q; want its form", tz)
				}
				f.wantModal(nia.ID, views.CallbackTZ)

				for _, d := range f.deliveries() {
					// Those before the live bot went to no one.
					if d.Mode == slacksim.ModeHTTP && !d.Acked {
						t.Errorf("delivery %s %s was not acked in time: %s", d.Kind, d.Type, d.Error)
					}
				}
				if p, err := f.ppl.Get(ctx, team, nia.ID); err == nil && p.SlackTZ != "" {
					t.Fatalf("the profile was read while users.info was blocked: %+v", p)
				}

				if err := b.release(f, lb); err != nil {
					t.Fatal(err)
				}
				// The reads scheduled after the acks, or the next command's,
				// store the profile; the command after that shows it.
				deadline := time.Now().Add(30 * time.Second)
				for {
					me = f.liveCommand(nia.ID, "/trellis me")
					if strings.Contains(me, "Asia/Tokyo") {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("the profile was never stored after users.info answered again; /trellis me:\n%s", me)
					}
					time.Sleep(20 * time.Millisecond)
				}
				p, err := f.ppl.Get(ctx, team, nia.ID)
				if err != nil || p.Name != "Nia Okafor" || p.SlackTZ != "Asia/Tokyo" {
					t.Errorf("stored profile %+v, %v; want Nia Okafor in Asia/Tokyo", p, err)
				}
				if _, err := f.ctl.OpenHome(ctx, nia.ID); err != nil {
					t.Fatal(err)
				}
				waitHome(t, f, nia.ID, func(blocks string) bool { return strings.Contains(blocks, "Asia/Tokyo") })
			})
		}
	}
}

// liveCommand runs a command through the emulator and returns the text of
// its ack, after checking it was acked in time and is not the "still
// working" note of a handler that missed the deadline.
func (f *fixture) liveCommand(user, line string) string {
	f.t.Helper()
	res, err := f.ctl.Command(f.ctx, slacksim.CommandRequest{User: user, Text: line})
	if err != nil || !res.OK {
		f.t.Fatalf("%s: %+v, %v; want it acked in time", line, res, err)
	}
	if res.Response == nil {
		return ""
	}
	text := res.Response.Text + "\n" + string(res.Response.Blocks)
	if strings.Contains(text, "taking longer than it should") || strings.Contains(text, "Something went wrong") {
		f.t.Fatalf("%s: the handler missed the ack or failed: %s", line, text)
	}
	return text
}

func (f *fixture) wantModal(user, callbackID string) {
	f.t.Helper()
	stack, err := f.ctl.Views(f.ctx, user)
	if err != nil || len(stack) == 0 || stack[len(stack)-1].CallbackID != callbackID {
		f.t.Fatalf("views of %s = %+v, %v; want the %s form open", user, stack, err, callbackID)
	}
}

func topView(t *testing.T, f *fixture, user string) string {
	t.Helper()
	stack, err := f.ctl.Views(f.ctx, user)
	if err != nil || len(stack) == 0 {
		t.Fatalf("views of %s = %+v, %v", user, stack, err)
	}
	return stack[len(stack)-1].ID
}

func (f *fixture) deliveries() []slacksim.Delivery {
	f.t.Helper()
	ds, err := f.ctl.Deliveries(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return ds
}

// waitHome waits for the person's published Home tab to satisfy ok: it is
// published after the ack. The wait only stops a hang.
func waitHome(t *testing.T, f *fixture, user string, ok func(blocks string) bool) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, err := f.ctl.Home(f.ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		if v != nil && ok(string(v.Blocks)) {
			return string(v.Blocks)
		}
		if time.Now().After(deadline) {
			t.Fatalf("Home tab of %s never became as expected: %v", user, v)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNoRouteWaitsOnUsersInfo is the property over every surface: with
// users.info hung for good, every action id and view callback id the
// router knows (each with every payload of forgeries()), every /trellis
// subcommand and every event Trellis subscribes to is answered — its
// handler returns — from a person whose Slack profile was never read, and
// no reply names a zone "from your Slack profile" that Trellis does not
// know. A handler that waited on users.info would never return.
func TestNoRouteWaitsOnUsersInfo(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, dialect)
			// Omar, whom every payload comes from, has never been read from
			// Slack: his row has his settings and no name or zone.
			if _, err := f.ppl.SyncProfile(f.ctx, models.Person{WorkspaceID: team, UserID: f.omar}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.ctl.AddFault(f.ctx, slacksim.Fault{Method: "users.info", Hang: true}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = f.ctl.ClearFaults(context.Background(), "") })

			cases := forgeries()
			actions, callbacks := f.mux.Routes()
			for _, id := range slices.Concat(actions, callbacks, f.mux.SuggestionRoutes()) {
				if len(cases[id]) == 0 {
					t.Errorf("no payloads for %q: add its cases to forgeries()", id)
				}
				for _, fc := range cases[id] {
					t.Run(id+"/"+fc.name, func(t *testing.T) {
						f.t = t
						f.ack(fc.req(f))
					})
				}
			}
			for _, line := range ackCommands(f) {
				for _, ch := range []string{f.omarMsg.Channel, f.teamCh} {
					t.Run("/trellis "+line+" in "+ch, func(t *testing.T) {
						f.t = t
						resp := f.ack(&bot.Request{Kind: bot.KindCommand, UserID: f.omar, ChannelID: ch,
							Command: &slack.SlashCommand{Command: handlers.Command, Text: line, UserID: f.omar, ChannelID: ch, TeamID: team}})
						if resp == nil || resp.Body == nil {
							t.Errorf("no reply")
						}
					})
				}
			}
			for _, ev := range ackEvents(f) {
				t.Run("event "+ev.Type, func(t *testing.T) {
					f.t = t
					f.ack(&bot.Request{Kind: bot.KindEvent, UserID: f.omar, EventID: "Ev" + ev.Type, Event: ev})
				})
			}
			if p, err := f.ppl.Get(f.ctx, team, f.omar); err != nil || p.SlackTZ != "" {
				t.Errorf("Omar's profile %+v, %v: read while users.info hung", p, err)
			}
		})
	}
}

// ack serves req on the ack path, as the dispatcher would but with no
// deadline, and returns the ack. The work left for after the ack is
// dropped: it may wait on users.info, which is its right. The generous
// wait only stops a hung test.
func (f *fixture) ack(req *bot.Request) *bot.Response {
	f.t.Helper()
	req.TeamID, req.Slack = team, f.api
	type result struct {
		resp *bot.Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := f.mux.ServeSlack(context.Background(), req)
		done <- result{resp, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(time.Minute):
		f.t.Fatalf("the handler has not returned while users.info hangs: it waits on Slack before the ack")
	}
	req.TakeAfter()
	if r.err != nil {
		f.t.Fatalf("handler error (a person would see a failure): %v", r.err)
	}
	if r.resp != nil {
		raw, err := json.Marshal(r.resp.Body)
		if err != nil {
			f.t.Fatal(err)
		}
		if strings.Contains(string(raw), "UTC (from your Slack profile)") || strings.Contains(string(raw), "follows your Slack profile (now") {
			f.t.Errorf("the reply names a zone from Slack that Trellis does not know: %s", raw)
		}
	}
	return r.resp
}

// ackCommands are /trellis lines covering every subcommand, with and
// without arguments.
func ackCommands(f *fixture) []string {
	id := strconv.FormatInt(f.teamC.ID, 10)
	return []string{"", "help", "me", "hours", "hours mon-fri 09:00-17:00", "hours default", "tz", "tz Europe/Berlin", "tz auto",
		"away", "away 3d", "back", "holidays", "holidays regions", "holidays region", "holidays region GB", "holidays region XX",
		"budget", "budget 2", "budget default", "admin", "admin audit", "admin hours", "admin budget 3", "admin holidays region GB",
		"checkin", "checkin list", "checkin new", "checkin edit " + id, "checkin pause " + id, "checkin resume " + id,
		"checkin run " + id, "checkin export " + id, "checkin delete 999999", "nonsense"}
}

// ackEvents are the events Trellis subscribes to.
func ackEvents(f *fixture) []*slackevents.EventsAPIInnerEvent {
	var change slackevents.UserChangeEvent
	change.User.ID, change.User.TZ = f.lena, "UTC"
	return []*slackevents.EventsAPIInnerEvent{
		{Type: "app_home_opened", Data: &slackevents.AppHomeOpenedEvent{User: f.omar, Tab: "home"}},
		{Type: "user_change", Data: &change},
		{Type: "member_joined_channel", Data: &slackevents.MemberJoinedChannelEvent{Type: "member_joined_channel", User: f.omar, Channel: f.teamCh}},
		{Type: "member_left_channel", Data: &slackevents.MemberLeftChannelEvent{Type: "member_left_channel", User: f.omar, Channel: f.secretCh}},
		{Type: "app_uninstalled"},
		{Type: "tokens_revoked"},
	}
}

// TestNeededSlackCallsGiveUpInTime: a call a reply cannot do without waits
// for Slack no longer than the ack allows. With views.open 429-blocked for
// an hour (the Transport holds every later call back for that hour),
// /trellis tz is acked in Slack's time saying Slack is busy, and a Home
// button that opens a form tells its presser so by DM after the ack; with
// conversations.members hung, exporting everyone's answers and listing
// one's check-ins in a DM are acked saying Slack could not be asked. The
// emulator records every delivery as acked before its 3 s deadline.
func TestNeededSlackCallsGiveUpInTime(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			f := newFixture(t, dialect)
			f.live(t)
			ctx := f.ctx
			t.Cleanup(func() { _ = f.ctl.ClearFaults(context.Background(), "") })
			if _, err := f.ctl.AddFault(ctx, slacksim.Fault{Method: "views.open", Every: 1, RetryAfter: 3600}); err != nil {
				t.Fatal(err)
			}
			busy := "Slack is busy and didn't let me open the form in time"
			if got := f.liveCommand(f.lena, "/trellis tz"); !strings.Contains(got, busy) {
				t.Errorf("/trellis tz with views.open blocked answered %q; want it to say Slack is busy", got)
			}
			if got := f.liveCommand(f.lena, "/trellis tz"); !strings.Contains(got, busy) {
				t.Errorf("/trellis tz again, while the Transport holds views.open back, answered %q; want it to say Slack is busy", got)
			}
			if _, err := f.ctl.OpenHome(ctx, f.lena); err != nil {
				t.Fatal(err)
			}
			waitHome(t, f, f.lena, func(blocks string) bool { return strings.Contains(blocks, views.ActionEditHours) })
			res, err := f.ctl.Action(ctx, slacksim.ActionRequest{User: f.lena, ActionID: views.ActionEditHours})
			if err != nil || !res.OK {
				t.Fatalf("Home button with views.open blocked: %+v, %v; want it acked", res, err)
			}
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if _, err := f.ctl.WaitMessages(wctx, f.lena, f.lena, func(ms []slacksim.Message) bool {
				for _, m := range ms {
					if strings.Contains(m.Text, busy) {
						return true
					}
				}
				return false
			}); err != nil {
				t.Errorf("the Home button's presser was never told the form could not open: %v", err)
			}
			if stack, err := f.ctl.Views(ctx, f.lena); err != nil || len(stack) != 0 {
				t.Errorf("views %+v, %v; want none open", stack, err)
			}

			if _, err := f.ctl.AddFault(ctx, slacksim.Fault{Method: "conversations.members", Hang: true}); err != nil {
				t.Fatal(err)
			}
			lenaDM := f.lenaMsg.Channel
			res2, err := f.ctl.Command(ctx, slacksim.CommandRequest{User: f.lena, Channel: lenaDM, Text: "/trellis checkin export " + strconv.FormatInt(f.teamC.ID, 10)})
			if err != nil || !res2.OK || res2.Response == nil || !strings.Contains(res2.Response.Text, "couldn't check with Slack") {
				t.Errorf("export of everyone's answers with conversations.members hung: %+v, %v; want an ack saying Slack could not be asked", res2, err)
			}
			// The member lists the Home tab read are a minute old by now.
			f.clk.Advance(2 * time.Minute)
			list := f.liveCommand(f.lena, "/trellis checkin list")
			if !strings.Contains(list, "Slack didn't tell me in time") {
				t.Errorf("/trellis checkin list in a DM with conversations.members hung answered %q; want it to say some are not listed", list)
			}
			for _, d := range f.deliveries() {
				if d.Mode == slacksim.ModeHTTP && !d.Acked {
					t.Errorf("delivery %s %s was not acked in time: %s", d.Kind, d.Type, d.Error)
				}
			}
		})
	}
}

// TestDatesWaitForTheZone: which day "tomorrow" is depends on the person's
// timezone. A person Trellis has not read from Slack yet, in Kiritimati
// (UTC+14, where Monday 10:00 UTC is already Tuesday), asks for tomorrow
// off. While users.info is blocked, the command changes nothing and says
// why, instead of taking UTC's date for theirs; once Slack answers, the
// same command reads the profile first and records their Wednesday.
func TestDatesWaitForTheZone(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		for _, b := range blockings {
			t.Run(dialect+"/"+b.name, func(t *testing.T) {
				f := newFixture(t, dialect)
				lb := f.live(t)
				ctx := f.ctx
				kai, err := f.ctl.AddPerson(ctx, slacksim.NewPerson{Name: "kai", RealName: "Kai Teuea", TZ: "Pacific/Kiritimati"})
				if err != nil {
					t.Fatal(err)
				}
				if err := b.block(f); err != nil {
					t.Fatal(err)
				}
				for _, line := range []string{"/trellis away tomorrow", "/trellis back"} {
					if got := f.liveCommand(kai.ID, line); !strings.Contains(got, "still reading your timezone") {
						t.Errorf("%s before the zone is known answered %q; want it to wait for the zone", line, got)
					}
				}
				if got, err := f.ppl.AwayPeriods(ctx, team, kai.ID, calendar.DateOf(monday10).AddDays(-7)); err != nil || len(got) != 0 {
					t.Fatalf("time off recorded without a known zone: %+v, %v", got, err)
				}

				if err := b.release(f, lb); err != nil {
					t.Fatal(err)
				}
				if got := f.liveCommand(kai.ID, "/trellis away tomorrow"); !strings.Contains(got, "Enjoy your time off") {
					t.Fatalf("/trellis away tomorrow once Slack answers: %q", got)
				}
				got, err := f.ppl.AwayPeriods(ctx, team, kai.ID, calendar.DateOf(monday10).AddDays(-7))
				if err != nil || len(got) != 1 {
					t.Fatalf("time off: %+v, %v; want one period", got, err)
				}
				if want := calendar.DateOf(monday10).AddDays(2); got[0].First != want || got[0].Last != want {
					t.Errorf("tomorrow in Kiritimati recorded as %v–%v, want %v (Wednesday there)", got[0].First, got[0].Last, want)
				}
			})
		}
	}
}
