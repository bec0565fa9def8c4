package checkins_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/checkins/checkinstest"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// Export: identified answers and skipped rounds, never an anonymous
// answer, for everyone or one person.
func TestExport(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s, r1 := pulseRound(t, db)
		pulse, _ := s.Get(ctx, "T1", r1.CheckinID)
		r2 := openRound(t, s, pulse, "2026-12-14")
		if _, err := s.Answer(ctx, "T1", r1.ID, "U2", checkinstest.PulseAnswers("1")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Answer(ctx, "T1", r1.ID, "U1", checkinstest.PulseAnswers("2")); err != nil {
			t.Fatal(err)
		}
		if err := s.Decline(ctx, "T1", r2.ID, "U2", checkins.ResponseSkipped); err != nil {
			t.Fatal(err)
		}
		if _, err := s.MarkAsked(ctx, "T1", r2.ID, "U3", 1); err != nil {
			t.Fatal(err)
		}
		sub := checkinstest.PulseAnswers("3")
		sub.Answers[4] = "Dana"
		if _, err := s.Answer(ctx, "T1", r2.ID, "U1", sub); err != nil {
			t.Fatal(err)
		}
		line := func(r checkins.ExportRow) string {
			return fmt.Sprintf("%s %s %s %d %s=%s", r.Date, r.UserID, r.Status, r.Position, r.Question, r.Answer)
		}
		q := func(i int) string { return pulse.Questions[i-1].Prompt }
		all, err := s.Export(ctx, "T1", pulse.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range all {
			got = append(got, line(r))
			if r.Position == 5 || r.Question == q(5) {
				t.Errorf("an anonymous answer was exported: %s", line(r))
			}
		}
		want := []string{
			"2026-12-07 U1 answered 1 " + q(1) + "=Ship the billing rewrite",
			"2026-12-07 U1 answered 2 " + q(2) + "=Fewer meetings",
			"2026-12-07 U1 answered 3 " + q(3) + "=Mostly",
			"2026-12-07 U2 answered 1 " + q(1) + "=Ship the billing rewrite",
			"2026-12-07 U2 answered 2 " + q(2) + "=Fewer meetings",
			"2026-12-07 U2 answered 3 " + q(3) + "=Mostly",
			"2026-12-14 U1 answered 1 " + q(1) + "=Ship the billing rewrite",
			"2026-12-14 U1 answered 2 " + q(2) + "=Fewer meetings",
			"2026-12-14 U1 answered 3 " + q(3) + "=Mostly",
			"2026-12-14 U1 answered 4 " + q(4) + "=Dana",
			"2026-12-14 U2 skipped 0 =",
		}
		if !slices.Equal(got, want) {
			t.Errorf("export =\n%v\nwant\n%v", got, want)
		}
		mine, err := s.Export(ctx, "T1", pulse.ID, "U2")
		if err != nil {
			t.Fatal(err)
		}
		got = nil
		for _, r := range mine {
			got = append(got, line(r))
		}
		if !slices.Equal(got, []string{want[3], want[4], want[5], want[10]}) {
			t.Errorf("U2's export = %v", got)
		}
		if _, err := s.Export(ctx, "T2", pulse.ID, ""); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("export from another workspace: %v", err)
		}
	})
}
