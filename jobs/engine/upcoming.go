package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/trellis-bot/trellis/jobs/attention"
	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models"
)

// Upcoming is one proactive message a person will get, or will not, as
// the rules and their settings stand now: what "/trellis me" lists.
type Upcoming struct {
	Title   string
	Cadence string
	// Nominal is the instant the cadence names, in the person's zone.
	Nominal time.Time
	// DeliverAt is when it would reach them; zero when it would not.
	DeliverAt time.Time
	// Status is "on time", "deferred", "superseded", "skipped" or "paused".
	Status string
	// Reason explains a deferral or a skip.
	Reason string
}

// ForecastInput is what a forecast reads from the database: the person's
// schedules and the messages they got in the last two days.
type ForecastInput struct {
	Targets []models.DueTarget
	Sent    []models.Sent
}

// ForecastInput reads a person's schedules and, if they have any, the
// messages they were sent recently (for today's budget): one query, two
// with schedules.
func (e *Engine) ForecastInput(ctx context.Context, workspaceID, userID string, now time.Time) (ForecastInput, error) {
	targets, err := e.schedules.ForRecipient(ctx, workspaceID, userID)
	if err != nil || len(targets) == 0 {
		return ForecastInput{}, err
	}
	sent, err := e.occ.SentSince(ctx, workspaceID, []string{userID}, now.Add(-50*time.Hour))
	if err != nil {
		return ForecastInput{}, err
	}
	return ForecastInput{Targets: targets, Sent: sent}, nil
}

// forecastHorizon is how far ahead a forecast looks.
const forecastHorizon = 14 * 24 * time.Hour

// Forecast applies the rules the engine applies at claim time to the next
// nominal instants of the person's schedules after now, and returns the
// first n, in order. rec needs no SentToday: it is counted from in.Sent.
// A forecast cannot know what features will ask later, so it shows each
// occurrence as if it were the only one that day. rec comes from
// RecipientView, as at claim time.
func Forecast(in ForecastInput, rec attention.Recipient, now time.Time, n int) []Upcoming {
	if len(in.Targets) == 0 || n <= 0 {
		return nil
	}
	loc := rec.Loc()
	rec.SentToday = sentToday(in.Sent, loc, now)
	hours := rec.WorkingHours()
	off := attention.Off(rec, now)
	var out []Upcoming
	for _, t := range in.Targets {
		sc := t.Schedule
		c, err := cadence.Parse(sc.Cadence, sc.Anchor)
		if err != nil {
			continue
		}
		count := 0
		for at := c.Next(now, loc); !at.IsZero() && at.Before(now.Add(forecastHorizon)) && count < n; at = c.Next(at, loc) {
			count++
			u := Upcoming{Title: title(sc), Cadence: sc.Cadence, Nominal: at.In(loc)}
			if sc.Paused {
				u.Status, u.Reason = "paused", pausedReason(sc)
				out = append(out, u)
				continue
			}
			d := attention.Decide(rec, at, now)
			switch d.Action {
			case attention.Skip:
				u.Status, u.Reason = "skipped", d.Reason
			case attention.Defer:
				if d.At.Equal(at) {
					u.Status, u.DeliverAt = "on time", at
					break
				}
				if sup, why := cadence.Superseded(c, at, d.At, loc, hours, off); sup {
					u.Status, u.Reason = "superseded", d.Reason+"; "+why
					break
				}
				u.Status, u.DeliverAt, u.Reason = "deferred", d.At.In(loc), d.Reason
			case attention.Deliver:
				u.Status, u.DeliverAt = "on time", at
			}
			out = append(out, u)
		}
	}
	slices.SortStableFunc(out, func(a, b Upcoming) int { return cmp.Compare(a.Nominal.UnixNano(), b.Nominal.UnixNano()) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// String is a one-line description, for logs and tests.
func (u Upcoming) String() string {
	s := fmt.Sprintf("%s %s: %s", u.Nominal.Format("Mon 2 Jan 15:04 MST"), u.Title, u.Status)
	if !u.DeliverAt.IsZero() && !u.DeliverAt.Equal(u.Nominal) {
		s += " to " + u.DeliverAt.Format("Mon 2 Jan 15:04 MST")
	}
	if u.Reason != "" {
		s += " (" + u.Reason + ")"
	}
	return s
}
