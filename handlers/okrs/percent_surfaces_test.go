package okrs_test

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
	"github.com/trellis-bot/trellis/handlers/views"
	jobokrs "github.com/trellis-bot/trellis/jobs/okrs"
	"github.com/trellis-bot/trellis/models/okrs"
)

// TestEverySurfaceShowsThePercentRoundedDown: a key result one step short
// of its target is shown as 99 %, never 100 %, and one at its target as
// 100 %, on every surface that shows progress as a percent — the
// person's list, the objective list, the tree, the Home tab, the update
// and review forms, the nudge, the digest, the review DM and the team's
// review summary. They all read okrs.Percent.
func TestEverySurfaceShowsThePercentRoundedDown(t *testing.T) {
	percent := regexp.MustCompile(`(\d+)\s?%`)
	for _, tt := range []struct {
		value float64
		want  string
	}{
		{996, "99"},   // 99.6 % of the way
		{1000, "100"}, // at the target
		{290, "29"},   // 0.29, which is 28.999… in binary
	} {
		kr := okrs.KeyResult{ID: 11, ObjectiveID: 7, Owner: "U0ADA", Title: "Signed customers", Kind: okrs.IncreaseTo, Start: 0, Target: 1000}
		obj := okrs.Objective{ID: 7, CycleID: cycle.ID, Title: "Grow", Owner: "U0ADA", KeyResults: []okrs.KeyResult{kr}}
		eff := okrs.Effective{HasValue: true, Value: tt.value, Confidence: okrs.OnTrack, Updates: 1, LastID: 1, LastAt: now.Add(-30 * 24 * time.Hour)}
		item := okrhandlers.Item{Objective: obj, KR: kr, Current: eff, Cycle: cycle}
		progress := kr.Progress(tt.value)

		surfaces := map[string]any{
			"/trellis okr":        okrhandlers.MyOKRs([]okrhandlers.Item{item}, now),
			"objective list":      okrhandlers.ObjectiveList([]okrhandlers.Item{item}, "Objectives", now),
			"tree":                okrhandlers.Tree([]okrhandlers.TreeObjective{{Objective: obj, Progress: progress}}, 0),
			"Home tab":            okrhandlers.HomeSection([]okrhandlers.Item{item}, now)(views.HomeRoom{Blocks: 100, Text: 100000}),
			"update form":         okrhandlers.UpdateModal([]okrhandlers.Item{item}, now, ""),
			"review form":         okrhandlers.ReviewModal(cycle, []okrhandlers.ReviewItem{{KeyResult: kr, Objective: obj, Final: eff, Grade: okrs.PrefillGrade(kr, eff)}}),
			"nudge":               jobokrs.NudgeMessage(jobokrs.NudgeInput{Stale: []jobokrs.KRStatus{{KeyResult: kr, Objective: obj.Title, Cycle: cycle, Current: eff}}, Now: now}),
			"digest":              jobokrs.DigestMessage(jobokrs.DigestInput{Now: now, Since: now.Add(-7 * 24 * time.Hour), Objectives: []jobokrs.DigestObjective{{Objective: obj, Cycle: cycle, KeyResults: []jobokrs.DigestKR{{KeyResult: kr, Then: eff, Now: eff}}}}}),
			"review DM":           jobokrs.ReviewMessage(jobokrs.ReviewInput{Cycle: cycle, Items: []jobokrs.ReviewLine{{KeyResult: kr, Objective: obj.Title, Final: eff}}}),
			"team review summary": jobokrs.ReviewSummaryMessage(jobokrs.SummaryInput{Cycle: cycle, Objectives: []jobokrs.SummaryObjective{{Title: obj.Title, KeyResults: []jobokrs.SummaryKR{{KeyResult: kr, Final: eff}}}}}),
		}
		for name, s := range surfaces {
			raw, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			found := percent.FindAllStringSubmatch(string(raw), -1)
			if len(found) == 0 {
				t.Errorf("value %v: %s shows no percent", tt.value, name)
			}
			for _, m := range found {
				if m[1] != tt.want {
					t.Errorf("value %v: %s shows %s%%, want %s%% (okrs.Percent)", tt.value, name, m[1], tt.want)
				}
			}
		}
	}
}
