package okrs

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models/okrs"
)

// at is an instant in UTC.
func at(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

// ptr is a pointer to t.
func ptr(t time.Time) *time.Time { return &t }

// stateText shows a State with its last nudge as a time, not a pointer.
func stateText(s State) string {
	last := "never"
	if s.LastNudgedAt != nil {
		last = s.LastNudgedAt.Format(time.RFC3339)
	}
	return fmt.Sprintf("{cadence %q ignored %d halved %v told %v last %s}", s.Cadence, s.IgnoredInRow, s.Halved, s.ToldHalved, last)
}

// sameState compares states by value.
func sameState(a, b State) bool {
	if (a.LastNudgedAt == nil) != (b.LastNudgedAt == nil) {
		return false
	}
	if a.LastNudgedAt != nil && !a.LastNudgedAt.Equal(*b.LastNudgedAt) {
		return false
	}
	a.LastNudgedAt, b.LastNudgedAt = nil, nil
	return reflect.DeepEqual(a, b)
}

// TestObserve is the state machine of a nudge written: each row is a
// state, whether the person updated since its last nudge, and the state
// after the nudge at t1.
func TestObserve(t *testing.T) {
	t0, t1 := at(2027, 3, 9, 10), at(2027, 3, 16, 10)
	tests := []struct {
		name    string
		s       State
		updated bool
		want    State
		tell    bool
	}{
		{"first nudge: nothing to judge", State{}, false,
			State{LastNudgedAt: &t1}, false},
		{"first nudge, updated before it: nothing to judge", State{}, true,
			State{LastNudgedAt: &t1}, false},
		{"one ignored", State{LastNudgedAt: &t0}, false,
			State{IgnoredInRow: 1, LastNudgedAt: &t1}, false},
		{"two ignored", State{IgnoredInRow: 1, LastNudgedAt: &t0}, false,
			State{IgnoredInRow: 2, LastNudgedAt: &t1}, false},
		{"the third ignored halves, and this nudge tells", State{IgnoredInRow: 2, LastNudgedAt: &t0}, false,
			State{IgnoredInRow: 3, Halved: true, LastNudgedAt: &t1}, true},
		{"still ignored after the telling nudge: told, not again", State{IgnoredInRow: 3, Halved: true, LastNudgedAt: &t0}, false,
			State{IgnoredInRow: 4, Halved: true, ToldHalved: true, LastNudgedAt: &t1}, false},
		{"an update resets the count", State{IgnoredInRow: 2, LastNudgedAt: &t0}, true,
			State{LastNudgedAt: &t1}, false},
		{"an update un-halves, and the telling is remembered", State{IgnoredInRow: 3, Halved: true, LastNudgedAt: &t0}, true,
			State{ToldHalved: true, LastNudgedAt: &t1}, false},
		{"halved again after being told once: not told again", State{IgnoredInRow: 2, ToldHalved: true, LastNudgedAt: &t0}, false,
			State{IgnoredInRow: 3, Halved: true, ToldHalved: true, LastNudgedAt: &t1}, false},
		{"the setting is kept", State{Cadence: SettingBiweekly, IgnoredInRow: 1, LastNudgedAt: &t0}, false,
			State{Cadence: SettingBiweekly, IgnoredInRow: 2, LastNudgedAt: &t1}, false},
		{"the same nudge again changes nothing", State{IgnoredInRow: 3, Halved: true, LastNudgedAt: &t1}, false,
			State{IgnoredInRow: 3, Halved: true, LastNudgedAt: &t1}, true},
		{"an older nudge changes nothing", State{IgnoredInRow: 1, LastNudgedAt: ptr(t1.Add(time.Hour))}, false,
			State{IgnoredInRow: 1, LastNudgedAt: ptr(t1.Add(time.Hour))}, false},
	}
	for _, tt := range tests {
		before := stateText(tt.s)
		got := Observe(tt.s, tt.updated, t1)
		if !sameState(got, tt.want) {
			t.Errorf("%s: Observe(%s, %v) = %s, want %s", tt.name, stateText(tt.s), tt.updated, stateText(got), stateText(tt.want))
		}
		if got.TellHalved() != tt.tell {
			t.Errorf("%s: TellHalved = %v, want %v", tt.name, got.TellHalved(), tt.tell)
		}
		// Observing the same nudge twice counts once.
		if again := Observe(got, tt.updated, t1); !sameState(again, got) {
			t.Errorf("%s: observed twice = %s, once = %s", tt.name, stateText(again), stateText(got))
		}
		// The input is not changed.
		if after := stateText(tt.s); after != before {
			t.Errorf("%s: the input changed from %s to %s", tt.name, before, after)
		}
	}
}

// TestUpdatedAndSetCadence are the other two transitions.
func TestUpdatedAndSetCadence(t *testing.T) {
	t0 := at(2027, 3, 9, 10)
	tests := []struct {
		name    string
		s       State
		setting *string
		want    State
	}{
		{"update of a fresh state", State{}, nil, State{}},
		{"update resets the count", State{IgnoredInRow: 2, LastNudgedAt: &t0}, nil, State{LastNudgedAt: &t0}},
		{"update un-halves; the telling is remembered", State{IgnoredInRow: 5, Halved: true, LastNudgedAt: &t0}, nil,
			State{ToldHalved: true, LastNudgedAt: &t0}},
		{"update keeps the setting", State{Cadence: SettingOff, IgnoredInRow: 1}, nil, State{Cadence: SettingOff}},
		{"a chosen cadence replaces the halving", State{IgnoredInRow: 3, Halved: true, LastNudgedAt: &t0}, ptr2(SettingWeekly),
			State{Cadence: SettingWeekly, ToldHalved: true, LastNudgedAt: &t0}},
		{"back to the default", State{Cadence: SettingOff}, ptr2(SettingDefault), State{}},
		{"off", State{IgnoredInRow: 1}, ptr2(SettingOff), State{Cadence: SettingOff}},
	}
	for _, tt := range tests {
		var got State
		if tt.setting == nil {
			got = Updated(tt.s)
		} else {
			got = SetCadence(tt.s, *tt.setting)
		}
		if !sameState(got, tt.want) {
			t.Errorf("%s: got %s, want %s", tt.name, stateText(got), stateText(tt.want))
		}
		if got.TellHalved() {
			t.Errorf("%s: a state that is not halved tells of halving", tt.name)
		}
		// Both may be applied any number of times.
		again := Updated(got)
		if tt.setting != nil {
			again = SetCadence(got, *tt.setting)
		}
		if !sameState(again, got) {
			t.Errorf("%s: twice = %s, once = %s", tt.name, stateText(again), stateText(got))
		}
	}
}

func ptr2(s string) *string { return &s }

// kr is a key result of cycle c, touched as given: created at created,
// and last checked in at last (zero: never).
func kr(id int64, c okrs.Cycle, created, last time.Time) KRStatus {
	k := KRStatus{
		KeyResult: okrs.KeyResult{ID: id, Owner: "U1", Title: fmt.Sprintf("KR %d", id), Kind: okrs.IncreaseTo, Start: 0, Target: 10},
		Objective: "Objective",
		Cycle:     c,
		Created:   created,
	}
	if !last.IsZero() {
		k.Current = okrs.Effective{HasValue: true, Value: 3, Confidence: okrs.OnTrack, Updates: 1, LastID: id * 100, LastAt: last}
	}
	return k
}

// ids are the key results' ids.
func ids(ks []KRStatus) []int64 {
	var out []int64
	for _, k := range ks {
		out = append(out, k.KeyResult.ID)
	}
	return out
}

func TestDecide(t *testing.T) {
	short := cycle(date(2027, 3, 1), date(2027, 4, 25)) // weekly
	long := cycle(date(2027, 1, 4), date(2027, 4, 25))  // every 2 weeks
	closed := cycle(date(2026, 10, 1), date(2026, 12, 31))
	next := cycle(date(2027, 5, 1), date(2027, 6, 30))
	now := at(2027, 3, 23, 10)
	week := 7 * 24 * time.Hour
	last := now.Add(-week)
	old := at(2027, 2, 20, 9) // before everything
	tests := []struct {
		name    string
		s       State
		p       Policy
		krs     []KRStatus
		send    bool
		stale   []int64
		reason  string // a part of it
		tell    bool
		halved  bool
		weeks   int
		next    State
		nextSet bool // next is checked (else: unchanged)
	}{
		{name: "nothing stale: skipped, named", s: State{LastNudgedAt: &last}, p: Policy{Cycle: short},
			krs:    []KRStatus{kr(1, short, old, now.Add(-2*24*time.Hour)), kr(2, short, old, now.Add(-time.Hour))},
			reason: "all your key results were set up or updated since your last nudge", weeks: 1,
			next: State{LastNudgedAt: &last}, nextSet: true},
		{name: "only the stale are listed, the oldest first", s: State{LastNudgedAt: &last}, p: Policy{Cycle: short},
			krs:  []KRStatus{kr(1, short, old, now.Add(-time.Hour)), kr(2, short, old, last.Add(-time.Hour)), kr(3, short, old, time.Time{})},
			send: true, stale: []int64{3, 2}, weeks: 1,
			next: State{LastNudgedAt: &now}, nextSet: true},
		{name: "an update exactly at the last nudge is not after it", s: State{LastNudgedAt: &last}, p: Policy{Cycle: short},
			krs:  []KRStatus{kr(1, short, old, last)},
			send: true, stale: []int64{1}, weeks: 1,
			next: State{IgnoredInRow: 1, LastNudgedAt: &now}, nextSet: true},
		{name: "after a skip, the last interval counts, not a nudge long ago", s: State{LastNudgedAt: ptr(now.Add(-2 * week))}, p: Policy{Cycle: short},
			krs:  []KRStatus{kr(1, short, old, now.Add(-10*24*time.Hour)), kr(2, short, old, now.Add(-2*24*time.Hour))},
			send: true, stale: []int64{1}, weeks: 1,
			next: State{LastNudgedAt: &now}, nextSet: true},
		{name: "no key results at all", s: State{LastNudgedAt: &last}, p: Policy{Cycle: short},
			reason: "you have no key results in an active cycle", weeks: 1},
		{name: "only closed and planned cycles", s: State{LastNudgedAt: &last}, p: Policy{Cycle: short},
			krs:    []KRStatus{kr(1, closed, old, time.Time{}), kr(2, next, old, time.Time{})},
			reason: "you have no key results in an active cycle", weeks: 1},
		{name: "stale ones of other cycles are left out", s: State{LastNudgedAt: &last}, p: Policy{Cycle: short},
			krs:  []KRStatus{kr(1, closed, old, time.Time{}), kr(2, short, old, time.Time{}), kr(3, next, old, time.Time{})},
			send: true, stale: []int64{2}, weeks: 1,
			next: State{IgnoredInRow: 1, LastNudgedAt: &now}, nextSet: true},
		{name: "the person turned nudges off", s: State{Cadence: SettingOff, LastNudgedAt: &last}, p: Policy{Cycle: short},
			krs:    []KRStatus{kr(1, short, old, time.Time{})},
			reason: "you turned OKR nudges off"},
		{name: "the team turned nudges off", s: State{LastNudgedAt: &last}, p: Policy{Cycle: short, TeamSetting: SettingOff},
			krs:    []KRStatus{kr(1, short, old, time.Time{})},
			reason: "your team turned OKR nudges off"},
		{name: "the person's weekly beats the team's off", s: State{Cadence: SettingWeekly, LastNudgedAt: &last}, p: Policy{Cycle: short, TeamSetting: SettingOff},
			krs:  []KRStatus{kr(1, short, old, time.Time{})},
			send: true, stale: []int64{1}, weeks: 1,
			next: State{Cadence: SettingWeekly, IgnoredInRow: 1, LastNudgedAt: &now}, nextSet: true},
		{name: "first nudge: fresh within the last interval", p: Policy{Cycle: short},
			krs:    []KRStatus{kr(1, short, now.Add(-3*24*time.Hour), time.Time{}), kr(2, short, old, now.Add(-6*24*time.Hour))},
			reason: "all your key results were set up or updated in the last week", weeks: 1,
			next: State{}, nextSet: true},
		{name: "first nudge: stale before the last interval", p: Policy{Cycle: short},
			krs:  []KRStatus{kr(1, short, now.Add(-3*24*time.Hour), time.Time{}), kr(2, short, old, now.Add(-8*24*time.Hour))},
			send: true, stale: []int64{2}, weeks: 1,
			next: State{LastNudgedAt: &now}, nextSet: true},
		{name: "first nudge of a long cycle: two weeks count", p: Policy{Cycle: long},
			krs:    []KRStatus{kr(1, long, old, now.Add(-13*24*time.Hour))},
			reason: "in the last 2 weeks", weeks: 2},
		{name: "the third ignored: halved, and too soon for the doubled interval", s: State{IgnoredInRow: 2, LastNudgedAt: &last}, p: Policy{Cycle: short},
			krs:    []KRStatus{kr(1, short, old, time.Time{})},
			reason: "your last nudge was 7 days ago; with no update after the last 3, nudges come every 2 weeks for now",
			halved: true, weeks: 2, next: State{IgnoredInRow: 2, LastNudgedAt: &last}, nextSet: true},
		{name: "halving: the doubled interval has passed, the nudge tells", s: State{IgnoredInRow: 2, LastNudgedAt: ptr(now.Add(-2 * week))}, p: Policy{Cycle: short},
			krs:  []KRStatus{kr(1, short, old, time.Time{})},
			send: true, stale: []int64{1}, tell: true, halved: true, weeks: 2,
			next: State{IgnoredInRow: 3, Halved: true, LastNudgedAt: &now}, nextSet: true},
		{name: "halved and told: not told again", s: State{IgnoredInRow: 3, Halved: true, LastNudgedAt: ptr(now.Add(-2 * week))}, p: Policy{Cycle: short},
			krs:  []KRStatus{kr(1, short, old, time.Time{})},
			send: true, stale: []int64{1}, halved: true, weeks: 2,
			next: State{IgnoredInRow: 4, Halved: true, ToldHalved: true, LastNudgedAt: &now}, nextSet: true},
		{name: "halved: an update brings the weekly cadence back", s: State{IgnoredInRow: 3, Halved: true, LastNudgedAt: &last}, p: Policy{Cycle: short},
			krs:  []KRStatus{kr(1, short, old, now.Add(-time.Hour)), kr(2, short, old, time.Time{})},
			send: true, stale: []int64{2}, weeks: 1,
			next: State{ToldHalved: true, LastNudgedAt: &now}, nextSet: true},
		{name: "halved: all updated, the reset is stored", s: State{IgnoredInRow: 3, Halved: true, LastNudgedAt: &last}, p: Policy{Cycle: short},
			krs:    []KRStatus{kr(1, short, old, now.Add(-time.Hour))},
			reason: "since your last nudge", weeks: 1,
			next: State{ToldHalved: true, LastNudgedAt: &last}, nextSet: true},
		{name: "a key result set up since counts as an update", s: State{IgnoredInRow: 2, LastNudgedAt: &last}, p: Policy{Cycle: short},
			krs:  []KRStatus{kr(1, short, old, time.Time{}), kr(2, next, now.Add(-time.Hour), time.Time{})},
			send: true, stale: []int64{1}, weeks: 1,
			next: State{LastNudgedAt: &now}, nextSet: true},
		{name: "too soon by a change of day", s: State{LastNudgedAt: ptr(now.Add(-3 * 24 * time.Hour))}, p: Policy{Cycle: short},
			krs:    []KRStatus{kr(1, short, old, time.Time{})},
			reason: "your last nudge was 3 days ago, and they come every week", weeks: 1},
		{name: "four days after is not too soon for weekly", s: State{LastNudgedAt: ptr(now.Add(-4 * 24 * time.Hour))}, p: Policy{Cycle: short},
			krs:  []KRStatus{kr(1, short, old, time.Time{})},
			send: true, stale: []int64{1}, weeks: 1,
			next: State{IgnoredInRow: 1, LastNudgedAt: &now}, nextSet: true},
		{name: "a later nudge already went", s: State{LastNudgedAt: ptr(now.Add(time.Hour))}, p: Policy{Cycle: short},
			krs:    []KRStatus{kr(1, short, old, time.Time{})},
			reason: "a later nudge has already gone out", weeks: 1},
		{name: "the same nudge written again: sent again, the same line", s: State{IgnoredInRow: 3, Halved: true, LastNudgedAt: &now}, p: Policy{Cycle: short},
			krs:  []KRStatus{kr(1, short, old, time.Time{})},
			send: true, stale: []int64{1}, tell: true, halved: true, weeks: 2,
			next: State{IgnoredInRow: 3, Halved: true, LastNudgedAt: &now}, nextSet: true},
	}
	for _, tt := range tests {
		d := Decide(now, tt.s, tt.p, tt.krs)
		if d.Send != tt.send {
			t.Errorf("%s: Send = %v (%q), want %v", tt.name, d.Send, d.Reason, tt.send)
		}
		if got := ids(d.Stale); tt.send && !reflect.DeepEqual(got, tt.stale) {
			t.Errorf("%s: Stale = %v, want %v", tt.name, got, tt.stale)
		}
		if d.Send && d.Reason != "" || !d.Send && (d.Reason == "" || len(d.Stale) > 0) {
			t.Errorf("%s: Send %v with reason %q and %d stale", tt.name, d.Send, d.Reason, len(d.Stale))
		}
		if !strings.Contains(d.Reason, tt.reason) {
			t.Errorf("%s: Reason = %q, want it to say %q", tt.name, d.Reason, tt.reason)
		}
		if d.TellHalved != tt.tell || d.Halved != tt.halved || d.Weeks != tt.weeks {
			t.Errorf("%s: TellHalved %v Halved %v Weeks %d, want %v %v %d", tt.name, d.TellHalved, d.Halved, d.Weeks, tt.tell, tt.halved, tt.weeks)
		}
		want := tt.s
		if tt.nextSet {
			want = tt.next
		}
		if !sameState(d.Next, want) {
			t.Errorf("%s: Next = %s, want %s", tt.name, stateText(d.Next), stateText(want))
		}
		// Deciding again with the stored state (the engine composing the
		// same occurrence again) sends the same, tells the same, and
		// stores the same.
		again := Decide(now, d.Next, tt.p, tt.krs)
		if d.Send && (!again.Send || !reflect.DeepEqual(ids(again.Stale), ids(d.Stale)) || again.TellHalved != d.TellHalved || !sameState(again.Next, d.Next)) {
			t.Errorf("%s: decided again: Send %v %v tell %v next %s; first: %v tell %v next %s", tt.name,
				again.Send, ids(again.Stale), again.TellHalved, stateText(again.Next), ids(d.Stale), d.TellHalved, stateText(d.Next))
		}
		if !d.Send && !sameState(again.Next, d.Next) {
			t.Errorf("%s: a skip decided again stores %s, first %s", tt.name, stateText(again.Next), stateText(d.Next))
		}
	}
}
