// Package cadence turns the way a person writes a schedule ("weekdays at
// 09:30", "every 2 weeks on tue at 10:00", "30 9 * * 1-5") into local
// occurrences, and applies the time rules. The code's comments cite them by
// number:
//
//  1. A local time inside a spring-forward gap fires at the first instant
//     after the gap (the transition).
//  2. A local time that occurs twice (fall-back) fires once, at its first
//     occurrence.
//  3. Delivery is at the first instant, at or after the nominal one, inside
//     the recipient's working window; with no working hours (a channel post,
//     a preview), at the nominal instant.
//  4. A working window is a working day's hours (a night shift ends the next
//     morning), on a day that is not a holiday and not away.
//  5. An occurrence deferred into a window is superseded (skipped, with the
//     reason recorded) when the next occurrence of the same cadence falls in
//     that same window: a person is asked once, not twice.
//  6. After downtime, a missed occurrence is sent late only while its working
//     window is still open; otherwise it is recorded as missed.
//
// What does what:
//
//   - Parse reads friendly forms and standard 5-field cron (robfig/cron v3).
//   - Cadence.Next gives nominal instants on the recipient's wall clock
//     (rule 1: a time in a spring-forward gap fires at the transition; rule 2:
//     a repeated time fires once, at its first occurrence). LocalInstant is
//     the one place where a wall time becomes an instant.
//   - DeliverAt moves a nominal instant into the next working window (rules 3
//     and 4); WindowEnd gives that window's end.
//   - Superseded skips a deferred occurrence whose successor is due before
//     the window it was deferred into closes (rule 5).
//   - Plan settles one occurrence (delivered, deferred, superseded, skipped,
//     with a reason); Between lists them for a range, as a preview shows.
//     Budget, pauses and catch-up after downtime (rule 6) are the planner's.
//
// Decisions where the rules are silent:
//
//   - "monthly on day N" skips months without day N (day 31 fires in seven
//     months a year; day 29 skips February in common years), as cron does.
//   - "every n weeks" fires in the Monday-to-Sunday week containing the anchor
//     date and every n-th week before and after it; the anchor is not a start
//     date (the caller decides when a cadence begins).
//   - Cron descriptors with a wall-clock meaning (@daily, @weekly, @monthly,
//     @yearly, @hourly) are accepted; @every and CRON_TZ=/TZ= are rejected,
//     and so is cron that can never fire (30 February).
//   - Several wall times that resolve to one instant (cron minutes inside a
//     gap) are one occurrence.
//   - A working window belongs to the day it opens on: a 22:00-06:00 shift
//     starting on a working Friday runs to Saturday 06:00 even if Saturday is
//     not a working day or is a holiday; a Friday holiday removes it.
//   - DeliverAt searches WindowHorizonDays (60) days for a window.
//   - The package imports time/tzdata so zones resolve the same on any host.
package cadence
