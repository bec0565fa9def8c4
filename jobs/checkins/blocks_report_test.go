package checkins_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	"github.com/trellis-bot/trellis/jobs/checkins"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// reportTextMax is Slack's limit on a message's text (4000 characters);
// reportBlockText is the undocumented cumulative limit (~12k) behind
// msg_blocks_too_long.
const (
	reportTextMax   = 4000
	reportBlockText = 12000
)

// checkMessageLimits reports every Block Kit limit a message breaks: at
// most 50 blocks, 150 characters a header, 3000 a section or context text,
// 10 elements a context block, unique block ids, and the text limits above.
func checkMessageLimits(t *testing.T, where, msgText string, blocks []slack.Block) {
	t.Helper()
	if strings.TrimSpace(msgText) == "" {
		t.Errorf("%s: empty text", where)
	}
	blockkittest.MaxLen(t, where+" text", msgText, reportTextMax)
	bs := reportBlocks(t, blocks)
	if len(bs) == 0 || len(bs) > 50 {
		t.Errorf("%s: %d blocks, want 1 to 50", where, len(bs))
	}
	total := 0
	count := func(v any) {
		o, _ := v.(map[string]any)
		total += utf8.RuneCountInString(str(o["text"]))
	}
	ids := map[string]bool{}
	for i, b := range bs {
		w := fmt.Sprintf("%s block %d (%s)", where, i, b["type"])
		if id := str(b["block_id"]); id != "" {
			if ids[id] {
				t.Errorf("%s: block_id %s used twice", w, id)
			}
			ids[id] = true
		}
		switch b["type"] {
		case "header":
			blockkittest.TextLimit(t, w, b["text"], 150)
			if o, _ := b["text"].(map[string]any); o["type"] != "plain_text" {
				t.Errorf("%s: header text is %v, want plain_text", w, o["type"])
			}
			count(b["text"])
		case "section":
			blockkittest.TextLimit(t, w, b["text"], 3000)
			count(b["text"])
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				t.Errorf("%s: %d elements, want 1 to 10", w, len(els))
			}
			for _, e := range els {
				blockkittest.TextLimit(t, w, e, 3000)
				count(e)
			}
		default:
			t.Errorf("%s: unexpected block type", w)
		}
	}
	if total > reportBlockText {
		t.Errorf("%s: %d characters of block text, want ≤ %d", where, total, reportBlockText)
	}
}

// reportJSON is everything a message sends, for searching.
func reportJSON(t *testing.T, msgs []checkins.ReportMessage) string {
	t.Helper()
	raw, err := json.Marshal(msgs)
	if err != nil {
		t.Fatal(err)
	}
	// Undo JSON's HTML escaping so tests can look for "<@".
	s := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(raw))
	return s
}

func reportUnescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// hugeAnswer is n characters unlike any other answer's, with everything
// that makes splitting hard: markup to escape, line breaks, long words and
// characters of several bytes.
func hugeAnswer(pos, n int) string {
	pieces := []string{
		fmt.Sprintf("Q%d: shipped <the thing> & fixed A>B ", pos),
		"naïve café — 日本語 ",
		strings.Repeat("x", 180) + " ",
		"line\nbreak\n\n",
		"<!channel> ",
		"&&&<<<>>> ",
	}
	var b strings.Builder
	for i := 0; utf8.RuneCountInString(b.String()) < n; i++ {
		b.WriteString(pieces[i%len(pieces)])
	}
	return string([]rune(b.String())[:n-1]) + "."
}

// questionLine is a question in bold heading an answer's section.
var questionLine = regexp.MustCompile(`^\*Question \d+ é+\?\*( _\(continued\)_)?\n`)

