package checkins_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/checkins"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

func TestCheckinActionIDs(t *testing.T) {
	for got, want := range map[string]string{
		checkins.ActionCheckinAnswer: "checkin:answer",
		checkins.ActionCheckinSkip:   "checkin:skip",
		checkins.ActionCheckinSnooze: "checkin:snooze",
		checkins.ActionCheckinEdit:   "checkin:edit",
	} {
		if got != want {
			t.Errorf("action id %q, want %q", got, want)
		}
	}
	if got := checkins.PromptBlockID(12); got != "checkin_prompt_12" {
		t.Errorf("PromptBlockID(12) = %q", got)
	}
	if got := checkins.PromptActionsBlockID(12); got != "checkin_actions_12" {
		t.Errorf("PromptActionsBlockID(12) = %q", got)
	}
}

func promptInput(t *testing.T, roundID, checkinID int64) checkins.PromptInput {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	c := checkinmodels.Templates()[0].Checkin
	c.ID, c.ChannelID = checkinID, "C0TEAM"
	c.Questions = append(c.Questions, checkinmodels.Question{Kind: checkinmodels.KindScale, Prompt: "How's the team?", Options: []string{"low", "high"}, Anonymous: true})
	return checkins.PromptInput{
		Checkin:       c,
		Round:         checkinmodels.Round{ID: roundID, CheckinID: checkinID},
		RoundLabel:    "Daily stand-up · Tue 24 Nov",
		AnswersGoTo:   "the thread in <#C0TEAM>",
		ClosesAt:      time.Date(2026, 11, 24, 16, 30, 0, 0, time.UTC),
		Loc:           berlin,
		SnoozeOptions: checkins.SnoozeOptions(),
	}
}

func TestCheckinPrompt(t *testing.T) {
	in := promptInput(t, 12, 7)
	got, blocks := checkins.CheckinPrompt(in)
	checkDM(t, "prompt", got, blocks)
	if want := "Daily stand-up · Tue 24 Nov: 4 questions for you"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	sec := blockByID(t, blocks, "checkin_prompt_12")
	if sec == nil || sec["type"] != "section" {
		t.Fatalf("no section checkin_prompt_12 in %s", blockJSON(t, blocks))
	}
	body := mrkdwnOf(sec["text"])
	for _, want := range []string{
		"*Daily stand-up · Tue 24 Nov*\nTime for your answers.",
		"• What did you get done yesterday?\n• What will you work on today?\n• Is anything blocking you?\n• How's the team? _(anonymous)_",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("prompt lacks %q:\n%s", want, body)
		}
	}
	all := blockJSON(t, blocks)
	if want := "Your answers go to the thread in <#C0TEAM>. Open until Tue 24 Nov, 17:30 your time."; !strings.Contains(all, want) {
		t.Errorf("prompt lacks %q:\n%s", want, all)
	}

	acts := blockByID(t, blocks, "checkin_actions_12")
	if acts == nil || acts["type"] != "actions" {
		t.Fatalf("no actions block checkin_actions_12 in %s", all)
	}
	els := elements(acts)
	if len(els) != 3 {
		t.Fatalf("%d elements, want Answer, Skip and Snooze: %v", len(els), els)
	}
	for i, want := range []struct{ typ, action, label, value, style string }{
		{"button", "checkin:answer", "Answer", "12:7", "primary"},
		{"button", "checkin:skip", "Skip this one", "12:7", ""},
		{"static_select", "checkin:snooze", "", "", ""},
	} {
		e := els[i]
		if e["type"] != want.typ || e["action_id"] != want.action || str(e["value"]) != want.value || str(e["style"]) != want.style {
			t.Errorf("element %d = %v, want %+v", i, e, want)
		}
		if want.label != "" && mrkdwnOf(e["text"]) != want.label {
			t.Errorf("element %d label %q, want %q", i, mrkdwnOf(e["text"]), want.label)
		}
	}
	if p := mrkdwnOf(els[2]["placeholder"]); p != "Snooze…" {
		t.Errorf("snooze placeholder %q", p)
	}
	opts, _ := els[2]["options"].([]any)
	if len(opts) != len(in.SnoozeOptions) {
		t.Fatalf("%d snooze options, want %d", len(opts), len(in.SnoozeOptions))
	}
	for i, o := range opts {
		o := o.(map[string]any)
		want := in.SnoozeOptions[i]
		if str(o["value"]) != checkins.SnoozeValue(want.Minutes, 12, 7) || mrkdwnOf(o["text"]) != want.Label {
			t.Errorf("snooze option %d = %v, want %+v", i, o, want)
		}
	}
	if all := reportMrkdwn(t, got, blocks); strings.Contains(all, "<@") || strings.Contains(all, "<!") {
		t.Errorf("the prompt mentions someone:\n%s", all)
	}

	// No snooze options: no menu.
	in.SnoozeOptions = nil
	_, blocks = checkins.CheckinPrompt(in)
	if els := elements(blockByID(t, blocks, "checkin_actions_12")); len(els) != 2 {
		t.Errorf("without snooze options, %d elements, want 2: %v", len(els), els)
	}
}

