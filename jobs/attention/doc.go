// Package attention is the one gate every proactive message passes: none is
// ever delivered inside a recipient's quiet hours, outside their working
// days or while they are away, and all follow the time rules of package
// cadence. Given what
// Trellis knows about a recipient — timezone, working days and hours, public
// and company holidays, time away, Slack status and how many proactive DMs
// they already got today — Decide says deliver now, defer to an instant, or
// skip, always with a reason a person can read in "Why not?".
//
// The policy reads plain values only (Recipient), never a stored record, so
// it depends on no database. jobs/engine's RecipientView is the one place
// that builds a Recipient from the stored person, workspace, time off and
// holidays: the person's own hours, holiday region and lower budget win over
// the workspace's.
//
// Decisions where the rules are silent:
//
//   - Off dates are whole local dates in the person's zone: a public holiday
//     of Recipient.HolidayRegion (empty or "none": no public holidays; an
//     unknown code is treated as none), a company holiday, or a date a
//     period of time off covers. As in package cadence, a working window
//     belongs to the day it opens on, so an off Friday removes a Friday
//     22:00-06:00 shift.
//   - A Slack status that means away (calendar.StatusAway at now) is an
//     instant-level block starting at now, not a set of dates:
//     with an expiry the person is away until that instant, so a message may
//     go out later on the same day once the status has expired (status 🌴
//     until Wednesday 12:00 → Wednesday's first working instant after 12:00);
//     without an expiry the block runs to the end of today's local date, and
//     today is also an off date (so a window that opens today is dropped
//     whole). A status with no end cannot plan the future: it says nothing
//     about tomorrow, which is why the policy is re-checked at claim time,
//     when the status is read again.
//   - Working hours are Recipient.Hours; the zero value (a workspace not yet
//     configured) means calendar.DefaultWorkingHours, because a person
//     always has a window — the "no working hours" case of the time
//     rules (package cadence, rule 3) is for channel posts, which do not pass this gate.
//   - The daily budget counts proactive DMs per local date of the person
//     (SentToday is for the local date of now). DailyBudget 0 or less means
//     DefaultDailyBudget (3). The budget only limits deliveries today: when
//     the candidate instant is already on a later local date it applies to
//     that date's count, not today's. When today's budget is spent the message
//     is deferred to the opening of the next working window that belongs to a
//     later local date — for a night shift, not the tail of tonight's shift
//     after midnight, which is the same shift the budget was spent on.
//   - Decide never returns an instant before now or before the nominal one;
//     an instant in a working window that is not yet reached is a Defer with
//     reason "scheduled for ...". Catch-up after downtime (rule 6) and
//     superseding (rule 5) are the planner's; Decide sees max(nominal, now).
package attention
