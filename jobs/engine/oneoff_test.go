package engine

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// testNote is a second payload type, without an older version to read.
type testNote struct {
	Text string `json:"text"`
}

func (testNote) OneOffKind() string  { return "note" }
func (testNote) OneOffVersion() int  { return 1 }
func (n testNote) OneOffKey() string { return n.Text }

// A one-off's payload is stored as JSON with its kind and version, its
// identity in the CadenceID as before payloads, and planning it again —
// or planning one whose identity a row from before payloads holds — does
// nothing, on both databases.
func TestPlanOnceWithPayloadsIsIdempotent(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			h := newHarness(t, harnessOpts{dialect: dialect, start: mustTime("2026-11-27T12:00:00Z")})
			ada := h.person("ada", "Europe/London", nil)
			h.schedule("daily", "every day at 08:00", ada)
			e, ctx := h.engines[0], context.Background()
			at := mustTime("2026-11-27T13:00:00Z")
			for i, want := range []bool{true, false} {
				if ok, err := e.PlanOnce(ctx, team, "test:daily", testReminder{N: 1}, ada, at); err != nil || ok != want {
					t.Errorf("PlanOnce #%d = %v, %v; want %v", i+1, ok, err, want)
				}
			}
			// An older build's row: the tag in the CadenceID, no payload.
			if _, err := e.occ.Plan(ctx, []models.Occurrence{{WorkspaceID: team, CadenceID: "test:daily#reminder:2", Recipient: ada, NominalAt: at, DeliverAt: at}}); err != nil {
				t.Fatal(err)
			}
			if ok, err := e.PlanOnce(ctx, team, "test:daily", testReminder{N: 2}, ada, at); err != nil || ok {
				t.Errorf("PlanOnce over a row from before payloads = %v, %v; want false", ok, err)
			}
			var got []string
			for _, o := range h.occurrences() {
				if strings.Contains(o.CadenceID, "#") {
					got = append(got, o.CadenceID+" "+o.Payload)
				}
			}
			slices.Sort(got)
			want := []string{
				`test:daily#reminder:1 {"kind":"reminder","version":1,"data":{"n":1}}`,
				`test:daily#reminder:2 `,
			}
			if !slices.Equal(got, want) {
				t.Errorf("one-offs stored %q, want %q", got, want)
			}
		})
	}
}

// PlanOnce takes only payload types declared for the schedule's kind, and
// a kind is declared once.
func TestPlanOnceRefusesUndeclaredPayloads(t *testing.T) {
	h := newHarness(t, harnessOpts{start: mustTime("2026-11-27T12:00:00Z")})
	ada := h.person("ada", "Europe/London", nil)
	h.schedule("daily", "every day at 08:00", ada)
	e, ctx := h.engines[0], context.Background()
	if _, err := e.PlanOnce(ctx, team, "test:daily", testNote{Text: "hi"}, ada, h.clk.Now()); err == nil {
		t.Error("PlanOnce took a payload type never declared")
	}
	if _, err := e.PlanOnce(ctx, team, "other:daily", testReminder{N: 1}, ada, h.clk.Now()); err == nil {
		t.Error("PlanOnce took a payload type declared for another kind of schedule")
	}
	if err := AcceptOneOff[testReminder](e, "test"); err == nil {
		t.Error("AcceptOneOff declared the kind \"reminder\" twice")
	}
	if err := AcceptOneOff[testReminder](e, "other"); err != nil {
		t.Errorf("AcceptOneOff for another schedule kind: %v", err)
	}
}

