package okrs_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"

	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
)

// The Block Kit checks this package's tests share with every package that
// builds Block Kit (internal/blockkit/blockkittest).
var (
	checkModalLimits = blockkittest.CheckModalLimits
	checkBlockLimits = blockkittest.CheckBlockLimits
	submit           = blockkittest.Submit
	blockJSON        = blockkittest.BlockJSON
	reportBlocks     = blockkittest.ReportBlocks
	stored           = blockkittest.Stored
	hostile          = blockkittest.Hostile
)

// now is when the tests look at the surfaces.
var now = time.Date(2027, 2, 10, 10, 0, 0, 0, time.UTC)

// cycle is the cycle the test items are in.
var cycle = okrs.Cycle{ID: 3, Name: "2027 Jan–Feb", Start: calendar.Date{Year: 2027, Month: 1, Day: 1}, End: calendar.Date{Year: 2027, Month: 2, Day: 28}}

// kindsInTurn are the kinds items take in turn.
var kindsInTurn = []okrs.Kind{okrs.IncreaseTo, okrs.DecreaseTo, okrs.StayAtOrAbove, okrs.StayAtOrBelow, okrs.Milestone}

// items are n key results, five to an objective, of every kind in turn,
// with title (bounded as stored) as every text a person typed; every
// third has no update yet.
func items(n int, title string) []okrhandlers.Item {
	var out []okrhandlers.Item
	for i := range n {
		o := okrs.Objective{ID: int64(100 + i/5), CycleID: cycle.ID, Title: stored(fmt.Sprint(title, " objective ", i/5), okrs.MaxTitleLen), Owner: "U0OWNER", Team: "C0TEAM"}
		k := okrs.KeyResult{ID: int64(1000 + i), ObjectiveID: o.ID, Owner: "U0OWNER", Title: stored(fmt.Sprint(title, " kr ", i), okrs.MaxTitleLen),
			Kind: kindsInTurn[i%len(kindsInTurn)], Start: 40, Target: 60, Unit: stored(title, okrs.MaxUnitLen), Decimals: i % 3}
		switch k.Kind {
		case okrs.DecreaseTo:
			k.Start, k.Target = 60, 40
		case okrs.Milestone:
			k.Start, k.Target, k.Unit, k.Decimals = 0, 1, "", 0
		}
		cur := okrs.Effective{HasValue: true, Value: 47.25, Confidence: okrs.AtRisk, Note: stored(title, okrs.MaxNoteLen), Updates: 2, LastID: int64(5000 + i), LastAt: now.Add(-72 * time.Hour)}
		if i%3 == 2 {
			cur = okrs.Effective{}
		}
		c := cycle
		c.Name = stored(title+" cycle", okrs.MaxNameLen)
		out = append(out, okrhandlers.Item{Objective: o, KR: k, Current: cur, Cycle: c})
	}
	return out
}

// mustJSON is v as JSON.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
