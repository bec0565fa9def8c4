package peers_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	peerhandlers "github.com/trellis-bot/trellis/handlers/peers"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/peers"
)

// contains fails the test unless got holds every one of want.
func contains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %s\nwant it to say %q", what, got, w)
		}
	}
}

// The form makes a channel network of the channel's members (Trellis
// and the admin, who is not in the channel, left out), anchored on the
// first Monday on or after today; a chosen network of the people picked.
// Each is stored before the ack and the runtime told after.
func TestFormCreates(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect)
			n := e.create(e.owner, e.channel, goodForm("  Intros  "))
			if n.Kind != peers.KindIntros || n.Channel != e.channel || n.Owner != e.owner || n.ChannelTZ != "Europe/London" ||
				n.Cadence != peers.CadenceEvery2Weeks || n.GroupSize != 2 || n.Anchor != (calendar.Date{Year: 2027, Month: 2, Day: 15}) {
				t.Errorf("stored %+v", n)
			}
			in, _ := e.people(n.ID)
			want := []string{e.owner, e.kai, e.lena, e.omar, e.ravi, e.sven}
			slices.Sort(want)
			if !slices.Equal(in, want) {
				t.Errorf("people = %v, want the channel's %v", in, want)
			}
			// Once as the form is saved, once more when the members Trellis
			// did not know were found to be people, after the ack.
			if got := slices.Compact(e.rt.take()); !slices.Equal(got, []string{"changed " + itoa(n.ID)}) {
				t.Errorf("runtime calls = %v", got)
			}

			v := goodForm("Circle")
			v.set(peerhandlers.BlockKind, choice("circles")).set(peerhandlers.BlockMembership, choice("chosen")).
				set(peerhandlers.BlockPeople, slack.BlockAction{SelectedUsers: []string{e.kai, e.lena, e.admin}}).
				set(peerhandlers.BlockTerm, text("4")).set(peerhandlers.BlockWeekday, choice("3"))
			c := e.create(e.owner, e.channel, v)
			if c.Kind != peers.KindCircles || c.TermMonths != 4 || c.MinSize != peers.DefaultCircleMin || c.Anchor != (calendar.Date{Year: 2027, Month: 2, Day: 10}) {
				t.Errorf("circle stored %+v", c)
			}
			in, _ = e.people(c.ID)
			want = []string{e.admin, e.kai, e.lena}
			slices.Sort(want)
			if !slices.Equal(in, want) {
				t.Errorf("chosen people = %v, want %v", in, want)
			}
		})
	}
}

