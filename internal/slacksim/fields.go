package slacksim

import (
	"maps"
	"slices"
	"strings"
)

// profileField is a custom profile field the workspace defines: Slack
// gives each an id ("Xf…") and a label shared by everyone's profile.
type profileField struct {
	ID    string
	Label string
}

// checkFields refuses custom fields with a blank label.
func checkFields(fields map[string]string) error {
	for label := range fields {
		if strings.TrimSpace(label) == "" {
			return bad("a custom profile field needs a label")
		}
	}
	return nil
}

// fieldID returns the id of the field labelled label, defining the field
// if the workspace has none by that label. Call with the state locked.
func (w *workspace) fieldID(label string) string {
	for _, f := range w.fields {
		if f.Label == label {
			return f.ID
		}
	}
	f := profileField{ID: w.nextID("Xf"), Label: label}
	w.fields = append(w.fields, f)
	return f.ID
}

// setFields sets p's custom fields by label; an empty value clears one.
// Call with the state locked.
func (w *workspace) setFields(p *person, fields map[string]string) {
	for _, label := range slices.Sorted(maps.Keys(fields)) {
		id := w.fieldID(strings.TrimSpace(label))
		if fields[label] == "" {
			delete(p.Fields, id)
			continue
		}
		if p.Fields == nil {
			p.Fields = map[string]string{}
		}
		p.Fields[id] = fields[label]
	}
}

// fieldsByLabel returns p's custom fields, label → value, or nil. Call
// with the state locked.
func (w *workspace) fieldsByLabel(p *person) map[string]string {
	if len(p.Fields) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, f := range w.fields {
		if v, ok := p.Fields[f.ID]; ok {
			out[f.Label] = v
		}
	}
	return out
}

// fieldsJSON renders p's custom fields as users.profile.get does: keyed by
// field id, each with its value and alt text, and its label when asked
// for. A profile with none has "fields": [] (an empty PHP array in
// Slack's answers; slack-go's UserProfileCustomFields decodes both).
// Call with the state locked.
func (w *workspace) fieldsJSON(p *person, labels bool) any {
	if len(p.Fields) == 0 {
		return []any{}
	}
	out := map[string]any{}
	for _, f := range w.fields {
		v, ok := p.Fields[f.ID]
		if !ok {
			continue
		}
		field := map[string]any{"value": v, "alt": ""}
		if labels {
			field["label"] = f.Label
		}
		out[f.ID] = field
	}
	return out
}
