package peers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/handlers"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

// Only people take part in a network: a channel's members include bots
// (integrations, Slackbot, Trellis itself) and deactivated accounts,
// which conversations.members does not tell apart. A member is a person
// when Trellis has stored their Slack profile (a person's profile is
// stored when they use Trellis, and when Slack says they are one here);
// a member Trellis knows nothing of is unsure: their row is left as it
// is, and after the ack Slack is asked (users.info, once per member and
// process) and the network synced again. What Slack says of a bot or a
// deactivated account is kept in this process only: losing it costs one
// more users.info.

// kindTTL is how long what Slack said of a member is kept in memory.
const kindTTL = 24 * time.Hour

// memberKinds remembers, per workspace and user, whether Slack said they
// are a person (true) or a bot or deactivated account (false).
type memberKinds struct {
	mu    sync.Mutex
	known map[string]memberKind
}

type memberKind struct {
	person bool
	at     time.Time
}

func (k *memberKinds) get(ws, user string, now time.Time) (person, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	m, ok := k.known[ws+"/"+user]
	if !ok || now.Sub(m.at) > kindTTL {
		return false, false
	}
	return m.person, true
}

func (k *memberKinds) put(ws, user string, person bool, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.known == nil {
		k.known = map[string]memberKind{}
	}
	k.known[ws+"/"+user] = memberKind{person: person, at: now}
}

// sortMembers splits a channel's members into the people among them and
// those not known yet to be people or not (unsure); Trellis, Slackbot
// and bots or deactivated accounts Slack told of are in neither. sure
// are people whatever is stored (one who just typed a command is); those
// of them whose profile is not stored yet are unread, so that it is read
// after the ack.
func (h *Handlers) sortMembers(ctx context.Context, ws string, members map[string]bool, sure ...string) (people, unsure, unread []string, err error) {
	stored, err := h.storedPeople(ctx, ws)
	if err != nil {
		return nil, nil, nil, err
	}
	bot, now := h.bot(ctx, ws), h.clock.Now()
	for u, in := range members {
		if !in || u == "" || u == bot || u == "USLACKBOT" {
			continue
		}
		person, ok := h.kinds.get(ws, u, now)
		switch {
		case ok && !person:
		case ok || stored[u]:
			people = append(people, u)
		case containsStr(sure, u):
			people, unread = append(people, u), append(unread, u)
		default:
			unsure = append(unsure, u)
		}
	}
	return people, unsure, unread, nil
}

// storedPeople are the workspace's people whose Slack profile Trellis
// has stored.
func (h *Handlers) storedPeople(ctx context.Context, ws string) (map[string]bool, error) {
	all, err := models.NewPeople(h.db).List(ctx, ws)
	if err != nil {
		return nil, fmt.Errorf("stored people: %w", err)
	}
	out := make(map[string]bool, len(all))
	for _, p := range all {
		if p.Name != "" || p.SlackTZ != "" {
			out[p.UserID] = true
		}
	}
	return out, nil
}

// syncChannel keeps a channel network's people its channel's people
// (members as Slack gave them now, sure as in sortMembers); members not
// known yet to be people (and the profiles of sure people not stored
// yet) are looked up after the ack, and the network synced again then.
func (h *Handlers) syncChannel(ctx context.Context, req *bot.Request, networkID int64, members map[string]bool, sure ...string) (peers.Synced, error) {
	people, unsure, unread, err := h.sortMembers(ctx, req.TeamID, members, sure...)
	if err != nil {
		return peers.Synced{}, err
	}
	s, err := h.store.SyncChannelPeople(ctx, req.TeamID, networkID, people, unsure)
	if err != nil {
		return peers.Synced{}, err
	}
	if learn := append(unsure, unread...); len(learn) > 0 {
		req.After(func(ctx context.Context) { h.learnMembers(ctx, req, networkID, learn) })
	}
	return s, nil
}

// learnMembers asks Slack, after the ack, what each of users is (a
// person's profile is stored; a bot or deactivated account is
// remembered), then syncs the network with its channel's members as
// Slack gives them now, and tells the runtime when its people changed.
func (h *Handlers) learnMembers(ctx context.Context, req *bot.Request, networkID int64, users []string) {
	ws := req.TeamID
	if req.Slack == nil {
		return
	}
	for _, u := range users {
		if _, ok := h.kinds.get(ws, u, h.clock.Now()); ok {
			continue
		}
		sctx, cancel := handlers.SlackCtx(ctx)
		info, err := req.Slack.GetUserInfoContext(sctx, u)
		cancel()
		if err != nil {
			h.log.WarnContext(ctx, "peer network: could not read a channel member", "workspace", ws, "user", u, "err", err)
			continue
		}
		person := !info.IsBot && !info.Deleted && !info.IsAppUser && info.ID != "USLACKBOT"
		if person {
			if _, err := models.NewPeople(h.db).SyncProfile(ctx, engine.PersonFromSlack(ws, info)); err != nil {
				h.log.WarnContext(ctx, "peer network: could not store a member's profile", "workspace", ws, "user", u, "err", err)
				continue
			}
		}
		h.kinds.put(ws, u, person, h.clock.Now())
	}
	n, err := h.store.Network(ctx, ws, networkID)
	if err != nil || n.Membership != peers.MembershipChannel {
		return
	}
	members, err := h.channelMembers(ctx, req, n.Channel)
	if err != nil {
		h.log.WarnContext(ctx, "peer network: could not read a channel's members", "workspace", ws, "channel", n.Channel, "err", err)
		return
	}
	people, unsure, _, err := h.sortMembers(ctx, ws, members)
	if err != nil {
		h.log.ErrorContext(ctx, "peer network: sorting a channel's members", "workspace", ws, "network", networkID, "err", err)
		return
	}
	s, err := h.store.SyncChannelPeople(ctx, ws, networkID, people, unsure)
	if err != nil {
		h.log.ErrorContext(ctx, "peer network: syncing with its channel", "workspace", ws, "network", networkID, "err", err)
		return
	}
	if len(s.Added)+len(s.Removed) > 0 && h.rt != nil {
		if err := h.rt.NetworkChanged(ctx, ws, networkID); err != nil {
			h.log.ErrorContext(ctx, "peer network changed: runtime", "workspace", ws, "network", networkID, "err", err)
		}
	}
}