// Every bad form is answered on its field and stores nothing: a missing
// or taken name, a zone that is none, a term that is no number or too
// long, chosen people without any, a form naming a channel the
// submitter is not in, or one Trellis is not in, an unreadable form.
func TestFormRefusals(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	e.create(e.owner, e.channel, goodForm("Intros"))
	noBot, err := e.tenv.Slack.Control.CreateChannel(e.ctx, slacksimChannel("quiet", e.owner))
	if err != nil {
		t.Fatal(err)
	}
	before := e.state()
	for _, tc := range []struct {
		name    string
		user    string
		meta    string
		change  func(formValues)
		block   string
		message string
	}{
		{"no name", e.owner, "new:" + e.channel, func(v formValues) { v.set(peerhandlers.BlockName, text("  ")) }, peerhandlers.BlockName, "Give the network a name"},
		{"taken name", e.owner, "new:" + e.channel, func(v formValues) { v.set(peerhandlers.BlockName, text("INTROS")) }, peerhandlers.BlockName, "already a network called"},
		{"bad zone", e.owner, "new:" + e.channel, func(v formValues) { v.set(peerhandlers.BlockTZ, text("Mars/Olympus")) }, peerhandlers.BlockTZ, "not a time zone"},
		{"no zone", e.owner, "new:" + e.channel, func(v formValues) { v.set(peerhandlers.BlockTZ, text("")) }, peerhandlers.BlockTZ, "time zone"},
		{"bad term", e.owner, "new:" + e.channel, func(v formValues) {
			v.set(peerhandlers.BlockKind, choice("learning")).set(peerhandlers.BlockTerm, text("six"))
		}, peerhandlers.BlockTerm, "number of months"},
		{"long term", e.owner, "new:" + e.channel, func(v formValues) {
			v.set(peerhandlers.BlockKind, choice("circles")).set(peerhandlers.BlockTerm, text("40"))
		}, peerhandlers.BlockTerm, "1 to 12 months"},
		{"chosen, nobody", e.owner, "new:" + e.channel, func(v formValues) { v.set(peerhandlers.BlockMembership, choice("chosen")) }, peerhandlers.BlockPeople, "Pick the people"},
		{"forged kind", e.owner, "new:" + e.channel, func(v formValues) { v.set(peerhandlers.BlockKind, choice("everyone")) }, peerhandlers.BlockKind, "Pick what"},
		{"weekend", e.owner, "new:" + e.channel, func(v formValues) { v.set(peerhandlers.BlockWeekday, choice("6")) }, peerhandlers.BlockWeekday, "Monday to Friday"},
		{"field without name", e.owner, "new:" + e.channel, func(v formValues) { v.set(peerhandlers.BlockTeams, choice("field")) }, peerhandlers.BlockTeamField, "profile field"},
		{"channels without any", e.owner, "new:" + e.channel, func(v formValues) { v.set(peerhandlers.BlockTeams, choice("channels")) }, peerhandlers.BlockTeamChannels, "teams' channels"},
		{"not in the channel", e.admin, "new:" + e.channel, func(formValues) {}, peerhandlers.BlockName, "aren't in"},
		{"Trellis not in it", e.owner, "new:" + noBot.ID, func(formValues) {}, peerhandlers.BlockMembership, ""},
		{"picks Trellis", e.owner, "new:" + e.channel, func(v formValues) {
			v.set(peerhandlers.BlockMembership, choice("chosen")).set(peerhandlers.BlockPeople, slack.BlockAction{SelectedUsers: []string{e.tenv.Slack.BotUserID}})
		}, peerhandlers.BlockPeople, "no network myself"},
		{"unreadable", e.owner, "new:#general", func(formValues) {}, peerhandlers.BlockName, "can't be read"},
		{"edit of nothing", e.owner, "edit:999", func(formValues) {}, peerhandlers.BlockName, "deleted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := goodForm("Second")
			tc.change(v)
			errs := e.submit(tc.user, tc.meta, v)
			if errs[tc.block] == "" || !strings.Contains(errs[tc.block], tc.message) {
				t.Errorf("errors = %v, want one on %s saying %q", errs, tc.block, tc.message)
			}
			if after := e.state(); after != before {
				t.Errorf("a refused form changed the tables:\n%s\nwant\n%s", after, before)
			}
		})
	}
	if got := slices.Compact(e.rt.take()); len(got) != 1 {
		t.Errorf("runtime calls = %v, want the first network's only", got)
	}
}

// `new` in a DM is refused, kindly, storing nothing.
func TestNewInDM(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	before := e.state()
	contains(t, "new in a DM", e.do(e.owner, "", "network new"), "run `/trellis network new` in the channel the network belongs to")
	if e.state() != before {
		t.Error("new in a DM stored something")
	}
}

