package peers

import (
	"time"
)

// Default constraints of an intros round, used when MatchInput leaves them
// zero: working hours must overlap by at least DefaultMinOverlap on at least
// DefaultMinDays days of the round.
const (
	DefaultMinOverlap = 30 * time.Minute
	DefaultMinDays    = 2
)

// MatchInput is everything an intros round's matching depends on. Match is
// a pure function of it: the same input gives the same groups, whatever the
// order of Candidates, History, or of the labels inside a candidate.
type MatchInput struct {
	// Candidates are the round's participants, away and paused people
	// included (they are reported, never matched). IDs should be distinct;
	// copies of one ID are merged into one person (see Match).
	Candidates []Candidate
	// History is who met whom in earlier rounds, in any order.
	History []Met
	// GroupSize is 3 for groups of three; anything else means pairs.
	GroupSize int
	// MinOverlap is the least shared working time that counts as a day
	// both (or all three) can meet; 0 means DefaultMinOverlap.
	MinOverlap time.Duration
	// MinDays is the least number of such days in the round; 0 means
	// DefaultMinDays.
	MinDays int
	// Seed drives every random choice; store it with the round to replay it.
	Seed int64
}

// Group is one intro: two people, or three.
type Group struct {
	// Members are the people's IDs, sorted.
	Members []string
	// Shared are the spans of at least MinOverlap in which every member is
	// working, in time order: SharedSpans(MinOverlap, members' windows...).
	Shared []Interval
	// Repeat is true when some two members met in an earlier round.
	Repeat bool
	// SameTeam is true when some two members share a team.
	SameTeam bool
}

// UnmatchedReason says why a person has no group this round. A reason
// never depends on anyone's private Avoid list: with or without the lists,
// a person who is left out is told the same thing.
type UnmatchedReason int

// The reasons a person can be left without a group.
const (
	// NoPartner: the person could take part but no group could be made
	// for them this round (numbers, shared hours, or who was free). They
	// are matched first next round.
	NoPartner UnmatchedReason = iota
	// NoOverlap: nobody else taking part this round shares enough working
	// hours with them (hours alone decide it). They are matched first next
	// round.
	NoOverlap
	// Away: they are away for the whole round.
	Away
	// Paused: they paused intros for this round.
	Paused
)

// String is the reason's stable name, for logs and storage.
func (r UnmatchedReason) String() string {
	switch r {
	case NoOverlap:
		return "no_overlap"
	case Away:
		return "away"
	case Paused:
		return "paused"
	default:
		return "no_partner"
	}
}

// Text is the reason as the person reads it: kind, blaming nobody, and
// saying they come first next round where that is true.
func (r UnmatchedReason) Text() string {
	switch r {
	case NoOverlap:
		return "This round nobody else taking part shares enough of your working hours " +
			"(at least half an hour on two days) for a chat, so you don't have an intro this time. " +
			"You'll be first in line next round; more working days or hours in your settings widen the choice."
	case Away:
		return "You're away for this round, so we left you out of the intros. You'll be included again when you're back."
	case Paused:
		return "You've paused intros for this round, so we left you out. Resume them whenever you like."
	default:
		return "This round we couldn't put together an intro for you: the numbers and the shared working hours didn't work out. " +
			"It's nothing you did. You'll be first in line next round."
	}
}

// Unmatched is a person without a group this round, with the reason they
// are told.
type Unmatched struct {
	ID     string
	Reason UnmatchedReason
}

// MatchResult is a round's outcome: every candidate is in exactly one group
// or in Unmatched. Groups are sorted by their first member, Unmatched by ID.
type MatchResult struct {
	Groups    []Group
	Unmatched []Unmatched
}

// Match makes a round of intros. The hard rules always hold for every
// group: nobody away or paused, nobody with the other on their Avoid list
// (either way), and every two members — for a group of three, all three —
// share at least MinDays spans of at least MinOverlap of working time.
// Within them it prefers, in this order, each only among the choices best
// for the ones before it:
//
//  1. nobody left out: as many people placed as it can find, Priority
//     people first (they are placed first, and one who is left out takes
//     the place of a non-priority person wherever that leaves nobody else
//     out). A person left out is placed by restructuring groups whenever
//     that places them and keeps everyone else placed, even at the cost
//     of a repeat: for every person left out with NoPartner, no
//     restructuring breaking up at most two groups would place them, as
//     long as the searches' bounded work allows, which only rounds of
//     thousands with hundreds nobody can place use up (see
//     match_restructure.go);
//  2. new partners: people who never met; a repeat only when no new
//     partner can be found, and then the partner met longest ago;
//  3. different teams.
//
// With pairs and an odd number, one person joins a pair (one group of
// three at most). With GroupSize 3 it makes groups of three, and pairs for
// the remainder (one pair when the count leaves 2, two when it leaves 1).
//
// "No repeat before exhaustion" is promised as local optimality: for every
// repeat pair {A, B} of the result there is no person C eligible with A
// and new to A, unmatched (but able to take part) or in any group, such
// that exchanging B and C — B taking C's place in C's group,
// or B left out in C's place when C was unmatched, which is only done if B
// is not Priority or C is — keeps every hard rule and raises the number of
// new pairs. In practice repeats appear only once people have met nearly
// everyone they share hours with (see docs/peers.md).
//
// Copies of one ID are merged: away, paused or priority if any copy is,
// Teams and Avoid united, Windows the times all copies share.
func Match(in MatchInput) MatchResult {
	m := newMatcher(in)
	m.run()
	return m.result()
}
