package okrs

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// setting is a team's (or the workspace's, team "") nudge settings, the
// rest left unset.
func (h *harness) setting(channel string, cad okrs.NudgeCadence, weekday int) {
	h.t.Helper()
	if err := h.store.SetSettings(h.ctx, team, channel, okrs.Settings{NudgeCadence: cad, NudgeWeekday: weekday}, "admin"); err != nil {
		h.t.Fatalf("settings of %q: %v", channel, err)
	}
	if err := h.svcs[0].SettingsChanged(h.ctx, team, channel); err != nil {
		h.t.Fatalf("settings changed: %v", err)
	}
}

// The nudge schedule a person gets, by their key results, cycles, their
// teams' and the workspace's settings and their own state: each row sets
// things up on 10 March 2027 and names the schedule's cadence and anchor
// ("" for none). Syncing again changes nothing.
func TestSyncPerson(t *testing.T) {
	t.Parallel()
	short := [2]calendar.Date{{Year: 2027, Month: 3, Day: 1}, {Year: 2027, Month: 4, Day: 25}}
	long := [2]calendar.Date{{Year: 2027, Month: 3, Day: 1}, {Year: 2027, Month: 6, Day: 20}}
	later := [2]calendar.Date{{Year: 2027, Month: 5, Day: 3}, {Year: 2027, Month: 6, Day: 27}}
	past := [2]calendar.Date{{Year: 2027, Month: 1, Day: 4}, {Year: 2027, Month: 2, Day: 28}}
	mar8 := calendar.Date{Year: 2027, Month: 3, Day: 8}
	tests := []struct {
		name   string
		setup  func(h *harness, p string, cycle func([2]calendar.Date) int64)
		want   string
		anchor calendar.Date
	}{
		{"no key results", func(h *harness, p string, cycle func([2]calendar.Date) int64) { cycle(short) }, "", calendar.Date{}},
		{"a short active cycle: weekly, counted from its second week", func(h *harness, p string, cycle func([2]calendar.Date) int64) {
			h.objective(cycle(short), p, "k")
		}, "every week on Tuesday at 10:00", mar8},
		{"a long cycle: every two weeks", func(h *harness, p string, cycle func([2]calendar.Date) int64) {
			h.objective(cycle(long), p, "k")
		}, "every 2 weeks on Tuesday at 10:00", mar8},
		{"a cycle being planned only", func(h *harness, p string, cycle func([2]calendar.Date) int64) {
			h.objective(cycle(later), p, "k")
		}, "every week on Tuesday at 10:00", calendar.Date{Year: 2027, Month: 5, Day: 10}},
		{"an ended cycle only", func(h *harness, p string, cycle func([2]calendar.Date) int64) {
			h.objective(cycle(past), p, "k")
		}, "", calendar.Date{}},
		{"the active cycle before the planned one", func(h *harness, p string, cycle func([2]calendar.Date) int64) {
			h.objective(cycle(later), p, "k")
			h.objective(cycle(short), p, "k")
		}, "every week on Tuesday at 10:00", mar8},
		{"a closed objective", func(h *harness, p string, cycle func([2]calendar.Date) int64) {
			o := h.objective(cycle(short), p, "k")
			if err := h.store.CloseObjective(h.ctx, team, o.ID, p, false); err != nil {
				h.t.Fatal(err)
			}
			after, err := h.store.Objective(h.ctx, team, o.ID)
			if err != nil {
				h.t.Fatal(err)
			}
			if err := h.svcs[0].ObjectiveChanged(h.ctx, team, o, after); err != nil {
				h.t.Fatal(err)
			}
		}, "", calendar.Date{}},
		{"the person turned nudges off", func(h *harness, p string, cycle func([2]calendar.Date) int64) {
			h.objective(cycle(short), p, "k")
			if err := h.svcs[0].SetNudges(h.ctx, team, p, SettingOff); err != nil {
				h.t.Fatal(err)
			}
		}, "", calendar.Date{}},
		{"the person's weekly beats the team's every two weeks", func(h *harness, p string, cycle func([2]calendar.Date) int64) {
			h.teamObjective(cycle(short), "C1", p, "k")
			h.setting("C1", okrs.NudgeBiweekly, okrs.NoWeekday)
			if err := h.svcs[0].SetNudges(h.ctx, team, p, SettingWeekly); err != nil {
				h.t.Fatal(err)
			}
		}, "every week on Tuesday at 10:00", mar8},
		{"the workspace's day", func(h *harness, p string, cycle func([2]calendar.Date) int64) {
			h.teamObjective(cycle(short), "C1", p, "k")
			h.setting("", okrs.NudgeFollowCycle, int(time.Thursday))
		}, "every week on Thursday at 10:00", mar8},
		{"the team's day over the workspace's", func(h *harness, p string, cycle func([2]calendar.Date) int64) {
			h.teamObjective(cycle(short), "C1", p, "k")
			h.setting("", okrs.NudgeFollowCycle, int(time.Thursday))
			h.setting("C1", okrs.NudgeFollowCycle, int(time.Friday))
		}, "every week on Friday at 10:00", mar8},
		{"two teams: the shorter interval, and its day", func(h *harness, p string, cycle func([2]calendar.Date) int64) {
			c := cycle(long)
			h.teamObjective(c, "C1", p, "k")
			h.teamObjective(c, "C2", p, "k")
			h.setting("C2", okrs.NudgeWeekly, int(time.Monday))
		}, "every week on Monday at 10:00", mar8},
		{"a team that turned nudges off, and one that did not", func(h *harness, p string, cycle func([2]calendar.Date) int64) {
			c := cycle(short)
			h.teamObjective(c, "C1", p, "k")
			h.teamObjective(c, "C2", p, "k")
			h.setting("C1", okrs.NudgeOff, int(time.Monday))
		}, "every week on Tuesday at 10:00", mar8},
		{"every team turned nudges off", func(h *harness, p string, cycle func([2]calendar.Date) int64) {
			h.teamObjective(cycle(short), "C1", p, "k")
			h.setting("", okrs.NudgeOff, okrs.NoWeekday)
		}, "", calendar.Date{}},
		{"halved: twice the interval, from the last nudge", func(h *harness, p string, cycle func([2]calendar.Date) int64) {
			last := time.Date(2027, 3, 9, 9, 0, 0, 0, time.UTC)
			if err := h.store.SaveNudgeState(h.ctx, team, p, okrs.NudgeState{IgnoredInRow: 3, Halved: true, LastNudgedAt: last}); err != nil {
				h.t.Fatal(err)
			}
			h.objective(cycle(short), p, "k")
		}, "every 2 weeks on Tuesday at 10:00", calendar.Date{Year: 2027, Month: 3, Day: 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			forDialects(t, func(t *testing.T, dialect string) {
				h := newHarness(t, dialect, 1, time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC))
				p := h.person("pat", "Europe/Berlin", "")
				n := 0
				cycle := func(d [2]calendar.Date) int64 {
					n++
					c, err := h.store.CreateCycle(h.ctx, team, okrs.Cycle{Name: "cycle " + string(rune('A'+n)), Start: d[0], End: d[1]}, "admin")
					if err != nil {
						t.Fatalf("cycle %v: %v", d, err)
					}
					if err := h.svcs[0].CycleChanged(h.ctx, team, c.ID); err != nil {
						t.Fatal(err)
					}
					return c.ID
				}
				tt.setup(h, p, cycle)
				var written time.Time
				for round := range 2 {
					if round == 1 {
						h.clk.Set(h.clk.Now().Add(time.Minute))
						if err := h.svcs[0].SyncPerson(h.ctx, team, p); err != nil {
							t.Fatal(err)
						}
					}
					sc, err := h.engines[0].Schedules().Get(h.ctx, team, NudgeKey(p))
					if tt.want == "" {
						if !errors.Is(err, models.ErrNotFound) {
							t.Errorf("round %d: schedule %q, %v; want none", round, sc.Cadence, err)
						}
						continue
					}
					if err != nil {
						t.Fatalf("round %d: no schedule: %v", round, err)
					}
					if round == 0 {
						written = sc.UpdatedAt
					} else if !sc.UpdatedAt.Equal(written) {
						t.Errorf("syncing again wrote the schedule again (%v, then %v)", written, sc.UpdatedAt)
					}
					if sc.Cadence != tt.want || sc.Anchor != tt.anchor {
						t.Errorf("round %d: schedule %q from %s, want %q from %s", round, sc.Cadence, sc.Anchor, tt.want, tt.anchor)
					}
					targets, err := h.engines[0].Schedules().Targets(h.ctx, team, NudgeKey(p))
					if err != nil || !slices.Equal(targets, []string{p}) {
						t.Errorf("round %d: targets %v, %v; want only the person", round, targets, err)
					}
				}
			})
		})
	}
}

