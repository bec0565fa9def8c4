// Package okrs holds objectives and key results: cycles, objectives, key
// results and their check-ins (updates), their validation, progress,
// alignment and effective history, who may change what, the OKR settings
// and each person's nudge state, and their store.
//
// The domain (cycle.go, objective.go, progress.go, alignment.go, update.go,
// settings.go, permissions.go, errors.go) is plain Go on models/calendar:
// no storage, no ORM, no clock (callers pass today's date), so every rule
// there is a pure function that table tests pin down. The store (Store, in
// the store*.go files) keeps them in the tables of migration 0015 on
// models.DB, its rows unexported, and enforces the same rules: every write
// checks everything first and stores nothing when anything is wrong, a
// write of several rows is one transaction, and an id of another
// workspace is not found. The runtime (nudges, digests, reviews) will be
// jobs/okrs; the Slack surface handlers/okrs.
//
// The promises, as properties:
//
//   - A cycle's length is counted in calendar months from its start, with its
//     end inclusive: it is valid when the day after End falls on or after
//     Start plus one month and on or before Start plus four months, a month
//     from a day that the target month lacks landing on that month's last day
//     (see MinEnd and MaxEnd). 2027-01-01 to 2027-01-31 is one month,
//     2027-01-01 to 2027-04-30 four.
//   - A cycle's State is planning before Start, active from Start to End,
//     review for ReviewGraceDays after End (DefaultReviewGraceDays when 0), and
//     closed after that; every date has exactly one state and they follow in
//     that order.
//   - Validate returns nil or a *ValidationError listing every problem, each
//     naming its field (and the key result's position), in words a person can
//     act on; a ValidationError matches ErrInvalid.
//   - Progress is a fraction in [0, 1] (shown ×100 as a percentage, and the
//     same number as a review's prefilled grade 0.0–1.0): never negative,
//     never above 1, and 0 for a value that is not a finite number.
//     Increasing and decreasing kinds move linearly from Start (0) to Target
//     (1) and clamp beyond either end; thresholds and milestones are met (1) or
//     not (0).
//   - An objective's progress is the weighted average of its key results'
//     progress, weights defaulting to 1; with a zero total weight it is 0.
//   - CheckAlignment refuses more than MaxParents parents, a parent listed
//     twice, an unknown parent, the objective itself or one of its own key
//     results, anything aligned (directly or through others) under the
//     objective, so the alignment graph never has a cycle, and a parent whose
//     cycle ends after the child's.
//   - A key result's history is append-only: Current reads the effective
//     value and confidence from it, where a correction replaces the value,
//     confidence and note of the entry it corrects (both stay in the history),
//     and a "no change" entry carries the previous effective value and
//     confidence forward and counts as an update.
//   - An objective's owner or a workspace admin changes, closes and deletes
//     the objective and all its key results; a key result's owner changes
//     only its title, target and unit (CheckChange), and posts its updates,
//     as the objective's owner and an admin may (MayPostUpdate). Anyone else
//     gets ErrNotOwner.
//   - Stored, a team's (or the workspace's own) cycles never overlap and
//     their names differ whatever their case; updates are only appended
//     (the store has no method that changes or deletes one), and a key
//     result with updates keeps its kind and start and cannot be removed
//     from its objective.
//   - Settings resolve field by field: a team's own, else the workspace's,
//     else DefaultSettings.
package okrs
