package views_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/models"
)

// checkBlockLimits reports every limit of ../shared/SLACK.md that blocks
// break, for a message (maxBlocks 50) or the Home tab (100), including the
// ~12k cumulative text of a message.
func checkBlockLimits(t *testing.T, where string, blocks []slack.Block, maxBlocks int) {
	t.Helper()
	c := limitChecker{t: t}
	bs := reportBlocks(t, blocks)
	if len(bs) == 0 || len(bs) > maxBlocks {
		t.Errorf("%s: %d blocks, want 1 to %d", where, len(bs), maxBlocks)
	}
	total := 0
	count := func(v any) {
		o, _ := v.(map[string]any)
		total += utf8.RuneCountInString(str(o["text"]))
	}
	ids := map[string]bool{}
	for i, b := range bs {
		w := fmt.Sprintf("%s block %d (%s %s)", where, i, b["type"], str(b["block_id"]))
		if id := str(b["block_id"]); id != "" {
			c.max(w+" block_id", id, 255)
			if ids[id] {
				t.Errorf("%s: block_id used twice", w)
			}
			ids[id] = true
		}
		switch b["type"] {
		case "header":
			c.text(w, b["text"], 150)
			count(b["text"])
		case "section":
			c.text(w, b["text"], 3000)
			count(b["text"])
			if a, ok := b["accessory"].(map[string]any); ok {
				c.element(w+" accessory", a)
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				t.Errorf("%s: %d elements, want 1 to 10", w, len(els))
			}
			for _, e := range els {
				c.text(w, e, 3000)
				count(e)
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 25 {
				t.Errorf("%s: %d elements, want 1 to 25", w, len(els))
			}
			actionIDs := map[string]bool{}
			for _, e := range els {
				e := e.(map[string]any)
				c.element(w, e)
				if id := str(e["action_id"]); actionIDs[id] {
					t.Errorf("%s: action_id %s twice in one block", w, id)
				}
				actionIDs[str(e["action_id"])] = true
			}
		case "divider":
		default:
			t.Errorf("%s: unexpected block type", w)
		}
	}
	if total > 12000 {
		t.Errorf("%s: %d characters of block text, want ≤ 12000", where, total)
	}
}

// checkDM checks a DM: its blocks and its notification text.
func checkDM(t *testing.T, where, msgText string, blocks []slack.Block) {
	t.Helper()
	if strings.TrimSpace(msgText) == "" {
		t.Errorf("%s: empty text", where)
	}
	if len(msgText) > 3900 {
		t.Errorf("%s: text is %d bytes, want ≤ 3900", where, len(msgText))
	}
	if !utf8.ValidString(msgText) {
		t.Errorf("%s: text is not valid UTF-8", where)
	}
	checkBlockLimits(t, where, blocks, 50)
}

// blockJSON is blocks as Slack receives them, with JSON's HTML escaping
// undone so tests can look for "<@".
func blockJSON(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(raw))
}

// viaSlack gives blocks back the way a block_actions payload carries them.
func viaSlack(t *testing.T, blocks []slack.Block) []slack.Block {
	t.Helper()
	raw, err := json.Marshal(slack.Blocks{BlockSet: blocks})
	if err != nil {
		t.Fatal(err)
	}
	var out slack.Blocks
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out.BlockSet
}

// blockByID is the JSON of the block with id, or nil.
func blockByID(t *testing.T, blocks []slack.Block, id string) map[string]any {
	t.Helper()
	for _, b := range reportBlocks(t, blocks) {
		if str(b["block_id"]) == id {
			return b
		}
	}
	return nil
}

// elements are an actions block's elements.
func elements(b map[string]any) []map[string]any {
	var out []map[string]any
	els, _ := b["elements"].([]any)
	for _, e := range els {
		out = append(out, e.(map[string]any))
	}
	return out
}

func mrkdwnOf(v any) string {
	o, _ := v.(map[string]any)
	return str(o["text"])
}

