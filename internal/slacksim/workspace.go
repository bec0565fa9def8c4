package slacksim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// workspace is the emulated Slack's state. Every field is guarded by
// Server.mu.
type workspace struct {
	cfg Config

	people   map[string]*person
	convs    map[string]*conversation
	views    map[string]*view
	stacks   map[string][]string // user → modal view ids, top last
	homes    map[string]string   // user → home view id
	external map[string]string   // external_id → view id
	triggers map[string]*trigger
	rurls    map[string]*responseURL
	uploads  map[string]*upload // file id → upload not yet shared
	fields   []profileField     // the custom profile fields, in the order defined

	seq     int
	salt    string // makes ids differ between emulator runs
	lastTS  int64  // microseconds of the newest message ts handed out
	revoked bool   // tokens revoked (app uninstalled)
}

func newWorkspace(cfg Config) *workspace {
	w := &workspace{
		cfg:      cfg,
		people:   map[string]*person{},
		convs:    map[string]*conversation{},
		views:    map[string]*view{},
		stacks:   map[string][]string{},
		homes:    map[string]string{},
		external: map[string]string{},
		triggers: map[string]*trigger{},
		rurls:    map[string]*responseURL{},
		uploads:  map[string]*upload{},
		salt:     strings.ToUpper(uuid.NewString()[:2]),
	}
	w.people[cfg.BotUserID] = &person{
		ID: cfg.BotUserID, Name: cfg.BotName, RealName: "Trellis", TZ: "America/Los_Angeles",
		IsBot: true, BotID: cfg.BotID, DND: dndState{NextStart: 1, NextEnd: 1},
	}
	// Every Slack workspace has Slackbot, and users.list returns it with
	// is_bot false: bots that trust is_bot alone get this wrong.
	w.people["USLACKBOT"] = &person{
		ID: "USLACKBOT", Name: "slackbot", RealName: "Slackbot", TZ: "America/Los_Angeles",
		DND: dndState{NextStart: 1, NextEnd: 1},
	}
	return w
}

// nextID returns a fresh Slack-looking id with the given prefix.
func (w *workspace) nextID(prefix string) string {
	w.seq++
	return fmt.Sprintf("%s%s%06X", prefix, w.salt, w.seq)
}

// newTS returns a message timestamp for now, strictly increasing so that ts
// stays a unique message key even when the clock stands still.
func (w *workspace) newTS(now time.Time) string {
	us := now.UnixMicro()
	if us <= w.lastTS {
		us = w.lastTS + 1
	}
	w.lastTS = us
	return formatTS(us)
}

