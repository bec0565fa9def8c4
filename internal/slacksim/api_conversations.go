package slacksim

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// convJSON renders a conversation like conversations.info.
func (w *workspace) convJSON(c *conversation, numMembers bool) map[string]any {
	out := map[string]any{
		"id":                    c.ID,
		"created":               c.Created,
		"is_archived":           false,
		"is_org_shared":         false,
		"is_shared":             false,
		"is_ext_shared":         false,
		"context_team_id":       w.cfg.TeamID,
		"is_pending_ext_shared": false,
		"updated":               c.Created * 1000,
	}
	if c.Kind == "im" {
		out["is_im"] = true
		out["is_open"] = true
		out["is_user_deleted"] = w.people[c.User] != nil && w.people[c.User].Deleted
		out["user"] = c.User
		out["priority"] = 0
		return out
	}
	out["name"] = c.Name
	out["name_normalized"] = c.Name
	out["is_channel"] = !c.Private
	out["is_group"] = c.Private && c.Kind != "mpim"
	out["is_im"] = false
	out["is_mpim"] = c.Kind == "mpim"
	out["is_private"] = c.Private
	out["is_general"] = c.IsGeneral
	out["is_member"] = c.isMember(w.cfg.BotUserID)
	out["creator"] = ""
	out["topic"] = map[string]any{"value": "", "creator": "", "last_set": 0}
	out["purpose"] = map[string]any{"value": "", "creator": "", "last_set": 0}
	out["previous_names"] = []string{}
	if numMembers {
		out["num_members"] = len(c.Members)
	}
	return out
}

// visibleToBot reports whether the bot may read c: it is in it, or c is a
// public channel (channels:read).
func (w *workspace) visibleToBot(c *conversation) bool {
	return c.isMember(w.cfg.BotUserID) || (c.Kind == "channel" && !c.Private)
}

func (s *Server) conversationsOpen(c *apiCall) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	returnIM := c.a.bool("return_im")
	if ch := c.a.str("channel"); ch != "" {
		conv, ok := s.ws.convs[ch]
		if !ok || conv.Kind != "im" {
			return nil, fail("channel_not_found")
		}
		return map[string]any{"channel": s.ws.convJSON(conv, false), "no_op": true, "already_open": true}, nil
	}
	users := c.a.str("users")
	if users == "" {
		return nil, fail("users_list_not_supplied")
	}
	var ids []string
	for _, id := range strings.Split(users, ",") {
		id = strings.TrimSpace(id)
		// As Slack: the calling bot may be named among the users; it is in
		// the conversation anyway.
		if id != "" && id != s.cfg.BotUserID && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, fail("cannot_dm_bot")
	}
	for _, id := range ids {
		p, ok := s.ws.people[id]
		switch {
		case !ok:
			return nil, fail("user_not_found")
		case p.IsBot:
			return nil, fail("cannot_dm_bot")
		case p.Deleted:
			return nil, fail("user_disabled")
		}
	}
	if len(ids) > 1 {
		return s.openGroup(c, ids, returnIM)
	}
	p := s.ws.people[ids[0]]
	conv := s.ws.im(p.ID, c.now)
	c.channel = conv.ID
	already := conv.Opened
	conv.Opened = true
	out := map[string]any{"channel": map[string]any{"id": conv.ID}}
	if returnIM {
		out["channel"] = s.ws.convJSON(conv, false)
	}
	if already {
		out["no_op"] = true
		out["already_open"] = true
	}
	return out, nil
}

// maxGroupDM is how many people a multi-person IM holds besides the bot:
// Slack allows at most eight members in one.
const maxGroupDM = 8

// openGroup opens the multi-person IM of ids (two or more people) and the
// bot, as conversations.open does for several users: the same conversation
// for the same people, in any order. The caller holds s.mu.
func (s *Server) openGroup(c *apiCall, ids []string, returnIM bool) (map[string]any, *apiError) {
	if len(ids) > maxGroupDM {
		return nil, fail("too_many_users")
	}
	conv, created := s.ws.mpim(ids, c.now)
	c.channel = conv.ID
	out := map[string]any{"channel": map[string]any{"id": conv.ID}}
	if returnIM {
		out["channel"] = s.ws.convJSON(conv, false)
	}
	if !created {
		out["no_op"] = true
		out["already_open"] = true
	}
	return out, nil
}

func (s *Server) conversationsInfo(c *apiCall) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conv, ok := s.ws.convs[c.a.str("channel")]
	if !ok || !s.ws.visibleToBot(conv) {
		return nil, fail("channel_not_found")
	}
	return map[string]any{"channel": s.ws.convJSON(conv, c.a.bool("include_num_members"))}, nil
}

func (s *Server) conversationsMembers(c *apiCall) (map[string]any, *apiError) {
	limit, aerr := pageLimit(c, 100)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	conv, ok := s.ws.convs[c.a.str("channel")]
	if !ok || !s.ws.visibleToBot(conv) {
		return nil, fail("channel_not_found")
	}
	members := slices.Sorted(slices.Values(conv.Members))
	start := 0
	if cur := c.a.str("cursor"); cur != "" {
		id, ok := decodeCursor("member", cur)
		if !ok {
			return nil, fail("invalid_cursor")
		}
		start, _ = slices.BinarySearch(members, id)
	}
	end := len(members)
	next := ""
	if limit > 0 && start+limit < end {
		end = start + limit
		next = encodeCursor("member", members[end])
	}
	return map[string]any{
		"members":           append([]string{}, members[start:end]...),
		"response_metadata": map[string]any{"next_cursor": next},
	}, nil
}

