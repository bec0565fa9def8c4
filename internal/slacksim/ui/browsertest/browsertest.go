// Package browsertest starts headless Chromium for tests of the sandbox page.
//
// TEST_BROWSER names the Chromium binary and makes browser tests mandatory:
// when it is set and the browser cannot start, the test fails. Without it a
// Chromium on PATH is used if there is one, and otherwise the test is skipped
// with a message saying how to run it (CI always sets TEST_BROWSER).
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Start launches a headless Chromium for the test and returns a chromedp
// context bound to one tab; it is closed when the test ends.
func Start(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("TEST_BROWSER")
	if path == "" {
		if testing.Short() {
			t.Skip("browser test skipped in -short mode")
		}
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
		if path == "" {
			t.Skip("no Chromium found: install it (apt-get install chromium) or set TEST_BROWSER to run the browser tests")
		}
	} else if _, err := os.Stat(path); err != nil {
		t.Fatalf("TEST_BROWSER=%q is set but cannot be used: %v", path, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(cancelC)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return ctx
}

// Do runs actions, failing the test at step when one fails.
func Do(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// WaitFor polls a JavaScript expression until it is true (10 s at most).
func WaitFor(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(10*time.Second))
}

// Eval runs JavaScript for its side effects.
func Eval(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](expr)
}