func formatTS(us int64) string {
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// parseTS turns a Slack ts into microseconds since the epoch.
func parseTS(ts string) (int64, bool) {
	sec, frac, ok := strings.Cut(ts, ".")
	if !ok || len(frac) != 6 {
		return 0, false
	}
	s, err1 := strconv.ParseInt(sec, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return s*1e6 + f, true
}

// conversation is a DM between a person and the bot, a group DM (several
// people and the bot), or a channel.
type conversation struct {
	ID        string
	Name      string
	Kind      string // "im", "mpim" (a group DM) or "channel"
	User      string // the person, for an im
	Private   bool
	Created   int64
	Members   []string
	Opened    bool // conversations.open already called for this im
	Messages  []*message
	IsGeneral bool
}

func (c *conversation) isMember(user string) bool { return slices.Contains(c.Members, user) }

func (c *conversation) find(ts string) (int, *message) {
	for i, m := range c.Messages {
		if m.TS == ts {
			return i, m
		}
	}
	return -1, nil
}

// message is one message in a conversation, ephemeral or not.
type message struct {
	TS        string
	User      string
	BotID     string
	Text      string
	Blocks    []any // nil when the message has none
	ThreadTS  string
	Metadata  *Metadata
	Ephemeral bool
	VisibleTo string // the only person who sees an ephemeral message
	EditedTS  string
	Files     []sharedFile // shared with files.completeUploadExternal
	// Username and IconURL are the name and picture the bot posted the
	// message under (chat:write.customize); "" shows the bot's own.
	Username string
	IconURL  string
	// Broadcast marks a thread reply also shown in the channel
	// (reply_broadcast).
	Broadcast bool
}

// Metadata is message metadata as Slack stores it.
type Metadata struct {
	EventType    string          `json:"event_type"`
	EventPayload json.RawMessage `json:"event_payload"`
}

func (w *workspace) imID(user string) string {
	return "D" + strings.TrimPrefix(user, "U")
}

// im returns (creating if needed) the DM between user and the bot.
func (w *workspace) im(user string, now time.Time) *conversation {
	id := w.imID(user)
	if c, ok := w.convs[id]; ok {
		return c
	}
	c := &conversation{ID: id, Kind: "im", User: user, Created: now.Unix(), Members: []string{user, w.cfg.BotUserID}}
	w.convs[id] = c
	return c
}

// mpim returns the multi-person IM of users (two or more people) and the
// bot, creating it if needed, and reports whether it was created. Like
// Slack, the same people, in any order, always get the same conversation.
func (w *workspace) mpim(users []string, now time.Time) (*conversation, bool) {
	members := append(slices.Sorted(slices.Values(users)), w.cfg.BotUserID)
	for _, id := range w.sortedConvIDs() {
		c := w.convs[id]
		if c.Kind == "mpim" && slices.Equal(c.Members, members) {
			return c, false
		}
	}
	names := make([]string, len(users))
	for i, u := range members[:len(users)] {
		names[i] = w.people[u].Name
	}
	c := &conversation{
		ID: w.nextID("G"), Name: "mpdm-" + strings.Join(names, "--") + "-1", Kind: "mpim", Private: true,
		Created: now.Unix(), Members: members,
	}
	w.convs[c.ID] = c
	return c, true
}

// resolveChannel maps a channel argument (C…, D…, a user id meaning that
// user's DM with the bot, or #name) to a conversation.
func (w *workspace) resolveChannel(ch string, now time.Time) *conversation {
	if ch == "" {
		return nil
	}
	if c, ok := w.convs[ch]; ok {
		return c
	}
	if p, ok := w.people[ch]; ok && !p.IsBot && p.ID != "USLACKBOT" {
		return w.im(p.ID, now)
	}
	name := strings.TrimPrefix(ch, "#")
	for _, c := range w.convs {
		if c.Kind == "channel" && c.Name == name {
			return c
		}
	}
	return nil
}

func (w *workspace) sortedConvIDs() []string {
	ids := make([]string, 0, len(w.convs))
	for id := range w.convs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// trigger is a trigger_id handed out with a command or an interaction.
type trigger struct {
	ID      string
	User    string
	Channel string
	ViewID  string // set when the interaction came from a view
	Issued  time.Time
	Used    bool
}

func (w *workspace) newTrigger(user, channel, viewID string, now time.Time) string {
	w.seq++
	id := fmt.Sprintf("%d.%d.%08x", 1000000+w.seq, now.Unix(), uint32(w.seq)*2654435761)
	w.triggers[id] = &trigger{ID: id, User: user, Channel: channel, ViewID: viewID, Issued: now}
	for k, t := range w.triggers {
		if now.Sub(t.Issued) > time.Minute {
			delete(w.triggers, k)
		}
	}
	return id
}

// responseURL is a response_url handed out with a command or a message
// interaction.
type responseURL struct {
	Token     string
	User      string
	Channel   string
	MessageTS string // the message the interaction came from, if any
	Ephemeral bool   // that message is ephemeral
	Issued    time.Time
	Uses      int
}

const (
	responseURLUses = 5
	responseURLTTL  = 30 * time.Minute
)

func (w *workspace) newResponseURL(user, channel, messageTS string, ephemeral bool, now time.Time) string {
	w.seq++
	tok := fmt.Sprintf("%s/%s/%d%08x", w.cfg.TeamID, channel, w.seq, uint32(w.seq)*2246822519)
	tok = strings.ReplaceAll(tok, "/", "-")
	w.rurls[tok] = &responseURL{Token: tok, User: user, Channel: channel, MessageTS: messageTS, Ephemeral: ephemeral, Issued: now}
	for k, r := range w.rurls {
		if now.Sub(r.Issued) > responseURLTTL {
			delete(w.rurls, k)
		}
	}
	return tok
}