func TestCheckinPromptLeads(t *testing.T) {
	in := promptInput(t, 12, 7)
	in.Checkin.Reminders = 2
	lead := func(in checkins.PromptInput) (string, string) {
		got, blocks := checkins.CheckinPrompt(in)
		checkDM(t, "prompt", got, blocks)
		return got, mrkdwnOf(blockByID(t, blocks, "checkin_prompt_12")["text"])
	}
	in.Reminder = 1
	got, body := lead(in)
	if !strings.Contains(body, "\nReminder: this is still waiting for your answer.\n") || !strings.HasPrefix(got, "Reminder: ") {
		t.Errorf("first reminder: %q\n%s", got, body)
	}
	in.Reminder = 2
	if _, body = lead(in); !strings.Contains(body, "This is the last reminder") {
		t.Errorf("last reminder does not say so:\n%s", body)
	}
	in.Reminder, in.Snoozed = 0, true
	if got, body = lead(in); !strings.Contains(body, "You snoozed this earlier") || strings.Contains(body, "Reminder") || !strings.HasPrefix(got, "Snoozed earlier: ") {
		t.Errorf("snoozed: %q\n%s", got, body)
	}

	// Without AnswersGoTo, the destination says where answers go.
	in = promptInput(t, 12, 7)
	in.AnswersGoTo = ""
	in.ClosesAt = time.Time{}
	in.Checkin.Destination = checkinmodels.DestinationDigest
	_, blocks := checkins.CheckinPrompt(in)
	info := blockJSON(t, blocks)
	if !strings.Contains(info, "Your answers go to your teammates' digests.") || strings.Contains(info, "Open until") {
		t.Errorf("digest destination, no closing time:\n%s", info)
	}
}

// longCheckin has the longest questions and name, full of markup to
// escape and characters of several bytes.
func longCheckin(id int64, questions int) checkinmodels.Checkin {
	c := checkinmodels.NewCheckin()
	c.ID, c.ChannelID = id, "C0TEAM"
	c.Name = "<!channel> " + strings.Repeat("日&", checkinmodels.MaxNameLen)
	for i := range questions {
		c.Questions = append(c.Questions, checkinmodels.Question{Kind: checkinmodels.KindChoice, Anonymous: i%2 == 0, Options: []string{"a", "b"},
			Prompt: fmt.Sprintf("%d <@U0EVIL> %s", i, strings.Repeat("<&>é", 200))})
	}
	return c
}

func TestCheckinPromptLimits(t *testing.T) {
	for _, n := range []int{checkinmodels.MaxQuestions, 40} {
		in := promptInput(t, 12, 7)
		in.Checkin = longCheckin(7, n)
		in.RoundLabel = strings.Repeat("<日>", 300)
		in.Reminder, in.Snoozed = 1, true
		for i := range 150 {
			in.SnoozeOptions = append(in.SnoozeOptions, checkins.SnoozeOption{Minutes: i + 1, Label: strings.Repeat("é", 200)})
		}
		where := fmt.Sprintf("%d long questions", n)
		got, blocks := checkins.CheckinPrompt(in)
		checkDM(t, where, got, blocks)
		if all := reportMrkdwn(t, got, blocks); strings.Contains(all, "<@") || strings.Contains(all, "<!") {
			t.Errorf("%s: the prompt mentions someone:\n%.2000s", where, all)
		}
		body := mrkdwnOf(blockByID(t, blocks, "checkin_prompt_12")["text"])
		if n > checkinmodels.MaxQuestions && !strings.Contains(body, "more") {
			t.Errorf("%s: questions that do not fit are not counted:\n%s", where, body)
		}
	}
}

