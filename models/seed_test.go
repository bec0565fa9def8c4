package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/checkins/checkinstest"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/models/peers"
)

// newInstallations returns an installations store sealing with a fresh key.
func newInstallations(t *testing.T, db *models.DB) *models.Installations {
	t.Helper()
	c, err := models.NewCipher(newKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return models.NewInstallations(db, c)
}

// seedWorkspace installs workspace id and gives it a row in every workspace
// table, so deletion tests can see that nothing is left behind. A migration
// that adds a workspace table adds a row here.
func seedWorkspace(t *testing.T, db *models.DB, inst *models.Installations, id string) {
	t.Helper()
	ctx := context.Background()
	ws, people := models.NewWorkspaces(db), models.NewPeople(db)
	if err := inst.Save(ctx, models.Installation{WorkspaceID: id, BotToken: "xoxb-" + id}); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Ensure(ctx, id, id); err != nil {
		t.Fatal(err)
	}
	if err := ws.SetMinGroupSize(ctx, id, 6, "UA"); err != nil { // an audit row
		t.Fatal(err)
	}
	if err := ws.AddHoliday(ctx, models.Holiday{WorkspaceID: id, Date: date(t, "2026-12-24"), AddedBy: "UA"}); err != nil {
		t.Fatal(err)
	}
	if _, err := people.SyncProfile(ctx, models.Person{WorkspaceID: id, UserID: "U1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := people.AddAway(ctx, models.AwayPeriod{WorkspaceID: id, UserID: "U1", First: date(t, "2026-05-01"), Last: date(t, "2026-05-01")}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	if _, err := models.NewOccurrences(db).Plan(ctx, []models.Occurrence{{WorkspaceID: id, CadenceID: "checkin:1", Recipient: "U1", NominalAt: at, DeliverAt: at}}); err != nil {
		t.Fatal(err)
	}
	sched := models.NewSchedules(db)
	if _, err := sched.Put(ctx, models.Schedule{WorkspaceID: id, Key: "checkin:1", Cadence: "weekdays at 09:30", Anchor: date(t, "2026-05-01")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sched.SetTargets(ctx, id, "checkin:1", []string{"U1"}, at); err != nil {
		t.Fatal(err)
	}
	tpl, _ := checkins.FindTemplate("pulse") // it has an anonymous question
	c := tpl.Checkin
	c.WorkspaceID, c.ChannelID, c.OwnerID, c.Participants, c.People = id, "C1", "U1", checkins.ParticipantsChosen, []string{"U1"}
	store := checkins.NewStore(db)
	created, err := store.Create(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	round, err := store.OpenRound(ctx, id, created.ID, date(t, "2026-05-04"), at, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Answer(ctx, id, round.ID, "U1", checkinstest.AtPositions(created, checkinstest.PulseAnswers("4"))); err != nil {
		t.Fatal(err)
	}
	if _, err := store.MarkAsked(ctx, id, round.ID, "U2", 0); err != nil {
		t.Fatal(err)
	}
	if n, err := store.QueuePromptUpdates(ctx, id, round.ID, at); err != nil || n != 1 {
		t.Fatalf("QueuePromptUpdates = %d, %v; want 1", n, err)
	}
	if err := models.NewOpenedViews(db).Record(ctx, id, "V"+id, "U1", "checkin"); err != nil {
		t.Fatal(err)
	}
	if ok, err := store.LockMessage(ctx, id, "D"+id, "1700000000.000100", "seed", at, time.Hour); err != nil || !ok {
		t.Fatalf("LockMessage = %v, %v; want it locked", ok, err)
	}
	seedOKRs(t, db, id, at)
	seedPeers(t, db, id)
}

// seedOKRs gives workspace id a row in every OKR table.
func seedOKRs(t *testing.T, db *models.DB, id string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	s := okrs.NewStore(db)
	if err := s.SetSettings(ctx, id, "", okrs.Settings{CycleMonths: 2, NudgeWeekday: okrs.NoWeekday}, "UA"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveNudgeState(ctx, id, "U1", okrs.NudgeState{IgnoredInRow: 1, LastNudgedAt: at}); err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateCycle(ctx, id, okrs.Cycle{Name: "Q2 2026", Start: date(t, "2026-04-01"), End: date(t, "2026-06-30")}, "UA")
	if err != nil {
		t.Fatal(err)
	}
	kr := okrs.KeyResult{Title: "Ship it", Kind: okrs.Milestone}
	parent, err := s.CreateObjective(ctx, id, okrs.Objective{CycleID: c.ID, Title: "Grow", Owner: "U1", KeyResults: []okrs.KeyResult{kr}}, "U1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateObjective(ctx, id, okrs.Objective{CycleID: c.ID, Title: "Help grow", Owner: "U1",
		Parents: []okrs.Ref{{Kind: okrs.RefObjective, ID: parent.ID}}}, "U1"); err != nil {
		t.Fatal(err)
	}
	up := okrs.Update{KeyResultID: parent.KeyResults[0].ID, Value: 1, Confidence: okrs.OnTrack}
	if _, err := s.AddUpdates(ctx, id, "U1", false, []okrs.Update{up}, okrs.SourceForm, at); err != nil {
		t.Fatal(err)
	}
	review := okrs.Review{CycleID: c.ID,
		KeyResults: []okrs.KeyResultReview{{KeyResultID: parent.KeyResults[0].ID, Grade: 1, Decision: okrs.DecisionDone}},
		Learned:    []okrs.Learned{{ObjectiveID: parent.ID, Note: "Ship smaller"}}}
	if _, err := s.SubmitReview(ctx, id, review, "U1", false, c.End.AddDays(1), at); err != nil {
		t.Fatal(err)
	}
}

// seedPeers gives workspace id a row in every peer network table.
func seedPeers(t *testing.T, db *models.DB, id string) {
	t.Helper()
	ctx := context.Background()
	s := peers.NewStore(db)
	n := peers.DefaultNetwork(peers.KindCircles)
	n.Name, n.Channel, n.ChannelTZ, n.Owner, n.Anchor = "Managers", "CMGR", "Europe/Paris", "UA", date(t, "2026-04-06")
	n, err := s.CreateNetwork(ctx, id, n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SyncChannelMembers(ctx, id, n.ID, []string{"U1", "U2", "U3"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Avoid(ctx, id, "U1", "U3"); err != nil {
		t.Fatal(err)
	}
	circle := peers.RoundGroup{Kind: peers.GroupCircle, Members: []peers.GroupMember{{User: "U1"}, {User: "U2"}}}
	term, _, err := s.SaveRound(ctx, id, peers.Round{NetworkID: n.ID, Number: 1, StartsOn: date(t, "2026-04-06"), EndsOn: date(t, "2026-10-05")},
		[]peers.RoundGroup{circle}, []peers.RoundUnmatched{{User: "U3", Reason: "too_few"}})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := s.Groups(ctx, id, term.ID)
	if err != nil || len(groups) != 1 {
		t.Fatalf("Groups = %v, %v", groups, err)
	}
	session, _, err := s.SaveSession(ctx, id, peers.Session{GroupID: groups[0].ID, Number: 1, On: date(t, "2026-04-06"), Facilitator: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetCommitment(ctx, id, session.ID, "U1", "Hold a skip-level", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddPrompt(ctx, id, peers.CustomPrompt{Theme: "Hiring", Text: "What makes a great first week?"}, "UA", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateAsk(ctx, id, n.ID, "How do you say no?"); err != nil {
		t.Fatal(err)
	}
}
