package peers_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	peerhandlers "github.com/trellis-bot/trellis/handlers/peers"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// askCode is an ask's code as a reply shows it.
var askCode = regexp.MustCompile(`\*([A-Z2-7]{10})\*`)

// script is every /trellis network command, run by each of the people
// in turn, in a world of two networks. Replies hold no random codes:
// asks are made with one fixed code by the test that checks them.
func script(e *env) []string {
	var out []string
	cmds := []string{"network", "network list", "network help", "network why", "network why Intros", "network skills Learn",
		"network skills Learn teach: go; learn: sql", "network capacity Learn 1", "network capacity Learn", "network pause me Intros until 2027-03-01", "network resume me Intros",
		"network pause Intros", "network resume Intros", "network leave Learn", "network join Learn", "network delete Learn",
		"network add Chosen <@" + e.sven + ">", "network remove Chosen <@" + e.sven + ">", "network edit",
		"network ask delete AAAAAAAAAA", "network ask", "network frob", "network avoid <@" + e.owner + ">", "network unavoid <@" + e.owner + ">"}
	for _, user := range []string{e.kai, e.lena, e.omar, e.admin, e.owner} {
		for _, ch := range []string{"", e.channel} {
			for _, cmd := range cmds {
				out = append(out, e.names(user+" "+ch+" /trellis "+cmd+"\n"+e.do(user, ch, cmd)))
			}
		}
	}
	return out
}

// names replaces the ids of e's people and channels in s by names, so
// that two worlds' replies compare.
func (e *env) names(s string) string {
	return strings.NewReplacer(e.owner, "OWNER", e.admin, "ADMIN", e.kai, "KAI", e.lena, "LENA", e.omar, "OMAR", e.ravi, "RAVI", e.sven, "SVEN",
		e.channel, "CHANNEL", e.other, "OTHER", e.owner[1:], "owner", e.admin[1:], "admin", e.kai[1:], "kai", e.lena[1:], "lena",
		e.omar[1:], "omar", e.ravi[1:], "ravi", e.sven[1:], "sven").Replace(s)
}

// world is two networks and a chosen one, and kai's skills.
func world(e *env) {
	e.create(e.owner, e.channel, goodForm("Intros"))
	e.create(e.owner, e.channel, goodForm("Learn").set(peerhandlers.BlockKind, choice("learning")))
	e.create(e.owner, e.channel, goodForm("Chosen").set(peerhandlers.BlockMembership, choice("chosen")).
		set(peerhandlers.BlockPeople, slack.BlockAction{SelectedUsers: []string{e.kai, e.omar}}))
}

// The avoid list is its owner's alone: with Ravi's list naming Kai and
// Lena, every reply of every subcommand to everyone else (and Ravi's
// own replies but those to `avoid`) is exactly what it is without the
// list; Ravi's `avoid` shows it to him; nothing logged names whom he
// avoids.
func TestAvoidListIsPrivate(t *testing.T) {
	without := newEnv(t, modelstest.Dialects()[0])
	world(without)
	with := newEnv(t, modelstest.Dialects()[0])
	world(with)
	logStart := len(with.logs.String())
	got := with.do(with.ravi, "", "network avoid <@"+with.kai+"> <@"+with.lena+"|lena>")
	contains(t, "avoid", got, "<@"+with.kai+">", "<@"+with.lena+">", "Only you ever see this list")
	contains(t, "avoid list", with.do(with.ravi, "", "network avoid"), "<@"+with.kai+">, <@"+with.lena+">")
	contains(t, "avoid list", with.do(with.ravi, "", "network avoid list"), "<@"+with.kai+">")
	contains(t, "someone else's", with.do(with.kai, "", "network avoid"), "is empty")

	a, b := script(without), script(with)
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("a reply changed with Ravi's avoid list:\n%s\nwithout it:\n%s", b[i], a[i])
		}
	}
	for _, line := range strings.Split(with.logs.String()[logStart:], "\n") {
		if strings.Contains(line, with.ravi) && (strings.Contains(line, with.kai) || strings.Contains(line, with.lena)) {
			t.Errorf("a log line names Ravi with someone: %s", line)
		}
	}
	// Refusals store nothing: not a person, oneself, too many.
	before := with.state()
	contains(t, "no person", with.do(with.ravi, "", "network avoid kai"), "picked from Slack's suggestions")
	contains(t, "self", with.do(with.ravi, "", "network avoid <@"+with.ravi+">"), "never paired with yourself")
	contains(t, "unavoid nobody", with.do(with.ravi, "", "network unavoid"), "Who should come off")
	if with.state() != before {
		t.Error("a refused avoid changed the tables")
	}
	contains(t, "unavoid", with.do(with.ravi, "", "network unavoid <@"+with.kai+">"), "<@"+with.lena+">")
	if list, _ := with.store.AvoidList(with.ctx, team, with.ravi); len(list) != 1 || list[0] != with.lena {
		t.Errorf("list = %v", list)
	}
}

