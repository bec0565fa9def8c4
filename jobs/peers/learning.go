package peers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// Learning pairs: on each round date, the learners who want a skill and
// have no active pair in it are matched (MatchLearning). A round's pairs
// last a term (n.TermMonths from the round's first day): the stored
// round's EndsOn is the term's last day, so the active pairs are the
// groups of rounds not yet over and not ended early. Opening a round is
// one transaction: the round with a learning group per pair, the pair's
// intro group DM, a check-in DM to both every two weeks of the term and
// a closing DM to both on its last day.

// checkinEvery is the days between two check-ins of a learning pair.
const checkinEvery = 14

// closingGrace is how many days after a pair's last day its closing DM
// may still go, when that day was not a working day.
const closingGrace = 7

// checkinHour is the local hour of a learning pair's personal DMs.
const checkinHour = 10

// The check-in's buttons; their value is the pair's group id. The
// handler calls Service.LearningCheckin with the answer.
const (
	ActionLearningWell   = "peers:learning_well"
	ActionLearningNotMet = "peers:learning_not_met"
	ActionLearningEnd    = "peers:learning_end"
)

// LearningAnswer is an answer to a learning pair's check-in.
type LearningAnswer string

// The answers.
const (
	LearningWell   LearningAnswer = "well"
	LearningNotMet LearningAnswer = "not_met"
	LearningEnd    LearningAnswer = "end"
)

// stepLearning opens a learning network's round when it is due, and
// returns when it next has work. A round is known by its first day: the
// schedule's round containing today opens when it starts after the last
// stored round's first day (pairs last a term, so rounds overlap), stored
// as the round after it; an edited cadence or weekday takes effect at its
// next round start.
func (s *Service) stepLearning(ctx context.Context, ws string, n peers.Network, now time.Time) (time.Time, error) {
	period := n.Cadence.Period()
	if period <= 0 || n.TermMonths <= 0 {
		return time.Time{}, nil
	}
	day := today(n, now)
	r, ok := peers.RoundOn(n.Anchor, period, day)
	if !ok {
		return dayStart(n, n.Anchor), nil
	}
	next := dayStart(n, peers.RoundStart(n.Anchor, period, r+1))
	start := peers.RoundStart(n.Anchor, period, r)
	latest, has, err := s.store.LatestRound(ctx, ws, n.ID, peers.RoundRound)
	if err != nil {
		return time.Time{}, err
	}
	if has && !start.After(latest.StartsOn) {
		return next, nil
	}
	number := 1
	if has {
		number = latest.Number + 1
	}
	if err := s.openLearning(ctx, ws, n, start, peers.RoundLast(n.Anchor, period, r), number, now); err != nil {
		return time.Time{}, err
	}
	return next, nil
}

// pairsState is what a learning network's earlier rounds say.
type pairsState struct {
	// teaching counts the active pairs each person teaches in.
	teaching map[string]int
	// learning holds, per learner, the skills they have an active pair in.
	learning map[string]map[string]bool
	history  []peers.LearningMet
	// learned holds everyone who was ever a learner in the network.
	learned map[string]bool
}

// pairs reads every earlier round of a learning network.
func (s *Service) pairs(ctx context.Context, ws string, n peers.Network, day calendar.Date) (pairsState, error) {
	st := pairsState{teaching: map[string]int{}, learning: map[string]map[string]bool{}, learned: map[string]bool{}}
	latest, ok, err := s.store.LatestRound(ctx, ws, n.ID, peers.RoundRound)
	if err != nil || !ok {
		return st, err
	}
	for num := latest.Number; num >= 1; num-- {
		r, err := s.store.RoundByNumber(ctx, ws, n.ID, peers.RoundRound, num)
		if errors.Is(err, models.ErrNotFound) {
			continue
		}
		if err != nil {
			return st, err
		}
		gs, err := s.store.Groups(ctx, ws, r.ID)
		if err != nil {
			return st, err
		}
		for _, g := range gs {
			active := !day.After(r.EndsOn) && (g.EndedOn.IsZero() || g.EndedOn.After(day))
			teacher := ""
			for _, m := range g.Members {
				if m.Role == peers.RoleTeacher {
					teacher = m.User
				}
			}
			for _, m := range g.Members {
				if m.Role != peers.RoleLearner {
					continue
				}
				st.learned[m.User] = true
				st.history = append(st.history, peers.LearningMet{Learner: m.User, Teacher: teacher, Skill: g.Skill, Round: r.Number})
				if active {
					if st.learning[m.User] == nil {
						st.learning[m.User] = map[string]bool{}
					}
					st.learning[m.User][g.Skill] = true
				}
			}
			if active && teacher != "" {
				st.teaching[teacher]++
			}
		}
	}
	return st, nil
}