func TestCheckinActionIDs(t *testing.T) {
	for got, want := range map[string]string{
		views.ActionCheckinAnswer: "checkin:answer",
		views.ActionCheckinSkip:   "checkin:skip",
		views.ActionCheckinSnooze: "checkin:snooze",
		views.ActionCheckinEdit:   "checkin:edit",
	} {
		if got != want {
			t.Errorf("action id %q, want %q", got, want)
		}
	}
	if got := views.PromptBlockID(12); got != "checkin_prompt_12" {
		t.Errorf("PromptBlockID(12) = %q", got)
	}
	if got := views.PromptActionsBlockID(12); got != "checkin_actions_12" {
		t.Errorf("PromptActionsBlockID(12) = %q", got)
	}
}

func TestSnoozeValue(t *testing.T) {
	for _, tt := range []struct {
		minutes        int
		round, checkin int64
		want           string
	}{
		{30, 12, 7, "30|12:7"},
		{240, 1, 1, "240|1:1"},
		{views.SnoozeTomorrow, 12, 7, "-1|12:7"},
		{60, 1<<63 - 1, 1<<63 - 1, "60|9223372036854775807:9223372036854775807"},
	} {
		got := views.SnoozeValue(tt.minutes, tt.round, tt.checkin)
		if got != tt.want {
			t.Errorf("SnoozeValue(%d, %d, %d) = %q, want %q", tt.minutes, tt.round, tt.checkin, got, tt.want)
		}
		if len(got) > 150 {
			t.Errorf("SnoozeValue %q is longer than an option value may be", got)
		}
		m, r, c, err := views.ParseSnoozeValue(got)
		if err != nil || m != tt.minutes || r != tt.round || c != tt.checkin {
			t.Errorf("ParseSnoozeValue(%q) = %d, %d, %d, %v", got, m, r, c, err)
		}
	}
	for _, bad := range []string{"", "30", "30|", "|12:7", "0|12:7", "-2|12:7", "x|12:7", "30|12", "30|0:7", "30|12:-1", "30|12:7|1", "12:7"} {
		if m, r, c, err := views.ParseSnoozeValue(bad); err == nil {
			t.Errorf("ParseSnoozeValue(%q) = %d, %d, %d, nil; want an error", bad, m, r, c)
		}
	}
}

// The snooze menu names no clock time, so no label is untrue when the
// prompt is read hours after it was sent; the confirmation of a moved
// snooze names the time it was moved to, in the person's zone.
func TestSnoozeOptions(t *testing.T) {
	var got []string
	for _, o := range views.SnoozeOptions() {
		got = append(got, fmt.Sprintf("%d %s", o.Minutes, o.Label))
		if regexp.MustCompile(`[0-9]:[0-9]|until`).MatchString(o.Label) {
			t.Errorf("label %q names a clock time", o.Label)
		}
	}
	want := []string{"30 30 minutes", "60 1 hour", "120 2 hours", "240 4 hours", "-1 Tomorrow morning"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SnoozeOptions = %q, want %q", got, want)
	}

	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	until := time.Date(2026, 11, 24, 9, 0, 0, 0, berlin)
	for _, tt := range []struct {
		minutes int
		want    string
	}{
		{30, "30 minutes from now is outside your working hours, so I'll ask again when they next start: 09:00 on Tue 24 Nov."},
		{240, "4 hours from now is outside your working hours, so I'll ask again when they next start: 09:00 on Tue 24 Nov."},
		{views.SnoozeTomorrow, "I'll ask again at 09:00 on Tue 24 Nov, when your working hours next start."},
	} {
		if got := views.SnoozeMoved(tt.minutes, until, berlin); got != tt.want {
			t.Errorf("SnoozeMoved(%d) = %q, want %q", tt.minutes, got, tt.want)
		}
	}
}

