package slacksim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// defaultMinQueryLength is how many characters Slack's client waits for
// before it sends a block_suggestion, when the element does not say.
const defaultMinQueryLength = 3

// maxOptionGroups is the most option groups an answer may carry.
const maxOptionGroups = 100

// runSuggestion types a query into an external select as a person: it
// sends the bot a block_suggestion, waits for the ack and checks the
// answer as Slack does.
func (s *Server) runSuggestion(ctx context.Context, req SuggestionRequest) (SuggestionResult, error) {
	if req.ActionID == "" {
		return SuggestionResult{}, bad("action_id is required")
	}
	now := s.clock.Now()
	s.mu.Lock()
	p, err := s.ws.human(req.User)
	if err != nil {
		s.mu.Unlock()
		return SuggestionResult{}, bad("%v", err)
	}
	t, err := s.ws.findTarget(p, ActionRequest{User: req.User, Channel: req.Channel, MessageTS: req.MessageTS,
		ViewID: req.ViewID, ActionID: req.ActionID, BlockID: req.BlockID}, now)
	if err != nil {
		s.mu.Unlock()
		return SuggestionResult{}, err
	}
	if typ := str(t.elem, "type"); typ != "external_select" && typ != "multi_external_select" {
		s.mu.Unlock()
		return SuggestionResult{}, bad("%q is a %s; only external_select and multi_external_select ask the app for options", req.ActionID, typ)
	}
	minLen := int64(defaultMinQueryLength)
	if n, err := numberField(t.elem, "min_query_length"); err == nil {
		minLen = n
	}
	if int64(runes(req.Value)) < minLen {
		s.mu.Unlock()
		return SuggestionResult{Error: fmt.Sprintf("%q needs at least %d characters (min_query_length) before Slack asks the app; nothing was sent", req.ActionID, minLen)}, nil
	}
	payload := map[string]any{
		"type":                  "block_suggestion",
		"user":                  s.userRef(p),
		"api_app_id":            s.cfg.AppID,
		"token":                 s.cfg.VerificationToken,
		"team":                  s.teamRef(),
		"enterprise":            nil,
		"is_enterprise_install": false,
		"action_id":             str(t.elem, "action_id"),
		"block_id":              str(t.block, "block_id"),
		"value":                 req.Value,
	}
	if t.view != nil {
		payload["container"] = map[string]any{"type": "view", "view_id": t.view.ID}
		payload["view"] = s.ws.botView(t.view)
	} else {
		payload["container"] = map[string]any{"type": "message", "message_ts": t.msg.TS, "channel_id": t.conv.ID, "is_ephemeral": t.msg.Ephemeral}
		payload["channel"] = map[string]any{"id": t.conv.ID, "name": channelName(t.conv)}
		payload["message"] = s.ws.messageJSON(t.msg, true)
	}
	s.mu.Unlock()

	a := s.deliverSync(ctx, kindInteraction, "block_suggestion", payload)
	res := SuggestionResult{OK: a.acked, Status: a.status, Error: a.errorText(), Options: []SuggestedOption{}}
	if !a.acked {
		return res, nil
	}
	body := a.payloadBody()
	if body == nil {
		res.OK, res.Error = false, "empty ack: a block_suggestion must be answered with JSON options; Slack shows the menu as failed to load"
		return res, nil
	}
	if json.Valid(body) {
		res.Ack = body
	}
	opts, problems := checkSuggestionAnswer(body)
	if len(problems) > 0 {
		res.OK, res.Error = false, "invalid options; Slack shows the menu as failed to load: "+strings.Join(problems, " ")
		return res, nil
	}
	res.Options = opts
	return res, nil
}

// checkSuggestionAnswer reads a bot's answer to a block_suggestion and
// checks it against Slack's limits: options or option_groups, at most 100
// of either, each option's text 1 to 75 characters and value at most 150.
func checkSuggestionAnswer(body []byte) ([]SuggestedOption, []string) {
	var ans map[string]any
	if err := decodeJSON(body, &ans); err != nil || ans == nil {
		return nil, []string{"the ack is not a JSON object"}
	}
	_, hasOpts := ans["options"]
	_, hasGroups := ans["option_groups"]
	var chk blockChecker
	out := []SuggestedOption{}
	add := func(group string, v any) {
		for _, o := range asList(v) {
			om := asMap(o)
			out = append(out, SuggestedOption{Text: str(asMap(om["text"]), "text"), Value: str(om, "value"), Group: group})
		}
	}
	switch {
	case hasOpts && hasGroups:
		chk.add("", "must have options or option_groups, not both")
	case hasOpts:
		if _, ok := ans["options"].([]any); !ok {
			chk.add("/options", "must be a list")
		}
		chk.options("/options", ans["options"], maxStaticOptions)
		add("", ans["options"])
	case hasGroups:
		groups, ok := ans["option_groups"].([]any)
		if !ok {
			chk.add("/option_groups", "must be a list")
		}
		if len(groups) > maxOptionGroups {
			chk.add("/option_groups", "must be less than %d items", maxOptionGroups+1)
		}
		for i, g := range groups {
			gm := asMap(g)
			chk.text(fmt.Sprintf("/option_groups/%d/label", i), gm["label"], maxOptionText, true)
			chk.options(fmt.Sprintf("/option_groups/%d/options", i), gm["options"], maxStaticOptions)
			add(str(asMap(gm["label"]), "text"), gm["options"])
		}
	default:
		chk.add("", "must have options or option_groups")
	}
	if len(chk.errs) > 0 {
		return nil, chk.errs
	}
	return out, nil
}
