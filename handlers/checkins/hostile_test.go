package checkins_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	jobcheckins "github.com/trellis-bot/trellis/jobs/checkins"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// hostileAnswers answers every question of c with v where text is free.
func hostileAnswers(c checkinmodels.Checkin, v string) map[int]string {
	a := map[int]string{}
	for i, q := range c.Questions {
		switch q.Kind {
		case checkinmodels.KindScale:
			a[i+1] = "4"
		case checkinmodels.KindChoice:
			a[i+1] = q.Options[1]
		case checkinmodels.KindBlocked:
			a[i+1] = "yes"
		default:
			a[i+1] = stored(v, checkinhandlers.MaxAnswerText)
		}
	}
	return a
}

// surface is one thing Trellis shows: what it sends and where.
type surface = blockkittest.Surface

// surfaces builds every check-in surface with v in every user field: the
// answer form, the list and the Home tab's check-in section (this
// package), and the messages jobs/checkins composes.
func surfaces(v string) []surface {
	loc := time.UTC
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, loc)
	today := calendar.DateOf(now)
	c := hostileCheckin(v)
	answers := hostileAnswers(c, v)
	helper := map[int]string{4: "U0HELPER"}
	round := checkinmodels.Round{ID: 12, CheckinID: c.ID, Date: today, OpenedAt: now, ClosesAt: now.Add(24 * time.Hour)}
	label := stored(v, 200)
	name := v // Slack bounds display names (80); Trellis bounds them again where shown
	var aways []models.AwayPeriod
	var hols []models.Holiday
	var upcoming []views.Upcoming
	var items []checkinhandlers.CheckinListItem
	var waiting []checkinhandlers.HomeWaiting
	for i := range 20 {
		d := today.AddDays(i)
		aways = append(aways, models.AwayPeriod{ID: int64(i + 1), First: d, Last: d.AddDays(i), Note: stored(v, models.MaxAwayNoteLen)})
		hols = append(hols, models.Holiday{Date: d, Name: stored(v, models.MaxHolidayNameLen)})
		upcoming = append(upcoming, views.Upcoming{Title: c.Name, Cadence: c.Cadence, Nominal: now, DeliverAt: now.Add(time.Hour), Status: []string{"on time", "deferred", "superseded", "skipped", "paused"}[i%5], Reason: v})
		items = append(items, checkinhandlers.CheckinListItem{ID: int64(i + 1), Name: c.Name, Cadence: c.Cadence, ChannelID: "C0TEAM", OwnerID: "U0OWNER", Participants: 3, NextForMe: now, Loc: loc, CanChange: i%2 == 0})
		waiting = append(waiting, checkinhandlers.HomeWaiting{RoundID: int64(i + 1), CheckinID: c.ID, Label: label, ClosesAt: now, Loc: loc, Status: []string{"", checkinmodels.ResponseSnoozed, checkinmodels.ResponseSkipped}[i%3]})
	}
	sum := views.Summary{
		UserID: "U1", TimeZone: stored(v, 64), LocalNow: now, Hours: calendar.DefaultWorkingHours,
		Away: aways, StatusAway: true, StatusUntil: now.Add(48 * time.Hour), StatusText: stored(v, 100),
		Region: "DE-BY", RegionName: "Germany — Bavaria", Holidays: hols, Budget: 3,
		Upcoming: upcoming,
	}
	homeCheckins := checkinhandlers.HomeCheckins{Mine: items, Waiting: waiting}
	aggs := []checkinmodels.Aggregate{
		{Position: 2, Count: 6, Average: 3.5},
		{Position: 3, Count: 6, Counts: map[string]int{c.Questions[2].Options[0]: 2, stored("gone "+v, 75): 4}},
		{Position: 5, Anonymous: true, Hidden: true},
	}
	digest := []jobcheckins.DigestAnswer{
		{Name: name, UserID: "U1", Answers: answers, Helper: helper},
		{Name: "", UserID: "U0NONAME", Answers: answers},
	}
	for i := range 30 {
		digest = append(digest, jobcheckins.DigestAnswer{Name: fmt.Sprint(i, name), UserID: "U2", Answers: answers})
	}

	out := []surface{
		{Name: "Home", Kind: blockkit.Home, V: views.Home(sum, checkinhandlers.HomeCheckinSection(homeCheckins))},
		{Name: "AnswerModal", Kind: blockkit.Modal, V: checkinhandlers.AnswerModal(c, round, label, answers, answers)},
		{Name: "CheckinList", Kind: blockkit.Message, V: checkinhandlers.CheckinList(items, stored(v, 200))},
	}
	ptext, pblocks := jobcheckins.CheckinPrompt(jobcheckins.PromptInput{Checkin: c, Round: round, RoundLabel: label, Reminder: 1, ClosesAt: round.ClosesAt, Loc: loc,
		SnoozeOptions: jobcheckins.SnoozeOptions()})
	out = append(out, surface{Name: "CheckinPrompt", Kind: blockkit.Message, V: pblocks, Text: ptext})
	for _, st := range []string{checkinmodels.ResponseAnswered, checkinmodels.ResponseSkipped, checkinmodels.ResponseSnoozed} {
		out = append(out, surface{Name: "PromptDone " + st, Kind: blockkit.Message, V: jobcheckins.PromptDone(pblocks, round.ID, c.ID, st, now, loc)})
	}
	for _, st := range []string{checkinmodels.ResponseAsked, checkinmodels.ResponseAnswered, checkinmodels.ResponseSkipped, checkinmodels.ResponseSnoozed} {
		out = append(out, surface{Name: "PromptClosed " + st, Kind: blockkit.Message, V: jobcheckins.PromptClosed(pblocks, c, round.ID, st, now, loc, "")})
	}
	for _, d := range []checkinmodels.Destination{checkinmodels.DestinationThread, checkinmodels.DestinationChannel, checkinmodels.DestinationDigest} {
		cd := c
		cd.Destination = d
		t, b := jobcheckins.RoundHeader(cd, label)
		out = append(out, surface{Name: "RoundHeader " + string(d), Kind: blockkit.Message, V: b, Text: t})
	}
	for i, m := range jobcheckins.AnswerMessage(c, name, "U1", answers, helper, true) {
		out = append(out, surface{Name: fmt.Sprint("checkins.AnswerMessage ", i), Kind: blockkit.Message, V: m.Blocks, Text: m.Text})
	}
	for i, m := range jobcheckins.AnswerMessage(c, "", "U0NONAME", answers, helper, false) {
		out = append(out, surface{Name: fmt.Sprint("checkins.AnswerMessage no name ", i), Kind: blockkit.Message, V: m.Blocks, Text: m.Text})
	}
	var packed []jobcheckins.PackedAnswer
	for i := range 12 {
		packed = append(packed, jobcheckins.PackedAnswer{Name: fmt.Sprint(name, i), UserID: "U1", Answers: answers, Helper: helper, Edited: i%3 == 1, Replaced: i%4 == 2})
	}
	for i := 0; i < len(packed); {
		m, n := jobcheckins.PackAnswers(c, packed[i:])
		if n == 0 {
			n = 1 // an answer that needs messages of its own is shown by checkins.AnswerMessage above
		} else {
			out = append(out, surface{Name: fmt.Sprint("checkins.PackAnswers from ", i), Kind: blockkit.Message, V: m.Blocks, Text: m.Text})
		}
		i += n
	}
	t, b := jobcheckins.RoundSummary(c, label, 6, 9, aggs, 2)
	out = append(out, surface{Name: "RoundSummary", Kind: blockkit.Message, V: b, Text: t})
	t, b = jobcheckins.CheckinDigest(c, label, 6, 9, aggs, 2, digest, "`/trellis checkin export 7`")
	out = append(out, surface{Name: "CheckinDigest", Kind: blockkit.Message, V: b, Text: t})
	for _, asker := range []string{name, "U0HELPER"} {
		t, b = jobcheckins.HelperNotice(c, asker, c.Questions[3].Prompt)
		out = append(out, surface{Name: "HelperNotice", Kind: blockkit.Message, V: b, Text: t})
	}
	return out
}

