package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/app/apptest"
	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/jobs/checkins"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/holidays"
)

// ckHarness drives a sandbox Trellis (its clock is the emulator's) for the
// check-in tests.
type ckHarness struct {
	*harness
	ctx context.Context
	db  *models.DB
}

func startSandbox(t *testing.T) *ckHarness {
	t.Helper()
	env, _ := testDatabase(t)
	for k, v := range apptest.SandboxEnv(env["TRELLIS_DATA_DIR"], "127.0.0.1:0", "127.0.0.1:0", "") {
		env[k] = v
	}
	h := &harness{t: t}
	stop := h.launch(env)
	t.Cleanup(stop)
	h.waitReady("socket")
	return &ckHarness{harness: h, ctx: context.Background(), db: h.app.DB()}
}

func (h *ckHarness) setClock(t *testing.T, at time.Time) {
	t.Helper()
	if _, err := h.ctl.SetClock(h.ctx, at); err != nil {
		t.Fatalf("move the clock to %s: %v", at.Format(time.RFC3339), err)
	}
}

// commandIn runs a slash command in a channel and returns the reply text.
func (h *ckHarness) commandIn(t *testing.T, user, channel, line string) string {
	t.Helper()
	res, err := h.ctl.Command(h.ctx, slacksim.CommandRequest{User: user, Text: line, Channel: channel})
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("%s as %s: %+v, %v", line, user, res, err)
	}
	if res.Response == nil {
		return ""
	}
	return res.Response.Text + "\n" + blockText(res.Response.Blocks)
}

// topView is the person's open modal.
func (h *ckHarness) topView(t *testing.T, user, callback string) slacksim.View {
	t.Helper()
	stack, err := h.ctl.Views(h.ctx, user)
	if err != nil || len(stack) == 0 || stack[len(stack)-1].CallbackID != callback {
		t.Fatalf("views of %s = %+v, %v; want the %s modal on top", user, stack, err, callback)
	}
	return stack[len(stack)-1]
}

