package okrs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// TestSyncDigest: the schedule exists, in the channel's zone with the
// digest's cadence and the channel as its one target, exactly while the
// team has an open objective in a cycle that is active or still to start;
// another team's objectives do not count; syncing again changes nothing
// (the anchor stays); a channel id or a zone that is not one is refused
// and stores nothing.
func TestSyncDigest(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		store, schedules := okrs.NewStore(db), models.NewSchedules(db)
		sync := func(now time.Time, tz string) bool {
			t.Helper()
			ok, err := SyncDigest(ctx, schedules, store, "T1", "C0TEAM", tz, now)
			if err != nil {
				t.Fatalf("SyncDigest(%v, %q): %v", now, tz, err)
			}
			_, err = schedules.Get(ctx, "T1", DigestKey("C0TEAM"))
			if exists := err == nil; exists != ok {
				t.Fatalf("SyncDigest(%v) = %v, but the schedule exists: %v (%v)", now, ok, exists, err)
			}
			return ok
		}
		c, err := store.CreateCycle(ctx, "T1", okrs.Cycle{Name: "Spring", Start: calendar.Date{Year: 2027, Month: 3, Day: 1}, End: calendar.Date{Year: 2027, Month: 4, Day: 30}}, "UA")
		if err != nil {
			t.Fatal(err)
		}
		planning, active, review := time.Date(2027, 2, 20, 12, 0, 0, 0, time.UTC), time.Date(2027, 3, 20, 12, 0, 0, 0, time.UTC), time.Date(2027, 5, 5, 12, 0, 0, 0, time.UTC)
		if sync(active, "") {
			t.Errorf("a schedule with no objectives")
		}
		if _, err := store.CreateObjective(ctx, "T1", okrs.Objective{CycleID: c.ID, Title: "Elsewhere", Owner: "UA", Team: "C0OTHER"}, "UA"); err != nil {
			t.Fatal(err)
		}
		if sync(active, "") {
			t.Errorf("a schedule for another team's objective")
		}
		o, err := store.CreateObjective(ctx, "T1", okrs.Objective{CycleID: c.ID, Title: "Grow", Owner: "UA", Team: "C0TEAM"}, "UA")
		if err != nil {
			t.Fatal(err)
		}
		for _, now := range []time.Time{planning, active} {
			if !sync(now, "America/New_York") {
				t.Errorf("no schedule at %v with an open objective", now)
			}
		}
		sc, err := schedules.Get(ctx, "T1", DigestKey("C0TEAM"))
		if err != nil {
			t.Fatal(err)
		}
		if sc.Cadence != DigestCadence || sc.ChannelTZ != "America/New_York" || sc.Kind() != DigestKind || sc.Anchor != calendar.DateOf(planning) {
			t.Errorf("schedule %+v: want %q in America/New_York, anchored where it was created", sc, DigestCadence)
		}
		if targets, err := schedules.Targets(ctx, "T1", sc.Key); err != nil || len(targets) != 1 || targets[0] != "C0TEAM" {
			t.Errorf("targets = %v, %v; want the channel alone", targets, err)
		}
		if sync(review, "America/New_York") {
			t.Errorf("a schedule after the cycle ended")
		}
		if !sync(active, "Europe/Berlin") {
			t.Errorf("no schedule again while the cycle is active")
		}
		if err := store.CloseObjective(ctx, "T1", o.ID, "UA", false); err != nil {
			t.Fatal(err)
		}
		if sync(active, "Europe/Berlin") {
			t.Errorf("a schedule with the only objective closed")
		}

		for _, bad := range []struct{ team, tz string }{{"U123", ""}, {"", ""}, {"<!channel>", ""}, {"C0TEAM", "Mars/Olympus"}} {
			ok, err := SyncDigest(ctx, schedules, store, "T1", bad.team, bad.tz, active)
			if ok || !errors.Is(err, models.ErrInvalid) {
				t.Errorf("SyncDigest(%q, %q) = %v, %v; want ErrInvalid", bad.team, bad.tz, ok, err)
			}
		}
	})
}

