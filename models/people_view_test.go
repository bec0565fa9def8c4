package models_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// TestGetWithAway: the one-query read returns what Get and AwayPeriods do.
func TestGetWithAway(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		people := models.NewPeople(db)
		d := func(s string) calendar.Date {
			v, err := calendar.ParseDate(s)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		if _, _, err := people.GetWithAway(ctx, "T1", "U1", d("2026-11-23")); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown person: err = %v, want ErrNotFound", err)
		}
		if _, err := people.SyncProfile(ctx, models.Person{WorkspaceID: "T1", UserID: "U1", Name: "Ada", SlackTZ: "Europe/London"}); err != nil {
			t.Fatal(err)
		}
		p, away, err := people.GetWithAway(ctx, "T1", "U1", d("2026-11-23"))
		if err != nil || p.Name != "Ada" || len(away) != 0 {
			t.Fatalf("no time off: %+v %+v %v", p, away, err)
		}
		for _, span := range [][2]string{{"2026-11-01", "2026-11-05"}, {"2026-12-20", "2026-12-31"}, {"2026-11-22", "2026-11-24"}} {
			if _, err := people.AddAway(ctx, models.AwayPeriod{WorkspaceID: "T1", UserID: "U1", First: d(span[0]), Last: d(span[1]), Note: span[0]}); err != nil {
				t.Fatal(err)
			}
		}
		// Another person's and another workspace's time off stay out.
		if _, err := people.AddAway(ctx, models.AwayPeriod{WorkspaceID: "T2", UserID: "U1", First: d("2026-12-01"), Last: d("2026-12-02")}); err != nil {
			t.Fatal(err)
		}
		p, away, err = people.GetWithAway(ctx, "T1", "U1", d("2026-11-23"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := people.AwayPeriods(ctx, "T1", "U1", d("2026-11-23"))
		if err != nil {
			t.Fatal(err)
		}
		if len(away) != 2 || !reflect.DeepEqual(away, want) {
			t.Errorf("GetWithAway away = %+v, want %+v", away, want)
		}
		got, _ := people.Get(ctx, "T1", "U1")
		if !reflect.DeepEqual(p, got) {
			t.Errorf("GetWithAway person = %+v, want %+v", p, got)
		}
	})
}
