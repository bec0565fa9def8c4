package slacksim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/trellis-bot/trellis/clock"
)

func (s *Server) controlRoutes() {
	h := func(pattern string, fn func(r *http.Request) (any, error)) {
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			out, err := fn(r)
			var br badRequest
			var ce conflictError
			switch {
			case errors.As(err, &br):
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": br.msg})
			case errors.As(err, &ce):
				writeJSON(w, http.StatusConflict, map[string]string{"error": ce.msg})
			case err != nil:
				s.log.Error("slacksim: control", "path", r.URL.Path, "err", err)
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			default:
				writeJSON(w, http.StatusOK, out)
			}
		})
	}
	h("GET /control/info", s.ctlInfo)
	h("GET /control/people", s.ctlPeople)
	h("POST /control/people", s.ctlAddPerson)
	h("PATCH /control/people/{id}", s.ctlPatchPerson)
	h("POST /control/command", s.ctlCommand)
	h("POST /control/actions", s.ctlAction)
	h("POST /control/suggestions", s.ctlSuggestion)
	h("GET /control/views", s.ctlViews)
	h("POST /control/views/{id}/submit", s.ctlSubmit)
	h("POST /control/views/{id}/close", s.ctlClose)
	h("GET /control/home", s.ctlHome)
	h("POST /control/home/open", s.ctlOpenHome)
	h("GET /control/conversations", s.ctlConversations)
	h("GET /control/conversations/{id}/messages", s.ctlMessages)
	h("GET /control/conversations/{id}/files", s.ctlFiles)
	h("POST /control/channels", s.ctlAddChannel)
	h("POST /control/channels/{id}/members", s.ctlJoin)
	h("DELETE /control/channels/{id}/members", s.ctlLeave)
	h("DELETE /control/channels/{id}/members/{user}", s.ctlLeave)
	h("POST /control/messages", s.ctlPostMessage)
	h("GET /control/clock", s.ctlClock)
	h("POST /control/clock", s.ctlSetClock)
	h("GET /control/calls", s.ctlCalls)
	h("DELETE /control/calls", s.ctlClearCalls)
	h("POST /control/faults", s.ctlAddFault)
	h("DELETE /control/faults", s.ctlClearFaults)
	h("POST /control/limits", s.ctlLimits)
	h("POST /control/dnd", s.ctlDND)
	h("POST /control/socket/disconnect", s.ctlDisconnect)
	h("POST /control/uninstall", s.ctlUninstall)
	h("POST /control/install", s.ctlInstall)
	h("GET /control/deliveries", s.ctlDeliveries)
}

// conflictError is answered with HTTP 409.
type conflictError struct{ msg string }

// Error returns the message.
func (e conflictError) Error() string { return e.msg }

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bad("invalid JSON body: %v", err)
	}
	return nil
}

func (s *Server) info(r *http.Request) Info {
	s.mu.Lock()
	mode, revoked := s.delivery.mode, s.ws.revoked
	s.mu.Unlock()
	return Info{
		TeamID: s.cfg.TeamID, TeamName: s.cfg.TeamName, AppID: s.cfg.AppID, BotUserID: s.cfg.BotUserID,
		BotID: s.cfg.BotID, APIURL: s.baseURL(r) + "/api/", Now: s.clock.Now(), Delivery: mode,
		SocketConnections: s.hub.count(), Installed: !revoked,
	}
}

func (s *Server) ctlInfo(r *http.Request) (any, error) { return s.info(r), nil }

// controlPerson renders p for the control API. Call with s.mu held.
func (s *Server) controlPerson(p *person, now time.Time) Person {
	label, offset, _ := zoneAt(p.TZ, now)
	text, emoji, exp := p.status(now)
	return Person{
		ID: p.ID, Name: p.Name, RealName: p.RealName, Email: p.Email, TZ: p.TZ, TZLabel: label, TZOffset: offset,
		IsAdmin: p.IsAdmin, IsOwner: p.IsOwner, Deleted: p.Deleted, StatusText: text,
		StatusEmoji: emoji, StatusExpiration: exp, DNDEnabled: p.DND.Enabled,
		DM: s.ws.imID(p.ID), Fields: s.ws.fieldsByLabel(p),
	}
}