func TestAnswerMessageHugeAnswers(t *testing.T) {
	tests := []struct {
		name   string
		answer func(pos int) string
	}{
		{"mixed", func(pos int) string { return hugeAnswer(pos, 3000) }},
		// Escaped, each character takes four: 12,000 per answer.
		{"all markup", func(int) string { return strings.Repeat("<", 3000) }},
		{"one long word", func(pos int) string { return strings.Repeat(string(rune('a'+pos)), 3000) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := checkinmodels.NewCheckin()
			c.Name = "Daily stand-up"
			answers := map[int]string{}
			for i := range checkinmodels.MaxQuestions {
				c.Questions = append(c.Questions, checkinmodels.Question{Kind: checkinmodels.KindText, Prompt: fmt.Sprintf("Question %d %s?", i+1, strings.Repeat("é", 130))})
				answers[i+1] = tt.answer(i + 1)
			}
			msgs := checkins.AnswerMessage(c, "Alex", "U0ALEX", answers, nil, true)
			if len(msgs) < 2 {
				t.Fatalf("AnswerMessage gave %d message(s) for 30,000 characters, want several", len(msgs))
			}
			got := map[int]string{}
			var order []int
			section := regexp.MustCompile(`^report-answer-(\d+)-\d+$`)
			for i, m := range msgs {
				where := fmt.Sprintf("message %d of %d", i+1, len(msgs))
				checkMessageLimits(t, where, m.Text, m.Blocks)
				if want := fmt.Sprintf("part %d of %d", i+1, len(msgs)); !strings.Contains(m.Text, want) {
					t.Errorf("%s: text %q, want it to say %q", where, m.Text, want)
				}
				for _, b := range reportBlocks(t, m.Blocks) {
					match := section.FindStringSubmatch(str(b["block_id"]))
					if match == nil {
						continue
					}
					var pos int
					fmt.Sscan(match[1], &pos)
					if len(order) == 0 || order[len(order)-1] != pos {
						order = append(order, pos)
					}
					s := str(b["text"].(map[string]any)["text"])
					// The question, in bold on the first line, heads the
					// first piece in each message.
					s = questionLine.ReplaceAllString(s, "")
					got[pos] += reportUnescape(strings.TrimSuffix(s, "… (continued)"))
				}
			}
			for pos, want := range answers {
				if got[pos] != want {
					t.Errorf("answer %d: pieces joined give %d characters, want the %d of the answer back", pos, utf8.RuneCountInString(got[pos]), utf8.RuneCountInString(want))
				}
			}
			for i, pos := range order {
				if pos != i+1 {
					t.Errorf("answers appear in the order %v, want 1 to 10", order)
					break
				}
			}
			if !strings.Contains(reportJSON(t, msgs[:1]), "(edited)") {
				t.Error("an edited answer is not marked (edited)")
			}
			if strings.Contains(reportJSON(t, msgs), "<!channel>") {
				t.Error("an answer's <!channel> reaches Slack unescaped")
			}
		})
	}
}

