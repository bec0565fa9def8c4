package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/jobs/attention"
	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// A group recipient is a group DM of 2 to 8 people (Slack's multi-person
// IM, "mpim"): one message that all of them read together, sent only at an
// instant inside every member's working window. It is written
// "mpim:U1,U2,U3", the people's ids sorted and without repeats, so that
// the same people always make the same recipient — the claims, the unique
// identity of an occurrence and its lease are all by recipient string.
//
// Groups take one-off messages only (Engine.PlanOnce); a schedule's
// targets are people and channels (models.Schedules.SetTargets refuses a
// group).
const (
	// MinGroup and MaxGroup bound how many people a group recipient
	// names: a group DM needs two people besides Trellis, and Slack's
	// holds at most eight.
	MinGroup = 2
	MaxGroup = 8
)

// groupHorizon is how far ahead a group message looks for a time inside
// everyone's working hours before it is given up.
const groupHorizon = 14 * 24 * time.Hour

// noSharedTime is the reason a group message is skipped when everyone's
// working hours do not meet within groupHorizon.
const noSharedTime = "no time inside everyone's working hours in the next 14 days"

// groupUser is what a person's Slack id looks like in a group recipient.
var groupUser = regexp.MustCompile(`^[UW][A-Z0-9]{1,31}$`)

// GroupRecipient is the recipient string of the group DM of users:
// "mpim:" and their ids sorted, without repeats, comma separated
// ("mpim:U1,U2,U3"), for Engine.PlanOnce. It is an error for fewer than
// MinGroup or more than MaxGroup distinct people, or an id that is not a
// person's ("U…" or "W…").
func GroupRecipient(users ...string) (string, error) {
	ids := make([]string, 0, len(users))
	for _, u := range users {
		u = strings.TrimSpace(u)
		if !groupUser.MatchString(u) {
			return "", fmt.Errorf("group recipient: %q is not a person's Slack id", u)
		}
		ids = append(ids, u)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) < MinGroup || len(ids) > MaxGroup {
		return "", fmt.Errorf("group recipient: a group DM holds %d to %d people, not %d", MinGroup, MaxGroup, len(ids))
	}
	return models.GroupRecipientPrefix + strings.Join(ids, ","), nil
}

// GroupMembers returns the people of a group recipient, sorted, and true;
// false when recipient is not a group recipient in GroupRecipient's
// canonical form (a person, a channel, or a damaged string).
func GroupMembers(recipient string) ([]string, bool) {
	rest, ok := strings.CutPrefix(recipient, models.GroupRecipientPrefix)
	if !ok {
		return nil, false
	}
	ids := strings.Split(rest, ",")
	if canon, err := GroupRecipient(ids...); err != nil || canon != recipient {
		return nil, false
	}
	return ids, true
}

// isGroup reports whether a recipient names a group DM (well formed or
// not: a damaged one must not be taken for a channel).
func isGroup(recipient string) bool {
	return strings.HasPrefix(recipient, models.GroupRecipientPrefix)
}

// member is one person of a group recipient, with their policy view.
type member struct {
	person models.Person
	rec    attention.Recipient
}

// decideGroup applies the rules to a claimed group occurrence at now. The
// attention policy is asked for every member: it is delivered now only if
// every one of them may get it now, else deferred to the earliest instant
// at which every one may, found by asking each member in turn from the
// latest instant any of them named, within groupHorizon; else skipped.
// Late after downtime, it is missed once the time inside everyone's
// working windows it was due in has closed (rule 6). The reasons name
// only what every member may know: never one member's time off, holiday
// or status.
func (e *Engine) decideGroup(it item, now time.Time) verdict {
	o := it.claim.Occurrence
	if _, oneOff := splitCadenceID(o.CadenceID); !oneOff {
		return settle(models.OccurrenceSkipped, "a group conversation gets single messages only, not a schedule's own")
	}
	if _, ok := GroupMembers(o.Recipient); !ok {
		return settle(models.OccurrenceSkipped, "removed: the group's members cannot be read")
	}
	if it.missing != "" {
		return settle(models.OccurrenceSkipped, fmt.Sprintf("removed: Trellis has no profile for %s, one of the people in this group, any more", it.missing))
	}
	recs := make([]attention.Recipient, len(it.members))
	for i, m := range it.members {
		recs[i] = m.rec
	}
	if now.Sub(o.DeliverAt) > e.grace {
		// Rule 6: late. Sent late only while the shared window it was due
		// in is still open.
		if first, ok := sharedWindow(recs, o.DeliverAt, now); ok {
			if end := sharedWindowEnd(recs, first, now); !now.Before(end) {
				return settle(models.OccurrenceMissed, fmt.Sprintf(
					"missed: %s; the time inside everyone's working hours it was due in closed at %s, so it is not sent late",
					e.lateWhy(it.claim, first.UTC().Format(whenLayout)), end.UTC().Format(whenLayout)))
			}
		}
	}
	nominal := o.NominalAt
	if nominal.After(now) {
		nominal = now
	}
	at, ok := sharedDeliverAt(recs, nominal, now)
	switch {
	case !ok:
		return settle(models.OccurrenceSkipped, noSharedTime)
	case at.After(now):
		return verdict{action: attention.Defer, at: at, reason: "waiting for everyone's working hours; the next time inside all of them is " + at.UTC().Format(whenLayout)}
	case now.Sub(o.NominalAt) <= e.grace:
		return verdict{action: attention.Deliver, at: now}
	}
	why := o.Reason
	if now.Sub(o.DeliverAt) > e.grace {
		why = "sent late: " + e.lateWhy(it.claim, o.DeliverAt.UTC().Format(whenLayout))
	} else if unsent(it.claim) {
		why = ""
	}
	return verdict{action: attention.Deliver, at: now, reason: why}
}

