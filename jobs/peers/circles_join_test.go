package peers

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/peers"
)

// Circles take people mid-term: someone away on the term's first session
// (but not after) is placed at the next session, someone who joins the
// network mid-term at the session after, each in a circle sharing their
// hours with room, welcomed in that session's group DM; someone no circle
// fits is told why once a term, not at each session. Nobody is ever in two
// circles of a term, and no circle outgrows the network's maximum, with
// three replicas stepping.
func TestCirclesPlaceJoinersMidTerm(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	h := newCirclesHarness(t, models.DialectSQLite, 3, time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC))
	var core []string
	for _, name := range []string{"Ann", "Bo", "Cy", "Di"} {
		core = append(core, h.person(name, "Europe/London", "mon-fri 09:00-17:00"))
	}
	eve := h.person("Eve", "Europe/London", "mon-fri 09:00-17:00")
	fay := h.person("Fay", "Europe/Berlin", "mon-fri 09:00-17:00")
	gil := h.person("Gil", "Europe/London", "mon-fri 09:00-17:00")
	night := h.person("Nox", "Europe/London", "mon-fri 02:00-03:00")
	h.away(eve, cday(2027, 1, 4), cday(2027, 1, 4))
	n := peers.DefaultNetwork(peers.KindCircles)
	n.Name, n.Channel, n.ChannelTZ, n.Anchor = "Leads", h.channel("leads", append(core, eve, fay, gil, night)), "Europe/London", cday(2027, 1, 4)
	n.Cadence, n.MinSize, n.MaxSize = peers.CadenceWeekly, 3, 6
	n = h.network(n, append(slices.Clone(core), eve))

	h.runTo(time.Date(2027, 1, 4, 18, 0, 0, 0, time.UTC), london)
	term, _, _ := h.store.LatestRound(h.ctx, circleTeam, n.ID, peers.RoundTerm)
	circle := func() peers.RoundGroup {
		gs, err := h.store.Groups(h.ctx, circleTeam, term.ID)
		if err != nil || len(gs) != 1 {
			t.Fatalf("circles = %d, %v; want 1", len(gs), err)
		}
		return gs[0]
	}
	if c := circle(); c.Has(eve) || len(c.Members) != 4 {
		t.Fatalf("the first circle is %v; want the four there on the first session", c.Users())
	}
	if got := len(h.dms(eve)); got != 0 {
		t.Errorf("Eve, away on the first session, got %d DMs", got)
	}
	h.runTo(time.Date(2027, 1, 11, 18, 0, 0, 0, time.UTC), london)
	if c := circle(); !c.Has(eve) {
		t.Fatalf("Eve, back for the second session, is not in the circle: %v", c.Users())
	}
	c := circle()
	if got := countWith(h.group(c.Users()...), "joins the circle"); got != 1 {
		t.Errorf("the second session's group DM welcomed a joiner %d times, want once", got)
	}
	if _, err := h.store.AddChosen(h.ctx, circleTeam, n.ID, []string{fay, gil, night}, "UOWNER", true); err != nil {
		t.Fatal(err)
	}
	h.runTo(time.Date(2027, 2, 1, 18, 0, 0, 0, time.UTC), london)
	c = circle()
	if !c.Has(fay) || c.Has(gil) || c.Has(night) {
		t.Errorf("after mid-term joins the circle is %v; want Fay in, Gil (no room left) and Nox (no shared hours) out", c.Users())
	}
	if len(c.Members) > 6 {
		t.Errorf("the circle grew to %d, past its maximum 6", len(c.Members))
	}
	for u, why := range map[string]string{gil: "had room", night: "share your working hours"} {
		var told []string
		for _, m := range h.dms(u) {
			if strings.Contains(m.text, "No circle for you") {
				told = append(told, m.text)
			}
		}
		if len(told) != 1 || !strings.Contains(told[0], why) {
			t.Errorf("%s was told %q; want once a term, saying %q", u, told, why)
		}
	}
	ss, err := h.store.Sessions(h.ctx, circleTeam, c.ID)
	if err != nil || len(ss) != 5 {
		t.Fatalf("sessions = %d, %v; want 5", len(ss), err)
	}
	if last := ss[len(ss)-1]; !slices.Contains(last.Present, fay) || !slices.Contains(last.Present, eve) {
		t.Errorf("the last session's present %v leave out joiners", last.Present)
	}
}
