package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	"github.com/trellis-bot/trellis/internal/slacksim"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// TestOKRReviewFollowsTheChannel: the review form of a team-only
// objective's cycle holds an owner's key result while they are in the
// channel; once they leave, its button finds nothing to review and a
// form opened before stores nothing.
func TestOKRReviewFollowsTheChannel(t *testing.T) {
	o := startOKRs(t)
	ctx, ws := o.ctx, slacksim.DefaultTeamID
	clk, err := o.ctl.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	today := calendar.DateOf(clk.Now.UTC())
	ended, err := o.store.CreateCycle(ctx, ws, okrs.Cycle{Name: "Growth past", Team: o.growth, Start: today.AddDays(-40), End: today.AddDays(-1)}, o.dee)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := o.store.CreateObjective(ctx, ws, okrs.Objective{CycleID: ended.ID, Title: "Grow the community", Owner: o.ana, Team: o.growth, Visibility: okrs.VisibleTeam,
		KeyResults: []okrs.KeyResult{{Title: "Talks given", Owner: o.ben, Kind: okrs.IncreaseTo, Start: 0, Target: 5}}}, o.ana)
	if err != nil {
		t.Fatal(err)
	}
	kr := obj.KeyResults[0]
	o.commandIn(t, o.ben, "", "/trellis me") // Trellis learns his zone
	// 10:00 in Chicago, Ben's zone: his review DM.
	o.setClock(t, clk.Now.UTC().Truncate(24*time.Hour).Add(16*time.Hour+5*time.Minute))
	var review slacksim.Message
	eventually(t, "Ben's review DM", func() error {
		for _, m := range o.dms(t, o.ben) {
			if strings.Contains(m.Text, "OKR review") {
				review = m
				return nil
			}
		}
		return fmt.Errorf("no review DM among %d", len(o.dms(t, o.ben)))
	})
	o.click(t, o.ben, review, jobokrs.ReviewActionID(ended.ID), "", "")
	v := o.topView(t, o.ben, okrhandlers.CallbackReview)
	if !strings.Contains(string(v.Blocks), "Talks given") {
		t.Fatalf("Ben's review form lacks his key result: %s", v.Blocks)
	}

	if _, err := o.ctl.LeaveChannel(ctx, o.growth, o.ben); err != nil {
		t.Fatal(err)
	}
	if _, err := o.ctl.AdvanceClock(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	got := o.submit(o.ben, v, formState(t, v.Blocks, map[string]any{okrhandlers.ReviewDecisionBlock(kr.ID): string(okrs.DecisionDone)}))
	if got.Errors[okrhandlers.ReviewDecisionBlock(kr.ID)] == "" {
		t.Errorf("Ben's review after leaving: %+v, want a refusal on it", got)
	}
	if reviews, _, err := o.store.CycleReviews(ctx, ws, ended.ID); err != nil || len(reviews) != 0 {
		t.Fatalf("after a refused review: %+v, %v", reviews, err)
	}
	o.click(t, o.ben, review, jobokrs.ReviewActionID(ended.ID), "", "")
	eventually(t, "the button finding nothing", func() error {
		for _, m := range botDMs(t, o.ctl, o.ben) {
			if strings.Contains(m.Text, "nothing for you to review") {
				return nil
			}
		}
		return fmt.Errorf("no such reply")
	})
}
