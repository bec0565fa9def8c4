package ui

import (
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mediaType(t *testing.T, res *http.Response) string {
	t.Helper()
	mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", res.Header.Get("Content-Type"), err)
	}
	return mt
}

func TestHandlerServesAssets(t *testing.T) {
	h := Handler()
	for _, tc := range []struct {
		path, mediaType, contains string
	}{
		{"/", "text/html", "<!doctype html>"},
		{"/index.html", "text/html", "<!doctype html>"},
		{"/app.js", "text/javascript", "'use strict'"},
		{"/style.css", "text/css", ":root"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res := get(t, h, http.MethodGet, tc.path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", res.StatusCode)
			}
			if got := mediaType(t, res); got != tc.mediaType {
				t.Errorf("media type %q, want %q", got, tc.mediaType)
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", got)
			}
			if b := body(t, res); !strings.Contains(b, tc.contains) {
				t.Errorf("body does not contain %q", tc.contains)
			}
		})
	}
}

func TestHandlerRejectsUnknownPaths(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/nope", "/app.js/", "/static/app.js", "/../ui.go", "/ui.go", "/favicon.ico", "/control/info", "/index.html/x"} {
		if res := get(t, h, http.MethodGet, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, res.StatusCode)
		}
	}
}

func TestHandlerMethods(t *testing.T) {
	h := Handler()
	res := get(t, h, http.MethodHead, "/app.js")
	if res.StatusCode != http.StatusOK {
		t.Errorf("HEAD: status %d, want 200", res.StatusCode)
	}
	if b := body(t, res); b != "" {
		t.Errorf("HEAD: body %q, want none", b)
	}
	res = get(t, h, http.MethodPost, "/")
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", res.StatusCode)
	}
}

func TestHandlerRevalidates(t *testing.T) {
	h := Handler()
	res := get(t, h, http.MethodGet, "/style.css")
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req := httptest.NewRequest(http.MethodGet, "/style.css", nil)
	req.Header.Set("If-None-Match", etag)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", rec.Code)
	}
}

func TestIndexIsSelfContained(t *testing.T) {
	h := Handler()
	res := get(t, h, http.MethodGet, "/")
	html := body(t, res)

	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("Content-Security-Policy %q does not keep the page to its origin", csp)
	}

	// No absolute or protocol-relative URLs anywhere in the page.
	if m := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+`).FindString(html); m != "" {
		t.Errorf("index.html refers to another host: %q", m)
	}

	// Every src and href is an embedded asset (or the empty data: favicon).
	refs := regexp.MustCompile(`(?i)\s(?:src|href)\s*=\s*"([^"]*)"`).FindAllStringSubmatch(html, -1)
	if len(refs) == 0 {
		t.Fatal("index.html references no assets")
	}
	seen := map[string]bool{}
	for _, r := range refs {
		ref := r[1]
		seen[ref] = true
		if ref == "data:," {
			continue
		}
		if strings.Contains(ref, ":") || strings.HasPrefix(ref, "//") {
			t.Errorf("reference %q is not a local asset", ref)
			continue
		}
		if res := get(t, h, http.MethodGet, "/"+strings.TrimPrefix(ref, "/")); res.StatusCode != http.StatusOK {
			t.Errorf("reference %q: status %d", ref, res.StatusCode)
		}
	}
	for _, want := range []string{"app.js", "style.css"} {
		if !seen[want] {
			t.Errorf("index.html does not load %s", want)
		}
	}
}

// The script and stylesheet must not load anything from another host either
// (fetches go to the control API, relative to the page).
func TestAssetsStayOnOrigin(t *testing.T) {
	h := Handler()
	js := body(t, get(t, h, http.MethodGet, "/app.js"))
	css := body(t, get(t, h, http.MethodGet, "/style.css"))
	if m := regexp.MustCompile(`@import|url\(\s*['"]?(https?:)?//`).FindString(css); m != "" {
		t.Errorf("style.css loads from elsewhere: %q", m)
	}
	for _, bad := range []string{"fetch('http", `fetch("http`, "import(", "new WebSocket", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js contains %q", bad)
		}
	}
}

// The page's test hooks are part of its contract with browser tests.
func TestHooksPresent(t *testing.T) {
	h := Handler()
	all := body(t, get(t, h, http.MethodGet, "/")) + body(t, get(t, h, http.MethodGet, "/app.js"))
	for _, hook := range []string{
		`data-testid="composer"`, `data-testid="composer-send"`, `data-testid="tab-messages"`,
		`data-testid="tab-home"`, `data-testid="home"`, `data-testid="messages"`, `data-testid="clock-now"`,
		`'data-testid': 'person-'`, `'data-testid': 'modal'`, `'data-testid': 'modal-submit'`,
		`'data-testid': 'modal-close'`, `'data-block-id'`, `'data-action-id'`, `'data-error-for'`,
	} {
		if !strings.Contains(all, hook) {
			t.Errorf("hook %s missing", hook)
		}
	}
}
