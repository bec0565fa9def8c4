package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/jobs/engine"
	jobpeers "github.com/trellis-bot/trellis/jobs/peers"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// The sandbox's peer networks (seedSandboxPeers). Their days are counted
// in London, Ada's zone; Ada, the workspace admin, owns them.
const (
	demoIntros    = "Coffee intros"
	demoCircle    = "Managers' circle"
	demoLearning  = "Learning pairs"
	demoPeersZone = "Europe/London"
)

// demoJordanHours are Jordan's working hours in the sandbox: he starts
// early in Los Angeles, so his day meets the afternoons of London and São
// Paulo, and #managers (Ada, Carlos, Jordan) shares 14:00–17:30 London
// time on every weekday, whatever the season. With everyone on the
// default hours, no three demo people share half an hour in winter unless
// Noor (Berlin, on vacation) is one of them, and the intros of the five
// others would leave someone out — Ada, as likely as anyone.
var demoJordanHours = calendar.WorkingHours{Days: calendar.MonFri, Start: 6 * 60, End: 14*60 + 30}

// demoSkills are what two demo people teach and learn in the learning
// network: Ravi teaches SQL, Mei wants to learn it, and they share
// Kolkata's morning, so they make a pair.
var demoSkills = map[string]string{
	slacksim.DemoRavi: "teach: sql; learn: none",
	slacksim.DemoMei:  "teach: none; learn: sql",
}

// sandboxSlack is what seeding the networks reads from the emulator: the
// demo people's profiles and the channels' members.
type sandboxSlack interface {
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
	GetUsersInConversationContext(ctx context.Context, params *slack.GetUsersInConversationParameters) ([]string, string, error)
}

// roundAnchor is the first day of a network's first round that contains
// today: today on a weekday, else the Friday before, so that the stepper
// opens the round at its first tick.
func roundAnchor(today calendar.Date) calendar.Date {
	switch today.Weekday() {
	case time.Saturday:
		return today.AddDays(-1)
	case time.Sunday:
		return today.AddDays(-2)
	}
	return today
}

// sessionAnchor is the first day of a circles network whose first session
// is as soon as can be: today on a weekday, else the Monday after (a
// session is held on its day only).
func sessionAnchor(today calendar.Date) calendar.Date {
	switch today.Weekday() {
	case time.Saturday:
		return today.AddDays(2)
	case time.Sunday:
		return today.AddDays(1)
	}
	return today
}

