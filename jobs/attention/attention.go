package attention

import (
	"fmt"
	"strings"
	"time"

	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/holidays"
)

// DefaultDailyBudget is the workspace default number of proactive DMs a
// person gets per local day.
const DefaultDailyBudget = calendar.DefaultDailyBudget

// whenLayout is how an instant appears in a reason, in the person's zone.
const whenLayout = "Mon 2 Jan 15:04 MST"

// Recipient is everything the policy needs to know about one person, as
// plain values: the policy reads no stored record. jobs/engine's
// RecipientView builds it from what Trellis stores.
type Recipient struct {
	// Location is the zone the person's dates and hours are in; nil means
	// UTC.
	Location *time.Location
	// Hours are the person's working days and daily window; the zero value
	// (a workspace not yet configured) means calendar.DefaultWorkingHours.
	Hours calendar.WorkingHours
	// HolidayRegion is the region whose public holidays are off dates; ""
	// or "none" means none, and an unknown code is treated as none.
	HolidayRegion string
	// Status is the person's Slack status.
	Status calendar.Status
	// Away are the person's periods of time off (whole local dates).
	Away []TimeOff
	// CompanyHolidays are the days off the workspace declared.
	CompanyHolidays []calendar.Holiday
	// SentToday is how many proactive DMs the person got on the local date
	// of now.
	SentToday int
	// DailyBudget is the most proactive DMs per local day; 0 (or less)
	// means DefaultDailyBudget.
	DailyBudget int
}

// TimeOff is a span of whole local dates on which the person is away,
// First and Last included.
type TimeOff struct {
	First, Last calendar.Date
}

// covers reports whether d falls in the span.
func (a TimeOff) covers(d calendar.Date) bool { return !d.Before(a.First) && !d.After(a.Last) }

// Budget is the recipient's effective daily budget.
func (r Recipient) Budget() int {
	if r.DailyBudget <= 0 {
		return DefaultDailyBudget
	}
	return r.DailyBudget
}

// Loc is the recipient's zone: Location, or UTC when it is unset.
func (r Recipient) Loc() *time.Location {
	if r.Location == nil {
		return time.UTC
	}
	return r.Location
}

// WorkingHours is the recipient's working hours: Hours, or
// calendar.DefaultWorkingHours when Hours is the zero value.
func (r Recipient) WorkingHours() calendar.WorkingHours {
	if r.Hours == (calendar.WorkingHours{}) {
		return calendar.DefaultWorkingHours
	}
	return r.Hours
}

// Action is what the policy says to do with a message.
type Action int

// The three answers of the gate.
const (
	// Deliver means send now.
	Deliver Action = iota
	// Defer means send at Decision.At, after checking again.
	Defer
	// Skip means do not send; Decision.Reason says why.
	Skip
)

