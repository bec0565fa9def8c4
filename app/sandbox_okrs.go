package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trellis-bot/trellis/internal/slacksim"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// demoTeamZone is the zone #team's digest is posted in: Ada's, whose
// objective gives the team its first (internal/slacksim/demo.go), as a
// team's digest takes the zone of the person who gave it its first
// objective.
const demoTeamZone = "Europe/London"

// sandboxCycle is the demo workspace's cycle around today: two calendar
// months from the first of a month, starting at least two weeks before
// today and ending at least two weeks after it, so that the demo's
// updates of the past weeks fall inside it, a week has passed for the
// nudges to count from (jobs/okrs.Anchor), and there is time left to
// try things. Named like "2027 Jan–Feb".
func sandboxCycle(today calendar.Date) okrs.Cycle {
	start := calendar.Date{Year: today.Year, Month: today.Month, Day: 1}
	if today.Day < 15 {
		start = calendar.DateOf(start.In(time.UTC).AddDate(0, -1, 0))
	}
	end := okrs.EndAfterMonths(start, 2)
	name := fmt.Sprintf("%d %s–%s", start.Year, start.Format("Jan"), end.Format("Jan"))
	if start.Year != end.Year {
		name = fmt.Sprintf("%d %s – %d %s", start.Year, start.Format("Jan"), end.Year, end.Format("Jan"))
	}
	return okrs.Cycle{Name: name, Start: start, End: end}
}

// demoUpdate is one of the demo's past check-ins: on key result kr (its
// position in the objective's), daysAgo days before the seeding; with
// corrects set, a correction of the demo update at that index.
type demoUpdate struct {
	objective, kr int
	daysAgo       float64
	value         float64
	confidence    okrs.Confidence
	note          string
	corrects      int // 1-based index into demoUpdates; 0 for none
}

// demoUpdates are the demo's check-ins of the past two weeks, oldest
// first: Ravi corrects one of his, so the history shows a correction, and
// his latest, the day before, is what moved in #team's first digest.
var demoUpdates = []demoUpdate{
	{objective: 0, kr: 0, daysAgo: 13, value: 6.8, confidence: okrs.OnTrack, note: "First survey of the cycle"},
	{objective: 0, kr: 2, daysAgo: 13, value: 0, confidence: okrs.AtRisk, note: "Draft is with two reviewers"},
	{objective: 0, kr: 1, daysAgo: 12, value: 10, confidence: okrs.AtRisk},
	{objective: 0, kr: 1, daysAgo: 11.9, value: 9, confidence: okrs.AtRisk, note: "Counted a weekend by mistake", corrects: 3},
	{objective: 1, kr: 0, daysAgo: 11, value: 55, confidence: okrs.OnTrack},
	{objective: 0, kr: 0, daysAgo: 6, value: 7.4, confidence: okrs.OnTrack, note: "Last month's starters rated it higher"},
	{objective: 0, kr: 1, daysAgo: 5, value: 7, confidence: okrs.OnTrack, note: "Pairing on the first change helps"},
	{objective: 1, kr: 0, daysAgo: 4, value: 70, confidence: okrs.OnTrack},
	{objective: 0, kr: 1, daysAgo: 1, value: 6, confidence: okrs.OnTrack},
}

