package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// maxPerTarget bounds how many nominal instants one target plans in one
// round: a cadence firing every minute over a day of downtime is 1,440.
const maxPerTarget = 2000

// profileRetry is how soon a target whose recipient has no profile yet is
// looked at again.
const profileRetry = time.Minute

// plan turns the targets due at now into occurrences, in one transaction:
// it locks up to Batch due targets, computes each one's nominal instants up
// to now in the recipient's zone, stores them (idempotently), and records
// how far each target is planned and when to look again. It returns how
// many targets it handled, how many occurrences it stored, and the
// recipients it found without a profile.
func (e *Engine) plan(ctx context.Context, now time.Time) (handled, planned int, sync []personKey, err error) {
	err = e.db.Tx(ctx, func(ctx context.Context) error {
		handled, planned, sync = 0, 0, nil
		due, err := e.schedules.LockDue(ctx, now, e.batch)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		handled = len(due)
		var occs []models.Occurrence
		adv := make([]models.Target, 0, len(due))
		for _, d := range due {
			t := d.Target
			var loc *time.Location
			if isPerson(t.Recipient) {
				if !d.Known {
					sync = append(sync, personKey{t.WorkspaceID, t.Recipient})
					t.NextAt = now.Add(profileRetry)
					adv = append(adv, t)
					continue
				}
				loc = zone(d.TimeZone)
			} else {
				loc = channelLocation(d.Schedule)
			}
			c, err := e.parse(d.Schedule)
			if err != nil {
				// A stored cadence this binary cannot read: say so, and
				// look again in an hour rather than every tick.
				e.log.ErrorContext(ctx, "schedule has an unreadable cadence", "workspace", t.WorkspaceID, "schedule", d.Schedule.Key, "err", err)
				t.NextAt = now.Add(time.Hour)
				adv = append(adv, t)
				continue
			}
			after := t.PlannedTo
			if floor := now.Add(-e.catchUp); after.Before(floor) {
				after = floor
			}
			n := 0
			for at := c.Next(after, loc); !at.IsZero() && !at.After(now) && n < maxPerTarget; at = c.Next(at, loc) {
				o := models.Occurrence{
					WorkspaceID: t.WorkspaceID,
					CadenceID:   d.Schedule.Key,
					Recipient:   t.Recipient,
					NominalAt:   at,
					DeliverAt:   at,
				}
				if d.Schedule.Paused {
					o.Status, o.Reason, o.DeliverAt = models.OccurrenceSkipped, pausedReason(d.Schedule), time.Time{}
					e.metrics.settled(models.OccurrenceSkipped, "paused")
				}
				occs = append(occs, o)
				after = at
				n++
			}
			t.PlannedTo = after
			t.NextAt = c.Next(after, loc)
			if t.NextAt.IsZero() {
				t.NextAt = now.Add(366 * 24 * time.Hour)
			}
			adv = append(adv, t)
		}
		n, err := e.occ.Plan(ctx, occs)
		if err != nil {
			return err
		}
		planned = n
		return e.schedules.Advance(ctx, adv)
	})
	if err != nil {
		return 0, 0, nil, fmt.Errorf("plan: %w", err)
	}
	return handled, planned, sync, nil
}

// zone loads a person's zone name, UTC when it is empty or unknown.
func zone(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	loc, err := calendar.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

func pausedReason(sc models.Schedule) string {
	return fmt.Sprintf("paused: %s is paused", title(sc))
}

// title is how a schedule is named to people.
func title(sc models.Schedule) string {
	if sc.Title != "" {
		return sc.Title
	}
	return sc.Key
}

// channelLocation is the zone of a channel schedule, UTC when unset.
func channelLocation(sc models.Schedule) *time.Location {
	return zone(sc.ChannelTZ)
}

// cadences caches parsed cadences by text and anchor.
var cadences sync.Map

type cadenceKey struct {
	text   string
	anchor calendar.Date
}

// parse returns the schedule's cadence.
func (e *Engine) parse(sc models.Schedule) (cadence.Cadence, error) {
	k := cadenceKey{sc.Cadence, sc.Anchor}
	if c, ok := cadences.Load(k); ok {
		return c.(cadence.Cadence), nil
	}
	c, err := cadence.Parse(sc.Cadence, sc.Anchor)
	if err != nil {
		return cadence.Cadence{}, err
	}
	cadences.Store(k, c)
	return c, nil
}