// Updated offers help for exactly the updates that moved their key
// result to off track from anything else, the confidence before read
// from the history; a correction counts by the confidence it leaves.
func TestUpdatedOffersHelpWhenMovedOffTrack(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, 1, time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC))
		p := h.person("pat", "Europe/Berlin", "")
		c := h.cycle("Spring", calendar.Date{Year: 2027, Month: 3, Day: 1}, calendar.Date{Year: 2027, Month: 4, Day: 25})
		kr := h.objective(c.ID, p, "k").KeyResults[0].ID
		var lastOnTrack int64
		steps := []struct {
			name  string
			up    okrs.Update
			offer bool
		}{
			{"first, at risk", okrs.Update{Confidence: okrs.AtRisk}, false},
			{"at risk to off track", okrs.Update{Confidence: okrs.OffTrack}, true},
			{"off track again", okrs.Update{Confidence: okrs.OffTrack}, false},
			{"no change, still off track", okrs.Update{NoChange: true}, false},
			{"back on track", okrs.Update{Confidence: okrs.OnTrack}, false},
			{"the on-track entry corrected to off track", okrs.Update{Confidence: okrs.OffTrack, Corrects: -1}, true},
		}
		for _, st := range steps {
			h.clk.Set(h.clk.Now().Add(time.Hour))
			u := st.up
			u.KeyResultID, u.Value = kr, 1
			if u.Corrects == -1 {
				u.Corrects = lastOnTrack
			}
			ups, err := h.store.AddUpdates(h.ctx, team, p, false, []okrs.Update{u}, okrs.SourceForm, h.clk.Now())
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if u.Confidence == okrs.OnTrack {
				lastOnTrack = ups[0].ID
			}
			offer, err := h.svcs[0].Updated(h.ctx, team, p, ups)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(offer) == 1; got != st.offer || len(offer) > 1 {
				t.Errorf("%s: offered %v, want %v", st.name, offer, st.offer)
			}
		}
	})
}