// An anonymous ask: refused below the workspace's minimum group size of
// active people (paused people don't count) and to someone not in the
// network, storing nothing and telling the runtime nothing; accepted
// otherwise, the code only in the asker's ephemeral reply, deleted with
// it; and nothing logged on the way names the asker.
func TestAsk(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect)
			n := e.create(e.owner, e.channel, goodForm("Intros"))
			e.rt.take()
			e.do(e.lena, "", "network pause me")
			e.do(e.omar, "", "network pause me until 2027-03-01")
			e.rt.take()
			before := e.state()
			below := e.do(e.kai, e.channel, "network ask How do you run 1:1s?")
			contains(t, "below the minimum", below, "needs at least 5 people", "Nothing was posted")
			// How many take part now (4) would tell, with the list's 6,
			// that two paused.
			if strings.Contains(below, "4") {
				t.Errorf("the refusal tells how many take part now: %s", below)
			}
			contains(t, "outsider", e.do(e.admin, "", "network ask Intros How?"), "Only the people of *Intros*")
			contains(t, "empty", e.do(e.kai, e.channel, "network ask Intros"), "What would you like to ask *Intros*?")
			contains(t, "long", e.do(e.kai, e.channel, "network ask "+strings.Repeat("why ", 300)), "keep it to 1000")
			contains(t, "bad code", e.do(e.kai, e.channel, "network ask delete nope nope"), "Which question?")
			contains(t, "unknown code", e.do(e.kai, e.channel, "network ask delete ZZZZZZZZZZ"), "No question has the code")
			if e.state() != before {
				t.Error("a refused ask changed the tables")
			}
			if got := e.rt.take(); len(got) != 0 {
				t.Errorf("runtime calls = %v", got)
			}
			e.do(e.lena, "", "network resume me")
			e.rt.take()

			logStart := len(e.logs.String())
			reply := e.do(e.kai, e.channel, "network ask Intros: How do you run your first 1:1?")
			contains(t, "ask", reply, "without your name", "/trellis network ask delete ")
			m := askCode.FindStringSubmatch(reply)
			if m == nil {
				t.Fatalf("no code in %s", reply)
			}
			if got := e.rt.take(); len(got) != 1 || got[0] != "ask "+itoa(n.ID) {
				t.Errorf("runtime calls = %v", got)
			}
			var asks []map[string]any
			if err := e.db.Conn(e.ctx).Raw("SELECT * FROM peer_asks").Scan(&asks).Error; err != nil || len(asks) != 1 || asks[0]["text"] != "How do you run your first 1:1?" {
				t.Errorf("asks = %v, %v", asks, err)
			}
			contains(t, "delete", e.do(e.kai, "", "network ask delete "+strings.ToLower(m[1])), "deleted")
			contains(t, "delete twice", e.do(e.kai, "", "network ask delete "+m[1]), "No question has the code")
			// Without a network named, the channel's one; the question whole.
			contains(t, "ask in channel", e.do(e.kai, e.channel, "network ask Intros? is it worth it"), "without your name")
			e.rt.failAsk = true
			contains(t, "runtime down", e.do(e.kai, e.channel, "network ask Intros Anyone?"), "couldn't post your question", "Nothing was posted")
			logs := e.logs.String()[logStart:]
			if !strings.Contains(logs, "anonymous ask failed") {
				t.Errorf("the failed ask was not logged (the capture sees nothing?):\n%s", logs)
			}
			if strings.Contains(logs, e.kai) || strings.Contains(logs, e.kai[1:]) {
				t.Errorf("the ask path logged the asker:\n%s", logs)
			}
		})
	}
}

