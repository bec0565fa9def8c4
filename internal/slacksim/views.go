package slacksim

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Modal limits Slack enforces.
const (
	maxStack          = 3
	maxTitle          = 24
	maxPrivateMeta    = 3000
	maxCallbackID     = 255
	maxExternalID     = 255
	triggerErrExpired = "expired_trigger_id"
	triggerErrUsed    = "exchanged_trigger_id"
	triggerErrInvalid = "invalid_trigger_id"
)

// view is a modal or a home tab.
type view struct {
	ID              string
	Type            string // "modal" or "home"
	User            string
	Title           json.RawMessage
	Close           json.RawMessage
	Submit          json.RawMessage
	Blocks          []any
	PrivateMetadata string
	CallbackID      string
	ExternalID      string
	ClearOnClose    bool
	NotifyOnClose   bool
	State           map[string]map[string]json.RawMessage
	Hash            string
	RootViewID      string
	PreviousViewID  string
	Errors          map[string]string
}

// viewInput is a view object as an app sends it.
type viewInput struct {
	Type            string          `json:"type"`
	Title           json.RawMessage `json:"title"`
	Close           json.RawMessage `json:"close"`
	Submit          json.RawMessage `json:"submit"`
	Blocks          json.RawMessage `json:"blocks"`
	PrivateMetadata string          `json:"private_metadata"`
	CallbackID      string          `json:"callback_id"`
	ExternalID      string          `json:"external_id"`
	ClearOnClose    bool            `json:"clear_on_close"`
	NotifyOnClose   bool            `json:"notify_on_close"`

	blocks []any
}

func nullable(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

// parseView decodes and validates a view argument. types lists the view
// types the method accepts.
func (w *workspace) parseView(raw json.RawMessage, types ...string) (*viewInput, *apiError) {
	if len(raw) == 0 {
		return nil, fail("invalid_arguments", "[ERROR] missing required field: view")
	}
	var in viewInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fail("invalid_arguments", "[ERROR] view must be a JSON object [json-pointer:/view]")
	}
	var chk blockChecker
	if !slices.Contains(types, in.Type) {
		chk.add("/view/type", "must be a valid enum value")
	}
	blocks := []any{}
	if len(nullable(in.Blocks)) > 0 {
		b, err := parseBlocks(in.Blocks)
		if err != nil {
			return nil, fail("invalid_arguments", "[ERROR] blocks must be an array [json-pointer:/view/blocks]")
		}
		blocks = b
	}
	chk.check("/view/blocks", blocks, maxViewBlocks)
	if in.Type == "modal" {
		if nullable(in.Title) == nil {
			chk.add("/view/title", "missing required field: title")
		} else {
			chk.text("/view/title", decodeAny(in.Title), maxTitle, true)
		}
		if nullable(in.Submit) != nil {
			chk.text("/view/submit", decodeAny(in.Submit), maxTitle, true)
		} else if hasInput(blocks) {
			chk.add("/view/submit", "missing required field: submit (required when the view has input blocks)")
		}
		if nullable(in.Close) != nil {
			chk.text("/view/close", decodeAny(in.Close), maxTitle, true)
		}
	}
	if runes(in.PrivateMetadata) > maxPrivateMeta {
		chk.add("/view/private_metadata", "must be less than %d characters", maxPrivateMeta+1)
	}
	if runes(in.CallbackID) > maxCallbackID {
		chk.add("/view/callback_id", "must be less than %d characters", maxCallbackID+1)
	}
	if runes(in.ExternalID) > maxExternalID {
		chk.add("/view/external_id", "must be less than %d characters", maxExternalID+1)
	}
	if len(chk.errs) > 0 {
		return nil, fail("invalid_arguments", chk.errs...)
	}
	w.normalizeBlocks(blocks)
	in.blocks = blocks
	return &in, nil
}

func decodeAny(raw json.RawMessage) any {
	var v any
	_ = decodeJSON(raw, &v)
	return v
}

func hasInput(blocks []any) bool {
	for _, b := range blocks {
		if str(asMap(b), "type") == "input" {
			return true
		}
	}
	return false
}

func (w *workspace) newHash(now time.Time) string {
	w.seq++
	return fmt.Sprintf("%d.%08x", now.Unix(), uint32(w.seq)*2654435761)
}

