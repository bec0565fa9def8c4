package slacksim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// apiError is a Web API failure: {"ok":false,"error":code}, or a 429 when
// code is "ratelimited".
type apiError struct {
	code       string
	messages   []string // response_metadata.messages
	retryAfter int
	perChannel bool
}

func fail(code string, messages ...string) *apiError {
	return &apiError{code: code, messages: messages}
}

// apiCall is one Web API request being served.
type apiCall struct {
	r       *http.Request
	a       args
	now     time.Time // workspace time
	real    time.Time // real time, for rate limits
	channel string    // recorded in the call log
}

type apiHandler func(c *apiCall) (map[string]any, *apiError)

// apiMethod is one Web API method: its rate limit per window, the token
// kind it takes and its handler.
type apiMethod struct {
	limit    int
	appToken bool
	fn       apiHandler
}

func (s *Server) apiMethods() map[string]apiMethod {
	return map[string]apiMethod{
		"apps.connections.open": {limit: tier1, appToken: true, fn: s.appsConnectionsOpen},
		"auth.test":             {limit: tier4, fn: s.authTest},
		"team.info":             {limit: tier3, fn: s.teamInfo},
		"users.info":            {limit: tier4, fn: s.usersInfo},
		"users.list":            {limit: tier2, fn: s.usersList},
		"users.profile.get":     {limit: tier4, fn: s.usersProfileGet},
		"users.lookupByEmail":   {limit: tier3, fn: s.usersLookupByEmail},
		"dnd.info":              {limit: tier3, fn: s.dndInfo},
		"dnd.teamInfo":          {limit: tier2, fn: s.dndTeamInfo},
		"conversations.open":    {limit: tier3, fn: s.conversationsOpen},
		"conversations.info":    {limit: tier3, fn: s.conversationsInfo},
		"conversations.members": {limit: tier3, fn: s.conversationsMembers},
		"conversations.history": {limit: tier3, fn: s.conversationsHistory},
		"conversations.replies": {limit: tier3, fn: s.conversationsReplies},
		"chat.postMessage":      {fn: s.chatPostMessage}, // limited per channel and workspace
		"chat.update":           {limit: tier3, fn: s.chatUpdate},
		"chat.delete":           {limit: tier3, fn: s.chatDelete},
		"chat.postEphemeral":    {limit: tier4, fn: s.chatPostEphemeral},
		"views.open":            {limit: tier4, fn: s.viewsOpen},
		"views.push":            {limit: tier4, fn: s.viewsPush},
		"views.update":          {limit: tier4, fn: s.viewsUpdate},
		"views.publish":         {limit: tier4, fn: s.viewsPublish},

		// File uploads (files.go).
		"files.getUploadURLExternal":   {limit: tier4, fn: s.filesGetUploadURLExternal},
		"files.completeUploadExternal": {limit: tier4, fn: s.filesCompleteUploadExternal},
	}
}

