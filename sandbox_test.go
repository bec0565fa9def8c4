package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/internal/slacksim"
)

// The sandbox's clock runs the delivery engine: moving it forward a week
// delivers the demo schedule's message to each demo person at 09:30 on
// their own weekdays, once per day, never to Noor while she is away, and
// /trellis me forecasts the next one. The seeded key results' owners also
// get one OKR nudge, on Tuesday at 10:00 their time, and the seeded peer
// networks meet in group DMs.
func TestSandboxClockRunsTheEngine(t *testing.T) {
	env, h := sandboxEnv(t, t.TempDir(), "")
	stop := h.launch(env)
	defer stop()
	h.waitReady("socket")
	ctl := h.ctl
	ctx := context.Background()

	start, err := ctl.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	to := start.Now.Add(8 * 24 * time.Hour)
	if _, err := ctl.SetClock(ctx, to); err != nil {
		t.Fatalf("move the clock: %v", err)
	}

	zones := map[string]string{
		slacksim.DemoAda:    "Europe/London",
		slacksim.DemoRavi:   "Asia/Kolkata",
		slacksim.DemoMei:    "Asia/Tokyo",
		slacksim.DemoJordan: "America/Los_Angeles",
	}
	for user, tz := range zones {
		loc, _ := time.LoadLocation(tz)
		msgs := botDMs(t, ctl, user)
		days := map[string]bool{}
		nudges, asks := 0, 0
		for _, m := range msgs {
			at := tsTime(m.TS).In(loc)
			// What is due together comes in one DM, a line each: the
			// OKR nudge, and the circle's "what will you try" the
			// working day after its session (Ada's and Jordan's).
			var okr, ask bool
			for _, line := range strings.Split(m.Text, "\n") {
				okr = okr || strings.HasPrefix(line, "OKR update:")
				ask = ask || line == "What will you try before your next circle session?"
			}
			if okr {
				if nudges++; at.Weekday() != time.Tuesday || at.Format("15:04") != "10:00" || nudges > 1 {
					t.Errorf("%s: OKR nudge at %s local, want one, on Tuesday at 10:00", user, at.Format(time.RFC1123))
				}
			}
			if ask {
				if asks++; at.Format("15:04") != "10:00" || at.Weekday() == time.Saturday || at.Weekday() == time.Sunday || asks > 1 ||
					(user != slacksim.DemoAda && user != slacksim.DemoJordan) {
					t.Errorf("%s: circle ask at %s local, want one, to Ada and Jordan, on a weekday at 10:00", user, at.Format(time.RFC1123))
				}
			}
			if okr || ask {
				continue
			}
			if at.Format("15:04") != "09:30" || at.Weekday() == time.Saturday || at.Weekday() == time.Sunday {
				t.Errorf("%s: message at %s local, want weekdays 09:30", user, at.Format(time.RFC1123))
			}
			if days[at.Format("2006-01-02")] {
				t.Errorf("%s: two messages on %s", user, at.Format("Mon 2 Jan"))
			}
			days[at.Format("2006-01-02")] = true
			if !strings.Contains(m.Text, "Good morning") {
				t.Errorf("%s: text %q", user, m.Text)
			}
		}
		if len(days) < 5 {
			t.Errorf("%s got messages on %d days in 8, want at least 5 (weekdays)", user, len(days))
		}
	}
	if msgs := botDMs(t, ctl, slacksim.DemoNoor); len(msgs) > 3 {
		t.Errorf("Noor, away for five days, got %d messages", len(msgs))
	}
	// The seeded peer networks met within the week, in group DMs: Ada's
	// intro, her circle's first session, Ravi and Mei's learning pair.
	groups := groupTexts(t, ctl, slacksim.DemoAda) + groupTexts(t, ctl, slacksim.DemoMei)
	for _, want := range []string{"Intro from Coffee intros", "Circle session 1 of Managers' circle", "A new learning pair: sql"} {
		if !strings.Contains(groups, want) {
			t.Errorf("Ada's and Mei's group DMs hold no %q:\n%s", want, groups)
		}
	}
	// Noor paused the intros while she is away: a group of hers comes
	// only in a later round, once she is back.
	convs, err := ctl.Conversations(ctx, slacksim.DemoNoor)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range convs {
		if c.Kind != "mpim" {
			continue
		}
		msgs, err := ctl.Messages(ctx, c.ID, slacksim.DemoNoor)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if at := tsTime(m.TS); at.Before(start.Now.Add(5 * 24 * time.Hour)) {
				t.Errorf("Noor, away and paused, got %q at %s", m.Text, at)
			}
		}
	}
	// What the sandbox's docs say to try about them answers.
	for _, c := range []struct{ user, line, want string }{
		{slacksim.DemoAda, "/trellis network list", "Managers' circle"},
		{slacksim.DemoAda, "/trellis network why Coffee intros", "you're meeting"},
	} {
		if got := h.command(c.user, c.line); !strings.Contains(got, c.want) {
			t.Errorf("%s as %s: %q, want %q in it", c.line, c.user, got, c.want)
		}
	}
	if got := h.command(slacksim.DemoAda, "/trellis me"); !strings.Contains(got, "Coming up") || !strings.Contains(got, "Sandbox demo: good morning") {
		t.Errorf("/trellis me does not forecast the demo message:\n%s", got)
	}
}

// botDMs returns the bot's messages in a person's DM.
func botDMs(t *testing.T, ctl *slacksim.Control, user string) []slacksim.Message {
	t.Helper()
	convs, err := ctl.Conversations(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	var out []slacksim.Message
	for _, c := range convs {
		if c.Kind != "im" {
			continue
		}
		msgs, err := ctl.Messages(context.Background(), c.ID, user)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.BotID != "" {
				out = append(out, m)
			}
		}
	}
	return out
}

// groupTexts returns the bot's messages in the group DMs a person is in,
// a line each.
func groupTexts(t *testing.T, ctl *slacksim.Control, user string) string {
	t.Helper()
	convs, err := ctl.Conversations(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range convs {
		if c.Kind != "mpim" {
			continue
		}
		msgs, err := ctl.Messages(context.Background(), c.ID, user)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.BotID != "" {
				out = append(out, m.Text)
			}
		}
	}
	return strings.Join(out, "\n")
}

// tsTime is the instant a Slack ts names.
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, _ := strconv.ParseInt(sec, 10, 64)
	us, _ := strconv.ParseInt(frac, 10, 64)
	return time.Unix(s, us*1000)
}
