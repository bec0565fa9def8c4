package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/slacksim/ui/browsertest"
)

// TestSandboxInBrowser drives the sandbox page in headless Chromium the way
// a new user would: pick a person, run /trellis me, open the hours modal from
// App Home, submit it, and see the change.
func TestSandboxInBrowser(t *testing.T) {
	ctx := browsertest.Start(t)

	env, h := sandboxEnv(t, t.TempDir(), "")
	defer h.launch(env)()
	h.waitReady("socket")
	page := h.app.Emulator().URL()

	user := slacksim.DemoRavi
	q := func(sel string) string { return "document.querySelector(" + jsString(sel) + ")" }
	textOf := func(sel string) string { return "(" + q(sel) + "?.innerText || '')" }

	browsertest.Do(t, ctx, "open the page and pick Ravi",
		chromedp.Navigate(page+"/"),
		chromedp.WaitVisible(`[data-testid="person-`+user+`"]`),
		chromedp.Click(`[data-testid="person-`+user+`"]`),
	)
	browsertest.Do(t, ctx, "run /trellis me",
		chromedp.WaitVisible(`[data-testid="composer"]`),
		chromedp.SendKeys(`[data-testid="composer"]`, "/trellis me"),
		chromedp.Click(`[data-testid="composer-send"]`),
		browsertest.WaitFor(textOf(`[data-testid="messages"]`)+`.includes("Asia/Kolkata")`),
	)
	browsertest.Do(t, ctx, "open App Home and its hours modal",
		chromedp.Click(`[data-testid="tab-home"]`),
		browsertest.WaitFor(textOf(`[data-testid="home"]`)+`.includes("Working hours")`),
		chromedp.Click(`[data-testid="home"] [data-action-id="home:hours"]`),
		browsertest.WaitFor(q(`[data-testid="modal"][data-callback-id="hours"]`)+` !== null`),
	)
	browsertest.Do(t, ctx, "fill in a night shift and submit",
		browsertest.Eval(`(() => {
			const set = (block, v) => {
				const el = document.querySelector('[data-testid="modal"] [data-block-id="' + block + '"] input');
				el.value = v;
				el.dispatchEvent(new Event('input', {bubbles: true}));
				el.dispatchEvent(new Event('change', {bubbles: true}));
			};
			set('start', '22:00');
			set('end', '06:00');
		})()`),
		chromedp.Click(`[data-testid="modal-submit"]`),
		browsertest.WaitFor(q(`[data-testid="modal"][data-callback-id="hours"]`)+` === null || `+q(`[data-testid="modal"]`)+`.offsetParent === null`),
		browsertest.WaitFor(textOf(`[data-testid="home"]`)+`.includes("22:00–06:00")`),
	)

	// The change is Trellis's, not the page's: ask the bot directly.
	if got := h.command(user, "/trellis me"); !strings.Contains(got, "22:00–06:00") {
		t.Errorf("/trellis me after the browser saved a night shift = %q", got)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
