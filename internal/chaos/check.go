// Package chaos is Trellis's process-level chaos suite: it builds the real
// binary, runs the Slack emulator and several `trellis serve` replicas as
// processes against one Postgres and one Redis (each replica through TCP
// proxies the suite controls), drives people through the emulator's control
// API while it kills, stalls and cuts off replicas, and then checks what the
// people got against what the database says. See docs/testing.md.
//
// This file holds the checks: pure functions over what a run observed, so
// that each one is tested on its own against made-up offenders.
package chaos

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Interval is a span of real time, From included, To excluded.
type Interval struct {
	From, To time.Time
}

// Contains reports whether t lies in the interval.
func (iv Interval) Contains(t time.Time) bool { return !t.Before(iv.From) && t.Before(iv.To) }

// Person is one recipient of the workload: their zone, the working windows
// that fall in the run (absolute instants, in order) and their daily budget.
type Person struct {
	ID      string
	Loc     *time.Location
	Windows []Interval
	Budget  int
}

// windowAt returns the first window that ends after t, and whether there is
// one.
func (p Person) windowAt(t time.Time) (Interval, bool) {
	for _, w := range p.Windows {
		if w.To.After(t) {
			return w, true
		}
	}
	return Interval{}, false
}

// inWindow reports whether t lies in one of the person's windows.
func (p Person) inWindow(t time.Time) bool {
	for _, w := range p.Windows {
		if w.Contains(t) {
			return true
		}
	}
	return false
}

// Message is one proactive DM the emulator holds: who got it, when Slack
// stored it and the occurrence ids its metadata names.
type Message struct {
	Person      string
	Channel, TS string
	At          time.Time
	Occurrences []int64
}

// Post is one message in a check-in's channel and the check-in posts (and
// parts of them) its metadata says it carries, as "post/part".
type Post struct {
	Channel, TS string
	Parts       []string
}

// Occurrence is one row of the occurrences table, as read after the run.
type Occurrence struct {
	ID         int64
	Cadence    string
	Recipient  string
	Nominal    time.Time
	DeliverAt  time.Time // zero when none
	Status     string
	Reason     string
	LeaseUntil time.Time // zero unless claimed
	SentAt     time.Time // zero until delivered
	TS         string    // the receipt's ts
}

// Ack is an answer the emulator saw acknowledged: a person's submission
// for a round that the bot accepted.
type Ack struct {
	Person string
	Round  int64
	At     time.Time
}

// AnswerKey names one person's answer to one round.
type AnswerKey struct {
	Person string
	Round  int64
}

// Observed is everything one run saw, read after the faults stopped and
// the replicas had time to settle.
type Observed struct {
	People      map[string]Person
	Messages    []Message
	Posts       []Post
	Occurrences []Occurrence
	Acks        []Ack
	// Stored says, per acknowledged (person, round), whether the
	// database holds the person's answer to the round.
	Stored map[AnswerKey]bool
	// Outages are the spans in which no replica could deliver a given
	// occurrence: every replica cut from Postgres, or the replica holding
	// it stalled or partitioned. Kills are not outages: other replicas run.
	Outages []Interval
	// CheckedAt is when the run was read.
	CheckedAt time.Time
}

// Report is the outcome of every check: each list names its offenders,
// one line each. A passing run has every list empty.
type Report struct {
	Duplicates    []string // an occurrence, or a channel post's part, in more than one message
	OutsideWindow []string // a message outside its person's working window
	OverBudget    []string // more messages in a local day than the budget
	LostAnswers   []string // an acknowledged answer not stored
	FalseReasons  []string // a status or reason the DMs or the rules contradict
	Stuck         []string // a lease long run out, an occurrence long due still open
	Undelivered   []string // due with an open window for over a minute after faults, not sent within that minute

	// Open lists the occurrences not settled when the run was read, for
	// the record: waiting for a later window is not a failure.
	Open    []string
	Figures Figures
}

// Figures are what a run measured.
type Figures struct {
	Occurrences int
	Messages    int
	Delivered   int
	ByStatus    map[string]int
	Acks        int
	// Lateness is sent minus due (the nominal instant, or the opening of
	// the window it waited for), over delivered occurrences.
	LatenessP50, LatenessP90, LatenessP99, LatenessMax time.Duration
}

// Failed reports whether any check found an offender.
func (r Report) Failed() bool {
	for _, l := range r.lists() {
		if len(l.items) > 0 {
			return true
		}
	}
	return false
}

type namedList struct {
	name  string
	items []string
}

func (r Report) lists() []namedList {
	return []namedList{
		{"duplicates", r.Duplicates},
		{"messages outside the window", r.OutsideWindow},
		{"people over their daily budget", r.OverBudget},
		{"acknowledged answers lost", r.LostAnswers},
		{"untrue statuses or reasons", r.FalseReasons},
		{"stuck", r.Stuck},
		{"due with an open window, not delivered within a minute", r.Undelivered},
	}
}

