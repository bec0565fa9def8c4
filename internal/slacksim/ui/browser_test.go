package ui

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trellis-bot/trellis/internal/slacksim/ui/browsertest"
)

// browser starts headless Chromium (see browsertest for when it skips).
func browser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Start(t)
}

type css = chromedp.CSS

func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	browsertest.Do(t, ctx, step, actions...)
}

// value runs one action that returns a value.
func value[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

var (
	waitFor = browsertest.WaitFor
	eval    = browsertest.Eval
)

func (f *fakeControl) lastAction(id string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.actions) - 1; i >= 0; i-- {
		if f.actions[i]["action_id"] == id {
			return f.actions[i]
		}
	}
	return nil
}

func (f *fakeControl) submitted(i int) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.submits) {
		return nil
	}
	return f.submits[i]
}

// dig walks nested JSON objects.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestBrowserFlow(t *testing.T) {
	ctx := browser(t)
	fake := newFakeControl()
	srv := httptest.NewServer(fake.handler())
	t.Cleanup(srv.Close)

	run(t, ctx, "open the page as Ana",
		chromedp.Navigate(srv.URL+"/#user=U1"),
		chromedp.WaitVisible(css(`[data-testid="person-U1"][aria-current="true"]`)),
		chromedp.WaitVisible(css(`[data-testid="messages"] [data-block-id="welcome"]`)),
		chromedp.WaitVisible(css(`[data-testid="person-U2"]`)),
	)

	// Text is escaped and mrkdwn rendered.
	welcome := value(t, ctx, "read the welcome message", chromedp.Text(css(`[data-block-id="welcome"] .bk-text`)))
	markup := value(t, ctx, "count markup", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=messages] script, [data-testid=messages] b').length`))
	for _, want := range []string{"<b>not bold</b>", "@Ana Lima", "team & you", "the docs", "a quote"} {
		if !strings.Contains(welcome, want) {
			t.Errorf("welcome text %q lacks %q", welcome, want)
		}
	}
	if markup != 0 {
		t.Errorf("message text became markup: %d script/b elements", markup)
	}
	run(t, ctx, "bold, italic, code, link, pre",
		waitFor(`!!document.querySelector('[data-block-id=welcome] strong') && !!document.querySelector('[data-block-id=welcome] em') && !!document.querySelector('[data-block-id=welcome] code.mk-code') && document.querySelector('[data-block-id=welcome] a.mk-link').href === 'https://example.com/docs' && !!document.querySelector('[data-block-id=welcome] pre')`),
		chromedp.WaitVisible(css(`[data-block-id="mystery"] .bk-placeholder`)),
		chromedp.WaitVisible(css(`[data-block-id="rich"] strong`)),
	)

	// A slash command's ack shows at once as an ephemeral.
	run(t, ctx, "run /trellis me",
		chromedp.SendKeys(css(`[data-testid="composer"]`), "/trellis me"),
		chromedp.Click(css(`[data-testid="composer-send"]`)),
		chromedp.WaitVisible(css(`[data-local="true"] [data-block-id="me"]`)),
		waitFor(`document.querySelector('[data-local="true"] .msg-eph-note')?.textContent.includes('Only visible to you')`),
	)

	// A button in a message opens a modal.
	run(t, ctx, "click Set hours",
		chromedp.Click(css(`[data-block-id="welcome"] [data-action-id="open_hours"]`)),
		chromedp.WaitVisible(css(`[data-testid="modal"]`)),
	)
	a := fake.lastAction("open_hours")
	if a["channel"] != "DU1" || a["message_ts"] == nil || a["block_id"] != "welcome" || a["value"] != "hours" || a["user"] != "U1" {
		t.Errorf("open_hours action = %s", asJSON(a))
	}
	title := value(t, ctx, "read the modal title", chromedp.Text(css(`[data-testid="modal"] .modal-title`)))
	submitLabel := value(t, ctx, "read the submit label", chromedp.Text(css(`[data-testid="modal-submit"]`)))
	if title != "Working hours" || submitLabel != "Save" {
		t.Errorf("modal title %q, submit %q", title, submitLabel)
	}

	// Submitting a bad timezone shows the bot's errors; the modal stays.
	run(t, ctx, "submit with errors",
		chromedp.Click(css(`[data-testid="modal-submit"]`)),
		chromedp.WaitVisible(css(`.bk-error[data-error-for="tz"]`)),
		waitFor(`document.querySelector('.bk-error[data-error-for="tz"]')?.textContent.includes('Unknown timezone Mars/Olympus')`),
		chromedp.WaitVisible(css(`.modal-error [data-error-for="ghost"]`)),
		chromedp.WaitVisible(css(`[data-testid="modal"]`)),
	)
	s := fake.submitted(0)
	v := dig(s, "values")
	checks := map[string]string{
		"tz.tz_input":      `{"type":"plain_text_input","value":"Mars/Olympus"}`,
		"start.start":      `{"selected_time":"09:00","type":"timepicker"}`,
		"first.first":      `{"selected_date":"2025-03-10","type":"datepicker"}`,
		"region.region":    `{"selected_option":{"text":{"text":"France (FR)","type":"plain_text"},"value":"FR"},"type":"static_select"}`,
		"mode.mode":        `{"selected_option":null,"type":"radio_buttons"}`,
		"peers.peers":      `{"selected_users":["U2"],"type":"multi_users_select"}`,
		"buddy.buddy":      `{"selected_user":null,"type":"users_select"}`,
		"note.note":        `{"type":"plain_text_input","value":null}`,
		"days.days.length": "5",
	}
	for path, want := range checks {
		keys := strings.Split(path, ".")
		var got string
		if keys[len(keys)-1] == "length" {
			opts, _ := dig(v, keys[0], keys[1], "selected_options").([]any)
			got = strings.TrimSpace(asJSON(len(opts)))
		} else {
			got = asJSON(dig(v, keys...))
		}
		if got != want {
			t.Errorf("submitted %s = %s, want %s", path, got, want)
		}
	}
	if s["user"] != "U1" {
		t.Errorf("submit user = %v", s["user"])
	}

	// Fix it, pick a radio option, submit: the modal closes and the bot's DM shows.
	run(t, ctx, "fix and resubmit",
		eval(`(() => { const i = document.querySelector('[data-block-id="tz"] [data-action-id="tz_input"]'); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true})); })()`),
		chromedp.SendKeys(css(`[data-block-id="tz"] [data-action-id="tz_input"]`), "Europe/Berlin"),
		chromedp.Click(css(`[data-block-id="mode"] input[data-option-value="quiet"]`)),
		chromedp.Click(css(`[data-block-id="days"] input[data-option-value="Fri"]`)),
		chromedp.Click(css(`[data-testid="modal-submit"]`)),
		chromedp.WaitNotPresent(css(`[data-testid="modal"]`)),
		waitFor(`document.querySelector('[data-testid=messages]')?.textContent.includes('Saved. Your timezone is Europe/Berlin')`),
	)
	v = dig(fake.submitted(1), "values")
	if got := asJSON(dig(v, "tz", "tz_input", "value")); got != `"Europe/Berlin"` {
		t.Errorf("second submit tz = %s", got)
	}
	if got := asJSON(dig(v, "mode", "mode", "selected_option", "value")); got != `"quiet"` {
		t.Errorf("second submit mode = %s", got)
	}
	if opts, _ := dig(v, "days", "days", "selected_options").([]any); len(opts) != 4 {
		t.Errorf("second submit days = %s", asJSON(opts))
	}

	// A confirm dialog guards the danger button.
	run(t, ctx, "deny the confirm",
		chromedp.Click(css(`[data-block-id="welcome_actions"] [data-action-id="delete_me"]`)),
		chromedp.WaitVisible(css(`[data-testid="confirm"]`)),
		chromedp.Click(css(`[data-testid="confirm-cancel"]`)),
		chromedp.WaitNotPresent(css(`[data-testid="confirm"]`)),
	)
	if fake.lastAction("delete_me") != nil {
		t.Error("delete_me sent although the person said no")
	}
	run(t, ctx, "accept the confirm",
		chromedp.Click(css(`[data-block-id="welcome_actions"] [data-action-id="delete_me"]`)),
		chromedp.Click(css(`[data-testid="confirm-ok"]`)),
		waitFor(`document.querySelectorAll('[data-testid=confirm]').length === 0`),
	)
	time.Sleep(300 * time.Millisecond)
	if a := fake.lastAction("delete_me"); a == nil || a["value"] != "del" {
		t.Errorf("delete_me action = %s", asJSON(a))
	}

	// Select and overflow in an actions block send selected_option.
	run(t, ctx, "pick from a select and an overflow menu",
		eval(`(() => { const s = document.querySelector('[data-action-id="pick_cadence"]'); s.value = '1'; s.dispatchEvent(new Event('change', {bubbles: true})); })()`),
		chromedp.Click(css(`[data-action-id="more"]`)),
		chromedp.Click(css(`[data-action-id="more"] + .bk-menu [data-option-value="why"]`)),
	)
	time.Sleep(300 * time.Millisecond)
	if got := asJSON(dig(fake.lastAction("pick_cadence"), "selected_option", "value")); got != `"weekly"` {
		t.Errorf("pick_cadence selected %s", got)
	}
	if got := asJSON(dig(fake.lastAction("more"), "selected_option", "value")); got != `"why"` {
		t.Errorf("overflow selected %s", got)
	}

	// A plain message goes to the current conversation.
	run(t, ctx, "post a message",
		chromedp.SendKeys(css(`[data-testid="composer"]`), "hello bot\n"),
		waitFor(`[...document.querySelectorAll('[data-testid=message].msg-mine')].some(m => m.textContent.includes('hello bot'))`),
	)

	// Home: opening it publishes the view after a moment.
	run(t, ctx, "open Home",
		chromedp.Click(css(`[data-testid="tab-home"]`)),
		chromedp.WaitVisible(css(`[data-testid="home"] [data-block-id="home_header"]`)),
		waitFor(`location.hash.includes('tab=home') && document.querySelector('[data-testid=home]')?.textContent.includes('(opened)')`),
		chromedp.Click(css(`[data-testid="home"] [data-action-id="open_hours"]`)),
		chromedp.WaitVisible(css(`[data-testid="modal"]`)),
	)
	if a := fake.lastAction("open_hours"); a["view_id"] != "VHU1" || a["block_id"] != "home_actions" {
		t.Errorf("home action = %s", asJSON(a))
	}
	run(t, ctx, "cancel the modal",
		chromedp.Click(css(`[data-testid="modal-close"]`)),
		chromedp.WaitNotPresent(css(`[data-testid="modal"]`)),
	)

	// The clock moves.
	run(t, ctx, "advance the clock",
		waitFor(`document.querySelector('[data-testid=clock-now]')?.dataset.now === '2025-03-04T13:05:00Z'`),
		chromedp.Click(css(`[data-testid="clock-plus-1h"]`)),
		waitFor(`document.querySelector('[data-testid=clock-now]')?.dataset.now === '2025-03-04T14:05:00Z'`),
	)

	// Another person.
	run(t, ctx, "switch to Bo",
		chromedp.Click(css(`[data-testid="person-U2"]`)),
		waitFor(`location.hash.includes('user=U2') && document.querySelector('#who')?.textContent.includes('Bo Chen')`),
		chromedp.WaitVisible(css(`[data-testid="home"] [data-block-id="home_header"]`)),
		chromedp.Click(css(`[data-testid="tab-messages"]`)),
		waitFor(`document.querySelector('[data-testid=messages] [data-block-id=welcome]')?.textContent.includes('@Bo Chen')`),
	)
}