// TestPromptMerged: the engine sends several rounds' prompts as one DM;
// their block ids differ, and PromptDone changes only its own round.
func TestPromptMerged(t *testing.T) {
	berlin := promptInput(t, 1, 1).Loc
	t1, b1 := checkins.CheckinPrompt(promptInput(t, 12, 7))
	in2 := promptInput(t, 13, 8)
	in2.Checkin.Name = "Weekly check-in"
	t2, b2 := checkins.CheckinPrompt(in2)
	merged := append(append([]slack.Block{}, b1...), b2...)
	checkDM(t, "merged", t1+" "+t2, merged)

	sent := viaSlack(t, merged)
	before := reportBlocks(t, sent)
	at := time.Date(2026, 11, 24, 14, 30, 0, 0, time.UTC)
	done := checkins.PromptDone(sent, 13, 8, checkinmodels.ResponseSnoozed, at, berlin)
	checkDM(t, "snoozed", "x", done)
	if !reflect.DeepEqual(reportBlocks(t, sent), before) {
		t.Errorf("PromptDone changed the blocks it was given")
	}
	after := reportBlocks(t, done)
	if len(after) != len(before)+1 {
		t.Fatalf("%d blocks after PromptDone, want %d", len(after), len(before)+1)
	}
	// Round 12's blocks and round 13's prompt are untouched.
	for i := range 5 {
		if !reflect.DeepEqual(after[i], before[i]) {
			t.Errorf("block %d changed:\n%v\n%v", i, before[i], after[i])
		}
	}
	if s := blockJSON(t, done); !strings.Contains(s, "Snoozed until 15:30 (Tue 24 Nov)") {
		t.Errorf("snoozed DM lacks its time:\n%s", s)
	}
	els := elements(blockByID(t, done, "checkin_actions_13"))
	if len(els) != 1 || els[0]["action_id"] != "checkin:answer" || els[0]["value"] != "13:8" {
		t.Errorf("snoozed buttons = %v, want Answer only", els)
	}
	if els := elements(blockByID(t, done, "checkin_actions_12")); len(els) != 3 {
		t.Errorf("round 12 lost its buttons: %v", els)
	}

	// Then they answer: the snoozed line is replaced, not added to.
	done = checkins.PromptDone(viaSlack(t, done), 13, 8, checkinmodels.ResponseAnswered, at, berlin)
	checkDM(t, "answered", "x", done)
	if got := len(reportBlocks(t, done)); got != len(before)+1 {
		t.Errorf("%d blocks after a second PromptDone, want %d", got, len(before)+1)
	}
	s := blockJSON(t, done)
	if strings.Contains(s, "Snoozed") || !strings.Contains(s, "your answer is in (sent at 15:30)") {
		t.Errorf("answered DM:\n%s", s)
	}
	els = elements(blockByID(t, done, "checkin_actions_13"))
	if len(els) != 1 || els[0]["action_id"] != "checkin:edit" || els[0]["value"] != "13:8" || mrkdwnOf(els[0]["text"]) != "Edit my answer" {
		t.Errorf("answered buttons = %v, want Edit my answer only", els)
	}

	// Round 12 skipped.
	done = checkins.PromptDone(viaSlack(t, done), 12, 7, checkinmodels.ResponseSkipped, at, berlin)
	checkDM(t, "skipped", "x", done)
	s = blockJSON(t, done)
	if !strings.Contains(s, "Skipped — nothing is posted for you this round. Changed your mind?") || !strings.Contains(s, "your answer is in") {
		t.Errorf("skipped DM:\n%s", s)
	}
	els = elements(blockByID(t, done, "checkin_actions_12"))
	if len(els) != 1 || els[0]["action_id"] != "checkin:answer" || els[0]["value"] != "12:7" {
		t.Errorf("skipped buttons = %v, want Answer only", els)
	}
	if all := reportMrkdwn(t, "", done); strings.Contains(all, "<@") {
		t.Errorf("the DM mentions someone:\n%s", all)
	}

	// Another round, or an unknown status, changes nothing.
	for _, tt := range []struct {
		round  int64
		status string
	}{{99, checkinmodels.ResponseAnswered}, {12, "maybe"}} {
		if got := checkins.PromptDone(sent, tt.round, 7, tt.status, at, berlin); !reflect.DeepEqual(reportBlocks(t, got), before) {
			t.Errorf("PromptDone(round %d, %q) changed the message", tt.round, tt.status)
		}
	}
}

// A prompt for a round that has closed (a reminder or snoozed prompt
// coming back late, a "run now" after the close) says so and does not
// also claim the round is open until its closing time; an open one says
// until when, in the person's time.
func TestCheckinPromptClosedRound(t *testing.T) {
	for _, tt := range []struct {
		name          string
		closed        bool
		want, wantNot string
	}{
		{"open", false, "Open until Tue 24 Nov, 17:30 your time.", "has closed"},
		{"closed", true, "This round has closed, but late answers are welcome until the next one starts.", "Open until"},
	} {
		for _, variant := range []struct {
			reminder int
			snoozed  bool
		}{{0, false}, {1, false}, {0, true}} {
			in := promptInput(t, 12, 7)
			in.Checkin.Reminders = 1
			in.Round.Closed, in.Reminder, in.Snoozed = tt.closed, variant.reminder, variant.snoozed
			_, blocks := checkins.CheckinPrompt(in)
			info := blockJSON(t, blocks)
			if !strings.Contains(info, tt.want) || strings.Contains(info, tt.wantNot) {
				t.Errorf("%s round, reminder %d, snoozed %v: want %q and not %q:\n%s", tt.name, variant.reminder, variant.snoozed, tt.want, tt.wantNot, info)
			}
		}
	}
}