// A check-in after halved nudges brings the person's cadence back and
// their count to zero; a correction alone does not, and a setting that
// ParseSetting does not give is refused with nothing changed.
func TestUpdatedEndsHalving(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, 1, time.Date(2027, 3, 24, 12, 0, 0, 0, time.UTC))
		p := h.person("pat", "Europe/Berlin", "")
		c := h.cycle("Spring", calendar.Date{Year: 2027, Month: 3, Day: 1}, calendar.Date{Year: 2027, Month: 4, Day: 25})
		kr := h.objective(c.ID, p, "k").KeyResults[0].ID
		halved := okrs.NudgeState{IgnoredInRow: 3, Halved: true, LastNudgedAt: time.Date(2027, 3, 23, 9, 0, 0, 0, time.UTC)}
		if err := h.store.SaveNudgeState(h.ctx, team, p, halved); err != nil {
			t.Fatal(err)
		}
		if err := h.svcs[0].SyncPerson(h.ctx, team, p); err != nil {
			t.Fatal(err)
		}
		cadenceNow := func() string {
			sc, err := h.engines[0].Schedules().Get(h.ctx, team, NudgeKey(p))
			if err != nil {
				t.Fatal(err)
			}
			return sc.Cadence
		}
		if got := cadenceNow(); got != "every 2 weeks on Tuesday at 10:00" {
			t.Fatalf("halved cadence %q", got)
		}
		if err := h.svcs[0].SetNudges(h.ctx, team, p, "sometimes"); !errors.Is(err, models.ErrInvalid) {
			t.Errorf("SetNudges(sometimes) = %v, want ErrInvalid", err)
		}
		h.update(p, kr, 1, okrs.OnTrack)
		ns, err := h.store.NudgeState(h.ctx, team, p)
		if err != nil {
			t.Fatal(err)
		}
		if ns.Halved || ns.IgnoredInRow != 0 || ns.Cadence != okrs.NudgeFollowCycle {
			t.Errorf("after an update: %+v, want not halved, nothing ignored, own setting kept", ns)
		}
		if got := cadenceNow(); got != "every week on Tuesday at 10:00" {
			t.Errorf("cadence after an update %q, want weekly again", got)
		}

		// A correction is not a check-in.
		if err := h.store.SaveNudgeState(h.ctx, team, p, halved); err != nil {
			t.Fatal(err)
		}
		hist, err := h.store.History(h.ctx, team, kr)
		if err != nil {
			t.Fatal(err)
		}
		ups, err := h.store.AddUpdates(h.ctx, team, p, false, []okrs.Update{{KeyResultID: kr, Value: 2, Confidence: okrs.OnTrack, Corrects: hist[0].ID}}, okrs.SourceForm, h.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.svcs[0].Updated(h.ctx, team, p, ups); err != nil {
			t.Fatal(err)
		}
		if ns, err := h.store.NudgeState(h.ctx, team, p); err != nil || !ns.Halved || ns.IgnoredInRow != 3 {
			t.Errorf("after a correction: %+v, %v; want still halved", ns, err)
		}
	})
}