func (s *Server) ctlPeople(r *http.Request) (any, error) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Person{}
	for _, p := range s.ws.humans() {
		out = append(out, s.controlPerson(p, now))
	}
	return map[string]any{"people": out}, nil
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,79}$`)

// addPerson adds a person; id may be fixed (demo people) or empty.
func (s *Server) addPerson(id string, in NewPerson) (Person, error) {
	if in.TZ == "" {
		in.TZ = "UTC"
	}
	if !validZone(in.TZ) {
		return Person{}, bad("unknown time zone %q (use an IANA name like Europe/London)", in.TZ)
	}
	if in.Name == "" && in.RealName != "" {
		in.Name = strings.ToLower(strings.ReplaceAll(in.RealName, " ", "."))
	}
	if !namePattern.MatchString(in.Name) {
		return Person{}, bad("name %q must be lowercase letters, digits, '.', '_' or '-'", in.Name)
	}
	if in.RealName == "" {
		in.RealName = in.Name
	}
	if runes(in.StatusText) > 100 {
		return Person{}, bad("status_text is longer than 100 characters")
	}
	if err := checkFields(in.Fields); err != nil {
		return Person{}, err
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.ws.people {
		if p.Name == in.Name && p.ID != id {
			return Person{}, bad("name %q is taken by %s", in.Name, p.ID)
		}
	}
	if id == "" {
		id = s.ws.nextID("U")
	}
	if in.Email == "" {
		in.Email = in.Name + "@example.com"
	}
	p := &person{
		ID: id, Name: in.Name, RealName: in.RealName, Email: in.Email, TZ: in.TZ, IsAdmin: in.IsAdmin || in.IsOwner, IsBot: in.IsBot,
		IsOwner: in.IsOwner, StatusText: in.StatusText, StatusEmoji: in.StatusEmoji,
		StatusExpiration: in.StatusExpiration, DND: dndState{NextStart: 1, NextEnd: 1}, Updated: now.Unix(),
	}
	s.ws.setFields(p, in.Fields)
	s.ws.people[id] = p
	s.ws.im(id, now)
	return s.controlPerson(p, now), nil
}

func (s *Server) ctlAddPerson(r *http.Request) (any, error) {
	var in NewPerson
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.addPerson("", in)
}

func (s *Server) ctlPatchPerson(r *http.Request) (any, error) {
	var in PersonPatch
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.patchPerson(r.PathValue("id"), in)
}

// changesProfile reports whether in changes more than custom fields.
func (in PersonPatch) changesProfile() bool {
	return in.RealName != nil || in.TZ != nil || in.StatusText != nil || in.StatusEmoji != nil ||
		in.StatusExpiration != nil || in.IsAdmin != nil || in.Deleted != nil
}

// patchPerson changes a person and emits user_change, unless only custom
// fields changed.
func (s *Server) patchPerson(id string, in PersonPatch) (Person, error) {
	if in.TZ != nil && !validZone(*in.TZ) {
		return Person{}, bad("unknown time zone %q", *in.TZ)
	}
	if in.StatusText != nil && runes(*in.StatusText) > 100 {
		return Person{}, bad("status_text is longer than 100 characters")
	}
	if err := checkFields(in.Fields); err != nil {
		return Person{}, err
	}
	now := s.clock.Now()
	s.mu.Lock()
	p, ok := s.ws.people[id]
	if !ok || p.IsBot || p.ID == "USLACKBOT" {
		s.mu.Unlock()
		return Person{}, bad("no person %q", id)
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.RealName, in.RealName)
	set(&p.TZ, in.TZ)
	set(&p.StatusText, in.StatusText)
	set(&p.StatusEmoji, in.StatusEmoji)
	if in.StatusExpiration != nil {
		p.StatusExpiration = *in.StatusExpiration
	}
	if in.IsAdmin != nil {
		p.IsAdmin = *in.IsAdmin
	}
	if in.Deleted != nil {
		p.Deleted = *in.Deleted
	}
	s.ws.setFields(p, in.Fields)
	if in.Fields != nil && !in.changesProfile() {
		// Only custom fields changed: Slack sends no user_change for them.
		out := s.controlPerson(p, now)
		s.mu.Unlock()
		return out, nil
	}
	p.Updated = now.Unix()
	out := s.controlPerson(p, now)
	u := s.ws.userJSON(p, now)
	s.mu.Unlock()
	s.emitEvent(map[string]any{"type": "user_change", "user": u, "cache_ts": now.Unix(), "event_ts": eventTS(now)})
	return out, nil
}

func (s *Server) ctlCommand(r *http.Request) (any, error) {
	var in CommandRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.runCommand(r.Context(), in, s.baseURL(r))
}

func (s *Server) ctlAction(r *http.Request) (any, error) {
	var in ActionRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.runAction(r.Context(), in, s.baseURL(r))
}

func (s *Server) ctlSuggestion(r *http.Request) (any, error) {
	var in SuggestionRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.runSuggestion(r.Context(), in)
}

func (s *Server) ctlViews(r *http.Request) (any, error) {
	user := r.URL.Query().Get("user")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.ws.human(user); err != nil {
		return nil, bad("%v", err)
	}
	return map[string]any{"views": s.ws.stackViews(user)}, nil
}

func (s *Server) ctlSubmit(r *http.Request) (any, error) {
	var in SubmitRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.submitView(r.Context(), r.PathValue("id"), in)
}

func (s *Server) ctlClose(r *http.Request) (any, error) {
	var in UserRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.closeView(r.Context(), r.PathValue("id"), in.User)
}

func (s *Server) ctlHome(r *http.Request) (any, error) {
	user := r.URL.Query().Get("user")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.ws.human(user); err != nil {
		return nil, bad("%v", err)
	}
	out := map[string]any{"view": nil}
	if id, ok := s.ws.homes[user]; ok {
		out["view"] = s.ws.viewJSON(s.ws.views[id])
	}
	return out, nil
}

func (s *Server) ctlOpenHome(r *http.Request) (any, error) {
	var in UserRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.openHome(r.Context(), in.User)
}

func (s *Server) controlConv(c *conversation) Conversation {
	return Conversation{ID: c.ID, Kind: c.Kind, Name: c.Name, User: c.User, Members: slices.Clone(c.Members)}
}

func (s *Server) ctlConversations(r *http.Request) (any, error) {
	user := r.URL.Query().Get("user")
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Conversation{}
	if user != "" {
		p, err := s.ws.human(user)
		if err != nil {
			return nil, bad("%v", err)
		}
		s.ws.im(p.ID, now)
	}
	for _, id := range s.ws.sortedConvIDs() {
		c := s.ws.convs[id]
		if user == "" || c.isMember(user) {
			out = append(out, s.controlConv(c))
		}
	}
	return map[string]any{"conversations": out}, nil
}

func (s *Server) ctlMessages(r *http.Request) (any, error) {
	as := r.URL.Query().Get("as")
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ws.resolveChannel(r.PathValue("id"), now)
	if c == nil {
		return nil, bad("no conversation %q", r.PathValue("id"))
	}
	out := []Message{}
	for _, m := range c.Messages {
		if m.Ephemeral && m.VisibleTo != as {
			continue
		}
		out = append(out, controlMessage(c.ID, m))
	}
	return map[string]any{"channel": c.ID, "messages": out}, nil
}

var channelPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,79}$`)

