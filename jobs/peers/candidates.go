package peers

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// population is what the matching of one round of a network reads: its
// candidates, with their windows inside [from, to), and who they are.
type population struct {
	candidates []peers.Candidate
	// people are the candidates' stored profiles (missing: Trellis knows
	// nothing of them yet, so they have no windows).
	people map[string]models.Person
	// participants are the network's active participants by user.
	participants map[string]peers.Participant
	// away is the candidates' time off from the day before from.
	away map[string][]models.AwayPeriod
}

// population builds the candidates of network n for a round that runs
// over [from, to), asked at now: every participant who has not left,
// with their working windows in the span by the delivery time rules
// (zone, hours, holidays, time off; WorkingWindows), their teams, their
// private avoid lists, whether they are paused on day (the day the round
// opens, in the network's zone: a pause that has begun by then keeps
// them out of the whole round, however soon it ends) and their priority. A person Trellis
// has no profile of has no windows, and so is told they share no hours
// rather than being guessed at.
func (s *Service) population(ctx context.Context, ws string, n peers.Network, from, to time.Time, day calendar.Date, now time.Time) (population, error) {
	parts, err := s.store.Participants(ctx, ws, n.ID)
	if err != nil {
		return population{}, fmt.Errorf("read participants: %w", err)
	}
	pop := population{participants: map[string]peers.Participant{}}
	var users []string
	for _, p := range parts {
		if p.Left {
			continue
		}
		pop.participants[p.User] = p
		users = append(users, p.User)
	}
	slices.Sort(users)
	if len(users) == 0 {
		return pop, nil
	}
	workspace, err := s.wss.Get(ctx, ws)
	if err != nil {
		return population{}, fmt.Errorf("read workspace: %w", err)
	}
	firstDay := calendar.DateOf(from.UTC()).AddDays(-1)
	people, away, err := s.ppl.GetMany(ctx, ws, users, firstDay)
	if err != nil {
		return population{}, fmt.Errorf("read people: %w", err)
	}
	pop.people, pop.away = people, away
	hols, err := s.wss.Holidays(ctx, ws, firstDay, calendar.DateOf(to.UTC()).AddDays(1))
	if err != nil {
		return population{}, fmt.Errorf("read holidays: %w", err)
	}
	avoid, err := s.store.AvoidPairs(ctx, ws, users)
	if err != nil {
		return population{}, fmt.Errorf("read avoid lists: %w", err)
	}
	var teams map[string][]string
	if s.teams != nil && n.TeamSource != "" {
		if teams, err = s.teams(ctx, ws, n, users); err != nil {
			// Teams only steer the matching towards mixing: without them
			// the round is still matched, on every other rule.
			s.log.WarnContext(ctx, "peers: teams unknown for this round", "network", n.ID, "err", err)
			teams = nil
		}
	}
	for _, u := range users {
		p := pop.participants[u]
		c := peers.Candidate{ID: u, Teams: teams[u], Avoid: avoid[u], Priority: p.Priority, Paused: p.PausedOn(day)}
		if person, ok := people[u]; ok {
			rec := engine.RecipientView(person, workspace, away[u], hols)
			c.Windows = WorkingWindows(rec, from, to, now)
			c.Away = len(c.Windows) == 0 && awayThroughout(away[u], from, to, person.Location())
		}
		pop.candidates = append(pop.candidates, c)
	}
	return pop, nil
}

// awayThroughout reports whether time off covers every local date of
// [from, to) in loc.
func awayThroughout(periods []models.AwayPeriod, from, to time.Time, loc *time.Location) bool {
	if len(periods) == 0 {
		return false
	}
	last := calendar.DateOf(to.Add(-time.Nanosecond).In(loc))
	for d := calendar.DateOf(from.In(loc)); !d.After(last); d = d.AddDays(1) {
		covered := false
		for _, a := range periods {
			if !d.Before(a.First) && !d.After(a.Last) {
				covered = true
				break
			}
		}
		if !covered {
			return false
		}
	}
	return true
}