// pairEnd is the last day of pairs formed in a round starting on start.
func pairEnd(n peers.Network, start calendar.Date) calendar.Date {
	return peers.TermStart(start, n.TermMonths, 1).AddDays(-1)
}

// openLearning matches the round of a learning network whose matching
// runs from start to last, stored as number, and stores it with its
// messages, in one transaction.
func (s *Service) openLearning(ctx context.Context, ws string, n peers.Network, start, last calendar.Date, number int, now time.Time) error {
	from, to := dayStart(n, start), dayStart(n, last.AddDays(1))
	pop, err := s.population(ctx, ws, n, from, to, openingDay(n, start, now), now)
	if err != nil {
		return err
	}
	st, err := s.pairs(ctx, ws, n, start)
	if err != nil {
		return err
	}
	var cands []peers.LearningCandidate
	for _, c := range pop.candidates {
		p := pop.participants[c.ID]
		// Someone who never set skills has none: neither to teach nor
		// to learn.
		var sk peers.Skills
		var err error
		if p.Skills != "" {
			sk, err = peers.ParseSkills(p.Skills)
		}
		if err != nil {
			// Stored skills were read when they were set; a text this
			// build cannot read counts as none rather than stopping
			// everyone's round.
			s.log.WarnContext(ctx, "peers: unreadable skills", "network", n.ID, "err", err)
			sk = peers.Skills{}
		}
		var learn []peers.Skill
		for _, k := range sk.Learn {
			if !st.learning[c.ID][k.Name] {
				learn = append(learn, k)
			}
		}
		sk.Learn = learn
		capacity := p.Capacity
		if capacity == 0 {
			capacity = n.Capacity
		}
		// Learners never paired yet go first: one who had a pair, even
		// one ended early, waits behind them.
		if len(sk.Learn) > 0 && !st.learned[c.ID] {
			c.Priority = true
		}
		cands = append(cands, peers.LearningCandidate{Candidate: c, Skills: sk, Capacity: capacity, Current: st.teaching[c.ID]})
	}
	seed, err := randomSeed()
	if err != nil {
		return err
	}
	res := peers.MatchLearning(peers.LearningInput{Candidates: cands, History: st.history, Seed: seed})
	// A person is in one group of a round: a teacher matched twice, or
	// someone both learning and teaching, keeps their first pair and the
	// rest wait for the next round.
	taken := map[string]bool{}
	var groups []peers.RoundGroup
	for _, p := range res.Pairs {
		if taken[p.Learner] || taken[p.Teacher] {
			continue
		}
		taken[p.Learner], taken[p.Teacher] = true, true
		groups = append(groups, peers.RoundGroup{Kind: peers.GroupLearning, Skill: p.Skill, Shared: p.Shared,
			Members: []peers.GroupMember{{User: p.Teacher, Role: peers.RoleTeacher}, {User: p.Learner, Role: peers.RoleLearner}}})
	}
	end := pairEnd(n, start)
	return s.db.Tx(ctx, func(ctx context.Context) error {
		round, created, err := s.store.SaveRound(ctx, ws, peers.Round{NetworkID: n.ID, Kind: peers.RoundRound, Number: number,
			StartsOn: start, EndsOn: end, Seed: seed}, groups, nil)
		if err != nil || !created {
			return err
		}
		saved, err := s.store.Groups(ctx, ws, round.ID)
		if err != nil {
			return err
		}
		key := ScheduleKey(n.ID)
		for _, g := range saved {
			to, err := engine.GroupRecipient(g.Users()...)
			if err != nil {
				return fmt.Errorf("learning pair %d: %w", g.ID, err)
			}
			if _, err := s.eng.PlanOnce(ctx, ws, key, learningIntro{GroupID: g.ID}, to, firstShared(g.Shared, from, now)); err != nil {
				return err
			}
			for _, u := range g.Users() {
				loc := pop.people[u].Location()
				for i := 1; ; i++ {
					on := start.AddDays(i * checkinEvery)
					if !on.Before(end) {
						break
					}
					if _, err := s.eng.PlanOnce(ctx, ws, key, learningCheckin{GroupID: g.ID, N: i}, u, localAt(on, checkinHour, loc)); err != nil {
						return err
					}
				}
				if _, err := s.eng.PlanOnce(ctx, ws, key, learningClosing{GroupID: g.ID}, u, localAt(end, checkinHour, loc)); err != nil {
					return err
				}
			}
		}
		s.log.InfoContext(ctx, "peers: learning round opened", "network", n.ID, "round", round.Number, "pairs", len(saved))
		return nil
	})
}

