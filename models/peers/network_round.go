package peers

import (
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

// RoundKind says whether a round is an intros or learning round or a
// circles term.
type RoundKind string

// The kinds of round.
const (
	RoundRound RoundKind = "round"
	RoundTerm  RoundKind = "term"
)

// RoundKindOf is the kind of round a network of kind k has: terms for
// circles, rounds otherwise.
func RoundKindOf(k NetworkKind) RoundKind {
	if k == KindCircles {
		return RoundTerm
	}
	return RoundRound
}

// Round is one round of a network (or a circles term): its number, its
// days in the network's zone and the seed its matching used.
type Round struct {
	ID        int64
	NetworkID int64
	Kind      RoundKind
	// Number counts the network's rounds (of Kind) from 1.
	Number   int
	StartsOn calendar.Date
	EndsOn   calendar.Date
	// Seed is what the matching's randomness started from, so the round
	// can be replayed.
	Seed      int64
	CreatedAt time.Time
}

// GroupKind is what a round's group is.
type GroupKind string

// The kinds of group.
const (
	GroupPair     GroupKind = "pair"
	GroupTriple   GroupKind = "triple"
	GroupCircle   GroupKind = "circle"
	GroupLearning GroupKind = "learning"
)

// Outcome is how a group's meeting went, as any of its members said.
type Outcome string

// The outcomes.
const (
	OutcomeNone    Outcome = ""
	OutcomeMet     Outcome = "met"
	OutcomeNotYet  Outcome = "not_yet"
	OutcomeCouldnt Outcome = "couldnt"
)

// MemberRole is a member's role in a learning pair.
type MemberRole string

// The roles; RoleNone for everyone but learning pairs.
const (
	RoleNone    MemberRole = ""
	RoleTeacher MemberRole = "teacher"
	RoleLearner MemberRole = "learner"
)

// GroupMember is one person of a group.
type GroupMember struct {
	User string
	Role MemberRole
}

// RoundGroup is one group a round made: a pair, a triple, a circle or a
// learning pair.
type RoundGroup struct {
	ID        int64
	RoundID   int64
	NetworkID int64
	Kind      GroupKind
	// Skill is what a learning pair is about.
	Skill string
	// Shared are the spans the members' working windows share in the
	// round, for suggesting times.
	Shared []Interval
	// Conversation is the group DM's channel id, once opened.
	Conversation string
	Outcome      Outcome
	// Asked counts the times the follow-up was asked.
	Asked int
	// EndedOn is the day a learning pair or a circle ended early (zero:
	// it did not).
	EndedOn   calendar.Date
	Members   []GroupMember
	CreatedAt time.Time
}

// Users are the group's members' ids, in order.
func (g RoundGroup) Users() []string {
	out := make([]string, len(g.Members))
	for i, m := range g.Members {
		out[i] = m.User
	}
	return out
}

// Has reports whether user is a member of g.
func (g RoundGroup) Has(user string) bool {
	for _, m := range g.Members {
		if m.User == user {
			return true
		}
	}
	return false
}

// RoundUnmatched is a person a round left out, and why (the matching's
// reason code), so they are told.
type RoundUnmatched struct {
	User   string
	Reason string
	// Priority, when saving, gives the person priority in the next round.
	Priority bool
}
