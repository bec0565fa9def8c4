package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/jobs/attention"
	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// item is one claimed occurrence with what deciding and writing it needs.
type item struct {
	claim    models.Claim
	schedule models.Schedule
	// person is the recipient of a DM, nil for a channel post or a group.
	person *models.Person
	// members are the people of a group recipient, each with their view,
	// in the recipient's order; missing names one Trellis has no profile
	// for (the group is then not sent).
	members []member
	missing string
	rec     attention.Recipient
	hours   calendar.WorkingHours
	budget  int
	// note is why a delivery was not on time (it waited for working hours,
	// or Trellis was down), kept with the delivered occurrence.
	note string
	// decided is when it was decided to deliver it now.
	decided time.Time
}

// verdict is what the engine does with a claimed occurrence.
type verdict struct {
	action attention.Action // Deliver, Defer (release to at) or Skip (settle as status)
	at     time.Time
	status string
	reason string
}

func settle(status, reason string) verdict {
	return verdict{action: attention.Skip, status: status, reason: reason}
}

// Reasons a send is stopped right before the wire; the occurrences are
// handed back unsent and decided again at the next claim.
var (
	// errLeaseEnding stops a send whose lease would run out before Slack
	// answers.
	errLeaseEnding = errors.New("the delivery lease is about to run out")
	// errStale stops a send decided too long ago: what was decided may
	// not hold any more.
	errStale = errors.New("the decision to send is stale")
	// errWindowClosed stops a send whose recipient may not get it now:
	// their working window closed, or they went away, while it waited.
	errWindowClosed = errors.New("the recipient's working window closed")
	// errUnmarked stops a post whose wire mark could not be written
	// (Hold.Post): sent, and its sender dying, it would not be looked
	// for by whoever took it over.
	errUnmarked = errors.New("the post's wire mark could not be written")
)

// unsentCause is how a hand-back's reason names why a send was stopped.
func unsentCause(err error) string {
	switch {
	case errors.Is(err, errWindowClosed):
		return "its working window closed while it waited for Slack's rate limit"
	case errors.Is(err, errStale):
		return "it waited too long for Slack's rate limit to be sent on an old decision"
	case errors.Is(err, errLeaseEnding):
		return "the lease ran short while waiting for Slack's rate limit"
	}
	return "the replica sending it stopped before it was sent"
}

