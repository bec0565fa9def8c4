// Package ui is the sandbox's web page: a single-page app, embedded in the
// binary, for acting as any person of the emulated workspace. A person picks
// who they are, reads their DMs and App Home, runs /trellis commands, clicks
// the bot's buttons and fills in its modals. The page talks only to the
// emulator's control API (JSON under /control/, same origin); the emulator
// mounts Handler at "/".
//
// The page is plain HTML, CSS and JavaScript with no build step and nothing
// loaded from other hosts.
package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// contentTypes lists the only kinds of file the handler serves.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// csp keeps the page to its own origin: its own script and style, and fetch
// calls to the control API only.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

type asset struct {
	name string
	ct   string
	etag string
	data []byte
}

type handler struct {
	assets map[string]asset // by URL path without the leading slash
}

// Handler serves the page: index.html at "/" (and "/index.html"), app.js and
// style.css. Any other path is 404; methods other than GET and HEAD are 405.
func Handler() http.Handler {
	h := &handler{assets: map[string]asset{}}
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic("ui: embedded files: " + err.Error()) // cannot happen: the directory is embedded
	}
	err = fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return nil
		}
		data, err := fs.ReadFile(sub, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		h.assets[name] = asset{name: name, ct: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, data: data}
		return nil
	})
	if err != nil {
		panic("ui: embedded files: " + err.Error())
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" {
		name = "index.html"
	}
	a, ok := h.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ct)
	hd.Set("ETag", a.etag)
	// Revalidate every time: the page is tiny and must follow the binary.
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if a.ct == contentTypes[".html"] {
		hd.Set("Content-Security-Policy", csp)
	}
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.data))
}
