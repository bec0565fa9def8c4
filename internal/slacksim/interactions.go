package slacksim

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// badRequest is a control API error answered with HTTP 400.
type badRequest struct{ msg string }

// Error returns the message.
func (e badRequest) Error() string { return e.msg }

func bad(format string, a ...any) error { return badRequest{fmt.Sprintf(format, a...)} }

func (s *Server) userRef(p *person) map[string]any {
	return map[string]any{"id": p.ID, "username": p.Name, "name": p.Name, "team_id": s.cfg.TeamID}
}

func (s *Server) teamRef() map[string]any {
	return map[string]any{"id": s.cfg.TeamID, "domain": s.cfg.TeamDomain}
}

func channelName(c *conversation) string {
	if c.Kind == "im" {
		return "directmessage"
	}
	return c.Name
}

// conversationFor resolves a control request's channel, defaulting to the
// person's DM with the bot, and checks that the person is in it.
func (w *workspace) conversationFor(p *person, channel string, now time.Time) (*conversation, error) {
	if channel == "" {
		return w.im(p.ID, now), nil
	}
	c := w.resolveChannel(channel, now)
	if c == nil {
		return nil, bad("no conversation %q", channel)
	}
	if !c.isMember(p.ID) {
		return nil, bad("%s is not in %s", p.ID, c.ID)
	}
	return c, nil
}