func TestAnswerMessageNeverShowsAnonymous(t *testing.T) {
	c := checkinmodels.Templates()[1].Checkin // weekly: text, text, blocked, scale
	c.Questions = append(c.Questions,
		checkinmodels.Question{Kind: checkinmodels.KindChoice, Prompt: "Secret where?", Options: []string{"SECRETCHOICE", "home"}, Anonymous: true},
		checkinmodels.Question{Kind: checkinmodels.KindScale, Prompt: "Secret mood?", Options: []string{"SECRETLOW", "SECRETHIGH"}, Anonymous: true},
	)
	answers := map[int]string{1: "Shipped it", 2: "More of it", 3: "no", 4: "4", 5: "SECRETCHOICE", 6: "5", 11: "SECRETSTRAY"}
	msgs := checkins.AnswerMessage(c, "Alex", "U0ALEX", answers, map[int]string{6: "U0SECRET"}, false)
	all := reportJSON(t, msgs)
	for _, secret := range []string{"SECRET", "Secret", "U0SECRET"} {
		if strings.Contains(all, secret) {
			t.Errorf("an anonymous question or a stray position shows in the answer (%q):\n%s", secret, all)
		}
	}
	for _, want := range []string{"Shipped it", "More of it", "Not blocked", "4 / 5"} {
		if !strings.Contains(all, want) {
			t.Errorf("the answer lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "(edited)") {
		t.Error("an answer not edited is marked (edited)")
	}
}

func TestAnswerMessageBlockersAndHelpers(t *testing.T) {
	c := checkinmodels.Templates()[1].Checkin // weekly: text, text, blocked, scale
	tests := []struct {
		name       string
		blocked    string
		scale      string
		helper     map[int]string
		want, not  []string
		mentionsOf []string
	}{
		{"blocked with a helper", "yes", "5", map[int]string{3: "U0HELP"},
			[]string{":warning: *Blocked*", "<@U0HELP> could help", "5 / 5* (great)", "blocked"}, []string{"Not blocked"}, []string{"U0HELP"}},
		{"blocked alone", "yes", "1", nil,
			[]string{":warning: *Blocked*", "1 / 5* (rough)"}, []string{"could help"}, nil},
		{"not blocked, helper ignored", "no", "3", map[int]string{3: "U0HELP"},
			[]string{"Not blocked", "3 / 5* (1 = rough, 5 = great)"}, []string{":warning:", "could help"}, nil},
		{"helper that is not a user id", "yes", "2", map[int]string{3: "U0X> <!channel"},
			[]string{":warning: *Blocked*"}, []string{"could help", "<!channel"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answers := map[int]string{1: "Shipped", 2: "Polish", 3: tt.blocked, 4: tt.scale}
			msgs := checkins.AnswerMessage(c, "Alex <@U0BAD>", "U0ALEX", answers, tt.helper, false)
			if len(msgs) != 1 {
				t.Fatalf("AnswerMessage gave %d messages, want 1", len(msgs))
			}
			checkMessageLimits(t, "answer", msgs[0].Text, msgs[0].Blocks)
			all := reportJSON(t, msgs)
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("the answer lacks %q:\n%s", w, all)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(all, n) {
					t.Errorf("the answer has %q:\n%s", n, all)
				}
			}
			var mentioned []string
			for _, m := range regexp.MustCompile(`<@([A-Z0-9]+)>`).FindAllStringSubmatch(all, -1) {
				mentioned = append(mentioned, m[1])
			}
			if fmt.Sprint(mentioned) != fmt.Sprint(tt.mentionsOf) {
				t.Errorf("mentions %v, want %v", mentioned, tt.mentionsOf)
			}
		})
	}
}

func TestAnswerMessageNames(t *testing.T) {
	c := checkinmodels.Templates()[0].Checkin
	answers := map[int]string{1: "a", 2: "b", 3: "no"}
	if got := reportJSON(t, checkins.AnswerMessage(c, "Alex", "U0ALEX", answers, nil, false)); strings.Contains(got, "<@") || !strings.Contains(got, "*Alex* answered *Daily stand-up*") {
		t.Errorf("with a name, the answer should show it and mention nobody:\n%s", got)
	}
	if got := reportJSON(t, checkins.AnswerMessage(c, "", "U0ALEX", answers, nil, false)); !strings.Contains(got, "<@U0ALEX> answered") {
		t.Errorf("without a name, the answer should mention its author:\n%s", got)
	}
	msgs := checkins.AnswerMessage(c, "Alex", "U0ALEX", nil, nil, false)
	if len(msgs) != 1 {
		t.Fatalf("no answers gave %d messages, want 1", len(msgs))
	}
	checkMessageLimits(t, "no answers", msgs[0].Text, msgs[0].Blocks)
}

func TestRoundHeader(t *testing.T) {
	c := checkinmodels.Templates()[0].Checkin
	got, blocks := checkins.RoundHeader(c, "Daily stand-up · Tue 24 Nov")
	if want := "Daily stand-up · Tue 24 Nov: answers in the thread"; got != want {
		t.Errorf("RoundHeader text = %q, want %q", got, want)
	}
	checkMessageLimits(t, "header", got, blocks)

	c.Name = "<!here> " + strings.Repeat("n", 200)
	got, blocks = checkins.RoundHeader(c, strings.Repeat("l", 500))
	checkMessageLimits(t, "long header", got, blocks)
	if all := reportMrkdwn(t, got, blocks); strings.Contains(all, "<!") || strings.Contains(all, "<@") {
		t.Errorf("the round header mentions someone:\n%s", all)
	}
}

func TestRoundSummary(t *testing.T) {
	c := checkinmodels.Templates()[1].Checkin // weekly: text, text, blocked, scale
	c.Questions = append(c.Questions,
		checkinmodels.Question{Kind: checkinmodels.KindChoice, Prompt: "Where?", Options: []string{"office", "home"}},
		checkinmodels.Question{Kind: checkinmodels.KindScale, Prompt: "Say?", Options: []string{"none", "all"}, Anonymous: true},
		checkinmodels.Question{Kind: checkinmodels.KindChoice, Prompt: "Team <@U0PROMPT>?", Options: []string{"a", "b"}, Anonymous: true},
	)
	aggs := []checkinmodels.Aggregate{
		{Position: 4, Count: 7, Average: 3.8},
		{Position: 5, Count: 7, Counts: map[string]int{"office": 4, "home": 2, "moon": 1}},
		{Position: 6, Anonymous: true, Count: 5, Average: 4.2},
		{Position: 7, Anonymous: true, Count: 4, Hidden: true},
		{Position: 99, Count: 1, Average: 1},
	}
	got, blocks := checkins.RoundSummary(c, "Weekly check-in · Fri 27 Nov", 7, 9, aggs, 2)
	checkMessageLimits(t, "summary", got, blocks)
	all := reportJSON(t, []checkins.ReportMessage{{Text: got, Blocks: blocks}})
	if strings.Contains(all, "<@") {
		t.Errorf("the summary mentions someone:\n%s", all)
	}
	for _, want := range []string{
		"*7 of 9* answered",
		":warning: *2 blockers* reported",
		"*How was your week?*\\n*3.8 / 5* average from 7 answers (1 = rough, 5 = great)",
		"office *4* · home *2* · moon *1*",
		"*Say?* _(anonymous)_\\n*4.2 / 5*",
		"_(anonymous)_\\n_Not enough answers to show without identifying people._",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the summary lacks %q:\n%s", want, all)
		}
	}
	if want := "Weekly check-in · Fri 27 Nov: summary: 7 of 9 answered, 2 blockers"; got != want {
		t.Errorf("RoundSummary text = %q, want %q", got, want)
	}

	// The largest summary stays within the limits.
	big := checkinmodels.NewCheckin()
	big.Name = strings.Repeat("&", checkinmodels.MaxNameLen)
	aggs = nil
	for i := range checkinmodels.MaxQuestions {
		q := checkinmodels.Question{Kind: checkinmodels.KindChoice, Prompt: strings.Repeat("<", checkinmodels.MaxPromptLen), Anonymous: true}
		counts := map[string]int{}
		for j := range checkinmodels.MaxChoices {
			o := fmt.Sprintf("%d%s", j, strings.Repeat("&", checkinmodels.MaxOptionLen-1))
			q.Options = append(q.Options, o)
			counts[o] = 1000
			counts[fmt.Sprintf("gone %d", j)] = 1
		}
		big.Questions = append(big.Questions, q)
		aggs = append(aggs, checkinmodels.Aggregate{Position: i + 1, Anonymous: true, Count: 10000, Counts: counts})
	}
	got, blocks = checkins.RoundSummary(big, strings.Repeat("<", 300), 10000, 10000, aggs, 10000)
	checkMessageLimits(t, "largest summary", got, blocks)
}

