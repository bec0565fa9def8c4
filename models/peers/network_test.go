package peers_test

import (
	"errors"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// network is a valid network of kind for the tests.
func network(kind peers.NetworkKind, name string) peers.Network {
	n := peers.DefaultNetwork(kind)
	n.Name, n.Channel, n.ChannelTZ, n.Owner = name, "CNET", "Europe/Paris", "UOWNER"
	n.Anchor = calendar.Date{Year: 2027, Month: time.January, Day: 4}
	return n
}

// The defaults of every kind are valid; each broken setting is refused on
// its own field, all at once, in words.
func TestNetworkValidate(t *testing.T) {
	for _, k := range peers.Kinds() {
		if err := network(k, "Managers").Validate(); err != nil {
			t.Errorf("default %s network: %v", k, err)
		}
	}
	bad := network(peers.KindIntros, "  ")
	bad.Channel, bad.ChannelTZ, bad.Membership, bad.Cadence = "general", "Mars/Olympus", "everyone", "daily"
	bad.Weekday, bad.Anchor, bad.GroupSize, bad.TeamSource, bad.Owner = time.Saturday, calendar.Date{}, 4, "teams:x", ""
	err := bad.Validate()
	var ve *peers.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, peers.ErrInvalid) {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	for _, f := range []string{peers.FieldName, peers.FieldChannel, peers.FieldChannelTZ, peers.FieldMembership, peers.FieldCadence,
		peers.FieldWeekday, peers.FieldAnchor, peers.FieldGroupSize, peers.FieldTeamSource, peers.FieldOwner} {
		if len(ve.On(f)) != 1 {
			t.Errorf("problems on %s = %v, want one", f, ve.On(f))
		}
	}
	long := network(peers.KindCircles, "")
	for range peers.MaxNameLen + 1 {
		long.Name += "é"
	}
	long.TermMonths, long.MinSize, long.MaxSize = 13, 6, 5
	if err := long.Validate(); !errors.As(err, &ve) || len(ve.On(peers.FieldName)) != 1 || len(ve.On(peers.FieldTermMonths)) != 1 || len(ve.On(peers.FieldSizes)) != 1 {
		t.Errorf("long name, 13 months, sizes 6..5: %v", err)
	}
	learn := network(peers.KindLearning, "Learn")
	learn.Capacity = 0
	if err := learn.Validate(); !errors.As(err, &ve) || len(ve.On(peers.FieldCapacity)) != 1 {
		t.Errorf("learning with capacity 0: %v", err)
	}
	// Settings another kind uses are not this kind's business.
	circles := network(peers.KindCircles, "Circles")
	circles.GroupSize, circles.TeamSource = 9, "nonsense"
	if err := circles.Validate(); err != nil {
		t.Errorf("circles with an intros setting: %v", err)
	}
	teams := network(peers.KindIntros, "Intros")
	teams.TeamSource = "channels:CTEAM1, CTEAM2"
	if err := teams.Validate(); err != nil || len(teams.TeamChannels()) != 2 {
		t.Errorf("team channels: %v, %v", err, teams.TeamChannels())
	}
	teams.TeamSource = "field:Team"
	if f, ok := teams.TeamField(); teams.Validate() != nil || !ok || f != "Team" {
		t.Errorf("team field = %q, %v", f, ok)
	}
}

func TestParseCadenceAndKind(t *testing.T) {
	for in, want := range map[string]peers.Cadence{
		"weekly": peers.CadenceWeekly, "Every 2 weeks": peers.CadenceEvery2Weeks, "biweekly": peers.CadenceEvery2Weeks,
		"fortnightly": peers.CadenceEvery2Weeks, " every  4 weeks ": peers.CadenceEvery4Weeks,
	} {
		if got, err := peers.ParseCadence(in); got != want || err != nil {
			t.Errorf("ParseCadence(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := peers.ParseCadence("daily"); !errors.Is(err, peers.ErrInvalid) {
		t.Errorf("ParseCadence(daily) = %v, want ErrInvalid", err)
	}
	for c, want := range map[peers.Cadence]int{peers.CadenceWeekly: 7, peers.CadenceEvery2Weeks: 14, peers.CadenceEvery4Weeks: 28, "x": 0} {
		if got := c.Period(); got != want {
			t.Errorf("%q.Period() = %d, want %d", c, got, want)
		}
	}
	if k, err := peers.ParseKind("Learning pairs"); k != peers.KindLearning || err != nil {
		t.Errorf("ParseKind = %q, %v", k, err)
	}
	if _, err := peers.ParseKind("book club"); !errors.Is(err, peers.ErrInvalid) {
		t.Errorf("ParseKind(book club) = %v", err)
	}
}

func TestPermissions(t *testing.T) {
	n := network(peers.KindIntros, "Intros")
	for _, tt := range []struct {
		actor string
		admin bool
		want  bool
	}{{"UOWNER", false, true}, {"UADMIN", true, true}, {"UOTHER", false, false}, {"", false, false}} {
		if got := peers.CanManage(n, tt.actor, tt.admin); got != tt.want {
			t.Errorf("CanManage(%q, admin %v) = %v, want %v", tt.actor, tt.admin, got, tt.want)
		}
	}
	if !peers.CanChangeOwn("U1", "U1") || peers.CanChangeOwn("U1", "U2") || peers.CanChangeOwn("", "") {
		t.Error("CanChangeOwn: only oneself")
	}
	if peers.CanManagePrompts(false) || !peers.CanManagePrompts(true) {
		t.Error("CanManagePrompts: admins only")
	}
}

func TestParticipantPaused(t *testing.T) {
	day := calendar.Date{Year: 2027, Month: time.March, Day: 10}
	p := peers.Participant{PausedUntil: day}
	if !p.PausedOn(day) || p.PausedOn(day.AddDays(1)) || !p.Active(day.AddDays(1)) {
		t.Error("paused through a day: paused on it, active after")
	}
	if (peers.Participant{Paused: true}).Active(day) || (peers.Participant{Left: true}).Active(day) {
		t.Error("paused or left people are not active")
	}
}
