package ui

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// fullyVisible is JavaScript that reports whether the element sel is
// wholly inside the window and inside every box around it that clips
// (a scrolling list, the sidebar), and that its own content is not cut.
func fullyVisible(sel string) string {
	return `(() => {
		const el = document.querySelector(` + jsQuote(sel) + `);
		if (!el || el.offsetParent === null) return 'missing';
		const r = el.getBoundingClientRect();
		const vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
		if (r.left < 0 || r.top < 0 || r.right > vw + 0.5 || r.bottom > vh + 0.5) return 'outside the window: ' + JSON.stringify(r) + ' in ' + vw + 'x' + vh;
		for (let p = el.parentElement; p; p = p.parentElement) {
			const s = getComputedStyle(p);
			if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
			const b = p.getBoundingClientRect();
			if (r.left < b.left - 0.5 || r.right > b.right + 0.5 || r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5) return 'clipped by ' + p.className + ': ' + JSON.stringify(r) + ' in ' + JSON.stringify(b);
		}
		const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
		if (!el.contains(hit)) return 'covered by ' + (hit ? hit.className || hit.tagName : 'nothing');
		if (el.tagName === 'INPUT') {
			// The width the field takes when nothing squeezes it shows all of
			// its parts (a date-time field's are in its shadow tree).
			const free = el.cloneNode(true);
			free.style.cssText = 'position:absolute;visibility:hidden;width:auto;min-width:0;max-width:none';
			document.body.append(free);
			const need = free.getBoundingClientRect().width;
			free.remove();
			if (r.width + 0.5 < need) return 'too narrow to show its value: ' + r.width + ' < ' + need;
		}
		if (el.scrollWidth > el.clientWidth + 1) return 'content cut: ' + el.scrollWidth + ' > ' + el.clientWidth;
		return 'ok';
	})()`
}

func jsQuote(s string) string { return fmt.Sprintf("%q", s) }

// On a narrow window (a phone, 420 px) and a wide one, a long conversation
// opens at its newest message, and the clock's "set…" field is fully
// visible.
func TestBrowserNarrowWindow(t *testing.T) {
	for _, size := range []struct{ w, h int64 }{{420, 800}, {1200, 900}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			ctx := browser(t)
			fake := newFakeControl()
			for i := 1; i <= 60; i++ {
				fake.post("DU1", map[string]any{"bot_id": "B0TRELLIS", "user": "U0TRELLIS", "text": fmt.Sprintf("Note %d of a long conversation", i)})
			}
			srv := httptest.NewServer(fake.handler())
			t.Cleanup(srv.Close)

			run(t, ctx, "open a long conversation",
				chromedp.EmulateViewport(size.w, size.h),
				chromedp.Navigate(srv.URL+"/#user=U1"),
				chromedp.WaitVisible(css(`[data-testid="person-U1"][aria-current="true"]`)),
				waitFor(`[...document.querySelectorAll('[data-testid=message]')].some(m => m.textContent.includes('Note 60 of'))`),
			)
			newest := `[data-testid="messages"] [data-testid="message"]:last-child`
			if got := value(t, ctx, "the newest message's text", chromedp.Evaluate[string](`document.querySelector(`+jsQuote(newest)+`)?.textContent || ''`)); !strings.Contains(got, "Note 60 of") {
				t.Fatalf("the last message is %q, want the newest", got)
			}
			// Layout settles after the messages arrive; give it a moment.
			if err := chromedp.Do(ctx, waitFor(fullyVisible(newest)+` === 'ok'`)); err != nil {
				got := value(t, ctx, "where the newest message is", chromedp.Evaluate[string](fullyVisible(newest)))
				t.Errorf("the newest message is not in view: %s", got)
			}

			run(t, ctx, "open the clock's set… form",
				chromedp.Click(css(`[data-testid="clock-set"]`)),
				chromedp.WaitVisible(css(`[data-testid="clock-set-input"]`)),
			)
			for _, sel := range []string{`[data-testid="clock-set-input"]`, `[data-testid="clock-set-zone"]`, `[data-testid="clock-set-apply"]`} {
				if got := value(t, ctx, "where "+sel+" is", chromedp.Evaluate[string](fullyVisible(sel))); got != "ok" {
					t.Errorf("%s is not fully visible: %s", sel, got)
				}
			}
		})
	}
}