func TestHelperNotice(t *testing.T) {
	c := checkinmodels.Templates()[0].Checkin
	c.ChannelID = "C0TEAM"
	got, blocks := checkins.HelperNotice(c, "U0ALEX", "Is anything blocking you?")
	checkMessageLimits(t, "helper notice", got, blocks)
	all := reportJSON(t, []checkins.ReportMessage{{Text: got, Blocks: blocks}})
	for _, want := range []string{"<@U0ALEX> is blocked", "*Daily stand-up* in <#C0TEAM>", "“Is anything blocking you?”"} {
		if !strings.Contains(all, want) {
			t.Errorf("the notice lacks %q:\n%s", want, all)
		}
	}

	got, blocks = checkins.HelperNotice(c, "Alex <!channel>", "<@U0X>?")
	checkMessageLimits(t, "helper notice by name", got, blocks)
	all = reportMrkdwn(t, got, blocks)
	if strings.Contains(all, "<@") || strings.Contains(all, "<!") {
		t.Errorf("the notice mentions someone it should only name:\n%s", all)
	}
	if !strings.Contains(all, "*Alex &lt;!channel&gt;* is blocked") {
		t.Errorf("the notice lacks the asker's name:\n%s", all)
	}
}

// Every surface that heads a round names its check-in once: the label
// ("Autonomy pulse · Mon 7 Dec") already holds the name, so no title or
// lead repeats it, in the blocks or in the notification text.
func TestCheckinNamedOnce(t *testing.T) {
	c := checkinmodels.Templates()[0].Checkin
	c.ID, c.ChannelID, c.Name = 7, "C0TEAM", "Autonomy pulse"
	const label = "Autonomy pulse · Mon 7 Dec"
	prompt := func(reminder int, snoozed bool) (string, []slack.Block) {
		c := c
		c.Reminders = 2
		return checkins.CheckinPrompt(checkins.PromptInput{Checkin: c, Round: checkinmodels.Round{ID: 3, CheckinID: 7}, RoundLabel: label,
			Reminder: reminder, Snoozed: snoozed, AnswersGoTo: "the thread", SnoozeOptions: checkins.SnoozeOptions()})
	}
	for _, tt := range []struct {
		surface string
		render  func() (string, []slack.Block)
	}{
		{"round header", func() (string, []slack.Block) { return checkins.RoundHeader(c, label) }},
		{"round summary", func() (string, []slack.Block) { return checkins.RoundSummary(c, label, 3, 5, nil, 0) }},
		{"digest", func() (string, []slack.Block) {
			return checkins.CheckinDigest(c, label, 1, 5, nil, 0, []checkins.DigestAnswer{{Name: "Ada", Answers: map[int]string{1: "shipped"}}}, "")
		}},
		{"prompt", func() (string, []slack.Block) { return prompt(0, false) }},
		{"reminder", func() (string, []slack.Block) { return prompt(1, false) }},
		{"last reminder", func() (string, []slack.Block) { return prompt(2, false) }},
		{"snoozed prompt", func() (string, []slack.Block) { return prompt(0, true) }},
	} {
		msgText, blocks := tt.render()
		if n := strings.Count(msgText, c.Name); n != 1 {
			t.Errorf("%s: notification text names the check-in %d times, want once: %q", tt.surface, n, msgText)
		}
		// The first block heads the message: a header, or the prompt's
		// section.
		first := reportJSON(t, []checkins.ReportMessage{{Blocks: blocks[:1]}})
		if n := strings.Count(first, c.Name); n != 1 {
			t.Errorf("%s: the first block names the check-in %d times, want once: %s", tt.surface, n, first)
		}
	}
}