// TestBrowserMrkdwn checks the mrkdwn converter on edge cases, in the page.
func TestBrowserMrkdwn(t *testing.T) {
	ctx := browser(t)
	srv := httptest.NewServer(newFakeControl().handler())
	t.Cleanup(srv.Close)
	run(t, ctx, "open the page",
		chromedp.Navigate(srv.URL+"/#user=U1"),
		chromedp.WaitVisible(css(`[data-testid="person-U1"][aria-current="true"]`)),
	)
	for _, tc := range []struct{ in, html string }{
		{"*bold* and _it_ and ~gone~", "<strong>bold</strong> and <em>it</em> and <s>gone</s>"},
		{"snake_case_name and 2*3*4", "snake_case_name and 2*3*4"},
		{"*bold _nested_*", "<strong>bold <em>nested</em></strong>"},
		{"`*not bold*` <b>", `<code class="mk-code">*not bold*</code> &lt;b&gt;`},
		{"&lt;script&gt;alert(1)&lt;/script&gt; &amp; co", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"},
		{"<javascript:alert(1)|click>", "click"},
		{"<https://x.test/a?b=1&amp;c=2|the \"docs\">", `<a href="https://x.test/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer" class="mk-link">the "docs"</a>`},
		{"<@U2> <@U9|someone> <#C1|managers> <!here>", `<span class="mk-mention" data-user-id="U2">@Bo Chen</span> <span class="mk-mention" data-user-id="U9">@someone</span> <span class="mk-mention mk-channel">#managers</span> <span class="mk-mention mk-mention-me">@here</span>`},
		{"a\n```x <b> *y*```\nb", "a<pre class=\"mk-pre\">x &lt;b&gt; *y*</pre>b"},
		{"&gt; quoted\nnot", "<blockquote class=\"mk-quote\">quoted</blockquote>not"},
		{":palm_tree: :no_such_emoji:", "🌴 :no_such_emoji:"},
		{"<!date^1741093500^{date_num} {time}|fallback>", `<time class="mk-date" datetime="2025-03-04T13:05:00.000Z" title="fallback">2025-03-04 10:05</time>`},
	} {
		in, _ := json.Marshal(tc.in)
		got := value(t, ctx, "render "+tc.in, chromedp.Evaluate[string](`(() => { const d = document.createElement('div'); d.append(window.trellisSandbox.mrkdwn(`+string(in)+`)); return d.innerHTML; })()`))
		if got != tc.html {
			t.Errorf("mrkdwn(%q)\n got %s\nwant %s", tc.in, got, tc.html)
		}
	}
}

// A bot message posted under a person's name and picture (username,
// icon_url) shows that name, with the APP badge, as Slack shows it; one
// without them shows as Trellis.
func TestBrowserCustomizedBotMessage(t *testing.T) {
	ctx := browser(t)
	srv := httptest.NewServer(newFakeControl().handler())
	t.Cleanup(srv.Close)
	run(t, ctx, "open the page",
		chromedp.Navigate(srv.URL+"/#user=U1"),
		chromedp.WaitVisible(css(`[data-testid="person-U1"][aria-current="true"]`)),
	)
	for _, tc := range []struct {
		msg  string
		want string
	}{
		{`{"ts":"1700000000.000100","bot_id":"B0TRELLIS","text":"hi","username":"Ada Lovelace","icon_url":"https://x.test/a.png"}`, "Ada Lovelace|AL|APP"},
		{`{"ts":"1700000000.000200","bot_id":"B0TRELLIS","text":"hi"}`, "Trellis|T|APP"},
	} {
		got := value(t, ctx, "render "+tc.msg, chromedp.Evaluate[string](`(() => {
			const a = window.trellisSandbox.renderMessage(`+tc.msg+`, 'C1');
			return [a.querySelector('.msg-author').textContent, a.querySelector('.avatar').textContent, (a.querySelector('.badge') || {}).textContent].join('|');
		})()`))
		if got != tc.want {
			t.Errorf("renderMessage(%s) = %q, want %q", tc.msg, got, tc.want)
		}
	}
}
