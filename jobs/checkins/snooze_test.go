package checkins

import (
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
)

// Every snooze choice means what its label says when it is chosen, not
// when the prompt was sent: at any moment, a number of minutes ending
// inside the person's working window lasts exactly that long; one that
// would end outside it (or is chosen outside it) is moved to the start of
// their next window and says so; "Tomorrow morning" is the start of the
// next window that has not begun yet. The snoozed prompt is planned for
// the instant returned.
func TestSnoozeMeansWhenChosen(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "mon-fri 09:00-17:00")
		ch := h.channel("team", ada)
		c := h.create(checkinFor(ch, ada))
		h.run(monday.Add(10 * time.Hour))
		round := h.roundOf(ada)

		at := func(day, hh, mm int) time.Time {
			return monday.Add(time.Duration(day)*24*time.Hour + time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
		}
		tue9, nextMon9 := at(1, 9, 0), at(7, 9, 0)
		opts := SnoozeOptions()
		for _, tt := range []struct {
			name string
			now  time.Time
			// want is until by option, in SnoozeOptions' order: 30m, 1h,
			// 2h, 4h, tomorrow morning.
			want []time.Time
		}{
			{"Monday 10:00, inside the window", at(0, 10, 0), []time.Time{at(0, 10, 30), at(0, 11, 0), at(0, 12, 0), at(0, 14, 0), tue9}},
			{"Monday 16:00, an hour before it ends", at(0, 16, 0), []time.Time{at(0, 16, 30), tue9, tue9, tue9, tue9}},
			{"Monday 21:00, after it", at(0, 21, 0), []time.Time{tue9, tue9, tue9, tue9, tue9}},
			{"Tuesday 00:40, before the day starts", at(1, 0, 40), []time.Time{tue9, tue9, tue9, tue9, tue9}},
			{"Friday 16:50, before the weekend", at(4, 16, 50), []time.Time{nextMon9, nextMon9, nextMon9, nextMon9, nextMon9}},
		} {
			h.clk.Set(tt.now)
			for i, o := range opts {
				until, moved, err := h.svcs[0].Snooze(h.ctx, c, round, h.person1(ada), o.Minutes)
				if err != nil {
					t.Fatalf("%s, %q: %v", tt.name, o.Label, err)
				}
				asked := tt.now.Add(time.Duration(o.Minutes) * time.Minute)
				wantMoved := o.Minutes > 0 && !asked.Equal(tt.want[i])
				if !until.Equal(tt.want[i]) || moved != wantMoved {
					t.Errorf("%s, %q: until %s, moved %v; want %s, moved %v", tt.name, o.Label, until, moved, tt.want[i], wantMoved)
				}
				found := false
				for _, occ := range h.occurrences(ada, c, "#snooze:") {
					found = found || occ.NominalAt.Equal(until)
				}
				if !found {
					t.Errorf("%s, %q: no snoozed prompt planned at %s", tt.name, o.Label, until)
				}
			}
		}
	})
}

// A round snoozed twice — a double click, or a change of mind — comes back
// once, at the later choice's time, however the two choices' times fall.
func TestSnoozedTwiceComesBackOnce(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		for _, tt := range []struct {
			name          string
			first, second int // minutes
			want          time.Duration
		}{
			{"shorter second", 60, 30, 10*time.Hour + 2*time.Minute + 30*time.Minute},
			{"longer second", 30, 60, 10*time.Hour + 2*time.Minute + 60*time.Minute},
		} {
			t.Run(tt.name, func(t *testing.T) {
				h := newHarness(t, harnessOpts{dialect: dialect})
				ada := h.person("ada", "Europe/London", "mon-fri 09:00-17:00")
				ch := h.channel("team", ada)
				c := h.create(checkinFor(ch, ada))
				h.run(monday.Add(10 * time.Hour))
				round := h.roundOf(ada)
				asked := len(h.prompts(ada))
				for i, m := range []int{tt.first, tt.second} {
					h.clk.Set(monday.Add(10*time.Hour + time.Duration(i+1)*time.Minute))
					if _, _, err := h.svcs[0].Snooze(h.ctx, c, round, h.person1(ada), m); err != nil {
						t.Fatal(err)
					}
				}
				h.run(monday.Add(16 * time.Hour))
				back := h.prompts(ada)[asked:]
				if len(back) != 1 {
					t.Fatalf("the prompt came back %d times, want once", len(back))
				}
				var sent []time.Time
				for _, o := range h.occurrences(ada, c, "#snooze:") {
					if o.Status == models.OccurrenceDelivered {
						sent = append(sent, o.SentAt)
					}
				}
				if len(sent) != 1 || !sent[0].Equal(monday.Add(tt.want)) {
					t.Errorf("snoozed prompts sent at %v, want one at %s", sent, monday.Add(tt.want))
				}
			})
		}
	})
}