// promptInput is a stand-up's first ask, in Berlin.
func promptInput(t *testing.T, roundID, checkinID int64) views.PromptInput {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	c := models.CheckinTemplates()[0].Checkin
	c.ID, c.ChannelID = checkinID, "C0TEAM"
	c.Questions = append(c.Questions, models.Question{Kind: models.KindScale, Prompt: "How's the team?", Options: []string{"low", "high"}, Anonymous: true})
	return views.PromptInput{
		Checkin:       c,
		Round:         models.Round{ID: roundID, CheckinID: checkinID},
		RoundLabel:    "Daily stand-up · Tue 24 Nov",
		AnswersGoTo:   "the thread in <#C0TEAM>",
		ClosesAt:      time.Date(2026, 11, 24, 16, 30, 0, 0, time.UTC),
		Loc:           berlin,
		SnoozeOptions: views.SnoozeOptions(),
	}
}

func TestCheckinPrompt(t *testing.T) {
	in := promptInput(t, 12, 7)
	got, blocks := views.CheckinPrompt(in)
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
		if str(o["value"]) != views.SnoozeValue(want.Minutes, 12, 7) || mrkdwnOf(o["text"]) != want.Label {
			t.Errorf("snooze option %d = %v, want %+v", i, o, want)
		}
	}
	if all := reportMrkdwn(t, got, blocks); strings.Contains(all, "<@") || strings.Contains(all, "<!") {
		t.Errorf("the prompt mentions someone:\n%s", all)
	}

	// No snooze options: no menu.
	in.SnoozeOptions = nil
	_, blocks = views.CheckinPrompt(in)
	if els := elements(blockByID(t, blocks, "checkin_actions_12")); len(els) != 2 {
		t.Errorf("without snooze options, %d elements, want 2: %v", len(els), els)
	}
}

func TestCheckinPromptLeads(t *testing.T) {
	in := promptInput(t, 12, 7)
	in.Checkin.Reminders = 2
	lead := func(in views.PromptInput) (string, string) {
		got, blocks := views.CheckinPrompt(in)
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
	in.Checkin.Destination = models.DestinationDigest
	_, blocks := views.CheckinPrompt(in)
	info := blockJSON(t, blocks)
	if !strings.Contains(info, "Your answers go to your teammates' digests.") || strings.Contains(info, "Open until") {
		t.Errorf("digest destination, no closing time:\n%s", info)
	}
}

// longCheckin has the longest questions and name, full of markup to
// escape and characters of several bytes.
func longCheckin(id int64, questions int) models.Checkin {
	c := models.NewCheckin()
	c.ID, c.ChannelID = id, "C0TEAM"
	c.Name = "<!channel> " + strings.Repeat("日&", models.MaxNameLen)
	for i := range questions {
		c.Questions = append(c.Questions, models.Question{Kind: models.KindChoice, Anonymous: i%2 == 0, Options: []string{"a", "b"},
			Prompt: fmt.Sprintf("%d <@U0EVIL> %s", i, strings.Repeat("<&>é", 200))})
	}
	return c
}

func TestCheckinPromptLimits(t *testing.T) {
	for _, n := range []int{models.MaxQuestions, 40} {
		in := promptInput(t, 12, 7)
		in.Checkin = longCheckin(7, n)
		in.RoundLabel = strings.Repeat("<日>", 300)
		in.Reminder, in.Snoozed = 1, true
		for i := range 150 {
			in.SnoozeOptions = append(in.SnoozeOptions, views.SnoozeOption{Minutes: i + 1, Label: strings.Repeat("é", 200)})
		}
		where := fmt.Sprintf("%d long questions", n)
		got, blocks := views.CheckinPrompt(in)
		checkDM(t, where, got, blocks)
		if all := reportMrkdwn(t, got, blocks); strings.Contains(all, "<@") || strings.Contains(all, "<!") {
			t.Errorf("%s: the prompt mentions someone:\n%.2000s", where, all)
		}
		body := mrkdwnOf(blockByID(t, blocks, "checkin_prompt_12")["text"])
		if n > models.MaxQuestions && !strings.Contains(body, "more") {
			t.Errorf("%s: questions that do not fit are not counted:\n%s", where, body)
		}
	}
}

// TestPromptMerged: the engine sends several rounds' prompts as one DM;
// their block ids differ, and PromptDone changes only its own round.
func TestPromptMerged(t *testing.T) {
	berlin := promptInput(t, 1, 1).Loc
	t1, b1 := views.CheckinPrompt(promptInput(t, 12, 7))
	in2 := promptInput(t, 13, 8)
	in2.Checkin.Name = "Weekly check-in"
	t2, b2 := views.CheckinPrompt(in2)
	merged := append(append([]slack.Block{}, b1...), b2...)
	checkDM(t, "merged", t1+" "+t2, merged)

	sent := viaSlack(t, merged)
	before := reportBlocks(t, sent)
	at := time.Date(2026, 11, 24, 14, 30, 0, 0, time.UTC)
	done := views.PromptDone(sent, 13, 8, models.ResponseSnoozed, at, berlin)
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
	done = views.PromptDone(viaSlack(t, done), 13, 8, models.ResponseAnswered, at, berlin)
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
	done = views.PromptDone(viaSlack(t, done), 12, 7, models.ResponseSkipped, at, berlin)
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
	}{{99, models.ResponseAnswered}, {12, "maybe"}} {
		if got := views.PromptDone(sent, tt.round, 7, tt.status, at, berlin); !reflect.DeepEqual(reportBlocks(t, got), before) {
			t.Errorf("PromptDone(round %d, %q) changed the message", tt.round, tt.status)
		}
	}
}