// An answer reads compactly, as stand-up bots post them: no header block
// per question, each answer in a section under its question in bold.
func TestAnswerMessageCompact(t *testing.T) {
	c := checkinmodels.Templates()[1].Checkin // weekly: text, text, blocked, scale
	msgs := checkins.AnswerMessage(c, "Alex", "U0ALEX", map[int]string{1: "Shipped", 2: "Polish", 3: "no", 4: "4"}, nil, false)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	for _, b := range reportBlocks(t, msgs[0].Blocks) {
		if b["type"] == "header" {
			t.Errorf("an answer has a header block: %v", b)
		}
	}
	all := reportJSON(t, msgs)
	for i, q := range c.Questions {
		if want := "*" + q.Prompt + "*\\n"; !strings.Contains(all, want) {
			t.Errorf("question %d is not in bold above its answer (%q):\n%s", i+1, want, all)
		}
	}
}

// PackAnswers puts as many people's answers as Slack's limits allow in one
// message, in order, each under its person's name, with block ids that
// never collide; an answer that needs messages of its own is never packed;
// a replaced one shrinks to a pointer at the new version.
func TestPackAnswers(t *testing.T) {
	c := checkinmodels.Templates()[1].Checkin // weekly: text, text, blocked, scale
	var many []checkins.PackedAnswer
	for i := range 200 {
		many = append(many, checkins.PackedAnswer{Name: fmt.Sprintf("Person %03d <!here>", i), UserID: fmt.Sprintf("U%03d", i),
			Answers: map[int]string{1: strings.Repeat("did things & more ", 1+i%20), 2: "next <@U0BAD>", 3: []string{"yes", "no"}[i%2], 4: "3"},
			Helper:  map[int]string{3: "U0HELP"}, Edited: i%3 == 0})
	}
	msg, n := checkins.PackAnswers(c, many)
	if n < 5 || n >= len(many) {
		t.Fatalf("packed %d of %d, want several and not all", n, len(many))
	}
	checkMessageLimits(t, "packed", msg.Text, msg.Blocks)
	all := reportJSON(t, []checkins.ReportMessage{msg})
	last := -1
	for i := range n {
		name := fmt.Sprintf("*Person %03d &lt;!here&gt;* answered", i)
		at := strings.Index(all, name)
		if at < 0 || at < last {
			t.Errorf("person %d is missing or out of order", i)
		}
		last = at
	}
	if strings.Contains(all, fmt.Sprintf("Person %03d", n)) {
		t.Errorf("person %d is in the message but not counted", n)
	}
	if strings.Contains(all, "<!here>") || strings.Contains(all, "<@U0BAD>") {
		t.Errorf("packed text is not escaped:\n%s", all)
	}
	// Adding the next person would break a limit.
	if _, m := checkins.PackAnswers(c, many[:n+1]); m != n {
		t.Errorf("PackAnswers(%d) packed %d, want %d", n+1, m, n)
	}

	huge := checkins.PackedAnswer{Name: "Huge", UserID: "U0HUGE", Answers: map[int]string{1: strings.Repeat("long ", 3000)}}
	if _, n := checkins.PackAnswers(c, []checkins.PackedAnswer{huge, many[0]}); n != 0 {
		t.Errorf("a huge answer first was packed (%d)", n)
	}
	if _, n := checkins.PackAnswers(c, []checkins.PackedAnswer{many[0], huge, many[1]}); n != 1 {
		t.Errorf("packing stopped at %d, want 1 (before the huge answer)", n)
	}

	replaced := many[1]
	replaced.Replaced = true
	msg, n = checkins.PackAnswers(c, []checkins.PackedAnswer{many[0], replaced, many[2]})
	all = reportJSON(t, []checkins.ReportMessage{msg})
	if n != 3 || !strings.Contains(all, "_*Person 001 &lt;!here&gt;*’s answer was edited; the new version is below._") ||
		strings.Contains(all, "Person 001 &lt;!here&gt;* answered") || !strings.Contains(all, "Person 002 &lt;!here&gt;* answered") {
		t.Errorf("a replaced answer in a packed message should be a pointer, the others as they were:\n%s", all)
	}
	checkMessageLimits(t, "packed with a replaced answer", msg.Text, msg.Blocks)
}
