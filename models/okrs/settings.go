package okrs

import "time"

// NudgeCadence is how often a key result's owner is nudged to update it.
type NudgeCadence string

// The nudge cadences; "" follows the cycle (see Settings.CadenceFor).
const (
	NudgeFollowCycle NudgeCadence = ""
	NudgeWeekly      NudgeCadence = "weekly"
	NudgeBiweekly    NudgeCadence = "biweekly"
	NudgeOff         NudgeCadence = "off"
)

// Valid reports whether c is one of the cadences above.
func (c NudgeCadence) Valid() bool {
	switch c {
	case NudgeFollowCycle, NudgeWeekly, NudgeBiweekly, NudgeOff:
		return true
	}
	return false
}

// Defaults of Settings, where neither the team nor the workspace set one.
const (
	// DefaultCycleMonths is a new cycle's length in months.
	DefaultCycleMonths = 3
	// DefaultNudgeWeekday is the day nudges go out: Tuesday.
	DefaultNudgeWeekday = int(time.Tuesday)
	// NoWeekday is a NudgeWeekday that is not set.
	NoWeekday = -1
	// ShortCycleMonths is the longest cycle, in calendar months, whose
	// nudges are weekly when they follow the cycle: a cycle is short when
	// its End is not after EndAfterMonths(Start, ShortCycleMonths), so
	// 1 January to 28 February is short and 1 January to 1 March is not.
	ShortCycleMonths = 2
)

// Settings are the OKR settings of a workspace or of a team (a channel)
// that runs its own: the default length of its cycles, and when its key
// results' owners are nudged. Stored, a zero CycleMonths, a NudgeCadence
// of "" and a NudgeWeekday of NoWeekday mean "not set here": a team's
// falls back to the workspace's and that to the defaults. Read back
// (Store.Settings), every field is resolved, except that NudgeCadence ""
// still means "follow the cycle".
type Settings struct {
	// CycleMonths is the default length of a new cycle, MinCycleMonths to
	// MaxCycleMonths; 0 is not set.
	CycleMonths int
	// NudgeCadence is how often owners are nudged.
	NudgeCadence NudgeCadence
	// NudgeWeekday is the day of the week nudges go out, 0 (Sunday) to 6;
	// NoWeekday is not set.
	NudgeWeekday int
}

// Validate checks settings as stored: each field set to an allowed value
// or left unset. It returns nil or a *ValidationError listing every
// problem.
func (s Settings) Validate() error {
	var ps problems
	if s.CycleMonths != 0 && (s.CycleMonths < MinCycleMonths || s.CycleMonths > MaxCycleMonths) {
		ps.add(FieldCycleMonths, 0, "A cycle lasts %d to %d months.", MinCycleMonths, MaxCycleMonths)
	}
	if !s.NudgeCadence.Valid() {
		ps.add(FieldCadence, 0, "Nudge weekly, every two weeks, as the cycle suggests, or not at all.")
	}
	if s.NudgeWeekday < NoWeekday || s.NudgeWeekday > int(time.Saturday) {
		ps.add(FieldWeekday, 0, "Pick a day of the week for nudges.")
	}
	return ps.err()
}

// Over is s with every field it leaves unset taken from under: a team's
// settings over the workspace's, and those over DefaultSettings.
func (s Settings) Over(under Settings) Settings {
	if s.CycleMonths == 0 {
		s.CycleMonths = under.CycleMonths
	}
	if s.NudgeCadence == NudgeFollowCycle {
		s.NudgeCadence = under.NudgeCadence
	}
	if s.NudgeWeekday == NoWeekday {
		s.NudgeWeekday = under.NudgeWeekday
	}
	return s
}

// DefaultSettings are the settings where nobody set any: three-month
// cycles, nudges following the cycle, on Tuesdays.
func DefaultSettings() Settings {
	return Settings{CycleMonths: DefaultCycleMonths, NudgeCadence: NudgeFollowCycle, NudgeWeekday: DefaultNudgeWeekday}
}

// CadenceFor is how often owners of key results in c are nudged: the set
// cadence, or, following the cycle (or set to a cadence this package does
// not know), weekly for a cycle of up to ShortCycleMonths months and
// every two weeks for a longer one. It is the one rule of the nudges'
// default; jobs/okrs builds its intervals on it.
func (s Settings) CadenceFor(c Cycle) NudgeCadence {
	if s.NudgeCadence != NudgeFollowCycle && s.NudgeCadence.Valid() {
		return s.NudgeCadence
	}
	if c.End.After(EndAfterMonths(c.Start, ShortCycleMonths)) {
		return NudgeBiweekly
	}
	return NudgeWeekly
}

// NudgeState is what the nudges keep about one person: their own cadence,
// and how their last nudges went.
type NudgeState struct {
	// Cadence is the person's own choice; NudgeFollowCycle leaves it to
	// their team's or the workspace's settings.
	Cadence NudgeCadence
	// IgnoredInRow counts the nudges in a row with no update after them.
	IgnoredInRow int
	// Halved is set when nudges come half as often, after being ignored;
	// ToldHalved once the person was told so (they are told once).
	Halved, ToldHalved bool
	// LastNudgedAt is when the last nudge went, or zero for never.
	LastNudgedAt time.Time
}

// Validate checks a nudge state: a known cadence and a count that is not
// negative. It returns nil or a *ValidationError.
func (n NudgeState) Validate() error {
	var ps problems
	if !n.Cadence.Valid() {
		ps.add(FieldCadence, 0, "Nudge weekly, every two weeks, as the cycle suggests, or not at all.")
	}
	if n.IgnoredInRow < 0 {
		ps.add(FieldCadence, 0, "The count of ignored nudges can't be negative.")
	}
	return ps.err()
}