// digestCheckin is a stand-up with a blocker, a scale and an anonymous
// choice.
func digestCheckin() models.Checkin {
	c := models.CheckinTemplates()[0].Checkin // text, text, blocked
	c.ID, c.ChannelID = 12, "C0TEAM"
	c.Questions = append(c.Questions,
		models.Question{Kind: models.KindScale, Prompt: "Energy?", Options: []string{"low", "high"}},
		models.Question{Kind: models.KindChoice, Prompt: "Happy with the team?", Options: []string{"yes", "no"}, Anonymous: true},
	)
	return c
}

func TestCheckinDigest(t *testing.T) {
	c := digestCheckin()
	aggs := []models.Aggregate{{Position: 4, Count: 2, Average: 3.5}, {Position: 5, Anonymous: true, Count: 2, Hidden: true}}
	answers := []views.DigestAnswer{
		{Name: "Alex", UserID: "U0ALEX", Answers: map[int]string{1: "Shipped <the thing> & more", 2: "Reviews", 3: "yes", 4: "4", 5: "ANON-SECRET-1"},
			Helper: map[int]string{3: "U0HELP"}},
		{Name: "Sam", UserID: "U0SAM", Answers: map[int]string{1: "Docs", 3: "no", 5: "ANON-SECRET-2"}},
		{Name: "Quiet", UserID: "U0QUIET", Answers: map[int]string{5: "ANON-SECRET-3"}},
		{UserID: "U0NONAME", Answers: map[int]string{2: "Tests"}},
	}
	got, blocks := views.CheckinDigest(c, "Daily stand-up · Tue 24 Nov", 4, 6, aggs, 1, answers, "`/trellis checkin export 12`")
	checkDM(t, "digest", got, blocks)
	if want := "Daily stand-up · Tue 24 Nov: summary: 4 of 6 answered, 1 blocker"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	all := blockJSON(t, blocks)
	for _, want := range []string{
		"*4 of 6* answered",
		"*Alex* · :warning: *blocked*\n*What did you get done yesterday?*\nShipped &lt;the thing&gt; &amp; more\n*What will you work on today?*\nReviews\n*Is anything blocking you?*\n:warning: *Blocked*\n<@U0HELP> could help.\n*Energy?*\n*4 / 5*",
		"*Sam*\n*What did you get done yesterday?*\nDocs\n*Is anything blocking you?*\nNot blocked",
		"<@U0NONAME>\n*What will you work on today?*\nTests",
	} {
		if !strings.Contains(all, strings.ReplaceAll(want, "\n", `\n`)) {
			t.Errorf("digest lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "ANON-SECRET") || strings.Contains(all, "Quiet") {
		t.Errorf("digest shows an anonymous answer, or someone who gave only anonymous ones:\n%s", all)
	}
	if strings.Contains(all, "and 0 more") || strings.Contains(all, "export") {
		t.Errorf("everyone fits and nothing was cut, yet the digest points at the export:\n%s", all)
	}
	// The only mentions are the helper and the person with no name.
	mentions := reportMrkdwn(t, got, blocks)
	for _, m := range []string{"<@U0HELP>", "<@U0NONAME>"} {
		mentions = strings.ReplaceAll(mentions, m, "")
	}
	if strings.Contains(mentions, "<@") || strings.Contains(mentions, "<!") {
		t.Errorf("the digest mentions someone else:\n%s", mentions)
	}

	// One long answer is cut, and the last line says where the rest is.
	answers = []views.DigestAnswer{{Name: "Alex", Answers: map[int]string{1: strings.Repeat("word ", 500), 3: "no"}}}
	_, blocks = views.CheckinDigest(c, "Daily stand-up · Tue 24 Nov", 1, 6, nil, 0, answers, "`/trellis checkin export 12`")
	all = blockJSON(t, blocks)
	if !strings.Contains(all, "…") || !strings.Contains(all, "the full text: `/trellis checkin export 12`") || strings.Contains(all, strings.Repeat("word ", 100)) {
		t.Errorf("a long answer should be cut with a pointer to the export:\n%s", all)
	}
}

func TestCheckinDigestLimits(t *testing.T) {
	c := longCheckin(12, models.MaxQuestions)
	for i := range c.Questions {
		if i%3 == 0 {
			c.Questions[i] = models.Question{Kind: models.KindText, Prompt: c.Questions[i].Prompt}
		}
		if i == 1 {
			c.Questions[i] = models.Question{Kind: models.KindBlocked, Prompt: "Blocked?"}
		}
	}
	var aggs []models.Aggregate
	for i, q := range c.Questions {
		if q.Kind == models.KindChoice {
			aggs = append(aggs, models.Aggregate{Position: i + 1, Anonymous: q.Anonymous, Count: 200, Counts: map[string]int{"a": 100, "b": 100}})
		}
	}
	var answers []views.DigestAnswer
	for p := range 200 {
		a := views.DigestAnswer{Name: fmt.Sprintf("Person %d <!here> %s", p, strings.Repeat("é", 100)), UserID: fmt.Sprintf("U0P%d", p),
			Answers: map[int]string{}, Helper: map[int]string{}}
		for i, q := range c.Questions {
			switch q.Kind {
			case models.KindText:
				a.Answers[i+1] = hugeAnswer(i+1, 3000)
			case models.KindBlocked:
				a.Answers[i+1] = "yes"
			default:
				a.Answers[i+1] = fmt.Sprintf("ANON-%d-%d %s", p, i, strings.Repeat("<", 400))
			}
		}
		answers = append(answers, a)
	}
	// Every choice answer here is to an anonymous question but one.
	visibleChoice := 0
	for i, q := range c.Questions {
		if q.Kind == models.KindChoice && !q.Anonymous {
			visibleChoice = i + 1
		}
	}
	got, blocks := views.CheckinDigest(c, strings.Repeat("<", 300), 200, 250, aggs, 200, answers, "`/trellis checkin export 12`")
	checkDM(t, "200 long answers", got, blocks)
	bs := reportBlocks(t, blocks)
	shown := 0
	for _, b := range bs {
		if strings.HasPrefix(str(b["block_id"]), "digest_person_") {
			shown++
		}
	}
	last := bs[len(bs)-1]
	lastText := ""
	if els, _ := last["elements"].([]any); last["type"] == "context" && len(els) == 1 {
		lastText = mrkdwnOf(els[0])
	}
	if want := fmt.Sprintf("and %d more — `/trellis checkin export 12`", 200-shown); shown == 0 || lastText != want {
		t.Errorf("%d people shown, last line %q; want some shown and %q", shown, lastText, want)
	}
	all := blockJSON(t, blocks)
	for p := range 200 {
		for i, q := range c.Questions {
			if q.Anonymous && strings.Contains(all, fmt.Sprintf("ANON-%d-%d", p, i)) {
				t.Fatalf("the digest shows person %d's anonymous answer to question %d", p, i+1)
			}
		}
	}
	if visibleChoice > 0 && !strings.Contains(all, fmt.Sprintf("ANON-0-%d", visibleChoice-1)) {
		t.Errorf("the answer to the one named choice question is missing")
	}
	if !strings.Contains(all, "…") || !strings.Contains(all, ":warning: *blocked*") {
		t.Errorf("long answers should be cut with … and blockers flagged")
	}
	if m := reportMrkdwn(t, got, blocks); strings.Contains(m, "<@") || strings.Contains(m, "<!") {
		t.Errorf("the digest mentions someone:\n%.3000s", m)
	}
}

func TestCheckinList(t *testing.T) {
	if got := blockJSON(t, views.CheckinList(nil, "Check-ins in #team")); !strings.Contains(got, "`/trellis checkin new` in the channel") ||
		!strings.Contains(got, `"type":"header"`) {
		t.Errorf("empty list: %s", got)
	}
	berlin := promptInput(t, 1, 1).Loc
	items := []views.CheckinListItem{
		{ID: 12, Name: "Daily stand-up", Cadence: "weekdays at 09:30", ChannelID: "C0TEAM", OwnerID: "U0OWNER", Participants: 8,
			NextForMe: time.Date(2026, 11, 24, 8, 30, 0, 0, time.UTC), Loc: berlin, CanChange: true},
		{ID: 13, Name: "Retro", Cadence: "every 2 weeks on fri at 15:00", ChannelID: "C0TEAM", OwnerID: "U0OWNER", Participants: 1, Paused: true, CanChange: true},
		{ID: 14, Name: "Weekly <!channel>", Cadence: "fridays at 14:00", ChannelID: "not a channel", OwnerID: "U0OTHER", Participants: 3},
	}
	blocks := views.CheckinList(items, "")
	checkDM(t, "list", "x", blocks)
	all := blockJSON(t, blocks)
	for _, want := range []string{
		`*Daily stand-up* in <#C0TEAM>\nweekdays at 09:30 · 8 people · next for you: Tue 24 Nov, 09:30`,
		"`/trellis checkin edit 12` · `/trellis checkin pause 12` · `/trellis checkin run 12` · `/trellis checkin export 12` · `/trellis checkin delete 12`",
		`*Retro* in <#C0TEAM> · :double_vertical_bar: _paused_\nevery 2 weeks on fri at 15:00 · 1 person"`,
		"`/trellis checkin resume 13`",
		`*Weekly &lt;!channel&gt;*\nfridays at 14:00 · 3 people"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("list lacks %s:\n%s", want, all)
		}
	}
	if strings.Contains(all, "checkin edit 14") || strings.Contains(all, "header") {
		t.Errorf("commands shown for a check-in the reader can't change, or a header without a title:\n%s", all)
	}
	if m := reportMrkdwn(t, "", blocks); strings.Contains(m, "<@") || strings.Contains(m, "<!") {
		t.Errorf("the list mentions someone:\n%s", m)
	}

	// 200 long ones are cut, and counted.
	var many []views.CheckinListItem
	for i := range 200 {
		many = append(many, views.CheckinListItem{ID: int64(i + 1), Name: strings.Repeat("<&", 100), Cadence: strings.Repeat("é<", 150),
			ChannelID: "C0TEAM", Participants: 5, NextForMe: time.Now(), CanChange: true})
	}
	blocks = views.CheckinList(many, strings.Repeat("日", 300))
	checkDM(t, "200 check-ins", "x", blocks)
	bs := reportBlocks(t, blocks)
	sections := 0
	for _, b := range bs {
		if b["type"] == "section" {
			sections++
		}
	}
	last := bs[len(bs)-1]
	els, _ := last["elements"].([]any)
	if want := fmt.Sprintf("and %d more", 200-sections); len(els) != 1 || mrkdwnOf(els[0]) != want {
		t.Errorf("%d shown, last block %v; want %q", sections, last, want)
	}
}

func TestHomeCheckins(t *testing.T) {
	s := views.Summary{TimeZone: "Europe/Berlin", LocalNow: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), Budget: 3}
	var ck views.HomeCheckins
	home := func(s views.Summary) ([]slack.Block, string) {
		v := views.Home(s, views.HomeCheckinSection(ck))
		checkBlockLimits(t, "home", v.Blocks.BlockSet, 100)
		return v.Blocks.BlockSet, blockJSON(t, v.Blocks.BlockSet)
	}
	_, all := home(s)
	if !strings.Contains(all, "*Check-ins:* you're not in any yet. Start one with `/trellis checkin new`") {
		t.Errorf("Home without check-ins should say how to start one:\n%s", all)
	}
	if !strings.Contains(all, "*Coming up:*") || !strings.Contains(all, "home:tz") {
		t.Errorf("Home lost its existing sections:\n%s", all)
	}

	berlin := promptInput(t, 1, 1).Loc
	ck = views.HomeCheckins{
		Waiting: []views.HomeWaiting{
			{RoundID: 12, CheckinID: 7, Label: "Daily stand-up · Tue 24 Nov", ClosesAt: time.Date(2026, 11, 24, 16, 30, 0, 0, time.UTC), Loc: berlin},
			{RoundID: 13, CheckinID: 8, Label: "Retro <!here>", Status: models.ResponseSnoozed},
		},
		Mine: []views.CheckinListItem{{ID: 7, Name: "Daily stand-up", Cadence: "weekdays at 09:30", ChannelID: "C0TEAM", Participants: 8}},
	}
	blocks, all := home(s)
	for _, tt := range []struct {
		id, text, value string
	}{
		{"home_checkin_12", "*Daily stand-up · Tue 24 Nov* is waiting for your answer · open until Tue 24 Nov, 17:30", "12:7"},
		{"home_checkin_13", "*Retro &lt;!here&gt;* is waiting for your answer · _Snoozed_", "13:8"},
	} {
		b := blockByID(t, blocks, tt.id)
		if b == nil {
			t.Fatalf("Home has no block %s:\n%s", tt.id, all)
		}
		acc, _ := b["accessory"].(map[string]any)
		if mrkdwnOf(b["text"]) != tt.text || acc["action_id"] != "checkin:answer" || acc["value"] != tt.value || mrkdwnOf(acc["text"]) != "Answer" {
			t.Errorf("block %s = %v, want %q with an Answer button worth %s", tt.id, b, tt.text, tt.value)
		}
	}
	for _, want := range []string{"*Daily stand-up* in <#C0TEAM>", "*Coming up* above says when one will wait"} {
		if !strings.Contains(all, want) {
			t.Errorf("Home lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "you're not in any yet") {
		t.Errorf("Home says there are no check-ins")
	}
	if m := reportMrkdwn(t, "", blocks); strings.Contains(m, "<@") || strings.Contains(m, "<!") {
		t.Errorf("Home mentions someone:\n%s", m)
	}

	// The most Home can hold stays within 100 blocks.
	for i := range 20 {
		s.Away = append(s.Away, models.AwayPeriod{ID: int64(i + 1), Note: strings.Repeat("n", 100)})
	}
	ck = views.HomeCheckins{}
	for i := range 100 {
		ck.Waiting = append(ck.Waiting, views.HomeWaiting{RoundID: int64(i + 1), CheckinID: 1, Label: strings.Repeat("<", 200)})
	}
	for i := range 200 {
		ck.Mine = append(ck.Mine, views.CheckinListItem{ID: int64(i + 1), Name: "x", CanChange: true})
	}
	_, all = home(s)
	if !strings.Contains(all, "and 90 more waiting for you") || !strings.Contains(all, "more\"") {
		t.Errorf("a full Home should count what it leaves out:\n%.3000s", all)
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
			_, blocks := views.CheckinPrompt(in)
			info := blockJSON(t, blocks)
			if !strings.Contains(info, tt.want) || strings.Contains(info, tt.wantNot) {
				t.Errorf("%s round, reminder %d, snoozed %v: want %q and not %q:\n%s", tt.name, variant.reminder, variant.snoozed, tt.want, tt.wantNot, info)
			}
		}
	}
}