// runCommand runs a slash command typed by a person and applies the bot's
// ack: it becomes an ephemeral reply, or a channel message for in_channel.
func (s *Server) runCommand(ctx context.Context, req CommandRequest, base string) (CommandResult, error) {
	line := strings.TrimSpace(req.Text)
	if !strings.HasPrefix(line, "/") || len(line) < 2 {
		return CommandResult{}, bad("text must start with a slash command, like \"/trellis help\"")
	}
	cmd, text, _ := strings.Cut(line, " ")
	text = strings.TrimSpace(text)
	now := s.clock.Now()
	s.mu.Lock()
	p, err := s.ws.human(req.User)
	if err != nil {
		s.mu.Unlock()
		return CommandResult{}, bad("%v", err)
	}
	conv, err := s.ws.conversationFor(p, req.Channel, now)
	if err != nil {
		s.mu.Unlock()
		return CommandResult{}, err
	}
	real := time.Now()
	trig := s.ws.newTrigger(p.ID, conv.ID, "", real)
	rurl := base + "/response/" + s.ws.newResponseURL(p.ID, conv.ID, "", false, real)
	payload := map[string]any{
		"token":                 s.cfg.VerificationToken,
		"team_id":               s.cfg.TeamID,
		"team_domain":           s.cfg.TeamDomain,
		"channel_id":            conv.ID,
		"channel_name":          channelName(conv),
		"user_id":               p.ID,
		"user_name":             p.Name,
		"command":               cmd,
		"text":                  text,
		"api_app_id":            s.cfg.AppID,
		"is_enterprise_install": "false",
		"response_url":          rurl,
		"trigger_id":            trig,
	}
	s.mu.Unlock()

	a := s.deliverSync(ctx, kindCommand, cmd, payload)
	res := CommandResult{OK: a.acked, Status: a.status, Error: a.errorText(), Channel: conv.ID, TriggerID: trig, ResponseURL: rurl}
	if !a.acked {
		return res, nil
	}
	body := a.payloadBody()
	if body == nil {
		return res, nil
	}
	var resp CommandResponse
	if body[0] == '{' {
		if err := json.Unmarshal(body, &resp); err != nil {
			res.OK, res.Error = false, "invalid ack body: "+err.Error()
			return res, nil
		}
	} else if strings.HasPrefix(a.contentType, "text/") || a.contentType == "" {
		resp.Text = string(body)
	}
	res.Response = &resp
	if resp.Text == "" && len(resp.Blocks) == 0 {
		return res, nil
	}
	var blocks []any
	if len(resp.Blocks) > 0 {
		if blocks, err = parseBlocks(resp.Blocks); err != nil {
			res.OK, res.Error = false, "invalid blocks in ack: "+err.Error()
			return res, nil
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws.normalizeBlocks(blocks)
	now = s.clock.Now()
	if resp.ResponseType == "in_channel" {
		// The channel sees the command line too.
		conv.Messages = append(conv.Messages, &message{TS: s.ws.newTS(now), User: p.ID, Text: line})
		conv.Messages = append(conv.Messages, &message{TS: s.ws.newTS(now), User: s.cfg.BotUserID, BotID: s.cfg.BotID, Text: resp.Text, Blocks: blocks})
		return res, nil
	}
	conv.Messages = append(conv.Messages, &message{
		TS: s.ws.newTS(now), User: s.cfg.BotUserID, BotID: s.cfg.BotID, Text: resp.Text, Blocks: blocks,
		Ephemeral: true, VisibleTo: p.ID,
	})
	return res, nil
}

// actionTarget is where a clicked element lives.
type actionTarget struct {
	view  *view
	conv  *conversation
	msg   *message
	block map[string]any
	elem  map[string]any
}

// findTarget locates the element a control action names.
func (w *workspace) findTarget(p *person, req ActionRequest, now time.Time) (actionTarget, error) {
	var t actionTarget
	inView := func(v *view) bool {
		t.block, t.elem = findElement(v.Blocks, req.BlockID, req.ActionID)
		if t.elem != nil {
			t.view = v
		}
		return t.elem != nil
	}
	inMessage := func(c *conversation, m *message) bool {
		if m.Ephemeral && m.VisibleTo != p.ID {
			return false
		}
		t.block, t.elem = findElement(m.Blocks, req.BlockID, req.ActionID)
		if t.elem != nil {
			t.conv, t.msg = c, m
		}
		return t.elem != nil
	}
	switch {
	case req.ViewID != "":
		v, ok := w.views[req.ViewID]
		if !ok || v.User != p.ID {
			return t, bad("%s has no open view %q", p.ID, req.ViewID)
		}
		if !inView(v) {
			return t, bad("no element with action_id %q in view %s", req.ActionID, v.ID)
		}
		return t, nil
	case req.MessageTS != "":
		c, err := w.conversationFor(p, req.Channel, now)
		if err != nil {
			return t, err
		}
		_, m := c.find(req.MessageTS)
		if m == nil || (m.Ephemeral && m.VisibleTo != p.ID) {
			return t, bad("no message %s in %s visible to %s", req.MessageTS, c.ID, p.ID)
		}
		if !inMessage(c, m) {
			return t, bad("no element with action_id %q in message %s", req.ActionID, m.TS)
		}
		return t, nil
	}
	if st := w.stacks[p.ID]; len(st) > 0 && inView(w.views[st[len(st)-1]]) {
		return t, nil
	}
	if id, ok := w.homes[p.ID]; ok && inView(w.views[id]) {
		return t, nil
	}
	c, err := w.conversationFor(p, req.Channel, now)
	if err != nil {
		return t, err
	}
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if inMessage(c, c.Messages[i]) {
			return t, nil
		}
	}
	return t, bad("no element with action_id %q visible to %s (looked in their modal, home tab and %s)", req.ActionID, p.ID, c.ID)
}

// findOption looks up an element's option by value.
func findOption(e map[string]any, value string) (any, bool) {
	opts := asList(e["options"])
	for _, g := range asList(e["option_groups"]) {
		opts = append(opts, asList(asMap(g)["options"])...)
	}
	for _, o := range opts {
		if str(asMap(o), "value") == value {
			return o, true
		}
	}
	return nil, false
}

// buildAction makes the actions[0] object for a click on e.
func buildAction(req ActionRequest, block, e map[string]any, now time.Time) (map[string]any, error) {
	typ := str(e, "type")
	act := map[string]any{
		"type": typ, "action_id": str(e, "action_id"), "block_id": str(block, "block_id"), "action_ts": eventTS(now),
	}
	raw := func(r json.RawMessage) any {
		var v any
		_ = decodeJSON(r, &v)
		return v
	}
	option := func() (any, error) {
		if len(req.SelectedOption) > 0 {
			return raw(req.SelectedOption), nil
		}
		if req.Value == "" {
			return nil, bad("%s %q needs selected_option or value", typ, str(e, "action_id"))
		}
		o, ok := findOption(e, req.Value)
		if !ok {
			return nil, bad("%s %q has no option with value %q", typ, str(e, "action_id"), req.Value)
		}
		return o, nil
	}
	switch typ {
	case "button":
		act["text"] = e["text"]
		act["value"] = str(e, "value")
		if req.Value != "" {
			act["value"] = req.Value
		}
		if st := str(e, "style"); st != "" {
			act["style"] = st
		}
	case "overflow", "static_select", "external_select", "radio_buttons":
		o, err := option()
		if err != nil {
			return nil, err
		}
		act["selected_option"] = o
	case "multi_static_select", "multi_external_select", "checkboxes":
		if len(req.SelectedOptions) > 0 {
			act["selected_options"] = raw(req.SelectedOptions)
		} else {
			act["selected_options"] = []any{}
		}
	case "datepicker":
		act["selected_date"] = req.SelectedDate
	case "timepicker":
		act["selected_time"] = req.SelectedTime
	case "users_select":
		act["selected_user"] = req.SelectedUser
	case "multi_users_select":
		act["selected_users"] = append([]string{}, req.SelectedUsers...)
	case "conversations_select":
		act["selected_conversation"] = cmp.Or(req.SelectedConversation, req.SelectedChannel)
	case "multi_conversations_select":
		act["selected_conversations"] = append([]string{}, req.SelectedConversations...)
	case "channels_select":
		act["selected_channel"] = req.SelectedChannel
	case "multi_channels_select":
		act["selected_channels"] = append([]string{}, req.SelectedChannels...)
	case "datetimepicker":
		act["selected_date_time"] = req.SelectedDateTime
	case "rich_text_input":
		act["rich_text_value"] = raw(req.RichTextValue)
	default:
		if spec, ok := stateful[typ]; ok && spec.current == "value" {
			act["value"] = req.Value
		}
	}
	return act, nil
}

// stateOf returns the state object an action leaves an element in.
func stateOf(act map[string]any) (json.RawMessage, bool) {
	spec, ok := stateful[str(act, "type")]
	if !ok {
		return nil, false
	}
	b, err := json.Marshal(map[string]any{"type": act["type"], spec.current: act[spec.current]})
	return b, err == nil
}

// runAction clicks an element as a person and waits for the bot's ack.
func (s *Server) runAction(ctx context.Context, req ActionRequest, base string) (ActionResult, error) {
	if req.ActionID == "" {
		return ActionResult{}, bad("action_id is required")
	}
	now := s.clock.Now()
	s.mu.Lock()
	p, err := s.ws.human(req.User)
	if err != nil {
		s.mu.Unlock()
		return ActionResult{}, bad("%v", err)
	}
	t, err := s.ws.findTarget(p, req, now)
	if err != nil {
		s.mu.Unlock()
		return ActionResult{}, err
	}
	act, err := buildAction(req, t.block, t.elem, now)
	if err != nil {
		s.mu.Unlock()
		return ActionResult{}, err
	}
	real := time.Now()
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  s.userRef(p),
		"api_app_id":            s.cfg.AppID,
		"token":                 s.cfg.VerificationToken,
		"team":                  s.teamRef(),
		"enterprise":            nil,
		"is_enterprise_install": false,
		"actions":               []any{act},
	}
	state := map[string]map[string]json.RawMessage{}
	var res ActionResult
	if t.view != nil {
		if v, ok := stateOf(act); ok {
			bid, aid := str(act, "block_id"), str(act, "action_id")
			if t.view.State == nil {
				t.view.State = map[string]map[string]json.RawMessage{}
			}
			if t.view.State[bid] == nil {
				t.view.State[bid] = map[string]json.RawMessage{}
			}
			t.view.State[bid][aid] = v
		}
		res.TriggerID = s.ws.newTrigger(p.ID, "", t.view.ID, real)
		payload["container"] = map[string]any{"type": "view", "view_id": t.view.ID}
		payload["view"] = s.ws.botView(t.view)
		state = t.view.State
	} else {
		res.TriggerID = s.ws.newTrigger(p.ID, t.conv.ID, "", real)
		res.ResponseURL = base + "/response/" + s.ws.newResponseURL(p.ID, t.conv.ID, t.msg.TS, t.msg.Ephemeral, real)
		container := map[string]any{"type": "message", "message_ts": t.msg.TS, "channel_id": t.conv.ID, "is_ephemeral": t.msg.Ephemeral}
		if t.msg.ThreadTS != "" {
			container["thread_ts"] = t.msg.ThreadTS
		}
		payload["container"] = container
		payload["channel"] = map[string]any{"id": t.conv.ID, "name": channelName(t.conv)}
		payload["message"] = s.ws.messageJSON(t.msg, true)
		payload["response_url"] = res.ResponseURL
		if v, ok := stateOf(act); ok {
			state[str(act, "block_id")] = map[string]json.RawMessage{str(act, "action_id"): v}
		}
	}
	payload["trigger_id"] = res.TriggerID
	payload["state"] = map[string]any{"values": state}
	s.mu.Unlock()

	a := s.deliverSync(ctx, kindInteraction, "block_actions", payload)
	res.OK, res.Status, res.Error = a.acked, a.status, a.errorText()
	if b := a.payloadBody(); b != nil && json.Valid(b) {
		res.Ack = b
	}
	return res, nil
}