// claimAndDeliver claims the due occurrences of up to Recipients
// recipients, and decides and delivers them, one recipient at a time.
// While it works a heartbeat renews the leases of every claim it still
// holds, so none runs out while it waits for Slack. at is the instant the
// decisions are taken at: now, moved on by the time the round has taken.
func (e *Engine) claimAndDeliver(ctx context.Context, at func() time.Time) (Stats, error) {
	var st Stats
	now := at()
	claims, err := e.occ.Claim(ctx, now, e.lease, e.recipients)
	if err != nil {
		return st, err
	}
	st.Claimed = len(claims)
	if len(claims) == 0 {
		return st, nil
	}
	e.held.add(claims, now.Add(e.lease))
	defer e.held.dropAll(claims)
	release := e.keepAlive(ctx)
	defer release()
	for _, c := range claims {
		if c.LeaseExpired {
			e.metrics.expired()
			e.log.WarnContext(ctx, "took over an occurrence whose lease ran out",
				"occurrence", c.Occurrence.ID, "workspace", c.Occurrence.WorkspaceID, "attempts", c.Occurrence.Attempts)
		}
	}
	if e.afterClaim != nil {
		e.afterClaim(ctx, claims)
	}
	byWS := map[string][]models.Claim{}
	var order []string
	for _, c := range claims {
		ws := c.Occurrence.WorkspaceID
		if _, ok := byWS[ws]; !ok {
			order = append(order, ws)
		}
		byWS[ws] = append(byWS[ws], c)
	}
	var firstErr error
	for _, ws := range order {
		wst, err := e.handleWorkspace(ctx, ws, byWS[ws], at)
		st.Add(wst)
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return st, firstErr
}

// handleWorkspace decides and delivers one workspace's claims, recipient
// by recipient: each is decided right before it is sent, with the time
// then, so a decision is never older than one recipient's send.
func (e *Engine) handleWorkspace(ctx context.Context, wsID string, claims []models.Claim, at func() time.Time) (Stats, error) {
	var st Stats
	if ctx.Err() != nil {
		e.handBackClaims(ctx, &st, claims, unsentCause(ctx.Err()))
		return st, nil
	}
	items, err := e.load(ctx, wsID, claims, at())
	if ctx.Err() != nil {
		e.handBackClaims(ctx, &st, claims, unsentCause(ctx.Err()))
		return st, nil
	}
	if err != nil {
		// Without the settings the policy cannot be asked: hand the
		// claims back for the next tick.
		for _, c := range claims {
			e.release(ctx, &st, c, at().Add(e.retryAfter), "could not read the recipient's settings; trying again")
		}
		return st, err
	}
	byRecipient := map[string][]item{}
	var recipients []string
	for _, it := range items {
		r := it.claim.Occurrence.Recipient
		if _, ok := byRecipient[r]; !ok {
			recipients = append(recipients, r)
		}
		byRecipient[r] = append(byRecipient[r], it)
	}
	var api Slack
	var apiErr error
	client := func() (Slack, error) {
		if api == nil && apiErr == nil {
			api, apiErr = e.clients(ctx, wsID)
			if apiErr != nil {
				apiErr = fmt.Errorf("slack client for %s: %w", wsID, apiErr)
			}
		}
		return api, apiErr
	}
	for i, r := range recipients {
		if ctx.Err() != nil {
			// The tick was cancelled (the replica is stopping): hand back
			// what was not sent, so another replica takes it at once,
			// without reconciling it.
			for _, r := range recipients[i:] {
				e.handBack(ctx, &st, byRecipient[r], unsentCause(ctx.Err()))
			}
			break
		}
		st.Add(e.handleRecipient(ctx, wsID, byRecipient[r], at, client))
	}
	return st, apiErr
}

// handleRecipient settles one recipient's claims: it first looks in Slack
// for any that may have been sent already (a takeover, a send Slack did
// not confirm), then decides the rest with everything sent counted, then
// delivers what is to go now as one message.
func (e *Engine) handleRecipient(ctx context.Context, wsID string, items []item, at func() time.Time, client func() (Slack, error)) Stats {
	var st Stats
	var check []item
	for _, it := range items {
		if mayBeSent(it.claim) {
			check = append(check, it)
		}
	}
	if len(check) > 0 {
		api, err := client()
		var found map[int64]models.Receipt
		if err == nil {
			found, err = e.reconcile(ctx, api, wsID, items[0].person, items[0].claim.Occurrence.Recipient, check)
		}
		if err != nil {
			e.log.WarnContext(ctx, "could not check with Slack whether a message was already delivered", "workspace", wsID, "err", err)
			for _, it := range items {
				e.release(ctx, &st, it.claim, at().Add(e.retryAfter), "could not check with Slack whether it was already delivered; trying again")
			}
			return st
		}
		// What was found counts as sent; what was looked for and is not
		// there was not sent, and no longer counts.
		receipts := map[models.Receipt]bool{}
		for _, it := range check {
			if r, ok := found[it.claim.Occurrence.ID]; ok {
				if it.claim.Occurrence.SentAt.IsZero() && !receipts[r] {
					receipts[r] = true
				}
				continue
			}
			if !it.claim.Occurrence.SentAt.IsZero() {
				adjustSent(items, -1)
			}
		}
		adjustSent(items, len(receipts))
		for i := range items {
			if _, ok := found[items[i].claim.Occurrence.ID]; !ok {
				items[i].claim.Occurrence.SentAt = time.Time{}
			}
		}
		items = e.settleFound(ctx, &st, items, found, "takeover", at())
	}
	now := at()
	var deliver []item
	for _, it := range items {
		v := e.decide(it, now)
		switch v.action {
		case attention.Skip:
			e.complete(ctx, &st, it.claim, v.status, v.reason, models.Receipt{}, now)
		case attention.Defer:
			e.release(ctx, &st, it.claim, v.at, v.reason)
		case attention.Deliver:
			it.note = v.reason
			it.decided = now
			deliver = append(deliver, it)
		}
	}
	if len(deliver) == 0 {
		return st
	}
	api, err := client()
	if err != nil {
		for _, it := range deliver {
			e.release(ctx, &st, it.claim, now.Add(e.retryAfter), "Slack is not reachable for this workspace; trying again")
		}
		return st
	}
	st.Add(e.deliver(ctx, api, wsID, deliver))
	return st
}

// adjustSent moves the count of messages sent today that the recipient
// of items is decided with by n.
func adjustSent(items []item, n int) {
	for i := range items {
		items[i].rec.SentToday = max(items[i].rec.SentToday+n, 0)
	}
}

// mayBeSent reports whether a claimed occurrence may be in Slack already:
// taken over from a replica whose lease ran out after it had started
// sending it (it may have reached Slack before the replica stopped), or
// retried after a send Slack did not confirm (which keeps its SentAt
// until it is found or not). One taken over from a replica that died
// before it started sending it — most of a dead replica's claims, which
// wait their turn behind Slack's pace — or released for any other reason
// — deferred, handed back unsent, refused by Slack before it took it — was
// not sent, and is not looked for: each look is a conversations.history
// call, at a pace of about one a second for the whole workspace.
func mayBeSent(c models.Claim) bool {
	return !c.Occurrence.SentAt.IsZero() || (c.LeaseExpired && c.MayBeInSlack)
}

// renewToSend extends the leases of items about to be sent to until,
// marking each as started towards Slack (Occurrences.RenewToSend), and
// returns those still held. An item another replica took over is dropped
// and counted; one whose renewal failed otherwise is dropped too (unsent,
// and with no mark, its lease runs out and it is taken over without a
// look in Slack).
func (e *Engine) renewToSend(ctx context.Context, st *Stats, items []item, until time.Time) []item {
	held := items[:0]
	now := e.clock.Now()
	for _, it := range items {
		err := e.occ.RenewToSend(ctx, it.claim.Occurrence.ID, it.claim.Token, until, now)
		e.held.renewed(it.claim.Occurrence.ID, it.claim.Token, until, err)
		switch {
		case errors.Is(err, models.ErrLeaseLost):
			st.LeaseLost++
			e.metrics.conflict()
			e.log.WarnContext(ctx, "lease lost before sending; another replica has it", "occurrence", it.claim.Occurrence.ID)
			continue
		case err != nil:
			e.log.ErrorContext(ctx, "could not renew a lease", "occurrence", it.claim.Occurrence.ID, "err", err)
			continue
		}
		held = append(held, it)
	}
	return held
}

// settleFound records as delivered the items a reconciliation found in
// Slack, and returns the rest.
func (e *Engine) settleFound(ctx context.Context, st *Stats, items []item, found map[int64]models.Receipt, cause string, now time.Time) []item {
	rest := items[:0]
	for _, it := range items {
		r, ok := found[it.claim.Occurrence.ID]
		if !ok {
			rest = append(rest, it)
			continue
		}
		if e.complete(ctx, st, it.claim, models.OccurrenceDelivered, it.note, r, now) {
			st.Reconciled++
			e.metrics.reconciled(cause, 1)
			e.metrics.late(now.Sub(it.claim.Occurrence.DeliverAt))
		}
	}
	return rest
}

// reasonUnsent starts the reason of an occurrence handed back before any
// call to send it went on the wire. The claim that takes it next, unless
// taken over from an expired lease, knows nothing of it can be in Slack
// and sends without reconciling first.
const reasonUnsent = "handed back unsent: "

// unsent reports whether c took an occurrence its last holder handed back
// unsent (see reasonUnsent).
func unsent(c models.Claim) bool {
	return !c.LeaseExpired && strings.HasPrefix(c.Occurrence.Reason, reasonUnsent)
}

// handBack releases items unsent, due again at once: the next claim, on
// any replica, decides them again and sends them without reconciling. They
// keep the instant they were due, so that the rules for a late delivery
// (sent late while its window is open, else missed) see how late they
// are. It runs when the tick's context may have ended, so it writes with
// a short context of its own.
func (e *Engine) handBack(ctx context.Context, st *Stats, items []item, cause string) {
	claims := make([]models.Claim, len(items))
	for i, it := range items {
		claims[i] = it.claim
	}
	e.handBackClaims(ctx, st, claims, cause)
}

// handBackClaims is handBack for claims not yet loaded.
func (e *Engine) handBackClaims(ctx context.Context, st *Stats, claims []models.Claim, cause string) {
	now := e.clock.Now()
	for _, c := range claims {
		due := c.Occurrence.DeliverAt
		if due.IsZero() || due.After(now) {
			due = now
		}
		e.release(ctx, st, c, due, reasonUnsent+cause)
		st.HandedBack++
	}
}

// WriteContext is the context a claim's outcome is written with — a
// DM's here, a feature's post's by the feature: not cancelled with ctx, so
// that a replica that is stopping (or a run whose time is up) still
// records what it sent and hands back what it did not, but bounded.
func WriteContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// load reads, for one workspace's claims, the schedules, the workspace,
// its holidays, and each person recipient's settings, away periods and
// messages sent in the last two days — a handful of queries per batch.
func (e *Engine) load(ctx context.Context, wsID string, claims []models.Claim, now time.Time) ([]item, error) {
	keys := map[string]bool{}
	var keyList, people []string
	seen := map[string]bool{}
	for _, c := range claims {
		o := c.Occurrence
		if key, _ := splitCadenceID(o.CadenceID); !keys[key] {
			keys[key] = true
			keyList = append(keyList, key)
		}
		if isPerson(o.Recipient) && !seen[o.Recipient] {
			seen[o.Recipient] = true
			people = append(people, o.Recipient)
		}
		// A group's members are loaded as people are: the same few
		// queries for the whole batch.
		users, _ := GroupMembers(o.Recipient)
		for _, u := range users {
			if !seen[u] {
				seen[u] = true
				people = append(people, u)
			}
		}
	}
	scheds, err := e.schedules.ByKeys(ctx, wsID, keyList)
	if err != nil {
		return nil, err
	}
	ws, err := e.ws.Get(ctx, wsID)
	if errors.Is(err, models.ErrNotFound) {
		ws = models.NewWorkspace(wsID, "")
	} else if err != nil {
		return nil, err
	}
	today := calendar.DateOf(now.UTC())
	var hols []models.Holiday
	var persons map[string]models.Person
	var away map[string][]models.AwayPeriod
	var sent []models.Sent
	if len(people) > 0 {
		if hols, err = e.ws.Holidays(ctx, wsID, today.AddDays(-2), today.AddDays(cadence.WindowHorizonDays+2)); err != nil {
			return nil, err
		}
		if persons, away, err = e.people.GetMany(ctx, wsID, people, today.AddDays(-2)); err != nil {
			return nil, err
		}
		if sent, err = e.occ.SentSince(ctx, wsID, people, now.Add(-50*time.Hour)); err != nil {
			return nil, err
		}
	}
	sentBy := map[string][]models.Sent{}
	for _, s := range sent {
		sentBy[s.Recipient] = append(sentBy[s.Recipient], s)
	}
	items := make([]item, 0, len(claims))
	for _, c := range claims {
		key, _ := splitCadenceID(c.Occurrence.CadenceID)
		it := item{claim: c, schedule: scheds[key]}
		if p, ok := persons[c.Occurrence.Recipient]; ok {
			it.person = &p
			it.rec = RecipientView(p, ws, away[p.UserID], hols)
			it.rec.SentToday = sentToday(sentBy[p.UserID], it.rec.Loc(), now)
			it.hours = it.rec.WorkingHours()
			it.budget = it.rec.DailyBudget
		}
		users, _ := GroupMembers(c.Occurrence.Recipient)
		for _, u := range users {
			p, ok := persons[u]
			if !ok {
				it.missing, it.members = u, nil
				break
			}
			rec := RecipientView(p, ws, away[u], hols)
			// Each member's own messages today count against the group's
			// send (it needs room in everyone's budget); the group's own
			// messages, to another recipient, do not count for them.
			rec.SentToday = sentToday(sentBy[u], rec.Loc(), now)
			it.members = append(it.members, member{person: p, rec: rec})
		}
		items = append(items, it)
	}
	return items, nil
}

// sentToday counts the distinct messages among sent delivered on the local
// date of now: occurrences merged into one DM count once, and a send Slack
// did not confirm counts as one message of its own.
func sentToday(sent []models.Sent, loc *time.Location, now time.Time) int {
	day := calendar.DateOf(now.In(loc))
	from, to := day.In(loc), day.AddDays(1).In(loc)
	msgs := map[models.Receipt]bool{}
	unconfirmed := 0
	for _, s := range sent {
		if s.At.Before(from) || !s.At.Before(to) {
			continue
		}
		if s.Unconfirmed {
			unconfirmed++
			continue
		}
		msgs[s.Receipt] = true
	}
	return len(msgs) + unconfirmed
}

// decide applies the rules to one claimed occurrence at now: a removed or
// paused schedule skips; a late one whose window has closed is missed
// (rule 6); then the attention policy, asked now, delivers, defers or
// skips; a deferred or late one whose next occurrence is due in the same
// window is superseded (rule 5).
func (e *Engine) decide(it item, now time.Time) verdict {
	o, sc := it.claim.Occurrence, it.schedule
	switch {
	case sc.ID == 0:
		return settle(models.OccurrenceSkipped, "removed: the schedule that asked for it no longer exists")
	case sc.Paused:
		return settle(models.OccurrenceSkipped, pausedReason(sc))
	}
	if isGroup(o.Recipient) {
		return e.decideGroup(it, now)
	}
	if !isPerson(o.Recipient) {
		if late := now.Sub(o.DeliverAt); late > e.channelWindow {
			return settle(models.OccurrenceMissed, fmt.Sprintf(
				"missed: %s; posts more than %s late are not sent",
				e.lateWhy(it.claim, o.DeliverAt.In(channelLocation(sc)).Format(whenLayout)), e.channelWindow))
		}
		return verdict{action: attention.Deliver, at: now}
	}
	if it.person == nil {
		return settle(models.OccurrenceSkipped, "removed: Trellis has no profile for this person any more")
	}
	c, err := e.parse(sc)
	if err != nil {
		return settle(models.OccurrenceSkipped, "the schedule's cadence cannot be read: "+err.Error())
	}
	_, oneOff := splitCadenceID(o.CadenceID)
	loc := it.person.Location()
	off := attention.Off(it.rec, now)
	if now.Sub(o.DeliverAt) > e.grace {
		// Rule 6: late. Sent late only while the window it was due in is
		// still open.
		if first, ok, _ := cadence.DeliverAt(o.DeliverAt, loc, it.hours, off); ok {
			if end, ok := cadence.WindowEnd(first, loc, it.hours, off); ok && !now.Before(end) {
				return settle(models.OccurrenceMissed, fmt.Sprintf(
					"missed: %s; that working window closed at %s, so it is not sent late",
					e.lateWhy(it.claim, first.In(loc).Format(whenLayout)), end.In(loc).Format(whenLayout)))
			}
		}
	}
	// A claim takes what is due later in the same minute with what is due
	// now, to send it in the same message: it is decided as due now.
	nominal := o.NominalAt
	if nominal.After(now) {
		nominal = now
	}
	d := attention.Decide(it.rec, nominal, now)
	switch d.Action {
	case attention.Skip:
		return settle(models.OccurrenceSkipped, d.Reason)
	case attention.Defer:
		// Rule 5 belongs to a cadence's own occurrences; a one-off (a
		// reminder, a snooze) has no next one to give way to.
		if sup, why := cadence.Superseded(c, o.NominalAt, d.At, loc, it.hours, off); sup && !oneOff {
			return settle(models.OccurrenceSuperseded, d.Reason+"; "+why)
		}
		return verdict{action: attention.Defer, at: d.At, reason: d.Reason}
	}
	if now.Sub(o.NominalAt) <= e.grace {
		return verdict{action: attention.Deliver, at: now}
	}
	if sup, why := cadence.Superseded(c, o.NominalAt, now, loc, it.hours, off); sup && !oneOff {
		return settle(models.OccurrenceSuperseded, why)
	}
	// Deferred, then delivered: say why it waited.
	why := o.Reason
	if now.Sub(o.DeliverAt) > e.grace {
		why = "sent late: " + e.lateWhy(it.claim, o.DeliverAt.In(loc).Format(whenLayout))
	} else if unsent(it.claim) {
		why = ""
	}
	return verdict{action: attention.Deliver, at: now, reason: why}
}

// lateWhy says why a claimed occurrence due at due (as a reason shows it)
// comes late: a replica that had claimed it stopped (its lease ran out
// and this claim took it over); it was handed back unsent; this engine was
// running when it fell due but reached it late (a backlog behind Slack's
// pace, or a slow or unreachable database or Slack); or nobody claimed it
// in time and this engine was not running then either — Trellis was not
// running. Runs no further apart than the grace count as running
// throughout (see Engine.upSince).
func (e *Engine) lateWhy(c models.Claim, due string) string {
	switch {
	case c.LeaseExpired:
		return fmt.Sprintf("a Trellis replica stopped while sending it (it was due %s)", due)
	case unsent(c):
		return fmt.Sprintf("it was handed back unsent, as %s (it was due %s)", strings.TrimPrefix(c.Occurrence.Reason, reasonUnsent), due)
	case !e.upSince.IsZero() && !c.Occurrence.DeliverAt.Before(e.upSince.Add(-e.grace)):
		return fmt.Sprintf("Trellis was running but reached it late, behind other work or a slow Slack or database (it was due %s)", due)
	}
	return fmt.Sprintf("Trellis was not running while it was due (%s)", due)
}

// whenLayout is how an instant appears in a reason.
const whenLayout = "Mon 2 Jan 15:04 MST"

// complete settles a claim, counting it.
func (e *Engine) complete(ctx context.Context, st *Stats, c models.Claim, status, reason string, receipt models.Receipt, at time.Time) bool {
	wctx, cancel := WriteContext(ctx)
	defer cancel()
	err := e.occ.Complete(wctx, c.Occurrence.ID, c.Token, status, reason, receipt, at)
	e.held.drop(c.Occurrence.ID, c.Token)
	if errors.Is(err, models.ErrLeaseLost) {
		st.LeaseLost++
		e.metrics.conflict()
		return false
	}
	if err != nil {
		e.log.ErrorContext(ctx, "could not settle an occurrence", "occurrence", c.Occurrence.ID, "status", status, "err", err)
		return false
	}
	label := status
	if status == models.OccurrenceDelivered {
		st.Delivered++
		if reason != "" {
			label = "deferred_then_delivered"
		}
	} else {
		st.Settled++
	}
	e.metrics.settled(label, reasonCode(status, reason))
	return true
}

// release hands a claim back, deferred to at. One a send of which Slack
// did not confirm keeps that mark, so it counts as sent until a claim has
// looked for it.
func (e *Engine) release(ctx context.Context, st *Stats, c models.Claim, at time.Time, reason string) {
	wctx, cancel := WriteContext(ctx)
	defer cancel()
	var err error
	if sent := c.Occurrence.SentAt; !sent.IsZero() {
		err = e.occ.ReleaseUnconfirmed(wctx, c.Occurrence.ID, c.Token, at, sent, reason)
	} else {
		err = e.occ.Release(wctx, c.Occurrence.ID, c.Token, at, reason)
	}
	e.held.drop(c.Occurrence.ID, c.Token)
	if errors.Is(err, models.ErrLeaseLost) {
		st.LeaseLost++
		e.metrics.conflict()
		return
	}
	if err != nil {
		e.log.ErrorContext(ctx, "could not defer an occurrence", "occurrence", c.Occurrence.ID, "err", err)
		return
	}
	st.Deferred++
	e.metrics.settled(models.OccurrenceDeferred, reasonCode(models.OccurrenceDeferred, reason))
}

// deliver sends one recipient's deliverable occurrences, merged into as
// few messages as Block Kit allows (normally one). Any that may be in
// Slack already were looked for before they were decided.
func (e *Engine) deliver(ctx context.Context, api Slack, wsID string, items []item) Stats {
	var st Stats
	slices.SortFunc(items, func(a, b item) int {
		return cmp.Or(a.claim.Occurrence.NominalAt.Compare(b.claim.Occurrence.NominalAt), cmp.Compare(a.claim.Occurrence.ID, b.claim.Occurrence.ID))
	})
	recipient := items[0].claim.Occurrence.Recipient
	person := items[0].person

	// Renew, marking the wire: a claimer that stalled past its lease
	// learns it here, before it sends anything, and one that dies from
	// here on is looked for in Slack by whoever takes its claims over.
	until := e.clock.Now().Add(e.lease)
	items = e.renewToSend(ctx, &st, items, until)
	if len(items) == 0 {
		return st
	}

	// Compose.
	var parts []part
	for _, it := range items {
		comp, ok := e.composer(it.schedule.Key)
		if !ok {
			e.complete(ctx, &st, it.claim, models.OccurrenceSkipped, "no composer is registered for "+it.schedule.Kind(), models.Receipt{}, e.clock.Now())
			continue
		}
		var loc *time.Location
		switch {
		case it.person != nil:
			loc = it.person.Location()
		case isGroup(recipient):
			// A group's members may be in several zones: its message is
			// written in UTC.
			loc = time.UTC
		default:
			loc = channelLocation(it.schedule)
		}
		oneOff, err := e.decodeOneOff(it.schedule.Kind(), it.claim.Occurrence.CadenceID, it.claim.Occurrence.Payload)
		if errors.Is(err, errNewerOneOff) && e.clock.Now().Sub(it.claim.Occurrence.NominalAt) < e.catchUp {
			// Planned by a newer build: during a rolling deploy a newer
			// replica sends it. Not for ever: once it is older than
			// CatchUp, the newer build is taken to be gone (rolled back),
			// and it is skipped below.
			e.log.InfoContext(ctx, "a one-off was planned by a newer build; leaving it to a newer replica", "schedule", it.schedule.Key, "occurrence", it.claim.Occurrence.ID, "err", err)
			e.release(ctx, &st, it.claim, e.clock.Now().Add(e.retryAfter), "waiting for a newer Trellis to send it: "+err.Error())
			continue
		}
		if err != nil {
			// Stored damaged, or planned by a newer build gone for
			// CatchUp: trying again would not help.
			if !errors.Is(err, errUnreadable) {
				err = fmt.Errorf("%w: %w", errUnreadable, err)
			}
			e.log.WarnContext(ctx, "could not read a one-off's payload", "schedule", it.schedule.Key, "occurrence", it.claim.Occurrence.ID, "err", err)
			e.complete(ctx, &st, it.claim, models.OccurrenceSkipped, err.Error(), models.Receipt{}, e.clock.Now())
			continue
		}
		var members []models.Person
		for _, m := range it.members {
			members = append(members, m.person)
		}
		msg, err := comp.Compose(ctx, Context{Occurrence: it.claim.Occurrence, Schedule: it.schedule, OneOff: oneOff, Person: it.person, Members: members, Location: loc})
		if reason, skip := isSkip(err); skip {
			e.complete(ctx, &st, it.claim, models.OccurrenceSkipped, reason, models.Receipt{}, e.clock.Now())
			continue
		}
		if err != nil {
			e.log.ErrorContext(ctx, "could not compose a message", "schedule", it.schedule.Key, "occurrence", it.claim.Occurrence.ID, "err", err)
			e.release(ctx, &st, it.claim, e.clock.Now().Add(e.retryAfter), "Trellis could not write the message; trying again")
			continue
		}
		parts = append(parts, part{item: it, msg: msg})
	}
	if len(parts) == 0 {
		return st
	}
	channel := recipient
	if isGroup(recipient) {
		// A group DM is addressed by its channel: conversations.open with
		// its people gives it (the same one every time).
		ch, err := openGroup(ctx, api, recipient)
		if err != nil {
			e.settleUnopened(ctx, &st, parts, err)
			return st
		}
		channel = ch
	}
	sentAt := e.clock.Now()
	for _, out := range assemble(parts, func(it item) string { return whyLine(it, sentAt) }) {
		st.Add(e.send(ctx, api, wsID, person, channel, out))
	}
	return st
}

// settleUnopened settles the parts of a group message whose group DM
// Slack did not open, by the one policy for Slack's errors: nothing was
// posted, so nothing needs looking for.
func (e *Engine) settleUnopened(ctx context.Context, st *Stats, parts []part, err error) {
	now := e.clock.Now()
	f := readFailure(ctx, err)
	if f.kind == failUnsent {
		items := make([]item, len(parts))
		for i, p := range parts {
			items[i] = p.item
		}
		e.handBack(ctx, st, items, unsentCause(err))
		return
	}
	at, giveUp := e.retryAt(f, false, 0, time.Time{}, now)
	e.log.WarnContext(ctx, "could not open a group DM", "recipient", parts[0].item.claim.Occurrence.Recipient, "err", err, "give_up", giveUp)
	for _, p := range parts {
		if giveUp {
			e.complete(ctx, st, p.item.claim, models.OccurrenceSkipped, "Slack refused the group conversation: "+f.code, models.Receipt{}, now)
			continue
		}
		e.release(ctx, st, p.item.claim, at, "Slack could not open the group conversation; trying again")
	}
}

// sendCheck is what must still hold for out to go on the wire at the
// clock's now: every lease held with a quarter of it left (by then
// another replica may take the occurrences over), a decision not older
// than grace, and the recipient still inside the window the decision
// counted on — their working window, not away, or for a channel post its
// ChannelWindow. It reads nothing from the database: the transport calls
// it after its wait for a rate-limit slot, right before the request.
func (e *Engine) sendCheck(out outgoing) func() error {
	return func() error {
		now := e.clock.Now()
		if err := e.inWindow(out.items[0], now); err != nil {
			return err
		}
		keys := make([]leaseKey, len(out.items))
		for i, it := range out.items {
			if now.Sub(it.decided) > e.grace {
				return errStale
			}
			keys[i] = occurrenceKey(it.claim.Occurrence.ID)
		}
		return e.leasesHeld(keys, now)
	}
}

// leasesHeld is the part of the check before the wire that DMs and posts
// share: every lease the message depends on is still this engine's, with
// a quarter of it left (by then another replica may take it over).
func (e *Engine) leasesHeld(keys []leaseKey, now time.Time) error {
	for _, k := range keys {
		if !e.held.holdsKey(k, now.Add(e.lease/4)) {
			return errLeaseEnding
		}
	}
	return nil
}

// onTheWire posts a message with check asked right before the call: by
// the transport after its wait for a rate-limit slot, and here first for
// a client without it.
func onTheWire(ctx context.Context, api poster, channel string, check func() error, opts ...slack.MsgOption) (string, string, error) {
	if err := check(); err != nil {
		return "", "", err
	}
	return api.PostMessageContext(bot.WithSendCheck(ctx, check), channel, opts...)
}

// inWindow reports, as errWindowClosed, whether the recipient of it may
// not get a message at now.
func (e *Engine) inWindow(it item, now time.Time) error {
	if isGroup(it.claim.Occurrence.Recipient) {
		return groupInWindow(it.members, now)
	}
	if it.person == nil {
		if now.Sub(it.claim.Occurrence.DeliverAt) > e.channelWindow {
			return errWindowClosed
		}
		return nil
	}
	// The budget was counted when it was decided, and nothing else is sent
	// to the recipient while the claim is held: ask only whether now is
	// inside their window.
	rec := it.rec
	rec.SentToday = 0
	if d := attention.Decide(rec, now, now); d.Action != attention.Deliver {
		return fmt.Errorf("%w: %s", errWindowClosed, d.Reason)
	}
	return nil
}

// send posts one message and settles its occurrences by the outcome.
func (e *Engine) send(ctx context.Context, api Slack, wsID string, person *models.Person, recipient string, out outgoing) Stats {
	var st Stats
	if e.beforeSend != nil {
		e.beforeSend(ctx, out.items)
	}
	channel, ts, err := onTheWire(ctx, api, recipient, e.sendCheck(out),
		slack.MsgOptionText(out.text, false),
		slack.MsgOptionBlocks(out.blocks...),
		slack.MsgOptionMetadata(metadata(wsID, out.items)))
	now := e.clock.Now()
	var f slackFailure
	if err != nil {
		f = readFailure(ctx, err)
	}
	switch {
	case err == nil:
		st.Messages++
		receipt := models.Receipt{Channel: channel, TS: ts}
		for _, it := range out.items {
			if e.complete(ctx, &st, it.claim, models.OccurrenceDelivered, it.note, receipt, now) {
				e.metrics.late(now.Sub(it.claim.Occurrence.DeliverAt))
			}
		}
		if person != nil && channel != "" && channel != person.DMChannel {
			wctx, cancel := WriteContext(ctx)
			if err := e.people.SetDMChannel(wctx, wsID, person.UserID, channel); err != nil {
				e.log.WarnContext(ctx, "could not store a DM channel", "user", person.UserID, "err", err)
			}
			cancel()
		}
	case f.kind == failAmbiguous:
		// Slack may have the message. Look for it; resend only what is
		// certainly not there, and only on a later claim (which looks
		// again first). Until then it counts as sent.
		e.log.WarnContext(ctx, "delivery outcome unknown; reconciling", "workspace", wsID, "recipient", recipient, "err", err)
		rctx, cancel := WriteContext(ctx)
		found, rerr := e.reconcile(rctx, api, wsID, person, recipient, out.items)
		cancel()
		if rerr != nil {
			// found is nil: everything is checked again at the next claim.
			e.log.WarnContext(ctx, "could not reconcile; checking again later", "workspace", wsID, "recipient", recipient, "err", rerr)
		}
		for _, it := range e.settleFound(ctx, &st, out.items, found, "ambiguous", now) {
			// Not found yet is not proof: Slack may still store the post.
			// It counts as sent until the next claim looks again.
			it.claim.Occurrence.SentAt = now
			e.release(ctx, &st, it.claim, now.Add(e.retryAfter), "Slack did not confirm the message; Trellis checks the conversation before trying again")
		}
	case f.kind == failUnsent:
		// Stopped before the call went on the wire: hand it back at once,
		// to be decided again.
		e.log.InfoContext(ctx, "not sent; handed back to be decided again", "workspace", wsID, "recipient", recipient, "why", err)
		e.handBack(ctx, &st, out.items, unsentCause(err))
	default:
		at, giveUp := e.retryAt(f, false, 0, time.Time{}, now)
		if giveUp {
			for _, it := range out.items {
				e.complete(ctx, &st, it.claim, models.OccurrenceSkipped, "Slack refused the message: "+f.code, models.Receipt{}, now)
			}
			return st
		}
		e.log.WarnContext(ctx, "delivery failed; trying again later", "workspace", wsID, "recipient", recipient, "err", err)
		for _, it := range out.items {
			e.release(ctx, &st, it.claim, at, "Slack could not take the message; trying again")
		}
	}
	return st
}

// reconcile looks in the recipient's conversation for messages carrying
// the items' occurrence ids, and returns where each found one is.
func (e *Engine) reconcile(ctx context.Context, api Slack, wsID string, person *models.Person, recipient string, items []item) (map[int64]models.Receipt, error) {
	channel := recipient
	if isGroup(recipient) {
		ch, err := openGroup(ctx, api, recipient)
		if err != nil {
			return nil, err
		}
		channel = ch
	}
	if person != nil {
		channel = person.DMChannel
		if channel == "" {
			ch, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{recipient}, ReturnIM: true})
			if err != nil {
				return nil, fmt.Errorf("open the DM with %s: %w", recipient, err)
			}
			channel = ch.ID
			if err := e.people.SetDMChannel(ctx, wsID, recipient, channel); err != nil {
				e.log.WarnContext(ctx, "could not store a DM channel", "user", recipient, "err", err)
			}
		}
	}
	want := map[int64]bool{}
	oldest := e.clock.Now()
	for _, it := range items {
		want[it.claim.Occurrence.ID] = true
		if c := it.claim.Occurrence.CreatedAt; !c.IsZero() && c.Before(oldest) {
			oldest = c
		}
	}
	found := map[int64]models.Receipt{}
	err := scanConversation(ctx, api, channel, "", oldest.Add(-time.Minute), func(m slack.Message) bool {
		for _, id := range occurrenceIDs(m.Metadata) {
			if want[id] {
				found[id] = models.Receipt{Channel: channel, TS: m.Timestamp}
			}
		}
		return len(found) == len(want)
	})
	if err != nil {
		return nil, fmt.Errorf("read the history of %s: %w", channel, err)
	}
	return found, nil
}
