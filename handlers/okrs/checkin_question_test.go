package okrs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/handlers"
	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/jobs/engine"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/okrs"
)

// questionFixture is the OKR question kind over a real store: in T1's
// cycle Q1 2027, UK owns an "increase to" key result and UO a milestone;
// UN owns nothing.
type questionFixture struct {
	db       *models.DB
	store    *okrs.Store
	kind     handlers.QuestionKind
	increase int64 // UK's
	mile     int64 // UO's
}

const questionPrefix = "answer_7_"

func newQuestionFixture(t *testing.T, db *models.DB) questionFixture {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFrozen(now)
	eng, err := engine.New(engine.Config{DB: db, Clock: clk,
		Clients: func(context.Context, string) (engine.Slack, error) { return nil, errors.New("no Slack in this test") }})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := jobokrs.New(jobokrs.Config{DB: db, Engine: eng, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	store := svc.Store()
	c, err := store.CreateCycle(ctx, "T1", okrs.Cycle{Name: "Q1 2027", Start: calendar.Date{Year: 2027, Month: 1, Day: 1}, End: calendar.Date{Year: 2027, Month: 3, Day: 31}}, "UA")
	if err != nil {
		t.Fatal(err)
	}
	o, err := store.CreateObjective(ctx, "T1", okrs.Objective{CycleID: c.ID, Title: "Make onboarding effortless", Owner: "UO", Team: "C1",
		KeyResults: []okrs.KeyResult{
			{Title: "Activation from 40 to 60 %", Owner: "UK", Kind: okrs.IncreaseTo, Start: 40, Target: 60, Unit: "%", Decimals: 1},
			{Title: "Setup guide shipped", Kind: okrs.Milestone},
		}}, "UO")
	if err != nil {
		t.Fatal(err)
	}
	core := handlers.New(handlers.Config{Clock: clk, People: models.NewPeople(db)})
	kind := okrhandlers.New(core, svc, models.NewPeople(db), nil).CheckinQuestion()
	return questionFixture{db: db, store: store, kind: kind, increase: o.KeyResults[0].ID, mile: o.KeyResults[1].ID}
}

func (f questionFixture) request(user string) handlers.QuestionRequest {
	return handlers.QuestionRequest{TeamID: "T1", UserID: user, Request: &bot.Request{TeamID: "T1", UserID: user},
		Prefix: questionPrefix, MaxBlocks: 60, MaxState: 2900}
}

func (f questionFixture) updates(t *testing.T) int64 {
	t.Helper()
	n, err := modelstest.CountRows(context.Background(), f.db, "okr_updates", "T1")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// asModal wraps a question kind's blocks in a modal, as a host does.
func asModal(qb handlers.QuestionBlocks) slack.ModalViewRequest {
	return views.Modal("host", "Answer", "Send", qb.Blocks...)
}

// A person with key results gets the update form's inputs for each,
// every block id under the host's prefix, within the bounds the host
// gives; a person with none gets no blocks.
func TestCheckinQuestionBlocks(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newQuestionFixture(t, db)
		for _, tt := range []struct {
			user string
			krs  []int64
		}{
			{"UK", []int64{f.increase}},
			{"UO", []int64{f.mile}},
			{"UN", nil},
		} {
			qb, err := f.kind.Blocks(ctx, f.request(tt.user))
			if err != nil {
				t.Fatalf("Blocks(%s): %v", tt.user, err)
			}
			if len(tt.krs) == 0 {
				if len(qb.Blocks) != 0 || qb.State != "" {
					t.Errorf("Blocks(%s) = %d blocks, state %q; want none", tt.user, len(qb.Blocks), qb.State)
				}
				continue
			}
			if want := 1 + 4*len(tt.krs); len(qb.Blocks) != want {
				t.Errorf("Blocks(%s) = %d blocks, want %d", tt.user, len(qb.Blocks), want)
			}
			values := submit(t, asModal(qb))
			for _, id := range tt.krs {
				for _, block := range []string{okrhandlers.UpdateValueBlockID(id), okrhandlers.UpdateConfidenceBlockID(id), okrhandlers.UpdateNoteBlockID(id)} {
					if _, ok := values[questionPrefix+block]; !ok {
						t.Errorf("Blocks(%s) has no input %s", tt.user, questionPrefix+block)
					}
				}
			}
			for _, b := range qb.Blocks {
				if id := blockID(b); !strings.HasPrefix(id, questionPrefix) {
					t.Errorf("Blocks(%s): block id %q is not under %q", tt.user, id, questionPrefix)
				}
			}
			checkModalLimits(t, asModal(qb))
		}

		// Every bound is kept: the blocks never exceed MaxBlocks nor the
		// state MaxState; what does not fit is left out whole.
		for maxBlocks := 0; maxBlocks <= 8; maxBlocks++ {
			for _, maxState := range []int{0, 20, 40, 2900} {
				r := f.request("UK")
				r.MaxBlocks, r.MaxState = maxBlocks, maxState
				qb, err := f.kind.Blocks(ctx, r)
				if err != nil {
					t.Fatal(err)
				}
				if len(qb.Blocks) > maxBlocks || len(qb.State) > maxState {
					t.Errorf("Blocks within %d blocks and %d bytes = %d blocks, %d bytes", maxBlocks, maxState, len(qb.Blocks), len(qb.State))
				}
				if len(qb.Blocks) != 0 && len(qb.Blocks) != 5 {
					t.Errorf("Blocks within %d blocks and %d bytes = %d blocks, want 0 or 5", maxBlocks, maxState, len(qb.Blocks))
				}
			}
		}
	})
}

// Check refuses what the update form refuses, on the same input under
// the prefix, and stores nothing; nothing entered is no problem and
// stores nothing; a good answer is stored on Commit, in the host's
// transaction, as the person's check-in updates, and the history shows
// them.
func TestCheckinQuestionCheckAndCommit(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		f := newQuestionFixture(t, db)
		qb, err := f.kind.Blocks(ctx, f.request("UK"))
		if err != nil {
			t.Fatal(err)
		}
		value := questionPrefix + okrhandlers.UpdateValueBlockID(f.increase)
		conf := questionPrefix + okrhandlers.UpdateConfidenceBlockID(f.increase)
		// set is the form with v typed as the new value, and on track.
		set := func(block, v string) map[string]map[string]slack.BlockAction {
			values := submit(t, asModal(qb))
			for action, a := range values[block] {
				a.Value = v
				values[block][action] = a
			}
			values[conf] = map[string]slack.BlockAction{okrhandlers.ActionUpdateConfidence: {Type: "radio_buttons",
				SelectedOption: slack.OptionBlockObject{Value: string(okrs.OnTrack)}}}
			return values
		}

		for _, bad := range []string{"lots", "12 apples", "1e999", "NaN"} {
			pending, errs, err := f.kind.Check(ctx, f.request("UK"), qb.State, set(value, bad))
			if err != nil || pending != nil || errs[value] == "" {
				t.Errorf("Check(value %q) = %v, %v, %v; want a problem on %s", bad, pending, errs, err, value)
			}
		}
		if n := f.updates(t); n != 0 {
			t.Errorf("%d updates stored by refused checks, want 0", n)
		}

		// Nothing entered: no problem, and Commit stores nothing.
		pending, errs, err := f.kind.Check(ctx, f.request("UK"), qb.State, submit(t, asModal(qb)))
		if err != nil || len(errs) > 0 || pending == nil {
			t.Fatalf("Check(untouched) = %v, %v, %v", pending, errs, err)
		}
		if summary, after, err := pending.Commit(ctx); err != nil || summary != "" || after != nil {
			t.Errorf("Commit(untouched) = %q, after %v, %v; want nothing", summary, after != nil, err)
		}

		// A good answer, committed in a transaction the host then rolls
		// back, leaves nothing: the kind's stores join the host's.
		values := set(value, "55")
		pending, errs, err = f.kind.Check(ctx, f.request("UK"), qb.State, values)
		if err != nil || len(errs) > 0 {
			t.Fatalf("Check(55) = %v, %v", errs, err)
		}
		hostFailed := errors.New("the host's answer could not be stored")
		err = db.Tx(ctx, func(ctx context.Context) error {
			if _, _, err := pending.Commit(ctx); err != nil {
				return err
			}
			return hostFailed
		})
		if !errors.Is(err, hostFailed) {
			t.Fatalf("host transaction = %v", err)
		}
		if n := f.updates(t); n != 0 {
			t.Errorf("%d updates stored by a rolled-back answer, want 0", n)
		}

		var summary string
		var after func(context.Context) error
		if err := db.Tx(ctx, func(ctx context.Context) error {
			summary, after, err = pending.Commit(ctx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if summary != "Updated 1 key result" {
			t.Errorf("summary = %q, want %q", summary, "Updated 1 key result")
		}
		// Telling the nudges is the host's after step, outside its
		// transaction.
		if after == nil {
			t.Fatal("Commit(55) gave no after step: the nudges are never told")
		}
		if err := after(ctx); err != nil {
			t.Errorf("after(55) = %v", err)
		}
		hist, err := f.store.History(ctx, "T1", f.increase)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 1 || hist[0].Source != okrs.SourceCheckin || hist[0].Author != "UK" || hist[0].Value != 55 || hist[0].Confidence == "" {
			t.Errorf("history = %+v, want one check-in update of 55 by UK", hist)
		}

		// The same form again: the key result moved since it was drawn,
		// so it is refused on its value, and nothing is added twice.
		if _, errs, err := f.kind.Check(ctx, f.request("UK"), qb.State, values); err != nil || errs[value] == "" {
			t.Errorf("Check(same form again) = %v, %v; want a problem on %s", errs, err, value)
		}

		// "No change" counts as an update, and says so in the summary;
		// changing the confidence beside it is refused on that input.
		qo, err := f.kind.Blocks(ctx, f.request("UO"))
		if err != nil {
			t.Fatal(err)
		}
		same := submit(t, asModal(qo))
		kr := questionPrefix + okrhandlers.UpdateKRBlockID(f.mile)
		same[kr] = map[string]slack.BlockAction{okrhandlers.ActionUpdateNoChange: {Type: "checkboxes",
			SelectedOptions: []slack.OptionBlockObject{{Value: okrhandlers.ValueNoChange}}}}
		moConf := questionPrefix + okrhandlers.UpdateConfidenceBlockID(f.mile)
		contradict := map[string]map[string]slack.BlockAction{}
		for k, v := range same {
			contradict[k] = v
		}
		contradict[moConf] = map[string]slack.BlockAction{okrhandlers.ActionUpdateConfidence: {Type: "radio_buttons",
			SelectedOption: slack.OptionBlockObject{Value: string(okrs.OffTrack)}}}
		if _, errs, err := f.kind.Check(ctx, f.request("UO"), qo.State, contradict); err != nil || errs[moConf] == "" {
			t.Errorf("Check(no change and a new confidence) = %v, %v; want a problem on %s", errs, err, moConf)
		}
		pending, errs, err = f.kind.Check(ctx, f.request("UO"), qo.State, same)
		if err != nil || len(errs) > 0 {
			t.Fatalf("Check(no change) = %v, %v", errs, err)
		}
		if summary, after, err := pending.Commit(ctx); err != nil || summary != "Updated 1 key result, 1 unchanged" || after == nil {
			t.Errorf("Commit(no change) = %q, after %v, %v", summary, after != nil, err)
		}
		if hist, err := f.store.History(ctx, "T1", f.mile); err != nil || len(hist) != 1 || !hist[0].NoChange || hist[0].Source != okrs.SourceCheckin {
			t.Errorf("history of the milestone = %+v, %v; want one no-change check-in", hist, err)
		}

		// Someone else's form state is read against their own key
		// results: UN, who owns none, is refused on UK's input.
		if _, errs, err := f.kind.Check(ctx, f.request("UN"), qb.State, set(value, "57")); err != nil || errs[value] == "" {
			t.Errorf("Check(UK's form as UN) = %v, %v; want a problem on %s", errs, err, value)
		}
		if n := f.updates(t); n != 2 {
			t.Errorf("%d updates stored, want 2", n)
		}
	})
}

// The summary counts updates and the unchanged among them, and holds
// nothing a person typed.
func TestCheckinSummary(t *testing.T) {
	note := okrs.Update{Value: 1, Confidence: okrs.OnTrack, Note: "secret plans"}
	for _, tt := range []struct {
		ups  []okrs.Update
		want string
	}{
		{[]okrs.Update{note}, "Updated 1 key result"},
		{[]okrs.Update{note, note, note}, "Updated 3 key results"},
		{[]okrs.Update{note, {NoChange: true, Note: "secret"}}, "Updated 2 key results, 1 unchanged"},
	} {
		if got := okrhandlers.CheckinSummary(tt.ups); got != tt.want || strings.Contains(got, "secret") {
			t.Errorf("CheckinSummary(%d updates) = %q, want %q", len(tt.ups), got, tt.want)
		}
	}
}

// blockID is a block's id.
func blockID(b slack.Block) string {
	switch b := b.(type) {
	case *slack.SectionBlock:
		return b.BlockID
	case *slack.InputBlock:
		return b.BlockID
	case *slack.ContextBlock:
		return b.BlockID
	}
	return ""
}
