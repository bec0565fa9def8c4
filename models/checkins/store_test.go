package checkins_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// date reads a date such as "2026-12-07", failing the test if it cannot.
func date(t *testing.T, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// standup is the stand-up template as a check-in in channel C1 owned by
// UOWNER, asking the chosen people.
func standup(t *testing.T, people ...string) checkins.Checkin {
	t.Helper()
	tpl, ok := checkins.FindTemplate("standup")
	if !ok {
		t.Fatal("no stand-up template")
	}
	c := tpl.Checkin
	c.WorkspaceID, c.ChannelID, c.OwnerID = "T1", "C1", "UOWNER"
	if len(people) > 0 {
		c.Participants, c.People = checkins.ParticipantsChosen, people
	}
	return c
}

func TestCheckinCreateAndRead(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := checkins.NewStore(db)
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
		sc, err := models.NewSchedules(db).Get(ctx, "T1", checkins.ScheduleKey(c.ID))
		if err != nil || sc.Cadence != want.Cadence || sc.Title != want.Name {
			t.Fatalf("schedule = %+v, %v", sc, err)
		}
		for _, u := range []string{"U1", "U2"} {
			if got := modelstest.Targets(t, db, "T1", u); len(got) != 1 || got[0].Schedule.Key != sc.Key {
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
		s := checkins.NewStore(db)
		bad := standup(t)
		bad.Questions = nil
		var ce *checkins.ValidationError
		if _, err := s.Create(ctx, bad, nil); !errors.As(err, &ce) || len(ce.On(checkins.FieldQuestions)) == 0 {
			t.Errorf("no questions: %v", err)
		}
		badCadence := standup(t)
		if _, err := s.Create(ctx, badCadence, func(string) error { return errors.New("nope") }); !errors.As(err, &ce) || len(ce.On(checkins.FieldCadence)) == 0 {
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
		s := checkins.NewStore(db)
		c, err := s.Create(ctx, standup(t, "U1"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPaused(ctx, "T1", c.ID, true, "USOMEONE", false); !errors.Is(err, checkins.ErrNotOwner) {
			t.Errorf("a stranger pausing: %v, want ErrNotOwner", err)
		}
		if _, err := s.Delete(ctx, "T1", c.ID, "USOMEONE", false); !errors.Is(err, checkins.ErrNotOwner) {
			t.Errorf("a stranger deleting: %v, want ErrNotOwner", err)
		}
		if got, err := s.SetPaused(ctx, "T1", c.ID, true, "UOWNER", false); err != nil || !got.Paused {
			t.Fatalf("the owner pausing: %+v, %v", got, err)
		}
		if sc, _ := models.NewSchedules(db).Get(ctx, "T1", checkins.ScheduleKey(c.ID)); !sc.Paused {
			t.Error("the schedule is not paused")
		}
		if got, err := s.SetPaused(ctx, "T1", c.ID, false, "UADMIN", true); err != nil || got.Paused {
			t.Fatalf("an admin resuming: %+v, %v", got, err)
		}
		at := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
		occs := models.NewOccurrences(db)
		if _, err := occs.Plan(ctx, []models.Occurrence{{WorkspaceID: "T1", CadenceID: checkins.ScheduleKey(c.ID), Recipient: "U1", NominalAt: at, DeliverAt: at}}); err != nil {
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

// Update: only the owner or an admin; questions, cadence, people and the
// schedule change together.
func TestCheckinUpdate(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := checkins.NewStore(db)
		orig, err := s.Create(ctx, standup(t, "U1"), nil)
		if err != nil {
			t.Fatal(err)
		}
		change := orig
		change.Name, change.Cadence, change.Anchor = "Weekly sync", "fridays at 14:00", calendar.Date{}
		change.Questions = []checkins.Question{
			{Kind: checkins.KindText, Prompt: "What moved?", Required: true},
			{Kind: checkins.KindScale, Prompt: "How was it?", Options: []string{"rough", "great"}, Anonymous: true},
		}
		change.People = []string{"U2", "U3"}
		change.Reminders = 2

		if _, err := s.Update(ctx, change, "USOMEONE", false, nil); !errors.Is(err, checkins.ErrNotOwner) {
			t.Errorf("a stranger updating: %v, want ErrNotOwner", err)
		}
		if got, _ := s.Get(ctx, "T1", orig.ID); got.Name != orig.Name || len(got.Questions) != 3 || !slices.Equal(got.People, []string{"U1"}) {
			t.Errorf("after a refused update: %+v", got)
		}
		if sc, _ := models.NewSchedules(db).Get(ctx, "T1", checkins.ScheduleKey(orig.ID)); sc.Cadence != orig.Cadence {
			t.Errorf("schedule after a refused update: %+v", sc)
		}
		bad := change
		bad.Questions = nil
		var ce *checkins.ValidationError
		if _, err := s.Update(ctx, bad, "UOWNER", false, nil); !errors.As(err, &ce) || len(ce.On(checkins.FieldQuestions)) == 0 {
			t.Errorf("no questions: %v", err)
		}
		if _, err := s.SetPaused(ctx, "T1", orig.ID, true, "UOWNER", false); err != nil {
			t.Fatal(err)
		}

		got, err := s.Update(ctx, change, "UOWNER", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Weekly sync" || got.Cadence != "fridays at 14:00" || got.Anchor != orig.Anchor || got.Reminders != 2 ||
			len(got.Questions) != 2 || got.Questions[1].Prompt != "How was it?" || !got.Questions[1].Anonymous ||
			!slices.Equal(got.People, []string{"U2", "U3"}) || !got.Paused || got.ChannelID != "C1" || got.OwnerID != "UOWNER" {
			t.Errorf("updated = %+v", got)
		}
		sc, err := models.NewSchedules(db).Get(ctx, "T1", checkins.ScheduleKey(orig.ID))
		if err != nil || sc.Cadence != "fridays at 14:00" || sc.Title != "Weekly sync" || !sc.Paused || sc.Anchor != orig.Anchor {
			t.Errorf("schedule = %+v, %v", sc, err)
		}
		if len(modelstest.Targets(t, db, "T1", "U1")) != 0 || len(modelstest.Targets(t, db, "T1", "U2")) != 1 || len(modelstest.Targets(t, db, "T1", "U3")) != 1 {
			t.Error("the schedule's targets did not follow the people")
		}

		// An admin may; a new anchor is kept; channel mode leaves the
		// targets to the caller.
		change.Participants, change.People = checkins.ParticipantsChannel, nil
		change.Anchor = date(t, "2026-12-04")
		got, err = s.Update(ctx, change, "UADMIN", true, nil)
		if err != nil || got.Participants != checkins.ParticipantsChannel || len(got.People) != 0 || got.Anchor != change.Anchor {
			t.Errorf("admin update to channel mode: %+v, %v", got, err)
		}
		if len(modelstest.Targets(t, db, "T1", "U2")) != 1 {
			t.Error("switching to channel mode changed the targets")
		}
	})
}

// ForPerson lists what a person owns or is asked, by name.
func TestCheckinsForPerson(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := checkins.NewStore(db)
		mk := func(name, owner string, people ...string) checkins.Checkin {
			c := standup(t, people...)
			c.Name, c.OwnerID = name, owner
			got, err := s.Create(ctx, c, nil)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		b := mk("B stand-up", "U1", "U2")
		a := mk("A stand-up", "U2", "U3")
		mk("C stand-up", "U3", "U3")
		a2 := mk("A stand-up", "U4", "U1")
		names := func(u string) []int64 {
			t.Helper()
			list, err := s.ForPerson(ctx, "T1", u)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, c := range list {
				ids = append(ids, c.ID)
			}
			return ids
		}
		if got := names("U1"); !slices.Equal(got, []int64{a2.ID, b.ID}) {
			t.Errorf("U1: %v, want %d, %d", got, a2.ID, b.ID)
		}
		if got := names("U2"); !slices.Equal(got, []int64{a.ID, b.ID}) {
			t.Errorf("U2: %v, want %d, %d", got, a.ID, b.ID)
		}
		if got := names("U9"); len(got) != 0 {
			t.Errorf("U9: %v", got)
		}
	})
}

// Of two member lists read from Slack, the one read later stays, whichever
// is applied last.
func TestSetMembersKeepsTheLaterRead(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := checkins.NewStore(db)
		tpl, _ := checkins.FindTemplate("standup")
		c := tpl.Checkin
		c.WorkspaceID, c.ChannelID, c.OwnerID = "T1", "C1", "U1"
		created, err := s.Create(ctx, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		// U3 left: the newer read (without U3) is applied first...
		if _, _, ok, err := s.SetMembers(ctx, "T1", created.ID, []string{"U1", "U2"}, t0.Add(time.Second)); err != nil || !ok {
			t.Fatalf("newer read: applied %v, %v", ok, err)
		}
		// ...then the older one (still with U3) arrives, and is not.
		if _, _, ok, err := s.SetMembers(ctx, "T1", created.ID, []string{"U1", "U2", "U3"}, t0); err != nil || ok {
			t.Fatalf("older read: applied %v, %v; want not applied", ok, err)
		}
		got, err := models.NewSchedules(db).Targets(ctx, "T1", checkins.ScheduleKey(created.ID))
		if err != nil || strings.Join(got, ",") != "U1,U2" {
			t.Errorf("participants %v, %v; want U1,U2", got, err)
		}
		if _, _, ok, err := s.SetMembers(ctx, "T1", created.ID, []string{"U1"}, t0.Add(2*time.Second)); err != nil || !ok {
			t.Errorf("a later read: applied %v, %v", ok, err)
		}
	})
}
