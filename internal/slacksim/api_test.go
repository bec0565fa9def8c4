package slacksim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func slackErr(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestUsersInfo(t *testing.T) {
	e := newEnv(t, Config{})
	tests := []struct {
		id     string
		tz     string
		offset int
		label  string
	}{
		{DemoRavi, "Asia/Kolkata", 19800, "India Standard Time"},
		{DemoAda, "Europe/London", 3600, "British Summer Time"},
		{DemoCarlos, "America/Sao_Paulo", -10800, "Brasilia Standard Time"},
		{DemoJordan, "America/Los_Angeles", -25200, "Pacific Daylight Time"},
	}
	for _, tt := range tests {
		u, err := e.api.GetUserInfo(tt.id)
		if err != nil {
			t.Fatalf("GetUserInfo(%s): %v", tt.id, err)
		}
		if u.TZ != tt.tz || u.TZOffset != tt.offset || u.TZLabel != tt.label {
			t.Errorf("GetUserInfo(%s) tz = %q %d %q, want %q %d %q", tt.id, u.TZ, u.TZOffset, u.TZLabel, tt.tz, tt.offset, tt.label)
		}
	}
	ada, _ := e.api.GetUserInfo(DemoAda)
	if !ada.IsAdmin || ada.RealName != "Ada Lovelace" || ada.Deleted || ada.IsBot {
		t.Errorf("Ada = admin %v, real name %q, deleted %v, bot %v", ada.IsAdmin, ada.RealName, ada.Deleted, ada.IsBot)
	}
	noor, _ := e.api.GetUserInfo(DemoNoor)
	wantExp := int(testStart.Add(5 * 24 * time.Hour).Unix())
	if noor.Profile.StatusText != "Vacationing" || noor.Profile.StatusEmoji != ":palm_tree:" || noor.Profile.StatusExpiration != wantExp {
		t.Errorf("Noor status = %q %q %d, want Vacationing :palm_tree: %d", noor.Profile.StatusText, noor.Profile.StatusEmoji, noor.Profile.StatusExpiration, wantExp)
	}
	if _, err := e.api.GetUserInfo("UNOBODY"); slackErr(err) != "user_not_found" {
		t.Errorf("GetUserInfo(UNOBODY) error = %v, want user_not_found", err)
	}

	// In January London is on GMT.
	e.clock.Set(time.Date(2025, 1, 15, 9, 0, 0, 0, time.UTC))
	ada, _ = e.api.GetUserInfo(DemoAda)
	if ada.TZOffset != 0 || ada.TZLabel != "Greenwich Mean Time" {
		t.Errorf("Ada in January: %d %q, want 0 Greenwich Mean Time", ada.TZOffset, ada.TZLabel)
	}
	// Noor's vacation expired by then.
	noor, _ = e.api.GetUserInfo(DemoNoor)
	if noor.Profile.StatusText != "" || noor.Profile.StatusExpiration != 0 {
		t.Errorf("Noor's expired status = %q %d, want cleared", noor.Profile.StatusText, noor.Profile.StatusExpiration)
	}
}

func TestUsersListPagination(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	p := e.api.GetUsersPaginated(slack.GetUsersOptionLimit(3))
	var ids []string
	pages := 0
	var err error
	for {
		p, err = p.Next(ctx)
		if p.Done(err) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		pages++
		if len(p.Users) > 3 {
			t.Errorf("page %d has %d users, want ≤ 3", pages, len(p.Users))
		}
		for _, u := range p.Users {
			ids = append(ids, u.ID)
		}
	}
	// Six people, the bot and Slackbot.
	if len(ids) != 8 || pages != 3 {
		t.Fatalf("users.list gave %d users in %d pages, want 8 in 3: %v", len(ids), pages, ids)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("user %s listed twice", id)
		}
		seen[id] = true
	}
	if !seen["USLACKBOT"] || !seen[demoBot(e)] {
		t.Errorf("users.list misses Slackbot or the bot: %v", ids)
	}
	all, err := e.api.GetUsersContext(ctx)
	if err != nil || len(all) != 8 {
		t.Errorf("GetUsers = %d users, %v; want 8", len(all), err)
	}
}

// demoBot is the bot user id of e's workspace.
func demoBot(e *testEnv) string { return e.srv.cfg.BotUserID }

