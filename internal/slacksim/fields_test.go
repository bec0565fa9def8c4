package slacksim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// Custom profile fields: users.profile.get gives them by field id, with
// labels only when asked (include_labels), as Slack does; the same label
// has the same id on everyone's profile; slack-go's client decodes them;
// a patch sets and clears fields by label without a user_change; a blank
// label is refused.
func TestCustomProfileFields(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	bot := newHTTPBot(t, e.srv.cfg.SigningSecret)
	bot.attach(e)

	ana, err := e.ctl.AddPerson(ctx, NewPerson{Name: "ana", Fields: map[string]string{"Team": "Payments", "Office": "Leeds"}})
	if err != nil {
		t.Fatal(err)
	}
	ben, err := e.ctl.AddPerson(ctx, NewPerson{Name: "ben", Fields: map[string]string{"Team": "Ops"}})
	if err != nil {
		t.Fatal(err)
	}
	if ana.Fields["Team"] != "Payments" || ana.Fields["Office"] != "Leeds" || len(ben.Fields) != 1 {
		t.Errorf("control people: Ana's fields %v, Ben's %v", ana.Fields, ben.Fields)
	}

	labelled := func(user string, labels bool) map[string]slack.UserProfileCustomField {
		t.Helper()
		p, err := e.api.GetUserProfileContext(ctx, &slack.GetUserProfileParameters{UserID: user, IncludeLabels: labels})
		if err != nil {
			t.Fatalf("users.profile.get %s: %v", user, err)
		}
		return p.Fields.ToMap()
	}
	anaF, benF := labelled(ana.ID, true), labelled(ben.ID, true)
	byLabel := func(fs map[string]slack.UserProfileCustomField) map[string]string {
		out := map[string]string{}
		for id, f := range fs {
			if !strings.HasPrefix(id, "Xf") {
				t.Errorf("field id %q, want Slack's Xf… form", id)
			}
			out[f.Label] = f.Value
		}
		return out
	}
	if got := byLabel(anaF); len(got) != 2 || got["Team"] != "Payments" || got["Office"] != "Leeds" {
		t.Errorf("Ana's labelled fields = %v", got)
	}
	teamID := ""
	for id, f := range anaF {
		if f.Label == "Team" {
			teamID = id
		}
	}
	if benF[teamID].Value != "Ops" || len(benF) != 1 {
		t.Errorf("Ben's fields = %v; want Team (%s) = Ops, the id Ana's Team has", benF, teamID)
	}
	for id, f := range labelled(ana.ID, false) {
		if f.Label != "" || f.Value == "" {
			t.Errorf("without include_labels, field %s = %+v; want a value and no label", id, f)
		}
	}

	// The wire form, as Slack sends it.
	raw := profileJSON(t, e, ana.ID, true)
	var wire map[string]map[string]string
	if err := json.Unmarshal(raw, &wire); err != nil {
		t.Fatalf("fields: %v in %s", err, raw)
	}
	if f := wire[teamID]; f["value"] != "Payments" || f["label"] != "Team" || len(f) != 3 {
		t.Errorf("wire field %s = %v; want value, alt and label", teamID, f)
	}
	if plain := profileJSON(t, e, DemoAda, false); string(plain) != "[]" {
		t.Errorf("a profile without custom fields: %s; want \"fields\":[]", plain)
	}
	if got := labelled(DemoAda, true); len(got) != 0 {
		t.Errorf("Ada has no custom fields, got %v", got)
	}

	// A patch sets and clears fields by label, and Slack says nothing.
	p, err := e.ctl.UpdatePerson(ctx, ana.ID, PersonPatch{Fields: map[string]string{"Team": "Ops", "Office": ""}})
	if err != nil || len(p.Fields) != 1 || p.Fields["Team"] != "Ops" {
		t.Fatalf("UpdatePerson = %v, %v", p.Fields, err)
	}
	if got := byLabel(labelled(ana.ID, true)); len(got) != 1 || got["Team"] != "Ops" {
		t.Errorf("Ana's fields after the patch = %v", got)
	}
	// A real change afterwards is announced; the field change before it was not.
	name := "Ana Roy"
	if _, err := e.ctl.UpdatePerson(ctx, ana.ID, PersonPatch{RealName: &name}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "user_change for Ana's name", func() bool { return bot.eventCount() >= 1 })
	if n := bot.eventCount(); n != 1 {
		t.Errorf("%d events; want one user_change, for the name alone", n)
	}

	if _, err := e.ctl.AddPerson(ctx, NewPerson{Name: "cai", Fields: map[string]string{" ": "x"}}); err == nil {
		t.Error("a field with a blank label was accepted")
	}
}

// profileJSON returns users.profile.get's raw profile for user.
func profileJSON(t *testing.T, e *testEnv, user string, labels bool) json.RawMessage {
	t.Helper()
	form := url.Values{"token": {e.srv.cfg.BotToken}, "user": {user}}
	if labels {
		form.Set("include_labels", "true")
	}
	resp, err := http.PostForm(e.srv.APIURL()+"users.profile.get", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct {
		OK      bool `json:"ok"`
		Profile struct {
			Fields json.RawMessage `json:"fields"`
		} `json:"profile"`
	}
	if err := json.Unmarshal(body, &out); err != nil || !out.OK {
		t.Fatalf("users.profile.get: %v %s", err, body)
	}
	return out.Profile.Fields
}
