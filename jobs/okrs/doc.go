// Package okrs is the runtime of OKRs: the policy and the messages of the
// nudges that ask a key result's owner for an update, as pure functions
// (no storage, no clock, no Slack call: cadence.go, nudge.go, blocks_*.go),
// and the Service (service.go) that keeps each person's nudge schedule in
// the delivery engine true to their key results, cycles and settings,
// writes the nudges the engine delivers, and tells the handlers which
// updates get the off-track offer. What it stores is in models/okrs; the
// one place the stored nudge state and the policy's meet is state.go.
//
// The promises, as properties:
//
//   - A person is nudged on their team's check-in day (Tuesday unless the
//     team says otherwise) at NudgeAt, 10:00 in their zone, which the
//     engine's attention policy moves into their working hours. The
//     cadence follows the cycle: every week for a cycle of at most
//     okrs.ShortCycleMonths calendar months (okrs.Settings.CadenceFor), every two
//     weeks for a longer one. A person's setting beats their team's, and
//     either may be weekly, every two weeks or off (CadenceFor, Weeks).
//   - A nudge lists only the key results, of active cycles, that were not
//     touched (updated, or set up) since the last nudge, or within the
//     last interval before the first; with none, or with no key result in
//     an active cycle, nothing is sent and the reason says why (Decide).
//   - After IgnoredToHalve nudges in a row with no update after any of
//     them, nudges come half as often (weekly becomes every two weeks,
//     every two weeks every four), the next nudge waiting the doubled
//     interval from the last. The nudge after the halving tells the
//     person once, ever, kindly, how to choose a cadence; nobody else is
//     told. An update, or a cadence the person picks, ends the halving
//     (Observe, Updated, SetCadence).
//   - Composing the same nudge occurrence again (the engine does after a
//     send it handed back) decides the same and counts once: a nudge is
//     identified by its nominal instant.
//   - A key result's confidence moving to off track from anything else
//     offers its owner, privately, to ask for help in their team's channel
//     or at their next check-in; nothing goes to a manager
//     (OffTrackOffer, OffTrackMessage).
//   - A person has one nudge schedule (NudgeKey) while they own a key
//     result of an open objective in an active cycle, or, with none
//     active, in one being planned; its cadence is the shortest interval
//     their cycles and teams give (Service.SyncPerson), and it is gone
//     when they have none or nudges are off. It follows every change the
//     handlers report (ObjectiveChanged, CycleChanged, SettingsChanged,
//     Updated, SetNudges) and cycles starting and ending, within an hour
//     of the person's midnight, with nobody acting (Service.Tick).
//   - A nudge and a review DM show a team-only objective, and its key
//     results, only to a member of its channel as Slack says (a list at
//     most a minute old, members.go): an owner outside it is neither told
//     of it nor nudged or asked to review for it, and when Slack cannot
//     say, it is hidden (Config.Members).
//   - Every text a person typed (titles, objectives, units, check-in names)
//     is escaped and bounded; a nudge lists at most NudgeListed key
//     results and counts the rest, so it keeps to Block Kit's limits
//     however many a person owns.
package okrs