// Schedules follow cycles with nobody acting: a person with key results
// in a short cycle and in a long one after it is nudged weekly during the
// first; within hours of its end in their zone, the schedule follows the
// long one (every two weeks, from its second week); and the stepper,
// between turning cycles, looks again only at the next UTC midnight.
func TestSchedulesFollowCyclesTurning(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, dialect, 1, time.Date(2027, 4, 20, 12, 0, 0, 0, time.UTC))
		p := h.person("pat", "Pacific/Kiritimati", "") // UTC+14: their 26 April begins on 25 April, 10:00 UTC
		short := h.cycle("Spring", calendar.Date{Year: 2027, Month: 3, Day: 1}, calendar.Date{Year: 2027, Month: 4, Day: 25})
		long := h.cycle("Summer", calendar.Date{Year: 2027, Month: 5, Day: 3}, calendar.Date{Year: 2027, Month: 8, Day: 22})
		h.objective(short.ID, p, "spring k")
		h.objective(long.ID, p, "summer k")
		schedule := func() string {
			sc, err := h.engines[0].Schedules().Get(h.ctx, team, NudgeKey(p))
			if err != nil {
				return "none"
			}
			return sc.Cadence + " from " + sc.Anchor.String()
		}
		steps := []struct {
			at   time.Time
			want string
		}{
			{time.Date(2027, 4, 22, 0, 0, 0, 0, time.UTC), "every week on Tuesday at 10:00 from 2027-03-08"},
			{time.Date(2027, 4, 25, 9, 0, 0, 0, time.UTC), "every week on Tuesday at 10:00 from 2027-03-08"},
			{time.Date(2027, 4, 25, 11, 30, 0, 0, time.UTC), "every 2 weeks on Tuesday at 10:00 from 2027-05-10"},
		}
		for _, st := range steps {
			h.runAll(st.at)
			if got := schedule(); got != st.want {
				t.Errorf("at %s: %s, want %s", st.at, got, st.want)
			}
		}
		// Far from any turn, the stepper waits for the next UTC midnight.
		h.runAll(time.Date(2027, 6, 1, 13, 0, 0, 0, time.UTC))
		at, ok, err := h.svcs[0].NextDue(h.ctx)
		if err != nil || !ok || !at.Equal(time.Date(2027, 6, 2, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("NextDue at 1 June 13:00 = %v, %v, %v; want the next UTC midnight", at, ok, err)
		}
	})
}
