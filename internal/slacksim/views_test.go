package slacksim

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func testModal(title string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:  slack.VTModal,
		Title: slack.NewTextBlockObject("plain_text", title, false, false),
		Close: slack.NewTextBlockObject("plain_text", "Cancel", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "Hello", false, false), nil, nil),
		}},
	}
}

func TestViewsOpenTriggers(t *testing.T) {
	e := newEnv(t, Config{TriggerTTL: 50 * time.Millisecond})
	trig := e.issueTrigger(DemoAda)
	v, err := e.api.OpenView(trig, testModal("First"))
	if err != nil {
		t.Fatalf("OpenView: %v", err)
	}
	if v.ID == "" || v.Hash == "" || v.RootViewID != v.ID || v.AppID != "A0TRELLIS" || v.State == nil {
		t.Errorf("opened view = %+v", v.View)
	}
	if _, err := e.api.OpenView(trig, testModal("Again")); slackErr(err) != "exchanged_trigger_id" {
		t.Errorf("reused trigger: %v, want exchanged_trigger_id", err)
	}
	late := e.issueTrigger(DemoAda)
	time.Sleep(60 * time.Millisecond)
	if _, err := e.api.OpenView(late, testModal("Late")); slackErr(err) != "expired_trigger_id" {
		t.Errorf("expired trigger: %v, want expired_trigger_id", err)
	}
	if _, err := e.api.OpenView("123.456.abc", testModal("Bogus")); slackErr(err) != "invalid_trigger_id" {
		t.Errorf("unknown trigger: %v, want invalid_trigger_id", err)
	}
	if _, err := e.api.OpenView(e.issueTrigger(DemoAda), testModal(strings.Repeat("t", 25))); slackErr(err) != "invalid_arguments" {
		t.Errorf("25-character title: %v, want invalid_arguments", err)
	}
}

func TestViewStackAndUpdate(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	root, err := e.api.OpenView(e.issueTrigger(DemoRavi), testModal("One"))
	if err != nil {
		t.Fatal(err)
	}
	for i, title := range []string{"Two", "Three"} {
		v, err := e.api.PushView(e.issueTrigger(DemoRavi), testModal(title))
		if err != nil {
			t.Fatalf("push %d: %v", i+1, err)
		}
		if v.RootViewID != root.ID || v.PreviousViewID == "" {
			t.Errorf("pushed view root %q previous %q", v.RootViewID, v.PreviousViewID)
		}
	}
	if _, err := e.api.PushView(e.issueTrigger(DemoRavi), testModal("Four")); slackErr(err) != "push_limit_reached" {
		t.Errorf("fourth view: %v, want push_limit_reached", err)
	}
	views, _ := e.ctl.Views(ctx, DemoRavi)
	if len(views) != 3 || views[0].ID != root.ID {
		t.Fatalf("stack = %d views", len(views))
	}

	up, err := e.api.UpdateView(testModal("Updated"), "", root.Hash, root.ID)
	if err != nil || up.ID != root.ID || up.Hash == root.Hash {
		t.Fatalf("UpdateView = %+v, %v", up, err)
	}
	if _, err := e.api.UpdateView(testModal("Stale"), "", root.Hash, root.ID); slackErr(err) != "hash_conflict" {
		t.Errorf("stale hash: %v, want hash_conflict", err)
	}
	if _, err := e.api.UpdateView(testModal("Nowhere"), "", "", "V0NOPE"); slackErr(err) != "not_found" {
		t.Errorf("unknown view: %v, want not_found", err)
	}
	withExt := testModal("External")
	withExt.ExternalID = "checkin-7"
	if _, err := e.api.UpdateView(withExt, "", "", up.ID); err != nil {
		t.Fatal(err)
	}
	if v, err := e.api.UpdateView(testModal("By external id"), "checkin-7", "", ""); err != nil || v.ID != root.ID {
		t.Errorf("update by external_id = %v, %v", v, err)
	}

	// Closing the top view pops it.
	res, err := e.ctl.CloseView(ctx, views[2].ID, DemoRavi)
	if err != nil || len(res.Views) != 2 {
		t.Errorf("CloseView = %+v, %v", res, err)
	}
}

func TestViewsPublishHome(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "Your check-ins", false, false), nil, nil),
	}}}
	v, err := e.api.PublishView(DemoJordan, home, "")
	if err != nil || v.Type != slack.VTHomeTab {
		t.Fatalf("PublishView = %+v, %v", v, err)
	}
	got, err := e.ctl.Home(ctx, DemoJordan)
	if err != nil || got == nil || got.ID != v.ID {
		t.Fatalf("Home = %+v, %v", got, err)
	}
	if _, err := e.api.PublishView(DemoJordan, home, "1.stale"); slackErr(err) != "hash_conflict" {
		t.Errorf("stale publish: %v", err)
	}
	var many []slack.Block
	for range 101 {
		many = append(many, slack.NewDividerBlock())
	}
	if _, err := e.api.PublishView(DemoJordan, slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: many}}, ""); slackErr(err) != "invalid_arguments" {
		t.Errorf("101 blocks: %v, want invalid_arguments", err)
	}
	if _, err := e.api.PublishView("U0NOBODY", home, ""); slackErr(err) != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	if none, _ := e.ctl.Home(ctx, DemoAda); none != nil {
		t.Errorf("Ada has a home view: %+v", none)
	}
}

// TestCallLogTriggers: the call log names the trigger_id of every views.open
// and views.push, whether the call succeeded or not, in the order sent.
func TestCallLogTriggers(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	open := e.issueTrigger(DemoMei)
	type sent struct{ method, trigger, err string }
	var want []sent
	for _, c := range []struct {
		method, trigger, err string
	}{
		{"views.open", open, ""},
		{"views.push", e.issueTrigger(DemoMei), ""},
		{"views.open", open, "exchanged_trigger_id"},
		{"views.open", "123.456.abc", "invalid_trigger_id"},
		{"views.open", e.issueTrigger(DemoCarlos), ""},
	} {
		var err error
		if c.method == "views.open" {
			_, err = e.api.OpenView(c.trigger, testModal("Form"))
		} else {
			_, err = e.api.PushView(c.trigger, testModal("Form"))
		}
		if slackErr(err) != c.err {
			t.Fatalf("%s with %q: %v, want %q", c.method, c.trigger, err, c.err)
		}
		want = append(want, sent{c.method, c.trigger, c.err})
	}
	calls, err := e.ctl.Calls(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []sent
	for _, c := range calls {
		if c.Method == "views.open" || c.Method == "views.push" {
			got = append(got, sent{c.Method, c.Trigger, c.Error})
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("logged views calls:\n got %v\nwant %v", got, want)
	}
	for _, c := range calls {
		if c.Method != "views.open" && c.Method != "views.push" && c.Trigger != "" {
			t.Errorf("%s logged trigger %q; it sent none", c.Method, c.Trigger)
		}
	}
}