// formState is what Slack would submit for a modal: each input's initial
// value, with overrides by block id (slacksim.FormState).
func formState(t *testing.T, blocks json.RawMessage, overrides map[string]any) map[string]map[string]json.RawMessage {
	t.Helper()
	out, err := slacksim.FormState(blocks, overrides)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// promptPart is one check-in prompt inside a DM.
type promptPart struct {
	msg     slacksim.Message
	round   int64
	kind    string // ask, reminder, snoozed
	checkin string // the check-in's name
}

// prompts returns the check-in prompts in a person's DMs, in order.
func (h *ckHarness) prompts(t *testing.T, user string) []promptPart {
	t.Helper()
	var out []promptPart
	for _, m := range h.dms(t, user) {
		var bs []map[string]any
		if json.Unmarshal(m.Blocks, &bs) != nil {
			continue
		}
		for _, b := range bs {
			id, _ := b["block_id"].(string)
			rest, ok := strings.CutPrefix(id, "checkin_prompt_")
			if !ok {
				continue
			}
			round, _ := strconv.ParseInt(rest, 10, 64)
			txt := blockText(raw(t, b))
			kind := "ask"
			switch {
			case strings.Contains(txt, "Reminder:"):
				kind = "reminder"
			case strings.Contains(txt, "You snoozed this"):
				kind = "snoozed"
			}
			name, _, _ := strings.Cut(strings.TrimPrefix(txt, "*"), " · ")
			out = append(out, promptPart{msg: m, round: round, kind: kind, checkin: name})
		}
	}
	return out
}

// dms are the bot's messages in a person's DM, leaving out ephemeral
// replies to their commands.
func (h *ckHarness) dms(t *testing.T, user string) []slacksim.Message {
	t.Helper()
	var out []slacksim.Message
	for _, m := range botDMs(t, h.ctl, user) {
		if !m.Ephemeral {
			out = append(out, m)
		}
	}
	return out
}

// click presses a button (or picks an option) in a message.
func (h *ckHarness) click(t *testing.T, user string, m slacksim.Message, actionID, blockID, option string) {
	t.Helper()
	req := slacksim.ActionRequest{User: user, Channel: m.Channel, MessageTS: m.TS, ActionID: actionID, BlockID: blockID}
	if option != "" {
		req.SelectedOption = raw(t, map[string]any{"value": option})
	}
	res, err := h.ctl.Action(h.ctx, req)
	if err != nil || !res.OK {
		t.Fatalf("%s clicks %s in %s: %+v, %v", user, actionID, blockID, res, err)
	}
}

// threadOf returns the replies in the thread of ts in a channel.
func threadOf(msgs []slacksim.Message, ts string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range msgs {
		if m.ThreadTS == ts && m.TS != ts {
			out = append(out, m)
		}
	}
	return out
}

// holidayRegion finds a holiday region with a public holiday on a weekday
// from Tuesday to Thursday of the week starting mon.
func holidayRegion(t *testing.T, mon calendar.Date) (string, calendar.Date) {
	t.Helper()
	for _, r := range holidays.Regions() {
		cal, ok := holidays.Lookup(r.Code)
		if !ok {
			continue
		}
		for _, hd := range cal.Between(mon.AddDays(1), mon.AddDays(3)) {
			return r.Code, hd.Date
		}
	}
	t.Fatalf("no region has a public holiday from %s to %s", mon.AddDays(1), mon.AddDays(3))
	return "", calendar.Date{}
}

// TestCheckinTwoWeeks is the check-ins' end-to-end test. A check-in is created
// through /trellis checkin new and its modal (after each kind of bad input
// is refused on its field with nothing stored); then the clock runs two
// weeks for three participants: Lena in Vienna (the owner, with a public
// holiday), Omar in Kolkata on a night shift and Sam in New York, away for
// three days. Every prompt arrives once at its local time, reminders only
// for those who did not answer, answers land in the round's thread, the
// close summary counts them, skip and snooze behave, a second check-in
// due at the same time shares Lena's DM, and a non-owner cannot change it.
func TestCheckinTwoWeeks(t *testing.T) {
	h := startSandbox(t)
	ctx := h.ctx
	clk, err := h.ctl.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The Monday at least two days ahead, 00:00 UTC.
	day := clk.Now.UTC().Truncate(24 * time.Hour).Add(48 * time.Hour)
	for day.Weekday() != time.Monday {
		day = day.Add(24 * time.Hour)
	}
	mon := day
	monDate := calendar.DateOf(mon)
	region, holiday := holidayRegion(t, monDate.AddDays(7))
	h.setClock(t, mon.Add(-12*time.Hour))

	add := func(name, tz string) string {
		p, err := h.ctl.AddPerson(ctx, slacksim.NewPerson{Name: strings.ToLower(name), RealName: name, TZ: tz})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	lena, omar, sam := add("Lena", "Europe/Vienna"), add("Omar", "Asia/Kolkata"), add("Sam", "America/New_York")
	ch, err := h.ctl.CreateChannel(ctx, slacksim.NewChannel{Name: "platform-team", Members: []string{lena, omar, sam}})
	if err != nil {
		t.Fatal(err)
	}
	h.commandIn(t, omar, "", "/trellis hours mon-fri 22:00-06:00")
	awayFrom, awayTo := monDate.AddDays(2), monDate.AddDays(4)
	if got := h.commandIn(t, sam, "", fmt.Sprintf("/trellis away %s to %s", awayFrom, awayTo)); !strings.Contains(got, "Enjoy") {
		t.Fatalf("away: %s", got)
	}
	h.commandIn(t, lena, "", "/trellis holidays region "+region)

	// Create, through the modal, after every kind of bad input.
	h.commandIn(t, lena, ch.ID, "/trellis checkin new")
	v := h.topView(t, lena, checkinhandlers.CallbackCheckin)
	res, err := h.ctl.Action(ctx, slacksim.ActionRequest{User: lena, ViewID: v.ID, ActionID: checkinhandlers.ActionCheckinTemplate,
		BlockID: checkinhandlers.BlockCheckinTemplate, SelectedOption: raw(t, map[string]any{"value": "standup"})})
	if err != nil || !res.OK {
		t.Fatalf("pick the template: %+v, %v", res, err)
	}
	v = h.topView(t, lena, checkinhandlers.CallbackCheckin)
	if !strings.Contains(string(v.Blocks), "What did you get done yesterday?") {
		t.Fatalf("the template did not fill the form: %s", v.Blocks)
	}
	longQ := strings.Repeat("How ", 40) + "?"
	eleven := strings.TrimSpace(strings.Repeat("What now?\n", 11))
	for _, bad := range []struct {
		name  string
		over  map[string]any
		block string
	}{
		{"no questions", map[string]any{checkinhandlers.BlockCheckinQuestions: ""}, checkinhandlers.BlockCheckinQuestions},
		{"eleven questions", map[string]any{checkinhandlers.BlockCheckinQuestions: eleven}, checkinhandlers.BlockCheckinQuestions},
		{"a question over the label limit", map[string]any{checkinhandlers.BlockCheckinQuestions: longQ}, checkinhandlers.BlockCheckinQuestions},
		{"an unparseable cadence", map[string]any{checkinhandlers.BlockCheckinCadence: "every blue moon"}, checkinhandlers.BlockCheckinCadence},
		{"a round of zero", map[string]any{checkinhandlers.BlockCheckinRoundLength: "0m"}, checkinhandlers.BlockCheckinRoundLength},
	} {
		// An empty required input is refused by Slack itself, which shows
		// its own error on the field; the rest are Trellis's errors.
		got := h.submit(lena, v, formState(t, v.Blocks, bad.over))
		if got.Errors[bad.block] == "" {
			t.Errorf("%s: response %q %v, want an error on %s", bad.name, got.ResponseAction, got.Errors, bad.block)
		}
		if len(got.Errors) != 1 {
			t.Errorf("%s: errors on %d fields, want 1: %v", bad.name, len(got.Errors), got.Errors)
		}
	}
	store := checkinmodels.NewStore(h.db)
	if stored, err := store.InChannel(ctx, slacksim.DefaultTeamID, ch.ID); err != nil || len(stored) != 0 {
		t.Fatalf("after bad input, check-ins stored: %+v, %v; want none", stored, err)
	}
	got := h.submit(lena, v, formState(t, v.Blocks, map[string]any{checkinhandlers.BlockCheckinName: "Platform stand-up"}))
	if got.ResponseAction == "errors" || !got.OK {
		t.Fatalf("create: %+v", got)
	}
	var standupID int64
	eventually(t, "the stand-up's participants", func() error {
		cs, err := store.InChannel(ctx, slacksim.DefaultTeamID, ch.ID)
		if err != nil || len(cs) != 1 {
			return fmt.Errorf("check-ins %+v, %v", cs, err)
		}
		standupID = cs[0].ID
		people, err := models.NewSchedules(h.db).Targets(ctx, slacksim.DefaultTeamID, checkinmodels.ScheduleKey(standupID))
		if err != nil || len(people) != 3 {
			return fmt.Errorf("participants %v, %v; want 3", people, err)
		}
		return nil
	})
	eventually(t, "the announcement", func() error {
		msgs, err := h.ctl.Messages(ctx, ch.ID, lena)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.BotID != "" && strings.Contains(m.Text, "Platform stand-up") && strings.Contains(m.Text, "3 people") {
				return nil
			}
		}
		return fmt.Errorf("no announcement in %d messages", len(msgs))
	})

	// A second check-in, for Lena alone, on Mondays at the same time.
	h.commandIn(t, lena, ch.ID, "/trellis checkin new")
	v = h.topView(t, lena, checkinhandlers.CallbackCheckin)
	got = h.submit(lena, v, formState(t, v.Blocks, map[string]any{
		checkinhandlers.BlockCheckinName: "Weekly priorities", checkinhandlers.BlockCheckinCadence: "mondays at 09:30",
		checkinhandlers.BlockCheckinQuestions: "What matters most this week?", checkinhandlers.BlockCheckinParticipants: "chosen",
		checkinhandlers.BlockCheckinPeople: []string{lena}, checkinhandlers.BlockCheckinDestination: "channel", checkinhandlers.BlockCheckinReminders: "0",
	}))
	if got.ResponseAction == "errors" || !got.OK {
		t.Fatalf("create the weekly: %+v", got)
	}

	// Someone else cannot change the stand-up.
	id := strconv.FormatInt(standupID, 10)
	for _, verb := range []string{"pause", "delete", "edit", "run"} {
		if got := h.commandIn(t, omar, ch.ID, "/trellis checkin "+verb+" "+id); !strings.Contains(got, "Only <@"+lena+">") {
			t.Errorf("Omar's %s: %q, want the friendly refusal", verb, got)
		}
	}
	if c, err := store.Get(ctx, slacksim.DefaultTeamID, standupID); err != nil || c.Paused {
		t.Fatalf("after Omar's attempts: %+v, %v", c, err)
	}

	// Monday. Lena's 09:30 (08:30 UTC) brings both check-ins in one DM.
	h.setClock(t, mon.Add(9*time.Hour))
	ps := h.prompts(t, lena)
	if len(ps) != 2 || ps[0].msg.TS != ps[1].msg.TS {
		t.Fatalf("Lena's Monday prompts: %+v; want both check-ins in one DM", ps)
	}
	first := ps[0]
	for _, p := range ps {
		if p.checkin == "Platform stand-up" {
			first = p
		}
	}
	// She answers: blocked, and Sam could help.
	h.click(t, lena, first.msg, checkins.ActionCheckinAnswer, checkins.PromptActionsBlockID(first.round), "")
	av := h.topView(t, lena, checkinhandlers.CallbackAnswer)
	got = h.submit(lena, av, formState(t, av.Blocks, map[string]any{
		checkinhandlers.AnswerBlockID(1): "Shipped the <!channel> importer", checkinhandlers.AnswerBlockID(2): "Billing retries",
		checkinhandlers.AnswerBlockID(3): checkins.ValueYes, checkinhandlers.AnswerHelperBlockID(3): sam,
	}))
	if got.ResponseAction == "errors" {
		t.Fatalf("Lena's answer: %+v", got)
	}
	var header slacksim.Message
	eventually(t, "Lena's answer in the round's thread", func() error {
		msgs, err := h.ctl.Messages(ctx, ch.ID, lena)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if strings.Contains(m.Text, "Platform stand-up") && strings.Contains(m.Text, "answers in the thread") {
				header = m
			}
		}
		if header.TS == "" {
			return fmt.Errorf("no round header in %d messages", len(msgs))
		}
		th := threadOf(msgs, header.TS)
		if len(th) != 1 || !strings.Contains(blockText(th[0].Blocks), "Billing retries") || !strings.Contains(blockText(th[0].Blocks), "Lena") {
			return fmt.Errorf("thread: %+v", th)
		}
		if strings.Contains(th[0].Text+string(th[0].Blocks), "<!channel>") {
			return fmt.Errorf("the answer can ping the channel: %s", th[0].Blocks)
		}
		return nil
	})

	// 14:45 UTC: Sam got the helper notice at 09:00 his time and the
	// stand-up at 09:30; he skips it.
	h.setClock(t, mon.Add(14*time.Hour+45*time.Minute))
	samDMs := h.dms(t, sam)
	if len(samDMs) != 2 || !strings.Contains(samDMs[0].Text+blockText(samDMs[0].Blocks), "named you") {
		for _, m := range samDMs {
			t.Logf("Sam's DM at %s: %s", tsTime(m.TS).UTC(), m.Text)
		}
		t.Fatalf("Sam has %d DMs; want the helper notice, then the prompt", len(samDMs))
	}
	sp := h.prompts(t, sam)
	h.click(t, sam, sp[0].msg, checkins.ActionCheckinSkip, checkins.PromptActionsBlockID(sp[0].round), "")
	eventually(t, "Sam's prompt marked skipped", func() error {
		for _, m := range h.dms(t, sam) {
			if m.TS == sp[0].msg.TS && strings.Contains(blockText(m.Blocks), "Skipped") {
				return nil
			}
		}
		return fmt.Errorf("not marked")
	})
	if helperToOthers := len(h.dms(t, omar)); helperToOthers != 0 {
		t.Errorf("Omar got %d DMs before his day began", helperToOthers)
	}

	// 16:45 UTC: Omar's shift began at 22:00 (16:30 UTC). He snoozes for
	// 30 minutes, and the prompt comes back at 17:15.
	h.setClock(t, mon.Add(16*time.Hour+45*time.Minute))
	op := h.prompts(t, omar)
	if len(op) != 1 {
		t.Fatalf("Omar's prompts at 16:45 UTC: %+v", op)
	}
	h.click(t, omar, op[0].msg, checkins.ActionCheckinSnooze, checkins.PromptActionsBlockID(op[0].round), checkins.SnoozeValue(30, op[0].round, standupID))
	h.setClock(t, mon.Add(17*time.Hour+20*time.Minute))
	op = h.prompts(t, omar)
	if len(op) != 2 || op[1].kind != "snoozed" || !tsTime(op[1].msg.TS).Truncate(time.Minute).Equal(mon.Add(17*time.Hour+15*time.Minute)) {
		occs, _ := models.NewOccurrences(h.db).ForRecipient(ctx, slacksim.DefaultTeamID, omar, time.Time{}, 50)
		for _, o := range occs {
			t.Logf("occurrence %s at %s: %s %s", o.CadenceID, o.DeliverAt.UTC(), o.Status, o.Reason)
		}
		t.Fatalf("Omar has %d prompts after snoozing; want the snoozed one back at 17:15 UTC", len(op))
	}
	h.click(t, omar, op[1].msg, checkins.ActionCheckinAnswer, checkins.PromptActionsBlockID(op[1].round), "")
	av = h.topView(t, omar, checkinhandlers.CallbackAnswer)
	got = h.submit(omar, av, formState(t, av.Blocks, map[string]any{
		checkinhandlers.AnswerBlockID(1): "Night batch tuning", checkinhandlers.AnswerBlockID(2): "Index rebuild", checkinhandlers.AnswerBlockID(3): checkins.ValueNo,
	}))
	if got.ResponseAction == "errors" {
		t.Fatalf("Omar's answer: %+v", got)
	}
	eventually(t, "Omar's answer in the same thread", func() error {
		msgs, _ := h.ctl.Messages(ctx, ch.ID, lena)
		if th := threadOf(msgs, header.TS); len(th) != 2 || !strings.Contains(blockText(th[1].Blocks), "Index rebuild") {
			return fmt.Errorf("thread: %d replies", len(th))
		}
		return nil
	})

	// The round closes at 00:30 UTC (Omar's 8 hours); its summary.
	h.setClock(t, mon.Add(25*time.Hour))
	msgs, err := h.ctl.Messages(ctx, ch.ID, lena)
	if err != nil {
		t.Fatal(err)
	}
	th := threadOf(msgs, header.TS)
	if len(th) != 3 {
		t.Fatalf("Monday's thread has %d replies, want 2 answers and the summary", len(th))
	}
	sum := th[2].Text + blockText(th[2].Blocks)
	if !strings.Contains(sum, "2 of 3") || !strings.Contains(sum, "1 blocker") {
		t.Errorf("Monday's summary: %s", sum)
	}
	for _, u := range []string{lena, omar, sam} {
		if strings.Contains(sum, u) {
			t.Errorf("the summary names %s", u)
		}
	}

	// Run to the end of the second week, a day at a time: each move of the
	// sandbox clock runs every tick on the way before it answers, and
	// closing a round now also changes its waiting prompts, paced as Slack
	// paces chat.update.
	for d := 2; d <= 14; d++ {
		h.setClock(t, mon.Add(time.Duration(d)*24*time.Hour))
	}

	// Every prompt once, at its local time; a reminder 4 hours later only
	// while unanswered; none on a holiday or while away.
	expect := func(user, tz string, localAsk string, skip func(calendar.Date) bool, noReminderOn calendar.Date) {
		t.Helper()
		loc, _ := time.LoadLocation(tz)
		asks, reminders := map[calendar.Date]int{}, map[calendar.Date]int{}
		for _, p := range h.prompts(t, user) {
			if p.checkin != "Platform stand-up" {
				continue
			}
			at := tsTime(p.msg.TS).In(loc)
			switch p.kind {
			case "ask":
				d := calendar.DateOf(at)
				asks[d]++
				if at.Format("15:04") != localAsk {
					t.Errorf("%s asked at %s local, want %s", user, at.Format("Mon 2 Jan 15:04"), localAsk)
				}
			case "reminder":
				d := calendar.DateOf(at.Add(-4 * time.Hour))
				reminders[d]++
				if at.Add(-4*time.Hour).Format("15:04") != localAsk {
					t.Errorf("%s reminded at %s local, want 4 hours after %s", user, at.Format("Mon 2 Jan 15:04"), localAsk)
				}
			}
		}
		for d := monDate; d.Before(monDate.AddDays(14)); d = d.AddDays(1) {
			want := 1
			if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday || skip(d) {
				want = 0
			}
			if asks[d] != want {
				t.Errorf("%s was asked %d times on %s, want %d", user, asks[d], d.Format("Mon 2 Jan"), want)
			}
			wantRem := want
			if d == noReminderOn {
				wantRem = 0
			}
			if reminders[d] != wantRem {
				t.Errorf("%s got %d reminders for %s, want %d", user, reminders[d], d.Format("Mon 2 Jan"), wantRem)
			}
		}
	}
	none := func(calendar.Date) bool { return false }
	// Lena is never asked on a public holiday of her region: the one the
	// region was picked for, and any other in the two weeks (25 December,
	// when the test runs in December).
	cal, ok := holidays.Lookup(region)
	if !ok {
		t.Fatalf("region %s has no calendar", region)
	}
	expect(lena, "Europe/Vienna", "09:30", func(d calendar.Date) bool { return d == holiday || len(cal.Between(d, d)) > 0 }, monDate)
	expect(sam, "America/New_York", "09:30", func(d calendar.Date) bool { return !d.Before(awayFrom) && !d.After(awayTo) }, monDate)
	expect(omar, "Asia/Kolkata", "22:00", none, monDate)

	// One summary per round, each in its own thread.
	msgs, _ = h.ctl.Messages(ctx, ch.ID, lena)
	summaries := 0
	for _, m := range msgs {
		if m.ThreadTS != "" && m.ThreadTS != m.TS || !strings.Contains(m.Text, "answers in the thread") {
			continue
		}
		n := 0
		for _, r := range threadOf(msgs, m.TS) {
			if strings.Contains(r.Text, "summary") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("round %q has %d summaries", m.Text, n)
		}
		summaries++
	}
	if summaries != 10 {
		t.Errorf("%d rounds had a thread, want one per weekday (10)", summaries)
	}

	// A button's value is the person's to change: Omar skipping the round
	// of Lena's weekly check-in, which never asked him, changes nothing.
	var weekly promptPart
	for _, p := range h.prompts(t, lena) {
		if p.checkin == "Weekly priorities" {
			weekly = p
		}
	}
	weeklyCheckins, err := store.InChannel(ctx, slacksim.DefaultTeamID, ch.ID)
	if err != nil || weekly.round == 0 {
		t.Fatalf("weekly round %d, check-ins %v", weekly.round, err)
	}
	var weeklyID int64
	for _, c := range weeklyCheckins {
		if c.Name == "Weekly priorities" {
			weeklyID = c.ID
		}
	}
	ops := h.prompts(t, omar)
	last := ops[len(ops)-1]
	forged, err := h.ctl.Action(ctx, slacksim.ActionRequest{User: omar, Channel: last.msg.Channel, MessageTS: last.msg.TS,
		ActionID: checkins.ActionCheckinSkip, BlockID: checkins.PromptActionsBlockID(last.round), Value: checkins.AnswerMetadata(weekly.round, weeklyID)})
	if err != nil || !forged.OK {
		t.Fatalf("forged skip: %+v, %v", forged, err)
	}
	if _, err := store.MyResponse(ctx, slacksim.DefaultTeamID, weekly.round, omar); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a forged skip recorded Omar in a round that never asked him: %v", err)
	}

	// Omar's Home tab offers the last round, still waiting for him.
	if _, err := h.ctl.OpenHome(ctx, omar); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Omar's Home tab", func() error {
		v, err := h.ctl.Home(ctx, omar)
		if err != nil || v == nil {
			return fmt.Errorf("home %v, %v", v, err)
		}
		if b := string(v.Blocks); !strings.Contains(b, `"`+checkins.ActionCheckinAnswer+`"`) || !strings.Contains(b, "Platform stand-up") {
			return fmt.Errorf("no waiting round with an Answer button: %s", blockText(v.Blocks))
		}
		return nil
	})

	// The owner edits, pauses, resumes and finally deletes it.
	h.commandIn(t, lena, ch.ID, "/trellis checkin edit "+id)
	ev := h.topView(t, lena, checkinhandlers.CallbackCheckin)
	if !strings.Contains(string(ev.Blocks), "Platform stand-up") {
		t.Fatalf("the edit form is not filled in: %s", blockText(ev.Blocks))
	}
	if got := h.submit(lena, ev, formState(t, ev.Blocks, map[string]any{checkinhandlers.BlockCheckinName: "Platform sync"})); got.ResponseAction == "errors" || !got.OK {
		t.Fatalf("edit: %+v", got.Errors)
	}
	if c, err := store.Get(ctx, slacksim.DefaultTeamID, standupID); err != nil || c.Name != "Platform sync" || len(c.Questions) != 3 {
		t.Fatalf("after the edit: %+v, %v", c, err)
	}
	for _, step := range []struct {
		verb   string
		paused bool
	}{{"pause", true}, {"resume", false}} {
		if got := h.commandIn(t, lena, ch.ID, "/trellis checkin "+step.verb+" "+id); !strings.Contains(got, "Platform sync") {
			t.Errorf("%s: %q", step.verb, got)
		}
		if c, err := store.Get(ctx, slacksim.DefaultTeamID, standupID); err != nil || c.Paused != step.paused {
			t.Errorf("after %s: paused %v, %v", step.verb, c.Paused, err)
		}
	}

	// Exports: everyone's for the owner, his own for Omar.
	h.commandIn(t, lena, ch.ID, "/trellis checkin export "+id)
	h.commandIn(t, omar, ch.ID, "/trellis checkin export "+id)
	for user, want := range map[string][]string{lena: {"Billing retries", "Index rebuild"}, omar: {"Index rebuild"}} {
		eventually(t, "the export in "+user+"'s DM", func() error {
			files, err := h.ctl.Files(ctx, user)
			if err != nil || len(files) != 1 {
				return fmt.Errorf("files %+v, %v", files, err)
			}
			body := string(files[0].Content)
			for _, w := range want {
				if !strings.Contains(body, w) {
					return fmt.Errorf("export lacks %q:\n%s", w, body)
				}
			}
			if user == omar && strings.Contains(body, "Billing retries") {
				return fmt.Errorf("Omar's export holds Lena's answer")
			}
			if user == lena && strings.Contains(body, sam) {
				return fmt.Errorf("the owner's export names Sam, who skipped a round:\n%s", body)
			}
			return nil
		})
	}

	if got := h.commandIn(t, lena, ch.ID, "/trellis checkin delete "+id); !strings.Contains(got, "Deleted") {
		t.Errorf("delete: %q", got)
	}
	if _, err := store.Get(ctx, slacksim.DefaultTeamID, standupID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("after delete: %v, want not found", err)
	}
}
