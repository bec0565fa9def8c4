package peers

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trellis-bot/trellis/models/calendar"
)

// NetworkKind is what a network does.
type NetworkKind string

// The kinds of network.
const (
	// KindCircles groups managers in standing circles of 4 to 7 that meet
	// on the network's cadence for a term.
	KindCircles NetworkKind = "circles"
	// KindIntros pairs (or groups by three) people across teams at random
	// every round.
	KindIntros NetworkKind = "intros"
	// KindLearning pairs a person who wants to learn a skill with one who
	// can teach it, for a term.
	KindLearning NetworkKind = "learning"
)

// Kinds lists every kind, in the order a form offers them.
func Kinds() []NetworkKind { return []NetworkKind{KindIntros, KindCircles, KindLearning} }

// ParseKind reads a kind as a person types it ("intros", "Circles",
// "learning pairs").
func ParseKind(s string) (NetworkKind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "circles", "circle", "manager circles":
		return KindCircles, nil
	case "intros", "intro", "introductions":
		return KindIntros, nil
	case "learning", "learning pairs":
		return KindLearning, nil
	}
	return "", fmt.Errorf("%w: %q is not a kind of network; use intros, circles or learning", ErrInvalid, s)
}

// Cadence is how often a network's rounds start (intros, learning
// follow-ups) or its circles meet.
type Cadence string

// The cadences.
const (
	CadenceWeekly      Cadence = "weekly"
	CadenceEvery2Weeks Cadence = "every 2 weeks"
	CadenceEvery4Weeks Cadence = "every 4 weeks"
)

// ParseCadence reads a cadence as a person types it: "weekly", "every 2
// weeks" ("biweekly" and "fortnightly" too), "every 4 weeks".
func ParseCadence(s string) (Cadence, error) {
	k := strings.Join(strings.Fields(strings.ToLower(s)), " ")
	switch k {
	case "weekly", "every week", "1 week", "every 1 week":
		return CadenceWeekly, nil
	case "every 2 weeks", "every two weeks", "biweekly", "bi-weekly", "fortnightly", "2 weeks":
		return CadenceEvery2Weeks, nil
	case "every 4 weeks", "every four weeks", "4 weeks", "four-weekly":
		return CadenceEvery4Weeks, nil
	}
	return "", fmt.Errorf("%w: %q is not a cadence; use weekly, every 2 weeks or every 4 weeks", ErrInvalid, s)
}

// Period is the number of days between two rounds, or 0 for an unknown
// cadence.
func (c Cadence) Period() int {
	switch c {
	case CadenceWeekly:
		return 7
	case CadenceEvery2Weeks:
		return 14
	case CadenceEvery4Weeks:
		return 28
	}
	return 0
}

// Membership says who is in a network.
type Membership string

// The memberships.
const (
	// MembershipChannel: the network channel's members, kept in sync, but
	// for those who left the network themselves.
	MembershipChannel Membership = "channel"
	// MembershipChosen: the people listed by its owner, and those who
	// joined themselves.
	MembershipChosen Membership = "chosen"
)

// Limits and defaults of a network.
const (
	// MaxNameLen is the longest network name, in characters.
	MaxNameLen = 80
	// DefaultCircleTermMonths and DefaultLearningTermMonths are how long
	// a circle and a learning pair last unless the network says.
	DefaultCircleTermMonths   = 6
	DefaultLearningTermMonths = 3
	// MaxTermMonths is the longest term.
	MaxTermMonths = 12
	// DefaultCircleMin and DefaultCircleMax bound a circle's size unless
	// the network says; MinCircleSize and MaxCircleSize bound what it may
	// say.
	DefaultCircleMin = 4
	DefaultCircleMax = 7
	MinCircleSize    = 3
	MaxCircleSize    = 10
	// DefaultCapacity is how many learners one teacher takes in a
	// learning network unless it says; MaxCapacity is the most.
	DefaultCapacity = 2
	MaxCapacity     = 5
)

