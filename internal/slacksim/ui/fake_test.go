package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// fakeControl is a small stand-in for the emulator's control API, enough to
// drive the page in a browser: three people, a DM and a channel each, one
// modal, a home tab and a clock.
type fakeControl struct {
	mu      sync.Mutex
	now     time.Time
	seq     int
	people  []map[string]any
	msgs    map[string][]map[string]any // channel → messages
	views   map[string][]map[string]any // user → modal stack
	home    map[string]map[string]any   // user → published home view
	actions []map[string]any            // every POST /control/actions body
	submits []map[string]any            // every POST .../submit body
}

func newFakeControl() *fakeControl {
	f := &fakeControl{
		now:   time.Date(2025, 3, 4, 13, 5, 0, 0, time.UTC),
		msgs:  map[string][]map[string]any{},
		views: map[string][]map[string]any{},
		home:  map[string]map[string]any{},
	}
	f.people = []map[string]any{
		{"id": "U1", "name": "ana", "real_name": "Ana Lima", "tz": "America/Sao_Paulo", "is_admin": true, "status_text": "", "status_emoji": "", "status_expiration": 0, "dm": "DU1"},
		{"id": "U2", "name": "bo", "real_name": "Bo Chen", "tz": "Asia/Shanghai", "status_text": "Vacationing", "status_emoji": ":palm_tree:", "status_expiration": 0, "dm": "DU2"},
		{"id": "U3", "name": "cleo", "real_name": "Cléo Martin", "tz": "Europe/Paris", "status_text": "", "status_emoji": "", "dm": "DU3"},
	}
	for _, p := range f.people {
		id := p["id"].(string)
		f.post("D"+id, map[string]any{
			"bot_id": "B0TRELLIS", "user": "U0TRELLIS",
			"text": "Hi <@" + id + ">! *Welcome* to _Trellis_ & friends <script>alert(1)</script>",
			"blocks": []any{
				map[string]any{"type": "header", "block_id": "welcome_header", "text": map[string]any{"type": "plain_text", "text": "Welcome :wave:"}},
				map[string]any{"type": "section", "block_id": "welcome", "text": map[string]any{"type": "mrkdwn",
					"text": "Hi <@" + id + ">! I'm *Trellis*, _gentle_ structure for your team &amp; you. `code` and &lt;b&gt;not bold&lt;/b&gt;\n• one\n• two\nSee <https://example.com/docs|the docs>.\n```pre\n  block```\n&gt; a quote"},
					"accessory": map[string]any{"type": "button", "action_id": "open_hours", "text": map[string]any{"type": "plain_text", "text": "Set hours"}, "value": "hours"}},
				map[string]any{"type": "section", "block_id": "fields", "fields": []any{
					map[string]any{"type": "mrkdwn", "text": "*Timezone*\n" + p["tz"].(string)},
					map[string]any{"type": "mrkdwn", "text": "*Hours*\nMon–Fri 09:00–17:00"},
				}},
				map[string]any{"type": "divider"},
				map[string]any{"type": "actions", "block_id": "welcome_actions", "elements": []any{
					map[string]any{"type": "button", "action_id": "say_hi", "style": "primary", "text": map[string]any{"type": "plain_text", "text": "Say hi"}, "value": "hi"},
					map[string]any{"type": "button", "action_id": "delete_me", "style": "danger", "text": map[string]any{"type": "plain_text", "text": "Delete my data"}, "value": "del",
						"confirm": map[string]any{"title": map[string]any{"type": "plain_text", "text": "Delete everything?"}, "text": map[string]any{"type": "mrkdwn", "text": "This *cannot* be undone."}, "confirm": map[string]any{"type": "plain_text", "text": "Delete"}, "deny": map[string]any{"type": "plain_text", "text": "Keep"}, "style": "danger"}},
					map[string]any{"type": "static_select", "action_id": "pick_cadence", "placeholder": map[string]any{"type": "plain_text", "text": "Cadence"}, "options": []any{
						opt("Daily", "daily"), opt("Weekly", "weekly"),
					}},
					map[string]any{"type": "overflow", "action_id": "more", "options": []any{opt("Snooze", "snooze"), opt("Why did I get this?", "why")}},
					map[string]any{"type": "datepicker", "action_id": "pick_date", "initial_date": "2025-03-04"},
				}},
				map[string]any{"type": "context", "block_id": "ctx", "elements": []any{
					map[string]any{"type": "mrkdwn", "text": "Sent <!date^1741093500^{date_short} at {time}|fallback> · only you see this"},
					map[string]any{"type": "image", "image_url": "https://example.com/x.png", "alt_text": "logo"},
				}},
				map[string]any{"type": "rich_text", "block_id": "rich", "elements": []any{
					map[string]any{"type": "rich_text_section", "elements": []any{
						map[string]any{"type": "text", "text": "Rich "}, map[string]any{"type": "text", "text": "bold", "style": map[string]any{"bold": true}},
					}},
				}},
				map[string]any{"type": "mystery_block", "block_id": "mystery"},
			},
		})
	}
	f.post("C1", map[string]any{"user": "U2", "text": "Morning all :coffee:"})
	return f
}