// setContent replaces v's content with in, keeping state of input elements
// that stay, and gives it a new hash.
func (w *workspace) setContent(v *view, in *viewInput, now time.Time) *apiError {
	if in.ExternalID != "" && in.ExternalID != v.ExternalID {
		if other, ok := w.external[in.ExternalID]; ok && other != v.ID {
			return fail("duplicate_external_id")
		}
	}
	if v.ExternalID != "" && v.ExternalID != in.ExternalID {
		delete(w.external, v.ExternalID)
	}
	if in.ExternalID != "" {
		w.external[in.ExternalID] = v.ID
	}
	v.Type = in.Type
	v.Title, v.Close, v.Submit = nullable(in.Title), nullable(in.Close), nullable(in.Submit)
	v.Blocks = in.blocks
	v.PrivateMetadata, v.CallbackID, v.ExternalID = in.PrivateMetadata, in.CallbackID, in.ExternalID
	v.ClearOnClose, v.NotifyOnClose = in.ClearOnClose, in.NotifyOnClose
	v.State = initialState(in.blocks, v.State)
	v.Hash = w.newHash(now)
	v.Errors = nil
	return nil
}

// createView makes a new view for user from in.
func (w *workspace) createView(user string, in *viewInput, now time.Time) (*view, *apiError) {
	if in.ExternalID != "" {
		if _, ok := w.external[in.ExternalID]; ok {
			return nil, fail("duplicate_external_id")
		}
	}
	v := &view{ID: w.nextID("V"), User: user}
	if aerr := w.setContent(v, in, now); aerr != nil {
		return nil, aerr
	}
	v.RootViewID = v.ID
	w.views[v.ID] = v
	return v, nil
}

// dropView forgets a view that is no longer shown.
func (w *workspace) dropView(id string) {
	if v, ok := w.views[id]; ok {
		if v.ExternalID != "" {
			delete(w.external, v.ExternalID)
		}
		delete(w.views, id)
	}
}

// clearStack closes every modal of user.
func (w *workspace) clearStack(user string) {
	for _, id := range w.stacks[user] {
		w.dropView(id)
	}
	delete(w.stacks, user)
}

// popView closes user's top modal.
func (w *workspace) popView(user string) {
	st := w.stacks[user]
	if len(st) == 0 {
		return
	}
	w.dropView(st[len(st)-1])
	if len(st) == 1 {
		delete(w.stacks, user)
		return
	}
	w.stacks[user] = st[:len(st)-1]
}

// pushView puts a new modal on top of user's stack.
func (w *workspace) pushView(user string, in *viewInput, now time.Time) (*view, *apiError) {
	st := w.stacks[user]
	if len(st) >= maxStack {
		return nil, fail("push_limit_reached")
	}
	v, aerr := w.createView(user, in, now)
	if aerr != nil {
		return nil, aerr
	}
	if len(st) > 0 {
		prev := w.views[st[len(st)-1]]
		v.PreviousViewID = prev.ID
		v.RootViewID = prev.RootViewID
	}
	w.stacks[user] = append(st, v.ID)
	return v, nil
}

func (w *workspace) stackViews(user string) []View {
	out := []View{}
	for _, id := range w.stacks[user] {
		out = append(out, w.viewJSON(w.views[id]))
	}
	return out
}

func rawOrNull(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return json.RawMessage("null")
	}
	return raw
}

// viewJSON renders v the way Slack returns views.
func (w *workspace) viewJSON(v *view) View {
	blocks, err := json.Marshal(v.Blocks)
	if err != nil || v.Blocks == nil {
		blocks = json.RawMessage("[]")
	}
	// A copy: the answer is encoded after the lock is let go, while an
	// action in the same view may write its state.
	values := make(map[string]map[string]json.RawMessage, len(v.State))
	for block, actions := range v.State {
		values[block] = maps.Clone(actions)
	}
	out := View{
		ID: v.ID, TeamID: w.cfg.TeamID, Type: v.Type,
		Title: rawOrNull(v.Title), Close: rawOrNull(v.Close), Submit: rawOrNull(v.Submit),
		Blocks: blocks, PrivateMetadata: v.PrivateMetadata, CallbackID: v.CallbackID,
		State: ViewState{Values: values}, Hash: v.Hash, ClearOnClose: v.ClearOnClose, NotifyOnClose: v.NotifyOnClose,
		RootViewID: v.RootViewID, AppID: w.cfg.AppID, ExternalID: v.ExternalID,
		AppInstalledTeamID: w.cfg.TeamID, BotID: w.cfg.BotID, Errors: v.Errors,
	}
	if v.PreviousViewID != "" {
		prev := v.PreviousViewID
		out.PreviousViewID = &prev
	}
	return out
}