// messageJSON renders m as Slack's API returns a message.
func (w *workspace) messageJSON(m *message, withMetadata bool) map[string]any {
	out := map[string]any{"type": "message", "text": m.Text, "ts": m.TS}
	if m.User != "" {
		out["user"] = m.User
	}
	if m.BotID != "" {
		out["bot_id"] = m.BotID
		out["app_id"] = w.cfg.AppID
		out["bot_profile"] = map[string]any{
			"id": m.BotID, "app_id": w.cfg.AppID, "name": w.cfg.BotName, "deleted": false,
			"team_id": w.cfg.TeamID, "icons": map[string]any{},
		}
	}
	out["team"] = w.cfg.TeamID
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Metadata != nil && withMetadata {
		out["metadata"] = m.Metadata
	}
	if m.EditedTS != "" {
		out["edited"] = map[string]any{"user": m.User, "ts": m.EditedTS}
	}
	if m.Username != "" {
		out["username"] = m.Username
	}
	if m.IconURL != "" {
		out["icons"] = map[string]any{"image_48": m.IconURL}
	}
	if m.Broadcast {
		out["subtype"] = "thread_broadcast"
		out["reply_broadcast"] = true
	}
	if len(m.Files) > 0 {
		files := make([]any, len(m.Files))
		for i := range m.Files {
			files[i] = fileJSON(&m.Files[i])
		}
		out["files"] = files
		out["upload"] = true
		out["display_as_bot"] = false
	}
	return out
}

func (s *Server) conversationsHistory(c *apiCall) (map[string]any, *apiError) {
	limit, aerr := pageLimit(c, 100)
	if aerr != nil {
		return nil, aerr
	}
	if limit == 0 {
		limit = 100
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	conv, ok := s.ws.convs[c.a.str("channel")]
	if !ok || !conv.isMember(s.cfg.BotUserID) {
		return nil, fail("channel_not_found")
	}
	latest, oldest := int64(1<<62), int64(0)
	if v, ok := parseTS(normalizeTS(c.a.str("latest"))); ok {
		latest = v
	}
	if v, ok := parseTS(normalizeTS(c.a.str("oldest"))); ok {
		oldest = v
	}
	if cur := c.a.str("cursor"); cur != "" {
		ts, ok := decodeCursor("next_ts", cur)
		v, ok2 := parseTS(ts)
		if !ok || !ok2 {
			return nil, fail("invalid_cursor")
		}
		latest = v + 1
	}
	inclusive := c.a.bool("inclusive")
	meta := c.a.bool("include_all_metadata")
	msgs := []any{}
	next := ""
	for i := len(conv.Messages) - 1; i >= 0; i-- {
		m := conv.Messages[i]
		if m.Ephemeral || (m.ThreadTS != "" && m.ThreadTS != m.TS && !m.Broadcast) {
			continue
		}
		v, _ := parseTS(m.TS)
		if v > latest || v < oldest || (!inclusive && (v == latest || v == oldest)) {
			continue
		}
		if len(msgs) == limit {
			next = encodeCursor("next_ts", m.TS)
			break
		}
		msgs = append(msgs, s.ws.messageJSON(m, meta))
	}
	return map[string]any{
		"messages":          msgs,
		"has_more":          next != "",
		"pin_count":         0,
		"response_metadata": map[string]any{"next_cursor": next},
	}, nil
}

// normalizeTS pads a ts like "1712345678" or "1712345678.5" to six decimals.
func normalizeTS(ts string) string {
	if ts == "" {
		return ""
	}
	sec, frac, _ := strings.Cut(ts, ".")
	for len(frac) < 6 {
		frac += "0"
	}
	return sec + "." + frac[:6]
}

func (s *Server) conversationsReplies(c *apiCall) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conv, ok := s.ws.convs[c.a.str("channel")]
	if !ok || !conv.isMember(s.cfg.BotUserID) {
		return nil, fail("channel_not_found")
	}
	root := c.a.str("ts")
	_, parent := conv.find(root)
	if parent == nil {
		return nil, fail("thread_not_found")
	}
	meta := c.a.bool("include_all_metadata")
	msgs := []any{s.ws.messageJSON(parent, meta)}
	for _, m := range conv.Messages {
		if m.ThreadTS == root && m.TS != root && !m.Ephemeral {
			msgs = append(msgs, s.ws.messageJSON(m, meta))
		}
	}
	return map[string]any{"messages": msgs, "has_more": false, "response_metadata": map[string]any{"next_cursor": ""}}, nil
}

// controlMessage renders m for the control API.
func controlMessage(channel string, m *message) Message {
	out := Message{
		TS: m.TS, Channel: channel, User: m.User, BotID: m.BotID, Text: m.Text, ThreadTS: m.ThreadTS,
		Metadata: m.Metadata, Ephemeral: m.Ephemeral, VisibleTo: m.VisibleTo, Edited: m.EditedTS != "",
		Files: controlFiles(channel, m), Username: m.Username, IconURL: m.IconURL, Broadcast: m.Broadcast,
	}
	if m.Blocks != nil {
		out.Blocks, _ = json.Marshal(m.Blocks)
	}
	return out
}

// eventTS is an event_ts for an event happening at now.
func eventTS(now time.Time) string { return formatTS(now.UnixMicro()) }
