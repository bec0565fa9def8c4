// Package peers holds peer networks: manager circles, intros (random 1:1s
// across teams) and learning pairs. It has the networks' types, their
// validation and who may change what, the matching of a round as pure
// functions, and the store.
//
// The matching (match*.go, circles*.go, learning*.go) is plain Go: no
// storage, no ORM, no clock. A round's groups are a pure function of the
// candidates (with their working windows inside the round, already computed
// in each person's zone by the caller), the history of who met whom, the
// constraints and a seed stored with the round, so a round can be explained
// and replayed, and property tests pin the rules down.
package peers