// The composer gets each one-off's payload back typed, a row from before
// payloads read as version 0. A payload of a kind this build does not know
// or of a version newer than it knows was planned by a newer build: it is
// deferred, saying why, so that a newer replica sends it, unless it is
// older than CatchUp. What no build can read — an old tag of an unknown
// kind or that does not read back exactly, an older version its type does
// not read, a payload that does not parse — is settled as skipped, saying
// why. Neither reaches the composer.
func TestOneOffPayloadsReachTheComposer(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			var seen []OneOff
			composer := ComposerFunc(func(ctx context.Context, c Context) (Message, error) {
				if c.OneOff != nil {
					seen = append(seen, c.OneOff)
				}
				return testComposer(ctx, c)
			})
			h := newHarness(t, harnessOpts{dialect: dialect, start: mustTime("2026-11-27T12:00:00Z"), composer: composer}) // Fri
			ada := h.person("ada", "Europe/London", nil)
			h.schedule("daily", "every day at 08:00", ada)
			e, ctx := h.engines[0], context.Background()
			if err := AcceptOneOff[testNote](e, "test"); err != nil {
				t.Fatal(err)
			}
			at := mustTime("2026-11-27T13:00:00Z")
			if _, err := e.PlanOnce(ctx, team, "test:daily", testNote{Text: "a:b c"}, ada, at); err != nil {
				t.Fatal(err)
			}
			if _, err := e.PlanOnce(ctx, team, "test:daily", testReminder{N: 4}, ada, at); err != nil {
				t.Fatal(err)
			}
			raw := []models.Occurrence{
				{CadenceID: "test:daily#reminder:5"}, // before payloads
				{CadenceID: "test:daily#mystery:1"},
				{CadenceID: "test:daily#note:x"}, // a note has no version 0
				{CadenceID: "test:daily#reminder:6x"},
				{CadenceID: "test:daily#reminder:7", Payload: `{"kind":"reminder","version":2,"data":{"n":7}}`},
				{CadenceID: "test:daily#reminder:8", Payload: `{"kind":"mystery","version":1,"data":{}}`},
				{CadenceID: "test:daily#reminder:9", Payload: `{"kind":"reminder","version":1,"data":"nine"}`},
				{CadenceID: "test:daily#reminder:10", Payload: `not json`},
				{CadenceID: "test:daily#reminder:11", Payload: `{"kind":"reminder","version":2,"data":{"n":11}}`},
			}
			for i := range raw {
				raw[i].WorkspaceID, raw[i].Recipient, raw[i].NominalAt, raw[i].DeliverAt = team, ada, at, at
			}
			// Planned by a newer build longer ago than CatchUp (a day): that
			// build is taken to be gone.
			raw[len(raw)-1].NominalAt = at.Add(-25 * time.Hour)
			if _, err := e.occ.Plan(ctx, raw); err != nil {
				t.Fatal(err)
			}
			h.runTo(mustTime("2026-11-27T14:00:00Z"))

			wantSeen := []OneOff{testNote{Text: "a:b c"}, testReminder{N: 4}, testReminder{N: 5}}
			for _, w := range wantSeen {
				if !slices.Contains(seen, w) {
					t.Errorf("the composer never saw %#v; it saw %#v", w, seen)
				}
			}
			if len(seen) != len(wantSeen) {
				t.Errorf("the composer saw %#v, want only %#v", seen, wantSeen)
			}
			unreadable := map[string]string{
				"test:daily#mystery:1":   `no test message of kind "mystery"`,
				"test:daily#note:x":      "version 0 cannot be read",
				"test:daily#reminder:6x": `tag "reminder:6x" does not read`,
				"test:daily#reminder:9":  "cannot unmarshal",
				"test:daily#reminder:10": "invalid character",
				"test:daily#reminder:11": `planned by a newer build: test "reminder" version 2 (this build knows up to version 1)`,
			}
			newer := map[string]string{
				"test:daily#reminder:7": `planned by a newer build: test "reminder" version 2 (this build knows up to version 1)`,
				"test:daily#reminder:8": `planned by a newer build: no test message of kind "mystery"`,
			}
			for _, o := range h.occurrences() {
				want, bad := unreadable[o.CadenceID]
				wantNewer, isNewer := newer[o.CadenceID]
				switch {
				case isNewer:
					if o.Status != models.OccurrenceDeferred || !strings.HasPrefix(o.Reason, "waiting for a newer Trellis to send it: ") || !strings.Contains(o.Reason, wantNewer) {
						t.Errorf("%s: %s (%s), want deferred for a newer build: …%s…", o.CadenceID, o.Status, o.Reason, wantNewer)
					}
				case bad:
					if o.Status != models.OccurrenceSkipped || !strings.HasPrefix(o.Reason, "unreadable: ") || !strings.Contains(o.Reason, want) {
						t.Errorf("%s: %s (%s), want skipped as unreadable: …%s…", o.CadenceID, o.Status, o.Reason, want)
					}
				case strings.Contains(o.CadenceID, "#"):
					if o.Status != models.OccurrenceDelivered {
						t.Errorf("%s: %s (%s), want delivered", o.CadenceID, o.Status, o.Reason)
					}
				}
			}
		})
	}
}
