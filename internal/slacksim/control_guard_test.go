package slacksim

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/internal/slacksim/ui"
)

// browserSurfaces lists every route a browser can reach: each control
// endpoint registered in the emulator's source (so a new one is covered
// without editing this test) and the page's files.
func browserSurfaces(t *testing.T) []struct{ method, path string } {
	t.Helper()
	pattern := regexp.MustCompile(`"(GET|POST|PATCH|DELETE|PUT) (/control/[^"]*)"`)
	var out []struct{ method, path string }
	for _, file := range []string{"control.go", "files.go"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range pattern.FindAllStringSubmatch(string(src), -1) {
			path := regexp.MustCompile(`\{[a-z]+\}`).ReplaceAllString(m[2], "X0NONE")
			out = append(out, struct{ method, path string }{m[1], path})
		}
	}
	if len(out) < 30 {
		t.Fatalf("found %d control endpoints in the source, want them all (30 or more)", len(out))
	}
	for _, p := range []string{"/", "/index.html", "/app.js", "/style.css"} {
		out = append(out, struct{ method, path string }{http.MethodGet, p})
	}
	return out
}

// Every control endpoint and the page refuse requests from other web pages
// (a foreign Origin, a cross-site fetch, a browser's state-changing request
// without an Origin) and requests addressed to a host that is not the
// emulator's loopback address (DNS rebinding); same-origin requests from
// the page and requests from tools without an Origin are served. A refused
// request changes nothing.
func TestControlRefusesOtherOrigins(t *testing.T) {
	e := newEnv(t, Config{UI: ui.Handler()})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(e.srv.URL(), "http://"))
	own := "127.0.0.1:" + port
	const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"

	type request struct {
		name    string
		host    string
		headers map[string]string
		// refuse is whether the request must be refused for this route.
		refuse func(method, path string) bool
	}
	always := func(string, string) bool { return true }
	never := func(string, string) bool { return false }
	changes := func(m, _ string) bool { return m != http.MethodGet && m != http.MethodHead }
	// A link on another site may open the page, nothing else.
	notPage := func(m, p string) bool { return changes(m, p) || strings.HasPrefix(p, "/control/") }
	cases := []request{
		{"foreign Origin", own, map[string]string{"Origin": "http://evil.example", "User-Agent": chrome, "Sec-Fetch-Site": "cross-site"}, always},
		{"foreign Origin, no fetch metadata", own, map[string]string{"Origin": "http://evil.example:" + port}, always},
		{"Origin of another loopback port", own, map[string]string{"Origin": "http://127.0.0.1:1", "User-Agent": chrome, "Sec-Fetch-Site": "same-site"}, always},
		{"Origin null", own, map[string]string{"Origin": "null"}, always},
		{"cross-site fetch without Origin", own, map[string]string{"User-Agent": chrome, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}, always},
		{"foreign Host (DNS rebinding)", "evil.example:" + port, map[string]string{"User-Agent": chrome, "Sec-Fetch-Site": "same-origin", "Origin": "http://evil.example:" + port}, always},
		{"foreign Host from a tool", "evil.example:" + port, nil, always},
		{"loopback on another port", "127.0.0.1:1", nil, always},
		{"private address", "192.168.1.10:" + port, nil, always},
		{"browser without Origin", own, map[string]string{"User-Agent": chrome, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}, changes},
		{"old browser without Origin", own, map[string]string{"User-Agent": chrome}, changes},
		{"the page itself", own, map[string]string{"Origin": "http://" + own, "User-Agent": chrome, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}, never},
		{"the page at localhost", "localhost:" + port, map[string]string{"Origin": "http://localhost:" + port, "User-Agent": chrome, "Sec-Fetch-Site": "same-origin"}, never},
		{"a tool (curl, Control)", own, map[string]string{"User-Agent": "curl/8.5.0"}, never},
		{"link from another site", own, map[string]string{"User-Agent": chrome, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, notPage},
		{"address typed in the browser", own, map[string]string{"User-Agent": chrome, "Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate"}, changes},
	}
	for _, ep := range browserSurfaces(t) {
		for _, c := range cases {
			req, err := http.NewRequest(ep.method, e.srv.URL()+ep.path, strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = c.host
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s (%s): %v", ep.method, ep.path, c.name, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			refused := resp.StatusCode == http.StatusForbidden
			if want := c.refuse(ep.method, ep.path); refused != want {
				t.Errorf("%s %s, %s: HTTP %d %s, want refused=%v", ep.method, ep.path, c.name, resp.StatusCode, body, want)
			}
			if refused && !strings.Contains(string(body), "refused") {
				t.Errorf("%s %s, %s: refusal %q does not say why", ep.method, ep.path, c.name, body)
			}
		}
	}

	// Refused requests changed nothing: none of the state-changing ones
	// with a good body ran.
	ctx := context.Background()
	for _, c := range cases[:11] {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL()+"/control/people", strings.NewReader(`{"name":"mallory"}`))
		req.Host = c.host
		for k, v := range c.headers {
			req.Header.Set(k, v)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		req, _ = http.NewRequest(http.MethodPost, e.srv.URL()+"/control/uninstall", strings.NewReader(`{}`))
		req.Host = c.host
		for k, v := range c.headers {
			req.Header.Set(k, v)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	people, err := e.ctl.People(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		if p.Name == "mallory" {
			t.Error("a refused request added a person")
		}
	}
	if info, err := e.ctl.Info(ctx); err != nil || !info.Installed {
		t.Errorf("after refused uninstalls: info %+v, %v; want still installed", info, err)
	}
}

// The bot's own routes (Web API, Socket Mode, response_url, uploads) are not
// the browser guard's business: they need tokens, and the bot's client
// sends no Origin.
func TestBotRoutesAreNotGuarded(t *testing.T) {
	e := newEnv(t, Config{})
	if _, err := e.api.AuthTest(); err != nil {
		t.Errorf("auth.test through the Web API: %v", err)
	}
}