func opt(text, value string) map[string]any {
	return map[string]any{"text": map[string]any{"type": "plain_text", "text": text}, "value": value}
}

// post appends a message; the caller holds mu or is the constructor.
func (f *fakeControl) post(ch string, m map[string]any) {
	f.seq++
	m["ts"] = fmt.Sprintf("%d.%06d", f.now.Unix(), f.seq)
	f.msgs[ch] = append(f.msgs[ch], m)
}

func (f *fakeControl) hoursModal() map[string]any {
	f.seq++
	return map[string]any{
		"id": fmt.Sprintf("V%d", f.seq), "hash": fmt.Sprintf("h%d", f.seq), "type": "modal", "callback_id": "hours",
		"title":  map[string]any{"type": "plain_text", "text": "Working hours"},
		"submit": map[string]any{"type": "plain_text", "text": "Save"},
		"close":  map[string]any{"type": "plain_text", "text": "Cancel"},
		"state":  map[string]any{"values": map[string]any{}},
		"blocks": []any{
			map[string]any{"type": "section", "block_id": "intro", "text": map[string]any{"type": "mrkdwn", "text": "I only send check-ins *inside* these hours."}},
			map[string]any{"type": "input", "block_id": "days", "label": map[string]any{"type": "plain_text", "text": "Working days"}, "element": map[string]any{
				"type": "checkboxes", "action_id": "days", "options": []any{opt("Monday", "Mon"), opt("Tuesday", "Tue"), opt("Wednesday", "Wed"), opt("Thursday", "Thu"), opt("Friday", "Fri"), opt("Saturday", "Sat"), opt("Sunday", "Sun")},
				"initial_options": []any{opt("Monday", "Mon"), opt("Tuesday", "Tue"), opt("Wednesday", "Wed"), opt("Thursday", "Thu"), opt("Friday", "Fri")}}},
			map[string]any{"type": "input", "block_id": "start", "label": map[string]any{"type": "plain_text", "text": "Start"}, "element": map[string]any{"type": "timepicker", "action_id": "start", "initial_time": "09:00"}},
			map[string]any{"type": "input", "block_id": "tz", "label": map[string]any{"type": "plain_text", "text": "Timezone (IANA name)"}, "hint": map[string]any{"type": "plain_text", "text": "Like Europe/London."},
				"element": map[string]any{"type": "plain_text_input", "action_id": "tz_input", "max_length": 64, "initial_value": "Mars/Olympus"}},
			map[string]any{"type": "input", "block_id": "region", "label": map[string]any{"type": "plain_text", "text": "Region"}, "element": map[string]any{
				"type": "static_select", "action_id": "region", "options": []any{opt("Brazil (BR)", "BR"), opt("France (FR)", "FR")}, "initial_option": opt("France (FR)", "FR")}},
			map[string]any{"type": "input", "block_id": "mode", "label": map[string]any{"type": "plain_text", "text": "Mode"}, "element": map[string]any{
				"type": "radio_buttons", "action_id": "mode", "options": []any{opt("Gentle", "gentle"), opt("Quiet", "quiet")}}},
			map[string]any{"type": "input", "block_id": "first", "label": map[string]any{"type": "plain_text", "text": "First day off"}, "element": map[string]any{"type": "datepicker", "action_id": "first", "initial_date": "2025-03-10"}},
			map[string]any{"type": "input", "block_id": "peers", "optional": true, "label": map[string]any{"type": "plain_text", "text": "Peers"}, "element": map[string]any{"type": "multi_users_select", "action_id": "peers", "initial_users": []any{"U2"}}},
			map[string]any{"type": "input", "block_id": "buddy", "optional": true, "label": map[string]any{"type": "plain_text", "text": "Buddy"}, "element": map[string]any{"type": "users_select", "action_id": "buddy"}},
			map[string]any{"type": "input", "block_id": "note", "optional": true, "label": map[string]any{"type": "plain_text", "text": "Note"}, "element": map[string]any{"type": "plain_text_input", "action_id": "note", "multiline": true, "max_length": 100}},
		},
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func readJSON(r *http.Request) map[string]any {
	var m map[string]any
	_ = json.NewDecoder(r.Body).Decode(&m)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// handler mounts the fake control API and the page, like the emulator does.
func (f *fakeControl) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", Handler())
	mux.HandleFunc("GET /control/info", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, map[string]any{"team_id": "T0SANDBOX", "team_name": "Trellis Sandbox", "bot_user_id": "U0TRELLIS", "bot_id": "B0TRELLIS", "now": f.now, "delivery": "socket", "socket_connections": 1, "installed": true})
	})
	mux.HandleFunc("GET /control/people", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, f.people)
	})
	mux.HandleFunc("GET /control/clock", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, map[string]any{"now": f.now, "simulated": true, "frozen": true})
	})
	mux.HandleFunc("POST /control/clock", func(w http.ResponseWriter, r *http.Request) {
		req := readJSON(r)
		f.mu.Lock()
		defer f.mu.Unlock()
		if s, ok := req["set"].(string); ok {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				http.Error(w, `{"error":"bad time"}`, http.StatusBadRequest)
				return
			}
			f.now = t
		}
		if s, ok := req["advance"].(string); ok {
			d, err := time.ParseDuration(s)
			if err != nil {
				http.Error(w, `{"error":"bad duration"}`, http.StatusBadRequest)
				return
			}
			f.now = f.now.Add(d)
		}
		writeJSON(w, map[string]any{"now": f.now, "simulated": true, "frozen": true})
	})
	mux.HandleFunc("POST /control/command", func(w http.ResponseWriter, r *http.Request) {
		req := readJSON(r)
		user, _ := req["user"].(string)
		text, _ := req["text"].(string)
		f.mu.Lock()
		defer f.mu.Unlock()
		switch strings.TrimSpace(strings.TrimPrefix(text, "/trellis")) {
		case "hours":
			f.views[user] = append(f.views[user], f.hoursModal())
			writeJSON(w, map[string]any{"ok": true, "status": 200, "channel": "D" + user})
		case "fail":
			writeJSON(w, map[string]any{"ok": false, "status": 0, "error": "operation_timeout", "channel": "D" + user})
		default:
			writeJSON(w, map[string]any{"ok": true, "status": 200, "channel": "D" + user, "response": map[string]any{
				"response_type": "ephemeral", "text": "You are *" + user + "*",
				"blocks": []any{
					map[string]any{"type": "section", "block_id": "me", "text": map[string]any{"type": "mrkdwn", "text": "You are <@" + user + ">, working *09:00–17:00*."}},
					map[string]any{"type": "actions", "block_id": "me_actions", "elements": []any{
						map[string]any{"type": "button", "action_id": "open_hours", "text": map[string]any{"type": "plain_text", "text": "Change hours"}},
					}},
				},
			}})
		}
	})
	mux.HandleFunc("POST /control/actions", func(w http.ResponseWriter, r *http.Request) {
		req := readJSON(r)
		user, _ := req["user"].(string)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.actions = append(f.actions, req)
		switch req["action_id"] {
		case "open_hours":
			f.views[user] = append(f.views[user], f.hoursModal())
		case "say_hi":
			f.post("D"+user, map[string]any{"bot_id": "B0TRELLIS", "user": "U0TRELLIS", "text": "Hi there :wave:"})
		case "home_refresh":
			f.publishHome(user, "refreshed")
		}
		writeJSON(w, map[string]any{"ok": true, "status": 200})
	})
	mux.HandleFunc("GET /control/views", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, map[string]any{"views": append([]map[string]any{}, f.views[r.URL.Query().Get("user")]...)})
	})
	mux.HandleFunc("POST /control/views/{id}/submit", func(w http.ResponseWriter, r *http.Request) {
		req := readJSON(r)
		user, _ := req["user"].(string)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.submits = append(f.submits, req)
		values, _ := req["values"].(map[string]any)
		tzBlock, _ := values["tz"].(map[string]any)
		tzVal, _ := tzBlock["tz_input"].(map[string]any)
		tz, _ := tzVal["value"].(string)
		if !strings.HasPrefix(tz, "Europe/") && !strings.HasPrefix(tz, "America/") {
			writeJSON(w, map[string]any{"ok": true, "status": 200, "response_action": "errors",
				"errors": map[string]any{"tz": "Unknown timezone " + tz + ".", "ghost": "Something else went wrong."},
				"views":  f.views[user]})
			return
		}
		if st := f.views[user]; len(st) > 0 {
			f.views[user] = st[:len(st)-1]
		}
		f.post("D"+user, map[string]any{"bot_id": "B0TRELLIS", "user": "U0TRELLIS", "text": "Saved. Your timezone is *" + tz + "*."})
		writeJSON(w, map[string]any{"ok": true, "status": 200, "views": append([]map[string]any{}, f.views[user]...)})
	})
	mux.HandleFunc("POST /control/views/{id}/close", func(w http.ResponseWriter, r *http.Request) {
		req := readJSON(r)
		user, _ := req["user"].(string)
		f.mu.Lock()
		defer f.mu.Unlock()
		if st := f.views[user]; len(st) > 0 {
			f.views[user] = st[:len(st)-1]
		}
		writeJSON(w, map[string]any{"ok": true, "status": 200, "views": append([]map[string]any{}, f.views[user]...)})
	})
	mux.HandleFunc("GET /control/home", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		v := f.home[r.URL.Query().Get("user")]
		if v == nil {
			writeJSON(w, map[string]any{"view": nil})
			return
		}
		writeJSON(w, map[string]any{"view": v})
	})
	mux.HandleFunc("POST /control/home/open", func(w http.ResponseWriter, r *http.Request) {
		req := readJSON(r)
		user, _ := req["user"].(string)
		f.mu.Lock()
		v := f.home[user]
		f.mu.Unlock()
		// The bot publishes after its ack, like the real one.
		time.AfterFunc(300*time.Millisecond, func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.publishHome(user, "opened")
		})
		writeJSON(w, map[string]any{"ok": true, "status": 200, "view": v})
	})
	mux.HandleFunc("GET /control/conversations", func(w http.ResponseWriter, r *http.Request) {
		u := r.URL.Query().Get("user")
		writeJSON(w, []any{
			map[string]any{"id": "D" + u, "kind": "im", "name": "trellis", "user": "U0TRELLIS"},
			map[string]any{"id": "C1", "kind": "channel", "name": "managers"},
		})
	})
	mux.HandleFunc("GET /control/conversations/{ch}/messages", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, append([]map[string]any{}, f.msgs[r.PathValue("ch")]...))
	})
	mux.HandleFunc("POST /control/messages", func(w http.ResponseWriter, r *http.Request) {
		req := readJSON(r)
		f.mu.Lock()
		defer f.mu.Unlock()
		ch, _ := req["channel"].(string)
		f.post(ch, map[string]any{"user": req["user"], "text": req["text"]})
		writeJSON(w, map[string]any{"ok": true})
	})
	return mux
}