// String prints the counts, the figures and every offender.
func (r Report) String() string {
	var b strings.Builder
	f := r.Figures
	fmt.Fprintf(&b, "occurrences %d (%s), messages %d, delivered %d, acknowledged answers %d\n",
		f.Occurrences, statusCounts(f.ByStatus), f.Messages, f.Delivered, f.Acks)
	fmt.Fprintf(&b, "lateness p50 %v p90 %v p99 %v max %v\n", f.LatenessP50, f.LatenessP90, f.LatenessP99, f.LatenessMax)
	for _, l := range append(r.lists(), namedList{"open when read (not a failure)", r.Open}) {
		fmt.Fprintf(&b, "%s: %d\n", l.name, len(l.items))
		for _, it := range l.items {
			fmt.Fprintf(&b, "  %s\n", it)
		}
	}
	return b.String()
}

func statusCounts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// repeated names, in key order, each key found in more than one message.
func repeated[K cmp.Ordered](what string, where map[K][]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(where)) {
		if ms := where[k]; len(ms) > 1 {
			out = append(out, fmt.Sprintf(what+" in %d messages: %s", k, len(ms), strings.Join(ms, ", ")))
		}
	}
	return out
}

// Slack timing the checks allow for.
const (
	// OpenFor is how long a window must stay open after its occurrence
	// was due (and after any outage) for the occurrence to have to be
	// delivered.
	OpenFor = time.Minute
	// tickSlack covers the engine's tick running at the start of a
	// minute, on top of OpenFor.
	tickSlack = 15 * time.Second
	// stuckAfter is how long past its lease or due instant an occurrence
	// may still be open before it counts as stuck.
	stuckAfter = 2 * time.Minute
)

// final statuses.
var final = map[string]bool{"delivered": true, "superseded": true, "skipped": true, "missed": true}

// budgetReason is how the attention policy words a deferral for budget.
const budgetReason = "daily budget of"

