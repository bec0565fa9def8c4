package checkins_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/jobs/checkins"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// digestCheckin is a stand-up with a blocker, a scale and an anonymous
// choice.
func digestCheckin() checkinmodels.Checkin {
	c := checkinmodels.Templates()[0].Checkin // text, text, blocked
	c.ID, c.ChannelID = 12, "C0TEAM"
	c.Questions = append(c.Questions,
		checkinmodels.Question{Kind: checkinmodels.KindScale, Prompt: "Energy?", Options: []string{"low", "high"}},
		checkinmodels.Question{Kind: checkinmodels.KindChoice, Prompt: "Happy with the team?", Options: []string{"yes", "no"}, Anonymous: true},
	)
	return c
}

func TestCheckinDigest(t *testing.T) {
	c := digestCheckin()
	aggs := []checkinmodels.Aggregate{{Position: 4, Count: 2, Average: 3.5}, {Position: 5, Anonymous: true, Count: 2, Hidden: true}}
	answers := []checkins.DigestAnswer{
		{Name: "Alex", UserID: "U0ALEX", Answers: map[int]string{1: "Shipped <the thing> & more", 2: "Reviews", 3: "yes", 4: "4", 5: "ANON-SECRET-1"},
			Helper: map[int]string{3: "U0HELP"}},
		{Name: "Sam", UserID: "U0SAM", Answers: map[int]string{1: "Docs", 3: "no", 5: "ANON-SECRET-2"}},
		{Name: "Quiet", UserID: "U0QUIET", Answers: map[int]string{5: "ANON-SECRET-3"}},
		{UserID: "U0NONAME", Answers: map[int]string{2: "Tests"}},
	}
	got, blocks := checkins.CheckinDigest(c, "Daily stand-up · Tue 24 Nov", 4, 6, aggs, 1, answers, "`/trellis checkin export 12`")
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
	answers = []checkins.DigestAnswer{{Name: "Alex", Answers: map[int]string{1: strings.Repeat("word ", 500), 3: "no"}}}
	_, blocks = checkins.CheckinDigest(c, "Daily stand-up · Tue 24 Nov", 1, 6, nil, 0, answers, "`/trellis checkin export 12`")
	all = blockJSON(t, blocks)
	if !strings.Contains(all, "…") || !strings.Contains(all, "the full text: `/trellis checkin export 12`") || strings.Contains(all, strings.Repeat("word ", 100)) {
		t.Errorf("a long answer should be cut with a pointer to the export:\n%s", all)
	}
}

func TestCheckinDigestLimits(t *testing.T) {
	c := longCheckin(12, checkinmodels.MaxQuestions)
	for i := range c.Questions {
		if i%3 == 0 {
			c.Questions[i] = checkinmodels.Question{Kind: checkinmodels.KindText, Prompt: c.Questions[i].Prompt}
		}
		if i == 1 {
			c.Questions[i] = checkinmodels.Question{Kind: checkinmodels.KindBlocked, Prompt: "Blocked?"}
		}
	}
	var aggs []checkinmodels.Aggregate
	for i, q := range c.Questions {
		if q.Kind == checkinmodels.KindChoice {
			aggs = append(aggs, checkinmodels.Aggregate{Position: i + 1, Anonymous: q.Anonymous, Count: 200, Counts: map[string]int{"a": 100, "b": 100}})
		}
	}
	var answers []checkins.DigestAnswer
	for p := range 200 {
		a := checkins.DigestAnswer{Name: fmt.Sprintf("Person %d <!here> %s", p, strings.Repeat("é", 100)), UserID: fmt.Sprintf("U0P%d", p),
			Answers: map[int]string{}, Helper: map[int]string{}}
		for i, q := range c.Questions {
			switch q.Kind {
			case checkinmodels.KindText:
				a.Answers[i+1] = hugeAnswer(i+1, 3000)
			case checkinmodels.KindBlocked:
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
		if q.Kind == checkinmodels.KindChoice && !q.Anonymous {
			visibleChoice = i + 1
		}
	}
	got, blocks := checkins.CheckinDigest(c, strings.Repeat("<", 300), 200, 250, aggs, 200, answers, "`/trellis checkin export 12`")
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
