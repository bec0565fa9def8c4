package peers

import (
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models/peers"
)

func TestTimeLineShowsEachMembersTime(t *testing.T) {
	london, kolkata, tokyo := mustZone(t, "Europe/London"), mustZone(t, "Asia/Kolkata"), mustZone(t, "Asia/Tokyo")
	at := time.Date(2027, 1, 12, 15, 0, 0, 0, time.UTC)
	got := TimeLine(at, []IntroMember{{User: "U1", Name: "Ada", Loc: london}, {User: "U2", Name: "Ravi", Loc: kolkata}})
	if want := "Tue 12 Jan 15:00 (Ada, London) · 20:30 (Ravi, Kolkata)"; got != want {
		t.Errorf("TimeLine = %q, want %q", got, want)
	}
	got = TimeLine(at, []IntroMember{{User: "U1", Name: "Ada", Loc: london}, {User: "U3", Name: "<!here>", Loc: tokyo}})
	if want := "Tue 12 Jan 15:00 (Ada, London) · Wed 13 Jan 00:00 (&lt;!here&gt;, Tokyo)"; got != want {
		t.Errorf("TimeLine = %q, want %q (the day again when it changes, the name escaped)", got, want)
	}
}

func TestCountsText(t *testing.T) {
	c := Counts{Intros: 12, Met: 8, NotYet: 2, Couldnt: 1, NoAnswer: 1}
	if got, want := CountsText(c, 5), "This round: 12 intros — 8 met, 2 not yet, 1 couldn't, 1 no answer"; got != want {
		t.Errorf("CountsText = %q, want %q", got, want)
	}
	if got, want := CountsText(Counts{Intros: 4, Met: 4}, 5), "This round: 4 intros"; got != want {
		t.Errorf("below the minimum group size: %q, want %q", got, want)
	}
	if got, want := CountsText(Counts{Intros: 1, Met: 1}, 0), "This round: 1 intro — 1 met, 0 not yet, 0 couldn't, 0 no answer"; got != want {
		t.Errorf("CountsText = %q, want %q", got, want)
	}
}

func TestAskingTimes(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2027, 1, d, h, 0, 0, 0, time.UTC) }
	shared := []peers.Interval{{Start: day(4, 9), End: day(4, 12)}, {Start: day(6, 9), End: day(6, 12)}, {Start: day(8, 9), End: day(8, 12)}}
	if got := IntroAt(shared, day(4, 0)); !got.Equal(day(4, 9)) {
		t.Errorf("IntroAt = %s, want the first shared start", got)
	}
	if got := IntroAt(shared, day(4, 10).Add(10*time.Minute)); !got.Equal(day(4, 10).Add(30 * time.Minute)) {
		t.Errorf("IntroAt after the start = %s, want the next half hour", got)
	}
	if got := FollowUpAt(shared, day(4, 9)); !got.Equal(day(8, 9)) {
		t.Errorf("FollowUpAt = %s, want the last span's start", got)
	}
	cases := []struct {
		now  time.Time
		want time.Time
		ok   bool
	}{
		{day(4, 10), day(6, 9), true},                          // a span a day or more later
		{day(7, 10), day(8, 9), true},                          // not a day later: the last span
		{day(8, 10), day(8, 11), true},                         // inside the last span: an hour later
		{day(8, 11).Add(30 * time.Minute), time.Time{}, false}, // less than an hour left: never
	}
	for _, c := range cases {
		got, ok := SecondAskAt(shared, c.now)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("SecondAskAt(%s) = %s, %v; want %s, %v", c.now, got, ok, c.want, c.ok)
		}
	}
}

func TestStarterIsPickedByGroup(t *testing.T) {
	if Starter(1) == Starter(2) || Starter(3) != Starter(3+int64(len(Starters))) || Starter(-1) == "" {
		t.Error("starters are not picked by group id")
	}
}
