package models_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// standup is the stand-up template as a check-in in channel C1 owned by
// UOWNER, asking the chosen people.
func standup(t *testing.T, people ...string) models.Checkin {
	t.Helper()
	tpl, ok := models.FindCheckinTemplate("standup")
	if !ok {
		t.Fatal("no stand-up template")
	}
	c := tpl.Checkin
	c.WorkspaceID, c.ChannelID, c.OwnerID = "T1", "C1", "UOWNER"
	if len(people) > 0 {
		c.Participants, c.People = models.ParticipantsChosen, people
	}
	return c
}

func TestCheckinCreateAndRead(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewCheckins(db)
		want := standup(t, "U1", "U2", "U1")
		c, err := s.Create(ctx, want, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID == 0 || c.Name != want.Name || len(c.Questions) != len(want.Questions) || !slices.Equal(c.People, []string{"U1", "U2"}) {
			t.Fatalf("created %+v", c)
		}
		for i, q := range c.Questions {
			w := want.Questions[i]
			if q.Kind != w.Kind || q.Prompt != w.Prompt || !slices.Equal(q.Options, w.Options) || q.Anonymous != w.Anonymous || q.ID != int64(i+1) {
				t.Errorf("question %d = %+v, want %+v", i+1, q, w)
			}
		}
		if c.RoundLength != want.RoundLength || c.Destination != want.Destination || c.Anchor.IsZero() {
			t.Errorf("settings = %+v", c)
		}
		// Its schedule exists with the chosen people as targets.
		sc, err := models.NewSchedules(db).Get(ctx, "T1", models.CheckinScheduleKey(c.ID))
		if err != nil || sc.Cadence != want.Cadence || sc.Title != want.Name {
			t.Fatalf("schedule = %+v, %v", sc, err)
		}
		for _, u := range []string{"U1", "U2"} {
			if got := targets(t, db, "T1", u); len(got) != 1 || got[0].Schedule.Key != sc.Key {
				t.Errorf("%s targets = %+v", u, got)
			}
		}
		list, err := s.InChannel(ctx, "T1", "C1")
		if err != nil || len(list) != 1 || list[0].ID != c.ID {
			t.Errorf("InChannel = %+v, %v", list, err)
		}

		// Participants change: the schedule's targets follow.
		added, removed, err := s.SetParticipants(ctx, "T1", c.ID, []string{"U2", "U3"})
		if err != nil || added != 1 || removed != 1 {
			t.Errorf("SetParticipants = %d, %d, %v", added, removed, err)
		}
		if got, _ := s.Get(ctx, "T1", c.ID); !slices.Equal(got.People, []string{"U2", "U3"}) {
			t.Errorf("people after the change = %v", got.People)
		}
	})
}

func TestCheckinRefusesBadInputAndStoresNothing(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewCheckins(db)
		bad := standup(t)
		bad.Questions = nil
		var ce *models.CheckinError
		if _, err := s.Create(ctx, bad, nil); !errors.As(err, &ce) || len(ce.On(models.FieldQuestions)) == 0 {
			t.Errorf("no questions: %v", err)
		}
		badCadence := standup(t)
		if _, err := s.Create(ctx, badCadence, func(string) error { return errors.New("nope") }); !errors.As(err, &ce) || len(ce.On(models.FieldCadence)) == 0 {
			t.Errorf("bad cadence: %v", err)
		}
		if list, _ := s.InChannel(ctx, "T1", "C1"); len(list) != 0 {
			t.Errorf("stored %d check-ins from bad input", len(list))
		}
	})
}

// Only the owner or an admin pauses, resumes or deletes; deleting skips
// what was still to be sent.
func TestCheckinOwnership(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewCheckins(db)
		c, err := s.Create(ctx, standup(t, "U1"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPaused(ctx, "T1", c.ID, true, "USOMEONE", false); !errors.Is(err, models.ErrNotOwner) {
			t.Errorf("a stranger pausing: %v, want ErrNotOwner", err)
		}
		if _, err := s.Delete(ctx, "T1", c.ID, "USOMEONE", false); !errors.Is(err, models.ErrNotOwner) {
			t.Errorf("a stranger deleting: %v, want ErrNotOwner", err)
		}
		if got, err := s.SetPaused(ctx, "T1", c.ID, true, "UOWNER", false); err != nil || !got.Paused {
			t.Fatalf("the owner pausing: %+v, %v", got, err)
		}
		if sc, _ := models.NewSchedules(db).Get(ctx, "T1", models.CheckinScheduleKey(c.ID)); !sc.Paused {
			t.Error("the schedule is not paused")
		}
		if got, err := s.SetPaused(ctx, "T1", c.ID, false, "UADMIN", true); err != nil || got.Paused {
			t.Fatalf("an admin resuming: %+v, %v", got, err)
		}
		at := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
		occs := models.NewOccurrences(db)
		if _, err := occs.Plan(ctx, []models.Occurrence{{WorkspaceID: "T1", CadenceID: models.CheckinScheduleKey(c.ID), Recipient: "U1", NominalAt: at, DeliverAt: at}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Delete(ctx, "T1", c.ID, "UOWNER", false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "T1", c.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("after delete: %v", err)
		}
		left, _ := occs.ForRecipient(ctx, "T1", "U1", time.Time{}, 10)
		if len(left) != 1 || left[0].Status != models.OccurrenceSkipped {
			t.Errorf("pending round after delete: %+v", left)
		}
	})
}
