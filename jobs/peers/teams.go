package peers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

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

// SlackTeams is a TeamsFunc reading Slack with the workspace's client: a
// network's TeamSource "channels:C1,C2" makes each channel one team (its
// members, every page of them; a person in two channels is on both);
// "field:Team" reads each person's profile with its labels
// (users.profile.get with include_labels) and takes the value of the
// custom field whose label is that name, whatever its case. Only the
// network's users are labelled. One failed call leaves every team unknown
// for the round (the error), as TeamsFunc says.
func SlackTeams(clients func(ctx context.Context, ws string) (TeamsAPI, error)) TeamsFunc {
	return func(ctx context.Context, ws string, n peers.Network, users []string) (map[string][]string, error) {
		api, err := clients(ctx, ws)
		if err != nil {
			return nil, fmt.Errorf("teams: %w", err)
		}
		if field, ok := n.TeamField(); ok {
			return fieldTeams(ctx, api, field, users)
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

// fieldTeams labels each of users with the value of their profile's
// custom field labelled field (case-insensitive); a person without it, or
// with it empty, is on no known team.
func fieldTeams(ctx context.Context, api TeamsAPI, field string, users []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, u := range users {
		p, err := api.GetUserProfileContext(ctx, &slack.GetUserProfileParameters{UserID: u, IncludeLabels: true})
		if err != nil {
			return nil, fmt.Errorf("teams: profile of %s: %w", u, err)
		}
		for _, f := range p.Fields.ToMap() {
			if strings.EqualFold(strings.TrimSpace(f.Label), field) {
				if v := strings.ToLower(strings.TrimSpace(f.Value)); v != "" {
					out[u] = []string{v}
				}
				break
			}
		}
	}
	return out, nil
}