// Network is a peer network: its kind, its channel and its settings.
// Settings that do not apply to its kind are zero.
type Network struct {
	ID   int64
	Kind NetworkKind
	// Name is unique in the workspace whatever its case.
	Name string
	// Channel is the network's Slack channel; ChannelTZ the IANA zone its
	// dates (Anchor, rounds' days) are read in.
	Channel    string
	ChannelTZ  string
	Membership Membership
	Cadence    Cadence
	// Weekday is the day a round starts or a circle meets, Monday to
	// Friday.
	Weekday time.Weekday
	// Anchor is the date the cadence counts from.
	Anchor calendar.Date
	// GroupSize is 2 or 3 (intros).
	GroupSize int
	// TeamSource says how people's teams are known (intros): "" (not
	// known), "field:<profile field name>" or "channels:C1,C2,…" (one
	// team per channel).
	TeamSource string
	// TermMonths is how long a circle or a learning pair lasts.
	TermMonths int
	// MinSize and MaxSize bound a circle's size (circles).
	MinSize, MaxSize int
	// Capacity is how many learners one teacher takes (learning).
	Capacity int
	// Paused networks start no round.
	Paused bool
	// Owner is the person who set the network up.
	Owner     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DefaultNetwork is a network of kind with every setting at its default:
// channel membership, every 2 weeks on Mondays, intros in pairs, circles
// of 4 to 7 for 6 months, learning pairs of up to 2 learners per teacher
// for 3 months. Name, Channel, ChannelTZ, Anchor and Owner are left to
// the caller.
func DefaultNetwork(kind NetworkKind) Network {
	n := Network{Kind: kind, Membership: MembershipChannel, Cadence: CadenceEvery2Weeks, Weekday: time.Monday}
	switch kind {
	case KindIntros:
		n.GroupSize = 2
	case KindCircles:
		n.TermMonths, n.MinSize, n.MaxSize = DefaultCircleTermMonths, DefaultCircleMin, DefaultCircleMax
	case KindLearning:
		n.TermMonths, n.Capacity = DefaultLearningTermMonths, DefaultCapacity
	}
	return n
}

// Location is the network channel's zone; UTC when it is unknown.
func (n Network) Location() *time.Location {
	if loc, err := time.LoadLocation(n.ChannelTZ); err == nil && n.ChannelTZ != "" {
		return loc
	}
	return time.UTC
}

// TeamField is the profile field naming people's teams, when TeamSource
// is "field:<name>".
func (n Network) TeamField() (string, bool) {
	f, ok := strings.CutPrefix(n.TeamSource, teamField)
	return strings.TrimSpace(f), ok
}

// TeamChannels are the channels whose members form one team each, when
// TeamSource is "channels:C1,C2,…".
func (n Network) TeamChannels() []string {
	list, ok := strings.CutPrefix(n.TeamSource, teamChannels)
	if !ok {
		return nil
	}
	var out []string
	for _, c := range strings.Split(list, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

const (
	teamField    = "field:"
	teamChannels = "channels:"
)

var channelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)

// normalized is n with its text trimmed and the settings its kind does
// not use zeroed, as it is stored.
func (n Network) normalized() Network {
	n.Name = strings.TrimSpace(n.Name)
	n.Channel = strings.TrimSpace(n.Channel)
	n.ChannelTZ = strings.TrimSpace(n.ChannelTZ)
	n.TeamSource = strings.TrimSpace(n.TeamSource)
	n.Owner = strings.TrimSpace(n.Owner)
	if n.Kind != KindIntros {
		n.GroupSize, n.TeamSource = 0, ""
	}
	if n.Kind == KindIntros {
		n.TermMonths = 0
	}
	if n.Kind != KindCircles {
		n.MinSize, n.MaxSize = 0, 0
	}
	if n.Kind != KindLearning {
		n.Capacity = 0
	}
	return n
}

// Validate checks every setting of a network for its kind. It returns nil
// or a *ValidationError listing every problem. Settings its kind does not
// use are not checked (the store zeroes them).
func (n Network) Validate() error {
	n = n.normalized()
	var ps problems
	switch n.Kind {
	case KindCircles, KindIntros, KindLearning:
	default:
		ps.add(FieldKind, 0, "Pick what the network does: intros, circles or learning pairs.")
	}
	switch c := utf8.RuneCountInString(n.Name); {
	case c == 0:
		ps.add(FieldName, 0, "Give the network a name, like “Engineering managers”.")
	case c > MaxNameLen:
		ps.add(FieldName, 0, "That name is %d characters long; keep it to %d.", c, MaxNameLen)
	case strings.ContainsAny(n.Name, "\r\n"):
		ps.add(FieldName, 0, "A name fits on one line.")
	}
	if !channelID.MatchString(n.Channel) {
		ps.add(FieldChannel, 0, "Pick the channel the network lives in.")
	}
	if n.ChannelTZ == "" {
		ps.add(FieldChannelTZ, 0, "Pick the time zone the network's days are counted in.")
	} else if _, err := time.LoadLocation(n.ChannelTZ); err != nil || strings.EqualFold(n.ChannelTZ, "local") {
		ps.add(FieldChannelTZ, 0, "“%s” is not a time zone I know; use a name like Europe/Paris.", n.ChannelTZ)
	}
	switch n.Membership {
	case MembershipChannel, MembershipChosen:
	default:
		ps.add(FieldMembership, 0, "Pick who is in the network: the channel's members, or people you list.")
	}
	if n.Cadence.Period() == 0 {
		ps.add(FieldCadence, 0, "Pick how often: weekly, every 2 weeks or every 4 weeks.")
	}
	if n.Weekday < time.Monday || n.Weekday > time.Friday {
		ps.add(FieldWeekday, 0, "Pick a weekday, Monday to Friday.")
	}
	if n.Anchor.IsZero() || n.Anchor.AddDays(0) != n.Anchor {
		ps.add(FieldAnchor, 0, "Pick the date the network starts from.")
	}
	switch n.Kind {
	case KindIntros:
		if n.GroupSize != 2 && n.GroupSize != 3 {
			ps.add(FieldGroupSize, 0, "Intros are in pairs or in groups of three.")
		}
		if err := checkTeamSource(n); err != "" {
			ps.add(FieldTeamSource, 0, "%s", err)
		}
	case KindCircles:
		if n.TermMonths < 1 || n.TermMonths > MaxTermMonths {
			ps.add(FieldTermMonths, 0, "A circle lasts 1 to %d months (%d is usual).", MaxTermMonths, DefaultCircleTermMonths)
		}
		if n.MinSize < MinCircleSize || n.MaxSize > MaxCircleSize || n.MinSize > n.MaxSize {
			ps.add(FieldSizes, 0, "A circle has between %d and %d people, the smallest size no more than the largest (%d to %d is usual).",
				MinCircleSize, MaxCircleSize, DefaultCircleMin, DefaultCircleMax)
		}
	case KindLearning:
		if n.TermMonths < 1 || n.TermMonths > MaxTermMonths {
			ps.add(FieldTermMonths, 0, "A learning pair lasts 1 to %d months (%d is usual).", MaxTermMonths, DefaultLearningTermMonths)
		}
		if n.Capacity < 1 || n.Capacity > MaxCapacity {
			ps.add(FieldCapacity, 0, "A teacher takes 1 to %d learners at a time (%d is usual).", MaxCapacity, DefaultCapacity)
		}
	}
	if n.Owner == "" {
		ps.add(FieldOwner, 0, "The network needs an owner.")
	}
	return ps.err()
}

// checkTeamSource says what is wrong with n's TeamSource, or "".
func checkTeamSource(n Network) string {
	switch {
	case n.TeamSource == "":
		return ""
	case strings.HasPrefix(n.TeamSource, teamField):
		f, _ := n.TeamField()
		if f == "" || utf8.RuneCountInString(f) > MaxNameLen || strings.ContainsAny(f, "\r\n") {
			return "Name the profile field that holds people's teams, like “Team”."
		}
		return ""
	case strings.HasPrefix(n.TeamSource, teamChannels):
		chs := n.TeamChannels()
		if len(chs) == 0 {
			return "List the team channels, one team each."
		}
		for _, c := range chs {
			if !channelID.MatchString(c) {
				return "List the team channels, one team each."
			}
		}
		return ""
	}
	return "Teams come from a profile field or from team channels."
}