// Edit, pause, resume, delete, add and remove are the owner's or a
// workspace admin's: anyone else is refused kindly, nothing changes and
// the runtime hears nothing; the owner and the admin succeed.
func TestManagersOnly(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect)
			n := e.create(e.owner, e.channel, goodForm("Intros"))
			v := goodForm("Chosen")
			v.set(peerhandlers.BlockMembership, choice("chosen")).set(peerhandlers.BlockPeople, slack.BlockAction{SelectedUsers: []string{e.kai}})
			c := e.create(e.owner, e.channel, v)
			e.rt.take()
			id, cid := itoa(n.ID), itoa(c.ID)
			before := e.state()
			for _, cmd := range []string{"pause " + id, "delete " + id + " confirm", "delete " + id, "add " + cid + " <@" + e.lena + ">",
				"remove " + cid + " <@" + e.kai + ">", "edit " + id} {
				contains(t, "kai: "+cmd, e.do(e.kai, e.channel, "network "+cmd), "or a workspace admin")
			}
			if e.state() != before {
				t.Error("a refused change changed the tables")
			}
			if got := e.rt.take(); len(got) != 0 {
				t.Errorf("runtime calls after refusals = %v", got)
			}
			// The edit form rejects a forged submission by someone else.
			if errs := e.submit(e.kai, "edit:"+id, goodForm("Mine now")); !strings.Contains(errs[peerhandlers.BlockName], "owner or a workspace admin") {
				t.Errorf("forged edit: %v", errs)
			}
			if e.state() != before {
				t.Error("a forged edit changed the tables")
			}

			contains(t, "owner pauses", e.do(e.owner, e.channel, "network pause "+id), "is paused")
			if got, _ := e.store.Network(e.ctx, team, n.ID); !got.Paused {
				t.Error("not paused")
			}
			contains(t, "admin resumes", e.do(e.admin, "", "network resume Intros"), "runs again")
			if got, _ := e.store.Network(e.ctx, team, n.ID); got.Paused {
				t.Error("not resumed")
			}
			contains(t, "admin adds", e.do(e.admin, "", "network add Chosen <@"+e.lena+"> <@"+e.omar+"|omar>"), "Added 2 people")
			contains(t, "owner removes", e.do(e.owner, e.channel, "network remove "+cid+" <@"+e.omar+">"), "Removed 1 person")
			in, _ := e.people(c.ID)
			if want := sorted(e.kai, e.lena); !slices.Equal(in, want) {
				t.Errorf("chosen people = %v, want %v", in, want)
			}
			if errs := e.submit(e.admin, "edit:"+id, goodForm("Intros renamed").set(peerhandlers.BlockCadence, choice("weekly"))); len(errs) > 0 {
				t.Errorf("admin edit: %v", errs)
			}
			if got, _ := e.store.Network(e.ctx, team, n.ID); got.Name != "Intros renamed" || got.Cadence != peers.CadenceWeekly || got.Owner != e.owner {
				t.Errorf("edited = %+v", got)
			}
			if got := e.rt.take(); len(got) != 5 {
				t.Errorf("runtime calls = %v, want one per change", got)
			}
			contains(t, "delete asks first", e.do(e.owner, e.channel, "network delete "+id), "confirm", "6 people")
			if _, ok := e.network("Intros renamed"); !ok {
				t.Error("delete without confirm deleted")
			}
			contains(t, "delete", e.do(e.admin, "", "network delete "+id+" confirm"), "is deleted")
			if _, ok := e.network("Intros renamed"); ok {
				t.Error("not deleted")
			}
			if got := e.rt.take(); !slices.Equal(got, []string{"deleted " + id}) {
				t.Errorf("runtime calls = %v", got)
			}
		})
	}
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}