// serveAPI serves /api/{method} like slack.com/api does.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("method")
	start := time.Now()
	call := Call{Method: name, Time: start, Team: s.cfg.TeamID}
	perChannel := false
	defer func() { s.calls.add(call, perChannel) }()

	reply := func(status int, body map[string]any) {
		call.Status = status
		ok, _ := body["ok"].(bool)
		call.OK = ok
		call.Error, _ = body["error"].(string)
		call.Answered = time.Now()
		writeJSON(w, status, body)
	}
	limited := func(retryAfter int) {
		call.RetryAfter = retryAfter
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		reply(http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
	}

	m, ok := s.methods[name]
	if !ok {
		reply(http.StatusOK, map[string]any{"ok": false, "error": "unknown_method", "req_method": name})
		return
	}
	a, err := parseArgs(r)
	if err != nil {
		reply(http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	call.Channel, call.Trigger = a.str("channel"), a.str("trigger_id")
	if code := s.checkToken(r, a, m.appToken); code != "" {
		reply(http.StatusOK, map[string]any{"ok": false, "error": code})
		return
	}
	if held := s.limits.hang(name); held != nil {
		select {
		case <-held:
		case <-r.Context().Done():
			// The caller gave up on a call that never took effect.
			call.Status, call.Error, call.Answered = 0, "hung_up", time.Now()
			return
		case <-s.ctx.Done():
			reply(http.StatusServiceUnavailable, map[string]any{"ok": false, "error": "emulator_closing"})
			return
		}
	}
	hit, faulted := s.limits.fault(name)
	if faulted && hit.hold > 0 {
		// Whatever the answer turns out to be, it is held back first.
		answer := reply
		reply = func(status int, body map[string]any) {
			s.holdAnswer(r, hit.hold)
			answer(status, body)
		}
	}
	fault := func() {
		s.holdAnswer(r, hit.hold)
		call.Status = hit.status
		call.Error = "injected_fault"
		call.Answered = time.Now()
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(hit.status)
		_, _ = fmt.Fprintf(w, "<html><body>%d %s</body></html>", hit.status, http.StatusText(hit.status))
	}
	if faulted && !hit.afterEffect {
		if hit.status == http.StatusTooManyRequests {
			limited(hit.retryAfter)
			return
		}
		fault()
		return
	}
	if ok, retryAfter := s.limits.allow(name, m.limit, start); !ok {
		limited(retryAfter)
		return
	}
	c := &apiCall{r: r, a: a, now: s.clock.Now(), real: start}
	body, aerr := m.fn(c)
	if c.channel != "" {
		call.Channel = c.channel
	}
	if faulted && hit.status != 0 {
		// The call took effect; its answer is lost.
		fault()
		return
	}
	switch {
	case aerr != nil && aerr.code == "ratelimited":
		perChannel = aerr.perChannel
		limited(aerr.retryAfter)
	case aerr != nil:
		out := map[string]any{"ok": false, "error": aerr.code}
		if len(aerr.messages) > 0 {
			out["response_metadata"] = map[string]any{"messages": aerr.messages}
		}
		reply(http.StatusOK, out)
	default:
		if body == nil {
			body = map[string]any{}
		}
		body["ok"] = true
		reply(http.StatusOK, body)
	}
}

// holdAnswer waits d before an answer is written, or until the client hangs
// up or the emulator closes.
func (s *Server) holdAnswer(r *http.Request, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	case <-s.ctx.Done():
	}
}

// checkToken returns the Slack error code for a request's token, or "".
func (s *Server) checkToken(r *http.Request, a args, wantApp bool) string {
	tok := a.str("token")
	if h := r.Header.Get("Authorization"); h != "" {
		tok = strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
	}
	if tok == "" {
		return "not_authed"
	}
	s.mu.Lock()
	revoked := s.ws.revoked
	s.mu.Unlock()
	switch {
	case tok == s.cfg.AppToken && wantApp, tok == s.cfg.BotToken && !wantApp:
		if revoked {
			return "token_revoked"
		}
		return ""
	case tok == s.cfg.AppToken || tok == s.cfg.BotToken:
		return "not_allowed_token_type"
	default:
		return "invalid_auth"
	}
}

// args holds a Web API request's arguments, from a form, a query string or
// a JSON body.
type args struct {
	vals map[string]string
	raw  map[string]json.RawMessage // JSON bodies: non-string values
}

const maxBody = 5 << 20

func parseArgs(r *http.Request) (args, error) {
	a := args{vals: map[string]string{}, raw: map[string]json.RawMessage{}}
	for k, v := range r.URL.Query() {
		a.vals[k] = v[0]
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			return a, fmt.Errorf("read body: %w", err)
		}
		if len(bytes.TrimSpace(body)) == 0 || string(bytes.TrimSpace(body)) == "null" {
			return a, nil
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return a, fmt.Errorf("decode body: %w", err)
		}
		for k, v := range m {
			var str string
			if json.Unmarshal(v, &str) == nil {
				a.vals[k] = str
				continue
			}
			if string(v) == "null" {
				continue
			}
			a.raw[k] = v
			a.vals[k] = string(v)
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return a, fmt.Errorf("parse form: %w", err)
		}
		addValues(a.vals, r.PostForm)
	default:
		r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
		if err := r.ParseForm(); err != nil {
			return a, fmt.Errorf("parse form: %w", err)
		}
		addValues(a.vals, r.PostForm)
	}
	return a, nil
}

func addValues(dst map[string]string, v url.Values) {
	for k, vs := range v {
		if len(vs) > 0 {
			dst[k] = vs[0]
		}
	}
}

func (a args) str(k string) string { return a.vals[k] }

// json returns argument k as JSON: a JSON body's object or array as is, or
// a form field's (or JSON string's) content.
func (a args) json(k string) (json.RawMessage, bool) {
	if v, ok := a.raw[k]; ok {
		return v, true
	}
	v, ok := a.vals[k]
	if !ok || strings.TrimSpace(v) == "" {
		return nil, false
	}
	return json.RawMessage(v), true
}

func (a args) bool(k string) bool {
	b, _ := strconv.ParseBool(a.vals[k])
	return b
}

func (a args) int(k string, def int) (int, error) {
	v := a.vals[k]
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errors.New("not a number")
	}
	return n, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"ok":false,"error":"internal_error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
