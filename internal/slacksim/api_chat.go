package slacksim

import (
	"encoding/json"
	"strings"

	"github.com/google/uuid"
)

// content is a message's text, blocks and metadata as sent to chat.*.
type content struct {
	text      string
	hasText   bool
	blocks    []any
	hasBlocks bool
	meta      *Metadata
	hasMeta   bool
	attach    bool
}

// parseContent reads and validates text, blocks and metadata.
func (w *workspace) parseContent(a args) (content, *apiError) {
	var c content
	c.text, c.hasText = a.vals["text"]
	if runes(c.text) > maxMessageText {
		return c, fail("msg_too_long")
	}
	if raw, ok := a.json("blocks"); ok {
		blocks, err := parseBlocks(raw)
		if err != nil {
			return c, fail("invalid_blocks_format")
		}
		var chk blockChecker
		chk.check("/blocks", blocks, maxMessageBlocks)
		if len(chk.errs) > 0 {
			return c, fail("invalid_blocks", chk.errs...)
		}
		w.normalizeBlocks(blocks)
		c.blocks, c.hasBlocks = blocks, true
	}
	if raw, ok := a.json("metadata"); ok {
		var m Metadata
		if err := json.Unmarshal(raw, &m); err != nil {
			return c, fail("invalid_metadata_format")
		}
		if m.EventType == "" {
			return c, fail("invalid_metadata_schema", "[ERROR] missing required field: event_type [json-pointer:/metadata]")
		}
		if len(m.EventPayload) == 0 || string(m.EventPayload) == "null" {
			m.EventPayload = json.RawMessage("{}")
		}
		c.meta, c.hasMeta = &m, true
	}
	_, c.attach = a.json("attachments")
	return c, nil
}

func (c content) empty() bool {
	return strings.TrimSpace(c.text) == "" && len(c.blocks) == 0 && !c.attach
}

func (s *Server) chatPostMessage(c *apiCall) (map[string]any, *apiError) {
	s.mu.Lock()
	conv, aerr := s.postable(c, c.a.str("channel"))
	if aerr != nil {
		s.mu.Unlock()
		return nil, aerr
	}
	body, aerr := s.ws.parseContent(c.a)
	if aerr == nil && body.empty() {
		aerr = fail("no_text")
	}
	if aerr != nil {
		s.mu.Unlock()
		return nil, aerr
	}
	if ok, retryAfter, perChannel := s.limits.allowMessage(conv.ID, c.real); !ok {
		s.mu.Unlock()
		return nil, &apiError{code: "ratelimited", retryAfter: retryAfter, perChannel: perChannel}
	}
	m := &message{
		TS: s.ws.newTS(c.now), User: s.cfg.BotUserID, BotID: s.cfg.BotID,
		Text: body.text, Blocks: body.blocks, Metadata: body.meta,
		// As Slack: a name or picture of the app's choosing, which
		// chat:write.customize allows.
		Username: strings.TrimSpace(c.a.str("username")), IconURL: strings.TrimSpace(c.a.str("icon_url")),
	}
	if tts := c.a.str("thread_ts"); tts != "" {
		m.ThreadTS = tts
		if _, parent := conv.find(tts); parent != nil && parent.ThreadTS != "" {
			m.ThreadTS = parent.ThreadTS
		}
		// A broadcast reply is in the thread and in the channel too.
		m.Broadcast = c.a.bool("reply_broadcast")
	}
	conv.Messages = append(conv.Messages, m)
	out := map[string]any{"channel": conv.ID, "ts": m.TS, "message": s.ws.messageJSON(m, true)}
	var echo map[string]any
	if conv.Kind == "im" {
		// Apps subscribed to message.im get their own messages back; a bot
		// that does not skip bot_id messages talks to itself.
		echo = s.ws.messageEvent(conv, m)
	}
	s.mu.Unlock()
	if echo != nil {
		s.emitEvent(echo)
	}
	return out, nil
}

