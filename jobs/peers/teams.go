package peers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/kv"
	"github.com/trellis-bot/trellis/models/peers"
)

// TeamsAPI is the part of Slack's Web API that tells people's teams
// apart: team channels' members, and profiles with their custom fields.
// *slack.Client is one.
type TeamsAPI interface {
	GetUsersInConversationContext(ctx context.Context, params *slack.GetUsersInConversationParameters) ([]string, string, error)
	GetUserProfileContext(ctx context.Context, params *slack.GetUserProfileParameters) (*slack.UserProfile, error)
}

// teamPage is how many channel members one conversations.members call
// asks for.
const teamPage = 200

// Reading teams from a profile field costs one users.profile.get a
// person (Slack's tier 4, about 100 a minute a workspace): too slow to
// read a large network when its round opens. Each person's team is kept
// for TeamTTL, longer than the longest cadence (every 4 weeks) plus the
// read-ahead (WarmAhead), and the stepper reads the people not kept in
// small batches in the days before a round opens (Warm), so that the
// round finds every team kept; the round itself reads the rest for at
// most FieldBudget.
const (
	// TeamTTL is how long a person's team, read from their profile, is
	// trusted by default: 35 days. Teams rarely change, and a team kept
	// after it changed costs little: the matching only prefers mixing
	// teams, so a stale team only weakens that preference for one person
	// until it is read again.
	TeamTTL = 35 * 24 * time.Hour
	// FieldBudget bounds the profile reads of one round's opening by
	// default: the rest of the opening needs the stepper's time too.
	FieldBudget = 15 * time.Second
)

// TeamsOptions tunes SlackTeams. The zero value is usable.
type TeamsOptions struct {
	// Cache shares what profiles said across replicas; nil keeps it in
	// this process only. A failing Redis falls back to the latter.
	Cache *kv.Store
	// TTL is how long a person's team is trusted; TeamTTL when zero.
	TTL time.Duration
	// Budget bounds one call's profile reads; FieldBudget when zero.
	Budget time.Duration
	Clock  clock.Clock
	Logger *slog.Logger
}

// SlackTeams reads people's teams from Slack with the workspace's
// client. Its Teams is the service's TeamsFunc, its Warm its WarmFunc;
// both share one cache.
type SlackTeams struct {
	clients func(ctx context.Context, ws string) (TeamsAPI, error)
	r       *fieldReader
}