// seedSandboxPeers gives the sandbox's workspace (team) peer networks
// whose first messages come within the sandbox's first working hours:
//
//   - "Coffee intros", weekly in #team (its members), its first round
//     starting today (the Friday before on a weekend); Noor, on vacation,
//     has paused herself through that round, so the five others make one
//     pair and one group of three, Ada always in one.
//   - "Managers' circle", every two weeks in #managers (Ada, Carlos,
//     Jordan), circles of 3 to 7, its first term and session today (the
//     Monday after on a weekend).
//   - "Learning pairs", every two weeks in #team, Ravi teaching SQL and
//     Mei learning it.
//
// Jordan's working hours are set to 06:00–14:30 when he has none of his
// own (demoJordanHours). The stepper opens the rounds, the term and the
// session at its next tick. It is idempotent: a workspace with any
// network (seeded before, or made by someone trying the sandbox) is left
// as it is. Everything stored is one transaction.
func seedSandboxPeers(ctx context.Context, db *models.DB, svc *jobpeers.Service, api sandboxSlack, team, bot string, now time.Time) error {
	store := svc.Store()
	existing, err := store.Networks(ctx, team)
	if err != nil {
		return fmt.Errorf("sandbox peer networks: %w", err)
	}
	if len(existing) > 0 {
		return nil
	}
	ppl := models.NewPeople(db)
	demo := []string{slacksim.DemoAda, slacksim.DemoRavi, slacksim.DemoMei, slacksim.DemoCarlos, slacksim.DemoJordan, slacksim.DemoNoor}
	people, err := learnPeople(ctx, ppl, api, team, demo)
	if err != nil {
		return fmt.Errorf("sandbox peer networks: %w", err)
	}
	teamMembers, err := channelPeople(ctx, api, slacksim.DemoTeam, bot)
	if err != nil {
		return fmt.Errorf("sandbox peer networks: %w", err)
	}
	managers, err := channelPeople(ctx, api, slacksim.DemoManagers, bot)
	if err != nil {
		return fmt.Errorf("sandbox peer networks: %w", err)
	}

	loc, err := time.LoadLocation(demoPeersZone)
	if err != nil {
		return fmt.Errorf("sandbox peer networks: %w", err)
	}
	today := calendar.DateOf(now.In(loc))
	rounds, sessions := roundAnchor(today), sessionAnchor(today)
	base := func(kind peers.NetworkKind, name, channel string, anchor calendar.Date) peers.Network {
		n := peers.DefaultNetwork(kind)
		n.Name, n.Channel, n.ChannelTZ, n.Owner = name, channel, demoPeersZone, slacksim.DemoAda
		n.Anchor, n.Weekday = anchor, anchor.Weekday()
		return n
	}
	intros := base(peers.KindIntros, demoIntros, slacksim.DemoTeam, rounds)
	intros.Cadence = peers.CadenceWeekly
	circle := base(peers.KindCircles, demoCircle, slacksim.DemoManagers, sessions)
	circle.MinSize = peers.MinCircleSize
	learning := base(peers.KindLearning, demoLearning, slacksim.DemoTeam, rounds)

	var created []int64
	err = db.Tx(ctx, func(ctx context.Context) error {
		add := func(n peers.Network, members []string) (peers.Network, error) {
			if len(members) == 0 {
				return peers.Network{}, nil // the channel is gone: no network
			}
			saved, err := store.CreateNetwork(ctx, team, n)
			if err != nil {
				return peers.Network{}, err
			}
			if _, err := store.SyncChannelMembers(ctx, team, saved.ID, members); err != nil {
				return peers.Network{}, err
			}
			created = append(created, saved.ID)
			return saved, nil
		}
		in, err := add(intros, teamMembers)
		if err != nil {
			return err
		}
		// Noor, away in Slack, paused herself through the first round
		// (and to her return, should that be later): a group with her
		// could meet only once she is back.
		if noor, ok := people[slacksim.DemoNoor]; ok && in.ID != 0 && slices.Contains(teamMembers, noor.UserID) {
			if away, until := calendar.StatusAway(noor.Status, now); away {
				last := peers.RoundLast(in.Anchor, in.Cadence.Period(), 0)
				if back := calendar.DateOf(until.In(loc)); !until.IsZero() && back.After(last) {
					last = back
				}
				if err := store.PauseSelf(ctx, team, in.ID, noor.UserID, last); err != nil {
					return err
				}
			}
		}
		if _, err := add(circle, managers); err != nil {
			return err
		}
		ln, err := add(learning, teamMembers)
		if err != nil {
			return err
		}
		for user, skills := range demoSkills {
			if ln.ID == 0 || !slices.Contains(teamMembers, user) {
				continue
			}
			sk, err := peers.ParseSkills(skills)
			if err != nil {
				return err
			}
			if err := store.SetSkills(ctx, team, ln.ID, user, sk.String()); err != nil {
				return err
			}
		}
		if jordan, ok := people[slacksim.DemoJordan]; ok && jordan.Hours == nil {
			h := demoJordanHours
			if err := ppl.SetHours(ctx, team, jordan.UserID, &h); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sandbox peer networks: %w", err)
	}
	for _, id := range created {
		if err := svc.NetworkChanged(ctx, team, id); err != nil {
			return fmt.Errorf("sandbox peer networks: %w", err)
		}
	}
	return nil
}

// learnPeople returns the stored profiles of users, reading from Slack
// and storing those Trellis does not know yet, so that the first round
// sees everyone's zone. A person Slack does not know is left out.
func learnPeople(ctx context.Context, ppl *models.People, api sandboxSlack, team string, users []string) (map[string]models.Person, error) {
	out := map[string]models.Person{}
	for _, u := range users {
		p, err := ppl.Get(ctx, team, u)
		if errors.Is(err, models.ErrNotFound) {
			su, uerr := api.GetUserInfoContext(ctx, u)
			if uerr != nil {
				continue
			}
			p, err = ppl.SyncProfile(ctx, engine.PersonFromSlack(team, su))
		}
		if err != nil {
			return nil, err
		}
		out[u] = p
	}
	return out, nil
}

// channelPeople are the people of a demo channel as Slack says now: its
// members but Trellis (bot) and Slackbot. A channel Slack does not know
// has none.
func channelPeople(ctx context.Context, api sandboxSlack, channel, bot string) ([]string, error) {
	var out []string
	params := &slack.GetUsersInConversationParameters{ChannelID: channel, Limit: 200}
	for {
		page, cursor, err := api.GetUsersInConversationContext(ctx, params)
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && se.Err == "channel_not_found" {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("members of %s: %w", channel, err)
		}
		for _, id := range page {
			if id != bot && id != "USLACKBOT" {
				out = append(out, id)
			}
		}
		if cursor == "" {
			return out, nil
		}
		params.Cursor = cursor
	}
}
