package okrs

import (
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// TestCycleTurnPlansReviewsAndDigests: with nobody acting, three
// replicas' ticks over a one-month cycle give its team a digest schedule
// when the cycle starts, each owner one review DM after it ends, and the
// team's channel one review summary after the review period — whatever
// the number of replicas running the same hourly work.
func TestCycleTurnPlansReviewsAndDigests(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		start := calendar.Date{Year: 2027, Month: time.March, Day: 1}
		h := newHarness(t, dialect, 3, start.AddDays(-2).In(time.UTC).Add(12*time.Hour))
		// The harness declared the reviews' one-offs and composer on each
		// engine (RegisterReviews), as serve does.
		for _, eng := range h.engines {
			if err := eng.Register(DigestKind, DigestComposer(h.store, h.people)); err != nil {
				t.Fatal(err)
			}
		}
		if err := AcceptReviews(h.engines[0]); err == nil {
			t.Error("AcceptReviews twice on one engine: no error")
		}
		ana := h.person("ana", "Europe/Berlin", "")
		ben := h.person("ben", "America/Chicago", "")
		ch, err := h.ctl.CreateChannel(h.ctx, slacksim.NewChannel{Name: "growth", Members: []string{ana, ben}})
		if err != nil {
			t.Fatal(err)
		}
		c := h.cycle("March", start, okrs.EndAfterMonths(start, 1))
		h.teamObjective(c.ID, ch.ID, ana, "Members")
		h.teamObjective(c.ID, ch.ID, ben, "Talks")
		schedules := models.NewSchedules(h.dbs[0])
		if _, err := schedules.Get(h.ctx, team, DigestKey(ch.ID)); err == nil {
			t.Fatal("a digest schedule before the cycle turned")
		}

		h.runAll(start.AddDays(1).In(time.UTC))
		if sc, err := schedules.Get(h.ctx, team, DigestKey(ch.ID)); err != nil || sc.ChannelTZ != "" {
			t.Fatalf("after the start: digest schedule %+v, %v; want one in UTC, its first zone", sc, err)
		}

		h.runAll(c.End.AddDays(c.Grace() + 3).In(time.UTC))
		for _, u := range []string{ana, ben} {
			n := 0
			for _, m := range h.dms(u) {
				if strings.Contains(m.text, "Time to review") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s got %d review DMs, want 1", u, n)
			}
		}
		msgs, err := h.ctl.Messages(h.ctx, ch.ID, ana)
		if err != nil {
			t.Fatal(err)
		}
		summaries := 0
		for _, m := range msgs {
			if m.BotID != "" && strings.Contains(m.Text+string(m.Blocks), "Review of") {
				summaries++
			}
		}
		if summaries != 1 {
			t.Errorf("%d review summaries in the channel, want 1", summaries)
		}
	})
}