// String is "deliver", "defer" or "skip", for logs and metrics.
func (a Action) String() string {
	switch a {
	case Deliver:
		return "deliver"
	case Defer:
		return "defer"
	case Skip:
		return "skip"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Decision is the policy's answer for one message.
type Decision struct {
	Action Action
	// At is when to deliver: now for Deliver, later for Defer, zero for
	// Skip.
	At time.Time
	// Reason explains a Defer or Skip to the person ("Why not?"); empty for
	// a Deliver.
	Reason string
}

// Off returns the recipient's off dates as a cadence.OffFunc: public
// holidays of their region, company holidays, away periods, and — only for a
// Slack away status without an expiry — the local date of now. A status with
// an expiry is not a date; Decide handles it as a block of instants.
func Off(r Recipient, now time.Time) cadence.OffFunc {
	var cal *holidays.Calendar
	if region := strings.TrimSpace(r.HolidayRegion); region != "" && !strings.EqualFold(region, "none") {
		cal, _ = holidays.Lookup(region)
	}
	loc := r.Loc()
	statusDay, statusReason, statusAllDay := calendar.Date{}, "", false
	if away, until := calendar.StatusAway(r.Status, now); away && until.IsZero() {
		statusDay, statusReason, statusAllDay = calendar.DateOf(now.In(loc)), statusText(r.Status)+" (no end set, so today is off)", true
	}
	return func(d calendar.Date) (bool, string) {
		if cal != nil {
			if name, ok := cal.On(d); ok {
				return true, "public holiday: " + name
			}
		}
		for _, h := range r.CompanyHolidays {
			if h.Date == d {
				name := h.Name
				if name == "" {
					name = "day off"
				}
				return true, "company holiday: " + name
			}
		}
		var last calendar.Date
		for _, a := range r.Away {
			if a.covers(d) && (last.IsZero() || a.Last.After(last)) {
				last = a.Last
			}
		}
		if !last.IsZero() {
			return true, "away (time off until " + awayUntil(r.Away, last).Format("Mon 2 Jan 2006") + ")"
		}
		if statusAllDay && d == statusDay {
			return true, statusReason
		}
		return false, ""
	}
}

// awayUntil extends last through away periods that overlap or follow it
// without a gap, so the reason names the day the person is back after.
func awayUntil(periods []TimeOff, last calendar.Date) calendar.Date {
	for changed := true; changed; {
		changed = false
		for _, a := range periods {
			if !a.First.After(last.AddDays(1)) && a.Last.After(last) {
				last, changed = a.Last, true
			}
		}
	}
	return last
}

// statusText describes a status that means away.
func statusText(s calendar.Status) string {
	label := strings.TrimSpace(strings.TrimSpace(s.Emoji) + " " + strings.TrimSpace(s.Text))
	return fmt.Sprintf("your Slack status %q says you are away", label)
}

// block is a span of instants [from, until) in which nothing is delivered.
type block struct {
	from, until time.Time
	reason      string
}

func (b block) covers(t time.Time) bool {
	return !b.from.IsZero() && !t.Before(b.from) && t.Before(b.until)
}

// StatusBlock returns the instants a Slack away status blocks, from now:
// until its expiry, or, without one, until the end of today's local date.
// ok is false when the status does not mean away.
func StatusBlock(r Recipient, now time.Time) (from, until time.Time, ok bool) {
	b := statusBlock(r, now)
	return b.from, b.until, !b.from.IsZero()
}

func statusBlock(r Recipient, now time.Time) block {
	away, until := calendar.StatusAway(r.Status, now)
	if !away {
		return block{}
	}
	loc := r.Loc()
	if until.IsZero() {
		end := calendar.DateOf(now.In(loc)).AddDays(1).In(loc)
		return block{from: now, until: end, reason: statusText(r.Status) + " (no end set, so today is off)"}
	}
	return block{from: now, until: until, reason: statusText(r.Status) + " until " + until.In(loc).Format(whenLayout)}
}

// Decide is the attention policy for one proactive message due at nominal,
// asked at now. The delivery instant is the first at or after max(nominal,
// now) inside a working window of the recipient (cadence.DeliverAt with Off)
// and outside any Slack-status block; if it is now, Deliver; if later, Defer
// to it; if no window opens within cadence.WindowHorizonDays, Skip. When the
// instant falls on today's local date and SentToday has reached the budget,
// the message is deferred to the opening of the next working window that
// belongs to a later local date. Every Defer and Skip has a reason.
func Decide(r Recipient, nominal, now time.Time) Decision {
	loc := r.Loc()
	hours := r.WorkingHours()
	off := Off(r, now)
	st := statusBlock(r, now)

	from := nominal
	if from.Before(now) {
		from = now
	}
	at, why, ok := search(from, loc, hours, off, st)
	if !ok {
		// "No working window in 60 days" alone would not say why: name
		// what blocks the first day.
		if isOff, first := off(calendar.DateOf(from.In(loc))); isOff && !strings.Contains(why, first) {
			why = first + "; " + why
		}
		return Decision{Action: Skip, Reason: why}
	}

	today := calendar.DateOf(now.In(loc))
	tomorrow := today.AddDays(1).In(loc)
	if budget := r.Budget(); r.SentToday >= budget && at.Before(tomorrow) {
		spent := fmt.Sprintf("daily budget of %d reached", budget)
		later := func(d calendar.Date) (bool, string) {
			if !d.After(today) {
				return true, spent
			}
			return off(d)
		}
		next, nextWhy, ok := search(tomorrow, loc, hours, later, st)
		if !ok {
			return Decision{Action: Skip, Reason: spent + "; " + nextWhy}
		}
		reason := fmt.Sprintf("%s (%s on %s); deferred to the next working window, %s",
			spent, messages(r.SentToday), today.Format("Mon 2 Jan"), next.In(loc).Format(whenLayout))
		if st.reason != "" && strings.HasPrefix(nextWhy, st.reason) {
			reason += "; " + st.reason
		}
		return Decision{Action: Defer, At: next, Reason: reason}
	}

	if !at.After(now) {
		return Decision{Action: Deliver, At: now}
	}
	if why == "" {
		why = "scheduled for " + at.In(loc).Format(whenLayout)
	}
	return Decision{Action: Defer, At: at, Reason: why}
}

// messages is "1 proactive message", "3 proactive messages".
func messages(n int) string {
	if n == 1 {
		return "1 proactive message"
	}
	return fmt.Sprintf("%d proactive messages", n)
}

// search returns the first instant at or after from inside a working window
// (per off) and outside st, with the reason it is later than from (empty if
// it is from), or ok false and the reason there is none.
func search(from time.Time, loc *time.Location, hours calendar.WorkingHours, off cadence.OffFunc, st block) (time.Time, string, bool) {
	at, ok, why := cadence.DeliverAt(from, loc, hours, off)
	if !ok {
		return time.Time{}, why, false
	}
	if !st.covers(at) {
		return at, why + skipped(from, at, loc, hours, off, why), true
	}
	// The status block is one span: searching from its end cannot land in
	// it again.
	at, ok, why = cadence.DeliverAt(st.until, loc, hours, off)
	if !ok {
		return time.Time{}, st.reason + "; " + why, false
	}
	why = fmt.Sprintf("%s; deferred to the first working time after that, %s", st.reason, at.In(loc).Format(whenLayout))
	return at, why + skipped(st.until, at, loc, hours, off, why), true
}

// maxSkipped bounds how many skipped days a reason lists.
const maxSkipped = 3

// skipped names the working days from the local date of from up to, not
// including, the local date of at that were passed over because they are
// off (a holiday, time away), so that "deferred to Thursday" also says why
// not Wednesday. Days whose reason already appears in why are left out.
func skipped(from, at time.Time, loc *time.Location, hours calendar.WorkingHours, off cadence.OffFunc, why string) string {
	if !at.After(from) {
		return ""
	}
	var parts []string
	more := 0
	last := calendar.DateOf(at.In(loc))
	for d := calendar.DateOf(from.In(loc)); d.Before(last); d = d.AddDays(1) {
		if !hours.Days.Has(d.Weekday()) {
			continue
		}
		isOff, reason := off(d)
		if !isOff || strings.Contains(why, reason) {
			continue
		}
		if len(parts) == maxSkipped {
			more++
			continue
		}
		parts = append(parts, d.Format("Mon 2 Jan")+": "+reason)
	}
	if len(parts) == 0 {
		return ""
	}
	s := "; skipped " + strings.Join(parts, ", ")
	if more > 0 {
		s += fmt.Sprintf(" and %d more days off", more)
	}
	return s
}