// TestDigestComposer: the composer reads the team's objectives of the
// cycle active on the occurrence's date in the channel's zone, and the
// key results at the previous digest and at the occurrence's instant,
// whatever was added later; an owner Trellis has no name for is shown
// without one (never an id or a mention); with no active cycle the
// occurrence is skipped with the reason.
func TestDigestComposer(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		store, people := okrs.NewStore(db), models.NewPeople(db)
		c, err := store.CreateCycle(ctx, "T1", okrs.Cycle{Name: "Spring", Start: calendar.Date{Year: 2027, Month: 3, Day: 1}, End: calendar.Date{Year: 2027, Month: 4, Day: 30}}, "UA")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := people.SyncProfile(ctx, models.Person{WorkspaceID: "T1", UserID: "UADA", Name: "Ada"}); err != nil {
			t.Fatal(err)
		}
		o, err := store.CreateObjective(ctx, "T1", okrs.Objective{CycleID: c.ID, Title: "Grow", Owner: "UADA", Team: "C0TEAM",
			KeyResults: []okrs.KeyResult{{Title: "Teams", Kind: okrs.IncreaseTo, Start: 0, Target: 10}}}, "UADA")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.CreateObjective(ctx, "T1", okrs.Objective{CycleID: c.ID, Title: "Ship", Owner: "UNONAME", Team: "C0TEAM"}, "UNONAME"); err != nil {
			t.Fatal(err)
		}
		if _, err := store.CreateObjective(ctx, "T1", okrs.Objective{CycleID: c.ID, Title: "Not ours", Owner: "UADA", Team: "C0OTHER"}, "UADA"); err != nil {
			t.Fatal(err)
		}
		nominal := time.Date(2027, 3, 15, 9, 30, 0, 0, time.UTC)
		kr := o.KeyResults[0].ID
		for _, u := range []struct {
			at time.Time
			v  float64
		}{{nominal.AddDate(0, 0, -9), 2}, {nominal.AddDate(0, 0, -2), 5}, {nominal.Add(time.Minute), 9}} {
			if _, err := store.AddUpdates(ctx, "T1", "UADA", false, []okrs.Update{{KeyResultID: kr, Value: u.v, Confidence: okrs.OnTrack}}, okrs.SourceForm, u.at); err != nil {
				t.Fatal(err)
			}
		}
		compose := func(at time.Time) (engine.Message, error) {
			return DigestComposer(store, people).Compose(ctx, engine.Context{
				Occurrence: models.Occurrence{WorkspaceID: "T1", CadenceID: DigestKey("C0TEAM"), Recipient: "C0TEAM", NominalAt: at},
				Location:   time.UTC,
			})
		}
		msg, err := compose(nominal)
		if err != nil {
			t.Fatal(err)
		}
		text := blockkittest.ReportMrkdwn(t, msg.Text, msg.Blocks)
		for _, w := range []string{"*Grow*  ·  Ada\n", "2 → 5 (target 10)", "*Ship*\n", "2 objectives"} {
			if !strings.Contains(text, w) {
				t.Errorf("the digest does not say %q:\n%s", w, text)
			}
		}
		for _, n := range []string{"UNONAME", "Not ours", " 9 ", "→ 9"} {
			if strings.Contains(text, n) {
				t.Errorf("the digest says %q:\n%s", n, text)
			}
		}
		again, err := compose(nominal)
		if err != nil || blockkittest.BlockJSON(t, again.Blocks) != blockkittest.BlockJSON(t, msg.Blocks) {
			t.Errorf("composing the same occurrence again wrote another digest (%v)", err)
		}
		for _, at := range []time.Time{time.Date(2027, 2, 22, 9, 30, 0, 0, time.UTC), time.Date(2027, 5, 3, 9, 30, 0, 0, time.UTC)} {
			_, err := compose(at)
			var skip *engine.SkipError
			if !errors.As(err, &skip) || !strings.Contains(skip.Reason, "no open objectives in an active cycle") {
				t.Errorf("compose at %v = %v; want skipped with the reason", at, err)
			}
		}
	})
}