// postable resolves a channel the bot posts into — C…, D…, #name or a user
// id for their DM — and refuses it as Slack does: channel_not_found,
// not_in_channel, user_disabled. The first channel resolved names the
// call in the call log. The caller holds s.mu.
func (s *Server) postable(c *apiCall, ch string) (*conversation, *apiError) {
	conv := s.ws.resolveChannel(ch, c.now)
	if conv == nil {
		return nil, fail("channel_not_found")
	}
	if c.channel == "" {
		c.channel = conv.ID
	}
	if !conv.isMember(s.cfg.BotUserID) {
		return nil, fail("not_in_channel")
	}
	if conv.Kind == "im" && s.ws.people[conv.User] != nil && s.ws.people[conv.User].Deleted {
		return nil, fail("user_disabled")
	}
	return conv, nil
}

// messageEvent builds the message event for m in conv.
func (w *workspace) messageEvent(conv *conversation, m *message) map[string]any {
	ev := w.messageJSON(m, false)
	ev["channel"] = conv.ID
	ev["event_ts"] = m.TS
	ev["channel_type"] = conv.Kind
	if conv.Kind == "channel" && conv.Private {
		ev["channel_type"] = "group"
	}
	if m.BotID == "" {
		ev["client_msg_id"] = uuid.NewString()
	}
	return ev
}

func (s *Server) chatUpdate(c *apiCall) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conv := s.ws.resolveChannel(c.a.str("channel"), c.now)
	if conv == nil {
		return nil, fail("channel_not_found")
	}
	c.channel = conv.ID
	_, m := conv.find(c.a.str("ts"))
	if m == nil || m.Ephemeral {
		return nil, fail("message_not_found")
	}
	if m.BotID != s.cfg.BotID {
		return nil, fail("cant_update_message")
	}
	body, aerr := s.ws.parseContent(c.a)
	if aerr != nil {
		return nil, aerr
	}
	if body.hasText {
		m.Text = body.text
	}
	if body.hasBlocks {
		m.Blocks = body.blocks
		if len(body.blocks) == 0 {
			m.Blocks = nil
		}
	}
	if body.hasMeta {
		m.Metadata = body.meta
	}
	if m.Text == "" && m.Blocks == nil {
		return nil, fail("no_text")
	}
	m.EditedTS = eventTS(c.now)
	return map[string]any{"channel": conv.ID, "ts": m.TS, "text": m.Text, "message": s.ws.messageJSON(m, true)}, nil
}

func (s *Server) chatDelete(c *apiCall) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conv := s.ws.resolveChannel(c.a.str("channel"), c.now)
	if conv == nil {
		return nil, fail("channel_not_found")
	}
	c.channel = conv.ID
	i, m := conv.find(c.a.str("ts"))
	if m == nil || m.Ephemeral {
		return nil, fail("message_not_found")
	}
	if m.BotID != s.cfg.BotID {
		return nil, fail("cant_delete_message")
	}
	conv.Messages = append(conv.Messages[:i], conv.Messages[i+1:]...)
	return map[string]any{"channel": conv.ID, "ts": m.TS}, nil
}

func (s *Server) chatPostEphemeral(c *apiCall) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conv := s.ws.resolveChannel(c.a.str("channel"), c.now)
	if conv == nil {
		return nil, fail("channel_not_found")
	}
	c.channel = conv.ID
	user := c.a.str("user")
	p, ok := s.ws.people[user]
	switch {
	case user == "" || !ok:
		return nil, fail("user_not_found")
	case !conv.isMember(s.cfg.BotUserID):
		return nil, fail("not_in_channel")
	case !conv.isMember(p.ID):
		return nil, fail("user_not_in_channel")
	}
	body, aerr := s.ws.parseContent(c.a)
	if aerr == nil && body.empty() {
		aerr = fail("no_text")
	}
	if aerr != nil {
		return nil, aerr
	}
	m := &message{
		TS: s.ws.newTS(c.now), User: s.cfg.BotUserID, BotID: s.cfg.BotID, Text: body.text, Blocks: body.blocks,
		ThreadTS: c.a.str("thread_ts"), Ephemeral: true, VisibleTo: p.ID,
	}
	conv.Messages = append(conv.Messages, m)
	return map[string]any{"message_ts": m.TS}, nil
}
