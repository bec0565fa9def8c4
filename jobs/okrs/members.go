package okrs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/models/okrs"
)

// Who a DM may show an objective to. A nudge and a review DM show the
// recipient's key results with their objectives' titles; a team-only
// objective (okrs.VisibleTeam) is shown only to the members of its
// channel as Slack says now, so a key result owner outside the channel —
// never in it, or who left — is neither told about it nor nudged for it.
// When Slack cannot be asked, the objective is hidden, never shown.

// MembersFunc reads a channel's members as Slack says now: every user id
// in it (conversations.members, every page), in the workspace teamID.
type MembersFunc func(ctx context.Context, teamID, channel string) ([]string, error)

// MemberLister is what reading a channel's members needs of a Slack
// client; *slack.Client has it.
type MemberLister interface {
	GetUsersInConversationContext(ctx context.Context, params *slack.GetUsersInConversationParameters) ([]string, string, error)
}

// membersTimeout bounds one read of a channel's members, every page.
const membersTimeout = 10 * time.Second

// membersPages bounds the pages of one read: 200 members a page.
const membersPages = 500

// SlackMembers is the MembersFunc that asks Slack, through the client
// clients gives for the workspace.
func SlackMembers(clients func(ctx context.Context, teamID string) (MemberLister, error)) MembersFunc {
	return func(ctx context.Context, teamID, channel string) ([]string, error) {
		ctx, cancel := context.WithTimeout(ctx, membersTimeout)
		defer cancel()
		api, err := clients(ctx, teamID)
		if err != nil {
			return nil, fmt.Errorf("members of %s: %w", channel, err)
		}
		var ids []string
		params := &slack.GetUsersInConversationParameters{ChannelID: channel, Limit: 200}
		for range membersPages {
			page, cursor, err := api.GetUsersInConversationContext(ctx, params)
			if err != nil {
				return nil, fmt.Errorf("members of %s: %w", channel, err)
			}
			ids = append(ids, page...)
			if cursor == "" {
				return ids, nil
			}
			params.Cursor = cursor
		}
		return nil, fmt.Errorf("members of %s: more than %d pages", channel, membersPages)
	}
}

// memberListAge is how long a channel's member list read from Slack is
// trusted: a nudge day reads each team channel about once, not once per
// key result owner.
const memberListAge = time.Minute

// memberList is a channel's members as read in full from Slack.
type memberList struct {
	ids    map[string]bool
	readAt time.Time
}

// membership answers, from lists at most memberListAge old, whether a
// person is in a channel. It is safe for concurrent use.
type membership struct {
	read  MembersFunc
	clock clock.Clock

	mu    sync.Mutex
	lists map[string]memberList
}

// errNoMembers is the answer of a membership with no way to ask Slack.
var errNoMembers = errors.New("no way to read a channel's members")

// in reports whether user is in channel by its member list as Slack gave
// it at most memberListAge ago. When Slack cannot be asked the answer is
// an error, never a yes. Lists past their age are dropped as others are
// kept, so the lists kept are only the last minute's.
func (m *membership) in(ctx context.Context, ws, channel, user string) (bool, error) {
	if channel == "" || user == "" {
		return false, nil
	}
	if m.read == nil {
		return false, errNoMembers
	}
	key := ws + "/" + channel
	now := m.clock.Now()
	fresh := func(l memberList) bool { return now.Sub(l.readAt) < memberListAge && !now.Before(l.readAt) }
	m.mu.Lock()
	l, ok := m.lists[key]
	m.mu.Unlock()
	if ok && fresh(l) {
		return l.ids[user], nil
	}
	ids, err := m.read(ctx, ws, channel)
	if err != nil {
		return false, err
	}
	l = memberList{ids: make(map[string]bool, len(ids)), readAt: now}
	for _, id := range ids {
		l.ids[id] = true
	}
	m.mu.Lock()
	for k, old := range m.lists {
		if !fresh(old) {
			delete(m.lists, k)
		}
	}
	m.lists[key] = l
	m.mu.Unlock()
	return l.ids[user], nil
}

// reader decides, for one DM to one person, which objectives it may
// show: every objective visible to the workspace, and a team-only one
// only while the person is in its channel. Each channel is asked about
// once per reader; one Slack could not be asked about hides its
// objectives, and unknown counts such channels.
type reader struct {
	m       *membership
	log     *slog.Logger
	ws      string
	person  string
	known   map[string]bool
	unknown int
}

// readerOf is the reader of a DM to person in ws.
func (s *Service) readerOf(ws, person string) *reader {
	return &reader{m: s.members, log: s.log, ws: ws, person: person, known: map[string]bool{}}
}

// sees reports whether the reader may be shown o.
func (r *reader) sees(ctx context.Context, o okrs.Objective) bool {
	if o.Visibility != okrs.VisibleTeam {
		return true
	}
	if in, ok := r.known[o.Team]; ok {
		return in
	}
	in, err := r.m.in(ctx, r.ws, o.Team, r.person)
	if err != nil {
		r.log.WarnContext(ctx, "could not read a channel's members; its team-only objectives are left out of the DM",
			"channel", o.Team, "person", r.person, "err", err)
		r.unknown++
		in = false
	}
	r.known[o.Team] = in
	return in
}
