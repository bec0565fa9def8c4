package peers

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

// snapshot is every row of every table, each as its printed values.
func snapshot(t *testing.T, h *circlesHarness) map[string]map[string]bool {
	t.Helper()
	tables, err := h.dbs[0].Conn(h.ctx).Migrator().GetTables()
	if err != nil {
		t.Fatalf("tables: %v", err)
	}
	out := map[string]map[string]bool{}
	for _, tb := range tables {
		var rows []map[string]any
		if err := h.dbs[0].Conn(h.ctx).Table(tb).Find(&rows).Error; err != nil {
			t.Fatalf("rows of %s: %v", tb, err)
		}
		out[tb] = map[string]bool{}
		for _, r := range rows {
			out[tb][fmt.Sprint(r)] = true
		}
	}
	return out
}

// TestAsks proves the asks' promises of docs/peers.md.
func TestAsks(t *testing.T) {
	forCircleDialects(t, func(t *testing.T, dialect string) {
		start := time.Date(2027, 1, 4, 10, 0, 0, 0, time.UTC) // Monday
		h := newCirclesHarness(t, dialect, 1, start)
		var users []string
		for i := range 5 {
			users = append(users, h.person(fmt.Sprintf("p%d", i), "Europe/London", ""))
		}
		asker := users[2]
		ch := h.channel("askers", users)
		n := peers.DefaultNetwork(peers.KindCircles)
		n.Name, n.Channel, n.ChannelTZ, n.Anchor = "Askers", ch, "Europe/London", peers.Anchor(cday(2027, 6, 1), time.Monday)
		n = h.network(n, users[:4])
		svc := h.svcs[0]

		// A1: below the workspace's minimum group size (5), refused.
		var few *ErrTooFewToAsk
		if _, err := svc.Ask(h.ctx, circleTeam, n.ID, "anyone?"); !errors.As(err, &few) || few.Have != 4 || few.Need != 5 {
			t.Fatalf("ask in a network of 4: err = %v, want ErrTooFewToAsk 4/5", err)
		}
		if _, err := h.store.AddChosen(h.ctx, circleTeam, n.ID, users[4:], "UOWNER", true); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Ask(h.ctx, circleTeam, n.ID, "  "); !errors.Is(err, peers.ErrInvalid) {
			t.Errorf("an empty ask: err = %v, want ErrInvalid", err)
		}

		// A2: asking writes nothing that links to the asker.
		before := snapshot(t, h)
		code, err := svc.Ask(h.ctx, circleTeam, n.ID, hostileText)
		if err != nil {
			t.Fatalf("ask: %v", err)
		}
		after := snapshot(t, h)
		for tb, rows := range after {
			for r := range rows {
				if before[tb][r] {
					continue
				}
				if tb != "peer_asks" && tb != "occurrences" && tb != "sqlite_sequence" {
					t.Errorf("asking wrote a row in %s: %s", tb, r)
				}
				if strings.Contains(r, asker) || strings.Contains(r, code) {
					t.Errorf("a new row in %s links to the asker or holds the code: %s", tb, r)
				}
			}
		}
		planned, err := models.QueryRows[struct{ NominalAt time.Time }](h.ctx, h.dbs[0],
			"SELECT nominal_at FROM occurrences WHERE cadence_id LIKE ?", "%#ask:%")
		if err != nil || len(planned) != 1 {
			t.Fatalf("ask one-offs = %v, %v; want 1", planned, err)
		}
		if at := planned[0].NominalAt; at.Truncate(AskGrid) != at || at.Before(start.Add(AskMinDelay)) || at.After(start.Add(AskMaxDelay)) {
			t.Errorf("the ask is planned at %s; want a 5-minute mark 2 to 15 minutes after %s", at, start)
		}
		h.runTo(start.Add(AskMinDelay), time.UTC)
		if got := countWith(h.channelMsgs(ch), "Someone in this network asks"); got != 0 {
			t.Fatalf("ask posted within %s of asking", AskMinDelay)
		}
		h.runTo(start.Add(AskMaxDelay+time.Minute), time.UTC)
		if got := countWith(h.channelMsgs(ch), "Someone in this network asks"); got != 1 {
			t.Fatalf("ask posts = %d, want 1", got)
		}
		noLiveText(t, h.channelMsgs(ch), liveBits...)

		// A3: deleting after the post deletes it.
		if err := svc.DeleteAsk(h.ctx, circleTeam, strings.ToLower(code)); err != nil {
			t.Fatalf("delete ask: %v", err)
		}
		if got := countWith(h.channelMsgs(ch), "Someone in this network asks"); got != 0 {
			t.Errorf("ask posts after deletion = %d, want 0", got)
		}
		if err := svc.DeleteAsk(h.ctx, circleTeam, code); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("deleting twice: err = %v, want ErrNotFound", err)
		}

		// A4: deleting before the post: nothing is posted.
		code2, err := svc.Ask(h.ctx, circleTeam, n.ID, "second question")
		if err != nil {
			t.Fatalf("ask: %v", err)
		}
		if err := svc.DeleteAsk(h.ctx, circleTeam, code2); err != nil {
			t.Fatalf("delete ask: %v", err)
		}
		h.runTo(start.Add(45*time.Minute), time.UTC)
		if got := countWith(h.channelMsgs(ch), "second question"); got != 0 {
			t.Errorf("a deleted ask was posted (%d)", got)
		}
	})
}

// An ask's post is planned on a 5-minute mark from 2 to 15 minutes after
// it was asked, whatever the second it was asked at, and every such mark
// can be picked.
func TestAskPostAt(t *testing.T) {
	base := time.Date(2027, 1, 4, 10, 0, 0, 0, time.UTC)
	for s := 0; s < 3600; s += 7 {
		now := base.Add(time.Duration(s)*time.Second + time.Duration(s%1000)*time.Millisecond)
		seen := map[time.Time]bool{}
		for r := uint64(0); r < 12; r++ {
			at := AskPostAt(now, r)
			if at.Truncate(AskGrid) != at || at.Before(now.Add(AskMinDelay)) || at.After(now.Add(AskMaxDelay)) {
				t.Fatalf("asked at %s: posted at %s", now.Format(time.StampMilli), at.Format(time.StampMilli))
			}
			seen[at] = true
		}
		for m := now.Add(AskMinDelay).Truncate(AskGrid); !m.After(now.Add(AskMaxDelay)); m = m.Add(AskGrid) {
			if !m.Before(now.Add(AskMinDelay)) && !seen[m] {
				t.Fatalf("asked at %s: the mark %s is never picked", now.Format(time.StampMilli), m.Format(time.Kitchen))
			}
		}
	}
}