// botView renders v for a payload to the bot, without the sandbox-only
// errors field.
func (w *workspace) botView(v *view) View {
	out := w.viewJSON(v)
	out.Errors = nil
	return out
}

// useTrigger checks and spends a trigger_id. It uses real time: trigger
// lifetimes are transport behaviour.
func (w *workspace) useTrigger(id string, now time.Time) (*trigger, *apiError) {
	if id == "" {
		return nil, fail("invalid_arguments", "[ERROR] missing required field: trigger_id")
	}
	t, ok := w.triggers[id]
	switch {
	case !ok:
		return nil, fail(triggerErrInvalid)
	case t.Used:
		return nil, fail(triggerErrUsed)
	case now.Sub(t.Issued) > w.cfg.TriggerTTL:
		return nil, fail(triggerErrExpired)
	}
	t.Used = true
	return t, nil
}

func (s *Server) viewsOpen(c *apiCall) (map[string]any, *apiError) {
	raw, _ := c.a.json("view")
	s.mu.Lock()
	defer s.mu.Unlock()
	in, aerr := s.ws.parseView(raw, "modal")
	if aerr != nil {
		return nil, aerr
	}
	t, aerr := s.ws.useTrigger(c.a.str("trigger_id"), c.real)
	if aerr != nil {
		return nil, aerr
	}
	// A new modal replaces whatever stack the person had open.
	s.ws.clearStack(t.User)
	v, aerr := s.ws.pushView(t.User, in, c.now)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"view": s.ws.viewJSON(v)}, nil
}

func (s *Server) viewsPush(c *apiCall) (map[string]any, *apiError) {
	raw, _ := c.a.json("view")
	s.mu.Lock()
	defer s.mu.Unlock()
	in, aerr := s.ws.parseView(raw, "modal")
	if aerr != nil {
		return nil, aerr
	}
	t, aerr := s.ws.useTrigger(c.a.str("trigger_id"), c.real)
	if aerr != nil {
		return nil, aerr
	}
	if len(s.ws.stacks[t.User]) == 0 {
		return nil, fail("view_not_found", "[ERROR] there is no open modal to push onto")
	}
	v, aerr := s.ws.pushView(t.User, in, c.now)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"view": s.ws.viewJSON(v)}, nil
}

func (s *Server) viewsUpdate(c *apiCall) (map[string]any, *apiError) {
	raw, _ := c.a.json("view")
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.a.str("view_id")
	if id == "" {
		ext := c.a.str("external_id")
		if ext == "" {
			return nil, fail("invalid_arguments", "[ERROR] either view_id or external_id is required")
		}
		id = s.ws.external[ext]
	}
	v, ok := s.ws.views[id]
	if !ok {
		return nil, fail("not_found")
	}
	in, aerr := s.ws.parseView(raw, v.Type)
	if aerr != nil {
		return nil, aerr
	}
	if h := c.a.str("hash"); h != "" && h != v.Hash {
		return nil, fail("hash_conflict")
	}
	if aerr := s.ws.setContent(v, in, c.now); aerr != nil {
		return nil, aerr
	}
	return map[string]any{"view": s.ws.viewJSON(v)}, nil
}

func (s *Server) viewsPublish(c *apiCall) (map[string]any, *apiError) {
	raw, _ := c.a.json("view")
	s.mu.Lock()
	defer s.mu.Unlock()
	user := c.a.str("user_id")
	p, ok := s.ws.people[user]
	if !ok || p.IsBot {
		return nil, fail("user_not_found")
	}
	in, aerr := s.ws.parseView(raw, "home")
	if aerr != nil {
		return nil, aerr
	}
	if id, ok := s.ws.homes[user]; ok {
		v := s.ws.views[id]
		if h := c.a.str("hash"); h != "" && h != v.Hash {
			return nil, fail("hash_conflict")
		}
		if aerr := s.ws.setContent(v, in, c.now); aerr != nil {
			return nil, aerr
		}
		return map[string]any{"view": s.ws.viewJSON(v)}, nil
	}
	v, aerr := s.ws.createView(user, in, c.now)
	if aerr != nil {
		return nil, aerr
	}
	s.ws.homes[user] = v.ID
	return map[string]any{"view": s.ws.viewJSON(v)}, nil
}