// A person pauses, resumes, leaves and rejoins by themselves; a date in
// the past or unreadable is refused, storing nothing.
func TestOwnPart(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	n := e.create(e.owner, e.channel, goodForm("Intros"))
	e.rt.take()
	part := func() peers.Participant {
		p, err := e.store.Participant(e.ctx, team, n.ID, e.kai)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	before := e.state()
	for cmd, want := range map[string]string{
		"pause me until 2027-02-10":      "isn't in the future",
		"pause me until 2026-01-01":      "isn't in the future",
		"pause me until tomorrow":        "a date like",
		"pause Nowhere until 2027-03-01": "couldn't find a network",
		"pause":                          "yourself, or the whole network",
		"resume":                         "yourself, or the whole network",
		"frobnicate":                     "I don't know",
	} {
		contains(t, cmd, e.do(e.kai, e.channel, "network "+cmd), want)
	}
	contains(t, "admin pauses themselves", e.do(e.admin, "", "network pause me Intros"), "You aren't in")
	if e.state() != before {
		t.Error("a refused command changed the tables")
	}
	contains(t, "pause until", e.do(e.kai, e.channel, "network pause Intros until 2027-03-01"), "through Mon 1 Mar 2027", "don't have to say")
	if p := part(); p.PausedUntil != (calendar.Date{Year: 2027, Month: 3, Day: 1}) || p.Paused {
		t.Errorf("paused = %+v", p)
	}
	contains(t, "pause me", e.do(e.kai, "", "network pause me"), "until you resume")
	if p := part(); !p.Paused {
		t.Errorf("paused = %+v", p)
	}
	contains(t, "resume me", e.do(e.kai, "", "network resume me"), "Welcome back")
	if p := part(); p.Paused || !p.PausedUntil.IsZero() {
		t.Errorf("resumed = %+v", p)
	}
	contains(t, "leave", e.do(e.kai, e.channel, "network leave"), "You left")
	contains(t, "leave again", e.do(e.kai, e.channel, "network leave"), "already")
	if !part().Left {
		t.Error("not left")
	}
	contains(t, "join", e.do(e.kai, "", "network join Intros"), "You're in")
	if part().Left {
		t.Error("not back")
	}
	contains(t, "admin joins a channel network", e.do(e.admin, "", "network join Intros"), "members of <#"+e.channel+">")
	if got := e.rt.take(); len(got) != 5 {
		t.Errorf("runtime calls = %v, want one per change", got)
	}
	if net, _ := e.store.Network(e.ctx, team, n.ID); net.Paused {
		t.Error("a person's own pause paused the network")
	}
}

// Without a NETWORK: the channel's only network, else the person's only
// one; otherwise "which network?" listing what they can see.
func TestPickNetwork(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	e.create(e.owner, e.channel, goodForm("Intros"))
	contains(t, "one in the channel", e.do(e.kai, e.channel, "network leave"), "You left *Intros*")
	contains(t, "the person's only", e.do(e.kai, "", "network join"), "You're in *Intros*")
	e.create(e.owner, e.channel, goodForm("Second"))
	contains(t, "two", e.do(e.kai, e.channel, "network leave"), "Which network?", "Intros", "Second")
	contains(t, "case", e.do(e.kai, "", "network leave sEcOnD"), "You left *Second*")
	contains(t, "none", e.do(e.admin, "", "network leave"), "aren't in any network")
}

// The list: in a channel its networks, in a DM the person's, each with
// its kind, cadence, next round in its zone, its number of people and
// the person's own state. The number counts the paused too, so a pause
// changes nothing anyone else sees; a leave does.
func TestList(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	n := e.create(e.owner, e.channel, goodForm("Intros"))
	others := e.do(e.lena, e.channel, "network list")
	contains(t, "before a pause", others, "· 6 people")
	e.do(e.kai, "", "network pause me until 2027-03-01")
	e.do(e.omar, "", "network pause me")
	if after := e.do(e.lena, e.channel, "network list"); after != others {
		t.Errorf("a pause changed what others see:\n%s\nwas\n%s", after, others)
	}
	got := e.do(e.kai, e.channel, "network list")
	contains(t, "channel list", got, "Networks of this channel", "*Intros* · "+itoa(n.ID)+" · intros", "Every 2 weeks on Mondays",
		"next round Mon 15 Feb (Europe/London)", "· 6 people", "You: paused through Mon 1 Mar 2027")
	e.do(e.ravi, "", "network leave Intros")
	contains(t, "after a leave", e.do(e.lena, e.channel, "network list"), "· 5 people")
	contains(t, "DM list", e.do(e.lena, "", "network"), "Your networks", "You: taking part")
	contains(t, "nobody's", e.do(e.admin, "", "network list"), "aren't in any network")
	contains(t, "empty channel", e.do(e.admin, e.other, "network list"), "no network yet")
}

// NextRound follows the calendar of rounds: the anchor before the first
// round, a round's first day on it, else the next round's.
func TestNextRound(t *testing.T) {
	n := peers.Network{Cadence: peers.CadenceEvery2Weeks, Anchor: calendar.Date{Year: 2027, Month: 2, Day: 15}}
	for today, want := range map[calendar.Date]calendar.Date{
		{Year: 2027, Month: 2, Day: 10}: {Year: 2027, Month: 2, Day: 15},
		{Year: 2027, Month: 2, Day: 15}: {Year: 2027, Month: 2, Day: 15},
		{Year: 2027, Month: 2, Day: 16}: {Year: 2027, Month: 3, Day: 1},
		{Year: 2027, Month: 3, Day: 1}:  {Year: 2027, Month: 3, Day: 1},
	} {
		if got := peerhandlers.NextRound(n, today); got != want {
			t.Errorf("NextRound(%s) = %s, want %s", today, got, want)
		}
	}
}

// Skills in a learning network: stored canonical, shown to their owner;
// refused in another kind or unreadable, storing nothing.
func TestSkills(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	e.create(e.owner, e.channel, goodForm("Intros"))
	e.create(e.owner, e.channel, goodForm("Learn").set(peerhandlers.BlockKind, choice("learning")))
	before := e.state()
	contains(t, "intros", e.do(e.kai, "", "network skills Intros teach: sql"), "skills are for learning pairs")
	contains(t, "bad", e.do(e.kai, "", "network skills Learn teach: sql 9"), "from 1 to 5", "Nothing was changed")
	contains(t, "bad head", e.do(e.kai, "", "network skills Learn teach: sql; cook: soup"), "I don't know \"cook\"")
	contains(t, "outsider", e.do(e.admin, "", "network skills Learn teach: sql"), "You aren't in")
	if e.state() != before {
		t.Error("a refused skills command changed the tables")
	}
	contains(t, "set", e.do(e.kai, "", "network skills Learn  Teach: SQL 4,  Hiring; learn: OKRs"), "teach: sql (4), hiring; learn: okrs")
	contains(t, "show", e.do(e.kai, "", "network skills Learn show"), "teach: sql (4), hiring; learn: okrs")
	p, _ := e.store.Participant(e.ctx, team, mustNetwork(e, "Learn").ID, e.kai)
	if p.Skills != "teach: sql (4), hiring; learn: okrs" {
		t.Errorf("stored skills = %q", p.Skills)
	}
}

// Capacity in a learning network: each person sets, shows and resets
// their own only; bad numbers, another kind of network, an outsider or
// someone else named store nothing and tell the runtime nothing.
func TestCapacity(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	e.create(e.owner, e.channel, goodForm("Intros"))
	learn := e.create(e.owner, e.channel, goodForm("Learn").set(peerhandlers.BlockKind, choice("learning")))
	capacityOf := func(user string) int {
		t.Helper()
		p, err := e.store.Participant(e.ctx, team, learn.ID, user)
		if err != nil {
			t.Fatal(err)
		}
		return p.Capacity
	}
	e.rt.take()
	before := e.state()
	for _, c := range []struct{ user, cmd, want string }{
		{e.kai, "network capacity Intros 1", "capacity is for learning pairs"},
		{e.kai, "network capacity Learn 9", "from 1 to 5"},
		{e.kai, "network capacity Learn 0", "from 1 to 5"},
		{e.kai, "network capacity Learn -1", "from 1 to 5"},
		{e.kai, "network capacity Learn 1.5", "from 1 to 5"},
		{e.kai, "network capacity Learn 2x", "`2x` isn't one"},
		{e.kai, "network capacity Nope 1", "I couldn't find a network called `Nope`"},
		{e.kai, "network capacity Learn <@" + e.lena + "> 1", "I couldn't find a network"},
		{e.kai, "network capacity 1", "Which network?"},
		{e.admin, "network capacity Learn 1", "You aren't in"},
		{e.admin, "network capacity Learn", "You aren't in"},
	} {
		contains(t, c.cmd, e.do(c.user, "", c.cmd), c.want)
	}
	if e.state() != before {
		t.Error("a refused capacity command changed the tables")
	}
	if calls := e.rt.take(); len(calls) > 0 {
		t.Errorf("refused commands told the runtime %v", calls)
	}

	contains(t, "show default", e.do(e.kai, "", "network capacity Learn"), "up to 2 learners at a time in *Learn*: the network's number")
	contains(t, "set", e.do(e.kai, "", "network capacity "+itoa(learn.ID)+" 1"), "Done: you take up to 1 learner at a time in *Learn*")
	if got := capacityOf(e.kai); got != 1 {
		t.Errorf("Kai's stored capacity = %d, want 1", got)
	}
	if got := capacityOf(e.lena); got != 0 {
		t.Errorf("Lena's stored capacity = %d after Kai's command, want 0 (the network's)", got)
	}
	if got := e.rt.take(); !slices.Equal(got, []string{"changed " + itoa(learn.ID)}) {
		t.Errorf("runtime calls = %v, want the network changed", got)
	}
	contains(t, "show own", e.do(e.kai, "", "network capacity Learn"), "up to 1 learner at a time in *Learn* (the network's number is 2)")
	contains(t, "Lena's own", e.do(e.lena, "", "network capacity Learn"), "up to 2 learners at a time in *Learn*: the network's number")
	contains(t, "back to the network's", e.do(e.kai, "", "network capacity Learn DEFAULT"), "the network's number in *Learn*, up to 2 learners")
	if got := capacityOf(e.kai); got != 0 {
		t.Errorf("Kai's stored capacity = %d after default, want 0", got)
	}
}

func mustNetwork(e *env, name string) peers.Network {
	n, ok := e.network(name)
	if !ok {
		e.t.Fatalf("no network %q", name)
	}
	return n
}

// Admin prompts: added, listed and deleted by an admin, each written to
// the audit log in the same transaction; bad input and anyone else are
// refused, storing nothing.
func TestAdminPrompts(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect)
			before := e.state()
			for cmd, want := range map[string]string{
				"prompt add feedback":                            "then `|`",
				"prompt add | text":                              "then `|`",
				"prompt add " + strings.Repeat("x", 41) + " | t": "40 characters",
				"prompt add f | " + strings.Repeat("y", 501):     "keep it to 500",
				"prompt delete x":                                "isn't one",
				"prompt delete 77":                               "There is no prompt 77",
				"prompt frob":                                    "I don't know",
			} {
				contains(t, cmd, e.do(e.admin, "", "admin network "+cmd), want)
			}
			contains(t, "not an admin", e.do(e.kai, "", "admin network prompt add f | t"), "admin")
			if e.state() != before {
				t.Error("a refused admin command changed the tables")
			}
			contains(t, "add", e.do(e.admin, "", "admin network prompt add feedback | What did you <!channel> *learn*?"), "Added prompt", "&lt;!channel&gt;")
			contains(t, "list", e.do(e.admin, "", "admin network prompts"), "feedback", "&lt;!channel&gt;")
			list, _ := e.store.Prompts(e.ctx, team)
			if len(list) != 1 {
				t.Fatalf("prompts = %v", list)
			}
			contains(t, "delete", e.do(e.admin, "", "admin network prompt delete "+itoa(list[0].ID)), "Deleted prompt")
			audit, err := newWorkspaces(e).Audit(e.ctx, team, 10)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, a := range audit {
				if a.ActorID == e.admin {
					actions = append(actions, a.Action)
				}
			}
			if !slices.Equal(actions, []string{peerhandlers.AuditPromptDelete, peerhandlers.AuditPromptAdd}) {
				t.Errorf("audit = %v", actions)
			}
		})
	}
}