// NewSlackTeams returns a SlackTeams reading with the clients that
// clients gives per workspace.
func NewSlackTeams(clients func(ctx context.Context, ws string) (TeamsAPI, error), opts TeamsOptions) *SlackTeams {
	if opts.TTL <= 0 {
		opts.TTL = TeamTTL
	}
	if opts.Budget <= 0 {
		opts.Budget = FieldBudget
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &SlackTeams{clients: clients, r: &fieldReader{cache: newTeamCache(opts.Cache, opts.TTL, opts.Clock),
		budget: opts.Budget, clock: opts.Clock, log: opts.Logger.With("component", "peers")}}
}

// Teams is a TeamsFunc: a network's TeamSource "channels:C1,C2" makes
// each channel one team (its members, every page of them; a person in
// two channels is on both); "field:Team" reads each person's profile
// with its labels (users.profile.get with include_labels) and takes the
// value of the custom field whose label is that name, whatever its case.
// Only the network's users are labelled.
//
// A profile field's teams are kept for the TTL (per workspace, field and
// person) and only the people not kept are read, for at most the budget
// and at most half of what is left of ctx: when either runs out, or Slack
// answers 429, or a call fails, the call returns what it knows without an
// error, and the people not read are on no known team for this round (the
// matching only loses its preference for mixing them); Warm and the next
// round read on. For channels, one failed call leaves every team unknown
// for the round (the error), as TeamsFunc says.
func (t *SlackTeams) Teams(ctx context.Context, ws string, n peers.Network, users []string) (map[string][]string, error) {
	api, err := t.clients(ctx, ws)
	if err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	if field, ok := n.TeamField(); ok {
		return t.r.readTeams(ctx, api, ws, n.ID, field, users), nil
	}
	if chs := n.TeamChannels(); len(chs) > 0 {
		return channelTeams(ctx, api, chs, users)
	}
	return nil, nil
}

// Warm is a WarmFunc: for a network whose teams come from a profile
// field, it reads into the cache the teams of users that it would not
// know at at (not kept, or kept only until before then), in order, within
// b. It reports how many of users it still would not know then. For any
// other network it reads nothing and reports none missing: channels'
// members are read when the round opens, a few calls in all.
func (t *SlackTeams) Warm(ctx context.Context, ws string, n peers.Network, users []string, at time.Time, b *WarmBatch) (int, error) {
	field, ok := n.TeamField()
	if !ok {
		return 0, nil
	}
	missing := t.r.missing(ctx, ws, field, users, at)
	if len(missing) == 0 || b.done(t.r.clock.Now()) {
		return len(missing), nil
	}
	api, err := t.clients(ctx, ws)
	if err != nil {
		return len(missing), fmt.Errorf("teams: %w", err)
	}
	batch := missing[:min(len(missing), b.Profiles)]
	read, stop, stopErr := t.r.read(ctx, api, ws, field, batch, b.Until.Sub(t.r.clock.Now()))
	b.Profiles -= len(read)
	if stop == stopLimited || stop == stopFailed {
		b.Stopped = true
	}
	left := len(missing) - len(read)
	level := slog.LevelDebug
	if stop == stopFailed {
		level = slog.LevelWarn
	}
	t.r.log.Log(ctx, level, "peers: teams read ahead of the round", "workspace", ws, "network", n.ID,
		"read", len(read), "unread", left, "stopped", stop, "err", stopErr)
	return left, nil
}

// WarmBatch is what one run of the stepper may still read ahead in one
// workspace, over all its networks: reads stop when its profiles or its
// time run out, and for the rest of the run once Slack answered 429 or a
// call failed. Slack's limit is per workspace, so the batch is too.
type WarmBatch struct {
	// Profiles is how many profiles may still be read.
	Profiles int
	// Until is when reading stops, by the service's clock.
	Until time.Time
	// Stopped is set once Slack answered 429 or a call failed.
	Stopped bool
}

func (b *WarmBatch) done(now time.Time) bool {
	return b.Stopped || b.Profiles <= 0 || !now.Before(b.Until)
}

// channelTeams labels each of users with the channels of chs they are a
// member of.
func channelTeams(ctx context.Context, api TeamsAPI, chs []string, users []string) (map[string][]string, error) {
	want := map[string]bool{}
	for _, u := range users {
		want[u] = true
	}
	out := map[string][]string{}
	for _, ch := range chs {
		cursor := ""
		for {
			members, next, err := api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{
				ChannelID: ch, Cursor: cursor, Limit: teamPage})
			if err != nil {
				return nil, fmt.Errorf("teams: members of %s: %w", ch, err)
			}
			for _, m := range members {
				if want[m] && !slices.Contains(out[m], ch) {
					out[m] = append(out[m], ch)
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	return out, nil
}

// fieldReader reads people's teams from a profile field, through its
// cache.
type fieldReader struct {
	cache  *teamCache
	budget time.Duration
	clock  clock.Clock
	log    *slog.Logger
}

// Why read stopped before the end of its list.
const (
	stopTime    = "out of time"
	stopLimited = "rate limited"
	stopFailed  = "a call failed"
)

// readTeams labels each of users with the value of their profile's custom
// field labelled field (case-insensitive); a person without it, or with
// it empty, or not read in time, is on no known team.
func (r *fieldReader) readTeams(ctx context.Context, api TeamsAPI, ws string, network int64, field string, users []string) map[string][]string {
	known := r.cache.get(ctx, ws, field, users, r.clock.Now())
	var missing []string
	for _, u := range users {
		if _, ok := known[u]; !ok {
			missing = append(missing, u)
		}
	}
	read, stop, stopErr := r.read(ctx, api, ws, field, missing, r.budget)
	if stop != "" {
		r.log.WarnContext(ctx, "peers: some teams unknown for this round; later reads go on",
			"workspace", ws, "network", network, "reason", stop, "kept", len(known), "read", len(read),
			"unread", len(missing)-len(read), "err", stopErr)
	}
	out := map[string][]string{}
	for _, m := range []map[string]string{known, read} {
		for u, team := range m {
			if team != "" {
				out[u] = []string{team}
			}
		}
	}
	return out
}

// missing are those of users whose team the cache would not know at at.
func (r *fieldReader) missing(ctx context.Context, ws, field string, users []string, at time.Time) []string {
	known := r.cache.get(ctx, ws, field, users, at)
	var out []string
	for _, u := range users {
		if _, ok := known[u]; !ok {
			out = append(out, u)
		}
	}
	return out
}

// read reads the teams of users, in order, for at most budget and half of
// what is left of ctx, stopping at the first 429 or failed call (never
// waited out), and keeps what it read in the cache. It returns what it
// read, user → team ("" for none), and why it stopped early ("" when it
// read them all).
func (r *fieldReader) read(ctx context.Context, api TeamsAPI, ws, field string, users []string, budget time.Duration) (map[string]string, string, error) {
	read := map[string]string{}
	if len(users) == 0 {
		return read, "", nil
	}
	if dl, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(dl)/2)
	}
	if budget <= 0 {
		return read, stopTime, nil
	}
	rctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	// Kept even when the reads stop early: the next ones read on.
	defer func() { r.cache.put(context.WithoutCancel(ctx), ws, field, read) }()
	start := r.clock.Now()
	for _, u := range users {
		if r.clock.Now().Sub(start) >= budget || rctx.Err() != nil {
			return read, stopTime, nil
		}
		p, err := api.GetUserProfileContext(rctx, &slack.GetUserProfileParameters{UserID: u, IncludeLabels: true})
		var rl *slack.RateLimitedError
		var se slack.SlackErrorResponse
		switch {
		case err == nil:
			read[u] = profileTeam(p, field)
		case errors.As(err, &se) && se.Err == "user_not_found":
			// Gone from the workspace: on no team.
			read[u] = ""
		case errors.As(err, &rl):
			return read, stopLimited, err
		case rctx.Err() != nil:
			return read, stopTime, nil
		default:
			return read, stopFailed, err
		}
	}
	return read, "", nil
}

// profileTeam is the value of p's custom field labelled field
// (case-insensitive), trimmed and lower-cased, or "".
func profileTeam(p *slack.UserProfile, field string) string {
	if p == nil {
		return ""
	}
	for _, f := range p.Fields.ToMap() {
		if strings.EqualFold(strings.TrimSpace(f.Label), field) {
			return strings.ToLower(strings.TrimSpace(f.Value))
		}
	}
	return ""
}
