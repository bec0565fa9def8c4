package slacksim

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/trellis-bot/trellis/clock"
)

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "10.1.2.3:0", "example.com:80"} {
		s := New(Config{})
		if err := s.Start(addr); err == nil {
			t.Errorf("Start(%q) succeeded, want a refusal", addr)
		}
		_ = s.Close()
	}
}

func TestControlBadRequests(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	var ce *ControlError
	checks := []struct {
		name string
		err  error
	}{
		{"unknown person", func() error {
			_, err := e.ctl.Command(ctx, CommandRequest{User: "UNOBODY", Text: "/trellis"})
			return err
		}()},
		{"no slash", func() error { _, err := e.ctl.Command(ctx, CommandRequest{User: DemoAda, Text: "trellis"}); return err }()},
		{"bad tz", func() error { _, err := e.ctl.AddPerson(ctx, NewPerson{Name: "x", TZ: "Mars/Olympus"}); return err }()},
		{"bot as person", func() error { _, err := e.ctl.Views(ctx, "U0TRELLIS"); return err }()},
		{"no element", func() error { _, err := e.ctl.Action(ctx, ActionRequest{User: DemoAda, ActionID: "nope"}); return err }()},
		{"no view", func() error { _, err := e.ctl.SubmitView(ctx, "V0NOPE", SubmitRequest{User: DemoAda}); return err }()},
		{"bad fault", func() error { _, err := e.ctl.AddFault(ctx, Fault{Method: "x", Every: 2, Next: 2}); return err }()},
	}
	for _, c := range checks {
		if !errors.As(c.err, &ce) || ce.Status != http.StatusBadRequest || ce.Message == "" {
			t.Errorf("%s: error %v, want HTTP 400 with a message", c.name, c.err)
		}
	}
	resp, err := http.Post(e.srv.URL()+"/control/people", "application/json", strings.NewReader(`{"name":`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed JSON: HTTP %d, want 400", resp.StatusCode)
	}

	sys := New(Config{Clock: clock.System{}})
	if err := sys.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	if _, err := NewControl(sys.URL()).AdvanceClock(ctx, time.Hour); !errors.As(err, &ce) || ce.Status != http.StatusConflict {
		t.Errorf("moving the system clock: %v, want 409", err)
	}
}

func TestPeopleAndClock(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	bot := newHTTPBot(t, e.srv.cfg.SigningSecret)
	bot.attach(e)

	people, err := e.ctl.People(ctx)
	if err != nil || len(people) != 6 {
		t.Fatalf("People = %d, %v; want the six demo people", len(people), err)
	}
	e.srv.SeedDemo() // idempotent
	if again, _ := e.ctl.People(ctx); len(again) != 6 {
		t.Errorf("after a second SeedDemo: %d people", len(again))
	}
	p, err := e.ctl.AddPerson(ctx, NewPerson{Name: "sam", RealName: "Sam Roy", TZ: "Australia/Adelaide", StatusText: "Out sick", StatusEmoji: ":face_with_thermometer:"})
	if err != nil || p.ID == "" || p.DM == "" || p.TZOffset != 34200 {
		t.Fatalf("AddPerson = %+v, %v", p, err)
	}
	u, err := e.api.GetUserInfo(p.ID)
	if err != nil || u.TZ != "Australia/Adelaide" || u.Profile.StatusText != "Out sick" {
		t.Errorf("users.info for the new person = %+v, %v", u, err)
	}

	// Noor's vacation ends when the clock passes its expiry, and the bot is told.
	st, err := e.ctl.AdvanceClock(ctx, 5*24*time.Hour+time.Minute)
	if err != nil || !st.Simulated || !st.Now.Equal(testStart.Add(5*24*time.Hour+time.Minute)) {
		t.Fatalf("AdvanceClock = %+v, %v", st, err)
	}
	eventually(t, "user_change for Noor", func() bool {
		bot.mu.Lock()
		defer bot.mu.Unlock()
		for _, ev := range bot.events {
			if uc, ok := ev.inner.(*slackevents.UserChangeEvent); ok && uc.User.ID == DemoNoor && uc.User.Profile.StatusText == "" {
				return true
			}
		}
		return false
	})
	if st, err := e.ctl.SetClock(ctx, testStart); err != nil || !st.Now.Equal(testStart) {
		t.Errorf("SetClock = %+v, %v", st, err)
	}

	// Message ts follow the workspace clock.
	_, ts, err := e.api.PostMessage(DemoAda, slack.MsgOptionText("at noon", false))
	if err != nil || !strings.HasPrefix(ts, "1719835200.") {
		t.Errorf("ts = %q, %v; want the frozen clock's second 1719835200", ts, err)
	}
}

func TestChannelsAndHome(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	bot := newHTTPBot(t, e.srv.cfg.SigningSecret)
	bot.attach(e)
	bot.onEvent = func(_ int, ev slackevents.EventsAPIEvent, w http.ResponseWriter) bool {
		if ho, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent); ok {
			home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
				slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "Hi <@"+ho.User+">", false, false), nil, nil),
			}}}
			if _, err := e.api.PublishView(ho.User, home, ""); err != nil {
				t.Errorf("PublishView: %v", err)
			}
		}
		return false
	}
	hr, err := e.ctl.OpenHome(ctx, DemoMei)
	if err != nil || !hr.OK || hr.View == nil || hr.View.Type != "home" {
		t.Fatalf("OpenHome = %+v, %v", hr, err)
	}

	c, err := e.ctl.CreateChannel(ctx, NewChannel{Name: "standup", Members: []string{DemoAda}})
	if err != nil || c.Kind != "channel" || len(c.Members) != 2 {
		t.Fatalf("CreateChannel = %+v, %v", c, err)
	}
	if _, err := e.ctl.JoinChannel(ctx, c.ID, DemoRavi); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ctl.LeaveChannel(ctx, c.ID, DemoAda); err != nil {
		t.Fatal(err)
	}
	eventually(t, "join and leave events", func() bool {
		bot.mu.Lock()
		defer bot.mu.Unlock()
		var joinedRavi, leftAda bool
		for _, ev := range bot.events {
			switch x := ev.inner.(type) {
			case *slackevents.MemberJoinedChannelEvent:
				joinedRavi = joinedRavi || (x.User == DemoRavi && x.Channel == c.ID)
			case *slackevents.MemberLeftChannelEvent:
				leftAda = leftAda || (x.User == DemoAda && x.Channel == c.ID)
			}
		}
		return joinedRavi && leftAda
	})
	convs, err := e.ctl.Conversations(ctx, DemoRavi)
	if err != nil || len(convs) != 3 { // DM, #team, #standup
		t.Errorf("Ravi's conversations = %+v, %v", convs, err)
	}

	if _, err := e.ctl.Uninstall(ctx, UninstallRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.AuthTest(); slackErr(err) != "token_revoked" {
		t.Errorf("after uninstall: %v, want token_revoked", err)
	}
	eventually(t, "uninstall events", func() bool {
		bot.mu.Lock()
		defer bot.mu.Unlock()
		n := 0
		for _, ev := range bot.events {
			if ev.typ == "app_uninstalled" || ev.typ == "tokens_revoked" {
				n++
			}
		}
		return n == 2
	})
	if _, err := e.ctl.Install(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.AuthTest(); err != nil {
		t.Errorf("after reinstall: %v", err)
	}
}

func TestStateFileSurvivesRestart(t *testing.T) {
	path := t.TempDir() + "/state.json"
	ctx := testCtx(t)
	a := New(Config{StateFile: path, Clock: clock.NewFrozen(testStart)})
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	a.SeedDemo()
	api := slack.New(DefaultBotToken, slack.OptionAPIURL(a.APIURL()))
	_, ts, err := api.PostMessage(DemoAda, slack.MsgOptionText("remember me", false))
	if err != nil {
		t.Fatal(err)
	}
	sam, err := NewControl(a.URL()).AddPerson(ctx, NewPerson{Name: "sam", TZ: "Asia/Kolkata"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	b := New(Config{StateFile: path, Clock: clock.NewFrozen(testStart)})
	if err := b.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.SeedDemo()
	ctl := NewControl(b.URL())
	msgs, err := ctl.Messages(ctx, DemoAda, "")
	if err != nil || len(msgs) != 1 || msgs[0].TS != ts || msgs[0].Text != "remember me" {
		t.Errorf("messages after restart = %+v, %v", msgs, err)
	}
	people, _ := ctl.People(ctx)
	if len(people) != 7 {
		t.Errorf("people after restart = %d, want 7", len(people))
	}
	p, err := ctl.AddPerson(ctx, NewPerson{Name: "kim", TZ: "UTC"})
	if err != nil || p.ID == sam.ID {
		t.Errorf("new person after restart = %+v, %v (sam was %s)", p, err, sam.ID)
	}
}