func TestPostMessageToUserLandsInDM(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	meta := slack.SlackMetadata{EventType: "checkin_prompt", EventPayload: map[string]any{"occurrence": "occ-42"}}
	ch, ts, msg, err := e.api.PostMessageWithResponse(DemoMei,
		slack.MsgOptionText("How was your week?", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*How was your week?*", false, false), nil, nil)),
		slack.MsgOptionMetadata(meta))
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}
	if ch != "D0DEMOMEI" || ts == "" {
		t.Fatalf("PostMessage = %q %q, want D0DEMOMEI and a ts", ch, ts)
	}
	if msg.Metadata.EventType != "checkin_prompt" || msg.Metadata.EventPayload["occurrence"] != "occ-42" {
		t.Errorf("returned metadata = %+v", msg.Metadata)
	}
	if msg.BotID != e.srv.cfg.BotID || len(msg.Blocks.BlockSet) != 1 {
		t.Errorf("returned message bot_id %q, %d blocks", msg.BotID, len(msg.Blocks.BlockSet))
	}
	// The IM id is stable and conversations.open agrees.
	im, _, _, err := e.api.OpenConversation(&slack.OpenConversationParameters{Users: []string{DemoMei}})
	if err != nil || im.ID != ch {
		t.Errorf("OpenConversation = %v, %v; want %s", im, err, ch)
	}
	_, rts, err := e.api.PostMessage(ch, slack.MsgOptionText("thread reply", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	msgs, err := e.ctl.Messages(ctx, DemoMei, DemoMei)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].TS != ts || msgs[0].Metadata == nil || msgs[0].Metadata.EventType != "checkin_prompt" {
		t.Fatalf("DM messages = %+v", msgs)
	}
	if msgs[1].TS != rts || msgs[1].ThreadTS != ts {
		t.Errorf("reply = %+v, want thread_ts %s", msgs[1], ts)
	}
	var payload map[string]string
	if err := json.Unmarshal(msgs[0].Metadata.EventPayload, &payload); err != nil || payload["occurrence"] != "occ-42" {
		t.Errorf("stored payload = %s", msgs[0].Metadata.EventPayload)
	}

	// History returns metadata only when asked, like Slack.
	h, err := e.api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch, IncludeAllMetadata: true})
	if err != nil || len(h.Messages) != 1 || h.Messages[0].Metadata.EventType != "checkin_prompt" {
		t.Errorf("history = %+v, %v", h, err)
	}

	if _, _, _, err := e.api.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText("edited", false)); err != nil {
		t.Errorf("UpdateMessage: %v", err)
	}
	if _, _, err := e.api.DeleteMessage(ch, rts); err != nil {
		t.Errorf("DeleteMessage: %v", err)
	}
	msgs, _ = e.ctl.Messages(ctx, ch, "")
	if len(msgs) != 1 || msgs[0].Text != "edited" || !msgs[0].Edited || len(msgs[0].Blocks) == 0 {
		t.Errorf("after update and delete: %+v", msgs)
	}
}

