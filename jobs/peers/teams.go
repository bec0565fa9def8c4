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
// read a large network at each round. Each person's team is kept for
// TeamTTL, and one call reads for at most FieldBudget.
const (
	// TeamTTL is how long a person's team, read from their profile, is
	// trusted by default.
	TeamTTL = 24 * time.Hour
	// FieldBudget bounds the profile reads of one call by default: the
	// rest of the round opening needs the stepper's time too.
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

// SlackTeams is a TeamsFunc reading Slack with the workspace's client: a
// network's TeamSource "channels:C1,C2" makes each channel one team (its
// members, every page of them; a person in two channels is on both);
// "field:Team" reads each person's profile with its labels
// (users.profile.get with include_labels) and takes the value of the
// custom field whose label is that name, whatever its case. Only the
// network's users are labelled.
//
// A profile field's teams are kept for the TTL (per workspace, field and
// person) and only the people not kept are read, for at most the budget
// and at most half of what is left of ctx: when either runs out, or Slack
// answers 429, or a call fails, the call returns what it knows without an
// error, and the people not read are on no known team for this round (the
// matching only loses its preference for mixing them); the next round
// reads on. For channels, one failed call leaves every team unknown for
// the round (the error), as TeamsFunc says.
func SlackTeams(clients func(ctx context.Context, ws string) (TeamsAPI, error), opts TeamsOptions) TeamsFunc {
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
	r := &fieldReader{cache: newTeamCache(opts.Cache, opts.TTL, opts.Clock), budget: opts.Budget,
		clock: opts.Clock, log: opts.Logger.With("component", "peers")}
	return func(ctx context.Context, ws string, n peers.Network, users []string) (map[string][]string, error) {
		api, err := clients(ctx, ws)
		if err != nil {
			return nil, fmt.Errorf("teams: %w", err)
		}
		if field, ok := n.TeamField(); ok {
			return r.readTeams(ctx, api, ws, n.ID, field, users), nil
		}
		if chs := n.TeamChannels(); len(chs) > 0 {
			return channelTeams(ctx, api, chs, users)
		}
		return nil, nil
	}
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

// readTeams labels each of users with the value of their profile's custom
// field labelled field (case-insensitive); a person without it, or with
// it empty, or not read in time, is on no known team.
func (r *fieldReader) readTeams(ctx context.Context, api TeamsAPI, ws string, network int64, field string, users []string) map[string][]string {
	known := r.cache.get(ctx, ws, field, users)
	var missing []string
	for _, u := range users {
		if _, ok := known[u]; !ok {
			missing = append(missing, u)
		}
	}
	read := map[string]string{}
	stop := ""
	var stopErr error
	if len(missing) > 0 {
		budget := r.budget
		if dl, ok := ctx.Deadline(); ok {
			budget = min(budget, time.Until(dl)/2)
		}
		rctx, cancel := context.WithTimeout(ctx, budget)
		defer cancel()
		start := r.clock.Now()
		for _, u := range missing {
			if r.clock.Now().Sub(start) >= budget || rctx.Err() != nil {
				stop = "out of time"
				break
			}
			p, err := api.GetUserProfileContext(rctx, &slack.GetUserProfileParameters{UserID: u, IncludeLabels: true})
			var rl *slack.RateLimitedError
			var se slack.SlackErrorResponse
			switch {
			case err == nil:
				read[u] = profileTeam(p, field)
				continue
			case errors.As(err, &se) && se.Err == "user_not_found":
				// Gone from the workspace: on no team.
				read[u] = ""
				continue
			case errors.As(err, &rl):
				stop, stopErr = "rate limited", err
			case rctx.Err() != nil:
				stop = "out of time"
			default:
				stop, stopErr = "a call failed", err
			}
			break // what was read is kept below

		}
		// Kept even when the call ends here: the next round reads on.
		r.cache.put(context.WithoutCancel(ctx), ws, field, read)
	}
	if stop != "" {
		r.log.WarnContext(ctx, "peers: some teams unknown for this round; later rounds read on",
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