// addChannel creates a channel; id may be fixed (demo) or empty.
func (s *Server) addChannel(id string, in NewChannel, emit bool) (Conversation, error) {
	in.Name = strings.TrimPrefix(in.Name, "#")
	if !channelPattern.MatchString(in.Name) {
		return Conversation{}, bad("channel name %q must be lowercase letters, digits, '-' or '_'", in.Name)
	}
	now := s.clock.Now()
	s.mu.Lock()
	for _, c := range s.ws.convs {
		if c.Kind == "channel" && c.Name == in.Name {
			s.mu.Unlock()
			return Conversation{}, bad("channel #%s exists: %s", in.Name, c.ID)
		}
	}
	for _, u := range in.Members {
		if err := s.ws.joinable(u); err != nil {
			s.mu.Unlock()
			return Conversation{}, bad("%v", err)
		}
	}
	if id == "" {
		id = s.ws.nextID("C")
	}
	c := &conversation{ID: id, Name: in.Name, Kind: "channel", Private: in.Private, Created: now.Unix()}
	if in.Private {
		c.ID = "G" + strings.TrimPrefix(id, "C")
	}
	s.ws.convs[c.ID] = c
	s.mu.Unlock()
	members := slices.Clone(in.Members)
	if !in.WithoutBot {
		members = append([]string{s.cfg.BotUserID}, members...)
	}
	for _, u := range members {
		if _, err := s.join(c.ID, u, emit); err != nil {
			return Conversation{}, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.controlConv(c), nil
}

func (s *Server) ctlAddChannel(r *http.Request) (any, error) {
	var in NewChannel
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.addChannel("", in, true)
}

// join adds user to a channel and emits member_joined_channel when the bot
// is in it (Slack only tells apps about channels they are in).
func (s *Server) join(channel, user string, emit bool) (Conversation, error) {
	now := s.clock.Now()
	s.mu.Lock()
	c, ok := s.ws.convs[channel]
	if !ok || c.Kind != "channel" {
		s.mu.Unlock()
		return Conversation{}, bad("no channel %q", channel)
	}
	if user != s.cfg.BotUserID {
		if err := s.ws.joinable(user); err != nil {
			s.mu.Unlock()
			return Conversation{}, bad("%v", err)
		}
	}
	if c.isMember(user) {
		s.mu.Unlock()
		return Conversation{}, bad("%s is already in %s", user, channel)
	}
	c.Members = append(c.Members, user)
	c.Messages = append(c.Messages, &message{TS: s.ws.newTS(now), User: user, Text: fmt.Sprintf("<@%s> has joined the channel", user)})
	out := s.controlConv(c)
	var ev map[string]any
	if emit && c.isMember(s.cfg.BotUserID) {
		ev = map[string]any{"type": "member_joined_channel", "user": user, "channel": c.ID, "channel_type": channelType(c), "team": s.cfg.TeamID, "event_ts": eventTS(now)}
	}
	s.mu.Unlock()
	if ev != nil {
		s.emitEvent(ev)
	}
	return out, nil
}

func channelType(c *conversation) string {
	if c.Private {
		return "G"
	}
	return "C"
}

func (s *Server) ctlJoin(r *http.Request) (any, error) {
	var in UserRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.join(r.PathValue("id"), in.User, true)
}

func (s *Server) ctlLeave(r *http.Request) (any, error) {
	user := r.PathValue("user")
	if user == "" {
		user = r.URL.Query().Get("user")
	}
	if user == "" && r.ContentLength != 0 {
		var in UserRequest
		if err := decodeBody(r, &in); err != nil {
			return nil, err
		}
		user = in.User
	}
	now := s.clock.Now()
	s.mu.Lock()
	c, ok := s.ws.convs[r.PathValue("id")]
	if !ok || c.Kind != "channel" {
		s.mu.Unlock()
		return nil, bad("no channel %q", r.PathValue("id"))
	}
	i := slices.Index(c.Members, user)
	if i < 0 {
		s.mu.Unlock()
		return nil, bad("%q is not in %s", user, c.ID)
	}
	botWasIn := c.isMember(s.cfg.BotUserID)
	c.Members = slices.Delete(c.Members, i, i+1)
	out := s.controlConv(c)
	s.mu.Unlock()
	if botWasIn {
		s.emitEvent(map[string]any{"type": "member_left_channel", "user": user, "channel": c.ID, "channel_type": channelType(c), "team": s.cfg.TeamID, "event_ts": eventTS(now)})
	}
	return out, nil
}

func (s *Server) ctlPostMessage(r *http.Request) (any, error) {
	var in PostMessageRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	return s.personMessage(in)
}

func (s *Server) clockState() ClockState {
	st := ClockState{Now: s.clock.Now()}
	if sim, ok := s.clock.(*clock.Sim); ok {
		st.Simulated, st.Frozen = true, sim.Frozen()
	}
	return st
}

func (s *Server) ctlClock(r *http.Request) (any, error) { return s.clockState(), nil }

func (s *Server) ctlSetClock(r *http.Request) (any, error) {
	var in ClockRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	sim, ok := s.clock.(*clock.Sim)
	if !ok {
		return nil, conflictError{"the emulator runs on the system clock; only a simulated clock can be moved"}
	}
	var to time.Time
	switch {
	case in.Set != "" && in.Advance != "":
		return nil, bad("give set or advance, not both")
	case in.Set != "":
		t, err := time.Parse(time.RFC3339, in.Set)
		if err != nil {
			return nil, bad("set must be RFC 3339, like 2024-05-01T09:00:00Z: %v", err)
		}
		to = t
	case in.Advance != "":
		d, err := time.ParseDuration(in.Advance)
		if err != nil {
			return nil, bad("advance must be a duration like 90m: %v", err)
		}
		to = sim.Now().Add(d)
	default:
		return nil, bad("give set (RFC 3339) or advance (like 90m)")
	}
	if mover := s.cfg.ClockMover; mover != nil && to.After(sim.Now()) {
		if err := mover(r.Context(), to); err != nil {
			return nil, fmt.Errorf("move the clock to %s: %w", to.Format(time.RFC3339), err)
		}
	}
	sim.Set(to)
	if moved := s.cfg.ClockMoved; moved != nil {
		moved(to)
	}
	s.sweepStatuses()
	return s.clockState(), nil
}

func (s *Server) ctlCalls(r *http.Request) (any, error) {
	return map[string]any{"calls": s.calls.list(r.URL.Query().Get("method"))}, nil
}

func (s *Server) ctlClearCalls(r *http.Request) (any, error) {
	s.calls.clear()
	return map[string]any{"ok": true}, nil
}

func (s *Server) ctlAddFault(r *http.Request) (any, error) {
	var f Fault
	if err := decodeBody(r, &f); err != nil {
		return nil, err
	}
	if f.Method == "" {
		return nil, bad("method is required (or \"*\" for every method)")
	}
	if f.Hang {
		if f.Every != 0 || f.Next != 0 || f.Status != 0 || f.RetryAfter != 0 || f.AfterEffect || f.Hold != "" {
			return nil, bad("hang holds every call until the fault is cleared: give it no every, next, status, retry_after, after_effect or hold")
		}
		s.limits.addHang(f.Method)
		return f, nil
	}
	if (f.Every > 0) == (f.Next > 0) {
		return nil, bad("give exactly one of every (every Nth call) or next (the next K calls)")
	}
	if f.Every < 0 || f.Next < 0 {
		return nil, bad("every and next must be positive")
	}
	var hold time.Duration
	if f.Hold != "" {
		d, err := time.ParseDuration(f.Hold)
		if err != nil || d <= 0 {
			return nil, bad("hold must be a positive duration like 4s")
		}
		hold = d
	}
	switch {
	case f.Status == 0 && hold > 0:
		// A slow answer, not an error: the call takes effect.
	case f.Status == 0:
		f.Status = http.StatusInternalServerError
		if f.Every > 0 {
			f.Status = http.StatusTooManyRequests
		}
		fallthrough
	default:
		if f.Status < 400 || f.Status > 599 {
			return nil, bad("status must be an HTTP error status")
		}
	}
	if f.AfterEffect && f.Status == http.StatusTooManyRequests {
		return nil, bad("after_effect needs a status other than 429: a rate-limited call never takes effect")
	}
	if f.Status == http.StatusTooManyRequests && f.RetryAfter <= 0 {
		f.RetryAfter = 1
	}
	s.limits.addFault(f, hold)
	return f, nil
}

func (s *Server) ctlClearFaults(r *http.Request) (any, error) {
	s.limits.clearFaults(r.URL.Query().Get("method"))
	return map[string]any{"ok": true}, nil
}

func (s *Server) ctlLimits(r *http.Request) (any, error) {
	var in Limits
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	var window time.Duration
	if in.Window != "" {
		d, err := time.ParseDuration(in.Window)
		if err != nil || d <= 0 {
			return nil, bad("window must be a positive duration like 2s")
		}
		window = d
	}
	if in.MessageCapPerMinute < 0 {
		return nil, bad("message_cap_per_minute must be positive")
	}
	s.limits.setLimits(in, window)
	return map[string]any{"ok": true}, nil
}

func (s *Server) ctlDND(r *http.Request) (any, error) {
	var in DND
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.ws.human(in.User)
	if err != nil {
		return nil, bad("%v", err)
	}
	d := dndState{Enabled: in.DNDEnabled, NextStart: in.NextDNDStartTS, NextEnd: in.NextDNDEndTS}
	if !d.Enabled && d.NextStart == 0 && d.NextEnd == 0 {
		d.NextStart, d.NextEnd = 1, 1 // what Slack reports when DND is off
	}
	p.DND = d
	return in, nil
}

func (s *Server) ctlDisconnect(r *http.Request) (any, error) {
	return SocketDisconnectResult{Disconnected: s.hub.disconnectAll("refresh_requested")}, nil
}

func (s *Server) ctlUninstall(r *http.Request) (any, error) {
	var in UninstallRequest
	if r.ContentLength != 0 {
		if err := decodeBody(r, &in); err != nil {
			return nil, err
		}
	}
	now := s.clock.Now()
	s.mu.Lock()
	if s.ws.revoked {
		s.mu.Unlock()
		return nil, bad("the app is not installed")
	}
	s.ws.revoked = true
	s.mu.Unlock()
	revoked := map[string]any{"type": "tokens_revoked", "tokens": map[string]any{"oauth": []string{}, "bot": []string{s.cfg.BotUserID}}, "event_ts": eventTS(now)}
	uninstalled := map[string]any{"type": "app_uninstalled", "event_ts": eventTS(now)}
	if in.UninstalledFirst {
		revoked, uninstalled = uninstalled, revoked
	}
	s.emitEvent(revoked)
	s.emitEvent(uninstalled)
	return s.info(r), nil
}

func (s *Server) ctlInstall(r *http.Request) (any, error) {
	s.mu.Lock()
	s.ws.revoked = false
	s.mu.Unlock()
	return s.info(r), nil
}

func (s *Server) ctlDeliveries(r *http.Request) (any, error) {
	return map[string]any{"deliveries": s.dlog.all()}, nil
}