// "why" gives the runtime's explanation to the person alone, its
// mentions kept (the runtime builds it from ids and its own words only;
// jobs/peers TestIntrosRoundOnceAcrossReplicas holds that nothing typed
// reaches it).
func TestWhy(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	n := e.create(e.owner, e.channel, goodForm("Intros"))
	e.rt.take()
	got := e.do(e.kai, e.channel, "network why")
	contains(t, "why", got, "You and <@U0KAI> haven't been introduced before.", "Only you see this")
	if calls := e.rt.take(); len(calls) != 1 || calls[0] != "explain "+itoa(n.ID)+" "+e.kai {
		t.Errorf("runtime calls = %v", calls)
	}
	contains(t, "outsider", e.do(e.admin, "", "network why Intros"), "You aren't in")
}

// An ask's first words name its network only when they plainly do: a
// network's name (any case, several words) or #ID, of a network the
// person can choose, with a question after, when they have more than one
// to choose from (or end the name with ":"). A question beginning with a
// number goes whole to the network it would go to anyway.
func TestAskNamesANetworkOnlyPlainly(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	intros := e.create(e.owner, e.channel, goodForm("Intros"))
	if err := newWorkspaces(e).SetMinGroupSize(e.ctx, team, 3, e.admin); err != nil {
		t.Fatal(err)
	}
	ch, err := e.tenv.Slack.Control.CreateChannel(e.ctx, slacksim.NewChannel{Name: "retros", Members: []string{e.owner, e.kai, e.lena, e.omar}})
	if err != nil {
		t.Fatal(err)
	}
	retroForm := goodForm("Retro Club")
	retroForm.set(peerhandlers.BlockMembership, choice("chosen")).set(peerhandlers.BlockPeople, slack.BlockAction{SelectedUsers: []string{e.kai, e.lena, e.omar}})
	retro := e.create(e.owner, ch.ID, retroForm)
	type ask struct {
		network int64
		text    string
	}
	last := func() ask {
		t.Helper()
		var rows []map[string]any
		if err := e.db.Conn(e.ctx).Raw("SELECT network_id, text FROM peer_asks ORDER BY id DESC LIMIT 1").Scan(&rows).Error; err != nil || len(rows) != 1 {
			t.Fatalf("asks: %v, %v", rows, err)
		}
		return ask{toInt64(rows[0]["network_id"]), rows[0]["text"].(string)}
	}
	for _, tc := range []struct {
		who, channel, text string
		want               ask
	}{
		// Kai is in both; in the channel, its network unless one is named.
		{e.kai, e.channel, itoa(retro.ID) + " ways to run a retro?", ask{intros.ID, itoa(retro.ID) + " ways to run a retro?"}},
		{e.kai, e.channel, "#" + itoa(retro.ID) + " Anyone?", ask{retro.ID, "Anyone?"}},
		{e.kai, e.channel, "retro club how do you run yours?", ask{retro.ID, "how do you run yours?"}},
		{e.kai, e.channel, "Intros how often?", ask{intros.ID, "how often?"}},
		{e.kai, e.channel, "Retro Club", ask{}},
		// Ravi is in Intros only: a leading name is part of the question,
		// but with ":".
		{e.ravi, e.channel, "Intros feel awkward, how do you start?", ask{intros.ID, "Intros feel awkward, how do you start?"}},
		{e.ravi, e.channel, "Intros: how often?", ask{intros.ID, "how often?"}},
		// Not Ravi's network: not a prefix, so the whole text goes to his.
		{e.ravi, "", "Retro Club is it any good?", ask{intros.ID, "Retro Club is it any good?"}},
	} {
		reply := e.do(tc.who, tc.channel, "network ask "+tc.text)
		if tc.want == (ask{}) {
			contains(t, tc.text, reply, "What would you like to ask")
			continue
		}
		contains(t, tc.text, reply, "without your name")
		if got := last(); got != tc.want {
			t.Errorf("ask %q = %+v, want %+v", tc.text, got, tc.want)
		}
	}
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	}
	return -1
}