// demoObjectives are the demo's objectives: Ada's for #team, with key
// results of Ada (increase), Ravi (decrease) and Mei (milestone), and
// Carlos's for the workspace, aligned to Ada's (its parent is set once
// Ada's has its id).
func demoObjectives(cycle int64) []okrs.Objective {
	return []okrs.Objective{
		{CycleID: cycle, Title: "Make joining the team a joy", Owner: slacksim.DemoAda, Team: slacksim.DemoTeam, Visibility: okrs.VisibleWorkspace,
			KeyResults: []okrs.KeyResult{
				{Title: "New-hire survey score", Owner: slacksim.DemoAda, Kind: okrs.IncreaseTo, Start: 6.5, Target: 8.5, Decimals: 1},
				{Title: "Days to a new hire's first merged change", Owner: slacksim.DemoRavi, Kind: okrs.DecreaseTo, Start: 12, Target: 3, Unit: "days"},
				{Title: "Onboarding handbook published", Owner: slacksim.DemoMei, Kind: okrs.Milestone},
			}},
		{CycleID: cycle, Title: "Every new hire has a buddy from day one", Owner: slacksim.DemoCarlos, Visibility: okrs.VisibleWorkspace,
			KeyResults: []okrs.KeyResult{
				{Title: "New hires with a buddy in their first week", Owner: slacksim.DemoCarlos, Kind: okrs.IncreaseTo, Start: 40, Target: 100, Unit: "%"},
			}},
	}
}

// seedSandboxOKRs gives the sandbox's workspace (team) OKRs to look at
// from the start: a cycle around now (sandboxCycle, or the workspace's
// cycle running today if there is one), Ada's objective for #team with
// key results of Ada, Ravi and Mei, Carlos's objective aligned to it,
// and their updates of the past two weeks, one of them corrected; then
// the owners' nudges and #team's digest are scheduled. It is idempotent:
// a workspace that has any objective (seeded before, or made by someone
// trying the sandbox) is left as it is, and a cycle of the sandbox's
// that would clash with one already there means no seeding. Everything
// stored is one transaction, so a failed start leaves none of it.
func seedSandboxOKRs(ctx context.Context, db *models.DB, svc *jobokrs.Service, team string, now time.Time) error {
	store := svc.Store()
	var created []okrs.Objective
	err := db.Tx(ctx, func(ctx context.Context) error {
		existing, err := store.Objectives(ctx, team, okrs.Filter{})
		if err != nil || len(existing) > 0 {
			return err
		}
		today := calendar.DateOf(now.UTC())
		cycle, ok, err := store.CycleOn(ctx, team, "", today)
		if err != nil {
			return err
		}
		if !ok {
			cycle, err = store.CreateCycle(ctx, team, sandboxCycle(today), slacksim.DemoAda)
			if errors.Is(err, okrs.ErrInvalid) {
				return nil // a cycle of someone's is in the way: theirs stays
			}
			if err != nil {
				return err
			}
		}
		objs := demoObjectives(cycle.ID)
		for i := range objs {
			if i > 0 {
				objs[i].Parents = []okrs.Ref{{Kind: okrs.RefObjective, ID: created[0].ID}}
			}
			o, err := store.CreateObjective(ctx, team, objs[i], objs[i].Owner)
			if err != nil {
				return err
			}
			created = append(created, o)
		}
		ids := make([]int64, len(demoUpdates))
		for i, u := range demoUpdates {
			kr := created[u.objective].KeyResults[u.kr]
			up := okrs.Update{KeyResultID: kr.ID, Value: u.value, Confidence: u.confidence, Note: u.note}
			if u.corrects > 0 {
				up.Corrects = ids[u.corrects-1]
			}
			at := now.Add(-time.Duration(u.daysAgo * float64(24*time.Hour))).Truncate(time.Minute)
			stored, err := store.AddUpdates(ctx, team, kr.Owner, false, []okrs.Update{up}, okrs.SourceForm, at)
			if err != nil {
				return err
			}
			ids[i] = stored[0].ID
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sandbox OKRs: %w", err)
	}
	for _, o := range created {
		if err := svc.ObjectiveChanged(ctx, team, okrs.Objective{}, o); err != nil {
			return fmt.Errorf("sandbox OKRs: %w", err)
		}
	}
	if len(created) > 0 {
		if _, err := jobokrs.SyncDigest(ctx, models.NewSchedules(db), store, team, slacksim.DemoTeam, demoTeamZone, now); err != nil {
			return fmt.Errorf("sandbox OKRs: %w", err)
		}
	}
	return nil
}
