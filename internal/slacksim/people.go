package slacksim

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // people's IANA zones must resolve on machines without zoneinfo
)

// person is a member of the workspace (a human, the bot user or Slackbot).
type person struct {
	ID               string
	Name             string
	RealName         string
	Email            string
	TZ               string
	IsAdmin          bool
	IsOwner          bool
	IsBot            bool
	BotID            string
	Deleted          bool
	StatusText       string
	StatusEmoji      string
	StatusExpiration int64
	DND              dndState
	Updated          int64
	// Fields are the custom profile fields' values, by field id.
	Fields map[string]string
}

type dndState struct {
	Enabled   bool
	NextStart int64
	NextEnd   int64
}

// zoneNames holds Slack's long tz_label for common zones: {standard,
// daylight}. Other zones fall back to Go's abbreviation.
var zoneNames = map[string][2]string{
	"Europe/London":       {"Greenwich Mean Time", "British Summer Time"},
	"Europe/Dublin":       {"Greenwich Mean Time", "Irish Standard Time"},
	"Europe/Berlin":       {"Central European Time", "Central European Summer Time"},
	"Europe/Paris":        {"Central European Time", "Central European Summer Time"},
	"Europe/Madrid":       {"Central European Time", "Central European Summer Time"},
	"Europe/Amsterdam":    {"Central European Time", "Central European Summer Time"},
	"Europe/Athens":       {"Eastern European Time", "Eastern European Summer Time"},
	"Asia/Kolkata":        {"India Standard Time", "India Standard Time"},
	"Asia/Kathmandu":      {"Nepal Time", "Nepal Time"},
	"Asia/Tokyo":          {"Japan Standard Time", "Japan Standard Time"},
	"Asia/Singapore":      {"Singapore Standard Time", "Singapore Standard Time"},
	"Asia/Shanghai":       {"China Standard Time", "China Standard Time"},
	"Australia/Sydney":    {"Australian Eastern Standard Time", "Australian Eastern Daylight Time"},
	"Australia/Adelaide":  {"Australian Central Standard Time", "Australian Central Daylight Time"},
	"America/Sao_Paulo":   {"Brasilia Standard Time", "Brasilia Summer Time"},
	"America/New_York":    {"Eastern Standard Time", "Eastern Daylight Time"},
	"America/Chicago":     {"Central Standard Time", "Central Daylight Time"},
	"America/Denver":      {"Mountain Standard Time", "Mountain Daylight Time"},
	"America/Los_Angeles": {"Pacific Standard Time", "Pacific Daylight Time"},
	"America/St_Johns":    {"Newfoundland Standard Time", "Newfoundland Daylight Time"},
	"Pacific/Auckland":    {"New Zealand Standard Time", "New Zealand Daylight Time"},
	"UTC":                 {"Coordinated Universal Time", "Coordinated Universal Time"},
}

// zoneAt returns the tz_label and tz_offset (seconds east of UTC) of the IANA
// zone tz at instant t.
func zoneAt(tz string, t time.Time) (label string, offset int, err error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return "", 0, fmt.Errorf("unknown time zone %q: %w", tz, err)
	}
	in := t.In(loc)
	abbr, offset := in.Zone()
	if names, ok := zoneNames[tz]; ok {
		if in.IsDST() {
			return names[1], offset, nil
		}
		return names[0], offset, nil
	}
	if strings.IndexFunc(abbr, func(r rune) bool { return r == '+' || r == '-' }) >= 0 {
		abbr = "GMT" + abbr
	}
	return abbr, offset, nil
}

// validZone reports whether tz is a loadable IANA zone name.
func validZone(tz string) bool {
	if tz == "" || tz == "Local" {
		return false
	}
	_, err := time.LoadLocation(tz)
	return err == nil
}

// expireStatus clears an expired status; it reports whether it did.
func (p *person) expireStatus(now time.Time) bool {
	if p.StatusExpiration == 0 || now.Unix() < p.StatusExpiration {
		return false
	}
	p.StatusText, p.StatusEmoji, p.StatusExpiration = "", "", 0
	p.Updated = now.Unix()
	return true
}

// status returns p's status as Slack shows it at now: an expired status is
// gone even before the sweep that announces it with user_change.
func (p *person) status(now time.Time) (text, emoji string, expiration int64) {
	if p.StatusExpiration != 0 && now.Unix() >= p.StatusExpiration {
		return "", "", 0
	}
	return p.StatusText, p.StatusEmoji, p.StatusExpiration
}

