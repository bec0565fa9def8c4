package peers

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// hostileName and hostileText are typed text that must stay text.
const (
	hostileName = "<!here> Leads & <@U0BOSS>"
	hostileText = "try <!channel> and <http://evil.example|a link> with <@U0BOSS> & co"
)

// liveBits are what hostile text would carry live, unescaped.
var liveBits = []string{"<!here>", "<!channel>", "<http://evil.example", "<@U0BOSS>"}

func cday(y int, m time.Month, d int) calendar.Date { return calendar.Date{Year: y, Month: m, Day: d} }

// TestCircleTermAndSessions runs a circles network of five people in
// five zones for eight weekly sessions on three replicas stepping at
// once. It proves the circles' promises of docs/peers.md.
func TestCircleTermAndSessions(t *testing.T) {
	forCircleDialects(t, func(t *testing.T, dialect string) {
		london, _ := time.LoadLocation("Europe/London")
		start := time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC) // Sunday
		h := newCirclesHarness(t, dialect, 3, start)
		// Everyone works 14:00–16:00 UTC at least.
		ann := h.person("Ann", "Europe/London", "mon-fri 09:00-17:00")
		bo := h.person("Bo", "Europe/Berlin", "mon-fri 09:00-17:00")
		cy := h.person("Cy", "America/New_York", "mon-fri 09:00-17:00")
		di := h.person("Di", "Africa/Lagos", "mon-fri 09:00-17:00")
		ed := h.person("Ed", "Atlantic/Reykjavik", "mon-fri 09:00-17:00")
		all := []string{ann, bo, cy, di, ed}
		h.away(ed, cday(2027, 1, 18), cday(2027, 1, 18)) // the third session
		n := peers.DefaultNetwork(peers.KindCircles)
		n.Name, n.Channel, n.ChannelTZ, n.Anchor = hostileName, h.channel("leads", all), "Europe/London", cday(2027, 1, 4)
		n.Cadence, n.MinSize = peers.CadenceWeekly, 3
		n = h.network(n, all)

		// The first session is on Monday 4 January; commitments after it.
		h.runTo(time.Date(2027, 1, 5, 12, 0, 0, 0, time.UTC), london)
		term, ok, err := h.store.LatestRound(h.ctx, circleTeam, n.ID, peers.RoundTerm)
		if err != nil || !ok || term.Number != 1 {
			t.Fatalf("latest term = %+v, %v, %v; want term 1", term, ok, err)
		}
		circles, err := h.store.Groups(h.ctx, circleTeam, term.ID)
		if err != nil || len(circles) != 1 || len(circles[0].Members) != 5 {
			t.Fatalf("circles = %+v, %v; want one circle of five", circles, err)
		}
		circle := circles[0]
		ss, err := h.store.Sessions(h.ctx, circleTeam, circle.ID)
		if err != nil || len(ss) != 1 {
			t.Fatalf("sessions after the first Monday = %+v, %v", ss, err)
		}
		// C5: commitments.
		if _, err := h.svcs[1].SetCommitment(h.ctx, circleTeam, ss[0].ID, ann, hostileText, false); err != nil {
			t.Fatalf("Ann commits: %v", err)
		}
		if _, err := h.svcs[2].SetCommitment(h.ctx, circleTeam, ss[0].ID, bo, "Bo shares: "+hostileText, true); err != nil {
			t.Fatalf("Bo commits: %v", err)
		}
		// Sharing again, or editing, posts nothing more.
		if _, err := h.svcs[0].SetCommitment(h.ctx, circleTeam, ss[0].ID, bo, "Bo shares: "+hostileText, true); err != nil {
			t.Fatalf("Bo commits again: %v", err)
		}
		if _, err := h.svcs[0].SetCommitment(h.ctx, circleTeam, ss[0].ID, "UOUTSIDER", "sneaky", false); !errors.Is(err, peers.ErrNotAllowed) {
			t.Errorf("an outsider's commitment: err = %v, want ErrNotAllowed", err)
		}
		if _, err := h.svcs[0].SetCommitment(h.ctx, circleTeam, ss[0].ID, cy, strings.Repeat("x", peers.MaxCommitmentLen+1), false); !errors.Is(err, peers.ErrInvalid) {
			t.Errorf("a too long commitment: err = %v, want ErrInvalid", err)
		}

		h.runTo(time.Date(2027, 2, 28, 23, 0, 0, 0, time.UTC), london)

		// C1: the term was opened once, one welcome to the circle.
		if r, _, _ := h.store.LatestRound(h.ctx, circleTeam, n.ID, peers.RoundTerm); r.Number != 1 {
			t.Errorf("terms = %d, want 1", r.Number)
		}
		everyone := h.group(all...)
		if got := countWith(everyone, "Welcome to your circle"); got != 1 {
			t.Errorf("welcomes = %d, want 1", got)
		}
		// C2: eight sessions, one group DM each to those present.
		ss, err = h.store.Sessions(h.ctx, circleTeam, circle.ID)
		if err != nil || len(ss) != 8 {
			t.Fatalf("sessions = %d, %v; want 8", len(ss), err)
		}
		if got := countWith(everyone, "Circle session"); got != 7 {
			t.Errorf("session DMs to all five = %d, want 7", got)
		}
		withoutEd := h.group(ann, bo, cy, di)
		if got := countWith(withoutEd, "Circle session 3"); got != 1 {
			t.Errorf("session 3 DMs to the four present = %d, want 1", got)
		}
		if countWith(everyone, "Circle session 3") != 0 {
			t.Error("the group DM with Ed, who was away, got session 3")
		}
		// C3: the facilitator rotates and is never someone away.
		var facs, prompts []string
		for _, x := range ss {
			facs = append(facs, x.Facilitator)
			prompts = append(prompts, x.PromptID)
			if !slices.Contains(x.Present, x.Facilitator) {
				t.Errorf("session %d: facilitator %s is not present (%v)", x.Number, x.Facilitator, x.Present)
			}
		}
		if ss[2].Facilitator == ed || slices.Contains(ss[2].Present, ed) {
			t.Errorf("session 3: Ed is away but present %v / facilitates %s", ss[2].Present, ss[2].Facilitator)
		}
		first5 := slices.Clone(facs[:5])
		slices.Sort(first5)
		if len(slices.Compact(first5)) != 5 {
			t.Errorf("the first five facilitators %v are not five different people", facs[:5])
		}
		// C4: prompts never repeat.
		sorted := slices.Clone(prompts)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(prompts) || slices.Contains(prompts, "") {
			t.Errorf("prompts %v repeat or are missing", prompts)
		}
		// C5: Ann's commitment is hers alone: recalled in her own DM at
		// session 2, never in a group message.
		if got := countWith(h.dms(ann), "Last time you said you'd try"); got != 1 {
			t.Errorf("Ann's recalls = %d, want 1", got)
		}
		if got := countWith(h.dms(ann), "try &lt;!channel&gt;"); got != 1 {
			t.Errorf("Ann's recall does not quote her escaped commitment once (%d)", got)
		}
		for _, g := range [][]string{all, {ann, bo, cy, di}} {
			for _, m := range h.group(g...) {
				if strings.Contains(m.text, "evil.example") && !strings.Contains(m.text, "Bo shares") {
					t.Errorf("Ann's private commitment reached a group message: %q", m.text)
				}
			}
		}
		for _, u := range []string{bo, cy, di, ed} {
			if countWith(h.dms(u), "evil.example") > 0 && u != bo {
				t.Errorf("%s's DMs show someone else's commitment", u)
			}
		}
		// C6: Bo's shared commitment is posted once, under his name.
		if got := countWith(everyone, "Bo shares what they will try"); got != 1 {
			t.Errorf("shared commitment posts = %d, want 1", got)
		}
		// C7: everyone present gets asked what they will try, with the button.
		asks := 0
		for _, m := range h.dms(cy) {
			if strings.Contains(m.text, "What will you try") && slices.Contains(m.actions, ActionCommit) {
				asks++
			}
		}
		if asks < 7 {
			t.Errorf("Cy was asked what they will try %d times, want one per session (8, the last one may still wait)", asks)
		}
		// C8: hostile text is text everywhere.
		noLiveText(t, h.everything(), liveBits...)
	})
}