func TestMessageErrors(t *testing.T) {
	e := newEnv(t, Config{})
	var blocks []slack.Block
	for range 51 {
		blocks = append(blocks, slack.NewDividerBlock())
	}
	tests := []struct {
		name string
		ch   string
		opts []slack.MsgOption
		want string
	}{
		{"51 blocks", DemoAda, []slack.MsgOption{slack.MsgOptionBlocks(blocks...)}, "invalid_blocks"},
		{"long text", DemoAda, []slack.MsgOption{slack.MsgOptionText(strings.Repeat("x", 40001), false)}, "msg_too_long"},
		{"no text", DemoAda, nil, "no_text"},
		{"unknown channel", "C0NOPE", []slack.MsgOption{slack.MsgOptionText("hi", false)}, "channel_not_found"},
	}
	for _, tt := range tests {
		_, _, err := e.api.PostMessage(tt.ch, tt.opts...)
		if got := slackErr(err); got != tt.want {
			t.Errorf("%s: error %q, want %q", tt.name, got, tt.want)
		}
	}
	ctx := testCtx(t)
	if _, err := e.ctl.CreateChannel(ctx, NewChannel{Name: "quiet", Members: []string{DemoAda}, WithoutBot: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.api.PostMessage("#quiet", slack.MsgOptionText("hi", false)); slackErr(err) != "not_in_channel" {
		t.Errorf("post to a channel without the bot: %v, want not_in_channel", err)
	}
	if _, err := e.api.PostEphemeral("C0DEMOTEAM", "U0NOBODY", slack.MsgOptionText("hi", false)); slackErr(err) != "user_not_found" {
		t.Errorf("ephemeral to nobody: %v", err)
	}
}

func TestAuthAndUnknownMethod(t *testing.T) {
	e := newEnv(t, Config{})
	res, err := e.api.AuthTest()
	if err != nil || res.UserID != "U0TRELLIS" || res.BotID != "B0TRELLIS" || res.TeamID != "T0SANDBOX" {
		t.Fatalf("AuthTest = %+v, %v", res, err)
	}
	if _, err := slack.New("xoxb-wrong", slack.OptionAPIURL(e.srv.APIURL())).AuthTest(); slackErr(err) != "invalid_auth" {
		t.Errorf("wrong token: %v", err)
	}
	if _, err := slack.New("", slack.OptionAPIURL(e.srv.APIURL())).AuthTest(); slackErr(err) != "not_authed" {
		t.Errorf("no token: %v", err)
	}
	if _, err := slack.New(e.srv.cfg.AppToken, slack.OptionAPIURL(e.srv.APIURL())).AuthTest(); slackErr(err) != "not_allowed_token_type" {
		t.Errorf("app token on auth.test: %v", err)
	}
	if _, _, err := slack.New(e.srv.cfg.BotToken, slack.OptionAPIURL(e.srv.APIURL()), slack.OptionAppLevelToken(e.srv.cfg.BotToken)).StartSocketModeContext(context.Background()); slackErr(err) != "not_allowed_token_type" {
		t.Errorf("bot token on apps.connections.open: %v", err)
	}
	resp, err := http.PostForm(e.srv.APIURL()+"nope.nothing", url.Values{"token": {e.srv.cfg.BotToken}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"error":"unknown_method"`) {
		t.Errorf("unknown method: %d %s", resp.StatusCode, body)
	}
}

func TestTierRateLimit(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	if err := e.ctl.SetLimits(ctx, Limits{Methods: map[string]int{"users.info": 3}}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := e.api.GetUserInfo(DemoAda); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	_, err := e.api.GetUserInfo(DemoAda)
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("4th call error = %v, want *slack.RateLimitedError", err)
	}
	if rl.RetryAfter < time.Second || rl.RetryAfter > time.Minute {
		t.Errorf("RetryAfter = %v, want within (1s, 60s]", rl.RetryAfter)
	}
	// Calling again before Retry-After is flagged in the call log.
	_, _ = e.api.GetUserInfo(DemoAda)
	calls, err := e.ctl.Calls(ctx, "users.info")
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 5 || calls[3].Status != 429 || calls[3].RetryAfter < 1 || calls[3].Error != "ratelimited" || !calls[4].EarlyRetry || calls[2].EarlyRetry {
		t.Errorf("calls = %+v", calls)
	}
	// Other methods are not blocked.
	if _, err := e.api.AuthTest(); err != nil {
		t.Errorf("auth.test while users.info is limited: %v", err)
	}

	// After Retry-After, calls go through again (short window for speed).
	if err := e.ctl.SetLimits(ctx, Limits{Methods: map[string]int{"team.info": 2}, Window: "1s"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := e.api.GetTeamInfo(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.api.GetTeamInfo(); !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("3rd team.info = %v, want Retry-After 1s", err)
	}
	time.Sleep(rl.RetryAfter)
	if _, err := e.api.GetTeamInfo(); err != nil {
		t.Errorf("team.info after Retry-After: %v", err)
	}
}

func TestPostMessageRateLimits(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	for i := range 3 {
		if _, _, err := e.api.PostMessage(DemoAda, slack.MsgOptionText("burst", false)); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	_, _, err := e.api.PostMessage(DemoAda, slack.MsgOptionText("one too many", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("4th message in a second = %v, want Retry-After 1s", err)
	}
	if _, _, err := e.api.PostMessage(DemoRavi, slack.MsgOptionText("another channel", false)); err != nil {
		t.Errorf("other channel: %v", err)
	}
	// The workspace cap counts every channel.
	if err := e.ctl.SetLimits(ctx, Limits{MessageCapPerMinute: 5}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.api.PostMessage(DemoMei, slack.MsgOptionText("fifth", false)); err != nil {
		t.Errorf("5th message: %v", err)
	}
	if _, _, err := e.api.PostMessage(DemoCarlos, slack.MsgOptionText("sixth", false)); !errors.As(err, &rl) {
		t.Errorf("6th message over the cap = %v, want rate limited", err)
	}
}

func TestFaultInjection(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	if _, err := e.ctl.AddFault(ctx, Fault{Method: "users.info", Every: 5, RetryAfter: 7}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 10; i++ {
		_, err := e.api.GetUserInfo(DemoAda)
		var rl *slack.RateLimitedError
		limited := errors.As(err, &rl)
		if want := i%5 == 0; limited != want {
			t.Errorf("call %d: rate limited %v (%v), want %v", i, limited, err, want)
		}
		if limited && rl.RetryAfter != 7*time.Second {
			t.Errorf("call %d: RetryAfter %v, want 7s", i, rl.RetryAfter)
		}
	}
	if err := e.ctl.ClearFaults(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ctl.AddFault(ctx, Fault{Method: "chat.postMessage", Next: 2}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		_, _, err := e.api.PostMessage(DemoRavi, slack.MsgOptionText("x", false))
		var sc slack.StatusCodeError
		if i < 2 && (!errors.As(err, &sc) || sc.Code != 500) {
			t.Errorf("call %d = %v, want HTTP 500", i+1, err)
		}
		if i == 2 && err != nil {
			t.Errorf("call 3 = %v, want success", err)
		}
	}
	if _, err := e.ctl.AddFault(ctx, Fault{Method: "users.info"}); err == nil {
		t.Error("a fault without every or next was accepted")
	}
}

// TestFaultHang: a hung method holds every call, and only that method's,
// unanswered until the fault is cleared; a caller that gives up is logged
// as having hung up, and a held call is served once the hang is cleared.
func TestFaultHang(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	for _, bad := range []Fault{{Method: "users.info", Hang: true, Next: 1}, {Method: "users.info", Hang: true, Status: 500}, {Method: "users.info", Hang: true, Hold: "1s"}} {
		if _, err := e.ctl.AddFault(ctx, bad); err == nil {
			t.Errorf("AddFault(%+v) accepted a hang with another fault's fields", bad)
		}
	}
	if _, err := e.ctl.AddFault(ctx, Fault{Method: "users.info", Hang: true}); err != nil {
		t.Fatal(err)
	}
	type result struct {
		u   *slack.User
		err error
	}
	held := make(chan result, 1)
	go func() {
		u, err := e.api.GetUserInfoContext(ctx, DemoAda)
		held <- result{u, err}
	}()
	// A caller that gives up gets its own error back, never an answer.
	gaveUp, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.api.GetUserInfoContext(gaveUp, DemoRavi); !errors.Is(err, context.Canceled) {
		t.Errorf("users.info with a cancelled context = %v, want context.Canceled", err)
	}
	// Other methods flow.
	if _, err := e.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "D0DEMOCARL"}); err != nil {
		var se slack.SlackErrorResponse
		if !errors.As(err, &se) {
			t.Errorf("conversations.info while users.info hangs = %v, want an answer", err)
		}
	}
	select {
	case r := <-held:
		t.Fatalf("a held users.info was answered before the hang was cleared: %+v", r)
	default:
	}
	if err := e.ctl.ClearFaults(ctx, "users.info"); err != nil {
		t.Fatal(err)
	}
	r := <-held
	if r.err != nil || r.u == nil || r.u.ID != DemoAda {
		t.Fatalf("held users.info after the hang was cleared = %+v, %v; want Ada", r.u, r.err)
	}
	if _, err := e.api.GetUserInfoContext(ctx, DemoRavi); err != nil {
		t.Errorf("users.info after the hang was cleared = %v", err)
	}
}

func TestConversations(t *testing.T) {
	e := newEnv(t, Config{})
	ch, noOp, already, err := e.api.OpenConversation(&slack.OpenConversationParameters{Users: []string{DemoCarlos}})
	if err != nil || ch.ID != "D0DEMOCARL" || noOp || already {
		t.Fatalf("first open = %v %v %v %v", ch, noOp, already, err)
	}
	_, _, already, _ = e.api.OpenConversation(&slack.OpenConversationParameters{Users: []string{DemoCarlos}})
	if !already {
		t.Error("second open: already_open false")
	}
	var members []string
	cursor := ""
	for {
		page, next, err := e.api.GetUsersInConversation(&slack.GetUsersInConversationParameters{ChannelID: DemoTeam, Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Errorf("page of %d members", len(page))
		}
		members = append(members, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(members) != 7 {
		t.Errorf("#team members = %v, want the six people and the bot", members)
	}
	info, err := e.api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: DemoTeam, IncludeNumMembers: true})
	if err != nil || info.Name != "team" || info.NumMembers != 7 || !info.IsChannel {
		t.Errorf("conversations.info = %+v, %v", info, err)
	}
	if _, err := e.api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "C0NOPE"}); slackErr(err) != "channel_not_found" {
		t.Errorf("unknown channel: %v", err)
	}
}

func TestDNDInfo(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	start, end := testStart.Add(8*time.Hour).Unix(), testStart.Add(16*time.Hour).Unix()
	if err := e.ctl.SetDND(ctx, DND{User: DemoMei, DNDEnabled: true, NextDNDStartTS: start, NextDNDEndTS: end}); err != nil {
		t.Fatal(err)
	}
	user := DemoMei
	st, err := e.api.GetDNDInfo(&user)
	if err != nil || !st.Enabled || int64(st.NextStartTimestamp) != start || int64(st.NextEndTimestamp) != end {
		t.Errorf("dnd.info = %+v, %v", st, err)
	}
	user = DemoAda
	st, _ = e.api.GetDNDInfo(&user)
	if st.Enabled || st.NextStartTimestamp != 1 {
		t.Errorf("Ada's dnd = %+v, want disabled with next_dnd_start_ts 1", st)
	}
	team, err := e.api.GetDNDTeamInfo([]string{DemoMei, DemoAda})
	if err != nil || !team[DemoMei].Enabled || team[DemoAda].Enabled {
		t.Errorf("dnd.teamInfo = %+v, %v", team, err)
	}
}

// TestHeldAnswers: a hold fault makes the call take effect and holds its
// answer back; a hold longer than the client waits is a message Slack
// accepted whose answer never reached the sender.
func TestHeldAnswers(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	for _, bad := range []Fault{
		{Method: "chat.postMessage", Next: 1, Hold: "soon"},
		{Method: "chat.postMessage", Next: 1, Hold: "-1s"},
		{Method: "chat.postMessage", Next: 1, Hold: "1s", Status: 200},
	} {
		if _, err := e.ctl.AddFault(ctx, bad); err == nil {
			t.Errorf("fault %+v was accepted", bad)
		}
	}

	// Slow: every call is answered, each after the hold.
	const hold = 300 * time.Millisecond
	if _, err := e.ctl.AddFault(ctx, Fault{Method: "chat.postMessage", Next: 2, Hold: hold.String()}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, _, err := e.api.PostMessage(DemoRavi, slack.MsgOptionText(fmt.Sprintf("slow %d", i), false)); err != nil {
			t.Errorf("held call %d = %v, want success", i, err)
		}
	}
	calls, err := e.ctl.Calls(ctx, "chat.postMessage")
	if err != nil || len(calls) != 3 {
		t.Fatalf("calls = %+v, %v", calls, err)
	}
	for i, c := range calls {
		held := c.Answered.Sub(c.Time) >= hold
		if want := i < 2; held != want || !c.OK {
			t.Errorf("call %d answered after %v (ok %v), want held %v", i, c.Answered.Sub(c.Time), c.OK, want)
		}
	}

	// Accepted, then never answered in time: the client gives up, the
	// message is in the conversation all the same.
	if _, err := e.ctl.AddFault(ctx, Fault{Method: "chat.postMessage", Next: 1, Hold: "1m"}); err != nil {
		t.Fatal(err)
	}
	impatient := slack.New(DefaultBotToken, slack.OptionAPIURL(e.srv.APIURL()),
		slack.OptionHTTPClient(&http.Client{Timeout: 200 * time.Millisecond}))
	// (Another person's DM: Ravi's has used its burst of messages.)
	if _, _, err := impatient.PostMessage(DemoCarlos, slack.MsgOptionText("accepted", false)); err == nil {
		t.Error("a post held past the client's timeout succeeded")
	}
	msgs, err := e.ctl.Messages(ctx, DemoCarlos, DemoCarlos)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(msgs); n == 0 || msgs[n-1].Text != "accepted" {
		t.Errorf("after the timeout the DM holds %+v, want the accepted message last", msgs)
	}

	// A held error: the call takes effect with after_effect, and the 500
	// comes late.
	if _, err := e.ctl.AddFault(ctx, Fault{Method: "chat.postMessage", Next: 1, Status: 503, AfterEffect: true, Hold: hold.String()}); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.api.PostMessage(DemoMei, slack.MsgOptionText("late error", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 503 {
		t.Errorf("held error = %v, want HTTP 503", err)
	}
}

// conversations.open with several people opens their group DM (an mpim):
// the same id for the same people in any order, another for other people;
// it takes posts with metadata, and history and members read it.
func TestGroupDMs(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	open := func(users ...string) (*slack.Channel, bool, error) {
		ch, _, already, err := e.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: users, ReturnIM: true})
		return ch, already, err
	}
	g, already, err := open(DemoMei, DemoCarlos, DemoAda)
	if err != nil || already {
		t.Fatalf("open a group DM = %v, %v, %v", g, already, err)
	}
	if !strings.HasPrefix(g.ID, "G") || !g.IsMpIM || g.IsIM {
		t.Errorf("group DM %s: is_mpim %v, is_im %v; want a G id, is_mpim and not is_im", g.ID, g.IsMpIM, g.IsIM)
	}
	again, already, err := open(DemoAda, DemoMei, DemoCarlos, e.srv.cfg.BotUserID)
	if err != nil || again.ID != g.ID || !already {
		t.Errorf("the same people in another order (and the bot) = %v, %v, %v; want %s, already open", again, already, err, g.ID)
	}
	other, _, err := open(DemoMei, DemoCarlos)
	if err != nil || other.ID == g.ID || !strings.HasPrefix(other.ID, "G") {
		t.Errorf("two of them = %v, %v; want another group DM than %s", other, err, g.ID)
	}
	if im, _, err := open(DemoMei); err != nil || im.ID != "D0DEMOMEI" || im.IsMpIM {
		t.Errorf("one person = %v, %v; want their IM", im, err)
	}
	if _, _, err := open(DemoMei, "U0NOBODY"); slackErr(err) != "user_not_found" {
		t.Errorf("an unknown person in users: %v, want user_not_found", err)
	}

	members, _, err := e.api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: g.ID})
	want := []string{DemoAda, DemoCarlos, DemoMei, e.srv.cfg.BotUserID}
	slices.Sort(want)
	if slices.Sort(members); err != nil || !slices.Equal(members, want) {
		t.Errorf("members of %s = %v, %v; want %v", g.ID, members, err, want)
	}

	meta := slack.SlackMetadata{EventType: "trellis_occurrence", EventPayload: map[string]any{"occurrence_ids": "7"}}
	ch, ts, err := e.api.PostMessageContext(ctx, g.ID, slack.MsgOptionText("hello all", false), slack.MsgOptionMetadata(meta))
	if err != nil || ch != g.ID {
		t.Fatalf("post into the group DM = %s, %v", ch, err)
	}
	h, err := e.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: g.ID, IncludeAllMetadata: true})
	if err != nil || len(h.Messages) != 1 || h.Messages[0].Timestamp != ts || h.Messages[0].Metadata.EventPayload["occurrence_ids"] != "7" {
		t.Errorf("history of the group DM = %+v, %v", h, err)
	}

	// The control API finds the group DM by its people, in any order, and
	// each of them sees it among their conversations.
	got, ok, err := e.ctl.GroupDM(ctx, DemoCarlos, DemoAda, DemoMei)
	if err != nil || !ok || got.ID != g.ID || got.Kind != "mpim" {
		t.Errorf("GroupDM = %+v, %v, %v; want %s", got, ok, err, g.ID)
	}
	if _, ok, err := e.ctl.GroupDM(ctx, DemoAda, DemoCarlos); ok || err != nil {
		t.Errorf("GroupDM of people with no group DM = %v, %v; want none", ok, err)
	}
	msgs, err := e.ctl.GroupMessages(ctx, DemoMei, DemoAda, DemoCarlos)
	if err != nil || len(msgs) != 1 || msgs[0].Text != "hello all" || msgs[0].Channel != g.ID {
		t.Errorf("GroupMessages = %+v, %v", msgs, err)
	}
	for _, u := range []string{DemoMei, DemoCarlos, DemoAda} {
		convs, err := e.ctl.Conversations(ctx, u)
		if err != nil || !slices.ContainsFunc(convs, func(c Conversation) bool { return c.ID == g.ID }) {
			t.Errorf("conversations of %s = %+v, %v; want the group DM among them", u, convs, err)
		}
	}
}