// LearningCheckin records user's answer to a learning pair's check-in:
// user must be in the pair (the payload's group id is checked against
// the stored group, else peers.ErrNotAllowed). "end" ends the pair
// today: its later check-ins are skipped when their turn comes.
func (s *Service) LearningCheckin(ctx context.Context, ws string, groupID int64, user string, answer LearningAnswer) error {
	g, err := s.store.Group(ctx, ws, groupID)
	if err != nil {
		return fmt.Errorf("learning check-in: %w", err)
	}
	if g.Kind != peers.GroupLearning || !g.Has(user) {
		return fmt.Errorf("learning check-in: %w", peers.ErrNotAllowed)
	}
	n, err := s.store.Network(ctx, ws, g.NetworkID)
	if err != nil {
		return fmt.Errorf("learning check-in: %w", err)
	}
	switch answer {
	case LearningWell:
		err = s.store.SetOutcome(ctx, ws, g.ID, user, peers.OutcomeMet)
	case LearningNotMet:
		err = s.store.SetOutcome(ctx, ws, g.ID, user, peers.OutcomeNotYet)
	case LearningEnd:
		if !g.EndedOn.IsZero() {
			return nil
		}
		err = s.store.EndGroup(ctx, ws, g.ID, today(n, s.clock.Now()), user, false)
	default:
		return fmt.Errorf("learning check-in: %w: answer well, not met or end, not %q", peers.ErrInvalid, answer)
	}
	if err != nil {
		return fmt.Errorf("learning check-in: %w", err)
	}
	return nil
}

// pairState reads a learning pair for a composer at the occurrence's
// nominal instant, skipping when it is stale: the network deleted or
// paused, the pair ended early or its term over, or the recipient left.
func (s *Service) pairState(ctx context.Context, c engine.Context, groupID int64, allowLastDay bool) (peers.Network, peers.RoundGroup, peers.Round, error) {
	ws := c.Occurrence.WorkspaceID
	n, g, err := s.circleState(ctx, ws, groupID)
	if err != nil {
		return n, g, peers.Round{}, err
	}
	r, err := s.store.Round(ctx, ws, g.RoundID)
	if err != nil {
		return n, g, r, err
	}
	day := today(n, s.clock.Now())
	if !g.EndedOn.IsZero() {
		return n, g, r, engine.Skip("the learning pair was ended")
	}
	lastDay := r.EndsOn.AddDays(-1)
	if allowLastDay {
		// The closing DM may wait for a working day a little after.
		lastDay = r.EndsOn.AddDays(closingGrace)
	}
	if day.After(lastDay) {
		return n, g, r, engine.Skip("the learning pair's term is over")
	}
	for _, u := range g.Users() {
		if err := s.stillMember(ctx, ws, n, u); err != nil {
			return n, g, r, engine.Skip("someone of the pair left the peer network")
		}
	}
	return n, g, r, nil
}

// learningIntro is a new learning pair's group DM.
type learningIntro struct {
	GroupID int64 `json:"group"`
}

func (learningIntro) OneOffKind() string  { return "learning_intro" }
func (learningIntro) OneOffVersion() int  { return 1 }
func (m learningIntro) OneOffKey() string { return strconv.FormatInt(m.GroupID, 10) }
func (m learningIntro) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	n, g, r, err := s.pairState(ctx, c, m.GroupID, false)
	if err != nil {
		return engine.Message{}, err
	}
	return learningIntroMessage(n, g, r, c.Members), nil
}

// learningCheckin is the N-th fortnightly check-in DM to one of a pair.
type learningCheckin struct {
	GroupID int64 `json:"group"`
	N       int   `json:"n"`
}

func (learningCheckin) OneOffKind() string { return "learning_checkin" }
func (learningCheckin) OneOffVersion() int { return 1 }
func (m learningCheckin) OneOffKey() string {
	return strconv.FormatInt(m.GroupID, 10) + ":" + strconv.Itoa(m.N)
}
func (m learningCheckin) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	n, g, _, err := s.pairState(ctx, c, m.GroupID, false)
	if err != nil {
		return engine.Message{}, err
	}
	return learningCheckinMessage(n, g, recipientOf(c)), nil
}

// learningClosing is the DM to each of a pair on its term's last day.
type learningClosing struct {
	GroupID int64 `json:"group"`
}

func (learningClosing) OneOffKind() string  { return "learning_closing" }
func (learningClosing) OneOffVersion() int  { return 1 }
func (m learningClosing) OneOffKey() string { return strconv.FormatInt(m.GroupID, 10) }
func (m learningClosing) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	n, g, _, err := s.pairState(ctx, c, m.GroupID, true)
	if err != nil {
		return engine.Message{}, err
	}
	return learningClosingMessage(n, g, recipientOf(c)), nil
}
