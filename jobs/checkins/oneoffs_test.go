package checkins

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// Each check-in one-off survives the trip through its JSON, names its
// occurrence exactly as the tag before payloads did (so the unique
// identity still holds across an upgrade), and reads that old tag back as
// itself.
func TestOneOffPayloadsRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		p       engine.OneOff
		decoded engine.OneOff // a new value of p's type to decode into
		id      string
	}{
		{runNow{At: at}, &runNow{}, fmt.Sprintf("checkin:42#run:%d", at.Unix())},
		{reminder{Round: 17, N: 2}, &reminder{}, "checkin:42#reminder:17:2"},
		{snoozed{Round: 17, Until: at}, &snoozed{}, fmt.Sprintf("checkin:42#snooze:17:%d", at.Unix())},
		{digest{Round: 17}, &digest{}, "checkin:42#digest:17"},
		{helperNotice{Round: 17, Asker: "U0ADA", Question: 5}, &helperNotice{}, "checkin:42#helper:17:U0ADA:5"},
	} {
		name := tt.p.OneOffKind()
		if got := engine.OneOffID("checkin:42", tt.p); got != tt.id {
			t.Errorf("%s: OneOffID = %q, want %q", name, got, tt.id)
		}
		data, err := json.Marshal(tt.p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		fromJSON := reflect.New(reflect.TypeOf(tt.p))
		if err := json.Unmarshal(data, fromJSON.Interface()); err != nil || !reflect.DeepEqual(fromJSON.Elem().Interface(), tt.p) {
			t.Errorf("%s: %s reads back as %#v (%v), want %#v", name, data, fromJSON.Elem().Interface(), err, tt.p)
		}
		old := strings.TrimPrefix(tt.id, "checkin:42#"+name+":")
		if err := tt.decoded.(engine.OneOffDecoder).DecodeOneOff(0, []byte(old)); err != nil {
			t.Errorf("%s: the old tag's %q: %v", name, old, err)
		}
		if got := reflect.ValueOf(tt.decoded).Elem().Interface(); !reflect.DeepEqual(got, tt.p) {
			t.Errorf("%s: the old tag's %q reads as %#v, want %#v", name, old, got, tt.p)
		}
	}
}

// Snoozes of one round share the start of their cadence ids, and those of
// another round do not: a later snooze of the round makes an earlier one
// stale.
func TestSnoozesOfARoundShareAPrefix(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	a, b := snoozed{Round: 17, Until: at}, snoozed{Round: 17, Until: at.Add(time.Hour)}
	if a.sameRound("checkin:4") != b.sameRound("checkin:4") || !strings.HasPrefix(engine.OneOffID("checkin:4", b), a.sameRound("checkin:4")) {
		t.Errorf("snoozes of one round: prefixes %q and %q", a.sameRound("checkin:4"), b.sameRound("checkin:4"))
	}
	if other := (snoozed{Round: 1, Until: at}); strings.HasPrefix(engine.OneOffID("checkin:4", other), a.sameRound("checkin:4")) {
		t.Errorf("a snooze of round 1 (%q) shares round 17's prefix %q", engine.OneOffID("checkin:4", other), a.sameRound("checkin:4"))
	}
}

// One-offs an older build planned — their tag in the cadence id, no
// payload — are still written as what they were after the upgrade: a
// reminder, a snoozed prompt, a digest, a "run now"; one whose tag does not
// read is skipped, saying so.
func TestOneOffsPlannedBeforePayloadsDeliver(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, dialect string) {
		h := newHarness(t, harnessOpts{dialect: dialect})
		ada := h.person("ada", "Europe/London", "")
		ch := h.channel("team", ada)
		c := h.create(checkinFor(ch, ada))
		if err := models.NewWorkspaces(h.dbs[0]).SetDailyBudget(h.ctx, team, 10, ada); err != nil {
			t.Fatal(err)
		}
		h.run(monday.Add(9*time.Hour + 31*time.Minute))
		round := h.roundOf(ada)
		now := h.clk.Now()
		// A minute apart, so each goes out as a message of its own.
		for i, tt := range []struct{ tag, want string }{
			{fmt.Sprintf("reminder:%d:2", round), models.OccurrenceDelivered},
			{fmt.Sprintf("snooze:%d:%d", round, now.Add(time.Minute).Unix()), models.OccurrenceDelivered},
			{fmt.Sprintf("digest:%d", round), models.OccurrenceDelivered},
			{fmt.Sprintf("run:%d", now.Unix()), "already asked in this round"},
			{fmt.Sprintf("reminder:%d", round), "unreadable"},
		} {
			at := now.Add(time.Duration(i) * time.Minute)
			h.planLegacy(c, tt.tag, ada, at)
			h.run(at.Add(time.Minute))
			id := checkinmodels.ScheduleKey(c.ID) + "#" + tt.tag
			found := false
			for _, o := range h.occurrences(ada, c, "#") {
				if o.CadenceID != id || !o.NominalAt.Equal(at) {
					continue
				}
				found = true
				if o.Status != tt.want && (o.Status != models.OccurrenceSkipped || !strings.Contains(o.Reason, tt.want)) {
					t.Errorf("%s: %s (%s), want %s", tt.tag, o.Status, o.Reason, tt.want)
				}
			}
			if !found {
				t.Errorf("%s: no occurrence", tt.tag)
			}
		}
		var all []string
		for _, m := range h.dms(ada) {
			all = append(all, msgText(m))
		}
		text := strings.Join(all, "\n")
		for _, want := range []string{"Reminder: this is still waiting for your answer.", "You snoozed this earlier"} {
			if !strings.Contains(text, want) {
				t.Errorf("ada's DMs lack %q:\n%s", want, text)
			}
		}
	})
}