// TestHostileTextOnEverySurface: whatever a person typed, every surface
// shows it as text (no live broadcast, mention or link but the ones built
// on purpose, every mrkdwn text verbatim) and keeps every Block Kit limit.
func TestHostileTextOnEverySurface(t *testing.T) {
	blockkittest.CheckHostileText(t, surfaces, allowedMentions...)
}

// TestHostileTextShown: the text survives as text: a broadcast typed into
// a check-in's name, a question, an answer or a round's label shows,
// escaped, rather than vanishing.
func TestHostileTextShown(t *testing.T) {
	blockkittest.CheckTextShown(t, surfaces("<!channel>"))
}

// TestStoredLimitsDocumented: docs/text.md lists every stored limit of a
// check-in and its answers as the code has it (the shared records' are
// checked in handlers/views).
func TestStoredLimitsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/text.md")
	if err != nil {
		t.Fatal(err)
	}
	for field, n := range map[string]int{
		"check-in name": checkinmodels.MaxNameLen, "question": checkinmodels.MaxPromptLen,
		"choice": checkinmodels.MaxOptionLen, "scale label": checkinmodels.MaxScaleLabelLen, "free-text answer": checkinhandlers.MaxAnswerText,
	} {
		if row := fmt.Sprintf("| %s | %d |", field, n); !strings.Contains(string(doc), row) {
			t.Errorf("docs/text.md lacks %q", row)
		}
	}
}