// submissionAck is the bot's answer to view_submission.
type submissionAck struct {
	ResponseAction string            `json:"response_action"`
	Errors         map[string]string `json:"errors"`
	View           json.RawMessage   `json:"view"`
}

// submitView submits a person's top modal and applies the bot's
// response_action.
func (s *Server) submitView(ctx context.Context, viewID string, req SubmitRequest) (SubmitResult, error) {
	s.mu.Lock()
	p, err := s.ws.human(req.User)
	if err != nil {
		s.mu.Unlock()
		return SubmitResult{}, bad("%v", err)
	}
	v, ok := s.ws.views[viewID]
	st := s.ws.stacks[p.ID]
	if !ok || v.Type != "modal" || v.User != p.ID || len(st) == 0 {
		s.mu.Unlock()
		return SubmitResult{}, bad("%s has no open modal %q", p.ID, viewID)
	}
	if st[len(st)-1] != viewID {
		s.mu.Unlock()
		return SubmitResult{}, bad("view %s is not the top of %s's modal stack (top is %s)", viewID, p.ID, st[len(st)-1])
	}
	if v.Submit == nil {
		s.mu.Unlock()
		return SubmitResult{}, bad("view %s has no submit button", viewID)
	}
	if err := mergeValues(v, req.Values); err != nil {
		s.mu.Unlock()
		return SubmitResult{}, err
	}
	// Slack's client will not submit a modal with an empty required input.
	if missing := requiredMissing(v); len(missing) > 0 {
		v.Errors = missing
		res := SubmitResult{Errors: missing, Views: s.ws.stackViews(p.ID), Error: "required inputs are empty; Slack does not submit the view"}
		s.mu.Unlock()
		return res, nil
	}
	v.Errors = nil
	trig := s.ws.newTrigger(p.ID, "", v.ID, time.Now())
	payload := map[string]any{
		"type":                  "view_submission",
		"team":                  s.teamRef(),
		"user":                  s.userRef(p),
		"api_app_id":            s.cfg.AppID,
		"token":                 s.cfg.VerificationToken,
		"trigger_id":            trig,
		"view":                  s.ws.botView(v),
		"response_urls":         []any{},
		"enterprise":            nil,
		"is_enterprise_install": false,
	}
	s.mu.Unlock()

	a := s.deliverSync(ctx, kindInteraction, "view_submission", payload)
	res := SubmitResult{OK: a.acked, Status: a.status, Error: a.errorText()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.acked {
		s.applySubmissionAck(&res, a, p.ID, viewID)
	}
	res.Views = s.ws.stackViews(p.ID)
	return res, nil
}

// applySubmissionAck applies the bot's answer to view_submission. Call with
// s.mu held.
func (s *Server) applySubmissionAck(res *SubmitResult, a ack, user, viewID string) {
	body := a.payloadBody()
	if body == nil {
		s.closeSubmitted(user, viewID)
		return
	}
	var sa submissionAck
	if err := json.Unmarshal(body, &sa); err != nil {
		res.OK, res.Error = false, "the ack is not a JSON response_action: Slack shows an error in the modal"
		return
	}
	res.ResponseAction = sa.ResponseAction
	now := s.clock.Now()
	switch sa.ResponseAction {
	case "":
		s.closeSubmitted(user, viewID)
	case "errors":
		res.Errors = sa.Errors
		if cur, ok := s.ws.views[viewID]; ok {
			cur.Errors = sa.Errors
		}
	case "update":
		in, aerr := s.ws.parseView(sa.View, "modal")
		cur, ok := s.ws.views[viewID]
		switch {
		case aerr != nil:
			res.OK, res.Error = false, "invalid view in response_action update: "+strings.Join(append([]string{aerr.code}, aerr.messages...), " ")
		case ok:
			if aerr := s.ws.setContent(cur, in, now); aerr != nil {
				res.OK, res.Error = false, "response_action update: "+aerr.code
			}
		}
	case "push":
		in, aerr := s.ws.parseView(sa.View, "modal")
		if aerr == nil {
			_, aerr = s.ws.pushView(user, in, now)
		}
		if aerr != nil {
			res.OK, res.Error = false, "response_action push: "+strings.Join(append([]string{aerr.code}, aerr.messages...), " ")
		}
	case "clear":
		s.ws.clearStack(user)
	default:
		res.OK, res.Error = false, fmt.Sprintf("unknown response_action %q", sa.ResponseAction)
	}
}

// closeSubmitted closes the submitted view if it is still the top one.
func (s *Server) closeSubmitted(user, viewID string) {
	st := s.ws.stacks[user]
	if len(st) > 0 && st[len(st)-1] == viewID {
		s.ws.popView(user)
	}
}

// mergeValues puts submitted values into a view's state.
func mergeValues(v *view, values map[string]map[string]json.RawMessage) error {
	if v.State == nil {
		v.State = map[string]map[string]json.RawMessage{}
	}
	for bid, actions := range values {
		for aid, raw := range actions {
			_, e := findElement(v.Blocks, bid, aid)
			if e == nil {
				return bad("view %s has no element %s/%s", v.ID, bid, aid)
			}
			var m map[string]any
			if err := decodeJSON(raw, &m); err != nil || m == nil {
				return bad("value for %s/%s must be a JSON object like {\"value\":\"…\"}", bid, aid)
			}
			if _, ok := m["type"]; !ok {
				m["type"] = str(e, "type")
			}
			b, err := json.Marshal(m)
			if err != nil {
				return bad("value for %s/%s: %v", bid, aid, err)
			}
			if v.State[bid] == nil {
				v.State[bid] = map[string]json.RawMessage{}
			}
			v.State[bid][aid] = b
		}
	}
	return nil
}

// requiredMissing lists required input blocks left empty.
func requiredMissing(v *view) map[string]string {
	out := map[string]string{}
	for _, b := range v.Blocks {
		m := asMap(b)
		if str(m, "type") != "input" || m["optional"] == true {
			continue
		}
		e := asMap(m["element"])
		if _, ok := stateful[str(e, "type")]; !ok {
			continue
		}
		bid := str(m, "block_id")
		if val, ok := v.State[bid][str(e, "action_id")]; !ok || isEmptyValue(val) {
			out[bid] = "This field is required."
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// closeView closes a person's top modal as if they pressed Cancel, sending
// view_closed when the view asked for it.
func (s *Server) closeView(ctx context.Context, viewID, user string) (SubmitResult, error) {
	s.mu.Lock()
	p, err := s.ws.human(user)
	if err != nil {
		s.mu.Unlock()
		return SubmitResult{}, bad("%v", err)
	}
	st := s.ws.stacks[p.ID]
	if len(st) == 0 || st[len(st)-1] != viewID {
		s.mu.Unlock()
		return SubmitResult{}, bad("%q is not %s's top modal", viewID, p.ID)
	}
	v := s.ws.views[viewID]
	var payload map[string]any
	if v.NotifyOnClose {
		payload = map[string]any{
			"type": "view_closed", "team": s.teamRef(), "user": s.userRef(p), "api_app_id": s.cfg.AppID,
			"token": s.cfg.VerificationToken, "view": s.ws.botView(v), "is_cleared": v.ClearOnClose,
			"enterprise": nil, "is_enterprise_install": false,
		}
	}
	if v.ClearOnClose {
		s.ws.clearStack(p.ID)
	} else {
		s.ws.popView(p.ID)
	}
	s.mu.Unlock()
	res := SubmitResult{OK: true}
	if payload != nil {
		a := s.deliverSync(ctx, kindInteraction, "view_closed", payload)
		res.OK, res.Status, res.Error = a.acked, a.status, a.errorText()
	}
	s.mu.Lock()
	res.Views = s.ws.stackViews(p.ID)
	s.mu.Unlock()
	return res, nil
}

// openHome emits app_home_opened for a person and waits for the first ack.
func (s *Server) openHome(ctx context.Context, user string) (HomeResult, error) {
	now := s.clock.Now()
	s.mu.Lock()
	p, err := s.ws.human(user)
	if err != nil {
		s.mu.Unlock()
		return HomeResult{}, bad("%v", err)
	}
	conv := s.ws.im(p.ID, now)
	ev := map[string]any{"type": "app_home_opened", "user": p.ID, "channel": conv.ID, "tab": "home", "event_ts": eventTS(now)}
	if id, ok := s.ws.homes[p.ID]; ok {
		ev["view"] = s.ws.botView(s.ws.views[id])
	}
	s.mu.Unlock()
	var a ack
	select {
	case a = <-s.emitEvent(ev):
	case <-ctx.Done():
		return HomeResult{}, fmt.Errorf("waiting for app_home_opened ack: %w", ctx.Err())
	}
	res := HomeResult{OK: a.acked, Status: a.status, Error: a.errorText()}
	s.mu.Lock()
	if id, ok := s.ws.homes[p.ID]; ok {
		v := s.ws.viewJSON(s.ws.views[id])
		res.View = &v
	}
	s.mu.Unlock()
	return res, nil
}

// personMessage stores a message a person typed and tells the bot: message
// events for DMs with the bot, app_mention where the bot is mentioned.
func (s *Server) personMessage(req PostMessageRequest) (Message, error) {
	if strings.TrimSpace(req.Text) == "" {
		return Message{}, bad("text is required")
	}
	now := s.clock.Now()
	s.mu.Lock()
	p, err := s.ws.human(req.User)
	if err != nil {
		s.mu.Unlock()
		return Message{}, bad("%v", err)
	}
	conv, err := s.ws.conversationFor(p, req.Channel, now)
	if err != nil {
		s.mu.Unlock()
		return Message{}, err
	}
	m := &message{TS: s.ws.newTS(now), User: p.ID, Text: req.Text, ThreadTS: req.ThreadTS}
	conv.Messages = append(conv.Messages, m)
	var ev map[string]any
	switch {
	case conv.Kind == "im":
		ev = s.ws.messageEvent(conv, m)
	case conv.isMember(s.cfg.BotUserID) && strings.Contains(req.Text, "<@"+s.cfg.BotUserID+">"):
		ev = s.ws.messageEvent(conv, m)
		ev["type"] = "app_mention"
		delete(ev, "channel_type")
	}
	out := controlMessage(conv.ID, m)
	s.mu.Unlock()
	if ev != nil {
		s.emitEvent(ev)
	}
	return out, nil
}

// responseMessage is what a bot POSTs to a response_url.
type responseMessage struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

// serveResponseURL serves the response_url handed out with commands and
// message interactions: up to 5 uses within 30 minutes.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	call := Call{Method: "response_url", Time: start, Team: s.cfg.TeamID}
	reply := func(status int, errCode string) {
		call.Status, call.OK, call.Error = status, errCode == "", errCode
		if errCode == "" {
			writeJSON(w, status, map[string]any{"ok": true})
		} else {
			writeJSON(w, status, map[string]any{"ok": false, "error": errCode})
		}
		s.calls.add(call, false)
	}
	var msg responseMessage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&msg); err != nil {
		reply(http.StatusBadRequest, "invalid_payload")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ru, ok := s.ws.rurls[r.PathValue("token")]
	switch {
	case !ok:
		reply(http.StatusNotFound, "invalid_url")
		return
	case start.Sub(ru.Issued) > responseURLTTL:
		reply(http.StatusNotFound, "expired_url")
		return
	case ru.Uses >= responseURLUses:
		reply(http.StatusNotFound, "used_url")
		return
	}
	call.Channel = ru.Channel
	var blocks []any
	if len(nullable(msg.Blocks)) > 0 {
		b, err := parseBlocks(msg.Blocks)
		if err != nil {
			reply(http.StatusOK, "invalid_blocks_format")
			return
		}
		var chk blockChecker
		if chk.check("/blocks", b, maxMessageBlocks); len(chk.errs) > 0 {
			reply(http.StatusOK, "invalid_blocks")
			return
		}
		s.ws.normalizeBlocks(b)
		blocks = b
	}
	if runes(msg.Text) > maxMessageText {
		reply(http.StatusOK, "msg_too_long")
		return
	}
	conv := s.ws.convs[ru.Channel]
	if conv == nil {
		reply(http.StatusNotFound, "channel_not_found")
		return
	}
	ru.Uses++
	now := s.clock.Now()
	if (msg.DeleteOriginal || msg.ReplaceOriginal) && ru.MessageTS != "" {
		i, orig := conv.find(ru.MessageTS)
		if orig == nil {
			reply(http.StatusOK, "message_not_found")
			return
		}
		if msg.DeleteOriginal {
			conv.Messages = append(conv.Messages[:i], conv.Messages[i+1:]...)
		} else {
			orig.Text, orig.Blocks = msg.Text, blocks
			orig.EditedTS = eventTS(now)
		}
		reply(http.StatusOK, "")
		return
	}
	m := &message{TS: s.ws.newTS(now), User: s.cfg.BotUserID, BotID: s.cfg.BotID, Text: msg.Text, Blocks: blocks, ThreadTS: msg.ThreadTS}
	if msg.ResponseType != "in_channel" {
		m.Ephemeral, m.VisibleTo = true, ru.User
	}
	conv.Messages = append(conv.Messages, m)
	reply(http.StatusOK, "")
}