// Check runs every check over what a run observed.
func Check(o Observed) Report {
	r := Report{Figures: Figures{Occurrences: len(o.Occurrences), Messages: len(o.Messages), Acks: len(o.Acks), ByStatus: map[string]int{}}}

	// Which messages carry each occurrence, and each part of a post.
	carriers := map[int64][]Message{}
	occWhere := map[int64][]string{}
	for _, m := range o.Messages {
		for _, id := range m.Occurrences {
			carriers[id] = append(carriers[id], m)
			occWhere[id] = append(occWhere[id], m.Channel+"/"+m.TS)
		}
	}
	postWhere := map[string][]string{}
	for _, p := range o.Posts {
		for _, part := range p.Parts {
			postWhere[part] = append(postWhere[part], p.Channel+"/"+p.TS)
		}
	}
	r.Duplicates = append(repeated("occurrence %v", occWhere), repeated("check-in post %v", postWhere)...)

	// Windows and budgets, message by message.
	perDay := map[string][]Message{}
	for _, m := range o.Messages {
		p, ok := o.People[m.Person]
		if !ok {
			continue
		}
		if !p.inWindow(m.At) {
			r.OutsideWindow = append(r.OutsideWindow, fmt.Sprintf("%s got %s at %s (local %s), outside %s",
				m.Person, m.TS, m.At.UTC().Format(time.TimeOnly), m.At.In(p.Loc).Format("15:04:05"), windowList(p)))
		}
		key := m.Person + " " + m.At.In(p.Loc).Format(time.DateOnly)
		perDay[key] = append(perDay[key], m)
	}
	days := slices.Sorted(maps.Keys(perDay))
	for _, k := range days {
		ms := perDay[k]
		p := o.People[ms[0].Person]
		if p.Budget > 0 && len(ms) > p.Budget {
			var ts []string
			for _, m := range ms {
				ts = append(ts, m.TS)
			}
			r.OverBudget = append(r.OverBudget, fmt.Sprintf("%s: %d messages on %s, budget %d: %s", p.ID, len(ms), strings.Fields(k)[1], p.Budget, strings.Join(ts, ", ")))
		}
	}

	// Acknowledged answers.
	for _, a := range o.Acks {
		if !o.Stored[AnswerKey{a.Person, a.Round}] {
			r.LostAnswers = append(r.LostAnswers, fmt.Sprintf("%s's answer to round %d, acknowledged at %s, is not stored", a.Person, a.Round, a.At.UTC().Format(time.TimeOnly)))
		}
	}

	// Occurrence by occurrence: statuses and reasons, stuck ones, due ones.
	var lateness []time.Duration
	for _, oc := range o.Occurrences {
		r.Figures.ByStatus[oc.Status]++
		ms := carriers[oc.ID]
		p, isPerson := o.People[oc.Recipient]
		label := fmt.Sprintf("occurrence %d (%s to %s, nominal %s)", oc.ID, oc.Cadence, oc.Recipient, oc.Nominal.UTC().Format(time.TimeOnly))
		switch {
		case oc.Status == "delivered" && len(ms) == 0:
			r.FalseReasons = append(r.FalseReasons, label+" is recorded delivered but no DM carries it")
		case oc.Status == "delivered" && oc.TS != "" && !slices.ContainsFunc(ms, func(m Message) bool { return m.TS == oc.TS }):
			r.FalseReasons = append(r.FalseReasons, fmt.Sprintf("%s is recorded delivered as %s, but the DM carrying it is %s", label, oc.TS, ms[0].TS))
		case oc.Status != "delivered" && oc.Status != "claimed" && len(ms) > 0:
			r.FalseReasons = append(r.FalseReasons, fmt.Sprintf("%s is %s (%q) but DM %s carries it", label, oc.Status, oc.Reason, ms[0].TS))
		case oc.Status != "delivered" && final[oc.Status] && strings.TrimSpace(oc.Reason) == "":
			r.FalseReasons = append(r.FalseReasons, fmt.Sprintf("%s is %s with no reason", label, oc.Status))
		}
		if oc.Status == "delivered" {
			r.Figures.Delivered++
		}
		if !final[oc.Status] {
			r.Open = append(r.Open, fmt.Sprintf("%s: %s until %s, %q", label, oc.Status,
				cmp.Or(oc.LeaseUntil, oc.DeliverAt).UTC().Format("Jan 2 15:04:05"), oc.Reason))
		}

		switch {
		case oc.Status == "claimed" && !oc.LeaseUntil.IsZero() && o.CheckedAt.Sub(oc.LeaseUntil) > stuckAfter:
			r.Stuck = append(r.Stuck, fmt.Sprintf("%s is claimed with a lease that ran out at %s", label, oc.LeaseUntil.UTC().Format(time.TimeOnly)))
		case (oc.Status == "planned" || oc.Status == "deferred") && !oc.DeliverAt.IsZero() && o.CheckedAt.Sub(oc.DeliverAt) > stuckAfter:
			r.Stuck = append(r.Stuck, fmt.Sprintf("%s is %s, due at %s", label, oc.Status, oc.DeliverAt.UTC().Format(time.TimeOnly)))
		}

		if !isPerson {
			continue
		}
		w, ok := p.windowAt(oc.Nominal)
		if !ok {
			continue
		}
		due := oc.Nominal
		if due.Before(w.From) {
			due = w.From
		}
		if oc.Status == "delivered" && !oc.SentAt.IsZero() {
			lateness = append(lateness, max(0, oc.SentAt.Sub(due)))
		}
		// The window must have stayed open long enough after the due
		// instant, and after every outage that covered it.
		from := due
		for _, out := range sortedOutages(o.Outages) {
			if out.Contains(from) || (out.From.After(from) && out.From.Before(from.Add(OpenFor+tickSlack))) {
				if out.To.After(from) {
					from = out.To
				}
			}
		}
		need := from.Add(OpenFor + tickSlack)
		if need.After(w.To) || need.After(o.CheckedAt) || oc.Status == "superseded" {
			continue
		}
		if oc.Status == "delivered" || len(ms) > 0 {
			sent := oc.SentAt
			if sent.IsZero() {
				sent = ms[0].At
			}
			if sent.After(need) {
				r.Undelivered = append(r.Undelivered, fmt.Sprintf("%s, due %s, delivered late at %s (%v after it was due)",
					label, from.UTC().Format(time.TimeOnly), sent.UTC().Format(time.TimeOnly), sent.Sub(from).Round(time.Second)))
			}
			continue
		}
		if strings.Contains(oc.Reason, budgetReason) && spentBefore(perDay, p, oc.Nominal) >= p.Budget {
			continue // its person's budget was used up that day: true
		}
		r.Undelivered = append(r.Undelivered, fmt.Sprintf("%s, due %s, window open until %s: %s %q",
			label, due.UTC().Format(time.TimeOnly), w.To.UTC().Format(time.TimeOnly), oc.Status, oc.Reason))
	}
	slices.Sort(lateness)
	r.Figures.LatenessP50 = percentile(lateness, 50)
	r.Figures.LatenessP90 = percentile(lateness, 90)
	r.Figures.LatenessP99 = percentile(lateness, 99)
	r.Figures.LatenessMax = percentile(lateness, 100)
	return r
}

// spentBefore counts the messages a person got on the local day of t.
func spentBefore(perDay map[string][]Message, p Person, t time.Time) int {
	return len(perDay[p.ID+" "+t.In(p.Loc).Format(time.DateOnly)])
}

func sortedOutages(in []Interval) []Interval {
	out := slices.Clone(in)
	slices.SortFunc(out, func(a, b Interval) int { return a.From.Compare(b.From) })
	return out
}

func windowList(p Person) string {
	var parts []string
	for _, w := range p.Windows {
		parts = append(parts, w.From.In(p.Loc).Format("15:04")+"–"+w.To.In(p.Loc).Format("15:04"))
	}
	if len(parts) == 0 {
		return "no window"
	}
	return strings.Join(parts, ", ")
}

// percentile returns the q-th percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, q int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := max((q*len(sorted)+99)/100, 1)
	return sorted[min(rank, len(sorted))-1]
}
