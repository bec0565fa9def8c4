package slacksim

import (
	"encoding/json"
	"fmt"
)

// FormState is what Slack submits for a modal whose blocks (JSON) are left
// as they opened — each input's initial value — with overrides by block
// id: a string for a text input, a date or time picker or a single choice,
// []string for several people or several options. It is keyed block id →
// action id → state, as view.state.values is; tests use it to submit
// forms as a person would.
func FormState(blocks json.RawMessage, overrides map[string]any) (map[string]map[string]json.RawMessage, error) {
	var bs []map[string]any
	if err := json.Unmarshal(blocks, &bs); err != nil {
		return nil, fmt.Errorf("form state: %w", err)
	}
	out := map[string]map[string]json.RawMessage{}
	for _, b := range bs {
		if b["type"] != "input" {
			continue
		}
		id, _ := b["block_id"].(string)
		el, _ := b["element"].(map[string]any)
		typ, _ := el["type"].(string)
		action, _ := el["action_id"].(string)
		st := map[string]any{"type": typ}
		for from, to := range map[string]string{"initial_value": "value", "initial_option": "selected_option", "initial_options": "selected_options",
			"initial_users": "selected_users", "initial_user": "selected_user", "initial_date": "selected_date", "initial_time": "selected_time"} {
			if v, ok := el[from]; ok {
				st[to] = v
			}
		}
		if v, ok := overrides[id]; ok {
			switch typ {
			case "plain_text_input":
				st["value"] = v
			case "datepicker":
				st["selected_date"] = v
			case "timepicker":
				st["selected_time"] = v
			case "multi_users_select":
				st["selected_users"] = v
			case "users_select":
				st["selected_user"] = v
			case "checkboxes", "multi_static_select":
				opts := []map[string]any{}
				vs, _ := v.([]string)
				for _, o := range vs {
					opts = append(opts, map[string]any{"value": o})
				}
				st["selected_options"] = opts
			default:
				st["selected_option"] = map[string]any{"value": v}
			}
		}
		raw, err := json.Marshal(st)
		if err != nil {
			return nil, fmt.Errorf("form state of %s: %w", id, err)
		}
		out[id] = map[string]json.RawMessage{action: raw}
	}
	return out, nil
}