// maxGroupRounds bounds the rounds of sharedDeliverAt: each moves to a
// later instant at which some member's window opens or status ends.
const maxGroupRounds = 500

// sharedDeliverAt is the earliest instant at or after max(nominal, now)
// at which the attention policy, asked at now, says deliver for every
// recipient of recs: each is asked for the instant, and when any names a
// later one the latest named is asked of everyone again. ok is false when
// there is none within groupHorizon of now (or a recipient has no window
// at all).
func sharedDeliverAt(recs []attention.Recipient, nominal, now time.Time) (time.Time, bool) {
	t := nominal
	if t.Before(now) {
		t = now
	}
	limit := now.Add(groupHorizon)
	for range maxGroupRounds {
		if t.After(limit) {
			return time.Time{}, false
		}
		latest := t
		for _, r := range recs {
			d := attention.Decide(r, t, now)
			switch d.Action {
			case attention.Skip:
				return time.Time{}, false
			case attention.Defer:
				if d.At.After(latest) {
					latest = d.At
				}
			}
		}
		if latest.Equal(t) {
			return t, true
		}
		t = latest
	}
	return time.Time{}, false
}

// sharedWindow is the first instant at or after from inside every
// recipient's working window (working days and hours, holidays and time
// off as they are known at now) — the window a group message due at from
// was due in — found as sharedDeliverAt finds one; false when there is
// none within groupHorizon.
func sharedWindow(recs []attention.Recipient, from, now time.Time) (time.Time, bool) {
	t := from
	limit := from.Add(groupHorizon)
	for range maxGroupRounds {
		if t.After(limit) {
			return time.Time{}, false
		}
		latest := t
		for _, r := range recs {
			at, ok, _ := cadence.DeliverAt(t, r.Loc(), r.WorkingHours(), attention.Off(r, now))
			if !ok {
				return time.Time{}, false
			}
			if at.After(latest) {
				latest = at
			}
		}
		if latest.Equal(t) {
			return t, true
		}
		t = latest
	}
	return time.Time{}, false
}

// sharedWindowEnd is when the shared window holding at closes: the
// earliest end of the recipients' working windows holding it.
func sharedWindowEnd(recs []attention.Recipient, at, now time.Time) time.Time {
	var end time.Time
	for _, r := range recs {
		if e, ok := cadence.WindowEnd(at, r.Loc(), r.WorkingHours(), attention.Off(r, now)); ok && (end.IsZero() || e.Before(end)) {
			end = e
		}
	}
	if end.IsZero() {
		return at
	}
	return end
}

// groupInWindow reports, as errWindowClosed, whether some member of a
// group may not get a message at now: the check before the wire, asked of
// every member. The budget was counted when it was decided. The error
// names no member's reason: it reaches only the log.
func groupInWindow(members []member, now time.Time) error {
	for _, m := range members {
		rec := m.rec
		rec.SentToday = 0
		if d := attention.Decide(rec, now, now); d.Action != attention.Deliver {
			return fmt.Errorf("%w: someone in the group may not get it now", errWindowClosed)
		}
	}
	return nil
}

// openGroup opens the group DM of a group recipient (conversations.open
// with its people) and returns its channel id.
func openGroup(ctx context.Context, api Slack, recipient string) (string, error) {
	users, ok := GroupMembers(recipient)
	if !ok {
		return "", fmt.Errorf("open a group DM: %q is not a group recipient", recipient)
	}
	ch, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: users})
	if err != nil {
		return "", fmt.Errorf("open the group DM of %s: %w", strings.Join(users, ","), err)
	}
	if ch == nil || ch.ID == "" {
		return "", errors.New("open a group DM: Slack returned no channel")
	}
	return ch.ID, nil
}

// groupWhyLine is the "Why did I get this?" line under a group message:
// the same for every member, so it names no one's hours or zone.
func groupWhyLine(it item, sentAt time.Time) string {
	sc := it.schedule
	line := fmt.Sprintf("_Why did I get this?_ *%s* sent this to everyone here at %s, a time inside everyone's working hours.",
		mrkdwn.Bound(title(sc), maxTitle), sentAt.UTC().Format("15:04 Mon 2 Jan MST"))
	if it.note != "" {
		line += " It was due at " + it.claim.Occurrence.NominalAt.UTC().Format("15:04 Mon MST") + " and waited: " + mrkdwn.Bound(it.note, 400) + "."
	}
	return line + " Each of you can change your own: `/trellis hours`, `/trellis tz`, `/trellis away`."
}