// userJSON renders p the way users.info does. Call with the state locked.
func (w *workspace) userJSON(p *person, now time.Time) map[string]any {
	statusText, statusEmoji, statusExp := p.status(now)
	label, offset, err := zoneAt(p.TZ, now)
	if err != nil {
		label, offset = "Coordinated Universal Time", 0
	}
	first, last, _ := strings.Cut(p.RealName, " ")
	profile := map[string]any{
		"title":                     "",
		"phone":                     "",
		"skype":                     "",
		"real_name":                 p.RealName,
		"real_name_normalized":      p.RealName,
		"display_name":              p.Name,
		"display_name_normalized":   p.Name,
		"fields":                    map[string]any{},
		"status_text":               statusText,
		"status_emoji":              statusEmoji,
		"status_emoji_display_info": []any{},
		"status_expiration":         statusExp,
		"avatar_hash":               "g" + strings.ToLower(p.ID[1:]),
		"first_name":                first,
		"last_name":                 last,
		"image_24":                  avatar(p, 24),
		"image_32":                  avatar(p, 32),
		"image_48":                  avatar(p, 48),
		"image_72":                  avatar(p, 72),
		"image_192":                 avatar(p, 192),
		"image_512":                 avatar(p, 512),
		"status_text_canonical":     "",
		"team":                      w.cfg.TeamID,
	}
	if p.Email != "" {
		profile["email"] = p.Email
	}
	if p.IsBot {
		profile["bot_id"] = p.BotID
		profile["api_app_id"] = w.cfg.AppID
		profile["always_active"] = true
	}
	u := map[string]any{
		"id":                         p.ID,
		"team_id":                    w.cfg.TeamID,
		"name":                       p.Name,
		"deleted":                    p.Deleted,
		"color":                      "9f69e7",
		"real_name":                  p.RealName,
		"tz":                         p.TZ,
		"tz_label":                   label,
		"tz_offset":                  offset,
		"profile":                    profile,
		"is_admin":                   p.IsAdmin,
		"is_owner":                   p.IsOwner,
		"is_primary_owner":           false,
		"is_restricted":              false,
		"is_ultra_restricted":        false,
		"is_bot":                     p.IsBot,
		"is_app_user":                false,
		"updated":                    p.Updated,
		"is_email_confirmed":         !p.IsBot,
		"who_can_share_contact_card": "EVERYONE",
		"locale":                     "en-US",
	}
	return u
}

func avatar(p *person, size int) string {
	return fmt.Sprintf("https://avatars.slack-edge.com/sandbox/%s_%d.png", p.ID, size)
}

// humans returns the people who are neither bots nor Slackbot, by id.
func (w *workspace) humans() []*person {
	var out []*person
	for _, p := range w.people {
		if !p.IsBot && p.ID != "USLACKBOT" {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *person) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// sortedPeople returns everyone, bots included, by id (users.list order).
func (w *workspace) sortedPeople() []*person {
	out := make([]*person, 0, len(w.people))
	for _, p := range w.people {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *person) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// human looks up a person who can act in the control API.
func (w *workspace) human(id string) (*person, error) {
	p, ok := w.people[id]
	if !ok {
		return nil, fmt.Errorf("no person %q", id)
	}
	if p.IsBot || p.ID == "USLACKBOT" {
		return nil, fmt.Errorf("%q is a bot, not a person", id)
	}
	if p.Deleted {
		return nil, fmt.Errorf("person %q is deactivated", id)
	}
	return p, nil
}

// joinable looks up who may be put in a channel through the control
// API: a person, or an integration's bot user (channels hold those too).
func (w *workspace) joinable(id string) error {
	if p, ok := w.people[id]; ok && p.IsBot && !p.Deleted {
		return nil
	}
	_, err := w.human(id)
	return err
}

// sweepStatuses clears expired statuses and tells the bot with user_change.
func (s *Server) sweepStatuses() {
	now := s.clock.Now()
	s.mu.Lock()
	var changed []map[string]any
	for _, p := range s.ws.sortedPeople() {
		if p.expireStatus(now) {
			changed = append(changed, s.ws.userJSON(p, now))
		}
	}
	s.mu.Unlock()
	for _, u := range changed {
		s.emitEvent(map[string]any{"type": "user_change", "user": u, "cache_ts": now.Unix(), "event_ts": eventTS(now)})
	}
}
