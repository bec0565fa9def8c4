package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/jobs/attention"
	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models"
)

// item is one claimed occurrence with what deciding and writing it needs.
type item struct {
	claim    models.Claim
	schedule models.Schedule
	// person is the recipient of a DM, nil for a channel post.
	person *models.Person
	rec    attention.Recipient
	hours  models.WorkingHours
	budget int
	// note is why a delivery was not on time (it waited for working hours,
	// or Trellis was down), kept with the delivered occurrence.
	note string
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

// errLeaseEnding stops a send whose lease would run out before Slack
// answers.
var errLeaseEnding = errors.New("the delivery lease is about to run out")

// claimAndDeliver claims up to Batch due occurrences and handles them.
func (e *Engine) claimAndDeliver(ctx context.Context, now time.Time) (Stats, error) {
	var st Stats
	claims, err := e.occ.Claim(ctx, now, e.lease, e.batch)
	if err != nil {
		return st, err
	}
	st.Claimed = len(claims)
	if len(claims) == 0 {
		return st, nil
	}
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
	for _, ws := range order {
		wst, err := e.handleWorkspace(ctx, ws, byWS[ws], now)
		st.Add(wst)
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// handleWorkspace decides and delivers one workspace's claims.
func (e *Engine) handleWorkspace(ctx context.Context, wsID string, claims []models.Claim, now time.Time) (Stats, error) {
	var st Stats
	items, err := e.load(ctx, wsID, claims, now)
	if err != nil {
		// Without the settings the policy cannot be asked: hand the
		// claims back for the next tick.
		for _, c := range claims {
			e.release(ctx, &st, c, now.Add(e.retryAfter), "could not read the recipient's settings; trying again")
		}
		return st, err
	}
	deliver := map[string][]item{}
	var recipients []string
	for _, it := range items {
		v := e.decide(it, now)
		switch v.action {
		case attention.Skip:
			e.complete(ctx, &st, it.claim, v.status, v.reason, models.Receipt{}, now)
		case attention.Defer:
			e.release(ctx, &st, it.claim, v.at, v.reason)
		case attention.Deliver:
			r := it.claim.Occurrence.Recipient
			if _, ok := deliver[r]; !ok {
				recipients = append(recipients, r)
			}
			it.note = v.reason
			deliver[r] = append(deliver[r], it)
		}
	}
	if len(recipients) == 0 {
		return st, nil
	}
	api, err := e.clients(ctx, wsID)
	if err != nil {
		for _, r := range recipients {
			for _, it := range deliver[r] {
				e.release(ctx, &st, it.claim, now.Add(e.retryAfter), "Slack is not reachable for this workspace; trying again")
			}
		}
		return st, fmt.Errorf("slack client for %s: %w", wsID, err)
	}
	// At Slack's pace a round of claims takes a while to send (500 DMs at
	// 600 a minute, shared by the replicas, take a minute or more), so the
	// leases of the recipients still waiting are renewed whenever a third
	// of the lease has passed: they never run out while this replica works
	// through them, and no other replica takes them over.
	renewed := now
	for i, r := range recipients {
		if ctx.Err() != nil {
			// The tick was cancelled: hand back what was not sent, so the
			// next tick takes it at once, without reconciling it.
			e.handBack(ctx, &st, recipients[i:], deliver)
			break
		}
		if t := e.clock.Now(); t.Sub(renewed) >= e.lease/3 {
			renewed = t
			e.heartbeat(ctx, &st, recipients[i:], deliver, t.Add(e.lease))
			if len(deliver[r]) == 0 {
				continue
			}
		}
		st.Add(e.deliver(ctx, api, wsID, deliver[r]))
	}
	return st, nil
}

// heartbeat renews until the leases of the recipients' items, dropping
// those another replica has taken over.
func (e *Engine) heartbeat(ctx context.Context, st *Stats, recipients []string, items map[string][]item, until time.Time) {
	for _, r := range recipients {
		// On another error the item stays: deliver renews again before
		// sending, and drops it then if the lease is gone.
		items[r] = e.renew(ctx, st, items[r], until, true)
	}
}

// renew extends the leases of items to until and returns those still held.
// An item another replica took over is dropped and counted; one whose
// renewal failed otherwise is kept only with keepUnsure.
func (e *Engine) renew(ctx context.Context, st *Stats, items []item, until time.Time, keepUnsure bool) []item {
	held := items[:0]
	for _, it := range items {
		err := e.occ.Renew(ctx, it.claim.Occurrence.ID, it.claim.Token, until)
		switch {
		case errors.Is(err, models.ErrLeaseLost):
			st.LeaseLost++
			e.metrics.conflict()
			e.log.WarnContext(ctx, "lease lost before sending; another replica has it", "occurrence", it.claim.Occurrence.ID)
			continue
		case err != nil:
			e.log.ErrorContext(ctx, "could not renew a lease", "occurrence", it.claim.Occurrence.ID, "err", err)
			if !keepUnsure {
				continue
			}
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

// handBack releases the recipients' items, unsent, due now. It runs when
// the tick's context has ended, so it writes with a short context of its
// own.
func (e *Engine) handBack(ctx context.Context, st *Stats, recipients []string, items map[string][]item) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := e.clock.Now()
	for _, r := range recipients {
		for _, it := range items[r] {
			e.release(wctx, st, it.claim, now, reasonUnsent+"the engine's tick ended before it was sent")
		}
	}
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
	today := models.DateOf(now.UTC())
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
			it.hours = p.WorkingHoursIn(ws)
			if it.hours == (models.WorkingHours{}) {
				it.hours = models.DefaultWorkingHours
			}
			it.budget = p.DailyBudgetIn(ws)
			it.rec = attention.Recipient{
				Person:          p,
				Workspace:       ws,
				Away:            away[p.UserID],
				CompanyHolidays: hols,
				SentToday:       sentToday(sentBy[p.UserID], p.Location(), now),
				DailyBudget:     it.budget,
			}
		}
		items = append(items, it)
	}
	return items, nil
}

// sentToday counts the distinct messages among sent delivered on the local
// date of now: occurrences merged into one DM count once.
func sentToday(sent []models.Sent, loc *time.Location, now time.Time) int {
	day := models.DateOf(now.In(loc))
	from, to := day.In(loc), day.AddDays(1).In(loc)
	msgs := map[models.Receipt]bool{}
	for _, s := range sent {
		if !s.At.Before(from) && s.At.Before(to) {
			msgs[s.Receipt] = true
		}
	}
	return len(msgs)
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
	if !isPerson(o.Recipient) {
		if late := now.Sub(o.DeliverAt); late > e.channelWindow {
			return settle(models.OccurrenceMissed, fmt.Sprintf(
				"missed: Trellis was not running when this post was due (%s); posts more than %s late are not sent",
				o.DeliverAt.In(channelLocation(sc)).Format(whenLayout), e.channelWindow))
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
	_, tag := splitCadenceID(o.CadenceID)
	oneOff := tag != ""
	loc := it.person.Location()
	off := attention.Off(it.rec, now)
	if now.Sub(o.DeliverAt) > e.grace {
		// Rule 6: late after downtime. Sent late only while the window it
		// was due in is still open.
		if first, ok, _ := cadence.DeliverAt(o.DeliverAt, loc, it.hours, off); ok {
			if end, ok := cadence.WindowEnd(first, loc, it.hours, off); ok && !now.Before(end) {
				return settle(models.OccurrenceMissed, fmt.Sprintf(
					"missed: Trellis was not running while it was due (%s); that working window closed at %s, so it is not sent late",
					first.In(loc).Format(whenLayout), end.In(loc).Format(whenLayout)))
			}
		}
	}
	d := attention.Decide(it.rec, o.NominalAt, now)
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
		why = fmt.Sprintf("sent late: Trellis was not running when it was due (%s)", o.DeliverAt.In(loc).Format(whenLayout))
	}
	return verdict{action: attention.Deliver, at: now, reason: why}
}

// whenLayout is how an instant appears in a reason.
const whenLayout = "Mon 2 Jan 15:04 MST"

// complete settles a claim, counting it.
func (e *Engine) complete(ctx context.Context, st *Stats, c models.Claim, status, reason string, receipt models.Receipt, at time.Time) bool {
	err := e.occ.Complete(ctx, c.Occurrence.ID, c.Token, status, reason, receipt, at)
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

// release hands a claim back, deferred to at.
func (e *Engine) release(ctx context.Context, st *Stats, c models.Claim, at time.Time, reason string) {
	err := e.occ.Release(ctx, c.Occurrence.ID, c.Token, at, reason)
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
// few messages as Block Kit allows (normally one).
func (e *Engine) deliver(ctx context.Context, api Slack, wsID string, items []item) Stats {
	var st Stats
	slices.SortFunc(items, func(a, b item) int {
		return cmp.Or(a.claim.Occurrence.NominalAt.Compare(b.claim.Occurrence.NominalAt), cmp.Compare(a.claim.Occurrence.ID, b.claim.Occurrence.ID))
	})
	recipient := items[0].claim.Occurrence.Recipient
	person := items[0].person

	// Renew: a claimer that stalled past its lease learns it here, before
	// it sends anything.
	until := e.clock.Now().Add(e.lease)
	items = e.renew(ctx, &st, items, until, false)
	if len(items) == 0 {
		return st
	}

	// A claim taken over from a stalled replica, or retried after Slack
	// left the outcome unknown, may have been delivered already: look
	// before sending. One its last holder handed back unsent cannot be.
	var check []item
	for _, it := range items {
		if it.claim.Occurrence.Attempts > 1 && !unsent(it.claim) {
			check = append(check, it)
		}
	}
	if len(check) > 0 {
		found, err := e.reconcile(ctx, api, wsID, person, recipient, check)
		if err != nil {
			for _, it := range items {
				e.release(ctx, &st, it.claim, e.clock.Now().Add(e.retryAfter), "could not check with Slack whether it was already delivered; trying again")
			}
			return st
		}
		items = e.settleFound(ctx, &st, items, found, "takeover", e.clock.Now())
		if len(items) == 0 {
			return st
		}
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
		if it.person != nil {
			loc = it.person.Location()
		} else {
			loc = channelLocation(it.schedule)
		}
		_, tag := splitCadenceID(it.claim.Occurrence.CadenceID)
		msg, err := comp.Compose(ctx, Context{Occurrence: it.claim.Occurrence, Schedule: it.schedule, Tag: tag, Person: it.person, Location: loc})
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
	sentAt := e.clock.Now()
	for _, out := range assemble(parts, func(it item) string { return whyLine(it, sentAt) }) {
		st.Add(e.send(ctx, api, wsID, person, recipient, out, until))
	}
	return st
}

// send posts one message and settles its occurrences by the outcome.
func (e *Engine) send(ctx context.Context, api Slack, wsID string, person *models.Person, recipient string, out outgoing, until time.Time) Stats {
	var st Stats
	// Never on the wire once the lease is nearly over: by then another
	// replica may have taken the occurrences over.
	deadline := until.Add(-e.lease / 4)
	sctx := bot.WithSendCheck(ctx, func() error {
		if !e.clock.Now().Before(deadline) {
			return errLeaseEnding
		}
		return nil
	})
	channel, ts, err := api.PostMessageContext(sctx, recipient,
		slack.MsgOptionText(out.text, false),
		slack.MsgOptionBlocks(out.blocks...),
		slack.MsgOptionMetadata(metadata(wsID, out.items)))
	now := e.clock.Now()
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
			if err := e.people.SetDMChannel(ctx, wsID, person.UserID, channel); err != nil {
				e.log.WarnContext(ctx, "could not store a DM channel", "user", person.UserID, "err", err)
			}
		}
	case errors.Is(err, bot.ErrAmbiguous):
		// Slack may have the message. Look for it; resend only what is
		// certainly not there, and only on a later claim (which looks
		// again first).
		e.log.WarnContext(ctx, "delivery outcome unknown; reconciling", "workspace", wsID, "recipient", recipient, "err", err)
		found, rerr := e.reconcile(ctx, api, wsID, person, recipient, out.items)
		if rerr != nil {
			// found is nil: everything is checked again at the next claim.
			e.log.WarnContext(ctx, "could not reconcile; checking again later", "workspace", wsID, "recipient", recipient, "err", rerr)
		}
		for _, it := range e.settleFound(ctx, &st, out.items, found, "ambiguous", now) {
			e.release(ctx, &st, it.claim, now.Add(e.retryAfter), "Slack did not confirm the message; Trellis checks the conversation before trying again")
		}
	case errors.Is(err, errLeaseEnding):
		for _, it := range out.items {
			e.release(ctx, &st, it.claim, now, reasonUnsent+"the lease ran short while waiting for Slack's rate limit")
		}
	default:
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && permanent(se.Err) {
			for _, it := range out.items {
				e.complete(ctx, &st, it.claim, models.OccurrenceSkipped, "Slack refused the message: "+se.Err, models.Receipt{}, now)
			}
			return st
		}
		e.log.WarnContext(ctx, "delivery failed; trying again later", "workspace", wsID, "recipient", recipient, "err", err)
		for _, it := range out.items {
			e.release(ctx, &st, it.claim, now.Add(e.retryAfter), "Slack could not take the message; trying again")
		}
	}
	return st
}

// permanent reports whether a Slack error code means the message can
// never be delivered, so trying again would only repeat it.
func permanent(code string) bool {
	switch code {
	case "channel_not_found", "user_not_found", "account_inactive", "user_disabled", "is_archived",
		"not_in_channel", "cannot_dm_bot", "messages_tab_disabled", "restricted_action", "msg_too_long",
		"invalid_blocks", "msg_blocks_too_long", "no_text", "too_many_attachments":
		return true
	}
	return false
}

// reconcile looks in the recipient's conversation for messages carrying
// the items' occurrence ids, and returns where each found one is.
func (e *Engine) reconcile(ctx context.Context, api Slack, wsID string, person *models.Person, recipient string, items []item) (map[int64]models.Receipt, error) {
	channel := recipient
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
	oldest = oldest.Add(-time.Minute)
	found := map[int64]models.Receipt{}
	params := &slack.GetConversationHistoryParameters{
		ChannelID:          channel,
		Oldest:             strconv.FormatInt(oldest.Unix(), 10) + ".000000",
		Limit:              200,
		IncludeAllMetadata: true,
	}
	for page := 0; page < 10; page++ {
		resp, err := api.GetConversationHistoryContext(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("read the history of %s: %w", channel, err)
		}
		for _, m := range resp.Messages {
			for _, id := range occurrenceIDs(m.Metadata) {
				if want[id] {
					found[id] = models.Receipt{Channel: channel, TS: m.Timestamp}
				}
			}
		}
		if len(found) == len(want) || !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			break
		}
		params.Cursor = resp.ResponseMetaData.NextCursor
	}
	return found, nil
}
