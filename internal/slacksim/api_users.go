package slacksim

import (
	"encoding/base64"
	"strings"
)

func (s *Server) authTest(c *apiCall) (map[string]any, *apiError) {
	return map[string]any{
		"url":                   "https://" + s.cfg.TeamDomain + ".slack.com/",
		"team":                  s.cfg.TeamName,
		"user":                  s.cfg.BotName,
		"team_id":               s.cfg.TeamID,
		"user_id":               s.cfg.BotUserID,
		"bot_id":                s.cfg.BotID,
		"is_enterprise_install": false,
	}, nil
}

func (s *Server) teamInfo(c *apiCall) (map[string]any, *apiError) {
	if t := c.a.str("team"); t != "" && t != s.cfg.TeamID {
		return nil, fail("team_not_found")
	}
	return map[string]any{"team": map[string]any{
		"id":           s.cfg.TeamID,
		"name":         s.cfg.TeamName,
		"url":          "https://" + s.cfg.TeamDomain + ".slack.com/",
		"domain":       s.cfg.TeamDomain,
		"email_domain": "",
		"icon":         map[string]any{"image_default": true},
		"is_verified":  false,
	}}, nil
}

func (s *Server) usersInfo(c *apiCall) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// slack-go's GetUsersInfo sends a comma-separated "users"; Slack itself
	// only documents "user".
	if list := c.a.str("users"); list != "" && c.a.str("user") == "" {
		var users []any
		for id := range strings.SplitSeq(list, ",") {
			p, ok := s.ws.people[strings.TrimSpace(id)]
			if !ok {
				return nil, fail("user_not_found")
			}
			users = append(users, s.ws.userJSON(p, c.now))
		}
		return map[string]any{"users": users}, nil
	}
	id := c.a.str("user")
	if id == "" {
		return nil, fail("user_not_found")
	}
	p, ok := s.ws.people[id]
	if !ok {
		return nil, fail("user_not_found")
	}
	return map[string]any{"user": s.ws.userJSON(p, c.now)}, nil
}

func (s *Server) usersProfileGet(c *apiCall) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.ws.people[c.a.str("user")]
	if !ok {
		return nil, fail("user_not_found")
	}
	profile := s.ws.userJSON(p, c.now)["profile"].(map[string]any)
	// Custom fields come only from users.profile.get, their labels only
	// with include_labels.
	profile["fields"] = s.ws.fieldsJSON(p, c.a.bool("include_labels"))
	return map[string]any{"profile": profile}, nil
}

func (s *Server) usersLookupByEmail(c *apiCall) (map[string]any, *apiError) {
	email := strings.ToLower(strings.TrimSpace(c.a.str("email")))
	if email == "" {
		return nil, fail("invalid_arguments")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.ws.sortedPeople() {
		if strings.ToLower(p.Email) == email {
			return map[string]any{"user": s.ws.userJSON(p, c.now)}, nil
		}
	}
	return nil, fail("users_not_found")
}

// Cursors look like Slack's: base64 of "user:U…".
func encodeCursor(kind, id string) string {
	return base64.StdEncoding.EncodeToString([]byte(kind + ":" + id))
}

func decodeCursor(kind, cursor string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil {
		return "", false
	}
	return strings.CutPrefix(string(b), kind+":")
}

// pageLimit reads limit the way Slack does: 0 or absent means everything,
// more than 1000 is 1000.
func pageLimit(c *apiCall, def int) (int, *apiError) {
	n, err := c.a.int("limit", def)
	if err != nil || n < 0 {
		return 0, fail("invalid_limit")
	}
	if n > 1000 {
		n = 1000
	}
	return n, nil
}

func (s *Server) usersList(c *apiCall) (map[string]any, *apiError) {
	limit, aerr := pageLimit(c, 0)
	if aerr != nil {
		return nil, aerr
	}
	after := ""
	if cur := c.a.str("cursor"); cur != "" {
		id, ok := decodeCursor("user", cur)
		if !ok {
			return nil, fail("invalid_cursor")
		}
		after = id
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	members := []any{}
	next := ""
	for _, p := range s.ws.sortedPeople() {
		if after != "" && p.ID < after {
			continue
		}
		if limit > 0 && len(members) == limit {
			next = encodeCursor("user", p.ID)
			break
		}
		members = append(members, s.ws.userJSON(p, c.now))
	}
	return map[string]any{
		"members":           members,
		"cache_ts":          c.now.Unix(),
		"response_metadata": map[string]any{"next_cursor": next},
	}, nil
}

func dndJSON(d dndState) map[string]any {
	return map[string]any{"dnd_enabled": d.Enabled, "next_dnd_start_ts": d.NextStart, "next_dnd_end_ts": d.NextEnd}
}

func (s *Server) dndInfo(c *apiCall) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.a.str("user")
	if id == "" {
		id = s.cfg.BotUserID
	}
	p, ok := s.ws.people[id]
	if !ok {
		return nil, fail("user_not_found")
	}
	// A bot token does not see snoozes, so no snooze_* fields.
	return dndJSON(p.DND), nil
}

func (s *Server) dndTeamInfo(c *apiCall) (map[string]any, *apiError) {
	list := c.a.str("users")
	if list == "" {
		return nil, fail("invalid_arguments", "[ERROR] missing required field: users")
	}
	ids := strings.Split(list, ",")
	if len(ids) > 50 {
		return nil, fail("invalid_arguments", "[ERROR] no more than 50 items allowed [json-pointer:/users]")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	users := map[string]any{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if p, ok := s.ws.people[id]; ok {
			users[id] = dndJSON(p.DND)
		}
	}
	return map[string]any{"users": users}, nil
}