// A team-only objective is posted only in its own channel: each
// channel's digest and review summary show exactly that channel's
// objectives, team-only or not, and nothing of another channel's.
func TestTeamPostsShowOnlyTheirChannelsObjectives(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		store, people := okrs.NewStore(db), models.NewPeople(db)
		c, err := store.CreateCycle(ctx, "T1", okrs.Cycle{Name: "Spring", Start: calendar.Date{Year: 2027, Month: 3, Day: 1}, End: calendar.Date{Year: 2027, Month: 4, Day: 30}}, "UA")
		if err != nil {
			t.Fatal(err)
		}
		channels := []string{"C0ONE", "C0TWO", "C0THREE"}
		titles := map[string][]string{}
		for _, ch := range channels {
			for _, vis := range []okrs.Visibility{okrs.VisibleTeam, okrs.VisibleWorkspace} {
				title := fmt.Sprintf("Objective %s %s", vis, strings.ToLower(ch))
				if _, err := store.CreateObjective(ctx, "T1", okrs.Objective{CycleID: c.ID, Title: title, Owner: "UADA", Team: ch, Visibility: vis,
					KeyResults: []okrs.KeyResult{{Title: "Result of " + title, Kind: okrs.Milestone}}}, "UADA"); err != nil {
					t.Fatal(err)
				}
				titles[ch] = append(titles[ch], title)
			}
		}
		// An objective of no team is in no team's posts.
		if _, err := store.CreateObjective(ctx, "T1", okrs.Objective{CycleID: c.ID, Title: "Objective of nobody's team", Owner: "UADA",
			KeyResults: []okrs.KeyResult{{Title: "Lonely", Kind: okrs.Milestone}}}, "UADA"); err != nil {
			t.Fatal(err)
		}
		summaryAt := SummaryInstant(c, time.UTC)
		for _, ch := range channels {
			digest, err := DigestComposer(store, people).Compose(ctx, engine.Context{
				Occurrence: models.Occurrence{WorkspaceID: "T1", CadenceID: DigestKey(ch), Recipient: ch, NominalAt: time.Date(2027, 3, 15, 9, 30, 0, 0, time.UTC)},
				Location:   time.UTC,
			})
			if err != nil {
				t.Fatal(err)
			}
			summary, err := composeSummary(ctx, store, engine.Context{
				Occurrence: models.Occurrence{WorkspaceID: "T1", Recipient: ch, NominalAt: summaryAt}, Location: time.UTC,
			}, ReviewSummary{Cycle: c.ID, Channel: ch})
			if err != nil {
				t.Fatal(err)
			}
			for name, msg := range map[string]engine.Message{"digest": digest, "summary": summary} {
				text := blockkittest.ReportMrkdwn(t, msg.Text, msg.Blocks)
				for _, other := range channels {
					for _, title := range titles[other] {
						if got := strings.Contains(text, title); got != (other == ch) {
							t.Errorf("the %s of %s shows %q: %v, want %v:\n%s", name, ch, title, got, other == ch, text)
						}
					}
				}
				if strings.Contains(text, "nobody's team") {
					t.Errorf("the %s of %s shows an objective of no team:\n%s", name, ch, text)
				}
			}
		}
		// A summary addressed to another channel than its own is not sent.
		if _, err := composeSummary(ctx, store, engine.Context{
			Occurrence: models.Occurrence{WorkspaceID: "T1", Recipient: "C0TWO", NominalAt: summaryAt}, Location: time.UTC,
		}, ReviewSummary{Cycle: c.ID, Channel: "C0ONE"}); err == nil {
			t.Error("a summary of C0ONE composed for C0TWO")
		}
	})
}
