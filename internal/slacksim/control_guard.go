package slacksim

import (
	"net"
	"net/http"
	"strings"
)

// botPaths are the routes only the bot (or its Slack client) calls: the Web
// API, Socket Mode, response_url and file uploads. Each needs a token or a
// one-time secret, and none is meant for a browser, so the browser guard
// leaves them alone.
var botPaths = []string{"/api/", "/socket", "/response/", "/upload/"}

// guardBrowser wraps the emulator's routes so that what a browser can reach
// (the control API, file downloads and the sandbox page) answers only its
// own page. The control API has no authentication: any web site open in the
// same browser could otherwise drive it with fetch or a form post, or read
// it after pointing its own host name at 127.0.0.1 (DNS rebinding). A
// request is refused with HTTP 403 when:
//
//   - its Host is not a loopback address (127.0.0.0/8, ::1 or "localhost")
//     on the port the emulator listens on (any port when only Handler is
//     mounted);
//   - it carries an Origin other than the emulator's own;
//   - the browser says it comes from another site (Sec-Fetch-Site other
//     than same-origin or none), except a plain navigation to the page;
//   - it changes state (any method but GET, HEAD and OPTIONS) from a browser
//     (a Sec-Fetch-* header or a Mozilla user agent) without an Origin.
//
// Tools such as curl and Control send no Origin and no Sec-Fetch-* headers,
// and keep working.
func (s *Server) guardBrowser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range botPaths {
			if strings.HasPrefix(r.URL.Path, p) {
				next.ServeHTTP(w, r)
				return
			}
		}
		if reason := s.refusal(r); reason != "" {
			s.log.Warn("slacksim: refused a browser request", "path", r.URL.Path, "host", r.Host,
				"origin", r.Header.Get("Origin"), "reason", reason)
			writeJSON(w, http.StatusForbidden, map[string]string{"error": reason})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refusal says why r must not be served, or "" when it may be.
func (s *Server) refusal(r *http.Request) string {
	if !s.ownHost(r.Host) {
		return "refused: the sandbox answers only at its loopback address (like 127.0.0.1:3000), not " + quoteHost(r.Host)
	}
	origin := r.Header.Get("Origin")
	if origin != "" && !strings.EqualFold(origin, "http://"+r.Host) {
		return "refused: requests from other web pages (" + quoteHost(origin) + ") may not use the sandbox"
	}
	site := r.Header.Get("Sec-Fetch-Site")
	navigation := r.Header.Get("Sec-Fetch-Mode") == "navigate" && !strings.HasPrefix(r.URL.Path, "/control/") &&
		(r.Method == http.MethodGet || r.Method == http.MethodHead)
	if site != "" && site != "same-origin" && site != "none" && !navigation {
		return "refused: requests from other web sites may not use the sandbox"
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return ""
	}
	if origin == "" && fromBrowser(r) {
		return "refused: a browser request that changes the sandbox must say where it comes from (Origin)"
	}
	return ""
}

// fromBrowser reports whether r looks like it was made by a web browser.
func fromBrowser(r *http.Request) bool {
	for _, h := range []string{"Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest"} {
		if r.Header.Get(h) != "" {
			return true
		}
	}
	return strings.HasPrefix(r.UserAgent(), "Mozilla/")
}

// ownHost reports whether host (a request's Host) names a loopback address
// on the port the emulator listens on.
func (s *Server) ownHost(host string) bool {
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), "80"
	}
	if !strings.EqualFold(name, "localhost") {
		ip := net.ParseIP(name)
		if ip == nil || !ip.IsLoopback() {
			return false
		}
	}
	s.mu.Lock()
	base := s.base
	s.mu.Unlock()
	if base == "" {
		return true // mounted on someone else's server: its port is not known
	}
	_, want, err := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	return err == nil && port == want
}

// quoteHost bounds a value taken from a request before it is echoed back.
func quoteHost(s string) string {
	const max = 100
	if len(s) > max {
		s = s[:max] + "…"
	}
	return `"` + s + `"`
}