// publishHome publishes a home view; the caller holds mu.
func (f *fakeControl) publishHome(user, why string) {
	f.seq++
	f.home[user] = map[string]any{
		"id": "VH" + user, "hash": fmt.Sprintf("hh%d", f.seq), "type": "home",
		"blocks": []any{
			map[string]any{"type": "header", "block_id": "home_header", "text": map[string]any{"type": "plain_text", "text": "Your Trellis"}},
			map[string]any{"type": "section", "block_id": "home_hours", "text": map[string]any{"type": "mrkdwn", "text": "*Working hours:* Mon–Fri 09:00–17:00 (" + why + ")"},
				"accessory": map[string]any{"type": "overflow", "action_id": "home_more", "options": []any{opt("Edit hours", "edit"), opt("Pause", "pause")}}},
			map[string]any{"type": "actions", "block_id": "home_actions", "elements": []any{
				map[string]any{"type": "button", "action_id": "open_hours", "text": map[string]any{"type": "plain_text", "text": "Edit hours"}, "style": "primary"},
				map[string]any{"type": "button", "action_id": "home_refresh", "text": map[string]any{"type": "plain_text", "text": "Refresh"}},
				map[string]any{"type": "checkboxes", "action_id": "home_quiet", "options": []any{opt("Quiet weekends", "qw")}},
			}},
			map[string]any{"type": "image", "block_id": "home_img", "image_url": "https://example.com/chart.png", "alt_text": "Check-in chart"},
		},
	}
}
